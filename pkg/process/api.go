package process

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/sockets"
)

// State is a process state with supervisord's numeric values.
type State int

const (
	Stopped  State = 0
	Starting State = 10
	Running  State = 20
	Backoff  State = 30
	Stopping State = 40
	Exited   State = 100
	Fatal    State = 200
	Unknown  State = 1000
)

// String returns supervisord's state name, e.g. "RUNNING".
func (s State) String() string {
	switch s {
	case Stopped:
		return "STOPPED"
	case Starting:
		return "STARTING"
	case Running:
		return "RUNNING"
	case Backoff:
		return "BACKOFF"
	case Stopping:
		return "STOPPING"
	case Exited:
		return "EXITED"
	case Fatal:
		return "FATAL"
	}
	return "UNKNOWN"
}

// Mood is the supervisor's own state (getState).
type Mood int

const (
	MoodFatal      Mood = 2
	MoodRunning    Mood = 1
	MoodRestarting Mood = 0
	MoodShutdown   Mood = -1
)

// String returns supervisord's name for the mood.
func (m Mood) String() string {
	switch m {
	case MoodFatal:
		return "FATAL"
	case MoodRunning:
		return "RUNNING"
	case MoodRestarting:
		return "RESTARTING"
	}
	return "SHUTDOWN"
}

// Kind classifies the errors of this package's API. internal/daemon
// maps each kind to one XML-RPC fault code, in one table.
type Kind int

const (
	KindFailed Kind = iota
	KindBadName
	KindBadArguments
	KindBadSignal
	KindNoFile
	KindNotExecutable
	KindAlreadyStarted
	KindNotRunning
	KindSpawnError
	KindAbnormalTermination
	KindAlreadyAdded
	KindStillRunning
	KindShutdownState
)

// Error is an API error: a kind and supervisord's detail text (the part
// after "BAD_NAME: " in a fault string; may be empty).
type Error struct {
	Kind   Kind
	Detail string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.kindName(), e.Detail) }

func (e *Error) kindName() string {
	return [...]string{"failed", "bad name", "bad arguments", "bad signal", "no file", "not executable",
		"already started", "not running", "spawn error", "abnormal termination", "already added",
		"still running", "shutdown state"}[e.Kind]
}

// KindOf returns the kind of err (KindFailed if it is not an *Error).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindFailed
}

// Info is a snapshot of one process, as getProcessInfo reports it.
type Info struct {
	Name, Group string
	State       State
	Start, Stop time.Time // zero if never
	Now         time.Time
	PID         int // 0 when not running
	ExitStatus  int
	SpawnErr    string
	// StdoutLogfile/StderrLogfile are the actual file paths ("" when none).
	StdoutLogfile, StderrLogfile string
	// Config is the process's configuration.
	Config *config.Process
	// GroupPriority is the priority of the process's group.
	GroupPriority int

	// superd lifecycle: what a STARTING process without a child waits
	// for ("waiting for db (STARTING)"), the time and cause of a delayed
	// restart (BACKOFF), the failed health checks ("unhealthy (3 checks
	// failed: ...)") and the last sd_notify STATUS=.
	Waiting      string
	RestartAt    time.Time
	RestartWhy   string
	Unhealthy    string
	NotifyStatus string

	// StdoutBytes and StderrBytes count the output read from the
	// child's pipes since the process was added (over all its spawns;
	// with redirect_stderr everything is stdout). LogDropped counts
	// the bytes that could not be written to its log files (disk full,
	// directory removed).
	StdoutBytes, StderrBytes, LogDropped int64
}

// Result is the outcome for one process of a group or all-processes call.
type Result struct {
	Name, Group string
	Err         error // nil for success
}

// Options configures a Supervisor.
type Options struct {
	Logger *slog.Logger
	Bus    *events.Bus
	// ServerURL is SUPERVISOR_SERVER_URL for children whose serverurl is AUTO.
	ServerURL string
	// Listeners, if set, is given the stdin and stdout of every
	// process of an eventlistener group (pkg/events implements it).
	// When it is nil and Bus is set, New makes an events.Pools for the
	// config's [eventlistener:x] groups and closes it when Run returns.
	// If it has an AddPool(*config.Group) method, it is called for each
	// eventlistener group right before its PROCESS_GROUP_ADDED event.
	Listeners ListenerHook
	// Reaper selects subreaper/PID-1 mode: one goroutine reaps every
	// child with wait4(-1) on SIGCHLD (including orphans re-parented to
	// superd, logged as "reaped unknown pid N (...)") and no per-child
	// Wait is used. Set it when superd is PID 1 or has called
	// prctl(PR_SET_CHILD_SUBREAPER). Nothing else in the process may
	// wait for children then (no os/exec Cmd.Wait).
	Reaper bool
	// Children, if set, is told of every child spawned and reaped; the
	// daemon persists them so that a superd started after a crash can
	// stop what this one left running (StopLeftovers). Calls come from
	// the loop goroutine and must not block.
	Children ChildRecorder
	// LogDropped, if set, counts the bytes of child output read but
	// dropped because a log file could not be written (disk full,
	// directory removed); children are never blocked on their pipes.
	LogDropped *atomic.Int64

	// Sockets holds the [fcgi-program:x] and listen= sockets. The
	// daemon passes one registry to every Supervisor it builds, so
	// listen= sockets survive a restart of superd; nil makes a private
	// one, closed when Run returns. Run does not probe fcgi sockets of
	// the initial configuration (the daemon does, before it reports a
	// successful start); AddGroup does.
	Sockets *sockets.Registry

	// observe, if set, sees every event published (tests).
	observe func(events.Event)
	// runner, if set, replaces real children (tests).
	runner runner
	// noPrefetch spawns every child fully on the loop (tests compare
	// it with prefetching, prefetch.go).
	noPrefetch bool
}

// ChildRecorder is told of children as they come and go (see
// Options.Children).
type ChildRecorder interface {
	Spawned(c SpawnedChild)
	Exited(pid int)
}

// SpawnedChild describes a child just spawned: the process group is its
// pid (every child is a group leader).
type SpawnedChild struct {
	Name, Group string
	PID         int
	StopSignal  syscall.Signal
	StopWait    time.Duration
}

// ListenerHook connects eventlistener processes to their pool. Calls
// come from the supervisor's goroutines and must not block.
type ListenerHook interface {
	// Attach is called after a listener process is spawned; stdin
	// writes to the child's stdin.
	Attach(pool, process string, pid int, stdin io.Writer)
	// Output is called with each chunk the listener writes to stdout
	// (after it has been written to its stdout log). data is only valid
	// during the call.
	Output(pool, process string, pid int, data []byte)
	// Detach is called when the listener's stdout has reached EOF
	// (normally because it exited), after its last Output call.
	Detach(pool, process string, pid int)
}

// ConfigInfo describes one configured process for getAllConfigInfo.
type ConfigInfo struct {
	Process       *config.Process
	GroupPriority int
	InUse         bool // its group is active
	// Scaling is its group's numprocs template (nil unless a [program:x] group).
	Scaling *config.Scaling
}
