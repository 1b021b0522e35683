package process

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/internal/testproc"
)

func TestParseProcStat(t *testing.T) {
	t.Parallel()
	line := "1234 (a) b (c)) S 1 1234 77 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615\n"
	st, err := parseProcStat([]byte(line))
	if err != nil || st.State != 'S' || st.PPID != 1 || st.PGRP != 1234 || st.Session != 77 || st.Start != 987654 {
		t.Fatalf("parseProcStat = %+v, %v", st, err)
	}
	for _, bad := range []string{"", "1 (x", "1 (x) S 1 2", "1 (x) S a 1 1 0 -1 0 0 0 0 0 0 0 0 0 0 0 0 0 5"} {
		if _, err := parseProcStat([]byte(bad)); err == nil {
			t.Errorf("parseProcStat(%q) accepted", bad)
		}
	}
	self, err := ReadProcStat(os.Getpid())
	if err != nil || self.PGRP != syscall.Getpgrp() || self.Start == 0 {
		t.Fatalf("own stat %+v, %v", self, err)
	}
}

// TestStopLeftovers: a recorded group whose superd is gone is stopped
// (SIGKILL after stopwait when it ignores the stop signal); records of
// a live superd, of another boot, with a recycled pid, or naming the
// caller's own group are left alone.
func TestStopLeftovers(t *testing.T) {
	t.Parallel()
	start := func(mode string) (*exec.Cmd, ProcStat) {
		argv := testproc.Argv(t, mode)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { testproc.KillGroup(cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })
		if mode == "ignore-term" {
			buf := make([]byte, 6)
			out.Read(buf) // "ready\n": TERM is ignored from now on
		}
		st, err := ReadProcStat(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		return cmd, st
	}
	rec := func(cmd *exec.Cmd, st ProcStat) Leftover {
		return Leftover{Name: "x", PID: cmd.Process.Pid, PGID: st.PGRP, Session: st.Session, Start: st.Start,
			Boot: BootID(), StopSignal: syscall.SIGTERM, StopWait: 300 * time.Millisecond}
	}
	var logbuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logbuf, nil))

	plain, pst := start("sleep")
	stubborn, sst := start("ignore-term")
	keep, kst := start("sleep")
	live := rec(keep, kst)
	parent, _ := ReadProcStat(os.Getppid())
	live.SuperdPID, live.SuperdStart = os.Getppid(), parent.Start
	otherBoot := rec(keep, kst)
	otherBoot.Boot = "another-boot"
	recycled := rec(keep, kst)
	recycled.Start++
	own := rec(keep, kst)
	own.PGID = syscall.Getpgrp()

	n := StopLeftovers([]Leftover{rec(plain, pst), rec(stubborn, sst), live, otherBoot, recycled, own}, log)
	if n != 2 {
		t.Errorf("stopped %d groups, want 2\n%s", n, logbuf.String())
	}
	for _, c := range []*exec.Cmd{plain, stubborn} {
		if err := c.Wait(); err == nil {
			t.Errorf("pid %d exited 0, want a signal", c.Process.Pid)
		}
	}
	if st, err := ReadProcStat(keep.Process.Pid); err != nil || st.State == 'Z' {
		t.Errorf("a record that does not match was acted on: %+v %v", st, err)
	}
	if !strings.Contains(logbuf.String(), "with SIGKILL") || strings.Count(logbuf.String(), "stopping 'x'") != 2 {
		t.Errorf("log:\n%s", logbuf.String())
	}
}

// childRecorder records Spawned/Exited calls (a ChildRecorder).
type childRecorder struct {
	mu   sync.Mutex
	live map[int]string
	log  []string
}

func (r *childRecorder) Spawned(c SpawnedChild) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.live[c.PID] = c.Name
	r.log = append(r.log, "spawned "+c.Name)
}

func (r *childRecorder) Exited(pid int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, "exited "+r.live[pid])
	delete(r.live, pid)
}

// TestChildRecorder: Options.Children hears of every child, supervised
// or one-shot, when it is spawned and when it is reaped, with the
// program's stop settings.
func TestChildRecorder(t *testing.T) {
	t.Parallel()
	rec := &childRecorder{live: map[int]string{}}
	pc := newProc(t, "rec", "sleep")
	h := start(t, testConfig(t, groupOf(pc)), func(o *Options) { o.Children = rec })
	h.waitState("rec", Running)
	once := newProc(t, "once", "exit", "0")
	exited := make(chan struct{})
	if _, err := h.s.StartOneShot(h.ctx(), &OneShot{Config: once, Exit: func(syscall.WaitStatus) { close(exited) }}); err != nil {
		t.Fatal(err)
	}
	<-exited
	if err := h.s.StopProcess(h.ctx(), "rec", true); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	got := strings.Join(rec.log, ", ")
	if len(rec.live) != 0 || !strings.Contains(got, "spawned rec") || !strings.Contains(got, "exited rec") ||
		!strings.Contains(got, "spawned once") || !strings.Contains(got, "exited once") {
		t.Errorf("recorded %s; still live %v", got, rec.live)
	}
}
