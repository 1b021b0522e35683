package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseInterval parses the interval= form: N seconds, MM:SS or HH:MM:SS.
func parseInterval(text string) (time.Duration, error) {
	bad := func() (time.Duration, error) {
		return 0, fmt.Errorf("invalid interval %q (want a number of seconds > 0, MM:SS or HH:MM:SS)", text)
	}
	f := strings.Split(text, ":")
	if len(f) > 3 {
		return bad()
	}
	total := 0
	for i, s := range f {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || s[0] == '+' {
			return bad()
		}
		if i > 0 && (n > 59 || len(s) != 2) {
			return bad()
		}
		if total > (1<<31)/60 {
			return bad()
		}
		total = total*60 + n
	}
	if total <= 0 || total > 1<<31 {
		return bad()
	}
	return time.Duration(total) * time.Second, nil
}

// parseEvery parses the duration of "@every DURATION": a Go duration of
// whole seconds, at least one second.
func parseEvery(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid @every duration %q (want a Go duration such as 90s, 5m or 1h30m)", s)
	}
	if d < time.Second || d%time.Second != 0 {
		return 0, fmt.Errorf("invalid @every duration %q (want whole seconds, at least 1s)", s)
	}
	return d, nil
}

// every is the elapsed-time schedule of interval= and @every: fire times
// are anchor + k*d.
type every struct {
	d      time.Duration
	anchor time.Time
	loc    *time.Location
	spec   string
	every  bool // written as @every (Describe uses the Go duration form)
}

func (e *every) Next(t time.Time) time.Time {
	// In whole seconds, so that no time.Duration saturates far from the
	// anchor: k = floor((t - anchor) / d), next = anchor + (k+1)*d.
	d := int64(e.d / time.Second)
	sec := t.Unix() - e.anchor.Unix()
	if t.Nanosecond() < e.anchor.Nanosecond() {
		sec--
	}
	k := sec / d
	if sec%d < 0 {
		k--
	}
	n := time.Unix(e.anchor.Unix()+(k+1)*d, int64(e.anchor.Nanosecond()))
	if !n.After(t) { // only on int64 overflow, far outside any calendar
		return time.Time{}
	}
	return n.In(e.loc)
}

func (e *every) Spec() string { return e.spec }
func (e *every) Fixed() bool  { return false }

func (e *every) Describe() string {
	s := int64(e.d / time.Second)
	unit := func(n int64, one, many string) string {
		if n == 1 {
			return "every " + one
		}
		return fmt.Sprintf("every %d %s", n, many)
	}
	switch {
	case e.every && s%60 != 0:
		return "every " + e.d.String()
	case s < 60:
		return unit(s, "second", "seconds")
	case s%3600 == 0:
		return unit(s/3600, "hour", "hours")
	case s%60 == 0 && s < 3600:
		return unit(s/60, "minute", "minutes")
	default:
		return "every " + e.d.String()
	}
}
