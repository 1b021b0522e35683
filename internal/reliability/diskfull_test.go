package reliability

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestDiskFull (issue 13 item 4): a program's log is on a small tmpfs
// that fills up. The program keeps running and is never blocked on its
// pipe (superd keeps reading and drops what it cannot write), the drop
// is reported once in the main log and counted by
// superd.getDaemonStats, and writing resumes when space returns. superd's
// own log is on the same full disk and superd carries on.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	logs := filepath.Join(dir, "logs")
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", logs).CombinedOutput(); err != nil {
		if os.Geteuid() != 0 || strings.Contains(string(out), "permission denied") || strings.Contains(string(out), "not permitted") {
			t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
		}
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", logs).Run() })
	// Leave about 64 KiB free.
	filler := filepath.Join(logs, "filler")
	if err := os.WriteFile(filler, make([]byte, 1<<20-64<<10), 0o644); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
	progress := filepath.Join(dir, "progress")
	conf := writeConfig(t, dir, `
[program:chatty]
command=/bin/sh -c 'i=0; while :; do i=$((i+1)); seq 1 3000; echo $i > `+progress+`.tmp; mv `+progress+`.tmp `+progress+`; sleep 0.02; done'
startsecs=0
stdout_logfile=`+logs+`/chatty.log
stdout_logfile_maxbytes=0
`)
	// superd's own log is on the full disk too; with -n it also goes
	// to stdout, where the test reads it.
	text, _ := os.ReadFile(conf)
	os.WriteFile(conf, []byte(strings.Replace(string(text), "logfile="+dir+"/main.log", "logfile="+logs+"/main.log", 1)), 0o644)
	in := startDaemon(t, superdBin, dir, conf)
	pid := in.allRunning(1)[0].PID
	mainLog := func() string { return in.out.String() }
	waitFor(t, "the log file to fill up", func() bool { return strings.Contains(mainLog(), "output is dropped") })
	ctx := context.Background()
	round := func() int {
		b, _ := os.ReadFile(progress)
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n
	}
	// The child goes on writing (each round is ~13 KiB of output, more
	// than a pipe holds): it is not blocked.
	r0 := round()
	waitFor(t, "the child to write 20 more rounds to a full disk", func() bool { return round() >= r0+20 })
	st, err := in.client.DaemonStats(ctx)
	if err != nil || st.LogBytesDropped < 20*13000 {
		t.Errorf("stats %+v, %v: want over 260000 bytes dropped", st, err)
	}
	if n := strings.Count(mainLog(), "output is dropped"); n != 1 {
		t.Errorf("the drop reported %d times, want once:\n%s", n, mainLog())
	}

	// Space returns: writing resumes, and the recovery says how much
	// was lost.
	fi0, _ := os.Stat(filepath.Join(logs, "chatty.log"))
	os.Remove(filler)
	waitFor(t, "writing to resume", func() bool { return strings.Contains(mainLog(), "log file writable again") })
	waitFor(t, "the log file to grow", func() bool {
		fi, err := os.Stat(filepath.Join(logs, "chatty.log"))
		return err == nil && fi.Size() > fi0.Size()+100000
	})
	if !strings.Contains(mainLog(), "dropped_bytes=") || strings.Contains(mainLog(), "dropped_bytes=0") {
		t.Errorf("the recovery line does not count the dropped bytes:\n%s", mainLog())
	}
	// superd's own log file resumes too.
	waitFor(t, "the main log file to be written again", func() bool {
		b, _ := os.ReadFile(filepath.Join(logs, "main.log"))
		return strings.Contains(string(b), "log file writable again")
	})
	if p := in.allRunning(1)[0].PID; p != pid {
		t.Errorf("the program was restarted: pid %d, then %d", pid, p)
	}
}

// TestLogDirectoryRemoved (issue 13 item 4): a program's log directory
// is removed while it runs. superd and the program carry on; at the
// next reopen (SIGUSR2, as logrotate sends) the file cannot be created,
// output is dropped and counted, and once the directory is back the
// file is created again and written.
func TestLogDirectoryRemoved(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := writeConfig(t, dir, `
[program:chatty]
command=/bin/sh -c 'while :; do echo tick; sleep 0.05; done'
startsecs=0
stdout_logfile=`+sub+`/chatty.log
stdout_logfile_maxbytes=0
`)
	in := startDaemon(t, superdBin, dir, conf)
	pid := in.allRunning(1)[0].PID
	log := filepath.Join(sub, "chatty.log")
	waitFor(t, "output in the log", func() bool { fi, err := os.Stat(log); return err == nil && fi.Size() > 0 })
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	in.cmd.Process.Signal(syscall.SIGUSR2)
	ctx := context.Background()
	waitFor(t, "output dropped and counted", func() bool {
		s, err := in.client.DaemonStats(ctx)
		return err == nil && s.LogBytesDropped > 0
	})
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the log file created again", func() bool { fi, err := os.Stat(log); return err == nil && fi.Size() > 0 })
	if p := in.allRunning(1)[0].PID; p != pid {
		t.Errorf("the program was restarted: pid %d, then %d", pid, p)
	}
}

// TestDiskFullRotation (issue 13 item 4): a rotated log on a full disk
// rotates again once there is space.
func TestDiskFullRotation(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	logs := filepath.Join(dir, "logs")
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", logs).CombinedOutput(); err != nil {
		if os.Geteuid() != 0 || strings.Contains(string(out), "permission denied") || strings.Contains(string(out), "not permitted") {
			t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
		}
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", logs).Run() })
	filler := filepath.Join(logs, "filler")
	if err := os.WriteFile(filler, make([]byte, 1<<20-48<<10), 0o644); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
	conf := writeConfig(t, dir, `
[program:rot]
command=/bin/sh -c 'while :; do seq 1 2000; sleep 0.02; done'
startsecs=0
stdout_logfile=`+logs+`/rot.log
stdout_logfile_maxbytes=100KB
stdout_logfile_backups=2
`)
	in := startDaemon(t, superdBin, dir, conf)
	in.allRunning(1)
	waitFor(t, "the disk to fill up", func() bool {
		s, err := in.client.DaemonStats(context.Background())
		return err == nil && s.LogBytesDropped > 0
	})
	if _, err := os.Stat(filepath.Join(logs, "rot.log.1")); err == nil {
		t.Fatalf("rotated before the disk was full: the test proves nothing")
	}
	os.Remove(filler)
	waitFor(t, "rotations after space returned", func() bool {
		_, err1 := os.Stat(filepath.Join(logs, "rot.log.1"))
		_, err2 := os.Stat(filepath.Join(logs, "rot.log.2"))
		return err1 == nil && err2 == nil
	})
}
