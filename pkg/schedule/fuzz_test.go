package schedule

import (
	"testing"
	"time"
)

var fuzzZones = []string{"UTC", "America/New_York", "Europe/Brussels", "Australia/Sydney", "Australia/Lord_Howe", "America/Sao_Paulo"}

// FuzzParse: Parse never panics; for what it accepts, Next is strictly
// after t and monotonic (a later t never gives an earlier next fire), the
// canonical Spec parses back to the same schedule, and Due returns fire
// times in (last, now].
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"10", "05:00", "01:30:00", "08:00,20:00:00", "20:00, 08:30:15",
		"*/5 * * * *", "5,15,25,35,45,55 * * * *", "0 0 29 2 *", "0 0 30 2 *",
		"*/10 * * * * *", "0 0 1,15 * MON", "0 0 */10 * 1", "30 2 * * *",
		"@hourly", "@daily", "@every 1h30m", "@every 0s", "0-59/7 1-23/5 * JAN-DEC/3 SUN-SAT/2",
	} {
		for k := byte(0); k < 3; k++ {
			f.Add(k, s, int64(1774000000), uint32(3600), byte(1))
		}
	}
	kinds := []string{KindInterval, KindTimes, KindSchedule}
	f.Fuzz(func(t *testing.T, k byte, text string, unix int64, delta uint32, z byte) {
		loc, err := time.LoadLocation(fuzzZones[int(z)%len(fuzzZones)])
		if err != nil {
			t.Fatal(err)
		}
		kind := kinds[int(k)%len(kinds)]
		s, err := Parse(kind, text, loc)
		if err != nil {
			if s != nil {
				t.Fatalf("Parse(%q, %q) returned a schedule and the error %v", kind, text, err)
			}
			return
		}
		// Times from 1970 to about 2200.
		const span = 230 * 365 * 24 * 3600
		sec := unix % span
		if sec < 0 {
			sec += span
		}
		t0 := time.Unix(sec, int64(delta%1000)*1e6)
		t1 := t0.Add(time.Duration(delta) * time.Second)
		n0 := s.Next(t0)
		if n0.IsZero() {
			return // possible only far beyond a rare date; Parse checked it fires at all
		}
		if !n0.After(t0) {
			t.Fatalf("%s %q: Next(%v) = %v, not after", kind, text, t0, n0)
		}
		if n := s.Next(n0); !n.IsZero() && !n.After(n0) {
			t.Fatalf("%s %q: Next(%v) = %v, not after", kind, text, n0, n)
		}
		if n1 := s.Next(t1); !n1.IsZero() && n1.Before(n0) {
			t.Fatalf("%s %q: Next(%v) = %v before Next(%v) = %v", kind, text, t1, n1, t0, n0)
		}
		s2, err := ParseSpec(s.Spec(), loc)
		if err != nil {
			t.Fatalf("%s %q: ParseSpec(%q): %v", kind, text, s.Spec(), err)
		}
		if s2.Spec() != s.Spec() || s2.Fixed() != s.Fixed() || !s2.Next(t0).Equal(n0) {
			t.Fatalf("%s %q: ParseSpec(%q) differs", kind, text, s.Spec())
		}
		if s.Describe() == "" {
			t.Fatalf("%s %q: empty Describe", kind, text)
		}
		for _, d := range Due(s, t0, t1) {
			if !d.After(t0) || d.After(t1) {
				t.Fatalf("%s %q: Due(%v, %v) returned %v", kind, text, t0, t1, d)
			}
		}
	})
}
