package process

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"syscall"
	"unicode/utf8"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/logfile"
)

const readSize = 128 << 10 // supervisord reads up to 128 KiB at a time

// Capture mode tokens.
var (
	beginToken = []byte("<!--XSUPERVISOR:BEGIN-->")
	endToken   = []byte("<!--XSUPERVISOR:END-->")
)

// logPath returns the log file of one channel: an AUTO name created in
// childlogdir, "" for none, or the configured path.
func (s *Supervisor) logPath(pc *config.Process, channel, file string) string {
	if file != "AUTO" {
		return file
	}
	path, err := s.createAutoLog(pc, channel)
	if err != nil {
		s.log.Error(autoLogError(pc, channel, err))
		return ""
	}
	return path
}

// createAutoLog creates the AUTO log file of one channel of pc in
// childlogdir and returns its path. It touches no process state.
func (s *Supervisor) createAutoLog(pc *config.Process, channel string) (string, error) {
	dir := s.cfg.Supervisord.ChildLogDir
	if dir == "" {
		dir = os.TempDir()
	}
	id := s.cfg.Supervisord.Identifier
	if id == "" {
		id = "supervisor"
	}
	return autoLogName(dir, fmt.Sprintf("%s-%s---%s-", pc.Name, channel, id))
}

func autoLogError(pc *config.Process, channel string, err error) string {
	return fmt.Sprintf("could not create AUTO %s log for %s: %v", channel, pc.Name, err)
}

// autoLogName creates a new empty file dir/prefix<8 random>.log as
// mkstemp does and returns its path.
func autoLogName(dir, prefix string) (string, error) {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789_"
	for range 100 {
		var b [8]byte
		rand.Read(b[:])
		for i := range b {
			b[i] = chars[int(b[i])%len(chars)]
		}
		path := filepath.Join(dir, prefix+string(b[:])+".log")
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		f.Close()
		return path, nil
	}
	return "", fmt.Errorf("no free name for %s*.log in %s", prefix, dir)
}

// CleanupAutoLogs removes old AUTO child logs of identifier from
// childlogdir, as supervisord does at startup unless nocleanup is set.
func CleanupAutoLogs(childlogdir, identifier string, log *slog.Logger) {
	re := regexp.MustCompile(`^.+?---` + regexp.QuoteMeta(identifier) + `-\S+\.log\.?\d{0,4}`)
	ents, err := os.ReadDir(childlogdir)
	if err != nil {
		if log != nil {
			log.Warn("Could not clear childlog dir")
		}
		return
	}
	for _, e := range ents {
		if re.MatchString(e.Name()) {
			p := filepath.Join(childlogdir, e.Name())
			// unlink, as Python's os.remove: a directory with such a
			// name is kept (and warned about), where os.Remove would
			// remove an empty one.
			if err := syscall.Unlink(p); err != nil && log != nil {
				log.Warn("Failed to clean up " + pyRepr(p))
			}
		}
	}
}

// retryAutoLogs creates, at a spawn, an AUTO log file that could not
// be created before (childlogdir full or missing): without it the
// program's output was dropped until superd itself restarted, even
// after space came back. (A channel that also goes to syslog has a
// writer already, which an old child's output may still use: it is
// left as it is.)
func (s *Supervisor) retryAutoLogs(p *proc) {
	if p.cfg.Stdout.File == "AUTO" && p.stdoutPath == "" && !p.stdoutAuto && p.stdoutLog == nil {
		p.stdoutPath = s.logPath(p.cfg, "stdout", "AUTO")
	}
	stderr := !p.cfg.RedirectStderr || p.g.cfg.Kind == config.KindEventListener
	if stderr && p.cfg.Stderr.File == "AUTO" && p.stderrPath == "" && !p.stderrAuto && p.stderrLog == nil {
		p.stderrPath = s.logPath(p.cfg, "stderr", "AUTO")
	}
}

// ensureLogs opens the log writers of p (at its first spawn). An error
// is a spawn error, as supervisord's make_dispatchers failing.
func (s *Supervisor) ensureLogs(p *proc) error {
	var err error
	if p.stdoutLog == nil {
		if p.stdoutLog, err = s.openLog(p.cfg, p.stdoutPath, p.cfg.Stdout); err != nil {
			return err
		}
	}
	if p.stderrLog == nil && (!p.cfg.RedirectStderr || p.g.cfg.Kind == config.KindEventListener) {
		if p.stderrLog, err = s.openLog(p.cfg, p.stderrPath, p.cfg.Stderr); err != nil {
			return err
		}
	}
	return nil
}

// openLog opens the writer of one log channel of pc (nil when it has
// neither a file nor syslog). It touches no process state, so spawn
// prefetching calls it off the loop.
func (s *Supervisor) openLog(pc *config.Process, path string, lc config.Log) (*logfile.Writer, error) {
	tag := ""
	if lc.Syslog {
		tag = pc.Name
	}
	switch {
	case path == "" && tag == "":
		return nil, nil
	case path == "":
		path = os.DevNull // syslog only: the file part writes nowhere
	}
	return logfile.Open(logfile.Options{Path: path, MaxBytes: lc.MaxBytes, Backups: lc.Backups,
		Compress: lc.Compress, MaxAge: lc.MaxAge, SyslogTag: tag, Logger: s.log, DropCount: s.opts.LogDropped, MinFD: highFD})
}

func (p *proc) closeLogs() {
	if p.stdoutLog != nil {
		p.stdoutLog.Close()
		p.stdoutLog = nil
	}
	if p.stderrLog != nil {
		p.stderrLog.Close()
		p.stderrLog = nil
	}
}

// outReader copies one output pipe of a child to its log. It runs in
// its own goroutine and ends at EOF (when the child and every
// grandchild holding the pipe have closed it) or when the read end is
// closed by cleanup.
type outReader struct {
	s        *Supervisor
	f        *os.File
	w        *logfile.Writer // nil: discard
	channel  string          // "stdout" or "stderr"
	name     string
	group    string
	pid      int
	events   bool // PROCESS_LOG_* per chunk
	strip    bool // strip_ansi
	debug    bool // log every chunk at DEBG
	listener ListenerHook
	atEOF    func()       // called after the last chunk, before the reader ends
	tap      func([]byte) // one-shot children: sees each chunk after the log
	simple   bool         // no per-chunk work: chunks go straight to w

	// count is the process's outBytes counter of this pipe: deliver
	// adds every chunk read (one atomic add, no lock).
	count *atomic.Int64

	// Set when the shared poller watches the pipe (outpoll_linux.go);
	// tok and the flags are guarded by poll.mu.
	poll              *outPoll
	tok               int32
	busy, kill, ended bool
	kick, streaming   bool // flush wants the pipe back; a drain is in stream

	// capture mode
	capMax  int64
	capMode bool
	capBuf  []byte // captured data (last capMax bytes)
	pending []byte // unconsumed output (possible token prefix)
}

// outFlush holds the output readers of one child so that its exit
// watcher (pidfd or reaper) can read what the child left in its pipes
// before the exit is posted: a listener's last RESULT, and the last log
// lines, then come before the exit, as in supervisord, whose loop reads
// ready pipes before it reaps. The readers are added after the child is
// started, so mu guards rs.
type outFlush struct {
	mu sync.Mutex
	rs []*outReader
}

func (f *outFlush) add(r *outReader) {
	f.mu.Lock()
	f.rs = append(f.rs, r)
	f.mu.Unlock()
}

// run drains every reader the shared poller watches (a reader with its
// own goroutine is left to it).
func (f *outFlush) run() {
	if f == nil {
		return
	}
	f.mu.Lock()
	rs := f.rs
	f.mu.Unlock()
	for _, r := range rs {
		if r.poll != nil {
			r.poll.flush(r)
		}
	}
}

// readBufs holds the read buffers of all output readers. A reader takes
// one only when its pipe is readable and returns it once the chunk is
// written, so an idle pipe holds no buffer.
var readBufs = sync.Pool{New: func() any { b := make([]byte, readSize); return &b }}

// run is the reader's goroutine when the shared poller (outpoll) is not
// available: it parks in Go's network poller until the pipe is readable.
func (r *outReader) run() {
	rc, err := r.f.SyscallConn()
	for err == nil {
		var bp *[]byte
		var n int
		var rerr error
		// The callback runs when the poller says the pipe may be
		// readable; returning false parks the goroutine (no buffer
		// held) until it is.
		err = rc.Read(func(fd uintptr) bool {
			bp = readBufs.Get().(*[]byte)
			n, rerr = readFD(fd, *bp)
			if rerr == syscall.EAGAIN {
				readBufs.Put(bp)
				bp = nil
				return false
			}
			return true
		})
		if err == nil && (rerr != nil || n <= 0) {
			err = io.EOF // EOF (0) or a read error ends the reader
		}
		if n > 0 {
			r.deliver((*bp)[:n])
		}
		if bp != nil {
			readBufs.Put(bp)
		}
	}
	r.finish()
}

// readFD reads from a non-blocking fd, retrying on EINTR.
func readFD(fd uintptr, buf []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), buf)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// deliver handles one chunk read from the pipe.
func (r *outReader) deliver(data []byte) {
	r.count.Add(int64(len(data)))
	if r.simple {
		if r.w != nil {
			r.w.Write(data)
		}
	} else {
		r.chunk(data)
	}
	if r.tap != nil {
		r.tap(data)
	}
}

// finish ends the reader after its last chunk: flush, close the read
// end, detach a listener.
func (r *outReader) finish() {
	if len(r.pending) > 0 {
		r.log(r.pending)
		r.pending = nil
	}
	r.s.rmu.Lock()
	delete(r.s.rfiles, r)
	r.s.rmu.Unlock()
	r.f.Close()
	if r.atEOF != nil {
		r.atEOF()
	}
	r.s.readers.Done()
}

// forceClose ends a reader whose pipe is still held open (by a
// grandchild) when Run returns.
func (r *outReader) forceClose() {
	if r.poll != nil {
		r.poll.forceClose(r)
		return
	}
	r.f.Close() // the parked Read fails; run finishes
}

func (r *outReader) chunk(data []byte) {
	if r.listener != nil {
		// supervisord's PEventListenerDispatcher logs the bytes' repr.
		if r.debug {
			r.s.log.Log(context.Background(), slog.LevelDebug, fmt.Sprintf("'%s' %s output:\n%s", r.name, r.channel, events.PyBytesRepr(data)))
		}
		if r.w != nil {
			if r.strip {
				r.w.Write(StripANSI(data))
			} else {
				r.w.Write(data)
			}
		}
		r.listener.Output(r.group, r.name, r.pid, data)
		return
	}
	if r.capMax == 0 {
		r.log(data)
		return
	}
	r.pending = append(r.pending, data...)
	r.record()
}

// record is supervisord's POutputDispatcher.record_output.
func (r *outReader) record() {
	for {
		token := beginToken
		if r.capMode {
			token = endToken
		}
		if len(r.pending) <= len(token) {
			return
		}
		data := r.pending
		r.pending = nil
		before, after, found := bytes.Cut(data, token)
		if !found {
			keep := prefixAtEnd(data, token)
			if keep > 0 {
				r.pending = append([]byte(nil), data[len(data)-keep:]...)
				data = data[:len(data)-keep]
			}
			r.log(data)
			return
		}
		r.log(before)
		r.toggle()
		r.pending = append([]byte(nil), after...)
		if len(after) == 0 {
			return
		}
	}
}

// prefixAtEnd returns the length of the longest proper prefix of token
// that data ends with.
func prefixAtEnd(data, token []byte) int {
	for l := len(token) - 1; l > 0; l-- {
		if bytes.HasSuffix(data, token[:l]) {
			return l
		}
	}
	return 0
}

func (r *outReader) toggle() {
	r.capMode = !r.capMode
	if r.capMode {
		return
	}
	typ := events.ProcessCommunicationStdout
	if r.channel == "stderr" {
		typ = events.ProcessCommunicationStderr
	}
	r.s.emit(events.Event{Type: typ, Process: r.name, Group: r.group, PID: r.pid, Channel: r.channel,
		Data: append([]byte(nil), r.capBuf...)})
	r.s.log.Debug(fmt.Sprintf("'%s' %s emitted a comm event", r.name, r.channel))
	r.capBuf = r.capBuf[:0]
}

// log is supervisord's _log: the data goes to the capture buffer in
// capture mode, else to the log file; in both modes to the main log
// (debug) and events.
func (r *outReader) log(data []byte) {
	if len(data) == 0 {
		return
	}
	if r.strip {
		data = StripANSI(data)
	}
	// Capture mode changes only where the file copy goes (supervisord's
	// childlog is the capture log then): the main log's DEBG copy and
	// the PROCESS_LOG events still get the bytes.
	if r.capMode {
		r.capBuf = boundWrite(r.capBuf, data, r.capMax)
	} else if r.w != nil {
		r.w.Write(data)
	}
	if r.debug {
		text := string(data)
		if !utf8.Valid(data) {
			text = "Undecodable: " + events.PyBytesRepr(data)
		}
		r.s.log.Log(context.Background(), slog.LevelDebug, fmt.Sprintf("'%s' %s output:\n%s", r.name, r.channel, text))
	}
	if r.events {
		typ := events.ProcessLogStdout
		if r.channel == "stderr" {
			typ = events.ProcessLogStderr
		}
		r.s.emit(events.Event{Type: typ, Process: r.name, Group: r.group, PID: r.pid, Channel: r.channel,
			Data: append([]byte(nil), data...)})
	}
}

// boundWrite is supervisord's BoundIO.write: when buf+data would pass max,
// as many bytes as data has are first dropped from the front of buf (all
// of buf when data is longer), then data is appended whole.
func boundWrite(buf, data []byte, max int64) []byte {
	if int64(len(buf)+len(data)) > max {
		buf = append(buf[:0], buf[min(len(data), len(buf)):]...)
	}
	return append(buf, data...)
}

// StripANSI removes ANSI escape sequences as supervisord's stripEscapes:
// from "ESC[" up to and including the next terminator byte.
func StripANSI(s []byte) []byte {
	const terms = "HfABCDRsuJKhlpm"
	if !bytes.Contains(s, []byte("\x1b[")) {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		n := bytes.Index(s[i:], []byte("\x1b["))
		if n < 0 {
			return append(out, s[i:]...)
		}
		out = append(out, s[i:i+n]...)
		i += n + 1
		for i < len(s) && bytes.IndexByte([]byte(terms), s[i]) < 0 {
			i++
		}
		i++ // the terminator
	}
	return out
}
