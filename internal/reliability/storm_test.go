package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestKillStormDaemon (issue 13 item 1, against the superd binary; the
// event accounting is pkg/process's TestKillStorm): children killed
// with SIGKILL from outside while stop/start requests arrive. Afterwards
// all are RUNNING, superd has no zombie child, and its descriptors and
// goroutines (superd.getDaemonStats) are back to where they were.
func TestKillStormDaemon(t *testing.T) {
	t.Parallel()
	programs, kills, over := 60, 300, 3*time.Second
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, fmt.Sprintf(`
[program:p]
command=/bin/sleep 100000
process_name=%%(program_name)s_%%(process_num)03d
numprocs=%d
startsecs=0
autorestart=true
startretries=1000
`, programs))
	in := startDaemon(t, superdBin, dir, conf)
	in.allRunning(programs)
	ctx := context.Background()
	// Stop/start requests come on their own connection, made before
	// the baseline is taken (a keep-alive connection costs superd a
	// descriptor and a goroutine).
	churn := newClient(dir)
	if _, err := churn.GetState(ctx); err != nil {
		t.Fatal(err)
	}
	base, err := in.client.DaemonStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if base.FDs <= 0 || base.Goroutines <= 0 || base.RSS <= 0 || base.Children != programs || base.PID != in.cmd.Process.Pid {
		t.Fatalf("implausible stats %+v", base)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // stop/start requests during the storm
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			churn.StopProcess(ctx, "p:p_000", true)
			churn.StartProcess(ctx, "p:p_000", true)
		}
	}()
	killed := map[int]bool{}
	rng := rand.New(rand.NewPCG(2, 3))
	begin := time.Now()
	for k := 0; k < kills; k++ {
		if d := time.Until(begin.Add(over * time.Duration(k) / time.Duration(kills))); d > 0 {
			time.Sleep(d) // pacing the storm
		}
		infos, err := in.client.GetAllProcessInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		i := infos[rng.IntN(len(infos))]
		if i.PID > 1 && !killed[i.PID] && syscall.Kill(i.PID, syscall.SIGKILL) == nil {
			killed[i.PID] = true
		}
	}
	close(stop)
	wg.Wait()
	end := time.Now()
	in.client.StartProcess(ctx, "p:p_000", true)
	waitFor(t, "all RUNNING, none with a killed pid", func() bool {
		infos, err := in.client.GetAllProcessInfo(ctx)
		if err != nil || len(infos) != programs {
			return false
		}
		for _, i := range infos {
			if i.StateName != "RUNNING" || killed[i.PID] {
				return false
			}
		}
		return true
	})
	t.Logf("%d kills in %v; all RUNNING %v after the last", len(killed), end.Sub(begin).Round(time.Millisecond), time.Since(end).Round(time.Millisecond))
	var now processStats
	if !pollUntil(func() bool {
		s, err := in.client.DaemonStats(ctx)
		now = processStats{s.FDs, s.Goroutines}
		return err == nil && s.FDs <= base.FDs && s.Goroutines <= base.Goroutines && s.Children == programs
	}) {
		t.Fatalf("not back to baseline: fds %d -> %d, goroutines %d -> %d", base.FDs, now.fds, base.Goroutines, now.goroutines)
	}
	if z := zombieChildren(in.cmd.Process.Pid); len(z) > 0 {
		t.Errorf("zombie children of superd: %v", z)
	}
	t.Logf("fds %d -> %d, goroutines %d -> %d", base.FDs, now.fds, base.Goroutines, now.goroutines)
}

type processStats struct{ fds, goroutines int }
