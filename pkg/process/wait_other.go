//go:build unix && !linux

package process

import (
	"errors"
	"os"
	"syscall"
)

// Without pidfds each child is waited for with os.Process.Wait.

func openPidfd(pid int) *os.File { return nil }

func waitPidfd(f *os.File) (syscall.WaitStatus, error) { return 0, errors.New("no pidfd") }

func (c *child) signal(sig syscall.Signal) error { return c.osp.Signal(sig) }

func closeRangeCloexec() error { return syscall.ENOSYS }
