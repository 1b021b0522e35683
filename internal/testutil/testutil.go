package testutil

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/pkg/process"
	"github.com/superd/superd/pkg/rpc"
)

// Build builds each package pkgs (paths as `go build` takes them,
// relative to the calling test's package directory) into a new temp dir,
// named after the package's last path element, with -race when race is
// set. It returns the dir, which the caller removes after the tests.
func Build(prefix string, race bool, pkgs ...string) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	for _, pkg := range pkgs {
		args := []string{"build", "-o", filepath.Join(dir, path.Base(pkg))}
		if race {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, pkg)...).CombinedOutput()
		if err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("building %s: %v\n%s", pkg, err, out)
		}
	}
	return dir, nil
}

// SyncBuffer is a bytes.Buffer safe for the writes of a child's output
// copier and reads by the test.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ShortTempDir returns a temp dir under /tmp with a path short enough
// for unix sockets (t.TempDir paths can exceed the 108-byte limit); the
// test's cleanup removes it.
func ShortTempDir(t testing.TB, prefix string) string {
	t.Helper()
	d, err := os.MkdirTemp("/tmp", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// PollUntil polls cond every 10 ms until it holds (true) or timeout
// passes (false).
func PollUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// WaitFor polls cond until it holds, and fails the test with "timed out
// waiting for what" if timeout passes first.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !PollUntil(timeout, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// Daemon is a process (superd or supervisord) running in the foreground
// in its own process group, its stdout and stderr going to Out.
type Daemon struct {
	Cmd  *exec.Cmd
	Out  *SyncBuffer
	Done chan struct{} // closed when the process has exited
}

// Start runs bin with args in its own process group. The caller
// registers Stop as a cleanup.
func Start(t testing.TB, bin string, args ...string) *Daemon {
	t.Helper()
	d := &Daemon{Out: new(SyncBuffer), Done: make(chan struct{})}
	d.Cmd = exec.Command(bin, args...)
	d.Cmd.Stdout, d.Cmd.Stderr = d.Out, d.Out
	d.Cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.Cmd.Wait(); close(d.Done) }()
	return d
}

// WaitReady waits up to timeout for ready to hold ("daemon answering"),
// failing the test with the daemon's output as soon as it exits.
func (d *Daemon) WaitReady(t testing.TB, timeout time.Duration, ready func() bool) {
	t.Helper()
	WaitFor(t, timeout, "daemon answering", func() bool {
		select {
		case <-d.Done:
			t.Fatalf("daemon exited: %s", d.Out)
		default:
		}
		return ready()
	})
}

// Stop ends the daemon with SIGTERM, and SIGKILLs its process group if
// it has not exited after grace. It returns at once if it already
// exited.
func (d *Daemon) Stop(grace time.Duration) {
	select {
	case <-d.Done:
		return
	default:
	}
	d.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.Done:
	case <-time.After(grace):
		syscall.Kill(-d.Cmd.Process.Pid, syscall.SIGKILL)
		<-d.Done
	}
}

// Alive reports whether pid runs and is not a zombie.
func Alive(pid int) bool {
	st, err := process.ReadProcStat(pid)
	return err == nil && st.State != 'Z'
}

// AllRunning asks c for every process's info and reports whether there
// are exactly n, all RUNNING (false on an error).
func AllRunning(ctx context.Context, c *rpc.Client, n int) ([]rpc.ProcessInfo, bool) {
	infos, err := c.GetAllProcessInfo(ctx)
	if err != nil || len(infos) != n {
		return infos, false
	}
	for _, i := range infos {
		if i.StateName != "RUNNING" {
			return infos, false
		}
	}
	return infos, true
}
