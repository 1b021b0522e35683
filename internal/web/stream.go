package web

import (
	"fmt"
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
	// The page's CSRF token comes first: a page that was open while
	// superd restarted (a new key, so its token is stale) takes the new
	// one when it reconnects. Only a page of this origin can read the
	// stream (no CORS), as it can read the token in the page.
	fmt.Fprintf(w, "retry: 1000\n\nevent: csrf\ndata: %q\n\n", h.csrfToken())
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
