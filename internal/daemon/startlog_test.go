package daemon

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestStartupLogAsSupervisord compares the main log's start-up lines
// of supervisord 4.2.5 and superd, at the first start and after a
// SIGHUP restart: supervisord logs what it learnt while reading the
// config before the RPC interface line, in this order: the "running as
// root" CRIT, the "Included extra file" lines and "Set uid to user N
// succeeded" (also when user= names the user it already runs as, e.g.
// user=root in a container), and repeats them at every restart.
func TestStartupLogAsSupervisord(t *testing.T) {
	requireReference(t)
	t.Parallel()
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, user string }{{"same user", "user=" + me.Username}, {"no user", ""}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			logs := map[string]string{}
			for _, bin := range []string{"/usr/bin/supervisord", superdBin} {
				dir := shortTempDir(t)
				inc := filepath.Join(dir, "inc.conf")
				if err := os.WriteFile(inc, []byte("[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				conf := writeConfig(t, dir, fmt.Sprintf("[include]\nfiles=%s\n", inc))
				text, _ := os.ReadFile(conf)
				// loglevel=info: supervisord's debug level adds lines
				// superd does not have (not part of this comparison).
				text = []byte(strings.Replace(string(text), "loglevel=debug\n", "loglevel=info\n"+c.user+"\n", 1))
				if err := os.WriteFile(conf, text, 0o644); err != nil {
					t.Fatal(err)
				}
				in := startDaemon(t, bin, dir, conf)
				mainLog := filepath.Join(dir, "main.log")
				started := func(n int) func() bool {
					return func() bool {
						b, _ := os.ReadFile(mainLog)
						return strings.Count(string(b), "supervisord started with pid") >= n
					}
				}
				waitFor(t, "started", started(1))
				if err := in.cmd.Process.Signal(syscall.SIGHUP); err != nil {
					t.Fatal(err)
				}
				waitFor(t, "restarted", started(2))
				b, _ := os.ReadFile(mainLog)
				logs[bin] = startupLines(string(b), dir)
			}
			if want, got := logs["/usr/bin/supervisord"], logs[superdBin]; want != got {
				t.Errorf("start-up lines differ\nsupervisord:\n%s\nsuperd:\n%s", want, got)
			}
		})
	}
}

var logPrefix = regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} `)

// startupLines keeps the main log's lines up to each "supervisord
// started", without timestamps, pids and the directory.
func startupLines(log, dir string) string {
	var out []string
	keep := true
	for _, l := range strings.Split(logPrefix.ReplaceAllString(log, ""), "\n") {
		switch {
		case strings.Contains(l, "received SIGHUP"):
			keep = true
		case strings.Contains(l, "spawned:"), strings.Contains(l, "success:"):
			// supervisord spawns on its first pass, maybe after the HUP
		case keep:
			out = append(out, l)
		}
		if strings.Contains(l, "supervisord started with pid") {
			keep = false
		}
	}
	return strings.ReplaceAll(mask(strings.Join(out, "\n")), dir, "DIR")
}
