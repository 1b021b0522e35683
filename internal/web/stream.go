package web

import (
	"net/http"
	"time"
)

// keepAlive is how often an idle process stream sends a comment, so
// that proxies and the browser keep the connection.
const keepAlive = 25 * time.Second

// serveEvents is the page's live process stream: a snapshot, then the
// changes the hub pushes, as server-sent events.
func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c := h.hub.subscribe(ctx)
	if c == nil {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.hub.unsubscribe(c)
	rc := startSSE(w)
	w.Write([]byte("retry: 1000\n\n"))
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case f, ok := <-c.ch:
			if !ok {
				return
			}
			if _, err := w.Write(f); err != nil {
				return
			}
			// send what else is queued in the same flush
			for more := true; more; {
				select {
				case f, ok := <-c.ch:
					if !ok {
						rc.Flush()
						return
					}
					w.Write(f)
				default:
					more = false
				}
			}
			rc.Flush()
		case <-tick.C:
			w.Write([]byte(": keep-alive\n\n"))
			rc.Flush()
		}
	}
}
