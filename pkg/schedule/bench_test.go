package schedule

import (
	"testing"
	"time"
)

func BenchmarkNext(b *testing.B) {
	loc := zone(b, "America/New_York")
	for _, text := range []string{"*/5 * * * *", "30 2 * * *", "0 0 29 2 *", "*/10 * * * * *"} {
		s := mustParse(b, "schedule", text, loc)
		t := time.Date(2026, 3, 7, 12, 0, 0, 0, loc)
		b.Run(text, func(b *testing.B) {
			for b.Loop() {
				s.Next(t)
			}
		})
	}
}

func BenchmarkDue(b *testing.B) {
	s := mustParse(b, "schedule", "* 0 * * * *", time.UTC)
	last := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := last.Add(30 * 24 * time.Hour)
	for b.Loop() {
		Due(s, last, now)
	}
}
