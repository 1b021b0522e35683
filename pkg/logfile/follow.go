package logfile

import (
	"context"
	"fmt"
	"io"
	"os"
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
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("follow log: %w", err)
	}
	defer func() { f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("follow log: %w", err)
	}
	// Watch before reading so that no change after the first read is missed.
	n := newNotifier(ctx, path)
	defer n.close()
	n.watchFile()

	id := fileID(fi)
	pos := max(fi.Size()-FollowHead, 0)
	buf := make([]byte, 64*1024)
	for {
		// _follow: a new file under the name?
		if fi, err := os.Stat(path); err == nil && fileID(fi) != id {
			if nf, err := os.Open(path); err == nil {
				if nfi, err := nf.Stat(); err == nil {
					f.Close()
					f, id, pos = nf, fileID(nfi), 0
					n.watchFile()
				} else {
					nf.Close()
				}
			}
		}
		fi, err := f.Stat()
		if err != nil {
			return fmt.Errorf("follow log: %w", err)
		}
		size := fi.Size()
		wrote := false
		if size < pos {
			if _, err := io.WriteString(w, Truncated); err != nil {
				return err
			}
			pos, wrote = 0, true
		}
		if size > pos {
			c, err := io.CopyBuffer(w, io.NewSectionReader(f, pos, size-pos), buf)
			pos += c
			if err != nil {
				return err
			}
			wrote = true
		}
		if wrote && flush != nil {
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
