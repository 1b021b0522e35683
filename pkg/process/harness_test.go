package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
)

// publicExe is a copy of the test binary that any user may run (the
// original's directory is private), for user= tests as root; "" if not root.
var publicExe string

func TestMain(m *testing.M) {
	MaybeRunShim()
	testproc.Main()
	CloseOnExecInherited() // as superd's main does
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if os.Getuid() == 0 {
		dir, err := os.MkdirTemp("", "superd-process-test")
		if err == nil {
			defer os.RemoveAll(dir)
			exe, _ := os.Executable()
			b, err := os.ReadFile(exe)
			if err == nil && os.Chmod(dir, 0o755) == nil && os.WriteFile(filepath.Join(dir, "helper"), b, 0o755) == nil {
				publicExe = filepath.Join(dir, "helper")
				shimExe = publicExe
			}
		}
	}
	return testproc.Run(m)
}

const deadline = 20 * time.Second

// proc returns a process config with supervisord's defaults except
// startsecs=0 and stopwaitsecs=2, running a testproc mode.
func newProc(t testing.TB, name, mode string, args ...string) *config.Process {
	return &config.Process{
		Name: name, Group: name, Program: name,
		Command: testproc.Command(t, mode, args...), Argv: testproc.Argv(t, mode, args...),
		Priority: 999, Autostart: true, Autorestart: config.AutorestartUnexpected,
		StartSecs: 0, StartRetries: 3, ExitCodes: []int{0},
		StopSignal: syscall.SIGTERM, StopSignalName: "TERM", StopWaitSecs: 2,
		UID: -1, ServerURL: "AUTO",
	}
}

func groupOf(procs ...*config.Process) *config.Group {
	g := &config.Group{Name: procs[0].Group, Kind: config.KindProgram, Priority: 999}
	g.Processes = procs
	return g
}

func testConfig(t testing.TB, groups ...*config.Group) *config.Config {
	return &config.Config{
		Supervisord: config.Supervisord{ChildLogDir: t.TempDir(), Identifier: "supervisor"},
		Groups:      groups,
	}
}

// recorder is a slog handler keeping every message.
type recorder struct {
	mu   sync.Mutex
	msgs []string
	ch   chan struct{}
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.msgs = append(r.msgs, levelName(rec.Level)+" "+rec.Message)
	r.mu.Unlock()
	select {
	case r.ch <- struct{}{}:
	default:
	}
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func levelName(l slog.Level) string {
	switch {
	case l >= LevelCritical:
		return "CRIT"
	case l >= slog.LevelError:
		return "ERRO"
	case l >= slog.LevelWarn:
		return "WARN"
	case l >= slog.LevelInfo:
		return "INFO"
	}
	return "DEBG"
}

func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

type harness struct {
	t      *testing.T
	s      *Supervisor
	log    *recorder
	evs    chan events.Event
	runErr chan error
	cancel context.CancelFunc
	seen   []events.Event // events received so far, in order
	cur    map[string]int // cursors into seen
}

func start(t *testing.T, cfg *config.Config, mod ...func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, log: &recorder{ch: make(chan struct{}, 1)}, evs: make(chan events.Event, 100000),
		runErr: make(chan error, 1)}
	opts := Options{Logger: slog.New(h.log), ServerURL: "unix:///tmp/test.sock"}
	opts.observe = func(e events.Event) { h.evs <- e }
	for _, f := range mod {
		f(&opts)
	}
	s, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.runErr <- s.Run(ctx) }()
	t.Cleanup(func() {
		h.stop(true)
	})
	return h
}

// stop shuts the supervisor down and waits for Run to return.
func (h *harness) stop(force bool) {
	h.t.Helper()
	select {
	case <-h.s.done:
		return
	default:
	}
	h.s.Shutdown(force)
	select {
	case err := <-h.runErr:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(deadline):
		h.cancel()
		h.t.Fatalf("Run did not return after Shutdown")
	}
	h.cancel()
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	h.t.Cleanup(cancel)
	return ctx
}

// pull returns event i of the stream, waiting for it until end.
func (h *harness) pull(i int, what string, end time.Time) events.Event {
	h.t.Helper()
	if i < len(h.seen) {
		return h.seen[i]
	}
	timeout := time.NewTimer(time.Until(end))
	defer timeout.Stop()
	for i >= len(h.seen) {
		select {
		case e := <-h.evs:
			h.seen = append(h.seen, e)
		case <-timeout.C:
			h.t.Fatalf("timed out waiting for %s; seen:\n%s", what, h.dump())
		}
	}
	return h.seen[i]
}

// nextFrom returns the next event matching pred at or after the cursor
// key, and moves the cursor past it. Each process has its own cursor
// (key = name) so waits for different processes do not consume each
// other's events; "" is the cursor of other waits.
func (h *harness) nextFrom(key, what string, pred func(events.Event) bool) events.Event {
	h.t.Helper()
	if h.cur == nil {
		h.cur = map[string]int{}
	}
	end := time.Now().Add(deadline)
	for i := h.cur[key]; ; i++ {
		e := h.pull(i, what, end)
		if pred(e) {
			h.cur[key] = i + 1
			return e
		}
	}
}

func (h *harness) next(what string, pred func(events.Event) bool) events.Event {
	h.t.Helper()
	return h.nextFrom("", what, pred)
}

func (h *harness) dump() string {
	var b strings.Builder
	for _, e := range h.seen {
		if strings.HasPrefix(string(e.Type), "TICK") {
			continue
		}
		fmt.Fprintf(&b, "  %s %s:%s from=%s tries=%d pid=%d %q\n", e.Type, e.Group, e.Process, e.FromState, e.Tries, e.PID, e.Data)
	}
	b.WriteString("log:\n")
	for _, l := range h.log.lines() {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

func isState(e events.Event) bool { return strings.HasPrefix(string(e.Type), "PROCESS_STATE_") }

// stateEvents returns the next n state changes of process name.
func (h *harness) stateEvents(name string, n int) []events.Event {
	h.t.Helper()
	var got []events.Event
	for len(got) < n {
		e := h.nextFrom(name, fmt.Sprintf("%d states of %s (have %d)", n, name, len(got)), func(e events.Event) bool {
			return isState(e) && e.Process == name
		})
		got = append(got, e)
	}
	return got
}

func (h *harness) states(name string, n int) []string {
	h.t.Helper()
	var got []string
	for _, e := range h.stateEvents(name, n) {
		got = append(got, e.State)
	}
	return got
}

func (h *harness) expectStates(name string, want ...string) {
	h.t.Helper()
	got := h.states(name, len(want))
	if strings.Join(got, " ") != strings.Join(want, " ") {
		h.t.Fatalf("%s: states %v, want %v\n%s", name, got, want, h.dump())
	}
}

// waitState waits for name's next entry into state.
func (h *harness) waitState(name string, state State) events.Event {
	h.t.Helper()
	return h.nextFrom(name, name+" "+state.String(), func(e events.Event) bool {
		return isState(e) && e.Process == name && e.State == state.String()
	})
}

// drain moves every event still queued into seen (after Run returned).
func (h *harness) drain() {
	for {
		select {
		case e := <-h.evs:
			h.seen = append(h.seen, e)
		default:
			return
		}
	}
}

// waitOutput waits for PROCESS_LOG output of name containing text.
func (h *harness) waitOutput(name, text string) {
	h.t.Helper()
	var acc []byte
	end := time.Now().Add(deadline)
	for i := 0; ; i++ {
		e := h.pull(i, fmt.Sprintf("output %q of %s", text, name), end)
		if (e.Type == events.ProcessLogStdout || e.Type == events.ProcessLogStderr) && e.Process == name {
			acc = append(acc, e.Data...)
			if strings.Contains(string(acc), text) {
				return
			}
		}
	}
}

// waitLog waits for a main log line containing text.
func (h *harness) waitLog(text string) string {
	h.t.Helper()
	timeout := time.After(deadline)
	for {
		for _, l := range h.log.lines() {
			if strings.Contains(l, text) {
				return l
			}
		}
		select {
		case <-h.log.ch:
		case <-timeout:
			h.t.Fatalf("timed out waiting for log %q\n%s", text, h.dump())
		}
	}
}

// eventually polls cond until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func kindErr(t *testing.T, err error, kind Kind, detail string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Kind != kind || e.Detail != detail {
		t.Fatalf("error %v, want kind %d detail %q", err, kind, detail)
	}
}
