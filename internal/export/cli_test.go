package export

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/superd/superd/pkg/config"
)

func runMain(t *testing.T, cmd string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(cmd, args, Env{Stdout: &out, Stderr: &errb, Load: func(file string) (*config.Config, error) {
		return config.Load(file)
	}})
	return code, out.String(), errb.String()
}

// The example deployment exports to units that systemd-analyze
// verify accepts without a word.
func TestExportExampleSystemd(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runMain(t, "export", "systemd", "-c", "../../conf.d.example/superd.conf", "-o", dir, "--prefix", "ex-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// the example's programs (it may gain jobs: their timers come on top)
	for _, name := range []string{"ex-alerts.service", "ex-mailpoller.service", "ex-notify.target", "ex-tasks.service",
		"ex-web.service", "ex-worker-0.service", "ex-worker-1.service", "ex-worker-2.service", "ex-worker-3.service", "ex-worker.target"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "ex-worker-2.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"PartOf=ex-worker.target", "Environment=\"WORKER_NAME=worker-2\"", "--id 2\n", "Restart=on-failure"} {
		if !strings.Contains(string(data), line) {
			t.Errorf("ex-worker-2.service lacks %q:\n%s", line, data)
		}
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze not installed (Debian package systemd)")
	}
	code, _, stderr = runMain(t, "export", "systemd", "-c", "../../conf.d.example/superd.conf", "-o", t.TempDir(), "--check")
	if code != 0 || !strings.Contains(stderr, " file(s) verified") {
		t.Errorf("--check: exit %d: %s", code, stderr)
	}
}

func TestExportUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{}, 2, "which format?"},
		{[]string{"upstart"}, 2, `unknown format "upstart"`},
		{[]string{"systemd", "--bogus"}, 2, "unknown option --bogus"},
		{[]string{"systemd", "-c"}, 2, "requires an argument"},
		{[]string{"systemd", "-c", "/nonexistent/superd.conf"}, 1, "/nonexistent/superd.conf"},
		{[]string{"kubernetes", "-c", "x"}, 2, "--image is required"},
	} {
		code, _, stderr := runMain(t, "export", tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.err) {
			t.Errorf("export %q: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.err)
		}
	}
}

func TestImportCommandLine(t *testing.T) {
	dir := t.TempDir()
	procfile := filepath.Join(dir, "Procfile")
	os.WriteFile(procfile, []byte("web: ./server -p $PORT\n"), 0o644)
	code, out, stderr := runMain(t, "import", "procfile", "--dropin", procfile)
	if code != 0 || strings.Contains(out, "[supervisord]") || !strings.Contains(out, "[program:web]") {
		t.Errorf("--dropin: exit %d, stderr %q:\n%s", code, stderr, out)
	}
	code, out, _ = runMain(t, "import", "procfile", procfile)
	if code != 0 || !strings.Contains(out, "\n[supervisord]\n") {
		t.Errorf("without --dropin: exit %d:\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("this is not a procfile line\n"), 0o644)
	unit := filepath.Join(dir, "x.mount")
	os.WriteFile(unit, []byte("[Mount]\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"upstart", procfile}, 2, `unknown format "upstart"`},
		{[]string{"cron"}, 2, "which file?"},
		{[]string{"cron", filepath.Join(dir, "missing")}, 1, "no such file"},
		{[]string{"procfile", bad}, 1, "bad:1: not a Procfile line"},
		{[]string{"systemd", unit}, 1, "not a .service, .timer, .target or .socket unit"},
	} {
		code, _, stderr := runMain(t, "import", tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.err) {
			t.Errorf("import %q: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.err)
		}
	}
}

// Every format exports the example deployment and verifies its output.
func TestExportExampleAllFormats(t *testing.T) {
	for _, args := range [][]string{
		{"logrotate"}, {"cron"}, {"kubernetes", "--image", "example/app:1", "--namespace", "example"},
	} {
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := runMain(t, "export", append(args, "-c", "../../conf.d.example/superd.conf", "-o", out, "--check")...)
		if code != 0 || !strings.Contains(stderr, "verified") && !strings.Contains(stderr, "not verified") {
			t.Errorf("export %v: exit %d: %s", args, code, stderr)
		}
		if data, err := os.ReadFile(out); err != nil || len(data) == 0 {
			t.Errorf("export %v: -o %s: %v", args, out, err)
		}
	}
}

// -o DIR puts a one-file format's file in DIR under its name (with
// --prefix): /etc/cron.d/app-superd, /etc/logrotate.d/app-superd.
func TestExportIntoDirectory(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"cron"}, {"logrotate"}, {"kubernetes", "--image", "x"}} {
		code, _, stderr := runMain(t, "export", append(args, "-c", "../../conf.d.example/superd.conf", "-o", dir, "--prefix", "app-")...)
		if code != 0 {
			t.Fatalf("export %v: exit %d: %s", args, code, stderr)
		}
	}
	for _, name := range []string{"app-superd", "app-superd.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}
