package daemon

import (
	"context"
	"testing"

	"github.com/superd/superd/pkg/rpc"
)

// TestDaemonStatsChildren: superd.getDaemonStats counts every live
// child, job runs (which getAllProcessInfo does not list) included, so
// that children and recorded_children agree.
func TestDaemonStatsChildren(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, `[program:p]
command=/bin/sleep 1000

[job:long]
command=/bin/sleep 1000
schedule = 0 0 1 1 *
`)
	in := startDaemon(t, superdBin, dir, conf)
	c := in.client
	ctx := context.Background()
	var s rpc.DaemonStats
	stats := func(children int) func() bool {
		return func() bool {
			var err error
			s, err = c.DaemonStats(ctx)
			return err == nil && s.Children == children && s.RecordedChildren == children
		}
	}
	if !pollUntil(stats(1)) {
		t.Fatalf("with the program running: %+v", s)
	}
	if err := c.RunJob(ctx, "long"); err != nil {
		t.Fatal(err)
	}
	if !pollUntil(stats(2)) {
		t.Fatalf("with the program and a job run: %+v", s)
	}
}
