package daemon

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/internal/testutil"
	"github.com/superd/superd/pkg/rpc"
)

// Binaries built once by TestMain.
var superdBin, superctlBin string

func TestMain(m *testing.M) {
	testproc.Main() // helper modes for programs (listen_test.go)
	dir, err := testutil.Build("superd-bin-", raceEnabled, "../../cmd/superd", "../../cmd/superctl")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	superdBin = filepath.Join(dir, "superd")
	superctlBin = filepath.Join(dir, "superctl")
	code := testproc.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for the writes of a child's output
// copier and reads by the test.
type syncBuffer = testutil.SyncBuffer

// shortTempDir returns a temp dir with a path short enough for unix
// sockets (t.TempDir paths can exceed the 108-byte limit).
func shortTempDir(t *testing.T) string {
	t.Helper()
	return testutil.ShortTempDir(t, "sd")
}

// instance is a superd (or supervisord) running in the foreground on a
// config in its own directory.
type instance struct {
	t      *testing.T
	dir    string
	conf   string
	sock   string
	cmd    *exec.Cmd
	out    *syncBuffer
	done   chan struct{}
	client *rpc.Client
}

// writeConfig writes a config with a unix socket, pidfile and log in
// dir, plus the given program sections.
func writeConfig(t *testing.T, dir, programs string) string {
	t.Helper()
	conf := filepath.Join(dir, "s.conf")
	text := fmt.Sprintf(`[unix_http_server]
file=%[1]s/s.sock

[supervisord]
logfile=%[1]s/main.log
pidfile=%[1]s/s.pid
childlogdir=%[1]s
loglevel=debug
statedir=%[1]s/state
[supervisorctl]
serverurl=unix://%[1]s/s.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

%[2]s
`, dir, programs)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}

// startDaemon runs bin -n -c conf and waits until its API answers.
func startDaemon(t *testing.T, bin, dir, conf string, extra ...string) *instance {
	t.Helper()
	return startDaemonAt(t, bin, dir, conf, filepath.Join(dir, "s.sock"), extra...)
}

// startDaemonAt is startDaemon for a config whose socket is sock.
func startDaemonAt(t *testing.T, bin, dir, conf, sock string, extra ...string) *instance {
	t.Helper()
	d := testutil.Start(t, bin, append([]string{"-n", "-c", conf}, extra...)...)
	in := &instance{t: t, dir: dir, conf: conf, sock: sock, cmd: d.Cmd, out: d.Out, done: d.Done}
	in.client = rpc.NewClient("unix://"+in.sock, "", "")
	t.Cleanup(in.kill)
	d.WaitReady(t, waitTimeout, func() bool {
		_, err := in.client.GetState(context.Background())
		return err == nil
	})
	return in
}

// kill stops the daemon with SIGTERM (SIGKILL to its group after 20 s).
func (in *instance) kill() {
	(&testutil.Daemon{Cmd: in.cmd, Out: in.out, Done: in.done}).Stop(20 * time.Second)
}

// waitTimeout is how long waitFor and pollUntil wait.
const waitTimeout = 20 * time.Second

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, waitTimeout, what, cond)
}

// pollUntil polls cond every 10 ms until it holds (true) or 20 s pass.
func pollUntil(cond func() bool) bool { return testutil.PollUntil(waitTimeout, cond) }

// allRunning waits until every process reports RUNNING.
func (in *instance) allRunning(n int) []rpc.ProcessInfo {
	in.t.Helper()
	var infos []rpc.ProcessInfo
	waitFor(in.t, fmt.Sprintf("%d processes RUNNING", n), func() bool {
		var ok bool
		infos, ok = testutil.AllRunning(context.Background(), in.client, n)
		return ok
	})
	return infos
}

// ctl runs a control client (superctl or supervisorctl) and returns its
// combined output and exit status.
func ctl(t *testing.T, bin, conf string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-c", conf}, args...)...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

var (
	pidRe    = regexp.MustCompile(`pid \d+`)
	uptimeRe = regexp.MustCompile(`uptime \d+:\d\d:\d\d`)
	dateRe   = regexp.MustCompile(`[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M`)
	barePID  = regexp.MustCompile(`(?m)^\d+$`)
)

// mask replaces pids, uptimes and dates.
func mask(s string) string {
	s = pidRe.ReplaceAllString(s, "pid N")
	s = uptimeRe.ReplaceAllString(s, "uptime U")
	s = dateRe.ReplaceAllString(s, "DATE")
	return barePID.ReplaceAllString(s, "N")
}

// processAlive reports whether pid runs and is not a zombie.
func processAlive(pid int) bool { return testutil.Alive(pid) }

func newClient(dir string) *rpc.Client {
	return rpc.NewClient("unix://"+filepath.Join(dir, "s.sock"), "", "")
}

func t0ctx() context.Context { return context.Background() }
