package schedule

import "time"

// CatchupLimit is the largest wall-clock step whose jumped-over fixed-time
// runs are caught up (cronie's 3 hours); a larger step is a clock
// correction.
const CatchupLimit = 3 * time.Hour

// OnTime is how late a fire time may be and still run after a clock
// correction (cronie runs the jobs of the current minute).
const OnTime = time.Minute

// MaxCatchup bounds the fire times one Due call returns.
const MaxCatchup = 100

// hasMono reports whether t carries a monotonic clock reading (it comes
// from time.Now in this process).
func hasMono(t time.Time) bool { return t != t.Round(0) }

// Step returns the wall-clock step between two evaluations: how much more
// the wall clock moved than real time did. When both times come from
// time.Now (they carry monotonic readings) it is (now-last on the wall
// clock) - (now-last on the monotonic clock), so a long sleep is no step,
// and a suspend (the monotonic clock stops) or an NTP step is. Otherwise
// (fake times, times read back from storage) all of now-last counts as a
// step, as in cronie, which wakes every minute.
func Step(last, now time.Time) time.Duration {
	wall := now.Round(0).Sub(last.Round(0))
	if hasMono(last) && hasMono(now) {
		return wall - now.Sub(last)
	}
	return wall
}

// Due decides what a runner that was asleep from `last` (the wall-clock
// time it last evaluated) until `now` must do: the fire times in (last,
// now] that should run now (possibly collapsed to one), following
// cronie's clock-step rule: a forward step of a few minutes (< 3 h, as
// cronie) catches up the fixed-time runs jumped over (each at most once);
// a larger step is a clock correction and catches up nothing; a backward
// step never repeats runs already done. Interval/elapsed schedules never
// run more than once per wake-up.
//
// Precisely:
//   - now <= last on the wall clock (a step back): nothing; except that
//     an elapsed schedule, when last and now carry monotonic readings,
//     runs once if it had a fire time in the real time slept (now minus
//     the monotonic time since last, now].
//   - elapsed schedules (Fixed false): the latest fire time in (last,
//     now], if any: one run, however many were passed.
//   - fixed schedules: every fire time in (last, now] (at most MaxCatchup)
//     when Step(last, now) <= CatchupLimit; after a larger step only
//     those in (now-OnTime, now].
//
// The times compared are wall-clock times; last and now may carry
// monotonic readings (see Step). After each call the runner passes
// Advance(s, last, now) as the next last.
func Due(s Schedule, last, now time.Time) []time.Time {
	lw, nw := last.Round(0), now.Round(0)
	if !nw.After(lw) {
		if !s.Fixed() && hasMono(last) && hasMono(now) {
			// After a step back, an elapsed schedule runs on in real
			// time: the fire times of the real time slept.
			if real := now.Sub(last); real > 0 {
				if f := latest(s, nw.Add(-real), nw); !f.IsZero() {
					return []time.Time{f}
				}
			}
		}
		return nil
	}
	if !s.Fixed() {
		if f := latest(s, lw, nw); !f.IsZero() {
			return []time.Time{f}
		}
		return nil
	}
	lo := lw
	if Step(last, now) > CatchupLimit {
		if t := nw.Add(-OnTime); t.After(lo) {
			lo = t
		}
	}
	var fires []time.Time
	for f := s.Next(lo); !f.IsZero() && !f.After(nw) && len(fires) < MaxCatchup; f = s.Next(f) {
		fires = append(fires, f)
	}
	return fires
}

// latest returns the last fire time in (lo, hi], or the zero Time.
func latest(s Schedule, lo, hi time.Time) time.Time {
	if e, ok := s.(*every); ok {
		f := e.Next(hi).Add(-e.d)
		if f.After(lo) {
			return f
		}
		return time.Time{}
	}
	// Look back from hi in growing windows, so a long sleep does not walk
	// every fire time since lo.
	for win := time.Second; ; win *= 32 {
		from := hi.Add(-win)
		if win > 100*365*24*time.Hour || !from.After(lo) {
			from = lo
		}
		f := s.Next(from)
		if !f.IsZero() && !f.After(hi) {
			for {
				n := s.Next(f)
				if n.IsZero() || n.After(hi) {
					return f
				}
				f = n
			}
		}
		if from.Equal(lo) {
			return time.Time{}
		}
	}
}

// Advance returns the time to pass as last to the next Due call, after a
// call Due(s, last, now). It is now, except after a backward step of the
// wall clock for a fixed-time schedule: then last is kept, so that the
// runs already done are not repeated when the clock passes them again;
// unless the step is larger than CatchupLimit (a clock correction: now).
// Elapsed schedules always follow now (they run on in real time).
func Advance(s Schedule, last, now time.Time) time.Time {
	lw, nw := last.Round(0), now.Round(0)
	if !nw.Before(lw) || !s.Fixed() || lw.Sub(nw) > CatchupLimit {
		return now
	}
	return last
}
