// Package logfile owns superd's log files: child stdout/stderr logs and
// the main log's file sink. It reproduces supervisord 4.2.5's
// RotatingFileHandler (loggers.py), the readLog/tailProcessLog reads
// (options.py readFile/tailFile) and the /logtail follower (http.py
// tail_f_producer).
//
// # Writer
//
// Open opens the file for appending. Write writes each chunk verbatim
// with one write(2) (no per-line work, no copy) and then, if the file
// has reached Options.MaxBytes, rotates exactly as supervisord does:
// app.log.(N-1)→app.log.N … app.log.1→app.log.2, app.log→app.log.1,
// then app.log is reopened empty; with Backups=0 it is only truncated;
// MaxBytes=0 never rotates. The file may exceed MaxBytes by one write.
// The size is tracked in memory and confirmed with one lseek only when
// the threshold is reached (so an external copytruncate is noticed).
//
// Non-regular targets (/dev/stdout, /dev/stderr, /dev/null, ttys,
// FIFOs) are written and never rotated or removed. A FIFO is opened
// non-blocking: with no reader, Open fails (ENXIO) instead of hanging.
//
// Write never returns an error for a file-system failure (disk full,
// directory removed, EPIPE on a FIFO): the chunk is dropped, the error
// is logged once through Options.Logger, and the file is reopened on a
// later Write, at most once per second, until it works ("log file
// writable again" is then logged). A directory removed under an open
// file is noticed only when the file is rotated or reopened, because
// writes to the open descriptor still succeed.
//
// Options.Compress and Options.MaxAge (superd extensions) hand the
// rotation itself to gopkg.in/natefinch/lumberjack.v2; see lumber.go
// and docs/COMPATIBILITY.md for the naming this gives.
//
// Options.SyslogTag also sends every chunk to syslog, line by line, as
// supervisord's SyslogHandler does; all Writers share one connection.
//
// # Concurrency
//
// A Writer is safe for concurrent use: one mutex serialises Write,
// Reopen, Clear and Close (a pipe reader goroutine writes while RPC
// goroutines clear or reopen). Path needs no lock. Read, Tail and
// Follow work on paths and need no Writer.
//
// # Goroutines
//
// Writer starts none in plain mode: rotation, retries and syslog
// redials happen inside Write. In Compress/MaxAge mode lumberjack runs
// one mill goroutine per distinct file (path and settings) that lives
// until the process exits; Loggers are cached so that reopening or
// recreating a Writer does not add more. Follow (and FollowFrom, which
// starts at a given offset instead of the last 1024 bytes) runs in its caller's
// goroutine and returns when its context ends; it only registers a
// context.AfterFunc that is stopped on return. A writer that is a
// PositionWriter is told the file (FileKey: its inode, which rotation
// keeps) and offset after each batch, so a client can resume there.
//
// Example:
//
//	w, err := logfile.Open(logfile.Options{Path: "/var/log/web.log", MaxBytes: 50 << 20, Backups: 10})
//	if err != nil {
//		return err // e.g. spawnerr
//	}
//	defer w.Close()
//	io.CopyBuffer(w, stdoutPipe, make([]byte, 128<<10))
package logfile
