package rpc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestHostileRequests (issue 13 item 5): malformed and abusive XML-RPC
// requests get an HTTP error or a fault, never a crash or a hang, and
// the server keeps answering.
func TestHostileRequests(t *testing.T) {
	t.Parallel()
	ts := startServer(t, newFake(t), ServerOptions{})
	post := func(body string) string {
		return fmt.Sprintf("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
	call := func(method, params string) string {
		return post("<?xml version='1.0'?><methodCall><methodName>" + method + "</methodName><params>" + params + "</params></methodCall>")
	}
	deep := strings.Repeat("<value><array><data>", 100000) + strings.Repeat("</data></array></value>", 100000)
	for _, tc := range []struct {
		name  string
		req   string
		code  int
		fault int // 0: no fault expected (or not checked)
	}{
		{"nested 100000 deep", call("supervisor.getProcessInfo", "<param>"+deep+"</param>"), 400, 0},
		{"wrong type", call("supervisor.getProcessInfo", "<param><value><int>5</int></value></param>"), 200, IncorrectParameters},
		{"wrong arity", call("supervisor.getProcessInfo", ""), 200, IncorrectParameters},
		{"struct for a string", call("supervisor.getProcessInfo", "<param><value><struct><member><name>a</name><value>b</value></member></struct></value></param>"), 200, IncorrectParameters},
		{"invalid UTF-8 name", call("supervisor.getProcessInfo", "<param><value>\xff\xfe</value></param>"), 400, 0},
		{"NUL in a name", call("supervisor.getProcessInfo", "<param><value>a\x00b</value></param>"), 400, 0},
		{"duplicate members", call("system.multicall", "<param><value><array><data><value><struct>"+
			"<member><name>methodName</name><value>supervisor.getPID</value></member>"+
			"<member><name>methodName</name><value>supervisor.getPID</value></member>"+
			"<member><name>params</name><value><array><data></data></array></value></member>"+
			"</struct></value></data></array></value></param>"), 200, 0},
		{"huge int", call("supervisor.readLog", "<param><value><int>99999999999999999999999</int></value></param><param><value><int>1</int></value></param>"), 400, 0},
		{"unknown type", call("supervisor.getPID", "<param><value><bogus>1</bogus></value></param>"), 400, 0},
		{"entity expansion", post("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><methodCall><methodName>&b;</methodName></methodCall>"), 400, 0},
		{"a declared 1 GB body", "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n<methodCall>", 413, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			resp := rawRequest(t, ts.sock, tc.req)
			defer resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.code)
			}
			if tc.fault != 0 {
				_, err := DecodeResponse(resp.Body)
				wantFault(t, err, tc.fault, "")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("answered after %v", d)
			}
		})
	}

	// A truncated body (the client sends less than it announced and
	// stops writing) ends in an error, not a hang, once the client
	// gives up; the server keeps serving.
	conn, err := net.Dial("unix", ts.sock)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n<methodCall><methodName>supervisor.getPID")
	conn.(*net.UnixConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil && resp.StatusCode == 200 {
		t.Errorf("a truncated body was answered 200")
	}
	conn.Close()
	c := NewClient(ts.url, "", "")
	defer c.Close()
	if pid, err := c.GetPID(ctx(t)); err != nil || pid != 77 {
		t.Fatalf("after the hostile requests: %v %v", pid, err)
	}
}

// TestSlowHeaders: a client that never finishes its headers is cut off
// after ReadHeaderTimeout; many idle keep-alive connections do not stop
// others from being served.
func TestSlowHeadersAndIdleConnections(t *testing.T) {
	t.Parallel()
	hs := NewHTTPServer(context.Background(), NewServer(newFake(t), ServerOptions{}))
	if hs.ReadHeaderTimeout <= 0 || hs.ReadHeaderTimeout > 10*time.Second || hs.IdleTimeout <= 0 || hs.MaxHeaderBytes <= 0 {
		t.Fatalf("timeouts not set: %+v", hs)
	}
	hs.ReadHeaderTimeout = 300 * time.Millisecond
	dir, _ := os.MkdirTemp("", "rpc")
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "s.sock")
	l, err := ListenUnix(sock, 0, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(l)
	defer hs.Close()

	slow, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	io.WriteString(slow, "POST /RPC2 HTTP/1.1\r\nHost: x\r\n")
	slow.SetReadDeadline(time.Now().Add(20 * time.Second))
	start := time.Now()
	io.ReadAll(slow) // ends when the server closes the connection
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("slow headers not cut off (%v)", d)
	}

	// 300 idle keep-alive connections, then a normal call.
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	body := "<methodCall><methodName>supervisor.getPID</methodName></methodCall>"
	for range 300 {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				io.Copy(io.Discard, resp.Body) // the connection stays open, idle
			}
		}()
	}
	wg.Wait()
	client := NewClient("unix://"+sock, "", "")
	defer client.Close()
	if pid, err := client.GetPID(ctx(t)); err != nil || pid != 77 {
		t.Fatalf("with 300 idle connections: %v %v", pid, err)
	}
}

// TestAuthFailuresLookAlike: a wrong password of any length, a wrong
// user, or no credentials: the same 401 after the same delay (the
// comparison itself is constant-time, over fixed-length digests).
func TestAuthFailuresLookAlike(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ wantUser, wantPass, user, pass string }{
		{"user", "s3cret", "user", "s3cret"},
		{"user", "s3cret", "user", "s3creu"},
		{"user", "s3cret", "user", "s"},
		{"user", "s3cret", "user", strings.Repeat("s3cret", 1000)},
		{"user", "s3cret", "usex", "s3cret"},
		{"user", "s3cret", "", ""},
	} {
		want := c.user == c.wantUser && c.pass == c.wantPass
		if got := CheckPassword(c.wantUser, c.wantPass, c.user, c.pass); got != want {
			t.Errorf("CheckPassword(%q, %q) = %v", c.user, c.pass[:min(10, len(c.pass))], got)
		}
	}
}

// TestSocketChown: [unix_http_server] chown= (uid and gid) is applied
// to the socket, with chmod= (needs root to give it away).
func TestSocketChown(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("chown to another user needs root")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "c.sock")
	l, err := ListenUnix(path, 0o760, 65534, 65534)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != 65534 || st.Gid != 65534 || st.Mode&0o777 != 0o760 {
		t.Errorf("socket owner %d:%d mode %o, want 65534:65534 760", st.Uid, st.Gid, st.Mode&0o777)
	}
}
