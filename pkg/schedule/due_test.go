package schedule

import (
	"testing"
	"time"
)

func TestDue(t *testing.T) {
	t.Parallel()
	const layout = "15:04:05"
	utc := time.UTC
	tests := []struct {
		name, kind, text, last, now, want string
	}{
		{"on time", "times", "08:00", "2026-01-01 07:59:59 +0000", "2026-01-01 08:00:00 +0000", "08:00:00"},
		{"late wake", "times", "08:00", "2026-01-01 07:59:59 +0000", "2026-01-01 08:00:00 +0000", "08:00:00"},
		{"nothing due", "times", "08:00", "2026-01-01 07:00:00 +0000", "2026-01-01 07:59:59 +0000", ""},
		{"last excluded", "times", "08:00", "2026-01-01 08:00:00 +0000", "2026-01-01 08:00:30 +0000", ""},
		// A forward step of minutes catches up the fixed times jumped over, each once.
		{"step 11 min", "times", "08:00,08:05,08:30", "2026-01-01 07:59:00 +0000", "2026-01-01 08:10:00 +0000", "08:00:00, 08:05:00"},
		{"step 2h59m", "schedule", "0 8,9,10 * * *", "2026-01-01 07:30:00 +0000", "2026-01-01 10:29:00 +0000", "08:00:00, 09:00:00, 10:00:00"},
		// A step of hours is a correction: nothing caught up but the current minute.
		{"step 4h", "times", "08:00,09:00,11:00", "2026-01-01 07:00:00 +0000", "2026-01-01 11:00:30 +0000", "11:00:00"},
		{"step 4h late", "times", "08:00,09:00,11:00", "2026-01-01 07:00:00 +0000", "2026-01-01 11:05:00 +0000", ""},
		// Elapsed schedules: at most one per wake-up, the latest.
		{"elapsed step", "schedule", "*/5 * * * *", "2026-01-01 07:59:00 +0000", "2026-01-01 08:22:00 +0000", "08:20:00"},
		{"elapsed big step", "schedule", "*/5 * * * *", "2026-01-01 01:59:00 +0000", "2026-01-01 08:22:00 +0000", "08:20:00"},
		{"elapsed days", "schedule", "0 * * * *", "2025-01-01 01:59:00 +0000", "2026-01-01 08:22:00 +0000", "08:00:00"},
		{"elapsed sparse", "schedule", "0 * 1 * *", "2025-12-01 01:59:00 +0000", "2026-01-03 08:22:00 +0000", "23:00:00"},
		{"interval", "interval", "10", "2026-01-01 12:00:00 +0000", "2026-01-01 12:01:05 +0000", "12:01:00"},
		{"interval none", "interval", "10", "2026-01-01 12:00:00 +0000", "2026-01-01 12:00:09 +0000", ""},
		{"every", "schedule", "@every 1m", "2026-01-01 12:00:00 +0000", "2026-01-01 12:00:59 +0000", ""},
		// Backward: nothing.
		{"backward", "times", "08:00", "2026-01-01 08:10:00 +0000", "2026-01-01 07:50:00 +0000", ""},
		{"backward elapsed", "interval", "10", "2026-01-01 08:10:00 +0000", "2026-01-01 07:50:00 +0000", ""},
		{"same", "interval", "10", "2026-01-01 08:10:00 +0000", "2026-01-01 08:10:00 +0000", ""},
	}
	for _, tt := range tests {
		s := mustParse(t, tt.kind, tt.text, utc)
		got := fmtTimes(Due(s, at(t, tt.last), at(t, tt.now)), layout)
		if got != tt.want {
			t.Errorf("%s: Due(%s %q, %s, %s) = %q, want %q", tt.name, tt.kind, tt.text, tt.last, tt.now, got, tt.want)
		}
	}
}

// TestBackwardStep: after the wall clock goes back, fixed-time runs
// already done are not repeated (Advance keeps last) while elapsed ones
// go on in real time; a step back of more than 3 h is a correction.
func TestBackwardStep(t *testing.T) {
	t.Parallel()
	fixed := mustParse(t, "times", "10:05", time.UTC)
	elapsed := mustParse(t, "schedule", "* * * * *", time.UTC)
	last := at(t, "2026-01-01 10:10:00 +0000")
	now := at(t, "2026-01-01 10:00:00 +0000") // clock stepped back 10 min

	if got := Advance(fixed, last, now); !got.Equal(last) {
		t.Errorf("Advance(fixed) after a step back = %v, want last %v", got, last)
	}
	if got := Advance(elapsed, last, now); !got.Equal(now) {
		t.Errorf("Advance(elapsed) after a step back = %v, want now %v", got, now)
	}
	// The fixed job does not run again at 10:05.
	mark := Advance(fixed, last, now)
	for _, n := range []string{"2026-01-01 10:05:00 +0000", "2026-01-01 10:06:00 +0000", "2026-01-01 10:10:00 +0000"} {
		now := at(t, n)
		if d := Due(fixed, mark, now); len(d) != 0 {
			t.Errorf("Due(fixed, %v, %v) = %v after a step back, want nothing", mark, now, d)
		}
		mark = Advance(fixed, mark, now)
	}
	// The next day it runs again.
	if d := Due(fixed, mark, at(t, "2026-01-02 10:05:00 +0000")); len(d) != 1 {
		t.Errorf("next day: Due = %v, want one run", d)
	}
	// The elapsed job goes on each real minute.
	emark := Advance(elapsed, last, now)
	if d := Due(elapsed, emark, at(t, "2026-01-01 10:01:00 +0000")); len(d) != 1 {
		t.Errorf("elapsed after a step back: Due = %v, want one run", d)
	}
	// A step back of more than CatchupLimit is a correction: runs resume.
	far := at(t, "2026-01-01 06:00:00 +0000")
	if got := Advance(fixed, last, far); !got.Equal(far) {
		t.Errorf("Advance after a 4h10m step back = %v, want now %v", got, far)
	}
}

// TestStepMonotonic: times from time.Now carry monotonic readings, so a
// long sleep is not a clock step and its fixed runs are all due.
func TestStepMonotonic(t *testing.T) {
	t.Parallel()
	last := time.Now()
	now := last.Add(26 * time.Hour) // slept 26 h, wall and monotonic alike
	if s := Step(last, now); s != 0 {
		t.Errorf("Step over a sleep = %v, want 0", s)
	}
	if s := Step(last.Round(0), now.Round(0)); s != 26*time.Hour {
		t.Errorf("Step of fake times = %v, want 26h", s)
	}
	s := mustParse(t, "times", "08:00,20:00", time.UTC)
	// 26 hours hold 2 or 3 of these fire times, depending on the time of day.
	var want []time.Time
	for f := s.Next(last.Round(0)); !f.After(now.Round(0)); f = s.Next(f) {
		want = append(want, f)
	}
	if d := Due(s, last, now); len(d) != len(want) || len(d) < 2 {
		t.Errorf("Due over a 26 h sleep = %v, want all the runs in it: %v", d, want)
	}
	if d := Due(s, last.Round(0), now.Round(0)); len(d) > 1 {
		t.Errorf("Due over a 26 h fake step = %v, want at most the current minute", d)
	}
}
