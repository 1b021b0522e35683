package events

import (
	"strings"
	"sync"
	"sync/atomic"
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

	// superd's own events (the SUPERD_ prefix): scheduled job runs
	// (pkg/jobs). They reach bus subscribers (Subscribe with no types or
	// EVENT included) but never supervisord-protocol event listeners,
	// which only know supervisord's types (see Superd).
	SuperdJob         Type = "SUPERD_JOB"
	SuperdJobStarted  Type = "SUPERD_JOB_STARTED"  // a run started (PID set)
	SuperdJobFinished Type = "SUPERD_JOB_FINISHED" // a run ended: Result ok failed timeout interrupted
	SuperdJobSkipped  Type = "SUPERD_JOB_SKIPPED"  // a due run did not start: Reason
	SuperdJobChanged  Type = "SUPERD_JOB_CHANGED"  // a control or the configuration changed a job: Reason says how (Job "" for hold/release)

	// A program's health checks (healthcheck=): Reason says why it is
	// unhealthy; HEALTHY follows when a check passes again.
	SuperdProcessHealth    Type = "SUPERD_PROCESS_HEALTH"
	SuperdProcessUnhealthy Type = "SUPERD_PROCESS_UNHEALTHY"
	SuperdProcessHealthy   Type = "SUPERD_PROCESS_HEALTHY"
)

// parents maps every known type to its direct supertype (supervisord's
// class hierarchy in events.py). Everything has no parent.
var parents = map[Type]Type{
	Everything: "",

	ProcessState:         Everything,
	ProcessStateStopped:  ProcessState,
	ProcessStateExited:   ProcessState,
	ProcessStateStarting: ProcessState,
	ProcessStateStopping: ProcessState,
	ProcessStateBackoff:  ProcessState,
	ProcessStateFatal:    ProcessState,
	ProcessStateRunning:  ProcessState,
	ProcessStateUnknown:  ProcessState,

	ProcessLog:       Everything,
	ProcessLogStdout: ProcessLog,
	ProcessLogStderr: ProcessLog,

	ProcessCommunication:       Everything,
	ProcessCommunicationStdout: ProcessCommunication,
	ProcessCommunicationStderr: ProcessCommunication,

	RemoteCommunication: Everything,

	SupervisorStateChange:         Everything,
	SupervisorStateChangeRunning:  SupervisorStateChange,
	SupervisorStateChangeStopping: SupervisorStateChange,

	Tick:     Everything,
	Tick5:    Tick,
	Tick60:   Tick,
	Tick3600: Tick,

	ProcessGroup:        Everything,
	ProcessGroupAdded:   ProcessGroup,
	ProcessGroupRemoved: ProcessGroup,

	SuperdJob:         Everything,
	SuperdJobStarted:  SuperdJob,
	SuperdJobFinished: SuperdJob,
	SuperdJobSkipped:  SuperdJob,
	SuperdJobChanged:  SuperdJob,

	SuperdProcessHealth:    Everything,
	SuperdProcessUnhealthy: SuperdProcessHealth,
	SuperdProcessHealthy:   SuperdProcessHealth,
}

// Superd reports whether t is one of superd's own event types (not
// supervisord's): event listener pools never receive them.
func (t Type) Superd() bool { return strings.HasPrefix(string(t), "SUPERD_") }

// ParseType returns the event type named s, case-insensitively, as
// supervisord validates the events= option of an [eventlistener:x]
// section. Abstract types (EVENT, PROCESS_STATE, TICK, ...) are valid.
func ParseType(s string) (Type, bool) {
	t := Type(strings.ToUpper(s))
	if _, ok := parents[t]; !ok || t.Superd() {
		return "", false
	}
	return t, true
}

// Is reports whether t is super or one of its subtypes, as Python's
// isinstance does for supervisord's event classes: every type is an
// EVENT, PROCESS_STATE_RUNNING is a PROCESS_STATE. Unknown types are
// only themselves and EVENTs.
func (t Type) Is(super Type) bool {
	if super == Everything || t == super {
		return true
	}
	for p, ok := parents[t]; ok && p != ""; p, ok = parents[p] {
		if p == super {
			return true
		}
	}
	return false
}

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

	// SUPERD_JOB_*: Process and Group are the job's name, PID the run's.
	Job        string // job name
	Trigger    string // schedule manual catchup retry
	Result     string // FINISHED: ok failed skipped timeout interrupted
	ExitStatus int    // FINISHED
	Reason     string // SKIPPED: why
}

// Bus is the one in-process event stream: the supervisor publishes,
// event listener pools, tests and later the web UI and metrics
// subscribe. Publish never blocks.
//
// Lock order: Bus.mu, then Subscription.mu.
type Bus struct {
	mu     sync.Mutex // guards serial, subs, closed
	serial uint64
	subs   map[*Subscription]struct{}
	closed bool

	// listenerSerial is supervisord's GlobalSerial: the next serial of
	// an event accepted by some listener pool. It lives on the bus so
	// that it survives a restart, which builds new Pools.
	listenerSerial atomic.Uint64
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: map[*Subscription]struct{}{}} }

// Publish assigns e its serial and time (if zero) and queues it for
// every matching subscriber. It never blocks: each subscription has an
// unbounded queue. Publishing on a closed bus does nothing.
func (b *Bus) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	e.Serial = b.serial
	b.serial++
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if e.State == "" && e.Type.Is(ProcessState) && e.Type != ProcessState {
		e.State = strings.TrimPrefix(string(e.Type), "PROCESS_STATE_")
	}
	for s := range b.subs {
		if s.wants(e.Type) {
			if s.fn != nil {
				s.fn(e)
			} else {
				s.push(e)
			}
		}
	}
}

// Close closes every subscription (their channels close) and makes
// later Publish calls no-ops and later subscriptions closed from the
// start. Close is idempotent.
func (b *Bus) Close() {
	b.mu.Lock()
	subs := b.subs
	b.subs = map[*Subscription]struct{}{}
	b.closed = true
	b.mu.Unlock()
	for s := range subs {
		s.stop()
	}
}

// Subscription receives events of the types it asked for (including
// subtypes) in publication order, through an unbounded queue.
//
// One goroutine per subscription moves events from the queue to C; it
// ends when the subscription or the bus is closed, and then closes C.
// Events still queued at that point are dropped.
type Subscription struct {
	bus   *Bus
	types []Type
	c     chan Event
	// fn, when set, is called by Publish (with the bus lock held)
	// instead of queueing; such a subscription has no goroutine.
	fn func(Event)

	mu     sync.Mutex // guards queue
	queue  []Event
	notify chan struct{} // capacity 1: the queue became non-empty
	done   chan struct{} // closed by stop
	once   sync.Once
}

// Subscribe returns a subscription to the given types (and their
// subtypes); no types means Everything.
func (b *Bus) Subscribe(types ...Type) *Subscription {
	if len(types) == 0 {
		types = []Type{Everything}
	}
	s := &Subscription{
		bus:    b,
		types:  append([]Type(nil), types...),
		c:      make(chan Event),
		notify: make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	go s.run()
	b.mu.Lock()
	closed := b.closed
	if !closed {
		b.subs[s] = struct{}{}
	}
	b.mu.Unlock()
	if closed {
		s.stop()
	}
	return s
}

// subscribeFunc registers fn to be called synchronously by Publish, with
// the bus lock held, for every event of the given types. fn must not
// block nor call back into the bus. It gives the pools one stream that
// is totally ordered with the calls the supervisor makes around its
// Publish calls. The returned subscription's C is nil; Close ends it.
func (b *Bus) subscribeFunc(fn func(Event), types ...Type) *Subscription {
	if len(types) == 0 {
		types = []Type{Everything}
	}
	s := &Subscription{bus: b, types: types, fn: fn, done: make(chan struct{})}
	b.mu.Lock()
	if !b.closed {
		b.subs[s] = struct{}{}
	}
	b.mu.Unlock()
	return s
}

// C returns a channel that delivers the subscription's events.
func (s *Subscription) C() <-chan Event { return s.c }

// Close ends the subscription; C is closed. Close is idempotent and
// may be called from any goroutine, including one reading C.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	delete(s.bus.subs, s)
	s.bus.mu.Unlock()
	s.stop()
}

func (s *Subscription) stop() { s.once.Do(func() { close(s.done) }) }

func (s *Subscription) wants(t Type) bool {
	for _, want := range s.types {
		if t.Is(want) {
			return true
		}
	}
	return false
}

// push appends e to the queue; called with the bus lock held.
func (s *Subscription) push(e Event) {
	s.mu.Lock()
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *Subscription) run() {
	defer close(s.c)
	for {
		select {
		case <-s.done:
			return
		case <-s.notify:
		}
		s.mu.Lock()
		batch := s.queue
		s.queue = nil
		s.mu.Unlock()
		for i, e := range batch {
			select {
			case s.c <- e:
				batch[i] = Event{} // let Data be collected
			case <-s.done:
				return
			}
		}
	}
}
