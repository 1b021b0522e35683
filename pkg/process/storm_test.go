package process

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
)

// TestKillStorm (issue 13 item 1): many programs (autorestart=true) are
// killed with SIGKILL from outside at random, while a few of them get
// stop/start requests. Afterwards every process is RUNNING, no child is
// left a zombie, the descriptors and goroutines are back to their count
// before the storm, and every program's event stream is a valid path
// of the state machine with exactly one death (EXITED, or BACKOFF when
// killed while STARTING) per kill, each followed by a restart.
//
// Not parallel: it counts the test process's own descriptors,
// goroutines and children.
func TestKillStorm(t *testing.T) {
	programs, kills, over := 100, 500, 5*time.Second
	if testing.Short() {
		programs, kills, over = 30, 100, 2*time.Second
	}
	for _, startsecs := range []int{0, 1} {
		t.Run("startsecs="+strconv.Itoa(startsecs), func(t *testing.T) {
			killStorm(t, programs, kills, over, startsecs)
		})
	}
}

func killStorm(t *testing.T, programs, kills int, over time.Duration, startsecs int) {
	var procs []*config.Process
	for i := range programs {
		name := fmt.Sprintf("p%03d", i)
		pc := &config.Process{
			Name: name, Group: "storm", Program: "storm", Command: "/bin/sleep 100000",
			Argv: []string{"/bin/sleep", "100000"}, Priority: 999, Autostart: true,
			Autorestart: config.AutorestartTrue, StartSecs: startsecs, StartRetries: 1000,
			ExitCodes: []int{0}, StopSignal: syscall.SIGTERM, StopSignalName: "TERM", StopWaitSecs: 2,
			UID: -1, ServerURL: "AUTO", Seq: i,
		}
		procs = append(procs, pc)
	}
	g := &config.Group{Name: "storm", Kind: config.KindProgram, Priority: 999, Processes: procs}
	h := start(t, testConfig(t, g))
	// The whole storm shares one context: longer than the harness's
	// per-wait deadline, for loaded machines.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	killed := map[int]string{} // pid -> program
	// allRunning: every process RUNNING, none with a pid that was
	// killed (its exit not handled yet).
	allRunning := func() bool {
		infos, err := h.s.AllProcessInfo(ctx)
		if err != nil {
			return false
		}
		for _, i := range infos {
			if i.State != Running || killed[i.PID] != "" {
				return false
			}
		}
		return len(infos) == programs
	}
	eventually(t, "all RUNNING before the storm", allRunning)
	fds0, gor0 := countFDs(t), runtime.NumGoroutine()

	// Programs under stop/start requests during the storm.
	churn := map[string]bool{"p000": true, "p001": true, "p002": true}
	stopChurn := make(chan struct{})
	var wg sync.WaitGroup
	for name := range churn {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stopChurn:
					h.s.StartProcess(ctx, name, true)
					return
				default:
				}
				h.s.StopProcess(ctx, name, true)
				h.s.StartProcess(ctx, name, true)
			}
		}()
	}

	perName := map[string]int{}
	rng := rand.New(rand.NewPCG(1, uint64(startsecs)))
	begin := time.Now()
	for k := 0; k < kills; k++ {
		if d := time.Until(begin.Add(over * time.Duration(k) / time.Duration(kills))); d > 0 {
			time.Sleep(d) // pacing the storm, not synchronisation
		}
		infos, err := h.s.AllProcessInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		i := infos[rng.IntN(len(infos))]
		if i.PID <= 1 || killed[i.PID] != "" {
			continue // not running, or killed and not reaped yet
		}
		if syscall.Kill(i.PID, syscall.SIGKILL) == nil {
			killed[i.PID] = i.Name
			perName[i.Name]++
		}
	}
	close(stopChurn)
	wg.Wait()
	stormEnd := time.Now()
	eventually(t, "all RUNNING after the storm", allRunning)
	t.Logf("%d effective kills of %d programs in %v; all RUNNING %v after the last one",
		len(killed), programs, stormEnd.Sub(begin).Round(time.Millisecond), time.Since(stormEnd).Round(time.Millisecond))

	// Descriptors and goroutines back to the count before the storm
	// (exit goroutines end shortly after the exits are handled).
	eventually(t, "descriptors and goroutines back to baseline", func() bool {
		return countFDs(t) <= fds0 && runtime.NumGoroutine() <= gor0
	})
	if z := zombies(t); len(z) > 0 {
		t.Errorf("zombie children: %v", z)
	}

	// The event stream, up to now.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		select {
		case e := <-h.evs:
			h.seen = append(h.seen, e)
			continue
		default:
		}
		break
	}
	byName := map[string][]events.Event{}
	for _, e := range h.seen {
		if isState(e) {
			byName[e.Process] = append(byName[e.Process], e)
		}
	}
	for _, pc := range procs {
		evs := byName[pc.Name]
		prev := "STOPPED"
		deaths := 0
		for _, e := range evs {
			if e.FromState != prev {
				t.Errorf("%s: %s from %s, but it was %s", pc.Name, e.State, e.FromState, prev)
			}
			prev = e.State
			switch {
			case e.State == "EXITED":
				deaths++
				if killed[e.PID] != pc.Name {
					t.Errorf("%s: EXITED pid %d, which was not killed", pc.Name, e.PID)
				}
			case e.State == "BACKOFF" && e.FromState == "STARTING":
				deaths++
			case e.State == "FATAL":
				t.Errorf("%s: FATAL", pc.Name)
			}
		}
		if prev != "RUNNING" {
			t.Errorf("%s: last state %s", pc.Name, prev)
		}
		if !churn[pc.Name] && deaths != perName[pc.Name] {
			t.Errorf("%s: %d deaths in the event stream for %d kills", pc.Name, deaths, perName[pc.Name])
		}
	}
	if t.Failed() {
		t.Logf("events:\n%s", h.dump())
	}
}

func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// zombies lists this process's children that are zombies.
func zombies(t *testing.T) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	self := os.Getpid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := ReadProcStat(pid); err == nil && st.PPID == self && st.State == 'Z' {
			out = append(out, pid)
		}
	}
	return out
}
