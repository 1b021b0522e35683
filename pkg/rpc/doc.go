// Package rpc is supervisord's HTTP/XML-RPC interface: the wire types
// and fault codes (api.go), an XML-RPC codec on encoding/xml (codec.go
// encodes, decode.go decodes; fastxml.go and decode_into.go are fast
// paths that fall back to encoding/xml for anything unusual),
// the server that exposes a Backend (server.go, methods.go), the
// listeners the daemon serves it on (listen.go), and the typed Client
// that superctl and tests use (client.go).
//
// # What it owns
//
//   - The codec: methodCall/methodResponse decoding into int, bool,
//     string, float64, time.Time, []byte, []any, map[string]any and nil;
//     encoding in the exact layout of Python's xmlrpc.client.dumps
//     (<value><string>…</string></value>, <int>, <boolean>1</boolean>);
//     faults. Bodies are bounded (MaxBodySize), nesting is bounded, and
//     every malformed input is an error wrapping ErrSyntax. Characters
//     XML cannot carry (control characters, invalid UTF-8) are sent as
//     U+FFFD, where supervisord would emit a document its own client
//     cannot parse. Decoding first tries an in-memory scanner for the
//     plain XML-RPC subset (no goroutines, no shared state beyond
//     read-only tables and the sync.Map caches of struct fields); any
//     input outside it, and any error, is decoded again by encoding/xml,
//     which therefore decides acceptance and error messages.
//   - The server: POST /RPC2* (supervisord's 400/411/401 answers), basic
//     auth with realm "default" on every path, the dispatch table of all
//     37 supervisor.* and 4 system.* methods with supervisord's argument
//     handling (arity and types -> INCORRECT_PARAMETERS, wait defaults to
//     true, names starting with "_" -> UNKNOWN_METHOD, SHUTDOWN_STATE
//     while the daemon is stopping), "g:*" name handling, log reads and
//     tails with supervisord's readFile/tailFile semantics (through
//     pkg/logfile's Read, Tail and Follow), and the /logtail and
//     /mainlogtail streams. Errors become faults in one
//     place, ToFault: a *Fault is sent as is, anything else is FAILED.
//   - The superd. namespace (superd.go): superd's own methods are
//     Methods, from ServerOptions.Methods or from a Backend that is an
//     Extender. They are listed, documented and dispatched (multicall,
//     SHUTDOWN_STATE, argument checks) exactly like supervisord's, and
//     nothing outside "superd." can be registered, so supervisor.* and
//     system.* never change. jobs.go defines the scheduled-jobs methods
//     (JobsBackend, JobMethods) and their typed Client calls;
//     lifecycle.go the lifecycle methods (LifecycleBackend,
//     LifecycleMethods: rollingRestart, scaleGroup, startProcess and
//     stopProcess with dependencies, getAllConfigInfo with the
//     lifecycle fields).
//   - superctl's and the web page's shared wording of results
//     (results.go: "web: ERROR (not running)"), superd.getProcessStats
//     (stats.go, served from a function the daemon gives),
//     superd.getDaemonStats (daemon.go: superd's own descriptors,
//     goroutines, memory, children and dropped log bytes, for leak
//     checks and the soak run), and the
//     "?offset=N[&file=KEY]" extension of /logtail and /mainlogtail
//     (the stream starts at byte N, of the log counted from the file
//     KEY with file=: logfile.Resume; the answer's LogPositionHeader
//     says where it starts; Client.LogTailFrom, Client.LogTailAt, with
//     which superctl logs -f resumes a broken stream). A request with wrong
//     credentials is answered after FailedAuthDelay, one such request at
//     a time (Server.authGate), and logged with the
//     peer address (CheckPassword compares SHA-256 digests of both sides
//     in constant time); requests for other paths go to
//     ServerOptions.Fallback (superd's web page) after the same auth.
//   - Name resolution of processes, state and config live in the daemon
//     behind Backend; this package never imports pkg/process or os/exec,
//     so superctl (which imports only rpc) stays free of them.
//
// # Concurrency
//
// A Server has no mutable state after NewServer: net/http runs each
// request on its own goroutine, which calls the Backend directly. Long
// ("deferred") calls such as startProcess(wait=true) simply block that
// goroutine; the Backend guarantees they do not block the daemon, and
// they end when the Backend answers or the request context is canceled
// (client gone, or the context given to Serve/NewHTTPServer ends).
//
// Goroutines: per request, the one net/http starts; a /logtail stream
// runs in it (logfile.Follow) until the request context ends or a write
// fails. Serve adds one goroutine running
// http.Server.Serve, which ends when Serve shuts the server down after
// its ctx ends (in-flight requests get the grace period, then their
// connections are closed). The Client starts none of its own; its
// http.Transport keeps idle keep-alive connections until Close.
//
// # Example
//
//	l, err := rpc.ListenUnix("/run/superd.sock", 0o700, -1, -1)
//	if errors.Is(err, rpc.ErrAddrInUse) { /* another daemon answers */ }
//	go rpc.Serve(ctx, l, rpc.NewServer(backend, rpc.ServerOptions{}), 5*time.Second)
//
//	c := rpc.NewClient("unix:///run/superd.sock", "", "")
//	infos, err := c.GetAllProcessInfo(ctx)
//	var f *rpc.Fault
//	if errors.As(err, &f) && f.Code == rpc.BadName { /* ... */ }
package rpc
