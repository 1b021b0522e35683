package events

import (
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

func recv(t *testing.T, s *Subscription) Event {
	t.Helper()
	select {
	case e, ok := <-s.C():
		if !ok {
			t.Fatal("subscription closed")
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for an event")
	}
	return Event{}
}

func TestParseType(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Type
		ok   bool
	}{
		{"PROCESS_STATE", ProcessState, true},
		{"process_state_fatal", ProcessStateFatal, true},
		{"Tick_5", Tick5, true},
		{"event", Everything, true},
		{"REMOTE_COMMUNICATION", RemoteCommunication, true},
		{"PROCESS_GROUP_added", ProcessGroupAdded, true},
		{"FOO", "", false},
		{"", "", false},
		{"PROCESS", "", false},
	} {
		got, ok := ParseType(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseType(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestTypeIs(t *testing.T) {
	for _, tc := range []struct {
		t, super Type
		want     bool
	}{
		{ProcessStateRunning, ProcessState, true},
		{ProcessStateRunning, Everything, true},
		{ProcessStateRunning, ProcessStateRunning, true},
		{ProcessStateRunning, ProcessStateFatal, false},
		{ProcessState, ProcessStateRunning, false},
		{Tick5, Tick, true},
		{Tick5, ProcessState, false},
		{ProcessLogStdout, ProcessLog, true},
		{ProcessCommunicationStderr, ProcessCommunication, true},
		{ProcessCommunicationStderr, ProcessLog, false},
		{SupervisorStateChangeRunning, SupervisorStateChange, true},
		{ProcessGroupRemoved, ProcessGroup, true},
		{RemoteCommunication, Everything, true},
		{RemoteCommunication, ProcessCommunication, false},
	} {
		if got := tc.t.Is(tc.super); got != tc.want {
			t.Errorf("%s.Is(%s) = %v, want %v", tc.t, tc.super, got, tc.want)
		}
	}
}

func TestBusSerialsOrderAndFiltering(t *testing.T) {
	b := NewBus()
	defer b.Close()
	all := b.Subscribe()
	states := b.Subscribe(ProcessState)
	ticks := b.Subscribe(Tick60, ProcessStateFatal)

	b.Publish(Event{Type: ProcessStateStarting, Process: "a"})
	b.Publish(Event{Type: Tick5, When: 5})
	b.Publish(Event{Type: Tick60, When: 60})
	b.Publish(Event{Type: ProcessStateFatal, Process: "a"})

	for i, want := range []Type{ProcessStateStarting, Tick5, Tick60, ProcessStateFatal} {
		e := recv(t, all)
		if e.Type != want || e.Serial != uint64(i) {
			t.Errorf("all: got %s serial %d, want %s serial %d", e.Type, e.Serial, want, i)
		}
		if e.Time.IsZero() {
			t.Errorf("all: event %d has no time", i)
		}
	}
	e := recv(t, states)
	if e.Type != ProcessStateStarting || e.State != "STARTING" || e.Serial != 0 {
		t.Errorf("states: got %+v", e)
	}
	if e := recv(t, states); e.Type != ProcessStateFatal || e.Serial != 3 {
		t.Errorf("states: got %+v", e)
	}
	if e := recv(t, ticks); e.Type != Tick60 {
		t.Errorf("ticks: got %+v", e)
	}
	if e := recv(t, ticks); e.Type != ProcessStateFatal {
		t.Errorf("ticks: got %+v", e)
	}
}

// A subscriber that never reads must not block Publish.
func TestPublishNeverBlocks(t *testing.T) {
	b := NewBus()
	defer b.Close()
	slow := b.Subscribe()
	const n = 10000
	for i := 0; i < n; i++ {
		b.Publish(Event{Type: Tick5, When: int64(i)})
	}
	for i := 0; i < n; i++ {
		if e := recv(t, slow); e.When != int64(i) {
			t.Fatalf("event %d: when %d", i, e.When)
		}
	}
}

func TestCloseEndsSubscription(t *testing.T) {
	b := NewBus()
	s := b.Subscribe()
	other := b.Subscribe(Tick)
	b.Publish(Event{Type: Tick5})
	s.Close()
	s.Close() // idempotent
	for range s.C() {
	} // must terminate: C is closed
	b.Publish(Event{Type: Tick5})
	if e := recv(t, other); e.Serial != 0 {
		t.Errorf("other: got serial %d", e.Serial)
	}
	if e := recv(t, other); e.Serial != 1 {
		t.Errorf("other: got serial %d", e.Serial)
	}
	b.Close()
	for range other.C() {
	}
	late := b.Subscribe()
	b.Publish(Event{Type: Tick5})
	if _, ok := <-late.C(); ok {
		t.Error("subscription on a closed bus delivered an event")
	}
}

func TestConcurrentPublishers(t *testing.T) {
	b := NewBus()
	defer b.Close()
	s := b.Subscribe()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				b.Publish(Event{Type: Tick5})
			}
		}()
	}
	wg.Wait()
	for i := 0; i < 1600; i++ {
		if e := recv(t, s); e.Serial != uint64(i) {
			t.Fatalf("event %d has serial %d: out of order", i, e.Serial)
		}
	}
}

func TestPayload(t *testing.T) {
	for _, tc := range []struct {
		e    Event
		want string
	}{
		{Event{Type: ProcessStateStarting, Process: "cat", Group: "cat", FromState: "STOPPED", Tries: 0},
			"processname:cat groupname:cat from_state:STOPPED tries:0"},
		{Event{Type: ProcessStateBackoff, Process: "cat", Group: "g", FromState: "STARTING", Tries: 2},
			"processname:cat groupname:g from_state:STARTING tries:2"},
		{Event{Type: ProcessStateRunning, Process: "cat", Group: "cat", FromState: "STARTING", PID: 42},
			"processname:cat groupname:cat from_state:STARTING pid:42"},
		{Event{Type: ProcessStateStopping, Process: "cat", Group: "cat", FromState: "RUNNING", PID: 42},
			"processname:cat groupname:cat from_state:RUNNING pid:42"},
		{Event{Type: ProcessStateStopped, Process: "cat", Group: "cat", FromState: "STOPPING", PID: 42},
			"processname:cat groupname:cat from_state:STOPPING pid:42"},
		{Event{Type: ProcessStateExited, Process: "cat", Group: "cat", FromState: "RUNNING", Expected: true, PID: 42},
			"processname:cat groupname:cat from_state:RUNNING expected:1 pid:42"},
		{Event{Type: ProcessStateExited, Process: "cat", Group: "cat", FromState: "STARTING", PID: 42},
			"processname:cat groupname:cat from_state:STARTING expected:0 pid:42"},
		{Event{Type: ProcessStateFatal, Process: "cat", Group: "cat", FromState: "BACKOFF", PID: 42, Tries: 3},
			"processname:cat groupname:cat from_state:BACKOFF"},
		{Event{Type: ProcessStateUnknown, Process: "cat", Group: "cat", FromState: "RUNNING"},
			"processname:cat groupname:cat from_state:RUNNING"},
		{Event{Type: ProcessLogStdout, Process: "p", Group: "g", PID: 7, Data: []byte("hello é\n")},
			"processname:p groupname:g pid:7 channel:stdout\nhello é\n"},
		{Event{Type: ProcessLogStderr, Process: "p", Group: "g", PID: 7, Data: []byte("a\xffb'")},
			"processname:p groupname:g pid:7 channel:stderr\nUndecodable: b\"a\\xffb'\""},
		{Event{Type: ProcessCommunicationStdout, Process: "p", Group: "g", PID: 7, Data: []byte("<x/>")},
			"processname:p groupname:g pid:7\n<x/>"},
		{Event{Type: RemoteCommunication, RemoteType: "mytype", Data: []byte("mydata é")},
			"type:mytype\nmydata é"},
		{Event{Type: SupervisorStateChangeRunning}, ""},
		{Event{Type: SupervisorStateChangeStopping}, ""},
		{Event{Type: Tick60, When: 1700000040}, "when:1700000040"},
		{Event{Type: ProcessGroupAdded, Group: "web"}, "groupname:web\n"},
		{Event{Type: ProcessGroupRemoved, Group: "web"}, "groupname:web\n"},
	} {
		if got := tc.e.Payload(); got != tc.want {
			t.Errorf("%s payload = %q, want %q", tc.e.Type, got, tc.want)
		}
	}
}

func TestEnvelopeCountsCodePoints(t *testing.T) {
	e := Event{Type: RemoteCommunication, RemoteType: "t", Data: []byte("mydata é")}
	got := string(Envelope("supervisor", 3, "pool", 1, e.Type, e.Payload()))
	want := "ver:3.0 server:supervisor serial:3 pool:pool poolserial:1 eventname:REMOTE_COMMUNICATION len:15\ntype:t\nmydata é"
	if got != want {
		t.Errorf("envelope = %q, want %q", got, want)
	}
}

// PyBytesRepr is compared with Python's own repr when python3 exists.
func TestPyBytesReprMatchesPython(t *testing.T) {
	inputs := [][]byte{
		[]byte("plain"), []byte("it's"), []byte(`say "hi"`), []byte(`both ' and "`),
		[]byte("\x00\x01\t\n\r\x1f\x7f\x80\xff\\"), []byte("caf\xc3\xa9 \xe9"),
	}
	for _, in := range inputs {
		want := map[string]string{
			"plain": "b'plain'", "it's": `b"it's"`, `say "hi"`: `b'say "hi"'`,
			`both ' and "`: `b'both \' and "'`,
		}[string(in)]
		if want != "" && PyBytesRepr(in) != want {
			t.Errorf("PyBytesRepr(%q) = %s, want %s", in, PyBytesRepr(in), want)
		}
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: compared only with the fixed table")
	}
	var lits []string
	for _, in := range inputs {
		var hex []string
		for _, c := range in {
			hex = append(hex, fmt.Sprintf("%d", c))
		}
		lits = append(lits, "bytes(["+strings.Join(hex, ",")+"])")
	}
	out, err := exec.Command(py, "-c", "for b in ["+strings.Join(lits, ",")+"]: print(repr(b))").Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("python printed %d lines", len(lines))
	}
	for i, in := range inputs {
		if got := PyBytesRepr(in); got != lines[i] {
			t.Errorf("PyBytesRepr(%q) = %s, python says %s", in, got, lines[i])
		}
	}
}
