package daemon

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const gunicornBin = "/usr/bin/gunicorn"

// restartUnderLoad runs gunicorn as program web under superd (with
// bind as extra options), restarts it with superctl `restarts` times
// while clients send requests in a loop, and returns how many requests
// were answered and how many failed (with the first error). Every
// answer must come from a gunicorn master superd started.
//
// The clients use a unix socket: hundreds of tcp connections a second
// would churn through the ephemeral ports that tests running in
// parallel pick for their servers.
func restartUnderLoad(t *testing.T, program string, restarts, tcpPort int) (ok, failed int64, firstErr string) {
	dir := shortTempDir(t)
	sock := filepath.Join(dir, "web.sock")
	conf := writeConfig(t, dir, strings.ReplaceAll(program, "$SOCK", sock))
	in := startDaemon(t, superdBin, dir, conf)
	infos := in.allRunning(1)
	var mu sync.Mutex // guards pids
	pids := map[string]bool{strconv.Itoa(infos[0].PID): true}
	var answered, bad atomic.Int64
	var foreign atomic.Value
	var errMu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
	url := "http://web/"
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(url)
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				if err != nil {
					bad.Add(1)
					errMu.Lock()
					if firstErr == "" {
						firstErr = err.Error()
					}
					errMu.Unlock()
					time.Sleep(10 * time.Millisecond) // a refused connect returns at once
					continue
				}
				answered.Add(1)
				mu.Lock()
				if !pids[strings.TrimSpace(string(body))] {
					foreign.Store(string(body))
				}
				mu.Unlock()
			}
		}()
	}
	waitFor(t, "first answers", func() bool { return answered.Load() > 4 })
	for i := 0; i < restarts; i++ {
		mu.Lock() // the new pid is known before its workers answer
		out, code := ctl(t, superctlBin, conf, "restart", "web")
		info, err := in.client.GetProcessInfo(t0ctx(), "web")
		if err == nil {
			pids[strconv.Itoa(info.PID)] = true
		}
		mu.Unlock()
		if code != 0 || err != nil {
			t.Fatalf("restart %d: %s (rc %d) %v", i, out, code, err)
		}
		n := answered.Load()
		waitFor(t, "answers from the new gunicorn", func() bool { return answered.Load() >= n+8 })
	}
	close(stop)
	wg.Wait()
	if tcpPort > 0 { // the second socket, fd 4, is served too
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(fmt.Sprintf("http://127.0.0.1:%d/", tcpPort))
		if err != nil {
			t.Fatalf("tcp socket: %v", err)
		}
		resp.Body.Close()
	}
	if f := foreign.Load(); f != nil {
		t.Errorf("answer %q from a gunicorn superd did not start", f)
	}
	return answered.Load(), bad.Load(), firstErr
}

func gunicornProgram(t *testing.T, bind string) string {
	app, _ := filepath.Abs("testdata")
	return fmt.Sprintf(`
[program:web]
command=%s --workers 2 --graceful-timeout 10 --chdir %s %s wsgiapp:app
startsecs=0
stopwaitsecs=15
`, gunicornBin, app, bind)
}

// TestGunicornRestartDropsNothing: Debian's gunicorn, given its socket
// by listen= (it reads LISTEN_FDS/LISTEN_PID itself), is restarted 20
// times with `superctl restart web` while 4 clients send requests in a
// loop: no request fails, and every answer comes from a gunicorn
// superd started. The same loop against a gunicorn that binds its own
// port shows refused connections (logged, for docs/COMPATIBILITY.md).
func TestGunicornRestartDropsNothing(t *testing.T) {
	if _, err := os.Stat(gunicornBin); err != nil {
		t.Skipf("gunicorn not installed (apt-get install gunicorn): %v", err)
	}
	port := freeTCPPort(t)
	prog := gunicornProgram(t, "") + fmt.Sprintf("listen=unix://$SOCK, tcp://127.0.0.1:%d\n", port)
	ok, failed, first := restartUnderLoad(t, prog, 20, port)
	t.Logf("listen=: %d requests answered, %d failed across 20 restarts", ok, failed)
	if failed != 0 {
		t.Errorf("%d requests failed (first: %s)", failed, first)
	}

	t.Run("without listen=", func(t *testing.T) {
		ok, failed, first := restartUnderLoad(t, gunicornProgram(t, "--bind unix:$SOCK"), 5, 0)
		t.Logf("gunicorn binding itself: %d requests answered, %d failed across 5 restarts (first: %s)", ok, failed, first)
		if ok == 0 {
			t.Error("no request answered")
		}
	})
}
