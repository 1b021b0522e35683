package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A cron field: its name for errors, its bounds and the names it takes.
type field struct {
	name     string
	min, max int
	names    map[string]int
}

var (
	secondField = field{name: "second", min: 0, max: 59}
	minuteField = field{name: "minute", min: 0, max: 59}
	hourField   = field{name: "hour", min: 0, max: 23}
	domField    = field{name: "day-of-month", min: 1, max: 31}
	monthField  = field{name: "month", min: 1, max: 12, names: map[string]int{
		"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}}
	// day-of-week takes 0-7, 7 being Sunday again (as cronie).
	dowField = field{name: "day-of-week", min: 0, max: 7, names: map[string]int{
		"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}}
)

// descriptors are the @-forms and the 5-field cron they stand for.
var descriptors = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// cronSpec is a parsed cron expression: one bit per allowed value.
type cronSpec struct {
	second, minute, hour, dom, month, dow uint64
	// domStar/dowStar: the field starts with '*' (cronie's DOM_STAR,
	// DOW_STAR). When neither does, a day matches if either field does.
	domStar, dowStar bool
	// wild: the minute or the hour field starts with '*' (cronie's
	// MIN_STAR|HR_STAR): the schedule follows elapsed time.
	wild bool
	// fields as written (5 or 6), for Describe; descriptor is the @-form
	// used, if any.
	fields     []string
	descriptor string
}

func bit(v int) uint64 { return 1 << uint(v) }

// parseCron parses a cron expression (5 fields, 6 with seconds first, or
// an @-descriptor other than @every). It does not check that the
// expression can ever fire.
func parseCron(text string) (*cronSpec, error) {
	text = strings.TrimSpace(text)
	var desc string
	if strings.HasPrefix(text, "@") {
		d := strings.ToLower(text)
		exp, ok := descriptors[d]
		if !ok {
			return nil, fmt.Errorf("invalid cron descriptor %q (want @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every DURATION)", text)
		}
		desc, text = d, exp
	}
	f := strings.Fields(text)
	if len(f) != 5 && len(f) != 6 {
		return nil, fmt.Errorf("invalid cron expression %q: has %d fields, want 5 (minute hour day-of-month month day-of-week) or 6 (second first)", text, len(f))
	}
	c := &cronSpec{fields: f, descriptor: desc}
	all := f
	if len(f) == 5 {
		c.second = bit(0)
	} else {
		var err error
		if c.second, err = parseField(f[0], secondField); err != nil {
			return nil, err
		}
		f = f[1:]
	}
	var err error
	if c.minute, err = parseField(f[0], minuteField); err != nil {
		return nil, err
	}
	if c.hour, err = parseField(f[1], hourField); err != nil {
		return nil, err
	}
	if c.dom, err = parseField(f[2], domField); err != nil {
		return nil, err
	}
	if c.month, err = parseField(f[3], monthField); err != nil {
		return nil, err
	}
	if c.dow, err = parseField(f[4], dowField); err != nil {
		return nil, err
	}
	if c.dow&bit(7) != 0 { // 7 is Sunday
		c.dow = c.dow&^bit(7) | bit(0)
	}
	c.wild = strings.HasPrefix(f[0], "*") || strings.HasPrefix(f[1], "*")
	c.domStar = strings.HasPrefix(f[2], "*")
	c.dowStar = strings.HasPrefix(f[4], "*")
	c.fields = all
	return c, nil
}

// parseField parses one comma-separated field: *, N, N-M, with /STEP
// after *, N-M or N (N/STEP = N-max/STEP), and names where the field has
// them.
func parseField(s string, fd field) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty cron field in %s", fd.name)
	}
	var bits uint64
	for _, part := range strings.Split(s, ",") {
		b, err := parsePart(part, fd)
		if err != nil {
			return 0, err
		}
		bits |= b
	}
	return bits, nil
}

func parsePart(part string, fd field) (uint64, error) {
	bad := func(what string) error {
		if what == "" {
			return fmt.Errorf("invalid cron field %q in %s (%d-%d)", part, fd.name, fd.min, fd.max)
		}
		return fmt.Errorf("invalid cron field %q in %s (%d-%d): %s", part, fd.name, fd.min, fd.max, what)
	}
	if part == "" {
		return 0, bad("empty list element")
	}
	rng, stepText, hasStep := strings.Cut(part, "/")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepText)
		if err != nil || n <= 0 {
			return 0, bad(fmt.Sprintf("step %q is not a positive integer", stepText))
		}
		step = min(n, fd.max+1) // a larger step names only the start; no overflow
	}
	var lo, hi int
	switch {
	case rng == "*":
		lo, hi = fd.min, fd.max
		if fd.name == dowField.name {
			hi = 6 // * is Sunday-Saturday once, so */2 is Sun, Tue, Thu, Sat
		}
	default:
		a, b, isRange := strings.Cut(rng, "-")
		var err error
		if lo, err = value(a, fd); err != nil {
			return 0, bad(err.Error())
		}
		hi = lo
		if isRange {
			if hi, err = value(b, fd); err != nil {
				return 0, bad(err.Error())
			}
			if hi < lo {
				return 0, bad(fmt.Sprintf("range %d-%d goes backwards", lo, hi))
			}
		} else if hasStep {
			hi = fd.max // N/STEP: from N to the end
			if fd.name == dowField.name {
				hi = 6
			}
		}
	}
	var bits uint64
	for v := lo; v <= hi; v += step {
		bits |= bit(v)
	}
	return bits, nil
}

// value parses a number or a name of the field, within bounds.
func value(s string, fd field) (int, error) {
	if n, ok := fd.names[strings.ToLower(s)]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || s == "" || s[0] == '+' || s[0] == '-' {
		if fd.names != nil {
			return 0, fmt.Errorf("%q is not a number or a name", s)
		}
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n < fd.min || n > fd.max {
		return 0, fmt.Errorf("%d is out of range", n)
	}
	return n, nil
}

// dayMatches applies cronie's day rule: if either day field starts with
// '*' both must match (the starred one matches every day it allows),
// otherwise a day matches when either field does.
func (c *cronSpec) dayMatches(t time.Time) bool {
	dom := c.dom&bit(t.Day()) != 0
	dow := c.dow&bit(int(t.Weekday())) != 0
	if c.domStar || c.dowStar {
		return dom && dow
	}
	return dom || dow
}

// searchYears bounds every search: Feb 29 can be 8 years apart (2096,
// 2104), so 10 years finds anything that can fire at all.
const searchYears = 10

// nextWall returns the first wall-clock time at or after w (a civil time
// carried in UTC, whole seconds) that the expression matches, searching
// at most searchYears ahead.
func (c *cronSpec) nextWall(w time.Time) (time.Time, bool) {
	limit := w.Year() + searchYears
	t := w
wrap:
	if t.Year() > limit {
		return time.Time{}, false
	}
	for c.month&bit(int(t.Month())) == 0 {
		t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		if t.Month() == time.January {
			goto wrap
		}
	}
	for !c.dayMatches(t) {
		t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
		if t.Day() == 1 {
			goto wrap
		}
	}
	for c.hour&bit(t.Hour()) == 0 {
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, time.UTC)
		if t.Hour() == 0 {
			goto wrap
		}
	}
	for c.minute&bit(t.Minute()) == 0 {
		t = t.Truncate(time.Minute).Add(time.Minute)
		if t.Minute() == 0 {
			goto wrap
		}
	}
	for c.second&bit(t.Second()) == 0 {
		t = t.Add(time.Second)
		if t.Second() == 0 {
			goto wrap
		}
	}
	return t, true
}
