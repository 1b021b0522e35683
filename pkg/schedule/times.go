package schedule

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// timesSpec is the times= form: every day at these wall-clock times.
type timesSpec struct {
	written []string // each time as written (trimmed), for Spec
	secs    []int    // seconds of the day, in the order written
	sorted  []int    // seconds of the day, sorted, unique
}

func parseTimes(text string) (*timesSpec, error) {
	ts := &timesSpec{}
	seen := map[int]bool{}
	for _, part := range strings.Split(text, ",") {
		p := strings.TrimSpace(part)
		sec, err := parseClock(p)
		if err != nil {
			return nil, err
		}
		if seen[sec] {
			continue
		}
		seen[sec] = true
		ts.written = append(ts.written, p)
		ts.secs = append(ts.secs, sec)
		ts.sorted = append(ts.sorted, sec)
	}
	sort.Ints(ts.sorted)
	return ts, nil
}

// parseClock parses HH:MM or HH:MM:SS (a time of day) into seconds.
func parseClock(p string) (int, error) {
	bad := func() (int, error) {
		return 0, fmt.Errorf("invalid time %q in times (want HH:MM or HH:MM:SS, 00:00 to 23:59:59)", p)
	}
	f := strings.Split(p, ":")
	if len(f) != 2 && len(f) != 3 {
		return bad()
	}
	limits := []int{23, 59, 59}
	sec := 0
	for i, s := range f {
		if len(s) < 1 || len(s) > 2 {
			return bad()
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > limits[i] || s[0] == '+' {
			return bad()
		}
		sec = sec*60 + n
	}
	if len(f) == 2 {
		sec *= 60
	}
	return sec, nil
}

func (ts *timesSpec) nextWall(w time.Time) (time.Time, bool) {
	day := time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC)
	sod := int(w.Sub(day) / time.Second)
	i := sort.SearchInts(ts.sorted, sod)
	if i < len(ts.sorted) {
		return day.Add(time.Duration(ts.sorted[i]) * time.Second), true
	}
	return day.AddDate(0, 0, 1).Add(time.Duration(ts.sorted[0]) * time.Second), true
}

func clock(sec int) string {
	return fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
}
