package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/superd/superd/internal/web"
	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/rpc"
)

// fakeBackend answers what the page reads; other methods panic.
type fakeBackend struct {
	rpc.Backend
	procs []rpc.ProcessInfo
}

func (f *fakeBackend) Identification() string { return "fake" }
func (f *fakeBackend) State() rpc.State       { return rpc.State{Code: 1, Name: "RUNNING"} }
func (f *fakeBackend) MainLogPath() string    { return "" }
func (f *fakeBackend) AllProcessInfo(context.Context) ([]rpc.ProcessInfo, error) {
	return f.procs, nil
}

// fakeJobs is a JobsBackend recording the calls.
type fakeJobs struct {
	mu    sync.Mutex
	calls []string
	jobs  []rpc.JobInfo
}

func (f *fakeJobs) call(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	if strings.HasSuffix(s, " nope") {
		return rpc.NewFault(rpc.BadName, "nope")
	}
	if strings.HasSuffix(s, " busy") {
		return rpc.NewFault(rpc.AlreadyStarted, "busy")
	}
	return nil
}
func (f *fakeJobs) AllJobInfo(context.Context) ([]rpc.JobInfo, error) { return f.jobs, nil }
func (f *fakeJobs) JobInfo(_ context.Context, n string) (rpc.JobInfo, error) {
	return f.jobs[0], nil
}
func (f *fakeJobs) RunJob(_ context.Context, n string) error     { return f.call("run " + n) }
func (f *fakeJobs) EnableJob(_ context.Context, n string) error  { return f.call("enable " + n) }
func (f *fakeJobs) DisableJob(_ context.Context, n string) error { return f.call("disable " + n) }
func (f *fakeJobs) SetJobSchedule(_ context.Context, n, s string) error {
	return f.call("schedule " + n)
}
func (f *fakeJobs) HoldJobs(context.Context) error    { return f.call("hold") }
func (f *fakeJobs) ReleaseJobs(context.Context) error { return f.call("release") }
func (f *fakeJobs) JobHistory(_ context.Context, n string, limit int) ([]rpc.JobRun, error) {
	return []rpc.JobRun{{Start: 1700000000, End: 1700000002, Duration: 2, Result: "ok", Trigger: "manual"}}, nil
}
func (f *fakeJobs) JobNextRuns(context.Context, string, int) ([]int64, error) { return nil, nil }
func (f *fakeJobs) JobLogPath(context.Context, string) (string, error)        { return "", nil }

// TestJobsSection checks the jobs section through a fake jobs backend:
// rendered with the schedule in words, actions with the CSRF token,
// history, the page told about job events, and job metrics.
func TestJobsSection(t *testing.T) {
	t.Parallel()
	bus := events.NewBus()
	defer bus.Close()
	jobs := &fakeJobs{jobs: []rpc.JobInfo{{Name: "backup", Schedule: "times 02:00", Description: "every day at 02:00 <UTC>",
		Enabled: true, LastResult: "ok", LastStart: 1700000000, NextRun: 1700086400, Runs: 3}}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := web.New(ctx, web.Options{Backend: &fakeBackend{}, Bus: bus, Jobs: jobs})
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	var page strings.Builder
	bufio.NewReader(resp.Body).WriteTo(&page)
	resp.Body.Close()
	for _, want := range []string{`id="jobs"`, `data-job="backup"`, "every day at 02:00 &lt;UTC&gt;", `value="run|backup"`, `value="disable|backup"`} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	token := regexp.MustCompile(`csrf-token" content="([^"]+)"`).FindStringSubmatch(page.String())[1]

	post := func(body, tok string) (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+"/api/jobs/action", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		if tok != "" {
			req.Header.Set("X-CSRF-Token", tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		bufio.NewReader(resp.Body).WriteTo(&b)
		return resp.StatusCode, b.String()
	}
	if code, _ := post(`{"action":"run","name":"backup"}`, ""); code != 403 {
		t.Errorf("job action without token: %d, want 403", code)
	}
	if code, body := post(`{"action":"run","name":"backup"}`, token); code != 200 || !strings.Contains(body, `"backup: queued"`) {
		t.Errorf("run: %d %s", code, body)
	}
	if _, body := post(`{"action":"run","name":"nope"}`, token); !strings.Contains(body, `"nope: ERROR (no such job)"`) {
		t.Errorf("run nope: %s", body)
	}
	// superctl jobs run's words
	if _, body := post(`{"action":"run","name":"busy"}`, token); !strings.Contains(body, `"busy: ERROR (already running; overlap=skip)"`) {
		t.Errorf("run busy: %s", body)
	}
	post(`{"action":"hold"}`, token)
	jobs.mu.Lock()
	if got := strings.Join(jobs.calls, ","); got != "run backup,run nope,run busy,hold" {
		t.Errorf("calls %q", got)
	}
	jobs.mu.Unlock()

	resp, err = http.Get(srv.URL + "/api/jobs/history?name=backup")
	if err != nil {
		t.Fatal(err)
	}
	var runs []rpc.JobRun
	json.NewDecoder(resp.Body).Decode(&runs)
	resp.Body.Close()
	if len(runs) != 1 || runs[0].Result != "ok" {
		t.Errorf("history %+v", runs)
	}

	// A job event tells open pages to reload the section.
	ectx, ecancel := context.WithTimeout(ctx, 30*time.Second)
	defer ecancel()
	req, _ := http.NewRequestWithContext(ectx, "GET", srv.URL+"/api/events", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	// next returns the data of the next message event (the csrf event
	// is checked on the way)
	event := ""
	next := func() string {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("event stream: %v", err)
			}
			if e, ok := strings.CutPrefix(line, "event: "); ok {
				event = strings.TrimSpace(e)
			}
			if line == "\n" {
				event = ""
			}
			if strings.HasPrefix(line, "data: ") && event == "csrf" {
				if line != "data: \""+token+"\"\n" {
					t.Errorf("the stream's csrf event %q, the page's token %q", line, token)
				}
				continue
			}
			if strings.HasPrefix(line, "data: ") {
				return line
			}
		}
	}
	if first := next(); !strings.Contains(first, `"type":"snapshot"`) {
		t.Fatalf("first event %q", first)
	}
	t0 := time.Now()
	bus.Publish(events.Event{Type: events.SuperdJobStarted, Job: "backup", Process: "backup", Time: t0})
	bus.Publish(events.Event{Type: events.SuperdJobFinished, Job: "backup", Process: "backup", Result: "failed", Time: t0.Add(1500 * time.Millisecond)})
	if ev := next(); !strings.Contains(ev, `"jobs":true`) {
		t.Errorf("after job events: %q", ev)
	}

	scrape := func() string {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m strings.Builder
		bufio.NewReader(resp.Body).WriteTo(&m)
		return m.String()
	}
	// the hub observes the finish right after the update it may have sent
	waitFor(t, "the run counted", func() bool {
		return strings.Contains(scrape(), `superd_job_runs_total{job="backup",result="failed"} 1`)
	})
	// A control's change (hold: no job name) reaches open pages too, and
	// counts no run.
	bus.Publish(events.Event{Type: events.SuperdJobChanged, Reason: "held"})
	if ev := next(); !strings.Contains(ev, `"jobs":true`) {
		t.Errorf("after SUPERD_JOB_CHANGED: %q", ev)
	}
	m := scrape()
	if strings.Contains(m, `job=""`) {
		t.Errorf("SUPERD_JOB_CHANGED made a series for job \"\":\n%s", m)
	}
	for _, want := range []string{`superd_job_duration_seconds_bucket{job="backup",le="5"} 1`,
		`superd_job_duration_seconds_bucket{job="backup",le="1"} 0`, `superd_job_next_run_timestamp_seconds{job="backup"} 1.7000864e+09`, `superd_job_enabled{job="backup"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
