package process

import (
	"errors"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Waiting for a child without holding an OS thread.
//
// os.Process.Wait blocks a thread in waitid for the child's whole life,
// so 1000 children would cost 1000 threads. Instead each child gets a
// pidfd registered with Go's network poller: its waiter goroutine parks
// until the pidfd becomes readable (the child exited), then reaps it with
// waitid(P_PIDFD, WNOHANG). Signals go through the pidfd too, so they
// can never hit a recycled pid. Kernels without pidfd_open fall back to
// os.Process.Wait.

// siginfoChild is the SIGCHLD layout of siginfo_t that waitid fills.
type siginfoChild struct {
	Signo  int32
	Errno  int32
	Code   int32
	_      int32
	Pid    int32
	UID    uint32
	Status int32
	_      [100]byte
}

// waitStatus turns waitid's siginfo into a wait(2) status.
func (si *siginfoChild) waitStatus() syscall.WaitStatus {
	switch si.Code {
	case 1: // CLD_EXITED
		return syscall.WaitStatus((si.Status & 0xff) << 8)
	case 2: // CLD_KILLED
		return syscall.WaitStatus(si.Status & 0x7f)
	case 3: // CLD_DUMPED
		return syscall.WaitStatus(si.Status&0x7f | 0x80)
	}
	return syscall.WaitStatus(0xffff)
}

// openPidfd returns a pollable pidfd for pid, or nil if the kernel has
// none.
func openPidfd(pid int) *os.File {
	fd, err := unix.PidfdOpen(pid, 0) // close-on-exec is implied
	if err != nil {
		return nil
	}
	fd = raiseFD(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil
	}
	return os.NewFile(uintptr(fd), "pidfd")
}

// waitPidfd waits for the child of pidfd to exit and reaps it.
func waitPidfd(f *os.File) (syscall.WaitStatus, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var ws syscall.WaitStatus
	var werr error
	reaped := false
	try := func(fd uintptr, flags int) bool {
		var si siginfoChild
		_, _, e := syscall.Syscall6(syscall.SYS_WAITID, unix.P_PIDFD, fd, uintptr(unsafe.Pointer(&si)),
			uintptr(flags), 0, 0)
		switch {
		case e == syscall.EINTR:
			return false
		case e != 0:
			werr, reaped = e, true
		case si.Pid == 0:
			return false // still running (WNOHANG)
		default:
			ws, reaped = si.waitStatus(), true
		}
		return true
	}
	err = rc.Read(func(fd uintptr) bool { return try(fd, unix.WEXITED|unix.WNOHANG) })
	if err != nil && !reaped {
		// Not pollable here: block in waitid instead.
		err = rc.Control(func(fd uintptr) {
			for !try(fd, unix.WEXITED) {
			}
		})
	}
	if werr != nil {
		return 0, werr
	}
	if err != nil {
		return 0, err
	}
	return ws, nil
}

// signalChild sends sig to the child (not its group).
func (c *child) signal(sig syscall.Signal) error {
	if c.pidfd == nil {
		return c.osp.Signal(sig)
	}
	rc, err := c.pidfd.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.PidfdSendSignal(int(fd), sig, nil, 0) }); err != nil {
		return os.ErrProcessDone
	}
	if errors.Is(serr, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return serr
}

func closeRangeCloexec() error { return unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC) }
