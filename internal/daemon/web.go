package daemon

import (
	"context"
	"net/http"

	"github.com/superd/superd/internal/web"
	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/rpc"
)

// webHandler returns the web page, /metrics and superd.getProcessStats
// for every HTTP server, made once per daemon. The handler is mounted
// as the XML-RPC server's Fallback, so it sits behind the same basic
// auth; /RPC2, /logtail and /mainlogtail stay the XML-RPC server's.
// Its hub goroutine ends with the servers' context (cleanup).
// [supervisord] metrics = false leaves /metrics out; like the sockets,
// this is read at start only, not on restart.
func (d *daemon) webHandler(b backend, cfg *config.Config) (http.Handler, []rpc.Method) {
	if d.srvCtx == nil {
		d.srvCtx, d.srvCancel = context.WithCancel(context.Background())
	}
	if d.bus == nil {
		d.bus = events.NewBus()
	}
	opts := web.Options{Backend: b, Bus: d.bus, Logger: d.log, NoMetrics: cfg.Supervisord.NoMetrics}
	if j, ok := any(b).(rpc.JobsBackend); ok {
		opts.Jobs = j
	}
	if l, ok := any(b).(rpc.LogCountsBackend); ok {
		opts.LogCounts = l
	}
	h := web.New(d.srvCtx, opts)
	return h, rpc.StatsMethods(h.ProcessStats)
}
