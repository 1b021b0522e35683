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
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	var base []string
	for _, n := range names {
		base = append(base, filepath.Base(n))
	}
	want := "ex-alerts.service ex-mailpoller.service ex-notify.target ex-tasks.service ex-web.service ex-worker-0.service ex-worker-1.service ex-worker-2.service ex-worker-3.service ex-worker.target"
	if got := strings.Join(base, " "); got != want {
		t.Errorf("files:\n got %s\nwant %s", got, want)
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
	if code != 0 || !strings.Contains(stderr, "check: 10 file(s) verified") {
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
