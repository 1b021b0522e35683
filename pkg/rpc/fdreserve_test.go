package rpc

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"
)

// When superd has used up RLIMIT_NOFILE (many programs on a low ulimit
// -n), a client can still connect and be answered: the listener gives
// back a reserved descriptor for it. Before, Accept failed with EMFILE
// every second for ever and superd could not be reached to stop
// anything. Not parallel: it lowers the process's descriptor limit.
func TestAcceptWhenOutOfDescriptors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := ListenTCP("127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	go Serve(ctx, l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }), time.Second)
	addr := l.Addr().String()
	// a client made before the limit is reached: its own descriptor
	// (the client side lives in this process too) exists already
	tr := &http.Transport{DisableKeepAlives: true}
	client := &http.Client{Timeout: 5 * time.Second, Transport: tr}

	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	lim := old
	lim.Cur = uint64(len(entries) + 64)
	if lim.Cur > old.Cur {
		t.Skipf("descriptor limit %d already low", old.Cur)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	var fill []*os.File
	defer func() {
		for _, f := range fill {
			f.Close()
		}
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
	}()
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			break
		}
		fill = append(fill, f)
	}
	// one descriptor for the client's socket; none for the server's
	fill[len(fill)-1].Close()
	fill = fill[:len(fill)-1]
	for i := 0; i < 3; i++ { // the reserve comes back after each
		resp, err := client.Get("http://" + addr + "/")
		if err != nil {
			t.Fatalf("request %d with every descriptor in use: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "ok" {
			t.Fatalf("request %d: %q", i, body)
		}
		// the client's descriptor is free again once its connection
		// is closed; wait for the server to close its side too
		deadline := time.Now().Add(5 * time.Second)
		for {
			c, err := net.Dial("tcp", "127.0.0.1:1")
			if c != nil {
				c.Close()
			}
			if err == nil || !fdsExhausted(err) || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
