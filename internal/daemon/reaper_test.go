package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// zombiesOf lists the zombie children of pid.
func zombiesOf(pid int) []int {
	var zs []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+1:])
		if len(f) > 2 && f[0] == "Z" && f[1] == strconv.Itoa(pid) {
			zs = append(zs, n)
		}
	}
	return zs
}

// TestSubreaperReapsOrphans: with --subreaper, grandchildren orphaned
// by a program are re-parented to superd and reaped when they exit,
// while the program itself is still supervised normally.
func TestSubreaperReapsOrphans(t *testing.T) {
	dir := shortTempDir(t)
	marker := filepath.Join(dir, "orphans")
	// The program starts 5 short-lived grandchildren from subshells
	// that exit at once, so they are orphaned and re-parented to
	// superd; they exit on their own shortly after.
	conf := writeConfig(t, dir, fmt.Sprintf(`
[program:forker]
command=/bin/sh -c "for i in 1 2 3 4 5; do (/bin/sleep 0.3 & echo $! >> %s); done; exec /bin/sleep 1000"
startsecs=0
`, marker))
	in := startDaemon(t, superdBin, dir, conf, "--subreaper")
	infos := in.allRunning(1)
	waitFor(t, "5 orphan pids recorded", func() bool {
		b, _ := os.ReadFile(marker)
		return len(strings.Fields(string(b))) == 5
	})
	b, _ := os.ReadFile(marker)
	superd := in.cmd.Process.Pid
	waitFor(t, "orphans exited and reaped", func() bool {
		for _, f := range strings.Fields(string(b)) {
			if _, err := os.Stat("/proc/" + f); err == nil {
				return false // still alive or a zombie
			}
		}
		return len(zombiesOf(superd)) == 0
	})
	// The program itself is untouched.
	if !processAlive(infos[0].PID) {
		t.Errorf("program pid %d died", infos[0].PID)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "main.log"))
	if !strings.Contains(string(log), "reaped unknown pid") {
		t.Errorf("main log does not mention reaped orphans:\n%s", log)
	}
}
