package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/logfile"
	"github.com/superd/superd/pkg/process"
	"github.com/superd/superd/pkg/state"
)

// trigger handles a run request (scheduled, manual, catchup, retry):
// requires=, then the overlap policy.
func (s *Scheduler) trigger(j *job, trigger string, due time.Time) {
	if s.stopping {
		return
	}
	if trigger != TriggerRetry {
		j.retryAt = time.Time{}
		j.retries = j.cfg.Retries
		j.retryRoot = trigger
	}
	if len(j.runs) > 0 {
		switch j.cfg.Overlap {
		case "queue":
			if len(j.queue) >= maxQueued {
				s.skip(j, trigger, due, "still running, queue full")
				return
			}
			j.queue = append(j.queue, pending{trigger, due})
			return
		case "replace":
			for _, r := range j.runs {
				s.log.Info(fmt.Sprintf("job %s: replacing the run in progress (pid %d)", j.cfg.Name, r.pid))
				s.stopRun(r, true)
			}
			j.queue = append(j.queue[:0], pending{trigger, due})
			return
		case "allow":
		default:
			s.skip(j, trigger, due, "still running")
			return
		}
	}
	s.start(j, trigger, due)
}

// start spawns a run of j, after checking requires=.
func (s *Scheduler) start(j *job, trigger string, due time.Time) {
	if len(j.cfg.Requires) > 0 && s.opts.NotRunning != nil {
		if why := s.opts.NotRunning(s.ctx, j.cfg.Requires); why != "" {
			s.skip(j, trigger, due, why)
			return
		}
	}
	s.runSeq++
	r := &run{id: s.runSeq, j: j, trigger: trigger, due: due, start: time.Now()}
	o := &process.OneShot{
		Config: j.cfg.Process,
		Stdout: j.stdout,
		Stderr: j.stderr,
		Output: r.output,
		OutputDone: func() {
			s.post(func() { r.outDone = true; s.maybeFinish(r) })
		},
		Interrupt: func() {
			s.post(func() {
				if !r.timedOut {
					r.interrupted = true
				}
			})
		},
		Exit: func(ws syscall.WaitStatus) {
			end := time.Now()
			s.post(func() { s.exited(r, ws, end) })
		},
	}
	pid, err := s.opts.Spawner.StartOneShot(s.ctx, o)
	if err != nil {
		msg := err.Error()
		if e, ok := err.(*process.Error); ok && e.Detail != "" {
			msg = e.Detail
		}
		s.log.Warn(fmt.Sprintf("job %s: could not start: %s", j.cfg.Name, msg))
		r.end = time.Now()
		r.finished = true
		run := state.Run{Start: r.start, End: r.end, Result: ResultFailed, ExitStatus: -1, Trigger: trigger,
			SkipReason: "spawn error: " + msg, Due: due}
		s.emit(events.Event{Type: events.SuperdJobFinished, Job: j.cfg.Name, Trigger: trigger, Result: ResultFailed, ExitStatus: -1})
		s.record(j, run)
		// a failure like any other: it notifies, the reason as output
		out := []byte("could not start: " + msg + "\n")
		s.notify(j, run, out, int64(len(out)))
		s.afterFailure(j, ResultFailed, due)
		return
	}
	r.pid = pid
	r.start = time.Now() // spawned: lateness is measured from here
	j.runs = append(j.runs, r)
	s.markRunning(j)
	s.w.put(state.JobWrite{Name: j.cfg.Name, Record: recCopy(j.rec)})
	s.logf(slog.LevelInfo, "job %s: started (%s) with pid %d", j.cfg.Name, trigger, pid)
	s.emit(events.Event{Type: events.SuperdJobStarted, Job: j.cfg.Name, PID: pid, Trigger: trigger})
	if t := j.cfg.Timeout; t > 0 {
		r.timers = append(r.timers, time.AfterFunc(t, func() {
			s.post(func() { s.timeout(r) })
		}))
	}
}

// markRunning keeps j's record's list of runs in progress in step with
// j.runs, so that a superd killed while they ran leaves a trace of them
// (recordLost, at the next start).
func (s *Scheduler) markRunning(j *job) {
	j.rec.Running = nil
	for _, r := range j.runs {
		j.rec.Running = append(j.rec.Running, state.Run{Start: r.start, Trigger: r.trigger, Due: r.due})
	}
}

// recordLost records as interrupted the runs j's persisted record says
// were in progress: the previous superd was killed (SIGKILL, a crash, a
// power cut) before they ended. Their children were stopped by the crash
// recovery before the scheduler started; End is now.
func (s *Scheduler) recordLost(j *job, now time.Time) {
	lost := j.rec.Running
	j.rec.Running = nil
	for _, r := range lost {
		s.log.Warn(fmt.Sprintf("job %s: the run started at %s (%s) was in progress when the previous superd was killed: recorded as interrupted",
			j.cfg.Name, r.Start.Format(time.DateTime), r.Trigger))
		s.record(j, state.Run{Start: r.Start, End: now, Result: ResultInterrupted, ExitStatus: -1, Trigger: r.Trigger,
			SkipReason: "superd was killed while it ran", Due: r.Due})
	}
}

// output is pkg/process's Output callback (a reader goroutine).
func (r *run) output(data []byte) {
	r.mu.Lock()
	r.outBytes += int64(len(data))
	if room := reportCap - len(r.out); room > 0 {
		r.out = append(r.out, data[:min(room, len(data))]...)
	}
	r.mu.Unlock()
}

func (r *run) report() ([]byte, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out, r.outBytes
}

// skip records a run that did not start.
func (s *Scheduler) skip(j *job, trigger string, due time.Time, reason string) {
	now := time.Now()
	s.logf(slog.LevelInfo, "job %s: skipped (%s): %s", j.cfg.Name, trigger, reason)
	s.emit(events.Event{Type: events.SuperdJobSkipped, Job: j.cfg.Name, Trigger: trigger, Reason: reason})
	s.record(j, state.Run{Start: now, End: now, Result: ResultSkipped, Trigger: trigger, SkipReason: reason, Due: due})
}

func (s *Scheduler) timeout(r *run) {
	if r.exited || r.interrupted {
		return
	}
	r.timedOut = true
	s.log.Warn(fmt.Sprintf("job %s: timed out after %s (pid %d)", r.j.cfg.Name, r.j.cfg.Timeout, r.pid))
	s.stopRun(r, false)
}

// stopRun stops r with the job's stopsignal, then SIGKILL after
// stopwaitsecs (at once when the scheduler is forced to stop).
// interrupted marks the result "interrupted" (shutdown, removal,
// overlap=replace).
func (s *Scheduler) stopRun(r *run, interrupted bool) {
	if r.exited {
		return
	}
	if interrupted && !r.timedOut {
		r.interrupted = true
	}
	pc := r.j.cfg.Process
	if s.forced {
		s.signal(r, syscall.SIGKILL, pc.KillAsGroup)
		return
	}
	if r.stopSent {
		return
	}
	r.stopSent = true
	s.signal(r, pc.StopSignal, pc.StopAsGroup)
	r.timers = append(r.timers, time.AfterFunc(time.Duration(pc.StopWaitSecs)*time.Second, func() {
		s.post(func() {
			if !r.exited {
				s.log.Warn(fmt.Sprintf("job %s: killing pid %d with SIGKILL", r.j.cfg.Name, r.pid))
				s.signal(r, syscall.SIGKILL, pc.KillAsGroup)
			}
		})
	}))
}

func (s *Scheduler) signal(r *run, sig syscall.Signal, group bool) {
	if err := s.opts.Spawner.SignalOneShot(s.ctx, r.pid, sig, group); err != nil && process.KindOf(err) != process.KindNotRunning {
		s.log.Warn(fmt.Sprintf("job %s: signalling pid %d: %v", r.j.cfg.Name, r.pid, err))
	}
}

func (s *Scheduler) exited(r *run, ws syscall.WaitStatus, end time.Time) {
	r.exited, r.status, r.end = true, ws, end
	for _, t := range r.timers {
		t.Stop()
	}
	r.timers = nil
	if !r.outDone {
		// A grandchild may hold the output pipe: wait a little for the
		// rest of the output, then record the run anyway.
		r.timers = append(r.timers, time.AfterFunc(time.Second, func() {
			s.post(func() { r.outDone = true; s.maybeFinish(r) })
		}))
	}
	s.maybeFinish(r)
}

// exitStatus is the exit code, or -signal for a child killed by one.
func exitStatus(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return -int(ws.Signal())
	}
	return ws.ExitStatus()
}

func (s *Scheduler) maybeFinish(r *run) {
	if r.finished || !r.exited || !r.outDone {
		return
	}
	r.finished = true
	for _, t := range r.timers {
		t.Stop()
	}
	j := r.j
	j.runs = slices.DeleteFunc(j.runs, func(x *run) bool { return x == r })
	s.markRunning(j) // written with the run, by record
	code := exitStatus(r.status)
	result, reason := ResultFailed, ""
	switch {
	case r.timedOut:
		result = ResultTimeout
		reason = fmt.Sprintf("timed out after %s", j.cfg.Timeout)
	case r.interrupted:
		result = ResultInterrupted
	case r.status.Exited() && slices.Contains(j.cfg.Process.ExitCodes, code):
		result = ResultOK
	case r.status.Exited() && slices.Contains(j.cfg.SkipExitCodes, code):
		result = ResultSkipped
		reason = fmt.Sprintf("exit status %d", code)
	case r.status.Signaled():
		reason = "killed by SIG" + strings.TrimPrefix(sigName(r.status.Signal()), "SIG")
	}
	out, n := r.report()
	level := slog.LevelInfo
	if result == ResultFailed || result == ResultTimeout {
		level = slog.LevelWarn
	}
	s.logf(level, "job %s: %s (exit status %d, %.1f s)", j.cfg.Name, result, code, r.end.Sub(r.start).Seconds())
	s.emit(events.Event{Type: events.SuperdJobFinished, Job: j.cfg.Name, PID: r.pid, Trigger: r.trigger, Result: result, ExitStatus: code})
	run := state.Run{Start: r.start, End: r.end, Result: result, ExitStatus: code, Trigger: r.trigger, SkipReason: reason,
		OutputBytes: n, Due: r.due}
	s.record(j, run)
	if result == ResultFailed || result == ResultTimeout || (result == ResultOK && j.cfg.NotifyOnSuccess && n > 0) {
		s.notify(j, run, out, n)
	}
	if result == ResultFailed || result == ResultTimeout {
		s.afterFailure(j, result, r.due)
	}
	if len(j.runs) == 0 && s.jobs[j.cfg.Name] != j {
		j.closeLogs() // removed while running
	}
	s.startQueued(j)
}

// afterFailure arranges a retry while retries are left.
func (s *Scheduler) afterFailure(j *job, result string, due time.Time) {
	if j.retries <= 0 || s.stopping || s.jobs[j.cfg.Name] != j {
		return
	}
	j.retries--
	j.retryAt = time.Now().Add(j.cfg.RetryDelay)
	j.retryOf = due
	s.log.Info(fmt.Sprintf("job %s: %s; retrying in %s (%d retries left)", j.cfg.Name, result, j.cfg.RetryDelay, j.retries))
}

func (s *Scheduler) startQueued(j *job) {
	for len(j.queue) > 0 && len(j.runs) == 0 && !s.stopping && s.jobs[j.cfg.Name] == j {
		p := j.queue[0]
		j.queue = j.queue[1:]
		if (p.trigger == TriggerSchedule || p.trigger == TriggerCatchup) && !s.scheduled(j) {
			// disabled or held since it was queued: the schedule no
			// longer runs (a queued manual run still does)
			s.log.Info(fmt.Sprintf("job %s: dropped the queued %s run (%s)", j.cfg.Name, p.trigger, map[bool]string{true: "jobs held", false: "disabled"}[s.held]))
			continue
		}
		s.start(j, p.trigger, p.due)
	}
}

// record appends a run to j's history (memory and store) and counts it.
func (s *Scheduler) record(j *job, r state.Run) {
	j.rec.Runs++
	if r.Result == ResultFailed || r.Result == ResultTimeout {
		j.rec.Failures++
	}
	j.history = append(j.history, r)
	if over := len(j.history) - state.HistoryLimit; over > 0 {
		j.history = append(j.history[:0], j.history[over:]...)
	}
	s.w.put(state.JobWrite{Name: j.cfg.Name, Record: recCopy(j.rec), Run: &r})
}

func sigName(sig syscall.Signal) string {
	for _, n := range []struct {
		s    syscall.Signal
		name string
	}{{syscall.SIGTERM, "TERM"}, {syscall.SIGKILL, "KILL"}, {syscall.SIGINT, "INT"}, {syscall.SIGHUP, "HUP"},
		{syscall.SIGQUIT, "QUIT"}, {syscall.SIGABRT, "ABRT"}, {syscall.SIGSEGV, "SEGV"}, {syscall.SIGUSR1, "USR1"},
		{syscall.SIGUSR2, "USR2"}, {syscall.SIGPIPE, "PIPE"}} {
		if n.s == sig {
			return n.name
		}
	}
	return fmt.Sprint(int(sig))
}

// openLogs opens j's output logs (AUTO: a file in childlogdir, named as
// supervisord names a program's).
func (s *Scheduler) openLogs(j *job) {
	pc := j.cfg.Process
	open := func(channel string, lc *logConf) (*logfile.Writer, string) {
		path := lc.file
		if path == "" {
			return nil, ""
		}
		if path == "AUTO" {
			dir := s.cfg.Supervisord.ChildLogDir
			if dir == "" {
				dir = os.TempDir()
			}
			id := s.cfg.Supervisord.Identifier
			if id == "" {
				id = "supervisor"
			}
			f, err := os.CreateTemp(dir, fmt.Sprintf("%s-%s---%s-*.log", j.cfg.Name, channel, id))
			if err != nil {
				s.log.Error(fmt.Sprintf("job %s: could not create AUTO %s log: %v", j.cfg.Name, channel, err))
				return nil, ""
			}
			f.Close()
			path = f.Name()
		}
		w, err := logfile.Open(logfile.Options{Path: path, MaxBytes: lc.maxBytes, Backups: lc.backups,
			Compress: lc.compress, MaxAge: lc.maxAge, Logger: s.log})
		if err != nil {
			s.log.Error(fmt.Sprintf("job %s: %s log %s: %v", j.cfg.Name, channel, path, err))
			return nil, path
		}
		return w, path
	}
	j.stdout, j.stdoutPath = open("stdout", &logConf{pc.Stdout.File, pc.Stdout.MaxBytes, pc.Stdout.Backups, pc.Stdout.Compress, pc.Stdout.MaxAge})
	if !pc.RedirectStderr {
		j.stderr, j.stderrPath = open("stderr", &logConf{pc.Stderr.File, pc.Stderr.MaxBytes, pc.Stderr.Backups, pc.Stderr.Compress, pc.Stderr.MaxAge})
	}
}

type logConf struct {
	file     string
	maxBytes int64
	backups  int
	compress bool
	maxAge   time.Duration
}

func (j *job) closeLogs() {
	if j.stdout != nil {
		j.stdout.Close()
		j.stdout = nil
	}
	if j.stderr != nil {
		j.stderr.Close()
		j.stderr = nil
	}
}

// logf logs at level, formatting only when the level is enabled (a run
// a second per job must not cost a Sprintf each when nobody reads it).
func (s *Scheduler) logf(level slog.Level, format string, args ...any) {
	if s.log.Enabled(context.Background(), level) {
		s.log.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}
