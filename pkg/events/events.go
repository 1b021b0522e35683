package events

import (
	"sync"
	"time"
)

// Type is a supervisord event type name, e.g. "PROCESS_STATE_RUNNING".
type Type string

// Event types (supervisord's names). Abstract supertypes are only used
// for subscriptions.
const (
	Everything Type = "EVENT"

	ProcessState         Type = "PROCESS_STATE"
	ProcessStateStopped  Type = "PROCESS_STATE_STOPPED"
	ProcessStateExited   Type = "PROCESS_STATE_EXITED"
	ProcessStateStarting Type = "PROCESS_STATE_STARTING"
	ProcessStateStopping Type = "PROCESS_STATE_STOPPING"
	ProcessStateBackoff  Type = "PROCESS_STATE_BACKOFF"
	ProcessStateFatal    Type = "PROCESS_STATE_FATAL"
	ProcessStateRunning  Type = "PROCESS_STATE_RUNNING"
	ProcessStateUnknown  Type = "PROCESS_STATE_UNKNOWN"

	ProcessLog       Type = "PROCESS_LOG"
	ProcessLogStdout Type = "PROCESS_LOG_STDOUT"
	ProcessLogStderr Type = "PROCESS_LOG_STDERR"

	ProcessCommunication       Type = "PROCESS_COMMUNICATION"
	ProcessCommunicationStdout Type = "PROCESS_COMMUNICATION_STDOUT"
	ProcessCommunicationStderr Type = "PROCESS_COMMUNICATION_STDERR"

	RemoteCommunication Type = "REMOTE_COMMUNICATION"

	SupervisorStateChange         Type = "SUPERVISOR_STATE_CHANGE"
	SupervisorStateChangeRunning  Type = "SUPERVISOR_STATE_CHANGE_RUNNING"
	SupervisorStateChangeStopping Type = "SUPERVISOR_STATE_CHANGE_STOPPING"

	Tick     Type = "TICK"
	Tick5    Type = "TICK_5"
	Tick60   Type = "TICK_60"
	Tick3600 Type = "TICK_3600"

	ProcessGroup        Type = "PROCESS_GROUP"
	ProcessGroupAdded   Type = "PROCESS_GROUP_ADDED"
	ProcessGroupRemoved Type = "PROCESS_GROUP_REMOVED"
)

// Event is one supervisord event. Which fields are meaningful depends on
// Type; Payload renders supervisord's payload text.
type Event struct {
	Type   Type
	Serial uint64 // assigned by Bus.Publish, starting at 0
	Time   time.Time

	Process   string // processname
	Group     string // groupname
	FromState string // PROCESS_STATE_*: previous state name
	Tries     int    // STARTING, BACKOFF
	Expected  bool   // EXITED
	PID       int    // RUNNING, STOPPING, STOPPED, EXITED, logs
	Channel   string // PROCESS_LOG_*: "stdout" or "stderr"
	Data      []byte // logs, communication, remote communication
	// RemoteType is the type of a REMOTE_COMMUNICATION event.
	RemoteType string
	// When is the TICK_* time, rounded down to the period.
	When int64
	// State is the new state name of a PROCESS_STATE_* event
	// ("RUNNING", ...), for superd's own consumers.
	State string
}

// Bus is the one in-process event stream: the supervisor publishes,
// event listener pools, tests and later the web UI and metrics
// subscribe. Publish never blocks.
type Bus struct {
	mu     sync.Mutex
	serial uint64
	subs   map[*Subscription]struct{}
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: map[*Subscription]struct{}{}} }

// Publish assigns e its serial and time (if zero) and queues it for
// every matching subscriber. It never blocks.
func (b *Bus) Publish(e Event) {}

// Subscription receives events of the types it asked for (including
// subtypes) in publication order, through an unbounded queue.
type Subscription struct{}

// Subscribe returns a subscription to the given types (and their
// subtypes); no types means Everything.
func (b *Bus) Subscribe(types ...Type) *Subscription { return &Subscription{} }

// C returns a channel that delivers the subscription's events.
func (s *Subscription) C() <-chan Event { return nil }

// Close ends the subscription; C is closed.
func (s *Subscription) Close() {}
