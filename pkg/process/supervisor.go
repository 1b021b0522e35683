package process

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/logfile"
	"github.com/superd/superd/pkg/sockets"
)

// Supervisor owns every process. One goroutine (Run) owns all process
// state; every method sends a request to it and waits for the reply.
// Methods called before Run block until it starts (or ctx ends); after
// Run has returned they fail with KindShutdownState. Once a shutdown has
// begun, methods that change anything fail with KindShutdownState, while
// ProcessInfo, AllProcessInfo, AllConfigInfo and LogPath keep answering.
type Supervisor struct {
	opts Options
	log  *slog.Logger
	cfg  *config.Config // the configuration Run started with

	reqs     chan func()    // API requests, run on the loop
	evs      chan loopEvent // exits, timers, ticks
	shutdown chan struct{}  // Shutdown was called (see shutdownMode)
	loopDone chan struct{}  // closed when the loop stops taking events
	done     chan struct{}  // closed when Run returns
	runOnce  atomic.Bool

	mood         atomic.Int32 // Mood, readable anywhere
	shutdownMode atomic.Int32 // 0 none, 1 ordered, 2 forced

	// rmu guards rfiles, the readers of live output pipes (to close
	// them if a grandchild still holds a pipe when Run returns). Leaf lock.
	rmu     sync.Mutex
	rfiles  map[*outReader]struct{}
	readers sync.WaitGroup
	// opoll watches every output pipe (outpoll_linux.go); created by
	// the loop at the first spawn, closed by cleanup.
	opoll   *outPoll
	noOpoll bool // epoll is not available

	socks    *sockets.Registry // Options.Sockets, or a private one
	ownSocks bool              // socks is private: closed when Run returns

	reaper   *reaper     // nil unless Options.Reaper
	pf       *prefetcher // spawn preparation of the batch under way (prefetch.go), or nil
	prepUsed int         // spawns that used a preparation (tests)
	// deferAuto: newProc leaves the AUTO log files of autostart
	// processes to their spawn's preparation (Run, AddGroup).
	deferAuto bool
	runner    runner // spawns and signals children (a fake in tests)

	// pools are the event listener pools New made itself (Options.Bus
	// set, Options.Listeners nil); closed when Run returns.
	pools *events.Pools

	// Everything below is owned by the loop goroutine.
	latest      *config.Config
	groups      map[string]*group
	groupSeq    int           // groups added so far: group.added
	pids        map[int]*proc // live children
	stopping    bool
	forced      bool
	stopGroups  []*group
	reportTimer *time.Timer
	tickTimer   *time.Timer
	ticks       map[int64]int64
	killErr     string

	// superd lifecycle (lifecycle.go)
	notify   *notifySocket // created at the first child that needs it
	anyDeps  bool          // some process has depends_on
	settling bool          // settleDeps is running (no re-entry)
}

type group struct {
	// added orders groups as supervisord's process_groups dict: the
	// configured ones by (priority, name), then later additions.
	added  int
	cfg    *config.Group
	env    map[string]string // [supervisord] environment of its config
	procs  []*proc           // by (priority, Seq): supervisord's sort order
	seq    []*proc           // by Seq: the configured order
	byName map[string]*proc
}

type proc struct {
	m   machine
	cfg *config.Process
	g   *group

	timer    *time.Timer
	timerGen uint64
	report   *time.Timer // "waiting for x to stop"
	gen      uint64      // spawn generation
	child    *child

	stdoutPath, stderrPath string
	stdoutAuto, stderrAuto bool // AUTO file not created yet (newProc)
	stdoutLog, stderrLog   *logfile.Writer
	// outBytes counts the output read from the child's stdout (0) and
	// stderr (1) pipes over all its spawns; the output readers add to
	// it without a lock, info reads it.
	outBytes [2]atomic.Int64

	waiters []func() bool // resolved by the loop after each step

	oneshot *OneShot // set for a one-shot child (oneshot.go)
	prep    *prep    // the next spawn, being prepared off the loop (prefetch.go)

	// superd lifecycle (lifecycle.go)
	probe        *probeRun // readiness or health checking of the child
	probeEnv     []string  // the child's environment, for exec probes
	lastWatchdog time.Time // last sd_notify WATCHDOG=1
	notifyStatus string    // last sd_notify STATUS=
	pendingStop  *event    // a stop held until its dependants have stopped
	// depStopped: stopped only because a dependency was stopped; started
	// again once its dependencies all run (settleDeps), unless started
	// or stopped explicitly meanwhile.
	depStopped bool
}

// runner starts and signals children. The loop uses osRunner; tests of
// the loop under testing/synctest use a fake.
type runner interface {
	// spawn starts p's child and returns its pid, or a spawn error text.
	spawn(s *Supervisor, p *proc) (pid int, spawnErr string)
	// signal sends sig to pid, or to its process group.
	signal(p *proc, pid int, sig syscall.Signal, group bool) error
}

type osRunner struct{}

func (osRunner) spawn(s *Supervisor, p *proc) (int, string) { return s.spawn(p) }

func (osRunner) signal(p *proc, pid int, sig syscall.Signal, group bool) error {
	switch {
	case group:
		return syscall.Kill(-pid, sig)
	case p.child != nil && p.child.pid == pid:
		return p.child.signal(sig)
	}
	return syscall.Kill(pid, sig)
}

type child struct {
	pid   int
	osp   *os.Process // nil when pidfd is used
	pidfd *os.File    // see wait_linux.go; closed by the loop at exit
	stdin *os.File    // nil for an fcgi-program (its stdin is the socket)
	// release drops the child's reference to its fcgi socket (nil:
	// none); called once it is reaped.
	release func()
}

type leKind int

const (
	leExit leKind = iota
	leTimer
	leTick
	leShutdownReport
	leStopReport
	leOneShotKill
	leProbe  // a probe result (p, pid, probe, ok, msg)
	leNotify // an sd_notify datagram (pid, msg)
)

type loopEvent struct {
	kind   leKind
	p      *proc
	gen    uint64
	pid    int
	status syscall.WaitStatus
	timer  timerKind
	probe  string // leProbe: "ready" or "health"
	ok     bool
	msg    string
	pgid   int // leNotify: the sender's process group when it was received
}

// New prepares a supervisor for cfg. Nothing is started until Run.
func New(cfg *config.Config, opts Options) (*Supervisor, error) {
	if cfg == nil {
		return nil, fmt.Errorf("process: nil config")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Supervisor{
		opts:     opts,
		log:      opts.Logger,
		cfg:      cfg,
		latest:   cfg,
		reqs:     make(chan func()),
		evs:      make(chan loopEvent, 64),
		shutdown: make(chan struct{}, 1),
		loopDone: make(chan struct{}),
		done:     make(chan struct{}),
		rfiles:   map[*outReader]struct{}{},
		groups:   map[string]*group{},
		pids:     map[int]*proc{},
	}
	s.runner = osRunner{}
	s.socks = opts.Sockets
	if s.socks == nil {
		s.socks, s.ownSocks = sockets.New(opts.Logger), true
	}
	if opts.runner != nil {
		s.runner = opts.runner
	}
	s.mood.Store(int32(MoodRunning))
	if opts.Listeners == nil && opts.Bus != nil {
		s.pools = events.NewPools(opts.Bus, opts.Logger, cfg.Supervisord.Identifier)
		s.opts.Listeners = s.pools
	}
	return s, nil
}

// Mood returns the supervisor state.
func (s *Supervisor) Mood() Mood { return Mood(s.mood.Load()) }

// Shutdown begins an ordered stop of every process; Run returns once all
// are stopped. force (second SIGINT) kills immediately.
func (s *Supervisor) Shutdown(force bool) { s.requestStop(MoodShutdown, force) }

// Restart begins the same ordered stop as Shutdown but sets the mood to
// RESTARTING (SIGHUP, supervisor.restart); the caller builds a new
// Supervisor after Run returns.
func (s *Supervisor) Restart() { s.requestStop(MoodRestarting, false) }

func (s *Supervisor) requestStop(m Mood, force bool) {
	if s.Mood() == MoodRunning || s.Mood() == MoodFatal {
		s.mood.Store(int32(m))
	}
	mode := int32(1)
	if force {
		mode = 2
	}
	for {
		old := s.shutdownMode.Load()
		if old >= mode || s.shutdownMode.CompareAndSwap(old, mode) {
			break
		}
	}
	select {
	case s.shutdown <- struct{}{}:
	default:
	}
}

// Run runs the supervisor loop: it starts autostart processes in
// priority order and supervises them until Shutdown completes (all
// processes stopped in reverse priority order) or ctx is cancelled
// (then processes are killed without waiting).
func (s *Supervisor) Run(ctx context.Context) error {
	if !s.runOnce.CompareAndSwap(false, true) {
		return fmt.Errorf("process: Run called twice")
	}
	defer close(s.done)
	if s.opts.Reaper {
		s.reaper = newReaper(s)
		s.reaper.start()
	}
	s.deferAuto = s.shutdownMode.Load() == 0 && s.canPrefetch()
	for _, gc := range s.cfg.Groups {
		s.addGroup(gc, s.cfg)
		s.openListen(gc)
	}
	s.retainListen()
	s.emit(events.Event{Type: events.SupervisorStateChangeRunning})
	s.startTicks()
	if s.shutdownMode.Load() == 0 {
		s.startAutostart(s.sortedGroups())
	}
	s.resolveAllAuto(s.sortedGroups())
	ctxDone := ctx.Done()
	for !s.finished() {
		select {
		case f := <-s.reqs:
			f()
		case ev := <-s.evs:
			s.handle(ev)
		case <-s.shutdown:
			s.beginShutdown(s.shutdownMode.Load() == 2)
		case <-ctxDone:
			ctxDone = nil
			if s.Mood() == MoodRunning {
				s.mood.Store(int32(MoodShutdown))
			}
			s.beginShutdown(true)
		}
		if s.stopping {
			s.advanceShutdown()
		}
	}
	close(s.loopDone)
	s.cleanup()
	if s.ownSocks {
		s.socks.Close()
	}
	if s.pools != nil {
		s.pools.Close()
	}
	return nil
}

func (s *Supervisor) finished() bool {
	return s.stopping && len(s.stopGroups) == 0 && len(s.pids) == 0
}

// cleanup ends timers, output readers and the reaper, and closes logs.
func (s *Supervisor) cleanup() {
	if s.tickTimer != nil {
		s.tickTimer.Stop()
	}
	if s.reportTimer != nil {
		s.reportTimer.Stop()
	}
	for _, g := range s.groups {
		for _, p := range g.procs {
			s.disarm(p)
			s.stopProbe(p)
			if p.report != nil {
				p.report.Stop()
			}
		}
	}
	s.closeNotify()
	// Readers end at EOF; a grandchild may keep a pipe open, so after a
	// grace period their read ends are closed, which ends the reads.
	readersDone := make(chan struct{})
	go func() { s.readers.Wait(); close(readersDone) }()
	grace := time.NewTimer(time.Second)
	select {
	case <-readersDone:
	case <-grace.C:
		s.rmu.Lock()
		var open []*outReader
		for r := range s.rfiles {
			open = append(open, r)
		}
		s.rmu.Unlock()
		for _, r := range open {
			r.forceClose()
		}
		<-readersDone
	}
	grace.Stop()
	if s.opoll != nil {
		s.opoll.close()
	}
	for _, g := range s.groups {
		for _, p := range g.procs {
			p.closeLogs()
		}
	}
	if s.reaper != nil {
		s.reaper.stop()
	}
}

// post sends an event to the loop (dropped once Run has returned).
func (s *Supervisor) post(ev loopEvent) {
	select {
	case s.evs <- ev:
	case <-s.loopDone:
	}
}

func (s *Supervisor) handle(ev loopEvent) {
	switch ev.kind {
	case leExit:
		p := ev.p
		if p.oneshot != nil {
			s.oneshotExit(p, ev.pid, ev.status)
			return
		}
		if p.child != nil && p.child.pid == ev.pid && s.reaper != nil {
			p.child.osp.Release()
		}
		s.apply(p, event{kind: evExit, pid: ev.pid, status: ev.status})
	case leTimer:
		if ev.gen != ev.p.timerGen {
			return // stale
		}
		ev.p.timer = nil
		s.apply(ev.p, event{kind: evTimer, timer: ev.timer})
	case leTick:
		s.tick(time.Now())
	case leShutdownReport:
		s.shutdownReport()
	case leOneShotKill:
		s.oneshotKill(ev.p, ev.pid)
	case leProbe:
		s.probeResult(ev)
	case leNotify:
		s.notified(ev.pid, ev.pgid, ev.msg)
	case leStopReport:
		p := ev.p
		p.report = nil
		if p.m.state == Stopping && len(p.waiters) > 0 {
			s.log.Info(fmt.Sprintf("waiting for %s to stop", p.cfg.Name))
			s.armStopReport(p)
		}
	}
}

// apply runs the step function for p and carries out its actions.
func (s *Supervisor) apply(p *proc, ev event) {
	if ev.kind == evStart {
		p.depStopped = false
	}
	unhealthy := p.m.unhealthy
	acts := p.m.step(ev, time.Now(), s.Mood() == MoodRunning && !s.stopping)
	for _, a := range acts {
		s.do(p, a)
	}
	if p.probe != nil && (p.probe.pid != p.m.pid || (p.m.state != Starting && p.m.state != Running)) {
		s.stopProbe(p)
	}
	if p.m.unhealthy != unhealthy {
		s.healthEvent(p, unhealthy)
	}
	s.checkWaiters(p)
	s.settleDeps()
}

func (s *Supervisor) checkWaiters(p *proc) {
	if len(p.waiters) == 0 {
		return
	}
	ws := p.waiters
	p.waiters = nil
	var keep []func() bool
	for _, w := range ws {
		if !w() {
			keep = append(keep, w)
		}
	}
	p.waiters = append(keep, p.waiters...)
}

func (s *Supervisor) do(p *proc, a action) {
	switch a.kind {
	case actEmit:
		s.emit(events.Event{
			Type:      events.Type("PROCESS_STATE_" + a.to.String()),
			Process:   p.cfg.Name,
			Group:     p.g.cfg.Name,
			FromState: a.from.String(),
			Tries:     a.tries,
			Expected:  a.expected,
			PID:       a.pid,
			State:     a.to.String(),
		})
	case actLog:
		s.log.Log(context.Background(), a.level, a.msg)
	case actSpawn:
		if len(p.cfg.Deps) > 0 && !s.stopping {
			if why := s.depsBlock(p); why != "" {
				// STARTING without a child until the dependencies run.
				p.m.waiting = why
				s.startDeps(p)
				return
			}
		}
		pid, msg := s.runner.spawn(s, p)
		p.notifyStatus = "" // the last child's sd_notify STATUS=
		if msg == "" {
			s.pids[pid] = p
			s.recordSpawned(p.cfg, p.g.cfg.Name, pid)
		}
		if msg != "" {
			s.apply(p, event{kind: evSpawnFailed, msg: msg})
		} else {
			s.apply(p, event{kind: evSpawned, pid: pid})
		}
	case actKill:
		s.kill(p, a.pid, a.sig, a.group)
	case actTimer:
		s.arm(p, a.timer, a.after)
	case actCancel:
		s.disarm(p)
	case actProbe:
		s.startProbe(p, a.probe, a.pid)
	case actExited:
		p.notifyStatus = ""
		delete(s.pids, a.pid)
		s.recordExited(a.pid)
		if c := p.child; c != nil && c.pid == a.pid {
			if c.stdin != nil {
				c.stdin.Close()
			}
			if c.pidfd != nil {
				c.pidfd.Close()
			}
			if c.release != nil {
				c.release()
			}
			p.child = nil
		}
	}
}

func (s *Supervisor) kill(p *proc, pid int, sig syscall.Signal, group bool) {
	err := s.runner.signal(p, pid, sig, group)
	if err == nil {
		return
	}
	if err == os.ErrProcessDone || err == syscall.ESRCH {
		s.log.Debug(fmt.Sprintf("unable to signal %s (pid %d), it probably just exited on its own: %v", p.cfg.Name, pid, err))
		return
	}
	s.killErr = fmt.Sprintf("unknown problem killing %s (%d):%v", p.cfg.Name, pid, err)
	s.apply(p, event{kind: evKillFailed, msg: err.Error()})
}

func (s *Supervisor) arm(p *proc, k timerKind, d time.Duration) {
	s.disarm(p)
	gen := p.timerGen
	p.timer = time.AfterFunc(d, func() { s.post(loopEvent{kind: leTimer, p: p, gen: gen, timer: k}) })
}

func (s *Supervisor) disarm(p *proc) {
	p.timerGen++
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
}

func (s *Supervisor) armStopReport(p *proc) {
	if p.report != nil {
		return
	}
	p.report = time.AfterFunc(2*time.Second, func() { s.post(loopEvent{kind: leStopReport, p: p}) })
}

// emit publishes e on the bus (and to the test observer).
func (s *Supervisor) emit(e events.Event) {
	if s.opts.Bus != nil {
		s.opts.Bus.Publish(e)
	}
	if s.opts.observe != nil {
		s.opts.observe(e)
	}
}

func (s *Supervisor) emitting() bool { return s.opts.Bus != nil || s.opts.observe != nil }

// ---- groups ----

func (s *Supervisor) sortedGroups() []*group {
	gs := make([]*group, 0, len(s.groups))
	for _, g := range s.groups {
		gs = append(gs, g)
	}
	// supervisord sorts groups by priority alone, a stable sort of
	// the order they were added in.
	slices.SortFunc(gs, func(a, b *group) int {
		return cmp.Or(cmp.Compare(a.cfg.Priority, b.cfg.Priority), cmp.Compare(a.added, b.added))
	})
	return gs
}

// addedGroups returns the groups in the order they were added
// (supervisord's process_groups dict order).
func (s *Supervisor) addedGroups() []*group {
	gs := make([]*group, 0, len(s.groups))
	for _, g := range s.groups {
		gs = append(gs, g)
	}
	slices.SortFunc(gs, func(a, b *group) int { return cmp.Compare(a.added, b.added) })
	return gs
}

func (s *Supervisor) addGroup(gc *config.Group, cfg *config.Config) {
	s.groupSeq++
	g := &group{added: s.groupSeq, cfg: gc, env: cfg.Supervisord.Environment, byName: map[string]*proc{}}
	for _, pc := range gc.Processes {
		p := s.newProc(g, pc)
		g.procs = append(g.procs, p)
		g.byName[pc.Name] = p
	}
	// supervisord sorts a group's processes by priority alone (a
	// stable sort of the configured order) for group requests and
	// shutdown, and visits them in the configured order otherwise.
	slices.SortStableFunc(g.procs, func(a, b *proc) int { return cmp.Compare(a.cfg.Seq, b.cfg.Seq) })
	g.seq = slices.Clone(g.procs)
	slices.SortStableFunc(g.procs, func(a, b *proc) int { return cmp.Compare(a.cfg.Priority, b.cfg.Priority) })
	s.groups[gc.Name] = g
	if a, ok := s.opts.Listeners.(interface{ AddPool(*config.Group) }); ok && gc.Kind == config.KindEventListener {
		a.AddPool(gc) // before PROCESS_GROUP_ADDED, which creates the pool
	}
	s.emit(events.Event{Type: events.ProcessGroupAdded, Group: gc.Name})
}

// newProc makes the record of process pc of group g.
func (s *Supervisor) newProc(g *group, pc *config.Process) *proc {
	if len(pc.Deps) > 0 {
		s.anyDeps = true
	}
	p := &proc{cfg: pc, g: g, m: machine{name: pc.Name, cfg: pc}}
	stderr := !pc.RedirectStderr || g.cfg.Kind == config.KindEventListener
	if s.deferAuto && pc.Autostart && s.prefetchable(p) {
		// created by the spawn's preparation (prefetch.go), or by
		// resolveAuto before anything reads the paths
		p.stdoutAuto = pc.Stdout.File == "AUTO"
		p.stderrAuto = stderr && pc.Stderr.File == "AUTO"
	}
	if !p.stdoutAuto {
		p.stdoutPath = s.logPath(pc, "stdout", pc.Stdout.File)
	}
	if stderr && !p.stderrAuto {
		p.stderrPath = s.logPath(pc, "stderr", pc.Stderr.File)
	}
	return p
}

// resolveAuto creates p's AUTO log files still pending (see newProc).
func (s *Supervisor) resolveAuto(p *proc) {
	if p.stdoutAuto {
		p.stdoutAuto = false
		p.stdoutPath = s.logPath(p.cfg, "stdout", "AUTO")
	}
	if p.stderrAuto {
		p.stderrAuto = false
		p.stderrPath = s.logPath(p.cfg, "stderr", "AUTO")
	}
}

// resolveAllAuto ends a batch that deferred AUTO log files: every
// path is known before the loop answers anything.
func (s *Supervisor) resolveAllAuto(gs []*group) {
	s.deferAuto = false
	for _, g := range gs {
		for _, p := range g.procs {
			s.resolveAuto(p)
		}
	}
}

// startAutostart spawns, in order, every process never started with
// autostart=true: groups by priority, a group's processes in the
// configured order (supervisord's transition order, which ignores
// process priorities).
func (s *Supervisor) startAutostart(gs []*group) {
	var ps []*proc
	for _, g := range gs {
		for _, p := range g.seq {
			if p.m.state == Stopped && p.m.laststart.IsZero() && p.cfg.Autostart {
				ps = append(ps, p)
			}
		}
	}
	if s.Mood() == MoodRunning && !s.stopping && s.beginPrefetch(ps) {
		defer s.endPrefetch()
	}
	for _, p := range ps {
		if p.m.state == Stopped && p.m.laststart.IsZero() && p.cfg.Autostart {
			s.apply(p, event{kind: evStart})
		}
	}
}

// ---- shutdown ----

func (s *Supervisor) beginShutdown(force bool) {
	if !s.stopping {
		s.stopping = true
		s.emit(events.Event{Type: events.SupervisorStateChangeStopping})
		s.stopGroups = s.sortedGroups()
		s.advanceShutdown()
		s.shutdownReport()
	}
	if force && !s.forced {
		s.forced = true
		s.stopOneShots(true)
		for _, g := range s.groups {
			for _, p := range g.procs {
				switch {
				case p.m.state == Backoff:
					s.apply(p, event{kind: evGiveUp})
				case p.m.pid != 0:
					s.apply(p, event{kind: evStop, sig: syscall.SIGKILL})
				}
			}
		}
	}
}

// advanceShutdown is supervisord's ordered_stop_groups phases: stop the
// last group; once it is fully stopped, go on with the one before.
func (s *Supervisor) advanceShutdown() {
	for len(s.stopGroups) > 0 {
		g := s.stopGroups[len(s.stopGroups)-1]
		for i := len(g.procs) - 1; i >= 0; i-- {
			p := g.procs[i]
			if p.pendingStop != nil || !p.m.state.running() {
				continue
			}
			// Dependants stop first (reverse dependency order).
			if s.stopAfterDependants(p, event{kind: evStop}) {
				continue
			}
			switch p.m.state {
			case Running, Starting:
				s.apply(p, event{kind: evStop})
			case Backoff:
				s.apply(p, event{kind: evGiveUp})
			}
		}
		for _, p := range g.procs {
			if !p.m.state.stopped() {
				return
			}
		}
		s.stopGroups = s.stopGroups[:len(s.stopGroups)-1]
	}
	s.stopOneShots(false)
	// Every group is stopped, but a process in UNKNOWN (a kill failed)
	// may still have a child: kill it rather than wait forever.
	if !s.forced {
		for pid, p := range s.pids {
			if p.m.state == Unknown {
				s.log.Warn(fmt.Sprintf("killing '%s' (%d) with SIGKILL", p.cfg.Name, pid))
				s.runner.signal(p, pid, syscall.SIGKILL, false)
			}
		}
	}
}

func (s *Supervisor) shutdownReport() {
	s.reportTimer = nil
	var names []string
	// supervisord lists them in its dict orders, not by priority.
	for _, g := range s.addedGroups() {
		for _, p := range g.seq {
			if !p.m.state.stopped() {
				names = append(names, p.cfg.Name)
			}
		}
	}
	if len(names) == 0 {
		return
	}
	msg := "waiting for "
	for i, n := range names {
		if i > 0 {
			msg += ", "
		}
		msg += n
	}
	s.log.Info(msg + " to die")
	s.reportTimer = time.AfterFunc(3*time.Second, func() { s.post(loopEvent{kind: leShutdownReport}) })
}

// ---- ticks ----

var tickTypes = []struct {
	period int64
	typ    events.Type
}{{5, events.Tick5}, {60, events.Tick60}, {3600, events.Tick3600}}

func (s *Supervisor) startTicks() {
	now := time.Now()
	s.ticks = map[int64]int64{}
	for _, t := range tickTypes {
		s.ticks[t.period] = now.Unix() - now.Unix()%t.period
	}
	s.armTick(now)
}

func (s *Supervisor) armTick(now time.Time) {
	next := time.Unix(now.Unix()-now.Unix()%5+5, 0)
	s.tickTimer = time.AfterFunc(next.Sub(now), func() { s.post(loopEvent{kind: leTick}) })
}

func (s *Supervisor) tick(now time.Time) {
	for _, t := range tickTypes {
		slice := now.Unix() - now.Unix()%t.period
		if slice != s.ticks[t.period] {
			s.ticks[t.period] = slice
			s.emit(events.Event{Type: t.typ, When: slice})
		}
	}
	s.armTick(now)
}
