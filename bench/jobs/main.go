// Command jobs benchmarks superd's job scheduler (issue 10), side by
// side with supercronic when it is installed:
//
//	go run ./bench/jobs [-n 1000] [-d 30s] [-idle 20s] [-supercronic PATH]
//
// Scenario "interval": N jobs with interval = 1 (command /bin/true) for
// -d: lateness (spawn time - due time, from superd.getJobHistory) p50,
// p99 and max, runs started, daemon CPU (its own, not its children's) as
// a percentage of one core, and peak RSS. Scenario "daily": N jobs
// @daily, idle for -idle: daemon CPU. supercronic gets the same N
// entries ("* * * * * * *", every second, and "@daily"); its lateness is
// not measured (it does not report due times), so its row has CPU and
// RSS only. Without supercronic (go install
// github.com/aptible/supercronic@latest) its rows are skipped with a
// note.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/rpc"
)

func main() {
	n := flag.Int("n", 1000, "number of jobs")
	d := flag.Duration("d", 30*time.Second, "interval scenario duration")
	idle := flag.Duration("idle", 20*time.Second, "daily scenario idle window")
	superd := flag.String("superd", "", "superd binary (default: build ./cmd/superd)")
	sc := flag.String("supercronic", "", "supercronic binary (default: $PATH, then $GOBIN or ~/go/bin)")
	flag.Parse()
	dir, err := os.MkdirTemp("/tmp", "jobsbench")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	if *superd == "" {
		*superd = filepath.Join(dir, "superd")
		if out, err := exec.Command("go", "build", "-o", *superd, "./cmd/superd").CombinedOutput(); err != nil {
			fail(fmt.Errorf("building superd: %v\n%s", err, out))
		}
	}
	if *sc == "" {
		*sc = findSupercronic()
	}
	fmt.Printf("jobs bench: %d jobs, interval scenario %s, daily idle %s, %d CPUs\n\n", *n, *d, *idle, cpus())
	fmt.Printf("%-26s %10s %10s %10s %8s %8s %9s\n", "scenario", "late p50", "late p99", "late max", "runs", "CPU %", "RSS MiB")
	r := superdInterval(*superd, dir, *n, *d)
	fmt.Printf("%-26s %8.1fms %8.1fms %8.1fms %8d %8.2f %9.1f\n", "superd interval=1", r.p50*1e3, r.p99*1e3, r.max*1e3, r.runs, r.cpu, r.rss)
	if *sc != "" {
		r := supercronic(*sc, dir, *n, "* * * * * * *", *d)
		fmt.Printf("%-26s %10s %10s %10s %8s %8.2f %9.1f\n", "supercronic every second", "-", "-", "-", "-", r.cpu, r.rss)
	}
	r = superdDaily(*superd, dir, *n, *idle)
	fmt.Printf("%-26s %10s %10s %10s %8s %8.3f %9.1f\n", "superd @daily (idle)", "-", "-", "-", "-", r.cpu, r.rss)
	if *sc != "" {
		r := supercronic(*sc, dir, *n, "@daily", *idle)
		fmt.Printf("%-26s %10s %10s %10s %8s %8.3f %9.1f\n", "supercronic @daily (idle)", "-", "-", "-", "-", r.cpu, r.rss)
	} else {
		fmt.Println("\nsupercronic: not installed (go install github.com/aptible/supercronic@latest); its rows are skipped")
	}
}

type result struct {
	p50, p99, max float64
	runs          int
	cpu, rss      float64
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "jobs bench:", err)
	os.Exit(1)
}

func cpus() int {
	n := 0
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if strings.HasPrefix(s.Text(), "processor") {
			n++
		}
	}
	return n
}

func findSupercronic() string {
	if p, err := exec.LookPath("supercronic"); err == nil {
		return p
	}
	for _, d := range []string{os.Getenv("GOBIN"), filepath.Join(os.Getenv("HOME"), "go", "bin"), "/tmp/jobsv/bin"} {
		if d == "" {
			continue
		}
		if p := filepath.Join(d, "supercronic"); isExec(p) {
			return p
		}
	}
	return ""
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode()&0o111 != 0
}

// cpuOf returns the process's own user+system CPU time.
func cpuOf(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ = 100
}

func rssOf(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// measure samples CPU over d (after settle) and the peak RSS.
func measure(pid int, settle, d time.Duration) (cpu, rss float64) {
	time.Sleep(settle)
	c0, t0 := cpuOf(pid), time.Now()
	deadline := t0.Add(d)
	for time.Now().Before(deadline) {
		rss = max(rss, rssOf(pid))
		time.Sleep(200 * time.Millisecond)
	}
	c1, t1 := cpuOf(pid), time.Now()
	return 100 * (c1 - c0).Seconds() / t1.Sub(t0).Seconds(), rss
}

func startSuperd(bin, dir string, n int, schedule string) (*exec.Cmd, *rpc.Client) {
	sub, _ := os.MkdirTemp(dir, "superd")
	var b strings.Builder
	fmt.Fprintf(&b, "[supervisord]\nlogfile=%[1]s/superd.log\nloglevel=warn\npidfile=%[1]s/superd.pid\nchildlogdir=%[1]s\nstatedir=%[1]s/state\nminfds=%[2]d\n", sub, 8*n+1024)
	fmt.Fprintf(&b, "[unix_http_server]\nfile=%s/s.sock\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n", sub)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "[job:j%04d]\ncommand=/bin/true\n%s\nstdout_logfile=NONE\nstderr_logfile=NONE\n", i, schedule)
	}
	conf := filepath.Join(sub, "s.conf")
	os.WriteFile(conf, []byte(b.String()), 0o644)
	cmd := exec.Command(bin, "-n", "-c", conf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	c := rpc.NewClient("unix://"+sub+"/s.sock", "", "")
	for i := 0; ; i++ {
		if _, err := c.GetState(context.Background()); err == nil {
			break
		}
		if i > 500 {
			cmd.Process.Kill()
			fail(fmt.Errorf("superd did not answer"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, c
}

func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

func superdInterval(bin, dir string, n int, d time.Duration) result {
	cmd, c := startSuperd(bin, dir, n, "interval = 1")
	defer stop(cmd)
	var r result
	r.cpu, r.rss = measure(cmd.Process.Pid, 2*time.Second, d)
	var late []float64
	ctx := context.Background()
	for i := 0; i < n; i++ {
		runs, err := c.JobHistory(ctx, fmt.Sprintf("j%04d", i), 0)
		if err != nil {
			fail(err)
		}
		for _, run := range runs {
			if run.Trigger == "schedule" && run.Result != "skipped" {
				late = append(late, run.Lateness)
			}
		}
	}
	r.runs = len(late)
	slices.Sort(late)
	if len(late) > 0 {
		r.p50 = late[len(late)/2]
		r.p99 = late[min(len(late)-1, len(late)*99/100)]
		r.max = late[len(late)-1]
	}
	return r
}

func superdDaily(bin, dir string, n int, idle time.Duration) result {
	cmd, _ := startSuperd(bin, dir, n, "schedule = @daily")
	defer stop(cmd)
	var r result
	r.cpu, r.rss = measure(cmd.Process.Pid, 2*time.Second, idle)
	return r
}

func supercronic(bin, dir string, n int, spec string, d time.Duration) result {
	sub, _ := os.MkdirTemp(dir, "supercronic")
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%s /bin/true\n", spec)
	}
	tab := filepath.Join(sub, "crontab")
	os.WriteFile(tab, []byte(b.String()), 0o644)
	cmd := exec.Command(bin, "-quiet", tab)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	defer stop(cmd)
	var r result
	r.cpu, r.rss = measure(cmd.Process.Pid, 2*time.Second, d)
	return r
}
