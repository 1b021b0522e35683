package export

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/superd/superd/pkg/config"
)

// These tests come from running export and import on the inputs users
// have: real crontabs and unit files, configs with the options that
// go wrong at the edges.

func loadText(t *testing.T, text string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "superd.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// A weekday range in a job's schedule reaches Kubernetes as a cron
// range (1-5), not as systemd's 1..5, which no CronJob accepts.
func TestKubernetesWeekdayRange(t *testing.T) {
	t.Parallel()
	cfg := loadText(t, `[supervisord]
[job:weekdays]
command=/bin/true
schedule=0 9 * jan-mar mon-fri
[job:some]
command=/bin/true
schedule=30 6 * * 1-3,5
`)
	res, err := Kubernetes(cfg, Options{Image: "app:1"})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Files[0].Data)
	for _, want := range []string{"schedule: 0 9 * jan-mar 1-5\n", "schedule: 30 6 * * 1-3,5\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if msg, err := Check("kubernetes", res.Files); err != nil {
		t.Errorf("%v\n%s", err, msg)
	}
	strictK8s(t, res.Files[0].Data)
}

// A namespace Kubernetes would refuse is an error naming the option,
// not a manifest that kubectl apply rejects.
func TestKubernetesBadNamespace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "superd.conf")
	if err := os.WriteFile(conf, []byte("[supervisord]\n[program:web]\ncommand=/bin/cat\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runMain(t, "export", "kubernetes", "-c", conf, "--image", "app:1", "--namespace", "My_NS")
	if code == 0 || !strings.Contains(stderr, `--namespace "My_NS"`) || stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q: want an error naming --namespace and no output", code, stdout, stderr)
	}
	if msg, err := checkKubernetes([]File{{Name: "x.yaml", Data: []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: My_NS\n")}}); err == nil || !strings.Contains(msg, "namespace") {
		t.Errorf("--check accepts namespace My_NS: %q %v", msg, err)
	}
}

// Each OnCalendar= line has its own time zone: the zone of one does not
// leak into another of the same timer.
func TestImportTimerZonePerCalendar(t *testing.T) {
	t.Parallel()
	conf, err := importSystemd([]input{
		{Path: "report.service", Data: []byte("[Service]\nType=oneshot\nExecStart=/usr/bin/report\n")},
		{Path: "report.timer", Data: []byte("[Timer]\nOnCalendar=Mon..Fri 09:00\nOnCalendar=Sat 12:00 Europe/Paris\n\n[Install]\nWantedBy=timers.target\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	text := conf.String(false)
	cfg, err := config.Parse("imported.conf", []byte(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	got := map[string]string{}
	for _, j := range cfg.Jobs {
		got[j.ScheduleText] = j.Timezone
	}
	want := map[string]string{"0 9 * * mon-fri": "", "0 12 * * sat": "Europe/Paris"}
	if len(got) != len(want) {
		t.Fatalf("jobs %v, want %v\n%s", got, want, text)
	}
	for sch, tz := range want {
		if z, ok := got[sch]; !ok || z != tz {
			t.Errorf("schedule %q: time zone %q (present %v), want %q\n%s", sch, z, ok, tz, text)
		}
	}
}

// A template unit imported as itself (no instance) keeps %i and says
// so, rather than dropping the word from the command.
func TestImportTemplateWithoutInstance(t *testing.T) {
	t.Parallel()
	conf, err := importSystemd([]input{{Path: "postgresql@.service", Data: []byte(
		"[Service]\nExecStart=/usr/bin/pg_ctlcluster --skip-systemctl-redirect %i start\nUser=root\n")}})
	if err != nil {
		t.Fatal(err)
	}
	text := conf.String(false)
	if !strings.Contains(text, "command = /usr/bin/pg_ctlcluster --skip-systemctl-redirect '%%i' start\n") {
		t.Errorf("%%i dropped from the command:\n%s", text)
	}
	if !strings.Contains(text, "a template unit with no instance") || !strings.Contains(text, "postgresql@<INSTANCE>.service") {
		t.Errorf("no note about the missing instance:\n%s", text)
	}
	loads(t, conf)
	// with an instance, %i is the instance
	conf, err = importSystemd([]input{{Path: "postgresql@14-main.service", Data: []byte(
		"[Service]\nExecStart=/usr/bin/pg_ctlcluster --skip-systemctl-redirect %i start\nUser=root\n")}})
	if err != nil {
		t.Fatal(err)
	}
	if text := conf.String(false); !strings.Contains(text, "command = /usr/bin/pg_ctlcluster --skip-systemctl-redirect 14-main start\n") {
		t.Errorf("instance not substituted:\n%s", text)
	}
}

// Output that supervisord sends to syslog (stderr_logfile=syslog, or
// NONE with *_syslog=true) goes to the journal (which forwards to
// syslog), never to /dev/null.
func TestSystemdSyslogOutput(t *testing.T) {
	t.Parallel()
	cfg := loadText(t, `[supervisord]
[program:a]
command=/bin/cat
stderr_logfile=syslog
[program:b]
command=/bin/cat
stdout_logfile=NONE
stdout_syslog=true
[program:c]
command=/bin/cat
stdout_logfile=NONE
`)
	res, err := Systemd(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	units := map[string]string{}
	for _, f := range res.Files {
		units[f.Name] = string(f.Data)
	}
	if u := units["a.service"]; !strings.Contains(u, "StandardError=journal\n") {
		t.Errorf("stderr_logfile=syslog:\n%s", u)
	}
	if u := units["b.service"]; strings.Contains(u, "StandardOutput=null") {
		t.Errorf("stdout_syslog=true:\n%s", u)
	}
	if u := units["c.service"]; !strings.Contains(u, "StandardOutput=null\n") {
		t.Errorf("stdout_logfile=NONE:\n%s", u)
	}
}

// An entry that cannot be imported is commented out in the output and
// named on stderr with its file:line, so that `superd import cron FILE
// > conf` does not lose it without a word.
func TestImportReportsLeftOutOnStderr(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tab := filepath.Join(dir, "crontab")
	if err := os.WriteFile(tab, []byte("MAILTO=ops@example.com\n61 * * * * /bin/a\n*/5 * * * * /bin/ok\ngarbage line here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runMain(t, "import", "cron", tab)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "\n[job:ok]\n") || !strings.Contains(stdout, ";[job:a]\n") {
		t.Errorf("stdout:\n%s", stdout)
	}
	for _, want := range []string{`crontab:2: schedule "61 * * * *"`, "crontab:4: not a crontab entry", "2 of 3 section(s) left out"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "[job:ok]") {
		t.Errorf("stderr names an imported job:\n%s", stderr)
	}
}

// superd names that map to one Kubernetes name (a_b, a-b, A.B; a long
// job name whose second schedule's "-2" was cut off at 52 characters)
// become distinct objects: kubectl apply would let the last replace the
// others. --check reports two objects with one kind and name.
func TestKubernetesNameCollisions(t *testing.T) {
	t.Parallel()
	cfg := loadText(t, `[supervisord]
[program:a_b]
command=/bin/a
[program:a-b]
command=/bin/b
[program:A.B]
command=/bin/c
[job:a_b]
command=/bin/j
schedule=0 * * * *
[job:this_is_a_really_long_job_name_that_goes_past_fifty_two_chars]
command=/bin/j
times=07:30,19:45
`)
	res, err := Kubernetes(cfg, Options{Image: "app:1"})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	for _, doc := range strings.Split(string(res.Files[0].Data), "\n---\n") {
		for _, l := range strings.Split(doc, "\n") {
			if n, ok := strings.CutPrefix(l, "  name: "); ok {
				names[n]++
				if len(n) > 52 {
					t.Errorf("name %s longer than 52", n)
				}
			}
		}
	}
	if len(names) != 6 {
		t.Errorf("%d distinct names, want 6: %v\n%s", len(names), names, res.Files[0].Data)
	}
	for n, c := range names {
		if c > 1 {
			t.Errorf("name %s used %d times", n, c)
		}
	}
	if msg, err := Check("kubernetes", res.Files); err != nil {
		t.Errorf("%v\n%s", err, msg)
	}
	strictK8s(t, res.Files[0].Data)
	dup := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
	if msg, err := checkKubernetes([]File{{Name: "x.yaml", Data: []byte(dup + "---\n" + dup)}}); err == nil || !strings.Contains(msg, "second object") {
		t.Errorf("--check accepts two Deployments named web: %q %v", msg, err)
	}
}

// A unit whose command cannot be written in a supervisord config (a
// newline from a C escape) is left out, commented, so that the rest of
// the output still loads, and named on stderr with the reason.
// WorkingDirectory=-DIR (systemd starts anyway when DIR is missing) is
// noted.
func TestImportSystemdUnwritableCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "shellish.service")
	good := filepath.Join(dir, "cont.service")
	if err := os.WriteFile(bad, []byte("[Service]\nExecStart=/usr/bin/printf \"%%s\\n\" x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("[Service]\nExecStart=/bin/cat\nWorkingDirectory=-/srv/missing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runMain(t, "import", "systemd", bad, good)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cfg, err := config.Parse("imported.conf", []byte(stdout))
	if err != nil {
		t.Fatalf("the output does not load: %v\n%s", err, stdout)
	}
	if len(cfg.Groups) != 1 || cfg.Groups[0].Name != "cont" {
		t.Errorf("groups %v, want only cont\n%s", cfg.Groups, stdout)
	}
	if !strings.Contains(stdout, ";[program:shellish]\n") {
		t.Errorf("shellish not commented out:\n%s", stdout)
	}
	if !strings.Contains(stderr, "[program:shellish] left out") || !strings.Contains(stderr, "cannot be written in a supervisord config") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if !strings.Contains(stdout, "WorkingDirectory=-/srv/missing: systemd starts the service anyway") {
		t.Errorf("no note about WorkingDirectory=-:\n%s", stdout)
	}
}

// --prefix goes into unit and file names: one with a '/' (or '..')
// would name invalid units and, with -o, write outside the directory.
func TestExportBadPrefix(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "superd.conf")
	if err := os.WriteFile(conf, []byte("[supervisord]\n[program:web]\ncommand=/bin/cat\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out", "units")
	for _, p := range []string{"../../esc-", "a/b-", "sp ace-"} {
		code, _, stderr := runMain(t, "export", "systemd", "-c", conf, "-o", out, "--prefix", p)
		if code != 2 || !strings.Contains(stderr, "--prefix") {
			t.Errorf("--prefix %q: exit %d, stderr %q", p, code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "esc-web.service")); err == nil {
		t.Error("a unit was written outside -o")
	}
	if code, _, stderr := runMain(t, "export", "systemd", "-c", conf, "-o", out, "--prefix", "app:x_1.y-"); code != 0 {
		t.Errorf("a valid prefix: exit %d: %s", code, stderr)
	}
}

// A file in /etc/crontab's format (user column) under another name,
// imported without --system, would run "root" as the command: the
// import warns on stderr with the line and says to use --system.
func TestImportCronUserColumnWithoutSystem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tab := filepath.Join(dir, "etc_crontab")
	if err := os.WriteFile(tab, []byte("17 * * * * root cd / && run-parts --report /etc/cron.hourly\n*/5 * * * * /bin/true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runMain(t, "import", "cron", tab)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, `etc_crontab:1: the command starts with "root"`) || !strings.Contains(stderr, "--system") {
		t.Errorf("no warning naming the line and --system:\n%s", stderr)
	}
	if strings.Contains(stderr, "etc_crontab:2") {
		t.Errorf("warning about a line without a user:\n%s", stderr)
	}
	code, _, stderr = runMain(t, "import", "cron", "--system", tab)
	if code != 0 || strings.Contains(stderr, "warning") {
		t.Errorf("with --system: exit %d, stderr %q", code, stderr)
	}
}

// OnCalendar= weekday rules: "Mon *-*-1..7" (the first Monday) needs
// both fields to match, which no cron schedule says (cron runs when
// either does): the job is left out with the reason instead of running
// on 11 days a month; a range to Sunday (Sat..Sun) is 6-7, not the
// backwards sat-sun; a timer without any usable schedule leaves its job
// out, so that the rest of the output loads.
func TestImportTimerWeekdays(t *testing.T) {
	t.Parallel()
	svc := []byte("[Service]\nType=oneshot\nExecStart=/bin/true\n")
	imp := func(timer string) (*confFile, *config.Config) {
		t.Helper()
		conf, err := importSystemd([]input{{Path: "j.service", Data: svc}, {Path: "j.timer", Data: []byte("[Timer]\n" + timer + "[Install]\nWantedBy=timers.target\n")}})
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Parse("imported.conf", []byte(conf.String(false)))
		if err != nil {
			t.Fatalf("%v\n%s", err, conf.String(false))
		}
		return conf, cfg
	}
	conf, cfg := imp("OnCalendar=Mon *-*-1..7 12:00\n")
	if len(cfg.Jobs) != 0 || !conf.sections[0].disabled || !strings.Contains(conf.String(false), "must both match in systemd") {
		t.Errorf("first Monday:\n%s", conf.String(false))
	}
	_, cfg = imp("OnCalendar=Sat..Sun 10:00\nOnCalendar=Mon,Wed..Fri,Sun 12:00\nOnCalendar=Mon *-*-*/2 08:00\n")
	var got []string
	for _, j := range cfg.Jobs {
		got = append(got, j.ScheduleText)
	}
	want := "0 10 * * 6-7|0 12 * * mon,wed-fri,sun|0 8 */2 * mon"
	if strings.Join(got, "|") != want {
		t.Errorf("schedules %q, want %q", strings.Join(got, "|"), want)
	}
	conf, cfg = imp("OnCalendar=2027-*-* 12:00\n")
	if len(cfg.Jobs) != 0 || !conf.sections[0].disabled {
		t.Errorf("a year:\n%s", conf.String(false))
	}
}

// StartLimitBurst=/StartLimitIntervalSec= (and the older
// StartLimitInterval=) in [Service], where units written before systemd
// 230 have them and systemd still reads them, map as in [Unit].
func TestImportStartLimitInService(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		"[Service]\nExecStart=/bin/cat\nStartLimitBurst=5\nStartLimitIntervalSec=60\n",
		"[Service]\nExecStart=/bin/cat\nStartLimitBurst=5\nStartLimitInterval=60\n",
		"[Unit]\nStartLimitBurst=5\nStartLimitIntervalSec=60\n[Service]\nExecStart=/bin/cat\n",
	} {
		conf, err := importSystemd([]input{{Path: "w.service", Data: []byte(body)}})
		if err != nil {
			t.Fatal(err)
		}
		text := conf.String(false)
		if !strings.Contains(text, "startretries = 4\n") || !strings.Contains(text, "startsecs = 12\n") || strings.Contains(text, "StartLimit") {
			t.Errorf("%q:\n%s", body, text)
		}
	}
}

// A command given as a relative path (bin/server) runs from directory=
// (the child chdirs, then execs): the unit gets the absolute path, since
// systemd refuses a relative one ("Neither a valid executable name nor
// an absolute path").
func TestSystemdRelativeCommand(t *testing.T) {
	t.Parallel()
	cfg := loadText(t, "[supervisord]\n[program:rel]\ncommand=bin/server --port 80\ndirectory=/srv/app\n[program:nodir]\ncommand=./run.sh\n")
	res, err := Systemd(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	units := map[string]string{}
	for _, f := range res.Files {
		units[f.Name] = string(f.Data)
	}
	if u := units["rel.service"]; !strings.Contains(u, "\nExecStart=/srv/app/bin/server --port 80\n") || !strings.Contains(u, "a relative path, run from directory=/srv/app") {
		t.Errorf("rel.service:\n%s", u)
	}
	if u := units["nodir.service"]; !strings.Contains(u, "systemd needs an absolute one") {
		t.Errorf("nodir.service says nothing about its relative command:\n%s", u)
	}
}
