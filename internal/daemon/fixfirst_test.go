package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/internal/testutil"
	"github.com/superd/superd/pkg/rpc"
)

// TestReloadWithBrokenConfigKeepsRunning: supervisor.restart (superctl
// reload, supervisorctl reload) with a broken config file is refused
// with CANT_REREAD naming file:line, like SIGHUP; the programs keep
// their pids and every later call works (it used to return True and
// leave the daemon answering SHUTDOWN_STATE forever).
func TestReloadWithBrokenConfigKeepsRunning(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, twoSleepers)
	in := startDaemon(t, superdBin, dir, conf)
	before := in.allRunning(2)
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(f, "startsecs=ten\n") // lands in [program:b], the last section
	f.Close()

	err = in.client.Restart(context.Background())
	var fault *rpc.Fault
	if !errors.As(err, &fault) || fault.Code != rpc.CantReread {
		t.Fatalf("restart with a broken config: %v, want Fault %d CANT_REREAD", err, rpc.CantReread)
	}
	if !strings.Contains(fault.String, conf+":") || !strings.Contains(fault.String, "startsecs") {
		t.Errorf("fault text %q should name %s:line and the option", fault.String, conf)
	}
	checkStillServing := func(how string) {
		t.Helper()
		st, err := in.client.GetState(context.Background())
		if err != nil || st.Name != "RUNNING" {
			t.Fatalf("after %s: getState = %+v, %v; want RUNNING", how, st, err)
		}
		after := in.allRunning(2)
		for i := range before {
			if after[i].PID != before[i].PID {
				t.Errorf("after %s: %s pid %d -> %d", how, before[i].Name, before[i].PID, after[i].PID)
			}
		}
	}
	checkStillServing("supervisor.restart")
	b, _ := os.ReadFile(filepath.Join(dir, "main.log"))
	if !strings.Contains(string(b), "not restarting") {
		t.Errorf("main log does not say the restart was refused:\n%s", b)
	}

	out, code := ctl(t, superctlBin, conf, "reload")
	if code != 1 || !strings.Contains(out, "ERROR: CANT_REREAD") || !strings.Contains(out, "startsecs") {
		t.Errorf("superctl reload: exit %d, %q; want 1 and the CANT_REREAD error", code, out)
	}
	checkStillServing("superctl reload")

	if sctl, err := exec.LookPath("supervisorctl"); err == nil {
		out, code := ctl(t, sctl, conf, "reload")
		if code == 0 || strings.Contains(out, "Restarted supervisord") {
			t.Errorf("supervisorctl reload: exit %d, %q; want a failure", code, out)
		}
		checkStillServing("supervisorctl reload")
		if out, code := ctl(t, sctl, conf, "status"); code != 0 || strings.Count(out, "RUNNING") != 2 {
			t.Errorf("supervisorctl status after a refused reload: exit %d\n%s", code, out)
		}
	}

	// A shutdown is still accepted and completes.
	if err := in.client.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown after a refused restart: %v", err)
	}
	select {
	case <-in.done:
	case <-time.After(20 * time.Second):
		t.Fatal("superd did not exit after shutdown")
	}
}

// TestNoShutdownStateDuringStartup hammers every read method from the
// first moment the socket answers while 1000 programs start (and while
// superd removes the AUTO child logs of an earlier run, which used to
// happen with the socket answering but no supervisor in place): none
// may answer SHUTDOWN_STATE, since nothing is shutting down.
func TestNoShutdownStateDuringStartup(t *testing.T) {
	t.Parallel()
	const n = 1000
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, fmt.Sprintf(`
[program:s]
command=/bin/sleep 100000
numprocs=%d
process_name=%%(program_name)s_%%(process_num)d
startsecs=0
autorestart=true
`, n))
	// AUTO logs left by an earlier run, removed at start-up.
	for i := range 2 * n {
		p := filepath.Join(dir, fmt.Sprintf("s_%d-stdout---supervisor-old%04d.log", i/2, i))
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sock := filepath.Join(dir, "s.sock")
	cmd := exec.Command(superdBin, "-n", "-c", conf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := new(syncBuffer)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	in := &instance{t: t, dir: dir, conf: conf, sock: sock, cmd: cmd, out: out, done: done}
	t.Cleanup(in.kill)

	c := rpc.NewClient("unix://"+sock, "", "")
	ctx := context.Background()
	// The first moment the socket answers: poll connect() tightly.
	waitFor(t, "the socket answering", func() bool {
		select {
		case <-done:
			t.Fatalf("superd exited: %s", out)
		default:
		}
		_, err := c.GetPID(ctx)
		var f *rpc.Fault
		if errors.As(err, &f) {
			t.Fatalf("first answer is a fault: %v", err)
		}
		return err == nil
	})
	reads := []func() error{
		func() error { _, err := c.GetState(ctx); return err },
		func() error { _, err := c.GetAllProcessInfo(ctx); return err },
		func() error { _, err := c.GetProcessInfo(ctx, "s:s_7"); return err },
		func() error { _, err := c.GetAllConfigInfo(ctx); return err },
		func() error { _, err := c.GetIdentification(ctx); return err },
		func() error { _, err := c.ReadLog(ctx, 0, 100); return err },
		func() error { _, err := c.Call(ctx, "supervisor.readProcessStdoutLog", "s:s_3", 0, 10); return err },
	}
	var allUp atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, len(reads))
	for _, read := range reads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for calls := 0; !allUp.Load() || calls == 0; calls++ {
				if err := read(); err != nil {
					var f *rpc.Fault
					if errors.As(err, &f) && f.Code == rpc.ShutdownState {
						errs <- err
						return
					}
				}
			}
		}()
	}
	waitFor(t, fmt.Sprintf("%d processes RUNNING", n), func() bool {
		select {
		case err := <-errs:
			t.Fatalf("a read answered %v while superd was starting", err)
		default:
		}
		st, err := c.GetState(ctx)
		if err == nil && st.Name != "RUNNING" {
			t.Fatalf("getState = %s while starting", st.Name)
		}
		_, ok := testutil.AllRunning(ctx, c, n)
		return ok
	})
	allUp.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a read answered %v while superd was starting", err)
	}
}
