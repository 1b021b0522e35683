package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is the runner's configuration (flags).
type config struct {
	Ns          []int
	Impls       []string
	Extra       []Impl
	Ref         string
	Rounds      int
	Idle        time.Duration
	Settle      time.Duration
	Calls       int // getAllProcessInfo calls per implementation and N
	CtlRuns     int // status CLI runs per implementation and N
	Kills       int // kill -9 per implementation and N
	LogBytes    int64
	LogMaxBytes int64
	LogRounds   int
	Poll        time.Duration // pause between getAllProcessInfo polls while waiting
	FastPoll    time.Duration // pause between getProcessInfo polls (kill -9)
	Dir         string
	Keep        bool
	Skip        []string // scenario groups to skip: suite, spawn1, log
	SuperdBin   string
	SuperctlBin string
	Quick       bool
}

func defaultConfig() config {
	return config{
		Ns:          []int{200, 1000, 3000},
		Impls:       []string{"superd", "supervisord"},
		Ref:         "supervisord",
		Rounds:      3,
		Idle:        20 * time.Second,
		Settle:      time.Second,
		Calls:       50,
		CtlRuns:     10,
		Kills:       20,
		LogBytes:    1 << 30,
		LogMaxBytes: 50 << 20,
		LogRounds:   3,
		Poll:        20 * time.Millisecond,
		FastPoll:    time.Millisecond,
	}
}

// quick turns c into the smoke-test configuration.
func (c *config) quick() {
	c.Quick = true
	c.Ns = []int{10}
	c.Rounds = 1
	c.Idle = 500 * time.Millisecond
	c.Settle = 100 * time.Millisecond
	c.Calls = 5
	c.CtlRuns = 2
	c.Kills = 3
	c.LogBytes = 6 << 20
	c.LogMaxBytes = 1 << 20
	c.LogRounds = 1
}

func main() {
	if isSoak(os.Args[1:]) { // the soak run (soak.go)
		sc, err := parseSoak(os.Args[1:])
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := runSoak(ctx, sc, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench: soak:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	ns := fs.String("n", "200,1000,3000", "comma-separated numbers of programs")
	im := fs.String("impl", "superd,supervisord", "comma-separated implementations, from: "+implNames())
	var extra []string
	fs.Func("extra", "add an implementation: 'name|daemon template|status template' (repeatable)", func(s string) error {
		extra = append(extra, s)
		return nil
	})
	fs.StringVar(&cfg.Ref, "ref", cfg.Ref, "reference implementation for the ratio columns")
	fs.IntVar(&cfg.Rounds, "rounds", cfg.Rounds, "daemon launches per implementation, N and startsecs (alternating)")
	fs.DurationVar(&cfg.Idle, "idle", cfg.Idle, "idle window for the CPU measurement")
	fs.IntVar(&cfg.Calls, "calls", cfg.Calls, "getAllProcessInfo calls per implementation and N (spread over rounds)")
	fs.IntVar(&cfg.CtlRuns, "ctl", cfg.CtlRuns, "status CLI runs per implementation and N (spread over rounds)")
	fs.IntVar(&cfg.Kills, "kills", cfg.Kills, "kill -9 restarts per implementation and N (spread over rounds)")
	logMB := fs.Int64("log-mb", cfg.LogBytes>>20, "log volume in MiB for the throughput scenario")
	maxMB := fs.Int64("log-maxbytes-mb", cfg.LogMaxBytes>>20, "stdout_logfile_maxbytes in MiB")
	fs.IntVar(&cfg.LogRounds, "log-rounds", cfg.LogRounds, "log throughput runs per implementation")
	fs.StringVar(&cfg.Dir, "dir", "", "work directory (default: a new temp dir, removed at the end)")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the work directory")
	skip := fs.String("skip", "", "comma-separated scenario groups to skip: suite, tmpfs, spawn1, update, log, limit")
	fs.StringVar(&cfg.SuperdBin, "superd", "", "use this superd binary instead of building ./cmd/superd")
	fs.StringVar(&cfg.SuperctlBin, "superctl", "", "use this superctl binary instead of building ./cmd/superctl")
	quick := fs.Bool("quick", false, "smoke mode: N=10, one round, 6 MiB of logs, short idle window")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if *quick {
		cfg.quick()
	} else {
		cfg.LogBytes = *logMB << 20
		cfg.LogMaxBytes = *maxMB << 20
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["n"] || !*quick {
		cfg.Ns = nil
		for _, s := range strings.Split(*ns, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 {
				return cfg, fmt.Errorf("-n: bad number %q", s)
			}
			cfg.Ns = append(cfg.Ns, n)
		}
	}
	if *quick && set["log-mb"] {
		cfg.LogBytes = *logMB << 20
	}
	cfg.Impls = strings.Split(*im, ",")
	for _, s := range extra {
		e, err := parseExtra(s)
		if err != nil {
			return cfg, err
		}
		cfg.Extra = append(cfg.Extra, e)
		if !slices.Contains(cfg.Impls, e.Name) {
			cfg.Impls = append(cfg.Impls, e.Name)
		}
	}
	if *skip != "" {
		cfg.Skip = strings.Split(*skip, ",")
	}
	if cfg.Rounds < 1 || cfg.LogRounds < 0 {
		return cfg, errors.New("-rounds must be >= 1")
	}
	return cfg, nil
}

func implNames() string {
	var s []string
	for _, im := range impls {
		s = append(s, im.Name)
	}
	return strings.Join(s, ", ")
}

// runner carries the state of one benchmark run.
type runner struct {
	cfg    config
	bins   *binaries
	res    *results
	dir    string
	marker string
	loggen string
	floor  string // bench/floor, the limit column
	// tmpfsDir is a directory on a tmpfs for the tmpfs spawn rows
	// ("" and tmpfsErr when there is none).
	tmpfsDir string
	tmpfsErr error
	logw     io.Writer
	active   []Impl
	broken   map[string]error // impl+group+N -> why it is skipped
	started  time.Time
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.logw, "%s %s\n", time.Since(r.started).Truncate(100*time.Millisecond), fmt.Sprintf(format, args...))
}

// run executes the benchmark, prints the table to out and progress to
// logw, and returns the results.
func run(ctx context.Context, cfg config, out, logw io.Writer) (*results, error) {
	r := &runner{cfg: cfg, res: newResults(), logw: logw, broken: map[string]error{}, started: time.Now()}
	load0 := loadAvg()
	r.marker = fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	if err := raiseNoFile(); err != nil {
		r.logf("warning: %v", err)
	}
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "superd-bench-")
		if err != nil {
			return nil, err
		}
		dir = d
		if !cfg.Keep {
			defer os.RemoveAll(dir)
		}
	}
	r.dir = dir
	defer killMarked(r.marker)
	bindir := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bindir, 0o755); err != nil {
		return nil, err
	}
	r.bins = &binaries{dir: bindir, built: map[string]string{}, errs: map[string]error{}, logf: r.logf,
		prebin: map[string]string{"{superd}": cfg.SuperdBin, "{superctl}": cfg.SuperctlBin}}

	all := slices.Clone(impls)
	all = append(all, cfg.Extra...)
	for _, name := range cfg.Impls {
		i := slices.IndexFunc(all, func(im Impl) bool { return im.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("unknown implementation %q (have %s)", name, implNames())
		}
		if err := r.bins.available(ctx, all[i]); err != nil {
			r.logf("skipping %s: %v", name, err)
			r.res.fail("available", "-", name, err)
			continue
		}
		r.active = append(r.active, all[i])
	}
	// Columns for every requested implementation, available or not, so
	// the table keeps its shape.
	names := cfg.Impls
	if len(r.active) == 0 {
		return r.res, errors.New("no implementation available")
	}
	var active []string
	for _, im := range r.active {
		active = append(active, im.Name)
	}
	r.logf("work dir %s; implementations %s", dir, strings.Join(active, ", "))

	loggen := filepath.Join(bindir, "loggen")
	if msg, err := exec.CommandContext(ctx, "go", "build", "-o", loggen, "github.com/superd/superd/bench/loggen").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build loggen: %w: %s", err, msg)
	}
	r.loggen = loggen
	floor := filepath.Join(bindir, "floor")
	if msg, err := exec.CommandContext(ctx, "go", "build", "-o", floor, "github.com/superd/superd/bench/floor").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build floor: %w: %s", err, msg)
	}
	r.floor = floor
	if !r.skipped("tmpfs") {
		defer r.setupTmpfs()()
	}
	limit := !r.skipped("limit")
	if limit {
		names = append(slices.Clone(names), limitName)
	}
	// limitGuard runs one floor measurement, recording a failure in the
	// limit column.
	limitGuard := func(id, n string, f func() error) {
		if !limit || ctx.Err() != nil {
			return
		}
		if err := f(); err != nil {
			r.logf("limit %s N=%s: %v", id, n, err)
			r.res.fail(id, n, limitName, err)
		}
	}

	for _, n := range cfg.Ns {
		for round := range cfg.Rounds {
			if !r.skipped("suite") {
				for _, im := range r.active {
					r.settleDisk()
					r.guard(ctx, im, "suite", n, func() error { return r.suite(ctx, im, n, round) })
				}
				limitGuard("spawn0", strconv.Itoa(n), func() error { return r.floorSpawn(ctx, n, false, round) })
			}
			if !r.skipped("tmpfs") {
				for _, im := range r.active {
					r.guard(ctx, im, "tmpfs", n, func() error { return r.spawnTmpfs(ctx, im, n, round) })
				}
				limitGuard("spawn0tmpfs", strconv.Itoa(n), func() error { return r.floorSpawn(ctx, n, true, round) })
			}
			if !r.skipped("spawn1") {
				for _, im := range r.active {
					r.settleDisk()
					r.guard(ctx, im, "spawn1", n, func() error { return r.spawn(ctx, im, n, 1, round) })
				}
			}
			if ctx.Err() != nil {
				return r.res, ctx.Err()
			}
		}
	}
	if !r.skipped("log") {
		for round := range cfg.LogRounds {
			if err := r.logDirect(ctx, round); err != nil {
				r.logf("log direct: %v", err)
				r.res.fail("logdirect", r.logN(), "", err)
			}
			limitGuard("logmbs", r.logN(), func() error { return r.logCat(ctx, round) })
			for _, im := range r.active {
				r.guard(ctx, im, "log", 0, func() error { return r.logRun(ctx, im, round) })
			}
			if ctx.Err() != nil {
				return r.res, ctx.Err()
			}
		}
	}

	fmt.Fprint(out, machineInfo(ctx))
	if p := r.bins.built["{superd}"]; p != "" {
		o, _ := exec.CommandContext(ctx, p, "version").CombinedOutput()
		fmt.Fprintf(out, "superd version: %s\n", strings.TrimSpace(string(o)))
	}
	fmt.Fprintf(out, "load average: %s at start, %s at end\n", load0, loadAvg())
	fmt.Fprintf(out, "command: go run ./bench %s\nrounds %d, idle window %v, %d getAllProcessInfo calls, %d status runs, %d kills per implementation and N; log %d MiB, maxbytes %d MiB\nwall time %v\n\n",
		strings.Join(os.Args[1:], " "), cfg.Rounds, cfg.Idle, cfg.Calls, cfg.CtlRuns, cfg.Kills, cfg.LogBytes>>20, cfg.LogMaxBytes>>20, time.Since(r.started).Round(time.Second))
	r.res.print(out, names, cfg.Ref)
	return r.res, nil
}

func (r *runner) skipped(group string) bool { return slices.Contains(r.cfg.Skip, group) }

// guard runs one scenario group for im unless an earlier round of the
// same group failed, in which case it is skipped (a broken daemon must
// not cost a timeout per round).
func (r *runner) guard(ctx context.Context, im Impl, group string, n int, f func() error) {
	k := fmt.Sprintf("%s/%s/%d", im.Name, group, n)
	if r.broken[k] != nil || ctx.Err() != nil {
		return
	}
	if err := f(); err != nil {
		r.broken[k] = err
		r.logf("%s %s N=%d: %v", im.Name, group, n, err)
		nn := strconv.Itoa(n)
		id := map[string]string{"suite": "spawn0", "tmpfs": "spawn0tmpfs", "spawn1": "spawn1", "log": "logmbs"}[group]
		if group == "log" {
			nn = r.logN()
		}
		r.res.fail(id, nn, im.Name, err)
	}
}

// raiseNoFile raises RLIMIT_NOFILE to its hard limit; children (the
// daemons and their programs) inherit it.
func raiseNoFile() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("getrlimit: %w", err)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("setrlimit NOFILE %d: %w", lim.Max, err)
	}
	return nil
}

// machineInfo describes the machine and versions for the report.
func machineInfo(ctx context.Context) string {
	var b strings.Builder
	model := "unknown"
	if c, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(c), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	var u syscall.Utsname
	kernel := "unknown"
	if syscall.Uname(&u) == nil {
		var s []byte
		for _, c := range u.Release {
			if c == 0 {
				break
			}
			s = append(s, byte(c))
		}
		kernel = string(s)
	}
	outOf := func(name string, args ...string) string {
		o, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
		if err != nil {
			return "unavailable"
		}
		return strings.TrimSpace(string(o))
	}
	var lim syscall.Rlimit
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	fmt.Fprintf(&b, "machine: %d CPUs, %s, Linux %s, RLIMIT_NOFILE %d\n", runtime.NumCPU(), model, kernel, lim.Cur)
	fmt.Fprintf(&b, "versions: supervisord %s, superd %s (%s), python %s\n",
		outOf("/usr/bin/supervisord", "--version"), outOf("git", "describe", "--always", "--dirty"), runtime.Version(),
		strings.TrimPrefix(outOf("python3", "--version"), "Python "))
	return b.String()
}

// loadAvg returns the 1-minute load average, to show how busy the
// machine was besides the benchmark.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(b))[0]
}
