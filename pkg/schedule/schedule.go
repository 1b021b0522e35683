package schedule

import (
	"fmt"
	"strings"
	"time"
)

// Schedule is a parsed schedule in one time zone.
type Schedule interface {
	// Next returns the first fire time strictly after t (in the
	// schedule's zone rules), or the zero Time if there is none.
	Next(t time.Time) time.Time
	// Spec returns the canonical text as accepted by ParseSpec, e.g.
	// "interval 10", "times 08:00,20:00:00", "schedule */5 * * * *".
	Spec() string
	// Describe is the schedule in words: "every 10 seconds", "every day
	// at 20:00:00 and 08:30:15 (Europe/Brussels)", "at minute
	// 5,15,25,35,45,55 of every hour", "every 1h30m0s".
	Describe() string
	// Fixed reports whether it is a fixed-time (wall clock) schedule
	// (times=, cron with a fixed minute and hour) as opposed to an
	// elapsed-time one (interval, @every, cron whose minute or hour field
	// starts with '*', @hourly): used for DST and clock-step rules.
	Fixed() bool
}

// Kinds are the three schedule forms, as the option names of [job:x].
const (
	KindInterval = "interval"
	KindTimes    = "times"
	KindSchedule = "schedule"
)

// Forms says what the accepted forms are, for error messages.
const Forms = `"interval N" (seconds, or MM:SS or HH:MM:SS), "times HH:MM[:SS],..." (every day at these times) or "schedule CRON" (5 fields, or 6 with seconds first; @hourly, @daily, @weekly, @monthly, @yearly, @every 1h30m)`

// Parse parses one form: kind is "interval" (N seconds, MM:SS or
// HH:MM:SS), "times" (comma list of HH:MM or HH:MM:SS, spaces allowed), or
// "schedule" (cron: 5 fields, or 6 with seconds first; names JAN-DEC
// SUN-SAT; ranges, steps, lists; day-of-month/day-of-week OR semantics as
// in cron when both restricted; @yearly @annually @monthly @weekly @daily
// @midnight @hourly, @every <Go duration>). loc nil means time.Local.
//
// A cron expression that can never fire (0 0 30 2 *) is an error.
func Parse(kind, text string, loc *time.Location) (Schedule, error) {
	if loc == nil {
		loc = time.Local
	}
	text = strings.TrimSpace(text)
	switch kind {
	case KindInterval:
		d, err := parseInterval(text)
		if err != nil {
			return nil, err
		}
		return &every{d: d, anchor: time.Unix(0, 0), loc: loc, spec: "interval " + text}, nil
	case KindTimes:
		ts, err := parseTimes(text)
		if err != nil {
			return nil, err
		}
		return &wallSchedule{m: ts, fixed: true, loc: loc,
			spec: "times " + strings.Join(ts.written, ","),
			desc: ts.describe(loc)}, nil
	case KindSchedule:
		if rest, ok := cutWord(text, "@every"); ok {
			d, err := parseEvery(rest)
			if err != nil {
				return nil, err
			}
			return &every{d: d, anchor: time.Unix(0, 0), loc: loc, spec: "schedule @every " + rest, every: true}, nil
		}
		c, err := parseCron(text)
		if err != nil {
			return nil, err
		}
		if !c.canFire() {
			return nil, fmt.Errorf("cron expression %q never fires (no such day)", text)
		}
		return c.schedule(loc), nil
	}
	return nil, fmt.Errorf("unknown schedule kind %q (want %s)", kind, Forms)
}

// schedule makes the zone-aware Schedule of a parsed cron expression.
func (c *cronSpec) schedule(loc *time.Location) *wallSchedule {
	spec := "schedule " + strings.Join(c.fields, " ")
	if c.descriptor != "" {
		spec = "schedule " + c.descriptor
	}
	return &wallSchedule{m: c, fixed: !c.wild, loc: loc, spec: spec, desc: c.describe(loc)}
}

// canFire reports whether the day fields name a day that exists: every
// combination of month, day and weekday occurs in 2000-2027, and 10 years
// from the start of each search find it.
func (c *cronSpec) canFire() bool {
	_, ok := c.nextWall(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	if !ok {
		_, ok = c.nextWall(time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC))
	}
	if !ok {
		_, ok = c.nextWall(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	}
	return ok
}

// cutWord returns the rest of s after the word w (case-insensitive)
// followed by a space or the end.
func cutWord(s, w string) (string, bool) {
	if len(s) < len(w) || !strings.EqualFold(s[:len(w)], w) {
		return "", false
	}
	rest := s[len(w):]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// ParseSpec parses "interval 05:00", "times 08:00,20:00", "schedule */5 *
// * * *" (the superd.setJobSchedule / superctl form).
func ParseSpec(spec string, loc *time.Location) (Schedule, error) {
	spec = strings.TrimSpace(spec)
	kind, text := spec, ""
	if i := strings.IndexAny(spec, " \t"); i >= 0 {
		kind, text = spec[:i], spec[i+1:]
	}
	switch kind {
	case KindInterval, KindTimes, KindSchedule:
	default:
		return nil, fmt.Errorf("invalid schedule %q: want %s", spec, Forms)
	}
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("invalid schedule %q: %s needs a value: want %s", spec, kind, Forms)
	}
	return Parse(kind, text, loc)
}

// NextN returns the next n fire times after t (for `superctl jobs next`).
// It stops early when the schedule has no more.
func NextN(s Schedule, t time.Time, n int) []time.Time {
	var out []time.Time
	for i := 0; i < n; i++ {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

// WithAnchor returns s with its fire times anchored at anchor, for the
// elapsed-time forms interval and @every: they fire at anchor + k*interval
// (k any integer). By default the anchor is the Unix epoch, so an
// interval that divides a day fires on round UTC times (every 10 seconds
// at :00, :10, :20, ...). Other schedules are returned unchanged.
func WithAnchor(s Schedule, anchor time.Time) Schedule {
	e, ok := s.(*every)
	if !ok {
		return s
	}
	c := *e
	c.anchor = anchor
	return &c
}
