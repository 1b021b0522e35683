package web

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/superd/superd/pkg/logfile"
	"github.com/superd/superd/pkg/rpc"
)

// logHead is how much of a log the log page shows at first, and how
// much "load earlier" adds each time.
const logHead = 32 << 10

// logTarget is the log a request names: processname (and channel
// stdout or stderr), or main=1 for superd's own log.
type logTarget struct {
	Main    bool
	Name    string
	Channel string
	Path    string
}

func (t logTarget) Title() string {
	if t.Main {
		return "superd main log"
	}
	return t.Name + " " + t.Channel
}

// Query is the target as URL query parameters.
func (t logTarget) Query() string {
	if t.Main {
		return "main=1"
	}
	return "processname=" + pyQuote(t.Name) + "&channel=" + t.Channel
}

func (h *Handler) logTarget(ctx context.Context, r *http.Request) (logTarget, error) {
	q := r.URL.Query()
	if q.Get("main") != "" {
		t := logTarget{Main: true, Path: h.b.MainLogPath()}
		if t.Path == "" {
			return t, rpc.NewFault(rpc.NoFile)
		}
		return t, nil
	}
	t := logTarget{Name: q.Get("processname"), Channel: q.Get("channel")}
	if t.Channel == "" {
		t.Channel = "stdout"
	}
	if t.Channel != "stdout" && t.Channel != "stderr" {
		return t, rpc.NewFault(rpc.BadArguments, "channel")
	}
	if _, p := rpc.SplitNamespec(t.Name); p == "" {
		return t, rpc.NewFault(rpc.BadName, t.Name)
	}
	path, err := h.b.ProcessLogPath(ctx, t.Name, t.Channel)
	if err != nil {
		return t, err
	}
	if path == "" {
		return t, rpc.NewFault(rpc.NoFile)
	}
	t.Path = path
	return t, nil
}

// readBefore returns up to n bytes of path ending at end (-1: the end
// of the file), starting at a line start when it does not start at 0,
// and the offsets of what it returns.
func readBefore(path string, end, n int64) (data []byte, start, stop int64, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, 0, 0, err
	}
	if end < 0 || end > fi.Size() {
		end = fi.Size()
	}
	start = max(end-n, 0)
	if end == start {
		return nil, start, end, nil
	}
	data, err = logfile.Read(path, start, end-start)
	if err != nil {
		return nil, 0, 0, err
	}
	end = start + int64(len(data))
	if start > 0 {
		// begin at a line start, unless the chunk is one long line
		for i, c := range data {
			if c == '\n' {
				if i+1 < len(data) {
					data, start = data[i+1:], start+int64(i+1)
				}
				break
			}
		}
	}
	return data, start, end, nil
}

type logPageData struct {
	logTarget
	Text    string
	Start   int64
	End     int64
	Error   string
	CSRF    string
	Version string
}

// serveLogPage is the log view: the end of the log rendered on the
// server, then streamed live by the script.
func (h *Handler) serveLogPage(w http.ResponseWriter, r *http.Request) {
	t, err := h.logTarget(r.Context(), r)
	d := logPageData{logTarget: t, CSRF: h.csrfToken(), Version: h.opts.Version}
	switch {
	case err != nil:
		d.Error = rpc.ToFault(err).String
	default:
		data, start, end, err := readBefore(t.Path, -1, logHead)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			d.Error = err.Error()
		}
		d.Text, d.Start, d.End = string(data), start, end
	}
	h.render(w, "log.html", d)
}

// serveLogRead answers "load earlier": {"data", "start"} for up to
// logHead bytes before ?before=N.
func (h *Handler) serveLogRead(w http.ResponseWriter, r *http.Request) {
	t, err := h.logTarget(r.Context(), r)
	if err != nil {
		http.Error(w, rpc.ToFault(err).String, http.StatusNotFound)
		return
	}
	before, err := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	if err != nil || before < 0 {
		http.Error(w, "bad before", http.StatusBadRequest)
		return
	}
	data, start, _, err := readBefore(t.Path, before, logHead)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	json.NewEncoder(w).Encode(struct {
		Data  string `json:"data"`
		Start int64  `json:"start"`
	}{string(data), start})
}

// sseWriter turns the bytes of a log into server-sent events, each a
// JSON string, holding back an incomplete UTF-8 sequence at the end of
// a chunk until the rest arrives.
type sseWriter struct {
	w     http.ResponseWriter
	carry []byte
}

func (s *sseWriter) Write(p []byte) (int, error) {
	buf := append(s.carry, p...)
	cut := len(buf)
	// keep back at most 3 bytes of a rune that is not complete yet
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-3; i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRune(buf[i:]) {
				cut = i
			}
			break
		}
	}
	s.carry = append([]byte(nil), buf[cut:]...)
	if cut == 0 {
		return len(p), nil
	}
	b, _ := json.Marshal(string(buf[:cut]))
	if _, err := s.w.Write(append(append([]byte("data: "), b...), '\n', '\n')); err != nil {
		return 0, err
	}
	return len(p), nil
}

func startSSE(w http.ResponseWriter) *http.ResponseController {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	rc.Flush()
	return rc
}

// serveLogStream streams a log from ?offset=N as server-sent events,
// following rotation (logfile.FollowFrom), until the page goes away.
// A log that does not exist yet is waited for.
func (h *Handler) serveLogStream(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := h.logTarget(ctx, r)
	if err != nil {
		http.Error(w, rpc.ToFault(err).String, http.StatusNotFound)
		return
	}
	offset, err := strconv.ParseInt(r.URL.Query().Get("offset"), 10, 64)
	if err != nil {
		offset = -1
	}
	rc := startSSE(w)
	sw := &sseWriter{w: w}
	for {
		err := logfile.FollowFrom(ctx, t.Path, offset, sw, func() { rc.Flush() })
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			return
		}
		// no file yet (never started, or removed): wait for it
		offset = 0
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}
