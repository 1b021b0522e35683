package process

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
)

// shProc is a process running sh -c script, with supervisord's defaults
// except startsecs=0 and stopwaitsecs=2.
func shProc(name, script string) *config.Process {
	return &config.Process{
		Name: name, Group: name, Program: name,
		Command: script, Argv: []string{"/bin/sh", "-c", script},
		Priority: 999, Autostart: true, Autorestart: config.AutorestartUnexpected,
		StartSecs: 0, StartRetries: 3, ExitCodes: []int{0},
		StopSignal: syscall.SIGTERM, StopSignalName: "TERM", StopWaitSecs: 2,
		UID: -1, ServerURL: "AUTO",
		Lifecycle: config.Lifecycle{ReadyTimeout: 60 * time.Second, HealthInterval: 10 * time.Second,
			HealthTimeout: 5 * time.Second, HealthRetries: 3, HealthRestart: true},
	}
}

// stamped records when each event was published.
func stamped(o *Options) {
	prev := o.observe
	o.observe = func(e events.Event) { e.Time = time.Now(); prev(e) }
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func python(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is needed for the helper servers")
	}
	return py
}

func probe(t *testing.T, spec string) *config.Probe {
	t.Helper()
	p, err := config.ParseProbe(spec)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (h *harness) info(name string) Info {
	h.t.Helper()
	i, err := h.s.ProcessInfo(h.ctx(), name)
	if err != nil {
		h.t.Fatal(err)
	}
	return i
}

// TestReadinessAndDependency: a "database" opens its port 1 s after it
// starts; web depends on it. db stays STARTING until the port answers,
// web waits (STARTING, no child, the reason in its description) and is
// spawned only after db is RUNNING.
func TestReadinessAndDependency(t *testing.T) {
	t.Parallel()
	py := python(t)
	port := freePort(t)
	db := shProc("db", fmt.Sprintf(`exec %s -c 'import socket,time
time.sleep(1)
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1",%d)); s.listen(); time.sleep(1000)'`, py, port))
	db.Ready = probe(t, fmt.Sprintf("tcp://127.0.0.1:%d", port))
	web := shProc("web", "exec sleep 1000")
	web.Deps = []string{"db:db"}
	web.Priority = 1 // would start first without the dependency
	cfg := testConfig(t, groupOf(web), groupOf(db))
	cfg.Groups[0].Priority = 1
	h := start(t, cfg, stamped)
	h.waitState("web", Starting)
	if i := h.info("web"); i.PID != 0 || !strings.HasPrefix(i.Description(), "waiting for db (STARTING)") {
		t.Errorf("web while db starts: pid %d, %q", i.PID, i.Description())
	}
	h.waitState("db", Starting)
	eventually(t, "db spawned", func() bool { return h.info("db").PID != 0 })
	if d := h.info("db").Description(); !strings.Contains(d, "waiting until ready (tcp://") {
		t.Errorf("db description while not ready: %q", d)
	}
	dbUp := h.waitState("db", Running)
	webUp := h.waitState("web", Running)
	if webUp.Time.Before(dbUp.Time) {
		t.Errorf("web RUNNING at %v before db at %v", webUp.Time, dbUp.Time)
	}
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err != nil {
		t.Errorf("db RUNNING but its port does not answer: %v", err)
	} else {
		c.Close()
	}
	h.waitLog("success: db entered RUNNING state, ready (tcp://")
	// db starts at startup anyway (autostart): not "for web".
	for _, l := range h.log.lines() {
		if strings.Contains(l, "web depends on it") {
			t.Errorf("startup log says db was started for web: %q", l)
		}
	}
	// Stopping db stops web first.
	if err := h.s.StopProcess(h.ctx(), "db", true); err != nil {
		t.Fatal(err)
	}
	webDown := h.waitState("web", Stopped)
	dbDown := h.waitState("db", Stopped)
	if dbDown.Time.Before(webDown.Time) {
		t.Errorf("db stopped before its dependant web")
	}
	// Starting web starts db first.
	if err := h.s.StartProcess(h.ctx(), "web", true); err != nil {
		t.Fatal(err)
	}
	if i := h.info("db"); i.State != Running {
		t.Errorf("db %v after starting web", i.State)
	}
	h.waitLog("starting db: web depends on it")
}

// TestReadyTimeoutAndFatalDependency: a process never ready is a failed
// start (BACKOFF with the reason, then FATAL); a program depending on
// it stays STARTING with the reason and never spawns.
func TestReadyTimeoutAndFatalDependency(t *testing.T) {
	t.Parallel()
	db := shProc("db", "exec sleep 1000")
	db.Ready = probe(t, fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t)))
	db.ReadyTimeout = 300 * time.Millisecond
	db.StartRetries = 1
	web := shProc("web", "exec sleep 1000")
	web.Deps = []string{"db:db"}
	h := start(t, testConfig(t, groupOf(db), groupOf(web)))
	h.expectStates("db", "STARTING", "BACKOFF", "STARTING", "BACKOFF", "FATAL")
	i := h.info("db")
	if !strings.HasPrefix(i.SpawnErr, "not ready within 300ms (tcp://127.0.0.1:") || !strings.Contains(i.SpawnErr, "connection refused") {
		t.Errorf("db spawnerr %q", i.SpawnErr)
	}
	w := h.info("web")
	if w.State != Starting || w.PID != 0 || w.Description() != "waiting for db (FATAL)" {
		t.Errorf("web: %v pid %d %q", w.State, w.PID, w.Description())
	}
	if err := h.s.StopProcess(h.ctx(), "web", true); err != nil {
		t.Errorf("stopping a waiting process: %v", err)
	}
	if w := h.info("web"); w.State != Stopped {
		t.Errorf("web %v after stop", w.State)
	}
}

// TestRestartDelay: an exit after RUNNING waits restart_delay in BACKOFF
// ("restarting in N s (exit status 1)") before the restart; with
// exponential backoff the waits double up to restart_delay_max.
func TestRestartDelay(t *testing.T) {
	t.Parallel()
	p := shProc("flap", "sleep 0.1; exit 1")
	p.Autorestart = config.AutorestartTrue
	p.RestartDelay = 300 * time.Millisecond
	p.RestartExponential = true
	p.RestartDelayMax = time.Second
	p.RestartReset = time.Hour
	h := start(t, testConfig(t, groupOf(p)), stamped)
	var waits []time.Duration
	h.waitState("flap", Running)
	for range 4 {
		ex := h.waitState("flap", Exited)
		b := h.waitState("flap", Backoff)
		if len(waits) == 0 {
			if d := h.info("flap").Description(); !strings.HasPrefix(d, "restarting in ") || !strings.HasSuffix(d, " s (exit status 1)") {
				t.Errorf("BACKOFF description %q", d)
			}
		}
		if b.FromState != "EXITED" {
			t.Errorf("BACKOFF from %s", b.FromState)
		}
		st := h.waitState("flap", Starting)
		waits = append(waits, st.Time.Sub(ex.Time))
	}
	want := []time.Duration{300 * time.Millisecond, 600 * time.Millisecond, time.Second, time.Second}
	for i, w := range want {
		if waits[i] < w-20*time.Millisecond || waits[i] > w+2*time.Second {
			t.Errorf("restart %d after %v, want about %v (all: %v)", i, waits[i], w, waits)
		}
	}
}

// TestStartDuringRestartDelay: superctl start during the wait starts it
// at once.
func TestStartDuringRestartDelay(t *testing.T) {
	t.Parallel()
	p := shProc("slowre", "sleep 0.1; exit 1")
	p.Autorestart = config.AutorestartTrue
	p.RestartDelay = time.Hour
	h := start(t, testConfig(t, groupOf(p)))
	h.waitState("slowre", Backoff)
	if err := h.s.StartProcess(h.ctx(), "slowre", false); err != nil {
		t.Fatal(err)
	}
	h.waitState("slowre", Starting)
}

// TestHealthCheckRestarts: an HTTP health endpoint that starts failing
// makes the process unhealthy (description, event) and restarts it
// through the normal stop path.
func TestHealthCheckRestarts(t *testing.T) {
	t.Parallel()
	py := python(t)
	port := freePort(t)
	flag := filepath.Join(t.TempDir(), "fail")
	srv := fmt.Sprintf(`exec %s -c '
import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(500 if os.path.exists(%q) else 200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", %d), H).serve_forever()'`, py, flag, port)
	p := shProc("web", srv)
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
	p.Ready, p.Health = probe(t, url), probe(t, url)
	p.HealthInterval, p.HealthTimeout, p.HealthRetries = 100*time.Millisecond, time.Second, 2
	h := start(t, testConfig(t, groupOf(p)))
	up := h.waitState("web", Running)
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	unhealthy := h.next("unhealthy event", func(e events.Event) bool { return e.Type == events.SuperdProcessUnhealthy })
	if unhealthy.Reason != "unhealthy (2 checks failed: HTTP 500 Internal Server Error)" {
		t.Errorf("reason %q", unhealthy.Reason)
	}
	h.waitLog("unhealthy: web (2 checks failed: HTTP 500 Internal Server Error)")
	h.waitState("web", Stopping)
	os.Remove(flag)
	h.waitState("web", Stopped)
	again := h.waitState("web", Running)
	if again.PID == up.PID {
		t.Errorf("not restarted: pid %d", again.PID)
	}
}

// TestSDNotify: READY=1 over NOTIFY_SOCKET makes the process RUNNING;
// WATCHDOG=1 keeps a notify health check passing, and a missing
// watchdog makes it unhealthy.
func TestSDNotify(t *testing.T) {
	t.Parallel()
	py := python(t)
	script := fmt.Sprintf(`exec %s -c '
import os, socket, time
a = os.environ["NOTIFY_SOCKET"]
if a.startswith("@"): a = "\0" + a[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
time.sleep(0.5)
s.sendto(b"STATUS=warming up\nREADY=1", a)
us = int(os.environ["WATCHDOG_USEC"])
for i in range(10):
    time.sleep(us / 2e6); s.sendto(b"WATCHDOG=1", a)
time.sleep(1000)'`, py)
	p := shProc("notifier", script)
	p.Ready, p.Health = probe(t, "notify"), probe(t, "notify")
	p.HealthInterval, p.HealthTimeout, p.HealthRetries, p.HealthRestart = 200*time.Millisecond, 100*time.Millisecond, 2, false
	h := start(t, testConfig(t, groupOf(p)), stamped)
	st := h.waitState("notifier", Starting)
	up := h.waitState("notifier", Running)
	if d := up.Time.Sub(st.Time); d < 400*time.Millisecond {
		t.Errorf("RUNNING %v after STARTING: before READY=1", d)
	}
	if s := h.info("notifier").NotifyStatus; s != "warming up" {
		t.Errorf("STATUS %q", s)
	}
	if d := h.info("notifier").Description(); !strings.HasSuffix(d, ", status: warming up") {
		t.Errorf("description %q does not show the child's STATUS=", d)
	}
	// The watchdog stops after ~10 pings (1 s): unhealthy.
	e := h.next("unhealthy", func(e events.Event) bool { return e.Type == events.SuperdProcessUnhealthy })
	if !strings.Contains(e.Reason, "no WATCHDOG=1 within") {
		t.Errorf("reason %q", e.Reason)
	}
	if d := h.info("notifier").Description(); !strings.Contains(d, ", unhealthy (") {
		t.Errorf("description %q", d)
	}
	// The STATUS= goes with the child that sent it.
	if err := h.s.StopProcess(h.ctx(), "notifier", true); err != nil {
		t.Fatal(err)
	}
	if i := h.info("notifier"); i.NotifyStatus != "" {
		t.Errorf("stopped: STATUS %q", i.NotifyStatus)
	}
}

// TestEnvFileReadAtEachSpawn: environment_file is read at every spawn,
// environment= wins over it, and a missing required file is a spawn
// error naming it.
func TestEnvFileReadAtEachSpawn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	envf := filepath.Join(dir, "app.env")
	out := filepath.Join(dir, "out")
	os.WriteFile(envf, []byte("COLOR=red\nSHAPE='round'\n"), 0o644)
	p := shProc("envy", fmt.Sprintf(`echo "$COLOR $SHAPE" >> %s; exec sleep 1000`, out))
	p.EnvFiles = []config.EnvFile{{Path: envf}, {Path: filepath.Join(dir, "local.env"), Optional: true}}
	p.Environment = []config.EnvVar{{Key: "SHAPE", Value: "square"}}
	h := start(t, testConfig(t, groupOf(p)))
	h.waitState("envy", Running)
	lines := func(n int) func() bool {
		return func() bool {
			b, _ := os.ReadFile(out)
			return strings.Count(string(b), "\n") == n
		}
	}
	eventually(t, "the first spawn's line", lines(1)) // before it is stopped
	os.WriteFile(envf, []byte("COLOR=blue\n"), 0o644)
	if err := h.s.StopProcess(h.ctx(), "envy", true); err != nil {
		t.Fatal(err)
	}
	if err := h.s.StartProcess(h.ctx(), "envy", true); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the second spawn's line", lines(2))
	if b, _ := os.ReadFile(out); string(b) != "red square\nblue square\n" {
		t.Errorf("env seen by the two spawns: %q", b)
	}
	os.Remove(envf)
	h.s.StopProcess(h.ctx(), "envy", true)
	err := h.s.StartProcess(h.ctx(), "envy", true)
	kindErr(t, err, KindSpawnError, "envy")
	if i := h.info("envy"); !strings.Contains(i.SpawnErr, "couldn't read environment_file "+envf) {
		t.Errorf("spawnerr %q", i.SpawnErr)
	}
}

// TestShutdownStopsDependantsFirst: at shutdown a program stops only
// after the programs that depend on it, whatever the priorities.
func TestShutdownStopsDependantsFirst(t *testing.T) {
	t.Parallel()
	db := shProc("db", "exec sleep 1000")
	db.Priority = 900 // stopped first by priority alone
	web := shProc("web", "trap 'sleep 0.3; kill $! 2>/dev/null; exit 0' TERM; sleep 1000 & wait")
	web.Deps = []string{"db:db"}
	web.Priority = 1
	web.StopAsGroup, web.KillAsGroup = true, true // the background sleep stops too
	gdb, gweb := groupOf(db), groupOf(web)
	gdb.Priority, gweb.Priority = 900, 1
	h := start(t, testConfig(t, gweb, gdb), stamped)
	h.waitState("web", Running)
	h.stop(false)
	h.drain()
	var webStop, dbStop time.Time
	for _, e := range h.seen {
		if e.Type == events.ProcessStateStopped && e.Process == "web" {
			webStop = e.Time
		}
		if e.Type == events.ProcessStateStopping && e.Process == "db" {
			dbStop = e.Time
		}
	}
	if webStop.IsZero() || dbStop.IsZero() || dbStop.Before(webStop) {
		t.Errorf("db began stopping at %v, web stopped at %v: want web first\n%s", dbStop, webStop, h.dump())
	}
}

// TestStartAllWithDependencies: startAllProcesses (supervisorctl start
// all) with dependencies answers for every process that was not
// running when the call began, also those a dependant earlier in the
// order has already started (web starts workers:*, workers start db):
// supervisorctl prints a line for each, as supervisord would. The same
// for startProcessGroup when a group's processes depend on each other.
func TestStartAllWithDependencies(t *testing.T) {
	t.Parallel()
	db := shProc("db", "exec sleep 1000")
	w0, w1 := shProc("w0", "exec sleep 1000"), shProc("w1", "exec sleep 1000")
	for _, w := range []*config.Process{w0, w1} {
		w.Group, w.Program, w.Deps = "workers", "workers", []string{"db:db"}
	}
	web := shProc("web", "exec sleep 1000")
	web.Deps = []string{"workers:w0", "workers:w1"}
	app, api := shProc("app", "exec sleep 1000"), shProc("api", "exec sleep 1000")
	app.Group, api.Group, app.Deps = "pair", "pair", []string{"pair:api"}
	app.Priority = 1 // before api in its group
	for _, p := range []*config.Process{db, w0, w1, web, app, api} {
		p.Autostart = false
	}
	workers, pair := groupOf(w0, w1), groupOf(app, api)
	h := start(t, testConfig(t, groupOf(db), groupOf(web), workers, pair))
	names := func(rs []Result) string {
		var out []string
		for _, r := range rs {
			s := Namespec(r.Group, r.Name)
			if r.Err != nil {
				s += " " + r.Err.Error()
			}
			out = append(out, s)
		}
		return strings.Join(out, ", ")
	}
	rs, err := h.s.StartAll(h.ctx(), true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(rs), "db, web, workers:w0, workers:w1, pair:app, pair:api"; got != want {
		t.Errorf("startAllProcesses answered for %q, want %q", got, want)
	}
	for _, n := range []string{"db", "web", "workers:w0", "workers:w1", "pair:app", "pair:api"} {
		if st := h.info(n).State; st != Running {
			t.Errorf("%s is %s after startAllProcesses(wait)", n, st)
		}
	}
	if _, err := h.s.StopGroup(h.ctx(), "pair", true); err != nil {
		t.Fatal(err)
	}
	rs, err = h.s.StartGroup(h.ctx(), "pair", true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(rs), "pair:app, pair:api"; got != want {
		t.Errorf("startProcessGroup answered for %q, want %q", got, want)
	}
}

// TestWaitedStartCountsFromSpawn: a process that waited for its
// dependency is started (laststart, uptime, startsecs) when its child
// is spawned, not when the wait began: a child that dies at once after
// a long wait is a failed start (BACKOFF, FATAL), as it would be
// without the wait, not RUNNING then EXITED.
func TestWaitedStartCountsFromSpawn(t *testing.T) {
	t.Parallel()
	db := shProc("db", "exec sleep 1000")
	db.StartSecs = 2 // web waits 2 s
	web := shProc("web", "exit 3")
	web.StartSecs, web.StartRetries = 1, 0
	web.Deps = []string{"db:db"}
	h := start(t, testConfig(t, groupOf(db), groupOf(web)))
	h.waitState("db", Running)
	h.expectStates("web", "STARTING", "BACKOFF", "FATAL")
	web2 := shProc("web2", "exec sleep 1000")
	web2.Deps = []string{"db:db"}
	web2.Autostart = false
	if err := h.s.StopProcess(h.ctx(), "db", true); err != nil {
		t.Fatal(err)
	}
	h2 := start(t, testConfig(t, groupOf(db), groupOf(web2)))
	if err := h2.s.StartProcess(h2.ctx(), "web2", true); err != nil {
		t.Fatal(err)
	}
	i := h2.info("web2")
	if up := i.Now.Sub(i.Start); up > time.Second {
		t.Errorf("web2 up %v right after it was spawned (start %v counts the 2 s wait for db)", up, i.Start)
	}
}

// TestHTTPProbeTLSUnverified: an https:// probe checks that the
// service answers, not who it is (as Kubernetes' probes): a local
// server with a self-signed certificate passes; a redirect passes
// without being followed; a 500 fails with the status.
func TestHTTPProbeTLSUnverified(t *testing.T) {
	t.Parallel()
	code := 200
	var mu sync.Mutex
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if code == 302 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(code)
	}))
	defer srv.Close()
	s := &Supervisor{}
	for _, c := range []struct {
		code int
		ok   bool
		msg  string
	}{{200, true, ""}, {302, true, ""}, {500, false, "HTTP 500 Internal Server Error"}} {
		mu.Lock()
		code = c.code
		mu.Unlock()
		ok, msg := s.runProbe(context.Background(), probe(t, srv.URL+"/healthz"), 5*time.Second, nil, probeAs{})
		if ok != c.ok || msg != c.msg {
			t.Errorf("https probe of a self-signed server answering %d: %v %q, want %v %q", c.code, ok, msg, c.ok, c.msg)
		}
	}
}

// TestDependantsComeBack: processes stopped only because a dependency
// stopped (stopProcess db stops web, and api which depends on web) are
// started again, in dependency order, once it runs again: so the stock
// supervisorctl's "restart db" (stopProcess then startProcess) and an
// update that replaces db's group leave no dependant stopped. One
// stopped explicitly meanwhile stays stopped.
func TestDependantsComeBack(t *testing.T) {
	t.Parallel()
	db := shProc("db", "exec sleep 1000")
	web := shProc("web", "exec sleep 1000")
	web.Deps = []string{"db:db"}
	api := shProc("api", "exec sleep 1000")
	api.Deps = []string{"web:web"}
	cfg := testConfig(t, groupOf(db), groupOf(web), groupOf(api))
	h := start(t, cfg)
	h.waitState("api", Running)
	h.waitState("web", Running)
	h.waitState("db", Running)

	// supervisorctl restart db.
	if err := h.s.StopProcess(h.ctx(), "db", true); err != nil {
		t.Fatal(err)
	}
	if err := h.s.StartProcess(h.ctx(), "db", true); err != nil {
		t.Fatal(err)
	}
	webUp := h.waitState("web", Running)
	apiUp := h.waitState("api", Running)
	if apiUp.Time.Before(webUp.Time) {
		t.Errorf("api started before web")
	}
	h.waitLog("starting web: db, which it depends on, runs again")

	// supervisorctl update after db's section changed.
	db2 := *db
	db2.StopWaitSecs = 3
	cfg2 := testConfig(t, groupOf(&db2), groupOf(web), groupOf(api))
	if _, changed, _, err := h.s.Reload(h.ctx(), cfg2); err != nil || !slices.Equal(changed, []string{"db"}) {
		t.Fatalf("reread: changed %v, %v", changed, err)
	}
	if err := h.s.StopProcess(h.ctx(), "db", true); err != nil { // update stops the group first
		t.Fatal(err)
	}
	if err := h.s.RemoveGroup(h.ctx(), "db"); err != nil {
		t.Fatal(err)
	}
	if err := h.s.AddGroup(h.ctx(), "db"); err != nil {
		t.Fatal(err)
	}
	h.waitState("web", Running)
	h.waitState("api", Running)

	// An explicit stop of a dependant keeps it stopped.
	if err := h.s.StopProcess(h.ctx(), "db", true); err != nil {
		t.Fatal(err)
	}
	kindErr(t, h.s.StopProcess(h.ctx(), "web", true), KindNotRunning, "web")
	if err := h.s.StartProcess(h.ctx(), "db", true); err != nil {
		t.Fatal(err)
	}
	// Dependants come back in the loop step that makes db RUNNING,
	// before the start above answers: they would be STARTING by now.
	for _, n := range []string{"web", "api"} {
		if st := h.info(n).State; st != Stopped {
			t.Errorf("%s is %s; stopped explicitly (web) or for a stopped dependency (api), it should stay STOPPED", n, st)
		}
	}
	// So does stop all, also for processes already stopped for their
	// dependency.
	if err := h.s.StartProcess(h.ctx(), "api", true); err != nil {
		t.Fatal(err)
	}
	if err := h.s.StopProcess(h.ctx(), "db", true); err != nil {
		t.Fatal(err)
	}
	if _, err := h.s.StopAll(h.ctx(), true); err != nil {
		t.Fatal(err)
	}
	if err := h.s.StartProcess(h.ctx(), "db", true); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"web", "api"} {
		if st := h.info(n).State; st != Stopped {
			t.Errorf("%s is %s after stop all and start db; it should stay STOPPED", n, st)
		}
	}
}

// TestDependencyNotAddedYet: an update that adds web and the db it
// depends on adds web's group first (supervisorctl adds them in the
// order reloadConfig lists them); web must wait for db to be added and
// RUNNING instead of starting without it. A start that waits for a
// dependency that is not added gives up instead of hanging.
func TestDependencyNotAddedYet(t *testing.T) {
	t.Parallel()
	other := shProc("other", "exec sleep 1000")
	h := start(t, testConfig(t, groupOf(other)), stamped)
	h.waitState("other", Running)
	db := shProc("db", "exec sleep 1000")
	db.StartSecs = 1
	web := shProc("web", "exec sleep 1000")
	web.Deps = []string{"db:db"}
	cfg := testConfig(t, groupOf(other), groupOf(web), groupOf(db))
	if added, _, _, err := h.s.Reload(h.ctx(), cfg); err != nil || len(added) != 2 {
		t.Fatalf("reread: added %v, %v", added, err)
	}
	if err := h.s.AddGroup(h.ctx(), "web"); err != nil {
		t.Fatal(err)
	}
	if i := h.info("web"); i.State != Starting || i.PID != 0 || i.Description() != "waiting for db (not added)" {
		t.Errorf("web added before db: %v pid %d %q", i.State, i.PID, i.Description())
	}
	if err := h.s.StopProcess(h.ctx(), "web", true); err != nil {
		t.Fatal(err)
	}
	kindErr(t, h.s.StartProcess(h.ctx(), "web", true), KindAbnormalTermination, "web")
	if err := h.s.AddGroup(h.ctx(), "db"); err != nil {
		t.Fatal(err)
	}
	dbUp := h.waitState("db", Running)
	webUp := h.waitState("web", Running)
	if webUp.Time.Before(dbUp.Time) {
		t.Errorf("web RUNNING before db")
	}
}

// TestExecProbeRunsAsTheProgram: an exec: probe runs with the
// program's user= and directory=, as the program itself (it checks the
// program, and a config that lowers a program's privileges should not
// run its checks as root).
func TestExecProbeRunsAsTheProgram(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		t.Skip("needs root to switch to nobody")
	}
	p := shProc("web", "exec sleep 1000")
	p.User, p.Directory = "nobody", "/tmp"
	p.Ready = probe(t, `exec:sh -c 'test "$(id -un)" = nobody && test "$(pwd)" = /tmp'`)
	p.ReadyTimeout, p.StartRetries = 3*time.Second, 0
	h := start(t, testConfig(t, groupOf(p)))
	h.expectStates("web", "STARTING", "RUNNING")
}

// TestNotifyFromShortLivedHelper: READY=1 sent by a helper in the
// child's process group that exits at once (systemd-notify --ready in a
// shell script) counts even when superd's loop handles the datagram
// only after the helper is gone: the sender's process group is looked
// up when the datagram is received, while systemd-notify still waits
// for its barrier.
func TestNotifyFromShortLivedHelper(t *testing.T) {
	t.Parallel()
	py := python(t)
	done := filepath.Join(t.TempDir(), "helper-gone")
	// The helper waits for a barrier as systemd-notify does: a second
	// datagram carrying a pipe's write end; it exits once the receiver
	// has closed it.
	helper := `import os, socket, array
a = os.environ["NOTIFY_SOCKET"]
if a.startswith("@"): a = "\0" + a[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1", a)
r, w = os.pipe()
s.sendmsg([b"BARRIER=1"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [w]))], 0, a)
os.close(w)
os.read(r, 1)`
	p := shProc("svc", fmt.Sprintf("sleep 0.5; %s -c '%s'; touch %s; exec sleep 1000", py, helper, done))
	p.Ready = probe(t, "notify")
	p.ReadyTimeout, p.StartRetries = 10*time.Second, 0
	h := start(t, testConfig(t, groupOf(p)))
	h.waitState("svc", Starting)
	// Hold the loop until the helper has exited and been reaped.
	_, err := call(h.ctx(), h.s, func(reply func(struct{}, error)) {
		end := time.Now().Add(deadline)
		for time.Now().Before(end) {
			if _, err := os.Stat(done); err == nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		reply(struct{}{}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(done); err != nil {
		t.Fatalf("the helper did not finish: %v", err)
	}
	h.expectStates("svc", "RUNNING")
}

// TestHealthRestartWaitsRestartDelay: a restart for failed health
// checks is an automatic restart after RUNNING like an exit's, so it
// waits restart_delay too (BACKOFF "restarting in 1 s (unhealthy)"),
// as systemd's RestartSec= applies to a watchdog restart; without it a
// process that is unhealthy right after each start is restarted
// without pause.
func TestHealthRestartWaitsRestartDelay(t *testing.T) {
	t.Parallel()
	flag := filepath.Join(t.TempDir(), "sick")
	p := shProc("web", "exec sleep 1000")
	p.Health = probe(t, fmt.Sprintf("exec:/bin/sh -c 'test ! -f %s'", flag))
	p.HealthInterval, p.HealthTimeout, p.HealthRetries = 100*time.Millisecond, time.Second, 1
	p.RestartDelay = time.Second
	h := start(t, testConfig(t, groupOf(p)), stamped)
	h.waitState("web", Running)
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	stopped := h.waitState("web", Stopped)
	b := h.waitState("web", Backoff)
	if b.FromState != "STOPPED" {
		t.Errorf("BACKOFF from %s", b.FromState)
	}
	if d := h.info("web").Description(); d != "restarting in 1 s (unhealthy)" {
		t.Errorf("BACKOFF description %q", d)
	}
	os.Remove(flag)
	st := h.waitState("web", Starting)
	if w := st.Time.Sub(stopped.Time); w < 900*time.Millisecond {
		t.Errorf("restarted %v after the unhealthy stop, before restart_delay", w)
	}
	h.waitState("web", Running)
}
