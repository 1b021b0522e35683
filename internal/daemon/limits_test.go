package daemon

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

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
