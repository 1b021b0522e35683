package process

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/logfile"
)

// call runs fn on the loop goroutine and waits for the reply it gives
// (possibly later, from the loop, for waits).
func call[T any](ctx context.Context, s *Supervisor, fn func(reply func(T, error))) (T, error) {
	var zero T
	type res struct {
		v   T
		err error
	}
	ch := make(chan res, 1)
	req := func() {
		fn(func(v T, err error) {
			select {
			case ch <- res{v, err}:
			default:
			}
		})
	}
	select {
	case s.reqs <- req:
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-s.loopDone:
		return zero, &Error{Kind: KindShutdownState}
	}
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-s.loopDone:
		select {
		case r := <-ch:
			return r.v, r.err
		default:
		}
		return zero, &Error{Kind: KindShutdownState}
	}
}

// busy reports SHUTDOWN_STATE for changing requests once stopping.
func (s *Supervisor) busy() error {
	if s.stopping || s.Mood() < MoodRunning {
		return &Error{Kind: KindShutdownState}
	}
	return nil
}

func (s *Supervisor) lookup(name string) (*group, *proc, error) {
	gn, pn := SplitNamespec(name)
	g := s.groups[gn]
	if g == nil {
		return nil, nil, &Error{Kind: KindBadName, Detail: name}
	}
	if pn == "" {
		return g, nil, nil
	}
	p := g.byName[pn]
	if p == nil {
		return nil, nil, &Error{Kind: KindBadName, Detail: name}
	}
	return g, p, nil
}

// lookupProcess is lookup for methods that take no group.
func (s *Supervisor) lookupProcess(name string) (*proc, error) {
	_, p, err := s.lookup(name)
	if err == nil && p == nil {
		err = &Error{Kind: KindBadName, Detail: name}
	}
	return p, err
}

// allProcs returns processes in (group priority, process priority) order.
func (s *Supervisor) allProcs() []*proc {
	var ps []*proc
	for _, g := range s.sortedGroups() {
		ps = append(ps, g.procs...)
	}
	return ps
}

func namespecOf(p *proc) string { return Namespec(p.g.cfg.Name, p.cfg.Name) }

// forEach is supervisord's make_allfunc: f runs for every process that
// pred accepts (at call time); reply gets the results once all are done.
func (s *Supervisor) forEach(ps []*proc, pred func(*proc) bool, f func(p *proc, name string, done func(error)),
	reply func([]Result, error)) {
	// Results are in the order of ps (supervisord's order, which
	// supervisorctl prints), not in the order the processes finish.
	var results []Result
	pending := 1
	finish := func() {
		pending--
		if pending == 0 {
			if results == nil {
				results = []Result{}
			}
			reply(results, nil)
		}
	}
	for _, p := range ps {
		if !pred(p) {
			continue
		}
		pending++
		i := len(results)
		results = append(results, Result{Name: p.cfg.Name, Group: p.g.cfg.Name})
		f(p, namespecOf(p), func(err error) {
			results[i].Err = err
			finish()
		})
	}
	finish()
}

// startOne is supervisord's startProcess for one process.
func (s *Supervisor) startOne(p *proc, name string, wait bool, done func(error)) {
	if _, _, err := resolveCommand(p.g.env, p.cfg); err != nil {
		var ce *cmdError
		errors.As(err, &ce)
		done(&Error{Kind: ce.kind, Detail: ce.msg})
		return
	}
	// A delayed restart (restart_delay, BACKOFF) may be started now;
	// otherwise supervisord's ALREADY_STARTED for every running state.
	if p.m.state.running() && (p.m.state != Backoff || p.m.restartAt.IsZero()) {
		done(&Error{Kind: KindAlreadyStarted, Detail: name})
		return
	}
	if p.m.state == Unknown {
		done(&Error{Kind: KindFailed, Detail: name + " is in an unknown process state"})
		return
	}
	s.apply(p, event{kind: evStart})
	if p.m.spawnErr != "" {
		done(&Error{Kind: KindSpawnError, Detail: name})
		return
	}
	if !wait || p.m.state == Running {
		done(nil)
		return
	}
	if p.m.state != Starting {
		// Not started (STOPPING: the old process is still alive):
		// supervisord's first onwait check fails at once.
		done(&Error{Kind: KindAbnormalTermination, Detail: name})
		return
	}
	s.awaitStart(p, name, done)
}

// awaitStart answers done once p, STARTING, is RUNNING or has failed
// (supervisord's onwait of startProcess).
func (s *Supervisor) awaitStart(p *proc, name string, done func(error)) {
	resolved := false
	w := func() bool {
		switch {
		case resolved:
		case p.m.spawnErr != "":
			done(&Error{Kind: KindSpawnError, Detail: name})
		case p.m.state == Running:
			done(nil)
		case p.m.state != Starting:
			done(&Error{Kind: KindAbnormalTermination, Detail: name})
		case p.m.pid == 0 && p.m.waiting != "" && s.depFatal(p):
			// Waiting for a dependency that gave up (superd
			// lifecycle): it may never run, so do not wait forever.
			done(&Error{Kind: KindAbnormalTermination, Detail: name})
		default:
			return false
		}
		resolved = true
		return true
	}
	if w() { // a dependency that is not added changes nothing later
		return
	}
	p.waiters = append(p.waiters, w)
	if len(p.cfg.Deps) > 0 {
		deps, _ := depClosure(p, s.depsOf)
		for _, q := range deps {
			q.waiters = append(q.waiters, w)
		}
	}
}

// depFatal reports whether a dependency of p (direct or not) is FATAL
// or not added: p may never start, so a start does not wait forever.
func (s *Supervisor) depFatal(p *proc) bool {
	deps, _ := depClosure(p, s.depsOf)
	deps = append(deps, p)
	return slices.ContainsFunc(deps, func(q *proc) bool {
		return q.m.state == Fatal && q != p || slices.ContainsFunc(q.cfg.Deps, s.notAdded)
	})
}

// stopOne is supervisord's stopProcess for one process.
func (s *Supervisor) stopOne(p *proc, name string, wait bool, done func(error)) {
	s.stopOneDeps(p, name, wait, true, done)
}

// stopOneDeps is stopOne; with deps false the process's dependants are
// left running (superctl stop --no-deps, rolling restarts, scale down).
func (s *Supervisor) stopOneDeps(p *proc, name string, wait, deps bool, done func(error)) {
	p.depStopped = false // stopped on purpose: not started again with its dependencies
	if !p.m.state.running() {
		s.cancelPacedRestart(p)
		done(&Error{Kind: KindNotRunning, Detail: name})
		return
	}
	if p.m.state != Backoff && p.m.pid == 0 && p.m.waiting == "" {
		done(&Error{Kind: KindFailed, Detail: fmt.Sprintf("attempted to kill %s with sig %s but it wasn't running",
			p.cfg.Name, SignalName(p.cfg.StopSignal))})
		return
	}
	s.killErr = ""
	if p.pendingStop == nil && (!deps || !s.stopAfterDependants(p, event{kind: evStop})) {
		s.apply(p, event{kind: evStop})
	}
	if p.m.state == Unknown && s.killErr != "" {
		done(&Error{Kind: KindFailed, Detail: s.killErr})
		return
	}
	if !wait || p.m.state.stopped() {
		done(nil)
		return
	}
	s.log.Info(fmt.Sprintf("waiting for %s to stop", p.cfg.Name))
	s.armStopReport(p)
	p.waiters = append(p.waiters, func() bool {
		if p.m.state.stopped() {
			done(nil)
			return true
		}
		return false
	})
}

func (s *Supervisor) signalOne(p *proc, name string, sig syscall.Signal) error {
	if !p.m.state.signallable() || p.m.pid == 0 {
		return &Error{Kind: KindNotRunning, Detail: name}
	}
	s.log.Debug(fmt.Sprintf("sending %s (pid %d) sig %s", p.cfg.Name, p.m.pid, SignalName(sig)))
	err := s.runner.signal(p, p.m.pid, sig, false)
	if err == nil || err == os.ErrProcessDone || errors.Is(err, syscall.ESRCH) {
		return nil
	}
	msg := fmt.Sprintf("unknown problem sending sig %s (%d):%v", p.cfg.Name, p.m.pid, err)
	s.log.Log(context.Background(), LevelCritical, msg)
	for _, a := range p.m.change(Unknown, true) {
		s.do(p, a)
	}
	s.checkWaiters(p)
	return &Error{Kind: KindFailed, Detail: msg}
}

// validSignal accepts supervisord's SIGNUMS on Linux: every value of a
// signal module name starting with SIG (0-31, SIGRTMIN 34, SIGRTMAX 64;
// 0 comes from SIG_DFL and sends no signal, as kill(pid, 0)).
func validSignal(sig syscall.Signal) error {
	if sig < 0 || sig > 31 && sig != 34 && sig != 64 {
		return &Error{Kind: KindBadSignal, Detail: fmt.Sprint(int(sig))}
	}
	return nil
}

// fullName makes a group call's BAD_NAME carry the name as given
// ("nosuch:*"), as supervisord's _getGroupAndProcess raises it.
func fullName(err error, name string) error {
	if KindOf(err) == KindBadName {
		return &Error{Kind: KindBadName, Detail: name}
	}
	return err
}

// onProcess runs act in the loop on the process name (not "g:*"),
// after the shutdown-state and name checks; act answers through done.
func (s *Supervisor) onProcess(ctx context.Context, name string, act func(p *proc, done func(error))) error {
	_, err := call(ctx, s, func(reply func(struct{}, error)) {
		if err := s.busy(); err != nil {
			reply(struct{}{}, err)
			return
		}
		_, p, err := s.lookup(name)
		if err != nil {
			reply(struct{}{}, err)
			return
		}
		act(p, func(err error) { reply(struct{}{}, err) })
	})
	return err
}

// onMany runs act in the loop on every process that want selects: of
// the group of name, or of every group when all is set (the *All
// methods). The reply comes when every act has answered.
func (s *Supervisor) onMany(ctx context.Context, name string, all bool, want func(*proc) bool,
	act func(p *proc, n string, done func(error))) ([]Result, error) {
	return s.onManyPrefetch(ctx, name, all, want, nil, act)
}

// onManyPrefetch is onMany; spawns, when set, selects the processes
// whose spawn act certainly starts, which are prepared off the loop
// (prefetch.go) while it runs.
func (s *Supervisor) onManyPrefetch(ctx context.Context, name string, all bool, want func(*proc) bool,
	spawns func(*proc) bool, act func(p *proc, n string, done func(error))) ([]Result, error) {
	gn, _ := SplitNamespec(name)
	return call(ctx, s, func(reply func([]Result, error)) {
		if err := s.busy(); err != nil {
			reply(nil, err)
			return
		}
		ps := s.allProcs()
		if !all {
			g := s.groups[gn]
			if g == nil {
				reply(nil, &Error{Kind: KindBadName, Detail: gn})
				return
			}
			ps = slices.Clone(g.procs)
		}
		if spawns != nil {
			var sp []*proc
			for _, p := range ps {
				if want(p) && spawns(p) {
					sp = append(sp, p)
				}
			}
			if s.beginPrefetch(sp) {
				defer s.endPrefetch()
			}
		}
		s.forEach(ps, want, act, reply)
	})
}

func notRunning(p *proc) bool { return !p.m.state.running() }

// cancelPacedRestart drops the automatic restart an EXITED process may
// be waiting for (a crash loop is restarted a second after its previous
// start): a stop request finds it not running, as supervisord does, but
// it then stays stopped instead of coming back.
func (s *Supervisor) cancelPacedRestart(p *proc) {
	if p.m.state == Exited {
		s.disarm(p)
	}
}
func isRunning(p *proc) bool { return p.m.state.running() }

// StartProcess starts name ("x", "g:x"; "g:*" dispatches to
// StartGroup, whose per-process results are then dropped: call
// StartGroup to get them). With wait it returns when the process is
// RUNNING or has failed, without blocking the loop.
func (s *Supervisor) StartProcess(ctx context.Context, name string, wait bool) error {
	if _, p := SplitNamespec(name); p == "" {
		_, err := s.StartGroup(ctx, name, wait)
		return fullName(err, name)
	}
	return s.onProcess(ctx, name, func(p *proc, done func(error)) { s.startOne(p, name, wait, done) })
}

// StartGroup starts every process of a group that is not running.
func (s *Supervisor) StartGroup(ctx context.Context, name string, wait bool) ([]Result, error) {
	pred, act := s.startMany(wait)
	return s.onManyPrefetch(ctx, name, false, pred, startSpawns, act)
}

// StartAll starts every process that is not running.
func (s *Supervisor) StartAll(ctx context.Context, wait bool) ([]Result, error) {
	pred, act := s.startMany(wait)
	return s.onManyPrefetch(ctx, "", true, pred, startSpawns, act)
}

// startMany returns the predicate and action of a group or all start.
// supervisord checks "is it not running" for each process when its
// turn comes; with dependencies, starting an earlier process may
// already have started a later one (its dependency), which must still
// get its result as it would from supervisord: so a process not
// running when the call began counts, and one already started for a
// dependant is waited for instead of answered ALREADY_STARTED.
func (s *Supervisor) startMany(wait bool) (func(*proc) bool, func(p *proc, n string, done func(error))) {
	var was map[*proc]time.Time  // laststart of the processes not running at the call
	pred := func(p *proc) bool { // runs on the loop
		if !s.anyDeps {
			return notRunning(p)
		}
		if was == nil { // the first call comes before any start
			was = map[*proc]time.Time{}
			for _, q := range s.allProcs() {
				if notRunning(q) {
					was[q] = q.m.laststart
				}
			}
		}
		_, ok := was[p]
		return ok
	}
	return pred, func(p *proc, n string, done func(error)) {
		if !s.anyDeps || notRunning(p) || p.m.laststart.Equal(was[p]) {
			s.startOne(p, n, wait, done)
			return
		}
		// Started meanwhile by this call, for a dependant.
		switch {
		case p.m.spawnErr != "":
			done(&Error{Kind: KindSpawnError, Detail: n})
		case !wait || p.m.state == Running:
			done(nil)
		case p.m.state != Starting:
			done(&Error{Kind: KindAbnormalTermination, Detail: n})
		default:
			s.awaitStart(p, n, done)
		}
	}
}

// startSpawns reports whether startOne spawns p (when its command
// resolves, which the preparation checks first).
func startSpawns(p *proc) bool {
	return p.m.state == Stopped || p.m.state == Exited || p.m.state == Fatal
}

// StopProcess stops name ("g:*" dispatches to StopGroup).
func (s *Supervisor) StopProcess(ctx context.Context, name string, wait bool) error {
	if _, p := SplitNamespec(name); p == "" {
		_, err := s.StopGroup(ctx, name, wait)
		return fullName(err, name)
	}
	return s.onProcess(ctx, name, func(p *proc, done func(error)) { s.stopOne(p, name, wait, done) })
}

// StopGroup stops every running process of a group, in ascending
// priority order as supervisord's stopProcessGroup.
func (s *Supervisor) StopGroup(ctx context.Context, name string, wait bool) ([]Result, error) {
	pred, act := s.stopMany(wait)
	return s.onMany(ctx, name, false, pred, act)
}

// StopAll stops every running process.
func (s *Supervisor) StopAll(ctx context.Context, wait bool) ([]Result, error) {
	pred, act := s.stopMany(wait)
	return s.onMany(ctx, "", true, pred, act)
}

// stopMany returns the predicate and action of a group or all stop.
// supervisord checks "is it running" for each process when its turn
// comes; with dependencies, stopping an earlier process may already
// have stopped a later one (its dependant), which must still get its
// "stopped" result as it would from supervisord: so a process running
// when the call began counts, and one already stopping for a dependency
// is waited for instead of stopped again.
func (s *Supervisor) stopMany(wait bool) (func(*proc) bool, func(p *proc, n string, done func(error))) {
	stop := func(p *proc, n string, done func(error)) { s.stopOne(p, n, wait, done) }
	var was map[*proc]bool
	pred := func(p *proc) bool { // runs on the loop
		s.cancelPacedRestart(p)
		// A target of this stop, running or stopped for a dependency
		// before: not started again with its dependencies.
		p.depStopped = false
		if !s.anyDeps {
			return isRunning(p)
		}
		if was == nil { // the first call comes before any stop
			was = map[*proc]bool{}
			for _, q := range s.allProcs() {
				was[q] = q.m.state.running()
			}
		}
		return was[p]
	}
	return pred, func(p *proc, n string, done func(error)) {
		if !s.anyDeps || p.m.state.running() || p.m.state == Unknown {
			stop(p, n, done)
			return
		}
		if !wait || p.m.state.stopped() {
			done(nil)
			return
		}
		p.waiters = append(p.waiters, func() bool {
			if p.m.state.stopped() {
				done(nil)
				return true
			}
			return false
		})
	}
}

// SignalProcess sends sig to the process (never its group).
func (s *Supervisor) SignalProcess(ctx context.Context, name string, sig syscall.Signal) error {
	if _, p := SplitNamespec(name); p == "" {
		_, err := s.SignalGroup(ctx, name, sig)
		return fullName(err, name)
	}
	_, err := call(ctx, s, func(reply func(struct{}, error)) {
		if err := s.busy(); err != nil {
			reply(struct{}{}, err)
			return
		}
		_, p, err := s.lookup(name)
		if err == nil {
			err = validSignal(sig)
		}
		if err == nil {
			err = s.signalOne(p, name, sig)
		}
		reply(struct{}{}, err)
	})
	return err
}

func (s *Supervisor) signalMany(ps []*proc, sig syscall.Signal, reply func([]Result, error)) {
	s.forEach(ps, func(p *proc) bool { return p.m.state.signallable() },
		func(p *proc, n string, done func(error)) {
			err := validSignal(sig)
			if err == nil {
				err = s.signalOne(p, n, sig)
			}
			done(err)
		}, reply)
}

// SignalGroup signals every signallable process of a group.
func (s *Supervisor) SignalGroup(ctx context.Context, name string, sig syscall.Signal) ([]Result, error) {
	gn, _ := SplitNamespec(name)
	return call(ctx, s, func(reply func([]Result, error)) {
		g := s.groups[gn]
		if g == nil {
			reply(nil, &Error{Kind: KindBadName, Detail: gn})
			return
		}
		if err := s.busy(); err != nil {
			reply(nil, err)
			return
		}
		s.signalMany(slices.Clone(g.procs), sig, reply)
	})
}

// SignalAll signals every signallable process.
func (s *Supervisor) SignalAll(ctx context.Context, sig syscall.Signal) ([]Result, error) {
	return call(ctx, s, func(reply func([]Result, error)) {
		s.signalMany(s.allProcs(), sig, func(r []Result, err error) {
			if err == nil {
				err = s.busy()
			}
			reply(r, err)
		})
	})
}

// SendStdin writes data to the process's stdin. The write happens in the
// caller's goroutine, so a child that does not read blocks only it, and
// only until ctx ends (then it returns ctx's error).
func (s *Supervisor) SendStdin(ctx context.Context, name string, data []byte) error {
	f, err := call(ctx, s, func(reply func(*os.File, error)) {
		if err := s.busy(); err != nil {
			reply(nil, err)
			return
		}
		p, err := s.lookupProcess(name)
		if err != nil {
			reply(nil, err)
			return
		}
		if p.m.pid == 0 || p.m.killing || p.child == nil {
			reply(nil, &Error{Kind: KindNotRunning, Detail: name})
			return
		}
		if p.child.stdin == nil { // fcgi-program: stdin is the socket
			reply(nil, &Error{Kind: KindNoFile, Detail: name})
			return
		}
		reply(p.child.stdin, nil)
	})
	if err != nil {
		return err
	}
	// A caller that goes away (the XML-RPC client closed its
	// connection) stops waiting for a child that does not read: else
	// each abandoned call kept a goroutine, its connection and its data
	// until the child read or exited. The pipe is non-blocking, so a
	// past deadline ends the Write; it is cleared again for the next
	// caller.
	canceled := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		f.SetWriteDeadline(time.Now())
		close(canceled)
	})
	_, err = f.Write(data)
	if !stop() { // the func has started: let it finish first
		<-canceled
		f.SetWriteDeadline(time.Time{})
		if err != nil {
			return ctx.Err()
		}
	}
	if err != nil {
		return &Error{Kind: KindNoFile, Detail: name}
	}
	return nil
}

func (s *Supervisor) info(p *proc, now time.Time) Info {
	return Info{
		Name: p.cfg.Name, Group: p.g.cfg.Name, State: p.m.state,
		Start: p.m.laststart, Stop: p.m.laststop, Now: now,
		PID: p.m.pid, ExitStatus: p.m.exitStatus, SpawnErr: p.m.spawnErr,
		StdoutLogfile: p.stdoutPath, StderrLogfile: p.stderrPath,
		Config: p.cfg, GroupPriority: p.g.cfg.Priority,
		Waiting: p.m.waiting, RestartAt: p.m.restartAt, RestartWhy: p.m.restartWhy,
		Unhealthy: p.m.unhealthy, NotifyStatus: p.notifyStatus,
		StdoutBytes: p.outBytes[0].Load(), StderrBytes: p.outBytes[1].Load(),
		LogDropped: dropped(p.stdoutLog) + dropped(p.stderrLog),
	}
}

// dropped is what w could not write to its file (0 for no log).
func dropped(w *logfile.Writer) int64 {
	if w == nil {
		return 0
	}
	return w.Dropped()
}

// ProcessInfo returns a snapshot of one process.
func (s *Supervisor) ProcessInfo(ctx context.Context, name string) (Info, error) {
	return call(ctx, s, func(reply func(Info, error)) {
		p, err := s.lookupProcess(name)
		if err != nil {
			reply(Info{}, err)
			return
		}
		reply(s.info(p, time.Now()), nil)
	})
}

// AllProcessInfo returns snapshots sorted by group name, then process name.
func (s *Supervisor) AllProcessInfo(ctx context.Context) ([]Info, error) {
	return AllProcessInfoAs(ctx, s, func(i Info) Info { return i })
}

// AllProcessInfoAs is AllProcessInfo with each snapshot converted by
// conv, so that a caller that needs another type (the XML-RPC backend)
// builds its slice directly rather than from a copy of every Info
// (280 bytes a process, 280 KB of garbage per call at N=1000). conv
// runs on the Supervisor's goroutine: it must be quick and must not
// call the Supervisor.
func AllProcessInfoAs[T any](ctx context.Context, s *Supervisor, conv func(Info) T) ([]T, error) {
	return call(ctx, s, func(reply func([]T, error)) {
		now := time.Now()
		n := 0
		for _, g := range s.groups {
			n += len(g.procs)
		}
		procs := make([]*proc, 0, n)
		for _, g := range s.groups {
			procs = append(procs, g.procs...)
		}
		slices.SortFunc(procs, func(a, b *proc) int {
			return cmp.Or(cmp.Compare(a.g.cfg.Name, b.g.cfg.Name), cmp.Compare(a.cfg.Name, b.cfg.Name))
		})
		out := make([]T, len(procs))
		for i, p := range procs {
			// By value: a pointer to info would make it escape,
			// one heap Info per process again.
			out[i] = conv(s.info(p, now))
		}
		reply(out, nil)
	})
}

// AllConfigInfo returns every process of the latest configuration
// (active or not), sorted by name.
func (s *Supervisor) AllConfigInfo(ctx context.Context) ([]ConfigInfo, error) {
	return call(ctx, s, func(reply func([]ConfigInfo, error)) {
		out := []ConfigInfo{}
		for _, g := range s.latest.Groups {
			_, inuse := s.groups[g.Name]
			for _, pc := range g.Processes {
				out = append(out, ConfigInfo{Process: pc, GroupPriority: g.Priority, InUse: inuse, Scaling: g.Scaling})
			}
		}
		slices.SortStableFunc(out, func(a, b ConfigInfo) int { return cmp.Compare(a.Process.Name, b.Process.Name) })
		reply(out, nil)
	})
}

// Reload records cfg as the latest configuration and returns the group
// diff against the active groups (reloadConfig). Nothing is applied.
func (s *Supervisor) Reload(ctx context.Context, cfg *config.Config) (added, changed, removed []string, err error) {
	type diff struct{ a, c, r []string }
	d, err := call(ctx, s, func(reply func(diff, error)) {
		if err := s.busy(); err != nil {
			reply(diff{}, err)
			return
		}
		s.latest = cfg
		var d diff
		d.a, d.c, d.r = s.diffToActive()
		reply(d, nil)
	})
	return d.a, d.c, d.r, err
}

// diffToActive is supervisord's diff_to_active: added and changed in the
// order of the latest configuration, removed in active (start) order.
func (s *Supervisor) diffToActive() (added, changed, removed []string) {
	added, changed, removed = []string{}, []string{}, []string{}
	for _, g := range s.latest.Groups {
		cur := s.groups[g.Name]
		switch {
		case cur == nil:
			added = append(added, g.Name)
		case groupChanged(cur, s.latest, g):
			changed = append(changed, g.Name)
		}
	}
	for _, g := range s.sortedGroups() {
		if s.latest.Group(g.cfg.Name) == nil {
			removed = append(removed, g.cfg.Name)
		}
	}
	return added, changed, removed
}

// groupChanged reports whether an active group differs from its new
// configuration, by config.Diff's rules (supervisord's
// ProcessGroupConfig.__eq__), each side with the [supervisord]
// environment it was loaded with.
func groupChanged(cur *group, newCfg *config.Config, ng *config.Group) bool {
	oldC := &config.Config{Supervisord: config.Supervisord{Environment: cur.env}, Groups: []*config.Group{cur.cfg}}
	newC := &config.Config{Supervisord: config.Supervisord{Environment: newCfg.Supervisord.Environment},
		Groups: []*config.Group{ng}}
	_, changed, _ := config.Diff(oldC, newC)
	return len(changed) > 0
}

// AddGroup activates group name from the latest configuration and
// starts its autostart processes.
func (s *Supervisor) AddGroup(ctx context.Context, name string) error {
	_, err := call(ctx, s, func(reply func(struct{}, error)) {
		if err := s.busy(); err != nil {
			reply(struct{}{}, err)
			return
		}
		gc := s.latest.Group(name)
		if gc == nil {
			reply(struct{}{}, &Error{Kind: KindBadName, Detail: name})
			return
		}
		if s.groups[name] != nil {
			reply(struct{}{}, &Error{Kind: KindAlreadyAdded, Detail: name})
			return
		}
		if err := s.socks.ProbeGroup(gc); err != nil {
			reply(struct{}{}, &Error{Kind: KindFailed, Detail: err.Error()})
			return
		}
		s.deferAuto = s.canPrefetch()
		s.addGroup(gc, s.latest)
		s.openListen(gc)
		s.startAutostart([]*group{s.groups[name]})
		s.resolveAllAuto([]*group{s.groups[name]})
		reply(struct{}{}, nil)
	})
	return err
}

// RemoveGroup removes a group whose processes are all stopped.
func (s *Supervisor) RemoveGroup(ctx context.Context, name string) error {
	_, err := call(ctx, s, func(reply func(struct{}, error)) {
		if err := s.busy(); err != nil {
			reply(struct{}{}, err)
			return
		}
		g := s.groups[name]
		if g == nil {
			reply(struct{}{}, &Error{Kind: KindBadName, Detail: name})
			return
		}
		for _, p := range g.procs {
			if !p.m.state.stopped() || p.m.pid != 0 {
				reply(struct{}{}, &Error{Kind: KindStillRunning, Detail: name})
				return
			}
		}
		for _, p := range g.procs {
			s.disarm(p)
			p.closeLogs()
		}
		delete(s.groups, name)
		s.retainListen()
		s.emit(events.Event{Type: events.ProcessGroupRemoved, Group: name})
		reply(struct{}{}, nil)
	})
	return err
}

// LogPath returns the current log file of a process channel ("stdout"
// or "stderr"); "" if it has none.
func (s *Supervisor) LogPath(ctx context.Context, name, channel string) (string, error) {
	return call(ctx, s, func(reply func(string, error)) {
		p, err := s.lookupProcess(name)
		if err != nil {
			reply("", err)
			return
		}
		switch channel {
		case "stdout":
			reply(p.stdoutPath, nil)
		case "stderr":
			reply(p.stderrPath, nil)
		default:
			reply("", &Error{Kind: KindBadArguments, Detail: channel})
		}
	})
}

func (s *Supervisor) clearLogs(p *proc) error {
	for _, w := range []*logfile.Writer{p.stdoutLog, p.stderrLog} {
		if w != nil {
			if err := w.Clear(); err != nil {
				return &Error{Kind: KindFailed, Detail: namespecOf(p)}
			}
		}
	}
	return nil
}

// ClearLogs truncates a process's log files.
func (s *Supervisor) ClearLogs(ctx context.Context, name string) error {
	_, err := call(ctx, s, func(reply func(struct{}, error)) {
		if err := s.busy(); err != nil {
			reply(struct{}{}, err)
			return
		}
		p, err := s.lookupProcess(name)
		if err == nil {
			if err = s.clearLogs(p); err != nil {
				err = &Error{Kind: KindFailed, Detail: name}
			}
		}
		reply(struct{}{}, err)
	})
	return err
}

// ClearAllLogs clears every process's logs.
func (s *Supervisor) ClearAllLogs(ctx context.Context) ([]Result, error) {
	return call(ctx, s, func(reply func([]Result, error)) {
		if err := s.busy(); err != nil {
			reply(nil, err)
			return
		}
		s.forEach(s.allProcs(), func(*proc) bool { return true },
			func(p *proc, _ string, done func(error)) { done(s.clearLogs(p)) }, reply)
	})
}

// ReopenLogs reopens every child log file (SIGUSR2).
func (s *Supervisor) ReopenLogs(ctx context.Context) error {
	_, err := call(ctx, s, func(reply func(struct{}, error)) {
		var errs []error
		for _, g := range s.groups {
			for _, p := range g.procs {
				for _, w := range []*logfile.Writer{p.stdoutLog, p.stderrLog} {
					if w != nil {
						errs = append(errs, w.Reopen())
					}
				}
			}
		}
		reply(struct{}{}, errors.Join(errs...))
	})
	return err
}
