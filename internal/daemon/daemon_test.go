package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/superd/superd/internal/testproc"
)

const twoSleepers = `
[program:a]
command=/bin/sleep 1000
startsecs=0
priority=10

[program:b]
command=/bin/sh -c "echo hello from b; exec /bin/sleep 1000"
startsecs=0
priority=20
`

// TestTermStopsEverything: SIGTERM stops all children and removes the
// pidfile and the socket; the socket is created with mode 0700.
func TestTermStopsEverything(t *testing.T) {
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, twoSleepers)
	in := startDaemon(t, superdBin, dir, conf)
	infos := in.allRunning(2)

	st, err := os.Stat(in.sock)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("socket mode %v, want 0700", st.Mode().Perm())
	}
	pidText, err := os.ReadFile(filepath.Join(dir, "s.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(pidText)) != strconv.Itoa(in.cmd.Process.Pid) {
		t.Errorf("pidfile has %q, want %d", pidText, in.cmd.Process.Pid)
	}

	in.cmd.Process.Signal(syscall.SIGTERM)
	<-in.done
	if code := in.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit status %d, want 0; output:\n%s", code, in.out)
	}
	for _, i := range infos {
		if processAlive(i.PID) {
			t.Errorf("%s (pid %d) still running after SIGTERM", i.Name, i.PID)
		}
	}
	for _, f := range []string{in.sock, filepath.Join(dir, "s.pid")} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s not removed at exit (%v)", f, err)
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "main.log"))
	for _, want := range []string{"received SIGTERM indicating exit request", "spawned: 'a' with pid", "stopped: a (terminated by SIGTERM)"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("main log lacks %q:\n%s", want, log)
		}
	}
}

// TestHupRestarts: SIGHUP stops everything and starts it again, with
// the configuration re-read, in the same superd process.
func TestHupRestarts(t *testing.T) {
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, twoSleepers)
	in := startDaemon(t, superdBin, dir, conf)
	before := in.allRunning(2)

	// Add a program; a restart picks it up.
	f, _ := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprint(f, "\n[program:c]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
	f.Close()
	in.cmd.Process.Signal(syscall.SIGHUP)
	after := in.allRunning(3)
	for _, b := range before {
		for _, a := range after {
			if a.Name == b.Name && a.PID == b.PID {
				t.Errorf("%s kept pid %d across SIGHUP", a.Name, a.PID)
			}
		}
		if processAlive(b.PID) {
			t.Errorf("old %s (pid %d) still alive", b.Name, b.PID)
		}
	}
	pid, err := in.client.GetPID(context.Background())
	if err != nil || pid != in.cmd.Process.Pid {
		t.Errorf("getPID = %d, %v; want the same superd pid %d", pid, err, in.cmd.Process.Pid)
	}
}

// TestUsr2ReopensLogs: after an external rename (logrotate), SIGUSR2
// makes superd write to a new file at the original path.
func TestUsr2ReopensLogs(t *testing.T) {
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, `
[program:talker]
command=/bin/sh -c "while read line; do echo $line; done"
startsecs=0
stdout_logfile=%(here)s/talker.log
`)
	in := startDaemon(t, superdBin, dir, conf)
	in.allRunning(1)
	logPath := filepath.Join(dir, "talker.log")
	ctx := context.Background()
	if err := in.client.SendProcessStdin(ctx, "talker", "first\n"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first line in log", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "first")
	})
	if err := os.Rename(logPath, logPath+".old"); err != nil {
		t.Fatal(err)
	}
	in.cmd.Process.Signal(syscall.SIGUSR2)
	// "supervisord logreopen" is logged before the reopen, as
	// supervisord does; the child's log is reopened once its file
	// exists again at the configured path.
	waitFor(t, "the child's log reopened", func() bool {
		_, err := os.Stat(logPath)
		return err == nil
	})
	if err := in.client.SendProcessStdin(ctx, "talker", "second\n"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "second line in the new log", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "second")
	})
	old, _ := os.ReadFile(logPath + ".old")
	if strings.Contains(string(old), "second") {
		t.Errorf("rotated file got output written after SIGUSR2: %q", old)
	}
}

// TestDaemonizeStartupErrors: in daemon mode, start-up errors reach the
// terminal and the exit status.
func TestDaemonizeStartupErrors(t *testing.T) {
	dir := shortTempDir(t)
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("[supervisord]\nlogfile="+dir+"/m.log\n[program:x]\ncommand=/bin/true\nautorestart=maybe\n"), 0o644)
	out, err := exec.Command(superdBin, "-c", bad).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("bad config: err %v, want exit 2", err)
	}
	if !strings.Contains(string(out), "autorestart") || !strings.HasPrefix(string(out), "Error: ") {
		t.Errorf("bad config output %q lacks the error", out)
	}

	// A socket in use by a live daemon: the daemonized child fails and
	// the parent reports it.
	conf := writeConfig(t, dir, "")
	in := startDaemon(t, superdBin, dir, conf)
	_ = in
	conf2 := filepath.Join(dir, "second.conf")
	text, _ := os.ReadFile(conf)
	os.WriteFile(conf2, []byte(strings.ReplaceAll(string(text), "s.pid", "s2.pid")), 0o644)
	out, err = exec.Command(superdBin, "-c", conf2).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("socket in use: err %v, want exit 2 (output %q)", err, out)
	}
	if !strings.Contains(string(out), "Another program is already listening") {
		t.Errorf("socket in use: output %q", out)
	}
}

// TestDaemonizes: without -n superd returns once it serves, and keeps
// running in the background.
func TestDaemonizes(t *testing.T) {
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, twoSleepers)
	out, err := exec.Command(superdBin, "-c", conf).CombinedOutput()
	if err != nil {
		t.Fatalf("superd -c: %v\n%s", err, out)
	}
	pid, err := testproc.ReadPID(filepath.Join(dir, "s.pid"))
	if err != nil {
		t.Fatalf("pidfile after daemonizing: %v", err)
	}
	t.Cleanup(func() { testproc.Kill(pid, syscall.SIGKILL) })
	in := &instance{t: t, client: newClient(dir)}
	in.allRunning(2)
	if err := testproc.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "daemon gone", func() bool { return !processAlive(pid) })
	if _, err := os.Stat(filepath.Join(dir, "s.pid")); !os.IsNotExist(err) {
		t.Errorf("pidfile left behind: %v", err)
	}
}

// TestCommandLineErrors: supervisord's usage errors, texts and status.
func TestCommandLineErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-x"}, "Error: option -x not recognized\n"},
		{[]string{"-c"}, "Error: option -c requires argument\n"},
		{[]string{"--nodaemon=1"}, "Error: option --nodaemon must not have an argument\n"},
		{[]string{"foo"}, "Error: positional arguments are not supported: ['foo']\n"},
		{[]string{"-a", "abc"}, "Error: invalid value for -a 'abc': invalid literal for int() with base 10: 'abc'\n"},
		{[]string{"-c", "/nonexistent.conf"}, "Error: could not find config file /nonexistent.conf\n"},
		{[]string{"-e", "loud"}, "Error: invalid value for -e 'loud': bad logging level name 'loud'\n"},
		{[]string{"-m", "8"}, "Error: invalid value for -m '8': 8 can not be converted to an octal type\n"},
		{[]string{"-y", "5m"}, "Error: invalid value for -y '5m': invalid literal for int() with base 10: '5m'\n"},
		{[]string{"-d", "/nonexistent"}, "Error: invalid value for -d '/nonexistent': /nonexistent is not an existing directory\n"},
		{[]string{"-u", "nosuchuser"}, "Error: Invalid user name nosuchuser\n"},
		// a repeated flag conflicts too (before -v is acted on)
		{[]string{"-n", "--nodaemon", "-v"}, "Error: conflicting command line option '--nodaemon'\n"},
		{[]string{"-k", "-k"}, "Error: conflicting command line option '-k'\n"},
		{[]string{"-t", "--strip_ansi"}, "Error: conflicting command line option '--strip_ansi'\n"},
		{[]string{"-s", "-s"}, "Error: conflicting command line option '-s'\n"},
		{[]string{"--profile_options=a", "--profile_options=b"}, "Error: conflicting command line option '--profile_options'\n"},
	}
	for _, c := range cases {
		out, err := exec.Command(superdBin, c.args...).CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 2 {
			t.Errorf("%v: err %v, want exit 2", c.args, err)
		}
		want := c.want + "For help, use " + superdBin + " -h\n"
		if string(out) != want {
			t.Errorf("%v:\n got %q\nwant %q", c.args, out, want)
		}
	}
	out, err := exec.Command(superdBin, "-v").Output()
	if err != nil || string(out) != "4.2.5\n" {
		t.Errorf("-v: %q %v", out, err)
	}
}

// TestCheckAndConfig: `superd check` reports every problem of a broken
// file with file:line and exits 1; on a good file it exits 0 and
// `superd config` prints the effective configuration as JSON.
func TestCheckAndConfig(t *testing.T) {
	dir := shortTempDir(t)
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("[supervisord]\nlogfile="+dir+"/m.log\n[program:x]\ncommand=/bin/true\nautorestart=maybe\nstopsignal=FOO\nstartsecs=ten\n"), 0o644)
	cmd := exec.Command(superdBin, "check", "-c", bad)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("check on a broken file: %v, want exit 1", err)
	}
	for _, want := range []string{bad + ":5:", "autorestart", bad + ":6:", "FOO", bad + ":7:", "ten"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, stderr.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "m.log")); err == nil {
		t.Error("check created the main log: it must start nothing")
	}

	good := writeConfig(t, dir, twoSleepers)
	if out, err := exec.Command(superdBin, "check", "-c", good).CombinedOutput(); err != nil {
		t.Errorf("check on a good file: %v\n%s", err, out)
	}
	out, err := exec.Command(superdBin, "config", "-c", good).Output()
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Groups []struct {
			Name      string `json:"name"`
			Processes []struct {
				Name    string `json:"name"`
				Command string `json:"command"`
			} `json:"processes"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatalf("config output is not JSON: %v\n%s", err, out)
	}
	if len(cfg.Groups) != 2 || cfg.Groups[0].Name != "a" || cfg.Groups[0].Processes[0].Command != "/bin/sleep 1000" {
		t.Errorf("config JSON groups = %+v", cfg.Groups)
	}
}

// TestHupWithBrokenConfigKeepsPrograms: a SIGHUP while the file is
// broken is refused with the errors in the main log; the programs are
// not stopped (same pids) and the API keeps answering.
func TestHupWithBrokenConfigKeepsPrograms(t *testing.T) {
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, twoSleepers)
	in := startDaemon(t, superdBin, dir, conf)
	before := in.allRunning(2)
	f, _ := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprint(f, "\n[program:bad]\ncommand=/bin/true\nautorestart=maybe\n")
	f.Close()
	in.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "refusal in the main log", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "main.log"))
		return strings.Contains(string(b), "not restarting") && strings.Contains(string(b), "autorestart")
	})
	after := in.allRunning(2)
	for i := range before {
		if after[i].PID != before[i].PID {
			t.Errorf("%s: pid %d -> %d; a refused restart must not touch programs", before[i].Name, before[i].PID, after[i].PID)
		}
	}
}
