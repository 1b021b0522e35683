package daemon

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/superd/superd/internal/testproc"
)

// askLine connects and returns the first line the server sends.
func askLine(network, addr string) (string, error) {
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// TestListenLifecycle: listen= sockets survive a restart of superd
// itself (supervisorctl reload) without refusing a connection, close
// (the unix file removed) when update applies a changed listen=, and
// when update removes the program; superd check rejects a listen= that
// another program uses, at file:line.
func TestListenLifecycle(t *testing.T) {
	dir := shortTempDir(t)
	sock1, sock2 := filepath.Join(dir, "web1.sock"), filepath.Join(dir, "web2.sock")
	prog := func(listen string) string {
		return fmt.Sprintf("\n[program:web]\ncommand=%s\nstartsecs=0\nlisten=%s\n", testproc.Command(t, "listen-serve"), listen)
	}
	conf := writeConfig(t, dir, prog("app=unix://"+sock1))
	in := startDaemon(t, superdBin, dir, conf)
	first := in.allRunning(1)[0]
	if line, err := askLine("unix", sock1); err != nil || line != fmt.Sprintf("%d app", first.PID) {
		t.Fatalf("first answer %q %v (pid %d)", line, err, first.PID)
	}

	// reload: every program stops, superd reads its config again and
	// starts them; clients keep connecting meanwhile
	var answered, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := 0; c < 3; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := askLine("unix", sock1); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					time.Sleep(10 * time.Millisecond)
					continue
				}
				answered.Add(1)
			}
		}()
	}
	if out, code := ctl(t, superctlBin, conf, "reload"); code != 0 {
		t.Fatalf("reload: %s (rc %d)", out, code)
	}
	var second int
	waitFor(t, "web running again with a new pid", func() bool {
		info, err := in.client.GetProcessInfo(t0ctx(), "web")
		second = info.PID
		return err == nil && info.StateName == "RUNNING" && info.PID != first.PID
	})
	waitFor(t, "answers from the new process", func() bool {
		line, err := askLine("unix", sock1)
		return err == nil && strings.HasPrefix(line, strconv.Itoa(second)+" ")
	})
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || answered.Load() == 0 {
		t.Fatalf("%d connections failed across the reload (first: %v), %d answered", failed.Load(), firstErr.Load(), answered.Load())
	}
	info, _ := in.client.GetProcessInfo(t0ctx(), "web")
	if !strings.HasSuffix(info.Description, ", listening on unix://"+sock1) {
		t.Errorf("description %q does not name the socket", info.Description)
	}

	// listen= changes: update closes the old socket, opens the new one
	os.WriteFile(conf, []byte(strings.Replace(readFile(t, conf), "app=unix://"+sock1, "unix://"+sock2, 1)), 0o644)
	if out, code := ctl(t, superctlBin, conf, "update"); code != 0 || !strings.Contains(out, "web: updated process group") {
		t.Fatalf("update: %s (rc %d)", out, code)
	}
	in.allRunning(1)
	if _, err := os.Stat(sock1); !os.IsNotExist(err) {
		t.Errorf("old socket file still there after its listen= changed: %v", err)
	}
	if line, err := askLine("unix", sock2); err != nil || !strings.HasSuffix(line, " web") {
		t.Fatalf("new socket: %q %v", line, err)
	}

	// the program goes away: its socket closes
	os.WriteFile(conf, []byte(strings.Replace(readFile(t, conf), "[program:web]", "[program:other]\ncommand=/bin/sleep 1000\n[program:gone]", 1)), 0o644)
	text := readFile(t, conf)
	text = text[:strings.Index(text, "[program:gone]")]
	os.WriteFile(conf, []byte(text), 0o644)
	if out, code := ctl(t, superctlBin, conf, "update"); code != 0 || !strings.Contains(out, "web: removed process group") {
		t.Fatalf("update: %s (rc %d)", out, code)
	}
	if _, err := askLine("unix", sock2); err == nil {
		t.Error("socket still answers after its program was removed")
	}
	if _, err := os.Stat(sock2); !os.IsNotExist(err) {
		t.Errorf("socket file still there after its program was removed: %v", err)
	}

	// superd check: two programs on one address
	bad := writeConfig(t, shortTempDir(t), prog("tcp://127.0.0.1:8080")+"[program:api]\ncommand=/bin/cat\nlisten=tcp://0.0.0.0:8080\n")
	outb, err := exec.Command(superdBin, "check", "-c", bad).CombinedOutput()
	out, code := string(outb), 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code == 0 || !strings.Contains(out, bad+":23: [program:api] listen: tcp://0.0.0.0:8080 is also used by listen= of [program:web] ("+bad+":20)") {
		t.Errorf("superd check (rc %d):\n%s", code, out)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestListenBeforeDroppingPrivileges: superd started as root with
// user=nobody opens a listen= port below 1024 before it drops its
// privileges; the program, running as nobody, serves on it.
func TestListenBeforeDroppingPrivileges(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root")
	}
	port := 0
	for p := 1000; p > 600; p-- {
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
			l.Close()
			port = p
			break
		}
	}
	if port == 0 {
		t.Skip("no free port below 1024")
	}
	dir := shortTempDir(t)
	os.Chmod(dir, 0o777)
	script, _ := filepath.Abs("testdata/listenserve.py")
	if err := os.WriteFile(filepath.Join(dir, "listenserve.py"), []byte(readFile(t, script)), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := writeConfig(t, dir, fmt.Sprintf("\n[program:web]\ncommand=/usr/bin/python3 %s/listenserve.py\nstartsecs=0\nlisten=tcp://127.0.0.1:%d\n", dir, port))
	text := strings.Replace(readFile(t, conf), "[supervisord]\n", "[supervisord]\nuser=nobody\n", 1)
	os.WriteFile(conf, []byte(text), 0o644)
	in := startDaemon(t, superdBin, dir, conf)
	info := in.allRunning(1)[0]
	line, err := askLine("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil || line != fmt.Sprintf("%d web 65534", info.PID) {
		t.Fatalf("answer %q %v, want from pid %d as uid 65534", line, err, info.PID)
	}
}
