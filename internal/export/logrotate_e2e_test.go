package export

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/pkg/config"
)

// A real rotation: superd runs a program that writes a line every
// 50 ms, logrotate -f rotates its log with the exported config, the
// postrotate sends superd SIGUSR2 through the pidfile, and the program's
// next lines go to a new file while the rotated one stops growing.
func TestLogrotateRotatesUnderSuperd(t *testing.T) {
	tool, err := exec.LookPath("logrotate")
	if err != nil {
		if _, err := os.Stat("/usr/sbin/logrotate"); err != nil {
			t.Skip("logrotate not installed (Debian package logrotate)")
		}
		tool = "/usr/sbin/logrotate"
	}
	dir := t.TempDir()
	superd := filepath.Join(dir, "superd")
	build := exec.Command("go", "build", "-o", superd, "github.com/superd/superd/cmd/superd")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	conf := filepath.Join(dir, "superd.conf")
	text := strings.ReplaceAll(`[supervisord]
logfile=$DIR/superd.log
pidfile=$DIR/superd.pid
childlogdir=$DIR
[unix_http_server]
file=$DIR/superd.sock
[program:ticker]
command=/bin/sh -c 'while :; do echo tick; sleep 0.05; done'
startsecs=0
stdout_logfile=$DIR/tick.log
stdout_logfile_maxbytes=0
stdout_logfile_backups=3
redirect_stderr=true
`, "$DIR", dir)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Logrotate(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	lr := filepath.Join(dir, "logrotate.conf")
	if err := os.WriteFile(lr, res.Files[0].Data, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, superd, "-n", "-c", conf)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	size := func(p string) int64 {
		st, err := os.Stat(p)
		if err != nil {
			return -1
		}
		return st.Size()
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\n%s", what, out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	log := filepath.Join(dir, "tick.log")
	waitFor("output in tick.log", func() bool { return size(log) > 0 })
	waitFor("the pidfile", func() bool { return size(filepath.Join(dir, "superd.pid")) > 0 })

	rot := exec.Command(tool, "-f", "-s", filepath.Join(dir, "state"), lr)
	if o, err := rot.CombinedOutput(); err != nil {
		t.Fatalf("logrotate -f: %v\n%s", err, o)
	}
	rotated := log + ".1"
	if size(rotated) <= 0 {
		t.Fatalf("%s not rotated", log)
	}
	// superd reopens tick.log on SIGUSR2: new lines land there ...
	waitFor("new output in a reopened tick.log", func() bool { return size(log) > 0 })
	// ... and the rotated file no longer grows
	before := size(rotated)
	grown := size(log)
	waitFor("more output in tick.log", func() bool { return size(log) > grown+50 })
	if after := size(rotated); after != before {
		t.Errorf("%s still grows after the reopen: %d -> %d bytes", rotated, before, after)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "superd.log"))
	if !strings.Contains(string(data), "received SIGUSR2 indicating log reopen request") {
		t.Errorf("superd's log has no SIGUSR2 line:\n%s", data)
	}
}
