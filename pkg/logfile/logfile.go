package logfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"gopkg.in/natefinch/lumberjack.v2"
)

// ErrBadArguments is returned by Read for an offset/length combination
// that supervisord rejects (BAD_ARGUMENTS).
var ErrBadArguments = errors.New("bad arguments")

// defaultRetry is the minimum delay between two attempts to reopen a log
// file that could not be opened or written, and between two failed
// rotation attempts.
const defaultRetry = time.Second

// Options configures a Writer.
type Options struct {
	// Path of the log file. Non-regular files (/dev/stdout, pipes,
	// ttys) are written to but never rotated.
	Path string
	// MaxBytes: rotate when the file reaches this size; 0 never.
	MaxBytes int64
	// Backups: number of rotated files kept (file.1 ... file.N); 0
	// means truncate on rotation.
	Backups int
	// Compress and MaxAge are superd extensions backed by lumberjack.
	// They take effect only for a regular file with MaxBytes > 0 and
	// Backups > 0, and switch backup naming to lumberjack's
	// "name-<UTC timestamp>.ext[.gz]" (see docs/COMPATIBILITY.md, Logs).
	// MaxAge is rounded up to whole days (lumberjack's unit).
	Compress bool
	MaxAge   time.Duration
	// SyslogTag, if set, also sends each line to syslog as "<tag> <line>".
	SyslogTag string
	// Logger receives write errors (reported once until writing works
	// again; the recovery reports how many bytes were dropped).
	Logger *slog.Logger
	// DropCount, if set, is also added every byte dropped (a counter
	// shared by many writers; see Writer.Dropped).
	DropCount *atomic.Int64
	// MinFD, if set, moves the file's descriptor to the lowest free
	// number at or above it (kept where it is when there is none). A
	// process manager keeps its many log files away from low numbers
	// so that Go's fork status pipe gets one (see pkg/process).
	MinFD int
}

// Writer is a rotating log file writer, safe for concurrent use.
//
// Lock: mu guards every field below it. It is held for the duration of
// a Write (file write plus rotation), Reopen, Clear and Close; nothing
// else is locked while it is held except lumberjack's own mutex and the
// shared syslog connection's mutex (in that order).
type Writer struct {
	opts  Options
	retry time.Duration // reopen/rotation retry delay (tests shorten it)

	mu      sync.Mutex
	f       *os.File           // plain mode: the open file; nil while broken or closed
	lj      *lumberjack.Logger // lumberjack mode (Compress/MaxAge), else nil
	ljDown  bool               // lumberjack mode: last write failed, retry after retryAt
	size    int64              // bytes in the current file (regular files only)
	regular bool               // the target is a regular file, so it may rotate
	closed  bool
	failing bool      // an error was reported and writing has not worked since
	retryAt time.Time // earliest next reopen attempt while broken
	rotAt   time.Time // earliest next rotation attempt after a failed one
	sysFail bool      // a syslog error was reported
	// lost is what was dropped since the last failure was reported
	// (logged with the recovery); dropped counts every byte dropped.
	lost    int64
	dropped atomic.Int64
}

// Dropped returns how many bytes written to w were dropped because the
// file could not be written (disk full, directory removed, ...).
func (w *Writer) Dropped() int64 { return w.dropped.Load() }

// Open opens (creating, appending) the log file. A regular file is
// created with mode 0666 minus the umask, as supervisord's open(…, 'ab')
// does. A FIFO without a reader makes Open fail (ENXIO) rather than
// block.
func Open(opts Options) (*Writer, error) {
	w := &Writer{opts: opts, retry: defaultRetry}
	if err := w.openFile(false); err != nil {
		return nil, err
	}
	if w.useLumberjack() {
		w.f.Close()
		w.f = nil
		w.lj = lumberjackFor(opts)
	}
	return w, nil
}

// useLumberjack reports whether the superd extensions (compress, maxage)
// are in effect; they need something to rotate and backups to keep.
func (w *Writer) useLumberjack() bool {
	return w.regular && w.opts.MaxBytes > 0 && w.opts.Backups > 0 &&
		(w.opts.Compress || w.opts.MaxAge > 0)
}

// openFile opens w.opts.Path for appending (truncating if trunc) and
// records its size and kind. On error w.f is left nil.
func (w *Writer) openFile(trunc bool) error {
	flag := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if trunc {
		flag |= os.O_TRUNC
	}
	if fi, err := os.Stat(w.opts.Path); err == nil && fi.Mode()&fs.ModeNamedPipe != 0 {
		// Opening a FIFO for writing blocks until a reader appears;
		// O_NONBLOCK makes it fail with ENXIO instead (retried later).
		flag = os.O_WRONLY | syscall.O_NONBLOCK
	}
	f, err := os.OpenFile(w.opts.Path, flag, 0o666)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log file: %w", err)
	}
	if w.opts.MinFD > 0 && fi.Mode().IsRegular() {
		f = moveFD(f, w.opts.MinFD)
	}
	w.f = f
	w.regular = fi.Mode().IsRegular()
	w.size = 0
	if w.regular {
		w.size = fi.Size()
	}
	return nil
}

// Write writes p verbatim and rotates afterwards if needed. It never
// fails the caller for a file-system error: the data is dropped, the
// error is logged once, and writing resumes when possible. Writes after
// Close are dropped.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || len(p) == 0 {
		return len(p), nil
	}
	var n int
	if w.lj != nil {
		n = w.writeLumberjack(p)
	} else {
		n = w.writePlain(p)
	}
	if n < len(p) {
		w.lost += int64(len(p) - n)
		w.dropped.Add(int64(len(p) - n))
		if w.opts.DropCount != nil {
			w.opts.DropCount.Add(int64(len(p) - n))
		}
	}
	if w.opts.SyslogTag != "" {
		w.sendSyslog(p)
	}
	return len(p), nil
}

// writePlain writes p and returns how much of it reached the file.
func (w *Writer) writePlain(p []byte) int {
	if w.f == nil && !w.tryReopen() {
		return 0
	}
	n, err := w.f.Write(p)
	w.size += int64(n)
	if err != nil {
		w.fail(fmt.Errorf("write log file: %w", err))
		w.f.Close()
		w.f = nil
		w.retryAt = time.Now().Add(w.retry)
		return n
	}
	w.recovered()
	if w.regular && w.opts.MaxBytes > 0 && w.size >= w.opts.MaxBytes {
		w.rotate()
	}
	return n
}

// tryReopen reopens a broken file, at most once per w.retry.
func (w *Writer) tryReopen() bool {
	now := time.Now()
	if now.Before(w.retryAt) {
		return false
	}
	if err := w.openFile(false); err != nil {
		w.retryAt = now.Add(w.retry)
		w.fail(err)
		return false
	}
	return true
}

// rotate implements supervisord's RotatingFileHandler.doRollover.
func (w *Writer) rotate() {
	now := time.Now()
	if now.Before(w.rotAt) {
		return
	}
	// With O_APPEND the offset after a write is the end of the file, so
	// this corrects the in-memory size if someone truncated the file
	// (logrotate copytruncate) without costing a syscall per write.
	if off, err := w.f.Seek(0, io.SeekCurrent); err == nil {
		w.size = off
		if off < w.opts.MaxBytes {
			return
		}
	}
	w.f.Close()
	w.f = nil
	base := w.opts.Path
	trunc := true
	if w.opts.Backups > 0 {
		for i := w.opts.Backups - 1; i >= 1; i-- {
			err := os.Rename(base+"."+strconv.Itoa(i), base+"."+strconv.Itoa(i+1))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				w.fail(fmt.Errorf("rotate log file: %w", err))
			}
		}
		if err := os.Rename(base, base+".1"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			// Truncating now would lose the data: keep appending and
			// try again later.
			w.fail(fmt.Errorf("rotate log file: %w", err))
			w.rotAt = now.Add(w.retry)
			trunc = false
		}
	}
	if err := w.openFile(trunc); err != nil {
		w.fail(err)
		w.retryAt = now.Add(w.retry)
	}
}

// fail reports err once until writing works again.
func (w *Writer) fail(err error) {
	if w.failing {
		return
	}
	w.failing = true
	if w.opts.Logger != nil {
		w.opts.Logger.Error("log file error; output is dropped until it can be written",
			"path", w.opts.Path, "err", err)
	}
}

func (w *Writer) recovered() {
	if !w.failing {
		return
	}
	w.failing = false
	if w.opts.Logger != nil {
		w.opts.Logger.Info("log file writable again", "path", w.opts.Path, "dropped_bytes", w.lost)
	}
	w.lost = 0
}

// Reopen closes and reopens the file (SIGUSR2, external logrotate). On
// failure the error is returned and reported, and writes keep retrying.
func (w *Writer) Reopen() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("reopen log file %s: %w", w.opts.Path, os.ErrClosed)
	}
	return w.reopenLocked()
}

func (w *Writer) reopenLocked() error {
	if w.lj != nil {
		w.lj.Close()
		w.ljDown = false
		err := w.precreate()
		if err != nil {
			w.fail(err)
		}
		return err
	}
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	if err := w.openFile(false); err != nil {
		w.fail(err)
		w.retryAt = time.Now().Add(w.retry)
		return err
	}
	return nil
}

// precreate (lumberjack mode) creates the file with supervisord's mode
// (lumberjack would use 0600) and records its size; lumberjack opens it
// on the next write.
func (w *Writer) precreate() error {
	f, err := os.OpenFile(w.opts.Path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o666)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	w.size = fi.Size()
	return nil
}

// Clear removes the current file and reopens it empty (backups
// untouched), as supervisord's clearProcessLogs does. A non-regular
// target (/dev/stdout, a FIFO) is neither removed nor reopened.
func (w *Writer) Clear() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("clear log file %s: %w", w.opts.Path, os.ErrClosed)
	}
	fi, err := os.Stat(w.opts.Path)
	if err == nil && !fi.Mode().IsRegular() {
		return nil
	}
	if w.lj != nil {
		w.lj.Close()
	} else if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	var rmErr error
	if err := os.Remove(w.opts.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		rmErr = fmt.Errorf("clear log file: %w", err)
	}
	return errors.Join(rmErr, w.reopenLocked())
}

// Close closes the file. Later writes are dropped; Close is idempotent.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if w.lj != nil {
		return w.lj.Close()
	}
	if w.f != nil {
		err := w.f.Close()
		w.f = nil
		return err
	}
	return nil
}

// Path returns the file path.
func (w *Writer) Path() string { return w.opts.Path }

// moveFD returns f with its descriptor moved to the lowest free number
// at or above min (close-on-exec, as Go opens every file), or f itself
// when that fails.
func moveFD(f *os.File, min int) *os.File {
	rc, err := f.SyscallConn()
	if err != nil {
		return f
	}
	nfd := -1
	rc.Control(func(fd uintptr) {
		if int(fd) >= min {
			return
		}
		if n, err := unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, min); err == nil {
			nfd = n
		}
	})
	if nfd < 0 {
		return f
	}
	nf := os.NewFile(uintptr(nfd), f.Name())
	f.Close()
	return nf
}
