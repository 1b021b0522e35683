package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestUsr2MainLogLikeSupervisord runs supervisord and superd side by
// side: after an external rename of the main log, SIGUSR2 logs
// "received SIGUSR2 indicating log reopen request" and "supervisord
// logreopen" to the old file (supervisord logs the latter before it
// reopens its handlers); what follows goes to a new file at the
// configured path.
func TestUsr2MainLogLikeSupervisord(t *testing.T) {
	requireReference(t)
	for _, bin := range []string{"/usr/bin/supervisord", superdBin} {
		name := filepath.Base(bin)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := shortTempDir(t)
			conf := writeConfig(t, dir, "")
			in := startDaemon(t, bin, dir, conf)
			logPath := filepath.Join(dir, "main.log")
			if err := os.Rename(logPath, logPath+".1"); err != nil {
				t.Fatal(err)
			}
			in.cmd.Process.Signal(syscall.SIGUSR2)
			read := func(p string) string { b, _ := os.ReadFile(p); return string(b) }
			waitFor(t, name+": 'supervisord logreopen' logged", func() bool {
				return strings.Contains(read(logPath)+read(logPath+".1"), "supervisord logreopen")
			})
			old := read(logPath + ".1")
			for _, want := range []string{"received SIGUSR2 indicating log reopen request", "supervisord logreopen"} {
				if !strings.Contains(old, want) {
					t.Errorf("%s: the renamed log lacks %q:\n%s", name, want, old)
				}
			}
			in.kill()
			if s := read(logPath); !strings.Contains(s, "received SIGTERM indicating exit request") || strings.Contains(s, "logreopen") {
				t.Errorf("%s: the new log should hold what follows the reopen only:\n%s", name, s)
			}
		})
	}
}
