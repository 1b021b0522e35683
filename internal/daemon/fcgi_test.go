package daemon

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

const fcgiPrograms = `
[fcgi-program:tcpweb]
command=/usr/bin/python3 %[1]s tcpweb
socket=tcp://127.0.0.1:%[2]d
numprocs=2
process_name=%%(program_name)s_%%(process_num)s
startsecs=0

[fcgi-program:unixweb]
command=/usr/bin/python3 %[1]s unixweb
socket=unix://%%(here)s/%%(program_name)s.sock
socket_mode=0660
startsecs=0
autostart=false
`

// fcgiEdit is appended for the reread/update steps after unixweb's
// socket has moved (changed) and got a backlog: a new fcgi-program.
const fcgiEdit = `
[fcgi-program:added]
command=/usr/bin/python3 %[1]s added
socket=unix://%%(here)s/added.sock
startsecs=0
`

// fcgiSteps: supervisorctl arguments; "@probe" connects to the sockets,
// "@config" prints getAllConfigInfo, "@edit" rewrites the config.
var fcgiSteps = [][]string{
	{"status"}, {"avail"}, {"@probe"}, {"@config"},
	{"start", "unixweb"}, {"@probe"},
	{"stop", "tcpweb:tcpweb_0"}, {"@probe"},
	{"stop", "tcpweb:*"}, {"@probe"},
	{"start", "tcpweb:*"}, {"@probe"}, {"status"},
	{"reread"}, {"@edit"}, {"reread"}, {"update"}, {"status"}, {"@probe"}, {"avail"},
	{"stop", "all"}, {"@probe"}, {"shutdown"},
}

// probeSockets reports whether the sockets answer (and who: the
// process name the child prints), and the unix socket file's mode.
func probeSockets(dir string, port int) string {
	one := func(network, addr string) string {
		c, err := net.DialTimeout(network, addr, 5*time.Second)
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			return "refused"
		case errors.Is(err, syscall.ENOENT):
			return "no file"
		case err != nil:
			return err.Error()
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return "read: " + err.Error()
		}
		_, name, _ := strings.Cut(strings.TrimSpace(line), " ")
		return "answers (" + name + ")"
	}
	u := filepath.Join(dir, "unixweb.sock")
	mode := "no file"
	if st, err := os.Stat(u); err == nil {
		mode = fmt.Sprintf("%v", st.Mode())
	}
	return fmt.Sprintf("tcp: %s\nunix: %s, file %s\n", one("tcp", fmt.Sprintf("127.0.0.1:%d", port)), one("unix", u), mode)
}

var autoLogRe = regexp.MustCompile(`-(stdout|stderr)---supervisor-[^/"]*\.log`)

func runFCGIScenario(t *testing.T, bin string) []stepResult {
	dir := shortTempDir(t)
	script, _ := filepath.Abs("testdata/fcgiserve.py")
	port := freeTCPPort(t)
	conf := writeConfig(t, dir, fmt.Sprintf(fcgiPrograms, script, port))
	in := startDaemon(t, bin, dir, conf)
	in.allRunningExcept(2, "STOPPED")
	var res []stepResult
	for _, step := range fcgiSteps {
		var r stepResult
		switch step[0] {
		case "@probe":
			r.out = probeSockets(dir, port)
		case "@config":
			infos, err := in.client.GetAllConfigInfo(t0ctx())
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.MarshalIndent(infos, "", " ")
			r.out = autoLogRe.ReplaceAllString(strings.ReplaceAll(string(b), dir, "$DIR"), "-$1-AUTO.log")
		case "@edit":
			text, _ := os.ReadFile(conf)
			text = []byte(strings.Replace(string(text), "%(program_name)s.sock", "%(program_name)s2.sock", 1))
			text = append(text, fmt.Sprintf("socket_backlog=5\n"+fcgiEdit, script)...)
			os.WriteFile(conf, text, 0o644)
		default:
			out, code := ctl(t, "/usr/bin/supervisorctl", conf, step...)
			r = stepResult{mask(out), code}
		}
		res = append(res, r)
	}
	<-in.done
	return res
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestFCGIAgainstSupervisord: [fcgi-program:x] under superd, driven by
// the real supervisorctl, against supervisord 4.2.5 on the same config:
// the same status/avail/reread/update output and getAllConfigInfo, the
// socket passed as fd 0 of every process (they accept on it), kept
// while one process runs, closed after the last stop, re-created at the
// next start, unix socket mode as configured.
func TestFCGIAgainstSupervisord(t *testing.T) {
	requireReference(t)
	want := runFCGIScenario(t, "/usr/bin/supervisord")
	got := runFCGIScenario(t, superdBin)
	for i, step := range fcgiSteps {
		w, g := want[i], got[i]
		if strings.Join(step, " ") == "stop all" || strings.Join(step, " ") == "stop tcpweb:*" || strings.Join(step, " ") == "start tcpweb:*" {
			w.out, g.out = sortLines(w.out), sortLines(g.out)
		}
		if w != g {
			t.Errorf("%s:\n supervisord (rc %d):\n%s\n superd (rc %d):\n%s", strings.Join(step, " "), w.code, indent(w.out), g.code, indent(g.out))
		}
	}
	// the scenario must have exercised both states of the sockets
	all := ""
	for _, r := range got {
		all += r.out
	}
	for _, s := range []string{"tcp: answers (tcpweb)", "tcp: refused", "unix: answers (unixweb), file Srw-rw----",
		"unixweb: changed", "added: available", "unixweb: updated process group"} {
		if !strings.Contains(all, s) {
			t.Errorf("scenario never showed %q", s)
		}
	}
}

// startFails runs bin -n -c conf, which must exit non-zero, and returns
// its output.
func startFails(t *testing.T, bin, conf string) string {
	t.Helper()
	cmd := exec.Command(bin, "-n", "-c", conf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatalf("%s did not fail: %s", bin, out)
	}
	if err == nil {
		t.Fatalf("%s started: %s", bin, out)
	}
	return string(out)
}

// TestFCGIStartupErrors: a socket that cannot be created stops start-up
// under both daemons; superd's message is supervisord's (its last
// traceback line) with the section's file:line in front.
func TestFCGIStartupErrors(t *testing.T) {
	requireReference(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	cases := []struct {
		name, programs, supervisord string
		root                        bool
	}{
		{name: "address in use", programs: fmt.Sprintf(`
[fcgi-program:web]
command=/bin/cat
socket=tcp://127.0.0.1:%d
`, port)},
		{name: "socket_owner without the right to chown", root: true, supervisord: "user=nobody\n", programs: `
[fcgi-program:web]
command=/bin/cat
socket=unix://%(here)s/web.sock
socket_owner=root
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.root && os.Getuid() != 0 {
				t.Skip("needs root (to drop privileges to nobody)")
			}
			var msgs []string
			for _, bin := range []string{"/usr/bin/supervisord", superdBin} {
				dir := shortTempDir(t)
				os.Chmod(dir, 0o777) // writable after dropping privileges
				conf := writeConfig(t, dir, c.programs)
				if c.supervisord != "" {
					text, _ := os.ReadFile(conf)
					os.WriteFile(conf, []byte(strings.Replace(string(text), "[supervisord]\n", "[supervisord]\n"+c.supervisord, 1)), 0o644)
				}
				out := startFails(t, bin, conf)
				if bin == superdBin {
					line := 0
					for i, l := range strings.Split(c.programs, "\n") {
						if strings.HasPrefix(l, "[fcgi-program:") {
							line = i + 16 + strings.Count(c.supervisord, "\n") // writeConfig's header is 16 lines
						}
					}
					want := fmt.Sprintf("Error: %s:%d: [fcgi-program:web] ", conf, line)
					if !strings.Contains(out, want) {
						t.Errorf("superd's error lacks %q:\n%s", want, out)
					}
					msgs = append(msgs, out)
					continue
				}
				// supervisord ends with a traceback: ValueError: <message>
				i := strings.LastIndex(out, "\nValueError: ")
				if i < 0 {
					t.Fatalf("supervisord's output has no ValueError:\n%s", out)
				}
				msg := strings.TrimSpace(out[i+len("\nValueError: "):])
				msgs = append(msgs, strings.ReplaceAll(msg, dir, "$DIR"))
			}
			for i := range msgs {
				msgs[i] = regexp.MustCompile(`/tmp/sd\d+`).ReplaceAllString(msgs[i], "$$DIR")
			}
			if !strings.Contains(msgs[1], msgs[0]) {
				t.Errorf("superd's error does not contain supervisord's\nsupervisord: %s\nsuperd: %s", msgs[0], msgs[1])
			}
		})
	}
}
