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
// Lock order: Bus.mu, then Subscription.mu or Pools.mu (the pools'
// inbox is filled by a callback that Publish runs under Bus.mu).
//
// # Payloads
//
// Event.Payload renders supervisord 4.2.5's payload text for each type
// (events.py) and Envelope the header line a listener reads; len counts
// Unicode code points as Python's len(str) does, and process data that
// is not UTF-8 becomes "Undecodable: b'...'".
//
// # Listener pools
//
// Pools implements process.ListenerHook and runs the [eventlistener:x]
// pools like supervisord's EventListenerPool and
// PEventListenerDispatcher. process.New makes one from Options.Bus when
// Options.Listeners is nil and calls AddPool for each eventlistener group
// right before it publishes the group's PROCESS_GROUP_ADDED. A pool
// exists from that event to its PROCESS_GROUP_REMOVED event (so, as in
// supervisord, a pool sees its own ADDED event but not its REMOVED
// one), accepts the event types of
// its events= option into a buffer of buffer_size (overflow discards the
// oldest, logged at ERROR), and hands the oldest event to the first
// listener process (config order) that is RUNNING and READY. The header
// serial is supervisord's global serial, which counts only events some
// pool accepted (kept on the Bus, so it survives a restart); poolserial
// counts per pool. An event matching two of a pool's types (events=
// PROCESS_STATE,PROCESS_STATE_FATAL) is queued twice, as in supervisord.
// A listener gets events only while its last PROCESS_STATE is RUNNING
// and it is attached (Attach .. Detach, Detach coming after its last
// Output). Listener stdout is parsed
// exactly as supervisord does (READY, RESULT n, default_handler's OK,
// the UNKNOWN state for protocol violations); FAIL, a bad RESULT line
// or a listener that dies while BUSY put the event back at the head of
// the buffer.
//
// Known difference: a negative RESULT length makes the listener UNKNOWN
// (supervisord recurses until it crashes). result_handler values other
// than supervisor.dispatchers:default_handler are logged and ignored.
//
// # Goroutines
//
//   - Each channel Subscription has one goroutine that moves events from
//     its queue to C. It ends when Subscription.Close or Bus.Close is
//     called (events still queued are dropped) and closes C.
//   - Pools has one goroutine that owns every pool and listener; bus
//     events (handed over synchronously inside Publish) and hook calls
//     reach it, in order, through one unbounded inbox. It ends on
//     Pools.Close (process.Supervisor.Run calls it for the Pools it made).
//   - Each attached listener process has one writer goroutine that writes
//     envelopes to its stdin, so a listener that never reads blocks
//     nothing else. It ends on Detach, pool removal or Pools.Close, or,
//     if it is blocked in Write at that moment, when that Write returns
//     (the child died or its stdin pipe was closed by pkg/process).
package events
