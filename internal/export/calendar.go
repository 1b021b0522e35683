package export

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/superd/superd/pkg/config"
)

// This file translates a job's schedule into systemd OnCalendar=
// expressions and cron lines. A cron expression is expanded into the
// set of values of each field and written back in the target's syntax,
// so steps, ranges, names and lists need no rewriting rules of their
// own; pkg/schedule has already validated the text.

// cronSpec is a cron expression expanded field by field.
type cronSpec struct {
	sec, min, hour, dom, mon, dow []int
	// domStar/dowStar: the day field starts with '*' (cronie's rule:
	// when neither does, a day matches if either matches).
	domStar, dowStar bool
}

var cronDescriptors = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

var (
	monthNames = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}
	dowNames = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
)

// parseCron expands a 5- or 6-field cron expression or an @descriptor
// (not @every).
func parseCron(text string) (*cronSpec, error) {
	text = strings.TrimSpace(text)
	if d, ok := cronDescriptors[strings.ToLower(text)]; ok {
		text = d
	}
	f := strings.Fields(text)
	if len(f) == 5 {
		f = append([]string{"0"}, f...)
	}
	if len(f) != 6 {
		return nil, fmt.Errorf("%q: not 5 or 6 cron fields", text)
	}
	c := &cronSpec{domStar: strings.HasPrefix(f[3], "*"), dowStar: strings.HasPrefix(f[5], "*")}
	var err error
	for _, x := range []struct {
		dst      *[]int
		s        string
		min, max int
		names    map[string]int
	}{
		{&c.sec, f[0], 0, 59, nil}, {&c.min, f[1], 0, 59, nil}, {&c.hour, f[2], 0, 23, nil},
		{&c.dom, f[3], 1, 31, nil}, {&c.mon, f[4], 1, 12, monthNames}, {&c.dow, f[5], 0, 7, dowNames},
	} {
		if *x.dst, err = cronField(x.s, x.min, x.max, x.names); err != nil {
			return nil, err
		}
	}
	// 7 is Sunday too
	set := map[int]bool{}
	for _, d := range c.dow {
		set[d%7] = true
	}
	c.dow = c.dow[:0]
	for d := 0; d < 7; d++ {
		if set[d] {
			c.dow = append(c.dow, d)
		}
	}
	return c, nil
}

func cronField(s string, min, max int, names map[string]int) ([]int, error) {
	num := func(v string) (int, error) {
		if n, ok := names[strings.ToLower(v)]; ok {
			return n, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			return 0, fmt.Errorf("%q: not a value from %d to %d", v, min, max)
		}
		return n, nil
	}
	set := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%q: bad step", part)
			}
			step = n
		}
		lo, hi := min, max
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = num(a); err != nil {
				return nil, err
			}
			if hi, err = num(b); err != nil {
				return nil, err
			}
		default:
			n, err := num(rng)
			if err != nil {
				return nil, err
			}
			lo, hi = n, n
			if hasStep {
				hi = max // N/S is N-max/S
			}
		}
		for v := lo; v <= hi; v += step {
			set[v] = true
		}
	}
	out := make([]int, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Ints(out)
	return out, nil
}

// systemdList writes a set of values in OnCalendar= syntax: "*" for
// all of [min,max], else a list with a..b ranges.
func systemdList(vs []int, min, max int, name func(int) string) string {
	if len(vs) == max-min+1 {
		return "*"
	}
	if name == nil {
		name = func(v int) string { return fmt.Sprintf("%02d", v) }
		// a step up to the end of the field: start/step
		if n := len(vs); n >= 3 {
			step := vs[1] - vs[0]
			ok := step > 1 && vs[n-1]+step > max
			for i := 2; i < n && ok; i++ {
				ok = vs[i]-vs[i-1] == step
			}
			if ok {
				return fmt.Sprintf("%s/%d", name(vs[0]), step)
			}
		}
	}
	var parts []string
	for i := 0; i < len(vs); {
		j := i
		for j+1 < len(vs) && vs[j+1] == vs[j]+1 {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, name(vs[i])+".."+name(vs[j]))
		case j == i+1:
			parts = append(parts, name(vs[i]), name(vs[j]))
		default:
			parts = append(parts, name(vs[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

var systemdDays = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// onCalendar writes a cron expression as OnCalendar= values (two when
// both day fields are restricted: cron ORs them, systemd ANDs a
// weekday and a date, and ORs separate OnCalendar= lines).
func (c *cronSpec) onCalendar(zone string) []string {
	clock := systemdList(c.hour, 0, 23, nil) + ":" + systemdList(c.min, 0, 59, nil) + ":" + systemdList(c.sec, 0, 59, nil)
	mon := systemdList(c.mon, 1, 12, nil)
	dow := ""
	if len(c.dow) < 7 {
		// Monday first, as systemd writes weeks
		var vs []int
		for _, d := range c.dow {
			vs = append(vs, (d+6)%7)
		}
		sort.Ints(vs)
		dow = systemdList(vs, 0, 6, func(v int) string { return systemdDays[(v+1)%7] }) + " "
	}
	suffix := ""
	if zone != "" {
		suffix = " " + zone
	}
	dom := systemdList(c.dom, 1, 31, nil)
	if !c.domStar && !c.dowStar {
		return []string{
			"*-" + mon + "-" + dom + " " + clock + suffix,
			dow + "*-" + mon + "-* " + clock + suffix,
		}
	}
	// a starred field (* or */N) makes both fields apply, as systemd
	// applies a weekday and a date: a restricted starred weekday (*/2)
	// stays (dow is "" when every day is allowed)
	return []string{dow + "*-" + mon + "-" + dom + " " + clock + suffix}
}

// intervalCalendar writes an interval (superd anchors intervals at the
// Unix epoch) as an exact OnCalendar= in UTC when it divides a minute,
// an hour or a day; ok is false otherwise.
func intervalCalendar(d time.Duration) (string, bool) {
	s := int(d / time.Second)
	if time.Duration(s)*time.Second != d || s <= 0 {
		return "", false
	}
	switch {
	case s < 60 && 60%s == 0:
		return fmt.Sprintf("*-*-* *:*:00/%d UTC", s), true
	case s%60 == 0 && s < 3600 && 3600%s == 0:
		return fmt.Sprintf("*-*-* *:00/%d:00 UTC", s/60), true
	case s%3600 == 0 && s <= 86400 && 86400%s == 0:
		return fmt.Sprintf("*-*-* 00/%d:00:00 UTC", s/3600), true
	}
	return "", false
}

// jobInterval returns the period of an interval= or @every job.
func jobInterval(j *config.Job) (time.Duration, bool) {
	switch {
	case j.ScheduleKind == "interval":
		return parseClockInterval(j.ScheduleText)
	case j.ScheduleKind == "schedule" && strings.HasPrefix(strings.TrimSpace(j.ScheduleText), "@every"):
		d, err := time.ParseDuration(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(j.ScheduleText), "@every")))
		return d, err == nil
	}
	return 0, false
}

// parseClockInterval reads interval= (N, MM:SS or HH:MM:SS).
func parseClockInterval(s string) (time.Duration, bool) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	total := 0
	for _, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 {
			return 0, false
		}
		total = total*60 + n
	}
	return time.Duration(total) * time.Second, len(parts) <= 3
}

// jobTimes returns the times of a times= job as [h, m, s].
func jobTimes(j *config.Job) ([][3]int, error) {
	var out [][3]int
	for _, t := range strings.Split(j.ScheduleText, ",") {
		var h, m, s int
		parts := strings.Split(strings.TrimSpace(t), ":")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, fmt.Errorf("%q: not HH:MM[:SS]", t)
		}
		h, _ = strconv.Atoi(parts[0])
		m, _ = strconv.Atoi(parts[1])
		if len(parts) == 3 {
			s, _ = strconv.Atoi(parts[2])
		}
		out = append(out, [3]int{h, m, s})
	}
	return out, nil
}

// jobCalendar returns a job's OnCalendar= values; when there are none,
// why (the job is then run with OnBootSec=/OnUnitActiveSec=).
func jobCalendar(j *config.Job) ([]string, error) {
	zone := j.Timezone
	switch {
	case j.ScheduleKind == "times":
		ts, err := jobTimes(j)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, t := range ts {
			v := fmt.Sprintf("*-*-* %02d:%02d:%02d", t[0], t[1], t[2])
			if zone != "" {
				v += " " + zone
			}
			out = append(out, v)
		}
		return out, nil
	}
	if d, ok := jobInterval(j); ok {
		if v, ok := intervalCalendar(d); ok {
			return []string{v}, nil
		}
		return nil, fmt.Errorf("every %s does not divide a day: systemd repeats it from the last run (OnUnitActiveSec=), superd from the epoch", d)
	}
	c, err := parseCron(j.ScheduleText)
	if err != nil {
		return nil, err
	}
	return c.onCalendar(zone), nil
}

// cronList writes a set of values as a cron field.
func cronList(vs []int, min, max int) string {
	if len(vs) == max-min+1 {
		return "*"
	}
	// cron writes ranges a-b (systemd's a..b is not cron syntax)
	return strings.ReplaceAll(systemdList(vs, min, max, strconv.Itoa), "..", "-")
}

// jobCronLines returns a job's schedules as 5-field cron expressions,
// or why cron cannot express it.
func jobCronLines(j *config.Job) ([]string, error) {
	switch {
	case j.ScheduleKind == "times":
		ts, err := jobTimes(j)
		if err != nil {
			return nil, err
		}
		byMinute := map[int][]int{}
		var minutes []int
		for _, t := range ts {
			if t[2] != 0 {
				return nil, fmt.Errorf("times=%s: cron has no seconds", j.ScheduleText)
			}
			m := t[1]
			if _, ok := byMinute[m]; !ok {
				minutes = append(minutes, m)
			}
			byMinute[m] = append(byMinute[m], t[0])
		}
		var out []string
		for _, m := range minutes {
			hs := byMinute[m]
			sort.Ints(hs)
			out = append(out, fmt.Sprintf("%d %s * * *", m, joinInts(hs)))
		}
		return out, nil
	}
	if d, ok := jobInterval(j); ok {
		s := int(d / time.Second)
		if s%60 == 0 && s < 3600 && 3600%s == 0 {
			return []string{fmt.Sprintf("*/%d * * * *", s/60)}, nil
		}
		if s == 3600 {
			return []string{"0 * * * *"}, nil
		}
		return nil, fmt.Errorf("every %s: cron runs at most once a minute, at whole minutes dividing an hour", d)
	}
	text := strings.TrimSpace(j.ScheduleText)
	if _, ok := cronDescriptors[strings.ToLower(text)]; ok {
		return []string{strings.ToLower(text)}, nil
	}
	f := strings.Fields(text)
	if len(f) == 6 {
		c, err := parseCron(text)
		if err != nil {
			return nil, err
		}
		if len(c.sec) != 1 || c.sec[0] != 0 {
			return nil, fmt.Errorf("schedule=%s: cron has no seconds", text)
		}
		f = f[1:]
	}
	return []string{strings.Join(f, " ")}, nil
}
