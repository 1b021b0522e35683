package daemon

// The scenario differential test: each scenario (a configuration and a
// few steps) runs under supervisord 4.2.5 and under superd, and what a
// user or a tool observes must be the same:
//
//   - per process, the PROCESS_STATE_* events (from_state, expected,
//     tries) that a supervisor.childutils listener records
//     (testdata/scenarios/listener.py);
//   - per process, the main-log lines of spec §2.4 (spawned, success,
//     exited, gave up, stopped, killing, spawnerr);
//   - the output and exit status of every supervisorctl command a
//     scenario runs (status at stable points included);
//   - the names and contents of the files in the scenario's directory
//     (child logs, what children wrote about their environment).
//
// Pids, times, the temp dir and AUTO log suffixes are masked. Orderings
// across processes are compared only where they are deterministic.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/pkg/rpc"
)

const scenarioPython = "/usr/bin/python3"

// scenario is one configuration and what to do with it.
type scenario struct {
	name string
	// supervisord is extra text for the [supervisord] section.
	supervisord string
	// programs is the rest of the config. {{dir}} is the scenario's
	// directory, {{py}} the Python with supervisor, {{listener}}
	// listener.py. A listener recording every PROCESS_STATE event
	// into events.txt is always added.
	programs string
	// setup prepares the directory before the daemon starts.
	setup func(dir string) error
	// steps drives the daemon; it runs once per daemon.
	steps func(r *srun)
	// exclude names processes left out of event and log comparison.
	exclude map[string]string
	// dropEvents filters the event list of each process before
	// comparison (nil keeps all).
	dropEvents func(ev string) bool
	// racySuccess names processes with startsecs=0 that exit at
	// once: whether supervisord logs "success:" for them depends on
	// whether its loop reaps the child before its next transition pass
	// (it then goes STARTING -> RUNNING -> EXITED silently), so that
	// line is not compared. The events are the same either way
	// (COMPATIBILITY.md, Processes, "Reaping is immediate").
	racySuccess []string
	// order lists main-log kinds ("spawned", "stopped") whose order
	// across processes is deterministic and compared.
	order []string
}

// srun is one run of a scenario under one daemon. Its methods run in
// the run's own goroutine and end it with runtime.Goexit on failure.
type srun struct {
	label  string
	bin    string
	dir    string
	conf   string
	cmd    *exec.Cmd
	out    *syncBuffer
	done   chan struct{}
	client *rpc.Client
	obs    []string // ctl outputs and other step observations, in order
	events map[string][]string
	mainlg map[string][]string
	order  map[string][]string
	files  map[string]string
	err    error
	start  time.Time
	took   time.Duration
}

func (r *srun) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
	runtime.Goexit()
}

// note records an observation.
func (r *srun) note(format string, args ...any) {
	r.obs = append(r.obs, fmt.Sprintf(format, args...))
}

// ctl runs supervisorctl and records its masked output and status.
func (r *srun) ctl(args ...string) string {
	cmd := exec.Command("/usr/bin/supervisorctl", append([]string{"-c", r.conf}, args...)...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		r.fail("supervisorctl: %v", err)
	}
	text := r.mask(string(out))
	switch args[0] {
	case "start", "stop", "restart":
		// Results of several processes come in completion order.
		text = sortLines(text) + "\n"
	}
	r.note("$ supervisorctl %s (rc %d)\n%s", strings.Join(args, " "), code, text)
	return string(out)
}

// poll waits for cond with a deadline.
func (r *srun) poll(what string, cond func() bool) {
	deadline := time.Now().Add(25 * time.Second)
	for !cond() {
		select {
		case <-r.done:
			r.fail("daemon exited while waiting for %s: %s", what, r.out)
		default:
		}
		if time.Now().After(deadline) {
			r.fail("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling another process
	}
}

// state returns name's state name ("" if unknown).
func (r *srun) state(name string) string {
	info, err := r.client.GetProcessInfo(context.Background(), name)
	if err != nil {
		return ""
	}
	return info.StateName
}

// wait waits until process name is in one of states.
func (r *srun) wait(name string, states ...string) {
	r.poll(fmt.Sprintf("%s in %v", name, states), func() bool {
		return slices.Contains(states, r.state(name))
	})
}

// waitFile waits until the file (relative to the dir) contains s.
func (r *srun) waitFile(file, s string) {
	r.poll(fmt.Sprintf("%q in %s", s, file), func() bool {
		b, _ := os.ReadFile(filepath.Join(r.dir, file))
		return strings.Contains(string(b), s)
	})
}

// waitGlob waits until a file matching pattern (relative to the dir)
// contains s.
func (r *srun) waitGlob(pattern, s string) {
	r.poll(fmt.Sprintf("%q in %s", s, pattern), func() bool {
		files, _ := filepath.Glob(filepath.Join(r.dir, pattern))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			if strings.Contains(string(b), s) {
				return true
			}
		}
		return false
	})
}

// waitGone waits until the pid written in file is no longer alive and
// records whether it went.
func (r *srun) waitGone(file string) {
	pid, err := testproc.ReadPID(filepath.Join(r.dir, file))
	if err != nil {
		r.fail("%v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for processAlive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // polling another process
	}
	r.note("grandchild from %s alive: %v", file, processAlive(pid))
	if processAlive(pid) {
		testproc.Kill(pid, syscall.SIGKILL)
	}
}

// rewrite replaces the config's programs.
func (r *srun) rewrite(s *scenario, programs string) {
	if err := os.WriteFile(r.conf, []byte(scenarioConfig(r.dir, s.supervisord, programs)), 0o644); err != nil {
		r.fail("%v", err)
	}
}

// count returns how often s occurs in the main log.
func (r *srun) count(s string) int {
	b, _ := os.ReadFile(filepath.Join(r.dir, "main.log"))
	return strings.Count(string(b), s)
}

var (
	autoRe    = regexp.MustCompile(`---([\w.-]+)-[a-z0-9_]{8}\.log`)
	pidColon  = regexp.MustCompile(`pid:\d+`)
	logTimeRe = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} `)
)

func (r *srun) mask(s string) string {
	s = strings.ReplaceAll(s, r.dir, "DIR")
	s = autoRe.ReplaceAllString(s, "---$1-XXXXXXXX.log")
	s = pidColon.ReplaceAllString(s, "pid:N")
	return mask(s)
}

func scenarioConfig(dir, supervisord, programs string) string {
	listener, _ := filepath.Abs("testdata/scenarios/listener.py")
	programs = strings.NewReplacer("{{dir}}", dir, "{{py}}", scenarioPython, "{{listener}}", listener).Replace(programs)
	return fmt.Sprintf(`[unix_http_server]
file=%[1]s/s.sock

[supervisord]
logfile=%[1]s/main.log
pidfile=%[1]s/s.pid
childlogdir=%[1]s
loglevel=debug
statedir=%[1]s/state
%[2]s
[supervisorctl]
serverurl=unix://%[1]s/s.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[eventlistener:listener]
command=%[3]s %[4]s %[1]s/events.txt
events=PROCESS_STATE
buffer_size=1000
priority=1
startsecs=0
stdout_logfile=NONE
stderr_logfile=%[1]s/listener.err

%[5]s
`, dir, supervisord, scenarioPython, listener, programs)
}

// run runs s under bin in the calling goroutine (which it may end).
func (r *srun) run(s *scenario) {
	if err := os.WriteFile(r.conf, []byte(scenarioConfig(r.dir, s.supervisord, s.programs)), 0o644); err != nil {
		r.fail("%v", err)
	}
	if s.setup != nil {
		if err := s.setup(r.dir); err != nil {
			r.fail("setup: %v", err)
		}
	}
	r.done = make(chan struct{})
	r.cmd = exec.Command(r.bin, "-n", "-c", r.conf)
	// Programs stopped without stopasgroup leave their background
	// children running (under both daemons): kill them at the end.
	scope := testproc.NewScope(s.name + "/" + r.label)
	defer scope.Kill()
	r.cmd.Env = append(os.Environ(), scope.Env())
	r.cmd.Dir = r.dir
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		r.fail("%v", err)
	}
	go func() { r.cmd.Wait(); close(r.done) }()
	defer r.stop()
	r.client = rpc.NewClient("unix://"+filepath.Join(r.dir, "s.sock"), "", "")
	r.poll("daemon answering", func() bool {
		_, err := r.client.GetState(context.Background())
		return err == nil
	})
	r.wait("listener", "RUNNING")
	s.steps(r)
	r.settle(s)
	r.stop()
	r.collect(s)
}

// settle waits until the listener has recorded, for every process, the
// event of the state the process is in, and then keeps the events.
func (r *srun) settle(s *scenario) {
	select {
	case <-r.done: // the scenario shut the daemon down
		r.events = r.readEvents()
		r.filterEvents(s)
		return
	default:
	}
	r.waitSettled(s)
	r.events = r.readEvents()
	r.filterEvents(s)
}

// waitSettled waits until the listener has recorded, for every
// process, the event of the state it is in.
func (r *srun) waitSettled(s *scenario) {
	var last string
	defer func() {
		if r.err != nil && strings.Contains(r.err.Error(), "events to settle") {
			r.err = fmt.Errorf("%w; last seen: %s", r.err, last)
		}
	}()
	r.poll("events to settle", func() bool {
		infos, err := r.client.GetAllProcessInfo(context.Background())
		if err != nil {
			return false
		}
		evs := r.readEvents()
		last = fmt.Sprint(infos, evs)
		for _, i := range infos {
			name := i.Name
			if i.Group != i.Name {
				name = i.Group + ":" + i.Name
			}
			if i.Name == "listener" || s.exclude[name] != "" {
				continue
			}
			l := evs[name]
			if s.dropEvents != nil {
				if i.StateName == "STOPPED" {
					continue // its STOPPED event is not compared
				}
				l = slices.DeleteFunc(slices.Clone(l), s.dropEvents)
			}
			if len(l) == 0 {
				if i.StateName != "STOPPED" {
					return false
				}
				continue
			}
			if !strings.HasPrefix(l[len(l)-1], "PROCESS_STATE_"+i.StateName+" ") {
				return false
			}
		}
		return true
	})
}

func (r *srun) filterEvents(s *scenario) {
	if s.dropEvents != nil {
		for k, l := range r.events {
			r.events[k] = slices.DeleteFunc(l, s.dropEvents)
		}
	}
	for k := range r.events {
		if k == "listener" || s.exclude[k] != "" {
			delete(r.events, k)
		}
	}
}

// readEvents returns the recorded events per process (group:name when
// they differ).
func (r *srun) readEvents() map[string][]string {
	b, _ := os.ReadFile(filepath.Join(r.dir, "events.txt"))
	out := map[string][]string{}
	lines := strings.Split(string(b), "\n")
	for _, line := range lines[:len(lines)-1] { // the last one may be partly written
		var proc, group string
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "processname:"); ok {
				proc = v
			}
			if v, ok := strings.CutPrefix(f, "groupname:"); ok {
				group = v
			}
		}
		if group != proc {
			proc = group + ":" + proc
		}
		out[proc] = append(out[proc], line)
	}
	return out
}

// stop ends the daemon with SIGTERM (idempotent).
func (r *srun) stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	select {
	case <-r.done:
		return
	default:
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		testproc.KillGroup(r.cmd.Process.Pid, syscall.SIGKILL)
		<-r.done
		r.fail("daemon did not stop on SIGTERM")
	}
}

// mainLogRe matches the main-log lines of spec §2.4 and names the
// process they are about.
var mainLogRe = regexp.MustCompile(`^(\w+) (?:spawned: '([^']+)' with pid|success: (\S+) entered|exited: (\S+) \(|gave up: (\S+) entered|stopped: (\S+) \(|killing (\S+) \(pid|(spawnerr): )`)

// collect reads the main log and the files after the daemon ended.
func (r *srun) collect(s *scenario) {
	b, err := os.ReadFile(filepath.Join(r.dir, "main.log"))
	if err != nil {
		r.fail("%v", err)
	}
	r.mainlg, r.order = map[string][]string{}, map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = logTimeRe.ReplaceAllString(line, "")
		if strings.Contains(line, "INFO waiting for ") && strings.HasSuffix(line, " to die") && r.mainlg["(shutdown)"] == nil {
			// The first report, at the start of the shutdown, names
			// every process still up, in the daemon's order.
			r.mainlg["(shutdown)"] = []string{line}
			continue
		}
		m := mainLogRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		proc, kind := "", ""
		for i, v := range m[2:] {
			if v != "" {
				proc = v
				kind = []string{"spawned", "success", "exited", "gave up", "stopped", "killing", "spawnerr"}[i]
			}
		}
		line = r.mask(line)
		if kind == "spawnerr" {
			proc = line // spawnerr lines do not name the process
			for k := range s.exclude {
				if strings.Contains(line, k) {
					proc = k
				}
			}
		}
		if proc == "listener" || s.exclude[proc] != "" {
			continue
		}
		if kind == "success" && slices.Contains(s.racySuccess, proc) {
			continue
		}
		if kind == "killing" && strings.HasSuffix(line, "with signal SIGKILL") {
			// SIGKILL is repeated every stopwaitsecs until the child is
			// reaped; how many times depends on how fast the daemon
			// reaps (supervisord's 1 s loop can repeat it under load),
			// so consecutive repeats count once.
			if l := r.mainlg[proc]; len(l) > 0 && l[len(l)-1] == line {
				continue
			}
		}
		r.mainlg[proc] = append(r.mainlg[proc], line)
		r.order[kind] = append(r.order[kind], proc)
	}
	r.files = map[string]string{}
	filepath.WalkDir(r.dir, func(path string, d os.DirEntry, err error) error {
		rel, _ := filepath.Rel(r.dir, path)
		if d != nil && d.IsDir() && rel == "state" {
			return filepath.SkipDir // superd's state database (statedir=)
		}
		if err != nil || d.IsDir() {
			return nil
		}
		switch rel {
		case "s.conf", "s.sock", "s.pid", "main.log", "events.txt", "listener.err":
			return nil
		}
		if s.exclude[r.mask(rel)] != "" {
			return nil
		}
		data, _ := os.ReadFile(path)
		// Not mask: bare numbers (uids, umasks) are what is compared.
		text := strings.ReplaceAll(string(data), r.dir, "DIR")
		r.files[r.mask(rel)] = pidColon.ReplaceAllString(pidRe.ReplaceAllString(text, "pid N"), "pid:N")
		return nil
	})
}

// runBoth runs s under supervisord and superd at the same time, in
// dirs[0] and dirs[1].
func runBoth(s *scenario, dirs [2]string) (want, got *srun) {
	want = &srun{label: "supervisord", bin: "/usr/bin/supervisord", dir: dirs[0], out: new(syncBuffer)}
	got = &srun{label: "superd", bin: superdBin, dir: dirs[1], out: new(syncBuffer)}
	var wg sync.WaitGroup
	for _, r := range []*srun{want, got} {
		r.conf = filepath.Join(r.dir, "s.conf")
		r.start = time.Now()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { r.took = time.Since(r.start) }()
			r.run(s)
		}()
	}
	wg.Wait()
	return want, got
}

func compareLists(t *testing.T, what string, want, got map[string][]string) {
	t.Helper()
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	var ks []string
	for k := range keys {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		if !slices.Equal(want[k], got[k]) {
			t.Errorf("%s of %s differ:\n supervisord:\n%s\n superd:\n%s", what, k,
				indent(strings.Join(want[k], "\n")), indent(strings.Join(got[k], "\n")))
		}
	}
}

func requireScenarioReference(t *testing.T) {
	t.Helper()
	requireReference(t)
	if out, err := exec.Command(scenarioPython, "-c", "import supervisor.childutils").CombinedOutput(); err != nil {
		t.Skipf("%s cannot import supervisor.childutils (apt-get install supervisor): %v\n%s", scenarioPython, err, out)
	}
}

// TestScenarios runs every scenario under both daemons and compares
// what was observed.
func TestScenarios(t *testing.T) {
	requireScenarioReference(t)
	// Subtests register their scenario and wait; scenarios selected by
	// -run then run four at a time (most of a scenario is waiting for
	// timers of the daemons), each under both daemons at once.
	type job struct {
		s    *scenario
		dirs [2]string
		res  chan [2]*srun
	}
	var jobs []*job
	for i := range scenarios {
		s := &scenarios[i]
		t.Run(s.name, func(t *testing.T) {
			j := &job{s: s, dirs: [2]string{shortTempDir(t), shortTempDir(t)}, res: make(chan [2]*srun, 1)}
			jobs = append(jobs, j)
			t.Parallel()
			r := <-j.res
			want, got := r[0], r[1]
			for _, r := range r {
				if r.err != nil {
					t.Fatalf("%s: %v\ndaemon output:\n%s", r.label, r.err, indent(r.out.String()))
				}
			}
			t.Logf("ran in %v (supervisord) and %v (superd)", want.took.Round(time.Millisecond), got.took.Round(time.Millisecond))
			t.Logf("compared: %d processes with events, %d with log lines, %d supervisorctl steps, %d files",
				len(want.events), len(want.mainlg), len(want.obs), len(want.files))
			if os.Getenv("SCENARIO_DUMP") != "" {
				t.Logf("observed under supervisord:\nevents %v\nlog %v\nsteps %v\nfiles %v", want.events, want.mainlg, want.obs, want.files)
			}
			compareLists(t, "events", want.events, got.events)
			compareLists(t, "main-log lines", want.mainlg, got.mainlg)
			for _, kind := range s.order {
				if !slices.Equal(want.order[kind], got.order[kind]) {
					t.Errorf("order of %q lines: supervisord %v, superd %v", kind, want.order[kind], got.order[kind])
				}
			}
			for i := 0; i < max(len(want.obs), len(got.obs)); i++ {
				var w, g string
				if i < len(want.obs) {
					w = want.obs[i]
				}
				if i < len(got.obs) {
					g = got.obs[i]
				}
				if w != g {
					t.Errorf("step %d:\n supervisord:\n%s\n superd:\n%s", i, indent(w), indent(g))
				}
			}
			fw, fg := map[string][]string{}, map[string][]string{}
			for k, v := range want.files {
				fw[k] = []string{v}
			}
			for k, v := range got.files {
				fg[k] = []string{v}
			}
			compareLists(t, "file", fw, fg)
		})
	}
	sem := make(chan struct{}, 4)
	for _, j := range jobs {
		go func() {
			sem <- struct{}{}
			want, got := runBoth(j.s, j.dirs)
			<-sem
			j.res <- [2]*srun{want, got}
		}()
	}
}

// sleeper is a program that runs until stopped.
func sleeper(name, extra string) string {
	return fmt.Sprintf("[program:%s]\ncommand=/bin/sleep 1000\nstartsecs=0\n%s\n", name, extra)
}

// counted is a shell prefix that counts the runs of a program in file
// n ($n is the number of earlier runs).
const counted = `n=$(cat {{dir}}/n 2>/dev/null || echo 0); echo $((n+1)) > {{dir}}/n; echo run $n; `

// trapper is a shell program that reports signal sig and exits with
// code, after printing "ready" once the trap is set.
func trapper(sig, code string) string {
	return fmt.Sprintf(`/bin/sh -c "trap 'echo got %[1]s; kill $p; exit %[2]s' %[1]s; sleep 1000 & p=$!; echo ready; while :; do wait $p; done"`, sig, code)
}

// Programs that exit at once use startsecs=2, not 1: supervisord can
// miss a SIGCHLD that arrives before it enters poll() and then reap the
// child only after the 1 s poll timeout, when its startsecs=1 have
// passed, so it logs "success:" and EXITED instead of BACKOFF
// (COMPATIBILITY.md, Processes, "Reaping is immediate"). This happens
// most often for a process started by startProcess. With startsecs=2 a
// late reap still comes before the RUNNING transition.
func dropStopEvents(ev string) bool {
	return strings.HasPrefix(ev, "PROCESS_STATE_STOPPING ") || strings.HasPrefix(ev, "PROCESS_STATE_STOPPED ")
}

var scenarios = []scenario{
	{
		name: "fatal-after-retries",
		programs: `
[program:r0]
command=/bin/sh -c "echo try; exit 2"
startsecs=2
startretries=0

[program:r1]
command=/bin/sh -c "echo try; exit 2"
startsecs=2
startretries=1

[program:r3]
command=/bin/sh -c "echo try; exit 2"
startsecs=2
startretries=3
`,
		steps: func(r *srun) {
			for _, p := range []string{"r0", "r1", "r3"} {
				r.wait(p, "FATAL")
			}
			r.ctl("status")
			r.ctl("start", "r0")
			r.wait("r0", "FATAL")
			r.ctl("status", "r0")
		},
	},
	{
		name: "exitcodes",
		programs: `
[program:expected]
command=/bin/sh -c "echo x; sleep 2.5; exit 3"
startsecs=1
autorestart=unexpected
exitcodes=0,3

[program:unexpected]
command=/bin/sh -c "` + counted + `[ $n -ge 1 ] && exec sleep 1000; sleep 2.5; exit 4"
startsecs=1
autorestart=unexpected
exitcodes=0,3

[program:zero]
command=/bin/sh -c "echo bye; exit 0"
startsecs=0
autorestart=unexpected
`,
		racySuccess: []string{"zero"},
		steps: func(r *srun) {
			r.wait("expected", "EXITED")
			r.wait("zero", "EXITED")
			r.waitFile("n", "2")
			r.wait("unexpected", "RUNNING")
			r.ctl("status")
		},
	},
	{
		name: "autorestart",
		programs: `
[program:always]
command=/bin/sh -c "` + counted + `[ $n -ge 1 ] && exec sleep 1000; exit 0"
startsecs=0
autorestart=true

[program:never]
command=/bin/sh -c "echo once; exit 1"
startsecs=0
autorestart=false
`,
		racySuccess: []string{"always", "never"},
		steps: func(r *srun) {
			r.waitFile("n", "2")
			r.wait("always", "RUNNING")
			r.wait("never", "EXITED")
			r.ctl("status")
		},
	},
	{
		name: "startsecs",
		programs: `
[program:early]
command=/bin/sh -c "sleep 0.3; exit 1"
startsecs=3
startretries=0

[program:late]
command=/bin/sh -c "sleep 2.5; exit 1"
startsecs=1
autorestart=false

[program:zero]
command=/bin/sh -c "sleep 0.3; exit 1"
startsecs=0
autorestart=false
`,
		steps: func(r *srun) {
			r.wait("early", "FATAL")
			r.wait("late", "EXITED")
			r.wait("zero", "EXITED")
			r.ctl("status")
		},
	},
	{
		name: "stopsignal",
		programs: `
[program:kill]
command=/bin/sleep 1000
stopsignal=KILL
startsecs=0
stdout_logfile={{dir}}/kill.log

[program:int]
command=` + trapper("INT", "0") + `
stopsignal=INT
startsecs=0
stdout_logfile={{dir}}/int.log

[program:quit]
command=` + trapper("QUIT", "0") + `
stopsignal=QUIT
startsecs=0
stdout_logfile={{dir}}/quit.log

[program:hup]
command=` + trapper("HUP", "0") + `
stopsignal=HUP
startsecs=0
stdout_logfile={{dir}}/hup.log

[program:usr1]
command=` + trapper("USR1", "5") + `
stopsignal=USR1
startsecs=0
stdout_logfile={{dir}}/usr1.log
`,
		steps: func(r *srun) {
			r.ctl("stop", "kill")
			for _, p := range []string{"int", "quit", "hup", "usr1"} {
				r.waitFile(p+".log", "ready")
				r.ctl("stop", p)
			}
			r.ctl("status")
		},
	},
	{
		name: "stopwaitsecs",
		programs: `
[program:stubborn]
command=/bin/sh -c "trap '' TERM; echo ready; exec sleep 1000"
stopwaitsecs=1
startsecs=0
stdout_logfile={{dir}}/stubborn.log
`,
		steps: func(r *srun) {
			r.waitFile("stubborn.log", "ready")
			r.ctl("stop", "stubborn")
			r.ctl("status")
		},
	},
	{
		name: "stopasgroup",
		programs: `
[program:stopgrp]
command=/bin/sh -c "sleep 1000 & echo $! > {{dir}}/gc1; echo ready; wait"
stopasgroup=true
startsecs=0
stdout_logfile={{dir}}/stopgrp.log

[program:killgrp]
command=/bin/sh -c "(trap '' TERM; echo > {{dir}}/gc2.ready; exec sleep 1000) & echo $! > {{dir}}/gc2; trap '' TERM; echo ready; wait"
killasgroup=true
stopwaitsecs=1
startsecs=0
stdout_logfile={{dir}}/killgrp.log
`,
		exclude: map[string]string{"gc1": "a pid", "gc2": "a pid"},
		steps: func(r *srun) {
			r.waitFile("stopgrp.log", "ready")
			r.waitFile("killgrp.log", "ready")
			r.poll("grandchild ready", func() bool { _, err := os.Stat(filepath.Join(r.dir, "gc2.ready")); return err == nil })
			r.ctl("stop", "stopgrp")
			r.waitGone("gc1")
			r.ctl("stop", "killgrp")
			r.waitGone("gc2")
			r.ctl("status")
		},
	},
	{
		name: "numprocs",
		programs: `
[program:worker]
command=/bin/sh -c "echo num=%(process_num)s name=$SUPERVISOR_PROCESS_NAME group=$SUPERVISOR_GROUP_NAME; exec sleep 1000"
process_name=%(program_name)s_%(process_num)02d
numprocs=3
numprocs_start=5
startsecs=0
stdout_logfile={{dir}}/%(program_name)s-%(process_num)d.log
`,
		steps: func(r *srun) {
			for _, p := range []string{"worker:worker_05", "worker:worker_06", "worker:worker_07"} {
				r.wait(p, "RUNNING")
				r.waitFile("worker-"+p[len(p)-1:]+".log", "name=")
			}
			r.ctl("status")
			r.ctl("stop", "worker:worker_06")
			r.ctl("status", "worker:*")
			r.ctl("start", "worker:*")
			r.ctl("restart", "worker:worker_05")
			r.ctl("status")
		},
	},
	{
		name: "groups",
		programs: `
[group:web]
programs=front,back
priority=10

[group:tie]
programs=zz,aa

` + sleeper("front", "priority=2") + sleeper("back", "priority=1") + sleeper("solo", "") +
			sleeper("zz", "") + sleeper("aa", "") +
			sleeper("many", "numprocs=11\nprocess_name=%(program_name)s_%(process_num)s"),
		// Spawn order is deterministic (one pass over groups and their
		// processes); stop order is the order of the exits.
		order: []string{"spawned"},
		steps: func(r *srun) {
			for _, p := range []string{"web:front", "web:back", "solo", "tie:zz", "tie:aa", "many:many_10"} {
				r.wait(p, "RUNNING")
			}
			r.ctl("restart", "tie:*")
			r.ctl("status")
			r.ctl("stop", "web:*")
			r.ctl("status")
			r.ctl("start", "web:*")
			r.ctl("restart", "web:*")
			r.ctl("status", "web:*")
			r.ctl("stop", "web:front", "solo")
			r.ctl("status")
		},
	},
	{
		name:     "priority",
		programs: sleeper("c", "priority=30") + sleeper("a", "priority=10") + sleeper("b", "priority=20"),
		order:    []string{"spawned", "stopped"},
		steps: func(r *srun) {
			for _, p := range []string{"a", "b", "c"} {
				r.wait(p, "RUNNING")
			}
			r.ctl("status")
		},
	},
	{
		name:        "child-environment",
		supervisord: `environment=A="sup",B="sup"`,
		programs: `
[program:envy]
command=/bin/sh -c "echo A=$A B=$B C=$C; env | grep ^SUPERVISOR_ | sort; pwd; umask; id -u; touch made; stat -c %%a made; echo done; exec sleep 1000"
environment=B="prog",C="with space"
directory={{dir}}/work
umask=027
startsecs=0
stdout_logfile={{dir}}/envy.log

[program:plain]
command=/bin/sh -c "echo A=$A B=$B; pwd; umask; ulimit -n; ulimit -u; ls /proc/self/fd; echo done; exec sleep 1000"
startsecs=0
stdout_logfile={{dir}}/plain.log
`,
		setup: func(dir string) error { return os.Mkdir(filepath.Join(dir, "work"), 0o755) },
		steps: func(r *srun) {
			r.waitFile("envy.log", "done")
			r.waitFile("plain.log", "done")
			r.ctl("status")
		},
	},
	{
		name: "child-logs",
		programs: `
[program:redir]
command=/bin/sh -c "echo out; echo err >&2; echo done; exec sleep 1000"
redirect_stderr=true
stdout_logfile={{dir}}/redir.log
startsecs=0

[program:split]
command=/bin/sh -c "echo out; echo err >&2; echo done; echo done >&2; exec sleep 1000"
stdout_logfile={{dir}}/split.out
stderr_logfile={{dir}}/split.err
startsecs=0

[program:none]
command=/bin/sh -c "echo out; echo err >&2; echo done >&2; exec sleep 1000"
stdout_logfile=NONE
stderr_logfile={{dir}}/none.err
startsecs=0

[program:auto]
command=/bin/sh -c "echo out; echo err >&2; echo done; echo done >&2; exec sleep 1000"
startsecs=0
`,
		steps: func(r *srun) {
			r.waitFile("redir.log", "done")
			r.waitFile("split.out", "done")
			r.waitFile("split.err", "done")
			r.waitFile("none.err", "done")
			r.waitGlob("auto-stdout---*.log", "done")
			r.waitGlob("auto-stderr---*.log", "done")
			r.ctl("tail", "redir")
			r.ctl("tail", "split", "stderr")
			r.ctl("tail", "none")
			r.ctl("tail", "none", "stderr")
			r.ctl("tail", "auto", "stderr")
			r.ctl("status")
		},
	},
	{
		name: "log-rotation",
		programs: `
[program:rot]
command=/bin/sh -c "echo ready; while read l; do echo line $l xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done"
stdout_logfile={{dir}}/rot.log
stdout_logfile_maxbytes=100
stdout_logfile_backups=2
startsecs=0
`,
		steps: func(r *srun) {
			r.waitFile("rot.log", "ready")
			for i := 1; i <= 9; i++ {
				if err := r.client.SendProcessStdin(context.Background(), "rot", fmt.Sprintf("%d\n", i)); err != nil {
					r.fail("sendProcessStdin: %v", err)
				}
				r.waitGlob("rot.log*", fmt.Sprintf("line %d ", i))
			}
			r.ctl("tail", "rot")
		},
	},
	{
		name: "spawn-errors",
		programs: `
[program:missing]
command=/no/such/bin
startretries=1

[program:notexec]
command={{dir}}/notexec.sh
startretries=1

[program:baddir]
command=/bin/sleep 1000
directory={{dir}}/nosuchdir
startretries=0
`,
		setup: func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "notexec.sh"), []byte("#!/bin/sh\necho hi\n"), 0o644)
		},
		// COMPATIBILITY.md, Processes, "Child-side spawn failures":
		// superd finds a bad directory before the fork.
		exclude: map[string]string{
			"baddir": "chdir failure",
			"baddir-stdout---supervisor-XXXXXXXX.log": "chdir failure",
			"couldn't chdir": "chdir failure (superd logs it as spawnerr)",
		},
		steps: func(r *srun) {
			r.wait("missing", "FATAL")
			r.wait("notexec", "FATAL")
			r.wait("baddir", "FATAL")
			r.ctl("status", "missing", "notexec")
			r.ctl("start", "missing")
			r.ctl("start", "notexec")
			r.ctl("status", "missing", "notexec")
		},
	},
	{
		name: "signal-and-stdin",
		programs: `
[program:sig]
command=/bin/sh -c "trap 'echo got USR1' USR1; trap 'echo got HUP; kill $p; exit 3' HUP; sleep 1000 & p=$!; echo ready; while :; do wait $p; done"
startsecs=0
autorestart=false
stdout_logfile={{dir}}/sig.log

[program:reader]
command=/bin/sh -c "while read l; do echo got $l; [ $l = quit ] && exit 7; done"
startsecs=0
autorestart=false
stdout_logfile={{dir}}/reader.log
`,
		steps: func(r *srun) {
			r.waitFile("sig.log", "ready")
			r.ctl("signal", "USR1", "sig")
			r.waitFile("sig.log", "got USR1")
			r.ctl("signal", "HUP", "sig")
			r.wait("sig", "EXITED")
			r.ctl("signal", "HUP", "sig")
			r.wait("reader", "RUNNING")
			for _, l := range []string{"hello", "quit"} {
				if err := r.client.SendProcessStdin(context.Background(), "reader", l+"\n"); err != nil {
					r.fail("sendProcessStdin: %v", err)
				}
				r.waitFile("reader.log", "got "+l)
			}
			r.wait("reader", "EXITED")
			r.ctl("status")
		},
	},
	{
		name:     "reread-update",
		programs: sleeper("keep", "") + sleeper("change", "") + sleeper("gone", ""),
		// Groups added by update come last in the shutdown, as they
		// come last in supervisord's process_groups.
		order: []string{"spawned", "stopped"},
		steps: func(r *srun) {
			for _, p := range []string{"keep", "change", "gone"} {
				r.wait(p, "RUNNING")
			}
			r.rewrite(&scenario{}, sleeper("keep", "")+"[program:change]\ncommand=/bin/sleep 999\nstartsecs=0\n"+sleeper("added", ""))
			r.ctl("reread")
			r.ctl("update")
			r.wait("added", "RUNNING")
			r.wait("change", "RUNNING")
			r.ctl("status")
			r.ctl("reread")
		},
	},
	{
		name:     "sighup-restart",
		programs: sleeper("a", "") + sleeper("b", ""),
		// Whether the old listener still records the stop events
		// depends on when it is stopped, under both daemons.
		dropEvents: dropStopEvents,
		steps: func(r *srun) {
			r.wait("a", "RUNNING")
			r.wait("b", "RUNNING")
			// The old listener's pending events die with it.
			r.waitSettled(&scenario{})
			r.cmd.Process.Signal(syscall.SIGHUP)
			r.poll("restart", func() bool { return r.count("supervisord started with pid") == 2 })
			r.wait("a", "RUNNING")
			r.wait("b", "RUNNING")
			r.wait("listener", "RUNNING")
			r.ctl("status")
		},
	},
	{
		name: "listener-crash",
		programs: `
[eventlistener:flaky]
command={{py}} {{listener}} {{dir}}/flaky.txt --crash-once {{dir}}/crashed
events=PROCESS_STATE_FATAL
autorestart=true
startsecs=0
stderr_logfile={{dir}}/flaky.err

[program:crasher]
command=/bin/sh -c "echo crash; exit 1"
startsecs=2
startretries=2
`,
		exclude: map[string]string{"flaky.err": "python noise"},
		steps: func(r *srun) {
			r.wait("crasher", "FATAL")
			r.waitFile("flaky.txt", "PROCESS_STATE_FATAL")
			r.wait("flaky", "RUNNING")
			r.ctl("status")
		},
	},
	{
		name: "stop-while-starting",
		programs: `
[program:slow]
command=/bin/sleep 1000
startsecs=30
`,
		steps: func(r *srun) {
			r.wait("slow", "STARTING")
			r.ctl("status")
			r.ctl("stop", "slow")
			r.ctl("status")
		},
	},
	{
		name: "killed-from-outside",
		programs: `
[program:victim]
command=/bin/sleep 1000
startsecs=0
autorestart=true

[program:once]
command=/bin/sleep 1000
startsecs=0
autorestart=unexpected
exitcodes=0
`,
		steps: func(r *srun) {
			for _, p := range []string{"victim", "once"} {
				r.wait(p, "RUNNING")
				info, err := r.client.GetProcessInfo(context.Background(), p)
				if err != nil {
					r.fail("%v", err)
				}
				if err := testproc.Kill(info.PID, syscall.SIGKILL); err != nil {
					r.fail("%s: %v", p, err)
				}
				r.poll(p+" restarted", func() bool {
					i, err := r.client.GetProcessInfo(context.Background(), p)
					return err == nil && i.PID != info.PID && i.StateName == "RUNNING"
				})
			}
			r.ctl("status")
		},
	},
	{
		name: "self-signal-exit",
		programs: `
[program:selfterm]
command=/bin/sh -c "` + counted + `[ $n -ge 1 ] && exec sleep 1000; kill -TERM $$"
startsecs=0
autorestart=unexpected
`,
		steps: func(r *srun) {
			r.waitFile("n", "2")
			r.wait("selfterm", "RUNNING")
			r.ctl("status")
		},
	},
	{
		name: "run-as-user",
		programs: `
[program:unpriv]
command=/bin/sh -c "id -u; id -g; id -G; echo HOME=$HOME USER=$USER LOGNAME=$LOGNAME; echo done; exec sleep 1000"
user=nobody
startsecs=0
stdout_logfile={{dir}}/unpriv.log
`,
		steps: func(r *srun) {
			if os.Geteuid() != 0 {
				r.note("not root: user= not exercised")
				return
			}
			r.waitFile("unpriv.log", "done")
			r.ctl("status")
		},
	},
	{
		name: "expansions",
		programs: `
[program:exp]
command=/bin/sh -c "echo X=$X G=$G P=$P N=$N H=$H; echo arg=%(program_name)s-%(process_num)d; echo done; exec sleep 1000"
environment=X="%(ENV_HOME)s",G="%(group_name)s",P="%(program_name)s",N="%(process_num)d",H="%(here)s"
startsecs=0
stdout_logfile={{dir}}/%(program_name)s.log
`,
		steps: func(r *srun) {
			r.waitFile("exp.log", "done")
			r.ctl("status")
		},
	},
	{
		name: "update-changed-groups",
		programs: sleeper("web", "numprocs=2\nprocess_name=%(program_name)s_%(process_num)s") +
			sleeper("envd", "environment=V=\"1\"") + sleeper("same", ""),
		steps: func(r *srun) {
			for _, p := range []string{"web:web_0", "web:web_1", "envd", "same"} {
				r.wait(p, "RUNNING")
			}
			r.rewrite(&scenario{}, sleeper("web", "numprocs=3\nprocess_name=%(program_name)s_%(process_num)s")+
				sleeper("envd", "environment=V=\"2\"")+sleeper("same", ""))
			r.ctl("reread")
			r.ctl("update", "envd")
			r.wait("envd", "RUNNING")
			r.ctl("update")
			for _, p := range []string{"web:web_0", "web:web_1", "web:web_2"} {
				r.wait(p, "RUNNING")
			}
			r.ctl("status")
		},
	},
	{
		name: "usr2-reopen",
		programs: `
[program:app]
command=/bin/sh -c "echo ready; while read l; do echo $l; done"
stdout_logfile={{dir}}/app.log
startsecs=0
`,
		steps: func(r *srun) {
			r.waitFile("app.log", "ready")
			send := func(l string) {
				if err := r.client.SendProcessStdin(context.Background(), "app", l+"\n"); err != nil {
					r.fail("sendProcessStdin: %v", err)
				}
			}
			send("one")
			r.waitFile("app.log", "one")
			if err := os.Rename(filepath.Join(r.dir, "app.log"), filepath.Join(r.dir, "app.log.old")); err != nil {
				r.fail("%v", err)
			}
			send("two")
			r.waitFile("app.log.old", "two")
			r.cmd.Process.Signal(syscall.SIGUSR2)
			r.poll("log reopen", func() bool { return r.count("supervisord logreopen") == 1 })
			send("three")
			r.waitGlob("app.log*", "three")
			r.ctl("tail", "app")
		},
	},
	{
		name: "ctl-many",
		programs: `
[group:pool]
programs=p1,p2

` + sleeper("p1", "") + sleeper("p2", "") + `
[program:slowstart]
command=/bin/sleep 1000
startsecs=2
autostart=false

[program:quick]
command=/bin/sh -c "exit 3"
startsecs=2
startretries=0
autostart=false

[program:trap]
command=/bin/sh -c "trap 'echo got USR1' USR1; sleep 1000 & p=$!; echo ready; while :; do wait $p; done"
startsecs=0
stdout_logfile={{dir}}/trap.log
`,
		steps: func(r *srun) {
			for _, p := range []string{"pool:p1", "pool:p2"} {
				r.wait(p, "RUNNING")
			}
			r.waitFile("trap.log", "ready")
			r.ctl("start", "slowstart")
			r.ctl("start", "quick")
			r.wait("quick", "FATAL")
			r.ctl("signal", "USR1", "pool:*")
			r.ctl("signal", "USR1", "trap")
			r.waitFile("trap.log", "got USR1")
			r.ctl("restart", "all")
			r.ctl("status")
			r.ctl("stop", "all")
			r.ctl("status")
			r.ctl("start", "all")
			r.wait("quick", "FATAL")
			r.ctl("status")
		},
	},
	{
		name: "stopasgroup-leftover",
		// The main process dies of SIGTERM, its grandchild ignores it:
		// the process is STOPPED when the main process is reaped, and
		// neither daemon goes on to SIGKILL the group.
		programs: `
[program:leaver]
command=/bin/sh -c "(trap '' TERM; echo > {{dir}}/gc.ready; exec sleep 1000) & echo $! > {{dir}}/gc; echo ready; wait"
stopasgroup=true
stopwaitsecs=1
startsecs=0
stdout_logfile={{dir}}/leaver.log
`,
		exclude: map[string]string{"gc": "a pid"},
		steps: func(r *srun) {
			r.waitFile("leaver.log", "ready")
			r.poll("grandchild ready", func() bool { _, err := os.Stat(filepath.Join(r.dir, "gc.ready")); return err == nil })
			r.ctl("stop", "leaver")
			r.ctl("status")
			pid, err := testproc.ReadPID(filepath.Join(r.dir, "gc"))
			if err != nil {
				r.fail("%v", err)
			}
			r.note("grandchild alive after stop: %v", processAlive(pid))
			testproc.Kill(pid, syscall.SIGKILL)
		},
	},
	{
		name: "communication-events",
		programs: `
[eventlistener:misc]
command={{py}} {{listener}} {{dir}}/misc.txt
events=PROCESS_COMMUNICATION,REMOTE_COMMUNICATION,PROCESS_GROUP
stdout_logfile=NONE
stderr_logfile={{dir}}/misc.err

[program:talker]
command=/bin/sh -c "echo before; echo '<!--XSUPERVISOR:BEGIN-->hello\\nworld<!--XSUPERVISOR:END-->'; echo after the end of the capture; read go; echo 'err<!--XSUPERVISOR:BEGIN-->e1<!--XSUPERVISOR:END-->after the end of the capture' >&2; exec sleep 1000"
stdout_capture_maxbytes=1MB
stderr_capture_maxbytes=1MB
startsecs=0
stdout_logfile={{dir}}/talker.out
stderr_logfile={{dir}}/talker.err
`,
		exclude: map[string]string{"misc.err": "python noise"},
		steps: func(r *srun) {
			// The stderr part is written once the stdout event is
			// recorded: the order of two pipes' data is not defined.
			talk := func(n int) {
				r.poll("stdout event", func() bool {
					b, _ := os.ReadFile(filepath.Join(r.dir, "misc.txt"))
					return strings.Count(string(b), "PROCESS_COMMUNICATION_STDOUT") == n
				})
				if err := r.client.SendProcessStdin(context.Background(), "talker", "go\n"); err != nil {
					r.fail("sendProcessStdin: %v", err)
				}
				r.poll("stderr event", func() bool {
					b, _ := os.ReadFile(filepath.Join(r.dir, "misc.txt"))
					return strings.Count(string(b), "PROCESS_COMMUNICATION_STDERR") == n
				})
			}
			r.wait("misc", "RUNNING")
			talk(1)
			if err := r.client.SendRemoteCommEvent(context.Background(), "mytype", "some\ndata"); err != nil {
				r.fail("sendRemoteCommEvent: %v", err)
			}
			r.waitFile("misc.txt", "REMOTE_COMMUNICATION")
			// supervisord holds back output shorter than a capture
			// token: the lines after END are longer than that.
			r.waitFile("talker.out", "after the end")
			r.waitFile("talker.err", "after the end")
			r.ctl("stop", "talker")
			r.ctl("remove", "talker")
			r.waitFile("misc.txt", "PROCESS_GROUP_REMOVED")
			r.ctl("add", "talker")
			r.waitFile("misc.txt", "PROCESS_GROUP_ADDED groupname:talker")
			r.wait("talker", "RUNNING")
			talk(2)
		},
	},
	{
		name: "log-options",
		programs: `
[program:redir]
command=/bin/sh -c "echo out; echo err >&2; echo done; exec sleep 1000"
redirect_stderr=true
stderr_logfile={{dir}}/ignored.err
stdout_logfile={{dir}}/redir.log
startsecs=0

[program:autorot]
command=/bin/sh -c "echo ready; while read l; do echo line $l yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy; echo eline $l >&2; done"
stdout_logfile_maxbytes=60
stdout_logfile_backups=1
stderr_logfile_maxbytes=0
startsecs=0

[program:nolog]
command=/bin/sh -c "echo out; exec sleep 1000"
stdout_logfile=NONE
stderr_logfile=NONE
startsecs=0
`,
		steps: func(r *srun) {
			r.waitFile("redir.log", "done")
			r.waitGlob("autorot-stdout---*.log", "ready")
			for i := 1; i <= 4; i++ {
				if err := r.client.SendProcessStdin(context.Background(), "autorot", fmt.Sprintf("%d\n", i)); err != nil {
					r.fail("sendProcessStdin: %v", err)
				}
				r.waitGlob("autorot-stdout---*.log*", fmt.Sprintf("line %d ", i))
				r.waitGlob("autorot-stderr---*.log", fmt.Sprintf("eline %d", i))
			}
			r.ctl("tail", "redir", "stderr")
			r.ctl("tail", "nolog")
			r.ctl("tail", "nolog", "stderr")
			r.ctl("tail", "autorot")
			r.ctl("tail", "autorot", "stderr")
			r.ctl("clear", "autorot")
			r.ctl("tail", "autorot")
			r.ctl("clear", "nolog")
		},
	},
	{
		name: "bad-logfile-and-commands",
		programs: `
[program:badlog]
command=/bin/sleep 1000
stdout_logfile={{dir}}/logdir/x.log
startretries=0
autostart=false

[program:viapath]
command=sh -c "echo args: $0 $1 '$2'; echo done; exec sleep 1000" zero "one two" "three"
startsecs=0
stdout_logfile={{dir}}/viapath.log

[program:nonl]
command=printf "no newline at the end"
startsecs=0
autorestart=false
stdout_logfile={{dir}}/nonl.log

[program:big]
command=/bin/sh -c "yes 0123456789abcdef | head -c 300000; echo; echo done; exec sleep 1000"
startsecs=0
stdout_logfile={{dir}}/big.log
stdout_logfile_maxbytes=0
`,
		// COMPATIBILITY.md, Processes, "Signals": under supervisord
		// `yes` inherits SIGPIPE ignored and complains on stderr when
		// head exits; under superd it dies of SIGPIPE silently.
		exclude:     map[string]string{"big-stderr---supervisor-XXXXXXXX.log": "SIGPIPE disposition"},
		racySuccess: []string{"nonl"},
		// logdir exists when the config is read, and is gone when
		// badlog starts.
		setup: func(dir string) error { return os.Mkdir(filepath.Join(dir, "logdir"), 0o755) },
		steps: func(r *srun) {
			if err := os.Remove(filepath.Join(r.dir, "logdir")); err != nil {
				r.fail("%v", err)
			}
			r.ctl("start", "badlog")
			r.wait("badlog", "FATAL")
			r.ctl("status", "badlog")
			r.waitFile("viapath.log", "done")
			r.wait("nonl", "EXITED")
			r.waitFile("big.log", "done")
			r.ctl("status")
		},
	},
	{
		name: "recover-after-fatal",
		programs: `
[program:flaky]
command=/bin/sh -c "` + counted + `[ $n -ge 2 ] && exec sleep 1000; exit 1"
startsecs=2
startretries=1
`,
		steps: func(r *srun) {
			r.wait("flaky", "FATAL")
			r.ctl("status")
			r.ctl("start", "flaky")
			r.ctl("status")
			r.ctl("restart", "flaky")
		},
	},
	{
		name: "requests-while-stopping",
		programs: `
[program:stubborn]
command=/bin/sh -c "trap '' TERM; echo ready; exec sleep 1000"
stopwaitsecs=60
startsecs=0
stdout_logfile={{dir}}/stubborn.log
`,
		steps: func(r *srun) {
			r.waitFile("stubborn.log", "ready")
			info, err := r.client.GetProcessInfo(context.Background(), "stubborn")
			if err != nil {
				r.fail("%v", err)
			}
			if err := r.client.StopProcess(context.Background(), "stubborn", false); err != nil {
				r.fail("stopProcess: %v", err)
			}
			r.wait("stubborn", "STOPPING")
			r.ctl("status")
			r.ctl("stop", "stubborn")
			r.ctl("start", "stubborn")
			r.ctl("status")
			// Instead of waiting for stopwaitsecs:
			if err := testproc.Kill(info.PID, syscall.SIGKILL); err != nil {
				r.fail("stubborn: %v", err)
			}
			r.wait("stubborn", "STOPPED")
			r.ctl("status")
		},
	},
	{
		name: "stop-in-backoff",
		programs: `
[program:failing]
command=/bin/sh -c "exit 1"
startsecs=2
startretries=10
`,
		steps: func(r *srun) {
			// The third BACKOFF lasts 3 s: long enough for the
			// stop to find it in that state, even on a loaded machine.
			r.poll("third BACKOFF", func() bool {
				b, _ := os.ReadFile(filepath.Join(r.dir, "events.txt"))
				return strings.Contains(string(b), "PROCESS_STATE_BACKOFF processname:failing groupname:failing from_state:STARTING tries:3")
			})
			r.ctl("stop", "failing")
			r.ctl("status")
			r.ctl("stop", "failing")
		},
	},
	{
		name:     "ctl-reload",
		programs: sleeper("a", "") + sleeper("b", "") + sleeper("manual", "autostart=false"),
		// As in sighup-restart.
		dropEvents: dropStopEvents,
		steps: func(r *srun) {
			r.wait("a", "RUNNING")
			r.wait("b", "RUNNING")
			r.ctl("stop", "b")
			r.ctl("start", "manual")
			r.rewrite(&scenario{}, sleeper("b", "")+sleeper("c", "")+sleeper("manual", "autostart=false"))
			r.waitSettled(&scenario{})
			r.ctl("reload")
			r.poll("restart", func() bool { return r.count("supervisord started with pid") == 2 })
			r.wait("b", "RUNNING")
			r.wait("c", "RUNNING")
			r.wait("listener", "RUNNING")
			r.ctl("status")
		},
	},
	{
		name: "ctl-shutdown",
		programs: sleeper("first", "priority=1") + sleeper("second", "priority=2") + `
[program:graceful]
command=/bin/sh -c "trap 'echo bye; kill $p; exit 0' TERM; sleep 1000 & p=$!; echo ready; while :; do wait $p; done"
priority=3
startsecs=0
stdout_logfile={{dir}}/graceful.log
`,
		order: []string{"stopped"},
		// The listener (priority 1, stopped last) may or may not get
		// the stop events before it is stopped itself.
		dropEvents: dropStopEvents,
		steps: func(r *srun) {
			r.wait("first", "RUNNING")
			r.wait("second", "RUNNING")
			r.waitFile("graceful.log", "ready")
			r.waitSettled(&scenario{})
			r.ctl("shutdown")
			select {
			case <-r.done:
			case <-time.After(20 * time.Second):
				r.fail("daemon did not exit after shutdown")
			}
			r.note("exit status %d", r.cmd.ProcessState.ExitCode())
		},
	},
	{
		name: "shared-logfile-and-dev-stdout",
		programs: `
[program:both]
command=/bin/sh -c "echo out1; read x; echo err1 >&2; read x; echo out2; read x; echo done >&2; exec sleep 1000"
stdout_logfile={{dir}}/both.log
stderr_logfile={{dir}}/both.log
startsecs=0

[program:console]
command=/bin/sh -c "echo hello-from-console; exec sleep 1000"
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
startsecs=0
`,
		steps: func(r *srun) {
			// Each line is written once the one before is logged.
			for _, l := range []string{"out1", "err1", "out2"} {
				r.waitFile("both.log", l)
				if err := r.client.SendProcessStdin(context.Background(), "both", "next\n"); err != nil {
					r.fail("sendProcessStdin: %v", err)
				}
			}
			r.waitFile("both.log", "done")
			r.poll("console output", func() bool { return strings.Contains(r.out.String(), "hello-from-console\n") })
			r.ctl("tail", "both")
			r.ctl("tail", "both", "stderr")
		},
	},
	{
		name:        "environment-quoting",
		supervisord: `environment=GLOBAL="g1,g2",OVER="global"`,
		programs: `
[program:q]
command=/bin/sh -c "echo A=[$A] B=[$B] C=[$C] GLOBAL=[$GLOBAL] OVER=[$OVER]; echo done; exec sleep 1000"
environment=A="x,y",B='single',C=plain,OVER="prog"
startsecs=0
stdout_logfile={{dir}}/q.log
`,
		steps: func(r *srun) {
			r.waitFile("q.log", "done")
		},
	},
	{
		name: "stopped-with-exit-code",
		programs: `
[program:clean]
command=/bin/sh -c "trap 'kill $p; exit 0' TERM; sleep 1000 & p=$!; echo ready; while :; do wait $p; done"
startsecs=0
stdout_logfile={{dir}}/clean.log

[program:dirty]
command=/bin/sh -c "trap 'kill $p; exit 9' TERM; sleep 1000 & p=$!; echo ready; while :; do wait $p; done"
startsecs=0
exitcodes=0,9
stdout_logfile={{dir}}/dirty.log

[program:odd]
command=/bin/sh -c "trap 'kill $p; exit 4' TERM; sleep 1000 & p=$!; echo ready; while :; do wait $p; done"
startsecs=0
stdout_logfile={{dir}}/odd.log
`,
		steps: func(r *srun) {
			for _, p := range []string{"clean", "dirty", "odd"} {
				r.waitFile(p+".log", "ready")
				r.ctl("stop", p)
			}
			r.ctl("status")
		},
	},
	{
		name: "requests-while-starting",
		programs: `
[program:slow]
command=/bin/sh -c "trap 'echo got USR1' USR1; sleep 1000 & p=$!; echo ready; while :; do wait $p; done"
startsecs=30
stdout_logfile={{dir}}/slow.log

[program:stubborn]
command=/bin/sh -c "trap '' TERM; echo ready; exec sleep 1000"
startsecs=30
stopwaitsecs=1
stdout_logfile={{dir}}/stubborn.log
`,
		steps: func(r *srun) {
			r.waitFile("slow.log", "ready")
			r.ctl("signal", "USR1", "slow")
			r.waitFile("slow.log", "got USR1")
			r.ctl("status", "slow")
			r.ctl("stop", "slow")
			r.ctl("status", "slow")
			r.waitFile("stubborn.log", "ready")
			r.ctl("stop", "stubborn")
			r.ctl("status", "stubborn")
		},
	},
	{
		name: "exit-statuses",
		programs: `
[program:oneshot]
command=/bin/sh -c "echo did the job; exit 0"
startsecs=2
startretries=1

[program:abrt]
command=/bin/sh -c "sleep 0.2; kill -ABRT $$"
startsecs=0
autorestart=false

[program:big]
command=/bin/sh -c "sleep 0.2; exit 255"
startsecs=0
autorestart=false
`,
		steps: func(r *srun) {
			r.wait("oneshot", "FATAL")
			r.wait("abrt", "EXITED")
			r.wait("big", "EXITED")
			r.ctl("status")
		},
	},
	{
		name:        "identifier-and-cleanup",
		supervisord: "identifier=myid",
		programs:    sleeper("app", ""),
		setup: func(dir string) error {
			for _, f := range []string{"old-stdout---myid-abcdefgh.log", "old-stdout---myid-abcdefgh.log.1", "other-stdout---someone-abcdefgh.log", "plain.log"} {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("old\n"), 0o644); err != nil {
					return err
				}
			}
			return nil
		},
		steps: func(r *srun) {
			r.wait("app", "RUNNING")
			r.ctl("status")
		},
	},
	{
		name:        "nocleanup",
		supervisord: "identifier=myid\nnocleanup=true",
		programs:    sleeper("app", ""),
		setup: func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "old-stdout---myid-abcdefgh.log"), []byte("old\n"), 0o644)
		},
		steps: func(r *srun) {
			r.wait("app", "RUNNING")
		},
	},
	{
		name: "log-events",
		programs: `
[eventlistener:logs]
command={{py}} {{listener}} {{dir}}/logs.txt
events=PROCESS_LOG
stdout_logfile=NONE
stderr_logfile={{dir}}/logs.err

[program:chatty]
command=/bin/sh -c "echo one; read x; echo two >&2; read x; printf 'three\\nfour\\n'; exec sleep 1000"
stdout_events_enabled=true
stderr_events_enabled=true
startsecs=0
stdout_logfile={{dir}}/chatty.out
stderr_logfile={{dir}}/chatty.err
`,
		exclude: map[string]string{"logs.err": "python noise"},
		steps: func(r *srun) {
			r.wait("logs", "RUNNING")
			for i, l := range []string{"one", "two", "four"} {
				r.poll(l+" logged", func() bool {
					b, _ := os.ReadFile(filepath.Join(r.dir, "logs.txt"))
					return strings.Contains(string(b), l)
				})
				if i < 2 {
					if err := r.client.SendProcessStdin(context.Background(), "chatty", "next\n"); err != nil {
						r.fail("sendProcessStdin: %v", err)
					}
				}
			}
		},
	},
	{
		name: "shutdown-in-backoff",
		programs: `
[program:failing]
command=/bin/sh -c "exit 1"
startsecs=2
startretries=10
` + sleeper("fine", ""),
		steps: func(r *srun) {
			r.wait("fine", "RUNNING")
			// The third BACKOFF lasts 3 s: the shutdown comes in it.
			r.poll("third BACKOFF", func() bool {
				b, _ := os.ReadFile(filepath.Join(r.dir, "events.txt"))
				return strings.Contains(string(b), "PROCESS_STATE_BACKOFF processname:failing groupname:failing from_state:STARTING tries:3")
			})
		},
	},
	{
		name: "group-with-failure",
		programs: `
[group:mixed]
programs=ok,bad,stubborn

` + sleeper("ok", "") + `
[program:bad]
command=/bin/sh -c "exit 1"
startsecs=2
startretries=0

[program:stubborn]
command=/bin/sh -c "trap '' TERM; echo ready; exec sleep 1000"
startsecs=0
stopwaitsecs=1
stdout_logfile={{dir}}/stubborn.log
`,
		steps: func(r *srun) {
			r.wait("mixed:ok", "RUNNING")
			r.wait("mixed:bad", "FATAL")
			r.waitFile("stubborn.log", "ready")
			r.ctl("stop", "mixed:*")
			r.ctl("start", "mixed:*")
			r.wait("mixed:bad", "FATAL")
			r.ctl("status")
			// (stop all would stop the listener too)
			r.ctl("stop", "mixed:stubborn", "mixed:bad", "mixed:ok")
			r.ctl("status")
		},
	},
	{
		name: "long-names",
		programs: sleeper("a_program_with_a_rather_long_name_beyond_thirty", "") +
			sleeper("w", "numprocs=2\nprocess_name=%(program_name)s_worker_with_a_long_suffix_%(process_num)03d"),
		steps: func(r *srun) {
			r.wait("a_program_with_a_rather_long_name_beyond_thirty", "RUNNING")
			r.wait("w:w_worker_with_a_long_suffix_001", "RUNNING")
			r.ctl("status")
			r.ctl("stop", "w:w_worker_with_a_long_suffix_000")
			r.ctl("status", "w:*")
		},
	},
	{
		name: "include-drop-ins",
		programs: `
[include]
files = conf.d/*.conf
`,
		setup: func(dir string) error {
			if err := os.Mkdir(filepath.Join(dir, "conf.d"), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "conf.d", "one.conf"), []byte(sleeper("one", "")), 0o644)
		},
		steps: func(r *srun) {
			r.wait("one", "RUNNING")
			if err := os.WriteFile(filepath.Join(r.dir, "conf.d", "two.conf"), []byte(sleeper("two", "")), 0o644); err != nil {
				r.fail("%v", err)
			}
			if err := os.Remove(filepath.Join(r.dir, "conf.d", "one.conf")); err != nil {
				r.fail("%v", err)
			}
			r.ctl("reread")
			r.ctl("update")
			r.wait("two", "RUNNING")
			r.ctl("status")
			r.ctl("avail")
		},
	},
}
