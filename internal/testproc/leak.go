package testproc

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// EnvRun is the environment variable Run sets, before any test starts,
// to a value unique to this run of the test binary. Every process the
// tests start inherits it (superd and supervisord pass their
// environment on to their programs), however it is later reparented
// and whatever session or process group it moves to, which is how Run
// finds the processes the tests left behind. A process started with an
// environment that does not derive from os.Environ() escapes the check.
const EnvRun = "SUPERD_TEST_RUN"

// EnvScope is the environment variable a Scope marks processes with.
const EnvScope = "SUPERD_TEST_SCOPE"

// GoneTimeout is how long Run waits, after the tests, for processes
// that are still exiting (a daemon's programs after its SIGTERM);
// EnvGoneTimeout (a time.ParseDuration string) overrides it.
const GoneTimeout = 10 * time.Second

// EnvGoneTimeout names the environment variable that overrides
// GoneTimeout.
const EnvGoneTimeout = "SUPERD_TEST_GONE_TIMEOUT"

// Run runs the tests (m.Run) and then checks that no process they
// started is still running. Leftovers are listed on stderr, killed
// with SIGKILL, and fail the run (status 1 if the tests passed).
// Call it from TestMain after Main: os.Exit(testproc.Run(m)).
func Run(m *testing.M) int {
	os.Setenv(EnvRun, strconv.Itoa(os.Getpid())+"."+randomHex())
	code := m.Run()
	timeout := GoneTimeout
	if d, err := time.ParseDuration(os.Getenv(EnvGoneTimeout)); err == nil {
		timeout = d
	}
	if left := waitGone(EnvRun, os.Getenv(EnvRun), timeout); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "testproc: the tests left %d processes running (now killed):\n", len(left))
		for _, p := range left {
			fmt.Fprintf(os.Stderr, "\t%s\n", p)
		}
		killMarked(EnvRun, os.Getenv(EnvRun))
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Scope marks the processes started with its Env entry, and all their
// descendants, so that Kill can end those still running: for daemons
// whose programs deliberately leave background children behind
// (supervisord and superd stop only the program's main process unless
// stopasgroup is set).
type Scope struct {
	value string
}

// NewScope returns a scope with a value no other scope has; name (a
// test or daemon name, shown when a leftover is reported) starts it.
func NewScope(name string) *Scope {
	name = strings.Map(func(r rune) rune {
		if r == 0 || r == '=' {
			return '_'
		}
		return r
	}, name)
	return &Scope{value: name + "." + strconv.Itoa(os.Getpid()) + "." + randomHex()}
}

// Env returns the environment entry to add to a command's environment:
// cmd.Env = append(os.Environ(), s.Env()).
func (s *Scope) Env() string { return EnvScope + "=" + s.value }

// Kill sends SIGKILL to every process of the scope that is still
// running and returns them.
func (s *Scope) Kill() []Proc {
	return killMarked(EnvScope, s.value)
}

// Proc describes a process found by its environment marker.
type Proc struct {
	PID, PPID, PGID, SID int
	State                byte
	Cmdline              string
	Scope                string // its EnvScope value, if any
}

func (p Proc) String() string {
	s := fmt.Sprintf("pid %d (ppid %d, pgid %d, sid %d, state %c): %s", p.PID, p.PPID, p.PGID, p.SID, p.State, p.Cmdline)
	if p.Scope != "" {
		s += " [" + EnvScope + "=" + p.Scope + "]"
	}
	return s
}

func randomHex() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// marked returns the processes other than this one that are alive (not
// zombies) and have key=value in their environment.
func marked(key, value string) []Proc {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []Proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, ok := hasMarker(pid, key, value)
		if !ok {
			continue
		}
		p, err := readProc(pid)
		if err != nil || p.State == 'Z' || p.State == 'X' {
			continue
		}
		p.Scope = envValue(env, EnvScope)
		out = append(out, p)
	}
	return out
}

// hasMarker reports whether pid's environment holds key=value, and
// returns the environment.
func hasMarker(pid int, key, value string) (string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil || value == "" {
		return "", false
	}
	env := "\x00" + string(b)
	return env, strings.Contains(env, "\x00"+key+"="+value+"\x00")
}

func envValue(env, key string) string {
	i := strings.Index(env, "\x00"+key+"=")
	if i < 0 {
		return ""
	}
	v := env[i+len(key)+2:]
	if j := strings.IndexByte(v, 0); j >= 0 {
		v = v[:j]
	}
	return v
}

func readProc(pid int) (Proc, error) {
	p := Proc{PID: pid}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return p, err
	}
	// pid (comm) state ppid pgrp session ...; comm may hold ") ".
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return p, fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 4 || len(f[0]) != 1 {
		return p, fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	p.State = f[0][0]
	p.PPID, _ = strconv.Atoi(f[1])
	p.PGID, _ = strconv.Atoi(f[2])
	p.SID, _ = strconv.Atoi(f[3])
	cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	p.Cmdline = strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
	if p.Cmdline == "" {
		p.Cmdline = "(" + s[strings.IndexByte(s, '(')+1:i] + ")"
	}
	return p, nil
}

// waitGone polls until no process carries key=value or timeout passes,
// and returns those still running.
func waitGone(key, value string, timeout time.Duration) []Proc {
	end := time.Now().Add(timeout)
	for {
		left := marked(key, value)
		if len(left) == 0 || time.Now().After(end) {
			return left
		}
		time.Sleep(50 * time.Millisecond) // polling other processes
	}
}

// killMarked SIGKILLs the processes carrying key=value (repeating the
// scan a few times, for children forked meanwhile) and returns those it
// found. Each is signalled through a pidfd opened before its
// environment is checked, so a pid reused by an unrelated process in
// between is never signalled.
func killMarked(key, value string) []Proc {
	var all []Proc
	for range 5 {
		procs := marked(key, value)
		if len(procs) == 0 {
			break
		}
		for _, p := range procs {
			if killVerified(p.PID, key, value) == nil {
				all = append(all, p)
			}
		}
		time.Sleep(10 * time.Millisecond) // let forks in progress finish before the next scan
	}
	return all
}

func killVerified(pid int, key, value string) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ENOSYS) {
		// No pidfds (Linux < 5.3): check and kill, with the small
		// window for pid reuse in between.
		if _, ok := hasMarker(pid, key, value); !ok {
			return syscall.ESRCH
		}
		return Kill(pid, syscall.SIGKILL)
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if _, ok := hasMarker(pid, key, value); !ok {
		return syscall.ESRCH
	}
	return unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
}
