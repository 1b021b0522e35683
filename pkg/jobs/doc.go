// Package jobs is superd's scheduler: it runs the [job:name] sections of
// the configuration on their schedules, with the controls of a jobs
// runner (run now, enable/disable, an override schedule, hold/release,
// history, next runs) and notifications.
//
// It owns the job table: per job its configuration, effective schedule
// (the configured one or a persisted override), enabled flag, runs in
// progress, queued runs, pending retry, counters and the last 100 runs.
// The schedule math is pkg/schedule's (pure functions); persistence is
// pkg/state's (bbolt); children are spawned by pkg/process's spawner
// (Supervisor.StartOneShot: the same code as programs, so process
// group, user=, the umask shim, output pipes into pkg/logfile and pidfd
// or reaper-mode reaping are shared); run events go on pkg/events' bus
// as SUPERD_JOB_* events (never delivered to supervisord-protocol event
// listeners).
//
// # Concurrency model
//
// One goroutine, Scheduler.Run, owns the job table; nothing else reads
// or writes it, so it has no lock. It sleeps in one select on:
//
//   - API requests (closures with a reply channel, as in pkg/process);
//   - its inbox: callbacks from other goroutines (a child's exit, the
//     end of its output, a timeout or kill timer) append a closure
//     under inboxMu and wake the loop; they never block, so the
//     supervisor's goroutine may call them while the scheduler waits
//     for the supervisor (requires=, spawning);
//   - one time.Timer armed for the earliest due job, retry or (at most
//     a minute away, so that a wall-clock step is seen) the next check.
//     There is no per-job goroutine and no polling: on each wake the
//     loop re-reads the wall clock and asks schedule.Due which fire
//     times are due (cronie's clock-step rule), then re-arms the timer.
//
// Per run there is no goroutine: the child's exit and output end come
// from pkg/process; a timeout is a time.AfterFunc that posts to the
// inbox. run.mu guards only the run's captured output (written by
// pkg/process's reader goroutines, read by the loop after the output
// ended); it is a leaf lock.
//
// # Goroutines and how they end
//
//   - Run: ends after Stop (or ctx cancelled): every run in progress is
//     stopped with its stopsignal (to its process group with
//     stopasgroup, the default for jobs), SIGKILL after stopwaitsecs,
//     and recorded as "interrupted"; then the pending state writes are
//     flushed.
//   - the writer: one goroutine that commits batches of state writes
//     (records, history, hold) in one bbolt transaction each, at most
//     one per 25 ms, so the loop never waits for the disk; it ends when
//     Run returns, after a final flush.
//   - notifiers: each notification (notify_command, sendmail) is a
//     one-shot child spawned through pkg/process from a short-lived
//     goroutine that writes the report to its stdin; a notifier that
//     fails is logged, one still running after Options.NotifyTimeout
//     (default 5 minutes) is killed with its group, so the goroutine
//     ends; none of this blocks scheduling.
//
// # Manual runs
//
// runJob (superctl jobs run) runs the job even while jobs are held or
// the job is disabled: an explicit request beats both. It still obeys
// overlap (skip: fails with KindAlreadyStarted while a run is in
// progress) and requires=.
package jobs
