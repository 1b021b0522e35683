package jobs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/logfile"
	"github.com/superd/superd/pkg/process"
	"github.com/superd/superd/pkg/schedule"
	"github.com/superd/superd/pkg/state"
)

// Spawner starts and signals one-shot children; *process.Supervisor
// implements it.
type Spawner interface {
	StartOneShot(ctx context.Context, o *process.OneShot) (int, error)
	SignalOneShot(ctx context.Context, pid int, sig syscall.Signal, group bool) error
}

// Store is the persistence the scheduler needs; *state.Store
// implements it.
type Store interface {
	LoadJobs() (state.Jobs, error)
	History(name string, limit int) ([]state.Run, error)
	WriteJobs(ws []state.JobWrite) error
	PruneJobs(present map[string]bool, now time.Time) error
}

// Options configures a Scheduler.
type Options struct {
	Logger *slog.Logger
	Bus    *events.Bus
	// Spawner runs the children (required).
	Spawner Spawner
	// Store persists overrides, enabled flags, the hold and history;
	// nil keeps them in memory only.
	Store Store
	// OpenStore, if set (and Store nil), is called to get the store the
	// first time the configuration has a job, so a superd without jobs
	// never creates a state directory.
	OpenStore func() (Store, error)
	// NotRunning, if set, is asked before a run whose job has
	// requires=: it returns a reason ("postgres is STOPPED") when one of
	// the programs is not RUNNING, "" when all are. It is called on the
	// scheduler's goroutine.
	NotRunning func(ctx context.Context, programs []string) string
	// NotifyTimeout is how long a notifier (notify_command, sendmail)
	// may run before it is killed with its process group; 0 means
	// DefaultNotifyTimeout.
	NotifyTimeout time.Duration
}

// DefaultNotifyTimeout bounds a notifier's run, so that a hung one
// (a webhook that never answers) does not stay forever, one more at
// each failure.
const DefaultNotifyTimeout = 5 * time.Minute

// Scheduler runs the jobs of a configuration.
type Scheduler struct {
	opts Options
	log  *slog.Logger

	reqs     chan func()
	stop     chan bool // true: force
	loopDone chan struct{}
	done     chan struct{}
	runOnce  atomic.Bool

	inboxMu sync.Mutex // guards inbox; leaf lock
	inbox   []func()
	wake    chan struct{}

	w *writer

	// owned by the loop
	cfg      *config.Config
	jobs     map[string]*job
	names    []string // sorted
	held     bool
	timer    *time.Timer
	stopping bool
	forced   bool
	runSeq   uint64
	ctx      context.Context
	lastWake time.Time
}

// run results
const (
	ResultNever       = "never"
	ResultOK          = "ok"
	ResultFailed      = "failed"
	ResultSkipped     = "skipped"
	ResultTimeout     = "timeout"
	ResultInterrupted = "interrupted"
)

// triggers
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
	TriggerCatchup  = "catchup"
	TriggerRetry    = "retry"
)

// maxQueued bounds the runs queued behind a running one (overlap=queue).
const maxQueued = 10

// maxWait is the longest the loop sleeps, so that a wall-clock step
// (NTP, suspend) is noticed within a minute.
const maxWait = time.Minute

type job struct {
	cfg      *config.Job
	sched    schedule.Schedule // effective
	override string            // canonical spec of the override, "" none
	enabled  bool
	rec      state.JobRecord

	last   time.Time // wall-clock time of the last Due evaluation
	next   time.Time // next fire time (zero: none)
	fireAt time.Time // next + jitter

	runs    []*run
	queue   []pending
	retryAt time.Time
	// retryRoot is the trigger of the run the retries are for
	// (schedule, catchup or manual): retries of a scheduled run wait
	// for nothing while held or disabled, they are dropped.
	retryRoot string
	retries   int // retries left for the current failure
	retryOf   time.Time

	history []state.Run // newest last, at most state.HistoryLimit

	stdout, stderr         *logfile.Writer
	stdoutPath, stderrPath string
}

type pending struct {
	trigger string
	due     time.Time
}

type run struct {
	id       uint64
	j        *job
	pid      int
	trigger  string
	due      time.Time
	start    time.Time
	end      time.Time
	status   syscall.WaitStatus
	exited   bool
	outDone  bool
	finished bool
	timedOut bool
	// interrupted: stopped by shutdown, removal or overlap=replace
	interrupted bool
	stopSent    bool
	timers      []*time.Timer

	mu       sync.Mutex // guards out, outBytes; leaf lock
	out      []byte     // first reportCap bytes of output
	outBytes int64
}

// reportCap caps the output kept for a notification report.
const reportCap = 64 << 10

// New prepares a scheduler for cfg's jobs. Nothing runs until Run.
func New(cfg *config.Config, opts Options) (*Scheduler, error) {
	if opts.Spawner == nil {
		return nil, fmt.Errorf("jobs: no spawner")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Scheduler{
		opts:     opts,
		log:      opts.Logger,
		reqs:     make(chan func()),
		stop:     make(chan bool, 1),
		loopDone: make(chan struct{}),
		done:     make(chan struct{}),
		wake:     make(chan struct{}, 1),
		cfg:      cfg,
		jobs:     map[string]*job{},
	}
	s.w = newWriter(opts.Store, s.log)
	return s, nil
}

// Stop begins stopping: no new runs; runs in progress are stopped and
// recorded as interrupted; Run returns when they have ended. force
// kills them at once.
func (s *Scheduler) Stop(force bool) {
	select {
	case s.stop <- force:
	default:
		if force {
			// a plain stop is pending; make it forced
			select {
			case <-s.stop:
			default:
			}
			select {
			case s.stop <- true:
			default:
			}
		}
	}
}

// Done is closed when Run has returned.
func (s *Scheduler) Done() <-chan struct{} { return s.done }

// post queues fn for the loop; it never blocks.
func (s *Scheduler) post(fn func()) {
	s.inboxMu.Lock()
	s.inbox = append(s.inbox, fn)
	s.inboxMu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run runs the scheduler until Stop (or ctx is cancelled, which kills
// runs in progress at once).
func (s *Scheduler) Run(ctx context.Context) error {
	if !s.runOnce.CompareAndSwap(false, true) {
		return fmt.Errorf("jobs: Run called twice")
	}
	defer close(s.done)
	s.ctx = context.WithoutCancel(ctx)
	go s.w.run()
	s.ensureStore(s.cfg)
	persisted := state.Jobs{Records: map[string]state.JobRecord{}}
	if s.opts.Store != nil {
		p, err := s.opts.Store.LoadJobs()
		if err != nil {
			s.log.Error(fmt.Sprintf("jobs: reading state: %v", err))
		} else {
			persisted = p
		}
	}
	s.held = persisted.Held
	now := time.Now()
	for _, jc := range s.cfg.Jobs {
		s.addJob(jc, persisted.Records[jc.Name], now, true)
	}
	s.prune(now)
	s.timer = time.NewTimer(time.Hour)
	ctxDone := ctx.Done()
	for {
		s.arm()
		select {
		case f := <-s.reqs:
			f()
		case <-s.wake:
			s.drain()
		case <-s.timer.C:
			s.fire(time.Now())
		case force := <-s.stop:
			s.beginStop(force)
		case <-ctxDone:
			ctxDone = nil
			s.beginStop(true)
		}
		if s.stopping && s.active() == 0 {
			break
		}
	}
	s.timer.Stop()
	close(s.loopDone)
	for _, j := range s.jobs {
		j.closeLogs()
	}
	s.w.close()
	return nil
}

// ensureStore opens the store through Options.OpenStore when cfg has
// the first job.
func (s *Scheduler) ensureStore(cfg *config.Config) {
	if s.opts.Store != nil || s.opts.OpenStore == nil || len(cfg.Jobs) == 0 {
		return
	}
	st, err := s.opts.OpenStore()
	if err != nil {
		s.log.Error(fmt.Sprintf("jobs: state is kept in memory only: %v", err))
		s.opts.OpenStore = nil
		return
	}
	s.opts.Store = st
	s.w.setStore(st)
}

func (s *Scheduler) drain() {
	for {
		s.inboxMu.Lock()
		fs := s.inbox
		s.inbox = nil
		s.inboxMu.Unlock()
		if len(fs) == 0 {
			return
		}
		for _, f := range fs {
			f()
		}
	}
}

func (s *Scheduler) active() int {
	n := 0
	for _, j := range s.jobs {
		n += len(j.runs)
	}
	return n
}

// arm sets the timer for the earliest of every job's next fire time and
// retry, at most maxWait away.
func (s *Scheduler) arm() {
	now := time.Now()
	until := now.Add(maxWait)
	if !s.stopping {
		for _, j := range s.jobs {
			if !j.fireAt.IsZero() && j.fireAt.Before(until) {
				until = j.fireAt
			}
			if !j.retryAt.IsZero() && j.retryAt.Before(until) {
				until = j.retryAt
			}
		}
	}
	d := until.Round(0).Sub(now.Round(0))
	if d < 0 {
		d = 0
	}
	if !s.timer.Stop() {
		select {
		case <-s.timer.C:
		default:
		}
	}
	s.timer.Reset(d)
}

// scheduled reports whether j's schedule runs (enabled, not held).
func (s *Scheduler) scheduled(j *job) bool { return j.enabled && !s.held && !s.stopping }

// plan computes j's next fire time after now (and its jitter).
func (s *Scheduler) plan(j *job, now time.Time) {
	j.next, j.fireAt = time.Time{}, time.Time{}
	if !s.scheduled(j) || j.sched == nil {
		return
	}
	j.next = j.sched.Next(now.Round(0))
	if j.next.IsZero() {
		return
	}
	j.fireAt = j.next
	if j.cfg.Jitter > 0 {
		j.fireAt = j.next.Add(time.Duration(rand.Int64N(int64(j.cfg.Jitter) + 1)))
	}
}

// fire handles every job whose fire time or retry time has come.
func (s *Scheduler) fire(now time.Time) {
	if s.stopping {
		return
	}
	// Without a wall-clock step only jobs whose time has come need
	// evaluating; after one (NTP, suspend) every job does.
	stepped := s.lastWake.IsZero()
	if !stepped {
		st := schedule.Step(s.lastWake, now)
		stepped = st > time.Second || st < -time.Second
	}
	s.lastWake = now
	for _, name := range s.names {
		j := s.jobs[name]
		if !j.retryAt.IsZero() && !now.Before(j.retryAt) {
			j.retryAt = time.Time{}
			if j.retryRoot != TriggerManual && !s.scheduled(j) {
				s.log.Info(fmt.Sprintf("job %s: dropped the retry of the %s run (%s)", j.cfg.Name, j.retryRoot, map[bool]string{true: "jobs held", false: "disabled"}[s.held]))
			} else {
				s.trigger(j, TriggerRetry, j.retryOf)
			}
		}
		if !s.scheduled(j) {
			continue
		}
		// A job whose jittered fire time has not come yet waits; any
		// other is evaluated now, so that a wall-clock step is seen.
		nw := now.Round(0)
		if !j.fireAt.IsZero() && nw.Before(j.fireAt.Round(0)) && (!stepped || !nw.Before(j.next.Round(0))) {
			continue
		}
		s.evaluate(j, now)
	}
}

// evaluate runs what is due for j between its last evaluation and now
// (cronie's clock-step rule, via schedule.Due) and plans the next fire.
func (s *Scheduler) evaluate(j *job, now time.Time) {
	due := schedule.Due(j.sched, j.last, now)
	j.last = schedule.Advance(j.sched, j.last, now)
	for _, d := range due {
		j.rec.LastFire = d
		s.trigger(j, TriggerSchedule, d)
	}
	if len(due) > 0 {
		s.w.put(state.JobWrite{Name: j.cfg.Name, Record: recCopy(j.rec)})
	}
	s.plan(j, now)
}

// resumed is called when j's schedule runs again (enabled, released):
// with catchup= it moves the last handled fire time to now, so that the
// runs missed while disabled or held are not caught up by the next
// superd start (catchup is for runs missed while superd was down). It
// reports whether the record changed (the caller writes it).
func (s *Scheduler) resumed(j *job, now time.Time) bool {
	if !j.cfg.Catchup {
		return false
	}
	j.rec.LastFire = now
	return true
}

func recCopy(r state.JobRecord) *state.JobRecord { return &r }

// addJob adds a configured job: its persisted record, history, log
// files and first fire time; with catchup= a run missed while superd was
// down runs now (start only).
func (s *Scheduler) addJob(jc *config.Job, rec state.JobRecord, now time.Time, atStart bool) {
	j := &job{cfg: jc, rec: rec, last: now, enabled: jc.Enabled}
	if rec.Enabled != nil {
		j.enabled = *rec.Enabled
	}
	sched, err := schedule.Parse(jc.ScheduleKind, jc.ScheduleText, jc.Location)
	if err != nil {
		// config.Load validated it; keep the job listed but idle
		s.log.Error(fmt.Sprintf("job %s: %v", jc.Name, err))
	}
	j.sched = sched
	if rec.Override != "" {
		if o, err := schedule.ParseSpec(rec.Override, jc.Location); err != nil {
			s.log.Warn(fmt.Sprintf("job %s: ignoring the persisted schedule %q: %v", jc.Name, rec.Override, err))
		} else {
			j.sched, j.override = o, o.Spec()
		}
	}
	if s.opts.Store != nil {
		if h, err := s.opts.Store.History(jc.Name, state.HistoryLimit); err != nil {
			s.log.Error(fmt.Sprintf("job %s: reading history: %v", jc.Name, err))
		} else {
			slices.Reverse(h)
			j.history = h
		}
	}
	if atStart {
		s.recordLost(j, now)
	}
	s.openLogs(j)
	s.jobs[jc.Name] = j
	s.names = append(s.names, jc.Name)
	slices.Sort(s.names)
	if atStart && jc.Catchup && j.enabled && !s.held && j.sched != nil && !rec.LastFire.IsZero() {
		if n := j.sched.Next(rec.LastFire); !n.IsZero() && !n.After(now) {
			s.log.Info(fmt.Sprintf("job %s: catching up the run due at %s, missed while superd was down", jc.Name, n.Format(time.DateTime)))
			j.rec.LastFire = now
			s.trigger(j, TriggerCatchup, n)
		}
	}
	if rec.LastFire.IsZero() || !jc.Catchup {
		j.rec.LastFire = now
	}
	s.w.put(state.JobWrite{Name: jc.Name, Record: recCopy(j.rec)})
	s.plan(j, now)
}

func (s *Scheduler) removeJob(j *job) {
	for _, r := range j.runs {
		s.stopRun(r, true)
	}
	j.queue = nil
	j.retryAt = time.Time{}
	delete(s.jobs, j.cfg.Name)
	s.names = slices.DeleteFunc(s.names, func(n string) bool { return n == j.cfg.Name })
	if len(j.runs) == 0 {
		j.closeLogs()
	}
}

func (s *Scheduler) prune(now time.Time) {
	present := map[string]bool{}
	for n := range s.jobs {
		present[n] = true
	}
	s.w.prune(present, now)
}

func (s *Scheduler) beginStop(force bool) {
	if !s.stopping {
		s.stopping = true
		for _, j := range s.jobs {
			j.queue = nil
			j.retryAt = time.Time{}
			j.next, j.fireAt = time.Time{}, time.Time{}
		}
	}
	if force {
		s.forced = true
	}
	for _, j := range s.jobs {
		for _, r := range j.runs {
			s.stopRun(r, true)
		}
	}
}

// changed publishes SUPERD_JOB_CHANGED for the job name ("" for all)
// with how it changed, so that views of the jobs (the dashboard) update.
func (s *Scheduler) changed(name, how string) {
	s.emit(events.Event{Type: events.SuperdJobChanged, Job: name, Reason: how})
}

// emit publishes e on the bus.
func (s *Scheduler) emit(e events.Event) {
	if s.opts.Bus != nil {
		e.Process, e.Group = e.Job, e.Job
		s.opts.Bus.Publish(e)
	}
}
