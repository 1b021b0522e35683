package rpc

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fakeJobs is a JobsBackend over a map.
type fakeJobs struct {
	jobs  map[string]*JobInfo
	held  bool
	log   string
	calls []string
}

func (f *fakeJobs) get(name string) (*JobInfo, error) {
	j := f.jobs[name]
	if j == nil {
		return nil, NewFault(BadName, name)
	}
	return j, nil
}
func (f *fakeJobs) AllJobInfo(ctx context.Context) ([]JobInfo, error) {
	var out []JobInfo
	for _, n := range slices.Sorted(mapsKeys(f.jobs)) {
		out = append(out, *f.jobs[n])
	}
	return out, nil
}
func (f *fakeJobs) JobInfo(ctx context.Context, name string) (JobInfo, error) {
	j, err := f.get(name)
	if err != nil {
		return JobInfo{}, err
	}
	return *j, nil
}
func (f *fakeJobs) RunJob(ctx context.Context, name string) error {
	j, err := f.get(name)
	if err == nil && j.Running {
		return NewFault(AlreadyStarted, name)
	}
	f.calls = append(f.calls, "run "+name)
	return err
}
func (f *fakeJobs) EnableJob(ctx context.Context, name string) error {
	j, err := f.get(name)
	if err == nil {
		j.Enabled = true
	}
	return err
}
func (f *fakeJobs) DisableJob(ctx context.Context, name string) error {
	j, err := f.get(name)
	if err == nil {
		j.Enabled = false
	}
	return err
}
func (f *fakeJobs) SetJobSchedule(ctx context.Context, name, spec string) error {
	if _, err := f.get(name); err != nil {
		return err
	}
	if spec == "bad" {
		return NewFault(BadArguments, "bad spec")
	}
	f.calls = append(f.calls, "schedule "+name+" "+spec)
	return nil
}
func (f *fakeJobs) HoldJobs(ctx context.Context) error    { f.held = true; return nil }
func (f *fakeJobs) ReleaseJobs(ctx context.Context) error { f.held = false; return nil }
func (f *fakeJobs) JobHistory(ctx context.Context, name string, limit int) ([]JobRun, error) {
	if _, err := f.get(name); err != nil {
		return nil, err
	}
	runs := []JobRun{{Start: 3, Result: "ok"}, {Start: 2, Result: "failed", ExitStatus: 1}, {Start: 1, Result: "skipped", SkipReason: "still running"}}
	if limit > 0 && limit < len(runs) {
		runs = runs[:limit]
	}
	return runs, nil
}
func (f *fakeJobs) JobNextRuns(ctx context.Context, name string, count int) ([]int64, error) {
	out := make([]int64, count)
	for i := range out {
		out[i] = int64(100 * (i + 1))
	}
	return out, nil
}
func (f *fakeJobs) JobLogPath(ctx context.Context, name string) (string, error) {
	if _, err := f.get(name); err != nil {
		return "", err
	}
	return f.log, nil
}

func mapsKeys(m map[string]*JobInfo) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// extFake is a Backend that is also an Extender.
type extFake struct {
	*fakeBackend
	jobs *fakeJobs
}

func (e extFake) SuperdMethods() []Method { return JobMethods(e.jobs) }

func TestSuperdNamespace(t *testing.T) {
	log := filepath.Join(t.TempDir(), "job.log")
	os.WriteFile(log, []byte("hello job\n"), 0o644)
	jobs := &fakeJobs{jobs: map[string]*JobInfo{
		"a": {Name: "a", Schedule: "interval 10", Description: "every 10 seconds", Enabled: true, LastResult: "never"},
		"b": {Name: "b", Running: true, PID: 42},
	}, log: log}
	fb := newFake(t)
	srv := NewServer(extFake{fb, jobs}, ServerOptions{})
	ts := startServerHandler(t, srv)
	c := NewClient(ts, "", "")
	defer c.Close()
	ctx := ctx(t)

	names, err := c.ListMethods(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var superd []string
	for _, n := range names {
		if strings.HasPrefix(n, "superd.") {
			superd = append(superd, n)
		}
	}
	if len(names)-len(superd) != 41 || len(superd) != 11 {
		t.Fatalf("listMethods: %d names, superd.* %v", len(names), superd)
	}
	for _, n := range superd {
		m := srv.methods[n]
		if got := gettags(m.help()); !reflect.DeepEqual(got, m.signature()) {
			t.Errorf("%s: help tags %v, signature %v", n, got, m.signature())
		}
	}
	sig, err := c.MethodSignature(ctx, "superd.setJobSchedule")
	if err != nil || !reflect.DeepEqual(sig, []string{"boolean", "string", "string"}) {
		t.Fatalf("signature %v %v", sig, err)
	}

	all, err := c.AllJobInfo(ctx)
	if err != nil || len(all) != 2 || all[0].Description != "every 10 seconds" || all[1].PID != 42 {
		t.Fatalf("AllJobInfo %+v %v", all, err)
	}
	_, err = c.JobInfo(ctx, "zz")
	wantFault(t, err, BadName, "BAD_NAME: zz")
	wantFault(t, c.RunJob(ctx, "b"), AlreadyStarted, "ALREADY_STARTED: b")
	if err := c.RunJob(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	wantFault(t, c.SetJobSchedule(ctx, "a", "bad"), BadArguments, "BAD_ARGUMENTS: bad spec")
	if err := c.DisableJob(ctx, "a"); err != nil || jobs.jobs["a"].Enabled {
		t.Fatalf("disable: %v", err)
	}
	if err := c.HoldJobs(ctx); err != nil || !jobs.held {
		t.Fatalf("hold: %v", err)
	}
	h, err := c.JobHistory(ctx, "a", 2)
	if err != nil || len(h) != 2 || h[1].Result != "failed" {
		t.Fatalf("history %+v %v", h, err)
	}
	// limit is optional
	if v, err := c.Call(ctx, "superd.getJobHistory", "a"); err != nil || len(v.([]any)) != 3 {
		t.Fatalf("history without limit: %v %v", v, err)
	}
	// superd.* methods name the argument (supervisord's own answer a
	// bare INCORRECT_PARAMETERS, TestIncorrectParameters)
	_, err = c.Call(ctx, "superd.getJobHistory", "a", "x")
	wantFault(t, err, IncorrectParameters, "INCORRECT_PARAMETERS: superd.getJobHistory: limit must be int, not string")
	_, err = c.Call(ctx, "superd.getJobHistory", "a", []any{1})
	wantFault(t, err, IncorrectParameters, "INCORRECT_PARAMETERS: superd.getJobHistory: limit must be int, not array")
	_, err = c.Call(ctx, "superd.getJobHistory", 5)
	wantFault(t, err, IncorrectParameters, "INCORRECT_PARAMETERS: superd.getJobHistory: name must be string, not int")
	_, err = c.Call(ctx, "superd.getJobHistory")
	wantFault(t, err, IncorrectParameters, "INCORRECT_PARAMETERS: superd.getJobHistory(name, limit=0) got 0 arguments")
	_, err = c.Call(ctx, "superd.holdJobs", "x")
	wantFault(t, err, IncorrectParameters, "INCORRECT_PARAMETERS: superd.holdJobs() got 1 arguments")
	next, err := c.JobNextRuns(ctx, "a", 3)
	if err != nil || !reflect.DeepEqual(next, []int64{100, 200, 300}) {
		t.Fatalf("next %v %v", next, err)
	}
	_, err = c.JobNextRuns(ctx, "a", 0)
	wantFault(t, err, BadArguments, "")
	data, off, overflow, err := c.TailJobLog(ctx, "a", 0, 5)
	if err != nil || off != 10 || !overflow || data != " job\n" {
		t.Fatalf("tail: %q %d %v %v", data, off, overflow, err)
	}

	// multicall mixes both namespaces.
	res, err := c.Multicall(ctx, []MultiCall{{Method: "supervisor.getPID"}, {Method: "superd.runJob", Params: []any{"a"}}, {Method: "superd.getJobInfo", Params: []any{"nope"}}})
	if err != nil || res[0] != 77 || res[1] != true {
		t.Fatalf("multicall %v %v", res, err)
	}
	wantFault(t, res[2].(error), BadName, "BAD_NAME: nope")

	// SHUTDOWN_STATE applies to superd.* as to supervisor.*.
	fb.mu.Lock()
	fb.state = State{Code: -1, Name: "SHUTDOWN"}
	fb.mu.Unlock()
	wantFault(t, c.RunJob(ctx, "a"), ShutdownState, "SHUTDOWN_STATE")
}

func TestSuperdMethodsWithoutExtender(t *testing.T) {
	ts := startServer(t, newFake(t), ServerOptions{})
	c := NewClient(ts.url, "", "")
	defer c.Close()
	_, err := c.AllJobInfo(ctx(t))
	wantFault(t, err, UnknownMethod, "UNKNOWN_METHOD")
}

func TestCheckMethods(t *testing.T) {
	fn := func(context.Context, []any) (any, error) { return true, nil }
	for _, tc := range []struct {
		ms   []Method
		want string
	}{
		{[]Method{{Name: "supervisor.x", Func: fn}}, "not a superd.* method name"},
		{[]Method{{Name: "superd._x", Func: fn}}, "not a superd.* method name"},
		{[]Method{{Name: "superd.a.b", Func: fn}}, "not a superd.* method name"},
		{[]Method{{Name: "superd.x", Func: fn}, {Name: "superd.x", Func: fn}}, "registered twice"},
		{[]Method{{Name: "superd.x"}}, "no function"},
		{[]Method{{Name: "superd.x", Func: fn, Params: []Param{{Name: "a", Default: 1}, {Name: "b"}}}}, "required parameter b"},
		{[]Method{{Name: "superd.x", Func: fn}}, ""},
	} {
		err := CheckMethods(tc.ms)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%v: %v, want %q", tc.ms[0].Name, err, tc.want)
		}
	}
	// An invalid set is not served, and supervisor.* still is.
	srv := NewServer(newFake(t), ServerOptions{Methods: []Method{{Name: "supervisor.getPID", Func: fn}}})
	if v, err := srv.Call(context.Background(), "supervisor.getPID", nil); err != nil || v != 77 {
		t.Fatalf("getPID %v %v", v, err)
	}
}

// startServerHandler serves srv on a temporary unix socket and returns
// its URL.
func startServerHandler(t *testing.T, srv *Server) string {
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
	serve(t, l, srv)
	return "unix://" + sock
}
