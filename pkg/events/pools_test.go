package events

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/superd/superd/pkg/config"
)

// logRecorder is a slog handler that keeps "LEVEL message" lines.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.lines = append(r.lines, rec.Level.String()+" "+rec.Message)
	r.mu.Unlock()
	return nil
}
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

func (r *logRecorder) has(line string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		if l == line {
			return true
		}
	}
	return false
}

// fixture is a bus, pools with one pool "lp" of n listener processes,
// and a fake stdin (an io.Pipe) per listener.
type fixture struct {
	t     *testing.T
	bus   *Bus
	pools *Pools
	logs  *logRecorder
	stdin map[string]*bufio.Reader
	pipes []*io.PipeReader
}

func listenerGroup(name string, n, bufferSize int, types ...string) *config.Group {
	g := &config.Group{Name: name, Kind: config.KindEventListener,
		Listener: &config.Listener{Events: types, BufferSize: bufferSize, ResultHandler: DefaultResultHandler}}
	for i := 0; i < n; i++ {
		proc := name
		if n > 1 {
			proc = fmt.Sprintf("%s_%d", name, i)
		}
		g.Processes = append(g.Processes, &config.Process{Name: proc, Group: name, Program: name, ProcessNum: i})
	}
	return g
}

func newFixture(t *testing.T, groups ...*config.Group) *fixture {
	f := &fixture{t: t, bus: NewBus(), logs: &logRecorder{}, stdin: map[string]*bufio.Reader{}}
	f.pools = NewPools(f.bus, slog.New(f.logs), "supervisor")
	t.Cleanup(func() {
		f.pools.Close()
		f.bus.Close()
		for _, p := range f.pipes {
			p.Close()
		}
	})
	f.pools.Configure(groups)
	for _, g := range groups {
		f.bus.Publish(Event{Type: ProcessGroupAdded, Group: g.Name})
	}
	return f
}

// start attaches a listener process and makes it RUNNING.
func (f *fixture) start(pool, proc string, pid int) {
	r, w := io.Pipe()
	f.pipes = append(f.pipes, r)
	f.stdin[proc] = bufio.NewReader(r)
	f.pools.Attach(pool, proc, pid, w)
	f.bus.Publish(Event{Type: ProcessStateStarting, Process: proc, Group: pool, FromState: "STOPPED"})
	f.bus.Publish(Event{Type: ProcessStateRunning, Process: proc, Group: pool, FromState: "STARTING", PID: pid})
}

type envelope struct {
	header  map[string]string
	payload string
}

func (e envelope) String() string {
	return fmt.Sprintf("serial:%s poolserial:%s %s %q", e.header["serial"], e.header["poolserial"], e.header["eventname"], e.payload)
}

// read reads one envelope from proc's stdin the way childutils does.
func (f *fixture) read(proc string) envelope {
	f.t.Helper()
	type res struct {
		env envelope
		err error
	}
	ch := make(chan res, 1)
	br := f.stdin[proc]
	go func() {
		line, err := br.ReadString('\n')
		if err != nil {
			ch <- res{err: err}
			return
		}
		h := map[string]string{}
		for _, kv := range strings.Fields(line) {
			k, v, _ := strings.Cut(kv, ":")
			h[k] = v
		}
		n, err := strconv.Atoi(h["len"])
		if err != nil {
			ch <- res{err: fmt.Errorf("bad header %q", line)}
			return
		}
		var p strings.Builder
		for i := 0; i < n; i++ {
			r, _, err := br.ReadRune()
			if err != nil {
				ch <- res{err: err}
				return
			}
			p.WriteRune(r)
		}
		ch <- res{env: envelope{h, p.String()}}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			f.t.Fatalf("%s: reading envelope: %v", proc, r.err)
		}
		return r.env
	case <-time.After(10 * time.Second):
		f.t.Fatalf("%s: no envelope arrived", proc)
	}
	return envelope{}
}

func (f *fixture) out(pool, proc string, pid int, s string) {
	f.pools.Output(pool, proc, pid, []byte(s))
}

// state returns the listener state after every earlier call was handled.
func (f *fixture) state(proc string) ListenerInfo {
	for _, li := range f.pools.Listeners() {
		if li.Process == proc {
			return li
		}
	}
	f.t.Fatalf("no listener %s", proc)
	return ListenerInfo{}
}

func TestPoolProtocolBasic(t *testing.T) {
	f := newFixture(t, listenerGroup("lp", 1, 10, "PROCESS_STATE", "TICK_5"))
	f.start("lp", "lp", 100)
	if s := f.state("lp"); s.State != ListenerAcknowledged || s.Buffered != 2 {
		t.Fatalf("before READY: %+v", s)
	}
	// READY split across two reads.
	f.out("lp", "lp", 100, "REA")
	f.out("lp", "lp", 100, "DY\n")
	e := f.read("lp")
	want := "ver:3.0 server:supervisor serial:0 pool:lp poolserial:0 eventname:PROCESS_STATE_STARTING len:54"
	got := fmt.Sprintf("ver:%s server:%s serial:%s pool:%s poolserial:%s eventname:%s len:%s", e.header["ver"],
		e.header["server"], e.header["serial"], e.header["pool"], e.header["poolserial"], e.header["eventname"], e.header["len"])
	if got != want || e.payload != "processname:lp groupname:lp from_state:STOPPED tries:0" {
		t.Errorf("first envelope: %s %q", got, e.payload)
	}
	if s := f.state("lp"); s.State != ListenerBusy {
		t.Errorf("after dispatch: %v", s.State)
	}
	// RESULT split, with READY in the same chunk as the result body.
	f.out("lp", "lp", 100, "RESULT 2\nO")
	f.out("lp", "lp", 100, "KREADY\n")
	e = f.read("lp")
	if e.header["serial"] != "1" || e.header["eventname"] != "PROCESS_STATE_RUNNING" ||
		e.payload != "processname:lp groupname:lp from_state:STARTING pid:100" {
		t.Errorf("second envelope: %s", e)
	}
	f.out("lp", "lp", 100, "RESULT 2\nOKREADY\n")
	// Not subscribed: no serial is used. TICK_5 is.
	f.bus.Publish(Event{Type: ProcessLogStdout, Process: "x", Group: "x", Data: []byte("hi")})
	f.bus.Publish(Event{Type: Tick5, When: 1700000005})
	e = f.read("lp")
	if e.header["serial"] != "2" || e.header["poolserial"] != "2" || e.payload != "when:1700000005" {
		t.Errorf("tick envelope: %s", e)
	}
}

func TestPoolFailIsRedelivered(t *testing.T) {
	f := newFixture(t, listenerGroup("lp", 1, 10, "TICK_60"))
	f.start("lp", "lp", 100)
	f.out("lp", "lp", 100, "READY\n")
	f.bus.Publish(Event{Type: Tick60, When: 60})
	f.bus.Publish(Event{Type: Tick60, When: 120})
	first := f.read("lp")
	f.out("lp", "lp", 100, "RESULT 4\nFAILREADY\n")
	again := f.read("lp")
	if again.String() != first.String() {
		t.Errorf("redelivered %s, want %s", again, first)
	}
	f.out("lp", "lp", 100, "RESULT 2\nOKREADY\n")
	if next := f.read("lp"); next.payload != "when:120" || next.header["poolserial"] != "1" {
		t.Errorf("next: %s", next)
	}
	if !f.logs.has("WARN lp: event was rejected") {
		t.Errorf("no rejection warning in %q", f.logs.lines)
	}
}

func TestPoolGarbageMeansUnknown(t *testing.T) {
	f := newFixture(t, listenerGroup("lp", 1, 10, "TICK_60"))
	f.start("lp", "lp", 100)
	f.out("lp", "lp", 100, "hello world\n")
	f.bus.Publish(Event{Type: Tick60, When: 60})
	s := f.state("lp")
	if s.State != ListenerUnknown || s.Buffered != 1 {
		t.Errorf("after garbage: %+v", s)
	}
	if !f.logs.has("WARN lp: has entered the UNKNOWN state and will no longer receive events, " +
		"this usually indicates the process violated the eventlistener protocol") {
		t.Errorf("no UNKNOWN warning in %q", f.logs.lines)
	}
	// A restarted process starts over in ACKNOWLEDGED.
	f.pools.Detach("lp", "lp", 100)
	f.start("lp", "lp", 101)
	f.out("lp", "lp", 101, "READY\n")
	if e := f.read("lp"); e.header["eventname"] != "TICK_60" {
		t.Errorf("after restart: %s", e)
	}
}

func TestPoolSpuriousOutputWhenReady(t *testing.T) {
	f := newFixture(t, listenerGroup("lp", 1, 10, "TICK_60"))
	f.out("lp", "lp", 100, "READY\n") // not attached: ignored
	f.start("lp", "lp", 100)
	f.out("lp", "lp", 100, "READY\nREADY\n")
	if s := f.state("lp"); s.State != ListenerUnknown {
		t.Errorf("state %v, want UNKNOWN", s.State)
	}
}

func TestPoolBadResultLineRebuffers(t *testing.T) {
	f := newFixture(t, listenerGroup("lp", 2, 10, "TICK_60"))
	f.start("lp", "lp_0", 100)
	f.start("lp", "lp_1", 101)
	f.out("lp", "lp_0", 100, "READY\n")
	f.bus.Publish(Event{Type: Tick60, When: 60})
	e0 := f.read("lp_0")
	f.out("lp", "lp_0", 100, "RESULT two\n")
	if s := f.state("lp_0"); s.State != ListenerUnknown || s.Buffered != 1 {
		t.Errorf("lp_0: %+v", s)
	}
	if !f.logs.has("WARN lp_0: bad result line: 'RESULT two'") {
		t.Errorf("no bad result line warning in %q", f.logs.lines)
	}
	f.out("lp", "lp_1", 101, "READY\n")
	if e1 := f.read("lp_1"); e1.String() != e0.String() {
		t.Errorf("lp_1 got %s, want %s", e1, e0)
	}
}

func TestPoolDispatchOrderAndRunningOnly(t *testing.T) {
	f := newFixture(t, listenerGroup("lp", 2, 10, "TICK_60"))
	f.start("lp", "lp_0", 100)
	// lp_1 is attached and READY but not RUNNING yet.
	r, w := io.Pipe()
	f.pipes = append(f.pipes, r)
	f.stdin["lp_1"] = bufio.NewReader(r)
	f.pools.Attach("lp", "lp_1", 101, w)
	f.out("lp", "lp_1", 101, "READY\n")
	f.bus.Publish(Event{Type: Tick60, When: 60})
	if s := f.state("lp_1"); s.State != ListenerReady || s.Buffered != 1 {
		t.Fatalf("lp_1 not RUNNING must not get events: %+v", s)
	}
	f.bus.Publish(Event{Type: ProcessStateRunning, Process: "lp_1", Group: "lp", FromState: "STARTING", PID: 101})
	if e := f.read("lp_1"); e.payload != "when:60" {
		t.Errorf("lp_1: %s", e)
	}
	// Both ready: the first in config order gets the event.
	f.out("lp", "lp_0", 100, "READY\n")
	f.out("lp", "lp_1", 101, "RESULT 2\nOKREADY\n")
	f.bus.Publish(Event{Type: Tick60, When: 120})
	if e := f.read("lp_0"); e.payload != "when:120" {
		t.Errorf("lp_0: %s", e)
	}
}

func TestPoolDeathWhileBusyRebuffers(t *testing.T) {
	f := newFixture(t, listenerGroup("lp", 1, 10, "TICK_60"))
	f.start("lp", "lp", 100)
	f.out("lp", "lp", 100, "READY\n")
	f.bus.Publish(Event{Type: Tick60, When: 60})
	first := f.read("lp")
	f.out("lp", "lp", 100, "RESULT 2\n") // partial: still BUSY
	f.bus.Publish(Event{Type: ProcessStateExited, Process: "lp", Group: "lp", FromState: "RUNNING", PID: 100})
	f.pools.Detach("lp", "lp", 100)
	f.out("lp", "lp", 100, "OK") // late output of the dead process: ignored
	f.start("lp", "lp", 200)
	f.out("lp", "lp", 200, "READY\n")
	if e := f.read("lp"); e.String() != first.String() {
		t.Errorf("after restart got %s, want %s", e, first)
	}
}

func TestPoolBufferOverflowDiscardsOldest(t *testing.T) {
	f := newFixture(t, listenerGroup("lp", 1, 2, "TICK_60"))
	for i := 1; i <= 3; i++ {
		f.bus.Publish(Event{Type: Tick60, When: int64(60 * i)})
	}
	f.start("lp", "lp", 100)
	f.out("lp", "lp", 100, "READY\n")
	if e := f.read("lp"); e.header["serial"] != "1" || e.payload != "when:120" {
		t.Errorf("first after overflow: %s", e)
	}
	if !f.logs.has("ERROR pool lp event buffer overflowed, discarding event 0") {
		t.Errorf("no overflow error in %q", f.logs.lines)
	}
}

func TestPoolOverlappingTypesAcceptTwice(t *testing.T) {
	// supervisord subscribes once per listed type, so FATAL matches twice.
	f := newFixture(t, listenerGroup("lp", 1, 10, "PROCESS_STATE_FATAL", "process_state"))
	f.bus.Publish(Event{Type: ProcessStateFatal, Process: "x", Group: "x", FromState: "BACKOFF"})
	f.start("lp", "lp", 100)
	f.out("lp", "lp", 100, "READY\n")
	a := f.read("lp")
	f.out("lp", "lp", 100, "RESULT 2\nOKREADY\n")
	b := f.read("lp")
	if a.String() != b.String() || a.header["eventname"] != "PROCESS_STATE_FATAL" {
		t.Errorf("got %s then %s", a, b)
	}
}

func TestPoolGroupEvents(t *testing.T) {
	other := listenerGroup("other", 1, 10, "TICK_5")
	f := newFixture(t, listenerGroup("lp", 1, 10, "PROCESS_GROUP"), other)
	f.bus.Publish(Event{Type: ProcessGroupRemoved, Group: "other"})
	f.bus.Publish(Event{Type: ProcessGroupRemoved, Group: "lp"}) // its own: removed first, not delivered
	f.bus.Publish(Event{Type: ProcessGroupAdded, Group: "lp"})
	f.start("lp", "lp", 100)
	f.out("lp", "lp", 100, "READY\n")
	// The first pool "lp" got ADDED lp, ADDED other, REMOVED other and
	// was then removed; the new pool starts with its own ADDED event.
	e := f.read("lp")
	if e.header["eventname"] != "PROCESS_GROUP_ADDED" || e.payload != "groupname:lp\n" ||
		e.header["serial"] != "3" || e.header["poolserial"] != "0" {
		t.Errorf("got %s", e)
	}
	f.out("lp", "lp", 100, "RESULT 2\nOKREADY\n")
	if s := f.state("lp"); s.Buffered != 0 || s.State != ListenerReady {
		t.Errorf("unexpected state %+v", s)
	}
}

func TestPoolNonASCIILen(t *testing.T) {
	f := newFixture(t, listenerGroup("lp", 1, 10, "REMOTE_COMMUNICATION", "PROCESS_LOG"))
	f.start("lp", "lp", 100)
	f.out("lp", "lp", 100, "READY\n")
	f.bus.Publish(Event{Type: RemoteCommunication, RemoteType: "t", Data: []byte("mydata é")})
	e := f.read("lp")
	if e.header["len"] != "15" || e.payload != "type:t\nmydata é" {
		t.Errorf("remote: %s len %s", e, e.header["len"])
	}
	f.out("lp", "lp", 100, "RESULT 2\nOKREADY\n")
	f.bus.Publish(Event{Type: ProcessLogStderr, Process: "p", Group: "p", PID: 5, Data: []byte("\xff")})
	e = f.read("lp")
	if e.payload != "processname:p groupname:p pid:5 channel:stderr\nUndecodable: b'\\xff'" {
		t.Errorf("undecodable: %s", e)
	}
}

// A listener that never reads its stdin blocks neither Publish nor the
// pools.
func TestPoolStuckListenerBlocksNothing(t *testing.T) {
	f := newFixture(t, listenerGroup("lp", 1, 5, "EVENT"), listenerGroup("ok", 1, 100000, "TICK_5"))
	r, w := io.Pipe() // nobody ever reads; closed at cleanup
	f.pipes = append(f.pipes, r)
	f.pools.Attach("lp", "lp", 100, w)
	f.bus.Publish(Event{Type: ProcessStateRunning, Process: "lp", Group: "lp", FromState: "STARTING", PID: 100})
	f.out("lp", "lp", 100, "READY\n")
	f.start("ok", "ok", 200)
	f.out("ok", "ok", 200, "READY\n")
	big := strings.Repeat("x", 100<<10)
	for i := 0; i < 200; i++ {
		f.bus.Publish(Event{Type: ProcessLogStdout, Process: "p", Group: "p", Data: []byte(big)})
		f.bus.Publish(Event{Type: Tick5, When: int64(i)})
	}
	if s := f.state("lp"); s.State != ListenerBusy || s.Buffered != 5 {
		t.Errorf("stuck listener: %+v", s)
	}
	// The other pool still works.
	for i := 0; i < 3; i++ {
		if e := f.read("ok"); e.payload != fmt.Sprintf("when:%d", i) {
			t.Fatalf("ok pool: %s", e)
		}
		f.out("ok", "ok", 200, "RESULT 2\nOKREADY\n")
	}
}

func TestPyInt(t *testing.T) {
	for _, tc := range []struct {
		in string
		n  int
		ok bool
	}{
		{"2", 2, true}, {" 2 ", 2, true}, {"+2", 2, true}, {"0002", 2, true}, {"1_0", 10, true},
		{"", 0, false}, {"two", 0, false}, {"-1", 0, false}, {"1__0", 0, false}, {"_1", 0, false}, {"2\r", 2, true},
	} {
		n, ok := pyInt([]byte(tc.in))
		if n != tc.n || ok != tc.ok {
			t.Errorf("pyInt(%q) = %d, %v", tc.in, n, ok)
		}
	}
}

// listenerHook mirrors process.ListenerHook (pkg/process imports this
// package, so it cannot be named here without an import cycle in tests
// that must build while pkg/process changes).
type listenerHook interface {
	Attach(pool, process string, pid int, stdin io.Writer)
	Output(pool, process string, pid int, data []byte)
	Detach(pool, process string, pid int)
}

var _ listenerHook = (*Pools)(nil)

// Closing the pools and the bus ends every goroutine they started,
// including writers blocked on a stdin nobody reads once it is closed.
func TestCloseEndsGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	bus := NewBus()
	pools := NewPools(bus, nil, "supervisor")
	sub := bus.Subscribe(Tick)
	pools.Configure([]*config.Group{listenerGroup("lp", 2, 10, "EVENT")})
	bus.Publish(Event{Type: ProcessGroupAdded, Group: "lp"})
	var readers []*io.PipeReader
	for i, name := range []string{"lp_0", "lp_1"} {
		r, w := io.Pipe()
		readers = append(readers, r)
		pools.Attach("lp", name, 100+i, w)
		bus.Publish(Event{Type: ProcessStateRunning, Process: name, Group: "lp", PID: 100 + i})
		pools.Output("lp", name, 100+i, []byte("READY\n"))
	}
	bus.Publish(Event{Type: Tick5})
	if got := pools.Listeners(); len(got) != 2 || got[0].State != ListenerBusy || got[1].State != ListenerBusy {
		t.Fatalf("listeners: %+v", got)
	}
	pools.Close()
	bus.Close()
	for range sub.C() {
	}
	for _, r := range readers {
		r.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond) // polling the goroutine count
	}
	if pools.Listeners() != nil {
		t.Error("Listeners after Close returned data")
	}
}
