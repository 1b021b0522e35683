package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const streamConf = `[unix_http_server]
file=$DIR/s.sock

[supervisord]
logfile=$DIR/main.log
pidfile=$DIR/s.pid
childlogdir=$DIR
statedir=$DIR/state
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$DIR/s.sock

[program:ticker]
command=sh -c 'i=0; while :; do echo tick$i; i=$((i+1)); sleep 0.1; done'
startsecs=0

[program:echoer]
command=sh -c 'echo ready; while read l; do echo got:$l; echo err:$l >&2; done'
startsecs=0
`

// liveCmd is a client process whose output is watched while it runs.
type liveCmd struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	mu    sync.Mutex // guards out
	out   bytes.Buffer
	done  chan struct{}
	err   error
}

type lockedWriter struct{ c *liveCmd }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	return w.c.out.Write(p)
}

func startLive(t *testing.T, dir, bin string, args ...string) *liveCmd {
	t.Helper()
	c := &liveCmd{done: make(chan struct{})}
	c.cmd = exec.Command(bin, args...)
	c.cmd.Dir = dir
	c.cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "PYTHONIOENCODING=utf-8")
	c.cmd.Stdout = lockedWriter{c}
	c.cmd.Stderr = lockedWriter{c}
	var err error
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.err = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.done
	})
	return c
}

func (c *liveCmd) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// waitFor polls until cond holds on the output so far.
func (c *liveCmd) waitFor(t *testing.T, what string, cond func(string) bool) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for !cond(c.output()) {
		select {
		case <-deadline:
			t.Fatalf("timed out waiting for %s; output so far:\n%s", what, c.output())
		case <-c.done:
			if !cond(c.output()) {
				t.Fatalf("exited (%v) before %s; output:\n%s", c.err, what, c.output())
			}
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (c *liveCmd) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("did not exit; output:\n%s", c.output())
	}
	var ee *exec.ExitError
	if errors.As(c.err, &ee) {
		return ee.ExitCode()
	}
	if c.err != nil {
		t.Fatal(c.err)
	}
	return 0
}

// TestTailFollow checks tail -f and maintail -f with both clients: the
// banner, then live output, then Ctrl-C ends with an empty line and
// exit 0.
func TestTailFollow(t *testing.T) {
	needSupervisor(t)
	t.Parallel()
	d := startDaemon(t, supervisordBin, streamConf)
	for _, bin := range []string{supervisorctlBin, superctlBin} {
		for _, args := range [][]string{{"tail", "-f", "ticker"}, {"maintail", "-f"}} {
			c := startLive(t, d.dir, bin, append([]string{"-c", d.conf}, args...)...)
			c.waitFor(t, "banner", func(s string) bool { return strings.HasPrefix(s, pressCtrlC+"\n") })
			if args[0] == "tail" {
				// Following: a tick printed after the first one we saw.
				var first string
				c.waitFor(t, "a tick", func(s string) bool {
					i := strings.Index(s, "tick")
					if i < 0 {
						return false
					}
					first = s[i:]
					first, _, _ = strings.Cut(first, "\n")
					return true
				})
				c.waitFor(t, "a later tick", func(s string) bool {
					return strings.Count(s, "tick") > 1 && !strings.HasSuffix(strings.TrimSpace(s), first)
				})
			} else {
				c.waitFor(t, "main log text", func(s string) bool { return strings.Contains(s, "success: ticker entered RUNNING state") })
			}
			c.cmd.Process.Signal(syscall.SIGINT)
			if rc := c.wait(t); rc != 0 {
				t.Errorf("%s %q: exit %d after Ctrl-C; output:\n%s", bin, args, rc, c.output())
			}
			// (supervisorctl may instead report the interrupt as a
			// connection error on stderr, depending on where it lands.)
			if out := c.output(); bin == superctlBin && !strings.HasSuffix(out, "\n\n") {
				t.Errorf("%s %q: output does not end with the Ctrl-C empty line: %q", bin, args, out[max(0, len(out)-80):])
			}
		}
	}
}

// TestFg checks fg with both clients: output of both channels, input
// forwarded to the process; with superctl, EOF leaves.
func TestFg(t *testing.T) {
	needSupervisor(t)
	t.Parallel()
	d := startDaemon(t, supervisordBin, streamConf)
	for _, bin := range []string{supervisorctlBin, superctlBin} {
		c := startLive(t, d.dir, bin, "-c", d.conf, "fg", "echoer")
		c.waitFor(t, "banner", func(s string) bool { return strings.HasPrefix(s, pressCtrlC+"\n") })
		word := "w" + strings.ReplaceAll(bin, "/", "")
		io.WriteString(c.stdin, word+"\n")
		c.waitFor(t, "echoed input", func(s string) bool {
			return strings.Contains(s, "got:"+word+"\n") && strings.Contains(s, "err:"+word+"\n")
		})
		if bin == supervisorctlBin {
			// supervisorctl prints "Exiting foreground" on EOF but its
			// streaming thread keeps the process alive: stop here.
			continue
		}
		c.stdin.Close()
		if rc := c.wait(t); rc != 0 {
			t.Errorf("%s: exit %d; output:\n%s", bin, rc, c.output())
		}
		if out := c.output(); !strings.HasSuffix(out, "Exiting foreground\n") {
			t.Errorf("%s: output %q", bin, out)
		}
	}
}

// TestInteractiveAuth: in the shell a 401 prompts for credentials and
// retries the command.
func TestInteractiveAuth(t *testing.T) {
	needSupervisor(t)
	t.Parallel()
	d := startDaemon(t, supervisordBin, authConf)
	args := []string{"-c", d.conf}
	ref, got := runPair(t, d.dir, supervisorctlBin, args, d.dir, superctlBin, args, "user\npass\npid sleeper\n")
	want := "Server requires authentication\nUsername:\n" +
		"sleeper                          RUNNING   pid PID, uptime UP\n" +
		"supervisor> NUM\nsupervisor> \n"
	if normalize(ref.stdout) != want || ref.rc != 0 {
		t.Errorf("supervisorctl (rc %d):\n%s\nwant:\n%s", ref.rc, normalize(ref.stdout), want)
	}
	if normalize(got.stdout) != want || got.rc != 0 {
		t.Errorf("superctl (rc %d):\n%s\nwant:\n%s", got.rc, normalize(got.stdout), want)
	}
}

// TestAPIVersionMismatch and friends use a fake XML-RPC server.
func TestUpcheckFaults(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
		rc               int
	}{
		{"version", `<?xml version="1.0"?><methodResponse><params><param><value><string>2.0</string></value></param></params></methodResponse>`,
			"Sorry, this version of supervisorctl expects to talk to a server with API version 3.0, but the remote version is 2.0.\n", 5},
		{"unknown method", `<?xml version="1.0"?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member><member><name>faultString</name><value><string>UNKNOWN_METHOD</string></value></member></struct></value></fault></methodResponse>`,
			"Sorry, supervisord responded but did not recognize the supervisor namespace commands that supervisorctl uses to control it.  Please check that the [rpcinterface:supervisor] section is enabled in the configuration file (see sample.conf).\n", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := fakeServer(t, tc.body)
			for _, cmd := range []string{"version", "status"} {
				var out, errw bytes.Buffer
				rc := Main([]string{"-s", url, cmd}, strings.NewReader(""), &out, &errw)
				wantRC := tc.rc
				if cmd == "status" {
					wantRC = statusUnknown
				}
				if out.String() != tc.want || rc != wantRC {
					t.Errorf("%s: got %q rc %d, want %q rc %d", cmd, out.String(), rc, tc.want, wantRC)
				}
			}
		})
	}
}

// fakeServer answers every request with body on a unix socket.
func fakeServer(t *testing.T, body string) string {
	t.Helper()
	sock := t.TempDir() + "/f.sock"
	srv := newFakeHTTP(t, sock, body)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return "unix://" + sock
}

func newFakeHTTP(t *testing.T, sock, body string) *http.Server {
	t.Helper()
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, body)
	})}
	go srv.Serve(l)
	return srv
}

// TestJSONOutput checks --json on the read commands against a real
// supervisord: valid JSON, the same data and exit codes as the text.
func TestJSONOutput(t *testing.T) {
	needSupervisor(t)
	t.Parallel()
	d := startDaemon(t, supervisordBin, streamConf)
	run := func(args ...string) runResult {
		return runCtl(t, d.dir, superctlBin, "", append([]string{"-c", d.conf}, args...)...)
	}
	var st []struct {
		Namespec  string `json:"namespec"`
		Name      string `json:"name"`
		StateName string `json:"statename"`
		PID       int    `json:"pid"`
	}
	r := run("status", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || r.rc != 0 || len(st) != 2 ||
		st[0].Namespec != "echoer" || st[1].Name != "ticker" || st[0].StateName != "RUNNING" || st[0].PID == 0 {
		t.Errorf("status --json: %+v rc %d err %v\n%s", st, r.rc, err, r.stdout)
	}
	r = run("status", "--json", "ticker", "nope")
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || r.rc != statusUnknown || len(st) != 1 ||
		r.stderr != "nope: ERROR (no such process)\n" {
		t.Errorf("status --json ticker nope: %+v rc %d err %v stderr %q", st, r.rc, err, r.stderr)
	}
	var pids []struct {
		Namespec string `json:"namespec"`
		PID      int    `json:"pid"`
	}
	r = run("pid", "all", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &pids); err != nil || len(pids) != 2 || pids[1].PID != st[0].PID {
		t.Errorf("pid all --json: %+v err %v (status said %+v)", pids, err, st)
	}
	var pid struct{ PID int }
	r = run("pid", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &pid); err != nil || pid.PID != d.cmd.Process.Pid {
		t.Errorf("pid --json: %+v err %v, want %d", pid, err, d.cmd.Process.Pid)
	}
	var ver struct{ Version string }
	r = run("version", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &ver); err != nil || ver.Version != "4.2.5" {
		t.Errorf("version --json: %q err %v", r.stdout, err)
	}
	var avail []struct {
		Namespec  string `json:"namespec"`
		Autostart bool   `json:"autostart"`
		InUse     bool   `json:"inuse"`
	}
	r = run("avail", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &avail); err != nil || len(avail) != 2 || !avail[0].InUse || !avail[0].Autostart {
		t.Errorf("avail --json: %+v err %v", avail, err)
	}
	var rr map[string][]string
	r = run("reread", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &rr); err != nil || len(rr) != 3 || rr["added"] == nil || len(rr["changed"]) != 0 {
		t.Errorf("reread --json: %q err %v", r.stdout, err)
	}
}

// TestJSONErrorsOnStderr: with --json, stdout holds JSON or nothing;
// every error (no server, usage) goes to stderr, with supervisorctl's
// exit codes.
func TestJSONErrorsOnStderr(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	url := "unix://" + filepath.Join(dir, "nosock")
	for _, tc := range []struct {
		args []string
		rc   int
		err  string
	}{
		{[]string{"-s", url, "status", "--json"}, statusUnknown, url + " no such file\n"},
		{[]string{"-s", url, "pid", "--json"}, 7, url + " no such file\n"},
		{[]string{"-s", url, "version", "x", "--json"}, exitGeneric, "Error: version accepts no arguments\n"},
		{[]string{"-s", url, "avail", "x", "--json"}, exitGeneric, "Error: avail accepts no arguments\n"},
	} {
		r := runCtl(t, dir, superctlBin, "", tc.args...)
		if r.stdout != "" || r.rc != tc.rc || !strings.HasPrefix(r.stderr, tc.err) {
			t.Errorf("%v: rc %d (want %d) stdout %q stderr %q (want it to start with %q)", tc.args, r.rc, tc.rc, r.stdout, r.stderr, tc.err)
		}
	}
}
