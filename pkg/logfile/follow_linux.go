package logfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// safetyCheck is how often Follow looks at the file even without an
// inotify event (file systems where inotify misses changes, e.g. NFS).
const safetyCheck = time.Second

// inotifier watches the directory for a new file under the name
// (IN_CREATE, IN_MOVED_TO) and the current file for writes, truncation,
// rename and removal. Events are not parsed: any event means "look".
type inotifier struct {
	fd     int      // raw descriptor, used only for add/rm watch
	f      *os.File // same descriptor, read through the runtime poller
	path   string
	fileWD int
	stop   func() bool
	buf    []byte
}

func newNotifier(ctx context.Context, path string) notifier {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return newPollNotifier(200 * time.Millisecond)
	}
	if _, err := unix.InotifyAddWatch(fd, filepath.Dir(path), unix.IN_CREATE|unix.IN_MOVED_TO|unix.IN_ONLYDIR); err != nil {
		unix.Close(fd)
		return newPollNotifier(200 * time.Millisecond)
	}
	n := &inotifier{fd: fd, f: os.NewFile(uintptr(fd), "inotify"), path: path, fileWD: -1, buf: make([]byte, 4096)}
	// Wake a blocked read when ctx ends.
	n.stop = context.AfterFunc(ctx, func() { n.f.SetReadDeadline(time.Unix(1, 0)) })
	return n
}

func (n *inotifier) watchFile() {
	wd, err := unix.InotifyAddWatch(n.fd, n.path,
		unix.IN_MODIFY|unix.IN_ATTRIB|unix.IN_MOVE_SELF|unix.IN_DELETE_SELF|unix.IN_CLOSE_WRITE)
	if err != nil {
		return
	}
	if n.fileWD >= 0 && n.fileWD != wd {
		unix.InotifyRmWatch(n.fd, uint32(n.fileWD))
	}
	n.fileWD = wd
}

func (n *inotifier) wait(ctx context.Context) error {
	n.f.SetReadDeadline(time.Now().Add(safetyCheck))
	// After setting the deadline: a cancellation that raced with it has
	// already made ctx.Err non-nil.
	if err := ctx.Err(); err != nil {
		return err
	}
	// An event, the safety deadline, or ctx's deadline.
	if _, err := n.f.Read(n.buf); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		// Should not happen; never spin on it.
		t := time.NewTimer(safetyCheck)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	return ctx.Err()
}

func (n *inotifier) close() {
	n.stop()
	n.f.Close()
}
