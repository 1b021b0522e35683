// Package daemon is superd's daemon shell: supervisord's command line,
// start-up (config, main log, rlimits, sockets, daemonizing with a
// pingback so start-up errors reach the terminal, pidfile, dropping
// privileges), signals, restart on SIGHUP, the adapter from the
// process supervisor to the XML-RPC backend (with the one table that
// maps error kinds to fault codes), and service installation.
//
// Concurrency: one goroutine (daemon.wait inside daemon.serve) owns the
// daemon's lifecycle: it receives signals and shutdown/restart requests
// and is the only writer of the current supervisor, configuration and
// mood flags; mu guards those fields for the RPC handler goroutines that
// read them. Process state itself is owned by process.Supervisor's own
// goroutine. The goroutines started here are: the supervisor loop
// (ends when Shutdown completes or its context is cancelled), and one
// http.Server per listening socket (ended by cleanup, which closes the
// servers and removes socket files and the pidfile), and, when a service
// manager set NOTIFY_SOCKET, the sd_notify goroutine (sdnotify.go:
// READY=1, STATUS=, RELOADING=1, STOPPING=1, WATCHDOG=1; it follows the
// event bus and ends when serve returns).
//
// Scheduled jobs (jobs.go): each supervisor gets a jobs.Scheduler,
// started before it and using it to spawn runs; a goroutine waits for
// the supervisor's SUPERVISOR_STATE_CHANGE_STOPPING event (or the
// scheduler's end) and stops the scheduler, which interrupts runs in
// progress; serve waits for the scheduler before building the next
// supervisor. The state store (pkg/state) is opened when a
// configuration first has a job and closed by cleanup. daemonJobs.mu
// guards the current scheduler and the store (a leaf lock).
package daemon
