package reliability

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/pkg/rpc"
)

// TestPID1 (issue 13 item 9): superd as PID 1 of a new PID and mount
// namespace (what a container gives it) over a root holding only the
// static superd binary and Debian's busybox-static: orphans re-parented
// to it are reaped, SIGTERM stops the programs in reverse priority
// order, and it exits 0. The same root is what the Containerfile in
// contrib/container builds for podman.
func TestPID1(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root for unshare --pid --mount")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare (util-linux)")
	}
	busybox := "/bin/busybox"
	if _, err := os.Stat(busybox); err != nil {
		t.Skip("no busybox-static (apt-get install busybox-static)")
	}
	root := shortTempDir(t)
	for _, d := range []string{"bin", "proc", "tmp", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	build := exec.Command("go", "build", "-o", filepath.Join(root, "superd"), "../../cmd/superd")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("static build: %v\n%s", err, out)
	}
	bb, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "bin/busybox"), bb, 0o755)
	for _, app := range []string{"sh", "sleep", "echo"} {
		os.Symlink("busybox", filepath.Join(root, "bin", app))
	}
	os.WriteFile(filepath.Join(root, "etc/superd.conf"), []byte(`[unix_http_server]
file=/tmp/s.sock

[supervisord]
nodaemon=true
logfile=/tmp/main.log
pidfile=/tmp/superd.pid
childlogdir=/tmp
statedir=/tmp/state
loglevel=info

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:first]
command=/bin/sh -c 'trap "exit 0" TERM; while :; do sleep 1; done'
priority=1
startsecs=0
stopwaitsecs=5

[program:second]
command=/bin/sh -c 'trap "exit 0" TERM; while :; do sleep 1; done'
priority=2
startsecs=0
stopwaitsecs=5

[program:orphans]
command=/bin/sh -c 'sleep 1 & sleep 1 & exit 0'
startsecs=0
autorestart=false
`), 0o644)

	cmd := exec.Command(unshare, "--pid", "--fork", "--mount-proc", "--root="+root, "/superd", "-c", "/etc/superd.conf")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	})
	client := rpc.NewClient("unix://"+filepath.Join(root, "tmp/s.sock"), "", "")
	ctx := context.Background()
	if !pollUntil(func() bool {
		select {
		case err := <-done:
			done <- err
			return true
		default:
		}
		infos, err := client.GetAllProcessInfo(ctx)
		if err != nil || len(infos) != 3 {
			return false
		}
		for _, i := range infos {
			if (i.Name == "orphans") != (i.StateName == "EXITED") || (i.Name != "orphans" && i.StateName != "RUNNING") {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("programs not up; output:\n%s", out.String())
	}
	select {
	case err := <-done:
		t.Fatalf("superd exited: %v\n%s", err, out.String())
	default:
	}
	if pid, err := client.GetPID(ctx); err != nil || pid != 1 {
		t.Fatalf("superd's pid in its namespace: %d %v", pid, err)
	}
	mainLog := func() string { b, _ := os.ReadFile(filepath.Join(root, "tmp/main.log")); return string(b) }
	waitFor(t, "the two orphans reaped", func() bool { return strings.Count(mainLog(), "reaped unknown pid") >= 2 })

	// SIGTERM to superd (the child of unshare).
	inner := 0
	waitFor(t, "superd's pid outside", func() bool {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/task/" + strconv.Itoa(cmd.Process.Pid) + "/children")
		inner, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && inner > 1
	})
	if err := syscall.Kill(inner, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		if err != nil {
			t.Errorf("exit status %v, want 0\n%s", err, mainLog())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("superd did not exit after SIGTERM\n%s", mainLog())
	}
	log := mainLog()
	i, j := strings.Index(log, "stopped: second"), strings.Index(log, "stopped: first")
	if i < 0 || j < 0 || i > j {
		t.Errorf("not stopped in reverse priority order:\n%s", log)
	}
}
