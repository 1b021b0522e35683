package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/internal/testutil"
	"github.com/superd/superd/pkg/rpc"
)

// Binaries built once by TestMain.
var superdBin, superctlBin string

func TestMain(m *testing.M) {
	testproc.Main()
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := testutil.Build("superd-web-bin-", false, "../../cmd/superd", "../../cmd/superctl")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	superdBin = filepath.Join(dir, "superd")
	superctlBin = filepath.Join(dir, "superctl")
	return testproc.Run(m)
}

type syncBuffer = testutil.SyncBuffer

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// daemon is a superd or supervisord running in the foreground in its
// own directory, with an [inet_http_server] on a free port and a unix
// socket.
type daemon struct {
	t        *testing.T
	dir      string
	conf     string
	base     string // http://127.0.0.1:port
	sock     string
	cmd      *exec.Cmd
	out      *syncBuffer
	done     chan struct{}
	client   *rpc.Client
	user, pw string
}

// startDaemon writes a config with the given auth and program sections
// ($DIR is replaced by the daemon's dir) and runs bin -n -c conf.
func startDaemon(t *testing.T, bin, user, pw, programs string) *daemon {
	t.Helper()
	dir := testutil.ShortTempDir(t, "sdw")
	port := freePort(t)
	// programs may start with "[supervisord]\n" and more options of
	// that section, up to an empty line
	extra := ""
	if rest, ok := strings.CutPrefix(programs, "[supervisord]\n"); ok {
		extra, programs, _ = strings.Cut(rest, "\n\n")
	}
	auth := ""
	if user != "" {
		auth = fmt.Sprintf("username=%s\npassword=%s\n", user, pw)
	}
	text := fmt.Sprintf(`[unix_http_server]
file=%[1]s/s.sock
%[3]s
[inet_http_server]
port=127.0.0.1:%[2]d
%[3]s
[supervisord]
logfile=%[1]s/main.log
pidfile=%[1]s/s.pid
childlogdir=%[1]s
loglevel=info
%[7]s

[supervisorctl]
serverurl=unix://%[1]s/s.sock
username=%[5]s
password=%[6]s

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

%[4]s
`, dir, port, auth, strings.ReplaceAll(programs, "$DIR", dir), user, pw, strings.ReplaceAll(extra, "$DIR", dir))
	if user == "" {
		text = strings.Replace(text, "username=\npassword=\n", "", 1)
	}
	conf := filepath.Join(dir, "s.conf")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p := testutil.Start(t, bin, "-n", "-c", conf)
	d := &daemon{t: t, dir: dir, conf: conf, base: fmt.Sprintf("http://127.0.0.1:%d", port),
		sock: filepath.Join(dir, "s.sock"), cmd: p.Cmd, out: p.Out, done: p.Done, user: user, pw: pw}
	d.client = rpc.NewClient(d.base, user, pw)
	t.Cleanup(d.kill)
	p.WaitReady(t, waitTimeout, func() bool {
		st, err := d.client.GetState(context.Background())
		return err == nil && st.Name == "RUNNING"
	})
	return d
}

// kill stops the daemon with SIGTERM (SIGKILL to its group after 20 s).
func (d *daemon) kill() {
	(&testutil.Daemon{Cmd: d.cmd, Out: d.out, Done: d.done}).Stop(20 * time.Second)
}

// get fetches path without following redirects.
func (d *daemon) get(path string, hdr ...string) (*http.Response, string) {
	d.t.Helper()
	return d.do("GET", path, "", hdr...)
}

func (d *daemon) do(method, path, body string, hdr ...string) (*http.Response, string) {
	d.t.Helper()
	req, err := http.NewRequest(method, d.base+path, strings.NewReader(body))
	if err != nil {
		d.t.Fatal(err)
	}
	if d.user != "" {
		req.SetBasicAuth(d.user, d.pw)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		d.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp, b.String()
}

// state returns the state name of a process.
func (d *daemon) state(name string) string {
	info, err := d.client.GetProcessInfo(context.Background(), name)
	if err != nil {
		return err.Error()
	}
	return info.StateName
}

// waitTimeout is how long waitFor waits.
const waitTimeout = 30 * time.Second

// waitFor polls cond until it holds, failing the test after 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, waitTimeout, what, cond)
}

// program returns a [program:x] section running a testproc mode.
func program(t *testing.T, name, mode string, args ...string) string {
	return fmt.Sprintf("[program:%s]\ncommand=%s\nstartsecs=0\nautorestart=true\n", name, testproc.Command(t, mode, args...))
}
