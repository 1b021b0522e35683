package process

import (
	"fmt"
	"github.com/superd/superd/internal/testproc"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
)

// basePort returns a port p such that p..p+n-1 are free now.
func basePort(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		base := freePort(t)
		if base+n > 65535 {
			continue
		}
		ok := true
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

// poolConfig loads a config whose [program:w] pool of n processes each
// open 127.0.0.1:base+process_num after a short delay and are ready
// when it answers.
func poolConfig(t *testing.T, n, base int, extra string) *config.Config {
	t.Helper()
	py := python(t)
	dir := t.TempDir()
	conf := fmt.Sprintf(`[supervisord]
logfile=%[1]s/sd.log
childlogdir=%[1]s
[program:w]
command=%[2]s -c "import socket,sys,time; time.sleep(0.2); s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); time.sleep(1000)" %%(process_num)d
process_name=w-%%(process_num)d
numprocs=%[3]d
numprocs_start=%[4]d
ready=tcp://127.0.0.1:%%(process_num)d
stopwaitsecs=2
startsecs=0
%[5]s`, dir, py, n, base, extra)
	path := filepath.Join(dir, "superd.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func stepsText(steps []Step) string {
	var out []string
	for _, s := range steps {
		e := "ok"
		if s.Err != nil {
			e = s.Err.Error()
		}
		t := Namespec(s.Group, s.Name) + " " + e
		if s.Reason != "" {
			t += " (" + s.Reason + ")"
		}
		out = append(out, t)
	}
	return strings.Join(out, "; ")
}

// TestRollingRestart: a pool of 4 processes that each take a while to
// become ready is restarted one at a time: the event stream never shows
// fewer than 3 RUNNING, each process is restarted once (a new pid) and
// the next one is stopped only after the previous one is RUNNING
// (ready) again. With batch 2, never fewer than 2.
func TestRollingRestart(t *testing.T) {
	t.Parallel()
	base := basePort(t, 4)
	cfg := poolConfig(t, 4, base, "")
	h := start(t, cfg)
	for i := range 4 {
		h.waitState(fmt.Sprintf("w-%d", base+i), Running)
	}
	pids := map[string]int{}
	for i := range 4 {
		n := fmt.Sprintf("w-%d", base+i)
		pids[n] = h.info("w:" + n).PID
	}
	mark := len(h.seen)
	steps, err := h.s.RollingRestart(h.ctx(), "w:*", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 4 || slices.ContainsFunc(steps, func(s Step) bool { return s.Err != nil }) {
		t.Fatalf("steps: %s", stepsText(steps))
	}
	// Every restart is in the stream once RollingRestart has returned.
	for i := range 4 {
		h.waitState(fmt.Sprintf("w-%d", base+i), Running)
	}
	running := map[string]bool{}
	for i := range 4 {
		running[fmt.Sprintf("w-%d", base+i)] = true
	}
	var order []string
	least := 4
	for _, e := range h.seen[mark:] {
		if !isState(e) || e.Group != "w" {
			continue
		}
		running[e.Process] = e.State == "RUNNING"
		n := 0
		for _, r := range running {
			if r {
				n++
			}
		}
		least = min(least, n)
		if e.State == "STOPPING" || e.State == "RUNNING" {
			order = append(order, e.Process+" "+e.State)
		}
	}
	if least < 3 {
		t.Errorf("only %d of 4 RUNNING during a rolling restart with batch 1:\n%s", least, h.dump())
	}
	var want []string
	for i := range 4 {
		want = append(want, fmt.Sprintf("w-%d STOPPING", base+i), fmt.Sprintf("w-%d RUNNING", base+i))
	}
	if strings.Join(order, ", ") != strings.Join(want, ", ") {
		t.Errorf("order:\n got %v\nwant %v", order, want)
	}
	for n, old := range pids {
		if i := h.info("w:" + n); i.State != Running || i.PID == old {
			t.Errorf("%s: %v pid %d (was %d)", n, i.State, i.PID, old)
		}
	}

	// Batch 2: two at a time, never fewer than 2.
	mark = len(h.seen)
	if steps, err = h.s.RollingRestart(h.ctx(), "w", 2); err != nil || len(steps) != 4 {
		t.Fatalf("batch 2: %v %s", err, stepsText(steps))
	}
	for i := range 4 {
		h.waitState(fmt.Sprintf("w-%d", base+i), Running)
	}
	least = 4
	for _, e := range h.seen[mark:] {
		if isState(e) && e.Group == "w" {
			running[e.Process] = e.State == "RUNNING"
			n := 0
			for _, r := range running {
				if r {
					n++
				}
			}
			least = min(least, n)
		}
	}
	if least != 2 {
		t.Errorf("batch 2: at least %d RUNNING, want 2", least)
	}
	if _, err := h.s.RollingRestart(h.ctx(), "nosuch:*", 1); KindOf(err) != KindBadName {
		t.Errorf("unknown group: %v", err)
	}
	if _, err := h.s.RollingRestart(h.ctx(), "w:*", 0); KindOf(err) != KindBadArguments {
		t.Errorf("batch 0: %v", err)
	}
}

// TestRollingRestartStopsAtFailure: a process that can no longer
// become ready fails its restart; the rolling restart stops there and
// the processes after it are left alone.
func TestRollingRestartStopsAtFailure(t *testing.T) {
	t.Parallel()
	base := basePort(t, 3)
	cfg := poolConfig(t, 3, base, "startretries=0\n")
	h := start(t, cfg)
	for i := range 3 {
		h.waitState(fmt.Sprintf("w-%d", base+i), Running)
	}
	// The second process's next start fails (it exits at once).
	p1 := fmt.Sprintf("w-%d", base+1)
	_, err := call(h.ctx(), h.s, func(reply func(struct{}, error)) {
		p := h.s.groups["w"].byName[p1]
		pc := *p.cfg
		pc.Command, pc.Argv = "/bin/sh -c 'exit 1'", []string{"/bin/sh", "-c", "exit 1"}
		p.cfg, p.m.cfg = &pc, &pc
		reply(struct{}{}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	p2 := fmt.Sprintf("w-%d", base+2)
	pid2 := h.info("w:" + p2).PID
	steps, err := h.s.RollingRestart(h.ctx(), "w:*", 1)
	if err != nil {
		t.Fatal(err)
	}
	got := stepsText(steps)
	want := fmt.Sprintf("w:w-%d ok; w:%s <error>; w:w-%d ok (not restarted: w:%s failed)", base, p1, base+2, p1)
	if len(steps) != 3 || steps[0].Err != nil || steps[1].Err == nil || steps[2].Err != nil ||
		steps[2].Reason != "not restarted: w:"+p1+" failed" {
		t.Fatalf("steps: %s (want like %s)", got, want)
	}
	if i := h.info("w:" + p2); i.PID != pid2 || i.State != Running {
		t.Errorf("%s was touched: %v pid %d (was %d)", p2, i.State, i.PID, pid2)
	}
}

// TestScaleGroup: scaling up adds processes named by the template (the
// next process_num) and starts them (ready); scaling down stops the
// highest numbers first and removes them; reread then reports the
// group changed, so update brings back the configured numprocs.
func TestScaleGroup(t *testing.T) {
	t.Parallel()
	base := basePort(t, 5)
	cfg := poolConfig(t, 2, base, "")
	h := start(t, cfg)
	names := func() []string {
		infos, err := h.s.AllProcessInfo(h.ctx())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, i := range infos {
			out = append(out, i.Name+"="+i.State.String())
		}
		return out
	}
	h.waitState(fmt.Sprintf("w-%d", base), Running)
	h.waitState(fmt.Sprintf("w-%d", base+1), Running)
	steps, err := h.s.ScaleGroup(h.ctx(), "w", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 3 || steps[0].Name != fmt.Sprintf("w-%d", base+2) || steps[0].Reason != "added" || steps[0].Err != nil {
		t.Fatalf("scale up: %s", stepsText(steps))
	}
	want := []string{}
	for i := range 5 {
		want = append(want, fmt.Sprintf("w-%d=RUNNING", base+i))
	}
	if got := names(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("after scale up: %v, want %v", got, want)
	}
	// Each new process runs its own expanded command (its own port).
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", base+4))
	if err != nil {
		t.Errorf("w-%d does not listen on its port: %v", base+4, err)
	} else {
		c.Close()
	}
	if _, changed, _, err := h.s.Reload(h.ctx(), cfg); err != nil || !slices.Equal(changed, []string{"w"}) {
		t.Errorf("reread after scale: changed %v, %v", changed, err)
	}

	mark := len(h.seen)
	steps, err = h.s.ScaleGroup(h.ctx(), "w:*", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 4 || steps[0].Name != fmt.Sprintf("w-%d", base+4) || steps[0].Reason != "removed" {
		t.Fatalf("scale down: %s", stepsText(steps))
	}
	if got := names(); len(got) != 1 || got[0] != fmt.Sprintf("w-%d=RUNNING", base) {
		t.Errorf("after scale down: %v", got)
	}
	var stops []string
	for _, e := range h.seen[mark:] {
		if e.Type == events.ProcessStateStopping {
			stops = append(stops, e.Process)
		}
	}
	h.drain()
	for _, e := range h.seen[mark:] {
		if e.Type == events.ProcessStateStopping && !slices.Contains(stops, e.Process) {
			stops = append(stops, e.Process)
		}
	}
	wantStops := []string{fmt.Sprintf("w-%d", base+4), fmt.Sprintf("w-%d", base+3), fmt.Sprintf("w-%d", base+2), fmt.Sprintf("w-%d", base+1)}
	if !slices.Equal(stops, wantStops) {
		t.Errorf("stopped in order %v, want %v", stops, wantStops)
	}
	if _, err := h.s.ProcessInfo(h.ctx(), fmt.Sprintf("w:w-%d", base+1)); KindOf(err) != KindBadName {
		t.Errorf("removed process still known: %v", err)
	}
	if _, changed, _, _ := h.s.Reload(h.ctx(), cfg); !slices.Equal(changed, []string{"w"}) {
		t.Errorf("reread after scale down: changed %v", changed)
	}
	// Scale back to the configured two: no longer changed.
	if _, err := h.s.ScaleGroup(h.ctx(), "w", 2); err != nil {
		t.Fatal(err)
	}
	if _, changed, _, _ := h.s.Reload(h.ctx(), cfg); len(changed) != 0 {
		t.Errorf("reread after scaling back to numprocs: changed %v", changed)
	}
	if _, err := h.s.ScaleGroup(h.ctx(), "w", -1); KindOf(err) != KindBadArguments {
		t.Errorf("scale to -1: %v", err)
	}
}

// TestScaleNeedsTemplate: a group of one process whose name has no
// %(process_num) cannot grow, and a [group:x] is not homogeneous.
func TestScaleNeedsTemplate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := config.Parse(filepath.Join(dir, "s.conf"), []byte(fmt.Sprintf(`[supervisord]
childlogdir=%s
[program:one]
command=/bin/sleep 1000
startsecs=0
[program:two]
command=/bin/sleep 1000
startsecs=0
[group:g]
programs=two
`, dir)))
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, cfg)
	_, err = h.s.ScaleGroup(h.ctx(), "one", 2)
	if KindOf(err) != KindBadArguments || !strings.Contains(err.Error(), "%(process_num)") {
		t.Errorf("scale one: %v", err)
	}
	if _, err = h.s.ScaleGroup(h.ctx(), "g", 2); KindOf(err) != KindBadArguments || !strings.Contains(err.Error(), "not a homogeneous group") {
		t.Errorf("scale g: %v", err)
	}
	// To 0 and back to 1 works without %(process_num).
	h.waitState("one", Running)
	if steps, err := h.s.ScaleGroup(h.ctx(), "one", 0); err != nil || len(steps) != 1 {
		t.Fatalf("scale to 0: %v %s", err, stepsText(steps))
	}
	if steps, err := h.s.ScaleGroup(h.ctx(), "one", 1); err != nil || len(steps) != 1 || steps[0].Name != "one" {
		t.Fatalf("scale to 1: %v %s", err, stepsText(steps))
	}
	if i := h.info("one"); i.State != Running {
		t.Errorf("one after scaling back: %v", i.State)
	}
}

// TestStartStopWithDeps: a start reports the dependencies it started,
// a stop the dependants it stopped; noDeps stops only the process; a
// wait for a process whose dependency is FATAL gives up saying so.
func TestStartStopWithDeps(t *testing.T) {
	t.Parallel()
	db := shProc("db", "exec sleep 1000")
	web := shProc("web", "exec sleep 1000")
	web.Deps = []string{"db:db"}
	h := start(t, testConfig(t, groupOf(db), groupOf(web)))
	h.waitState("web", Running)
	steps, err := h.s.StopWithDeps(h.ctx(), "db", true, true)
	if err != nil || len(steps) != 0 {
		t.Fatalf("stop --no-deps: %v %s", err, stepsText(steps))
	}
	if i := h.info("web"); i.State != Running {
		t.Errorf("web after stopping db without deps: %v", i.State)
	}
	if _, err := h.s.StartWithDeps(h.ctx(), "db", true); err != nil {
		t.Fatal(err)
	}
	steps, err = h.s.StopWithDeps(h.ctx(), "db", true, false)
	if err != nil || stepsText(steps) != "web ok (depends on db)" {
		t.Fatalf("stop db: %v %s", err, stepsText(steps))
	}
	if i := h.info("web"); i.State != Stopped {
		t.Errorf("web after stopping db: %v", i.State)
	}
	steps, err = h.s.StartWithDeps(h.ctx(), "web", true)
	if err != nil || stepsText(steps) != "db ok (web depends on it)" {
		t.Fatalf("start web: %v %s", err, stepsText(steps))
	}
	if i := h.info("db"); i.State != Running {
		t.Errorf("db after starting web: %v", i.State)
	}
	// Nothing to start: no steps.
	if _, err := h.s.StopWithDeps(h.ctx(), "web", true, false); err != nil {
		t.Fatal(err)
	}
	if steps, err = h.s.StartWithDeps(h.ctx(), "web", true); err != nil || len(steps) != 0 {
		t.Errorf("start web with db running: %v %s", err, stepsText(steps))
	}
	// stop all: db (first in order) stops web first; web still gets its
	// "stopped" result, as from supervisord.
	rs, err := h.s.StopAll(h.ctx(), true)
	if err != nil || len(rs) != 2 || rs[0].Err != nil || rs[1].Err != nil {
		t.Errorf("stop all: %v %+v", err, rs)
	}
}

// TestStartWaitGivesUpOnFatalDependency: start web (wait) with a
// dependency that goes FATAL answers with the reason instead of
// waiting forever.
func TestStartWaitGivesUpOnFatalDependency(t *testing.T) {
	t.Parallel()
	db := shProc("db", "exit 3")
	db.Autostart = false
	db.StartSecs = 1
	db.StartRetries = 0
	web := shProc("web", "exec sleep 1000")
	web.Autostart = false
	web.Deps = []string{"db:db"}
	h := start(t, testConfig(t, groupOf(db), groupOf(web)))
	steps, err := h.s.StartWithDeps(h.ctx(), "web", true)
	if KindOf(err) != KindFailed || !strings.Contains(err.Error(), "web is waiting for db (FATAL)") {
		t.Errorf("start web: %v", err)
	}
	if stepsText(steps) != "db ok (web depends on it)" {
		t.Errorf("steps %s", stepsText(steps))
	}
	// supervisor.startProcess (stock supervisorctl) does not wait
	// forever either: ABNORMAL_TERMINATION.
	if err := h.s.StopProcess(h.ctx(), "web", true); err != nil {
		t.Fatal(err)
	}
	err = h.s.StartProcess(h.ctx(), "web", true)
	kindErr(t, err, KindAbnormalTermination, "web")
	if i := h.info("web"); i.State != Starting || i.Waiting != "waiting for db (FATAL)" {
		t.Errorf("web: %v %q", i.State, i.Waiting)
	}
}

// TestDepsStepsOrder: the dependencies a start reports come farthest
// first and, at the same distance, in their configured order (w0
// before w1); the dependants a stop reports likewise.
func TestDepsStepsOrder(t *testing.T) {
	t.Parallel()
	db := shProc("db", "exec sleep 1000")
	var ws []*config.Process
	for _, n := range []string{"w0", "w1", "w2"} {
		w := shProc(n, "exec sleep 1000")
		w.Group, w.Program, w.Deps = "workers", "workers", []string{"db:db"}
		ws = append(ws, w)
	}
	web := shProc("web", "exec sleep 1000")
	web.Deps = []string{"workers:w0", "workers:w1", "workers:w2"}
	for _, p := range append(ws, db, web) {
		p.Autostart = false
	}
	h := start(t, testConfig(t, groupOf(db), groupOf(ws...), groupOf(web)))
	steps, err := h.s.StartWithDeps(h.ctx(), "web", true)
	want := "db ok (workers:w0 depends on it); workers:w0 ok (web depends on it); workers:w1 ok (web depends on it); workers:w2 ok (web depends on it)"
	if err != nil || stepsText(steps) != want {
		t.Errorf("start web: %v\n got  %s\n want %s", err, stepsText(steps), want)
	}
	steps, err = h.s.StopWithDeps(h.ctx(), "db", true, false)
	want = "web ok (depends on workers:w0); workers:w0 ok (depends on db); workers:w1 ok (depends on db); workers:w2 ok (depends on db)"
	if err != nil || stepsText(steps) != want {
		t.Errorf("stop db: %v\n got  %s\n want %s", err, stepsText(steps), want)
	}
}

// TestScaleFCGIPool: an [fcgi-program:x] pool is homogeneous too: the
// processes scale adds share the group's socket (fd 0) and answer on
// it; scaling to 0 closes the socket (its last user is gone) and
// scaling up again creates it.
func TestScaleFCGIPool(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg, err := config.Parse(filepath.Join(dir, "s.conf"), []byte(fmt.Sprintf(`[supervisord]
childlogdir=%s
[fcgi-program:php]
command=%s
socket=tcp://%s
process_name=%%(program_name)s_%%(process_num)d
startsecs=0
`, dir, testproc.Command(t, "fcgi-serve", "php"), addr)))
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, cfg)
	h.waitState("php_0", Running)
	steps, err := h.s.ScaleGroup(h.ctx(), "php", 3)
	if err != nil || stepsText(steps) != "php:php_1 ok (added); php:php_2 ok (added)" {
		t.Fatalf("scale php 3: %v %s", err, stepsText(steps))
	}
	pids := map[string]bool{}
	for _, n := range []string{"php:php_0", "php:php_1", "php:php_2"} {
		pids[strconv.Itoa(h.info(n).PID)] = true
	}
	seen := map[string]bool{}
	for i := 0; i < 200 && len(seen) < 3; i++ {
		line, err := ask("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		pid, _, _ := strings.Cut(line, " ")
		if !pids[pid] {
			t.Fatalf("answer %q from a pid superd did not start (%v)", line, pids)
		}
		seen[pid] = true
	}
	if len(seen) < 2 {
		t.Errorf("only %v of %v answered on the shared socket", seen, pids)
	}
	if _, err := h.s.ScaleGroup(h.ctx(), "php", 0); err != nil {
		t.Fatal(err)
	}
	h.waitLog("Closing socket tcp://" + addr)
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("the socket still accepts with no process left")
	}
	if steps, err := h.s.ScaleGroup(h.ctx(), "php", 1); err != nil || stepsText(steps) != "php:php_0 ok (added)" {
		t.Fatalf("scale php 1: %v %s", err, stepsText(steps))
	}
	if _, err := ask("tcp", addr); err != nil {
		t.Errorf("socket not created again: %v", err)
	}
}
