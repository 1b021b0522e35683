package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/internal/testutil"
)

// lockedBuffer collects a superctl's output while the test reads it.
type lockedBuffer = testutil.SyncBuffer

// counterProgram writes "NAME i" lines, i = 0, 1, 2 ..., every 10 ms,
// to a log rotated at 6 KB.
func counterProgram(name string) string {
	return fmt.Sprintf(`[program:%[1]s]
command=/bin/sh -c 'i=0; while :; do echo "%[1]s $i ....................."; i=$((i+1)); sleep 0.01; done'
startsecs=0
stdout_logfile=$DIR/%[1]s.log
stdout_logfile_maxbytes=6KB
stdout_logfile_backups=5
`, name)
}

// TestLogsFollow runs superctl logs -f on two chatty processes across
// several rotations: every line arrives once, in order per process,
// with its prefix.
func TestLogsFollow(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, superdBin, "", "", counterProgram("alpha")+counterProgram("beta"))
	waitFor(t, "running", func() bool { return d.state("alpha") == "RUNNING" && d.state("beta") == "RUNNING" })
	out := new(lockedBuffer)
	cmd := exec.Command(superctlBin, "-c", d.conf, "logs", "-f", "-n", "5", "alpha", "beta")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer cmd.Process.Kill()
	// two rotations of each log after superctl started
	waitFor(t, "rotations", func() bool {
		_, e1 := os.Stat(d.dir + "/alpha.log.2")
		_, e2 := os.Stat(d.dir + "/beta.log.2")
		return e1 == nil && e2 == nil
	})
	// and lines after them
	n0 := strings.Count(out.String(), "\n")
	waitFor(t, "more lines", func() bool { return strings.Count(out.String(), "\n") > n0+50 })
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("superctl logs -f after Ctrl-C: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("superctl logs -f did not end on Ctrl-C")
	}
	last := map[string]int{"alpha": -1, "beta": -1}
	count := map[string]int{}
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if line == "" {
			continue
		}
		prefix, text, ok := strings.Cut(line, " | ")
		name := strings.TrimSpace(prefix)
		f := strings.Fields(text)
		if !ok || len(f) != 3 || f[0] != name {
			t.Fatalf("bad line %q", line)
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("bad line %q", line)
		}
		if last[name] >= 0 && n != last[name]+1 {
			t.Fatalf("%s: line %d after %d (lost or repeated)\n%s", name, n, last[name], out)
		}
		last[name] = n
		count[name]++
	}
	if count["alpha"] < 100 || count["beta"] < 100 {
		t.Errorf("too few lines: %v", count)
	}
	t.Logf("lines followed: %v", count)
}

// TestLogsFollowRestart runs superctl logs -f while superd is stopped
// and started again (the child too; its log file is kept and rotates
// all along): the output is exactly a stretch of the log, no line lost
// while superd was away, none repeated, the line that was being
// written when the stream broke not cut in two.
func TestLogsFollowRestart(t *testing.T) {
	t.Parallel()
	// lines "alpha PID i": the new child's differ from the old one's
	prog := strings.Replace(counterProgram("alpha"), "backups=5", "backups=100", 1)
	d := startDaemon(t, superdBin, "", "", strings.Replace(prog, `"alpha $i`, `"alpha $$ $i`, 1))
	waitFor(t, "running", func() bool { return d.state("alpha") == "RUNNING" })
	out := new(lockedBuffer)
	cmd := exec.Command(superctlBin, "-c", d.conf, "logs", "-f", "-n", "3", "alpha")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer cmd.Process.Kill()
	waitFor(t, "lines", func() bool { return strings.Count(out.String(), "\n") > 50 })

	d.kill()
	p := testutil.Start(t, superdBin, "-n", "-c", d.conf)
	d.cmd, d.out, d.done = p.Cmd, p.Out, p.Done
	p.WaitReady(t, waitTimeout, func() bool { return d.state("alpha") == "RUNNING" })
	waitFor(t, "lines of the new child", func() bool {
		return regexp.MustCompile(`(?m)^alpha \| alpha \d+ 0 `).MatchString(out.String()) && strings.Count(out.String(), "\n") > 200
	})
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("superctl logs -f did not end on Ctrl-C")
	}

	var got strings.Builder
	for _, line := range strings.SplitAfter(out.String(), "\n") {
		if line == "" {
			continue
		}
		_, text, ok := strings.Cut(line, "alpha | ")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		got.WriteString(text)
	}
	var log strings.Builder
	for i := 100; i >= 0; i-- {
		name := d.dir + "/alpha.log"
		if i > 0 {
			name += "." + strconv.Itoa(i)
		}
		if b, err := os.ReadFile(name); err == nil {
			log.Write(b)
		}
	}
	// the output ends at a line end; the log has more after it
	if !strings.Contains(log.String(), got.String()) {
		g := got.String()
		for i, l := range strings.SplitAfter(g, "\n") {
			if !strings.Contains(log.String(), l) {
				t.Fatalf("output line %d %q is not in the log", i, l)
			}
		}
		for _, l := range strings.SplitAfter(g, "\n") {
			if strings.Count(g, l) > 1 && l != "" {
				t.Fatalf("line %q shown %d times", l, strings.Count(g, l))
			}
		}
		t.Fatalf("the output (%d lines) is not a stretch of the log: lines lost around superd's restart\n%s", strings.Count(g, "\n"), g)
	}
	t.Logf("%d lines followed across superd's restart", strings.Count(got.String(), "\n"))
}

// TestLogsNoLogFile: superctl logs of a process without a log file
// (stdout_logfile=NONE; stderr with redirect_stderr) says so, as
// supervisorctl tail does, instead of printing nothing (and, with -f,
// waiting forever); among all processes it is left out quietly.
func TestLogsNoLogFile(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, superdBin, "", "", "[program:nolog]\ncommand=/bin/sh -c 'echo x; exec sleep 1000'\nstdout_logfile=NONE\nstartsecs=0\n"+
		"[program:redir]\ncommand=/bin/sh -c 'echo out; echo err >&2; exec sleep 1000'\nredirect_stderr=true\nstartsecs=0\n")
	waitFor(t, "running", func() bool { return d.state("nolog") == "RUNNING" && d.state("redir") == "RUNNING" })
	waitFor(t, "redir's output", func() bool {
		out, _, _, _ := d.client.TailProcessStdoutLog(t.Context(), "redir", 0, 100)
		return strings.Contains(out, "err\n")
	})
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"nolog"}, "nolog: ERROR (no log file)\n", 1},
		{[]string{"-f", "nolog"}, "nolog: ERROR (no log file)\n", 1},
		{[]string{"--stderr", "redir"}, "redir: ERROR (no log file)\n", 1},
		{[]string{"redir", "nolog"}, "redir | out\nredir | err\nnolog: ERROR (no log file)\n", 1},
		{nil, "redir | out\nredir | err\n", 0},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		out, err := exec.CommandContext(ctx, superctlBin, append([]string{"-c", d.conf, "logs", "--no-color"}, tc.args...)...).CombinedOutput()
		cancel()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("logs %s: %v", tc.args, err)
		}
		if string(out) != tc.want || code != tc.code {
			t.Errorf("logs %s: exit %d\n%s\nwant exit %d\n%s", tc.args, code, out, tc.code, tc.want)
		}
	}
}

// TestLogsFollowPartialLine: superctl logs -f started while a line is
// half written shows it whole when it ends, not cut in two.
func TestLogsFollowPartialLine(t *testing.T) {
	t.Parallel()
	fifo := testutil.ShortTempDir(t, "pl") + "/go.fifo" // the child waits on it before ending its line
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, superdBin, "", "", "[program:p]\ncommand=/bin/sh -c 'echo first; printf abc; read x < "+fifo+"; echo \" def\"; exec sleep 1000'\nstartsecs=0\n")
	waitFor(t, "abc written", func() bool {
		out, _, _, _ := d.client.TailProcessStdoutLog(t.Context(), "p", 0, 100)
		return strings.HasSuffix(out, "abc")
	})
	out := new(lockedBuffer)
	cmd := exec.Command(superctlBin, "-c", d.conf, "logs", "-f", "p")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitFor(t, "the first line", func() bool { return strings.Contains(out.String(), "first") })
	if err := os.WriteFile(fifo, []byte("go\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the line's end", func() bool { return strings.Contains(out.String(), "def") })
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if got := out.String(); got != "p | first\np | abc def\n" {
		t.Errorf("logs -f printed\n%s\nwant the half-written line whole", got)
	}
}

// TestLogsFollowTruncatedRestart: superctl logs -f across a log
// truncated in place (copytruncate) and then a superd restart: after
// the truncation marker the output is the new content of the file from
// its start, nothing skipped when the stream resumes.
func TestLogsFollowTruncatedRestart(t *testing.T) {
	t.Parallel()
	prog := strings.Replace(counterProgram("alpha"), "stdout_logfile_maxbytes=6KB", "stdout_logfile_maxbytes=0", 1)
	d := startDaemon(t, superdBin, "", "", strings.Replace(prog, `"alpha $i`, `"alpha $$ $i`, 1))
	waitFor(t, "running", func() bool { return d.state("alpha") == "RUNNING" })
	out := new(lockedBuffer)
	cmd := exec.Command(superctlBin, "-c", d.conf, "logs", "-f", "-n", "1", "alpha")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitFor(t, "lines", func() bool { return strings.Count(out.String(), "\n") > 20 })
	if err := os.Truncate(d.dir+"/alpha.log", 0); err != nil {
		t.Fatal(err)
	}
	const marker = "alpha | ==> File truncated <==\n"
	waitFor(t, "the truncation seen", func() bool { return strings.Contains(out.String(), marker) })
	waitFor(t, "lines after the truncation", func() bool {
		_, after, _ := strings.Cut(out.String(), marker)
		return strings.Count(after, "\n") > 5
	})
	info, err := d.client.GetProcessInfo(t.Context(), "alpha")
	if err != nil {
		t.Fatal(err)
	}
	d.kill()
	p := testutil.Start(t, superdBin, "-n", "-c", d.conf)
	d.cmd, d.out, d.done = p.Cmd, p.Out, p.Done
	p.WaitReady(t, waitTimeout, func() bool { return d.state("alpha") == "RUNNING" })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("output:\n%s\ndaemon:\n%s", out.String()[max(0, len(out.String())-1500):], d.out.String())
		}
	})
	waitFor(t, "lines of the new child", func() bool {
		return regexp.MustCompile(`(?m)^alpha \| alpha \d+ \d+ `).MatchString(strings.ReplaceAll(out.String(), fmt.Sprintf("alpha %d ", info.PID), "old "))
	})
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	_, after, _ := strings.Cut(out.String(), marker)
	var got strings.Builder
	for _, line := range strings.SplitAfter(after, "\n") {
		got.WriteString(strings.TrimPrefix(line, "alpha | "))
	}
	log, err := os.ReadFile(d.dir + "/alpha.log")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(log), got.String()) {
		t.Errorf("after the truncation the output is not the log from its start:\n%.300s\nlog:\n%.300s", got.String(), log)
	}
}

// TestTop checks superctl top --once and --json against real children:
// a busy one uses CPU, its grandchild counts in its process group.
func TestTop(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, superdBin, "", "", "[program:busy]\ncommand=/bin/sh -c 'while :; do :; done'\nstartsecs=0\n"+
		program(t, "idle", "spawn-grandchild", "$DIR/gc.pid")+"stopasgroup=true\n"+"[program:off]\ncommand=/bin/true\nautostart=false\n")
	waitFor(t, "running", func() bool { return d.state("busy") == "RUNNING" && d.state("idle") == "RUNNING" })
	waitFor(t, "grandchild", func() bool { _, err := os.Stat(d.dir + "/gc.pid"); return err == nil })
	out, err := exec.Command(superctlBin, "-c", d.conf, "top", "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("top --json: %v\n%s", err, out)
	}
	var rows []struct {
		Name       string  `json:"name"`
		State      string  `json:"statename"`
		PID        int     `json:"pid"`
		CPUPercent float64 `json:"cpu_percent"`
		RSSBytes   int64   `json:"rss_bytes"`
		Procs      int     `json:"procs"`
	}
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("top --json: %v\n%s", err, out)
	}
	by := map[string]int{}
	for i, r := range rows {
		by[r.Name] = i
	}
	busy, idle, off := rows[by["busy"]], rows[by["idle"]], rows[by["off"]]
	if busy.CPUPercent < 1 || busy.RSSBytes <= 0 || busy.State != "RUNNING" {
		t.Errorf("busy: %+v", busy)
	}
	if idle.Procs != 2 || idle.CPUPercent > 50 {
		t.Errorf("idle (with a grandchild): %+v", idle)
	}
	if off.PID != 0 || off.State != "STOPPED" {
		t.Errorf("off: %+v", off)
	}
	out, err = exec.Command(superctlBin, "-c", d.conf, "top", "--once").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "NAME") || !strings.Contains(string(out), "busy") {
		t.Errorf("top --once: %v\n%s", err, out)
	}
	// names, as logs takes them
	out, err = exec.Command(superctlBin, "-c", d.conf, "top", "--once", "busy", "off:*").CombinedOutput()
	if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); err != nil || len(lines) != 3 || !strings.HasPrefix(lines[1], "busy ") || !strings.HasPrefix(lines[2], "off ") {
		t.Errorf("top --once busy off:*: %v\n%s", err, out)
	}
	// bad arguments: what is wrong, the usage, exit status 1 (2 for an unknown name)
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"-d", "0"}, `Error: bad delay "0" for -d: a number of seconds from 0.1 to 86400`, 1},
		{[]string{"-d", "NaN"}, `Error: bad delay "NaN" for -d`, 1},
		{[]string{"--once", "-d"}, "Error: -d needs a number of seconds", 1},
		{[]string{"--bogus"}, "Error: unknown option --bogus", 1},
		{[]string{"--once", "nope"}, "nope: ERROR (no such process)", 2},
	} {
		out, err := exec.Command(superctlBin, append([]string{"-c", d.conf, "top"}, tc.args...)...).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != tc.code || !strings.HasPrefix(string(out), tc.want) {
			t.Errorf("top %s: %v\n%s\nwant exit %d and %q", tc.args, err, out, tc.code, tc.want)
		}
	}
}
