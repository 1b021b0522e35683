package logfile

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"
)

// FollowHead is how many trailing bytes Follow sends first, as
// supervisord's /logtail handler does.
const FollowHead = 1024

// Truncated is what Follow writes when the file shrinks.
const Truncated = "==> File truncated <==\n"

// Follow implements supervisord's tail_f_producer (http.py) for the
// /logtail and /mainlogtail endpoints: it writes the last FollowHead
// bytes of path to w, then everything appended, until ctx is done (then
// it returns nil) or a write to w fails (that error is returned). flush,
// if not nil, is called after each batch.
//
// When the name points to a new file (rotation, Clear) the new file is
// sent from its start; when the file shrinks, Truncated is written and
// the file is sent again from its start; when the file is unlinked,
// the old one keeps being followed until a new one appears.
//
// A missing file is reported (wrapping fs.ErrNotExist) before anything
// is written to w, so an HTTP handler can still answer 404.
//
// Changes are noticed through inotify (Linux), with a one-second check
// as a safety net, or by polling every 200 ms elsewhere. Follow starts
// no goroutine that outlives it.
func Follow(ctx context.Context, path string, w io.Writer, flush func()) error {
	return follow(ctx, path, -1, w, flush, nil)
}

// FollowFrom is Follow starting at byte offset of the current file
// instead of its last FollowHead bytes (a superd extension, for clients
// that already have the file up to offset: superctl logs -f, the web
// page). An offset past the end (the file was rotated or cleared since)
// starts at the beginning; a negative offset is Follow's default.
func FollowFrom(ctx context.Context, path string, offset int64, w io.Writer, flush func()) error {
	return follow(ctx, path, offset, w, flush, nil)
}

// A PositionWriter is a writer given to Follow or FollowFrom that also
// wants to know where the bytes it was given come from, so that a
// client can later resume exactly there (the web page's log stream):
// after every batch Follow writes, and when it moves to a new file,
// it calls FollowedTo with the FileInfo of the file it reads and the
// offset in it up to which everything has been written (0 right after
// a rotation or truncation). An error from FollowedTo ends Follow with
// that error.
type PositionWriter interface {
	io.Writer
	FollowedTo(fi os.FileInfo, pos int64) error
}

// FileKey names the file fi describes by its device and inode, as
// Follow tells rotations apart: it stays the same when the file is
// renamed (app.log becomes app.log.1) and differs for the new file.
// It is "" where the system gives no inode.
func FileKey(fi os.FileInfo) string {
	id := fileID(fi)
	if id == (fileKey{}) {
		return ""
	}
	return strconv.FormatUint(id.dev, 16) + "." + strconv.FormatUint(id.ino, 16)
}

// follow is Follow with a start offset (<0: the last FollowHead bytes)
// and an optional notifier (tests); nil means the platform's.
func follow(ctx context.Context, path string, start int64, w io.Writer, flush func(), n notifier) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("follow log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("follow log: %w", err)
	}
	return followOpen(ctx, path, f, fi, start, w, flush, n)
}

// followOpen is follow of the file f (with its FileInfo fi), opened at
// path; it closes f.
func followOpen(ctx context.Context, path string, f *os.File, fi os.FileInfo, start int64, w io.Writer, flush func(), n notifier) error {
	// Watch before reading so that no change after the first read is missed.
	if n == nil {
		n = newNotifier(ctx, path)
	}
	defer n.close()
	n.watchFile()

	pos := max(fi.Size()-FollowHead, 0)
	switch {
	case start > fi.Size():
		pos = 0
	case start >= 0:
		pos = start
	}
	t := &tailer{w: w, f: f, fi: fi, id: fileID(fi), pos: pos, buf: make([]byte, 64*1024)}
	t.pw, _ = w.(PositionWriter)
	defer func() { t.f.Close() }()
	if err := t.report(); err != nil {
		return err
	}
	for {
		wrote := false
		// A new file under the name (rotation, Clear)? Unlike
		// supervisord, first send what was appended to the old one.
		if fi, err := os.Stat(path); err == nil && fileID(fi) != t.id {
			if nf, err := os.Open(path); err == nil {
				if nfi, err := nf.Stat(); err == nil {
					if wrote, err = t.send(); err != nil {
						nf.Close()
						return err
					}
					t.f.Close()
					t.f, t.fi, t.id, t.pos = nf, nfi, fileID(nfi), 0
					n.watchFile()
					if err := t.report(); err != nil {
						return err
					}
				} else {
					nf.Close()
				}
			}
		}
		w2, err := t.send()
		if err != nil {
			return err
		}
		if (wrote || w2) && flush != nil {
			flush()
		}
		if err := n.wait(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// tailer is the state of one Follow.
type tailer struct {
	w   io.Writer
	pw  PositionWriter // w, when it is one
	f   *os.File
	fi  os.FileInfo // of f, when it was opened
	id  fileKey
	pos int64
	buf []byte
}

// report tells a PositionWriter where the tailer is.
func (t *tailer) report() error {
	if t.pw == nil {
		return nil
	}
	return t.pw.FollowedTo(t.fi, t.pos)
}

// send writes what the current file gained since pos, or the
// truncation marker and the whole file if it shrank.
func (t *tailer) send() (wrote bool, err error) {
	fi, err := t.f.Stat()
	if err != nil {
		return false, fmt.Errorf("follow log: %w", err)
	}
	size := fi.Size()
	if size < t.pos {
		if _, err := io.WriteString(t.w, Truncated); err != nil {
			return false, err
		}
		t.pos, wrote = 0, true
		if err := t.report(); err != nil {
			return wrote, err
		}
	}
	if size > t.pos {
		c, err := io.CopyBuffer(t.w, io.NewSectionReader(t.f, t.pos, size-t.pos), t.buf)
		t.pos += c
		if err != nil {
			return wrote, err
		}
		wrote = true
		if err := t.report(); err != nil {
			return wrote, err
		}
	}
	return wrote, nil
}

type fileKey struct{ dev, ino uint64 }

func fileID(fi os.FileInfo) fileKey {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileKey{dev: uint64(st.Dev), ino: uint64(st.Ino)}
	}
	return fileKey{}
}

// notifier waits for a possible change of the followed file.
type notifier interface {
	// watchFile (re)targets the watch at the file now at the path.
	watchFile()
	// wait returns when the file may have changed, or with ctx's error.
	wait(ctx context.Context) error
	close()
}

// pollNotifier wakes up every interval.
type pollNotifier struct {
	t *time.Timer
	d time.Duration
}

func newPollNotifier(d time.Duration) *pollNotifier {
	return &pollNotifier{t: time.NewTimer(d), d: d}
}

func (p *pollNotifier) watchFile() {}

func (p *pollNotifier) wait(ctx context.Context) error {
	p.t.Reset(p.d)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-p.t.C:
		return nil
	}
}

func (p *pollNotifier) close() { p.t.Stop() }
