package process

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
	"golang.org/x/sys/unix"
)

// TestStreamKeepsEveryLine: a child writing megabytes as fast as it can
// is read by a streaming drain (it keeps the pipe between chunks); every
// line reaches the log and its backups, whole and in order, before the
// exit is posted.
func TestStreamKeepsEveryLine(t *testing.T) {
	t.Parallel()
	const n = 200000
	p := newProc(t, "big", "print-lines", fmt.Sprint(n), "a-line-of-output-text")
	p.Autorestart = config.AutorestartFalse
	p.Stdout.File = filepath.Join(t.TempDir(), "big.log")
	p.Stdout.MaxBytes = 1 << 20
	p.Stdout.Backups = 20
	before := streamStarts.Load()
	var (
		mu   sync.Mutex
		seen []byte // the logs when the exit was posted
	)
	h := start(t, testConfig(t, groupOf(p)), func(o *Options) {
		prev := o.observe
		o.observe = func(e events.Event) {
			if e.Type == events.ProcessStateExited && e.Process == "big" {
				mu.Lock()
				seen = readRotated(p.Stdout.File, p.Stdout.Backups)
				mu.Unlock()
			}
			prev(e)
		}
	})
	h.waitState("big", Exited)
	var want bytes.Buffer
	for i := range n {
		fmt.Fprintf(&want, "a-line-of-output-text %d\n", i)
	}
	mu.Lock()
	got := seen
	mu.Unlock()
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("logs hold %d bytes when the exit is posted, want %d (first difference at %d)",
			len(got), want.Len(), firstDiff(got, want.Bytes()))
	}
	if streamStarts.Load() == before {
		t.Errorf("no drain streamed")
	}
}

// readRotated returns path's backups (oldest first) and path, joined.
func readRotated(path string, backups int) []byte {
	var all []byte
	for i := backups; i >= 1; i-- {
		b, _ := os.ReadFile(fmt.Sprintf("%s.%d", path, i))
		all = append(all, b...)
	}
	b, _ := os.ReadFile(path)
	return append(all, b...)
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestExitWhileGrandchildKeepsPipeBusy: the child's stdout stays open
// and busy after it exits (a grandchild keeps writing, never pausing
// long enough for a streaming drain to hand the pipe back). The exit is
// still posted, and only after the child's last line is in the log: the
// exit watcher's flush stops the streaming drain at once and reads the
// pipe itself.
func TestExitWhileGrandchildKeepsPipeBusy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	burst := testproc.Command(t, "print-lines", "100000", "burst")
	script := `(while :; do echo tick; sleep 0.002; done) & ` + burst + `; echo LAST; exit 3`
	p := newProc(t, "c", "sleep")
	p.Command, p.Argv = "/bin/sh -c "+testproc.Quote(script), []string{"/bin/sh", "-c", script}
	p.Autorestart = config.AutorestartFalse
	p.Stdout.File = filepath.Join(dir, "c.log")
	before := streamStarts.Load()
	var (
		mu      sync.Mutex
		hadLast bool
		pgid    int
	)
	h := start(t, testConfig(t, groupOf(p)), func(o *Options) {
		prev := o.observe
		o.observe = func(e events.Event) {
			if e.Type == events.ProcessStateExited && e.Process == "c" {
				b, _ := os.ReadFile(p.Stdout.File)
				mu.Lock()
				hadLast = strings.Contains(string(b), "\nLAST\n")
				mu.Unlock()
			}
			if e.Type == events.ProcessStateRunning && e.Process == "c" {
				mu.Lock()
				pgid = e.PID
				mu.Unlock()
			}
			prev(e)
		}
	})
	killTicker := func() {
		mu.Lock()
		g := pgid
		mu.Unlock()
		if g > 0 {
			syscall.Kill(-g, syscall.SIGKILL) // the child's process group: the ticking subshell
		}
	}
	t.Cleanup(killTicker)
	h.waitState("c", Exited)
	mu.Lock()
	ok := hadLast
	mu.Unlock()
	if !ok {
		t.Errorf("exit posted before the child's last line was logged")
	}
	if streamStarts.Load() == before {
		t.Errorf("no drain streamed")
	}
	killTicker()
}

// TestStreamPipeGrowsAndShrinks: as root, a pipe that streams is grown
// to streamPipe, and goes back to its old capacity once the child falls
// quiet and the pipe returns to the poll goroutine.
func TestStreamPipeGrowsAndShrinks(t *testing.T) {
	if !growPipes {
		t.Skip("pipes grow only as root")
	}
	t.Parallel()
	const n = 100000
	p := newProc(t, "quiet", "print-lines-wait", fmt.Sprint(n), "some-output")
	p.Stdout.File = filepath.Join(t.TempDir(), "quiet.log")
	var want bytes.Buffer
	for i := range n {
		fmt.Fprintf(&want, "some-output %d\n", i)
	}
	before := pipeGrows.Load()
	h := start(t, testConfig(t, groupOf(p)))
	h.waitState("quiet", Running)
	eventually(t, "every line in the log", func() bool {
		b, _ := os.ReadFile(p.Stdout.File)
		return len(b) == want.Len()
	})
	if b, _ := os.ReadFile(p.Stdout.File); !bytes.Equal(b, want.Bytes()) {
		t.Fatalf("log differs from the output at byte %d", firstDiff(b, want.Bytes()))
	}
	if pipeGrows.Load() == before {
		t.Errorf("no pipe grew")
	}
	capacity := func() int {
		h.s.rmu.Lock()
		defer h.s.rmu.Unlock()
		for r := range h.s.rfiles {
			if r.name != "quiet" || r.channel != "stdout" {
				continue
			}
			c := -1
			if rc, err := r.f.SyscallConn(); err == nil {
				rc.Control(func(fd uintptr) { c, _ = unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0) })
			}
			return c
		}
		return -1
	}
	eventually(t, "the pipe back to 64 KiB", func() bool { return capacity() == 64<<10 })
}
