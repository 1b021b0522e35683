package process

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/superd/superd/pkg/config"
)

// This file holds the loop's side of superd's runtime group operations
// (issue 11): rolling restarts, scaling a homogeneous group, and starts
// and stops that report what they did to dependencies. Like every API
// call they run on the loop; their waits are continuations that the
// loop resolves (waiters, and s.later for the next step), so nothing
// here blocks the loop.

// maxScale bounds superd.scaleGroup as config bounds numprocs.
const maxScale = 100000

// Step is the outcome for one process of a rolling restart, a scale, or
// of a start or stop that also acted on dependencies.
type Step struct {
	Name, Group string
	// Reason says why a process other than the named one was acted on
	// ("web depends on it", "depends on db"), or why it was not
	// ("not restarted: workers:w-1 failed").
	Reason string
	Err    error // nil for success
}

func stepOf(p *proc, reason string, err error) Step {
	return Step{Name: p.cfg.Name, Group: p.g.cfg.Name, Reason: reason, Err: err}
}

// later runs f on the loop once the current request or event is done,
// so a continuation never re-enters apply from inside a waiter. f is
// dropped if the loop ends first (the caller's call() then answers
// SHUTDOWN_STATE).
func (s *Supervisor) later(f func()) {
	go func() {
		select {
		case s.reqs <- f:
		case <-s.loopDone:
		}
	}()
}

// RollingRestart restarts the processes of a group ("g", "g:*"; or one
// process "g:p") batch at a time, in the configured order: each is
// stopped (its dependants are left running) and started again, and the
// next batch begins once every process of this one is RUNNING (with
// ready=, RUNNING means ready). The first failure ends it: the failed
// process's step carries the error and the processes not restarted get
// a step saying so. A stopped process is just started.
func (s *Supervisor) RollingRestart(ctx context.Context, name string, batch int) ([]Step, error) {
	if batch < 1 {
		return nil, &Error{Kind: KindBadArguments, Detail: fmt.Sprintf("batch must be at least 1, not %d", batch)}
	}
	gn, pn := SplitNamespec(name)
	single := strings.Contains(name, ":") && pn != ""
	return call(ctx, s, func(reply func([]Step, error)) {
		if err := s.busy(); err != nil {
			reply(nil, err)
			return
		}
		g := s.groups[gn]
		if g == nil {
			reply(nil, &Error{Kind: KindBadName, Detail: name})
			return
		}
		ps := slices.Clone(g.seq)
		if single {
			p := g.byName[pn]
			if p == nil {
				reply(nil, &Error{Kind: KindBadName, Detail: name})
				return
			}
			ps = []*proc{p}
		}
		s.log.Info(fmt.Sprintf("rolling restart of %s: %d processes, %d at a time", name, len(ps), batch))
		steps := []Step{}
		var next func(i int)
		next = func(i int) {
			if i >= len(ps) {
				s.log.Info(fmt.Sprintf("rolling restart of %s done", name))
				reply(steps, nil)
				return
			}
			if err := s.busy(); err != nil {
				for _, p := range ps[i:] {
					steps = append(steps, stepOf(p, "not restarted: superd is stopping", err))
				}
				reply(steps, nil)
				return
			}
			b := ps[i:min(i+batch, len(ps))]
			res := make([]Step, len(b))
			pending := len(b)
			for j, p := range b {
				s.restartOne(p, func(err error) {
					res[j] = stepOf(p, "", err)
					if pending--; pending > 0 {
						return
					}
					steps = append(steps, res...)
					for _, r := range res {
						if r.Err != nil {
							failed := Namespec(r.Group, r.Name)
							s.log.Warn(fmt.Sprintf("rolling restart of %s stopped: %s failed to restart", name, failed))
							for _, q := range ps[i+len(b):] {
								steps = append(steps, stepOf(q, "not restarted: "+failed+" failed", nil))
							}
							reply(steps, nil)
							return
						}
					}
					s.later(func() { next(i + len(b)) })
				})
			}
		}
		next(0)
	})
}

// restartOne stops p without its dependants and starts it again,
// answering once it is RUNNING or has failed.
func (s *Supervisor) restartOne(p *proc, done func(error)) {
	name := namespecOf(p)
	start := func() {
		if _, ok := p.g.byName[p.cfg.Name]; !ok || s.groups[p.g.cfg.Name] != p.g {
			done(&Error{Kind: KindBadName, Detail: name}) // removed meanwhile
			return
		}
		s.startOne(p, name, true, done)
	}
	if !p.m.state.running() {
		start()
		return
	}
	s.stopOneDeps(p, name, true, false, func(err error) {
		if err != nil && KindOf(err) != KindNotRunning {
			done(err)
			return
		}
		s.later(start)
	})
}

// ScaleGroup changes the number of processes of a homogeneous group (a
// [program:x] section) to n. New processes get the next process_num
// after the highest one, are named and configured from the section's
// template (config.Scaling) and started; the call answers once they are
// RUNNING or have failed. Surplus processes are stopped, highest
// process_num first (their dependants are left running), and removed.
// The group then differs from the configuration, so reread/update
// bring it back to the configured numprocs.
func (s *Supervisor) ScaleGroup(ctx context.Context, name string, n int) ([]Step, error) {
	gn, _ := SplitNamespec(name)
	return call(ctx, s, func(reply func([]Step, error)) {
		if err := s.busy(); err != nil {
			reply(nil, err)
			return
		}
		g := s.groups[gn]
		if g == nil {
			reply(nil, &Error{Kind: KindBadName, Detail: name})
			return
		}
		sc := g.cfg.Scaling
		switch {
		case sc == nil:
			reply(nil, &Error{Kind: KindBadArguments, Detail: gn + " is not a homogeneous group (only the processes of one [program:x] or [fcgi-program:x] section can be scaled)"})
			return
		case n < 0 || n > maxScale:
			reply(nil, &Error{Kind: KindBadArguments, Detail: fmt.Sprintf("the number of processes must be 0 to %d, not %d", maxScale, n)})
			return
		case n > 1 && !sc.CanScale():
			reply(nil, &Error{Kind: KindBadArguments, Detail: fmt.Sprintf("process_name of [%s:%s] does not use %%(process_num): more than one process would have the same name", g.cfg.Kind, gn)})
			return
		}
		cur := len(g.procs)
		switch {
		case n > cur:
			s.log.Info(fmt.Sprintf("scaling %s from %d to %d processes", gn, cur, n))
			s.scaleUp(g, n, reply)
		case n < cur:
			s.log.Info(fmt.Sprintf("scaling %s from %d to %d processes", gn, cur, n))
			s.scaleDown(g, n, reply)
		default:
			reply([]Step{}, nil)
		}
	})
}

func (s *Supervisor) scaleUp(g *group, n int, reply func([]Step, error)) {
	sc := g.cfg.Scaling
	top, seq := sc.NumprocsStart-1, -1
	var deps []string
	for _, p := range g.procs {
		top, seq = max(top, p.cfg.ProcessNum), max(seq, p.cfg.Seq)
		deps = p.cfg.Deps
	}
	if deps == nil {
		if lg := s.latest.Group(g.cfg.Name); lg != nil && len(lg.Processes) > 0 {
			deps = lg.Processes[0].Deps
		}
	}
	var pcs []*config.Process
	for num := top + 1; len(g.procs)+len(pcs) < n; num++ {
		pc, err := sc.Process(num, n)
		if err != nil {
			reply(nil, &Error{Kind: KindFailed, Detail: fmt.Sprintf("cannot configure process %d of %s: %v", num, g.cfg.Name, err)})
			return
		}
		if g.byName[pc.Name] != nil || slices.ContainsFunc(pcs, func(q *config.Process) bool { return q.Name == pc.Name }) {
			reply(nil, &Error{Kind: KindFailed, Detail: fmt.Sprintf("process %s of %s already exists", pc.Name, g.cfg.Name)})
			return
		}
		seq++
		pc.Seq, pc.Deps, pc.Group = seq, deps, g.cfg.Name
		pcs = append(pcs, pc)
	}
	gc := *g.cfg
	gc.Processes = append(slices.Clone(g.cfg.Processes), pcs...)
	slices.SortStableFunc(gc.Processes, func(a, b *config.Process) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), cmp.Compare(a.Name, b.Name))
	})
	g.cfg = &gc
	var added []*proc
	for _, pc := range pcs {
		p := s.newProc(g, pc)
		g.byName[pc.Name] = p
		g.seq = append(g.seq, p)
		added = append(added, p)
	}
	g.procs = slices.Clone(g.seq)
	slices.SortStableFunc(g.procs, func(a, b *proc) int { return cmp.Compare(a.cfg.Priority, b.cfg.Priority) })
	s.forEach(added, func(*proc) bool { return true },
		func(p *proc, n string, done func(error)) { s.startOne(p, n, true, done) },
		func(rs []Result, err error) { reply(resultSteps(rs, "added"), err) })
}

func (s *Supervisor) scaleDown(g *group, n int, reply func([]Step, error)) {
	victims := slices.Clone(g.seq)
	slices.SortStableFunc(victims, func(a, b *proc) int { return cmp.Compare(b.cfg.ProcessNum, a.cfg.ProcessNum) })
	victims = victims[:len(victims)-n]
	steps := make([]Step, len(victims))
	pending := len(victims)
	for i, p := range victims {
		s.stopOneDeps(p, namespecOf(p), true, false, func(err error) {
			if KindOf(err) == KindNotRunning {
				err = nil
			}
			s.later(func() {
				if err == nil {
					err = s.removeProc(p)
				}
				steps[i] = stepOf(p, "removed", err)
				if pending--; pending == 0 {
					reply(steps, nil)
				}
			})
		})
	}
}

// removeProc removes a stopped process from its group (scale down).
func (s *Supervisor) removeProc(p *proc) error {
	g := p.g
	if !p.m.state.stopped() || p.m.pid != 0 {
		return &Error{Kind: KindStillRunning, Detail: namespecOf(p)}
	}
	s.disarm(p)
	s.stopProbe(p)
	if p.report != nil {
		p.report.Stop()
	}
	p.closeLogs()
	not := func(q *proc) bool { return q == p }
	g.procs = slices.DeleteFunc(slices.Clone(g.procs), not)
	g.seq = slices.DeleteFunc(slices.Clone(g.seq), not)
	delete(g.byName, p.cfg.Name)
	gc := *g.cfg
	gc.Processes = slices.DeleteFunc(slices.Clone(g.cfg.Processes), func(pc *config.Process) bool { return pc == p.cfg })
	g.cfg = &gc
	s.log.Info(fmt.Sprintf("removed: %s (scaled down)", namespecOf(p)))
	s.retainListen() // its own listen_reuseport sockets
	return nil
}

func resultSteps(rs []Result, reason string) []Step {
	out := make([]Step, 0, len(rs))
	for _, r := range rs {
		out = append(out, Step{Name: r.Name, Group: r.Group, Reason: reason, Err: r.Err})
	}
	return out
}

// depClosure returns the processes reachable from p through next
// (dependencies or dependants), nearest first, with the process each
// was reached from.
func depClosure(p *proc, next func(*proc) []*proc) (order []*proc, via map[*proc]*proc) {
	via = map[*proc]*proc{p: nil}
	queue := []*proc{p}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, q := range next(x) {
			if _, seen := via[q]; !seen {
				via[q] = x
				order = append(order, q)
				queue = append(queue, q)
			}
		}
	}
	return order, via
}

// farthestFirst orders a depClosure farthest first, keeping the
// closure's order (the configured one) among processes at the same
// distance.
func farthestFirst(order []*proc, via map[*proc]*proc) []*proc {
	dist := func(q *proc) int {
		n := 0
		for ; via[q] != nil; q = via[q] {
			n++
		}
		return n
	}
	out := slices.Clone(order)
	slices.SortStableFunc(out, func(a, b *proc) int { return dist(b) - dist(a) })
	return out
}

func (s *Supervisor) depsOf(p *proc) []*proc {
	var out []*proc
	for _, d := range p.cfg.Deps {
		if q := s.procByFull(d); q != nil {
			out = append(out, q)
		}
	}
	return out
}

// StartWithDeps is StartProcess for one process that also reports the
// dependencies it started first (Reason "web depends on it", farthest
// first). With wait it also gives up, with a FAILED error saying what
// the process waits for, once a dependency is FATAL (the process stays
// STARTING until the dependency runs again).
func (s *Supervisor) StartWithDeps(ctx context.Context, name string, wait bool) ([]Step, error) {
	return call(ctx, s, func(reply func([]Step, error)) {
		if err := s.busy(); err != nil {
			reply(nil, err)
			return
		}
		p, err := s.lookupProcess(name)
		if err != nil {
			reply(nil, err)
			return
		}
		deps, via := depClosure(p, s.depsOf)
		before := map[*proc]time.Time{}
		for _, q := range deps {
			before[q] = q.m.laststart
		}
		started := func() []Step {
			steps := []Step{}
			for _, q := range farthestFirst(deps, via) {
				if !q.m.laststart.Equal(before[q]) {
					steps = append(steps, stepOf(q, namespecOf(via[q])+" depends on it", nil))
				}
			}
			return steps
		}
		resolved := false
		finish := func(err error) {
			if !resolved {
				resolved = true
				reply(started(), err)
			}
		}
		s.startOne(p, name, false, func(err error) {
			if err != nil || !wait || p.m.state == Running {
				finish(err)
				return
			}
			if p.m.state != Starting {
				finish(&Error{Kind: KindAbnormalTermination, Detail: name})
				return
			}
			check := func() bool {
				switch {
				case resolved:
				case p.m.spawnErr != "":
					finish(&Error{Kind: KindSpawnError, Detail: name})
				case p.m.state == Running:
					finish(nil)
				case p.m.state != Starting:
					finish(&Error{Kind: KindAbnormalTermination, Detail: name})
				case p.m.pid == 0 && p.m.waiting != "" && s.depFatal(p):
					finish(&Error{Kind: KindFailed, Detail: name + " is " + s.depsBlock(p)})
				default:
					return false
				}
				return true
			}
			if check() {
				return
			}
			p.waiters = append(p.waiters, check)
			for _, q := range deps {
				q.waiters = append(q.waiters, check)
			}
		})
	})
}

// StopWithDeps is StopProcess for one process that also reports the
// dependants it stopped first (Reason "depends on db", in the order
// they were stopped). With noDeps the dependants are left running.
func (s *Supervisor) StopWithDeps(ctx context.Context, name string, wait, noDeps bool) ([]Step, error) {
	return call(ctx, s, func(reply func([]Step, error)) {
		if err := s.busy(); err != nil {
			reply(nil, err)
			return
		}
		p, err := s.lookupProcess(name)
		if err != nil {
			reply(nil, err)
			return
		}
		var dependants []*proc
		var via map[*proc]*proc
		if !noDeps {
			dependants, via = depClosure(p, s.liveDependants)
		}
		before := map[*proc]bool{}
		for _, q := range dependants {
			before[q] = q.m.state.running()
		}
		s.stopOneDeps(p, name, wait, !noDeps, func(err error) {
			steps := []Step{}
			for _, q := range farthestFirst(dependants, via) {
				if before[q] && (!q.m.state.running() || q.pendingStop != nil) {
					steps = append(steps, stepOf(q, "depends on "+namespecOf(via[q]), nil))
				}
			}
			reply(steps, err)
		})
	})
}
