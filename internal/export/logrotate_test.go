package export

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/superd/superd/pkg/config"
)

func TestLogrotateGolden(t *testing.T) {
	goldenExport(t, "logrotate", Logrotate, Options{}, nil)
}

// parseLogrotate reads back the blocks of a generated config: every
// path with its directives.
func parseLogrotate(t *testing.T, text string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	var paths []string
	in, script := false, false
	for _, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(line)
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case script:
			script = l != "endscript"
		case l == "{":
			in = true
		case l == "}":
			in, paths = false, nil
		case in && l == "postrotate":
			script = true
		case in:
			for _, p := range paths {
				out[p] = append(out[p], l)
			}
		default:
			paths = append(paths, strings.Trim(l, `"`))
		}
	}
	return out
}

// The generated config, read back, rotates each program log at its
// *_maxbytes and keeps *_backups files; logrotate -d accepts it.
func TestLogrotateParsesBack(t *testing.T) {
	a := readArchive(t, filepath.Join("testdata", "logrotate", "basic.txtar"))
	dir := a.inputs(t)
	cfg, err := config.Load(filepath.Join(dir, "superd.conf"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Logrotate(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	blocks := parseLogrotate(t, string(res.Files[0].Data))
	want := map[string]string{
		"superd.log":               "size 10M|rotate 5|missingok|notifempty|sharedscripts",
		"web.out.log":              "size 20M|rotate 7|missingok|notifempty|sharedscripts",
		"web.err.log":              "size 5M|rotate 3|missingok|notifempty|sharedscripts",
		"worker-0.log":             "size 20M|rotate 7|missingok|notifempty|sharedscripts",
		"worker-1.log":             "size 20M|rotate 7|missingok|notifempty|sharedscripts",
		"poller.log":               "weekly|rotate 4|compress|maxage 14|missingok|notifempty|sharedscripts",
		"auto-stdout---site-*.log": "size 50M|rotate 10|missingok|notifempty|sharedscripts",
	}
	for name, w := range want {
		got := strings.Join(blocks[filepath.Join(dir, name)], "|")
		if got != w {
			t.Errorf("%s: %q, want %q", name, got, w)
		}
	}
	if len(blocks) != len(want) {
		t.Errorf("%d paths, want %d: %v", len(blocks), len(want), blocks)
	}
	if _, err := exec.LookPath("logrotate"); err != nil {
		if _, err := os.Stat("/usr/sbin/logrotate"); err != nil {
			t.Skip("logrotate not installed (Debian package logrotate)")
		}
	}
	if msg, err := Check("logrotate", res.Files); err != nil {
		t.Errorf("%v\n%s", err, msg)
	}
	// a directory others may write to needs su, or logrotate skips it
	ww := filepath.Join(dir, "shared")
	if err := os.Mkdir(ww, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(ww, 0o777)
	cfg.Supervisord.Logfile = filepath.Join(ww, "superd.log")
	res, err = Logrotate(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.Files[0].Data), "    su ") {
		t.Errorf("no su directive for a world-writable directory:\n%s", res.Files[0].Data)
	}
	if msg, err := Check("logrotate", res.Files); err != nil {
		t.Errorf("%v\n%s", err, msg)
	}
}
