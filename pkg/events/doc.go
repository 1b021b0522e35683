// Package events owns superd's one in-process event stream and
// supervisord's event listener protocol.
//
// # Bus
//
// A Bus carries supervisord's events (Type, Event) from the supervisor
// to every consumer: event listener pools, tests, and later the web UI
// and metrics. Bus.Publish assigns each event a serial (0, 1, 2, ... in
// publication order) and never blocks: every Subscription has an
// unbounded queue guarded by its own mutex. Subscribers see the events
// they asked for (types match subtypes: PROCESS_STATE covers
// PROCESS_STATE_RUNNING, EVENT covers everything) in serial order.
//
// Lock order: Bus.mu, then Subscription.mu. Publish holds both while it
// queues, which is what keeps the order the same for every subscriber.
//
// Goroutines: each Subscription has one goroutine that moves events from
// its queue to the channel C. It ends when Subscription.Close or
// Bus.Close is called (events still queued are dropped) and closes C on
// its way out.
//
// # Payloads
//
// Event.Payload renders supervisord 4.2.5's payload text for each type
// (events.py) and Envelope the header line a listener reads; len counts
// Unicode code points as Python's len(str) does.
package events
