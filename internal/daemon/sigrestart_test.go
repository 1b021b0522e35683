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

// restartingStubborn runs bin on a program that ignores SIGTERM, sends
// SIGHUP and returns once the restart waits for the program to die
// (stopwaitsecs), with the main log's path and a condition "the main
// log has s at least n times".
func restartingStubborn(t *testing.T, bin string, stopwait int) (*instance, string, func(s string, n int) func() bool) {
	t.Helper()
	name := filepath.Base(bin)
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, fmt.Sprintf(`
[program:stubborn]
command=/bin/sh -c "trap '' TERM; touch %%(here)s/trapped; while :; do sleep 1; done"
startsecs=0
stopwaitsecs=%d
`, stopwait))
	in := startDaemon(t, bin, dir, conf)
	in.allRunning(1)
	waitFor(t, name+": stubborn ignores SIGTERM", func() bool {
		_, err := os.Stat(filepath.Join(dir, "trapped"))
		return err == nil
	})
	logPath := filepath.Join(dir, "main.log")
	logHas := func(s string, n int) func() bool {
		return func() bool {
			b, _ := os.ReadFile(logPath)
			return strings.Count(string(b), s) >= n
		}
	}
	in.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, name+": waiting for stubborn to die", logHas("waiting for stubborn to die", 1))
	return in, logPath, logHas
}

// TestTermDuringRestartExits runs supervisord and superd side by side:
// a SIGTERM that arrives while a SIGHUP restart is still stopping the
// programs turns the restart into a shutdown (supervisord's mood
// becomes SHUTDOWN): the daemon exits 0 instead of starting again, and
// each exit signal is logged, the repeated one too.
func TestTermDuringRestartExits(t *testing.T) {
	requireReference(t)
	for _, bin := range []string{"/usr/bin/supervisord", superdBin} {
		name := filepath.Base(bin)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in, logPath, logHas := restartingStubborn(t, bin, 4)
			in.cmd.Process.Signal(syscall.SIGTERM)
			waitFor(t, name+": the SIGTERM logged", logHas("received SIGTERM indicating exit request", 1))
			in.cmd.Process.Signal(syscall.SIGTERM)
			waitFor(t, name+": the second SIGTERM logged", logHas("received SIGTERM indicating exit request", 2))
			select {
			case <-in.done:
			case <-time.After(waitTimeout):
				b, _ := os.ReadFile(logPath)
				t.Fatalf("%s: still running after SIGTERM during a restart:\n%s", name, b)
			}
			if code := in.cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("%s: exit status %d, want 0", name, code)
			}
			b, _ := os.ReadFile(logPath)
			if n := strings.Count(string(b), "spawned: 'stubborn'"); n != 1 {
				t.Errorf("%s: stubborn spawned %d times, want once (no restart):\n%s", name, n, b)
			}
		})
	}
}

// TestHupDuringRestart runs supervisord and superd side by side: a
// second SIGHUP while a restart is stopping the programs is logged as
// "received SIGHUP indicating restart request" (supervisord's mood is
// RESTARTING, not SHUTDOWN, so it does not say "ignored"), and the
// daemon restarts once.
func TestHupDuringRestart(t *testing.T) {
	requireReference(t)
	for _, bin := range []string{"/usr/bin/supervisord", superdBin} {
		name := filepath.Base(bin)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in, logPath, logHas := restartingStubborn(t, bin, 3)
			in.cmd.Process.Signal(syscall.SIGHUP)
			waitFor(t, name+": restarted", logHas("spawned: 'stubborn'", 2))
			b, _ := os.ReadFile(logPath)
			if n := strings.Count(string(b), "received SIGHUP indicating restart request"); n != 2 {
				t.Errorf("%s: 'received SIGHUP indicating restart request' logged %d times, want 2:\n%s", name, n, b)
			}
			if strings.Contains(string(b), "ignored SIGHUP") {
				t.Errorf("%s: the second SIGHUP was 'ignored':\n%s", name, b)
			}
		})
	}
}
