package schedule

import (
	"testing"
	"time"
)

// runner is a fake jobs runner: it wakes at the times it is given and
// asks Due what to run, keeping last with Advance, as pkg/jobs does.
type runner struct {
	s    Schedule
	last time.Time
	runs []time.Time // the fire times run
	woke []time.Time // when each ran
}

func (r *runner) wake(now time.Time) {
	for _, f := range Due(r.s, r.last, now) {
		r.runs = append(r.runs, f)
		r.woke = append(r.woke, now)
	}
	r.last = Advance(r.s, r.last, now)
}

// TestRunnerAcrossDST: a runner that wakes every minute (on the real
// clock, no steps) across both transitions runs a fixed-time job once a
// day, at the time Next promises, and an hourly job once per real hour.
func TestRunnerAcrossDST(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"America/New_York", "Europe/Brussels"} {
		loc := zone(t, name)
		for _, tr := range transitions(t, loc, 2026) {
			// Four local days around the transition.
			y, m, d := tr.In(loc).AddDate(0, 0, -2).Date()
			start := time.Date(y, m, d, 0, 0, 0, 0, loc)
			end := start.AddDate(0, 0, 4)
			month := tr.In(loc).Format("Jan 2")
			daily := &runner{s: mustParse(t, "times", "02:30", loc), last: start}
			early := &runner{s: mustParse(t, "schedule", "30 1 * * *", loc), last: start}
			hourly := &runner{s: mustParse(t, "schedule", "@hourly", loc), last: start}
			for now := start; now.Before(end); now = now.Add(time.Minute) {
				daily.wake(now)
				early.wake(now)
				hourly.wake(now)
			}
			days := 4
			for _, r := range []*runner{daily, early} {
				if len(r.runs) != days {
					t.Errorf("%s %s %q: %d runs, want %d", name, month, r.s.Spec(), len(r.runs), days)
				}
				for i, f := range r.runs {
					if !f.Equal(r.woke[i]) {
						t.Errorf("%s %q: fire %v ran at %v", name, r.s.Spec(), f, r.woke[i])
					}
				}
			}
			if hours := int(end.Sub(start) / time.Hour); len(hourly.runs) != hours-1 { // not at start itself
				t.Errorf("%s %s hourly: %d runs, want %d", name, month, len(hourly.runs), hours-1)
			}
		}
	}
}

// TestRunnerClockSteps: a runner waking every minute whose wall clock is
// stepped forward by minutes, back by minutes and forward by hours.
func TestRunnerClockSteps(t *testing.T) {
	t.Parallel()
	loc := zone(t, "Europe/Brussels")
	wall := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	fixed := &runner{s: mustParse(t, "times", "08:00,08:05,11:55,14:00,17:00,18:00", loc)}
	every := &runner{s: mustParse(t, "schedule", "* * * * *", loc)}
	fixed.last, every.last = wall("2026-06-01 07:00"), wall("2026-06-01 07:00")

	// The wall-clock readings at each wake, one real minute apart.
	var wakes []time.Time
	add := func(from, to string) {
		for w := wall(from); !w.After(wall(to)); w = w.Add(time.Minute) {
			wakes = append(wakes, w)
		}
	}
	add("2026-06-01 07:01", "2026-06-01 07:55")
	add("2026-06-01 08:07", "2026-06-01 12:00") // +11 min: 08:00 and 08:05 caught up
	add("2026-06-01 11:50", "2026-06-01 13:00") // -11 min: 11:55 not repeated
	add("2026-06-01 18:00", "2026-06-01 18:10") // +5 h: a correction, 14:00 and 17:00 dropped, 18:00 on time
	for _, w := range wakes {
		fixed.wake(w)
		every.wake(w)
	}
	got := fmtTimes(fixed.runs, "15:04")
	if want := "08:00, 08:05, 11:55, 18:00"; got != want {
		t.Errorf("fixed runs: %s, want %s", got, want)
	}
	if got := fmtTimes(fixed.woke[:2], "15:04"); got != "08:07, 08:07" {
		t.Errorf("caught-up runs ran at %s, want 08:07, 08:07", got)
	}
	// The elapsed job runs once per wake-up: every real minute, once
	// after each step forward; with fake times (no monotonic reading) the
	// wake-up that sees the step back runs nothing, the next ones run.
	if len(every.runs) != len(wakes)-1 {
		t.Errorf("every-minute job: %d runs over %d wake-ups, want %d", len(every.runs), len(wakes), len(wakes)-1)
	}
	for i, f := range every.runs {
		if !f.Equal(every.woke[i]) {
			t.Errorf("every-minute job: fire %v ran at %v", f, every.woke[i])
		}
	}
}
