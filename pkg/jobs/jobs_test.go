package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/process"
	"github.com/superd/superd/pkg/state"
)

// never is a schedule that does not fire during a test.
const never = "schedule = 0 0 1 1 *"

type harness struct {
	t     *testing.T
	dir   string
	cfg   *config.Config
	bus   *events.Bus
	sub   *events.Subscription
	sup   *process.Supervisor
	sched *Scheduler
	store *state.Store
	stop  func()
}

// start runs a supervisor and a scheduler for the config body (the
// [supervisord] section is added; %(here)s is the temp dir).
func start(t *testing.T, body string, opts ...func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir()}
	h.startIn(body, opts...)
	return h
}

func (h *harness) startIn(body string, opts ...func(*Options)) {
	t := h.t
	conf := "[supervisord]\nlogfile=%(here)s/superd.log\nchildlogdir=%(here)s\n" + body
	path := filepath.Join(h.dir, "superd.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h.cfg = cfg
	h.bus = events.NewBus()
	h.sub = h.bus.Subscribe(events.SuperdJob)
	sup, err := process.New(cfg, process.Options{Bus: h.bus})
	if err != nil {
		t.Fatal(err)
	}
	h.sup = sup
	st, err := state.Open(filepath.Join(h.dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	h.store = st
	o := Options{Bus: h.bus, Spawner: sup, Store: st, NotRunning: func(ctx context.Context, names []string) string {
		infos, err := sup.AllProcessInfo(ctx)
		if err != nil {
			return err.Error()
		}
		for _, n := range names {
			for _, in := range infos {
				if in.Name == n && in.State != process.Running {
					return n + " is " + in.State.String()
				}
			}
		}
		return ""
	}}
	for _, f := range opts {
		f(&o)
	}
	sched, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	h.sched = sched
	ctx, cancel := context.WithCancel(context.Background())
	supDone := make(chan struct{})
	go func() { sup.Run(ctx); close(supDone) }()
	go sched.Run(ctx)
	stopped := false
	h.stop = func() {
		if stopped {
			return
		}
		stopped = true
		sched.Stop(false)
		select {
		case <-sched.Done():
		case <-time.After(20 * time.Second):
			t.Errorf("scheduler did not stop")
			cancel()
			<-sched.Done()
		}
		sup.Shutdown(false)
		select {
		case <-supDone:
		case <-time.After(20 * time.Second):
			t.Errorf("supervisor did not stop")
			cancel()
			<-supDone
		}
		cancel()
		st.Close()
		h.bus.Close()
	}
	t.Cleanup(h.stop)
}

// wait returns the next job event matching f, failing after d.
func (h *harness) wait(d time.Duration, f func(events.Event) bool) events.Event {
	h.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case e := <-h.sub.C():
			if f(e) {
				return e
			}
		case <-deadline:
			h.t.Fatalf("no matching job event within %s", d)
		}
	}
}

func finished(job string) func(events.Event) bool {
	return func(e events.Event) bool { return e.Type == events.SuperdJobFinished && e.Job == job }
}

func skipped(job string) func(events.Event) bool {
	return func(e events.Event) bool { return e.Type == events.SuperdJobSkipped && e.Job == job }
}

func TestIntervalRunsAndHistory(t *testing.T) {
	t.Parallel()
	h := start(t, "[job:tick]\ncommand=/bin/sh -c 'echo tick $SUPERVISOR_PROCESS_NAME'\ninterval=1\n")
	for i := 0; i < 3; i++ {
		e := h.wait(10*time.Second, finished("tick"))
		if e.Result != ResultOK || e.Trigger != TriggerSchedule {
			t.Fatalf("run %d: %+v", i, e)
		}
	}
	ctx := context.Background()
	hist, err := h.sched.History(ctx, "tick", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || !hist[0].Start.After(hist[1].Start) || hist[0].OutputBytes != int64(len("tick tick\n")) {
		t.Fatalf("history (newest first, 2): %+v", hist)
	}
	if hist[0].Due.IsZero() || hist[0].Due.Nanosecond() != 0 {
		t.Errorf("due %v: interval 1 fires on whole seconds", hist[0].Due)
	}
	in, err := h.sched.Info(ctx, "tick")
	if err != nil {
		t.Fatal(err)
	}
	if in.Runs < 3 || in.LastResult != ResultOK || in.NextRun.IsZero() || in.Description != "every second" && !strings.Contains(in.Description, "second") {
		t.Errorf("info %+v", in)
	}
	data, _ := os.ReadFile(in.StdoutLogfile)
	if !strings.Contains(string(data), "tick tick\n") {
		t.Errorf("log %s: %q", in.StdoutLogfile, data)
	}
	if _, err := h.sched.Info(ctx, "nosuch"); KindOfErr(err) != KindBadName {
		t.Errorf("unknown job: %v", err)
	}
}

func KindOfErr(err error) Kind {
	if e, ok := err.(*Error); ok {
		return e.Kind
	}
	return -1
}

func TestOverlapSkipAndQueue(t *testing.T) {
	t.Parallel()
	h := start(t, "[job:slow]\ncommand=/bin/sleep 1.6\ninterval=1\n"+
		"[job:q]\ncommand=/bin/sleep 1.5\n"+never+"\noverlap=queue\n"+
		"[job:allow]\ncommand=/bin/sleep 1.5\n"+never+"\noverlap=allow\n")
	e := h.wait(10*time.Second, skipped("slow"))
	if e.Reason != "still running" {
		t.Errorf("skip reason %q", e.Reason)
	}
	ctx := context.Background()
	if err := h.sched.RunNow(ctx, "slow"); KindOfErr(err) != KindAlreadyStarted {
		// it may have been between runs; try until one is in progress
		t.Logf("runJob slow: %v", err)
	}
	// queue: the second request runs after the first
	if err := h.sched.RunNow(ctx, "q"); err != nil {
		t.Fatal(err)
	}
	if err := h.sched.RunNow(ctx, "q"); err != nil {
		t.Fatal(err)
	}
	in, _ := h.sched.Info(ctx, "q")
	if !in.Running || in.Queued != 1 {
		t.Errorf("queue: %+v", in)
	}
	e1 := h.wait(10*time.Second, finished("q"))
	e2 := h.wait(10*time.Second, finished("q"))
	if e1.Result != ResultOK || e2.Result != ResultOK {
		t.Errorf("queued runs: %+v %+v", e1, e2)
	}
	hist, _ := h.sched.History(ctx, "q", 0)
	if len(hist) != 2 || hist[0].Start.Before(hist[1].End.Add(-50*time.Millisecond)) {
		t.Errorf("queue ran them at once: %+v", hist)
	}
	// allow: two at once
	h.sched.RunNow(ctx, "allow")
	if err := h.sched.RunNow(ctx, "allow"); err != nil {
		t.Fatal(err)
	}
	h.wait(10*time.Second, finished("allow"))
	h.wait(10*time.Second, finished("allow"))
	hist, _ = h.sched.History(ctx, "allow", 0)
	if len(hist) != 2 || !hist[0].Start.Before(hist[1].End) {
		t.Errorf("allow did not overlap: %+v", hist)
	}
}

func TestTimeoutKillsGroup(t *testing.T) {
	t.Parallel()
	h := start(t, "[job:hang]\ncommand=/bin/sh -c 'sleep 60 & echo $! > %(here)s/child.pid; trap \"\" TERM; wait'\n"+never+"\ntimeout=1\nstopwaitsecs=1\n")
	if err := h.sched.RunNow(context.Background(), "hang"); err != nil {
		t.Fatal(err)
	}
	e := h.wait(15*time.Second, finished("hang"))
	if e.Result != ResultTimeout {
		t.Fatalf("result %+v", e)
	}
	pid, err := testproc.ReadPID(filepath.Join(h.dir, "child.pid"))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d still alive after the timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestResultsRetriesRequires(t *testing.T) {
	t.Parallel()
	h := start(t, "[program:db]\ncommand=/bin/sleep 60\nautostart=false\n"+
		"[job:nothing]\ncommand=/bin/sh -c 'exit 3'\n"+never+"\nskip_exitcodes=3\n"+
		"[job:flaky]\ncommand=/bin/sh -c 'echo try >> %(here)s/tries; exit 1'\n"+never+"\nretries=2\nretry_delay=0\n"+
		"[job:needsdb]\ncommand=/bin/true\n"+never+"\nrequires=db\n")
	ctx := context.Background()
	h.sched.RunNow(ctx, "nothing")
	if e := h.wait(10*time.Second, finished("nothing")); e.Result != ResultSkipped || e.ExitStatus != 3 {
		t.Errorf("skip_exitcodes: %+v", e)
	}
	h.sched.RunNow(ctx, "flaky")
	var triggers []string
	for i := 0; i < 3; i++ {
		e := h.wait(10*time.Second, finished("flaky"))
		if e.Result != ResultFailed {
			t.Errorf("flaky: %+v", e)
		}
		triggers = append(triggers, e.Trigger)
	}
	if strings.Join(triggers, ",") != "manual,retry,retry" {
		t.Errorf("triggers %v", triggers)
	}
	h.sched.RunNow(ctx, "needsdb")
	if e := h.wait(10*time.Second, skipped("needsdb")); e.Reason != "db is STOPPED" {
		t.Errorf("requires: %+v", e)
	}
	if err := h.sup.StartProcess(ctx, "db", true); err != nil {
		t.Fatal(err)
	}
	h.sched.RunNow(ctx, "needsdb")
	if e := h.wait(10*time.Second, finished("needsdb")); e.Result != ResultOK {
		t.Errorf("requires met: %+v", e)
	}
	in, _ := h.sched.Info(ctx, "flaky")
	if in.Runs != 3 || in.Failures != 3 {
		t.Errorf("counters %+v", in)
	}
	in, _ = h.sched.Info(ctx, "needsdb")
	if in.LastSkipReason != "db is STOPPED" || in.LastResult != ResultOK {
		t.Errorf("needsdb info %+v", in)
	}
}

func TestHoldDisableOverrideRestart(t *testing.T) {
	t.Parallel()
	body := "[job:tick]\ncommand=/bin/true\ninterval=1\n[job:other]\ncommand=/bin/true\n" + never + "\n"
	h := start(t, body)
	ctx := context.Background()
	h.wait(10*time.Second, finished("tick"))
	if err := h.sched.SetHeld(ctx, true); err != nil {
		t.Fatal(err)
	}
	in, _ := h.sched.Info(ctx, "tick")
	if !in.Held || !in.NextRun.IsZero() {
		t.Errorf("held: %+v", in)
	}
	// drain: a run may have been in flight
	time.Sleep(100 * time.Millisecond)
	for len(h.sub.C()) > 0 {
		<-h.sub.C()
	}
	// run-now beats the hold
	if err := h.sched.RunNow(ctx, "tick"); err != nil {
		t.Fatal(err)
	}
	if e := h.wait(10*time.Second, finished("tick")); e.Trigger != TriggerManual {
		t.Errorf("held: got a %s run", e.Trigger)
	}
	if err := h.sched.SetEnabled(ctx, "other", false); err != nil {
		t.Fatal(err)
	}
	if err := h.sched.SetSchedule(ctx, "other", "times 08:00,20:00"); err != nil {
		t.Fatal(err)
	}
	if err := h.sched.SetSchedule(ctx, "other", "schedule 0 0 30 2 *"); KindOfErr(err) != KindBadArguments {
		t.Errorf("bad spec: %v", err)
	}
	h.stop()

	// restart on the same state: hold, disable and override persist
	h.startIn(body)
	in, _ = h.sched.Info(ctx, "other")
	if !in.Held || in.Enabled || in.ScheduleSource != "override" || in.Schedule != "times 08:00,20:00" {
		t.Errorf("after restart: %+v", in)
	}
	in, _ = h.sched.Info(ctx, "tick")
	if in.Runs < 2 || in.LastResult != ResultOK {
		t.Errorf("history lost: %+v", in)
	}
	h.sched.SetSchedule(ctx, "other", "")
	h.sched.SetHeld(ctx, false)
	in, _ = h.sched.Info(ctx, "other")
	if in.ScheduleSource != "config" || in.Schedule != "schedule 0 0 1 1 *" || in.Held {
		t.Errorf("reset: %+v", in)
	}
	h.wait(10*time.Second, func(e events.Event) bool {
		return e.Type == events.SuperdJobFinished && e.Job == "tick" && e.Trigger == TriggerSchedule
	})
}

func TestInterruptedAtStop(t *testing.T) {
	t.Parallel()
	h := start(t, "[job:long]\ncommand=/bin/sleep 60\n"+never+"\nstopwaitsecs=2\n")
	ctx := context.Background()
	h.sched.RunNow(ctx, "long")
	h.wait(10*time.Second, func(e events.Event) bool { return e.Type == events.SuperdJobStarted })
	h.stop()
	runs, err := func() ([]state.Run, error) {
		st, err := state.Open(filepath.Join(h.dir, "state"))
		if err != nil {
			return nil, err
		}
		defer st.Close()
		return st.History("long", 0)
	}()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Result != ResultInterrupted {
		t.Errorf("history %+v", runs)
	}
}

func TestNotifications(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sendmail := filepath.Join(dir, "sendmail")
	notify := filepath.Join(dir, "notify")
	// each renames its files into place when they are complete
	os.WriteFile(sendmail, []byte("#!/bin/sh\necho \"$@\" > "+dir+"/mail.args\ncat > "+dir+"/tmp.m$$ && mv "+dir+"/tmp.m$$ "+dir+"/mail.$$\n"), 0o755)
	os.WriteFile(notify, []byte("#!/bin/sh\nenv | grep ^JOB_ | sort > "+dir+"/notify.env.$$\ncat > "+dir+"/tmp.n$$ && mv "+dir+"/tmp.n$$ "+dir+"/notify.in.$$\n"), 0o755)
	h := start(t, fmt.Sprintf("sendmail=%s\n[job:bad]\ncommand=/bin/sh -c 'echo oops; exit 2'\n%s\nnotify_command=%s\nmailto=ops@example.org\n"+
		"[job:good]\ncommand=/bin/sh -c 'echo fine'\n%s\nnotify_command=%s\nnotify_on_success=true\n"+
		"[job:quiet]\ncommand=/bin/true\n%s\nnotify_command=%s\nnotify_on_success=true\n"+
		"[job:okmail]\ncommand=/bin/sh -c 'echo hi'\n%s\nmailto=ops@example.org\n",
		sendmail, never, notify, never, notify, never, notify, never))
	ctx := context.Background()
	for _, j := range []string{"bad", "good", "quiet", "okmail"} {
		h.sched.RunNow(ctx, j)
		h.wait(10*time.Second, finished(j))
	}
	// bad: notify + mail; good: notify; quiet (no output) and okmail
	// (success without notify_on_success): nothing.
	deadline := time.Now().Add(10 * time.Second)
	var mails, envs []string
	for time.Now().Before(deadline) {
		mails, _ = filepath.Glob(filepath.Join(dir, "mail.[0-9]*"))
		envs, _ = filepath.Glob(filepath.Join(dir, "notify.in.*"))
		if len(mails) >= 1 && len(envs) >= 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // would a third notification come?
	mails, _ = filepath.Glob(filepath.Join(dir, "mail.[0-9]*"))
	ins, _ := filepath.Glob(filepath.Join(dir, "notify.in.*"))
	if len(mails) != 1 || len(ins) != 2 {
		t.Fatalf("mails %v notifications %v", mails, ins)
	}
	m, _ := os.ReadFile(mails[0])
	args, _ := os.ReadFile(filepath.Join(dir, "mail.args"))
	if strings.TrimSpace(string(args)) != "-t -i" || !strings.Contains(string(m), "To: ops@example.org\r\n") ||
		!strings.Contains(string(m), "Subject: superd job bad on ") || !strings.Contains(string(m), "\r\n\r\noops\r\n") {
		t.Errorf("mail %q args %q", m, args)
	}
	var all []string
	for _, in := range ins {
		data, _ := os.ReadFile(in)
		env, _ := os.ReadFile(strings.Replace(in, "notify.in.", "notify.env.", 1))
		all = append(all, string(data)+"|"+string(env))
	}
	joined := strings.Join(all, "\n---\n")
	if !strings.Contains(joined, "superd job bad on") || !strings.Contains(joined, "failed (exit status 2)\n\noops\n") ||
		!strings.Contains(joined, "JOB_NAME=bad\nJOB_RESULT=failed\n") || !strings.Contains(joined, "JOB_EXITSTATUS=2") ||
		!strings.Contains(joined, "JOB_NAME=good") || !strings.Contains(joined, "fine\n") || !strings.Contains(joined, "JOB_DURATION=") {
		t.Errorf("notifications:\n%s", joined)
	}
}

// TestControlsPublishChanges: every control that changes a job, and an
// update that adds, changes or removes jobs, publishes
// SUPERD_JOB_CHANGED saying how, so that open dashboards update at once;
// a control that changes nothing publishes nothing.
func TestControlsPublishChanges(t *testing.T) {
	t.Parallel()
	h := start(t, "[job:a]\ncommand=true\n"+never+"\n\n[job:b]\ncommand=true\n"+never+"\n")
	ctx := context.Background()
	next := func(job, how string) {
		t.Helper()
		e := h.wait(10*time.Second, func(e events.Event) bool { return e.Type == events.SuperdJobChanged })
		if e.Job != job || e.Reason != how {
			t.Fatalf("got SUPERD_JOB_CHANGED job %q %q, want %q %q", e.Job, e.Reason, job, how)
		}
		if want := "jobname:" + job + " change:" + how; e.Payload() != want {
			t.Errorf("payload %q, want %q", e.Payload(), want)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(h.sched.SetEnabled(ctx, "a", false))
	next("a", "disabled")
	must(h.sched.SetEnabled(ctx, "a", false)) // no change: no event
	must(h.sched.SetEnabled(ctx, "a", true))
	next("a", "enabled")
	must(h.sched.SetSchedule(ctx, "b", "interval 05:00"))
	next("b", "schedule")
	must(h.sched.SetHeld(ctx, true))
	next("", "held")
	must(h.sched.SetHeld(ctx, false))
	next("", "released")

	path := filepath.Join(h.dir, "superd.conf")
	conf := "[supervisord]\nlogfile=%(here)s/superd.log\nchildlogdir=%(here)s\n" +
		"[job:b]\ncommand=false\n" + never + "\n\n[job:c]\ncommand=true\n" + never + "\n"
	must(os.WriteFile(path, []byte(conf), 0o644))
	cfg, err := config.Load(path)
	must(err)
	if _, _, _, err := h.sched.Update(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	next("c", "added")
	next("b", "changed")
	next("a", "removed")
}

// TestQueuedScheduledRunsObeyHoldAndDisable: with overlap=queue, runs
// the schedule queued behind a slow one do not start after the job was
// disabled or all jobs were held (a manual run queued behind still does:
// an explicit request beats the hold).
func TestQueuedScheduledRunsObeyHoldAndDisable(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"disable", "hold"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			h := start(t, "[job:q]\ncommand=/bin/sleep 2.5\ninterval=1\noverlap=queue\n")
			ctx := context.Background()
			h.wait(10*time.Second, func(e events.Event) bool { return e.Type == events.SuperdJobStarted && e.Job == "q" })
			deadline := time.Now().Add(10 * time.Second)
			for {
				in, err := h.sched.Info(ctx, "q")
				if err != nil {
					t.Fatal(err)
				}
				if in.Running && in.Queued >= 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("nothing queued: %+v", in)
				}
				time.Sleep(50 * time.Millisecond)
			}
			var err error
			if how == "hold" {
				err = h.sched.SetHeld(ctx, true)
			} else {
				err = h.sched.SetEnabled(ctx, "q", false)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := h.sched.RunNow(ctx, "q"); err != nil {
				t.Fatal(err)
			}
			h.wait(10*time.Second, finished("q"))
			e := h.wait(10*time.Second, func(e events.Event) bool { return e.Type == events.SuperdJobStarted && e.Job == "q" })
			if e.Trigger != TriggerManual {
				t.Errorf("after %s, a queued run started with trigger %q, want only the manual one", how, e.Trigger)
			}
			h.wait(10*time.Second, finished("q"))
			in, err := h.sched.Info(ctx, "q")
			if err != nil {
				t.Fatal(err)
			}
			if in.Running || in.Queued != 0 {
				t.Errorf("after %s and the manual run: running %v, queued %d", how, in.Running, in.Queued)
			}
		})
	}
}

// TestRunLostToACrashIsRecorded: a run in progress is marked in the
// job's persisted record; a superd started on a record with such a mark
// (the previous one was killed while the run went on) records the run
// as interrupted instead of losing it from the history.
func TestRunLostToACrashIsRecorded(t *testing.T) {
	t.Parallel()
	body := "[job:long]\ncommand=/bin/sleep 60\n" + never + "\n"
	h := start(t, body)
	ctx := context.Background()
	if err := h.sched.RunNow(ctx, "long"); err != nil {
		t.Fatal(err)
	}
	h.wait(10*time.Second, func(e events.Event) bool { return e.Type == events.SuperdJobStarted && e.Job == "long" })
	var rec state.JobRecord
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := h.store.LoadJobs()
		if err != nil {
			t.Fatal(err)
		}
		rec = p.Records["long"]
		if len(rec.Running) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run in progress is not in the persisted record: %+v", rec)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if rec.Running[0].Trigger != TriggerManual || rec.Running[0].Start.IsZero() {
		t.Errorf("running mark %+v", rec.Running[0])
	}
	h.stop() // a clean stop records it interrupted and clears the mark
	st, err := state.Open(filepath.Join(h.dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.LoadJobs()
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.Records["long"].Running); n != 0 {
		t.Errorf("after a clean stop, %d runs still marked running", n)
	}

	// a crash: the record still says running when the next superd starts
	h2 := &harness{t: t, dir: t.TempDir()}
	st, err = state.Open(filepath.Join(h2.dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutJob("long", rec); err != nil {
		t.Fatal(err)
	}
	st.Close()
	h2.startIn(body)
	hist, err := h2.sched.History(ctx, "long", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Result != ResultInterrupted || hist[0].Trigger != TriggerManual || !hist[0].Start.Equal(rec.Running[0].Start) {
		t.Fatalf("history after the crash: %+v", hist)
	}
	in, err := h2.sched.Info(ctx, "long")
	if err != nil {
		t.Fatal(err)
	}
	if in.LastResult != ResultInterrupted || in.Runs != rec.Runs+1 {
		t.Errorf("info after the crash: last %s, runs %d (was %d)", in.LastResult, in.Runs, rec.Runs)
	}
}

// TestCatchupIgnoresRunsMissedWhileDisabledOrHeld: catchup= runs a run
// missed while superd was down, not one missed while the job was
// disabled or jobs were held: after enable/release, a restart of superd
// before the next fire time must not start a catchup run.
func TestCatchupIgnoresRunsMissedWhileDisabledOrHeld(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"disabled", "held"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			body := "[job:cu]\ncommand=/bin/sleep 30\ninterval=3600\ncatchup=true\n"
			h := &harness{t: t, dir: t.TempDir()}
			st, err := state.Open(filepath.Join(h.dir, "state"))
			if err != nil {
				t.Fatal(err)
			}
			rec := state.JobRecord{LastFire: time.Now().Add(-2 * time.Hour)}
			if how == "disabled" {
				off := false
				rec.Enabled = &off
			} else if err := st.SetHold(true); err != nil {
				t.Fatal(err)
			}
			if err := st.PutJob("cu", rec); err != nil {
				t.Fatal(err)
			}
			st.Close()
			h.startIn(body)
			ctx := context.Background()
			if in, _ := h.sched.Info(ctx, "cu"); in.Running {
				t.Fatalf("a catchup run started while %s", how)
			}
			if how == "disabled" {
				err = h.sched.SetEnabled(ctx, "cu", true)
			} else {
				err = h.sched.SetHeld(ctx, false)
			}
			if err != nil {
				t.Fatal(err)
			}
			h.stop()
			h.startIn(body)
			in, err := h.sched.Info(ctx, "cu")
			if err != nil {
				t.Fatal(err)
			}
			if in.Running || in.Runs != 0 {
				t.Errorf("after %s, then resumed, a restart caught up a run missed while %s: %+v", how, how, in)
			}
		})
	}
}

// TestHungNotifierIsKilled: a notify_command that never ends is killed
// (with its process group) after Options.NotifyTimeout, instead of one
// more process piling up at every failure.
func TestHungNotifierIsKilled(t *testing.T) {
	t.Parallel()
	h := start(t, "[job:bad]\ncommand=/bin/false\n"+never+"\n"+
		"notify_command=/bin/sh -c 'sleep 60 & echo $! > %(here)s/n.tmp && mv %(here)s/n.tmp %(here)s/n.pid; wait'\n",
		func(o *Options) { o.NotifyTimeout = 500 * time.Millisecond })
	if err := h.sched.RunNow(context.Background(), "bad"); err != nil {
		t.Fatal(err)
	}
	pid := testproc.WaitPID(t, filepath.Join(h.dir, "n.pid"), 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(st), ") Z ") {
			break // killed, waiting for its reaper
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the hung notifier's child (pid %d) still runs", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRetriesOfScheduledRunsStopWhenHeld: a failed scheduled run's
// pending retry is dropped once jobs are held or the job is disabled
// (maintenance: nothing of the schedule runs); a manual run's retries go
// on, like the manual run itself.
func TestRetriesOfScheduledRunsStopWhenHeld(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"hold", "disable", "manual"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			sched := "interval=1"
			if how == "manual" {
				sched = never
			}
			h := start(t, "[job:f]\ncommand=/bin/false\n"+sched+"\nretries=3\nretry_delay=2\n")
			ctx := context.Background()
			if how == "manual" {
				if err := h.sched.RunNow(ctx, "f"); err != nil {
					t.Fatal(err)
				}
			}
			e := h.wait(10*time.Second, finished("f"))
			if e.Result != ResultFailed {
				t.Fatalf("first run: %+v", e)
			}
			var err error
			switch how {
			case "hold", "manual":
				err = h.sched.SetHeld(ctx, true)
			case "disable":
				err = h.sched.SetEnabled(ctx, "f", false)
			}
			if err != nil {
				t.Fatal(err)
			}
			if how == "manual" {
				if e := h.wait(10*time.Second, finished("f")); e.Trigger != TriggerRetry {
					t.Errorf("a manual run's retry while held: %+v", e)
				}
				return
			}
			time.Sleep(3500 * time.Millisecond) // past the retry's time
			hist, err := h.sched.History(ctx, "f", 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range hist {
				if r.Trigger == TriggerRetry {
					t.Errorf("after %s, a retry of the scheduled run ran: %+v", how, hist)
					break
				}
			}
		})
	}
}

// TestSpawnErrorNotifies: a run whose command cannot be started is a
// failure like any other: it is published as finished (failed) and
// notifies, with the reason as the report's output.
func TestSpawnErrorNotifies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notify := filepath.Join(dir, "notify")
	os.WriteFile(notify, []byte("#!/bin/sh\n{ echo \"$JOB_RESULT $JOB_EXITSTATUS\"; cat; } > "+dir+"/tmp.n && mv "+dir+"/tmp.n "+dir+"/notified\n"), 0o755)
	h := start(t, "[job:gone]\ncommand=/nonexistent/script.sh\n"+never+"\nnotify_command="+notify+"\n")
	if err := h.sched.RunNow(context.Background(), "gone"); err != nil {
		t.Fatal(err)
	}
	if e := h.wait(10*time.Second, finished("gone")); e.Result != ResultFailed || e.ExitStatus != -1 {
		t.Errorf("finished: %+v", e)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile(filepath.Join(dir, "notified"))
		if err == nil {
			if s := string(data); !strings.HasPrefix(s, "failed -1\nsuperd job gone on ") || !strings.Contains(s, "/nonexistent/script.sh") {
				t.Errorf("report %q", s)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no notification for a run that could not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
