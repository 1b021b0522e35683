package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/superd/superd/pkg/logfile"
	"github.com/superd/superd/pkg/rpc"
)

// pyQuote is Python's urllib.parse.quote(s) (safe="/"): every byte but
// letters, digits, "_.-~" and "/" is %XX-escaped.
func pyQuote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '_', c == '.', c == '-', c == '~', c == '/':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// serverURL is supervisord's get_server_url: http:// and the Host
// header without a default port, or localhost and the server's port.
func serverURL(r *http.Request) string {
	host := strings.TrimSpace(r.Host)
	if host == "" {
		host = "localhost"
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			if _, port, err := net.SplitHostPort(a.String()); err == nil && port != "80" {
				host += ":" + port
			}
		}
		return "http://" + host
	}
	if h, port, err := net.SplitHostPort(host); err == nil && port == "80" {
		host = h
	}
	return "http://" + host
}

// ctime is Python's time.ctime().
func ctime(t time.Time) string { return t.Format("Mon Jan _2 15:04:05 2006") }

// compatAction runs supervisord's index.html?processname=X&action=Y
// and redirects (301) to /?message=..., with supervisord's messages.
func (h *Handler) compatAction(w http.ResponseWriter, r *http.Request, f map[string]string) {
	ctx := r.Context()
	action, ns := f["action"], f["processname"]
	var msg string
	switch {
	case action == "refresh":
		msg = "Page refreshed at " + ctime(time.Now())
	case action == "stopall":
		h.b.StopAllProcesses(ctx, true)
		msg = "All stopped at " + ctime(time.Now())
	case action == "restartall":
		h.b.StopAllProcesses(ctx, true)
		h.b.StartAllProcesses(ctx, true)
		msg = "All restarted at " + ctime(time.Now())
	case ns != "":
		m, ok := h.compatProcessAction(ctx, ns, action)
		if !ok {
			rpc.HTTPError(w, http.StatusInternalServerError)
			return
		}
		msg = m
	default:
		rpc.HTTPError(w, http.StatusInternalServerError)
		return
	}
	noCache(w)
	w.Header().Set("Location", serverURL(r)+"/?message="+pyQuote(msg))
	rpc.HTTPError(w, http.StatusMovedPermanently)
}

// unexpected is supervisord's text for a fault it has no words for.
func unexpected(err error) string {
	f := rpc.ToFault(err)
	return fmt.Sprintf("unexpected rpc fault [%d] %s", f.Code, f.String)
}

func (h *Handler) compatProcessAction(ctx context.Context, ns, action string) (string, bool) {
	if _, p := rpc.SplitNamespec(ns); p == "" {
		return "No such process named " + ns, true
	}
	if _, err := h.b.ProcessInfo(ctx, ns); err != nil {
		return "No such process named " + ns, true
	}
	switch action {
	case "start":
		if err := h.b.StartProcess(ctx, ns, true); err != nil {
			var m string
			switch rpc.ToFault(err).Code {
			case rpc.NoFile:
				m = "no such file"
			case rpc.NotExecutable:
				m = "file not executable"
			case rpc.AlreadyStarted:
				m = "already started"
			case rpc.SpawnError:
				m = "spawn error"
			case rpc.AbnormalTermination:
				m = "abnormal termination"
			default:
				m = unexpected(err)
			}
			return fmt.Sprintf("ERROR: Process %s: %s", ns, m), true
		}
		return "Process " + ns + " started", true
	case "stop":
		if err := h.b.StopProcess(ctx, ns, true); err != nil {
			return unexpected(err), true
		}
		return "Process " + ns + " stopped", true
	case "restart":
		h.b.StopProcess(ctx, ns, true)
		h.b.StartProcess(ctx, ns, true)
		return "Process " + ns + " restarted", true
	case "clearlog":
		if err := h.b.ClearProcessLogs(ctx, ns); err != nil {
			return unexpected(err), true
		}
		return "Log for " + ns + " cleared", true
	}
	return "", false // supervisord raises ValueError: 500
}

// readLog is supervisor.readProcessStdoutLog (or Stderr) through the
// backend, with its faults.
func (h *Handler) readLog(ctx context.Context, ns, channel string, offset, length int64) (string, error) {
	if _, p := rpc.SplitNamespec(ns); p == "" {
		return "", rpc.NewFault(rpc.BadName, ns)
	}
	path, err := h.b.ProcessLogPath(ctx, ns, channel)
	if err != nil {
		return "", err
	}
	if path == "" {
		return "", rpc.NewFault(rpc.NoFile)
	}
	if _, err := os.Stat(path); err != nil {
		return "", rpc.NewFault(rpc.NoFile, path)
	}
	data, err := logfile.Read(path, offset, length)
	if err != nil {
		if errors.Is(err, logfile.ErrBadArguments) {
			return "", rpc.NewFault(rpc.BadArguments)
		}
		return "", rpc.NewFault(rpc.Failed)
	}
	return string(data), nil
}

type tailData struct {
	Name    *string
	Tail    string
	Limit   int
	HasName bool
}

// serveTail is supervisord's tail.html: the last limit (at least 1024)
// bytes of a process's stdout log.
func (h *Handler) serveTail(w http.ResponseWriter, r *http.Request) {
	f := form(r)
	d := tailData{}
	name, ok := f["processname"]
	switch {
	case !ok:
		d.Tail = "No process name found"
	default:
		d.Name, d.HasName = &name, true
		limit := 1024
		if l := f["limit"]; l != "" && strings.Trim(l, "0123456789") == "" {
			if n, err := strconv.Atoi(l); err == nil {
				limit = max(n, 1024)
			}
		}
		d.Limit = limit
		if name == "" {
			d.Tail = "No process name found"
			break
		}
		tail, err := h.readLog(r.Context(), name, "stdout", int64(-limit), 0)
		switch {
		case err == nil:
			d.Tail = tail
		case rpc.ToFault(err).Code == rpc.NoFile:
			d.Tail = "No file for " + name
		default:
			d.Tail = "ERROR: " + unexpected(err)
		}
	}
	h.render(w, "tail.html", d)
}

func (h *Handler) serveOK(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", "2")
	w.Write([]byte("OK"))
}
