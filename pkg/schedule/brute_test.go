package schedule

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// bruteFires walks real time minute by minute and applies the DST rule
// directly: an elapsed schedule fires at every minute whose wall-clock
// reading matches; a fixed one fires when the wall clock first shows a
// matching reading, or, after a jump forward, at the jump if a reading
// it jumped over matches. It returns the fires in (from, to).
func bruteFires(c *cronSpec, loc *time.Location, from, to time.Time) []time.Time {
	match := func(w time.Time) bool {
		return c.second&bit(w.Second()) != 0 && c.minute&bit(w.Minute()) != 0 &&
			c.hour&bit(w.Hour()) != 0 && c.month&bit(int(w.Month())) != 0 && c.dayMatches(w)
	}
	var out []time.Time
	// Six hours of history are enough to have seen a repeated hour.
	start := from.Truncate(time.Minute).Add(-6 * time.Hour)
	var seen time.Time // the latest wall reading shown so far
	for i := start; i.Before(to); i = i.Add(time.Minute) {
		_, off := i.In(loc).Zone()
		w := civil(i, off)
		fire := false
		if c.wild {
			fire = match(w)
		} else if seen.IsZero() || w.After(seen) {
			fire = match(w)
			if !seen.IsZero() {
				for g := seen.Add(time.Minute); g.Before(w) && !fire; g = g.Add(time.Minute) {
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
		for i := 0; i < 60; i++ {
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
				want := bruteFires(c, loc, from, to)
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
