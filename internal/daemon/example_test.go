package daemon

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestExampleDeployment parses conf.d.example with `superd check` and
// runs the whole set (its commands are harmless stand-ins) under superd,
// checking what a user would look at: superctl status, per-process
// worker logs, and a clean shutdown.
func TestExampleDeployment(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the example runs the alert daemon as user=nobody, which needs root")
	}
	dir := shortTempDir(t)
	// The alert daemon runs as nobody: it must reach its script.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-r", "../../conf.d.example/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v %s", err, out)
	}
	conf := filepath.Join(dir, "superd.conf")
	out, err := exec.Command(superdBin, "check", "-c", conf).CombinedOutput()
	if err != nil {
		t.Fatalf("superd check: %v\n%s", err, out)
	}
	in := startDaemonAt(t, superdBin, dir, conf, filepath.Join(dir, "run", "superd.sock"))
	if !in.waitRunning(7, "STOPPED") {
		st, _ := ctl(t, superctlBin, conf, "status")
		t.Fatalf("example did not reach 7 RUNNING:\n%s\ndaemon output:\n%s", st, in.out)
	}

	status, code := ctl(t, superctlBin, conf, "status")
	if code != 3 { // mailpoller is STOPPED (autostart=false)
		t.Errorf("superctl status exit %d, want 3", code)
	}
	for _, want := range []string{"notify:alerts", "notify:mailpoller", "STOPPED   Not started", "tasks", "web", "worker:worker-0", "worker:worker-3"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	for _, f := range []string{"log/worker-0.log", "log/worker-3.log", "log/web.out.log", "log/tasks.log"} {
		waitFor(t, f+" written", func() bool {
			b, _ := os.ReadFile(filepath.Join(dir, f))
			return strings.Contains(string(b), "started:")
		})
	}
	b, _ := os.ReadFile(filepath.Join(dir, "log/worker-2.log"))
	if !strings.Contains(string(b), "--queue default --id 2") {
		t.Errorf("worker-2 log: %q", b)
	}
	// the jobs of conf.d/50-jobs.conf: listed, and the 10-second one runs
	jobs, _ := ctl(t, superctlBin, conf, "jobs")
	if !strings.HasPrefix(jobs, "3 scheduled jobs:\n") || !strings.Contains(jobs, "every 10 seconds") {
		t.Errorf("superctl jobs:\n%s", jobs)
	}
	waitFor(t, "send_pending_emails ran", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "log/send_pending_emails.log"))
		return strings.Contains(string(b), "sent 0 pending emails at ")
	})
	if out, code := ctl(t, superctlBin, conf, "shutdown"); code != 0 {
		t.Errorf("shutdown: rc %d %s", code, out)
	}
	<-in.done
	if _, err := os.Stat(filepath.Join(dir, "run", "superd.pid")); !os.IsNotExist(err) {
		t.Errorf("pidfile left behind")
	}
}
