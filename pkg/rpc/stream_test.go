package rpc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestWriteResponseMatchesMarshal: responses larger than respChunk are
// counted, then streamed; the bytes and Content-Length must be exactly
// those of MarshalResponse, whatever falls on a chunk boundary
// (escapes, multi-byte characters, replaced bytes, integers, strings
// longer than a chunk).
func TestWriteResponseMatchesMarshal(t *testing.T) {
	t.Parallel()
	infos := make([]ProcessInfo, 1500)
	for i := range infos {
		name := fmt.Sprintf("p&<%d>é\r\x01", i)
		infos[i] = ProcessInfo{Name: name, Group: "g", Description: "pid 1, uptime 0:00:01", State: 20, StateName: "RUNNING",
			Start: int64(i) << 33, PID: i, StdoutLogfile: "/tmp/" + name + "\xff.log"}
	}
	long := strings.Repeat("a&b<c>\r\x00é", respChunk/3)
	var cases = []struct {
		name string
		v    any
	}{
		{"infos", infos},
		{"string longer than a chunk", long},
		{"string of exactly a chunk", strings.Repeat("x", respChunk)},
		{"plain string filling the chunk", strings.Repeat("y", respChunk-len(xmlHeader)-70)},
		{"ints", func() []any {
			out := make([]any, 5000)
			for i := range out {
				out[i] = i * 1_000_003
			}
			return out
		}()},
		{"bytes and maps", []any{bytes.Repeat([]byte{1, 2, 3}, 20000), map[string]any{"b": 1.5, "a": true, "c": nil, "d": long}}},
		{"small", "ok"},
		{"fault", NewFault(BadName, "x")},
	}
	s := NewServer(newFake(t), ServerOptions{})
	for _, c := range cases {
		want, err := MarshalResponse(c.v)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		s.writeResponse(rec, "m", c.v)
		if got := rec.Body.Bytes(); !bytes.Equal(got, want) {
			t.Errorf("%s: streamed body differs from MarshalResponse (%d and %d bytes)", c.name, len(got), len(want))
		}
		if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(want)) {
			t.Errorf("%s: Content-Length %s, want %d", c.name, cl, len(want))
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/xml" {
			t.Errorf("%s: Content-Type %q", c.name, ct)
		}
	}
}

// TestWriteResponseUnencodable: an encoding error is found before
// anything is written, and answered 500.
func TestWriteResponseUnencodable(t *testing.T) {
	t.Parallel()
	s := NewServer(newFake(t), ServerOptions{})
	v := make([]any, 0, 20001)
	for i := 0; i < 20000; i++ {
		v = append(v, "some text")
	}
	v = append(v, make(chan int))
	rec := httptest.NewRecorder()
	s.writeResponse(rec, "m", v)
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "some text") {
		t.Fatalf("got %d %.80q", rec.Code, rec.Body.String())
	}
}

// discardWriter is an http.ResponseWriter that drops the body.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// TestWriteResponseMemory: a 1.3 MB getAllProcessInfo answer is written
// without a buffer of its size (before: one 1.3 MB allocation per call).
func TestWriteResponseMemory(t *testing.T) {
	infos := make([]ProcessInfo, 1000)
	for i := range infos {
		infos[i] = ProcessInfo{Name: fmt.Sprintf("sleep_%04d", i), Group: "sleep", Description: "pid 1, uptime 0:00:01", State: 20, StateName: "RUNNING",
			StdoutLogfile: "/tmp/bench/log/x-stdout---supervisor-x1y2z3.log", StderrLogfile: "/tmp/bench/log/x-stderr---supervisor-x1y2z3.log"}
	}
	size, _ := MarshalResponse(infos)
	s := NewServer(newFake(t), ServerOptions{})
	w := &discardWriter{h: http.Header{}}
	s.writeResponse(w, "m", infos) // fills the pool
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	const calls = 5
	for i := 0; i < calls; i++ {
		s.writeResponse(w, "m", infos)
	}
	runtime.ReadMemStats(&m1)
	per := (m1.TotalAlloc - m0.TotalAlloc) / calls
	if per > uint64(len(size))/8 {
		t.Fatalf("writeResponse allocated %d bytes per call for a %d-byte response", per, len(size))
	}
}

// TestLargeResponseOverSocket: a real client reads a streamed answer
// (Content-Length, keep-alive) and the next request on the same
// connection still works.
func TestLargeResponseOverSocket(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	for i := 0; i < 1200; i++ {
		name := fmt.Sprintf("big_%04d", i)
		f.procs["big:"+name] = &ProcessInfo{Name: name, Group: "big", State: 20, StateName: "RUNNING", PID: 100 + i, Start: 900, Now: 1000}
	}
	ts := startServer(t, f, ServerOptions{})
	c := NewClient(ts.url, "", "")
	defer c.Close()
	for i := 0; i < 2; i++ {
		infos, err := c.GetAllProcessInfo(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) < 1200 || infos[0].Group != "big" || infos[1199].Name != "big_1199" || infos[1199].PID != 1299 {
			t.Fatalf("got %d infos, first %+v", len(infos), infos[0])
		}
	}
	// Raw HTTP: the declared length is the body's.
	conn, err := net.Dial("unix", ts.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `<?xml version="1.0"?><methodCall><methodName>supervisor.getAllProcessInfo</methodName><params></params></methodCall>`
	fmt.Fprintf(conn, "POST /RPC2 HTTP/1.0\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	raw, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	head, payload, ok := strings.Cut(string(raw), "\r\n\r\n")
	if !ok || !strings.Contains(head, fmt.Sprintf("Content-Length: %d\r\n", len(payload))) || !strings.HasSuffix(payload, "</methodResponse>\n") {
		t.Fatalf("head %q, body of %d bytes ending %q", head, len(payload), payload[max(0, len(payload)-40):])
	}
}

// failAfterFirst fails every write after the first (a client that went
// away mid-response).
type failAfterFirst struct{ writes int }

func (f *failAfterFirst) Write(b []byte) (int, error) {
	f.writes++
	if f.writes > 1 {
		return 0, syscall.EPIPE
	}
	return len(b), nil
}

// TestWriteResponseStopsOnWriteError: once the connection fails, the
// rest of a large response is not encoded (it could not be sent).
func TestWriteResponseStopsOnWriteError(t *testing.T) {
	t.Parallel()
	v := make([]string, 100000)
	for i := range v {
		v[i] = "some text to encode"
	}
	full, _ := MarshalResponse(v)
	w := &failAfterFirst{}
	e := &encoder{buf: make([]byte, 0, respChunk), chunk: respChunk, w: w}
	err := encodeResponse(e, v)
	if !errors.Is(err, syscall.EPIPE) || w.writes != 2 || e.n > 3*respChunk {
		t.Fatalf("err %v after %d writes, %d of %d bytes encoded", err, w.writes, e.n, len(full))
	}
}
