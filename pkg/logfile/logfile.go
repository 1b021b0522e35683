package logfile

import (
	"errors"
	"log/slog"
	"time"
)

// ErrBadArguments is returned by Read for an offset/length combination
// that supervisord rejects (BAD_ARGUMENTS).
var ErrBadArguments = errors.New("bad arguments")

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
	Compress bool
	MaxAge   time.Duration
	// SyslogTag, if set, also sends each line to syslog as "<tag> <line>".
	SyslogTag string
	// Logger receives write errors (reported once until writing works again).
	Logger *slog.Logger
}

// Writer is a rotating log file writer, safe for concurrent use.
type Writer struct{ opts Options }

// Open opens (creating, appending) the log file.
func Open(opts Options) (*Writer, error) { return &Writer{opts: opts}, nil }

// Write writes p verbatim and rotates afterwards if needed. It never
// fails the caller for a file-system error: the data is dropped, the
// error is logged once, and writing resumes when possible.
func (w *Writer) Write(p []byte) (int, error) { return len(p), nil }

// Reopen closes and reopens the file (SIGUSR2, external logrotate).
func (w *Writer) Reopen() error { return nil }

// Clear removes the current file and reopens it empty (backups untouched).
func (w *Writer) Clear() error { return nil }

// Close closes the file.
func (w *Writer) Close() error { return nil }

// Path returns the file path.
func (w *Writer) Path() string { return w.opts.Path }

// Read returns bytes of the file at path with supervisord's readLog
// semantics: offset>=0,length==0: offset to EOF; offset>=0,length>0:
// that slice; offset<0,length==0: the last -offset bytes; anything else
// ErrBadArguments.
func Read(path string, offset, length int64) ([]byte, error) { return nil, nil }

// Tail implements supervisord's tailProcessLog: if size > offset+length
// it returns the last length bytes and overflow=true, else the bytes
// from offset. newOffset is the file size. A missing file returns
// ("", 0, false, nil).
func Tail(path string, offset, length int64) (data []byte, newOffset int64, overflow bool, err error) {
	return nil, 0, false, nil
}
