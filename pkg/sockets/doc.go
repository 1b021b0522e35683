// Package sockets owns the listening sockets superd creates for its
// children, so that they outlive any one child:
//
//   - supervisord's FastCGI sockets (socket= of an [fcgi-program:x]),
//     reference-counted per group exactly as supervisord's SocketManager:
//     Acquire before each spawn creates, binds and listens on the first
//     use ("Creating socket tcp://..." in the main log), Release after
//     each reap (or failed spawn) closes it when the count drops to zero
//     ("Closing socket ..."). Probe is supervisord's fail-early check
//     when a group is created: create and close at once.
//   - superd's socket activation sockets (listen= of a [program:x]),
//     opened once (by the daemon before it drops privileges, or when a
//     program is added) and kept open across restarts of the program and
//     of superd itself, until Retain is called without them (the program
//     was removed or its listen= changed). They reach the child as fds
//     3.. with LISTEN_FDS / LISTEN_PID / LISTEN_FDNAMES (pkg/process).
//
// Sockets are created with socket(2)/bind(2)/listen(2) directly (not
// net.Listen): blocking descriptors, close-on-exec, SO_REUSEADDR for tcp
// as supervisord sets it, SO_REUSEPORT on request, and the backlog
// given (SOMAXCONN, 4096, by default). A unix socket's path is unlinked
// first if it exists, then chowned and chmodded as configured, again as
// supervisord does; errors read as supervisord's ("Could not create
// FastCGI socket unix:///x: Could not change ownership of socket file:
// [Errno 1] Operation not permitted: '/x'").
//
// Concurrency: a Registry is used by the daemon goroutine (at start-up
// and restart) and by the supervisor loop; one mutex guards its maps,
// and no call blocks beyond the socket system calls. It starts no
// goroutines. The *os.File values it hands out stay owned by the
// Registry: callers pass them to a child (os.ProcAttr.Files dups them)
// and must not close them.
package sockets
