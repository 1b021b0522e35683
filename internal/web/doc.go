// Package web is superd's web page: the dashboard at /, supervisord's
// own web URLs, the live streams behind the page, and /metrics.
//
// # What it owns
//
//   - The dashboard (/ and /index.html): the process table rendered on
//     the server with html/template (so it works without JavaScript and
//     for scripts), grouped, with counts per state, a filter box and
//     actions per process, per group and for all (start, stop, restart,
//     signal, clear log). assets/app.js makes it live from
//     /api/events and runs the actions through POST /action, whose
//     answers are superctl's lines ("web: ERROR (not running)", from
//     pkg/rpc's result texts). Everything is embedded (embed.FS): no
//     asset comes from the network.
//   - supervisord's URLs, answered as supervisord 4.2.5 answers them
//     (TestCompatURLs compares both): index.html?processname=X&action=
//     start|stop|restart|clearlog and action=refresh|stopall|restartall
//     (301 to /?message=...), the same as a POST form, tail.html and
//     ok.html. /logtail and /mainlogtail stay pkg/rpc's.
//   - The log view (log.html): the end of a process's stdout/stderr or
//     of the main log rendered on the server, then streamed as
//     server-sent events from logfile.FollowFrom (follows rotation),
//     with pause and "load earlier" (/api/log/read, on into the rotated
//     files). A position is a file's key (logfile.FileKey, its inode)
//     and an offset; the stream's event ids are positions, so a browser
//     that reconnects (Last-Event-ID) resumes where it was.
//   - The jobs section, shown when Options.Jobs (an rpc.JobsBackend)
//     is set: schedule in words, last and next run, run now,
//     enable/disable, hold/release, history.
//   - /metrics (prometheus/client_golang): per-process state, up, start
//     time, uptime, restarts and exits counters, CPU and RSS of each
//     child's process group from /proc, output bytes per stream and
//     bytes the log files dropped (Options.LogCounts, the daemon's
//     counters from pkg/process), supervisor-level gauges, job
//     gauges and counters, and the Go and process collectors of superd
//     itself. Label values are configuration names only.
//   - superd.getProcessStats's data (Handler.ProcessStats), which the
//     daemon serves over XML-RPC for superctl top.
//
// # Security
//
// The handler is mounted as rpc.ServerOptions.Fallback, behind the
// XML-RPC server's basic auth (the same for /metrics). Actions of the
// page are POSTs carrying a CSRF token (an HMAC of a per-daemon random
// key, in the page) and are refused when the browser says the request
// is cross-site (Origin, Sec-Fetch-Site); supervisord's GET action URLs
// keep working for scripts, which send neither header, but a browser
// request for them from another site is refused. Every value reaches
// the page through html/template or textContent; the
// Content-Security-Policy allows only the embedded script and style.
//
// # Concurrency
//
// Request handlers run on net/http's goroutines and call the
// rpc.Backend directly, like the XML-RPC server. One hub goroutine
// (hub.run, started by New) subscribes to the event bus for the
// handler's lifetime: it keeps the restart/exit counters (read under
// tracker.mu by /metrics and ProcessStats) and, while at least one page
// is connected, a copy of every process's info, which it refreshes for
// the processes named by state events (gathered for 15 ms, then read
// with ProcessInfo, or AllProcessInfo when a group was added or
// removed or many changed) and pushes as differences to each page's
// buffered channel; a page that does not keep up is dropped and its
// EventSource reconnects for a fresh snapshot. The hub ends when the
// context given to New ends, closing every page's channel.
//
// Goroutines per request: the process stream (/api/events) and the log
// stream (/api/log/stream) run in their request's goroutine until the
// client goes or the server's context ends.
package web
