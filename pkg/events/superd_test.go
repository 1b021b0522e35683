package events

import (
	"testing"
	"time"
)

func TestSuperdTypes(t *testing.T) {
	t.Parallel()
	if !SuperdJobFinished.Is(SuperdJob) || !SuperdJobFinished.Is(Everything) || SuperdJobFinished.Is(ProcessState) {
		t.Errorf("hierarchy")
	}
	if !SuperdJobStarted.Superd() || ProcessStateRunning.Superd() {
		t.Errorf("Superd()")
	}
	if _, ok := ParseType("superd_job"); ok {
		t.Errorf("ParseType accepts a superd type (supervisord listeners cannot subscribe to it)")
	}
	bus := NewBus()
	defer bus.Close()
	all := bus.Subscribe()
	jobs := bus.Subscribe(SuperdJob)
	bus.Publish(Event{Type: ProcessGroupAdded, Group: "g"})
	bus.Publish(Event{Type: SuperdJobFinished, Job: "j", Result: "ok"})
	want := func(s *Subscription, types ...Type) {
		t.Helper()
		for _, ty := range types {
			select {
			case e := <-s.C():
				if e.Type != ty {
					t.Errorf("got %s, want %s", e.Type, ty)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("no %s", ty)
			}
		}
	}
	want(all, ProcessGroupAdded, SuperdJobFinished)
	want(jobs, SuperdJobFinished)
	if p := (Event{Type: SuperdJobFinished, Job: "j", Trigger: "manual", PID: 5, Result: "ok"}).Payload(); p != "jobname:j trigger:manual pid:5 result:ok exitstatus:0" {
		t.Errorf("payload %q", p)
	}
}

// A pool subscribed to EVENT gets supervisord's events but never
// superd's own (SUPERD_JOB_*): its listeners speak supervisord's
// protocol, which has no such types; no serial is used for them.
func TestPoolNeverGetsSuperdEvents(t *testing.T) {
	f := newFixture(t, listenerGroup("lp", 1, 10, "EVENT"))
	f.start("lp", "lp", 100)
	f.out("lp", "lp", 100, "READY\n")
	for range 3 { // GROUP_ADDED, STARTING, RUNNING
		f.read("lp")
		f.out("lp", "lp", 100, "RESULT 2\nOKREADY\n")
	}
	f.bus.Publish(Event{Type: SuperdJobStarted, Job: "j", PID: 5, Trigger: "schedule"})
	f.bus.Publish(Event{Type: SuperdJobFinished, Job: "j", PID: 5, Result: "ok"})
	f.bus.Publish(Event{Type: Tick5, When: 1700000005})
	e := f.read("lp")
	if e.header["eventname"] != "TICK_5" || e.header["serial"] != "3" {
		t.Errorf("after superd events: %s", e)
	}
}
