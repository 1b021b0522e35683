package main

import (
	"bytes"
	"context"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/superd/superd/bench/internal/lines"
)

// TestQuick runs the runner in -quick mode against superd (built from
// this tree) and supervisord (when installed) and checks that both run
// through every scenario and produce rows with values: a superd that
// does not build or fails a scenario fails the test. It asserts nothing
// about timings.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not in PATH")
	}
	cfg, err := parseFlags([]string{"-quick"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("/usr/bin/supervisord"); err != nil {
		t.Logf("supervisord not installed, running superd only: %v", err)
		cfg.Impls = []string{"superd"}
	}
	cfg.Dir = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, log bytes.Buffer
	res, err := run(ctx, cfg, &out, &log)
	t.Logf("progress:\n%s", log.String())
	t.Logf("table:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	// Every implementation must run through without error and have a
	// value in every row.
	for _, name := range cfg.Impls {
		var failed []string
		for k, e := range res.errs {
			if k.impl == name {
				failed = append(failed, k.id+": "+e)
			}
		}
		if len(failed) > 0 {
			sort.Strings(failed)
			t.Errorf("%s failed: %v", name, failed)
			continue
		}
		for _, id := range []string{"spawn0", "spawn0tmpfs", "spawn1", "update", "rss", "rssanon", "rssidle", "idlecpu", "getall", "getalldec", "status", "crash", "stopall", "startall", "shutdown", "logmbs", "loglost"} {
			n := "10"
			if strings.HasPrefix(id, "log") {
				n = "6 MiB"
			}
			if len(res.samples[key{id, n, name}]) == 0 {
				t.Errorf("%s: no samples for %s N=%s", name, id, n)
			}
		}
		if lost := res.samples[key{"loglost", "6 MiB", name}]; len(lost) > 0 && lost[0] != 0 {
			t.Errorf("%s lost %v log lines", name, lost[0])
		}
	}
	// The limit column: spawn floors on disk and tmpfs, stop, memory
	// and the generator | cat pipeline.
	for _, k := range []key{{"spawn0", "10", limitName}, {"spawn0tmpfs", "10", limitName}, {"spawn1", "10", limitName},
		{"stopall", "10", limitName}, {"rss", "10", limitName}, {"rssanon", "10", limitName}, {"logmbs", "6 MiB", limitName}} {
		if e := res.errs[k]; e != "" {
			t.Errorf("limit %s N=%s: %s", k.id, k.n, e)
		} else if len(res.samples[k]) == 0 || res.samples[k][0] <= 0 {
			t.Errorf("limit %s N=%s: no positive sample (%v)", k.id, k.n, res.samples[k])
		}
	}
	for _, col := range []string{"| limit |", "superd/limit", "superd/supervisord"} {
		if len(cfg.Impls) > 1 || col != "superd/supervisord" {
			if !strings.Contains(out.String(), col) {
				t.Errorf("table has no %q column:\n%s", col, out.String())
			}
		}
	}
	if !strings.Contains(out.String(), "| spawn to all RUNNING, startsecs=0") {
		t.Errorf("table has no spawn row:\n%s", out.String())
	}
}

// TestLinesVerify checks the log verifier catches loss, duplication and
// corruption.
func TestLinesVerify(t *testing.T) {
	gen := func(n int64) []byte {
		buf := make([]byte, n*lines.Len)
		lines.NewGenerator().Fill(buf, n)
		return buf
	}
	good := gen(100)
	cases := []struct {
		name string
		data []byte
		ok   bool
	}{
		{"intact", good, true},
		{"split across files", good, true},
		{"missing line", append(append([]byte{}, good[:10*lines.Len]...), good[11*lines.Len:]...), false},
		{"duplicate line", append(append([]byte{}, good[:11*lines.Len]...), good[10*lines.Len:]...), false},
		{"corrupt byte", func() []byte { b := bytes.Clone(good); b[5*lines.Len+30] = '#'; return b }(), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			half := len(c.data) / 2
			rep, err := lines.Verify(100, bytes.NewReader(c.data[:half+7]), bytes.NewReader(c.data[half+7:]))
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() != c.ok {
				t.Errorf("OK() = %v, want %v: %s", rep.OK(), c.ok, rep)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	s := []float64{5, 1, 4, 2, 3}
	if got := percentile(s, 50); got != 3 {
		t.Errorf("median = %v, want 3", got)
	}
	if got := percentile([]float64{1, 2, 3, 4}, 50); got != 2.5 {
		t.Errorf("median of 4 = %v, want 2.5", got)
	}
	if got := percentile(s, 99); got != 5 {
		t.Errorf("p99 = %v, want 5", got)
	}
}
