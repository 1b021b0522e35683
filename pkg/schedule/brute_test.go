package schedule

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// bruteFires walks real time in steps of tick and applies the DST rule
// directly: an elapsed schedule fires at every instant whose wall-clock
// reading matches; a fixed one fires when the wall clock first shows a
// matching reading, or, after a jump forward, at the jump if a reading
// it jumped over matches. It returns the fires in (from, to). tick is a
// minute for schedules that fire on whole minutes, else a second.
func bruteFires(s *wallSchedule, from, to time.Time, tick, history time.Duration) []time.Time {
	match := func(w time.Time) bool {
		n, ok := s.m.nextWall(w)
		return ok && n.Equal(w)
	}
	var out []time.Time
	// history must reach back before the first copy of a repeated hour.
	start := from.Truncate(tick).Add(-history)
	var seen time.Time // the latest wall reading shown so far
	for i := start; i.Before(to); i = i.Add(tick) {
		_, off := i.In(s.loc).Zone()
		w := civil(i, off)
		fire := false
		if !s.fixed {
			fire = match(w)
		} else if seen.IsZero() || w.After(seen) {
			fire = match(w)
			if !seen.IsZero() {
				for g := seen.Add(tick); g.Before(w) && !fire; g = g.Add(tick) {
					fire = match(g) // jumped over
				}
			}
		}
		if seen.IsZero() || w.After(seen) {
			seen = w
		}
		if fire && i.After(from) {
			out = append(out, i)
		}
	}
	return out
}

// TestNextBrute compares Next with bruteFires for random 5-field cron
// expressions over the DST transitions of 2026 in four zones.
func TestNextBrute(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	zones := []string{"America/New_York", "Europe/Brussels", "Australia/Sydney", "Australia/Lord_Howe"}
	for _, name := range zones {
		loc := zone(t, name)
		trans := transitions(t, loc, 2026)
		n := 60
		if raceEnabled || testing.Short() {
			n = 10
		}
		for i := 0; i < n; i++ {
			text := pick("*", "*/15", "0", "30", "0,30", "59", "*/7", "15-45/10") + " " +
				pick("*", "1", "2", "3", "1-3", "*/2", "0", "2,3") + " " +
				pick("*", "*", "*/2", "1-31") + " * " + pick("*", "*", "0-6", "1-5")
			c, err := parseCron(text)
			if err != nil {
				t.Fatal(err)
			}
			s := c.schedule(loc)
			for j, tr := range append(trans, trans...) {
				// From a day and a half before a transition, or from just
				// after it (inside a repeated hour).
				from := tr.Add(-time.Duration(r.IntN(30*60)) * time.Minute)
				if j >= len(trans) {
					from = tr.Add(time.Duration(r.IntN(120*60)) * time.Second)
				}
				to := tr.Add(26 * time.Hour)
				want := bruteFires(s, from, to, time.Minute, 6*time.Hour)
				var got []time.Time
				for f := s.Next(from); f.Before(to); f = s.Next(f) {
					got = append(got, f)
				}
				if !slices.EqualFunc(got, want, time.Time.Equal) {
					t.Errorf("%s %q (fixed %v) from %v:\n got %v\nwant %v", name, text, s.Fixed(), from.In(loc), fmtTimes(got, "01-02 15:04 MST"), fmtTimes(want, "01-02 15:04 MST"))
				}
			}
		}
	}
}

// transitions returns the zone changes of loc in year.
func transitions(t testing.TB, loc *time.Location, year int) []time.Time {
	t.Helper()
	var trans []time.Time
	for t0 := time.Date(year, 1, 1, 0, 0, 0, 0, loc); ; {
		_, end := t0.ZoneBounds()
		if end.IsZero() || end.Year() > year {
			break
		}
		trans = append(trans, end)
		t0 = end
	}
	if len(trans) != 2 {
		t.Fatalf("%s: %d transitions in %d, want 2", loc, len(trans), year)
	}
	return trans
}

// TestNextBruteSeconds compares Next with bruteFires second by second
// for times= and 6-field cron schedules around the DST transitions.
func TestNextBruteSeconds(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	specs := []string{
		"times 02:30:30, 01:59:59, 03:00:00", "times 02:00:00", "times 01:30, 02:45:10",
		"schedule */20 30 2 * * *", "schedule 15 59 1 * * *", "schedule 0,30 * 1 * * *",
		"schedule 10 0 * * * *", "schedule * 0 3 * * *",
	}
	zones := []string{"America/New_York", "Europe/Brussels", "Australia/Sydney", "Australia/Lord_Howe"}
	if raceEnabled || testing.Short() {
		zones = []string{"America/New_York", "Australia/Lord_Howe"}
		specs = []string{specs[0], specs[3], specs[5], specs[6]}
	}
	for _, name := range zones {
		loc := zone(t, name)
		for _, spec := range specs {
			sc, err := ParseSpec(spec, loc)
			if err != nil {
				t.Fatal(err)
			}
			s := sc.(*wallSchedule)
			for _, tr := range transitions(t, loc, 2026) {
				from := tr.Add(-time.Duration(r.IntN(70*60)) * time.Second)
				if r.IntN(2) == 0 {
					from = tr.Add(time.Duration(r.IntN(60*60)) * time.Second)
				}
				to := tr.Add(70 * time.Minute)
				want := bruteFires(s, from, to, time.Second, 150*time.Minute) // from is at most 1 h after tr
				var got []time.Time
				for f := s.Next(from); f.Before(to); f = s.Next(f) {
					got = append(got, f)
				}
				if !slices.EqualFunc(got, want, time.Time.Equal) {
					t.Errorf("%s %q (fixed %v) from %v:\n got %v\nwant %v", name, spec, s.Fixed(), from.In(loc),
						fmtTimes(got, "01-02 15:04:05 MST"), fmtTimes(want, "01-02 15:04:05 MST"))
				}
			}
		}
	}
}
