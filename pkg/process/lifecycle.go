package process

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
	"golang.org/x/sys/unix"
)

// This file holds the loop's side of superd's lifecycle extensions
// (config.Lifecycle): dependencies, readiness and health probes and the
// per-supervisor sd_notify socket. The step function (state.go) decides;
// the code here runs probes in their own goroutines, which post results
// to the loop, and resolves what crosses processes (dependencies).

// readyRetry is the pause between two failed readiness attempts.
const readyRetry = 250 * time.Millisecond

// probeRun is the readiness or health checking of one child.
type probeRun struct {
	kind   string // "ready" or "health"
	pid    int
	cancel context.CancelFunc // nil for notify readiness (no goroutine)
}

// startProbe starts kind's checks for p's child pid, replacing any
// running check. Readiness is tried at once and then every readyRetry
// until it passes; health every healthcheck_interval.
func (s *Supervisor) startProbe(p *proc, kind string, pid int) {
	s.stopProbe(p)
	pr, timeout, every := p.cfg.Ready, min(p.cfg.ReadyTimeout, 5*time.Second), readyRetry
	if kind == "health" {
		pr, timeout, every = p.cfg.Health, p.cfg.HealthTimeout, p.cfg.HealthInterval
	}
	if pr == nil {
		return
	}
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	if every <= 0 {
		every = 10 * time.Second
	}
	run := &probeRun{kind: kind, pid: pid}
	p.probe = run
	if kind == "ready" && pr.Kind == "notify" {
		return // READY=1 arrives on the notify socket
	}
	if kind == "health" && pr.Kind == "notify" {
		p.lastWatchdog = time.Now()
	}
	ctx, cancel := context.WithCancel(context.Background())
	run.cancel = cancel
	env := p.probeEnv
	as := probeAs{dir: p.cfg.Directory}
	if pr.Kind == "exec" {
		as.cred, _ = credential(p.cfg) // a failure already failed the spawn
	}
	go func() {
		wait := func(d time.Duration) bool {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for {
			if kind == "health" && !wait(every) {
				return
			}
			ok, msg := true, ""
			if pr.Kind != "notify" { // a watchdog is judged by the loop
				ok, msg = s.runProbe(ctx, pr, timeout, env, as)
			}
			if ctx.Err() != nil {
				return
			}
			s.post(loopEvent{kind: leProbe, p: p, pid: pid, probe: kind, ok: ok, msg: msg})
			if kind == "ready" && (ok || !wait(every)) {
				return
			}
		}
	}()
}

func (s *Supervisor) stopProbe(p *proc) {
	if p.probe != nil && p.probe.cancel != nil {
		p.probe.cancel()
	}
	p.probe = nil
}

// probeResult feeds one probe result to the step function.
func (s *Supervisor) probeResult(ev loopEvent) {
	p := ev.p
	if p.probe == nil || p.probe.pid != ev.pid || p.probe.kind != ev.probe {
		return // stale: the child or the check changed meanwhile
	}
	if ev.probe == "ready" {
		if ev.ok {
			s.apply(p, event{kind: evReady, pid: ev.pid})
		} else {
			s.apply(p, event{kind: evProbeFailed, pid: ev.pid, msg: ev.msg})
		}
		return
	}
	ok, msg := ev.ok, ev.msg
	if p.cfg.Health.Kind == "notify" {
		ok = time.Since(p.lastWatchdog) <= p.cfg.HealthInterval+p.cfg.HealthTimeout
		msg = "no WATCHDOG=1 within " + (p.cfg.HealthInterval + p.cfg.HealthTimeout).String()
	}
	s.apply(p, event{kind: evHealth, pid: ev.pid, ok: ok, msg: msg})
}

// probeAs is who runs an exec probe, and where: the program's user=
// and directory=.
type probeAs struct {
	cred *syscall.Credential
	dir  string
}

// runProbe makes one attempt of pr; msg says why it failed.
func (s *Supervisor) runProbe(ctx context.Context, pr *config.Probe, timeout time.Duration, env []string, as probeAs) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch pr.Kind {
	case "tcp":
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", pr.Address)
		if err != nil {
			return false, shortErr(err)
		}
		c.Close()
		return true, ""
	case "http":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, pr.URL, nil)
		if err != nil {
			return false, err.Error()
		}
		req.Header.Set("User-Agent", "superd-probe")
		resp, err := probeClient.Do(req)
		if err != nil {
			if ctx.Err() == context.DeadlineExceeded {
				return false, "timed out after " + timeout.String()
			}
			return false, shortErr(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 200 && resp.StatusCode < 400 {
			return true, ""
		}
		return false, "HTTP " + resp.Status
	case "exec":
		return s.execProbe(ctx, pr.Argv, env, timeout, as)
	}
	return false, "unknown probe " + pr.Kind
}

// probeClient makes the http(s) probes: a redirect is an answer (not
// followed), the connection is direct (no HTTP_PROXY from superd's
// environment), new for each attempt (a server that stops accepting
// connections fails its check), and a certificate is not verified:
// a probe asks whether the service answers, not who it is, as
// Kubernetes' probes do, so a local self-signed certificate works.
var probeClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport: &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
	},
}

// execProbe runs argv in its own process group and passes on exit 0.
// In reaper mode the reaper owns wait4(-1), so the child is registered
// with it (as a spawned program's is) instead of waited for here.
func (s *Supervisor) execProbe(ctx context.Context, argv []string, env []string, timeout time.Duration, as probeAs) (bool, string) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return false, shortErr(err)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return false, err.Error()
	}
	defer devnull.Close()
	attr := &os.ProcAttr{Env: env, Dir: as.dir, Files: []*os.File{devnull, devnull, devnull},
		Sys: &syscall.SysProcAttr{Setpgid: true, Credential: as.cred}}
	var osp *os.Process
	var done <-chan syscall.WaitStatus
	if s.reaper != nil {
		osp, done, err = s.reaper.startOther(path, argv, attr)
	} else {
		osp, err = os.StartProcess(path, argv, attr)
		if err == nil {
			ch := make(chan syscall.WaitStatus, 1)
			go func() {
				st, err := osp.Wait()
				if err != nil {
					ch <- syscall.WaitStatus(255 << 8)
					return
				}
				ch <- st.Sys().(syscall.WaitStatus)
			}()
			done = ch
		}
	}
	if err != nil {
		return false, shortErr(err)
	}
	select {
	case ws := <-done:
		if ws.Exited() && ws.ExitStatus() == 0 {
			return true, ""
		}
		_, how := DecodeWaitStatus(ws)
		return false, strings.Join(argv, " ") + ": " + how
	case <-ctx.Done():
		syscall.Kill(-osp.Pid, syscall.SIGKILL)
		<-done
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return false, strings.Join(argv, " ") + ": timed out after " + timeout.String()
		}
		return false, "canceled"
	}
}

// shortErr drops the "dial tcp 127.0.0.1:5432: connect: " prefix.
func shortErr(err error) string {
	var se syscall.Errno
	if errors.As(err, &se) {
		return se.Error()
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// ---- sd_notify ----

// notifySocket is the datagram socket on which children with
// ready=notify or healthcheck=notify send READY=1 / WATCHDOG=1
// (NOTIFY_SOCKET, systemd's protocol). One abstract-namespace socket
// serves every child; SO_PASSCRED tells which pid sent a datagram.
// Its reader goroutine posts each datagram to the loop and ends when
// the socket is closed (cleanup).
type notifySocket struct {
	conn *net.UnixConn
	addr string
}

// notifyAddr returns NOTIFY_SOCKET's value, creating the socket at the
// first call; "" if it cannot be made.
func (s *Supervisor) notifyAddr() string {
	if s.notify != nil {
		return s.notify.addr
	}
	var b [8]byte
	rand.Read(b[:])
	addr := fmt.Sprintf("@superd-notify-%d-%s", os.Getpid(), hex.EncodeToString(b[:]))
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		s.log.Warn("cannot create the sd_notify socket: " + err.Error())
		s.notify = &notifySocket{}
		return ""
	}
	if rc, err := conn.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1) })
	}
	s.notify = &notifySocket{conn: conn, addr: addr}
	go func() {
		buf := make([]byte, 4096)
		oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred))
		for {
			n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			pid := 0
			if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
				for _, m := range msgs {
					if cred, err := unix.ParseUnixCredentials(&m); err == nil {
						pid = int(cred.Pid)
					}
				}
			}
			if pid > 0 {
				// The sender's process group, now: a short-lived
				// helper (systemd-notify) is still waiting for the
				// barrier it sends next, but may be gone by the time
				// the loop looks.
				pgid, _ := unix.Getpgid(pid)
				s.post(loopEvent{kind: leNotify, pid: pid, pgid: pgid, msg: string(buf[:n])})
			}
		}
	}()
	return addr
}

func (s *Supervisor) closeNotify() {
	if s.notify != nil && s.notify.conn != nil {
		s.notify.conn.Close()
	}
}

// notified handles one sd_notify datagram from pid: the child itself,
// or a process in its process group pgid (a wrapper's child).
func (s *Supervisor) notified(pid, pgid int, msg string) {
	p := s.pids[pid]
	if p == nil && pgid > 0 {
		p = s.pids[pgid]
	}
	if p == nil || p.m.pid == 0 {
		s.log.Debug(fmt.Sprintf("sd_notify from unknown pid %d ignored: %q", pid, msg))
		return
	}
	for _, line := range strings.Split(msg, "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "READY":
			if v == "1" && p.cfg.Ready != nil && p.cfg.Ready.Kind == "notify" {
				s.apply(p, event{kind: evReady, pid: p.m.pid})
			}
		case "WATCHDOG":
			if v == "1" {
				p.lastWatchdog = time.Now()
			}
		case "STATUS":
			p.notifyStatus = v
		}
	}
}

// lifecycleEnv returns what a child with lifecycle options gets in its
// environment besides supervisord's: the env files' variables (read at
// every spawn; environment= wins over them) and NOTIFY_SOCKET.
func (s *Supervisor) lifecycleEnv(pc *config.Process) (files []config.EnvVar, extra []string, err error) {
	if len(pc.EnvFiles) > 0 {
		files, err = config.ReadEnvFiles(pc.EnvFiles)
		if err != nil {
			return nil, nil, err
		}
	}
	notify := pc.Ready != nil && pc.Ready.Kind == "notify"
	watchdog := pc.Health != nil && pc.Health.Kind == "notify"
	if notify || watchdog {
		if addr := s.notifyAddr(); addr != "" {
			extra = append(extra, "NOTIFY_SOCKET="+addr)
		}
		if watchdog {
			extra = append(extra, "WATCHDOG_USEC="+strconv.FormatInt(pc.HealthInterval.Microseconds(), 10))
		}
	}
	return files, extra, nil
}

// ---- dependencies ----

func (s *Supervisor) procByFull(full string) *proc {
	gn, pn, _ := strings.Cut(full, ":")
	if g := s.groups[gn]; g != nil {
		return g.byName[pn]
	}
	return nil
}

// notAdded reports whether the dependency full ("group:process") is in
// the latest configuration but its group is not added yet (an update
// adding web and its db adds web's group first). A process missing
// from an active group (scaled down) does not count.
func (s *Supervisor) notAdded(full string) bool {
	gn, pn, _ := strings.Cut(full, ":")
	if s.groups[gn] != nil || s.latest == nil {
		return false
	}
	g := s.latest.Group(gn)
	return g != nil && slices.ContainsFunc(g.Processes, func(pc *config.Process) bool { return pc.Name == pn })
}

// depsBlock says what p waits for ("" when every dependency that still
// exists is RUNNING).
func (s *Supervisor) depsBlock(p *proc) string {
	var waits []string
	for _, d := range p.cfg.Deps {
		q := s.procByFull(d)
		if q == nil {
			if s.notAdded(d) {
				gn, pn, _ := strings.Cut(d, ":")
				waits = append(waits, Namespec(gn, pn)+" (not added)")
			}
			continue
		}
		if q.m.state == Running {
			continue
		}
		waits = append(waits, fmt.Sprintf("%s (%s)", namespecOf(q), q.m.state))
	}
	if len(waits) == 0 {
		return ""
	}
	return "waiting for " + strings.Join(waits, ", ")
}

// startDeps starts p's stopped dependencies (superctl start web with db
// stopped starts db first).
func (s *Supervisor) startDeps(p *proc) {
	for _, d := range p.cfg.Deps {
		q := s.procByFull(d)
		if q == nil {
			continue
		}
		switch q.m.state {
		case Stopped, Exited, Fatal:
			if _, _, err := resolveCommand(q.g.env, q.cfg); err != nil {
				continue
			}
			if !q.cfg.Autostart || !q.m.laststart.IsZero() {
				// (an autostart process never started yet is about
				// to be started anyway: at startup, or as update adds
				// its group)
				s.log.Info(fmt.Sprintf("starting %s: %s depends on it", namespecOf(q), namespecOf(p)))
			}
			s.apply(q, event{kind: evStart})
		}
	}
}

// liveDependants returns the processes that depend on p and are not
// stopped.
func (s *Supervisor) liveDependants(p *proc) []*proc {
	full := p.g.cfg.Name + ":" + p.cfg.Name
	var out []*proc
	for _, g := range s.sortedGroups() {
		for _, q := range g.procs {
			if !q.m.state.stopped() && containsStr(q.cfg.Deps, full) {
				out = append(out, q)
			}
		}
	}
	return out
}

func containsStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// stopAfterDependants stops p's live dependants first (they depend on
// it) and reports whether p has to wait for them; p is then stopped by
// settleDeps once they are all stopped.
func (s *Supervisor) stopAfterDependants(p *proc, ev event) bool {
	if !s.anyDeps {
		return false
	}
	deps := s.liveDependants(p)
	if len(deps) == 0 {
		return false
	}
	p.pendingStop = &ev
	for _, q := range deps {
		if q.pendingStop != nil || q.m.state == Stopping {
			continue
		}
		s.log.Info(fmt.Sprintf("stopping %s: it depends on %s", namespecOf(q), namespecOf(p)))
		q.depStopped = true
		if !s.stopAfterDependants(q, ev) {
			s.stopNow(q, ev)
		}
	}
	return true
}

// stopNow applies a stop (or, in BACKOFF during shutdown, a give-up).
func (s *Supervisor) stopNow(p *proc, ev event) {
	if s.stopping && p.m.state == Backoff {
		s.apply(p, event{kind: evGiveUp})
		return
	}
	s.apply(p, ev)
}

// settleDeps runs after every step while some process has
// dependencies: waiting processes whose dependencies are now RUNNING
// are spawned, their descriptions follow the dependencies' states, and
// stops held for dependants go ahead once those have stopped.
func (s *Supervisor) settleDeps() {
	if !s.anyDeps || s.settling {
		return
	}
	s.settling = true
	defer func() { s.settling = false }()
	for changed := true; changed; {
		changed = false
		for _, g := range s.sortedGroups() {
			for _, p := range g.seq {
				if p.pendingStop != nil {
					if len(s.liveDependants(p)) == 0 {
						ev := *p.pendingStop
						p.pendingStop = nil
						if p.m.state.running() {
							s.stopNow(p, ev)
						}
						changed = true
					}
					continue
				}
				if p.depStopped && p.m.state.stopped() && !s.stopping && s.depsBack(p) {
					// Stopped for a dependency that runs again.
					why := ""
					for _, q := range s.depsOf(p) {
						if why == "" || q.m.laststart.After(p.m.laststop) {
							why = namespecOf(q)
						}
					}
					s.log.Info(fmt.Sprintf("starting %s: %s, which it depends on, runs again", namespecOf(p), why))
					s.apply(p, event{kind: evStart})
					changed = true
					continue
				}
				if p.m.state != Starting || p.m.pid != 0 || p.m.waiting == "" {
					continue
				}
				if s.stopping {
					continue
				}
				why := s.depsBlock(p)
				if why != "" {
					p.m.waiting = why
					continue
				}
				p.m.waiting = ""
				// The start counts from the spawn (uptime, startsecs),
				// as supervisord's laststart, not from the wait.
				p.m.laststart = time.Now()
				s.log.Info(fmt.Sprintf("dependencies of %s are running: starting it", namespecOf(p)))
				s.do(p, action{kind: actSpawn})
				s.checkWaiters(p)
				changed = true
			}
		}
	}
}

// depsBack reports whether every dependency of p runs again (RUNNING,
// and not about to be stopped).
func (s *Supervisor) depsBack(p *proc) bool {
	for _, q := range s.depsOf(p) {
		if q.m.state != Running || q.pendingStop != nil {
			return false
		}
	}
	return true
}

// healthEvent publishes a change of p's health.
func (s *Supervisor) healthEvent(p *proc, before string) {
	if p.m.unhealthy == before || (p.m.unhealthy != "" && before != "") {
		return
	}
	e := events.Event{Type: events.SuperdProcessHealthy, Process: p.cfg.Name, Group: p.g.cfg.Name, PID: p.m.pid}
	if p.m.unhealthy != "" {
		e.Type, e.Reason = events.SuperdProcessUnhealthy, p.m.unhealthy
	}
	s.emit(e)
}
