package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/pkg/process"
	"github.com/superd/superd/pkg/rpc"
)

// jobsConfig writes a config with jobs, a fake sendmail and a fake
// notify command in dir.
func jobsConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	sendmail := filepath.Join(dir, "sendmail")
	notify := filepath.Join(dir, "notify")
	// each writes a temp file and renames it when complete
	os.WriteFile(sendmail, []byte("#!/bin/sh\ncat > "+dir+"/tmp.m$$ && mv "+dir+"/tmp.m$$ "+dir+"/mail.$$\n"), 0o755)
	os.WriteFile(notify, []byte("#!/bin/sh\n{ echo \"$JOB_NAME $JOB_RESULT $JOB_EXITSTATUS\"; cat; } > "+dir+"/tmp.n$$ && mv "+dir+"/tmp.n$$ "+dir+"/notify.$$\n"), 0o755)
	never := "schedule = 0 0 1 1 *"
	return writeConfig(t, dir, fmt.Sprintf(`[program:db]
command=/bin/sleep 1000
autostart=false

[job:tick]
command=/bin/sh -c 'echo tick'
interval=1

[job:slow]
command=/bin/sleep 1.5
interval=1

[job:needsdb]
command=/bin/true
%[1]s
requires=db

[job:bad]
command=/bin/sh -c 'echo broken; exit 2'
%[1]s
notify_command=%[2]s
mailto=ops@example.org

[job:long]
command=/bin/sleep 100
%[1]s

[job:catchy]
command=/bin/true
interval=1
catchup=true
%[3]s`, never, notify, extra)) + ""
}

// withSuperdKeys adds statedir and sendmail to the config's
// [supervisord] section.
func withSuperdKeys(t *testing.T, conf, dir string) {
	t.Helper()
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "[supervisord]\n", "[supervisord]\nstatedir="+dir+"/state\nsendmail="+dir+"/sendmail\n", 1)
	if err := os.WriteFile(conf, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func getJob(t *testing.T, c *rpc.Client, name string) rpc.JobInfo {
	t.Helper()
	in, err := c.JobInfo(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func waitHistory(t *testing.T, c *rpc.Client, name string, cond func([]rpc.JobRun) bool) []rpc.JobRun {
	t.Helper()
	var runs []rpc.JobRun
	waitFor(t, "history of "+name, func() bool {
		var err error
		runs, err = c.JobHistory(context.Background(), name, 0)
		return err == nil && cond(runs)
	})
	return runs
}

func TestJobsEndToEnd(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	conf := jobsConfig(t, dir, "")
	withSuperdKeys(t, conf, dir)
	in := startDaemon(t, superdBin, dir, conf)
	c := in.client
	ctx := context.Background()
	sctl := func(args ...string) (string, int) { return ctl(t, superctlBin, conf, args...) }

	// runs over a window, and overlap=skip records "still running"
	waitHistory(t, c, "tick", func(r []rpc.JobRun) bool { return len(r) >= 3 })
	runs := waitHistory(t, c, "slow", func(r []rpc.JobRun) bool {
		return slices.ContainsFunc(r, func(x rpc.JobRun) bool { return x.Result == "skipped" })
	})
	for _, r := range runs {
		if r.Result == "skipped" && r.SkipReason != "still running" {
			t.Errorf("slow skipped for %q", r.SkipReason)
		}
	}

	// jobs are not processes; superd.* methods are listed
	procs, _ := c.GetAllProcessInfo(ctx)
	if len(procs) != 1 || procs[0].Name != "db" {
		t.Errorf("getAllProcessInfo: %+v", procs)
	}
	methods, err := c.ListMethods(ctx)
	if err != nil || !slices.Contains(methods, "superd.getAllJobInfo") || !slices.Contains(methods, "superd.tailJobLog") {
		t.Errorf("listMethods: %v %v", err, methods)
	}

	out, code := sctl("jobs")
	if code != 0 || !strings.HasPrefix(out, "6 scheduled jobs:\n") || !strings.Contains(out, "] tick ") ||
		!strings.Contains(out, "every second") || !strings.Contains(out, "last run: [never]") {
		t.Errorf("superctl jobs (%d):\n%s", code, out)
	}

	// requires with a stopped program
	if out, code := sctl("jobs", "run", "needsdb"); code != 0 || out != "needsdb: queued\n" {
		t.Errorf("jobs run: %d %q", code, out)
	}
	runs = waitHistory(t, c, "needsdb", func(r []rpc.JobRun) bool { return len(r) == 1 })
	if runs[0].Result != "skipped" || runs[0].SkipReason != "db is STOPPED" || runs[0].Trigger != "manual" {
		t.Errorf("requires: %+v", runs[0])
	}

	// faults
	if err := c.RunJob(ctx, "nosuch"); faultCode(err) != rpc.BadName {
		t.Errorf("runJob nosuch: %v", err)
	}
	if err := c.SetJobSchedule(ctx, "long", "schedule 0 0 30 2 *"); faultCode(err) != rpc.BadArguments {
		t.Errorf("bad spec: %v", err)
	}
	if out, code := sctl("jobs", "schedule", "long", "times", "25:00"); code != 1 || !strings.HasPrefix(out, "long: ERROR (") {
		t.Errorf("superctl bad spec: %d %q", code, out)
	}
	if err := c.RunJob(ctx, "long"); err != nil {
		t.Fatal(err)
	}
	if err := c.RunJob(ctx, "long"); faultCode(err) != rpc.AlreadyStarted {
		t.Errorf("second runJob of a running overlap=skip job: %v", err)
	}

	// notifications: a failure notifies both ways
	sctl("jobs", "run", "bad")
	waitFor(t, "notifications", func() bool {
		m, _ := filepath.Glob(dir + "/mail.*")
		n, _ := filepath.Glob(dir + "/notify.*")
		return len(m) == 1 && len(n) == 1
	})
	m, _ := filepath.Glob(dir + "/mail.*")
	mail, _ := os.ReadFile(m[0])
	n, _ := filepath.Glob(dir + "/notify.*")
	note, _ := os.ReadFile(n[0])
	if !strings.Contains(string(mail), "To: ops@example.org\r\n") || !strings.Contains(string(mail), "broken\r\n") {
		t.Errorf("mail %q", mail)
	}
	if !strings.HasPrefix(string(note), "bad failed 2\nsuperd job bad on ") || !strings.HasSuffix(string(note), "\n\nbroken\n") {
		t.Errorf("notify %q", note)
	}

	// history order and limit, tail, next
	out, _ = sctl("jobs", "history", "tick", "-n", "2", "--json")
	var hist []rpc.JobRun
	if err := json.Unmarshal([]byte(out), &hist); err != nil || len(hist) != 2 || hist[0].Start < hist[1].Start || hist[0].Trigger != "schedule" {
		t.Errorf("history --json: %v %s", err, out)
	}
	if out, _ := sctl("jobs", "history", "tick", "-n", "1"); !strings.HasPrefix(out, "START ") || strings.Count(out, "\n") != 2 || !strings.Contains(out, " ok ") {
		t.Errorf("history:\n%s", out)
	}
	if out, _ := sctl("jobs", "tail", "tick"); !strings.Contains(out, "tick\n") {
		t.Errorf("tail: %q", out)
	}
	out, _ = sctl("jobs", "next", "tick", "-n", "3", "--json")
	var next []int64
	if err := json.Unmarshal([]byte(out), &next); err != nil || len(next) != 3 || next[1]-next[0] != 1 || next[2]-next[1] != 1 {
		t.Errorf("next: %v %s", err, out)
	}

	// hold: scheduled runs stop, a manual run still starts
	if out, code := sctl("jobs", "hold"); code != 0 || !strings.HasPrefix(out, "jobs held") {
		t.Errorf("hold: %d %q", code, out)
	}
	heldAt := time.Now().Unix()
	if out, _ := sctl("jobs"); !strings.Contains(strings.SplitN(out, "\n", 2)[0], "HELD") {
		t.Errorf("first line does not say HELD:\n%s", out)
	}
	if in := getJob(t, c, "tick"); !in.Held || in.NextRun != 0 {
		t.Errorf("held info %+v", in)
	}
	sctl("jobs", "run", "tick")
	runs = waitHistory(t, c, "tick", func(r []rpc.JobRun) bool { return r[0].Trigger == "manual" })
	for _, r := range runs {
		if r.Start > heldAt+1 && r.Trigger == "schedule" {
			t.Errorf("a scheduled run started while held: %+v", r)
		}
	}
	sctl("jobs", "release")

	// override and disable persist across a restart; catch-up after downtime
	if out, code := sctl("jobs", "schedule", "long", "interval", "05:00"); code != 0 || !strings.Contains(out, "every 5 minutes") {
		t.Errorf("schedule: %d %q", code, out)
	}
	sctl("jobs", "disable", "tick")
	if !strings.Contains(mask(sctl2(sctl("jobs"))), "next run: [disabled]") {
		t.Errorf("disabled not shown")
	}
	waitHistory(t, c, "catchy", func(r []rpc.JobRun) bool { return len(r) >= 1 })
	in.kill()
	// long was running: recorded as interrupted at shutdown
	time.Sleep(2200 * time.Millisecond) // downtime: catchy misses two runs
	in = startDaemon(t, superdBin, dir, conf)
	c = in.client
	if j := getJob(t, c, "long"); j.ScheduleSource != "override" || j.Schedule != "interval 05:00" || j.LastResult != "interrupted" {
		t.Errorf("after restart: %+v", j)
	}
	if j := getJob(t, c, "tick"); j.Enabled || j.Runs < 3 {
		t.Errorf("tick after restart: %+v", j)
	}
	waitHistory(t, c, "catchy", func(r []rpc.JobRun) bool {
		return slices.ContainsFunc(r, func(x rpc.JobRun) bool { return x.Trigger == "catchup" })
	})

	// reread/update add and remove jobs
	os.WriteFile(conf, []byte(strings.Replace(jobsReadFile(t, conf), "[job:long]", "[job:extra]\ncommand=/bin/true\ninterval=10\n\n[job:long]", 1)), 0o644)
	sctl("update")
	if _, err := c.JobInfo(ctx, "extra"); err != nil {
		t.Errorf("update did not add the job: %v", err)
	}
	os.WriteFile(conf, []byte(strings.Replace(jobsReadFile(t, conf), "[job:needsdb]", "[job:gone]", 1)), 0o644)
	sctl("update")
	if _, err := c.JobInfo(ctx, "needsdb"); faultCode(err) != rpc.BadName {
		t.Errorf("update did not remove needsdb: %v", err)
	}
	if _, err := c.JobInfo(ctx, "gone"); err != nil {
		t.Errorf("update did not add gone: %v", err)
	}
}

func sctl2(out string, _ int) string { return out }

func jobsReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func faultCode(err error) int {
	var f *rpc.Fault
	if errors.As(err, &f) {
		return f.Code
	}
	return -1
}

// TestUsr2ReopensJobLogs: SIGUSR2 reopens a job's output log as it does
// a program's, so an external logrotate (superd export --logrotate)
// does not leave the job writing into the rotated file.
func TestUsr2ReopensJobLogs(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, `
[job:say]
command=/bin/sh -c "echo run-$$"
schedule=@yearly
stdout_logfile=%(here)s/say.log
`)
	withSuperdKeys(t, conf, dir)
	in := startDaemon(t, superdBin, dir, conf)
	ctx := context.Background()
	logPath := filepath.Join(dir, "say.log")
	if err := in.client.RunJob(ctx, "say"); err != nil {
		t.Fatal(err)
	}
	waitHistory(t, in.client, "say", func(r []rpc.JobRun) bool { return len(r) == 1 })
	waitFor(t, "first run in the log", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "run-")
	})
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	in.cmd.Process.Signal(syscall.SIGUSR2)
	// The job's log is reopened once its file exists again at the
	// configured path ("supervisord logreopen" is logged before).
	waitFor(t, "the job's log reopened", func() bool {
		_, err := os.Stat(logPath)
		return err == nil
	})
	if err := in.client.RunJob(ctx, "say"); err != nil {
		t.Fatal(err)
	}
	waitHistory(t, in.client, "say", func(r []rpc.JobRun) bool { return len(r) == 2 })
	waitFor(t, "second run in a new log at the configured path", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "run-")
	})
	old, _ := os.ReadFile(logPath + ".1")
	if n := strings.Count(string(old), "run-"); n != 1 {
		t.Errorf("rotated log has %d runs, want 1 (the run before SIGUSR2): %q", n, old)
	}
}

// TestCheckCounts: superd check's summary line counts in words ("1 job",
// not "1 jobs").
func TestCheckCounts(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, `
[program:one]
command=/bin/sleep 1000
[job:say]
command=/bin/true
schedule=@yearly
`)
	out, err := exec.Command(superdBin, "check", "-c", conf).CombinedOutput()
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	if want := conf + ": ok (1 group, 1 process, 1 job)\n"; !strings.HasPrefix(string(out), want) {
		t.Errorf("check output does not start with %q:\n%s", want, out)
	}
}

// TestJobsBadCount: a bad -n names the argument and its value.
func TestJobsBadCount(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, "[job:tick]\ncommand=/bin/true\nschedule=@yearly\n")
	withSuperdKeys(t, conf, dir)
	startDaemon(t, superdBin, dir, conf)
	for _, args := range [][]string{{"jobs", "history", "tick", "-n", "abc"}, {"jobs", "next", "tick", "-n0"}} {
		out, code := ctl(t, superctlBin, conf, args...)
		v := strings.TrimPrefix(args[len(args)-1], "-n")
		if want := "Error: -n: \"" + v + "\" is not a count (a whole number from 1)\n"; code != 2 || !strings.HasPrefix(out, want) {
			t.Errorf("superctl %v: exit %d, want 2 and output starting %q:\n%s", args, code, want, out)
		}
	}
}

// TestJobsTailFollowOnce: `superctl jobs tail -f` prints each line of a
// run's output once while the run writes it (tailJobLog has
// supervisord's tail semantics: a read from an offset with a large
// length returns the end of the log, not what follows the offset).
func TestJobsTailFollowOnce(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, "[job:lines]\ncommand=/bin/sh -c 'for i in 1 2 3 4 5; do echo line $i; sleep 0.4; done'\nschedule=@yearly\n")
	withSuperdKeys(t, conf, dir)
	in := startDaemon(t, superdBin, dir, conf)
	outPath := filepath.Join(dir, "tail.out")
	f, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(superctlBin, "-c", conf, "jobs", "tail", "-f", "lines")
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	waitFor(t, "the tail banner", func() bool {
		data, _ := os.ReadFile(outPath)
		return strings.Contains(string(data), "Ctrl-C")
	})
	if _, code := ctl(t, superctlBin, conf, "jobs", "run", "lines"); code != 0 {
		t.Fatalf("jobs run: exit %d", code)
	}
	waitHistory(t, in.client, "lines", func(r []rpc.JobRun) bool { return len(r) == 1 })
	waitFor(t, "line 5 in the tail", func() bool {
		data, _ := os.ReadFile(outPath)
		return strings.Contains(string(data), "line 5\n")
	})
	time.Sleep(1200 * time.Millisecond) // two more polls of the follower: nothing new may appear
	data, _ := os.ReadFile(outPath)
	for i := 1; i <= 5; i++ {
		if n := strings.Count(string(data), fmt.Sprintf("line %d\n", i)); n != 1 {
			t.Errorf("line %d printed %d times:\n%s", i, n, data)
		}
	}
}

// TestRequiresNotRunning: requires= names match a process by name,
// group or group:name, web:web included.
func TestRequiresNotRunning(t *testing.T) {
	t.Parallel()
	infos := []process.Info{
		{Name: "web", Group: "web", State: process.Running},
		{Name: "w_0", Group: "w", State: process.Running},
		{Name: "w_1", Group: "w", State: process.Stopped},
	}
	for _, c := range []struct {
		names []string
		want  string
	}{
		{[]string{"web", "web:web", "w_0", "w:w_0"}, ""},
		{[]string{"web:web", "w"}, "w is STOPPED"},
		{[]string{"w:w_1"}, "w:w_1 is STOPPED"},
		{[]string{"web:w_0"}, "web:w_0 is not a configured program"},
	} {
		if got := requiresNotRunning(infos, c.names); got != c.want {
			t.Errorf("%q: %q, want %q", c.names, got, c.want)
		}
	}
}

// TestJobsListAlias: `superctl jobs list` is `superctl jobs`.
func TestJobsListAlias(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, "[job:tick]\ncommand=/bin/true\nschedule=@yearly\n")
	withSuperdKeys(t, conf, dir)
	startDaemon(t, superdBin, dir, conf)
	want, code := ctl(t, superctlBin, conf, "jobs")
	if code != 0 || !strings.Contains(want, "tick") {
		t.Fatalf("jobs: exit %d\n%s", code, want)
	}
	if got, code := ctl(t, superctlBin, conf, "jobs", "list"); code != 0 || got != want {
		t.Errorf("jobs list: exit %d\n%s\nwant\n%s", code, got, want)
	}
	if got, code := ctl(t, superctlBin, conf, "jobs", "list", "tick"); code != 2 || !strings.HasPrefix(got, "Error: jobs list takes no argument\n") {
		t.Errorf("jobs list tick: exit %d\n%s", code, got)
	}
}

// TestJobsScheduleResetArgs: --reset before or after the name resets;
// anything more with it is a usage error, not a spec "--reset x".
func TestJobsScheduleResetArgs(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, "[job:tick]\ncommand=/bin/true\nschedule=@yearly\n")
	withSuperdKeys(t, conf, dir)
	in := startDaemon(t, superdBin, dir, conf)
	for _, reset := range [][]string{{"jobs", "schedule", "tick", "--reset"}, {"jobs", "schedule", "--reset", "tick"}} {
		if out, code := ctl(t, superctlBin, conf, "jobs", "schedule", "tick", "interval", "5"); code != 0 {
			t.Fatalf("schedule: exit %d\n%s", code, out)
		}
		if out, code := ctl(t, superctlBin, conf, reset...); code != 0 || getJob(t, in.client, "tick").ScheduleSource != "config" {
			t.Errorf("%v: exit %d\n%s", reset, code, out)
		}
	}
	if out, code := ctl(t, superctlBin, conf, "jobs", "schedule", "tick", "--reset", "x"); code != 2 || !strings.HasPrefix(out, "Error: usage: jobs schedule <name> --reset\n") {
		t.Errorf("--reset x: exit %d\n%s", code, out)
	}
}
