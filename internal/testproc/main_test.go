package testproc

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	Main()
	os.Exit(Run(m))
}

// startSleeper starts a "sleep" helper in a session of its own (so
// neither ancestry nor session leads back here) with extra environment.
func startSleeper(t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	argv := Argv(t, "sleep")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go cmd.Wait()
	return cmd
}

func TestScopeKill(t *testing.T) {
	t.Parallel()
	s, other := NewScope(t.Name()), NewScope(t.Name()+"/other")
	a := startSleeper(t, s.Env())
	b := startSleeper(t, other.Env())
	t.Cleanup(func() { other.Kill() })
	waitFor(t, "both marked", func() bool {
		return len(marked(EnvScope, s.value)) == 1 && len(marked(EnvScope, other.value)) == 1
	})
	killed := s.Kill()
	if len(killed) != 1 || killed[0].PID != a.Process.Pid || killed[0].SID != a.Process.Pid {
		t.Fatalf("Kill = %v, want pid %d in its own session", killed, a.Process.Pid)
	}
	if killed[0].Scope != s.value || !strings.Contains(killed[0].Cmdline, Marker+" sleep") {
		t.Errorf("Kill found %+v", killed[0])
	}
	waitFor(t, "scope's process gone", func() bool { return len(marked(EnvScope, s.value)) == 0 })
	if got := marked(EnvScope, other.value); len(got) != 1 || got[0].PID != b.Process.Pid {
		t.Errorf("the other scope's process: %v, want pid %d still running", got, b.Process.Pid)
	}
	if got := marked(EnvRun, os.Getenv(EnvRun)); !slices.ContainsFunc(got, func(p Proc) bool { return p.PID == b.Process.Pid }) {
		t.Errorf("processes of this run: %v, want pid %d among them", got, b.Process.Pid)
	}
}

// TestLeakHelper leaves a process behind when run by
// TestRunReportsLeftovers (which sets SUPERD_TEST_LEAK to a file for
// its pid); otherwise it does nothing.
func TestLeakHelper(t *testing.T) {
	file := os.Getenv("SUPERD_TEST_LEAK")
	if file == "" {
		return
	}
	cmd := startSleeper(t)
	os.WriteFile(file+".tmp", []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
	os.Rename(file+".tmp", file)
}

func TestRunReportsLeftovers(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "pid")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestLeakHelper$")
	cmd.Env = append(os.Environ(), "SUPERD_TEST_LEAK="+file, EnvGoneTimeout+"=100ms")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("test binary leaving a process: %v, want exit status 1\n%s", err, out)
	}
	pid, err := ReadPID(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "the tests left 1 processes running (now killed):\n\tpid "+strconv.Itoa(pid)+" ") {
		t.Errorf("output does not name the leftover pid %d:\n%s", pid, out)
	}
	waitFor(t, "leftover killed", func() bool {
		p, err := readProc(pid)
		return err != nil || p.State == 'Z'
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
