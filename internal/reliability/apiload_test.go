package reliability

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/superd/superd/pkg/rpc"
)

// TestManyClients (issue 13 item 5): 500 clients at once, each calling
// getAllProcessInfo on 200 processes: every call is answered with the
// 200 processes, and afterwards superd's heap and descriptors are back
// near where they were.
func TestManyClients(t *testing.T) {
	t.Parallel()
	const programs, clients = 200, 500
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, `
[program:p]
command=/bin/sleep 100000
process_name=%(program_name)s_%(process_num)03d
numprocs=200
startsecs=0
`)
	in := startDaemon(t, superdBin, dir, conf)
	in.allRunning(programs)
	ctx := context.Background()
	base, err := in.client.DaemonStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var failed atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient(dir)
			defer c.Close()
			<-start
			infos, err := c.GetAllProcessInfo(ctx)
			if err != nil || len(infos) != programs {
				failed.Add(1)
				return
			}
			for _, i := range infos {
				if i.StateName != "RUNNING" {
					failed.Add(1)
					return
				}
			}
		}()
	}
	runtime.Gosched()
	close(start)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d calls failed or were wrong", n, clients)
	}
	var now rpc.DaemonStats
	if !pollUntil(func() bool {
		now, err = in.client.DaemonStats(ctx)
		return err == nil && now.FDs <= base.FDs && now.Goroutines <= base.Goroutines &&
			now.HeapInuse <= base.HeapInuse*3/2+8<<20
	}) {
		t.Fatalf("not back to baseline: before %+v, after %+v", base, now)
	}
	t.Logf("%d clients: fds %d -> %d, goroutines %d -> %d, heap %d -> %d KiB, RSS %d -> %d KiB",
		clients, base.FDs, now.FDs, base.Goroutines, now.Goroutines, base.HeapInuse>>10, now.HeapInuse>>10, base.RSS>>10, now.RSS>>10)
}
