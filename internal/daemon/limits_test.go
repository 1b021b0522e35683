package daemon

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/superd/superd/internal/testutil"
	"github.com/superd/superd/pkg/config"
)

// TestCheckFDs: more processes than RLIMIT_NOFILE can hold descriptors
// for give one warning in the main log naming the numbers; a few give
// none.
func TestCheckFDs(t *testing.T) {
	t.Parallel()
	var r unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &r); err != nil || r.Cur == unix.RLIM_INFINITY || r.Cur > 1<<22 {
		t.Skipf("RLIMIT_NOFILE %+v (%v): cannot configure more processes than it allows", r, err)
	}
	cfgWith := func(n int) *config.Config {
		ps := make([]*config.Process, n)
		return &config.Config{Groups: []*config.Group{{Name: "p", Processes: ps}}}
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	checkFDs(cfgWith(10), log)
	if buf.Len() != 0 {
		t.Errorf("10 processes: unexpected warning %q", buf.String())
	}
	n := int(r.Cur)/fdsPerProcess + 1
	checkFDs(cfgWith(n), log)
	out := buf.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "processes need about") ||
		!strings.Contains(out, "RLIMIT_NOFILE allows") || !strings.Contains(out, "minfds") {
		t.Errorf("%d processes with RLIMIT_NOFILE %d: want a warning, got %q", n, r.Cur, out)
	}
}

// TestMinfdsReachesChildren: supervisord raises its soft RLIMIT_NOFILE
// to minfds and its children inherit it; superd's children must start
// with the same limit, although the Go runtime raises superd's own soft
// limit at start-up and hands children the original. Both daemons run
// with a soft limit of 1024 on the same configs (minfds above it, and
// below it) and a child prints the limit it got.
func TestMinfdsReachesChildren(t *testing.T) {
	t.Parallel()
	requireReference(t)
	var r unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &r); err != nil {
		t.Fatal(err)
	}
	if r.Max != unix.RLIM_INFINITY && r.Max < 4096 && os.Geteuid() != 0 {
		t.Skipf("hard RLIMIT_NOFILE %d: cannot raise a soft limit to 4096", r.Max)
	}
	for _, minfds := range []int{512, 4096} {
		got := map[string]string{}
		for _, bin := range []string{"/usr/bin/supervisord", superdBin} {
			dir := shortTempDir(t)
			conf := writeConfig(t, dir, fmt.Sprintf(`[program:lim]
command=/bin/sh -c 'echo "soft $(ulimit -Sn)"; exec sleep 100'
startsecs=0
stdout_logfile=%s/lim.out
`, dir))
			text, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			text = bytes.Replace(text, []byte("[supervisord]\n"), fmt.Appendf(nil, "[supervisord]\nminfds=%d\n", minfds), 1)
			if err := os.WriteFile(conf, text, 0o644); err != nil {
				t.Fatal(err)
			}
			d := testutil.Start(t, "/bin/sh", "-c", `ulimit -Sn 1024 && exec "$0" "$@"`, bin, "-n", "-c", conf)
			in := &instance{t: t, dir: dir, conf: conf, sock: filepath.Join(dir, "s.sock"), cmd: d.Cmd, out: d.Out, done: d.Done}
			var line string
			waitFor(t, bin+": the child's line", func() bool {
				b, _ := os.ReadFile(filepath.Join(dir, "lim.out"))
				line = strings.TrimSpace(string(b))
				return strings.HasPrefix(line, "soft ")
			})
			in.kill()
			got[filepath.Base(bin)] = line
		}
		want := "soft 1024"
		if minfds > 1024 {
			want = fmt.Sprintf("soft %d", minfds)
		}
		if got["supervisord"] != want {
			t.Errorf("minfds=%d: supervisord's child printed %q, this test expects %q", minfds, got["supervisord"], want)
		}
		if got["superd"] != got["supervisord"] {
			t.Errorf("minfds=%d: superd's child printed %q, supervisord's %q", minfds, got["superd"], got["supervisord"])
		}
	}
}
