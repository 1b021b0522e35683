package process

import (
	"bytes"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
)

// processGoroutines returns the stacks of goroutines running code of
// this package, other than test goroutines.
func processGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "superd/pkg/process.") && !strings.Contains(g, "testing.tRunner") &&
			!strings.Contains(g, "process.TestMain") {
			out = append(out, g)
		}
	}
	return out
}

func readPidFile(t *testing.T, path string) int {
	t.Helper()
	return testproc.WaitPID(t, path, deadline)
}

// Not parallel: it counts goroutines of the whole package.
func TestNoGoroutineLeftBehind(t *testing.T) {
	dir := t.TempDir()
	a := newProc(t, "sleeper", "sleep")
	b := newProc(t, "holder", "spawn-grandchild", filepath.Join(dir, "gc"))
	b.Stdout.File = filepath.Join(dir, "holder.log")
	c := newProc(t, "looper", "exit", "1") // restarts forever
	c.Stderr.EventsEnabled = true
	c.Stdout.CaptureMaxBytes = 10
	h := start(t, testConfig(t, groupOf(a), groupOf(b), groupOf(c)))
	gc := readPidFile(t, filepath.Join(dir, "gc"))
	defer testproc.Kill(gc, syscall.SIGKILL)
	h.waitState("sleeper", Running)
	h.waitState("looper", Exited)
	if len(processGoroutines()) == 0 {
		t.Fatal("goroutine inspection finds nothing while running")
	}
	// The grandchild still holds holder's stdout after the shutdown: its
	// reader must be ended anyway.
	h.stop(false)
	if !alive(gc) {
		t.Fatal("grandchild died; the test needs it holding the pipe")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := processGoroutines()
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left after Run returned:\n%s", strings.Join(left, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestChildLogs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	auto := newProc(t, "auto", "stderr", "to stderr")
	auto.Stdout.File, auto.Stderr.File = "AUTO", "AUTO"
	red := newProc(t, "red", "stderr", "mixed")
	red.RedirectStderr = true
	red.Stdout.File = filepath.Join(dir, "red.log")
	red.Stderr.File = filepath.Join(dir, "ignored.log")
	none := newProc(t, "none", "print-lines", "5000")
	none.Autorestart = config.AutorestartFalse
	baddir := newProc(t, "baddir", "sleep")
	baddir.Directory = "/no/such/dir"
	baddir.StartRetries = 0
	baddir.Stderr.File = filepath.Join(dir, "baddir.log")
	rot := newProc(t, "rot", "print-lines", "20000", "a-rather-long-line-of-text")
	rot.Autorestart = config.AutorestartFalse
	rot.Stdout.File = filepath.Join(dir, "rot.log")
	rot.Stdout.MaxBytes = 64 << 10
	rot.Stdout.Backups = 50
	cfg := testConfig(t, groupOf(auto), groupOf(red), groupOf(none), groupOf(baddir), groupOf(rot))
	cfg.Supervisord.Identifier = "ident"
	// An old AUTO log of this identifier is removed by the cleanup; others stay.
	old := filepath.Join(cfg.Supervisord.ChildLogDir, "x-stdout---ident-abcdefgh.log.3")
	keep := filepath.Join(cfg.Supervisord.ChildLogDir, "x-stdout---other-abcdefgh.log")
	os.WriteFile(old, nil, 0o644)
	os.WriteFile(keep, nil, 0o644)
	// A directory with an AUTO log's name is kept with supervisord's
	// warning (its os.remove does not remove directories).
	oldDir := filepath.Join(cfg.Supervisord.ChildLogDir, "y-stdout---ident-abcdefgh.log")
	if err := os.Mkdir(oldDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var cleanLog bytes.Buffer
	CleanupAutoLogs(cfg.Supervisord.ChildLogDir, "ident", slog.New(slog.NewTextHandler(&cleanLog, nil)))
	if _, err := os.Stat(old); err == nil {
		t.Errorf("old AUTO log not cleaned up")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("AUTO log of another identifier removed")
	}
	if _, err := os.Stat(oldDir); err != nil {
		t.Errorf("a directory named like an AUTO log was removed: %v", err)
	}
	if want := "Failed to clean up '" + oldDir + "'"; !strings.Contains(cleanLog.String(), want) {
		t.Errorf("cleanup log %q lacks %q", cleanLog.String(), want)
	}
	h := start(t, cfg)
	ctx := h.ctx()
	out, _ := h.s.LogPath(ctx, "auto", "stdout")
	errp, _ := h.s.LogPath(ctx, "auto", "stderr")
	re := regexp.MustCompile(`^auto-(stdout|stderr)---ident-[a-z0-9_]{8}\.log$`)
	if filepath.Dir(out) != cfg.Supervisord.ChildLogDir || !re.MatchString(filepath.Base(out)) || !re.MatchString(filepath.Base(errp)) {
		t.Errorf("AUTO names %q %q", out, errp)
	}
	fileHas := func(path, want string) {
		t.Helper()
		eventually(t, path+" containing "+strconv.Quote(want), func() bool {
			b, _ := os.ReadFile(path)
			return strings.Contains(string(b), want)
		})
	}
	fileHas(out, "out: to stderr\n")
	fileHas(errp, "to stderr\n")
	if b, _ := os.ReadFile(out); strings.Contains(string(b), "\nto stderr") || strings.HasPrefix(string(b), "to stderr") {
		t.Errorf("stderr in stdout log: %q", b)
	}
	fileHas(filepath.Join(dir, "red.log"), "mixed\n")
	fileHas(filepath.Join(dir, "red.log"), "out: mixed\n")
	if p, _ := h.s.LogPath(ctx, "red", "stderr"); p != "" {
		t.Errorf("redirect_stderr: stderr log %q", p)
	}
	if _, err := os.Stat(filepath.Join(dir, "ignored.log")); err == nil {
		t.Errorf("stderr log created despite redirect_stderr")
	}
	info, _ := h.s.ProcessInfo(ctx, "red")
	if info.StdoutLogfile != filepath.Join(dir, "red.log") || info.StderrLogfile != "" {
		t.Errorf("info logfiles %q %q", info.StdoutLogfile, info.StderrLogfile)
	}
	h.expectStates("none", "STARTING", "RUNNING", "EXITED")
	h.expectStates("baddir", "STARTING", "BACKOFF", "FATAL")
	h.waitLog("INFO spawnerr: couldn't chdir to /no/such/dir: ENOENT")
	fileHas(filepath.Join(dir, "baddir.log"), "supervisor: couldn't chdir to /no/such/dir: ENOENT\nsupervisor: child process was not spawned\n")

	// Rotation under load loses nothing.
	h.expectStates("rot", "STARTING", "RUNNING", "EXITED")
	eventually(t, "all rot lines", func() bool {
		n := 0
		files, _ := filepath.Glob(filepath.Join(dir, "rot.log*"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			n += bytes.Count(b, []byte("\n"))
		}
		return n == 20000
	})
	if files, _ := filepath.Glob(filepath.Join(dir, "rot.log.*")); len(files) < 5 {
		t.Errorf("only %d backups", len(files))
	}

	if err := h.s.ClearLogs(ctx, "auto"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(out); err != nil || len(b) != 0 {
		t.Errorf("after ClearLogs: %q %v", b, err)
	}
	if err := h.s.ReopenLogs(ctx); err != nil {
		t.Errorf("ReopenLogs: %v", err)
	}
	res, err := h.s.ClearAllLogs(ctx)
	if err != nil || len(res) != 5 {
		t.Errorf("ClearAllLogs: %+v %v", res, err)
	}
}

func TestBusAndForcedShutdown(t *testing.T) {
	t.Parallel()
	p := newProc(t, "stub", "ignore-term")
	p.StopWaitSecs = 3600
	p.Stdout.EventsEnabled = true
	bus := events.NewBus()
	sub := bus.Subscribe(events.ProcessState, events.SupervisorStateChange, events.ProcessLog)
	defer sub.Close()
	h := start(t, testConfig(t, groupOf(p)), func(o *Options) { o.Bus = bus })
	h.waitOutput("stub", "ready")
	var got []string
	for len(got) < 4 {
		select {
		case e := <-sub.C():
			got = append(got, string(e.Type))
		case <-time.After(deadline):
			t.Fatalf("bus events so far: %v", got)
		}
	}
	want := "SUPERVISOR_STATE_CHANGE_RUNNING PROCESS_STATE_STARTING PROCESS_STATE_RUNNING PROCESS_LOG_STDOUT"
	if strings.Join(got, " ") != want {
		t.Errorf("bus events %v", got)
	}
	h.s.Shutdown(false)
	h.waitState("stub", Stopping)
	h.s.Shutdown(true) // stopwaitsecs is an hour: force
	select {
	case err := <-h.runErr:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(deadline):
		t.Fatal("forced shutdown did not finish")
	}
	h.waitState("stub", Stopped)
	h.waitLog("WARN stopped: stub (terminated by SIGKILL)")
}

func TestContextCancelKills(t *testing.T) {
	t.Parallel()
	p := newProc(t, "stub", "ignore-term")
	p.StopWaitSecs = 3600
	h := start(t, testConfig(t, groupOf(p)))
	h.waitState("stub", Running)
	h.cancel()
	select {
	case <-h.runErr:
	case <-time.After(deadline):
		t.Fatal("Run did not return after cancel")
	}
	h.waitState("stub", Stopped)
}

func TestStopFromBackoff(t *testing.T) {
	t.Parallel()
	p := newProc(t, "flaky", "exit", "1")
	p.StartSecs = 10
	p.StartRetries = 100
	h := start(t, testConfig(t, groupOf(p)))
	h.expectStates("flaky", "STARTING", "BACKOFF")
	if err := h.s.StopProcess(h.ctx(), "flaky", true); err != nil {
		t.Fatal(err)
	}
	h.expectStates("flaky", "STOPPED")
	info, _ := h.s.ProcessInfo(h.ctx(), "flaky")
	if info.State != Stopped {
		t.Errorf("state %v", info.State)
	}
}

type fakeHook struct {
	mu     sync.Mutex
	calls  []string
	out    bytes.Buffer
	stdin  io.Writer
	detach chan struct{}
}

func (f *fakeHook) Attach(pool, proc string, pid int, stdin io.Writer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "attach "+pool+":"+proc)
	f.stdin = stdin
}
func (f *fakeHook) Output(pool, proc string, pid int, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out.Write(data)
}
func (f *fakeHook) Detach(pool, proc string, pid int) {
	f.mu.Lock()
	f.calls = append(f.calls, "detach "+pool+":"+proc)
	f.mu.Unlock()
	close(f.detach)
}

func TestListenerHook(t *testing.T) {
	t.Parallel()
	p := newProc(t, "l", "echo-stdin")
	p.Group = "pool"
	p.Stdout.File = filepath.Join(t.TempDir(), "l.log")
	g := &config.Group{Name: "pool", Kind: config.KindEventListener, Priority: -1, Processes: []*config.Process{p},
		Listener: &config.Listener{Events: []string{"PROCESS_STATE"}, BufferSize: 10}}
	hook := &fakeHook{detach: make(chan struct{})}
	h := start(t, testConfig(t, g), func(o *Options) { o.Listeners = hook })
	h.waitState("l", Running)
	hook.mu.Lock()
	stdin := hook.stdin
	hook.mu.Unlock()
	if stdin == nil {
		t.Fatal("no Attach")
	}
	if _, err := stdin.Write([]byte("READY\n")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "listener output", func() bool {
		hook.mu.Lock()
		defer hook.mu.Unlock()
		return hook.out.String() == "READY\n"
	})
	eventually(t, "listener stdout log", func() bool {
		b, _ := os.ReadFile(p.Stdout.File)
		return string(b) == "READY\n"
	})
	// supervisord's PEventListenerDispatcher logs the bytes' repr at DEBG.
	eventually(t, "listener DEBG line", func() bool {
		return slices.Contains(h.log.lines(), "DEBG 'l' stdout output:\nb'READY\\n'")
	})
	if err := h.s.StopProcess(h.ctx(), "pool:l", true); err != nil {
		t.Fatal(err)
	}
	<-hook.detach
	hook.mu.Lock()
	defer hook.mu.Unlock()
	if strings.Join(hook.calls, ",") != "attach pool:l,detach pool:l" {
		t.Errorf("calls %v", hook.calls)
	}
}

// TestOutputCounts: Info counts the bytes read from each pipe (stderr
// as stdout with redirect_stderr) and the bytes its log files could not
// take (/dev/full: ENOSPC, as on a full disk), whether or not there is
// a log file.
func TestOutputCounts(t *testing.T) {
	t.Parallel()
	sep := newProc(t, "sep", "stderr", "abc") // "out: abc\n" and "abc\n"
	sep.Stdout.File, sep.Stderr.File = "AUTO", "AUTO"
	red := newProc(t, "red", "stderr", "abc")
	red.RedirectStderr = true
	full := newProc(t, "full", "stderr", "abc")
	full.Stdout.File = "/dev/full"
	h := start(t, testConfig(t, groupOf(sep), groupOf(red), groupOf(full)))
	want := map[string][3]int64{"sep": {9, 4, 0}, "red": {13, 0, 0}, "full": {9, 4, 9}}
	var got map[string][3]int64
	eventually(t, "output counted", func() bool {
		infos, err := h.s.AllProcessInfo(h.ctx())
		if err != nil {
			return false
		}
		got = map[string][3]int64{}
		for _, i := range infos {
			got[i.Name] = [3]int64{i.StdoutBytes, i.StderrBytes, i.LogDropped}
		}
		return maps.Equal(got, want)
	})
}

// TestListenerLogStripANSI: with strip_ansi, an event listener's
// stdout_logfile gets the stripped bytes (supervisord's
// PEventListenerDispatcher strips them too); the listener protocol gets
// them as they are.
func TestListenerLogStripANSI(t *testing.T) {
	t.Parallel()
	p := newProc(t, "l", "echo-stdin")
	p.Group = "pool"
	p.Stdout.File = filepath.Join(t.TempDir(), "l.log")
	g := &config.Group{Name: "pool", Kind: config.KindEventListener, Priority: -1, Processes: []*config.Process{p},
		Listener: &config.Listener{Events: []string{"PROCESS_STATE"}, BufferSize: 10}}
	cfg := testConfig(t, g)
	cfg.Supervisord.StripANSI = true
	hook := &fakeHook{detach: make(chan struct{})}
	h := start(t, cfg, func(o *Options) { o.Listeners = hook })
	h.waitState("l", Running)
	hook.mu.Lock()
	stdin := hook.stdin
	hook.mu.Unlock()
	if stdin == nil {
		t.Fatal("no Attach")
	}
	if _, err := stdin.Write([]byte("\x1b[32mREADY\x1b[0m\n")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "listener output", func() bool {
		hook.mu.Lock()
		defer hook.mu.Unlock()
		return hook.out.String() == "\x1b[32mREADY\x1b[0m\n"
	})
	eventually(t, "stripped listener stdout log", func() bool {
		b, _ := os.ReadFile(p.Stdout.File)
		return string(b) == "READY\n"
	})
}
