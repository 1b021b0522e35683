package daemon

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/pkg/rpc"
)

// TestSDNotify runs the real superd with a fake service manager's
// NOTIFY_SOCKET (a unixgram listener here): READY=1 comes only once
// every autostart program has left STARTING (a slow startsecs, a
// dependency), STATUS= carries the counts, WATCHDOG=1 arrives at half
// of WATCHDOG_USEC, a SIGHUP is RELOADING=1 then READY=1 again,
// SIGTERM is STOPPING=1, and programs do not inherit NOTIFY_SOCKET.
func TestSDNotify(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	sockPath := filepath.Join(dir, "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	msgs := make(chan string, 1000)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ln.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	conf := writeConfig(t, dir, `[program:slow]
command=sleep 1000
startsecs=1
[program:db]
command=sleep 1000
startsecs=1
[program:web]
command=sleep 1000
startsecs=0
depends_on=db
[program:env]
command=sh -c 'echo "NS=[$NOTIFY_SOCKET] WD=[$WATCHDOG_USEC]"; exec sleep 1000'
startsecs=0
[program:manual]
command=sleep 1000
autostart=false
`)
	cmd := exec.Command(superdBin, "-n", "-c", conf)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sockPath, "WATCHDOG_USEC=400000")
	out := new(syncBuffer)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	client := newClient(dir)
	defer client.Close()

	var seen []string
	// next returns the next datagram containing want (WATCHDOG=1 pings
	// are counted apart), failing after a deadline.
	watchdogs := 0
	next := func(want string) string {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case m, ok := <-msgs:
				if !ok {
					t.Fatalf("notify socket closed waiting for %q; seen %q", want, seen)
				}
				if m == "WATCHDOG=1" {
					watchdogs++
				} else {
					seen = append(seen, m)
				}
				if strings.Contains(m, want) {
					return m
				}
			case <-deadline:
				t.Fatalf("no %q from superd; seen %q\n%s", want, seen, out)
			}
		}
	}
	ready := next("READY=1")
	for _, m := range seen[:len(seen)-1] {
		if strings.Contains(m, "READY=1") {
			t.Errorf("READY=1 twice: %q", seen)
		}
	}
	if !strings.Contains(ready, "STATUS=4 RUNNING, 1 STOPPED") {
		t.Errorf("READY=1 datagram %q, want the counts of 4 RUNNING and 1 STOPPED", ready)
	}
	infos, err := client.GetAllProcessInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range infos {
		if i.Name != "manual" && i.StateName != "RUNNING" {
			t.Errorf("after READY=1: %s is %s", i.Name, i.StateName)
		}
	}
	// Some STATUS= was sent before READY=1 while programs were STARTING.
	if !strings.Contains(strings.Join(seen, "|"), "STARTING") {
		t.Errorf("no STATUS= with STARTING before READY=1: %q", seen)
	}
	for watchdogs < 2 {
		select {
		case m := <-msgs:
			if m == "WATCHDOG=1" {
				watchdogs++
			} else {
				seen = append(seen, m)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d WATCHDOG=1 with WATCHDOG_USEC=400000", watchdogs)
		}
	}
	// Programs do not inherit superd's NOTIFY_SOCKET.
	waitFor(t, "env output", func() bool {
		s, err := client.ReadProcessStdoutLog(context.Background(), "env", 0, 0)
		return err == nil && strings.Contains(s, "NS=")
	})
	if s, _ := client.ReadProcessStdoutLog(context.Background(), "env", 0, 0); !strings.Contains(s, "NS=[] WD=[]") {
		t.Errorf("a program inherited superd's notify variables: %q", s)
	}

	// A SIGHUP restart: RELOADING=1 (with MONOTONIC_USEC), then READY=1.
	cmd.Process.Signal(syscall.SIGHUP)
	rl := next("RELOADING=1")
	if !strings.Contains(rl, "MONOTONIC_USEC=") {
		t.Errorf("RELOADING=1 without MONOTONIC_USEC: %q", rl)
	}
	if m := next("READY=1"); !strings.Contains(m, "STATUS=4 RUNNING") {
		t.Errorf("READY=1 after the restart: %q", m)
	}
	var st rpc.State
	if st, err = client.GetState(context.Background()); err != nil || st.Name != "RUNNING" {
		t.Errorf("state after READY=1: %+v %v", st, err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	next("STOPPING=1")
	<-done
}
