package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
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
}

// Description returns supervisord's description text for the state:
// "pid 123, uptime 0:01:02", the stop time, spawnerr, "Not started" ...
func (i Info) Description() string { return "" }

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
	Listeners ListenerHook
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
	// Detach is called when the listener process has exited.
	Detach(pool, process string, pid int)
}

// Supervisor owns every process. One goroutine (Run) owns all process
// state; every method sends a request to it and waits for the reply.
type Supervisor struct{}

// New prepares a supervisor for cfg. Nothing is started until Run.
func New(cfg *config.Config, opts Options) (*Supervisor, error) { return &Supervisor{}, nil }

// Run runs the supervisor loop: it starts autostart processes in
// priority order and supervises them until Shutdown completes (all
// processes stopped in reverse priority order) or ctx is cancelled
// (then processes are killed without waiting).
func (s *Supervisor) Run(ctx context.Context) error { <-ctx.Done(); return nil }

// Shutdown begins an ordered stop of every process; Run returns once all
// are stopped. force (second SIGINT) kills immediately.
func (s *Supervisor) Shutdown(force bool) {}

// Mood returns the supervisor state.
func (s *Supervisor) Mood() Mood { return MoodRunning }

// StartProcess starts name ("x", "g:x"; "g:*" dispatches to
// StartGroup). With wait it returns when the process is RUNNING or has
// failed, without blocking the loop.
func (s *Supervisor) StartProcess(ctx context.Context, name string, wait bool) error { return nil }
func (s *Supervisor) StartGroup(ctx context.Context, name string, wait bool) ([]Result, error) {
	return nil, nil
}
func (s *Supervisor) StartAll(ctx context.Context, wait bool) ([]Result, error) { return nil, nil }

func (s *Supervisor) StopProcess(ctx context.Context, name string, wait bool) error { return nil }
func (s *Supervisor) StopGroup(ctx context.Context, name string, wait bool) ([]Result, error) {
	return nil, nil
}
func (s *Supervisor) StopAll(ctx context.Context, wait bool) ([]Result, error) { return nil, nil }

func (s *Supervisor) SignalProcess(ctx context.Context, name string, sig syscall.Signal) error {
	return nil
}
func (s *Supervisor) SignalGroup(ctx context.Context, name string, sig syscall.Signal) ([]Result, error) {
	return nil, nil
}
func (s *Supervisor) SignalAll(ctx context.Context, sig syscall.Signal) ([]Result, error) {
	return nil, nil
}

// SendStdin writes data to the process's stdin.
func (s *Supervisor) SendStdin(ctx context.Context, name string, data []byte) error { return nil }

// ProcessInfo returns a snapshot of one process.
func (s *Supervisor) ProcessInfo(ctx context.Context, name string) (Info, error) { return Info{}, nil }

// AllProcessInfo returns snapshots sorted by group name, then process name.
func (s *Supervisor) AllProcessInfo(ctx context.Context) ([]Info, error) { return nil, nil }

// ConfigInfo describes one configured process for getAllConfigInfo.
type ConfigInfo struct {
	Process       *config.Process
	GroupPriority int
	InUse         bool // its group is active
}

// AllConfigInfo returns every process of the latest configuration
// (active or not), sorted by name.
func (s *Supervisor) AllConfigInfo(ctx context.Context) ([]ConfigInfo, error) { return nil, nil }

// Reload records cfg as the latest configuration and returns the group
// diff against the active groups (reloadConfig). Nothing is applied.
func (s *Supervisor) Reload(ctx context.Context, cfg *config.Config) (added, changed, removed []string, err error) {
	return nil, nil, nil, nil
}

// AddGroup activates group name from the latest configuration and
// starts its autostart processes.
func (s *Supervisor) AddGroup(ctx context.Context, name string) error { return nil }

// RemoveGroup removes a group whose processes are all stopped.
func (s *Supervisor) RemoveGroup(ctx context.Context, name string) error { return nil }

// LogPath returns the current log file of a process channel ("stdout"
// or "stderr"); "" if it has none.
func (s *Supervisor) LogPath(ctx context.Context, name, channel string) (string, error) {
	return "", nil
}

// ClearLogs truncates a process's log files.
func (s *Supervisor) ClearLogs(ctx context.Context, name string) error { return nil }

// ClearAllLogs clears every process's logs.
func (s *Supervisor) ClearAllLogs(ctx context.Context) ([]Result, error) { return nil, nil }

// ReopenLogs reopens every child log file (SIGUSR2).
func (s *Supervisor) ReopenLogs(ctx context.Context) error { return nil }
