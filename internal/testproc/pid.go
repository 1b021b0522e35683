package testproc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ParsePID parses the contents of a pid file: one decimal number,
// surrounding white space allowed. A pid <= 1 is refused: signalling 0
// or a negative number reaches a whole process group (the test's own,
// for 0), and 1 is init.
func ParsePID(s string) (int, error) {
	pid, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("pid %q: %w", s, err)
	}
	if pid <= 1 {
		return 0, fmt.Errorf("pid %d: refusing a pid <= 1", pid)
	}
	return pid, nil
}

// ReadPID reads and parses the pid file path (see ParsePID).
func ReadPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := ParsePID(string(b))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return pid, nil
}

// WaitPID waits up to timeout for the pid file path to appear and
// returns its pid; the test fails if it does not appear or does not
// hold a valid pid. Writers must create the file atomically (rename)
// or have finished writing when it is read.
func WaitPID(t testing.TB, path string, timeout time.Duration) int {
	t.Helper()
	end := time.Now().Add(timeout)
	for {
		pid, err := ReadPID(path)
		if err == nil {
			return pid
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if time.Now().After(end) {
			t.Fatalf("pid file %s not written within %v", path, timeout)
		}
		time.Sleep(5 * time.Millisecond) // polling another process's file
	}
}

// Kill sends sig to the single process pid; it refuses pid <= 1 (see
// ParsePID) instead of signalling a process group or init.
func Kill(pid int, sig syscall.Signal) error {
	if pid <= 1 {
		return fmt.Errorf("refusing to send %v to pid %d", sig, pid)
	}
	return syscall.Kill(pid, sig)
}

// KillGroup sends sig to the process group pgid; it refuses pgid <= 1.
func KillGroup(pgid int, sig syscall.Signal) error {
	if pgid <= 1 {
		return fmt.Errorf("refusing to send %v to process group %d", sig, pgid)
	}
	return syscall.Kill(-pgid, sig)
}
