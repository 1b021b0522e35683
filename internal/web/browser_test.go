package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"
	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/internal/testutil"
)

const chromiumBin = "/usr/bin/chromium"

// newBrowser starts a headless Chromium (skipping the test when it is
// not installed) and returns a tab's context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumBin); err != nil {
		t.Skipf("chromium not installed (Debian package chromium): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumBin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// artifact saves a screenshot where SUPERD_ARTIFACTS says (the test's
// temp dir otherwise) and logs the path.
func artifact(t *testing.T, name string, png []byte) {
	dir := os.Getenv("SUPERD_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	os.MkdirAll(dir, 0o755)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Error(err)
	}
	t.Logf("screenshot: %s", p)
}

// do runs browser steps, each action bounded by a deadline.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one browser action that returns a value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return get(t, ctx, chromedp.TextContent(chromedp.CSS(sel)))
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[T](expr))
}

// pageState is the state a row shows (data-state), "" if absent.
func pageState(t *testing.T, ctx context.Context, ns string) string {
	t.Helper()
	return eval[string](t, ctx, fmt.Sprintf(`(function(){const r=document.querySelector('tr[data-ns=%q]'); return r ? r.dataset.state : ""})()`, ns))
}

const chattyCmd = `/bin/sh -c 'i=0; while :; do echo "chatty line $i"; i=$((i+1)); sleep 0.2; done'`

// TestBrowser drives the dashboard in headless Chromium against a real
// superd: the table, a click on stop, a change made elsewhere and a
// kill -9 seen live, the log view streaming a line written after it
// opened (pause, resume), and escaping of names, descriptions and log
// lines.
func TestBrowser(t *testing.T) {
	ctx := newBrowser(t)
	t.Parallel()
	progs := program(t, "web", "sleep") + "startsecs=1\n" +
		"[program:chatty]\ncommand=" + chattyCmd + "\nstartsecs=0\n" +
		program(t, "xss", "print-lines-wait", "1", "<script>window.__xss=1</script>") +
		"[program:x<b>y]\ncommand=/nonexistent/<script>window.__xss=2</script>\nstartretries=0\n" +
		"[group:pool]\nprograms=w1,w2\n" + program(t, "w1", "sleep") + program(t, "w2", "sleep")
	d := startDaemon(t, superdBin, "", "", progs)
	waitFor(t, "web RUNNING", func() bool { return d.state("web") == "RUNNING" })
	waitFor(t, "x<b>y FATAL", func() bool { return d.state("x<b>y") == "FATAL" })

	do(t, ctx, "open dashboard", chromedp.Navigate(d.base+"/"), chromedp.WaitVisible(chromedp.CSS("#live.on")))
	if rows := eval[int](t, ctx, `document.querySelectorAll("tr.proc").length`); rows != 6 {
		t.Fatalf("%d process rows, want 6", rows)
	}
	// Record every state the page shows for web, with the time.
	eval[chromedp.Void](t, ctx, `window.__seen=[]; new MutationObserver(()=>{const s=document.querySelector('tr[data-ns="web"] td.status span').textContent; if(!window.__seen.length||window.__seen[window.__seen.length-1][0]!==s) window.__seen.push([s, Date.now()]);}).observe(document.getElementById("procs"),{subtree:true,childList:true,characterData:true,attributes:true})`)

	// Click stop: STOPPED shows without a reload, with superctl's line.
	do(t, ctx, "click stop", chromedp.Click(chromedp.CSS(`tr[data-ns="web"] button.a-stop`)))
	waitFor(t, "web STOPPED on the page", func() bool { return pageState(t, ctx, "web") == "0" })
	waitFor(t, "action message", func() bool { return text(t, ctx, "#statusmessage") == "web: stopped" })
	do(t, ctx, "click start", chromedp.Click(chromedp.CSS(`tr[data-ns="web"] button.a-start`)))
	waitFor(t, "web RUNNING on the page", func() bool { return pageState(t, ctx, "web") == "20" })
	waitFor(t, "start message", func() bool { return text(t, ctx, "#statusmessage") == "web: started" })

	// A state change made elsewhere reaches the page: stop over XML-RPC.
	eval[chromedp.Void](t, ctx, `window.__seen=[]`)
	t0 := time.Now()
	if err := d.client.StopProcess(t.Context(), "web", false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "STOPPED pushed", func() bool { return pageState(t, ctx, "web") == "0" })
	for _, s := range eval[[][]any](t, ctx, `window.__seen`) {
		if s[0] == "stopped" {
			ms := int64(s[1].(float64)) - t0.UnixMilli()
			t.Logf("stop over XML-RPC reached the page in %d ms", ms)
			if ms > 2000 {
				t.Errorf("state change took %d ms to reach the page", ms)
			}
		}
	}
	if err := d.client.StartProcess(t.Context(), "web", true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "web RUNNING again", func() bool { return pageState(t, ctx, "web") == "20" })

	// kill -9 from outside: the page goes through starting to running
	// with a new pid.
	info, err := d.client.GetProcessInfo(t.Context(), "web")
	if err != nil {
		t.Fatal(err)
	}
	eval[chromedp.Void](t, ctx, `window.__seen=[]`)
	if err := testproc.Kill(info.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "new pid RUNNING on the page", func() bool {
		pid := text(t, ctx, `tr[data-ns="web"] td.pid`)
		return pageState(t, ctx, "web") == "20" && pid != "" && pid != strconv.Itoa(info.PID)
	})
	names := eval[[]string](t, ctx, `window.__seen.map(s=>s[0])`)
	if got := strings.Join(names, ","); !strings.HasSuffix(got, "starting,running") {
		t.Errorf("page showed %v after kill -9, want starting then running", names)
	}

	// Escaping: the program name and the spawn error are text.
	name := text(t, ctx, `tr[data-ns="x<b>y"] td.name a`)
	desc := text(t, ctx, `tr[data-ns="x<b>y"] td.desc`)
	xss := eval[any](t, ctx, `window.__xss === undefined ? null : window.__xss`)
	if name != "x<b>y" || !strings.Contains(desc, "<script>window.__xss=2</script>") || xss != nil {
		t.Errorf("name %q, description %q, __xss %v: not rendered as text", name, desc, xss)
	}
	artifact(t, "dashboard.png", get(t, ctx, chromedp.FullScreenshot(100)))

	// The filter box and collapsing a group.
	visible := `[...document.querySelectorAll("tr.proc")].filter(r => r.offsetParent !== null).map(r => r.dataset.ns).join(",")`
	do(t, ctx, "filter", chromedp.SendKeys(chromedp.CSS("#filter"), "pool"))
	waitFor(t, "filtered rows", func() bool { return eval[string](t, ctx, visible) == "pool:w1,pool:w2" })
	eval[chromedp.Void](t, ctx, `const f = document.getElementById("filter"); f.value = ""; f.dispatchEvent(new Event("input"))`)
	waitFor(t, "all rows again", func() bool { return strings.Count(eval[string](t, ctx, visible), ",") == 5 })
	do(t, ctx, "collapse pool", chromedp.Click(chromedp.CSS(`tbody[data-group="pool"] button.toggle`)))
	if v := eval[string](t, ctx, visible); strings.Contains(v, "pool:") || !strings.Contains(v, "web") {
		t.Errorf("visible after collapsing pool: %s", v)
	}

	// The log view streams a line written after it opened.
	do(t, ctx, "open log", chromedp.Navigate(d.base+"/log.html?processname=chatty&channel=stdout"), chromedp.WaitVisible(chromedp.CSS("#live.on")))
	last := lastChatty(text(t, ctx, "#log"))
	waitFor(t, "a later chatty line", func() bool { return lastChatty(text(t, ctx, "#log")) > last+2 })
	// Pause holds the output; resume shows what came meanwhile, once.
	do(t, ctx, "pause", chromedp.Click(chromedp.CSS("#pause")))
	paused := lastChatty(text(t, ctx, "#log"))
	time.Sleep(700 * time.Millisecond) // the child writes every 200 ms: lines arrive and are held
	if n := lastChatty(text(t, ctx, "#log")); n != paused {
		t.Errorf("paused log went on from line %d to %d", paused, n)
	}
	do(t, ctx, "resume", chromedp.Click(chromedp.CSS("#pause")))
	var log string
	waitFor(t, "held lines after resume", func() bool {
		log = text(t, ctx, "#log")
		return lastChatty(log) > paused+1
	})
	for i := 0; i <= lastChatty(log); i++ {
		if n := strings.Count(log, fmt.Sprintf("chatty line %d\n", i)); n > 1 {
			t.Errorf("line %d shown %d times", i, n)
		}
	}
	// Load earlier does not duplicate either (here all of it was shown).
	artifact(t, "log.png", get(t, ctx, chromedp.FullScreenshot(100)))

	// A log line holding a script is text.
	do(t, ctx, "open xss log", chromedp.Navigate(d.base+"/log.html?processname=xss"), chromedp.WaitVisible(chromedp.CSS("#live.on")))
	log = text(t, ctx, "#log")
	xss = eval[any](t, ctx, `window.__xss === undefined ? null : window.__xss`)
	if !strings.Contains(log, "<script>window.__xss=1</script> 0") || xss != nil {
		t.Errorf("log view %q, __xss %v: script not rendered as text", log, xss)
	}
}

// lastChatty returns the number of the last "chatty line N" in text.
func lastChatty(text string) int {
	i := strings.LastIndex(text, "chatty line ")
	if i < 0 {
		return -1
	}
	s := text[i+len("chatty line "):]
	s, _, _ = strings.Cut(s, "\n")
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return -1
	}
	return n
}

// timelineJS returns the page's Performance timeline figures (ms from
// the start of navigation): the server's answer, HTML parsed, first and
// largest contentful paint, load, and the page's HTML size.
const timelineJS = `new Promise(done => {
  const n = performance.getEntriesByType("navigation")[0];
  const fcp = (performance.getEntriesByName("first-contentful-paint")[0] || {}).startTime || 0;
  new PerformanceObserver(l => {
    const lcp = l.getEntries().at(-1).startTime;
    done("request sent " + n.requestStart.toFixed(0) + ", response starts " + n.responseStart.toFixed(0) + ", ends " + n.responseEnd.toFixed(0) +
      ", DOM interactive " + n.domInteractive.toFixed(0) + ", DOMContentLoaded " + n.domContentLoadedEventEnd.toFixed(0) +
      ", first contentful paint " + fcp.toFixed(0) + ", largest contentful paint " + lcp.toFixed(0) + ", load " + n.loadEventEnd.toFixed(0) +
      " ms; HTML " + n.transferSize + " bytes (" + n.decodedBodySize + " decoded)");
  }).observe({type: "largest-contentful-paint", buffered: true});
})`

// TestBrowser1000 opens the page on 1000 processes and stops them all:
// the page renders, takes the snapshot and applies the pushed changes
// quickly (the figures are logged; the bounds only catch gross
// regressions on a loaded machine).
func TestBrowser1000(t *testing.T) {
	if testing.Short() {
		t.Skip("1000 processes")
	}
	ctx := newBrowser(t)
	const n = 1000
	d := startDaemon(t, superdBin, "", "", fmt.Sprintf("[program:n]\nprocess_name=%%(program_name)s_%%(process_num)04d\nnumprocs=%d\ncommand=/bin/sleep 100000\nstartsecs=0\nstopwaitsecs=30\n", n))
	waitFor(t, "1000 RUNNING", func() bool {
		_, ok := testutil.AllRunning(t.Context(), d.client, n)
		return ok
	})
	// Long tasks (over 50 ms) are recorded from the start of the page
	// (parsing it included), through the first snapshot, two seconds
	// of uptimes ticking on 1000 rows and the stop of all.
	do(t, ctx, "record long tasks", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.__long = []; new PerformanceObserver(l => { for (const e of l.getEntries()) window.__long.push(Math.round(e.startTime) + "+" + Math.round(e.duration)); }).observe({type: "longtask"})`})
		if err != nil {
			return err
		}
		_, err = cdp.Call(ctx, tg, performance.Enable, performance.EnableParams{})
		return err
	}))
	do(t, ctx, "open dashboard", chromedp.Navigate(d.base+"/"), chromedp.WaitVisible(chromedp.CSS("#live.on")))
	waitFor(t, "snapshot applied", func() bool { return eval[int](t, ctx, `window.superdStats.messages`) >= 1 })
	// Where the renderer's main thread spent its time so far (task
	// durations by kind: parsing is in TaskOther).
	m := get(t, ctx, chromedp.Action[performance.GetMetricsResult](func(ctx context.Context, tg *chromedp.Target) (performance.GetMetricsResult, error) {
		return cdp.Call(ctx, tg, performance.GetMetrics, cdp.Empty{})
	}))
	var work []string
	for _, x := range m.Metrics {
		if d, ok := strings.CutSuffix(x.Name, "Duration"); ok && d != "ScriptEvaluation" {
			work = append(work, fmt.Sprintf("%s %.0f ms", d, x.Value*1000))
		}
	}
	t.Logf("main thread up to the snapshot: %s", strings.Join(work, ", "))
	dcl := eval[float64](t, ctx, `performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd`)
	first := eval[float64](t, ctx, `window.superdStats.first`)
	apply := eval[float64](t, ctx, `window.superdStats.maxApply`)
	t.Logf("1000 processes: DOMContentLoaded at %.0f ms, snapshot applied at %.0f ms (took %.0f ms)", dcl, first, apply)
	t.Logf("timeline: %s", get(t, ctx, chromedp.Evaluate[string](timelineJS, chromedp.EvalAwaitPromise)))
	tick0 := eval[float64](t, ctx, `performance.now()`)
	waitFor(t, "two seconds of ticking", func() bool { return eval[float64](t, ctx, `performance.now()`) > tick0+2000 })
	if rows := eval[int](t, ctx, `document.querySelectorAll("tr.proc").length`); rows != n {
		t.Fatalf("%d rows, want %d", rows, n)
	}
	if dcl > 15000 || apply > 2000 {
		t.Errorf("page too slow: DOMContentLoaded %.0f ms, snapshot %.0f ms", dcl, apply)
	}
	eval[chromedp.Void](t, ctx, `window.superdStats.maxApply = 0`)
	t0 := time.Now()
	if _, err := d.client.StopAllProcesses(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "1000 stopped on the page", func() bool {
		return text(t, ctx, `[data-count="STOPPED"]`) == strconv.Itoa(n)
	})
	apply = eval[float64](t, ctx, `window.superdStats.maxApply`)
	msgs := eval[int](t, ctx, `window.superdStats.messages`)
	t.Logf("stop all: every row STOPPED on the page %v after the call, %d messages, longest apply %.0f ms", time.Since(t0).Round(time.Millisecond), msgs, apply)
	t.Logf("long tasks (start+duration ms, since navigation): %v", eval[[]string](t, ctx, `window.__long`))
	if apply > 2000 {
		t.Errorf("applying an update took %.0f ms", apply)
	}
	artifact(t, "dashboard-1000.png", get(t, ctx, chromedp.CaptureScreenshot()))
}

// TestBrowserJobs runs a job from the page (skipped while the daemon
// serves no superd.*Job* methods): the section shows it with its
// schedule in words, "Run now" runs it and the result shows without a
// reload, the history lists the manual run, disable and metrics follow.
func TestBrowserJobs(t *testing.T) {
	ctx := newBrowser(t)
	t.Parallel()
	d := startDaemon(t, superdBin, "", "", "[supervisord]\nstatedir=$DIR/state\nsendmail=/bin/true\n\n"+
		"[job:hello]\ncommand=/bin/sh -c 'echo hello from the job'\ninterval=01:00:00\n")
	methods, err := d.client.ListMethods(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(methods, "superd.getAllJobInfo") {
		t.Skip("this superd serves no jobs yet")
	}
	do(t, ctx, "open dashboard", chromedp.Navigate(d.base+"/"), chromedp.WaitVisible(chromedp.CSS(`#jobs tr[data-job="hello"]`)), chromedp.WaitVisible(chromedp.CSS("#live.on")))
	if s := text(t, ctx, `tr[data-job="hello"] td.sched`); s == "" {
		t.Error("no schedule in words")
	}
	do(t, ctx, "run now", chromedp.Click(chromedp.CSS(`tr[data-job="hello"] button[value="run|hello"]`)))
	waitFor(t, "run message", func() bool { return text(t, ctx, "#statusmessage") == "hello: queued" })
	waitFor(t, "result ok on the page", func() bool {
		return strings.HasPrefix(eval[string](t, ctx, `(document.querySelector('tr[data-job="hello"] td.result')||{}).textContent||""`), "ok")
	})
	do(t, ctx, "history", chromedp.Click(chromedp.CSS(`tr[data-job="hello"] button.history`)))
	waitFor(t, "history shown", func() bool {
		return strings.Contains(eval[string](t, ctx, `(document.querySelector('tr.history[data-job="hello"]')||{}).textContent||""`), "manual")
	})
	do(t, ctx, "disable", chromedp.Click(chromedp.CSS(`tr[data-job="hello"] button[value="disable|hello"]`)))
	waitFor(t, "disabled on the page", func() bool {
		return eval[string](t, ctx, `(document.querySelector('tr[data-job="hello"] td.enabled')||{}).textContent||""`) == "no"
	})
	if next := text(t, ctx, `tr[data-job="hello"] td.next`); next != "[disabled]" {
		t.Errorf("next run of a disabled job: %q, want [disabled] as superctl jobs shows", next)
	}
	do(t, ctx, "hold all", chromedp.Click(chromedp.CSS(`#jobs button[value="hold|"]`)))
	waitFor(t, "held shown", func() bool {
		return eval[bool](t, ctx, `!document.getElementById("jobsheld").classList.contains("hidden")`)
	})
	do(t, ctx, "enable", chromedp.Click(chromedp.CSS(`tr[data-job="hello"] button[value="enable|hello"]`)))
	waitFor(t, "[held] as the next run", func() bool { return text(t, ctx, `tr[data-job="hello"] td.next`) == "[held]" })
	do(t, ctx, "release all", chromedp.Click(chromedp.CSS(`#jobs button[value="release|"]`)))
	waitFor(t, "a next run again", func() bool { return strings.HasPrefix(text(t, ctx, `tr[data-job="hello"] td.next`), "20") })
	do(t, ctx, "disable again", chromedp.Click(chromedp.CSS(`tr[data-job="hello"] button[value="disable|hello"]`)))
	waitFor(t, "disabled again", func() bool { return text(t, ctx, `tr[data-job="hello"] td.next`) == "[disabled]" })
	artifact(t, "jobs.png", get(t, ctx, chromedp.FullScreenshot(100)))
	f := d.scrape(t)
	if v := value(f, "superd_job_runs_total", "job", "hello", "result", "ok"); v != 1 {
		t.Errorf("superd_job_runs_total{job=hello,result=ok} = %v", v)
	}
	if v := value(f, "superd_job_enabled", "job", "hello"); v != 0 {
		t.Errorf("superd_job_enabled after disable = %v", v)
	}
}

// TestBrowserJobsLive: changes made elsewhere reach an open page
// without a reload: a job added by reread/update appears on a page
// opened without jobs, a job disabled through XML-RPC (superctl jobs
// disable) shows [disabled], and the section goes when the last job is
// removed.
func TestBrowserJobsLive(t *testing.T) {
	ctx := newBrowser(t)
	t.Parallel()
	d := startDaemon(t, superdBin, "", "", "[supervisord]\nstatedir=$DIR/state\n\n[program:web]\ncommand=sleep 1000\n")
	do(t, ctx, "open dashboard", chromedp.Navigate(d.base+"/"), chromedp.WaitVisible(chromedp.CSS("#live.on")))
	if eval[bool](t, ctx, `!!document.getElementById("jobs")`) {
		t.Fatal("a jobs section without jobs")
	}
	conf, err := os.ReadFile(d.conf)
	if err != nil {
		t.Fatal(err)
	}
	withJob := append(slices.Clone(conf), "\n[job:hello]\ncommand=/bin/true\ninterval=01:00:00\n"...)
	if err := os.WriteFile(d.conf, withJob, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := d.client.ReloadConfig(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the added job on the open page", func() bool {
		return eval[bool](t, ctx, `!!document.querySelector('#jobs tr[data-job="hello"]')`)
	})
	do(t, ctx, "wait for the live stream", chromedp.WaitVisible(chromedp.CSS("#live.on")))
	eval[bool](t, ctx, `window.noReload = true`)
	if err := d.client.DisableJob(t.Context(), "hello"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "[disabled] on the open page", func() bool { return text(t, ctx, `tr[data-job="hello"] td.next`) == "[disabled]" })
	if err := os.WriteFile(d.conf, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := d.client.ReloadConfig(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the jobs section gone", func() bool { return eval[bool](t, ctx, `!document.getElementById("jobs")`) })
	if !eval[bool](t, ctx, `window.noReload === true`) {
		t.Error("the page was loaded again for a disable or a removal")
	}
}

// TestBrowserLogPauseBounded: a log view left paused on a chatty log
// holds at most its limit (here lowered to 2000 characters), and on
// resume says how much it skipped, then shows the newest output.
func TestBrowserLogPauseBounded(t *testing.T) {
	ctx := newBrowser(t)
	t.Parallel()
	d := startDaemon(t, superdBin, "", "", "[program:chatty]\ncommand=/bin/sh -c 'i=0; while :; do echo \"chatty line $i\"; i=$((i+1)); sleep 0.005; done'\nstartsecs=0\n")
	waitFor(t, "chatty RUNNING", func() bool { return d.state("chatty") == "RUNNING" })
	do(t, ctx, "lower the limit", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `window.superdLogHold = 2000`})
		return err
	}))
	do(t, ctx, "open log", chromedp.Navigate(d.base+"/log.html?processname=chatty"), chromedp.WaitVisible(chromedp.CSS("#live.on")))
	do(t, ctx, "pause", chromedp.Click(chromedp.CSS("#pause")))
	waitFor(t, "output dropped while paused", func() bool { return eval[int](t, ctx, `window.superdLog.skipped()`) > 4000 })
	if held := eval[int](t, ctx, `window.superdLog.held()`); held > 2000+200 {
		t.Errorf("holding %d characters while paused, limit 2000 (plus one chunk)", held)
	}
	do(t, ctx, "resume", chromedp.Click(chromedp.CSS("#pause")))
	gap := text(t, ctx, "#log .gap")
	if !strings.Contains(gap, "characters skipped while paused") {
		t.Errorf("no note of the skipped output: %q", gap)
	}
	// the newest lines follow the note, in order
	after := eval[string](t, ctx, `(function(){const g=document.querySelector("#log .gap"); let s=""; for (let n=g.nextSibling; n; n=n.nextSibling) s+=n.textContent; return s})()`)
	first, last := consecutive(t, "lines after the note", after)
	if last-first < 10 {
		t.Errorf("lines %d-%d after the note", first, last)
	}
}

// TestBrowserAfterRestart: a dashboard left open while superd is
// stopped and started again (a new CSRF key) reconnects and its
// buttons work, without a reload.
func TestBrowserAfterRestart(t *testing.T) {
	ctx := newBrowser(t)
	t.Parallel()
	d := startDaemon(t, superdBin, "", "", program(t, "web", "sleep"))
	waitFor(t, "web RUNNING", func() bool { return d.state("web") == "RUNNING" })
	do(t, ctx, "open dashboard", chromedp.Navigate(d.base+"/"), chromedp.WaitVisible(chromedp.CSS("#live.on")))
	d.kill()
	waitFor(t, "the page sees superd gone", func() bool { return eval[string](t, ctx, `document.getElementById("live").textContent`) != "live" })
	p := testutil.Start(t, superdBin, "-n", "-c", d.conf)
	d.cmd, d.out, d.done = p.Cmd, p.Out, p.Done
	p.WaitReady(t, waitTimeout, func() bool { return d.state("web") == "RUNNING" })
	waitFor(t, "the page live again", func() bool { return eval[string](t, ctx, `document.getElementById("live").textContent`) == "live" })
	do(t, ctx, "click stop", chromedp.Click(chromedp.CSS(`tr[data-ns="web"] button.a-stop`)))
	waitFor(t, "an answer", func() bool { return !strings.HasSuffix(text(t, ctx, "#statusmessage"), "…") })
	if msg := text(t, ctx, "#statusmessage"); msg != "web: stopped" {
		t.Errorf("stop after superd restarted: %q", msg)
	}
	waitFor(t, "web STOPPED on the page", func() bool { return pageState(t, ctx, "web") == "0" })
}
