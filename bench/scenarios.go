package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/superd/superd/bench/internal/lines"
)

// supervisord process states.
const (
	stateStopped = 0
	stateRunning = 20
	stateExited  = 100
)

// spawnTimeout bounds the wait for n processes to be RUNNING.
func spawnTimeout(n int) time.Duration { return 30*time.Second + time.Duration(n)*100*time.Millisecond }

const shutdownTimeout = 60 * time.Second

// share is how many of total go into one of rounds rounds.
func share(total, rounds int) int { return (total + rounds - 1) / rounds }

func (r *runner) runDir(im Impl, what string) string {
	return filepath.Join(r.dir, fmt.Sprintf("%s-%s", im.Name, what))
}

// spawn launches a daemon with n programs at startsecs and records the
// time until all are RUNNING. With startsecs=1 the programs are in
// groups (groupsFor) and the same daemon then runs the reread + update
// scenario (update). Then it shuts the daemon down.
func (r *runner) spawn(ctx context.Context, im Impl, n, startsecs, round int) error {
	o := confOpts{N: n, StartSecs: startsecs, Marker: r.marker}
	if startsecs == 1 {
		o.Groups = groupsFor(n)
	}
	return r.spawnRun(ctx, im, fmt.Sprintf("spawn%d", startsecs), fmt.Sprintf("n%d-s%d-r%d", n, startsecs, round), o)
}

// spawnTmpfs is spawn at startsecs=0 with childlogdir on a tmpfs.
func (r *runner) spawnTmpfs(ctx context.Context, im Impl, n, round int) error {
	base, err := r.logBase(true)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("n%d-tmpfs-r%d", n, round)
	logdir := filepath.Join(base, im.Name+"-"+what)
	defer r.cleanDir(logdir)
	return r.spawnRun(ctx, im, "spawn0tmpfs", what, confOpts{N: n, Marker: r.marker, ChildLogDir: logdir})
}

func (r *runner) spawnRun(ctx context.Context, im Impl, id, what string, o confOpts) error {
	n := o.N
	dir := r.runDir(im, what)
	defer r.cleanDir(dir)
	d, err := launch(ctx, r.bins, im, dir, o)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, spawnTimeout(n))
	took, how, err := d.waitSpawn(sctx, n, r.cfg.Poll)
	cancel()
	if err != nil {
		_, _, _ = d.shutdown(5 * time.Second)
		return err
	}
	r.res.add(id, strconv.Itoa(n), im.Name, took.Seconds())
	r.logf("%s N=%d %s: all RUNNING after %.3fs (%s)", im.Name, n, id, took.Seconds(), how)
	if o.Groups != nil && !r.skipped("update") {
		if err := r.update(ctx, d, im, o); err != nil {
			r.res.fail("update", strconv.Itoa(n), im.Name, err)
			r.logf("%s N=%d update: %v", im.Name, n, err)
		}
	}
	if _, left, err := d.shutdown(shutdownTimeout); err != nil || left > 0 {
		return fmt.Errorf("shutdown: %v, %d processes left behind", err, left)
	}
	return nil
}

// suite launches a daemon with n programs at startsecs=0 and measures,
// on the same daemon: spawn, RSS, idle CPU (first round only), control
// latency, status CLI, kill -9 restarts, stop/start all and shutdown.
func (r *runner) suite(ctx context.Context, im Impl, n, round int) error {
	dir := r.runDir(im, fmt.Sprintf("n%d-s0-r%d", n, round))
	defer r.cleanDir(dir)
	ns := strconv.Itoa(n)
	d, err := launch(ctx, r.bins, im, dir, confOpts{N: n, StartSecs: 0, Marker: r.marker})
	if err != nil {
		return err
	}
	shut := false
	defer func() {
		if !shut {
			_, _, _ = d.shutdown(5 * time.Second)
		}
	}()
	sctx, cancel := context.WithTimeout(ctx, spawnTimeout(n))
	took, how, err := d.waitSpawn(sctx, n, r.cfg.Poll)
	cancel()
	if err != nil {
		return err
	}
	r.res.add("spawn0", ns, im.Name, took.Seconds())
	r.logf("%s N=%d startsecs=0: all RUNNING after %.3fs (%s)", im.Name, n, took.Seconds(), how)

	pid, err := d.api.GetPID(ctx)
	if err != nil {
		return fmt.Errorf("getPID: %w", err)
	}
	time.Sleep(r.cfg.Settle)
	if rss, err := procRSS(pid); err != nil {
		r.res.fail("rss", ns, im.Name, err)
	} else {
		r.res.add("rss", ns, im.Name, float64(rss)/(1<<20))
	}
	// RssAnon: the daemon's own memory, without the mapped pages of
	// its binary and libraries (which depend on the binary's size and
	// on what of it the page cache holds).
	if anon, err := procStatus(pid, "RssAnon"); err != nil {
		r.res.fail("rssanon", ns, im.Name, err)
	} else {
		r.res.add("rssanon", ns, im.Name, float64(anon)/(1<<20))
	}
	if round == 0 && r.cfg.Idle > 0 {
		c0, err0 := procCPU(pid)
		t0 := time.Now()
		time.Sleep(r.cfg.Idle)
		c1, err1 := procCPU(pid)
		if err := errors.Join(err0, err1); err != nil {
			r.res.fail("idlecpu", ns, im.Name, err)
		} else {
			pct := 100 * (c1 - c0).Seconds() / time.Since(t0).Seconds()
			r.res.add("idlecpu", ns, im.Name, pct)
			r.logf("%s N=%d: idle CPU %.3f%% over %v", im.Name, n, pct, r.cfg.Idle)
		}
		if rss, err := procRSS(pid); err != nil {
			r.res.fail("rssidle", ns, im.Name, err)
		} else {
			r.res.add("rssidle", ns, im.Name, float64(rss)/(1<<20))
		}
	}

	calls := share(r.cfg.Calls, r.cfg.Rounds)
	ctlRuns := share(r.cfg.CtlRuns, r.cfg.Rounds)
	if n > 1000 {
		// supervisord takes seconds per call at N=3000: a third of
		// the calls keeps the run's length reasonable.
		calls, ctlRuns = max(3, calls/3), max(2, ctlRuns/2)
	}
	r.measure(ctx, "getall", ns, im, calls, func() error {
		b, err := d.raw.call(ctx, "supervisor.getAllProcessInfo")
		if err == nil && countProcs(b) != n {
			err = fmt.Errorf("getAllProcessInfo returned %d processes, want %d", countProcs(b), n)
		}
		return err
	})
	r.measure(ctx, "getalldec", ns, im, max(1, calls/3), func() error {
		infos, err := d.api.GetAllProcessInfo(ctx)
		if err == nil && len(infos) != n {
			err = fmt.Errorf("getAllProcessInfo returned %d processes, want %d", len(infos), n)
		}
		return err
	})
	if im.Status != "" {
		argv, err := r.bins.expand(ctx, im.Status, map[string]string{"{conf}": d.conf, "{sock}": d.sock})
		if err != nil {
			r.res.fail("status", ns, im.Name, err)
		} else {
			r.measure(ctx, "status", ns, im, ctlRuns, func() error {
				out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
				if c := strings.Count(string(out), "RUNNING"); c < n {
					return fmt.Errorf("%s: %d RUNNING lines, want %d (exit: %v): %.200s", strings.Join(argv, " "), c, n, err, out)
				}
				return nil
			})
		}
	}

	kills := share(r.cfg.Kills, r.cfg.Rounds)
	var crashes []float64
	for i := range kills {
		name := fmt.Sprintf("p:p_%04d", (round*kills+i)%n)
		ms, err := r.crash(ctx, d, name)
		if err != nil {
			r.res.fail("crash", ns, im.Name, err)
			break
		}
		r.res.add("crash", ns, im.Name, ms)
		crashes = append(crashes, ms)
	}
	if len(crashes) > 0 {
		r.logf("%s N=%d crash: median %.2fms of %d", im.Name, n, percentile(crashes, 50), len(crashes))
	}

	if err := r.stopStart(ctx, d, im, n); err != nil {
		r.res.fail("stopall", ns, im.Name, err)
	}

	shut = true
	took, left, err := d.shutdown(shutdownTimeout)
	if err != nil || left > 0 {
		err = fmt.Errorf("shutdown: %v, %d processes left behind", err, left)
		r.res.fail("shutdown", ns, im.Name, err)
		return err
	}
	r.res.add("shutdown", ns, im.Name, took.Seconds())
	return nil
}

// measure runs f count times, recording each duration in ms under id;
// the first error is recorded and ends the series.
func (r *runner) measure(ctx context.Context, id, n string, im Impl, count int, f func() error) {
	var ds []float64
	for range count {
		if ctx.Err() != nil {
			return
		}
		t0 := time.Now()
		err := f()
		el := time.Since(t0)
		if err != nil {
			r.res.fail(id, n, im.Name, err)
			r.logf("%s N=%s %s: %v", im.Name, n, id, err)
			return
		}
		ms := float64(el) / float64(time.Millisecond)
		r.res.add(id, n, im.Name, ms)
		ds = append(ds, ms)
	}
	if len(ds) > 0 {
		r.logf("%s N=%s %s: median %.2fms max %.2fms of %d", im.Name, n, id, percentile(ds, 50), slices.Max(ds), len(ds))
	}
}

// crash kills name with SIGKILL and returns the ms until a new pid is
// RUNNING.
func (r *runner) crash(ctx context.Context, d *daemon, name string) (float64, error) {
	in, err := d.api.GetProcessInfo(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("getProcessInfo %s: %w", name, err)
	}
	if in.State != stateRunning || in.PID <= 0 {
		return 0, fmt.Errorf("%s is %s (pid %d), not RUNNING", name, in.StateName, in.PID)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	t0 := time.Now()
	if err := syscall.Kill(in.PID, syscall.SIGKILL); err != nil {
		return 0, fmt.Errorf("kill %d: %w", in.PID, err)
	}
	for {
		now, err := d.api.GetProcessInfo(cctx, name)
		if err != nil {
			return 0, fmt.Errorf("getProcessInfo %s after kill: %w", name, err)
		}
		if now.State == stateRunning && now.PID > 0 && now.PID != in.PID {
			return float64(time.Since(t0)) / float64(time.Millisecond), nil
		}
		select {
		case <-cctx.Done():
			return 0, fmt.Errorf("%s not RUNNING again after kill -9: %s", name, now.StateName)
		case <-time.After(r.cfg.FastPoll):
		}
	}
}

// stopStart times stopAllProcesses(wait) and startAllProcesses(wait) and
// checks their effect (untimed).
func (r *runner) stopStart(ctx context.Context, d *daemon, im Impl, n int) error {
	ns := strconv.Itoa(n)
	cctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	t0 := time.Now()
	if _, err := d.api.StopAllProcesses(cctx, true); err != nil {
		return fmt.Errorf("stopAllProcesses: %w", err)
	}
	stop := time.Since(t0)
	infos, err := d.api.GetAllProcessInfo(cctx)
	if err != nil {
		return err
	}
	for _, in := range infos {
		if in.State != stateStopped {
			return fmt.Errorf("after stopAllProcesses(wait) %s is %s", in.Name, in.StateName)
		}
	}
	t1 := time.Now()
	if _, err := d.api.StartAllProcesses(cctx, true); err != nil {
		r.res.add("stopall", ns, im.Name, stop.Seconds())
		r.res.fail("startall", ns, im.Name, err)
		return nil
	}
	start := time.Since(t1)
	r.res.add("stopall", ns, im.Name, stop.Seconds())
	r.res.add("startall", ns, im.Name, start.Seconds())
	r.res.add("restartall", ns, im.Name, (stop + start).Seconds())
	r.logf("%s N=%d: stop all %.3fs, start all %.3fs", im.Name, n, stop.Seconds(), start.Seconds())
	// startsecs=0: every process is RUNNING once the call returns, or
	// very shortly after; poll to make sure nothing was lost.
	if err := d.pollRunning(cctx, n, r.cfg.Poll); err != nil {
		r.res.fail("startall", ns, im.Name, fmt.Errorf("after startAllProcesses(wait): %w", err))
	}
	return nil
}

// groupsFor splits n programs into [program:aNNN] groups of 50 (fewer
// for small n), for the update scenario.
func groupsFor(n int) []group {
	size := 50
	if n < 200 {
		size = max(1, n/10)
	}
	var gs []group
	for i := 0; n > 0; i++ {
		k := min(size, n)
		gs = append(gs, group{Name: fmt.Sprintf("a%03d", i), N: k})
		n -= k
	}
	return gs
}

// update rewrites d's config without the second half of its groups and
// with as many new groups of the same sizes, then does what
// supervisorctl update does, timed: reloadConfig, then per removed
// group stopProcessGroup(wait) and removeProcessGroup, then per added
// group addProcessGroup. Untimed, it then checks that n processes are
// RUNNING.
func (r *runner) update(ctx context.Context, d *daemon, im Impl, o confOpts) error {
	ns := strconv.Itoa(o.N)
	half := len(o.Groups) / 2
	keep, gone := o.Groups[:len(o.Groups)-half], o.Groups[len(o.Groups)-half:]
	o2 := o
	o2.Groups = slices.Clone(keep)
	moved := 0
	for i, g := range gone {
		o2.Groups = append(o2.Groups, group{Name: fmt.Sprintf("b%03d", i), N: g.N})
		moved += g.N
	}
	if _, err := writeConf(d.dir, o2); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, spawnTimeout(o.N)+shutdownTimeout)
	defer cancel()
	t0 := time.Now()
	added, changed, removed, err := d.api.ReloadConfig(cctx)
	if err != nil {
		return fmt.Errorf("reloadConfig: %w", err)
	}
	reread := time.Since(t0)
	if len(added) != half || len(removed) != half || len(changed) != 0 {
		return fmt.Errorf("reloadConfig: added %v changed %v removed %v, want %d added and removed", added, changed, removed, half)
	}
	for _, g := range removed {
		if _, err := d.api.StopProcessGroup(cctx, g, true); err != nil {
			return fmt.Errorf("stopProcessGroup %s: %w", g, err)
		}
		if err := d.api.RemoveProcessGroup(cctx, g); err != nil {
			return fmt.Errorf("removeProcessGroup %s: %w", g, err)
		}
	}
	stopped := time.Since(t0)
	for _, g := range added {
		if err := d.api.AddProcessGroup(cctx, g); err != nil {
			return fmt.Errorf("addProcessGroup %s: %w", g, err)
		}
	}
	el := time.Since(t0)
	r.res.add("update", ns, im.Name, el.Seconds())
	r.logf("%s N=%d: update (%d removed, %d added) %.3fs in all: reloadConfig %.3fs, stop+remove %.3fs, add %.3fs",
		im.Name, o.N, moved, moved, el.Seconds(), reread.Seconds(), (stopped - reread).Seconds(), (el - stopped).Seconds())
	if err := d.pollRunning(cctx, o.N, r.cfg.Poll); err != nil {
		return fmt.Errorf("after update: %w", err)
	}
	b, err := d.raw.call(cctx, "supervisor.getAllProcessInfo")
	if err == nil && countProcs(b) != o.N {
		err = fmt.Errorf("after update: %d processes, want %d", countProcs(b), o.N)
	}
	return err
}

func (r *runner) cleanDir(dir string) {
	if !r.cfg.Keep {
		_ = os.RemoveAll(dir)
	}
}

// Log throughput.

func (r *runner) logLines() int64 { return r.cfg.LogBytes / lines.Len }

func (r *runner) logN() string {
	if r.cfg.LogBytes >= 1<<30 && r.cfg.LogBytes%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", r.cfg.LogBytes>>30)
	}
	return fmt.Sprintf("%d MiB", r.cfg.LogBytes>>20)
}

// logBackups is enough backups to keep every line written: the
// benchmark checks that nothing is lost, not what rotation discards.
func (r *runner) logBackups() int {
	want := r.logLines() * lines.Len
	return int((want+r.cfg.LogMaxBytes-1)/r.cfg.LogMaxBytes) + 4
}

// logDirect runs the generator with stdout on a plain file: the
// physical limit of the disk and the generator.
func (r *runner) logDirect(ctx context.Context, round int) error {
	dir := filepath.Join(r.dir, fmt.Sprintf("direct-r%d", round))
	defer r.cleanDir(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	p := filepath.Join(dir, "direct.log")
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	defer f.Close()
	r.settleDisk()
	cmd := exec.CommandContext(ctx, r.loggen, "-lines", strconv.FormatInt(r.logLines(), 10))
	cmd.Stdout = f
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("loggen: %w", err)
	}
	el := time.Since(t0)
	want := r.logLines() * lines.Len
	mbs := float64(want) / 1e6 / el.Seconds()
	r.res.add("logdirect", r.logN(), "", mbs)
	r.logf("generator straight to file: %.0f MB/s", mbs)
	rep, err := verifyLogs(p, r.logLines())
	if err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("direct file: %s", rep)
	}
	return nil
}

// logRun starts the generator under the daemon and times it from the
// startProcess call until every byte is in the log file and its
// backups; then it verifies every line.
func (r *runner) logRun(ctx context.Context, im Impl, round int) error {
	dir := r.runDir(im, fmt.Sprintf("log-r%d", round))
	defer r.cleanDir(dir)
	nl := r.logLines()
	want := nl * lines.Len
	d, err := launch(ctx, r.bins, im, dir, confOpts{
		Marker:      r.marker,
		GenCmd:      fmt.Sprintf("%s -lines %d", r.loggen, nl),
		GenMaxBytes: r.cfg.LogMaxBytes,
		GenBackups:  r.logBackups(),
	})
	if err != nil {
		return err
	}
	shut := false
	defer func() {
		if !shut {
			_, _, _ = d.shutdown(5 * time.Second)
		}
	}()
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	_, err = d.waitReady(rctx)
	cancel()
	if err != nil {
		return err
	}
	r.settleDisk()

	logPath := filepath.Join(dir, "gen.log")
	t0 := time.Now()
	if err := d.api.StartProcess(ctx, "gen", false); err != nil {
		return fmt.Errorf("startProcess gen: %w", err)
	}
	var (
		done       time.Duration // when the size first reached want
		confirm    int
		lastSize   int64 = -1
		lastChange       = time.Now()
		exited     bool
	)
	deadline := time.Now().Add(10*time.Minute + time.Duration(want/(20<<20))*time.Second)
	for i := 0; ; i++ {
		size := logSize(logPath)
		if size == want {
			if confirm == 0 {
				done = time.Since(t0)
			}
			confirm++
			if confirm >= 3 {
				break
			}
		} else {
			confirm = 0
		}
		if size != lastSize {
			lastSize, lastChange = size, time.Now()
		}
		// Rarely, and only once the size stops moving, ask whether the
		// generator has exited: a stalled count means lost bytes.
		if time.Since(lastChange) > 2*time.Second {
			in, err := d.api.GetProcessInfo(ctx, "gen")
			if err == nil && in.State != stateRunning && in.State != 10 {
				exited = true
			}
			if exited && time.Since(lastChange) > 4*time.Second {
				done = lastChange.Sub(t0)
				break
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("log scenario timed out with %d of %d bytes", size, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mbs := float64(want) / 1e6 / done.Seconds()
	// The generator must end EXITED (exit 0) now.
	ectx, cancel := context.WithTimeout(ctx, 30*time.Second)
	for {
		in, err := d.api.GetProcessInfo(ectx, "gen")
		if err == nil && in.State == stateExited {
			break
		}
		if ectx.Err() != nil {
			cancel()
			return fmt.Errorf("generator not EXITED after its output was written (%s, %v)", in.StateName, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	shut = true
	if _, left, err := d.shutdown(shutdownTimeout); err != nil || left > 0 {
		return fmt.Errorf("shutdown: %v, %d processes left behind", err, left)
	}
	rep, err := verifyLogs(logPath, nl)
	if err != nil {
		return err
	}
	r.res.add("logmbs", r.logN(), im.Name, mbs)
	r.res.add("loglost", r.logN(), im.Name, float64(rep.Missing))
	r.logf("%s log: %.0f MB/s, %s", im.Name, mbs, rep)
	if !rep.OK() {
		err := fmt.Errorf("log check: %s; first problem: %s", rep, rep.FirstErr)
		r.res.fail("loglost", r.logN(), im.Name, err)
	}
	return nil
}

// logFiles returns path's rotated backups oldest first, then path.
func logFiles(path string) []string {
	ms, _ := filepath.Glob(path + ".*")
	type bk struct {
		n int
		p string
	}
	var bs []bk
	for _, m := range ms {
		if n, err := strconv.Atoi(strings.TrimPrefix(m, path+".")); err == nil {
			bs = append(bs, bk{n, m})
		}
	}
	slices.SortFunc(bs, func(a, b bk) int { return b.n - a.n })
	var out []string
	for _, b := range bs {
		out = append(out, b.p)
	}
	return append(out, path)
}

// logSize sums the sizes of path and its backups.
func logSize(path string) int64 {
	var n int64
	for _, p := range logFiles(path) {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func verifyLogs(path string, want int64) (lines.Report, error) {
	var rs []io.Reader
	for _, p := range logFiles(path) {
		f, err := os.Open(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return lines.Report{}, err
		}
		defer f.Close()
		rs = append(rs, f)
	}
	return lines.Verify(want, rs...)
}
