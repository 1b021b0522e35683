package rpc

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// allProcessInfo1000 is a getAllProcessInfo response for 1000 RUNNING
// processes, encoded as the server sends it.
func allProcessInfo1000(tb testing.TB) []byte {
	infos := make([]ProcessInfo, 1000)
	for i := range infos {
		name := fmt.Sprintf("sleep_%03d", i)
		infos[i] = ProcessInfo{
			Name: name, Group: "sleep", Description: fmt.Sprintf("pid %d, uptime 0:01:%02d", 20000+i, i%60),
			Start: 1795000000 + int64(i), Now: 1795000100, State: 20, StateName: "RUNNING",
			Logfile:       "/tmp/bench/log/" + name + "-stdout---supervisor-x1y2z3.log",
			StdoutLogfile: "/tmp/bench/log/" + name + "-stdout---supervisor-x1y2z3.log",
			StderrLogfile: "/tmp/bench/log/" + name + "-stderr---supervisor-a4b5c6.log",
			PID:           20000 + i,
		}
	}
	b, err := MarshalResponse(infos)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkDecodeAllProcessInfo1000 is the client side of
// getAllProcessInfo with 1000 processes: decode plus Unmarshal into
// []ProcessInfo, as Client.GetAllProcessInfo does.
func BenchmarkDecodeAllProcessInfo1000(b *testing.B) {
	body := allProcessInfo1000(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		v, err := DecodeResponse(bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var out []ProcessInfo
		if err := Unmarshal(v, &out); err != nil {
			b.Fatal(err)
		}
		if len(out) != 1000 {
			b.Fatal(len(out))
		}
	}
}

// BenchmarkDecodeResponse1000 is DecodeResponse alone (generic values).
func BenchmarkDecodeResponse1000(b *testing.B) {
	body := allProcessInfo1000(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeResponse(bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeAllProcessInfo1000 is the server side encoding.
func BenchmarkEncodeAllProcessInfo1000(b *testing.B) {
	infos := make([]ProcessInfo, 1000)
	for i := range infos {
		infos[i] = ProcessInfo{Name: fmt.Sprintf("sleep_%03d", i), Group: "sleep", Description: "pid 1, uptime 0:00:01", State: 20, StateName: "RUNNING",
			StdoutLogfile: "/tmp/bench/log/x-stdout---supervisor-x1y2z3.log"}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MarshalResponse(infos); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalAllProcessInfo1000 is what Client.GetAllProcessInfo
// does with the body now: decode straight into []ProcessInfo.
func BenchmarkUnmarshalAllProcessInfo1000(b *testing.B) {
	body := allProcessInfo1000(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var out []ProcessInfo
		if err := unmarshalResponseFast(body, &out); err != nil {
			b.Fatal(err)
		}
		if len(out) != 1000 {
			b.Fatal(len(out))
		}
	}
}

// BenchmarkDecodeAllProcessInfo1000XML is the encoding/xml reference
// path (what DecodeResponse+Unmarshal cost before the fast path).
func BenchmarkDecodeAllProcessInfo1000XML(b *testing.B) {
	body := allProcessInfo1000(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		v, err := decodeResponseXML(bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var out []ProcessInfo
		if err := Unmarshal(v, &out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetAllProcessInfo1000RoundTrip is Client.GetAllProcessInfo
// against a server with 1000 processes over a unix socket.
func BenchmarkGetAllProcessInfo1000RoundTrip(b *testing.B) {
	f := &fakeBackend{state: State{1, "RUNNING"}, procs: map[string]*ProcessInfo{}, logs: map[string]string{}}
	for i := 0; i < 1000; i++ {
		name := fmt.Sprintf("sleep_%03d", i)
		f.procs["sleep:"+name] = &ProcessInfo{Name: name, Group: "sleep", Description: fmt.Sprintf("pid %d, uptime 0:01:%02d", 20000+i, i%60),
			Start: 1795000000, Now: 1795000100, State: 20, StateName: "RUNNING", PID: 20000 + i,
			StdoutLogfile: "/tmp/bench/log/" + name + "-stdout---supervisor-x1y2z3.log", StderrLogfile: "/tmp/bench/log/" + name + "-stderr---supervisor-a4b5c6.log"}
	}
	dir := b.TempDir()
	l, err := ListenUnix(filepath.Join(dir, "s.sock"), 0, -1, -1)
	if err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(sctx, l, NewServer(f, ServerOptions{}), time.Second) }()
	defer func() { cancel(); <-done }()
	c := NewClient("unix://"+filepath.Join(dir, "s.sock"), "", "")
	defer c.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		infos, err := c.GetAllProcessInfo(ctx)
		if err != nil || len(infos) != 1000 {
			b.Fatal(len(infos), err)
		}
	}
}

// BenchmarkWriteAllProcessInfo1000 is what the server does with the
// same answer: count it, then stream it through a pooled buffer.
func BenchmarkWriteAllProcessInfo1000(b *testing.B) {
	infos := make([]ProcessInfo, 1000)
	for i := range infos {
		infos[i] = ProcessInfo{Name: fmt.Sprintf("sleep_%03d", i), Group: "sleep", Description: "pid 1, uptime 0:00:01", State: 20, StateName: "RUNNING",
			StdoutLogfile: "/tmp/bench/log/x-stdout---supervisor-x1y2z3.log"}
	}
	s := NewServer(&fakeBackend{}, ServerOptions{})
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		s.writeResponse(w, "m", infos)
	}
}
