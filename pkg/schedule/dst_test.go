package schedule

import (
	"testing"
	"time"
)

// TestDST checks the DST contract (doc.go) on both transitions in zones
// of both hemispheres: fixed-time runs in a gap fire once right after the
// jump, in a repeated hour once (the first copy); elapsed schedules follow
// real time.
func TestDST(t *testing.T) {
	t.Parallel()
	const layout = "2006-01-02 15:04:05 MST"
	tests := []struct {
		zone, kind, text string
		from             string // wall time in zone, "2006-01-02 15:04:05 -0700"
		want             string
	}{
		// America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
		{"America/New_York", "schedule", "30 2 * * *", "2026-03-07 12:00:00 -0500",
			"2026-03-08 03:00:00 EDT, 2026-03-09 02:30:00 EDT"},
		{"America/New_York", "times", "02:30", "2026-03-07 12:00:00 -0500",
			"2026-03-08 03:00:00 EDT, 2026-03-09 02:30:00 EDT"},
		{"America/New_York", "schedule", "0,30 2 * * *", "2026-03-08 00:00:00 -0500",
			"2026-03-08 03:00:00 EDT, 2026-03-09 02:00:00 EDT"}, // two gap times: one run
		{"America/New_York", "schedule", "0 2,3 * * *", "2026-03-08 00:00:00 -0500",
			"2026-03-08 03:00:00 EDT, 2026-03-09 02:00:00 EDT"}, // 02:00 (gap) and 03:00: one run
		{"America/New_York", "schedule", "0 2 * * *", "2026-03-08 01:59:59 -0500",
			"2026-03-08 03:00:00 EDT, 2026-03-09 02:00:00 EDT"},
		{"America/New_York", "schedule", "30 * * * *", "2026-03-08 00:45:00 -0500",
			"2026-03-08 01:30:00 EST, 2026-03-08 03:30:00 EDT, 2026-03-08 04:30:00 EDT"}, // hourly: 1 real hour apart
		{"America/New_York", "schedule", "*/15 * * * *", "2026-03-08 01:40:00 -0500",
			"2026-03-08 01:45:00 EST, 2026-03-08 03:00:00 EDT, 2026-03-08 03:15:00 EDT"},
		{"America/New_York", "schedule", "30 1 * * *", "2026-10-31 12:00:00 -0400",
			"2026-11-01 01:30:00 EDT, 2026-11-02 01:30:00 EST"},
		{"America/New_York", "times", "01:30", "2026-10-31 12:00:00 -0400",
			"2026-11-01 01:30:00 EDT, 2026-11-02 01:30:00 EST"},
		{"America/New_York", "schedule", "30 1 * * *", "2026-11-01 01:10:00 -0500", // in the second copy
			"2026-11-02 01:30:00 EST, 2026-11-03 01:30:00 EST"},
		{"America/New_York", "schedule", "30 1 * * *", "2026-11-01 01:40:00 -0400", // after the first run
			"2026-11-02 01:30:00 EST, 2026-11-03 01:30:00 EST"},
		{"America/New_York", "schedule", "30 * * * *", "2026-11-01 00:45:00 -0400",
			"2026-11-01 01:30:00 EDT, 2026-11-01 01:30:00 EST, 2026-11-01 02:30:00 EST"},
		{"America/New_York", "schedule", "@hourly", "2026-11-01 00:30:00 -0400",
			"2026-11-01 01:00:00 EDT, 2026-11-01 01:00:00 EST, 2026-11-01 02:00:00 EST"},
		{"America/New_York", "schedule", "*/15 * * * *", "2026-11-01 01:40:00 -0400",
			"2026-11-01 01:45:00 EDT, 2026-11-01 01:00:00 EST, 2026-11-01 01:15:00 EST"},
		{"America/New_York", "interval", "00:15:00", "2026-11-01 01:40:00 -0400",
			"2026-11-01 01:45:00 EDT, 2026-11-01 01:00:00 EST, 2026-11-01 01:15:00 EST"},
		{"America/New_York", "schedule", "@every 1h", "2026-03-08 00:30:00 -0500",
			"2026-03-08 01:00:00 EST, 2026-03-08 03:00:00 EDT, 2026-03-08 04:00:00 EDT"},
		{"America/New_York", "schedule", "0 0 * * *", "2026-11-01 00:00:00 -0400",
			"2026-11-02 00:00:00 EST, 2026-11-03 00:00:00 EST"},

		// Europe/Brussels: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
		{"Europe/Brussels", "schedule", "30 2 * * *", "2026-03-28 12:00:00 +0100",
			"2026-03-29 03:00:00 CEST, 2026-03-30 02:30:00 CEST"},
		{"Europe/Brussels", "times", "02:15:30, 08:00", "2026-03-29 00:00:00 +0100",
			"2026-03-29 03:00:00 CEST, 2026-03-29 08:00:00 CEST, 2026-03-30 02:15:30 CEST"},
		{"Europe/Brussels", "schedule", "30 2 * * *", "2026-10-24 12:00:00 +0200",
			"2026-10-25 02:30:00 CEST, 2026-10-26 02:30:00 CET"},
		{"Europe/Brussels", "schedule", "30 * * * *", "2026-10-25 01:45:00 +0200",
			"2026-10-25 02:30:00 CEST, 2026-10-25 02:30:00 CET, 2026-10-25 03:30:00 CET"},
		{"Europe/Brussels", "schedule", "*/15 * * * *", "2026-03-29 01:40:00 +0100",
			"2026-03-29 01:45:00 CET, 2026-03-29 03:00:00 CEST, 2026-03-29 03:15:00 CEST"},
		{"Europe/Brussels", "schedule", "0 30 2 * * *", "2026-10-25 02:30:00 +0200", // 6 fields; the first run is done
			"2026-10-26 02:30:00 CET"},
		{"Europe/Brussels", "schedule", "*/20 * * * * *", "2026-10-25 02:59:30 +0200",
			"2026-10-25 02:59:40 CEST, 2026-10-25 02:00:00 CET, 2026-10-25 02:00:20 CET"},

		// Australia/Sydney: 2026-04-05 03:00 AEDT -> 02:00 AEST; 2026-10-04 02:00 AEST -> 03:00 AEDT.
		{"Australia/Sydney", "schedule", "30 2 * * *", "2026-04-04 12:00:00 +1100",
			"2026-04-05 02:30:00 AEDT, 2026-04-06 02:30:00 AEST"},
		{"Australia/Sydney", "schedule", "30 * * * *", "2026-04-05 01:45:00 +1100",
			"2026-04-05 02:30:00 AEDT, 2026-04-05 02:30:00 AEST, 2026-04-05 03:30:00 AEST"},
		{"Australia/Sydney", "schedule", "30 2 * * *", "2026-10-03 12:00:00 +1000",
			"2026-10-04 03:00:00 AEDT, 2026-10-05 02:30:00 AEDT"},

		// Lord Howe moves its clocks by 30 minutes: 2026-10-04 02:00 -> 02:30.
		{"Australia/Lord_Howe", "schedule", "15 2 * * *", "2026-10-03 12:00:00 +1030",
			"2026-10-04 02:30:00 +11, 2026-10-05 02:15:00 +11"},
		// Sao Paulo 2018-11-04 had no midnight (00:00 -> 01:00): @daily runs at 01:00.
		{"America/Sao_Paulo", "schedule", "@daily", "2018-11-03 12:00:00 -0300",
			"2018-11-04 01:00:00 -02, 2018-11-05 00:00:00 -02"},
	}
	for _, tt := range tests {
		loc := zone(t, tt.zone)
		s := mustParse(t, tt.kind, tt.text, loc)
		got := fmtTimes(NextN(s, at(t, tt.from), 3), layout)
		want := tt.want
		if n := len(splitList(want)); n < 3 {
			got = fmtTimes(NextN(s, at(t, tt.from), n), layout)
		}
		if got != want {
			t.Errorf("%s %s %q from %s:\n got %s\nwant %s", tt.zone, tt.kind, tt.text, tt.from, got, want)
		}
	}
}

func splitList(s string) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(s); i++ {
		if s[i] == ',' && s[i+1] == ' ' {
			out = append(out, s[start:i])
			start = i + 2
		}
	}
	return append(out, s[start:])
}

// TestDSTYear sweeps a year of transitions: a daily fixed job runs exactly
// once on every local day, an hourly one exactly once per real hour.
func TestDSTYear(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"America/New_York", "Europe/Brussels", "Australia/Sydney", "Australia/Lord_Howe"} {
		loc := zone(t, name)
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
		to := time.Date(2027, 1, 1, 0, 0, 0, 0, loc)
		for _, text := range []string{"30 2 * * *", "0 2 * * *", "59 1 * * *", "0 3 * * *", "30 0 * * *"} {
			s := mustParse(t, "schedule", text, loc)
			days := map[string]int{}
			var prev time.Time
			for f := s.Next(from); f.Before(to); f = s.Next(f) {
				if !f.After(prev) {
					t.Fatalf("%s %q: %v not after %v", name, text, f, prev)
				}
				prev = f
				days[f.In(loc).Format("2006-01-02")]++
			}
			if len(days) != 365 {
				t.Errorf("%s %q: ran on %d days in 2026, want 365", name, text, len(days))
			}
			for d, n := range days {
				if n != 1 {
					t.Errorf("%s %q: ran %d times on %s", name, text, n, d)
				}
			}
		}
		// Elapsed: one run per real period (Lord Howe's 30-minute shift is
		// a whole number of quarter hours, not of hours).
		periods := map[string]time.Duration{"17 * * * *": time.Hour, "*/15 * * * *": 15 * time.Minute}
		if name == "Australia/Lord_Howe" {
			delete(periods, "17 * * * *")
		}
		for text, p := range periods {
			s := mustParse(t, "schedule", text, loc)
			// Over five days around each transition.
			for _, tr := range transitions(t, loc, 2026) {
				from, to := tr.Add(-48*time.Hour).Truncate(time.Hour), tr.Add(72*time.Hour).Truncate(time.Hour)
				n := 0
				prev := from
				for f := s.Next(from.Add(-time.Second)); f.Before(to); f = s.Next(f) {
					if d := f.Sub(prev); d != p && n > 0 {
						t.Errorf("%s %q: %v after the previous run at %v, want %v", name, text, d, f, p)
					}
					prev = f
					n++
				}
				if want := int(to.Sub(from) / p); n != want {
					t.Errorf("%s %q: %d runs around %v, want %d (one per real %v)", name, text, n, tr, want, p)
				}
			}
		}
	}
}
