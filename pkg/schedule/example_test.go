package schedule_test

import (
	"fmt"
	"time"

	"github.com/superd/superd/pkg/schedule"
)

func ExampleParse() {
	bru, _ := time.LoadLocation("Europe/Brussels")
	s, err := schedule.Parse("times", "20:00, 08:30:15", bru)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Spec())
	fmt.Println(s.Describe())
	from := time.Date(2026, 3, 28, 21, 0, 0, 0, bru)
	for _, t := range schedule.NextN(s, from, 3) {
		fmt.Println(t.Format("2006-01-02 15:04:05 -0700"))
	}
	_, err = schedule.Parse("schedule", "61 * * * *", bru)
	fmt.Println(err)
	// Output:
	// times 20:00,08:30:15
	// every day at 20:00:00 and 08:30:15 (Europe/Brussels)
	// 2026-03-29 08:30:15 +0200
	// 2026-03-29 20:00:00 +0200
	// 2026-03-30 08:30:15 +0200
	// invalid cron field "61" in minute (0-59): 61 is out of range
}

// A fixed-time job in the spring-forward gap runs once, right after the
// jump; an hourly one follows real time.
func ExampleSchedule_Next() {
	ny, _ := time.LoadLocation("America/New_York")
	daily, _ := schedule.ParseSpec("schedule 30 2 * * *", ny)
	hourly, _ := schedule.ParseSpec("schedule 30 * * * *", ny)
	from := time.Date(2026, 3, 8, 0, 45, 0, 0, ny)
	fmt.Println(daily.Fixed(), daily.Next(from).Format("15:04 MST"))
	fmt.Println(hourly.Fixed(), schedule.NextN(hourly, from, 3))
	// Output:
	// true 03:00 EDT
	// false [2026-03-08 01:30:00 -0500 EST 2026-03-08 03:30:00 -0400 EDT 2026-03-08 04:30:00 -0400 EDT]
}

// A runner wakes, asks Due what to run, and keeps last with Advance.
func ExampleDue() {
	s, _ := schedule.Parse("times", "08:00,08:05", time.UTC)
	last := time.Date(2026, 1, 1, 7, 59, 0, 0, time.UTC)
	now := time.Date(2026, 1, 1, 8, 10, 0, 0, time.UTC) // the clock jumped 11 minutes
	for _, f := range schedule.Due(s, last, now) {
		fmt.Println("run", f.Format("15:04"))
	}
	last = schedule.Advance(s, last, now)
	fmt.Println("next", s.Next(last).Format("2006-01-02 15:04"))
	// Output:
	// run 08:00
	// run 08:05
	// next 2026-01-02 08:00
}
