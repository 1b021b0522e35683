package events_test

// Integration tests: real Python event listeners (supervisor.childutils
// from the Debian supervisor package) under superd's pkg/process and,
// as the oracle, under supervisord 4.2.5 with the same configuration.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/process"
)

// record is one event as testdata/listener.py saw it.
type record struct {
	Proc    string            `json:"proc"`
	Headers map[string]string `json:"headers"`
	Payload string            `json:"payload"`
}

func (r record) name() string { return r.Headers["eventname"] }

func (r record) field(k string) string {
	for _, kv := range strings.Fields(strings.SplitN(r.Payload, "\n", 2)[0]) {
		if key, v, ok := strings.Cut(kv, ":"); ok && key == k {
			return v
		}
	}
	return ""
}

var pidRE = regexp.MustCompile(`pid:\d+`)

// masked is the record without pids and serials.
func (r record) masked() string {
	return r.name() + " " + pidRE.ReplaceAllString(r.Payload, "pid:N")
}

// listenerPython returns a python3 that can import supervisor.childutils.
func listenerPython(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import supervisor.childutils").Run() == nil {
			return path
		}
	}
	t.Skip("no python3 with supervisor.childutils (Debian package supervisor) installed")
	return ""
}

// writeConf writes body to dir/s.conf after replacing {{dir}}, {{py}}
// and {{listener}}.
func writeConf(t *testing.T, dir, py, body string) string {
	t.Helper()
	listener, err := filepath.Abs("testdata/listener.py")
	if err != nil {
		t.Fatal(err)
	}
	body = strings.NewReplacer("{{dir}}", dir, "{{py}}", py, "{{listener}}", listener).Replace(body)
	head := fmt.Sprintf("[supervisord]\nlogfile=%s/supervisord.log\npidfile=%s/supervisord.pid\nchildlogdir=%s\nloglevel=debug\nstatedir=%s/state\n", dir, dir, dir, dir)
	path := filepath.Join(dir, "s.conf")
	if err := os.WriteFile(path, []byte(head+body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readRecords(t *testing.T, path string) []record {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			continue // a line being written
		}
		recs = append(recs, r)
	}
	return recs
}

// recordings maps a record file name to its records.
type recordings map[string][]record

func collect(t *testing.T, dir string, files []string) recordings {
	out := recordings{}
	for _, f := range files {
		recs := readRecords(t, filepath.Join(dir, f))
		// Listeners of one pool append to one file: put it back in
		// the pool's order (a redelivered event keeps its poolserial).
		slices.SortStableFunc(recs, func(a, b record) int {
			x, _ := strconv.Atoi(a.Headers["poolserial"])
			y, _ := strconv.Atoi(b.Headers["poolserial"])
			return x - y
		})
		out[f] = recs
	}
	return out
}

// waitFor polls the record files until done says the scenario is
// complete, and returns the records up to that point.
func waitFor(t *testing.T, dir string, files []string, done func(recordings) bool, alive func() error) recordings {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		recs := collect(t, dir, files)
		if done(recs) {
			return recs
		}
		if err := alive(); err != nil {
			t.Fatalf("supervisor ended early: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("scenario did not complete; recorded:\n%s", dump(recs))
		}
		time.Sleep(20 * time.Millisecond) // polling a file written by a child
	}
}

func dump(recs recordings) string {
	var b strings.Builder
	for _, f := range sortedKeys(recs) {
		fmt.Fprintf(&b, "%s:\n", f)
		for _, r := range recs[f] {
			fmt.Fprintf(&b, "  %s serial:%s poolserial:%s %s\n", r.Proc, r.Headers["serial"], r.Headers["poolserial"], r.masked())
		}
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// runSupervisord runs the reference supervisord on conf until done.
func runSupervisord(t *testing.T, conf, dir string, files []string, done func(recordings) bool) recordings {
	t.Helper()
	bin, err := exec.LookPath("supervisord")
	if err != nil {
		t.Skip("supervisord not installed")
	}
	cmd := exec.Command(bin, "-n", "-c", conf)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}()
	return waitFor(t, dir, files, done, func() error {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("supervisord exited: %v", err)
		default:
			return nil
		}
	})
}

// superd is a supervisor from pkg/process with event listener pools.
type superd struct {
	sup   *process.Supervisor
	pools *events.Pools
	bus   *events.Bus
	done  chan error
	stop  func()
}

// startSuperd runs pkg/process on conf. With ownPools the test makes
// the Pools and passes them as Options.Listeners; without, process.New
// makes them from Options.Bus (s.pools is then nil).
func startSuperd(t *testing.T, conf string, ownPools bool) *superd {
	t.Helper()
	cfg, err := config.Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	bus := events.NewBus()
	opts := process.Options{Logger: logger, Bus: bus}
	var pools *events.Pools
	if ownPools {
		pools = events.NewPools(bus, logger, cfg.Supervisord.Identifier)
		pools.Configure(cfg.Groups)
		opts.Listeners = pools
	}
	sup, err := process.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &superd{sup: sup, pools: pools, bus: bus, done: make(chan error, 1)}
	go func() { s.done <- sup.Run(ctx) }()
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		sup.Shutdown(false)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Errorf("superd did not shut down")
			cancel()
			<-s.done
		}
		cancel()
		if pools != nil {
			pools.Close()
		}
		bus.Close()
	}
	t.Cleanup(s.stop)
	return s
}

func (s *superd) alive() error {
	select {
	case err := <-s.done:
		s.done <- err
		return fmt.Errorf("Run returned: %v", err)
	default:
		return nil
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func runSuperd(t *testing.T, conf, dir string, files []string, done func(recordings) bool, ownPools bool) recordings {
	t.Helper()
	s := startSuperd(t, conf, ownPools)
	recs := waitFor(t, dir, files, done, s.alive)
	s.stop()
	return recs
}

// has reports whether recs holds an event name for process proc.
func has(recs []record, name, proc string) bool {
	for _, r := range recs {
		if r.name() == name && (proc == "" || r.field("processname") == proc) {
			return true
		}
	}
	return false
}

// byKey groups the masked records per process (or "supervisor" for
// events about no process). Within a key the order is deterministic;
// between keys it depends on timing.
func byKey(recs []record) map[string][]string {
	out := map[string][]string{}
	for _, r := range recs {
		k := r.field("processname")
		if k == "" {
			k = "supervisor"
		}
		out[k] = append(out[k], r.masked())
	}
	return out
}

// checkWellFormed checks what holds in every recording: len is the
// payload's length in code points, serials increase, poolserials count
// up from 0 (a redelivered event repeats both).
func checkWellFormed(t *testing.T, file string, recs []record) {
	t.Helper()
	lastSerial, lastPool := -1, -1
	for i, r := range recs {
		n, _ := strconv.Atoi(r.Headers["len"])
		if n != utf8.RuneCountInString(r.Payload) {
			t.Errorf("%s[%d]: len %d for a payload of %d code points", file, i, n, utf8.RuneCountInString(r.Payload))
		}
		s, _ := strconv.Atoi(r.Headers["serial"])
		ps, _ := strconv.Atoi(r.Headers["poolserial"])
		if s < lastSerial || (s == lastSerial && ps != lastPool) {
			t.Errorf("%s[%d]: serial %d after %d", file, i, s, lastSerial)
		}
		if ps != lastPool && ps != lastPool+1 {
			t.Errorf("%s[%d]: poolserial %d after %d", file, i, ps, lastPool)
		}
		lastSerial, lastPool = s, ps
		if r.Headers["ver"] != "3.0" || r.Headers["server"] != "supervisor" {
			t.Errorf("%s[%d]: headers %v", file, i, r.Headers)
		}
	}
}

// compare checks superd's recordings against supervisord's, per key.
func compare(t *testing.T, got, want recordings) {
	t.Helper()
	for file := range want {
		checkWellFormed(t, file, want[file])
		checkWellFormed(t, file, got[file])
		g, w := byKey(got[file]), byKey(want[file])
		for _, k := range sortedKeys(w) {
			if !slices.Equal(g[k], w[k]) {
				t.Errorf("%s, events about %s:\n superd:      %q\n supervisord: %q", file, k, g[k], w[k])
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				t.Errorf("%s: superd recorded events about %s, supervisord none: %q", file, k, g[k])
			}
		}
	}
	if t.Failed() {
		t.Logf("superd:\n%s\nsupervisord:\n%s", dump(got), dump(want))
	}
}

// scenario runs body under both supervisors and compares.
func scenario(t *testing.T, body string, files []string, done func(recordings) bool, ownPools bool) recordings {
	py := listenerPython(t)
	if _, err := exec.LookPath("supervisord"); err != nil {
		t.Skip("supervisord not installed")
	}
	refDir, ourDir := t.TempDir(), t.TempDir()
	want := runSupervisord(t, writeConf(t, refDir, py, body), refDir, files, done)
	got := runSuperd(t, writeConf(t, ourDir, py, body), ourDir, files, done, ownPools)
	compare(t, got, want)
	return got
}

// The main scenario: a recorder of every kind of event (bar ticks), a
// pool with numprocs=2, a listener that exits on the FATAL of a chosen
// program, programs that go FATAL, RUNNING, EXITED, log non-ASCII
// output and use capture mode.
const mainConf = `
[eventlistener:rec]
command={{py}} {{listener}} {{dir}}/rec.jsonl
events=PROCESS_STATE,PROCESS_GROUP,SUPERVISOR_STATE_CHANGE,PROCESS_LOG,PROCESS_COMMUNICATION
buffer_size=100

[eventlistener:duo]
command={{py}} {{listener}} {{dir}}/duo.jsonl
process_name=%(program_name)s_%(process_num)d
numprocs=2
events=PROCESS_STATE_STARTING,PROCESS_STATE_BACKOFF,PROCESS_STATE_FATAL,PROCESS_STATE_EXITED
buffer_size=50

[eventlistener:killer]
command={{py}} {{listener}} {{dir}}/killer.jsonl --exit-on-fatal bad
events=PROCESS_STATE_FATAL
autorestart=false

[program:bad]
command=/bin/sh -c 'exit 3'
startretries=2
startsecs=1

[program:good]
command=/bin/sh -c 'printf "h\303\251llo w\303\266rld\n"; exec sleep 1000'
stdout_events_enabled=true
startsecs=1

[program:comm]
command=/bin/sh -c 'printf "<!--XSUPERVISOR:BEGIN-->captur\303\251<!--XSUPERVISOR:END-->"; exec sleep 1000'
stdout_capture_maxbytes=1MB
startsecs=1

[program:once]
command=/bin/sh -c 'sleep 1; exit 0'
startsecs=0
autorestart=false
`

func TestListenersAgainstSupervisord(t *testing.T) {
	files := []string{"rec.jsonl", "duo.jsonl", "killer.jsonl"}
	done := func(r recordings) bool {
		for _, w := range []struct{ file, name, proc string }{
			{"rec.jsonl", "PROCESS_STATE_FATAL", "bad"},
			{"rec.jsonl", "PROCESS_STATE_RUNNING", "good"},
			{"rec.jsonl", "PROCESS_STATE_RUNNING", "comm"},
			{"rec.jsonl", "PROCESS_STATE_RUNNING", "rec"},
			{"rec.jsonl", "PROCESS_STATE_RUNNING", "duo_0"},
			{"rec.jsonl", "PROCESS_STATE_RUNNING", "duo_1"},
			{"rec.jsonl", "PROCESS_STATE_EXITED", "once"},
			{"rec.jsonl", "PROCESS_STATE_EXITED", "killer"},
			{"rec.jsonl", "PROCESS_COMMUNICATION_STDOUT", "comm"},
			{"rec.jsonl", "PROCESS_LOG_STDOUT", "good"},
			{"duo.jsonl", "PROCESS_STATE_EXITED", "once"},
			{"duo.jsonl", "PROCESS_STATE_EXITED", "killer"},
			{"duo.jsonl", "PROCESS_STATE_FATAL", "bad"},
			{"killer.jsonl", "PROCESS_STATE_FATAL", "bad"},
		} {
			if !has(r[w.file], w.name, w.proc) {
				return false
			}
		}
		return true
	}
	got := scenario(t, mainConf, files, done, true)

	rec := got["rec.jsonl"]
	for _, want := range []string{
		"PROCESS_LOG_STDOUT processname:good groupname:good pid:N channel:stdout\nhéllo wörld\n",
		"PROCESS_COMMUNICATION_STDOUT processname:comm groupname:comm pid:N\ncapturé",
		"PROCESS_STATE_EXITED processname:killer groupname:killer from_state:RUNNING expected:1 pid:N",
	} {
		if !slices.ContainsFunc(rec, func(r record) bool { return r.masked() == want }) {
			t.Errorf("rec did not record %q", want)
		}
	}
	// numprocs=2: every event reached exactly one of the two.
	seen := map[string]string{}
	for _, r := range got["duo.jsonl"] {
		if p, dup := seen[r.Headers["poolserial"]]; dup {
			t.Errorf("duo: poolserial %s delivered to %s and %s", r.Headers["poolserial"], p, r.Proc)
		}
		seen[r.Headers["poolserial"]] = r.Proc
	}
	for i := range len(seen) {
		if _, ok := seen[strconv.Itoa(i)]; !ok {
			t.Errorf("duo: poolserial %d missing", i)
		}
	}
}

// A listener that answers FAIL gets the same event again.
func TestListenerFailIsRedelivered(t *testing.T) {
	body := `
[eventlistener:flaky]
command={{py}} {{listener}} {{dir}}/flaky.jsonl --fail-once PROCESS_STATE_RUNNING
events=PROCESS_STATE_RUNNING

[program:good]
command=sleep 1000
startsecs=2
`
	// good becomes RUNNING a second after the listener, so which event
	// the listener sees (and fails) first does not depend on two
	// startsecs timers that expire in the same millisecond.
	files := []string{"flaky.jsonl"}
	done := func(r recordings) bool { return has(r["flaky.jsonl"], "PROCESS_STATE_RUNNING", "good") }
	got := scenario(t, body, files, done, false) // pools made by process.New
	recs := got["flaky.jsonl"]
	if len(recs) < 2 || recs[0].Headers["serial"] != recs[1].Headers["serial"] || recs[0].masked() != recs[1].masked() {
		t.Errorf("the failed event was not redelivered first: %s", dump(got))
	}
}

// Listeners that never answer (one never reads its stdin, one never
// says READY) slow down neither supervision nor the process API, even
// with a stream of events flowing.
func TestStuckListenersDoNotSlowSupervision(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	conf := writeConf(t, dir, "", `
[eventlistener:stuck]
command=/bin/sh -c 'echo READY; exec sleep 1000'
events=EVENT
buffer_size=10
startsecs=0

[eventlistener:mute]
command=sleep 1000
events=EVENT
startsecs=0

[program:chatty]
command=/bin/sh -c 'while :; do echo some output; sleep 0.01; done'
stdout_events_enabled=true
startsecs=0

[program:web]
command=sleep 1000
autostart=false
startsecs=0
`)
	s := startSuperd(t, conf, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Wait until stuck holds an event it will never answer and its
	// buffer is full.
	for {
		busy := false
		for _, l := range s.pools.Listeners() {
			if l.Process == "stuck" && l.State == events.ListenerBusy && l.Buffered == 10 {
				busy = true
			}
		}
		if busy {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("stuck never became BUSY with a full buffer: %+v", s.pools.Listeners())
		}
		time.Sleep(10 * time.Millisecond) // polling the pools' state
	}
	for i := 0; i < 5; i++ {
		if err := s.sup.StartProcess(ctx, "web", true); err != nil {
			t.Fatalf("start web (round %d): %v", i, err)
		}
		info, err := s.sup.ProcessInfo(ctx, "web")
		if err != nil || info.State != process.Running {
			t.Fatalf("web after start: %v %v", info.State, err)
		}
		if err := s.sup.StopProcess(ctx, "web", true); err != nil {
			t.Fatalf("stop web (round %d): %v", i, err)
		}
	}
	for _, l := range s.pools.Listeners() {
		if l.Process == "mute" && (l.State != events.ListenerAcknowledged || l.Buffered != 10) {
			t.Errorf("mute: %+v", l)
		}
	}
}

// A listener that answers OK and exits at once does not get the event
// again: its answer is read before its exit is handled (supervisord
// drains a process's pipes before it handles its exit).
func TestListenerAnswerBeforeExitCounts(t *testing.T) {
	body := `
[eventlistener:oneshot]
command={{py}} {{listener}} {{dir}}/oneshot.jsonl --exit-after-ok
events=PROCESS_STATE_STARTING
startsecs=0
autorestart=true

[program:a]
command=sleep 1000
[program:b]
command=sleep 1000
[program:c]
command=sleep 1000
`
	files := []string{"oneshot.jsonl"}
	// Each run of the listener answers one event and exits, and each
	// restart publishes one more STARTING: the stream never ends, so
	// how far a daemon gets after done holds is timing. Compare the
	// first five events (the four start-ups, then the first restart).
	const upTo = 4
	done := func(r recordings) bool {
		for _, rec := range r["oneshot.jsonl"] {
			if s, _ := strconv.Atoi(rec.Headers["serial"]); s >= upTo {
				return true
			}
		}
		return false
	}
	py := listenerPython(t)
	if _, err := exec.LookPath("supervisord"); err != nil {
		t.Skip("supervisord not installed")
	}
	refDir, ourDir := t.TempDir(), t.TempDir()
	want := runSupervisord(t, writeConf(t, refDir, py, body), refDir, files, done)
	got := runSuperd(t, writeConf(t, ourDir, py, body), ourDir, files, done, true)
	// Redeliveries are kept: a duplicate has the serial of an event
	// already seen, so it is within the cut.
	cut := func(rs recordings) recordings {
		out := recordings{}
		for f, recs := range rs {
			for _, r := range recs {
				if s, _ := strconv.Atoi(r.Headers["serial"]); s <= upTo {
					out[f] = append(out[f], r)
				}
			}
		}
		return out
	}
	got, want = cut(got), cut(want)
	compare(t, got, want)
	seen := map[string]bool{}
	for _, r := range got["oneshot.jsonl"] {
		if seen[r.Headers["serial"]] {
			t.Errorf("event %s (%s) was delivered twice", r.Headers["serial"], r.masked())
		}
		seen[r.Headers["serial"]] = true
	}
}
