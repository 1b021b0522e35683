package reliability

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/internal/testutil"
	"github.com/superd/superd/pkg/process"
	"github.com/superd/superd/pkg/rpc"
)

// superdBin is built once by TestMain.
var superdBin string

func TestMain(m *testing.M) {
	testproc.Main()
	dir, err := testutil.Build("superd-bin-", raceEnabled, "../../cmd/superd")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	superdBin = filepath.Join(dir, "superd")
	code := testproc.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer = testutil.SyncBuffer

// shortTempDir returns a temp dir with a path short enough for unix
// sockets.
func shortTempDir(t *testing.T) string {
	t.Helper()
	return testutil.ShortTempDir(t, "sr")
}

// instance is a superd running in the foreground in its own directory.
type instance struct {
	t      *testing.T
	dir    string
	cmd    *exec.Cmd
	out    *syncBuffer
	done   chan struct{}
	client *rpc.Client
}

// writeConfig writes a config with a unix socket, pidfile, main log and
// state directory in dir, plus the given program sections.
func writeConfig(t *testing.T, dir, programs string) string {
	t.Helper()
	conf := filepath.Join(dir, "s.conf")
	text := fmt.Sprintf(`[unix_http_server]
file=%[1]s/s.sock

[supervisord]
logfile=%[1]s/main.log
pidfile=%[1]s/s.pid
childlogdir=%[1]s
loglevel=info
statedir=%[1]s/state

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

%[2]s
`, dir, programs)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}

// startDaemon runs superd -n -c conf (plus extra) and waits until its
// API answers; the test's cleanup stops it.
func startDaemon(t *testing.T, bin, dir, conf string, extra ...string) *instance {
	t.Helper()
	d := testutil.Start(t, bin, append([]string{"-n", "-c", conf}, extra...)...)
	in := &instance{t: t, dir: dir, cmd: d.Cmd, out: d.Out, done: d.Done}
	in.client = newClient(dir)
	t.Cleanup(in.kill)
	d.WaitReady(t, waitTimeout, func() bool {
		_, err := in.client.GetState(context.Background())
		return err == nil
	})
	return in
}

// kill stops the daemon with SIGTERM (SIGKILL to its group after 60 s).
func (in *instance) kill() {
	(&testutil.Daemon{Cmd: in.cmd, Out: in.out, Done: in.done}).Stop(60 * time.Second)
}

// allRunning waits until n processes report RUNNING.
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

func newClient(dir string) *rpc.Client {
	return rpc.NewClient("unix://"+filepath.Join(dir, "s.sock"), "", "")
}

// waitTimeout is how long waitFor waits (the suite runs on loaded
// machines).
const waitTimeout = 60 * time.Second

// waitFor polls cond until it holds or 60 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, waitTimeout, what, cond)
}

func pollUntil(cond func() bool) bool { return testutil.PollUntil(waitTimeout, cond) }

// processAlive reports whether pid runs and is not a zombie.
func processAlive(pid int) bool { return testutil.Alive(pid) }

// zombieChildren lists the children of ppid that are zombies.
func zombieChildren(ppid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := process.ReadProcStat(pid); err == nil && st.PPID == ppid && st.State == 'Z' {
			out = append(out, pid)
		}
	}
	return out
}

// twoSleepers is a config with two programs that run until stopped.
const twoSleepers = `
[program:a]
command=/bin/sleep 1000
startsecs=0
priority=10

[program:b]
command=/bin/sh -c "echo hello from b; exec /bin/sleep 1000"
startsecs=0
priority=20
`
