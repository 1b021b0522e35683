package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/superd/superd/bench/internal/lines"
)

// The "limit" column: the same work as the daemons' per-child system
// calls done by a bare program (bench/floor), measured in the same run,
// alternating with the daemons. limitName is its column.
const limitName = "limit"

// floorResult is one run of bench/floor spawn.
type floorResult struct {
	spawn, stop     time.Duration
	rssKiB, anonKiB int64
}

// runFloor runs bench/floor with n children, log files in dir, and k
// worker processes.
func (r *runner) runFloor(ctx context.Context, n, k int, dir string) (floorResult, error) {
	var fr floorResult
	cctx, cancel := context.WithTimeout(ctx, spawnTimeout(n)+shutdownTimeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, r.floor, "spawn", "-n", strconv.Itoa(n), "-dir", dir, "-workers", strconv.Itoa(k))
	cmd.Env = append(os.Environ(), "SUPERD_BENCH="+r.marker)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fr, fmt.Errorf("floor spawn -n %d -workers %d: %w: %s", n, k, err, bytes.TrimSpace(stderr.Bytes()))
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "spawn":
			fr.spawn = time.Duration(v * float64(time.Second))
		case "stop":
			fr.stop = time.Duration(v * float64(time.Second))
		case "rss":
			fr.rssKiB = int64(v)
		case "rssanon":
			fr.anonKiB = int64(v)
		}
	}
	if fr.spawn == 0 {
		return fr, fmt.Errorf("floor: no spawn figure in %q", out)
	}
	return fr, nil
}

// floorSpawn measures the spawn and stop floors for n children with log
// files on the disk (tmpfs false: the same file system as the daemons'
// childlogdir) or on a tmpfs, serially and with one worker per CPU, and
// records the better of the two. On disk it also records the memory
// floor (the serial worker's RSS) and the stop floor.
func (r *runner) floorSpawn(ctx context.Context, n int, tmpfs bool, round int) error {
	base, err := r.logBase(tmpfs)
	if err != nil {
		return err
	}
	where := "disk"
	if tmpfs {
		where = "tmpfs"
	}
	ns := strconv.Itoa(n)
	var best, stop time.Duration
	var rss, anon int64
	var parts []string
	for _, k := range slices2(1, runtime.NumCPU()) {
		dir := filepath.Join(base, fmt.Sprintf("floor-n%d-k%d-r%d", n, k, round))
		r.settleDisk()
		fr, err := r.runFloor(ctx, n, k, dir)
		r.cleanDir(dir)
		if err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("%d worker(s): spawn %.3fs stop %.3fs", k, fr.spawn.Seconds(), fr.stop.Seconds()))
		if best == 0 || fr.spawn < best {
			best = fr.spawn
		}
		if stop == 0 || fr.stop < stop {
			stop = fr.stop
		}
		if k == 1 {
			rss, anon = fr.rssKiB, fr.anonKiB
		}
	}
	r.logf("limit N=%d %s: %s", n, where, strings.Join(parts, "; "))
	if tmpfs {
		r.res.add("spawn0tmpfs", ns, limitName, best.Seconds())
		return nil
	}
	r.res.add("spawn0", ns, limitName, best.Seconds())
	// startsecs=1: the last child spawned at the floor is RUNNING 1 s
	// later.
	r.res.add("spawn1", ns, limitName, best.Seconds()+1)
	r.res.add("stopall", ns, limitName, stop.Seconds())
	r.res.add("shutdown", ns, limitName, stop.Seconds())
	r.res.add("rss", ns, limitName, float64(rss)/1024)
	r.res.add("rssidle", ns, limitName, float64(rss)/1024)
	r.res.add("rssanon", ns, limitName, float64(anon)/1024)
	return nil
}

// slices2 returns a, b without a duplicate.
func slices2(a, b int) []int {
	if a == b {
		return []int{a}
	}
	return []int{a, b}
}

// logBase is where child logs go: the work directory (disk) or a tmpfs.
func (r *runner) logBase(tmpfs bool) (string, error) {
	if !tmpfs {
		return r.dir, nil
	}
	if r.tmpfsDir != "" {
		return r.tmpfsDir, nil
	}
	return "", fmt.Errorf("no tmpfs: %v", r.tmpfsErr)
}

// tmpfsMagic is TMPFS_MAGIC from linux/magic.h.
const tmpfsMagic = 0x01021994

// setupTmpfs finds a tmpfs for the tmpfs spawn rows: a new directory
// under /dev/shm if that is a tmpfs, else a tmpfs mounted on a new
// directory in the work dir (needs root). The returned func undoes it.
func (r *runner) setupTmpfs() func() {
	var st syscall.Statfs_t
	if syscall.Statfs("/dev/shm", &st) == nil && st.Type == tmpfsMagic {
		d, err := os.MkdirTemp("/dev/shm", "superd-bench-")
		if err == nil {
			r.tmpfsDir = d
			return func() { os.RemoveAll(d) }
		}
		r.tmpfsErr = err
	}
	d := filepath.Join(r.dir, "tmpfs")
	if err := os.MkdirAll(d, 0o755); err != nil {
		r.tmpfsErr = err
		return func() {}
	}
	if err := syscall.Mount("tmpfs", d, "tmpfs", 0, "size=4g,mode=0755"); err != nil {
		r.tmpfsErr = fmt.Errorf("/dev/shm is not a tmpfs and mount tmpfs on %s: %w", d, err)
		return func() {}
	}
	r.tmpfsDir = d
	return func() { _ = syscall.Unmount(d, syscall.MNT_DETACH) }
}

// settleDisk syncs and then waits (up to a few seconds) until the disk
// holding the work directory has no I/O in flight and has completed no
// writes or discards for 300 ms, so that one round's file deletions
// (ext4 with discard) do not land on the next round's spawn.
func (r *runner) settleDisk() {
	syscall.Sync()
	limit := 5 * time.Second
	if r.cfg.Quick {
		limit = 500 * time.Millisecond
	}
	var st syscall.Stat_t
	if syscall.Stat(r.dir, &st) != nil {
		return
	}
	major, minor := uint64(unix.Major(st.Dev)), uint64(unix.Minor(st.Dev))
	deadline := time.Now().Add(limit)
	var last []int64
	quiet := 0
	for time.Now().Before(deadline) {
		cur := diskStats(major, minor)
		if cur == nil {
			return
		}
		// cur: writes completed, I/Os in progress, discards completed.
		if last != nil && cur[1] == 0 && cur[0]-last[0] <= 2 && cur[2] == last[2] {
			quiet++
			if quiet >= 3 {
				return
			}
		} else {
			quiet = 0
		}
		last = cur
		time.Sleep(100 * time.Millisecond)
	}
}

// diskStats returns writes completed, I/Os in progress and discards
// completed of the block device major:minor from /proc/diskstats.
func diskStats(major, minor uint64) []int64 {
	b, err := os.ReadFile("/proc/diskstats")
	if err != nil {
		return nil
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 14 || f[0] != strconv.FormatUint(major, 10) || f[1] != strconv.FormatUint(minor, 10) {
			continue
		}
		num := func(i int) int64 {
			if i >= len(f) {
				return 0
			}
			v, _ := strconv.ParseInt(f[i], 10, 64)
			return v
		}
		return []int64{num(7), num(11), num(14)}
	}
	return nil
}

// logCat runs the generator through a pipe into cat > file: what any
// reader in user space can do with the same pipe, the floor of the log
// throughput row.
func (r *runner) logCat(ctx context.Context, round int) error {
	dir := filepath.Join(r.dir, fmt.Sprintf("cat-r%d", round))
	defer r.cleanDir(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	p := filepath.Join(dir, "cat.log")
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	defer f.Close()
	r.settleDisk()
	gen := exec.CommandContext(ctx, r.loggen, "-lines", strconv.FormatInt(r.logLines(), 10))
	cat := exec.CommandContext(ctx, "cat")
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	gen.Stdout = pw
	cat.Stdin, cat.Stdout = pr, f
	t0 := time.Now()
	if err := cat.Start(); err != nil {
		pr.Close()
		pw.Close()
		return fmt.Errorf("cat: %w", err)
	}
	err = gen.Start()
	pr.Close()
	pw.Close()
	if err != nil {
		_ = cat.Process.Kill()
		_ = cat.Wait()
		return fmt.Errorf("loggen: %w", err)
	}
	errG, errC := gen.Wait(), cat.Wait()
	el := time.Since(t0)
	if errG != nil || errC != nil {
		return fmt.Errorf("loggen | cat: %v, %v", errG, errC)
	}
	want := r.logLines() * lines.Len
	mbs := float64(want) / 1e6 / el.Seconds()
	r.res.add("logmbs", r.logN(), limitName, mbs)
	r.res.add("loglost", r.logN(), limitName, 0)
	r.logf("generator | cat > file: %.0f MB/s", mbs)
	rep, err := verifyLogs(p, r.logLines())
	if err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("cat file: %s", rep)
	}
	return nil
}
