package process

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/superd/superd/internal/testproc"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/pkg/config"
)

// ask connects to network/addr and returns the line the server sends.
func ask(network, addr string) (string, error) {
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// refused waits until connecting to addr is refused: the socket is
// closed. superd's descriptor is closed at once, but a child forked at
// that moment by another test's supervisor in this process (or by the
// same one) holds a copy until its exec closes it (close-on-exec), and
// the kernel keeps listening while any copy is open; so a connection
// may still be accepted for that short window, never for seconds.
func refused(t *testing.T, addr, when string) {
	t.Helper()
	var err error
	end := time.Now().Add(5 * time.Second)
	for time.Now().Before(end) {
		var c net.Conn
		c, err = net.DialTimeout("tcp", addr, 5*time.Second)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
		if c != nil {
			c.Close()
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: %v, want connection refused", when, err)
}

func fcgiGroup(t *testing.T, name string, sock *config.Socket, n int) *config.Group {
	g := &config.Group{Name: name, Kind: config.KindFCGIProgram, Priority: 999, Socket: sock, Source: "test.conf:1"}
	for i := 0; i < n; i++ {
		pc := newProc(t, fmt.Sprintf("%s_%d", name, i), "fcgi-serve", name)
		pc.Group, pc.Program, pc.ProcessNum, pc.Seq = name, name, i, i
		g.Processes = append(g.Processes, pc)
	}
	return g
}

// TestFCGIProgram: the group's socket is created at its first start,
// given to every process as fd 0 (they accept on it), kept while one
// process runs, closed when the last one is reaped and created again
// at the next start, with supervisord's log lines; stdin cannot be
// written (NO_FILE).
func TestFCGIProgram(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	url := fmt.Sprintf("tcp://127.0.0.1:%d", port)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	sock := &config.Socket{URL: url, Network: "tcp", Host: "127.0.0.1", Port: port}
	h := start(t, testConfig(t, fcgiGroup(t, "web", sock, 2)))
	h.waitState("web_0", Running)
	h.waitState("web_1", Running)
	ctx := h.ctx()
	pids := map[string]bool{}
	for _, n := range []string{"web:web_0", "web:web_1"} {
		info, err := h.s.ProcessInfo(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		pids[strconv.Itoa(info.PID)] = true
	}
	for i := 0; i < 10; i++ {
		line, err := ask("tcp", addr)
		if err != nil {
			t.Fatalf("connect %d: %v", i, err)
		}
		pid, text, _ := strings.Cut(line, " ")
		if !pids[pid] || text != "web" {
			t.Fatalf("answer %q does not come from %v", line, pids)
		}
	}
	if got := strings.Count(strings.Join(h.log.lines(), "\n"), "Creating socket "+url); got != 1 {
		t.Errorf("%d 'Creating socket' lines, want 1:\n%s", got, h.dump())
	}
	kindErr(t, h.s.SendStdin(ctx, "web:web_0", []byte("x")), KindNoFile, "web:web_0")

	if err := h.s.StopProcess(ctx, "web:web_0", true); err != nil {
		t.Fatal(err)
	}
	if _, err := ask("tcp", addr); err != nil {
		t.Fatalf("one process still runs, but: %v", err)
	}
	if err := h.s.StopProcess(ctx, "web:web_1", true); err != nil {
		t.Fatal(err)
	}
	h.waitLog("Closing socket " + url)
	refused(t, addr, "after the last stop")
	if _, err := h.s.StartGroup(ctx, "web", true); err != nil {
		t.Fatal(err)
	}
	if line, err := ask("tcp", addr); err != nil || !strings.HasSuffix(line, " web") {
		t.Fatalf("after restart: %q %v", line, err)
	}
	if got := strings.Count(strings.Join(h.log.lines(), "\n"), "Creating socket "+url); got != 2 {
		t.Errorf("%d 'Creating socket' lines, want 2", got)
	}
	h.stop(false)
	refused(t, addr, "after shutdown")
}

// TestFCGIUnixSocket: a unix socket gets the configured mode, a stale
// file is replaced, and a failed spawn gives its reference back.
func TestFCGIUnixSocket(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "php.sock")
	os.WriteFile(path, []byte("stale"), 0o644)
	mode := config.Umask(0o640)
	sock := &config.Socket{URL: "unix://" + path, Network: "unix", Path: path, Mode: &mode}
	g := fcgiGroup(t, "php", sock, 1)
	bad := newProc(t, "php_bad", "exit", "0")
	bad.Group, bad.Program, bad.Autostart, bad.Seq = "php", "php", false, 1
	bad.Directory = "/no/such/dir" // a spawn error after the socket was acquired
	g.Processes = append(g.Processes, bad)
	h := start(t, testConfig(t, g))
	h.waitState("php_0", Running)
	st, err := os.Stat(path)
	if err != nil || st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o640 {
		t.Fatalf("socket file: %v %v", st.Mode(), err)
	}
	if line, err := ask("unix", path); err != nil || !strings.HasSuffix(line, " php") {
		t.Fatalf("answer %q %v", line, err)
	}
	ctx := h.ctx()
	if err := h.s.StartProcess(ctx, "php:php_bad", false); KindOf(err) != KindSpawnError {
		t.Fatalf("start with a missing directory: %v", err)
	}
	if n := h.s.socks.Refs("php"); n != 1 {
		t.Fatalf("%d references after a failed spawn, want 1", n)
	}
	if err := h.s.StopProcess(ctx, "php:php_0", true); err != nil {
		t.Fatal(err)
	}
	h.waitLog("Closing socket unix://" + path)
	if _, err := ask("unix", path); err == nil {
		t.Fatal("socket still answers after the last stop")
	}
}

// TestFCGIAddGroupError: a socket that cannot be created makes
// addProcessGroup fail with supervisord's text and file:line, and the
// group is not added.
func TestFCGIAddGroupError(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	url := fmt.Sprintf("tcp://127.0.0.1:%d", port)
	h := start(t, testConfig(t))
	ctx := h.ctx()
	next := testConfig(t, fcgiGroup(t, "web", &config.Socket{URL: url, Network: "tcp", Host: "127.0.0.1", Port: port}, 1))
	if _, _, _, err := h.s.Reload(ctx, next); err != nil {
		t.Fatal(err)
	}
	err = h.s.AddGroup(ctx, "web")
	want := "test.conf:1: [fcgi-program:web] Could not create FastCGI socket " + url + ": [Errno 98] Address already in use"
	kindErr(t, err, KindFailed, want)
	if _, err := h.s.ProcessInfo(ctx, "web:web_0"); KindOf(err) != KindBadName {
		t.Fatalf("group was added: %v", err)
	}
}

func listenProc(t *testing.T, name string, socks ...config.Socket) *config.Process {
	pc := newProc(t, name, "listen-serve")
	pc.Listen = socks
	return pc
}

// TestListenNoDroppedConnection: a program with listen= gets its
// sockets as fds 3.. with LISTEN_FDS, LISTEN_PID (its own pid, which
// go-systemd's activation package checks) and LISTEN_FDNAMES; while it
// is restarted again and again, a client that connects in a loop never
// sees a refusal: connections wait in the backlog superd keeps open.
func TestListenNoDroppedConnection(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	path := filepath.Join(t.TempDir(), "web.sock")
	mode := config.Umask(0o600)
	pc := listenProc(t, "web",
		config.Socket{URL: "tcp://" + addr, Network: "tcp", Host: "127.0.0.1", Port: port, Name: "http"},
		config.Socket{URL: "unix://" + path, Network: "unix", Path: path, Name: "admin", Mode: &mode})
	h := start(t, testConfig(t, groupOf(pc)))
	first := h.waitState("web", Running)
	ctx := h.ctx()

	if line, err := ask("unix", path); err != nil || line != fmt.Sprintf("%d admin", first.PID) {
		t.Fatalf("unix socket: %q %v (pid %d)", line, err, first.PID)
	}
	if line, err := ask("tcp", addr); err != nil || line != fmt.Sprintf("%d http", first.PID) {
		t.Fatalf("tcp socket: %q %v (pid %d)", line, err, first.PID)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("unix socket mode: %v", err)
	}
	var answered atomic.Int64
	var mu sync.Mutex // guards pids
	pids := map[string]bool{strconv.Itoa(first.PID): true}
	stop := make(chan struct{})
	type result struct {
		ok, failed int
		firstErr   error
		foreign    string
	}
	const clients = 4
	res := make(chan result, clients)
	for c := 0; c < clients; c++ {
		go func() {
			var r result
			for {
				select {
				case <-stop:
					res <- r
					return
				default:
				}
				// unix: hundreds of tcp connections would churn through
				// ephemeral ports other parallel tests may want to bind
				line, err := ask("unix", path)
				if err != nil {
					r.failed++
					if r.firstErr == nil {
						r.firstErr = err
					}
					continue
				}
				r.ok++
				answered.Add(1)
				pid, name, _ := strings.Cut(line, " ")
				mu.Lock()
				if name != "admin" || !pids[pid] {
					r.foreign = line
				}
				mu.Unlock()
			}
		}()
	}
	const restarts = 10
	for i := 0; i < restarts; i++ {
		if err := h.s.StopProcess(ctx, "web", true); err != nil {
			t.Fatal(err)
		}
		// the pid is recorded before the new child can answer
		mu.Lock()
		err := h.s.StartProcess(ctx, "web", false)
		if err == nil {
			info, _ := h.s.ProcessInfo(ctx, "web")
			pids[strconv.Itoa(info.PID)] = true
		}
		mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		h.waitState("web", Running)
		// let every client get answers from this incarnation too
		n := answered.Load()
		eventually(t, "answers", func() bool { return answered.Load() >= n+2*clients })
	}
	close(stop)
	var r result
	for c := 0; c < clients; c++ {
		one := <-res
		r.ok += one.ok
		r.failed += one.failed
		if r.firstErr == nil {
			r.firstErr = one.firstErr
		}
		if r.foreign == "" {
			r.foreign = one.foreign
		}
	}
	if r.failed > 0 || r.ok == 0 {
		t.Fatalf("%d requests failed (first: %v), %d answered", r.failed, r.firstErr, r.ok)
	}
	if r.foreign != "" {
		t.Fatalf("answer %q from a process superd did not start", r.foreign)
	}
	t.Logf("%d requests answered across %d restarts, none failed", r.ok, restarts)
	h.stop(false)
	// the supervisor's private registry closes the sockets with it
	refused(t, addr, "after shutdown")
}

// TestFCGISocketTakenBeforeStart: when the socket cannot be created at
// a start (another program took the port after the group was added),
// the start is a spawn error with supervisord's text for the socket,
// the process goes to FATAL (startretries=0) and holds no reference.
func TestFCGISocketTakenBeforeStart(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	url := fmt.Sprintf("tcp://127.0.0.1:%d", port)
	g := fcgiGroup(t, "web", &config.Socket{URL: url, Network: "tcp", Host: "127.0.0.1", Port: port}, 1)
	g.Processes[0].Autostart = false
	g.Processes[0].StartRetries = 0
	h := start(t, testConfig(t, g))
	busy, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Skipf("port taken meanwhile: %v", err)
	}
	defer busy.Close()
	ctx := h.ctx()
	if err := h.s.StartProcess(ctx, "web:web_0", true); KindOf(err) != KindSpawnError {
		t.Fatalf("start: %v, want SPAWN_ERROR", err)
	}
	info, err := h.s.ProcessInfo(ctx, "web:web_0")
	want := "Could not create FastCGI socket " + url + ": [Errno 98] Address already in use"
	if err != nil || info.State != Fatal || info.SpawnErr != want {
		t.Fatalf("%v %q %v, want FATAL %q", info.State, info.SpawnErr, err, want)
	}
	if n := h.s.socks.Refs("web"); n != 0 {
		t.Fatalf("%d references after the failed start", n)
	}
}

// TestReusePortScaleDownClosesSocket: with listen_reuseport each
// process has its own SO_REUSEPORT socket, and the kernel spreads new
// connections over all of them; a process removed by scale down must
// take its socket along, or the connections the kernel hashes to it
// wait forever with nobody to accept them.
func TestReusePortScaleDownClosesSocket(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg, err := config.Parse(filepath.Join(dir, "s.conf"), []byte(fmt.Sprintf(`[supervisord]
childlogdir=%s
[program:sa]
command=%s
process_name=sa%%(process_num)d
numprocs=3
listen=tcp://%s
listen_reuseport=true
startsecs=0
`, dir, testproc.Command(t, "listen-serve"), addr)))
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, cfg)
	for _, n := range []string{"sa0", "sa1", "sa2"} {
		h.waitState(n, Running)
	}
	if _, err := h.s.ScaleGroup(h.ctx(), "sa", 1); err != nil {
		t.Fatal(err)
	}
	if held := h.s.socks.Held(); len(held) != 1 || !strings.HasSuffix(held[0], "#sa0") {
		t.Errorf("sockets held after scaling down to sa0: %v", held)
	}
	pid := strconv.Itoa(h.info("sa:sa0").PID)
	for i := 0; i < 30; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(3 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if got, _, _ := strings.Cut(line, " "); err != nil || got != pid {
			t.Fatalf("connection %d: %q %v (only sa0, pid %s, is left)", i, line, err, pid)
		}
	}
}
