package ctl

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/superd/superd/pkg/rpc"
)

// compatConf is the config both daemons run. $DIR is the daemon's dir.
const compatConf = `[unix_http_server]
file=$DIR/s.sock

[supervisord]
logfile=$DIR/main.log
pidfile=$DIR/s.pid
childlogdir=$DIR
statedir=$DIR/state
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$DIR/s.sock

[program:sleeper]
command=sleep 1000
startsecs=0

[program:echo]
command=sh -c 'echo hi; echo err >&2; exec sleep 1000'
startsecs=0

[program:manual]
command=sleep 1000
autostart=false
startsecs=0

[group:grp]
programs=a,b

[program:a]
command=sleep 1000
startsecs=0

[program:b]
command=sleep 1000
autostart=false
startsecs=0

[program:failing]
command=sh -c 'exit 3'
autostart=false
startsecs=1
startretries=0

[program:nofile]
command=/no/such/bin
autostart=false

[program:a_program_with_a_very_long_name_indeed]
command=sleep 1000
autostart=false
startsecs=0
`

// compatConf2 adds newprog, changes sleeper, removes manual.
var compatConf2 = strings.Replace(strings.Replace(compatConf,
	"[program:manual]\ncommand=sleep 1000\nautostart=false\nstartsecs=0\n", "", 1),
	"[program:sleeper]\ncommand=sleep 1000\n", "[program:sleeper]\ncommand=sleep 1001\n", 1) +
	"\n[program:newprog]\ncommand=sleep 1000\nstartsecs=0\n"

// step is one command run by supervisorctl against daemon A and by
// superctl against daemon B; stdout and exit code must match after
// normalization.
type step struct {
	args  []string
	stdin string
	// conf, when set, replaces both daemons' config before the step.
	conf string
	// noConfig runs without "-c conf" (args carry everything).
	noConfig bool
	// stderr also compares stderr (superctl's hint lines removed).
	stderr bool
	// before runs before the step (e.g. to wait for log output).
	before func(t *testing.T, a, b *daemon)
	// unordered compares the output lines as a set and ignores the
	// exit code: supervisord reports the results of stop/start all in
	// completion order, and supervisorctl's exit code is set by the
	// last result.
	unordered bool
}

func s(args ...string) step { return step{args: args} }

func u(args ...string) step { return step{args: args, unordered: true} }

// waitLog polls until name's stdout and stderr logs contain the
// program's first output on both daemons.
func waitLog(t *testing.T, ds ...*daemon) {
	t.Helper()
	for _, d := range ds {
		c := rpc.NewClient(d.url(), "", "")
		deadline := time.Now().Add(10 * time.Second)
		for {
			out, err1 := c.ReadProcessStdoutLog(context.Background(), "echo", 0, 0)
			errs, err2 := c.ReadProcessStderrLog(context.Background(), "echo", 0, 0)
			if err1 == nil && err2 == nil && strings.Contains(out, "hi") && strings.Contains(errs, "err") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("echo output never logged: %q %q %v %v", out, errs, err1, err2)
			}
			time.Sleep(10 * time.Millisecond) // polling with a deadline
		}
		c.Close()
	}
}

func compatSteps() []step {
	var steps []step
	add := func(ss ...step) { steps = append(steps, ss...) }
	add(step{args: []string{"tail", "echo"}, before: func(t *testing.T, a, b *daemon) { waitLog(t, a, b) }})
	add(s("status"), s("status", "sleeper"), s("status", "grp:*"), s("status", "nope"),
		s("status", "nope:*"), s("status", "grp:zz"), s("status", "sleeper", "nope", "all"), s("status;"))
	add(s("foo"), s("start-x"), s("!ls"))
	add(s("tail", "echo", "stderr"), s("tail", "-2", "echo"), s("tail", "-x", "echo"), s("tail", "echo", "foo"),
		s("tail"), s("tail", "a", "b", "c", "d"), s("tail", "-f"), s("tail", "nope"), s("tail", "grp:*"),
		s("tail", "manual"), s("tail", "a", "b", "c"))
	add(step{args: []string{"tail", "-f", "nope"}, stderr: true})
	add(s("maintail", "-1"), s("maintail", "x"))
	add(s("clear"), s("clear", "echo", "nope", "nope:*", "grp:*"), s("tail", "echo"), s("clear", "all"))
	add(s("avail"), s("avail", "x"), s("version"), s("version", "x"))
	add(s("pid", "sleeper"), s("pid", "manual"), s("pid", "nope"), s("pid", "grp:*"), s("pid", "all"))
	add(s("start"), s("start", "nope"), s("start", "nope:*"), s("start", "sleeper"), s("start", "manual"),
		s("start", "grp:*"), s("start", "manual", "grp:b"), s("start", "failing"), s("start", "nofile"),
		s("start", "a_program_with_a_very_long_name_indeed"), s("status"))
	add(s("stop"), s("stop", "nope", "nope:*"), s("stop", "manual"), s("stop", "manual"), u("stop", "grp:*"),
		s("stop", "grp:a", "grp:zz"), s("status"), u("start", "all"), u("stop", "all"), u("start", "all"),
		s("restart"), s("restart", "sleeper"), u("restart", "grp:*"), u("restart", "all"), s("status"))
	add(s("signal"), s("signal", "CONT"), s("signal", "CONT", "sleeper"), s("signal", "FOO", "sleeper"),
		s("signal", "CONT", "nope", "nope:*", "grp:*"), s("signal", "WINCH", "all"), s("stop", "manual"),
		s("signal", "CONT", "manual"))
	add(s("reread", "x"), s("reread"), s("update", "x"), s("add"), s("add", "nope"), s("add", "grp"),
		s("remove"), s("remove", "nope"), s("remove", "grp"), u("stop", "grp:*"), s("remove", "grp"), s("status"),
		s("avail"), s("add", "grp"), s("status", "grp:*"))
	add(step{args: []string{"reread"}, conf: compatConf2}, s("avail"), s("update", "nope", "sleeper"),
		s("status"), s("update"), s("status"), s("update", "all"), s("reread"))
	add(step{args: []string{"reread"}, conf: compatConf}, s("update", "manual"), s("update"), s("status"))
	add(s("fg"), s("fg", "a", "b"), s("fg", "nope"), s("fg", "manual"))
	// -i with a command runs it and exits.
	add(s("-i", "version"))
	// The interactive shell over a pipe: status first, prompts, EOF.
	add(step{stdin: "pid\nfoo\n\nhelp help\nstatus sleeper\nversion\n"},
		step{stdin: "status nope\nquit\nversion\n"})
	// reload restarts the daemons; wait for them before going on.
	add(s("reload"), step{args: []string{"status"}, before: func(t *testing.T, a, b *daemon) {
		a.waitReady(t)
		b.waitReady(t)
	}})
	// Shutdown last.
	add(s("shutdown"))
	return steps
}

// TestCompatSupervisorctl runs the same command sequence with the real
// supervisorctl against supervisord A and with superctl against an
// identical supervisord B, and compares outputs and exit codes.
func TestCompatSupervisorctl(t *testing.T) {
	needSupervisor(t)
	t.Parallel()
	a := startDaemon(t, supervisordBin, compatConf)
	b := startDaemon(t, supervisordBin, compatConf)
	runCompatSteps(t, a, b, supervisorctlBin, superctlBin, compatSteps())
	a.waitExited(t)
	b.waitExited(t)
	// Both daemons are gone now.
	runCompatSteps(t, a, b, supervisorctlBin, superctlBin, []step{s("shutdown"), s("status"), s("version")})
}

// runCompatSteps runs steps: refCtl against a, ctl against b.
func runCompatSteps(t *testing.T, a, b *daemon, refCtl, ctl string, steps []step) {
	t.Helper()
	for i, st := range steps {
		if st.conf != "" {
			a.writeConf(t, st.conf)
			b.writeConf(t, st.conf)
		}
		if st.before != nil {
			st.before(t, a, b)
		}
		argsFor := func(d *daemon) []string {
			if st.noConfig {
				return st.args
			}
			return append([]string{"-c", d.conf}, st.args...)
		}
		ref, got := runPair(t, a.dir, refCtl, argsFor(a), b.dir, ctl, argsFor(b), st.stdin)
		wantOut, gotOut := normalize(ref.stdout, a.dir), normalize(got.stdout, b.dir)
		if st.unordered {
			wantOut, gotOut = sortLines(wantOut), sortLines(gotOut)
			got.rc = ref.rc
		}
		name := strings.Join(st.args, " ")
		if st.stdin != "" {
			name += " <<< " + strings.ReplaceAll(st.stdin, "\n", `\n`)
		}
		if wantOut != gotOut {
			t.Errorf("step %d %q: stdout differs\nsupervisorctl:\n%s\nsuperctl:\n%s", i, name, wantOut, gotOut)
		}
		if ref.rc != got.rc {
			t.Errorf("step %d %q: exit code %d, supervisorctl %d", i, name, got.rc, ref.rc)
		}
		if st.stderr {
			we, ge := normalize(ref.stderr, a.dir), normalize(stripHints(got.stderr), b.dir)
			if we != ge {
				t.Errorf("step %d %q: stderr differs\nsupervisorctl:\n%s\nsuperctl:\n%s", i, name, we, ge)
			}
		}
	}
}

// runPair runs the reference and the tested client concurrently.
func runPair(t *testing.T, dirA, refCtl string, argsA []string, dirB, ctl string, argsB []string, stdin string) (ref, got runResult) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		ref = runCtl(t, dirA, refCtl, stdin, argsA...)
	}()
	got = runCtl(t, dirB, ctl, stdin, argsB...)
	<-done
	return ref, got
}

func sortLines(s string) string {
	lines := strings.Split(s, "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestCompatOffline compares commands that need no server.
func TestCompatOffline(t *testing.T) {
	needSupervisor(t)
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "s.conf")
	os.WriteFile(conf, []byte("[supervisorctl]\nserverurl=unix://"+dir+"/none.sock\n"), 0o644)
	cmds := [][]string{{"help"}, {"help", "foo"}, {"help", "help"}, {"help", "EOF"}, {"?"}, {"help", "start", "stop"},
		{"foo"}, {"EOF"}, {"quit"}, {"exit"}, {""}, {"!ls"}, {"open"}, {"open", "ftp://x"}, {"shutdown", "x"},
		{"reload", "x"}, {"avail", "x"}, {"reread", "x"}, {"version", "x"}, {"help", "version"}}
	for _, topic := range topicNames(false) {
		cmds = append(cmds, []string{"help", topic})
	}
	for _, cmd := range cmds {
		args := append([]string{"-c", conf}, cmd...)
		ref, got := runPair(t, dir, supervisorctlBin, args, dir, superctlBin, args, "")
		got.stdout = stripSuperdHelp(got.stdout)
		if ref.stdout != got.stdout || ref.rc != got.rc {
			t.Errorf("%q:\nsupervisorctl (rc %d):\n%s\nsuperctl (rc %d):\n%s", cmd, ref.rc, ref.stdout, got.rc, got.stdout)
		}
	}
}

// stripSuperdHelp removes the block of superctl's own commands from
// "help" output, for comparing it with a supervisorctl that has no
// plugin (TestHelpAsPlugin compares the block).
func stripSuperdHelp(s string) string {
	i := strings.Index(s, "\n\nsuperd commands (type help <topic>):\n")
	if i < 0 {
		return s
	}
	end := strings.Index(s[i+2:], "\n\n")
	if end < 0 {
		return s
	}
	return s[:i+1] + s[i+2+end+2:]
}

// TestHelpAsPlugin: superctl's "help" is what supervisorctl prints with
// a [ctlplugin:superd] that has superctl's own commands: supervisorctl's
// block unchanged, then "superd commands".
func TestHelpAsPlugin(t *testing.T) {
	needSupervisor(t)
	t.Parallel()
	dir := t.TempDir()
	var py strings.Builder
	py.WriteString("from supervisor.supervisorctl import ControllerPluginBase\n\nclass Superd(ControllerPluginBase):\n    name = 'superd'\n")
	for _, name := range topicNames(true) {
		fmt.Fprintf(&py, "    def do_%[1]s(self, arg): pass\n    def help_%[1]s(self): self.ctl.output(%[1]q)\n", name)
	}
	py.WriteString("\ndef make(controller, **config):\n    return Superd(controller)\n")
	if err := os.WriteFile(filepath.Join(dir, "superdplugin.py"), []byte(py.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "s.conf")
	os.WriteFile(conf, []byte("[supervisorctl]\nserverurl=unix://"+dir+"/none.sock\n\n[ctlplugin:superd]\nsupervisor.ctl_factory = superdplugin:make\n"), 0o644)
	cmd := exec.Command(supervisorctlBin, "-c", conf, "help")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dir)
	want, err := cmd.Output()
	if err != nil {
		t.Fatalf("supervisorctl with the plugin: %v", err)
	}
	got := runCtl(t, dir, superctlBin, "", "-c", conf, "help")
	if got.stdout != string(want) || !strings.Contains(got.stdout, "jobs") {
		t.Errorf("help:\nsupervisorctl with [ctlplugin:superd]:\n%s\nsuperctl:\n%s", want, got.stdout)
	}
}

// TestCompatOptions compares command-line errors (no daemon needed).
func TestCompatOptions(t *testing.T) {
	needSupervisor(t)
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "s.conf")
	os.WriteFile(conf, []byte("[supervisorctl]\nserverurl=unix://"+dir+"/none.sock\n"), 0o644)
	for _, args := range [][]string{
		{"-z"}, {"--foo"}, {"-s", "foo", "status"}, {"-c", "/nonexistent/x.conf", "status"},
		{"-c", conf, "-s", "unix:///a", "-s", "unix:///b", "status"}, {"-c", conf, "-i", "-i", "status"},
		{"-c"}, {"--serverurl"}, {"--interactive=1"}, {"--user"}, {"-c", conf, "help"},
		{"-c", conf, "--serverurl=http://127.0.0.1:1", "status"},
		{"-c", conf, "--server", "http://127.0.0.1:1", "version"},
	} {
		ref, got := runPair(t, dir, supervisorctlBin, args, dir, superctlBin, args, "")
		if n1, n2 := normalize(ref.stdout+ref.stderr, dir), normalize(stripSuperdHelp(got.stdout)+stripHints(got.stderr), dir); n1 != n2 || ref.rc != got.rc {
			t.Errorf("%q:\nsupervisorctl (rc %d):\n%s\nsuperctl (rc %d):\n%s", args, ref.rc, n1, got.rc, n2)
		}
	}
}

// TestCompatConnection compares the connection-check messages for a
// missing socket and a socket nobody listens on.
func TestCompatConnection(t *testing.T) {
	needSupervisor(t)
	t.Parallel()
	dir := t.TempDir()
	missing := "unix://" + filepath.Join(dir, "missing.sock")
	deadPath := filepath.Join(dir, "dead.sock")
	l, err := net.Listen("unix", deadPath)
	if err != nil {
		t.Fatal(err)
	}
	// Close the listener but keep the file: connections are refused.
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	dead := "unix://" + deadPath
	cmds := [][]string{{"status"}, {"start", "x"}, {"stop", "x"}, {"restart", "x"}, {"signal", "HUP", "x"},
		{"pid"}, {"pid", "x"}, {"tail", "x"}, {"maintail"}, {"clear", "x"}, {"fg", "x"}, {"version"},
		{"shutdown"}, {"start"}, {"help"}, {"add"}, {"remove"}}
	for i, url := range []string{missing, dead, "http://127.0.0.1:1"} {
		if i > 0 {
			// refused connections: a few commands are enough
			cmds = [][]string{{"status"}, {"start", "x"}, {"pid"}, {"shutdown"}}
		}
		for _, cmd := range cmds {
			args := append([]string{"-s", url}, cmd...)
			ref, got := runPair(t, dir, supervisorctlBin, args, dir, superctlBin, args, "")
			got.stdout = stripSuperdHelp(got.stdout)
			if ref.stdout != got.stdout || ref.rc != got.rc {
				t.Errorf("%q:\nsupervisorctl (rc %d):\n%s\nsuperctl (rc %d):\n%s", args, ref.rc, ref.stdout, got.rc, got.stdout)
			}
		}
	}
	// superctl's extra hint, and its documented wording for commands
	// where supervisorctl prints a Python error instead.
	got := runCtl(t, dir, superctlBin, "", "-s", missing, "status")
	if want := "is superd running? socket " + filepath.Join(dir, "missing.sock") + " not found\n"; got.stderr != want {
		t.Errorf("hint: got %q, want %q", got.stderr, want)
	}
	for _, cmd := range [][]string{{"avail"}, {"reread"}, {"update"}, {"add", "x"}, {"remove", "x"}, {"reload"}} {
		ref := runCtl(t, dir, supervisorctlBin, "", append([]string{"-s", missing}, cmd...)...)
		got := runCtl(t, dir, superctlBin, "", append([]string{"-s", missing}, cmd...)...)
		if want := missing + " no such file\n"; got.stdout != want || got.rc != ref.rc {
			t.Errorf("%q: got %q rc %d, want %q rc %d", cmd, got.stdout, got.rc, want, ref.rc)
		}
	}
}

const authConf = `[unix_http_server]
file=$DIR/s.sock
username=user
password=pass

[supervisord]
logfile=$DIR/main.log
pidfile=$DIR/s.pid
childlogdir=$DIR
statedir=$DIR/state
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$DIR/s.sock

[program:sleeper]
command=sleep 1000
startsecs=0
`

// TestCompatAuth: without credentials both print "Server requires
// authentication" (supervisorctl adds a Python error line superctl
// omits, see docs/COMPATIBILITY.md); with them both work.
func TestCompatAuth(t *testing.T) {
	needSupervisor(t)
	t.Parallel()
	a := startDaemon(t, supervisordBin, authConf)
	for _, args := range [][]string{{"status"}, {"avail"}, {"version"}, {"-u", "user", "-p", "bad", "pid"}} {
		full := append([]string{"-c", a.conf}, args...)
		ref, got := runPair(t, a.dir, supervisorctlBin, full, a.dir, superctlBin, full, "")
		first, _, _ := strings.Cut(ref.stdout, "\n")
		if got.stdout != first+"\n" || got.rc != ref.rc || first != "Server requires authentication" {
			t.Errorf("%q: supervisorctl (rc %d) %q, superctl (rc %d) %q", args, ref.rc, ref.stdout, got.rc, got.stdout)
		}
	}
	for _, args := range [][]string{{"status"}, {"version"}, {"pid", "sleeper"}} {
		full := append([]string{"-c", a.conf, "-u", "user", "-p", "pass"}, args...)
		ref, got := runPair(t, a.dir, supervisorctlBin, full, a.dir, superctlBin, full, "")
		if normalize(ref.stdout) != normalize(got.stdout) || ref.rc != got.rc {
			t.Errorf("%q: supervisorctl (rc %d) %q, superctl (rc %d) %q", args, ref.rc, ref.stdout, got.rc, got.stdout)
		}
	}
}

// TestCompatSuperd runs the same sequence with the reference pair
// (supervisorctl, supervisord) against (superctl, superd), and against
// (supervisorctl, superd) too; superd is the binary TestMain built from
// this tree.
func TestCompatSuperd(t *testing.T) {
	needSupervisor(t)
	bin := superdBin
	t.Parallel()
	for _, ctl := range []string{superctlBin, supervisorctlBin} {
		t.Run(filepath.Base(ctl), func(t *testing.T) {
			t.Parallel()
			a := startDaemon(t, supervisordBin, compatConf)
			b := startDaemon(t, bin, compatConf)
			runCompatSteps(t, a, b, supervisorctlBin, ctl, compatSteps())
			a.waitExited(t)
			b.waitExited(t)
		})
	}
}
