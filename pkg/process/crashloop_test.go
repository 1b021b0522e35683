package process

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
)

// TestCrashLoopPaced: a program that exits at once with autorestart and
// startsecs=0 never leaves RUNNING too quickly to count as a failed
// start, so supervisord restarts it forever; its loop does so on its
// next pass, which waits up to a second in poll(), so a crash loop runs
// at about one start a second (3-4 on a busy daemon). superd restarts
// when the exit is reaped: without pacing such a loop forked hundreds
// of times a second and filled the main log. An automatic restart of a
// process an automatic restart started now comes at the earliest a
// second after that start, and the state meanwhile is EXITED, as in
// supervisord; the first automatic restart is immediate.
func TestCrashLoopPaced(t *testing.T) {
	t.Parallel()
	pc := newProc(t, "loop", "exit", "3")
	pc.Autorestart = config.AutorestartTrue
	var mu sync.Mutex
	var starts []time.Time
	h := start(t, testConfig(t, groupOf(pc)), func(o *Options) {
		next := o.observe
		o.observe = func(e events.Event) {
			if e.Type == events.ProcessStateStarting && e.Process == "loop" {
				mu.Lock()
				starts = append(starts, time.Now())
				mu.Unlock()
			}
			next(e)
		}
	})
	// STARTING RUNNING EXITED three times, then a fourth start.
	h.expectStates("loop", "STARTING", "RUNNING", "EXITED", "STARTING", "RUNNING", "EXITED",
		"STARTING", "RUNNING", "EXITED", "STARTING")
	mu.Lock()
	got := slices.Clone(starts)
	mu.Unlock()
	// The first automatic restart is immediate (as on a busy
	// supervisord: a program killed soon after a manual start comes
	// back at once); from the second on they are paced.
	for i := 2; i < len(got); i++ {
		// The timer never fires early; the margin covers the observer
		// running a little after the loop read its clock.
		if d := got[i].Sub(got[i-1]); d < 950*time.Millisecond {
			t.Errorf("start %d came %v after the previous one, want >= 1s\n%s", i+1, d, h.dump())
		}
	}
	// A start request during the wait starts it at once.
	h.waitState("loop", Exited)
	if err := h.s.StartProcess(h.ctx(), "loop", false); err != nil {
		t.Fatalf("StartProcess during the paced wait: %v", err)
	}
	if e := h.waitState("loop", Starting); e.FromState != "EXITED" {
		t.Errorf("started from %s, want EXITED", e.FromState)
	}
	// A stop request while it waits: NOT_RUNNING, as supervisord
	// answers, and the restart is dropped. After that manual start the
	// first restart is immediate again; the wait is after the second.
	h.expectStates("loop", "RUNNING", "EXITED", "STARTING", "RUNNING", "EXITED")
	kindErr(t, h.s.StopProcess(h.ctx(), "loop", true), KindNotRunning, "loop")
	stopped := time.Now()
	infos, err := h.s.AllProcessInfo(h.ctx())
	if err != nil {
		t.Fatal(err)
	}
	if infos[0].State != Exited {
		t.Fatalf("state %v after the stop request", infos[0].State)
	}
	// Past the second the restart would have waited (a timer never
	// fires early), the process is still EXITED.
	time.Sleep(time.Until(stopped.Add(1200 * time.Millisecond))) // waiting for a restart that must not come
	if infos, _ := h.s.AllProcessInfo(h.ctx()); infos[0].State != Exited {
		t.Errorf("state %v: the stopped crash loop restarted", infos[0].State)
	}
}
