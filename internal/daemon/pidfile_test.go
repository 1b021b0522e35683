package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestPidfileLikeSupervisord runs supervisord and superd side by side:
// a SIGHUP restart writes the pidfile anew, at the path the re-read
// configuration names (supervisord removes it and writes it again on
// every restart); a pidfile that cannot be written is CRIT and then
// "supervisord started with pid" is not logged (supervisord logs that
// line only once the pidfile is written).
func TestPidfileLikeSupervisord(t *testing.T) {
	requireReference(t)
	for _, bin := range []string{"/usr/bin/supervisord", superdBin} {
		name := filepath.Base(bin)
		t.Run(name+"/hup", func(t *testing.T) {
			dir := shortTempDir(t)
			conf := writeConfig(t, dir, twoSleepers)
			in := startDaemon(t, bin, dir, conf)
			in.allRunning(2)
			text, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			text = bytes.Replace(text, []byte("/s.pid\n"), []byte("/s2.pid\n"), 1)
			if err := os.WriteFile(conf, text, 0o644); err != nil {
				t.Fatal(err)
			}
			in.cmd.Process.Signal(syscall.SIGHUP)
			var got []byte
			waitFor(t, name+": the new pidfile s2.pid after SIGHUP", func() bool {
				got, err = os.ReadFile(filepath.Join(dir, "s2.pid"))
				return err == nil && len(got) > 0
			})
			if want := strconv.Itoa(in.cmd.Process.Pid) + "\n"; string(got) != want {
				t.Errorf("%s: s2.pid holds %q, want %q", name, got, want)
			}
			if _, err := os.Stat(filepath.Join(dir, "s.pid")); !os.IsNotExist(err) {
				t.Errorf("%s: the old pidfile s.pid is still there after the restart (%v)", name, err)
			}
			in.allRunning(2)
			in.kill()
			if _, err := os.Stat(filepath.Join(dir, "s2.pid")); !os.IsNotExist(err) {
				t.Errorf("%s: s2.pid left behind at exit (%v)", name, err)
			}
		})
		t.Run(name+"/unwritable", func(t *testing.T) {
			dir := shortTempDir(t)
			conf := writeConfig(t, dir, "")
			if err := os.Mkdir(filepath.Join(dir, "s.pid"), 0o755); err != nil {
				t.Fatal(err)
			}
			in := startDaemon(t, bin, dir, conf)
			in.kill()
			log, _ := os.ReadFile(filepath.Join(dir, "main.log"))
			if !strings.Contains(string(log), "CRIT could not write pidfile "+filepath.Join(dir, "s.pid")) {
				t.Errorf("%s: main log lacks the CRIT line:\n%s", name, log)
			}
			if strings.Contains(string(log), "supervisord started with pid") {
				t.Errorf("%s: 'supervisord started with pid' logged though the pidfile was not written:\n%s", name, log)
			}
		})
	}
}
