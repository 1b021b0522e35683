package process

import (
	"fmt"
	"log/slog"
	"slices"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/config"
	"golang.org/x/sys/unix"
)

// LevelCritical is supervisord's CRIT level as a slog level.
const LevelCritical = slog.Level(12)

// timerKind says what a process timer is for. A process has one timer
// slot: which kind is armed follows from its state.
type timerKind int

const (
	timerStartSecs   timerKind = iota + 1 // STARTING -> RUNNING
	timerBackoff                          // BACKOFF -> STARTING
	timerStopWait                         // STOPPING: escalate to SIGKILL
	timerReady                            // STARTING with ready=: ready_timeout
	timerRestart                          // BACKOFF: restart_delay after an exit
	timerAutoRestart                      // EXITED: an autorestart paced to one start a second
)

// minRestartInterval is the least time between two starts of a process
// when both are automatic restarts: supervisord restarts an EXITED
// process on its loop's next pass, which comes at once while anything
// else happens (a signal, a request, output) and otherwise after a
// poll() of up to a second, so a program that exits at once
// (startsecs=0, autorestart) crash-loops there at about one start a
// second, not as fast as fork allows. The first automatic restart after
// any other start (a program killed by a signal soon after a manual
// start or restart) is immediate, as on a busy supervisord.
const minRestartInterval = time.Second

// evKind is the kind of input to the step function.
type evKind int

const (
	evStart       evKind = iota // spawn request: startProcess, autostart, autorestart
	evSpawned                   // the child was started (pid)
	evSpawnFailed               // the child could not be started (msg)
	evExit                      // the child was reaped (pid, status)
	evTimer                     // the armed timer fired (timer)
	evStop                      // administrative stop (stopProcess, shutdown)
	evGiveUp                    // BACKOFF -> FATAL (shutdown)
	evKillFailed                // kill() failed with something else than ESRCH (msg)
	evReady                     // the readiness probe passed (pid)
	evProbeFailed               // one readiness attempt failed (pid, msg)
	evHealth                    // one health check ended (pid, ok, msg)
)

// event is one input of the step function.
type event struct {
	kind   evKind
	pid    int
	status syscall.WaitStatus
	msg    string
	timer  timerKind
	sig    syscall.Signal // evStop: instead of stopsignal (forced shutdown)
	ok     bool           // evHealth
}

// actKind is the kind of an action the loop carries out for the step
// function.
type actKind int

const (
	actEmit   actKind = iota // a PROCESS_STATE_* event (from, to, expected, tries, pid)
	actLog                   // a main log line (level, msg)
	actSpawn                 // spawn the child; feed evSpawned/evSpawnFailed back
	actKill                  // send sig to pid (or -pid when group)
	actTimer                 // arm the timer (timer, after), replacing any armed one
	actCancel                // disarm the timer
	actExited                // the child is gone: release pipes (pid)
	actProbe                 // start the ready (probe "ready") or health ("health") checks for pid
)

// action is one effect requested by the step function.
type action struct {
	kind     actKind
	from, to State
	expected bool
	tries    int
	pid      int
	level    slog.Level
	msg      string
	sig      syscall.Signal
	group    bool
	timer    timerKind
	after    time.Duration
	probe    string
}

// machine is the pure part of a process: its state and counters. step
// changes it and returns what must happen; it performs no I/O and reads
// no clock.
type machine struct {
	name       string // process name, for log lines
	cfg        *config.Process
	state      State
	backoff    int
	killing    bool
	laststart  time.Time
	laststop   time.Time
	exitStatus int
	spawnErr   string
	pid        int
	autoStart  bool // the last start was an immediate automatic restart

	// superd's lifecycle extensions (zero: supervisord's behaviour).
	waiting     string    // STARTING without a child: what it waits for (set by the loop)
	readyKill   bool      // stopping a child that did not become ready in time
	probeErr    string    // the last failed readiness attempt
	restartAt   time.Time // BACKOFF until then: a delayed restart
	restartWhy  string    // "exit status 1": what the delayed restart follows
	delayN      int       // consecutive quick exits (restart_backoff=exponential)
	runningAt   time.Time // when it last entered RUNNING
	healthFails int       // consecutive failed health checks
	unhealthy   string    // "unhealthy (3 checks failed: ...)" once retries are used up
	healthKill  bool      // stopping an unhealthy process to restart it
}

// stoppedStates are supervisord's STOPPED_STATES.
func (s State) stopped() bool {
	return s == Stopped || s == Exited || s == Fatal || s == Unknown
}

// running reports supervisord's RUNNING_STATES.
func (s State) running() bool { return s == Running || s == Backoff || s == Starting }

// signallable reports supervisord's SIGNALLABLE_STATES.
func (s State) signallable() bool { return s == Running || s == Starting || s == Stopping }

func (m *machine) change(to State, expected bool) []action {
	if m.state == to {
		return nil
	}
	from := m.state
	m.state = to
	return []action{{kind: actEmit, from: from, to: to, expected: expected, tries: m.backoff, pid: m.pid}}
}

func logAct(level slog.Level, format string, args ...any) action {
	return action{kind: actLog, level: level, msg: fmt.Sprintf(format, args...)}
}

// step applies ev at time now. spawnOK is false while the supervisor
// is shutting down (nothing is spawned then, as in supervisord's
// transition()).
func (m *machine) step(ev event, now time.Time, spawnOK bool) []action {
	var acts []action
	switch ev.kind {
	case evStart:
		if m.state == Stopping && m.pid != 0 {
			// supervisord's spawn() of a process still alive.
			return []action{logAct(slog.LevelWarn, "process '%s' already running", m.name)}
		}
		if m.state != Exited && m.state != Fatal && m.state != Backoff && m.state != Stopped {
			return nil
		}
		m.killing = false
		m.spawnErr = ""
		m.exitStatus = 0
		m.laststart = now
		m.autoStart = false
		m.restartAt, m.restartWhy = time.Time{}, ""
		m.waiting, m.probeErr, m.readyKill = "", "", false
		acts = append(acts, action{kind: actCancel})
		acts = append(acts, m.change(Starting, true)...)
		acts = append(acts, action{kind: actSpawn})

	case evSpawnFailed:
		if m.state != Starting {
			return nil
		}
		m.spawnErr = ev.msg
		acts = append(acts, logAct(slog.LevelInfo, "spawnerr: %s", ev.msg))
		acts = append(acts, m.enterBackoff()...)

	case evSpawned:
		if m.state != Starting {
			return nil
		}
		m.pid = ev.pid
		m.spawnErr = ""
		acts = append(acts, logAct(slog.LevelInfo, "spawned: '%s' with pid %d", m.name, ev.pid))
		if m.cfg.Ready != nil {
			// STARTING until the probe passes (startsecs does not apply).
			acts = append(acts, action{kind: actTimer, timer: timerReady, after: m.cfg.ReadyTimeout},
				action{kind: actProbe, probe: "ready", pid: ev.pid})
		} else if m.cfg.StartSecs <= 0 {
			acts = append(acts, m.enterRunning(now)...)
		} else {
			acts = append(acts, action{kind: actTimer, timer: timerStartSecs, after: time.Duration(m.cfg.StartSecs) * time.Second})
		}

	case evTimer:
		switch {
		case ev.timer == timerStartSecs && m.state == Starting:
			acts = append(acts, m.enterRunning(now)...)
		case ev.timer == timerBackoff && m.state == Backoff:
			if spawnOK && (m.backoff <= m.cfg.StartRetries || m.cfg.StartRetriesForever) {
				acts = append(acts, m.step(event{kind: evStart}, now, spawnOK)...)
			}
		case ev.timer == timerRestart && m.state == Backoff:
			if spawnOK {
				acts = append(acts, m.step(event{kind: evStart}, now, spawnOK)...)
			}
		case ev.timer == timerAutoRestart && m.state == Exited:
			if spawnOK {
				acts = append(acts, m.step(event{kind: evStart}, now, spawnOK)...)
				m.autoStart = m.state == Starting // still a crash loop
			}
		case ev.timer == timerReady && m.state == Starting && m.pid != 0 && !m.readyKill:
			// Not ready in time: a failed start. The child is stopped
			// without leaving STARTING; its exit then goes to BACKOFF.
			m.spawnErr = fmt.Sprintf("not ready within %s (%s)", m.cfg.ReadyTimeout, m.cfg.Ready.Spec)
			if m.probeErr != "" {
				m.spawnErr = fmt.Sprintf("not ready within %s (%s: %s)", m.cfg.ReadyTimeout, m.cfg.Ready.Spec, m.probeErr)
			}
			m.readyKill = true
			acts = append(acts, logAct(slog.LevelWarn, "%s: %s", m.name, m.spawnErr))
			acts = append(acts, action{kind: actTimer, timer: timerStopWait, after: time.Duration(m.cfg.StopWaitSecs) * time.Second},
				action{kind: actKill, sig: m.stopSignal(), group: m.cfg.StopAsGroup, pid: m.pid})
		case ev.timer == timerStopWait && m.state == Starting && m.readyKill && m.pid != 0:
			acts = append(acts, logAct(slog.LevelWarn, "killing '%s' (%d) with SIGKILL", m.name, m.pid))
			acts = append(acts, action{kind: actKill, sig: syscall.SIGKILL, group: m.cfg.KillAsGroup, pid: m.pid})
		case ev.timer == timerStopWait && m.state == Stopping && m.pid != 0:
			acts = append(acts, logAct(slog.LevelWarn, "killing '%s' (%d) with SIGKILL", m.name, m.pid))
			acts = append(acts, m.kill(syscall.SIGKILL)...)
		}

	case evReady:
		if m.state == Starting && ev.pid != 0 && ev.pid == m.pid && !m.readyKill {
			m.backoff = 0
			m.runningAt = now
			acts = append(acts, action{kind: actCancel})
			acts = append(acts, m.change(Running, true)...)
			acts = append(acts, logAct(slog.LevelInfo, "success: %s entered RUNNING state, ready (%s)", m.name, m.cfg.Ready.Spec))
			acts = append(acts, m.startHealth()...)
		}

	case evProbeFailed:
		if m.state == Starting && ev.pid == m.pid {
			m.probeErr = ev.msg
		}

	case evHealth:
		if m.state == Running && ev.pid != 0 && ev.pid == m.pid {
			acts = append(acts, m.health(ev.ok, ev.msg)...)
		}

	case evStop:
		m.healthKill = false
		switch {
		case m.state == Starting && m.pid == 0:
			// Waiting for its dependencies: nothing to kill.
			m.waiting = ""
			acts = append(acts, action{kind: actCancel})
			acts = append(acts, m.change(Stopped, true)...)
		case m.state == Backoff:
			acts = append(acts, logAct(slog.LevelDebug, "Attempted to kill %s, which is in BACKOFF state.", m.name))
			acts = append(acts, action{kind: actCancel})
			acts = append(acts, m.change(Stopped, true)...)
		case m.pid != 0 && (m.state == Running || m.state == Starting || m.state == Stopping):
			sig := ev.sig
			if sig == 0 {
				sig = m.stopSignal()
			}
			acts = append(acts, m.kill(sig)...)
		}

	case evKillFailed:
		acts = append(acts, logAct(LevelCritical, "unknown problem killing %s (%d):%s", m.name, m.pid, ev.msg))
		acts = append(acts, action{kind: actCancel})
		acts = append(acts, m.change(Unknown, true)...)
		m.killing = false

	case evGiveUp:
		if m.state == Backoff {
			m.backoff = 0
			acts = append(acts, action{kind: actCancel})
			acts = append(acts, m.change(Fatal, true)...)
		}

	case evExit:
		if ev.pid == 0 || ev.pid != m.pid {
			return nil
		}
		acts = m.exit(ev, now, spawnOK)
	}
	return acts
}

func (m *machine) enterRunning(now time.Time) []action {
	m.backoff = 0
	m.runningAt = now
	acts := []action{{kind: actCancel}}
	acts = append(acts, m.change(Running, true)...)
	acts = append(acts, logAct(slog.LevelInfo,
		"success: %s entered RUNNING state, process has stayed up for > than %d seconds (startsecs)",
		m.name, m.cfg.StartSecs))
	return append(acts, m.startHealth()...)
}

func (m *machine) stopSignal() syscall.Signal {
	if m.cfg.StopSignal != 0 {
		return m.cfg.StopSignal
	}
	return syscall.SIGTERM
}

// enterBackoff is STARTING -> BACKOFF, then FATAL at once if the retries
// are used up, else a retry timer of backoff seconds.
func (m *machine) enterBackoff(logs ...action) []action {
	m.backoff++
	acts := append(m.change(Backoff, true), logs...)
	if m.cfg.StartRetriesForever {
		// Never FATAL: the delay grows with the tries as supervisord's,
		// up to a minute.
		return append(acts, action{kind: actTimer, timer: timerBackoff, after: time.Duration(min(m.backoff, 60)) * time.Second})
	}
	if m.backoff > m.cfg.StartRetries {
		m.backoff = 0
		acts = append(acts, action{kind: actCancel})
		acts = append(acts, m.change(Fatal, true)...)
		acts = append(acts, logAct(slog.LevelInfo, "gave up: %s entered FATAL state, too many start retries too quickly", m.name))
		return acts
	}
	return append(acts, action{kind: actTimer, timer: timerBackoff, after: time.Duration(m.backoff) * time.Second})
}

// kill sends sig as supervisord's Subprocess.kill: stopasgroup for the
// first signal, killasgroup once STOPPING.
func (m *machine) kill(sig syscall.Signal) []action {
	group := m.cfg.StopAsGroup
	if m.state == Stopping {
		group = m.cfg.KillAsGroup
	}
	as := ""
	if group {
		as = "process group "
	}
	acts := []action{logAct(slog.LevelDebug, "killing %s (pid %d) %swith signal %s", m.name, m.pid, as, SignalName(sig))}
	m.killing = true
	acts = append(acts, m.change(Stopping, true)...)
	acts = append(acts, action{kind: actTimer, timer: timerStopWait, after: time.Duration(m.cfg.StopWaitSecs) * time.Second})
	acts = append(acts, action{kind: actKill, sig: sig, group: group, pid: m.pid})
	return acts
}

func (m *machine) exit(ev event, now time.Time, spawnOK bool) []action {
	es, how := DecodeWaitStatus(ev.status)
	m.laststop = now
	expected := slices.Contains(m.cfg.ExitCodes, es)
	acts := []action{{kind: actCancel}}
	restart, healthRestart := false, false
	m.healthFails, m.unhealthy = 0, ""
	switch {
	case m.killing:
		m.killing = false
		m.exitStatus = es
		acts = append(acts, m.change(Stopped, true)...)
		level := slog.LevelWarn
		if expected {
			level = slog.LevelInfo
		}
		acts = append(acts, logAct(level, "stopped: %s (%s)", m.name, how))
		restart, m.healthKill = m.healthKill, false // healthcheck_action=restart
		healthRestart = restart
	case m.state == Starting && m.readyKill:
		// Stopped for not becoming ready: a failed start (spawnErr says why).
		m.readyKill = false
		m.exitStatus = 0
		m.pid = 0
		acts = append(acts, action{kind: actExited, pid: ev.pid})
		return append(acts, m.enterBackoff(logAct(slog.LevelWarn, "exited: %s (%s; not expected)", m.name, how))...)
	case m.state == Starting && (m.cfg.Ready != nil || now.Sub(m.laststart) < time.Duration(m.cfg.StartSecs)*time.Second):
		// Exited before startsecs (supervisord's too_quickly).
		m.exitStatus = 0
		m.spawnErr = "Exited too quickly (process log may have details)"
		m.pid = 0
		acts = append(acts, action{kind: actExited, pid: ev.pid})
		return append(acts, m.enterBackoff(logAct(slog.LevelWarn, "exited: %s (%s; not expected)", m.name, how))...)
	default:
		m.backoff = 0
		m.exitStatus = es
		if m.state == Starting {
			// Up for startsecs, but its timer has not fired yet.
			acts = append(acts, m.change(Running, true)...)
		}
		if expected {
			acts = append(acts, m.change(Exited, true)...)
			acts = append(acts, logAct(slog.LevelInfo, "exited: %s (%s; expected)", m.name, how))
		} else {
			m.spawnErr = fmt.Sprintf("Bad exit code %d", es)
			acts = append(acts, m.change(Exited, false)...)
			acts = append(acts, logAct(slog.LevelWarn, "exited: %s (%s; not expected)", m.name, how))
		}
		switch m.cfg.Autorestart {
		case config.AutorestartTrue:
			restart = true
		case config.AutorestartUnexpected:
			restart = !expected
		}
	}
	m.pid = 0
	acts = append(acts, action{kind: actExited, pid: ev.pid})
	if restart && spawnOK {
		if d := m.restartDelay(now); d > 0 && (m.state == Exited || healthRestart) {
			// restart_delay: BACKOFF until the restart, saying why.
			m.restartAt, m.restartWhy = now.Add(d), how
			if healthRestart {
				m.restartWhy = "unhealthy"
			}
			acts = append(acts, m.change(Backoff, true)...)
			acts = append(acts, logAct(slog.LevelInfo, "restarting %s in %s (%s)", m.name, d, how))
			return append(acts, action{kind: actTimer, timer: timerRestart, after: d})
		}
		if d := m.laststart.Add(minRestartInterval).Sub(now); d > 0 && m.state == Exited && m.autoStart {
			// A crash loop: EXITED until a second after the last start.
			return append(acts, action{kind: actTimer, timer: timerAutoRestart, after: d})
		}
		acts = append(acts, m.step(event{kind: evStart}, now, spawnOK)...)
		m.autoStart = m.state == Starting
	}
	return acts
}

// restartDelay is the wait before an automatic restart after an exit
// from RUNNING: restart_delay, doubled for each exit within
// restart_reset of the previous start with restart_backoff=exponential.
func (m *machine) restartDelay(now time.Time) time.Duration {
	d := m.cfg.RestartDelay
	if d <= 0 {
		return 0
	}
	if !m.cfg.RestartExponential {
		return d
	}
	if !m.runningAt.IsZero() && now.Sub(m.runningAt) >= m.cfg.RestartReset {
		m.delayN = 0
	}
	for range m.delayN {
		d *= 2
		if m.cfg.RestartDelayMax > 0 && d >= m.cfg.RestartDelayMax {
			d = m.cfg.RestartDelayMax
			break
		}
	}
	if m.delayN < 62 {
		m.delayN++
	}
	return d
}

// startHealth starts the health checks of a process that entered
// RUNNING.
func (m *machine) startHealth() []action {
	m.healthFails, m.unhealthy = 0, ""
	if m.cfg.Health == nil {
		return nil
	}
	return []action{{kind: actProbe, probe: "health", pid: m.pid}}
}

// health applies one health check result: after healthcheck_retries
// failures in a row the process is unhealthy (its description says so)
// and, with healthcheck_action=restart, it is stopped through the
// normal path (stopsignal, stopwaitsecs) and started again.
func (m *machine) health(ok bool, msg string) []action {
	if ok {
		m.healthFails = 0
		if m.unhealthy != "" {
			m.unhealthy = ""
			return []action{logAct(slog.LevelInfo, "healthy: %s passes its health check again", m.name)}
		}
		return nil
	}
	m.healthFails++
	if m.healthFails < m.cfg.HealthRetries {
		return nil
	}
	first := m.unhealthy == ""
	m.unhealthy = fmt.Sprintf("unhealthy (%d checks failed: %s)", m.healthFails, msg)
	if !first {
		return nil
	}
	acts := []action{logAct(slog.LevelWarn, "unhealthy: %s (%d checks failed: %s)", m.name, m.healthFails, msg)}
	if m.cfg.HealthRestart && !m.killing {
		m.healthKill = true
		acts = append(acts, logAct(slog.LevelWarn, "restarting unhealthy %s", m.name))
		acts = append(acts, m.kill(m.stopSignal())...)
	}
	return acts
}

// DecodeWaitStatus returns supervisord's exit status (-1 when killed by
// a signal) and its message ("exit status 3", "terminated by SIGTERM").
func DecodeWaitStatus(ws syscall.WaitStatus) (int, string) {
	switch {
	case ws.Exited():
		return ws.ExitStatus(), fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		msg := "terminated by " + SignalName(ws.Signal())
		if ws.CoreDump() {
			msg += " (core dumped)"
		}
		return -1, msg
	}
	return -1, fmt.Sprintf("unknown termination cause 0x%04x", uint32(ws))
}

// SignalName returns "SIGTERM" for SIGTERM, "signal N" if it has no name.
func SignalName(sig syscall.Signal) string {
	if n := unix.SignalName(sig); n != "" {
		return n
	}
	return fmt.Sprintf("signal %d", int(sig))
}
