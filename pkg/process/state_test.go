package process

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/pkg/config"
)

func stepCfg() *config.Process {
	return &config.Process{Name: "x", Group: "x", StartSecs: 1, StartRetries: 2, ExitCodes: []int{0},
		Autorestart: config.AutorestartUnexpected, StopSignal: syscall.SIGTERM, StopWaitSecs: 10}
}

func exited(code int) syscall.WaitStatus { return syscall.WaitStatus(code << 8) }
func signaled(sig syscall.Signal) syscall.WaitStatus {
	return syscall.WaitStatus(sig)
}

// summarize renders actions compactly: "emit STARTING>BACKOFF tries=1",
// "log INFO spawned: ...", "spawn", "kill SIGTERM group", "timer 1s
// backoff", "cancel", "exited 42".
func summarize(acts []action) []string {
	var out []string
	for _, a := range acts {
		switch a.kind {
		case actEmit:
			s := fmt.Sprintf("emit %s>%s", a.from, a.to)
			if a.to == Starting || a.to == Backoff {
				s += fmt.Sprintf(" tries=%d", a.tries)
			}
			if !a.expected {
				s += " unexpected"
			}
			if a.pid != 0 {
				s += fmt.Sprintf(" pid=%d", a.pid)
			}
			out = append(out, s)
		case actLog:
			out = append(out, "log "+a.level.String()+" "+a.msg)
		case actSpawn:
			out = append(out, "spawn")
		case actKill:
			s := "kill " + SignalName(a.sig)
			if a.group {
				s += " group"
			}
			out = append(out, s)
		case actTimer:
			out = append(out, fmt.Sprintf("timer %v %d", a.after, a.timer))
		case actCancel:
			out = append(out, "cancel")
		case actExited:
			out = append(out, fmt.Sprintf("exited %d", a.pid))
		}
	}
	return out
}

func TestStep(t *testing.T) {
	now := time.Unix(1000, 0)
	type step struct {
		ev      event
		spawnOK bool
		want    []string // summarized actions
		state   State
	}
	start := event{kind: evStart}
	spawned := event{kind: evSpawned, pid: 42}
	tests := []struct {
		name  string
		cfg   func(*config.Process)
		steps []step
		check func(t *testing.T, m *machine)
		// clock, when set, gives the time of step i (else now).
		clock func(i int) time.Time
	}{
		{
			name: "start, run, expected exit, no restart (unexpected mode)",
			steps: []step{
				{start, true, []string{"cancel", "emit STOPPED>STARTING tries=0", "spawn"}, Starting},
				{spawned, true, []string{"log INFO spawned: 'x' with pid 42", "timer 1s 1"}, Starting},
				{event{kind: evTimer, timer: timerStartSecs}, true, []string{"cancel", "emit STARTING>RUNNING pid=42",
					"log INFO success: x entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)"}, Running},
				{event{kind: evExit, pid: 42, status: exited(0)}, true, []string{"cancel", "emit RUNNING>EXITED pid=42",
					"log INFO exited: x (exit status 0; expected)", "exited 42"}, Exited},
			},
			check: func(t *testing.T, m *machine) {
				if m.pid != 0 || m.exitStatus != 0 || m.spawnErr != "" {
					t.Errorf("pid %d exit %d spawnerr %q", m.pid, m.exitStatus, m.spawnErr)
				}
			},
		},
		{
			name:  "unexpected exit restarts at once",
			clock: func(i int) time.Time { return now.Add(time.Duration(i/3) * 2 * time.Second) }, // the exit 2 s after the start
			steps: []step{
				{start, true, nil, Starting},
				{spawned, true, nil, Starting},
				{event{kind: evTimer, timer: timerStartSecs}, true, nil, Running},
				{event{kind: evExit, pid: 42, status: exited(3)}, true, []string{"cancel", "emit RUNNING>EXITED unexpected pid=42",
					"log WARN exited: x (exit status 3; not expected)", "exited 42",
					"cancel", "emit EXITED>STARTING tries=0", "spawn"}, Starting},
			},
		},
		{
			// A crash loop (startsecs=0): the first automatic restart
			// after a start is immediate; the next ones come a second
			// after the previous start, EXITED meanwhile, as
			// supervisord's next pass.
			name: "quick exit restarts a second after the start",
			cfg:  func(c *config.Process) { c.Autorestart = config.AutorestartTrue; c.StartSecs = 0 },
			clock: func(i int) time.Time {
				return now.Add([]time.Duration{0, 0, 100 * time.Millisecond, 100 * time.Millisecond, 400 * time.Millisecond, time.Second + 100*time.Millisecond, time.Second + 100*time.Millisecond}[i])
			},
			steps: []step{
				{start, true, nil, Starting},
				{spawned, true, nil, Running},
				{event{kind: evExit, pid: 42, status: exited(3)}, true, []string{"cancel", "emit RUNNING>EXITED unexpected pid=42",
					"log WARN exited: x (exit status 3; not expected)", "exited 42", "cancel", "emit EXITED>STARTING tries=0", "spawn"}, Starting},
				{spawned, true, nil, Running},
				{event{kind: evExit, pid: 42, status: exited(3)}, true, []string{"cancel", "emit RUNNING>EXITED unexpected pid=42",
					"log WARN exited: x (exit status 3; not expected)", "exited 42", "timer 700ms 6"}, Exited},
				{event{kind: evTimer, timer: timerAutoRestart}, false, []string{}, Exited}, // shutting down
				{event{kind: evTimer, timer: timerAutoRestart}, true, []string{"cancel", "emit EXITED>STARTING tries=0", "spawn"}, Starting},
			},
		},
		{
			name: "unexpected exit during shutdown does not restart",
			steps: []step{
				{start, true, nil, Starting},
				{spawned, true, nil, Starting},
				{event{kind: evTimer, timer: timerStartSecs}, true, nil, Running},
				{event{kind: evExit, pid: 42, status: exited(3)}, false, nil, Exited},
			},
			check: func(t *testing.T, m *machine) {
				if m.spawnErr != "Bad exit code 3" || m.exitStatus != 3 {
					t.Errorf("spawnerr %q exit %d", m.spawnErr, m.exitStatus)
				}
			},
		},
		{
			name:  "autorestart true restarts expected exits",
			cfg:   func(c *config.Process) { c.Autorestart = config.AutorestartTrue; c.StartSecs = 0 },
			clock: func(i int) time.Time { return now.Add(time.Duration(i) * time.Second) },
			steps: []step{
				{start, true, nil, Starting},
				{spawned, true, []string{"log INFO spawned: 'x' with pid 42", "cancel", "emit STARTING>RUNNING pid=42",
					"log INFO success: x entered RUNNING state, process has stayed up for > than 0 seconds (startsecs)"}, Running},
				{event{kind: evExit, pid: 42, status: exited(0)}, true, nil, Starting},
			},
		},
		{
			name: "autorestart false",
			cfg:  func(c *config.Process) { c.Autorestart = config.AutorestartFalse; c.StartSecs = 0 },
			steps: []step{
				{start, true, nil, Starting},
				{spawned, true, nil, Running},
				{event{kind: evExit, pid: 42, status: exited(9)}, true, nil, Exited},
			},
		},
		{
			name: "exits too quickly until FATAL",
			steps: []step{
				{start, true, nil, Starting},
				{spawned, true, nil, Starting},
				{event{kind: evExit, pid: 42, status: exited(0)}, true, []string{"cancel", "exited 42",
					"emit STARTING>BACKOFF tries=1", "log WARN exited: x (exit status 0; not expected)", "timer 1s 2"}, Backoff},
				{event{kind: evTimer, timer: timerBackoff}, true, []string{"cancel", "emit BACKOFF>STARTING tries=1", "spawn"}, Starting},
				{spawned, true, nil, Starting},
				{event{kind: evExit, pid: 42, status: exited(1)}, true, []string{"cancel", "exited 42",
					"emit STARTING>BACKOFF tries=2", "log WARN exited: x (exit status 1; not expected)", "timer 2s 2"}, Backoff},
				{event{kind: evTimer, timer: timerBackoff}, true, nil, Starting},
				{spawned, true, nil, Starting},
				{event{kind: evExit, pid: 42, status: exited(1)}, true, []string{"cancel", "exited 42",
					"emit STARTING>BACKOFF tries=3", "log WARN exited: x (exit status 1; not expected)", "cancel", "emit BACKOFF>FATAL",
					"log INFO gave up: x entered FATAL state, too many start retries too quickly"}, Fatal},
			},
			check: func(t *testing.T, m *machine) {
				if m.backoff != 0 || m.spawnErr != "Exited too quickly (process log may have details)" || m.exitStatus != 0 {
					t.Errorf("backoff %d spawnerr %q exit %d", m.backoff, m.spawnErr, m.exitStatus)
				}
			},
		},
		{
			name: "spawn failure with startretries 0 is FATAL at once",
			cfg:  func(c *config.Process) { c.StartRetries = 0 },
			steps: []step{
				{start, true, nil, Starting},
				{event{kind: evSpawnFailed, msg: "can't find command '/no'"}, true, []string{
					"log INFO spawnerr: can't find command '/no'", "emit STARTING>BACKOFF tries=1", "cancel", "emit BACKOFF>FATAL",
					"log INFO gave up: x entered FATAL state, too many start retries too quickly"}, Fatal},
			},
		},
		{
			name: "backoff timer during shutdown does not spawn",
			steps: []step{
				{start, true, nil, Starting},
				{event{kind: evSpawnFailed, msg: "e"}, true, nil, Backoff},
				{event{kind: evTimer, timer: timerBackoff}, false, nil, Backoff},
				{event{kind: evGiveUp}, false, []string{"cancel", "emit BACKOFF>FATAL"}, Fatal},
			},
		},
		{
			name: "stop from BACKOFF goes to STOPPED without a signal",
			steps: []step{
				{start, true, nil, Starting},
				{event{kind: evSpawnFailed, msg: "e"}, true, nil, Backoff},
				{event{kind: evStop}, true, []string{"log DEBUG Attempted to kill x, which is in BACKOFF state.", "cancel",
					"emit BACKOFF>STOPPED"}, Stopped},
			},
			check: func(t *testing.T, m *machine) {
				if m.backoff != 1 {
					t.Errorf("backoff %d, want 1 (not reset by stop, as 4.2.5)", m.backoff)
				}
			},
		},
		{
			name: "stop, stopwaitsecs, SIGKILL to group, stopped",
			cfg:  func(c *config.Process) { c.StopSignal = syscall.SIGINT; c.KillAsGroup = true; c.StartSecs = 0 },
			steps: []step{
				{start, true, nil, Starting},
				{spawned, true, nil, Running},
				{event{kind: evStop}, true, []string{"log DEBUG killing x (pid 42) with signal SIGINT", "emit RUNNING>STOPPING pid=42",
					"timer 10s 3", "kill SIGINT"}, Stopping},
				{event{kind: evTimer, timer: timerStopWait}, true, []string{"log WARN killing 'x' (42) with SIGKILL",
					"log DEBUG killing x (pid 42) process group with signal SIGKILL", "timer 10s 3", "kill SIGKILL group"}, Stopping},
				{event{kind: evExit, pid: 42, status: signaled(syscall.SIGKILL)}, true, []string{"cancel", "emit STOPPING>STOPPED pid=42",
					"log WARN stopped: x (terminated by SIGKILL)", "exited 42"}, Stopped},
			},
			check: func(t *testing.T, m *machine) {
				if m.exitStatus != -1 || m.killing {
					t.Errorf("exit %d killing %v", m.exitStatus, m.killing)
				}
			},
		},
		{
			name: "stopasgroup, expected exit code on stop logs INFO",
			cfg:  func(c *config.Process) { c.StopAsGroup = true; c.StartSecs = 0 },
			steps: []step{
				{start, true, nil, Starting},
				{spawned, true, nil, Running},
				{event{kind: evStop}, true, []string{"log DEBUG killing x (pid 42) process group with signal SIGTERM",
					"emit RUNNING>STOPPING pid=42", "timer 10s 3", "kill SIGTERM group"}, Stopping},
				{event{kind: evExit, pid: 42, status: exited(0)}, true, []string{"cancel", "emit STOPPING>STOPPED pid=42",
					"log INFO stopped: x (exit status 0)", "exited 42"}, Stopped},
			},
		},
		{
			name: "exit after startsecs before the timer: RUNNING then EXITED",
			steps: []step{
				{start, true, nil, Starting},
				{spawned, true, nil, Starting},
			},
			check: func(t *testing.T, m *machine) {
				got := summarize(m.step(event{kind: evExit, pid: 42, status: exited(0)}, now.Add(2*time.Second), true))
				want := []string{"cancel", "emit STARTING>RUNNING pid=42", "emit RUNNING>EXITED pid=42",
					"log INFO exited: x (exit status 0; expected)", "exited 42"}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("actions\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			},
		},
		{
			name: "stale exit and stale timers are ignored",
			steps: []step{
				{start, true, nil, Starting},
				{spawned, true, nil, Starting},
				{event{kind: evExit, pid: 41, status: exited(0)}, true, []string{}, Starting},
				{event{kind: evTimer, timer: timerStopWait}, true, []string{}, Starting},
				{event{kind: evTimer, timer: timerBackoff}, true, []string{}, Starting},
			},
		},
		{
			name: "kill failure is UNKNOWN",
			cfg:  func(c *config.Process) { c.StartSecs = 0 },
			steps: []step{
				{start, true, nil, Starting},
				{spawned, true, nil, Running},
				{event{kind: evStop}, true, nil, Stopping},
				{event{kind: evKillFailed, msg: "EPERM"}, true, []string{"log ERROR+4 unknown problem killing x (42):EPERM",
					"cancel", "emit STOPPING>UNKNOWN pid=42"}, Unknown},
			},
		},
		{
			name: "start while stopping warns, as supervisord's spawn() of a live process",
			cfg:  func(c *config.Process) { c.StartSecs = 0 },
			steps: []step{
				{start, true, nil, Starting},
				{spawned, true, nil, Running},
				{event{kind: evStop}, true, nil, Stopping},
				{start, true, []string{"log WARN process 'x' already running"}, Stopping},
			},
		},
		{
			name: "start is refused while running",
			cfg:  func(c *config.Process) { c.StartSecs = 0 },
			steps: []step{
				{start, true, nil, Starting},
				{start, true, []string{}, Starting},
				{spawned, true, nil, Running},
				{start, true, []string{}, Running},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := stepCfg()
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			m := &machine{name: "x", cfg: cfg}
			for i, st := range tt.steps {
				at := now
				if tt.clock != nil {
					at = tt.clock(i)
				}
				got := summarize(m.step(st.ev, at, st.spawnOK))
				if st.want != nil && strings.Join(got, "\n") != strings.Join(st.want, "\n") {
					t.Errorf("step %d: actions\n%s\nwant\n%s", i, strings.Join(got, "\n"), strings.Join(st.want, "\n"))
				}
				if m.state != st.state {
					t.Fatalf("step %d: state %v, want %v", i, m.state, st.state)
				}
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

func TestDecodeWaitStatus(t *testing.T) {
	for _, tt := range []struct {
		ws   syscall.WaitStatus
		code int
		msg  string
	}{
		{exited(3), 3, "exit status 3"},
		{signaled(syscall.SIGTERM), -1, "terminated by SIGTERM"},
		{signaled(syscall.SIGSEGV) | 0x80, -1, "terminated by SIGSEGV (core dumped)"},
	} {
		code, msg := DecodeWaitStatus(tt.ws)
		if code != tt.code || msg != tt.msg {
			t.Errorf("%#x: %d %q, want %d %q", uint32(tt.ws), code, msg, tt.code, tt.msg)
		}
	}
}

func TestDescription(t *testing.T) {
	start := time.Date(2026, 11, 21, 22, 0, 0, 0, time.Local)
	for _, tt := range []struct {
		info Info
		want string
	}{
		{Info{State: Running, PID: 123, Start: start, Now: start.Add(62 * time.Second)}, "pid 123, uptime 0:01:02"},
		{Info{State: Running, PID: 1, Start: start, Now: start.Add(25*time.Hour + 62*time.Second)}, "pid 1, uptime 1 day, 1:01:02"},
		{Info{State: Running, PID: 1, Start: start, Now: start.Add(48*time.Hour + 5*time.Second)}, "pid 1, uptime 2 days, 0:00:05"},
		{Info{State: Running, PID: 1, Start: start, Now: start.Add(-time.Hour)}, "pid 1, uptime 0:00:00"},
		{Info{State: Fatal, Name: "x", SpawnErr: "Exited too quickly (process log may have details)"}, "Exited too quickly (process log may have details)"},
		{Info{State: Backoff, Name: "web"}, `unknown error (try "tail web")`},
		{Info{State: Stopped}, "Not started"},
		{Info{State: Exited, Start: start, Stop: time.Date(2026, 11, 21, 22, 21, 0, 0, time.Local)}, "Nov 21 10:21 PM"},
		{Info{State: Stopped, Start: start, Stop: time.Date(2026, 1, 2, 9, 5, 0, 0, time.Local)}, "Jan 02 09:05 AM"},
		{Info{State: Starting}, ""},
		{Info{State: Stopping}, ""},
		{Info{State: Unknown}, ""},
	} {
		if got := tt.info.Description(); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.info.State, got, tt.want)
		}
	}
}

func TestSplitNamespec(t *testing.T) {
	for _, tt := range []struct{ in, g, p string }{
		{"x", "x", "x"}, {"g:x", "g", "x"}, {"g:", "g", ""}, {"g:*", "g", ""}, {"g:a:b", "g", "a:b"},
	} {
		if g, p := SplitNamespec(tt.in); g != tt.g || p != tt.p {
			t.Errorf("%q: %q %q", tt.in, g, p)
		}
	}
}

func TestStripANSI(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                      "plain",
		"\x1b[31mred\x1b[0m text":    "red text",
		"a\x1b[2Jb\x1b[1;2Hc":        "abc",
		"unterminated \x1b[12":       "unterminated ",
		"\x1b[1m\x1b[32mok\x1b[0m\n": "ok\n",
	} {
		if got := string(StripANSI([]byte(in))); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
