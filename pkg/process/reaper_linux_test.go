package process

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/pkg/config"
	"golang.org/x/sys/unix"
)

// Not parallel: reaper mode waits for every child of the test process.
func TestReaperMode(t *testing.T) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); errors.Is(err, unix.EINVAL) {
		t.Skipf("kernel without PR_SET_CHILD_SUBREAPER (Linux < 3.4): %v", err)
	} else if err != nil {
		t.Fatalf("PR_SET_CHILD_SUBREAPER: %v", err)
	}
	defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
	dir := t.TempDir()
	ex := newProc(t, "ex", "exit", "3")
	ex.Autorestart = config.AutorestartFalse
	par := newProc(t, "parent", "spawn-grandchild", filepath.Join(dir, "gc"))
	stub := newProc(t, "stub", "ignore-term")
	stub.StopWaitSecs = 1
	stub.Stdout.EventsEnabled = true
	h := start(t, testConfig(t, groupOf(ex), groupOf(par), groupOf(stub)), func(o *Options) { o.Reaper = true })
	h.expectStates("ex", "STARTING", "RUNNING", "EXITED")
	h.waitLog("WARN exited: ex (exit status 3; not expected)")
	gc := readPidFile(t, filepath.Join(dir, "gc"))
	h.waitState("parent", Running)
	if err := h.s.StopProcess(h.ctx(), "parent", true); err != nil {
		t.Fatal(err)
	}
	// The orphaned grandchild is now ours; its death is logged.
	if err := testproc.Kill(gc, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	h.waitLog("INFO reaped unknown pid " + strconv.Itoa(gc) + " (terminated by SIGKILL)")
	h.waitOutput("stub", "ready")
	if err := h.s.StopProcess(h.ctx(), "stub", true); err != nil {
		t.Fatal(err)
	}
	h.waitLog("WARN stopped: stub (terminated by SIGKILL)")
	h.stop(false)
	eventually(t, "reaper goroutines to end", func() bool { return len(processGoroutines()) == 0 })
}

func threads(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	t.Fatalf("no Threads in /proc/self/status:\n%s", b)
	return 0
}

// Not parallel: it counts the threads of the test process. Children are
// waited for through pidfds on the network poller, so many children must
// not cost a thread each.
func TestWaitersHoldNoThreads(t *testing.T) {
	if fd, err := unix.PidfdOpen(os.Getpid(), 0); errors.Is(err, unix.ENOSYS) {
		t.Skipf("no pidfd support (Linux < 5.3): %v", err)
	} else if err != nil {
		t.Fatalf("pidfd_open: %v", err)
	} else {
		unix.Close(fd)
	}
	const n = 64
	var ps []*config.Process
	for i := range n {
		p := newProc(t, "s"+strconv.Itoa(i), "sleep")
		p.Group = "many"
		ps = append(ps, p)
	}
	before := threads(t)
	h := start(t, testConfig(t, groupOf(ps...)))
	for _, p := range ps {
		h.waitState(p.Name, Running)
	}
	if after := threads(t); after-before >= n/2 {
		t.Errorf("%d threads with %d children (%d before)", after, n, before)
	}
	h.stop(false)
}
