package schedule

import (
	"strings"
	"testing"
	"time"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at parses "2006-01-02 15:04:05 -0700".
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04:05 -0700", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustParse(t testing.TB, kind, text string, loc *time.Location) Schedule {
	t.Helper()
	s, err := Parse(kind, text, loc)
	if err != nil {
		t.Fatalf("Parse(%q, %q): %v", kind, text, err)
	}
	return s
}

// fmtTimes prints times as "15:04:05 -0700" joined by ", " (with the date
// when asked), for compact expectations.
func fmtTimes(ts []time.Time, layout string) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Format(layout))
	}
	return strings.Join(out, ", ")
}

func TestForms(t *testing.T) {
	t.Parallel()
	bru := zone(t, "Europe/Brussels")
	tests := []struct {
		kind, text string
		loc        *time.Location
		spec, desc string
		fixed      bool
	}{
		{"interval", "10", nil, "interval 10", "every 10 seconds", false},
		{"interval", "1", nil, "interval 1", "every second", false},
		{"interval", "05:00", nil, "interval 05:00", "every 5 minutes", false},
		{"interval", "01:30:00", nil, "interval 01:30:00", "every 1h30m0s", false},
		{"interval", "02:00:00", nil, "interval 02:00:00", "every 2 hours", false},
		{"interval", " 90 ", nil, "interval 90", "every 1m30s", false},
		{"times", "20:00, 08:30:15", bru, "times 20:00,08:30:15", "every day at 20:00:00 and 08:30:15 (Europe/Brussels)", true},
		{"times", "08:00,20:00:00", nil, "times 08:00,20:00:00", "every day at 08:00:00 and 20:00:00", true},
		{"times", "8:00", time.UTC, "times 8:00", "every day at 08:00:00 (UTC)", true},
		{"schedule", "5,15,25,35,45,55 * * * *", nil, "schedule 5,15,25,35,45,55 * * * *", "at minute 5,15,25,35,45,55 of every hour", false},
		{"schedule", "*/5  *  * * *", nil, "schedule */5 * * * *", "every 5 minutes", false},
		{"schedule", "*/1 * * * *", nil, "schedule */1 * * * *", "every minute", false},
		{"schedule", "* * * * *", nil, "schedule * * * * *", "every minute", false},
		{"schedule", "30 2 * * *", nil, "schedule 30 2 * * *", "every day at 02:30", true},
		{"schedule", "0 8,20 * * 1-5", nil, "schedule 0 8,20 * * 1-5", "on Mon-Fri at 08:00 and 20:00", true},
		{"schedule", "0 0 1,15 * MON", nil, "schedule 0 0 1,15 * MON", "on day 1,15 of the month or on Mon at 00:00", true},
		{"schedule", "0 0 */10 * 1", nil, "schedule 0 0 */10 * 1", "on day */10 of the month if it is a Mon at 00:00", true},
		{"schedule", "0 12 * jan,JUL *", nil, "schedule 0 12 * jan,JUL *", "every day at 12:00 in Jan,Jul", true},
		{"schedule", "*/10 * * * * *", nil, "schedule */10 * * * * *", "every 10 seconds", false},
		{"schedule", "15 30 4 * * *", nil, "schedule 15 30 4 * * *", "every day at 04:30:15", true},
		{"schedule", "0 */2 * * *", nil, "schedule 0 */2 * * *", "at minute 0 of every 2 hours", false},
		{"schedule", "*/10 9-17 * * 1-5", nil, "schedule */10 9-17 * * 1-5", "every 10 minutes of hour 9-17 on Mon-Fri", false},
		{"schedule", "0 9-17 * * *", nil, "schedule 0 9-17 * * *", "at minute 0 of hour 9-17", true},
		{"schedule", "30 0 4 * * *", nil, "schedule 30 0 4 * * *", "every day at 04:00:30", true},
		{"schedule", "30 */5 * * * *", nil, "schedule 30 */5 * * * *", "at second 30 of every 5 minutes", false},
		{"schedule", "0 0 1 * 0,6", nil, "schedule 0 0 1 * 0,6", "on day 1 of the month or on Sun,Sat at 00:00", true},
		{"schedule", "@hourly", nil, "schedule @hourly", "at minute 0 of every hour", false},
		{"schedule", "@DAILY", bru, "schedule @daily", "every day at 00:00 (Europe/Brussels)", true},
		{"schedule", "@midnight", nil, "schedule @midnight", "every day at 00:00", true},
		{"schedule", "@weekly", nil, "schedule @weekly", "every Sun at 00:00", true},
		{"schedule", "@monthly", nil, "schedule @monthly", "on day 1 of every month at 00:00", true},
		{"schedule", "@yearly", nil, "schedule @yearly", "every year on Jan 1 at 00:00", true},
		{"schedule", "@annually", nil, "schedule @annually", "every year on Jan 1 at 00:00", true},
		{"schedule", "@every 1h30m", nil, "schedule @every 1h30m", "every 1h30m0s", false},
		{"schedule", "@every 10s", nil, "schedule @every 10s", "every 10s", false},
		{"schedule", "@every 2m", nil, "schedule @every 2m", "every 2 minutes", false},
	}
	for _, tt := range tests {
		s, err := Parse(tt.kind, tt.text, tt.loc)
		if err != nil {
			t.Errorf("Parse(%q, %q): %v", tt.kind, tt.text, err)
			continue
		}
		if got := s.Spec(); got != tt.spec {
			t.Errorf("Parse(%q, %q).Spec() = %q, want %q", tt.kind, tt.text, got, tt.spec)
		}
		if got := s.Describe(); got != tt.desc {
			t.Errorf("Parse(%q, %q).Describe() = %q, want %q", tt.kind, tt.text, got, tt.desc)
		}
		if got := s.Fixed(); got != tt.fixed {
			t.Errorf("Parse(%q, %q).Fixed() = %v, want %v", tt.kind, tt.text, got, tt.fixed)
		}
		// The canonical spec parses back to the same schedule.
		s2, err := ParseSpec(s.Spec(), tt.loc)
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", s.Spec(), err)
			continue
		}
		if s2.Spec() != s.Spec() || s2.Describe() != s.Describe() {
			t.Errorf("ParseSpec(%q) = %q %q", s.Spec(), s2.Spec(), s2.Describe())
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ kind, text, want string }{
		{"interval", "0", `invalid interval "0"`},
		{"interval", "-5", `invalid interval "-5"`},
		{"interval", "ten", `invalid interval "ten" (want a number of seconds > 0, MM:SS or HH:MM:SS)`},
		{"interval", "05:60", `invalid interval "05:60"`},
		{"interval", "1:2:3:4", `invalid interval "1:2:3:4"`},
		{"interval", "", `invalid interval ""`},
		{"times", "25:00", `invalid time "25:00" in times`},
		{"times", "08:00,", `invalid time "" in times`},
		{"times", "08:61", `invalid time "08:61" in times`},
		{"times", "8", `invalid time "8" in times`},
		{"times", "08:00:00:00", `invalid time "08:00:00:00" in times`},
		{"schedule", "61 * * * *", `invalid cron field "61" in minute (0-59): 61 is out of range`},
		{"schedule", "* 24 * * *", `invalid cron field "24" in hour (0-23)`},
		{"schedule", "* * 0 * *", `invalid cron field "0" in day-of-month (1-31)`},
		{"schedule", "* * * 13 *", `invalid cron field "13" in month (1-12)`},
		{"schedule", "* * * * 8", `invalid cron field "8" in day-of-week (0-7)`},
		{"schedule", "* * * FOO *", `invalid cron field "FOO" in month (1-12): "FOO" is not a number or a name`},
		{"schedule", "*/0 * * * *", `invalid cron field "*/0" in minute (0-59): step "0" is not a positive integer`},
		{"schedule", "5-1 * * * *", `invalid cron field "5-1" in minute (0-59): range 5-1 goes backwards`},
		{"schedule", "1,,2 * * * *", `invalid cron field "" in minute (0-59): empty list element`},
		{"schedule", "* * * *", `has 4 fields, want 5`},
		{"schedule", "* * * * * * *", `has 7 fields`},
		{"schedule", "60 * * * * *", `invalid cron field "60" in second (0-59)`},
		{"schedule", "@reboot", `invalid cron descriptor "@reboot"`},
		{"schedule", "@every 1", `invalid @every duration "1"`},
		{"schedule", "@every 500ms", `invalid @every duration "500ms" (want whole seconds, at least 1s)`},
		{"schedule", "0 0 30 2 *", `cron expression "0 0 30 2 *" never fires`},
		{"schedule", "0 0 31 4,6,9,11 *", `never fires`},
		{"schedule", "0 0 L * *", `invalid cron field "L" in day-of-month`},
		{"schedule", "", `has 0 fields`},
		{"cron", "* * * * *", `unknown schedule kind "cron"`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.kind, tt.text, nil)
		if err == nil {
			t.Errorf("Parse(%q, %q) succeeded, want error %q", tt.kind, tt.text, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q, %q) = %q, want it to contain %q", tt.kind, tt.text, err, tt.want)
		}
	}
	for _, spec := range []string{"\tschedule\t*/5 * * * * ", "interval\t05:00", "  times 08:00 , 20:00"} {
		if _, err := ParseSpec(spec, nil); err != nil {
			t.Errorf("ParseSpec(%q): %v", spec, err)
		}
	}
	for _, spec := range []string{"", "interval", "every 10", "cron * * * * *", "times  ", "Interval 10"} {
		if _, err := ParseSpec(spec, nil); err == nil || !strings.Contains(err.Error(), "want") {
			t.Errorf("ParseSpec(%q) = %v, want an error saying the forms", spec, err)
		}
	}
}

func TestNextBasic(t *testing.T) {
	t.Parallel()
	utc := time.UTC
	const layout = "2006-01-02 15:04:05"
	tests := []struct {
		kind, text, from string
		n                int
		want             string
	}{
		{"schedule", "*/5 * * * *", "2026-01-01 10:02:30 +0000", 3, "2026-01-01 10:05:00, 2026-01-01 10:10:00, 2026-01-01 10:15:00"},
		{"schedule", "*/5 * * * *", "2026-01-01 10:05:00 +0000", 1, "2026-01-01 10:10:00"}, // strictly after
		{"schedule", "0 9 * * MON-FRI", "2026-01-02 09:00:00 +0000", 3, "2026-01-05 09:00:00, 2026-01-06 09:00:00, 2026-01-07 09:00:00"},
		{"schedule", "0 0 * * 7", "2026-01-01 00:00:00 +0000", 2, "2026-01-04 00:00:00, 2026-01-11 00:00:00"},
		{"schedule", "0 0 * * 0", "2026-01-01 00:00:00 +0000", 1, "2026-01-04 00:00:00"},
		{"schedule", "0 0 * * 5-7", "2026-01-01 00:00:00 +0000", 3, "2026-01-02 00:00:00, 2026-01-03 00:00:00, 2026-01-04 00:00:00"},
		{"schedule", "0 0 * * */2", "2026-01-04 00:00:00 +0000", 4, "2026-01-06 00:00:00, 2026-01-08 00:00:00, 2026-01-10 00:00:00, 2026-01-11 00:00:00"},
		{"schedule", "10-20/5 1 * * *", "2026-01-01 00:00:00 +0000", 4, "2026-01-01 01:10:00, 2026-01-01 01:15:00, 2026-01-01 01:20:00, 2026-01-02 01:10:00"},
		{"schedule", "50/5 1 * * *", "2026-01-01 00:00:00 +0000", 3, "2026-01-01 01:50:00, 2026-01-01 01:55:00, 2026-01-02 01:50:00"},
		{"schedule", "*/20 * * * * *", "2026-01-01 00:00:05 +0000", 3, "2026-01-01 00:00:20, 2026-01-01 00:00:40, 2026-01-01 00:01:00"},
		{"schedule", "15 30 4 * * *", "2026-01-01 04:30:15 +0000", 1, "2026-01-02 04:30:15"},
		{"schedule", "59/9223372036854775807 * * * *", "2026-01-01 00:00:00 +0000", 2, "2026-01-01 00:59:00, 2026-01-01 01:59:00"},
		{"schedule", "*/90 0 * * *", "2026-01-01 00:00:00 +0000", 2, "2026-01-02 00:00:00, 2026-01-03 00:00:00"},
		{"schedule", "0 0 1 jan-mar/2 *", "2026-01-01 00:00:00 +0000", 3, "2026-03-01 00:00:00, 2027-01-01 00:00:00, 2027-03-01 00:00:00"},
		// Month ends: the 31st only in 31-day months.
		{"schedule", "0 0 31 * *", "2026-01-01 00:00:00 +0000", 7, "2026-01-31 00:00:00, 2026-03-31 00:00:00, 2026-05-31 00:00:00, 2026-07-31 00:00:00, 2026-08-31 00:00:00, 2026-10-31 00:00:00, 2026-12-31 00:00:00"},
		{"schedule", "0 0 30 * *", "2026-01-31 00:00:00 +0000", 2, "2026-03-30 00:00:00, 2026-04-30 00:00:00"},
		// Feb 29: leap years only, and 2100 is not one.
		{"schedule", "0 0 29 2 *", "2026-01-01 00:00:00 +0000", 3, "2028-02-29 00:00:00, 2032-02-29 00:00:00, 2036-02-29 00:00:00"},
		{"schedule", "0 0 29 2 *", "2096-03-01 00:00:00 +0000", 1, "2104-02-29 00:00:00"},
		// Day-of-month and day-of-week both restricted: OR.
		{"schedule", "0 0 13 * FRI", "2026-02-01 00:00:00 +0000", 4, "2026-02-06 00:00:00, 2026-02-13 00:00:00, 2026-02-20 00:00:00, 2026-02-27 00:00:00"},
		{"schedule", "0 0 1,15 * 3", "2026-04-01 00:00:00 +0000", 4, "2026-04-08 00:00:00, 2026-04-15 00:00:00, 2026-04-22 00:00:00, 2026-04-29 00:00:00"},
		// One starts with '*': AND (cronie's DOM_STAR), even for */10.
		{"schedule", "0 0 */10 * 1", "2026-01-01 00:00:00 +0000", 3, "2026-05-11 00:00:00, 2026-06-01 00:00:00, 2026-08-31 00:00:00"},
		{"schedule", "0 0 1 * *", "2026-01-31 00:00:00 +0000", 1, "2026-02-01 00:00:00"},
		{"schedule", "@yearly", "2026-06-01 00:00:00 +0000", 1, "2027-01-01 00:00:00"},
		{"schedule", "@weekly", "2026-01-01 00:00:00 +0000", 1, "2026-01-04 00:00:00"},
		{"times", "20:00, 08:30:15", "2026-01-01 12:00:00 +0000", 3, "2026-01-01 20:00:00, 2026-01-02 08:30:15, 2026-01-02 20:00:00"},
		{"times", "00:00", "2026-12-31 00:00:00 +0000", 1, "2027-01-01 00:00:00"},
		// interval and @every: anchored at the Unix epoch.
		{"interval", "10", "2026-01-01 12:00:03 +0000", 3, "2026-01-01 12:00:10, 2026-01-01 12:00:20, 2026-01-01 12:00:30"},
		{"interval", "10", "2026-01-01 12:00:10 +0000", 1, "2026-01-01 12:00:20"},
		{"interval", "05:00", "2026-01-01 12:01:00 +0000", 1, "2026-01-01 12:05:00"},
		{"schedule", "@every 1h30m", "2026-01-01 00:10:00 +0000", 2, "2026-01-01 01:30:00, 2026-01-01 03:00:00"},
	}
	for _, tt := range tests {
		s := mustParse(t, tt.kind, tt.text, utc)
		got := fmtTimes(NextN(s, at(t, tt.from), tt.n), layout)
		if got != tt.want {
			t.Errorf("%s %q from %s:\n got %s\nwant %s", tt.kind, tt.text, tt.from, got, tt.want)
		}
	}
}

func TestNextSubSecond(t *testing.T) {
	t.Parallel()
	s := mustParse(t, "schedule", "* * * * * *", time.UTC)
	from := at(t, "2026-01-01 00:00:00 +0000").Add(500 * time.Millisecond)
	if got, want := s.Next(from), at(t, "2026-01-01 00:00:01 +0000"); !got.Equal(want) {
		t.Errorf("Next(%v) = %v, want %v", from, got, want)
	}
	i := mustParse(t, "interval", "2", time.UTC)
	if got, want := i.Next(from), at(t, "2026-01-01 00:00:02 +0000"); !got.Equal(want) {
		t.Errorf("interval Next(%v) = %v, want %v", from, got, want)
	}
}

// TestImpossible: a cron that never fires is refused by Parse; built
// without that check, Next gives up with the zero Time after a bounded
// search instead of looping.
func TestImpossible(t *testing.T) {
	t.Parallel()
	for _, text := range []string{"0 0 30 2 *", "0 0 31 2,4,6,9,11 *", "* * 31 11 *"} {
		c, err := parseCron(text)
		if err != nil {
			t.Fatal(err)
		}
		s := c.schedule(time.UTC)
		start := time.Now()
		if got := s.Next(at(t, "2026-01-01 00:00:00 +0000")); !got.IsZero() {
			t.Errorf("%q: Next = %v, want the zero Time", text, got)
		}
		if n := NextN(s, time.Time{}, 3); len(n) != 0 {
			t.Errorf("%q: NextN = %v, want none", text, n)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%q: Next took %v", text, d)
		}
	}
}

func TestWithAnchor(t *testing.T) {
	t.Parallel()
	s := mustParse(t, "interval", "10", time.UTC)
	a := WithAnchor(s, at(t, "2026-01-01 00:00:03 +0000"))
	if got, want := a.Next(at(t, "2026-01-01 12:00:00 +0000")), at(t, "2026-01-01 12:00:03 +0000"); !got.Equal(want) {
		t.Errorf("anchored Next = %v, want %v", got, want)
	}
	// Before the anchor too.
	if got, want := a.Next(at(t, "2025-12-31 23:59:50 +0000")), at(t, "2025-12-31 23:59:53 +0000"); !got.Equal(want) {
		t.Errorf("anchored Next before anchor = %v, want %v", got, want)
	}
	if !s.Next(at(t, "2026-01-01 12:00:00 +0000")).Equal(at(t, "2026-01-01 12:00:10 +0000")) {
		t.Error("WithAnchor changed the original")
	}
	c := mustParse(t, "schedule", "@daily", time.UTC)
	if WithAnchor(c, time.Now()) != c {
		t.Error("WithAnchor changed a cron schedule")
	}
}

// TestExtremeTimes: far-away times neither hang nor panic.
func TestExtremeTimes(t *testing.T) {
	t.Parallel()
	ny := zone(t, "America/New_York")
	times := []time.Time{{}, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1900, 1, 1, 0, 0, 0, 0, ny),
		time.Date(9999, 12, 31, 23, 59, 59, 0, ny), time.Unix(1<<40, 0)}
	for _, spec := range []string{"schedule 0 0 29 2 *", "schedule */5 * * * *", "schedule 30 2 * * *", "times 02:30", "interval 10", "schedule @every 1h"} {
		s, err := ParseSpec(spec, ny)
		if err != nil {
			t.Fatal(err)
		}
		for _, from := range times {
			if n := s.Next(from); !n.IsZero() && !n.After(from) {
				t.Errorf("%s: Next(%v) = %v", spec, from, n)
			}
			Due(s, from, from.Add(time.Hour))
			Due(s, from.Add(time.Hour), from)
		}
	}
}
