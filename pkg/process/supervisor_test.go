package process

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
)

func TestFastExitUntilFatal(t *testing.T) {
	t.Parallel()
	p := newProc(t, "quick", "exit", "0")
	p.StartSecs = 1
	p.StartRetries = 2
	h := start(t, testConfig(t, groupOf(p)))
	var tries []int
	var got []string
	for _, e := range h.stateEvents("quick", 7) {
		got = append(got, e.State)
		tries = append(tries, e.Tries)
	}
	want := "STARTING BACKOFF STARTING BACKOFF STARTING BACKOFF FATAL"
	if strings.Join(got, " ") != want {
		t.Fatalf("states %v, want %s", got, want)
	}
	if !slices.Equal(tries[:6], []int{0, 1, 1, 2, 2, 3}) {
		t.Errorf("tries %v", tries)
	}
	h.waitLog("INFO gave up: quick entered FATAL state, too many start retries too quickly")
	h.waitLog("WARN exited: quick (exit status 0; not expected)")
	info, err := h.s.ProcessInfo(h.ctx(), "quick")
	if err != nil {
		t.Fatal(err)
	}
	if info.State != Fatal || info.SpawnErr != "Exited too quickly (process log may have details)" ||
		info.Description() != info.SpawnErr || info.PID != 0 {
		t.Errorf("info %+v", info)
	}
}

func TestAutorestartUnexpected(t *testing.T) {
	t.Parallel()
	ok := newProc(t, "ok", "exit", "3")
	ok.ExitCodes = []int{0, 3}
	bad := newProc(t, "bad", "exit", "4")
	bad.ExitCodes = []int{0, 3}
	bad.Autostart = true
	never := newProc(t, "never", "exit", "4")
	never.Autorestart = config.AutorestartFalse
	h := start(t, testConfig(t, groupOf(ok), groupOf(bad), groupOf(never)))
	h.expectStates("bad", "STARTING", "RUNNING", "EXITED", "STARTING", "RUNNING", "EXITED", "STARTING")
	h.expectStates("ok", "STARTING", "RUNNING", "EXITED")
	h.expectStates("never", "STARTING", "RUNNING", "EXITED")
	h.waitLog("INFO exited: ok (exit status 3; expected)")
	h.waitLog("WARN exited: never (exit status 4; not expected)")
	info, _ := h.s.ProcessInfo(h.ctx(), "never")
	if info.ExitStatus != 4 || info.SpawnErr != "Bad exit code 4" {
		t.Errorf("never: %+v", info)
	}
	h.stop(false)
	h.drain()
	for _, e := range h.seen {
		if (e.Process == "ok" || e.Process == "never") && isState(e) && e.State == "STARTING" && e.FromState == "EXITED" {
			t.Errorf("%s was restarted", e.Process)
		}
	}
}

func TestStopSignalHonoured(t *testing.T) {
	t.Parallel()
	p := newProc(t, "intr", "exit-on", "INT", "7")
	p.StopSignal = syscall.SIGINT
	p.Stdout.EventsEnabled = true
	h := start(t, testConfig(t, groupOf(p)))
	h.waitState("intr", Running)
	h.waitOutput("intr", "ready")
	if err := h.s.StopProcess(h.ctx(), "intr", true); err != nil {
		t.Fatal(err)
	}
	info, _ := h.s.ProcessInfo(h.ctx(), "intr")
	if info.State != Stopped || info.ExitStatus != 7 {
		t.Errorf("after stop: %+v", info)
	}
	h.expectStates("intr", "STOPPING", "STOPPED")
	h.waitLog("WARN stopped: intr (exit status 7)")
	h.waitLog("INFO waiting for intr to stop")
}

func TestStopWaitThenKill(t *testing.T) {
	t.Parallel()
	p := newProc(t, "stubborn", "ignore-term")
	p.StopWaitSecs = 1
	p.Stdout.EventsEnabled = true
	h := start(t, testConfig(t, groupOf(p)))
	e := h.waitState("stubborn", Running)
	h.waitOutput("stubborn", "ready")
	if err := h.s.StopProcess(h.ctx(), "stubborn", true); err != nil {
		t.Fatal(err)
	}
	h.expectStates("stubborn", "STOPPING", "STOPPED")
	h.waitLog("WARN killing 'stubborn' (" + strconv.Itoa(e.PID) + ") with SIGKILL")
	h.waitLog("WARN stopped: stubborn (terminated by SIGKILL)")
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// Field 3 is the state; a zombie is as good as dead.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

func TestStopAsGroupKillsGrandchildren(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := newProc(t, "grp", "spawn-grandchild", filepath.Join(dir, "g"))
	g.StopAsGroup = true
	g.KillAsGroup = true
	solo := newProc(t, "solo", "spawn-grandchild", filepath.Join(dir, "s"))
	h := start(t, testConfig(t, groupOf(g), groupOf(solo)))
	gpid, spid := readPidFile(t, filepath.Join(dir, "g")), readPidFile(t, filepath.Join(dir, "s"))
	defer testproc.Kill(spid, syscall.SIGKILL)
	for _, name := range []string{"grp", "solo"} {
		if err := h.s.StopProcess(h.ctx(), name, true); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "grandchild of grp to die", func() bool { return !alive(gpid) })
	if !alive(spid) {
		t.Errorf("grandchild of solo (no stopasgroup) died too")
	}
}

func TestGroupNamesAndErrors(t *testing.T) {
	t.Parallel()
	a := newProc(t, "multi_00", "sleep")
	b := newProc(t, "multi_01", "sleep")
	a.Group, b.Group = "multi", "multi"
	b.Autostart = false
	missing := newProc(t, "missing", "sleep")
	missing.Argv = []string{"/no/such"}
	missing.Command = "/no/such"
	missing.Autostart = false
	dirCmd := newProc(t, "dircmd", "sleep")
	dirCmd.Argv = []string{"/tmp"}
	dirCmd.Autostart = false
	h := start(t, testConfig(t, groupOf(a, b), groupOf(missing), groupOf(dirCmd)))
	h.waitState("multi_00", Running)
	ctx := h.ctx()

	kindErr(t, h.s.StartProcess(ctx, "multi_00", true), KindBadName, "multi_00")
	kindErr(t, h.s.StartProcess(ctx, "multi:nope", true), KindBadName, "multi:nope")
	kindErr(t, h.s.StartProcess(ctx, "multi:multi_00", true), KindAlreadyStarted, "multi:multi_00")
	kindErr(t, h.s.StartProcess(ctx, "missing", true), KindNoFile, "can't find command '/no/such'")
	kindErr(t, h.s.StartProcess(ctx, "dircmd", true), KindNotExecutable, "command at '/tmp' is a directory")
	kindErr(t, h.s.StopProcess(ctx, "missing", true), KindNotRunning, "missing")
	kindErr(t, h.s.SignalProcess(ctx, "multi:multi_01", syscall.SIGHUP), KindNotRunning, "multi:multi_01")
	kindErr(t, h.s.SignalProcess(ctx, "multi:multi_00", syscall.Signal(99)), KindBadSignal, "99")
	kindErr(t, h.s.SignalProcess(ctx, "multi:multi_00", syscall.Signal(40)), KindBadSignal, "40")
	if err := h.s.SignalProcess(ctx, "multi:multi_00", 0); err != nil {
		t.Errorf("signal 0: %v", err)
	}
	kindErr(t, h.s.SendStdin(ctx, "multi:*", []byte("x")), KindBadName, "multi:*")
	if _, err := h.s.ProcessInfo(ctx, "multi"); KindOf(err) != KindBadName {
		t.Errorf("ProcessInfo(multi): %v", err)
	}

	res, err := h.s.StartGroup(ctx, "multi", true)
	if err != nil || len(res) != 1 || res[0].Name != "multi_01" || res[0].Group != "multi" || res[0].Err != nil {
		t.Fatalf("StartGroup: %+v %v", res, err)
	}
	infos, err := h.s.AllProcessInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range infos {
		names = append(names, i.Group+":"+i.Name+"="+i.State.String())
	}
	want := "dircmd:dircmd=STOPPED missing:missing=STOPPED multi:multi_00=RUNNING multi:multi_01=RUNNING"
	if strings.Join(names, " ") != want {
		t.Errorf("AllProcessInfo: %v", names)
	}
	if d := infos[0].Description(); d != "Not started" {
		t.Errorf("description %q", d)
	}
	if d := infos[2].Description(); !strings.HasPrefix(d, "pid "+strconv.Itoa(infos[2].PID)+", uptime 0:00:0") {
		t.Errorf("description %q", d)
	}
	if err := h.s.SignalProcess(ctx, "multi:*", syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// SIGHUP kills a Go sleeper: unexpected exit, restart (a second
	// after the previous start at the earliest).
	for _, n := range []string{"multi_00", "multi_01"} {
		h.waitState(n, Exited)
		h.waitState(n, Running)
	}
	res, err = h.s.StopAll(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Errorf("StopAll %s: %v", r.Name, r.Err)
		}
	}
	if len(res) != 2 {
		t.Errorf("StopAll results %+v", res)
	}
}

func TestSpawnErrorWhileWaiting(t *testing.T) {
	t.Parallel()
	p := newProc(t, "crash", "exit", "1")
	p.StartSecs = 5
	p.StartRetries = 0
	p.Autostart = false
	h := start(t, testConfig(t, groupOf(p)))
	kindErr(t, h.s.StartProcess(h.ctx(), "crash", true), KindSpawnError, "crash")
	h.expectStates("crash", "STARTING", "BACKOFF", "FATAL")
}

func TestStartWaitDoesNotBlockLoop(t *testing.T) {
	t.Parallel()
	p := newProc(t, "slow", "sleep")
	p.StartSecs = 2
	p.Autostart = false
	h := start(t, testConfig(t, groupOf(p)))
	done := make(chan error, 1)
	go func() { done <- h.s.StartProcess(h.ctx(), "slow", true) }()
	h.waitState("slow", Starting)
	info, err := h.s.ProcessInfo(h.ctx(), "slow")
	if err != nil || info.State != Starting && info.State != Running {
		t.Fatalf("info while starting: %+v %v", info, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("StartProcess: %v", err)
	}
	info, _ = h.s.ProcessInfo(h.ctx(), "slow")
	if info.State != Running {
		t.Errorf("state after wait: %v", info.State)
	}
	h.waitLog("success: slow entered RUNNING state, process has stayed up for > than 2 seconds (startsecs)")
}

func TestChildEnvironment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "info.json")
	p := newProc(t, "env", "write-info", out)
	p.Directory = dir
	mask := config.Umask(0o027)
	p.Umask = &mask
	p.Environment = []config.EnvVar{{Key: "PROG", Value: "p"}, {Key: "SHARED", Value: "prog"}}
	if publicExe != "" {
		p.User = "nobody"
		p.Argv[0] = publicExe
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		for d := filepath.Dir(dir); d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
			os.Chmod(d, 0o755)
		}
	}
	cfg := testConfig(t, &config.Group{Name: "grp", Kind: config.KindProgram, Processes: []*config.Process{p}})
	p.Group = "grp"
	cfg.Supervisord.Environment = map[string]string{"SD": "s", "SHARED": "sd"}
	h := start(t, cfg)
	h.waitState("env", Running)
	var info testproc.Info
	eventually(t, "info file", func() bool {
		b, err := os.ReadFile(out)
		return err == nil && json.Unmarshal(b, &info) == nil
	})
	env := map[string]string{}
	for _, kv := range info.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for k, v := range map[string]string{"SUPERVISOR_ENABLED": "1", "SUPERVISOR_PROCESS_NAME": "env",
		"SUPERVISOR_GROUP_NAME": "grp", "SUPERVISOR_SERVER_URL": "unix:///tmp/test.sock",
		"PROG": "p", "SD": "s", "SHARED": "prog", "PATH": os.Getenv("PATH")} {
		if env[k] != v {
			t.Errorf("env %s=%q, want %q", k, env[k], v)
		}
	}
	if info.Cwd != dir {
		t.Errorf("cwd %q, want %q", info.Cwd, dir)
	}
	if info.Umask != 0o027 {
		t.Errorf("umask %o, want 027", info.Umask)
	}
	if info.PGID != info.PID {
		t.Errorf("pgid %d != pid %d: not a process group leader", info.PGID, info.PID)
	}
	if info.Args[0] != p.Argv[0] || info.Args[len(info.Args)-1] != out {
		t.Errorf("argv %q", info.Args)
	}
	if p.User != "" && info.UID != 65534 {
		t.Errorf("uid %d, want nobody", info.UID)
	}
	if len(info.Fds) != 0 {
		t.Errorf("child fds %v, want none above 2", info.Fds)
	}
	if info.SigIgn != "0000000000000000" || info.SigBlk != "0000000000000000" {
		t.Errorf("child signals ignored %s blocked %s, want none", info.SigIgn, info.SigBlk)
	}
	// superd's own umask is untouched.
	old := syscall.Umask(0o022)
	syscall.Umask(old)
	if old == 0o027 {
		t.Errorf("superd's umask was changed")
	}
}

func TestPriorityOrder(t *testing.T) {
	t.Parallel()
	mk := func(name string, prio int) *config.Group {
		g := groupOf(newProc(t, name, "sleep"))
		g.Priority = prio
		return g
	}
	cfg := testConfig(t, mk("c", 300), mk("a", 100), mk("b", 200))
	h := start(t, cfg)
	var starts []string
	for len(starts) < 3 {
		e := h.next("starts", func(e events.Event) bool { return isState(e) && e.State == "STARTING" })
		starts = append(starts, e.Process)
	}
	if strings.Join(starts, "") != "abc" {
		t.Errorf("start order %v", starts)
	}
	for _, n := range []string{"a", "b", "c"} {
		if info, _ := h.s.ProcessInfo(h.ctx(), n); info.State != Running {
			h.waitState(n, Running)
		}
	}
	h.stop(false)
	h.drain()
	var stops []string
	for _, e := range h.seen {
		if isState(e) && (e.State == "STOPPING" || e.State == "STOPPED") {
			stops = append(stops, e.Process+":"+e.State)
		}
	}
	want := "c:STOPPING c:STOPPED b:STOPPING b:STOPPED a:STOPPING a:STOPPED"
	if strings.Join(stops, " ") != want {
		t.Errorf("stop order %v, want %s", stops, want)
	}
}

func TestSendStdinAndEvents(t *testing.T) {
	t.Parallel()
	p := newProc(t, "echo", "echo-stdin")
	p.Stdout.EventsEnabled = true
	c := newProc(t, "cap", "capture", "hello listener")
	c.Stdout.CaptureMaxBytes = 1024
	c.Stdout.File = filepath.Join(t.TempDir(), "cap.log")
	c.Stdout.EventsEnabled = true
	h := start(t, testConfig(t, groupOf(p), groupOf(c)))
	h.waitState("echo", Running)
	if err := h.s.SendStdin(h.ctx(), "echo", []byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	h.waitOutput("echo", "hello\n")
	e := h.next("comm event", func(e events.Event) bool { return e.Type == events.ProcessCommunicationStdout })
	if string(e.Data) != "hello listener" || e.Process != "cap" {
		t.Errorf("comm event %+v", e)
	}
	h.waitOutput("cap", "after the capture block ends\n")
	var logged []byte
	for _, e := range h.seen {
		if e.Type == events.ProcessLogStdout && e.Process == "cap" {
			logged = append(logged, e.Data...)
		}
	}
	// supervisord's _log emits PROCESS_LOG for the captured bytes too:
	// capture mode only changes where the log file's copy goes.
	if string(logged) != "before\nhello listenerafter the capture block ends\n" {
		t.Errorf("cap logged %q", logged)
	}
	b, err := os.ReadFile(c.Stdout.File)
	if err != nil || string(b) != "before\nafter the capture block ends\n" {
		t.Errorf("cap log file %q %v", b, err)
	}
}

// TestCaptureBound: the capture buffer is supervisord's BoundIO: a write
// that would take it past capture_maxbytes first drops as many bytes from
// its front as the write has (all of them when the write is longer, so a
// single write is kept whole), not the bytes over the limit.
func TestCaptureBound(t *testing.T) {
	t.Parallel()
	var got []string
	r := &outReader{capMax: 10, capMode: true}
	for _, w := range []string{"abcdef", "ghij", "klm", "0123456789ABCDEF"} {
		r.capBuf = boundWrite(r.capBuf, []byte(w), r.capMax)
		got = append(got, string(r.capBuf))
	}
	want := []string{"abcdef", "abcdefghij", "defghijklm", "0123456789ABCDEF"}
	if !slices.Equal(got, want) {
		t.Errorf("capture buffer %q, want %q", got, want)
	}
}

func TestReloadAddRemove(t *testing.T) {
	t.Parallel()
	a := newProc(t, "a", "sleep")
	b := newProc(t, "b", "sleep")
	cfg := testConfig(t, groupOf(a), groupOf(b))
	h := start(t, cfg)
	h.waitState("a", Running)
	ctx := h.ctx()

	a2 := *a
	a2.StopWaitSecs = 5
	n := newProc(t, "new", "sleep")
	cfg2 := testConfig(t, groupOf(&a2), groupOf(n))
	added, changed, removed, err := h.s.Reload(ctx, cfg2)
	if err != nil || !slices.Equal(added, []string{"new"}) || !slices.Equal(changed, []string{"a"}) || !slices.Equal(removed, []string{"b"}) {
		t.Fatalf("Reload: %v %v %v %v", added, changed, removed, err)
	}
	kindErr(t, h.s.AddGroup(ctx, "a"), KindAlreadyAdded, "a")
	kindErr(t, h.s.AddGroup(ctx, "zzz"), KindBadName, "zzz")
	if err := h.s.AddGroup(ctx, "new"); err != nil {
		t.Fatal(err)
	}
	h.next("group added", func(e events.Event) bool { return e.Type == events.ProcessGroupAdded && e.Group == "new" })
	h.waitState("new", Running)
	kindErr(t, h.s.RemoveGroup(ctx, "b"), KindStillRunning, "b")
	if err := h.s.StopProcess(ctx, "b", true); err != nil {
		t.Fatal(err)
	}
	if err := h.s.RemoveGroup(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	h.next("group removed", func(e events.Event) bool { return e.Type == events.ProcessGroupRemoved && e.Group == "b" })
	kindErr(t, h.s.RemoveGroup(ctx, "b"), KindBadName, "b")
	ci, err := h.s.AllConfigInfo(ctx)
	if err != nil || len(ci) != 2 || ci[0].Process.Name != "a" || !ci[0].InUse || ci[1].Process.Name != "new" {
		t.Errorf("AllConfigInfo: %+v %v", ci, err)
	}
}

func TestShutdownStateAndIdempotentStop(t *testing.T) {
	t.Parallel()
	p := newProc(t, "x", "sleep")
	h := start(t, testConfig(t, groupOf(p)))
	h.waitState("x", Running)
	h.stop(false)
	if h.s.Mood() != MoodShutdown {
		t.Errorf("mood %v", h.s.Mood())
	}
	if err := h.s.StartProcess(h.ctx(), "x", false); KindOf(err) != KindShutdownState {
		t.Errorf("StartProcess after shutdown: %v", err)
	}
	h.s.Shutdown(true) // no-op
	if err := h.s.Run(h.ctx()); err == nil {
		t.Errorf("second Run: no error")
	}
}

// TestDebugCopyUndecodable: the main log's DEBG copy of output that is not
// UTF-8 is supervisord's "Undecodable: b'...'" (dispatchers.py _log), not
// the raw bytes.
func TestDebugCopyUndecodable(t *testing.T) {
	t.Parallel()
	p := newProc(t, "echo", "echo-stdin")
	p.Stdout.EventsEnabled = true
	h := start(t, testConfig(t, groupOf(p)))
	h.waitState("echo", Running)
	if err := h.s.SendStdin(h.ctx(), "echo", []byte("hi \xff\xfe\n")); err != nil {
		t.Fatal(err)
	}
	h.waitOutput("echo", "hi \xff\xfe\n")
	want := "DEBG 'echo' stdout output:\nUndecodable: b'hi \\xff\\xfe\\n'"
	end := time.Now().Add(deadline)
	for !slices.Contains(h.log.lines(), want) {
		if time.Now().After(end) {
			t.Fatalf("no %q in\n%q", want, h.log.lines())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
