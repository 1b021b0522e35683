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
