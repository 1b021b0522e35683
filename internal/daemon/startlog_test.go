package daemon

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/internal/testutil"
)

// TestStartupLogAsSupervisord compares the main log's start-up lines
// of supervisord 4.2.5 and superd, at the first start and after a
// SIGHUP restart. supervisord logs what it learnt while reading the
// config first, in this order: the "running as root" CRIT, the
// "Included extra file" lines and "Set uid to user N succeeded" (also
// when user= names the user it already runs as, e.g. user=root in a
// container), and repeats them at every restart; then, for each HTTP
// server (inet first, then unix), "RPC interface 'supervisor'
// initialized" and the CRIT about a server without authentication
// (none of these without a server); daemonized with directory=, "set
// current directory: 'DIR'".
func TestStartupLogAsSupervisord(t *testing.T) {
	requireReference(t)
	t.Parallel()
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, supervisord string
		servers           string // "unix" (default), "none", "both"
		daemonize         bool
	}{
		{name: "same user", supervisord: "user=" + me.Username},
		{name: "no user"},
		{name: "no server", servers: "none"},
		{name: "inet and unix", servers: "both"},
		{name: "daemonized", supervisord: "directory=$DIR", daemonize: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			logs := map[string]string{}
			for _, bin := range []string{"/usr/bin/supervisord", superdBin} {
				dir := shortTempDir(t)
				logs[bin] = startupLog(t, bin, dir, c.supervisord, c.servers, c.daemonize)
			}
			if want, got := logs["/usr/bin/supervisord"], logs[superdBin]; want != got {
				t.Errorf("start-up lines differ\nsupervisord:\n%s\nsuperd:\n%s", want, got)
			}
		})
	}
}

// startupLog runs bin on a config in dir with one included program,
// restarts it with SIGHUP and returns its masked start-up lines.
func startupLog(t *testing.T, bin, dir, supervisord, servers string, daemonize bool) string {
	t.Helper()
	inc := filepath.Join(dir, "inc.conf")
	if err := os.WriteFile(inc, []byte("[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\nstopsignal=KILL\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var srv string
	switch servers {
	case "", "unix":
		srv = fmt.Sprintf("[unix_http_server]\nfile=%s/s.sock\n", dir)
	case "both":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		srv = fmt.Sprintf("[unix_http_server]\nfile=%s/s.sock\n[inet_http_server]\nport=127.0.0.1:%d\n", dir, port)
	}
	// loglevel=info: supervisord's debug level adds lines superd does
	// not have (not part of this comparison).
	conf := filepath.Join(dir, "s.conf")
	text := fmt.Sprintf("%s[supervisord]\nlogfile=%[2]s/main.log\npidfile=%[2]s/s.pid\nstatedir=%[2]s/state\nchildlogdir=%[2]s\n%s\n"+
		"[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"+
		"[include]\nfiles=%s\n", srv, dir, strings.ReplaceAll(supervisord, "$DIR", dir), inc)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	mainLog := filepath.Join(dir, "main.log")
	started := func(n int) func() bool {
		return func() bool {
			b, _ := os.ReadFile(mainLog)
			return strings.Count(string(b), "supervisord started with pid") >= n
		}
	}
	var signal func(syscall.Signal)
	if daemonize {
		out, err := runIn("/", bin, "-c", conf)
		if err != nil {
			t.Fatalf("%s -c: %v\n%s", bin, err, out)
		}
		var pid int
		waitFor(t, "pidfile", func() bool { // written in more than one step
			var err error
			pid, err = testproc.ReadPID(filepath.Join(dir, "s.pid"))
			return err == nil
		})
		signal = func(sig syscall.Signal) { testproc.Kill(pid, sig) }
		t.Cleanup(func() {
			signal(syscall.SIGTERM)
			pollUntil(func() bool { return !processAlive(pid) })
		})
	} else {
		d := testutil.Start(t, bin, "-n", "-c", conf)
		t.Cleanup(func() { d.Stop(20 * time.Second) })
		signal = func(sig syscall.Signal) { d.Cmd.Process.Signal(sig) }
	}
	logText := func() string { b, _ := os.ReadFile(mainLog); return string(b) }
	if !pollUntil(started(1)) {
		t.Fatalf("%s did not start:\n%s", bin, logText())
	}
	signal(syscall.SIGHUP)
	if !pollUntil(started(2)) {
		t.Fatalf("%s did not restart:\n%s", bin, logText())
	}
	b, _ := os.ReadFile(mainLog)
	return startupLines(string(b), dir)
}

// runIn runs a command in dir and returns its combined output.
func runIn(dir, bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var (
	logPrefix  = regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} `)
	logPortNum = regexp.MustCompile(`127\.0\.0\.1:\d+`)
)

// startupLines keeps the main log's lines up to each "supervisord
// started", without timestamps, pids and the directory.
func startupLines(log, dir string) string {
	var out []string
	keep := true
	for _, l := range strings.Split(logPrefix.ReplaceAllString(log, ""), "\n") {
		switch {
		case strings.Contains(l, "received SIGHUP"):
			keep = true
		case strings.Contains(l, "spawned:"), strings.Contains(l, "success:"),
			strings.Contains(l, "waiting for "), strings.Contains(l, "killing "), strings.Contains(l, "stopped: "):
			// the program's own lines: supervisord spawns on its first
			// pass, maybe after the HUP; how it stops is not compared here
		case keep:
			out = append(out, l)
		}
		if strings.Contains(l, "supervisord started with pid") {
			keep = false
		}
	}
	s := strings.ReplaceAll(mask(strings.Join(out, "\n")), dir, "DIR")
	return logPortNum.ReplaceAllString(s, "127.0.0.1:PORT") + "\n(" + strconv.Itoa(len(out)) + " lines)"
}
