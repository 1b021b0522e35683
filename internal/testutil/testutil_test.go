package testutil_test

import (
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/internal/testutil"
)

func TestMain(m *testing.M) {
	testproc.Main()
	os.Exit(testproc.Run(m))
}

func TestPollUntil(t *testing.T) {
	t.Parallel()
	n := 0
	if !testutil.PollUntil(10*time.Second, func() bool { n++; return n == 3 }) {
		t.Fatal("PollUntil: false for a condition that holds on the third call")
	}
	if n != 3 {
		t.Errorf("cond called %d times, want 3", n)
	}
	start := time.Now()
	if testutil.PollUntil(50*time.Millisecond, func() bool { return false }) {
		t.Fatal("PollUntil: true for a condition that never holds")
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("PollUntil gave up after %v, before its 50ms timeout", d)
	}
}

func TestSyncBufferConcurrent(t *testing.T) {
	t.Parallel()
	var b testutil.SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				b.Write([]byte("x"))
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if got := len(b.String()); got != 800 {
		t.Errorf("len = %d, want 800", got)
	}
}

// Stop sends SIGTERM first: a daemon that exits on it exits with its own
// status.
func TestStopTerm(t *testing.T) {
	t.Parallel()
	argv := testproc.Argv(t, "exit-on", "TERM", "3")
	d := testutil.Start(t, argv[0], argv[1:]...)
	t.Cleanup(func() { d.Stop(time.Second) })
	testutil.WaitFor(t, 20*time.Second, "ready", func() bool { return strings.Contains(d.Out.String(), "ready") })
	d.Stop(20 * time.Second)
	if code := d.Cmd.ProcessState.ExitCode(); code != 3 {
		t.Errorf("exit code %d, want 3 (output %q)", code, d.Out)
	}
}

// A daemon that ignores SIGTERM has its process group SIGKILLed after
// the grace period.
func TestStopKillsAfterGrace(t *testing.T) {
	t.Parallel()
	argv := testproc.Argv(t, "ignore-term")
	d := testutil.Start(t, argv[0], argv[1:]...)
	t.Cleanup(func() { d.Stop(time.Second) })
	testutil.WaitFor(t, 20*time.Second, "ready", func() bool { return strings.Contains(d.Out.String(), "ready") })
	d.Stop(100 * time.Millisecond)
	ws := d.Cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("wait status %v, want killed by SIGKILL", ws)
	}
	if testutil.Alive(d.Cmd.Process.Pid) {
		t.Errorf("pid %d still alive after Stop", d.Cmd.Process.Pid)
	}
}

// WaitReady returns once ready holds.
func TestWaitReady(t *testing.T) {
	t.Parallel()
	argv := testproc.Argv(t, "sleep")
	d := testutil.Start(t, argv[0], argv[1:]...)
	t.Cleanup(func() { d.Stop(20 * time.Second) })
	n := 0
	d.WaitReady(t, 20*time.Second, func() bool { n++; return n == 2 })
	select {
	case <-d.Done:
		t.Fatal("daemon exited")
	default:
	}
}

func TestBuildError(t *testing.T) {
	t.Parallel()
	dir, err := testutil.Build("testutil-", false, "./no-such-package")
	if err == nil || !strings.Contains(err.Error(), "building ./no-such-package") {
		t.Errorf("Build of a missing package: dir %q, err %v; want an error naming it", dir, err)
	}
}

func TestShortTempDir(t *testing.T) {
	d := testutil.ShortTempDir(t, "tu")
	if !strings.HasPrefix(d, "/tmp/tu") {
		t.Errorf("dir %q not under /tmp", d)
	}
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
		t.Errorf("stat %s: %v", d, err)
	}
}
