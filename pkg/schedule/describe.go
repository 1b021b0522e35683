package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// zoneSuffix names the zone when it is not superd's local one.
func zoneSuffix(loc *time.Location) string {
	if loc == nil || loc == time.Local {
		return ""
	}
	return " (" + loc.String() + ")"
}

// and joins words as "a, b and c".
func and(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

func (ts *timesSpec) describe(loc *time.Location) string {
	var w []string
	for _, s := range ts.secs {
		w = append(w, clock(s))
	}
	return "every day at " + and(w) + zoneSuffix(loc)
}

var dayNames = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
var monthNames = []string{"", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// named rewrites the numbers of a field as names (not the steps): 1-5 as
// Mon-Fri.
func named(f string, names []string) string {
	var b strings.Builder
	tok := ""
	afterSlash := false
	flush := func() {
		if n, err := strconv.Atoi(tok); err == nil && !afterSlash && n >= 0 && n < len(names) && names[n] != "" {
			tok = names[n]
		} else if len(tok) == 3 {
			tok = strings.ToUpper(tok[:1]) + strings.ToLower(tok[1:])
		}
		b.WriteString(tok)
		tok = ""
	}
	for _, r := range f {
		switch r {
		case ',', '-', '/':
			flush()
			afterSlash = r == '/'
			b.WriteRune(r)
		default:
			tok += string(r)
		}
	}
	flush()
	return b.String()
}

// plainList returns the values of a field made only of numbers and
// commas, or nil.
func plainList(f string) []int {
	var out []int
	for _, p := range strings.Split(f, ",") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil
		}
		out = append(out, n)
	}
	return out
}

// everyStep returns N for "*/N".
func everyStep(f string) (int, bool) {
	s, ok := strings.CutPrefix(f, "*/")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func (c *cronSpec) describe(loc *time.Location) string {
	z := zoneSuffix(loc)
	switch c.descriptor {
	case "@yearly", "@annually":
		return "every year on Jan 1 at 00:00" + z
	case "@monthly":
		return "on day 1 of every month at 00:00" + z
	case "@weekly":
		return "every Sun at 00:00" + z
	case "@daily", "@midnight":
		return "every day at 00:00" + z
	case "@hourly":
		return "at minute 0 of every hour" + z
	}
	sec, f := "0", c.fields
	if len(f) == 6 {
		sec, f = f[0], f[1:]
	}
	min, hour, dom, mon, dow := f[0], f[1], f[2], f[3], f[4]

	// The days.
	var day string
	domR, dowR := dom != "*", dow != "*"
	switch {
	case !domR && !dowR:
	case domR && !dowR:
		day = "on day " + dom + " of the month"
	case !domR && dowR:
		day = "on " + named(dow, dayNames)
	case c.domStar || c.dowStar:
		day = "on day " + dom + " of the month if it is a " + named(dow, dayNames)
	default:
		day = "on day " + dom + " of the month or on " + named(dow, dayNames)
	}
	var month string
	if mon != "*" {
		month = " in " + named(mon, monthNames)
	}

	// The times of day.
	secs, mins, hours := plainList(sec), plainList(min), plainList(hour)
	if secs != nil && mins != nil && hours != nil && len(secs)*len(mins)*len(hours) <= 12 {
		var at []string
		for _, h := range hours {
			for _, m := range mins {
				for _, s := range secs {
					if len(c.fields) == 6 {
						at = append(at, fmt.Sprintf("%02d:%02d:%02d", h, m, s))
					} else {
						at = append(at, fmt.Sprintf("%02d:%02d", h, m))
					}
				}
			}
		}
		if day == "" {
			day = "every day"
		}
		return day + " at " + and(at) + month + z
	}
	var when string
	switch {
	case len(c.fields) == 6 && sec == "*" && min == "*" && hour == "*":
		when = "every second"
	case len(c.fields) == 6 && min == "*" && hour == "*":
		if n, ok := everyStep(sec); ok {
			when = plural(n, "second")
		} else {
			when = "at second " + sec + " of every minute"
		}
	default:
		switch {
		case min == "*" && hour == "*":
			when = "every minute"
		case hour == "*":
			if n, ok := everyStep(min); ok {
				when = plural(n, "minute")
			} else {
				when = "at minute " + min + " of every hour"
			}
		case min == "*":
			when = "every minute of hour " + hour
		default:
			of := "hour " + hour
			if n, ok := everyStep(hour); ok {
				of = plural(n, "hour")
			}
			if n, ok := everyStep(min); ok {
				when = plural(n, "minute") + " of " + of
			} else {
				when = "at minute " + min + " of " + of
			}
		}
		if len(c.fields) == 6 && sec != "0" {
			when = "at second " + sec + " of " + strings.TrimPrefix(when, "at ")
		}
	}
	if day != "" {
		when += " " + day
	}
	return when + month + z
}

// plural is "every minute" for 1, "every 5 minutes" otherwise.
func plural(n int, unit string) string {
	if n == 1 {
		return "every " + unit
	}
	return fmt.Sprintf("every %d %ss", n, unit)
}
