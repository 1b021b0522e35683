package logfile

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"
)

// lumberjack mode (Options.Compress or Options.MaxAge).
//
// superd keeps deciding WHEN to rotate (after a write that brings the
// file to MaxBytes, exactly like supervisord) and lumberjack decides
// HOW: Logger.Rotate renames "app.log" to "app-<UTC time>.log", opens a
// new "app.log", and its mill goroutine gzips backups (Compress) and
// removes backups beyond Backups or older than MaxAge. lumberjack's own
// size trigger is disabled by an unreachable MaxSize.
//
// lumberjack starts one mill goroutine per Logger that never ends (it
// has no way to stop it). To bound that, Loggers are shared by path and
// settings for the life of the process: reopening or recreating a
// Writer for the same file reuses the same Logger and goroutine.

// backupTimeFormat is lumberjack's (unexported) backup timestamp layout.
const backupTimeFormat = "2006-01-02T15-04-05.000"

type ljKey struct {
	path     string
	backups  int
	maxAge   int
	compress bool
}

// ljCache holds the shared Loggers. mu guards m (lookups and inserts
// from any goroutine that opens a Writer); it is a leaf lock, held for
// no I/O and never together with a Writer's own lock. The Loggers in m
// are never removed and are safe for concurrent use themselves.
var ljCache struct {
	mu sync.Mutex
	m  map[ljKey]*lumberjack.Logger
}

// maxAgeDays rounds a duration up to lumberjack's whole days.
func maxAgeDays(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + 24*time.Hour - 1) / (24 * time.Hour))
}

func lumberjackFor(opts Options) *lumberjack.Logger {
	k := ljKey{path: opts.Path, backups: opts.Backups, maxAge: maxAgeDays(opts.MaxAge), compress: opts.Compress}
	if abs, err := filepath.Abs(opts.Path); err == nil {
		k.path = abs
	}
	ljCache.mu.Lock()
	defer ljCache.mu.Unlock()
	if l := ljCache.m[k]; l != nil {
		return l
	}
	if ljCache.m == nil {
		ljCache.m = make(map[ljKey]*lumberjack.Logger)
	}
	l := &lumberjack.Logger{
		Filename:   k.path,
		MaxSize:    math.MaxInt32, // megabytes: never reached, superd triggers rotation
		MaxBackups: k.backups,
		MaxAge:     k.maxAge,
		Compress:   k.compress,
	}
	ljCache.m[k] = l
	return l
}

func (w *Writer) writeLumberjack(p []byte) int {
	now := time.Time{}
	if w.ljDown {
		now = time.Now()
		if now.Before(w.retryAt) {
			return 0
		}
		w.ljDown = false
		if err := w.precreate(); err != nil {
			w.fail(err)
			w.ljDown = true
			w.retryAt = now.Add(w.retry)
			return 0
		}
	}
	n, err := w.lj.Write(p)
	w.size += int64(n)
	if err != nil {
		w.fail(fmt.Errorf("write log file %s: %w", w.opts.Path, err))
		w.lj.Close()
		w.ljDown = true
		w.retryAt = time.Now().Add(w.retry)
		return n
	}
	w.recovered()
	if w.size < w.opts.MaxBytes {
		return n
	}
	if now.IsZero() {
		now = time.Now()
	}
	if now.Before(w.rotAt) {
		return n
	}
	// Correct the in-memory size (external truncation, another writer).
	if fi, err := os.Stat(w.opts.Path); err == nil {
		w.size = fi.Size()
		if w.size < w.opts.MaxBytes {
			return n
		}
	}
	// lumberjack names backups by millisecond and a rename onto an
	// existing backup would silently replace it: if this millisecond's
	// name is taken, rotate on a later write instead.
	if backupTaken(w.lj.Filename, now) {
		return n
	}
	if err := w.lj.Rotate(); err != nil {
		w.fail(fmt.Errorf("rotate log file %s: %w", w.opts.Path, err))
		w.rotAt = now.Add(w.retry)
		return n
	}
	w.size = 0
	return n
}

// backupTaken reports whether lumberjack's backup name for t exists,
// plain or compressed.
func backupTaken(name string, t time.Time) bool {
	dir, base := filepath.Split(name)
	ext := filepath.Ext(base)
	b := filepath.Join(dir, base[:len(base)-len(ext)]+"-"+t.UTC().Format(backupTimeFormat)+ext)
	if _, err := os.Lstat(b); err == nil {
		return true
	}
	_, err := os.Lstat(b + ".gz")
	return err == nil
}
