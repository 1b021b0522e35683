package events

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/superd/superd/pkg/config"
)

// ListenerState is the protocol state of one event listener process
// (supervisord's EventListenerStates).
type ListenerState int

const (
	ListenerReady        ListenerState = 10
	ListenerBusy         ListenerState = 20
	ListenerAcknowledged ListenerState = 30
	ListenerUnknown      ListenerState = 40
)

// String returns supervisord's name for the state.
func (s ListenerState) String() string {
	switch s {
	case ListenerReady:
		return "READY"
	case ListenerBusy:
		return "BUSY"
	case ListenerAcknowledged:
		return "ACKNOWLEDGED"
	}
	return "UNKNOWN"
}

const (
	readyToken    = "READY\n"
	resultTokenSz = len("RESULT ")
	// DefaultResultHandler is the only result handler superd knows.
	DefaultResultHandler = "supervisor.dispatchers:default_handler"
)

// Pools runs the event listener pools of [eventlistener:x] groups. It
// implements process.ListenerHook (Attach, Output, Detach), which the
// supervisor calls for every process of an eventlistener group.
//
// A pool exists from the PROCESS_GROUP_ADDED event of its group (the
// group's configuration comes from the last Configure call) to its
// PROCESS_GROUP_REMOVED event, as supervisord creates the pool right
// before it notifies PROCESS_GROUP_ADDED and removes it right before
// PROCESS_GROUP_REMOVED.
//
// All pool state belongs to one goroutine (run). Bus events and hook
// calls reach it through one inbox, in the order they happened: the bus
// hands events to the inbox synchronously inside Publish, so a hook call
// made before a Publish is always seen before that event.
type Pools struct {
	bus        *Bus
	log        *slog.Logger
	identifier string
	sub        *Subscription

	mu     sync.Mutex // guards inbox, closed
	inbox  []msg
	closed bool
	wake   chan struct{} // capacity 1: inbox became non-empty
	done   chan struct{} // closed by Close
	exited chan struct{} // closed when run returns

	// Owned by run.
	configs map[string]*config.Group
	pools   map[string]*pool
}

type msgKind int

const (
	msgEvent msgKind = iota
	msgConfigure
	msgAddPool
	msgAttach
	msgOutput
	msgDetach
	msgWriteFailed
	msgQuery
)

type msg struct {
	kind   msgKind
	ev     Event
	groups []*config.Group
	pool   string
	proc   string
	pid    int
	w      io.Writer
	data   []byte
	err    error
	reply  chan []ListenerInfo
}

// NewPools returns pools fed by bus. identifier is the server name in
// each event header ([supervisord] identifier). One goroutine runs until
// Close.
func NewPools(bus *Bus, logger *slog.Logger, identifier string) *Pools {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p := &Pools{
		bus:        bus,
		log:        logger,
		identifier: identifier,
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
		exited:     make(chan struct{}),
		configs:    map[string]*config.Group{},
		pools:      map[string]*pool{},
	}
	p.sub = bus.subscribeFunc(func(e Event) {
		if !e.Type.Superd() { // supervisord's listeners know only its own types
			p.send(msg{kind: msgEvent, ev: e})
		}
	})
	go p.run()
	return p
}

// Close stops the pools: no more events are delivered, the per-listener
// writer goroutines are told to end, and Close waits for the pools'
// goroutine (not for writers blocked in a Write to a child's stdin; they
// end when that write returns).
func (p *Pools) Close() {
	p.sub.Close()
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.done)
	}
	p.mu.Unlock()
	<-p.exited
}

// Configure records the eventlistener groups of a (new) configuration.
// Groups of other kinds are ignored. A pool is created with its group's
// configuration when the bus carries PROCESS_GROUP_ADDED for it, so call
// Configure before the supervisor publishes that event.
func (p *Pools) Configure(groups []*config.Group) {
	p.send(msg{kind: msgConfigure, groups: groups})
}

// AddPool records the configuration of one eventlistener group (other
// kinds are ignored), as Configure does for a whole configuration. The
// supervisor calls it right before it publishes the group's
// PROCESS_GROUP_ADDED.
func (p *Pools) AddPool(g *config.Group) {
	p.send(msg{kind: msgAddPool, groups: []*config.Group{g}})
}

// Attach implements process.ListenerHook.
func (p *Pools) Attach(pool, process string, pid int, stdin io.Writer) {
	p.send(msg{kind: msgAttach, pool: pool, proc: process, pid: pid, w: stdin})
}

// Output implements process.ListenerHook. data is copied.
func (p *Pools) Output(pool, process string, pid int, data []byte) {
	p.send(msg{kind: msgOutput, pool: pool, proc: process, pid: pid, data: bytes.Clone(data)})
}

// Detach implements process.ListenerHook.
func (p *Pools) Detach(pool, process string, pid int) {
	p.send(msg{kind: msgDetach, pool: pool, proc: process, pid: pid})
}

// ListenerInfo describes one listener process of a pool.
type ListenerInfo struct {
	Pool, Process string
	PID           int
	State         ListenerState
	// ProcessState is the last PROCESS_STATE_* seen for it ("RUNNING").
	ProcessState string
	// Buffered is the number of events waiting in the pool's buffer.
	Buffered int
}

// Listeners returns the state of every listener process of every pool,
// sorted by pool then process (config order). It returns nil after Close.
func (p *Pools) Listeners() []ListenerInfo {
	reply := make(chan []ListenerInfo, 1)
	if !p.send(msg{kind: msgQuery, reply: reply}) {
		return nil
	}
	select {
	case r := <-reply:
		return r
	case <-p.exited:
		return nil
	}
}

func (p *Pools) send(m msg) bool {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return false
	}
	p.inbox = append(p.inbox, m)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return true
}

func (p *Pools) run() {
	defer close(p.exited)
	defer func() {
		for _, pl := range p.pools {
			for _, l := range pl.procs {
				l.detach()
			}
		}
	}()
	for {
		select {
		case <-p.done:
			return
		case <-p.wake:
		}
		p.mu.Lock()
		batch := p.inbox
		p.inbox = nil
		p.mu.Unlock()
		for _, m := range batch {
			p.handle(m)
		}
	}
}

func (p *Pools) handle(m msg) {
	switch m.kind {
	case msgEvent:
		p.handleEvent(m.ev)
	case msgConfigure, msgAddPool:
		if m.kind == msgConfigure {
			p.configs = map[string]*config.Group{}
		}
		for _, g := range m.groups {
			if g.Kind == config.KindEventListener && g.Listener != nil {
				p.configs[g.Name] = g
			}
		}
	case msgAttach:
		pl := p.pools[m.pool]
		if pl == nil {
			// The supervisor did not announce the group (yet): create
			// the pool now rather than lose its listener.
			pl = p.addPool(m.pool)
			if pl == nil {
				p.log.Warn(fmt.Sprintf("event listener %s attached to unknown pool %s", m.proc, m.pool))
				return
			}
		}
		l := pl.listener(m.proc)
		if l == nil {
			p.log.Warn(fmt.Sprintf("event listener %s is not part of pool %s", m.proc, m.pool))
			return
		}
		pl.detach(l)
		l.attach(p, pl.name, m.pid, m.w)
		pl.dispatch()
	case msgOutput:
		if pl, l := p.find(m.pool, m.proc, m.pid); l != nil {
			l.buf = append(l.buf, m.data...)
			pl.handleOutput(l)
			pl.dispatch()
		}
	case msgDetach:
		if pl, l := p.find(m.pool, m.proc, m.pid); l != nil {
			pl.detach(l)
			pl.dispatch()
		}
	case msgWriteFailed:
		if pl, l := p.find(m.pool, m.proc, m.pid); l != nil && l.stdinOK {
			p.log.Debug(fmt.Sprintf("error while sending an event to listener %s: %v", m.proc, m.err))
			// Like supervisord on EPIPE, stop using this listener; the
			// event it was given goes back to the pool.
			l.stdinOK = false
			if l.cur != nil {
				pl.rebuffer(l.cur)
				l.cur = nil
			}
			pl.dispatch()
		}
	case msgQuery:
		var out []ListenerInfo
		for _, name := range sortedKeys(p.pools) {
			pl := p.pools[name]
			for _, l := range pl.procs {
				out = append(out, ListenerInfo{Pool: pl.name, Process: l.name, PID: l.pid, State: l.state,
					ProcessState: l.procState, Buffered: len(pl.buffer)})
			}
		}
		m.reply <- out
	}
}

func (p *Pools) find(pool, proc string, pid int) (*pool, *listener) {
	pl := p.pools[pool]
	if pl == nil {
		return nil, nil
	}
	l := pl.listener(proc)
	if l == nil || !l.attached || l.pid != pid {
		return nil, nil
	}
	return pl, l
}

func (p *Pools) handleEvent(e Event) {
	switch e.Type {
	case ProcessGroupAdded:
		if p.pools[e.Group] == nil {
			p.addPool(e.Group)
		}
	case ProcessGroupRemoved:
		if pl := p.pools[e.Group]; pl != nil {
			for _, l := range pl.procs {
				l.detach()
			}
			delete(p.pools, e.Group)
		}
	}
	if e.Type.Is(ProcessState) {
		if pl := p.pools[e.Group]; pl != nil {
			if l := pl.listener(e.Process); l != nil && (e.PID == 0 || l.pid == 0 || e.PID == l.pid) {
				l.procState = e.State
			}
		}
	}
	var d *delivery
	for _, name := range sortedKeys(p.pools) {
		pl := p.pools[name]
		// supervisord subscribes a pool once per configured type, so
		// an event matching two of them (PROCESS_STATE and
		// PROCESS_STATE_FATAL) is accepted twice.
		for _, t := range pl.types {
			if !e.Type.Is(t) {
				continue
			}
			if d == nil {
				d = &delivery{ev: e, serial: p.bus.listenerSerial.Add(1) - 1, payload: e.Payload()}
			}
			pl.accept(d, false)
		}
	}
	for _, pl := range p.pools {
		pl.dispatch()
	}
}

// addPool creates the pool for group name from the configured groups;
// nil if name is not a configured eventlistener group.
func (p *Pools) addPool(name string) *pool {
	g := p.configs[name]
	if g == nil {
		return nil
	}
	pl := &pool{
		p:          p,
		name:       name,
		bufferSize: g.Listener.BufferSize,
		serials:    map[*delivery]uint64{},
	}
	seen := map[Type]bool{}
	for _, s := range g.Listener.Events {
		t, ok := ParseType(s)
		if !ok || seen[t] {
			continue
		}
		seen[t] = true
		pl.types = append(pl.types, t)
	}
	for _, pc := range g.Processes {
		pl.procs = append(pl.procs, &listener{name: pc.Name, state: ListenerAcknowledged})
	}
	if h := g.Listener.ResultHandler; h != "" && h != DefaultResultHandler {
		p.log.Warn(fmt.Sprintf("pool %s: result_handler %s is not supported, using %s", name, h, DefaultResultHandler))
	}
	p.pools[name] = pl
	return pl
}

// delivery is one event as the pools see it: supervisord numbers only
// the events some pool accepted, with one global serial.
type delivery struct {
	ev      Event
	serial  uint64
	payload string
}

type pool struct {
	p          *Pools
	name       string
	types      []Type
	bufferSize int
	procs      []*listener // config order, which is dispatch order
	buffer     []*delivery
	serials    map[*delivery]uint64 // pool serial of each accepted event
	nextSerial uint64
}

func (pl *pool) listener(name string) *listener {
	for _, l := range pl.procs {
		if l.name == name {
			return l
		}
	}
	return nil
}

// accept is supervisord's EventListenerPool._acceptEvent.
func (pl *pool) accept(d *delivery, head bool) {
	if _, ok := pl.serials[d]; !ok {
		pl.serials[d] = pl.nextSerial
		pl.nextSerial++
	} else {
		pl.p.log.Debug(fmt.Sprintf("rebuffering event %d for pool %s (buf size=%d, max=%d)",
			d.serial, pl.name, len(pl.buffer), pl.bufferSize))
	}
	if len(pl.buffer) >= pl.bufferSize && len(pl.buffer) > 0 {
		old := pl.buffer[0]
		pl.buffer = pl.buffer[1:]
		pl.forget(old)
		pl.p.log.Error(fmt.Sprintf("pool %s event buffer overflowed, discarding event %d", pl.name, old.serial))
	}
	if head {
		pl.buffer = append([]*delivery{d}, pl.buffer...)
	} else {
		pl.buffer = append(pl.buffer, d)
	}
}

// forget drops the pool serial of d unless d is still buffered or being
// processed (an event accepted twice shares one serial).
func (pl *pool) forget(d *delivery) {
	for _, b := range pl.buffer {
		if b == d {
			return
		}
	}
	for _, l := range pl.procs {
		if l.cur == d {
			return
		}
	}
	delete(pl.serials, d)
}

// rebuffer is supervisord's handle_rejected: the event goes back to the
// head of the buffer with its serials.
func (pl *pool) rebuffer(d *delivery) { pl.accept(d, true) }

// dispatch is supervisord's EventListenerPool.dispatch: it hands the
// oldest events to the first RUNNING and READY listeners, in order.
func (pl *pool) dispatch() {
	for len(pl.buffer) > 0 {
		var l *listener
		for _, c := range pl.procs {
			if c.attached && c.stdinOK && c.procState == "RUNNING" && c.state == ListenerReady {
				l = c
				break
			}
		}
		if l == nil {
			return
		}
		d := pl.buffer[0]
		pl.buffer = pl.buffer[1:]
		env := Envelope(pl.p.identifier, d.serial, pl.name, pl.serials[d], d.ev.Type, d.payload)
		l.w.write(env)
		l.state = ListenerBusy
		l.cur = d
		pl.p.log.Debug(fmt.Sprintf("event %d sent to listener %s", d.serial, l.name))
	}
}

// detach forgets l's process; an event it was processing goes back to
// the head of the buffer (supervisord's finish with process.event set).
func (pl *pool) detach(l *listener) {
	if !l.attached {
		return
	}
	cur := l.cur
	l.detach()
	if cur != nil {
		pl.rebuffer(cur)
		pl.forget(cur)
	}
}

func (pl *pool) changeState(l *listener, s ListenerState) {
	log := pl.p.log
	log.Debug(fmt.Sprintf("%s: %s -> %s", l.name, l.state, s))
	l.state = s
	if s == ListenerUnknown {
		log.Warn(l.name + ": has entered the UNKNOWN state and will no longer receive events, " +
			"this usually indicates the process violated the eventlistener protocol")
	}
}

// reject puts the event l was processing back into the pool.
func (pl *pool) reject(l *listener) {
	if d := l.cur; d != nil {
		l.cur = nil
		pl.rebuffer(d)
	}
}

// handleOutput is supervisord's
// PEventListenerDispatcher.handle_listener_state_change, as a loop.
func (pl *pool) handleOutput(l *listener) {
	log := pl.p.log
	for len(l.buf) > 0 {
		switch l.state {
		case ListenerUnknown:
			l.buf = nil
			return
		case ListenerAcknowledged:
			if len(l.buf) < len(readyToken) {
				return
			}
			if bytes.HasPrefix(l.buf, []byte(readyToken)) {
				pl.changeState(l, ListenerReady)
				l.buf = l.buf[len(readyToken):]
			} else {
				pl.changeState(l, ListenerUnknown)
				l.buf = nil
			}
			pl.finishEvent(l)
		case ListenerReady:
			// Spurious data: supervisord is strict about it.
			pl.changeState(l, ListenerUnknown)
			l.buf = nil
			pl.finishEvent(l)
			return
		case ListenerBusy:
			if l.resultLen < 0 {
				pos := bytes.IndexByte(l.buf, '\n')
				if pos < 0 {
					return
				}
				line := l.buf[:pos]
				l.buf = l.buf[pos+1:]
				n, ok := pyInt(line[min(resultTokenSz, len(line)):])
				if !ok {
					text := string(line)
					if !utf8.Valid(line) {
						text = "Undecodable: " + PyBytesRepr(line)
					}
					log.Warn(fmt.Sprintf("%s: bad result line: '%s'", l.name, text))
					pl.changeState(l, ListenerUnknown)
					l.buf = nil
					pl.reject(l)
					return
				}
				l.resultLen = n
			} else {
				if needed := l.resultLen - len(l.result); needed > 0 {
					take := min(needed, len(l.buf))
					l.result = append(l.result, l.buf[:take]...)
					l.buf = l.buf[take:]
				}
				if len(l.result) == l.resultLen {
					pl.handleResult(l, l.result)
					l.result = nil
					l.resultLen = -1
				}
			}
		}
	}
}

// finishEvent drops the listener's current event without rebuffering
// (supervisord sets process.event = None).
func (pl *pool) finishEvent(l *listener) {
	if d := l.cur; d != nil {
		l.cur = nil
		pl.forget(d)
	}
}

// handleResult applies supervisord's default_handler: "OK" means the
// event was processed, anything else rejects it.
func (pl *pool) handleResult(l *listener, result []byte) {
	if string(result) == "OK" {
		pl.p.log.Debug(l.name + ": event was processed")
		pl.changeState(l, ListenerAcknowledged)
		pl.finishEvent(l)
		return
	}
	pl.p.log.Warn(l.name + ": event was rejected")
	pl.changeState(l, ListenerAcknowledged)
	pl.reject(l)
}

// listener is one process of a pool.
type listener struct {
	name      string
	attached  bool
	pid       int
	procState string // last PROCESS_STATE_* state seen
	state     ListenerState
	cur       *delivery // event being processed (BUSY)
	buf       []byte    // unparsed stdout
	result    []byte
	resultLen int // -1: no RESULT line yet
	w         *stdinWriter
	stdinOK   bool
}

func (l *listener) attach(p *Pools, pool string, pid int, w io.Writer) {
	l.attached = true
	l.pid = pid
	l.state = ListenerAcknowledged
	l.cur = nil
	l.buf = nil
	l.result = nil
	l.resultLen = -1
	l.stdinOK = true
	l.w = newStdinWriter(p, pool, l.name, pid, w)
}

func (l *listener) detach() {
	if l.w != nil {
		l.w.close()
		l.w = nil
	}
	l.attached = false
	l.cur = nil
	l.buf = nil
	l.result = nil
	l.resultLen = -1
	l.state = ListenerAcknowledged
}

// stdinWriter writes envelopes to one listener's stdin from its own
// goroutine, so a listener that does not read never blocks the pools.
// The goroutine ends when close is called and it is not inside Write,
// or when its Write returns after close.
type stdinWriter struct {
	mu     sync.Mutex // guards queue, closed
	queue  [][]byte
	closed bool
	wake   chan struct{}
}

func newStdinWriter(p *Pools, pool, proc string, pid int, w io.Writer) *stdinWriter {
	sw := &stdinWriter{wake: make(chan struct{}, 1)}
	go func() {
		for range sw.wake {
			for {
				sw.mu.Lock()
				if sw.closed || len(sw.queue) == 0 {
					closed := sw.closed
					sw.mu.Unlock()
					if closed {
						return
					}
					break
				}
				data := sw.queue[0]
				sw.queue = sw.queue[1:]
				sw.mu.Unlock()
				if w == nil {
					continue
				}
				if _, err := w.Write(data); err != nil {
					p.send(msg{kind: msgWriteFailed, pool: pool, proc: proc, pid: pid, err: err})
					return
				}
			}
		}
	}()
	return sw
}

func (sw *stdinWriter) write(data []byte) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.closed {
		return
	}
	sw.queue = append(sw.queue, data)
	select {
	case sw.wake <- struct{}{}:
	default:
	}
}

func (sw *stdinWriter) close() {
	sw.mu.Lock()
	if !sw.closed {
		sw.closed = true
		sw.queue = nil
		close(sw.wake)
	}
	sw.mu.Unlock()
}

// pyInt parses b as Python's int() parses a bytes value in base 10:
// surrounding whitespace, an optional sign, digits with single
// underscores between them. Negative lengths are refused (supervisord
// would recurse until it crashed).
func pyInt(b []byte) (int, bool) {
	s := string(bytes.TrimSpace(b))
	if s == "" {
		return 0, false
	}
	if s[0] == '+' {
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || bytes.Contains([]byte(s), []byte("__")) {
		return 0, false
	}
	digits := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == '_':
		default:
			return 0, false
		}
	}
	n, err := strconv.Atoi(string(digits))
	if err != nil {
		return 0, false
	}
	return n, true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
