package daemon

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/jobs"
	"github.com/superd/superd/pkg/process"
	"github.com/superd/superd/pkg/rpc"
	"github.com/superd/superd/pkg/state"
)

// daemonJobs is the daemon's side of the scheduled jobs: the scheduler
// of the current supervisor (a new one per restart, like the
// supervisor) and the state store, opened the first time a
// configuration has a job and kept until superd exits (bbolt's file
// lock is per open). mu guards both; it is a leaf lock.
type daemonJobs struct {
	mu    sync.Mutex
	sched *jobs.Scheduler
	store *state.Store
	// ready is closed when the first scheduler is set: the sockets
	// answer before serve starts it, and job requests wait for it.
	ready chan struct{}
	isSet bool
}

func (dj *daemonJobs) readyCh() chan struct{} {
	if dj.ready == nil {
		dj.ready = make(chan struct{})
	}
	return dj.ready
}

// startJobs makes and starts the scheduler for sup (call it before
// sup.Run, so the scheduler sees the supervisor's STOPPING event). It
// stops by itself when the supervisor begins to stop (runs in progress
// are stopped and recorded as interrupted); the returned function waits
// for it to end.
func (d *daemon) startJobs(ctx context.Context, sup *process.Supervisor, cfg *config.Config) func() {
	dj := &d.jobs
	sched, err := jobs.New(cfg, jobs.Options{
		Logger:  d.log,
		Bus:     d.bus,
		Spawner: sup,
		OpenStore: func() (jobs.Store, error) {
			dj.mu.Lock()
			defer dj.mu.Unlock()
			if dj.store == nil {
				// The daemon's store, opened at start-up for crash
				// recovery (children.go): bbolt's file lock is per
				// open, so a second Open in this process would wait
				// for the first one and fail.
				if d.store != nil {
					return d.store, nil
				}
				dir := cfg.StateDirectory()
				st, err := state.Open(dir)
				if err != nil {
					return nil, err
				}
				dj.store = st
			}
			return dj.store, nil
		},
		NotRunning: func(ctx context.Context, names []string) string { return notRunning(ctx, sup, names) },
	})
	if err != nil {
		d.log.Error("jobs: " + err.Error())
		return func() {}
	}
	sub := d.bus.Subscribe(events.SupervisorStateChangeStopping)
	dj.mu.Lock()
	dj.sched = sched
	if !dj.isSet {
		dj.isSet = true
		close(dj.readyCh())
	}
	dj.mu.Unlock()
	go sched.Run(ctx)
	go func() {
		defer sub.Close()
		select {
		case <-sub.C():
			sched.Stop(false)
		case <-sched.Done():
		}
	}()
	return func() {
		sched.Stop(false)
		<-sched.Done()
	}
}

// closeJobs closes the state store the jobs opened themselves (at
// exit; the daemon's own store is closed by cleanup).
func (d *daemon) closeJobs() {
	d.jobs.mu.Lock()
	defer d.jobs.mu.Unlock()
	if d.jobs.store != nil {
		d.jobs.store.Close()
		d.jobs.store = nil
	}
}

// notRunning is the requires= check: the first named program that is
// not RUNNING, as "postgres is STOPPED".
func notRunning(ctx context.Context, sup *process.Supervisor, names []string) string {
	infos, err := sup.AllProcessInfo(ctx)
	if err != nil {
		return "cannot check requires: " + err.Error()
	}
	return requiresNotRunning(infos, names)
}

// requiresNotRunning is notRunning on a snapshot: a name matches a
// process by its name, its group, or group:name (also web:web for a
// single program, as supervisorctl takes it).
func requiresNotRunning(infos []process.Info, names []string) string {
	for _, n := range names {
		found := false
		for _, in := range infos {
			if in.Name != n && in.Group+":"+in.Name != n && in.Group != n {
				continue
			}
			found = true
			if in.State != process.Running {
				return fmt.Sprintf("%s is %s", n, in.State)
			}
		}
		if !found {
			return fmt.Sprintf("%s is not a configured program", n)
		}
	}
	return ""
}

// reloadJobs applies a re-read configuration's jobs (reloadConfig,
// i.e. reread/update): added, changed and removed jobs take effect at
// once.
func (d *daemon) reloadJobs(ctx context.Context, cfg *config.Config) {
	s := d.scheduler()
	if s == nil {
		return
	}
	a, c, r, err := s.Update(ctx, cfg)
	if err != nil {
		d.log.Warn("jobs: not updated: " + err.Error())
		return
	}
	if len(a)+len(c)+len(r) > 0 {
		d.log.Info(fmt.Sprintf("jobs updated: added %s; changed %s; removed %s", list(a), list(c), list(r)))
	}
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func (d *daemon) scheduler() *jobs.Scheduler {
	d.jobs.mu.Lock()
	defer d.jobs.mu.Unlock()
	return d.jobs.sched
}

// ---- rpc.JobsBackend ----

// jobFaults is the one table from jobs error kinds to fault codes.
var jobFaults = map[jobs.Kind]struct {
	code int
	name string
}{
	jobs.KindFailed:         {rpc.Failed, "FAILED"},
	jobs.KindBadName:        {rpc.BadName, "BAD_NAME"},
	jobs.KindBadArguments:   {rpc.BadArguments, "BAD_ARGUMENTS"},
	jobs.KindAlreadyStarted: {rpc.AlreadyStarted, "ALREADY_STARTED"},
	jobs.KindShutdown:       {rpc.ShutdownState, "SHUTDOWN_STATE"},
}

func jobFault(err error) error {
	if err == nil {
		return nil
	}
	var je *jobs.Error
	if errors.As(err, &je) {
		fc := jobFaults[je.Kind]
		s := fc.name
		if je.Detail != "" {
			s += ": " + je.Detail
		}
		return &rpc.Fault{Code: fc.code, String: s}
	}
	return toFault(err)
}

var _ rpc.JobsBackend = backend{}

func (b backend) sched(ctx context.Context) (*jobs.Scheduler, error) {
	b.d.jobs.mu.Lock()
	ready := b.d.jobs.readyCh()
	b.d.jobs.mu.Unlock()
	select {
	case <-ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s := b.d.scheduler()
	if s == nil || b.d.stopping() {
		return nil, &rpc.Fault{Code: rpc.ShutdownState, String: "SHUTDOWN_STATE"}
	}
	return s, nil
}

func jobInfo(in jobs.Info) rpc.JobInfo {
	out := rpc.JobInfo{
		Name: in.Name, Command: in.Command, Schedule: in.Schedule, ScheduleSource: in.ScheduleSource,
		Description: in.Description, Timezone: in.Timezone, Overlap: in.Overlap, Enabled: in.Enabled, Held: in.Held,
		Running: in.Running, PID: in.PID, LastResult: in.LastResult, LastExitStatus: in.LastExitStatus,
		LastSkipReason: in.LastSkipReason, Queued: in.Queued, Runs: in.Runs, Failures: in.Failures,
	}
	if !in.LastStart.IsZero() {
		out.LastStart = in.LastStart.Unix()
	}
	if !in.LastEnd.IsZero() {
		out.LastEnd = in.LastEnd.Unix()
		out.LastDuration = in.LastEnd.Sub(in.LastStart).Seconds()
	}
	if !in.LastSkipped.IsZero() {
		out.LastSkipped = in.LastSkipped.Unix()
	}
	if !in.NextRun.IsZero() {
		out.NextRun = in.NextRun.Unix()
	}
	return out
}

func (b backend) AllJobInfo(ctx context.Context) ([]rpc.JobInfo, error) {
	s, err := b.sched(ctx)
	if err != nil {
		return nil, err
	}
	infos, err := s.AllInfo(ctx)
	if err != nil {
		return nil, jobFault(err)
	}
	out := make([]rpc.JobInfo, 0, len(infos))
	for _, in := range infos {
		out = append(out, jobInfo(in))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (b backend) JobInfo(ctx context.Context, name string) (rpc.JobInfo, error) {
	s, err := b.sched(ctx)
	if err != nil {
		return rpc.JobInfo{}, err
	}
	in, err := s.Info(ctx, name)
	if err != nil {
		return rpc.JobInfo{}, jobFault(err)
	}
	return jobInfo(in), nil
}

func (b backend) RunJob(ctx context.Context, name string) error {
	s, err := b.sched(ctx)
	if err != nil {
		return err
	}
	return jobFault(s.RunNow(ctx, name))
}

func (b backend) EnableJob(ctx context.Context, name string) error {
	s, err := b.sched(ctx)
	if err != nil {
		return err
	}
	return jobFault(s.SetEnabled(ctx, name, true))
}

func (b backend) DisableJob(ctx context.Context, name string) error {
	s, err := b.sched(ctx)
	if err != nil {
		return err
	}
	return jobFault(s.SetEnabled(ctx, name, false))
}

func (b backend) SetJobSchedule(ctx context.Context, name, spec string) error {
	s, err := b.sched(ctx)
	if err != nil {
		return err
	}
	return jobFault(s.SetSchedule(ctx, name, spec))
}

func (b backend) HoldJobs(ctx context.Context) error {
	s, err := b.sched(ctx)
	if err != nil {
		return err
	}
	return jobFault(s.SetHeld(ctx, true))
}

func (b backend) ReleaseJobs(ctx context.Context) error {
	s, err := b.sched(ctx)
	if err != nil {
		return err
	}
	return jobFault(s.SetHeld(ctx, false))
}

func (b backend) JobHistory(ctx context.Context, name string, limit int) ([]rpc.JobRun, error) {
	s, err := b.sched(ctx)
	if err != nil {
		return nil, err
	}
	runs, err := s.History(ctx, name, limit)
	if err != nil {
		return nil, jobFault(err)
	}
	out := make([]rpc.JobRun, 0, len(runs))
	for _, r := range runs {
		jr := rpc.JobRun{Start: r.Start.Unix(), Result: r.Result, ExitStatus: r.ExitStatus, Trigger: r.Trigger,
			SkipReason: r.SkipReason, OutputBytes: int(r.OutputBytes)}
		if !r.End.IsZero() {
			jr.End = r.End.Unix()
			jr.Duration = r.End.Sub(r.Start).Seconds()
		}
		if !r.Due.IsZero() {
			jr.Due = r.Due.Unix()
			jr.Lateness = r.Start.Sub(r.Due).Seconds()
		}
		out = append(out, jr)
	}
	return out, nil
}

func (b backend) JobNextRuns(ctx context.Context, name string, count int) ([]int64, error) {
	s, err := b.sched(ctx)
	if err != nil {
		return nil, err
	}
	ts, err := s.NextRuns(ctx, name, count)
	if err != nil {
		return nil, jobFault(err)
	}
	out := make([]int64, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Unix())
	}
	return out, nil
}

func (b backend) JobLogPath(ctx context.Context, name string) (string, error) {
	s, err := b.sched(ctx)
	if err != nil {
		return "", err
	}
	in, err := s.Info(ctx, name)
	if err != nil {
		return "", jobFault(err)
	}
	return in.StdoutLogfile, nil
}
