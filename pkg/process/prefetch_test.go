package process

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
)

// TestPrefetchSameAsSerial runs the same batch twice, with spawn
// prefetching and fully on the loop, and wants the same state events
// in the same order and the same main-log lines (pids aside), with
// preparation errors (log file in a missing directory, missing
// command, missing directory=) among working processes, at autostart
// and again for startAllProcesses.
func TestPrefetchSameAsSerial(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing")
	run := func(noPrefetch bool) (evs, lines []string) {
		var ps []*config.Process
		for i := range 10 {
			pc := newProc(t, fmt.Sprintf("p%d", i), "sleep")
			pc.Group = "g"
			pc.StartRetries = 0
			pc.Stdout.File, pc.Stderr.File = "AUTO", "AUTO"
			switch i {
			case 3:
				pc.Stdout.File = filepath.Join(missing, "out.log")
			case 5:
				pc.Argv = []string{"/no/such/command"}
			case 6:
				pc.Directory = missing
			case 8:
				pc.RedirectStderr = true
			}
			ps = append(ps, pc)
		}
		cfg := testConfig(t, groupOf(ps...))
		h := start(t, cfg, func(o *Options) { o.noPrefetch = noPrefetch })
		settled := func(again bool) {
			for _, pc := range ps {
				if pc.Name == "p5" && again {
					continue // startAllProcesses does not try a missing command
				}
				if pc.Name == "p3" || pc.Name == "p5" || pc.Name == "p6" {
					h.waitState(pc.Name, Fatal)
				} else {
					h.waitState(pc.Name, Running)
				}
			}
		}
		pid := regexp.MustCompile(`pid \d+|\(\d+\)`)
		// mark returns the events and log lines since the last mark
		// (the stops in between finish in any order: not compared).
		var ne, nl int
		mark := func(keep bool) {
			h.drain()
			ls := h.log.lines()
			if keep {
				for _, e := range h.seen[ne:] {
					if isState(e) || e.Type == events.ProcessGroupAdded {
						evs = append(evs, fmt.Sprintf("%s %s from=%s tries=%d", e.Type, e.Process, e.FromState, e.Tries))
					}
				}
				for _, l := range ls[nl:] {
					lines = append(lines, pid.ReplaceAllString(l, "pid N"))
				}
			}
			ne, nl = len(h.seen), len(ls)
		}
		settled(false)
		mark(true)
		// AUTO log files were made by the preparations: every path
		// is known once the batch is done
		infos, err := h.s.AllProcessInfo(h.ctx())
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range infos {
			files := []string{in.StdoutLogfile, in.StderrLogfile}
			if in.Name == "p3" {
				files = files[1:]
			}
			if in.Name == "p8" {
				files = files[:1]
				if in.StderrLogfile != "" {
					t.Errorf("p8 (redirect_stderr) stderr log %q", in.StderrLogfile)
				}
			}
			for _, f := range files {
				if _, err := os.Stat(f); err != nil || !strings.HasPrefix(filepath.Base(f), in.Name+"-") {
					t.Errorf("%s: AUTO log %q: %v", in.Name, f, err)
				}
			}
		}
		if _, err := h.s.StopAll(h.ctx(), true); err != nil {
			t.Fatal(err)
		}
		mark(false)
		res, err := h.s.StartAll(h.ctx(), false)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			evs = append(evs, fmt.Sprintf("result %s %v", r.Name, r.Err))
		}
		settled(true)
		mark(true)
		h.stop(false)
		if used := h.s.prepUsed; (used > 0) == noPrefetch {
			t.Errorf("noPrefetch %v: %d spawns prepared off the loop", noPrefetch, used)
		}
		return evs, lines
	}
	pe, pl := run(false)
	se, sl := run(true)
	if !slices.Equal(pe, se) {
		t.Errorf("events differ\nprefetch:\n  %s\nserial:\n  %s", strings.Join(pe, "\n  "), strings.Join(se, "\n  "))
	}
	if !slices.Equal(pl, sl) {
		t.Errorf("log lines differ\nprefetch:\n  %s\nserial:\n  %s", strings.Join(pl, "\n  "), strings.Join(sl, "\n  "))
	}
	for _, want := range []string{"spawnerr: unknown error making dispatchers for 'p3': ENOENT",
		"spawnerr: can't find command '/no/such/command'", "spawnerr: couldn't chdir to"} {
		if !slices.ContainsFunc(pl, func(l string) bool { return strings.Contains(l, want) }) {
			t.Errorf("no %q in\n  %s", want, strings.Join(pl, "\n  "))
		}
	}
}

// TestPrefetchDropsTakenPreps: once the loop has taken a prepared
// spawn, neither the prefetcher's list nor its queue's backing array
// keeps it (each holds the child's environment and argv; kept until the
// end of the batch they were 8 MB of live heap at N=1000).
func TestPrefetchDropsTakenPreps(t *testing.T) {
	t.Parallel()
	const n = 3 * prefetchAhead
	list := make([]*prep, n)
	for i := range list {
		p := &proc{}
		list[i] = &prep{p: p, done: make(chan struct{}), idx: i}
		p.prep = list[i]
	}
	backing := list[:n:n]
	pf := &prefetcher{jobs: make(chan *prep, prefetchAhead), queue: list, all: slices.Clone(list)}
	s := &Supervisor{pf: pf}
	pf.topUp()
	for i := range n {
		if backing[i] != nil {
			t.Fatalf("prep %d still in the queue's array after it was handed out", i)
		}
		// The worker's part: take the job, finish it.
		pr := <-pf.jobs
		if pr.idx != i {
			t.Fatalf("job %d handed out at %d", pr.idx, i)
		}
		close(pr.done)
		if got := s.takePrep(pr.p); got != pr {
			t.Fatalf("takePrep %d: %v", i, got)
		}
		if pf.all[i] != nil {
			t.Fatalf("prep %d still in the prefetcher's list after it was taken", i)
		}
	}
	if s.prepUsed != n {
		t.Fatalf("%d preps used, want %d", s.prepUsed, n)
	}
}

// TestPrefetchReleasesUnusedPreps: a batch that ends with preparations
// no spawn took (a start that did not spawn after all) closes their
// pipes and log files; the processes keep no half-made spawn.
func TestPrefetchReleasesUnusedPreps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var pcs []*config.Process
	for i := range 4 {
		p := newProc(t, fmt.Sprintf("u%d", i), "sleep")
		p.Group = "u"
		p.Autostart = false
		p.Stdout.File = filepath.Join(dir, p.Name+".out")
		p.Stderr.File = filepath.Join(dir, p.Name+".err")
		pcs = append(pcs, p)
	}
	h := start(t, testConfig(t, groupOf(pcs...)))
	type held struct {
		files []*os.File
		logs  int
	}
	got, err := call(context.Background(), h.s, func(reply func(held, error)) {
		ps := h.s.groups["u"].procs
		if !h.s.beginPrefetch(ps) {
			reply(held{}, fmt.Errorf("no prefetch"))
			return
		}
		var hd held
		for _, p := range ps {
			pr := p.prep
			if !pr.sent {
				continue
			}
			<-pr.done
			if pr.err != nil {
				reply(held{}, pr.err)
				return
			}
			hd.files = append(hd.files, pr.pipes.stdinR, pr.pipes.stdinW, pr.pipes.stdoutR,
				pr.pipes.stdoutW, pr.pipes.stderrR, pr.pipes.stderrW)
			if pr.stdoutLog != nil {
				hd.logs++
			}
		}
		h.s.endPrefetch() // the batch ends with none of them spawned
		for _, p := range ps {
			if p.prep != nil {
				reply(held{}, fmt.Errorf("%s keeps its preparation", p.cfg.Name))
				return
			}
		}
		reply(hd, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.files) == 0 || got.logs == 0 {
		t.Fatalf("nothing was prepared: %d pipe ends, %d logs", len(got.files), got.logs)
	}
	for i, f := range got.files {
		if f.Fd() != ^uintptr(0) {
			t.Errorf("pipe end %d (%s) still open", i, f.Name())
		}
	}
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, dir) {
			t.Errorf("fd %s still open on %s", e.Name(), l)
		}
	}
}
