package rpc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"
)

// fakeBackend is an in-memory Backend for server tests.
type fakeBackend struct {
	mu      sync.Mutex
	state   State
	procs   map[string]*ProcessInfo // by "group:name"
	logs    map[string]string       // "group:name/channel" -> path
	mainLog string
	stdin   map[string]string
	events  []string
	calls   []string
	// startGate, when set, blocks StartProcess until closed.
	startGate chan struct{}
	started   chan struct{}
	failWith  error // returned by ClearProcessLogs when set
}

func newFake(t *testing.T) *fakeBackend {
	dir := t.TempDir()
	f := &fakeBackend{
		state: State{Code: 1, Name: "RUNNING"},
		procs: map[string]*ProcessInfo{},
		logs:  map[string]string{},
		stdin: map[string]string{},
	}
	add := func(group, name string, state int, statename string) {
		p := &ProcessInfo{Name: name, Group: group, State: state, StateName: statename, Now: 1000}
		if state == stateRunning {
			p.PID, p.Start = 4242, 1000-62
		}
		key := group + ":" + name
		out := filepath.Join(dir, group+"-"+name+"-stdout.log")
		p.StdoutLogfile = out
		f.logs[key+"/stdout"] = out
		f.procs[key] = p
	}
	add("web", "web", stateRunning, "RUNNING")
	add("grp", "b", stateStopped, "STOPPED")
	add("grp", "a", stateFatal, "FATAL")
	f.mainLog = filepath.Join(dir, "main.log")
	return f
}

func (f *fakeBackend) record(s string) {
	f.mu.Lock()
	f.calls = append(f.calls, s)
	f.mu.Unlock()
}

func (f *fakeBackend) proc(name string) (*ProcessInfo, error) {
	g, p := SplitNamespec(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	if pi := f.procs[g+":"+p]; pi != nil {
		return pi, nil
	}
	return nil, NewFault(BadName, name)
}

func (f *fakeBackend) group(name string) ([]*ProcessInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*ProcessInfo
	for _, p := range f.procs {
		if p.Group == name {
			out = append(out, p)
		}
	}
	if out == nil {
		return nil, NewFault(BadName, name)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (f *fakeBackend) groupResults(name string, status int, desc string) ([]Result, error) {
	ps, err := f.group(name)
	if err != nil {
		return nil, err
	}
	var r []Result
	for _, p := range ps {
		r = append(r, Result{Name: p.Name, Group: p.Group, Status: status, Description: desc})
	}
	return r, nil
}

func (f *fakeBackend) Identification() string { return "supervisor" }
func (f *fakeBackend) State() State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state
}
func (f *fakeBackend) setState(code int, name string) {
	f.mu.Lock()
	f.state = State{code, name}
	f.mu.Unlock()
}
func (f *fakeBackend) PID() int            { return 77 }
func (f *fakeBackend) MainLogPath() string { return f.mainLog }
func (f *fakeBackend) ClearMainLog() error {
	f.record("clearLog")
	return os.WriteFile(f.mainLog, nil, 0o600)
}
func (f *fakeBackend) Shutdown() error { f.setState(-1, "SHUTDOWN"); return nil }
func (f *fakeBackend) Restart() error  { f.setState(0, "RESTARTING"); return nil }
func (f *fakeBackend) ProcessInfo(ctx context.Context, name string) (ProcessInfo, error) {
	p, err := f.proc(name)
	if err != nil {
		return ProcessInfo{}, err
	}
	return *p, nil
}
func (f *fakeBackend) AllProcessInfo(ctx context.Context) ([]ProcessInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ProcessInfo
	for _, p := range f.procs {
		out = append(out, *p)
	}
	return out, nil
}
func (f *fakeBackend) AllConfigInfo(ctx context.Context) ([]ConfigInfo, error) {
	return []ConfigInfo{
		{Name: "web", Group: "web", Command: "/bin/web", Autostart: true, InUse: true, Exitcodes: []int{0}, UID: "none", StdoutLogfile: "auto", StopSignal: 15},
		{Name: "a", Group: "grp", Command: "/bin/a", Exitcodes: []int{0, 2}, UID: 1000, StopSignal: 1},
	}, nil
}
func (f *fakeBackend) StartProcess(ctx context.Context, name string, wait bool) error {
	p, err := f.proc(name)
	if err != nil {
		return err
	}
	f.record("start " + name)
	if f.started != nil {
		f.started <- struct{}{}
	}
	if f.startGate != nil && wait {
		select {
		case <-f.startGate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if p.State == stateRunning {
		return NewFault(AlreadyStarted, name)
	}
	return nil
}
func (f *fakeBackend) StartProcessGroup(ctx context.Context, name string, wait bool) ([]Result, error) {
	return f.groupResults(name, Success, "OK")
}
func (f *fakeBackend) StartAllProcesses(ctx context.Context, wait bool) ([]Result, error) {
	return []Result{{Name: "a", Group: "grp", Status: SpawnError, Description: "SPAWN_ERROR: a"}}, nil
}
func (f *fakeBackend) StopProcess(ctx context.Context, name string, wait bool) error {
	p, err := f.proc(name)
	if err != nil {
		return err
	}
	if p.State != stateRunning {
		return NewFault(NotRunning, name)
	}
	return nil
}
func (f *fakeBackend) StopProcessGroup(ctx context.Context, name string, wait bool) ([]Result, error) {
	return f.groupResults(name, Success, "OK")
}
func (f *fakeBackend) StopAllProcesses(ctx context.Context, wait bool) ([]Result, error) {
	return nil, nil
}
func (f *fakeBackend) SignalProcess(ctx context.Context, name, signal string) error {
	if _, err := f.proc(name); err != nil {
		return err
	}
	if signal != "HUP" && signal != "1" {
		return NewFault(BadSignal, signal)
	}
	f.record("signal " + name + " " + signal)
	return nil
}
func (f *fakeBackend) SignalProcessGroup(ctx context.Context, name, signal string) ([]Result, error) {
	return f.groupResults(name, Success, "OK")
}
func (f *fakeBackend) SignalAllProcesses(ctx context.Context, signal string) ([]Result, error) {
	f.record("signalAll " + signal)
	return []Result{{Name: "web", Group: "web", Status: Success, Description: "OK"}}, nil
}
func (f *fakeBackend) SendProcessStdin(ctx context.Context, name, chars string) error {
	p, err := f.proc(name)
	if err != nil {
		return err
	}
	if p.State != stateRunning {
		return NewFault(NotRunning, name)
	}
	f.mu.Lock()
	f.stdin[name] += chars
	f.mu.Unlock()
	return nil
}
func (f *fakeBackend) SendRemoteCommEvent(ctx context.Context, typ, data string) error {
	f.mu.Lock()
	f.events = append(f.events, typ+"|"+data)
	f.mu.Unlock()
	return nil
}
func (f *fakeBackend) ReloadConfig(ctx context.Context) (added, changed, removed []string, err error) {
	return []string{"new"}, nil, []string{"old1", "old2"}, nil
}
func (f *fakeBackend) AddProcessGroup(ctx context.Context, name string) error {
	if name == "web" {
		return NewFault(AlreadyAdded, name)
	}
	if name != "new" {
		return NewFault(BadName, name)
	}
	return nil
}
func (f *fakeBackend) RemoveProcessGroup(ctx context.Context, name string) error {
	if name == "web" {
		return NewFault(StillRunning, name)
	}
	return errors.New("disk on fire")
}
func (f *fakeBackend) ProcessLogPath(ctx context.Context, name, channel string) (string, error) {
	g, p := SplitNamespec(name)
	if _, err := f.proc(name); err != nil {
		return "", err
	}
	return f.logs[g+":"+p+"/"+channel], nil
}
func (f *fakeBackend) ClearProcessLogs(ctx context.Context, name string) error {
	if _, err := f.proc(name); err != nil {
		return err
	}
	if f.failWith != nil {
		return f.failWith
	}
	f.record("clear " + name)
	return nil
}
func (f *fakeBackend) ClearAllProcessLogs(ctx context.Context) ([]Result, error) {
	return []Result{{Name: "web", Group: "web", Status: Success, Description: "OK"}}, nil
}

// testServer serves a fake backend on a unix socket in a temp dir.
type testServer struct {
	f    *fakeBackend
	srv  *Server
	sock string
	url  string
}

func startServer(t *testing.T, f *fakeBackend, opts ServerOptions) *testServer {
	t.Helper()
	dir, err := os.MkdirTemp("", "rpc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s.sock")
	l, err := ListenUnix(sock, 0, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	srv := NewServer(f, opts)
	serve(t, l, srv)
	return &testServer{f: f, srv: srv, sock: sock, url: "unix://" + sock}
}

// serve runs h on l until the test ends.
func serve(t *testing.T, l net.Listener, h http.Handler) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, h, 2*time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
}
