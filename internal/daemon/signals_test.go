package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExitSignals: INT and QUIT stop every program and exit 0, as TERM
// does (TestTermStopsEverything).
func TestExitSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := shortTempDir(t)
			in := startDaemon(t, superdBin, dir, writeConfig(t, dir, twoSleepers))
			infos := in.allRunning(2)
			in.cmd.Process.Signal(sig)
			<-in.done
			if code := in.cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("exit status %d, want 0", code)
			}
			for _, i := range infos {
				if processAlive(i.PID) {
					t.Errorf("%s (pid %d) survived %v", i.Name, i.PID, sig)
				}
			}
			log, _ := os.ReadFile(filepath.Join(dir, "main.log"))
			name := map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT"}[sig]
			if !strings.Contains(string(log), "received "+name+" indicating exit request") {
				t.Errorf("main log lacks the %s line:\n%s", name, log)
			}
		})
	}
}

// TestSecondIntForcesStop: a program that ignores its stop signal keeps
// an ordered shutdown waiting for stopwaitsecs; a second SIGINT kills it
// at once and superd exits.
func TestSecondIntForcesStop(t *testing.T) {
	dir := shortTempDir(t)
	in := startDaemon(t, superdBin, dir, writeConfig(t, dir, `
[program:stubborn]
command=/bin/sh -c "trap '' TERM; exec /bin/sleep 1000"
startsecs=0
stopwaitsecs=3600
`))
	infos := in.allRunning(1)
	// startsecs=0: RUNNING comes at the spawn, before sh has run its
	// trap; once sh has exec'd sleep, SIGTERM is ignored (inherited).
	waitFor(t, "stubborn ignoring SIGTERM (sh exec'd sleep)", func() bool {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", infos[0].PID))
		return strings.TrimSpace(string(comm)) == "sleep"
	})
	in.cmd.Process.Signal(syscall.SIGINT)
	// supervisord's progress line proves the ordered stop is waiting.
	waitFor(t, "ordered stop waiting", func() bool {
		log, _ := os.ReadFile(filepath.Join(dir, "main.log"))
		return strings.Contains(string(log), "waiting for stubborn to ")
	})
	select {
	case <-in.done:
		t.Fatal("superd exited although its program ignores SIGTERM and stopwaitsecs is an hour")
	default:
	}
	in.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-in.done:
	case <-time.After(20 * time.Second):
		t.Fatal("superd still running 20 s after the second SIGINT")
	}
	waitFor(t, "program killed", func() bool { return !processAlive(infos[0].PID) })
}
