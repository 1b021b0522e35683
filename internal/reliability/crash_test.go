package reliability

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/pkg/state"
)

// TestKilledDaemonLeavesNothingBehind (issue 13 item 3, issue 17 item
// 2): superd killed with SIGKILL leaves its children running; the next
// superd on the same config stops them (stopsignal, then SIGKILL after
// stopwaitsecs, the whole process group with grandchildren) before it
// spawns the programs again, and says so in the main log. No program
// runs twice.
func TestKilledDaemonLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, `
[program:a]
command=/bin/sh -c 'sleep 1000 & echo $! > `+dir+`/grand.pid; exec sleep 1000'
startsecs=0
; for the clean stop at the end (the recovery stops the whole group
; whatever this says)
stopasgroup=true

[program:stubborn]
command=/bin/sh -c 'trap "" TERM; exec sleep 1000'
startsecs=0
stopwaitsecs=1
`)
	first := startDaemon(t, superdBin, dir, conf)
	infos := first.allRunning(2)
	old := map[string]int{}
	for _, i := range infos {
		old[i.Name] = i.PID
	}
	grand := testproc.WaitPID(t, filepath.Join(dir, "grand.pid"), 20e9)
	t.Cleanup(func() {
		for _, pid := range append([]int{grand}, old["a"], old["stubborn"]) {
			testproc.KillGroup(pid, syscall.SIGKILL)
		}
	})
	waitFor(t, "both children recorded in the state database", func() bool {
		s, err := first.client.DaemonStats(context.Background())
		return err == nil && s.RecordedChildren == 2 && s.Children == 2
	})
	first.cmd.Process.Signal(syscall.SIGKILL)
	<-first.done
	for name, pid := range old {
		if !processAlive(pid) {
			t.Fatalf("%s (pid %d) died with superd: the test proves nothing", name, pid)
		}
	}

	second := startDaemon(t, superdBin, dir, conf)
	infos = second.allRunning(2)
	for _, i := range infos {
		if i.PID == old[i.Name] {
			t.Errorf("%s kept pid %d", i.Name, i.PID)
		}
	}
	for _, pid := range []int{old["a"], old["stubborn"], grand} {
		if processAlive(pid) {
			t.Errorf("pid %d of the killed superd still runs", pid)
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "main.log"))
	for _, want := range []string{
		"stopping 'a' (pid " + itoa(old["a"]) + ", process group " + itoa(old["a"]) + ") left running by the previous superd",
		"killing 'stubborn' (process group " + itoa(old["stubborn"]) + ") left running by the previous superd with SIGKILL",
		"stopped 'a' (process group " + itoa(old["a"]) + ") left running by the previous superd",
	} {
		if !strings.Contains(string(log), want) {
			t.Errorf("main log lacks %q:\n%s", want, log)
		}
	}
	// The recovery happened before the programs were spawned again.
	if i, j := strings.Index(string(log), "left running by the previous superd"), strings.LastIndex(string(log), "spawned: 'a'"); i < 0 || j < i {
		t.Errorf("programs spawned before the leftovers were stopped:\n%s", log)
	}

	// A clean stop leaves no records: the next start stops nothing.
	second.kill()
	st, err := state.Open(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := st.Children()
	st.Close()
	if err != nil || len(recs) != 0 {
		t.Errorf("after a clean stop: records %+v, err %v", recs, err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestStaleSocketAndPidfile (issue 13 item 3): after a crash the socket
// file and the pidfile remain. A socket nobody listens on is replaced; a
// pidfile naming another live process is ignored and rewritten; a
// second superd on the socket of a live one is refused and leaves the
// first one's programs and socket alone.
func TestStaleSocketAndPidfile(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, twoSleepers)
	sock := filepath.Join(dir, "s.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if fi, err := os.Lstat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("no stale socket to test with: %v", err)
	}
	// The test's own pid: alive, and not superd.
	if err := os.WriteFile(filepath.Join(dir, "s.pid"), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := startDaemon(t, superdBin, dir, conf)
	infos := in.allRunning(2)
	if !strings.Contains(in.out.String(), "Unlinking stale socket "+sock) {
		t.Errorf("no stale-socket message in %q", in.out.String())
	}
	pid, err := testproc.ReadPID(filepath.Join(dir, "s.pid"))
	if err != nil || pid != in.cmd.Process.Pid {
		t.Errorf("pidfile has %d (%v), want superd's %d", pid, err, in.cmd.Process.Pid)
	}

	// A second superd on the same socket (own pidfile, same statedir).
	text, _ := os.ReadFile(conf)
	conf2 := filepath.Join(dir, "second.conf")
	os.WriteFile(conf2, []byte(strings.ReplaceAll(string(text), "s.pid", "s2.pid")), 0o644)
	out, err := exec.Command(superdBin, "-n", "-c", conf2).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "Another program is already listening") {
		t.Errorf("second superd: %v %q", err, out)
	}
	again := in.allRunning(2)
	for i := range again {
		if again[i].PID != infos[i].PID {
			t.Errorf("%s: pid %d became %d after the refused start", again[i].Name, infos[i].PID, again[i].PID)
		}
	}
	if pid, _ := testproc.ReadPID(filepath.Join(dir, "s.pid")); pid != in.cmd.Process.Pid {
		t.Errorf("the refused superd changed the pidfile to %d", pid)
	}
}
