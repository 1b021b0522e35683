package schedule

import "time"

// A wallMatcher finds the wall-clock times a schedule names, on the civil
// calendar: times are carried as UTC values standing for local wall-clock
// readings, whole seconds.
type wallMatcher interface {
	// nextWall returns the first matching wall time at or after w, or
	// false if there is none within the bounded search.
	nextWall(w time.Time) (time.Time, bool)
}

// wallSchedule turns a wallMatcher into instants in a time zone, with the
// DST rules of this package (see doc.go):
//
//   - elapsed (fixed == false): a wall time fires at every instant whose
//     reading it is; times in a spring-forward gap never happen, times in a
//     repeated hour happen twice.
//   - fixed: a wall time fires once: at its first occurrence if repeated,
//     at the instant of the jump if it falls in a gap.
type wallSchedule struct {
	m     wallMatcher
	fixed bool
	loc   *time.Location
	spec  string
	desc  string
}

func (s *wallSchedule) Spec() string     { return s.spec }
func (s *wallSchedule) Describe() string { return s.desc }
func (s *wallSchedule) Fixed() bool      { return s.fixed }

// civil is the wall-clock reading of instant t at UTC offset off, whole
// seconds (the sub-second part dropped).
func civil(t time.Time, off int) time.Time {
	return time.Unix(t.Unix()+int64(off), 0).UTC()
}

// instant is the inverse of civil.
func (s *wallSchedule) instant(w time.Time, off int) time.Time {
	return time.Unix(w.Unix()-int64(off), 0).In(s.loc)
}

// Next walks the zone periods (spans of constant UTC offset, from
// time.Time.ZoneBounds) from t on, looking in each for the first matching
// wall time that the period shows.
func (s *wallSchedule) Next(t time.Time) time.Time {
	lt := t.In(s.loc)
	start, end := lt.ZoneBounds()
	_, off := lt.Zone()
	from := civil(t, off).Add(time.Second) // the first whole second after t
	horizon := from.AddDate(searchYears+1, 0, 0)
	// hw: for fixed schedules, the wall times before hw were shown by an
	// earlier zone period (the first copy of a repeated hour).
	var hw time.Time
	if s.fixed && !start.IsZero() {
		_, prev := start.Add(-time.Second).In(s.loc).Zone()
		if prev > off {
			hw = civil(start, prev)
		}
	}
	var cached time.Time // a match already found at or after from
	for {
		if s.fixed && from.Before(hw) {
			from = hw
		}
		w := cached
		if w.IsZero() {
			var ok bool
			if w, ok = s.m.nextWall(from); !ok {
				return time.Time{}
			}
		}
		cached = time.Time{}
		if w.After(horizon) {
			return time.Time{}
		}
		if end.IsZero() {
			return s.instant(w, off)
		}
		endWall := civil(end, off)
		if w.Before(endWall) {
			return s.instant(w, off)
		}
		// w is past this period: go on to the next one.
		_, off2 := end.In(s.loc).Zone()
		start2 := civil(end, off2)
		if s.fixed {
			if off2 > off && w.Before(start2) {
				// w falls in the spring-forward gap: fire right after the jump.
				return end.In(s.loc)
			}
			hw = endWall
		}
		if s.fixed || off2 >= off {
			if !w.Before(start2) {
				cached = w // still the first match in the next period
			}
		}
		from, off = start2, off2
		_, end = end.In(s.loc).ZoneBounds()
	}
}
