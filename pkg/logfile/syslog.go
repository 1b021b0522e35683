package logfile

import (
	"bytes"
	"fmt"
	"log/syslog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// syslogRetry is the minimum delay between two attempts to connect to
// syslog after a failure.
const syslogRetry = 10 * time.Second

// sysSender is the part of *syslog.Writer used here.
type sysSender interface {
	Info(m string) error
	Close() error
}

// syslogDial connects to the local syslog daemon as supervisord's
// syslog.syslog does: facility user, ident = program base name. Tests
// replace it.
var syslogDial = func() (sysSender, error) {
	return syslog.New(syslog.LOG_USER|syslog.LOG_INFO, filepath.Base(os.Args[0]))
}

// sharedSyslog is one connection shared by every Writer (one socket,
// not one per program). It is dialled on first use and redialled after
// a failure at most once per syslogRetry. It starts no goroutine.
var sharedSyslog struct {
	mu      sync.Mutex
	s       sysSender
	retryAt time.Time
}

// sendSyslog sends each line of p as "<tag> <line>", splitting like
// supervisord's SyslogHandler: trailing newlines stripped, then split
// on '\n' (a chunk ending mid-line sends the partial line as is).
// Failures never affect the file; they are reported once.
func (w *Writer) sendSyslog(p []byte) {
	err := syslogLines(w.opts.SyslogTag, p)
	if err != nil {
		if !w.sysFail && w.opts.Logger != nil {
			w.opts.Logger.Error("syslog unavailable; lines are not sent to syslog",
				"path", w.opts.Path, "err", err)
		}
		w.sysFail = true
		return
	}
	w.sysFail = false
}

func syslogLines(tag string, p []byte) error {
	sl := &sharedSyslog
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.s == nil {
		now := time.Now()
		if now.Before(sl.retryAt) {
			return fmt.Errorf("syslog: not connected")
		}
		s, err := syslogDial()
		if err != nil {
			sl.retryAt = now.Add(syslogRetry)
			return fmt.Errorf("syslog: %w", err)
		}
		sl.s = s
	}
	msg := bytes.TrimRight(p, "\n")
	for {
		line := msg
		i := bytes.IndexByte(msg, '\n')
		if i >= 0 {
			line = msg[:i]
		}
		if err := sl.s.Info(tag + " " + string(line)); err != nil {
			// log/syslog already redialled once inside Info.
			sl.s.Close()
			sl.s = nil
			sl.retryAt = time.Now().Add(syslogRetry)
			return fmt.Errorf("syslog: %w", err)
		}
		if i < 0 {
			break
		}
		msg = msg[i+1:]
	}
	return nil
}

// resetSyslog drops the shared connection (tests).
func resetSyslog() {
	sl := &sharedSyslog
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.s != nil {
		sl.s.Close()
	}
	sl.s = nil
	sl.retryAt = time.Time{}
}
