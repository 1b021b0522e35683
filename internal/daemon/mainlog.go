package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"strings"
	"sync"
	"time"

	"github.com/superd/superd/pkg/rpc"
)

// supervisord's extra log levels, as slog levels.
const (
	LevelCrit    = slog.Level(12)
	LevelTrace   = rpc.LevelTrace // XML-RPC calls are traced at it
	LevelBlather = slog.Level(-12)
)

// parseLevel maps supervisord's loglevel names to slog levels.
func parseLevel(name string) (slog.Level, bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "critical":
		return LevelCrit, true
	case "error":
		return slog.LevelError, true
	case "warn":
		return slog.LevelWarn, true
	case "info":
		return slog.LevelInfo, true
	case "debug":
		return slog.LevelDebug, true
	case "trace":
		return LevelTrace, true
	case "blather":
		return LevelBlather, true
	}
	return 0, false
}

// levelName returns supervisord's four-letter level name.
func levelName(l slog.Level) string {
	switch {
	case l >= LevelCrit:
		return "CRIT"
	case l >= slog.LevelError:
		return "ERRO"
	case l >= slog.LevelWarn:
		return "WARN"
	case l >= slog.LevelInfo:
		return "INFO"
	case l >= slog.LevelDebug:
		return "DEBG"
	case l >= LevelTrace:
		return "TRAC"
	}
	return "BLAT"
}

// mainLog is an slog.Handler writing supervisord's main-log line format
// ("2026-11-21 22:21:11,425 INFO spawned: 'x' with pid 12") to a set
// of writers (the log file, stdout in the foreground) and optionally
// syslog. It is safe for concurrent use; mu guards the writers.
type mainLog struct {
	level *slog.LevelVar

	mu      sync.Mutex
	outs    []io.Writer
	syslogW *syslog.Writer
}

func newMainLog(level slog.Level) *mainLog {
	lv := new(slog.LevelVar)
	lv.Set(level)
	return &mainLog{level: lv}
}

// setOutputs replaces the writers.
func (h *mainLog) setOutputs(outs []io.Writer, sys *syslog.Writer) {
	h.mu.Lock()
	h.outs, h.syslogW = outs, sys
	h.mu.Unlock()
}

func (h *mainLog) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *mainLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	b.WriteString(t.Format("2006-01-02 15:04:05"))
	fmt.Fprintf(&b, ",%03d ", t.Nanosecond()/1e6)
	b.WriteString(levelName(r.Level))
	b.WriteByte(' ')
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	b.WriteByte('\n')
	line := b.String()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, w := range h.outs {
		io.WriteString(w, line)
	}
	if h.syslogW != nil {
		// syslog gets each line of a multi-line message separately.
		msg := levelName(r.Level) + " " + r.Message
		for _, l := range strings.Split(msg, "\n") {
			h.syslogW.Info(l)
		}
	}
	return nil
}

func (h *mainLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	for _, a := range attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	return &derivedLog{parent: h, attrs: b.String()}
}

func (h *mainLog) WithGroup(string) slog.Handler { return h }

// derivedLog shares its parent's writers and adds attributes.
type derivedLog struct {
	parent *mainLog
	attrs  string
}

func (d *derivedLog) Enabled(ctx context.Context, l slog.Level) bool {
	return d.parent.Enabled(ctx, l)
}

func (d *derivedLog) Handle(ctx context.Context, r slog.Record) error {
	r2 := slog.NewRecord(r.Time, r.Level, r.Message+d.attrs, r.PC)
	r.Attrs(func(a slog.Attr) bool { r2.AddAttrs(a); return true })
	return d.parent.Handle(ctx, r2)
}

func (d *derivedLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(d.attrs)
	for _, a := range attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	return &derivedLog{parent: d.parent, attrs: b.String()}
}

func (d *derivedLog) WithGroup(string) slog.Handler { return d }
