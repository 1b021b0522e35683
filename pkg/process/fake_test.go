package process

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
)

// fakeRunner stands in for real children inside a synctest bubble, so
// the loop's timing (startsecs, backoff delays, stopwaitsecs, reports,
// ticks) can be checked exactly on the fake clock.
type fakeRunner struct {
	s       *Supervisor
	t0      time.Time
	mu      sync.Mutex
	nextPid int
	log     []string // "0s spawn x", "10s signal x SIGKILL"
	// life is how long a child of that name lives before exiting with
	// status 0 (absent: until signalled).
	life map[string]time.Duration
	// ignore lists the signals a child of that name survives.
	ignore map[string][]syscall.Signal
	fail   map[string]string // spawn error per name
}

func (f *fakeRunner) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, fmt.Sprintf("%v ", time.Since(f.t0))+fmt.Sprintf(format, args...))
}

func (f *fakeRunner) spawn(s *Supervisor, p *proc) (int, string) {
	f.record("spawn %s", p.cfg.Name)
	if msg := f.fail[p.cfg.Name]; msg != "" {
		return 0, msg
	}
	f.nextPid++
	pid := f.nextPid
	if d, ok := f.life[p.cfg.Name]; ok {
		time.AfterFunc(d, func() { s.post(loopEvent{kind: leExit, p: p, pid: pid, status: 0}) })
	}
	return pid, ""
}

func (f *fakeRunner) signal(p *proc, pid int, sig syscall.Signal, group bool) error {
	f.record("signal %s %s", p.cfg.Name, SignalName(sig))
	for _, ig := range f.ignore[p.cfg.Name] {
		if ig == sig {
			return nil
		}
	}
	go f.s.post(loopEvent{kind: leExit, p: p, pid: pid, status: syscall.WaitStatus(sig)})
	return nil
}

// bubble runs a supervisor with a fake runner inside a synctest bubble;
// fn drives it and must return with the supervisor still running.
func bubble(t *testing.T, cfg *config.Config, f *fakeRunner, fn func(s *Supervisor, evs func() []string)) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var seen []string
		f.t0 = time.Now()
		opts := Options{Logger: slog.New(&recorder{ch: make(chan struct{}, 1)}), runner: f}
		opts.observe = func(e events.Event) {
			mu.Lock()
			defer mu.Unlock()
			s := fmt.Sprintf("%v %s", time.Since(f.t0), e.Type)
			if e.Process != "" {
				s += " " + e.Process
			}
			seen = append(seen, s)
		}
		s, err := New(cfg, opts)
		if err != nil {
			t.Fatal(err)
		}
		f.s = s
		done := make(chan error)
		go func() { done <- s.Run(context.Background()) }()
		fn(s, func() []string {
			mu.Lock()
			defer mu.Unlock()
			return append([]string(nil), seen...)
		})
		s.Shutdown(false)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func filterEvents(evs []string, prefix string) []string {
	var out []string
	for _, e := range evs {
		if _, rest, _ := strings.Cut(e, " "); strings.HasPrefix(rest, prefix) {
			out = append(out, e)
		}
	}
	return out
}

func expectLines(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFakeBackoffDelaysAndStartsecs(t *testing.T) {
	quick := newProc(t, "quick", "sleep")
	quick.StartSecs = 1
	quick.StartRetries = 3
	slow := newProc(t, "slow", "sleep")
	slow.StartSecs = 3
	f := &fakeRunner{life: map[string]time.Duration{"quick": 100 * time.Millisecond}}
	bubble(t, testConfig(t, groupOf(quick), groupOf(slow)), f, func(s *Supervisor, evs func() []string) {
		time.Sleep(time.Minute)
		synctest.Wait()
		expectLines(t, "quick", filterEvents(evs(), "PROCESS_STATE_"), // startsecs=1 timer, backoff 1, 2, 3 s
			"0s PROCESS_STATE_STARTING quick",
			"0s PROCESS_STATE_STARTING slow",
			"100ms PROCESS_STATE_BACKOFF quick",
			"1.1s PROCESS_STATE_STARTING quick",
			"1.2s PROCESS_STATE_BACKOFF quick",
			"3s PROCESS_STATE_RUNNING slow",
			"3.2s PROCESS_STATE_STARTING quick",
			"3.3s PROCESS_STATE_BACKOFF quick",
			"6.3s PROCESS_STATE_STARTING quick",
			"6.4s PROCESS_STATE_BACKOFF quick",
			"6.4s PROCESS_STATE_FATAL quick")
	})
}

func TestFakeStopWaitRepeatsSIGKILL(t *testing.T) {
	p := newProc(t, "stuck", "sleep")
	p.StopWaitSecs = 10
	p.KillAsGroup = true
	f := &fakeRunner{ignore: map[string][]syscall.Signal{"stuck": {syscall.SIGTERM, syscall.SIGKILL}}}
	bubble(t, testConfig(t, groupOf(p)), f, func(s *Supervisor, evs func() []string) {
		synctest.Wait()
		go s.StopProcess(context.Background(), "stuck", false)
		time.Sleep(25 * time.Second)
		synctest.Wait()
		f.mu.Lock()
		expectLines(t, "runner", f.log, "0s spawn stuck", "0s signal stuck SIGTERM", "10s signal stuck SIGKILL",
			"20s signal stuck SIGKILL")
		f.ignore = nil // the next SIGKILL works
		f.mu.Unlock()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		expectLines(t, "states", filterEvents(evs(), "PROCESS_STATE_"), "0s PROCESS_STATE_STARTING stuck",
			"0s PROCESS_STATE_RUNNING stuck", "0s PROCESS_STATE_STOPPING stuck", "30s PROCESS_STATE_STOPPED stuck")
	})
}

func TestFakeShutdownOrderAndReports(t *testing.T) {
	a := newProc(t, "a", "sleep")
	b := newProc(t, "b", "sleep")
	gb := groupOf(b)
	gb.Priority = 2000
	f := &fakeRunner{ignore: map[string][]syscall.Signal{"b": {syscall.SIGTERM}}}
	b.StopWaitSecs = 7
	var log *recorder
	bubble(t, testConfig(t, groupOf(a), gb), f, func(s *Supervisor, evs func() []string) {
		log = s.log.Handler().(*recorder)
		synctest.Wait()
		s.Shutdown(false)
		time.Sleep(8 * time.Second)
		synctest.Wait()
		// b (priority 2000) is stopped first; a only once b is gone.
		expectLines(t, "runner", f.log, "0s spawn a", "0s spawn b", "0s signal b SIGTERM", "7s signal b SIGKILL",
			"7s signal a SIGTERM")
	})
	var reports []string
	for _, l := range log.lines() {
		if strings.Contains(l, "to die") {
			reports = append(reports, l)
		}
	}
	expectLines(t, "reports", reports, "INFO waiting for a, b to die", "INFO waiting for a, b to die",
		"INFO waiting for a, b to die")
}

func TestFakeTicks(t *testing.T) {
	f := &fakeRunner{}
	bubble(t, testConfig(t), f, func(s *Supervisor, evs func() []string) {
		time.Sleep(61 * time.Second)
		synctest.Wait()
		ticks := filterEvents(evs(), "TICK")
		if len(ticks) != 13 || ticks[0] != "5s TICK_5" || ticks[11] != "1m0s TICK_5" || ticks[12] != "1m0s TICK_60" {
			t.Errorf("ticks %v", ticks)
		}
	})
}

func TestFakeSpawnErrorBackoff(t *testing.T) {
	p := newProc(t, "bad", "sleep")
	p.StartRetries = 1
	f := &fakeRunner{fail: map[string]string{"bad": "couldn't exec /x: EACCES"}}
	bubble(t, testConfig(t, groupOf(p)), f, func(s *Supervisor, evs func() []string) {
		time.Sleep(5 * time.Second)
		synctest.Wait()
		expectLines(t, "states", filterEvents(evs(), "PROCESS_STATE_"), "0s PROCESS_STATE_STARTING bad",
			"0s PROCESS_STATE_BACKOFF bad", "1s PROCESS_STATE_STARTING bad", "1s PROCESS_STATE_BACKOFF bad",
			"1s PROCESS_STATE_FATAL bad")
		info, err := s.ProcessInfo(context.Background(), "bad")
		if err != nil || info.Description() != "couldn't exec /x: EACCES" {
			t.Errorf("info %+v %v", info, err)
		}
	})
}
