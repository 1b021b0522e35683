package ctl

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// lifecycleConf: a pool of 4 "w" processes, each ready once it listens
// on $PORT+process_num (after a short delay), and web depending on db.
const lifecycleCtlConf = `[unix_http_server]
file=$DIR/s.sock
[supervisord]
logfile=$DIR/main.log
pidfile=$DIR/s.pid
childlogdir=$DIR
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://$DIR/s.sock
[program:w]
command=$PY -c "import socket,sys,time; time.sleep(0.2); s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); time.sleep(1000)" %(process_num)d
process_name=w-%(process_num)d
numprocs=4
numprocs_start=$PORT
ready=tcp://127.0.0.1:%(process_num)d
startsecs=0
stopwaitsecs=2
[program:db]
command=sleep 1000
startsecs=0
[program:web]
command=sleep 1000
startsecs=0
depends_on=db
`

func portRange(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ok := base+n < 65536
		for i := 0; i < n && ok; i++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

// TestLifecycleCommands runs superctl's lifecycle commands against a
// real superd: restart --rolling (text and --json), scale up and down,
// stop --no-deps, and the dependency lines of start and stop.
func TestLifecycleCommands(t *testing.T) {
	t.Parallel()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is needed for the pool helper")
	}
	base := portRange(t, 6)
	conf := strings.NewReplacer("$PY", py, "$PORT", fmt.Sprint(base)).Replace(lifecycleCtlConf)
	d := startDaemon(t, superdBin, conf)
	run := func(args ...string) runResult {
		t.Helper()
		return runCtl(t, d.dir, superctlBin, "", append([]string{"-c", d.conf}, args...)...)
	}
	w := func(i int) string { return fmt.Sprintf("w:w-%d", base+i) }

	r := run("restart", "--rolling", "w:*")
	want := ""
	for i := range 4 {
		want += w(i) + ": restarted\n"
	}
	if r.stdout != want || r.rc != 0 {
		t.Errorf("restart --rolling: rc %d\n%s\nwant\n%s", r.rc, r.stdout, want)
	}
	r = run("restart", "--rolling", "--batch", "2", "--json", "w")
	var steps []struct {
		Name, Group, Description string
		Status                   int
	}
	if err := json.Unmarshal([]byte(r.stdout), &steps); err != nil || len(steps) != 4 || steps[3].Status != 80 ||
		steps[0].Name != fmt.Sprintf("w-%d", base) || r.rc != 0 {
		t.Errorf("restart --rolling --json: rc %d %v\n%s", r.rc, err, r.stdout)
	}
	r = run("restart", "--rolling", "--batch", "0", "w")
	if r.rc != 2 || !strings.Contains(r.stdout, "--batch needs a number") {
		t.Errorf("--batch 0: rc %d %q", r.rc, r.stdout)
	}
	r = run("restart", "--rolling", "nope:*")
	if r.rc != 1 || r.stdout != "nope: ERROR (no such group)\n" {
		t.Errorf("rolling nope: rc %d %q", r.rc, r.stdout)
	}

	r = run("scale", "w", "6")
	if r.rc != 0 || r.stdout != w(4)+": added and started\n"+w(5)+": added and started\nw: 6 processes\n" {
		t.Errorf("scale w 6: rc %d\n%s", r.rc, r.stdout)
	}
	r = run("status", "w:*")
	if n := strings.Count(r.stdout, "RUNNING"); n != 6 {
		t.Errorf("status after scale up: %d RUNNING\n%s", n, r.stdout)
	}
	r = run("scale", "w", "3", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &steps); err != nil || len(steps) != 3 || steps[0].Name != fmt.Sprintf("w-%d", base+5) {
		t.Errorf("scale w 3 --json: rc %d %v\n%s", r.rc, err, r.stdout)
	}
	r = run("status", "w:*")
	if got := regexp.MustCompile(`(?m)^w:\S+`).FindAllString(r.stdout, -1); strings.Join(got, " ") != strings.Join([]string{w(0), w(1), w(2)}, " ") {
		t.Errorf("status after scale down: %v\n%s", got, r.stdout)
	}
	r = run("reread")
	if r.stdout != "w: changed\n" {
		t.Errorf("reread after scale: %q", r.stdout)
	}
	// update goes back to the configured numprocs.
	r = run("update", "w")
	if r.rc != 0 || r.stdout != "w: stopped\nw: updated process group\n" {
		t.Errorf("update w after scale: rc %d %q", r.rc, r.stdout)
	}
	d.waitReady(t)
	r = run("status", "w:*")
	if got := regexp.MustCompile(`(?m)^w:\S+`).FindAllString(r.stdout, -1); strings.Join(got, " ") != strings.Join([]string{w(0), w(1), w(2), w(3)}, " ") {
		t.Errorf("status after update: %v\n%s", got, r.stdout)
	}
	r = run("scale", "web", "2")
	if r.rc != 2 || !strings.Contains(r.stdout, "web: ERROR (process_name of [program:web] does not use %(process_num)") {
		t.Errorf("scale web 2: rc %d %q", r.rc, r.stdout)
	}
	r = run("scale", "web", "1") // nothing to do, in the singular
	if r.rc != 0 || r.stdout != "web: 1 process\n" {
		t.Errorf("scale web 1: rc %d %q", r.rc, r.stdout)
	}
	r = run("scale", "nope", "2")
	if r.rc != 2 || r.stdout != "nope: ERROR (no such group)\n" {
		t.Errorf("scale nope: rc %d %q", r.rc, r.stdout)
	}

	r = run("stop", "--no-deps", "db")
	if r.rc != 0 || r.stdout != "db: stopped\n" {
		t.Errorf("stop --no-deps db: rc %d %q", r.rc, r.stdout)
	}
	if r = run("status", "web"); !strings.Contains(r.stdout, "RUNNING") {
		t.Errorf("web after stop --no-deps db: %q", r.stdout)
	}
	run("start", "db")
	r = run("stop", "db")
	if r.rc != 0 || r.stdout != "web: stopped (depends on db)\ndb: stopped\n" {
		t.Errorf("stop db: rc %d %q", r.rc, r.stdout)
	}
	r = run("start", "web")
	if r.rc != 0 || r.stdout != "db: started (web depends on it)\nweb: started\n" {
		t.Errorf("start web: rc %d %q", r.rc, r.stdout)
	}
	r = run("help", "scale")
	if !strings.HasPrefix(r.stdout, "scale <gname> <n>") {
		t.Errorf("help scale: %q", r.stdout)
	}
	if r = run("help"); !strings.Contains(r.stdout, "superd commands (type help <topic>):\n====================================\njobs  logs  scale  top\n") {
		t.Errorf("help does not list scale among superd's commands:\n%s", r.stdout)
	}
}

// TestRollingRestartFailure: the rolling restart stops at the first
// process that fails to start again, says so, and exits 1.
func TestRollingRestartFailure(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, superdBin, `[unix_http_server]
file=$DIR/s.sock
[supervisord]
logfile=$DIR/main.log
childlogdir=$DIR
[supervisorctl]
serverurl=unix://$DIR/s.sock
[program:p]
command=sh -c 'if [ -e $DIR/broken-%(process_num)d ]; then exit 1; fi; exec sleep 1000'
process_name=p%(process_num)d
numprocs=3
startsecs=1
startretries=0
`)
	run := func(args ...string) runResult {
		t.Helper()
		return runCtl(t, d.dir, superctlBin, "", append([]string{"-c", d.conf}, args...)...)
	}
	if err := exec.Command("touch", d.dir+"/broken-1").Run(); err != nil {
		t.Fatal(err)
	}
	r := run("restart", "--rolling", "p")
	want := "p:p0: restarted\np:p1: ERROR (spawn error)\np:p2: not restarted: p:p1 failed\n" +
		"ERROR: rolling restart of p stopped: p:p1 failed to restart (spawn error); 1 not restarted\n"
	if r.rc != 1 || r.stdout != want {
		t.Errorf("rc %d\n%s\nwant\n%s", r.rc, r.stdout, want)
	}
}

// TestLifecycleCommandsAgainstSupervisord: superd-only commands say
// they need superd; start and stop print exactly supervisorctl's lines.
func TestLifecycleCommandsAgainstSupervisord(t *testing.T) {
	needSupervisor(t)
	t.Parallel()
	d := startDaemon(t, supervisordBin, compatConf)
	run := func(args ...string) runResult {
		t.Helper()
		return runCtl(t, d.dir, superctlBin, "", append([]string{"-c", d.conf}, args...)...)
	}
	for _, args := range [][]string{{"scale", "grp", "2"}, {"restart", "--rolling", "grp:*"}, {"stop", "--no-deps", "sleeper"}} {
		r := run(args...)
		if r.rc != 1 || !strings.HasPrefix(r.stdout, "ERROR: ") || !strings.Contains(r.stdout, "needs superd") {
			t.Errorf("%v: rc %d %q", args, r.rc, r.stdout)
		}
	}
	if r := run("stop", "sleeper"); r.rc != 0 || r.stdout != "sleeper: stopped\n" {
		t.Errorf("stop sleeper: rc %d %q", r.rc, r.stdout)
	}
	if r := run("start", "sleeper"); r.rc != 0 || r.stdout != "sleeper: started\n" {
		t.Errorf("start sleeper: rc %d %q", r.rc, r.stdout)
	}
}

// lifecycleCompatConf uses every lifecycle option superd adds; the
// stock supervisord ignores them.
const lifecycleCompatConf = `[unix_http_server]
file=$DIR/s.sock
[supervisord]
logfile=$DIR/main.log
pidfile=$DIR/s.pid
childlogdir=$DIR
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://$DIR/s.sock
[program:db]
command=sleep 1000
startsecs=0
ready=exec:/bin/true
ready_timeout=10
healthcheck=exec:/bin/true
healthcheck_interval=1
healthcheck_timeout=2
healthcheck_retries=2
healthcheck_action=restart
restart_delay=1
restart_backoff=exponential
restart_delay_max=5
restart_reset=60
startretries_forever=true
environment_file=$DIR/app.env, -$DIR/missing.env
[program:web]
command=sleep 1000
startsecs=0
depends_on=db
ready=exec:/bin/true
healthcheck=exec:/bin/true
healthcheck_action=none
[program:workers]
command=sleep 1000
process_name=w%(process_num)d
numprocs=2
startsecs=0
depends_on=db
restart_delay=2s
`

// TestCompatLifecycleConfig: against a config that uses every lifecycle
// option, the stock supervisorctl (and superctl) talking to superd print
// what supervisorctl prints talking to supervisord (which ignores the
// options) for status, start, stop, restart, avail, pid and signal.
// Only processes without dependants are stopped alone: stopping db
// would stop web and the workers first in superd, a documented
// difference (stop all and restart all stop everything either way).
func TestCompatLifecycleConfig(t *testing.T) {
	needSupervisor(t)
	t.Parallel()
	conf := lifecycleCompatConf
	steps := []step{
		s("status"), s("avail"), s("stop", "web"), s("status"), s("start", "web"), s("status"),
		s("restart", "web"), s("start", "db"), s("stop", "workers:w1"), s("start", "workers:*"),
		u("stop", "all"), s("status"), u("start", "all"), s("status"), u("restart", "all"), s("status"),
		s("pid", "db"), s("signal", "CONT", "db"), s("stop", "nope"),
	}
	for _, ctl := range []string{superctlBin, supervisorctlBin} {
		t.Run(filepath.Base(ctl), func(t *testing.T) {
			t.Parallel()
			a := startDaemonEnv(t, supervisordBin, conf)
			b := startDaemonEnv(t, superdBin, conf)
			runCompatSteps(t, a, b, supervisorctlBin, ctl, steps)
		})
	}
}

// startDaemonEnv is startDaemon with an app.env next to the config.
func startDaemonEnv(t *testing.T, bin, conf string) *daemon {
	t.Helper()
	dir, err := os.MkdirTemp("", "sd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte("# app\nAPP_MODE=test\nQUOTED=\"a b\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &daemon{dir: dir, conf: filepath.Join(dir, "s.conf"), sock: filepath.Join(dir, "s.sock"), exited: make(chan struct{})}
	d.writeConf(t, conf)
	d.cmd = exec.Command(bin, "-n", "-c", d.conf)
	d.cmd.Dir = dir
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() { d.stop(t) })
	d.waitReady(t)
	return d
}
