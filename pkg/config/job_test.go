package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const jobHead = "[supervisord]\nlogfile=/tmp/x.log\n"

func TestJobSection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := jobHead + `statedir = %(here)s/state
sendmail = /bin/cat
[program:postgres]
command = /bin/sleep 100
[job:send_pending_emails]
command = /bin/echo %(program_name)s
interval = 10
[job:clear]
command = /bin/true
times = 20:00, 08:30:15
timezone = Europe/Brussels
enabled = false
overlap = queue
timeout = 30
exitcodes = 0,1
skip_exitcodes = 3
catchup = true
jitter = 5
retries = 2
retry_delay = 7
requires = postgres
notify_command = /usr/local/bin/page-ops --job
mailto = ops@example.org
notify_on_success = true
stdout_logfile = NONE
redirect_stderr = true
environment = A="1"
umask = 027
`
	path := filepath.Join(dir, "s.conf")
	cfg, err := ParseWith(path, []byte(conf), LoadOptions{Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Supervisord.StateDir != filepath.Join(dir, "state") || cfg.Supervisord.Sendmail != "/bin/cat" {
		t.Errorf("statedir %q sendmail %q", cfg.Supervisord.StateDir, cfg.Supervisord.Sendmail)
	}
	if len(cfg.Jobs) != 2 || cfg.Jobs[0].Name != "clear" || cfg.Jobs[1].Name != "send_pending_emails" {
		t.Fatalf("jobs not sorted by name: %+v", cfg.Jobs)
	}
	if g := cfg.Group("send_pending_emails"); g != nil {
		t.Errorf("a job became a program group")
	}
	s := cfg.Jobs[1]
	if s.Spec() != "interval 10" || !s.Enabled || s.Overlap != "skip" || !s.Process.KillAsGroup || !s.Process.StopAsGroup {
		t.Errorf("defaults: %+v %+v", s, s.Process)
	}
	if s.Process.Command != "/bin/echo send_pending_emails" || s.Location != time.Local {
		t.Errorf("command %q loc %v", s.Process.Command, s.Location)
	}
	c := cfg.Jobs[0]
	if c.Spec() != "times 20:00, 08:30:15" || c.Timezone != "Europe/Brussels" || c.Location.String() != "Europe/Brussels" {
		t.Errorf("schedule %q zone %q", c.Spec(), c.Timezone)
	}
	if c.Enabled || c.Overlap != "queue" || c.Timeout != 30*time.Second || !c.Catchup || c.Jitter != 5*time.Second ||
		c.Retries != 2 || c.RetryDelay != 7*time.Second || !c.NotifyOnSuccess || c.Mailto != "ops@example.org" ||
		c.NotifyCommand != "/usr/local/bin/page-ops --job" || !slices.Equal(c.Requires, []string{"postgres"}) ||
		!slices.Equal(c.SkipExitCodes, []int{3}) || !slices.Equal(c.Process.ExitCodes, []int{0, 1}) {
		t.Errorf("options: %+v", c)
	}
	if c.Process.Stdout.File != "" || !c.Process.RedirectStderr || c.Process.Umask == nil || *c.Process.Umask != 0o027 ||
		len(c.Process.Environment) != 1 {
		t.Errorf("shared options: %+v", c.Process)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %v", cfg.Warnings)
	}
	if _, err := JSON(cfg); err != nil {
		t.Fatal(err)
	}
}

func TestJobErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ body, want string }{
		{"[job:a]\ncommand=/bin/true\n", "s.conf:3: [job:a] has no schedule: set exactly one of interval"},
		{"[job:a]\ncommand=/bin/true\ninterval=5\ntimes=08:00\n", "s.conf:6: [job:a] times: sets both interval and times"},
		{"[job:a]\ncommand=/bin/true\ninterval=5\ntimezone=Mars/Olympus\n", "s.conf:6: [job:a] timezone: unknown time zone 'Mars/Olympus'"},
		{"[job:a]\ncommand=/bin/true\ninterval=5\noverlap=sometimes\n", "s.conf:6: [job:a] overlap: invalid overlap value 'sometimes'"},
		{"[job:a]\ncommand=/bin/true\ninterval=5\ntimeout=ten\n", "s.conf:6: [job:a] timeout: "},
		{"[job:a]\ncommand=/bin/true\ninterval=5\nretries=-1\n", "s.conf:6: [job:a] retries: retries must be 0 or more"},
		{"[job:a]\ncommand=/bin/true\ninterval=5\nskip_exitcodes=0\n", "s.conf:6: [job:a] skip_exitcodes: exit code 0 is in both"},
		{"[job:a]\ncommand=/bin/true\ninterval=5\nrequires=nosuch\n", "s.conf:6: [job:a] requires: requires names unknown program nosuch"},
		{"[job:a]\ninterval=5\n", "program section job:a does not specify a command"},
		{"[job:a]\ncommand=/bin/true\ninterval=5\nstopsignal=FOO\n", "s.conf:6: [job:a] stopsignal:"},
		{"[job:a]\ncommand=/bin/true\ninterval=\n", "s.conf:5: [job:a] interval: empty schedule"},
		{"[job:a]\ncommand=/bin/true\nschedule=0 0 30 2 *\n", "s.conf:5: [job:a] schedule: cron expression \"0 0 30 2 *\" never fires"},
		{"[job:a]\ncommand=/bin/true\ntimes=25:00\n", "s.conf:5: [job:a] times: "},
		{"[job:a]\ncommand=/bin/true\ninterval=ten\n", "s.conf:5: [job:a] interval: "},
		{"[job:a]\ncommand=/bin/true\ninterval=5\nnumprocs=2\n", "s.conf:6: [job:a] numprocs: [job:a] runs one command; numprocs is not supported for jobs"},
	}
	for _, c := range cases {
		_, err := Parse("s.conf", []byte(jobHead+c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %s", c.body, err, c.want)
		}
	}
	// unknown options warn with a suggestion, like program sections
	cfg, err := Parse("s.conf", []byte(jobHead+"[job:a]\ncommand=/bin/true\ninterval=5\nautostart=true\nretrys=3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 2 || !strings.Contains(cfg.Warnings[1], "unknown option retrys ignored (did you mean retries?)") {
		t.Errorf("warnings %q", cfg.Warnings)
	}
}

func TestScheduleCheckHook(t *testing.T) {
	// not parallel: sets the package hook
	old := scheduleCheck
	defer func() { scheduleCheck = old }()
	var got []string
	scheduleCheck = func(kind, text string, loc *time.Location) error {
		got = append(got, kind+"|"+text+"|"+loc.String())
		if text == "bad" {
			return errString("never fires")
		}
		return nil
	}
	_, err := Parse("s.conf", []byte(jobHead+"[job:a]\ncommand=/bin/true\nschedule = bad\ntimezone=UTC\n"))
	if err == nil || !strings.Contains(err.Error(), "s.conf:5: [job:a] schedule: never fires") {
		t.Errorf("err %v", err)
	}
	if len(got) != 1 || got[0] != "schedule|bad|UTC" {
		t.Errorf("calls %q", got)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestDiffJobs(t *testing.T) {
	t.Parallel()
	a, err := Parse("s.conf", []byte(jobHead+"[job:a]\ncommand=/bin/true\ninterval=5\n[job:b]\ncommand=/bin/true\ninterval=5\n[job:c]\ncommand=/bin/true\ninterval=5\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("s.conf", []byte(jobHead+"\n[job:a]\ncommand=/bin/true\ninterval=5\n[job:b]\ncommand=/bin/true\ninterval=6\n[job:d]\ncommand=/bin/true\ninterval=5\n"))
	if err != nil {
		t.Fatal(err)
	}
	add, chg, rem := DiffJobs(a, b)
	if !slices.Equal(add, []string{"d"}) || !slices.Equal(chg, []string{"b"}) || !slices.Equal(rem, []string{"c"}) {
		t.Errorf("added %v changed %v removed %v", add, chg, rem)
	}
}

// TestSupervisordLoadsJobs checks that supervisord 4.2.5 still loads a
// config with [job:x] sections and superd's [supervisord] keys.
func TestSupervisordLoadsJobs(t *testing.T) {
	t.Parallel()
	py := "/usr/bin/python3"
	if _, err := os.Stat("/usr/lib/python3/dist-packages/supervisor/options.py"); err != nil {
		t.Skip("supervisor 4.2.5 is not installed")
	}
	dir := t.TempDir()
	conf := "[supervisord]\nlogfile=" + dir + "/sd.log\npidfile=" + dir + "/sd.pid\nstatedir=" + dir + "/state\nsendmail=/bin/true\n" +
		"[program:p]\ncommand=/bin/sleep 100\n" +
		"[job:x]\ncommand=/bin/echo hi\ninterval=10\nmailto=a@b\n[job:y]\ncommand=/bin/true\nschedule=*/5 * * * *\ntimezone=UTC\n"
	path := filepath.Join(dir, "s.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", `
import sys
from supervisor.options import ServerOptions
o = ServerOptions(); o.realize(['-c', sys.argv[1]])
print(','.join(g.name for g in o.process_group_configs))
`, path).CombinedOutput()
	if err != nil {
		t.Fatalf("supervisord refused the file: %v\n%s", err, out)
	}
	if strings.TrimSpace(string(out)) != "p" {
		t.Errorf("supervisord groups: %q", out)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Jobs) != 2 || len(cfg.Groups) != 1 {
		t.Errorf("superd: %d jobs %d groups", len(cfg.Jobs), len(cfg.Groups))
	}
}

// TestJobRequiresGroupColonName: requires= takes group:name also for a
// single program, whose group has its name (web:web, as supervisorctl
// accepts it).
func TestJobRequiresGroupColonName(t *testing.T) {
	t.Parallel()
	cfg, err := Parse("s.conf", []byte(jobHead+"[program:web]\ncommand=/bin/true\n[program:w]\ncommand=/bin/true\nprocess_name=w_%(process_num)s\nnumprocs=2\n"+
		"[job:a]\ncommand=/bin/true\ninterval=5\nrequires=web:web, web, w, w:w_1, w_0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Job("a").Requires; len(got) != 5 {
		t.Errorf("requires %q", got)
	}
}
