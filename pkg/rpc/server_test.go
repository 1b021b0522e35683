package rpc

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func wantFault(t *testing.T, err error, code int, str string) {
	t.Helper()
	var f *Fault
	if !errors.As(err, &f) {
		t.Fatalf("want fault %d %q, got %v", code, str, err)
	}
	if f.Code != code || (str != "" && f.String != str) {
		t.Fatalf("want fault %d %q, got %d %q", code, str, f.Code, f.String)
	}
}

func TestSocketMode(t *testing.T) {
	ts := startServer(t, newFake(t), ServerOptions{})
	fi, err := os.Stat(ts.sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket mode %v, want 0700 socket", fi.Mode())
	}
	dir := t.TempDir()
	l, err := ListenUnix(filepath.Join(dir, "x.sock"), 0o770, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fi, _ = os.Stat(filepath.Join(dir, "x.sock"))
	if fi.Mode().Perm() != 0o770 {
		t.Fatalf("configured mode: %v", fi.Mode())
	}
}

func TestBasicMethods(t *testing.T) {
	ts := startServer(t, newFake(t), ServerOptions{})
	c := NewClient(ts.url, "", "")
	defer c.Close()
	ctx := ctx(t)

	if v, err := c.GetVersion(ctx); err != nil || v != "3.0" {
		t.Fatalf("getVersion %q %v", v, err)
	}
	if v, err := c.GetAPIVersion(ctx); err != nil || v != "3.0" {
		t.Fatalf("getAPIVersion %q %v", v, err)
	}
	if v, err := c.GetSupervisorVersion(ctx); err != nil || v != "4.2.5" {
		t.Fatalf("getSupervisorVersion %q %v", v, err)
	}
	if v, err := c.GetIdentification(ctx); err != nil || v != "supervisor" {
		t.Fatalf("getIdentification %q %v", v, err)
	}
	if v, err := c.GetState(ctx); err != nil || v != (State{1, "RUNNING"}) {
		t.Fatalf("getState %v %v", v, err)
	}
	if v, err := c.GetPID(ctx); err != nil || v != 77 {
		t.Fatalf("getPID %v %v", v, err)
	}
	info, err := c.GetProcessInfo(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if info.Description != "pid 4242, uptime 0:01:02" || info.Logfile != info.StdoutLogfile || info.PID != 4242 {
		t.Fatalf("getProcessInfo %+v", info)
	}
	_, err = c.GetProcessInfo(ctx, "a")
	wantFault(t, err, BadName, "BAD_NAME: a")
	_, err = c.GetProcessInfo(ctx, "grp:*")
	wantFault(t, err, BadName, "BAD_NAME: grp:*")
	all, err := c.GetAllProcessInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range all {
		names = append(names, p.Group+":"+p.Name+"="+p.Description)
	}
	want := []string{`grp:a=unknown error (try "tail a")`, "grp:b=Not started", "web:web=pid 4242, uptime 0:01:02"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("getAllProcessInfo %q", names)
	}
	ci, err := c.GetAllConfigInfo(ctx)
	if err != nil || len(ci) != 2 || ci[0].Name != "a" || ci[0].UID != 1000 || ci[1].UID != "none" || ci[1].StdoutLogfile != "auto" {
		t.Fatalf("getAllConfigInfo %+v %v", ci, err)
	}
	added, changed, removed, err := c.ReloadConfig(ctx)
	if err != nil || !reflect.DeepEqual(added, []string{"new"}) || len(changed) != 0 || len(removed) != 2 {
		t.Fatalf("reloadConfig %v %v %v %v", added, changed, removed, err)
	}
	if err := c.AddProcessGroup(ctx, "new"); err != nil {
		t.Fatal(err)
	}
	wantFault(t, c.AddProcessGroup(ctx, "web"), AlreadyAdded, "ALREADY_ADDED: web")
	wantFault(t, c.RemoveProcessGroup(ctx, "web"), StillRunning, "STILL_RUNNING: web")
	// A non-fault backend error is FAILED with its text.
	wantFault(t, c.RemoveProcessGroup(ctx, "x"), Failed, "FAILED: disk on fire")

	if err := c.StartProcess(ctx, "grp:b", true); err != nil {
		t.Fatal(err)
	}
	wantFault(t, c.StartProcess(ctx, "web", true), AlreadyStarted, "ALREADY_STARTED: web")
	wantFault(t, c.StartProcess(ctx, "nope", true), BadName, "BAD_NAME: nope")
	// g:* dispatches to the group variant and returns its results.
	v, err := c.Call(ctx, "supervisor.startProcess", "grp:*")
	if err != nil {
		t.Fatal(err)
	}
	if r := v.([]any); len(r) != 2 || r[0].(map[string]any)["name"] != "a" || r[0].(map[string]any)["description"] != "OK" {
		t.Fatalf("startProcess grp:* = %#v", v)
	}
	_, err = c.Call(ctx, "supervisor.stopProcess", "nogroup:*")
	wantFault(t, err, BadName, "BAD_NAME: nogroup:*")
	wantFault(t, c.StopProcess(ctx, "grp:a", false), NotRunning, "NOT_RUNNING: grp:a")
	if r, err := c.StartAllProcesses(ctx, false); err != nil || len(r) != 1 || r[0].Status != SpawnError {
		t.Fatalf("startAll %v %v", r, err)
	}
	if r, err := c.StopAllProcesses(ctx, true); err != nil || r == nil || len(r) != 0 {
		t.Fatalf("stopAll %#v %v", r, err)
	}
	if r, err := c.StopProcessGroup(ctx, "grp", true); err != nil || len(r) != 2 {
		t.Fatalf("stopGroup %v %v", r, err)
	}
	_, err = c.StartProcessGroup(ctx, "zzz", true)
	wantFault(t, err, BadName, "BAD_NAME: zzz")

	if err := c.SignalProcess(ctx, "web", "HUP"); err != nil {
		t.Fatal(err)
	}
	// A number as int is accepted like "1".
	if _, err := c.Call(ctx, "supervisor.signalProcess", "web", 1); err != nil {
		t.Fatal(err)
	}
	wantFault(t, c.SignalProcess(ctx, "web", "BOGUS"), BadSignal, "BAD_SIGNAL: BOGUS")
	// Python's int() truncates floats and takes bools.
	if _, err := c.Call(ctx, "supervisor.signalProcess", "web", 1.9); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call(ctx, "supervisor.signalProcess", "web", true); err != nil {
		t.Fatal(err)
	}
	// The group methods look the name up as is: "g:p" is no group.
	for _, m := range []string{"startProcessGroup", "stopProcessGroup"} {
		_, err = c.Call(ctx, "supervisor."+m, "grp:web")
		wantFault(t, err, BadName, "BAD_NAME: grp:web")
	}
	_, err = c.Call(ctx, "supervisor.signalProcessGroup", "grp:*", "HUP")
	wantFault(t, err, BadName, "BAD_NAME: grp:*")
	if r, err := c.SignalProcessGroup(ctx, "grp", "HUP"); err != nil || len(r) != 2 {
		t.Fatalf("signalGroup %v %v", r, err)
	}
	if r, err := c.SignalAllProcesses(ctx, "HUP"); err != nil || len(r) != 1 {
		t.Fatalf("signalAll %v %v", r, err)
	}

	if err := c.SendProcessStdin(ctx, "web", "héllo\n"); err != nil {
		t.Fatal(err)
	}
	if ts.f.stdin["web"] != "héllo\n" {
		t.Fatalf("stdin %q", ts.f.stdin["web"])
	}
	_, err = c.Call(ctx, "supervisor.sendProcessStdin", "web", 5)
	wantFault(t, err, IncorrectParameters, "INCORRECT_PARAMETERS: 5")
	wantFault(t, c.SendProcessStdin(ctx, "grp:b", "x"), NotRunning, "NOT_RUNNING: grp:b")
	wantFault(t, c.SendProcessStdin(ctx, "grp:*", "x"), BadName, "BAD_NAME: grp:*")
	if err := c.SendRemoteCommEvent(ctx, "t", "d"); err != nil || ts.f.events[0] != "t|d" {
		t.Fatalf("sendRemoteCommEvent %v %v", err, ts.f.events)
	}

	if err := c.ClearProcessLogs(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call(ctx, "supervisor.clearProcessLog", "web"); err != nil {
		t.Fatal(err)
	}
	wantFault(t, c.ClearProcessLogs(ctx, "grp:*"), BadName, "BAD_NAME: grp:*")
	ts.f.failWith = errors.New("permission denied")
	wantFault(t, c.ClearProcessLogs(ctx, "web"), Failed, "FAILED: permission denied")
	if r, err := c.ClearAllProcessLogs(ctx); err != nil || len(r) != 1 {
		t.Fatalf("clearAll %v %v", r, err)
	}
}

func TestUnknownMethodsAndArity(t *testing.T) {
	ts := startServer(t, newFake(t), ServerOptions{})
	c := NewClient(ts.url, "", "")
	defer c.Close()
	ctx := ctx(t)
	for _, m := range []string{"supervisor.nope", "supervisor._update", "supervisor", "supervisor.getPID.x", "nons.getPID", ".getPID", "system._listMethods"} {
		_, err := c.Call(ctx, m)
		wantFault(t, err, UnknownMethod, "UNKNOWN_METHOD")
	}
	// Arity and types, for every method.
	for name, m := range ts.srv.methods {
		required := 0
		for _, p := range m.params {
			if p.def == nil {
				required++
			}
		}
		args := make([]any, len(m.params)+1)
		for i := range args {
			args[i] = "x"
		}
		_, err := c.Call(ctx, name, args...)
		wantFault(t, err, IncorrectParameters, "INCORRECT_PARAMETERS")
		if required > 0 {
			_, err := c.Call(ctx, name, args[:required-1]...)
			wantFault(t, err, IncorrectParameters, "INCORRECT_PARAMETERS")
		}
		for i, p := range m.params {
			if p.kind != kString && p.kind != kInt {
				continue
			}
			bad := make([]any, len(m.params))
			for j, q := range m.params {
				switch q.kind {
				case kInt:
					bad[j] = 0
				case kBool:
					bad[j] = true
				default:
					bad[j] = "web"
				}
			}
			bad[i] = []any{1}
			_, err := c.Call(ctx, name, bad...)
			wantFault(t, err, IncorrectParameters, "INCORRECT_PARAMETERS")
		}
	}
	// Python int() accepts numeric strings.
	os.WriteFile(ts.f.mainLog, []byte("0123456789"), 0o600)
	v, err := c.Call(ctx, "supervisor.readLog", "2", " 3 ")
	if err != nil || v != "234" {
		t.Fatalf("readLog with string ints: %v %v", v, err)
	}
	_, err = c.Call(ctx, "supervisor.readLog", "two", 3)
	wantFault(t, err, IncorrectParameters, "INCORRECT_PARAMETERS")
	// wait defaults to true and takes any truthy value.
	ts.f.started = make(chan struct{}, 10)
	if _, err := c.Call(ctx, "supervisor.startProcess", "grp:b", 0); err != nil {
		t.Fatal(err)
	}
}

func TestShutdownState(t *testing.T) {
	ts := startServer(t, newFake(t), ServerOptions{})
	c := NewClient(ts.url, "", "")
	defer c.Close()
	ctx := ctx(t)
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for name, m := range ts.srv.methods {
		args := make([]any, 0)
		for _, p := range m.params {
			if p.def != nil {
				break
			}
			switch p.kind {
			case kInt:
				args = append(args, 0)
			default:
				args = append(args, "web")
			}
		}
		switch name {
		case "system.multicall":
			args = []any{[]any{}}
		case "system.methodHelp", "system.methodSignature":
			args = []any{"supervisor.getPID"}
		}
		_, err := c.Call(ctx, name, args...)
		switch {
		case strings.HasPrefix(name, "system."), name == "supervisor.sendRemoteCommEvent":
			if err != nil {
				t.Errorf("%s during shutdown: %v", name, err)
			}
		default:
			var f *Fault
			if !errors.As(err, &f) || f.Code != ShutdownState || f.String != "SHUTDOWN_STATE" {
				t.Errorf("%s during shutdown: %v", name, err)
			}
		}
	}
	// signalAllProcesses signals first, then reports the state.
	if len(ts.f.calls) == 0 || ts.f.calls[len(ts.f.calls)-1] != "signalAll web" {
		t.Errorf("signalAllProcesses did not signal before the state check: %v", ts.f.calls)
	}
	ts.f.setState(0, "RESTARTING")
	_, err := c.GetPID(ctx)
	wantFault(t, err, ShutdownState, "SHUTDOWN_STATE")
	ts.f.setState(2, "FATAL")
	if _, err := c.GetPID(ctx); err != nil {
		t.Fatalf("FATAL state is not a shutdown state: %v", err)
	}
}

func TestLogMethods(t *testing.T) {
	f := newFake(t)
	ts := startServer(t, f, ServerOptions{})
	c := NewClient(ts.url, "", "")
	defer c.Close()
	ctx := ctx(t)

	// Main log.
	_, err := c.ReadLog(ctx, 0, 0)
	wantFault(t, err, NoFile, "NO_FILE: "+f.mainLog)
	wantFault(t, c.ClearLog(ctx), NoFile, "NO_FILE")
	os.WriteFile(f.mainLog, []byte("0123456789"), 0o600)
	for _, tc := range []struct {
		off, n int
		want   string
	}{{0, 0, "0123456789"}, {3, 0, "3456789"}, {3, 2, "34"}, {-4, 0, "6789"}, {-40, 0, "0123456789"}, {20, 0, ""}, {8, 10, "89"}} {
		got, err := c.ReadLog(ctx, tc.off, tc.n)
		if err != nil || got != tc.want {
			t.Errorf("readLog(%d,%d) = %q %v, want %q", tc.off, tc.n, got, err, tc.want)
		}
	}
	_, err = c.ReadLog(ctx, -1, 1)
	wantFault(t, err, BadArguments, "BAD_ARGUMENTS")
	_, err = c.ReadLog(ctx, 1, -1)
	wantFault(t, err, BadArguments, "BAD_ARGUMENTS")
	if _, err := c.Call(ctx, "supervisor.readMainLog", 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := c.ClearLog(ctx); err != nil {
		t.Fatal(err)
	}
	f.mainLog = ""
	_, err = c.ReadLog(ctx, 0, 0)
	wantFault(t, err, NoFile, "NO_FILE")

	// Process logs.
	out := f.logs["web:web/stdout"]
	_, err = c.ReadProcessStdoutLog(ctx, "web", 0, 0)
	wantFault(t, err, NoFile, "NO_FILE: "+out)
	_, err = c.ReadProcessStderrLog(ctx, "web", 0, 0)
	wantFault(t, err, NoFile, "NO_FILE")
	_, err = c.ReadProcessStdoutLog(ctx, "grp:*", 0, 0)
	wantFault(t, err, BadName, "BAD_NAME: grp:*")
	_, err = c.ReadProcessStdoutLog(ctx, "zz", 0, 0)
	wantFault(t, err, BadName, "BAD_NAME: zz")
	s, off, ov, err := c.TailProcessStdoutLog(ctx, "web", 0, 100)
	if err != nil || s != "" || off != 0 || ov {
		t.Fatalf("tail of missing file: %q %d %v %v", s, off, ov, err)
	}
	_, _, _, err = c.TailProcessStderrLog(ctx, "grp:*", 0, 100)
	wantFault(t, err, BadName, "BAD_NAME: grp:*")
	os.WriteFile(out, []byte("abcdefghij"), 0o600)
	if s, err := c.ReadProcessStdoutLog(ctx, "web", -3, 0); err != nil || s != "hij" {
		t.Fatalf("read -3: %q %v", s, err)
	}
	if v, err := c.Call(ctx, "supervisor.readProcessLog", "web", 1, 2); err != nil || v != "bc" {
		t.Fatalf("readProcessLog: %q %v", v, err)
	}
	for _, tc := range []struct {
		off, n int
		want   string
		newOff int
		ov     bool
	}{
		{0, 4, "ghij", 10, true}, // overflow: last length bytes
		{0, 100, "abcdefghij", 10, false},
		{8, 100, "abcdefghij", 10, false}, // supervisord's quirk: not from offset
		{10, 100, "", 10, false},
		{20, 5, "", 10, false},
		{6, 4, "ghij", 10, false},
	} {
		s, off, ov, err := c.TailProcessStdoutLog(ctx, "web", tc.off, tc.n)
		if err != nil || s != tc.want || off != tc.newOff || ov != tc.ov {
			t.Errorf("tail(%d,%d) = %q %d %v %v, want %q %d %v", tc.off, tc.n, s, off, ov, err, tc.want, tc.newOff, tc.ov)
		}
	}
	if v, err := c.Call(ctx, "supervisor.tailProcessLog", "web", 0, 3); err != nil || !reflect.DeepEqual(v, []any{"hij", 10, true}) {
		t.Fatalf("tailProcessLog: %#v %v", v, err)
	}
}

func TestMulticall(t *testing.T) {
	ts := startServer(t, newFake(t), ServerOptions{})
	c := NewClient(ts.url, "", "")
	defer c.Close()
	ctx := ctx(t)
	v, err := c.Call(ctx, "system.multicall", []any{
		map[string]any{"methodName": "supervisor.getAPIVersion", "params": []any{}},
		map[string]any{"methodName": "supervisor.getPID"},
		map[string]any{"methodName": "supervisor.getProcessInfo", "params": []any{"nope"}},
		map[string]any{"methodName": "system.multicall", "params": []any{[]any{}}},
		map[string]any{"params": []any{}},
		map[string]any{"methodName": "supervisor.nope"},
		map[string]any{"methodName": "supervisor.getPID", "params": []any{1}},
		map[string]any{"methodName": "supervisor.removeProcessGroup", "params": []any{"x"}},
		"not a struct",
	})
	if err != nil {
		t.Fatal(err)
	}
	fault := func(code int, s string) any { return map[string]any{"faultCode": code, "faultString": s} }
	want := []any{
		"3.0",
		77,
		fault(BadName, "BAD_NAME: nope"),
		fault(IncorrectParameters, "INCORRECT_PARAMETERS: Recursive system.multicall forbidden"),
		fault(IncorrectParameters, "INCORRECT_PARAMETERS: No methodName"),
		fault(UnknownMethod, "UNKNOWN_METHOD"),
		fault(IncorrectParameters, "INCORRECT_PARAMETERS"),
		fault(Failed, "FAILED: disk on fire"),
		fault(IncorrectParameters, "INCORRECT_PARAMETERS: call is not a struct"),
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("multicall:\n got %#v\nwant %#v", v, want)
	}
	_, err = c.Call(ctx, "system.multicall", "x")
	wantFault(t, err, IncorrectParameters, "INCORRECT_PARAMETERS")

	res, err := c.Multicall(ctx, []MultiCall{{Method: "supervisor.getPID"}, {Method: "supervisor.getProcessInfo", Params: []any{"zz"}}})
	if err != nil || res[0] != 77 {
		t.Fatalf("Multicall %v %v", res, err)
	}
	wantFault(t, res[1].(error), BadName, "BAD_NAME: zz")
}

func TestSystemMethods(t *testing.T) {
	ts := startServer(t, newFake(t), ServerOptions{})
	c := NewClient(ts.url, "", "")
	defer c.Close()
	ctx := ctx(t)
	names, err := c.ListMethods(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 41 {
		t.Fatalf("listMethods returned %d names: %v", len(names), names)
	}
	for _, n := range []string{"supervisor.getVersion", "supervisor.readMainLog", "supervisor.readProcessLog", "supervisor.tailProcessLog", "supervisor.clearProcessLog", "system.multicall"} {
		found := false
		for _, m := range names {
			found = found || m == n
		}
		if !found {
			t.Errorf("listMethods lacks %s", n)
		}
	}
	sig, err := c.MethodSignature(ctx, "supervisor.startProcess")
	if err != nil || !reflect.DeepEqual(sig, []string{"boolean", "string", "boolean"}) {
		t.Fatalf("methodSignature %v %v", sig, err)
	}
	help, err := c.MethodHelp(ctx, "supervisor.startProcess")
	if err != nil || !strings.Contains(help, "@param string name") || !strings.Contains(help, "@return boolean") {
		t.Fatalf("methodHelp %q %v", help, err)
	}
	_, err = c.MethodHelp(ctx, "supervisor.nope")
	wantFault(t, err, SignatureUnsupported, "SIGNATURE_UNSUPPORTED")
	_, err = c.MethodSignature(ctx, "nope")
	wantFault(t, err, SignatureUnsupported, "SIGNATURE_UNSUPPORTED")
	// Every help text parses back to its signature (gettags).
	for _, n := range names {
		m := ts.srv.methods[n]
		if got := gettags(m.help()); !reflect.DeepEqual(got, m.signature()) {
			t.Errorf("%s: help tags %v, signature %v", n, got, m.signature())
		}
	}
}

// gettags extracts [return type, param types...] as supervisor.xmlrpc.gettags.
func gettags(doc string) []string {
	var ret string
	var params []string
	for _, line := range strings.Split(doc, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "@return" {
			ret = f[1]
		}
		if len(f) >= 2 && f[0] == "@param" {
			params = append(params, f[1])
		}
	}
	return append([]string{ret}, params...)
}

// rawRequest sends one HTTP request over the unix socket and returns
// the response.
func rawRequest(t *testing.T, sock, req string) *http.Response {
	t.Helper()
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestHTTPErrors(t *testing.T) {
	ts := startServer(t, newFake(t), ServerOptions{})
	body := "<?xml version='1.0'?><methodCall><methodName>supervisor.getPID</methodName></methodCall>"
	cases := []struct {
		req  string
		code int
	}{
		{"GET /RPC2 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"POST /RPC2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411},
		{"POST /RPC2 HTTP/1.0\r\n\r\n", 411},
		{fmt.Sprintf("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", 5, "<bad>"), 400},
		{fmt.Sprintf("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", 26, "<methodCall></methodCall>\n"), 400},
		{fmt.Sprintf("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", MaxBodySize+1), 413},
		{fmt.Sprintf("POST /RPC2/anything HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body), 200},
		{"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", 404},
		{"POST /logtail/web HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 400},
		{"GET /logtail/nope HTTP/1.1\r\nHost: x\r\n\r\n", 404},
		{"GET /logtail/grp:* HTTP/1.1\r\nHost: x\r\n\r\n", 404},
		{"GET /logtail/web/stderr HTTP/1.1\r\nHost: x\r\n\r\n", 404},
		{"GET /logtail/web/bogus HTTP/1.1\r\nHost: x\r\n\r\n", 404},
		{"GET /logtail/web HTTP/1.1\r\nHost: x\r\n\r\n", 404}, // no file yet
		{"GET /mainlogtail HTTP/1.1\r\nHost: x\r\n\r\n", 404},
	}
	for _, tc := range cases {
		resp := rawRequest(t, ts.sock, tc.req)
		if resp.StatusCode != tc.code {
			t.Errorf("%q: status %d, want %d", tc.req[:min(40, len(tc.req))], resp.StatusCode, tc.code)
		}
		if tc.code == 200 {
			v, err := DecodeResponse(resp.Body)
			if err != nil || v != 77 || resp.Header.Get("Content-Type") != "text/xml" {
				t.Errorf("rpc via /RPC2/anything: %v %v", v, err)
			}
		}
		resp.Body.Close()
	}
}

func TestAuth(t *testing.T) {
	sum := sha1.Sum([]byte("s3cret"))
	for _, pw := range []string{"s3cret", "{SHA}" + hex.EncodeToString(sum[:])} {
		opts := ServerOptions{Username: "user", Password: pw}
		ts := startServer(t, newFake(t), opts)
		l, err := ListenTCP("127.0.0.1", 0)
		if err != nil {
			t.Fatal(err)
		}
		serve(t, l, NewServer(ts.f, opts))
		tcpURL := "http://" + l.Addr().String()
		for _, url := range []string{ts.url, tcpURL} {
			ctx := ctx(t)
			for _, cred := range [][2]string{{"", ""}, {"user", "wrong"}, {"other", "s3cret"}, {"user", hex.EncodeToString(sum[:])}} {
				c := NewClient(url, cred[0], cred[1])
				_, err := c.GetPID(ctx)
				var te *TransportError
				if !errors.As(err, &te) || !te.Unauthorized || te.Status != 401 {
					t.Errorf("%s with %q: %v, want 401", url, cred, err)
				}
				// Log tails are protected too.
				_, err = c.LogTail(ctx, "", "")
				if !errors.As(err, &te) || !te.Unauthorized {
					t.Errorf("%s logtail with %q: %v, want 401", url, cred, err)
				}
				c.Close()
			}
			c := NewClient(url, "user", "s3cret")
			if pid, err := c.GetPID(ctx); err != nil || pid != 77 {
				t.Errorf("%s with good credentials: %v %v", url, pid, err)
			}
			c.Close()
		}
		resp := rawRequest(t, ts.sock, "GET /RPC2 HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Basic realm="default"` {
			t.Errorf("401 headers: %d %v", resp.StatusCode, resp.Header)
		}
		resp = rawRequest(t, ts.sock, "GET /RPC2 HTTP/1.1\r\nHost: x\r\nAuthorization: Basic !!!\r\n\r\n")
		if resp.StatusCode != 400 {
			t.Errorf("malformed auth: %d", resp.StatusCode)
		}
	}
}

func TestDeferredCallDoesNotBlockServer(t *testing.T) {
	f := newFake(t)
	f.startGate = make(chan struct{})
	f.started = make(chan struct{}, 1)
	ts := startServer(t, f, ServerOptions{})
	c := NewClient(ts.url, "", "")
	defer c.Close()
	ctx := ctx(t)
	done := make(chan error, 1)
	go func() { done <- c.StartProcess(ctx, "grp:b", true) }()
	<-f.started
	// While startProcess waits, other calls are answered.
	if pid, err := c.GetPID(ctx); err != nil || pid != 77 {
		t.Fatalf("getPID during deferred call: %v %v", pid, err)
	}
	select {
	case err := <-done:
		t.Fatalf("startProcess returned before the process started: %v", err)
	default:
	}
	close(f.startGate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestLogtailStream(t *testing.T) {
	f := newFake(t)
	ts := startServer(t, f, ServerOptions{})
	c := NewClient(ts.url, "", "")
	defer c.Close()
	path := f.logs["web:web/stdout"]
	head := strings.Repeat("x", 2000) + "HEAD-END\n"
	os.WriteFile(path, []byte(head), 0o600)
	ctx, cancel := context.WithCancel(ctx(t))
	defer cancel()
	body, err := c.LogTail(ctx, "web:web", "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	r := bufio.NewReader(body)
	readUntil := func(marker string) string {
		t.Helper()
		var got strings.Builder
		for !strings.Contains(got.String(), marker) {
			line, err := r.ReadString('\n')
			got.WriteString(line)
			if err != nil {
				t.Fatalf("reading stream: %v (got %q)", err, got.String())
			}
		}
		return got.String()
	}
	first := readUntil("HEAD-END\n")
	if len(first) != 1024 {
		t.Fatalf("first chunk is %d bytes, want the last 1024", len(first))
	}
	fh, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	fh.WriteString("appended line\n")
	fh.Close()
	if got := readUntil("appended line\n"); got != "appended line\n" {
		t.Fatalf("appended: %q", got)
	}
	os.WriteFile(path, []byte("new\n"), 0o600) // truncation (same inode)
	if got := readUntil("new\n"); got != "==> File truncated <==\nnew\n" {
		t.Fatalf("after truncate: %q", got)
	}
	// Rotation: a new file at the path is followed from its start.
	os.Rename(path, path+".1")
	os.WriteFile(path, []byte("rotated\n"), 0o600)
	if got := readUntil("rotated\n"); got != "rotated\n" {
		t.Fatalf("after rotation: %q", got)
	}

	// Main log tail, default channel.
	os.WriteFile(f.mainLog, []byte("main line\n"), 0o600)
	mb, err := c.LogTail(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	line, err := bufio.NewReader(mb).ReadString('\n')
	if err != nil || line != "main line\n" {
		t.Fatalf("mainlogtail: %q %v", line, err)
	}
	_, err = c.LogTail(ctx, "nope", "")
	var te *TransportError
	if !errors.As(err, &te) || te.Status != 404 {
		t.Fatalf("logtail unknown: %v", err)
	}
}

func TestListenTwiceAndStale(t *testing.T) {
	ts := startServer(t, newFake(t), ServerOptions{})
	if _, err := ListenUnix(ts.sock, 0, -1, -1); !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("second listen: %v, want ErrAddrInUse", err)
	}
	// A stale socket: the file exists, nobody listens.
	dir := t.TempDir()
	sock := filepath.Join(dir, "stale.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(sock); err != nil {
		t.Fatal("stale socket file missing")
	}
	// A client sees "refused" on it, and "no such file" without it.
	c := NewClient("unix://"+sock, "", "")
	_, err = c.GetPID(ctx(t))
	var te *TransportError
	if !errors.As(err, &te) || !te.Refused {
		t.Fatalf("stale socket: %v, want refused", err)
	}
	c = NewClient("unix://"+filepath.Join(dir, "missing.sock"), "", "")
	_, err = c.GetPID(ctx(t))
	if !errors.As(err, &te) || !te.NoSuchFile {
		t.Fatalf("missing socket: %v, want no such file", err)
	}
	l2, stale, err := ListenUnixStale(sock, 0, -1, -1)
	if err != nil || !stale {
		t.Fatalf("stale listen: %v stale=%v", err, stale)
	}
	l2.Close()
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("closing the listener left the socket file")
	}
	// A regular file is not removed.
	os.WriteFile(sock, nil, 0o600)
	if _, err := ListenUnix(sock, 0, -1, -1); err == nil {
		t.Fatal("listened over a regular file")
	}
	// TCP: in use and refused.
	tl, err := ListenTCP("127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	port := tl.Addr().(*net.TCPAddr).Port
	if _, err := ListenTCP("127.0.0.1", port); !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("tcp twice: %v", err)
	}
	tl.Close()
	c = NewClient(fmt.Sprintf("http://127.0.0.1:%d", port), "", "")
	_, err = c.GetPID(ctx(t))
	if !errors.As(err, &te) || !te.Refused {
		t.Fatalf("tcp refused: %v", err)
	}
	if _, err := NewClient("ftp://x", "", "").GetPID(ctx(t)); err == nil {
		t.Fatal("ftp url accepted")
	}
}

func TestDescribe(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	cases := []struct {
		info ProcessInfo
		want string
	}{
		{ProcessInfo{State: stateRunning, PID: 5, Start: 100, Now: 100 + 86400 + 3723}, "pid 5, uptime 1 day, 1:02:03"},
		{ProcessInfo{State: stateRunning, PID: 5, Start: 100, Now: 100 + 2*86400 + 5}, "pid 5, uptime 2 days, 0:00:05"},
		{ProcessInfo{State: stateRunning, PID: 5, Start: 100, Now: 50}, "pid 5, uptime 0:00:00"},
		{ProcessInfo{State: stateBackoff, Name: "x", SpawnErr: "Exited too quickly (process log may have details)"}, "Exited too quickly (process log may have details)"},
		{ProcessInfo{State: stateFatal, Name: "x"}, `unknown error (try "tail x")`},
		{ProcessInfo{State: stateStopped}, "Not started"},
		{ProcessInfo{State: stateExited, Start: 1, Stop: 1732226460}, "Nov 21 11:01 PM"},
		{ProcessInfo{State: stateStarting}, ""},
	}
	for _, c := range cases {
		if got := Describe(c.info, loc); got != c.want {
			t.Errorf("%+v: %q, want %q", c.info, got, c.want)
		}
	}
}

// TestPythonClient checks wire compatibility with Python's
// xmlrpc.client (and supervisor's own transport when installed).
func TestPythonClient(t *testing.T) {
	var py string
	for _, cand := range []string{"/usr/bin/python3", "python3"} {
		if p, err := lookPath(cand); err == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Skip("python3 not installed")
	}
	f := newFake(t)
	ts := startServer(t, f, ServerOptions{})
	os.WriteFile(f.mainLog, []byte("main log\n"), 0o600)
	os.WriteFile(f.logs["web:web/stdout"], []byte("out <&> é\n"), 0o600)
	out, err := runPython(ctx(t), py, "testdata/pyclient.py", ts.sock)
	t.Logf("python: %s", out)
	if err != nil {
		t.Fatalf("python client: %v\n%s", err, out)
	}
	if !strings.Contains(out, "OK supervisor=") {
		t.Fatalf("python client output: %s", out)
	}
	if !strings.Contains(out, "supervisor=True") {
		t.Log("supervisor python package not found: method list not compared with supervisord's")
	}
}

// TestSupervisorctl drives the server with the real supervisorctl.
func TestSupervisorctl(t *testing.T) {
	ctl, err := lookPath("supervisorctl")
	if err != nil {
		t.Skip("supervisorctl not installed (Debian package supervisor)")
	}
	f := newFake(t)
	ts := startServer(t, f, ServerOptions{Username: "u", Password: "p"})
	os.WriteFile(f.logs["web:web/stdout"], []byte("hello from web\n"), 0o600)
	os.WriteFile(f.mainLog, []byte("main says hi\n"), 0o600)
	conf := filepath.Join(t.TempDir(), "ctl.conf")
	os.WriteFile(conf, []byte("[supervisorctl]\nserverurl=unix://"+ts.sock+"\nusername=u\npassword=p\n"), 0o600)
	run := func(args ...string) (string, int) {
		out, code := runCmd(ctx(t), ctl, append([]string{"-c", conf}, args...)...)
		return out, code
	}
	cases := []struct {
		args []string
		want string
		code int
	}{
		{[]string{"status"}, "grp:a                            FATAL     unknown error (try \"tail a\")\ngrp:b                            STOPPED   Not started\nweb                              RUNNING   pid 4242, uptime 0:01:02\n", 3},
		{[]string{"status", "web"}, "web                              RUNNING   pid 4242, uptime 0:01:02\n", 0},
		{[]string{"pid"}, "77\n", 0},
		{[]string{"version"}, "4.2.5\n", 0},
		{[]string{"tail", "web"}, "hello from web\n\n", 0},
		{[]string{"maintail"}, "main says hi\n\n", 0},
		{[]string{"signal", "HUP", "web"}, "web: signalled\n", 0},
		{[]string{"start", "web"}, "web: ERROR (already started)\n", 0},
		{[]string{"stop", "grp:a"}, "grp:a: ERROR (not running)\n", 0},
		{[]string{"start", "nope"}, "nope: ERROR (no such process)\n", 1},
		{[]string{"reread"}, "new: available\nold1: disappeared\nold2: disappeared\n", 0},
	}
	for _, c := range cases {
		out, code := run(c.args...)
		if out != c.want || code != c.code {
			t.Errorf("supervisorctl %v:\n got %q rc %d\nwant %q rc %d", c.args, out, code, c.want, c.code)
		}
	}
	// tail -f streams /logtail through supervisorctl's own HTTP client.
	out, stop, err := startCmd(ctx(t), ctl, "-c", conf, "tail", "-f", "web")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(out)
	for _, want := range []string{"==> Press Ctrl-C to exit <==\n", "hello from web\n", "more\n"} {
		line, err := br.ReadString('\n')
		if err != nil || line != want {
			t.Fatalf("tail -f: %q %v, want %q", line, err, want)
		}
		if want == "hello from web\n" {
			fh, _ := os.OpenFile(f.logs["web:web/stdout"], os.O_APPEND|os.O_WRONLY, 0)
			fh.WriteString("more\n")
			fh.Close()
		}
	}
	stop()
	// Wrong credentials.
	os.WriteFile(conf, []byte("[supervisorctl]\nserverurl=unix://"+ts.sock+"\nusername=u\npassword=bad\n"), 0o600)
	// Same output and status as against supervisord.
	want := "Server requires authentication\nerror: <class 'xmlrpc.client.ProtocolError'>, <ProtocolError for 127.0.0.1/RPC2: 401 Unauthorized>: file: /usr/lib/python3/dist-packages/supervisor/xmlrpc.py line: 539\n"
	if out, code := run("pid"); out != want || code != 1 {
		t.Errorf("bad password: %q rc %d", out, code)
	}
}

// Ending Serve's context ends log streams and deferred calls, and
// Serve returns.
func TestServeShutdownEndsStreams(t *testing.T) {
	f := newFake(t)
	f.startGate = make(chan struct{})
	f.started = make(chan struct{}, 1)
	dir := t.TempDir()
	sock := filepath.Join(dir, "s.sock")
	l, err := ListenUnix(sock, 0, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Serve(sctx, l, NewServer(f, ServerOptions{}), 10*time.Second) }()
	os.WriteFile(f.mainLog, []byte("x\n"), 0o600)
	c := NewClient("unix://"+sock, "", "")
	defer c.Close()
	body, err := c.LogTail(ctx(t), "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	br := bufio.NewReader(body)
	if line, err := br.ReadString('\n'); err != nil || line != "x\n" {
		t.Fatalf("stream: %q %v", line, err)
	}
	callErr := make(chan error, 1)
	go func() { callErr <- c.StartProcess(ctx(t), "grp:b", true) }()
	<-f.started
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := io.ReadAll(br); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Logf("stream ended with %v", err)
	}
	if err := <-callErr; err == nil {
		t.Fatal("deferred call succeeded after shutdown")
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("socket file left after shutdown")
	}
}

// FuzzServerCall feeds arbitrary requests to the dispatcher: whatever
// arrives, the answer is a value or a fault, never a panic.
func FuzzServerCall(f *testing.F) {
	for _, seed := range []string{
		"<methodCall><methodName>supervisor.readLog</methodName><params><param><value><int>-5</int></value></param><param><value><int>0</int></value></param></params></methodCall>",
		"<methodCall><methodName>supervisor.tailProcessLog</methodName><params><param><value>web</value></param><param><value><int>0</int></value></param><param><value><int>9223372036854775807</int></value></param></params></methodCall>",
		"<methodCall><methodName>system.multicall</methodName><params><param><value><array><data><value><struct><member><name>methodName</name><value>supervisor.startProcess</value></member><member><name>params</name><value><array><data><value>grp:*</value><value><boolean>0</boolean></value></data></array></value></member></struct></value></data></array></value></param></params></methodCall>",
		"<methodCall><methodName>supervisor.signalProcess</methodName><params><param><value>web</value></param><param><value><double>1.5</double></value></param></params></methodCall>",
		"<methodCall><methodName>supervisor.sendProcessStdin</methodName><params><param><value>web</value></param><param><value><base64>aGk=</base64></value></param></params></methodCall>",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		fb := newFake(t)
		os.WriteFile(fb.mainLog, []byte("0123456789"), 0o600)
		os.WriteFile(fb.logs["web:web/stdout"], []byte("abc"), 0o600)
		s := NewServer(fb, ServerOptions{})
		method, params, err := DecodeCall(strings.NewReader(in))
		if err != nil || method == "" {
			return
		}
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		v, err := s.Call(c, method, params)
		var out []byte
		if err != nil {
			out, err = MarshalResponse(ToFault(err))
		} else {
			out, err = MarshalResponse(v)
		}
		if err != nil {
			t.Fatalf("%s: cannot encode result: %v", method, err)
		}
		if _, err := DecodeResponse(strings.NewReader(string(out))); err != nil {
			var fl *Fault
			if !errors.As(err, &fl) {
				t.Fatalf("%s: response does not decode: %v\n%s", method, err, out)
			}
		}
	})
}

func BenchmarkGetPID(b *testing.B) {
	f := &fakeBackend{state: State{1, "RUNNING"}, procs: map[string]*ProcessInfo{}, logs: map[string]string{}}
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
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.GetPID(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeProcessInfo(b *testing.B) {
	infos := make([]ProcessInfo, 100)
	for i := range infos {
		infos[i] = ProcessInfo{Name: fmt.Sprintf("p%d", i), Group: "g", Description: "pid 1, uptime 0:00:01", State: 20, StateName: "RUNNING"}
	}
	for i := 0; i < b.N; i++ {
		if _, err := MarshalResponse(infos); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRPCCrossSite: a browser's cross-site request to /RPC2 (a form or
// a no-cors fetch on another site, which no password protects once the
// browser has cached it) is refused; scripts, which send neither Origin
// nor Sec-Fetch-Site, and same-origin pages are answered.
func TestRPCCrossSite(t *testing.T) {
	l, err := ListenTCP("127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(t)
	serve(t, l, NewServer(f, ServerOptions{}))
	host := l.Addr().String()
	body := `<?xml version="1.0"?><methodCall><methodName>supervisor.getPID</methodName><params></params></methodCall>`
	for _, tc := range []struct {
		hdr  []string // name, value, ...
		want int
	}{
		{nil, 200},
		{[]string{"Sec-Fetch-Site", "same-origin"}, 200},
		{[]string{"Sec-Fetch-Site", "none"}, 200},
		{[]string{"Origin", "http://" + host}, 200},
		// A page behind a reverse proxy that rewrites Host: the
		// browser says same-origin, Origin is the proxy's name.
		{[]string{"Sec-Fetch-Site", "same-origin", "Origin", "https://supervisor.example.com"}, 200},
		{[]string{"Sec-Fetch-Site", "cross-site"}, 403},
		{[]string{"Sec-Fetch-Site", "same-site"}, 403},
		{[]string{"Sec-Fetch-Site", "cross-site", "Origin", "http://" + host}, 403},
		{[]string{"Origin", "http://evil.example"}, 403},
		{[]string{"Origin", "null"}, 403},
	} {
		req, _ := http.NewRequest("POST", "http://"+host+"/RPC2", strings.NewReader(body))
		req.Header.Set("Content-Type", "text/plain")
		for i := 0; i+1 < len(tc.hdr); i += 2 {
			req.Header.Set(tc.hdr[i], tc.hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("POST /RPC2 with %s: %d %s, want %d", tc.hdr, resp.StatusCode, b, tc.want)
		}
		if tc.want == 200 && !strings.Contains(string(b), "<int>77</int>") {
			t.Errorf("POST /RPC2 with %s: %s", tc.hdr, b)
		}
	}
}

// TestAuthFailuresOneAtATime: wrong passwords sent in parallel are
// answered one per FailedAuthDelay, so guessing gains nothing from
// parallel connections; the right password is answered at once
// meanwhile.
func TestAuthFailuresOneAtATime(t *testing.T) {
	l, err := ListenTCP("127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	opts := ServerOptions{Username: "user", Password: "s3cret"}
	serve(t, l, NewServer(newFake(t), opts))
	url := "http://" + l.Addr().String()
	const n = 4
	t0 := time.Now()
	errs := make(chan error, n)
	for i := range n {
		go func() {
			c := NewClient(url, "user", fmt.Sprint("guess", i))
			defer c.Close()
			_, err := c.GetPID(context.Background())
			errs <- err
		}()
	}
	time.Sleep(100 * time.Millisecond) // the guesses are queued
	c := NewClient(url, "user", "s3cret")
	defer c.Close()
	t1 := time.Now()
	if pid, err := c.GetPID(ctx(t)); err != nil || pid != 77 {
		t.Fatalf("right password while guesses wait: %v %v", pid, err)
	}
	if dt := time.Since(t1); dt > FailedAuthDelay/2 {
		t.Errorf("the right password waited %v behind the wrong ones", dt)
	}
	for range n {
		var te *TransportError
		if err := <-errs; !errors.As(err, &te) || te.Status != 401 {
			t.Errorf("guess: %v, want 401", err)
		}
	}
	if dt := time.Since(t0); dt < (n-1)*FailedAuthDelay {
		t.Errorf("%d wrong passwords sent in parallel were all answered within %v: parallel guessing is not slowed down", n, dt)
	}
}
