package export

import (
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/schedule"
)

var calendarCases = []struct{ kind, text, zone string }{
	{"schedule", "*/5 * * * *", ""},
	{"schedule", "0 9 1,15 * mon-fri", ""},
	{"schedule", "30 2 * * 0", "Europe/Brussels"},
	{"schedule", "0 0 29 2 *", ""},
	{"schedule", "15 */6 * jan-mar,oct *", "America/New_York"},
	{"schedule", "0 12 */10 * 7", ""},
	{"schedule", "0 12 */10 * *", ""},
	// a starred but restricted weekday: both day fields apply (cronie)
	{"schedule", "0 10 1-7 * */2", ""},
	{"schedule", "0 8 */2 * mon", ""},
	{"schedule", "*/20 */5 9-17 * * 1-5", ""},
	{"schedule", "5/15 3 * * *", ""},
	{"schedule", "0 8-18/2 * * 1,3,5", ""},
	{"schedule", "@daily", ""},
	{"schedule", "@weekly", ""},
	{"schedule", "@monthly", "Asia/Tokyo"},
	{"schedule", "@hourly", ""},
	{"schedule", "@every 30s", ""},
	{"schedule", "@every 2h", ""},
	{"times", "08:00, 20:30:15", "Europe/Brussels"},
	{"times", "00:00", ""},
	{"interval", "10", ""},
	{"interval", "05:00", ""},
	{"interval", "01:00:00", ""},
	{"interval", "21600", ""},
}

var elapse = regexp.MustCompile(`(?m)(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC`)

// The OnCalendar= lines export writes fire at the same times as the
// job in superd: systemd-analyze calendar against pkg/schedule, from a
// base time away from DST changes (the rules differ there: docs/EXPORT.md).
func TestCalendarAgainstSystemd(t *testing.T) {
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (Debian package systemd)")
	}
	base := time.Date(2026, 6, 3, 10, 17, 23, 0, time.UTC)
	const n = 25
	for _, c := range calendarCases {
		var loc *time.Location
		if c.zone != "" {
			loc, _ = time.LoadLocation(c.zone)
		}
		j := &config.Job{Name: "x", ScheduleKind: c.kind, ScheduleText: c.text, Timezone: c.zone, Location: loc}
		cals, err := jobCalendar(j)
		if err != nil {
			t.Errorf("%s %s: %v", c.kind, c.text, err)
			continue
		}
		args := []string{"calendar", "--iterations=" + strconv.Itoa(n), "--base-time=@" + strconv.FormatInt(base.Unix(), 10)}
		cmd := exec.Command(tool, append(args, cals...)...)
		cmd.Env = append(os.Environ(), "TZ=UTC", "SYSTEMD_COLORS=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s %s -> %q: %v\n%s", c.kind, c.text, cals, err, out)
			continue
		}
		seen := map[string]bool{}
		var got []string
		for _, m := range elapse.FindAllStringSubmatch(string(out), -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				got = append(got, m[1])
			}
		}
		sort.Strings(got)
		if len(got) < n {
			t.Errorf("%s %s: systemd-analyze gave %d times:\n%s", c.kind, c.text, len(got), out)
		}
		if len(got) > n {
			got = got[:n]
		}
		s, err := schedule.Parse(c.kind, c.text, loc)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, tm := range schedule.NextN(s, base, n) {
			want = append(want, tm.UTC().Format("2006-01-02 15:04:05"))
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s %s -> OnCalendar=%q:\nsystemd %v\n superd %v", c.kind, c.text, cals, got, want)
		}
	}
}
