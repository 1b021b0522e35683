package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/superd/superd/pkg/rpc"
)

// actionRequest is what the page posts to /action: JSON from the
// script, or the form fields op ("stop|web", "start|grp:*",
// "restart|all") and signal from the page without JavaScript.
type actionRequest struct {
	Action string `json:"action"` // start stop restart signal clear
	Name   string `json:"name"`   // process, "group:*" or "all"
	Signal string `json:"signal"`
}

type actionResponse struct {
	Lines []string `json:"lines"`
	OK    bool     `json:"ok"` // every line is a success
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// serveAction runs one action of the page and answers with superctl's
// lines: JSON for the script, else a redirect to the page showing them.
func (h *Handler) serveAction(w http.ResponseWriter, r *http.Request) {
	var req actionRequest
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
	} else {
		op := r.PostFormValue("op")
		req.Action, req.Name, _ = strings.Cut(op, "|")
		req.Signal = r.PostFormValue("signal")
	}
	if !h.checkAction(r) {
		h.log.Warn("web: action without a valid CSRF token refused", "peer", r.RemoteAddr, "origin", r.Header.Get("Origin"))
		http.Error(w, "forbidden: missing or wrong CSRF token (reload the page), or cross-site request", http.StatusForbidden)
		return
	}
	lines, ok := h.act(r.Context(), req)
	if wantsJSON(r) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(actionResponse{Lines: lines, OK: ok})
		return
	}
	backToPage(w, strings.Join(lines, "\n"))
}

// backToPage sends the browser of a form without JavaScript back to the
// page, showing msg. The URL is relative (http.Redirect would make it
// /?message=...), so that it stays under the prefix of a reverse proxy
// that serves superd at /sub/.
func backToPage(w http.ResponseWriter, msg string) {
	w.Header().Set("Location", "./?message="+pyQuote(msg))
	w.WriteHeader(http.StatusSeeOther)
}

// act performs req as superctl's command of the same name would and
// returns its output lines.
func (h *Handler) act(ctx context.Context, req actionRequest) (lines []string, ok bool) {
	ok = true
	out := func(line string, success bool) {
		lines = append(lines, line)
		ok = ok && success
	}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		return []string{"Error: " + req.Action + " requires a process name"}, false
	}
	switch req.Action {
	case "start":
		h.start(ctx, name, out)
	case "stop":
		h.stop(ctx, name, out)
	case "restart":
		h.stop(ctx, name, out)
		ok = true // supervisorctl's restart: a stop error (not running) is no failure
		h.start(ctx, name, out)
	case "signal":
		sig := strings.TrimSpace(req.Signal)
		if sig == "" {
			return []string{"Error: signal requires a signal name and a process name"}, false
		}
		h.signal(ctx, sig, name, out)
	case "clear":
		h.clear(ctx, name, out)
	default:
		return []string{"Error: unknown action " + req.Action}, false
	}
	return lines, ok
}

func namespecOf(r rpc.Result) string { return namespec(r.Group, r.Name) }

func results(rs []rpc.Result, format func(rpc.Result) (string, error), out func(string, bool), ignored int) {
	for _, r := range rs {
		line, err := format(r)
		if err != nil {
			line = err.Error()
		}
		out(line, r.Status == rpc.Success || r.Status == ignored)
	}
}

func faultCode(err error) int { return rpc.ToFault(err).Code }

// displayName is supervisorctl's make_namespec of the name as typed.
func displayName(name string) string {
	g, p := rpc.SplitNamespec(name)
	if p == "" {
		return g + ":*"
	}
	return namespec(g, p)
}

func isGroup(name string) (string, bool) {
	if g, p := rpc.SplitNamespec(name); p == "" {
		return g, true
	}
	return "", false
}

func (h *Handler) start(ctx context.Context, name string, out func(string, bool)) {
	format := func(r rpc.Result) (string, error) { return rpc.StartResultText(namespecOf(r), r.Status) }
	if name == "all" {
		rs, err := h.b.StartAllProcesses(ctx, true)
		if err != nil {
			out(unexpected(err), false)
			return
		}
		results(rs, format, out, rpc.AlreadyStarted)
		return
	}
	if g, ok := isGroup(name); ok {
		rs, err := h.b.StartProcessGroup(ctx, g, true)
		if err != nil {
			if faultCode(err) == rpc.BadName {
				out(g+": ERROR (no such group)", false)
				return
			}
			out(unexpected(err), false)
			return
		}
		results(rs, format, out, rpc.AlreadyStarted)
		return
	}
	code := rpc.Success
	if err := h.b.StartProcess(ctx, name, true); err != nil {
		code = faultCode(err)
	}
	line, err := rpc.StartResultText(displayName(name), code)
	if err != nil {
		line = err.Error()
	}
	out(line, code == rpc.Success || code == rpc.AlreadyStarted)
}

func (h *Handler) stop(ctx context.Context, name string, out func(string, bool)) {
	format := func(r rpc.Result) (string, error) {
		return rpc.SignalResultText(namespecOf(r), r.Status, r.Description, "stopped")
	}
	if name == "all" {
		rs, err := h.b.StopAllProcesses(ctx, true)
		if err != nil {
			out(unexpected(err), false)
			return
		}
		results(rs, format, out, rpc.NotRunning)
		return
	}
	if g, ok := isGroup(name); ok {
		rs, err := h.b.StopProcessGroup(ctx, g, true)
		if err != nil {
			if faultCode(err) == rpc.BadName {
				out(g+": ERROR (no such group)", false)
				return
			}
			out(unexpected(err), false)
			return
		}
		results(rs, format, out, rpc.NotRunning)
		return
	}
	code, desc := rpc.Success, ""
	if err := h.b.StopProcess(ctx, name, true); err != nil {
		f := rpc.ToFault(err)
		code, desc = f.Code, f.String
	}
	line, err := rpc.SignalResultText(displayName(name), code, desc, "stopped")
	if err != nil {
		line = err.Error()
	}
	out(line, code == rpc.Success || code == rpc.NotRunning)
}

func (h *Handler) signal(ctx context.Context, sig, name string, out func(string, bool)) {
	format := func(r rpc.Result) (string, error) {
		return rpc.SignalResultText(namespecOf(r), r.Status, r.Description, "signalled")
	}
	if name == "all" {
		rs, err := h.b.SignalAllProcesses(ctx, sig)
		if err != nil {
			out(unexpected(err), false)
			return
		}
		results(rs, format, out, -1)
		return
	}
	if g, ok := isGroup(name); ok {
		rs, err := h.b.SignalProcessGroup(ctx, g, sig)
		if err != nil {
			if faultCode(err) == rpc.BadName {
				out(g+": ERROR (no such group)", false)
				return
			}
			out(unexpected(err), false)
			return
		}
		results(rs, format, out, -1)
		return
	}
	code, desc := rpc.Success, ""
	if err := h.b.SignalProcess(ctx, name, sig); err != nil {
		f := rpc.ToFault(err)
		code, desc = f.Code, f.String
	}
	line, err := rpc.SignalResultText(displayName(name), code, desc, "signalled")
	if err != nil {
		line = err.Error()
	}
	out(line, code == rpc.Success)
}

func (h *Handler) clear(ctx context.Context, name string, out func(string, bool)) {
	if name == "all" {
		rs, err := h.b.ClearAllProcessLogs(ctx)
		if err != nil {
			out(unexpected(err), false)
			return
		}
		results(rs, func(r rpc.Result) (string, error) { return rpc.ClearResultText(namespecOf(r), r.Status) }, out, -1)
		return
	}
	code := rpc.Success
	if err := h.b.ClearProcessLogs(ctx, name); err != nil {
		code = faultCode(err)
	}
	line, err := rpc.ClearResultText(displayName(name), code)
	if err != nil {
		line = err.Error()
	}
	out(line, code == rpc.Success)
}
