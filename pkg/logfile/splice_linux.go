package logfile

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// SpliceFrom moves up to max bytes from the pipe pipeFD into the log
// file with splice(2), so the bytes never pass through user space, and
// then rotates exactly as Write does: what one call moves is one chunk,
// as one read of up to max bytes would have returned, written whole
// before the rotation check, so the file may exceed MaxBytes by one
// chunk and a line is never split across files where Write would not
// split it (supervisord writes each chunk it reads, then rotates).
//
// handled is false when the caller must read the data and Write it
// instead: the Writer is closed, broken (Write reopens and reports),
// not a regular file, in lumberjack or syslog mode, the file system
// cannot splice, or the splice failed (Write then meets and reports the
// same error, dropping that chunk as it does). Otherwise n bytes were
// moved; n == 0 with a nil error is EOF (no writer left on the pipe),
// and err is EAGAIN when the pipe is empty.
//
// splice cannot write to an O_APPEND file, so under the Writer's lock
// O_APPEND is cleared for the call and the data goes at the file's
// current size (fstat), which keeps append semantics (also after an
// external truncation) since every other write to this descriptor takes
// the same lock.
func (w *Writer) SpliceFrom(pipeFD, max int) (n int, err error, handled bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.f == nil || w.lj != nil || w.opts.SyslogTag != "" || !w.regular || w.noSplice || max <= 0 {
		return 0, nil, false
	}
	if w.opts.MaxBytes > 0 && w.size >= w.opts.MaxBytes {
		return 0, nil, false // a rotation is pending: Write retries it
	}
	rc, err := w.f.SyscallConn()
	if err != nil {
		return 0, nil, false
	}
	var off int64
	unsupported := false
	cerr := rc.Control(func(fd uintptr) {
		fl, e := unix.FcntlInt(fd, unix.F_GETFL, 0)
		if e != nil {
			err, unsupported = e, true
			return
		}
		var st unix.Stat_t
		if e := unix.Fstat(int(fd), &st); e != nil {
			err = e
			return
		}
		off = st.Size
		if _, e := unix.FcntlInt(fd, unix.F_SETFL, fl&^unix.O_APPEND); e != nil {
			err, unsupported = e, true // e.g. an append-only inode
			return
		}
		for {
			var m int64
			m, err = unix.Splice(pipeFD, nil, int(fd), &off, max, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
			n = int(m)
			if err != syscall.EINTR {
				break
			}
		}
		unix.FcntlInt(fd, unix.F_SETFL, fl)
	})
	if cerr != nil {
		return 0, nil, false
	}
	switch {
	case err == syscall.EAGAIN:
		return 0, err, true
	case errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EOPNOTSUPP) || unsupported:
		w.noSplice = true
		return 0, nil, false
	case err != nil:
		return 0, nil, false
	}
	if n <= 0 {
		return 0, nil, true // EOF
	}
	w.size = off
	w.recovered()
	if w.opts.MaxBytes > 0 && w.size >= w.opts.MaxBytes {
		w.rotate()
	}
	return n, nil, true
}
