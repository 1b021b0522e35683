package sockets

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/pkg/config"
)

func tcpSock(t *testing.T) *config.Socket {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return &config.Socket{URL: fmt.Sprintf("tcp://127.0.0.1:%d", port), Network: "tcp", Host: "127.0.0.1", Port: port}
}

func dial(s *config.Socket) error {
	network, addr := "tcp", fmt.Sprintf("127.0.0.1:%d", s.Port)
	if s.Network == "unix" {
		network, addr = "unix", s.Path
	}
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err == nil {
		c.Close()
	}
	return err
}

// TestFCGIRefCount: supervisord's SocketManager: the first Acquire
// creates, the last Release closes, each with its log line; Probe
// creates and closes at once.
func TestFCGIRefCount(t *testing.T) {
	var log bytes.Buffer
	r := New(slog.New(slog.NewTextHandler(&log, nil)))
	s := tcpSock(t)
	if err := r.Probe("web", s); err != nil {
		t.Fatal(err)
	}
	if err := dial(s); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("after Probe: %v, want refused", err)
	}
	f1, err := r.Acquire("web", s)
	if err != nil {
		t.Fatal(err)
	}
	f2, _ := r.Acquire("web", s)
	if f1 != f2 || r.Refs("web") != 2 {
		t.Fatalf("second Acquire: same file %v, refs %d", f1 == f2, r.Refs("web"))
	}
	if err := dial(s); err != nil {
		t.Fatal(err)
	}
	// a probe of a socket the group holds succeeds without a new bind
	if err := r.ProbeFCGI(&config.Config{Groups: []*config.Group{{Name: "web", Kind: config.KindFCGIProgram, Socket: s}}}); err != nil {
		t.Fatal(err)
	}
	r.Release("web")
	if err := dial(s); err != nil {
		t.Fatalf("one reference left: %v", err)
	}
	r.Release("web")
	if err := dial(s); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("after the last Release: %v, want refused", err)
	}
	if got := strings.Count(log.String(), "Creating socket "+s.URL); got != 2 {
		t.Errorf("%d Creating lines, want 2:\n%s", got, log.String())
	}
	if got := strings.Count(log.String(), "Closing socket "+s.URL); got != 2 {
		t.Errorf("%d Closing lines, want 2:\n%s", got, log.String())
	}
}

// TestErrors: supervisord's texts for failures.
func TestErrors(t *testing.T) {
	r := New(nil)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	s := &config.Socket{URL: fmt.Sprintf("tcp://127.0.0.1:%d", port), Network: "tcp", Host: "127.0.0.1", Port: port}
	_, err = r.Acquire("web", s)
	if want := "Could not create FastCGI socket " + s.URL + ": [Errno 98] Address already in use"; err == nil || err.Error() != want {
		t.Errorf("in use: %v, want %q", err, want)
	}
	if r.Refs("web") != 0 {
		t.Error("a failed Acquire holds a reference")
	}
	dir := filepath.Join(t.TempDir(), "sub")
	os.Mkdir(dir, 0o755)
	s = &config.Socket{URL: "unix://" + dir, Network: "unix", Path: dir}
	_, err = r.Acquire("d", s)
	if want := "Could not create FastCGI socket unix://" + dir + ": [Errno 21] Is a directory: '" + dir + "'"; err == nil || err.Error() != want {
		t.Errorf("directory: %v, want %q", err, want)
	}
	g := &config.Group{Name: "web", Kind: config.KindFCGIProgram, Source: "a.conf:3",
		Socket: &config.Socket{URL: "tcp://127.0.0.1:" + fmt.Sprint(port), Network: "tcp", Host: "127.0.0.1", Port: port}}
	if err := r.ProbeGroup(g); err == nil || !strings.HasPrefix(err.Error(), "a.conf:3: [fcgi-program:web] Could not create FastCGI socket") {
		t.Errorf("ProbeGroup: %v", err)
	}
}

// TestListenRetain: listen= sockets stay open until Retain drops them;
// a unix socket's stale file is replaced and its file removed on close;
// with reuseport two processes get their own socket on one port.
func TestListenRetain(t *testing.T) {
	r := New(nil)
	defer r.Close()
	path := filepath.Join(t.TempDir(), "app.sock")
	os.WriteFile(path, []byte("stale"), 0o644)
	mode := config.Umask(0o600)
	u := &config.Socket{URL: "unix://" + path, Network: "unix", Path: path, Mode: &mode}
	if _, err := r.Listen(Key(u, "web", false), u, false); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket file %v %v", st.Mode(), err)
	}
	tcp := tcpSock(t)
	a, err := r.Listen(Key(tcp, "w0", true), tcp, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Listen(Key(tcp, "w1", true), tcp, true)
	if err != nil {
		t.Fatalf("second SO_REUSEPORT socket: %v", err)
	}
	if a == b {
		t.Fatal("reuseport processes share one socket")
	}
	if got := strings.Join(r.Held(), " "); got != fmt.Sprintf("%s#w0 %s#w1 unix://%s", tcp.URL, tcp.URL, path) {
		t.Fatalf("held: %s", got)
	}
	r.Retain(map[string]bool{Key(tcp, "w0", true): true})
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("unix socket file left after close: %v", err)
	}
	if err := dial(tcp); err != nil {
		t.Fatalf("retained socket: %v", err)
	}
	r.Retain(nil)
	if err := dial(tcp); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("after Retain(nil): %v", err)
	}
}
