package web_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/superd/superd/internal/testproc"
)

// scrape fetches /metrics, checks it with promtool (when installed)
// and parses it.
func (d *daemon) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	resp, body := d.get("/metrics")
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	if promtool, err := exec.LookPath("promtool"); err == nil {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

// value returns the value of the series of family name whose labels
// include want (name=value pairs); -1 if absent.
func value(fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// TestMetrics checks /metrics with promtool and expfmt, and that the
// values follow processes as they stop, start and get killed.
func TestMetrics(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("promtool"); err != nil {
		t.Log("promtool not installed (Debian package prometheus): format checked by expfmt only")
	}
	d := startDaemon(t, superdBin, "", "", program(t, "web", "sleep")+program(t, "other", "sleep")+
		"[group:pool]\nprograms=w1\n"+program(t, "w1", "spawn-grandchild", "$DIR/gc.pid")+"stopasgroup=true\n")
	waitFor(t, "running", func() bool { return d.state("web") == "RUNNING" && d.state("pool:w1") == "RUNNING" })
	f := d.scrape(t)
	web := []string{"group", "web", "name", "web"}
	for _, c := range []struct {
		name string
		l    []string
		want float64
	}{
		{"superd_process_up", web, 1},
		{"superd_process_state", append(web, "state", "RUNNING"), 1},
		{"superd_process_state", append(web, "state", "STOPPED"), 0},
		{"superd_process_restarts_total", web, 0},
		{"superd_state", []string{"state", "RUNNING"}, 1},
		{"superd_processes", []string{"state", "RUNNING"}, 3},
	} {
		if v := value(f, c.name, c.l...); v != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.l, v, c.want)
		}
	}
	if v := value(f, "superd_process_resident_memory_bytes", web...); v <= 0 {
		t.Errorf("RSS of web = %v", v)
	}
	if v := value(f, "superd_process_start_time_seconds", web...); v <= 1e9 {
		t.Errorf("start time of web = %v", v)
	}
	waitFor(t, "grandchild counted in w1's group", func() bool {
		return value(d.scrape(t), "superd_process_group_processes", "group", "pool", "name", "w1") == 2
	})
	if f["go_goroutines"] == nil || f["process_resident_memory_bytes"] == nil {
		t.Error("superd's own Go and process collectors are missing")
	}

	if err := d.client.StopProcess(t.Context(), "web", true); err != nil {
		t.Fatal(err)
	}
	f = d.scrape(t)
	if v := value(f, "superd_process_up", web...); v != 0 {
		t.Errorf("up after stop = %v", v)
	}
	if v := value(f, "superd_process_state", append(web, "state", "STOPPED")...); v != 1 {
		t.Errorf("state STOPPED after stop = %v", v)
	}
	if err := d.client.StartProcess(t.Context(), "web", true); err != nil {
		t.Fatal(err)
	}
	info, err := d.client.GetProcessInfo(t.Context(), "other")
	if err != nil {
		t.Fatal(err)
	}
	if err := testproc.Kill(info.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "other restarted", func() bool {
		i, _ := d.client.GetProcessInfo(t.Context(), "other")
		return i.StateName == "RUNNING" && i.PID != info.PID
	})
	f = d.scrape(t)
	if v := value(f, "superd_process_restarts_total", web...); v != 1 {
		t.Errorf("restarts of web = %v, want 1", v)
	}
	other := []string{"group", "other", "name", "other"}
	if v := value(f, "superd_process_exits_total", append(other, "expected", "false")...); v != 1 {
		t.Errorf("unexpected exits of other = %v, want 1", v)
	}
	if v := value(f, "superd_process_restarts_total", other...); v != 1 {
		t.Errorf("restarts of other = %v, want 1", v)
	}
}

// TestAuth checks that the page, its streams and /metrics sit behind
// the same basic auth as XML-RPC, and that XML-RPC still answers.
func TestAuth(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, superdBin, "user", "secret", program(t, "web", "sleep"))
	for _, p := range []string{"/", "/metrics", "/api/events", "/index.html?processname=web&action=stop"} {
		t0 := time.Now()
		resp, _ := d.do("GET", p, "", "Authorization", "Basic "+"dXNlcjp3cm9uZw==") // user:wrong
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s with a wrong password: %s", p, resp.Status)
		}
		if dt := time.Since(t0); dt < 900*time.Millisecond {
			t.Errorf("%s: a wrong password was answered after %v, want a delay", p, dt)
		}
	}
	for _, p := range []string{"/log.html?main=1", "/tail.html?processname=web", "/static/app.js"} {
		if resp, _ := d.do("GET", p, "", "Authorization", ""); resp.StatusCode != 401 {
			t.Errorf("%s without credentials: %s", p, resp.Status)
		}
	}
	if !strings.Contains(d.out.String(), "authentication failed") || !strings.Contains(d.out.String(), "127.0.0.1:") {
		t.Errorf("failed logins not logged with the peer address:\n%s", d.out)
	}
	if d.state("web") != "RUNNING" {
		t.Errorf("web is %s after unauthenticated requests", d.state("web"))
	}
	resp, body := d.get("/")
	if resp.StatusCode != 200 || !strings.Contains(body, `data-ns="web"`) {
		t.Errorf("/ with credentials: %s", resp.Status)
	}
	resp, _ = d.get("/metrics")
	if resp.StatusCode != 200 {
		t.Errorf("/metrics with credentials: %s", resp.Status)
	}
	if _, err := d.client.GetState(t.Context()); err != nil {
		t.Errorf("XML-RPC: %v", err)
	}
}

// TestMetricsOff: [supervisord] metrics = false leaves /metrics out.
func TestMetricsOff(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, superdBin, "", "", "[supervisord]\nmetrics = false\n\n")
	if resp, _ := d.get("/metrics"); resp.StatusCode != 404 {
		t.Errorf("/metrics with metrics = false: %s", resp.Status)
	}
	if resp, _ := d.get("/"); resp.StatusCode != 200 {
		t.Errorf("/ with metrics = false: %s", resp.Status)
	}
}

// TestCrossSite checks the CSRF protection of actions and that the page
// is served on the unix socket too.
func TestCrossSite(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, superdBin, "", "", program(t, "web", "sleep"))
	waitFor(t, "web RUNNING", func() bool { return d.state("web") == "RUNNING" })
	_, page := d.get("/")
	tok := regexp.MustCompile(`csrf-token" content="([^"]+)"`).FindStringSubmatch(page)[1]
	json := []string{"Content-Type", "application/json", "Accept", "application/json"}
	for _, c := range []struct {
		what         string
		method, path string
		body         string
		hdr          []string
	}{
		{"supervisord GET action from another site", "GET", "/index.html?processname=web&action=stop", "", []string{"Sec-Fetch-Site", "cross-site"}},
		{"supervisord form POST from another origin", "POST", "/index.html", "processname=web&action=stop", []string{"Content-Type", "application/x-www-form-urlencoded", "Origin", "http://evil.example"}},
		{"action without token", "POST", "/action", `{"action":"stop","name":"web"}`, json},
		{"action with a wrong token", "POST", "/action", `{"action":"stop","name":"web"}`, append(json, "X-CSRF-Token", "x"+tok)},
		{"action with token from another origin", "POST", "/action", `{"action":"stop","name":"web"}`, append(json, "X-CSRF-Token", tok, "Origin", "http://evil.example")},
		{"action as a GET", "GET", "/action?op=stop|web&csrf=" + tok, "", nil},
	} {
		resp, _ := d.do(c.method, c.path, c.body, c.hdr...)
		if resp.StatusCode != 403 && resp.StatusCode != 404 && resp.StatusCode != 405 {
			t.Errorf("%s: %s, want it refused", c.what, resp.Status)
		}
	}
	if s := d.state("web"); s != "RUNNING" {
		t.Fatalf("web is %s after refused requests", s)
	}
	resp, body := d.do("POST", "/action", `{"action":"stop","name":"web"}`, append(json, "X-CSRF-Token", tok, "Origin", d.base)...)
	if resp.StatusCode != 200 || !strings.Contains(body, `"web: stopped"`) {
		t.Errorf("action with token, same origin: %s %s", resp.Status, body)
	}
	resp, body = d.do("POST", "/action", `{"action":"stop","name":"web"}`, append(json, "X-CSRF-Token", tok)...)
	if !strings.Contains(body, `"web: ERROR (not running)"`) {
		t.Errorf("second stop: %s %s", resp.Status, body)
	}
	resp, body = d.do("POST", "/action", `{"action":"start","name":"nope:*"}`, append(json, "X-CSRF-Token", tok)...)
	if !strings.Contains(body, `"nope: ERROR (no such group)"`) {
		t.Errorf("start nope:*: %s %s", resp.Status, body)
	}
	// The form of the page without JavaScript: back to the page with
	// the lines, by a relative URL (superd behind a proxy at /sub/ sees
	// /action, and the page is at /sub/).
	resp, _ = d.do("POST", "/action", "csrf="+tok+"&op=start|web", "Content-Type", "application/x-www-form-urlencoded")
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || loc != "./?message=web%3A%20started" {
		t.Errorf("form action: %s, Location %q, want 303 to ./?message=web%%3A%%20started", resp.Status, loc)
	}

	// The same page on the unix socket.
	uc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", d.sock)
	}}}
	r, err := uc.Get("http://localhost/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 || !strings.Contains(string(b), `data-ns="web"`) {
		t.Errorf("/ on the unix socket: %s", r.Status)
	}
}

// TestHealth: a failing healthcheck shows in the page's description and
// as superd_process_healthy 0, a passing one as 1.
func TestHealth(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, superdBin, "", "", program(t, "web", "sleep")+
		"healthcheck = exec:/bin/test -e $DIR/healthy\nhealthcheck_interval = 1\nhealthcheck_retries = 1\nhealthcheck_action = none\n")
	waitFor(t, "unhealthy metric", func() bool {
		return value(d.scrape(t), "superd_process_healthy", "group", "web", "name", "web") == 0
	})
	if _, page := d.get("/"); !strings.Contains(page, "unhealthy") {
		t.Errorf("the page does not say unhealthy")
	}
	if err := os.WriteFile(d.dir+"/healthy", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "healthy metric", func() bool {
		return value(d.scrape(t), "superd_process_healthy", "group", "web", "name", "web") == 1
	})
}

// TestMetricsLogBytes: superd_process_log_bytes_total counts each
// process's output per stream (exactly, for a child that writes a known
// amount; growing, for a chatty one), and
// superd_process_log_dropped_bytes_total counts what could not be
// written once the log's directory is removed, for that process only;
// superd.getProcessStats carries the same counters.
func TestMetricsLogBytes(t *testing.T) {
	t.Parallel()
	sub := t.TempDir()
	d := startDaemon(t, superdBin, "", "", program(t, "exact", "print-lines-wait", "3", "hello")+
		"[program:chatty]\ncommand=/bin/sh -c 'while :; do echo out; echo err >&2; sleep 0.05; done'\nstartsecs=0\n"+
		"stdout_logfile="+sub+"/chatty.log\nstdout_logfile_maxbytes=0\nstderr_logfile="+sub+"/chatty.err\nstderr_logfile_maxbytes=0\n")
	exact := []string{"group", "exact", "name", "exact"}
	chatty := []string{"group", "chatty", "name", "chatty"}
	bytes := func(f map[string]*dto.MetricFamily, l []string, stream string) float64 {
		return value(f, "superd_process_log_bytes_total", append(l, "stream", stream)...)
	}
	var f map[string]*dto.MetricFamily
	waitFor(t, "exact's 24 bytes counted", func() bool { f = d.scrape(t); return bytes(f, exact, "stdout") == 24 })
	if v := bytes(f, exact, "stderr"); v != 0 {
		t.Errorf("exact's stderr bytes = %v, want 0", v)
	}
	out0, err0 := bytes(f, chatty, "stdout"), bytes(f, chatty, "stderr")
	waitFor(t, "chatty's counters growing", func() bool {
		f = d.scrape(t)
		return bytes(f, chatty, "stdout") > out0 && bytes(f, chatty, "stderr") > err0 && out0 >= 0 && err0 >= 0
	})
	for _, l := range [][]string{exact, chatty} {
		if v := value(f, "superd_process_log_dropped_bytes_total", l...); v != 0 {
			t.Errorf("dropped bytes %v = %v before anything was dropped", l, v)
		}
	}

	// The log directory goes; at the next reopen (SIGUSR2) the files
	// cannot be created and chatty's output is dropped.
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGUSR2)
	waitFor(t, "chatty's output dropped and counted", func() bool {
		f = d.scrape(t)
		return value(f, "superd_process_log_dropped_bytes_total", chatty...) > 0
	})
	if v := value(f, "superd_process_log_dropped_bytes_total", exact...); v != 0 {
		t.Errorf("exact's dropped bytes = %v, want 0 (its log is elsewhere)", v)
	}
	st, err := d.client.ProcessStats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		switch s.Name {
		case "exact":
			if s.LogStdoutBytes != 24 || s.LogStderrBytes != 0 || s.LogDroppedBytes != 0 {
				t.Errorf("getProcessStats exact: %+v", s)
			}
		case "chatty":
			if s.LogStdoutBytes == 0 || s.LogStderrBytes == 0 || s.LogDroppedBytes == 0 {
				t.Errorf("getProcessStats chatty: %+v", s)
			}
		}
	}
}
