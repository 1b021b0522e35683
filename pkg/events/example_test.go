package events_test

import (
	"fmt"

	"github.com/superd/superd/pkg/events"
)

func Example() {
	bus := events.NewBus()
	defer bus.Close()
	states := bus.Subscribe(events.ProcessState) // and every PROCESS_STATE_*

	bus.Publish(events.Event{Type: events.Tick5, When: 1700000000}) // not for states
	bus.Publish(events.Event{Type: events.ProcessStateRunning, Process: "web", Group: "web",
		FromState: "STARTING", PID: 42})

	e := <-states.C()
	fmt.Println(e.Serial, e.Type, e.State)
	fmt.Println(e.Payload())
	fmt.Printf("%s", events.Envelope("supervisor", 0, "listener", 0, e.Type, e.Payload()))
	// Output:
	// 1 PROCESS_STATE_RUNNING RUNNING
	// processname:web groupname:web from_state:STARTING pid:42
	// ver:3.0 server:supervisor serial:0 pool:listener poolserial:0 eventname:PROCESS_STATE_RUNNING len:56
	// processname:web groupname:web from_state:STARTING pid:42
}
