package ctl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/internal/testproc"
	"github.com/superd/superd/pkg/rpc"
)

// superctlBin and superdBin are the superctl and superd binaries built
// once by TestMain (superd with -race when the tests run with it).
var superctlBin, superdBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "superctl-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	superctlBin = filepath.Join(dir, "superctl")
	superdBin = filepath.Join(dir, "superd")
	for _, b := range []struct {
		out, pkg string
		race     bool
	}{
		{superctlBin, "github.com/superd/superd/cmd/superctl", false},
		{superdBin, "github.com/superd/superd/cmd/superd", raceEnabled},
	} {
		args := []string{"build", "-o", b.out}
		if b.race {
			args = append(args, "-race")
		}
		out, err := exec.Command(goTool(), append(args, b.pkg)...).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", b.pkg, err, out)
			return 1
		}
	}
	return testproc.Run(m)
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

const (
	supervisordBin   = "/usr/bin/supervisord"
	supervisorctlBin = "/usr/bin/supervisorctl"
)

func needSupervisor(t *testing.T) {
	t.Helper()
	for _, p := range []string{supervisordBin, supervisorctlBin} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s not installed (Debian package supervisor): %v", p, err)
		}
	}
}

// daemon is a real supervisord (or, later, superd) running in its own
// temp dir.
type daemon struct {
	dir, conf, sock string
	cmd             *exec.Cmd
	exited          chan struct{}
}

// startDaemon writes conf (with $DIR replaced by the daemon's dir) and
// starts bin -n -c conf, waiting until its autostart programs run.
func startDaemon(t *testing.T, bin, conf string) *daemon {
	t.Helper()
	dir, err := os.MkdirTemp("", "sd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &daemon{dir: dir, conf: filepath.Join(dir, "s.conf"), sock: filepath.Join(dir, "s.sock"), exited: make(chan struct{})}
	d.writeConf(t, conf)
	d.cmd = exec.Command(bin, "-n", "-c", d.conf)
	d.cmd.Dir = dir
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() { d.stop(t) })
	d.waitReady(t)
	return d
}

func (d *daemon) writeConf(t *testing.T, conf string) {
	t.Helper()
	if err := os.WriteFile(d.conf, []byte(strings.ReplaceAll(conf, "$DIR", d.dir)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (d *daemon) url() string { return "unix://" + d.sock }

// waitReady polls until the daemon answers and no process is STARTING.
func (d *daemon) waitReady(t *testing.T) {
	t.Helper()
	c := rpc.NewClient(d.url(), "", "")
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		infos, err := c.GetAllProcessInfo(ctx)
		cancel()
		var te *rpc.TransportError
		if err != nil && errors.As(err, &te) && te.Unauthorized {
			return // auth daemons: answering is enough
		}
		if err == nil {
			busy := false
			for _, info := range infos {
				if info.StateName == "STARTING" || info.StateName == "BACKOFF" {
					busy = true
				}
			}
			if !busy {
				return
			}
		}
		select {
		case <-d.exited:
			t.Fatalf("daemon exited early: %v", d.cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon %s not ready: %v", d.dir, err)
		}
	}
}

func (d *daemon) stop(t *testing.T) {
	select {
	case <-d.exited:
		return
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(20 * time.Second):
		syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.exited
	}
}

// waitExited waits for the daemon process to end (after shutdown).
func (d *daemon) waitExited(t *testing.T) {
	t.Helper()
	select {
	case <-d.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("daemon did not exit")
	}
}

type runResult struct {
	stdout, stderr string
	rc             int
}

// runCtl runs bin with args (and stdin) in dir.
func runCtl(t *testing.T, dir, bin string, stdin string, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "PYTHONIOENCODING=utf-8")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	rc := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("running %s %q: %v", bin, args, err)
		}
		rc = ee.ExitCode()
	}
	return runResult{stdout.String(), stderr.String(), rc}
}

var (
	rePid     = regexp.MustCompile(`pid \d+`)
	reUptime  = regexp.MustCompile(`uptime (\d+ days?, )?\d+:\d\d:\d\d`)
	reDate    = regexp.MustCompile(`[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M`)
	reNumLine = regexp.MustCompile(`(?m)^(\w*> )?\d+$`)
)

// normalize masks what legitimately differs between two runs: the
// daemon dirs, pids, uptimes, stop dates and program names.
func normalize(s string, dirs ...string) string {
	for _, d := range dirs {
		if d != "" {
			s = strings.ReplaceAll(s, d, "$DIR")
		}
	}
	s = strings.ReplaceAll(s, supervisorctlBin, "PROG")
	s = strings.ReplaceAll(s, superctlBin, "PROG")
	s = rePid.ReplaceAllString(s, "pid PID")
	s = reUptime.ReplaceAllString(s, "uptime UP")
	s = reDate.ReplaceAllString(s, "DATE")
	s = reNumLine.ReplaceAllString(s, "${1}NUM")
	return s
}

// stripHints removes superctl's extra stderr hint lines.
func stripHints(s string) string {
	var out []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if strings.HasPrefix(l, "is superd running?") || strings.HasPrefix(l, "(no config file found") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "")
}
