// Package process supervises child processes exactly as supervisord 4.2.5
// does: its state machine (STOPPED, STARTING, RUNNING, BACKOFF, STOPPING,
// EXITED, FATAL, UNKNOWN), startsecs/startretries/backoff, autorestart
// with exitcodes, stopsignal/stopwaitsecs/SIGKILL, stopasgroup and
// killasgroup, priority order, groups, and the API behind the XML-RPC
// methods (startProcess, stopProcess, signalProcess, sendProcessStdin,
// getProcessInfo, reloadConfig, addProcessGroup ...), with supervisord's
// fault kinds and detail texts (see Kind and Error).
//
// # Concurrency model
//
// One goroutine, Supervisor.Run, owns all process state: the groups, the
// per-process machine records, the pid table and the latest configuration.
// Nothing else reads or writes them, so they have no locks. Everything
// reaches the loop as a message:
//
//   - API calls send a closure on an unbuffered channel and wait for its
//     reply. Calls that wait (startProcess/stopProcess with wait, group and
//     all variants) register a waiter that the loop resolves after a later
//     state change; the loop never blocks on them.
//   - Child exits come from the waiter goroutine of each child (or the
//     reaper, see below), tagged with the pid; exits that do not match
//     the process's current pid are ignored.
//   - Timers (startsecs, backoff retry, stopwaitsecs, the paced
//     autorestart of a crash loop, the "waiting for x to stop"/"to die"
//     reports, TICK_5 boundaries) are time.AfterFunc
//     callbacks that post a tagged event; each process has one timer slot
//     and a generation number, so a stale timer is dropped.
//   - Shutdown sets a flag and wakes the loop; a cancelled context forces
//     an immediate kill.
//
// An idle supervisor sleeps in one select: no polling. The only timer
// that always runs is the 5 s tick.
//
// State transitions are in state.go as a step function (machine.step:
// state, event, now -> new state and actions), tested without processes
// or clocks; the loop carries out the actions (spawn, kill, arm timer,
// emit event, log). Spawning and signalling go through a small runner
// interface, so the loop itself is also tested with a fake runner inside
// a testing/synctest bubble (exact backoff, startsecs and stopwaitsecs
// timing on a fake clock).
//
// # Goroutines
//
// Besides the loop there is one poll goroutine (Linux; created at the
// first spawn, ended by Run after the readers), which holds one OS
// thread in epoll_wait. Each child has:
//
//   - no goroutine while it runs: on Linux its pidfd is registered with
//     the same epoll instance as the output pipes (below); when the
//     child exits, the poll goroutine starts a short-lived goroutine
//     that reaps it with waitid(P_PIDFD), posts the exit and ends.
//     Signals also go through the pidfd, so a recycled pid is never hit.
//     Without epoll a waiter goroutine parks on the pidfd in Go's
//     network poller (no OS thread held), and without pidfds it is
//     os.Process.Wait. In reaper mode (Options.Reaper) there is none: a single reaper
//     goroutine handles SIGCHLD with wait4(-1, WNOHANG), looks the pid up
//     in a table that spawning fills while holding the same lock (so no
//     child can be reaped before it is known), posts the exit, and logs
//     "reaped unknown pid N (...)" for orphans. It ends when Run returns.
//   - no goroutine for a quiet output pipe (stdout, and stderr unless
//     redirect_stderr): on Linux one poll goroutine (outpoll_linux.go)
//     waits for all of them with one epoll instance (EPOLLONESHOT).
//     When a pipe becomes readable it starts a drain goroutine that
//     reads up to 128 KiB at a time with a buffer from a shared pool,
//     adds its size to the process's byte counter of that pipe (an
//     atomic, read by Info), writes each chunk to the logfile.Writer,
//     and re-arms the pipe once
//     it would block; so a quiet child's pipes cost no stack and no
//     buffer, and at most one drain runs per pipe (chunks stay in
//     order). A drain that found the pipe busy (a second chunk after
//     the first, or 32 KiB) keeps it: it parks in Go's network poller
//     between chunks (no epoll re-arm, no new goroutine per chunk; as
//     root the pipe is grown to 256 KiB meanwhile) and hands the pipe
//     back to the poll goroutine (at its old size) after 50-100 ms without
//     output, or at once when an exit flush or forceClose asks (they set
//     its read deadline in the past). At EOF, i.e. when the child and
//     every grandchild holding the pipe have exited, the drain closes
//     the read end and the reader is finished. Without epoll each pipe
//     gets its own reader goroutine that parks in Go's poller
//     (SyscallConn().Read), also without a
//     buffer while idle. When Run returns it waits up to one second for
//     the readers, then closes the read ends of pipes still held open by
//     grandchildren, which ends the remaining readers, and ends the poll
//     goroutine.
//     For an event listener the stdout reader also calls the
//     ListenerHook (Output per chunk, Detach after the last one).
//   - an exit is posted only after the child's pipes have been read up
//     to what they hold (outFlush: the exit goroutine, or the reaper,
//     waits for a drain under way, telling it to stop streaming, again
//     after each wake-up since the poll goroutine may start a new one
//     meanwhile, then drains until the pipe would block), as
//     supervisord reads ready pipes before it reaps: a
//     listener's last RESULT and a child's last log lines are handled
//     before its exit.
//
// A batch of spawns (prefetch.go, below) runs up to GOMAXPROCS worker
// goroutines for the length of one loop step: the loop closes their job
// channel and waits for them before the step ends.
//
// superd's lifecycle extensions (lifecycle.go) add, per child that has
// ready= or healthcheck=, one probe goroutine: it makes the tcp, http or
// exec attempt (an exec probe is a child in its own process group; in
// reaper mode the reaper hands its status over) and posts each result
// to the loop; the loop cancels it when the child leaves STARTING or
// RUNNING, and cleanup cancels the rest. Children with notify probes
// share one abstract-namespace datagram socket (NOTIFY_SOCKET) whose
// reader goroutine posts every datagram with the sender's pid
// (SO_PASSCRED) and its process group, looked up at once (a helper
// such as systemd-notify may be gone when the loop gets to it); it
// ends when cleanup closes the socket. Dependencies
// are resolved by the loop itself (settleDeps after every step): a
// process whose dependencies are not RUNNING stays STARTING without a
// child, a stop waits for the process's dependants to stop, and the
// dependants it stopped start again once it runs again.
//
// Runtime group operations (scale.go: RollingRestart, ScaleGroup,
// StartWithDeps, StopWithDeps) run on the loop like every API call;
// their waits are waiters the loop resolves, and each next step (the
// next batch of a rolling restart, removing a scaled-down process) is
// posted back to the loop by a short-lived goroutine (later) that ends
// as soon as the loop takes it or stops, so a waiter never re-enters
// apply. Processes added by ScaleGroup come from the group's
// config.Scaling template.
//
// Run returns only after every child has been reaped and every goroutine
// above has ended. Per-chunk work (capture mode, PROCESS_LOG events,
// strip_ansi, the DEBG copy in the main log, event listener output) is
// done only when configured; otherwise a chunk goes straight to the file.
//
// # Spawning
//
// Children are started with os.StartProcess: Setpgid (a process group
// per child, so stopasgroup can signal -pid and a terminal ^C reaches
// only superd), the pipes' child ends as fds 0, 1, 2 (every descriptor
// superd opens is close-on-exec; call CloseOnExecInherited at startup so
// descriptors superd inherited do not leak either), Credential for user=
// (uid, primary gid, supplementary groups; like supervisord, HOME, USER,
// LOGNAME and SHELL are NOT changed), Dir for directory=, and the
// environment superd's own + SUPERVISOR_ENABLED, SUPERVISOR_SERVER_URL,
// SUPERVISOR_PROCESS_NAME, SUPERVISOR_GROUP_NAME + [supervisord]
// environment + the program's environment. The command is resolved on
// PATH beforehand as supervisord's get_execv_args does, with its messages
// ("can't find command '/no/such'").
//
// umask= is per process state and Go cannot set it between fork and
// exec, and changing superd's own umask would race with other goroutines;
// listen= needs LISTEN_PID to be the child's own pid, known only after
// the fork. So such a child is started as /proc/self/exe in a hidden
// shim mode ("superd-exec-shim <mask|-> <0|1> <file> <argv...>") that
// sets the umask and/or LISTEN_PID and execs the program (same pid,
// descriptors unchanged). main must call MaybeRunShim first.
//
// Sockets (sockets.go, pkg/sockets): an [fcgi-program:x] child gets its
// group's socket as fd 0 (acquired before the spawn, released when the
// child is reaped or the spawn fails: supervisord's reference counting);
// a program with listen= gets its sockets as fds 3.. with LISTEN_FDS,
// LISTEN_PID and LISTEN_FDNAMES. The listen= sockets are opened when the
// group is added and closed (Registry.Retain) when neither an active
// group nor the latest configuration uses them.
//
// Failures that supervisord only sees in the forked child (chdir, setuid,
// exec) are detected before or by os.StartProcess here; the child-side
// lines ("supervisor: couldn't chdir to /x: ENOENT", "supervisor: child
// process was not spawned") are written to the process's log as
// supervisord's child would, and the process goes STARTING -> BACKOFF
// with that text as spawnerr.
//
// Batches (autostart at Run and in addProcessGroup, startAllProcesses,
// startProcessGroup) prefetch (prefetch.go): while the loop forks one
// child, up to GOMAXPROCS worker goroutines resolve the command, open
// the log writers, make the pipes and build the environment of the next
// ones (at most 16 ahead); at Run and in addProcessGroup they also
// create the autostart processes' AUTO log files, which newProc leaves
// to them (every path is set before the loop answers a request; a file
// that cannot be created is logged just before that process's spawn
// instead of when its group is added). Go holds syscall.ForkLock across each
// fork+exec, so the forks stay serial and in order on the loop, which
// records every result (STARTING events, "spawned:" lines) as before. A
// preparation that failed is discarded and the spawn redone on the loop,
// so errors and transitions are those of a serial spawn. The workers end
// when their batch (one loop step) ends; what they prepared and no spawn
// took is closed then.
//
// The descriptors superd holds per child (pipe ends, pidfd, log files
// through logfile.Options.MinFD) are moved to 256 or above when the
// limit allows (highFD in spawn_unix.go): exec closes a new child's
// inherited close-on-exec descriptors in ascending order and Go's
// fork/exec waits until its status pipe is among them, so with the
// status pipe at a low number the loop goes on while the child closes
// the other thousands.
//
// # One-shot children
//
// StartOneShot spawns a child that is not a supervised process (a
// scheduled job's run, a job notifier: pkg/jobs) with the same spawn
// code: same process group, user=, umask shim, environment, output
// pipes into logfile writers the caller owns (plus an Output tap), and
// the same pidfd or reaper-mode reaping. It has no state machine and no
// events; the loop calls OneShot.Exit when it is reaped and the last
// output reader calls OneShot.OutputDone. SignalOneShot signals it (or
// its group) through the pidfd. If the supervisor shuts down while one
// still runs, it gets its stopsignal once the groups are stopped and
// SIGKILL after stopwaitsecs (at once when forced); pkg/jobs normally
// stops them first.
//
// # Crash recovery
//
// Options.Children (a ChildRecorder) is told of each spawn and each
// handled exit, from the loop, without blocking; the daemon persists
// them (pkg/state's children bucket, written by one goroutine of its
// own). StopLeftovers (leftover.go) is what the next superd runs, once,
// before it spawns anything: it stops the recorded process groups whose
// superd is gone, matching each by pid, start time (/proc/PID/stat) and
// boot id, so a recycled pid is never signalled. It starts no goroutine
// and polls /proc (20 ms) until the groups are gone: the leftovers are
// not superd's children, so there is no exit to wait for.
//
// # Example
//
//	sup, err := process.New(cfg, process.Options{Logger: log, Bus: bus})
//	if err != nil { ... }
//	go sup.Run(ctx)
//	err = sup.StartProcess(ctx, "web", true) // waits for RUNNING
//	sup.Shutdown(false)                      // ordered stop; Run returns
package process
