package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/rpc"
)

// The soak run (issue 13 item 8): `go run ./bench -soak 30m`. superd
// runs 200 programs for the given time: a third steady, a third exiting
// and restarting every few seconds, a third chatty (numbered lines),
// while a client polls getAllProcessInfo every second. Every 10 s
// superd.getDaemonStats is sampled (RSS, descriptors, goroutines) into
// soak.csv; at the end the growth after the first minute is computed,
// the chatty logs are checked for lost lines, and soak.png is drawn.

// soakConfig is the configuration of a soak run.
type soakConfig struct {
	Duration  time.Duration
	Programs  int
	Dir       string
	SuperdBin string
	Sample    time.Duration
	PNG       string
}

// isSoak reports whether args ask for a soak run.
func isSoak(args []string) bool {
	for _, a := range args {
		if a == "-soak" || a == "--soak" || strings.HasPrefix(a, "-soak=") || strings.HasPrefix(a, "--soak=") {
			return true
		}
	}
	return false
}

func parseSoak(args []string) (soakConfig, error) {
	c := soakConfig{Programs: 200, Sample: 10 * time.Second}
	fs := flag.NewFlagSet("bench -soak", flag.ContinueOnError)
	fs.DurationVar(&c.Duration, "soak", 30*time.Minute, "how long to run")
	fs.IntVar(&c.Programs, "n", c.Programs, "programs (a third steady, a third restarting, a third chatty)")
	fs.StringVar(&c.Dir, "dir", "", "work directory (default: a new temp dir)")
	fs.StringVar(&c.SuperdBin, "superd", "", "superd binary (default: build ./cmd/superd)")
	fs.DurationVar(&c.Sample, "sample", c.Sample, "sampling period")
	fs.StringVar(&c.PNG, "png", "", "also write the plot here (it is always written to the work dir)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.Programs < 3 || c.Duration <= 0 {
		return c, errors.New("-n must be >= 3 and -soak > 0")
	}
	return c, nil
}

type soakSample struct {
	At                           time.Duration
	RSS, FDs, Goroutines, Thread int
	Children                     int
	Polls, PollErrors            int
}

func runSoak(ctx context.Context, c soakConfig, out io.Writer) error {
	dir := c.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "superd-soak-")
		if err != nil {
			return err
		}
		dir = d
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		return err
	}
	bin := c.SuperdBin
	if bin == "" {
		bin = filepath.Join(dir, "superd")
		if o, err := exec.Command("go", "build", "-o", bin, "./cmd/superd").CombinedOutput(); err != nil {
			return fmt.Errorf("build superd: %v\n%s", err, o)
		}
	}
	third := c.Programs / 3
	conf := filepath.Join(dir, "soak.conf")
	text := fmt.Sprintf(`[unix_http_server]
file=%[1]s/s.sock

[supervisord]
logfile=%[1]s/main.log
pidfile=%[1]s/s.pid
childlogdir=%[1]s/logs
statedir=%[1]s/state
minfds=4096

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:steady]
command=/bin/sleep 1000000
process_name=%%(program_name)s_%%(process_num)03d
numprocs=%[2]d
startsecs=0
autorestart=true

[program:flap]
command=/bin/sh -c "sleep 2.%%(process_num)03d; exit 1"
process_name=%%(program_name)s_%%(process_num)03d
numprocs=%[2]d
startsecs=1
startretries=1000000
autorestart=true

[program:chatty]
command=/bin/sh -c 'i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.1; done'
process_name=%%(program_name)s_%%(process_num)03d
numprocs=%[3]d
startsecs=0
autorestart=true
stdout_logfile=%[1]s/logs/chatty_%%(process_num)03d.log
stdout_logfile_maxbytes=0
`, dir, third, c.Programs-2*third)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return err
	}
	cmd := exec.Command(bin, "-n", "-c", conf)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}()
	client := rpc.NewClient("unix://"+filepath.Join(dir, "s.sock"), "", "")
	start := time.Now()
	for {
		if _, err := client.GetState(ctx); err == nil {
			break
		}
		if time.Since(start) > time.Minute {
			return errors.New("superd did not answer within a minute")
		}
		select {
		case err := <-done:
			return fmt.Errorf("superd exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	fmt.Fprintf(out, "soak: %d programs for %v in %s (superd pid %d)\n", c.Programs, c.Duration, dir, cmd.Process.Pid)

	// The poller: getAllProcessInfo every second, on its own client.
	polls, pollErrs := 0, 0
	pollCtx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		pc := rpc.NewClient("unix://"+filepath.Join(dir, "s.sock"), "", "")
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-pollCtx.Done():
				return
			case <-t.C:
			}
			infos, err := pc.GetAllProcessInfo(pollCtx)
			if err != nil || len(infos) != c.Programs {
				pollErrs++
			}
			polls++
		}
	}()

	csvf, err := os.Create(filepath.Join(dir, "soak.csv"))
	if err != nil {
		return err
	}
	defer csvf.Close()
	cw := csv.NewWriter(csvf)
	cw.Write([]string{"seconds", "rss_bytes", "fds", "goroutines", "threads", "children"})
	var samples []soakSample
	tick := time.NewTicker(c.Sample)
	defer tick.Stop()
	end := time.After(c.Duration)
	sample := func() error {
		s, err := client.DaemonStats(ctx)
		if err != nil {
			return fmt.Errorf("superd.getDaemonStats: %w", err)
		}
		smp := soakSample{At: time.Since(start), RSS: s.RSS, FDs: s.FDs, Goroutines: s.Goroutines, Thread: s.Threads, Children: s.Children}
		samples = append(samples, smp)
		cw.Write([]string{strconv.Itoa(int(smp.At.Seconds())), strconv.Itoa(s.RSS), strconv.Itoa(s.FDs),
			strconv.Itoa(s.Goroutines), strconv.Itoa(s.Threads), strconv.Itoa(s.Children)})
		cw.Flush()
		fmt.Fprintf(out, "%6.0fs rss %6.1f MiB  fds %4d  goroutines %4d  threads %3d  children %d\n",
			smp.At.Seconds(), float64(s.RSS)/(1<<20), s.FDs, s.Goroutines, s.Threads, s.Children)
		return nil
	}
	if err := sample(); err != nil {
		return err
	}
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-done:
			return fmt.Errorf("superd exited during the soak: %v", err)
		case <-end:
			break loop
		case <-tick.C:
			if err := sample(); err != nil {
				return err
			}
		}
	}
	stopPoll()
	<-pollDone
	if err := sample(); err != nil {
		return err
	}

	// Stop superd (ordered), then check the chatty logs.
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		return errors.New("superd did not stop within 60 s")
	}
	lost, lines, err := checkChattyLogs(filepath.Join(dir, "logs"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "soak: %d samples, %d polls (%d failed), %d chatty lines checked, %d lost\n",
		len(samples), polls, pollErrs, lines, lost)
	for _, m := range []struct {
		name string
		get  func(soakSample) int
	}{{"rss", func(s soakSample) int { return s.RSS }}, {"fds", func(s soakSample) int { return s.FDs }},
		{"goroutines", func(s soakSample) int { return s.Goroutines }}} {
		base, last, max := growth(samples, m.get)
		fmt.Fprintf(out, "soak: %-10s after 1 min %d, at the end %d (%+.1f %%), max %d\n", m.name, base, last,
			100*float64(last-base)/float64(max1(base)), max)
	}
	png := filepath.Join(dir, "soak.png")
	if err := plotSoak(samples, png); err != nil {
		return err
	}
	if c.PNG != "" {
		if err := plotSoak(samples, c.PNG); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "soak: samples in %s, plot in %s\n", filepath.Join(dir, "soak.csv"), png)
	return nil
}

func max1(n int) int { return max(n, 1) }

// growth returns the value at the first sample one minute after the
// first one (the
// first sample if the run is shorter), the mean of the last three
// samples, and the maximum.
func growth(ss []soakSample, get func(soakSample) int) (base, last, mx int) {
	base = get(ss[0])
	for _, s := range ss {
		if s.At-ss[0].At >= time.Minute {
			base = get(s)
			break
		}
	}
	n := min(3, len(ss))
	for _, s := range ss[len(ss)-n:] {
		last += get(s)
	}
	last /= n
	for _, s := range ss {
		mx = max(mx, get(s))
	}
	return base, last, mx
}

// checkChattyLogs reads every chatty_*.log: each holds "line N" with N
// counting up by one within each run of the program (a restart starts
// again at 1). A gap is a lost line.
func checkChattyLogs(dir string) (lost, lines int, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "chatty_*.log"))
	if err != nil || len(files) == 0 {
		return 0, 0, fmt.Errorf("no chatty logs in %s", dir)
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return 0, 0, err
		}
		sc := bufio.NewScanner(fh)
		prev := 0
		for sc.Scan() {
			n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "line "))
			if err != nil {
				lost++ // a mangled line
				continue
			}
			lines++
			if n != prev+1 && n != 1 {
				lost += n - prev - 1
			}
			prev = n
		}
		fh.Close()
	}
	return lost, lines, nil
}
