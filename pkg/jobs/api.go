package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/logfile"
	"github.com/superd/superd/pkg/schedule"
	"github.com/superd/superd/pkg/state"
)

// Kind classifies the API's errors; internal/daemon maps each to an
// XML-RPC fault.
type Kind int

const (
	KindFailed         Kind = iota
	KindBadName             // no such job
	KindBadArguments        // a bad schedule spec
	KindAlreadyStarted      // runJob while an overlap=skip run is in progress
	KindShutdown            // the scheduler is stopping
)

// Error is an API error.
type Error struct {
	Kind   Kind
	Detail string
}

func (e *Error) Error() string { return e.Detail }

// Info is a snapshot of one job.
type Info struct {
	Name, Command  string
	Schedule       string // effective spec
	ScheduleSource string // config or override
	Description    string
	Timezone       string
	Overlap        string
	Enabled, Held  bool
	Running        bool
	PID            int
	LastStart      time.Time
	LastEnd        time.Time
	LastResult     string // never ok failed skipped timeout interrupted
	LastExitStatus int
	LastSkipped    time.Time
	LastSkipReason string
	NextRun        time.Time // zero when disabled, held or never
	Queued         int
	Runs, Failures int
	// StdoutLogfile is the job's output log ("" none).
	StdoutLogfile string
}

// call runs fn on the loop and waits for its result.
func call[T any](ctx context.Context, s *Scheduler, fn func() (T, error)) (T, error) {
	var zero T
	type res struct {
		v   T
		err error
	}
	ch := make(chan res, 1)
	req := func() {
		v, err := fn()
		ch <- res{v, err}
	}
	select {
	case s.reqs <- req:
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-s.loopDone:
		return zero, &Error{Kind: KindShutdown, Detail: "the scheduler has stopped"}
	}
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

func (s *Scheduler) lookup(name string) (*job, error) {
	j := s.jobs[name]
	if j == nil {
		return nil, &Error{Kind: KindBadName, Detail: name}
	}
	return j, nil
}

func (s *Scheduler) info(j *job) Info {
	in := Info{
		Name: j.cfg.Name, Command: j.cfg.Process.Command, Schedule: j.cfg.Spec(), ScheduleSource: "config",
		Timezone: j.cfg.Timezone, Overlap: j.cfg.Overlap, Enabled: j.enabled, Held: s.held,
		Running: len(j.runs) > 0, LastResult: ResultNever, NextRun: j.next, Queued: len(j.queue),
		Runs: j.rec.Runs, Failures: j.rec.Failures, StdoutLogfile: j.stdoutPath,
	}
	if j.sched != nil {
		in.Schedule, in.Description = j.sched.Spec(), j.sched.Describe()
	}
	if j.override != "" {
		in.ScheduleSource = "override"
	}
	if len(j.runs) > 0 {
		in.PID = j.runs[0].pid
	}
	if n := len(j.history); n > 0 {
		h := j.history[n-1]
		in.LastStart, in.LastEnd, in.LastResult, in.LastExitStatus = h.Start, h.End, h.Result, h.ExitStatus
		for i := n - 1; i >= 0; i-- {
			if j.history[i].Result == ResultSkipped {
				in.LastSkipped, in.LastSkipReason = j.history[i].Start, j.history[i].SkipReason
				break
			}
		}
	}
	return in
}

// AllInfo returns every job, sorted by name.
func (s *Scheduler) AllInfo(ctx context.Context) ([]Info, error) {
	return call(ctx, s, func() ([]Info, error) {
		out := make([]Info, 0, len(s.names))
		for _, n := range s.names {
			out = append(out, s.info(s.jobs[n]))
		}
		return out, nil
	})
}

// Info returns one job.
func (s *Scheduler) Info(ctx context.Context, name string) (Info, error) {
	return call(ctx, s, func() (Info, error) {
		j, err := s.lookup(name)
		if err != nil {
			return Info{}, err
		}
		return s.info(j), nil
	})
}

// RunNow runs the job now (manual trigger), also while held or
// disabled. With overlap=skip and a run in progress it fails with
// KindAlreadyStarted; otherwise the overlap policy decides when it
// starts (queue: after the current run; replace: after stopping it).
func (s *Scheduler) RunNow(ctx context.Context, name string) error {
	_, err := call(ctx, s, func() (struct{}, error) {
		if s.stopping {
			return struct{}{}, &Error{Kind: KindShutdown, Detail: "the scheduler is stopping"}
		}
		j, err := s.lookup(name)
		if err != nil {
			return struct{}{}, err
		}
		if len(j.runs) > 0 && j.cfg.Overlap == "skip" {
			return struct{}{}, &Error{Kind: KindAlreadyStarted, Detail: name}
		}
		s.trigger(j, TriggerManual, time.Time{})
		return struct{}{}, nil
	})
	return err
}

// SetEnabled enables or disables the job's schedule (persisted). A run
// in progress goes on.
func (s *Scheduler) SetEnabled(ctx context.Context, name string, on bool) error {
	_, err := call(ctx, s, func() (struct{}, error) {
		j, err := s.lookup(name)
		if err != nil {
			return struct{}{}, err
		}
		if j.enabled != on {
			j.enabled = on
			now := time.Now()
			if on {
				s.resumed(j, now)
			}
			j.last = now
			s.plan(j, now)
			s.changed(name, map[bool]string{true: "enabled", false: "disabled"}[on])
		}
		j.rec.Enabled = &on
		if on == j.cfg.Enabled {
			j.rec.Enabled = nil
		}
		s.w.put(state.JobWrite{Name: name, Record: recCopy(j.rec)})
		return struct{}{}, nil
	})
	return err
}

// SetSchedule overrides the job's schedule with spec ("interval 05:00",
// "times 08:00,20:00", "schedule */5 * * * *"), persisted; "" resets it
// to the configured one. A bad spec fails with KindBadArguments.
func (s *Scheduler) SetSchedule(ctx context.Context, name, spec string) error {
	_, err := call(ctx, s, func() (struct{}, error) {
		j, err := s.lookup(name)
		if err != nil {
			return struct{}{}, err
		}
		var sched schedule.Schedule
		override := ""
		if spec == "" {
			sched, err = schedule.Parse(j.cfg.ScheduleKind, j.cfg.ScheduleText, j.cfg.Location)
		} else {
			sched, err = schedule.ParseSpec(spec, j.cfg.Location)
			if err == nil {
				override = sched.Spec()
			}
		}
		if err != nil {
			return struct{}{}, &Error{Kind: KindBadArguments, Detail: err.Error()}
		}
		j.sched, j.override = sched, override
		j.rec.Override = override
		now := time.Now()
		j.last = now
		s.plan(j, now)
		s.changed(name, "schedule")
		s.w.put(state.JobWrite{Name: name, Record: recCopy(j.rec)})
		return struct{}{}, nil
	})
	return err
}

// SetHeld holds (no scheduled run starts) or releases all jobs
// (persisted). Runs in progress go on; manual runs still start.
func (s *Scheduler) SetHeld(ctx context.Context, held bool) error {
	_, err := call(ctx, s, func() (struct{}, error) {
		if s.held != held {
			s.held = held
			now := time.Now()
			for _, j := range s.jobs {
				if !held && j.enabled && s.resumed(j, now) {
					s.w.put(state.JobWrite{Name: j.cfg.Name, Record: recCopy(j.rec)})
				}
				j.last = now
				s.plan(j, now)
			}
			s.changed("", map[bool]string{true: "held", false: "released"}[held])
		}
		h := held
		s.w.put(state.JobWrite{Hold: &h})
		return struct{}{}, nil
	})
	return err
}

// ReopenLogs reopens every job's output log files (SIGUSR2, as for
// programs: after an external logrotate moved them away).
func (s *Scheduler) ReopenLogs(ctx context.Context) error {
	_, err := call(ctx, s, func() (struct{}, error) {
		var errs []error
		for _, j := range s.jobs {
			for _, w := range []*logfile.Writer{j.stdout, j.stderr} {
				if w != nil {
					errs = append(errs, w.Reopen())
				}
			}
		}
		return struct{}{}, errors.Join(errs...)
	})
	return err
}

// History returns up to limit runs of the job, newest first (limit <=
// 0: all kept).
func (s *Scheduler) History(ctx context.Context, name string, limit int) ([]state.Run, error) {
	return call(ctx, s, func() ([]state.Run, error) {
		j, err := s.lookup(name)
		if err != nil {
			return nil, err
		}
		out := slices.Clone(j.history)
		// newest first by start time (runs are recorded as they end)
		slices.SortStableFunc(out, func(a, b state.Run) int { return b.Start.Compare(a.Start) })
		if limit > 0 && len(out) > limit {
			out = out[:limit]
		}
		return out, nil
	})
}

// NextRuns returns the next n fire times of the job's effective
// schedule (whether or not it is enabled or held).
func (s *Scheduler) NextRuns(ctx context.Context, name string, n int) ([]time.Time, error) {
	return call(ctx, s, func() ([]time.Time, error) {
		j, err := s.lookup(name)
		if err != nil {
			return nil, err
		}
		if j.sched == nil {
			return nil, nil
		}
		return schedule.NextN(j.sched, time.Now(), n), nil
	})
}

// Update applies a new configuration (reread/update): jobs added,
// changed (new options; history, override and enabled flag kept; a run
// in progress goes on) and removed (a run in progress is stopped). It
// returns the names of each.
func (s *Scheduler) Update(ctx context.Context, cfg *config.Config) (added, changed, removed []string, err error) {
	type res struct{ a, c, r []string }
	out, err := call(ctx, s, func() (res, error) {
		if s.stopping {
			return res{}, &Error{Kind: KindShutdown, Detail: "the scheduler is stopping"}
		}
		a, c, r := config.DiffJobs(s.cfg, cfg)
		old := s.cfg
		s.ensureStore(cfg)
		s.cfg = cfg
		now := time.Now()
		for _, name := range r {
			if j := s.jobs[name]; j != nil {
				s.log.Info(fmt.Sprintf("job %s: removed", name))
				s.removeJob(j)
			}
		}
		for _, name := range c {
			j := s.jobs[name]
			jc := cfg.Job(name)
			if j == nil || jc == nil {
				continue
			}
			s.changeJob(j, old.Job(name), jc, now)
		}
		for _, name := range a {
			jc := cfg.Job(name)
			rec := state.JobRecord{}
			if s.opts.Store != nil {
				if p, err := s.opts.Store.LoadJobs(); err == nil {
					rec = p.Records[name]
					rec.Removed = time.Time{}
					rec.LastFire = time.Time{}
				}
			}
			s.log.Info(fmt.Sprintf("job %s: added", name))
			s.addJob(jc, rec, now, false)
		}
		s.prune(now)
		for _, l := range []struct {
			names []string
			how   string
		}{{a, "added"}, {c, "changed"}, {r, "removed"}} {
			for _, name := range l.names {
				s.changed(name, l.how)
			}
		}
		return res{a, c, r}, nil
	})
	return out.a, out.c, out.r, err
}

func (s *Scheduler) changeJob(j *job, oc, jc *config.Job, now time.Time) {
	s.log.Info(fmt.Sprintf("job %s: changed", jc.Name))
	j.cfg = jc
	if jc.Enabled != oc.Enabled && j.rec.Enabled == nil {
		j.enabled = jc.Enabled
		if j.enabled && !s.held && s.resumed(j, now) {
			s.w.put(state.JobWrite{Name: jc.Name, Record: recCopy(j.rec)})
		}
	}
	sched, err := schedule.Parse(jc.ScheduleKind, jc.ScheduleText, jc.Location)
	if err != nil {
		s.log.Error(fmt.Sprintf("job %s: %v", jc.Name, err))
	}
	if j.override == "" || err != nil {
		j.sched = sched
	} else if o, err := schedule.ParseSpec(j.override, jc.Location); err == nil {
		j.sched = o
	}
	if len(j.runs) == 0 && (oc.Process.Stdout != jc.Process.Stdout || oc.Process.Stderr != jc.Process.Stderr ||
		oc.Process.RedirectStderr != jc.Process.RedirectStderr) {
		j.closeLogs()
		s.openLogs(j)
	}
	j.last = now
	s.plan(j, now)
}
