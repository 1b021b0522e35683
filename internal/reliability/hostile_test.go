package reliability

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/pkg/process"
)

// TestHostileChildren (issue 13 item 2): children that ignore SIGTERM,
// fork 200 grandchildren (and stay, or exit leaving them as orphans of
// a --subreaper superd), close their output, write 100 MB without a
// newline, write invalid UTF-8 and NUL bytes, leave a daemonized
// grandchild holding the pipe, or exit 255 in a loop (50 of them). Each
// is stopped, reaped and logged as it should be, and superd stays
// small and idle.
func TestHostileChildren(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, fmt.Sprintf(`
[program:stubborn]
command=/bin/sh -c 'trap "" TERM; exec sleep 1000'
startsecs=0
stopwaitsecs=1

[program:forker]
command=/bin/sh -c 'for i in $(seq 200); do sleep 1000 & done; exec sleep 1000'
startsecs=0
stopasgroup=true

[program:orphaner]
command=/bin/sh -c 'for i in $(seq 200); do sleep 1000 & done; echo $$ > %[1]s/orphaner.pid; exit 0'
startsecs=0
autorestart=false

[program:closer]
command=/bin/sh -c 'exec >&- 2>&-; exec sleep 1000'
startsecs=0

[program:bigline]
command=/bin/sh -c 'head -c 100000000 /dev/zero | tr "\000" x; exec sleep 1000'
startsecs=0
stdout_logfile=%[1]s/big.log
stdout_logfile_maxbytes=0

[program:binary]
command=/bin/sh -c 'printf "\377\376\000abc\000\n"; exec sleep 1000'
startsecs=0
stdout_logfile=%[1]s/bin.log

[program:holder]
command=/bin/sh -c 'setsid sleep 1000 & echo $! > %[1]s/holder.pid; exec sleep 1000'
startsecs=0

[program:flap]
command=/bin/sh -c 'exit 255'
process_name=%%(program_name)s_%%(process_num)02d
numprocs=50
startsecs=1
startretries=1000
autorestart=true
`, dir))
	in := startDaemon(t, superdBin, dir, conf, "--subreaper")
	ctx := context.Background()
	superd := in.cmd.Process.Pid
	state := func(name string) string {
		i, err := in.client.GetProcessInfo(ctx, name)
		if err != nil {
			return err.Error()
		}
		return i.StateName
	}
	for _, name := range []string{"stubborn", "forker", "closer", "bigline", "binary", "holder"} {
		waitFor(t, name+" RUNNING", func() bool { return state(name) == "RUNNING" })
	}
	waitFor(t, "orphaner EXITED", func() bool { return state("orphaner:orphaner") == "EXITED" })
	orphans := testproc.WaitPID(t, filepath.Join(dir, "orphaner.pid"), 20*time.Second)
	holderGrand := testproc.WaitPID(t, filepath.Join(dir, "holder.pid"), 20*time.Second)
	t.Cleanup(func() {
		testproc.KillGroup(orphans, syscall.SIGKILL)
		testproc.Kill(holderGrand, syscall.SIGKILL)
	})

	// 100 MB without a newline reach the file whole; superd does not
	// buffer lines.
	var size int64
	for end := time.Now().Add(90 * time.Second); size != 100000000 && time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if fi, err := os.Stat(filepath.Join(dir, "big.log")); err == nil {
			size = fi.Size()
		}
	}
	if size != 100000000 {
		fi, _ := os.Stat(filepath.Join(dir, "main.log"))
		t.Fatalf("big.log has %d bytes, want 100000000 (main.log %d)", size, fi.Size())
	}
	// Invalid UTF-8 and NUL bytes are kept as they are.
	if b, _ := os.ReadFile(filepath.Join(dir, "bin.log")); !bytes.Equal(b, []byte("\377\376\000abc\000\n")) {
		t.Errorf("bin.log = %q", b)
	}

	// Ignores SIGTERM: SIGKILL after stopwaitsecs.
	if err := in.client.StopProcess(ctx, "stubborn", true); err != nil {
		t.Errorf("stop stubborn: %v", err)
	}
	// 200 grandchildren in the group: stopasgroup stops them all.
	forker, _ := in.client.GetProcessInfo(ctx, "forker")
	if n := len(groupMembers(forker.PID)); n < 201 {
		t.Errorf("forker's group has %d processes, want 201", n)
	}
	if err := in.client.StopProcess(ctx, "forker", true); err != nil {
		t.Errorf("stop forker: %v", err)
	}
	waitFor(t, "forker's group gone", func() bool { return len(groupMembers(forker.PID)) == 0 })
	// A daemonized grandchild holds the output pipe: the stop still
	// completes.
	if err := in.client.StopProcess(ctx, "holder", true); err != nil || state("holder") != "STOPPED" {
		t.Errorf("stop holder: %v, state %s", err, state("holder"))
	}
	if !processAlive(holderGrand) {
		t.Errorf("the holder's grandchild is gone: the test proves nothing")
	}
	// Closed its output: stops as usual.
	if err := in.client.StopProcess(ctx, "closer", true); err != nil || state("closer") != "STOPPED" {
		t.Errorf("stop closer: %v, state %s", err, state("closer"))
	}
	// 200 orphans re-parented to superd (--subreaper) are reaped.
	if n := len(groupMembers(orphans)); n != 200 {
		t.Errorf("%d orphans alive, want 200", n)
	}
	testproc.KillGroup(orphans, syscall.SIGKILL)
	waitFor(t, "orphans reaped", func() bool {
		return len(groupMembers(orphans)) == 0 && len(zombieChildren(superd)) == 0
	})
	log := func() string { b, _ := os.ReadFile(filepath.Join(dir, "main.log")); return string(b) }
	waitFor(t, "200 'reaped unknown pid' lines", func() bool { return strings.Count(log(), "reaped unknown pid") >= 200 })
	if !strings.Contains(log(), "killing 'stubborn'") || !strings.Contains(log(), "stopped: stubborn (terminated by SIGKILL)") {
		t.Errorf("no SIGKILL escalation for stubborn in the main log")
	}

	// 50 programs exiting 255 in a loop (in BACKOFF, growing delays):
	// superd stays nearly idle, and small after the 100 MB line.
	t0, c0 := time.Now(), cpuTicks(superd)
	time.Sleep(5 * time.Second) // a measurement window, not synchronisation
	share := float64(cpuTicks(superd)-c0) / 100 / time.Since(t0).Seconds()
	st, err := in.client.DaemonStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("superd with 50 flapping programs: %.1f %% of a CPU; RSS %.1f MiB after a 100 MB line", 100*share, float64(st.RSS)/(1<<20))
	if share > 0.25 {
		t.Errorf("superd uses %.0f %% of a CPU with 50 flapping programs", 100*share)
	}
	if st.RSS > 200<<20 {
		t.Errorf("superd's RSS is %d MiB after a 100 MB line", st.RSS>>20)
	}
}

// groupMembers lists the live (not zombie) processes of group pgid.
func groupMembers(pgid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		if st, err := process.ReadProcStat(pid); err == nil && st.PGRP == pgid && st.State != 'Z' {
			out = append(out, pid)
		}
	}
	return out
}

// cpuTicks is pid's user+system time in clock ticks (100 per second).
func cpuTicks(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	var u, s int
	fmt.Sscan(f[11], &u)
	fmt.Sscan(f[12], &s)
	return u + s
}
