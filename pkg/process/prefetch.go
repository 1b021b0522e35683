package process

import (
	"os"
	"runtime"
	"slices"
	"sync"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/logfile"
)

// Spawn prefetching: the part of a spawn that needs no process state
// (resolving the command, opening the log writers, making the pipes,
// building the environment) is done for the next processes of a batch
// (autostart, startAllProcesses, startProcessGroup, addProcessGroup) by
// a few worker goroutines while the loop forks the current one. Go
// serializes fork/exec inside one process on syscall.ForkLock, so the
// loop keeps doing every fork, in order, and records every result
// (STARTING events, "spawned:" lines) exactly as before; only the
// preparation moves off it.
//
// A prepared spawn that hit any error is not used: the loop keeps the
// log writers it opened (as a serial spawn would have) and redoes the
// spawn inline, so spawnerr texts and state transitions are exactly
// those of a serial spawn (an EMFILE caused by the look-ahead itself
// turns into a retry, not an error). Only processes whose spawn is
// certain and needs nothing the loop owns are prefetched (no sockets,
// no dependencies, no lifecycle environment); the rest spawn as
// before.
//
// The workers live for one batch, inside one step of the loop: the
// loop starts them (beginPrefetch), hands out at most prefetchAhead
// jobs beyond the spawn it is doing, and at the end of the batch
// (endPrefetch) closes the job channel, waits for them to end, and
// releases what was prepared but not used.

// prefetchAhead bounds the prepared but not yet spawned children (each
// holds three pipes and up to two log files).
const prefetchAhead = 16

// prep is one prepared spawn. The loop fills the inputs before it
// hands the prep to a worker; the worker fills the outputs and closes
// done; the loop reads them after done.
type prep struct {
	p    *proc
	done chan struct{}
	sent bool // handed to a worker (loop-owned)
	idx  int  // its index in prefetcher.all

	// inputs
	cfg                    *config.Process
	env                    map[string]string // the group's [supervisord] environment
	stdoutPath, stderrPath string
	autoStdout, autoStderr bool // create the AUTO file first (its path is the output)
	openStdout, openStderr bool // the writer is not open yet
	stderrPipe             bool
	buildEnv               bool // no lifecycle environment: the worker builds it

	// outputs
	autoErrs  []string // AUTO files that could not be created (logged by the loop)
	filename  string
	argv      []string
	stdoutLog *logfile.Writer
	stderrLog *logfile.Writer
	pipes     *childPipes
	childEnv  []string
	err       error
}

type prefetcher struct {
	jobs  chan *prep
	wg    sync.WaitGroup
	queue []*prep // not yet handed out, in spawn order
	out   int     // handed out and not yet taken by a spawn
	// all are the batch's preps not yet taken by a spawn (nil once
	// taken), for endPrefetch. Neither it nor queue keeps a taken
	// prep: its environment and argv (about 8 KB a child) would stay
	// live until the end of the batch, 8 MB at N=1000, and raise the
	// GC's heap goal and superd's RSS with it.
	all []*prep
}

// prefetchable reports whether p's next spawn can be prepared off the
// loop: nothing in it needs loop state or has a side effect the loop
// must order.
func (s *Supervisor) prefetchable(p *proc) bool {
	pc := p.cfg
	return p.oneshot == nil && p.prep == nil && len(pc.Deps) == 0 && len(pc.Listen) == 0 &&
		p.g.cfg.Kind != config.KindFCGIProgram && p.g.cfg.Kind != config.KindEventListener
}

// canPrefetch reports whether spawns may be prepared off the loop at
// all (not with a test's fake runner).
func (s *Supervisor) canPrefetch() bool {
	_, ok := s.runner.(osRunner)
	return ok && !s.opts.noPrefetch
}

// beginPrefetch starts preparing the spawns of ps (in the order the
// loop will spawn them) and reports whether it did; the caller then
// calls endPrefetch once the batch is done.
func (s *Supervisor) beginPrefetch(ps []*proc) bool {
	if s.pf != nil || !s.canPrefetch() {
		return false
	}
	var list []*prep
	for _, p := range ps {
		if !s.prefetchable(p) {
			continue
		}
		pc := p.cfg
		pr := &prep{p: p, done: make(chan struct{}), cfg: pc, env: p.g.env,
			stdoutPath: p.stdoutPath, stderrPath: p.stderrPath,
			autoStdout: p.stdoutAuto, autoStderr: p.stderrAuto,
			openStdout: p.stdoutLog == nil,
			openStderr: p.stderrLog == nil && !pc.RedirectStderr,
			stderrPipe: !pc.RedirectStderr,
			buildEnv:   len(pc.EnvFiles) == 0 && pc.Ready == nil && pc.Health == nil,
		}
		list = append(list, pr)
	}
	if len(list) < 2 {
		return false // nothing to overlap
	}
	for i, pr := range list {
		pr.p.prep = pr
		pr.idx = i
	}
	pf := &prefetcher{jobs: make(chan *prep, prefetchAhead), queue: list, all: slices.Clone(list)}
	for range min(runtime.GOMAXPROCS(0), len(list)) {
		pf.wg.Add(1)
		go func() {
			defer pf.wg.Done()
			for pr := range pf.jobs {
				s.runPrep(pr)
			}
		}()
	}
	s.pf = pf
	pf.topUp()
	return true
}

// topUp hands out jobs until prefetchAhead are outstanding (never
// blocks: the channel holds that many).
func (pf *prefetcher) topUp() {
	for len(pf.queue) > 0 && pf.out < prefetchAhead {
		pr := pf.queue[0]
		pf.queue[0] = nil // the backing array outlives this slot
		pf.queue = pf.queue[1:]
		pr.sent = true
		pf.out++
		pf.jobs <- pr
	}
}

// endPrefetch ends the workers and releases preparations no spawn took.
func (s *Supervisor) endPrefetch() {
	pf := s.pf
	if pf == nil {
		return
	}
	s.pf = nil
	pf.queue = nil
	close(pf.jobs)
	pf.wg.Wait()
	for _, pr := range pf.all {
		if pr == nil || pr.p.prep != pr {
			continue
		}
		pr.p.prep = nil
		if pr.sent {
			s.adoptAuto(pr)
			pr.release()
		}
	}
}

// adoptAuto gives p the AUTO log files its preparation created (the
// files exist whether or not the spawn uses the rest).
func (s *Supervisor) adoptAuto(pr *prep) {
	p := pr.p
	if pr.autoStdout {
		p.stdoutPath, p.stdoutAuto = pr.stdoutPath, false
	}
	if pr.autoStderr {
		p.stderrPath, p.stderrAuto = pr.stderrPath, false
	}
	for _, msg := range pr.autoErrs {
		s.log.Error(msg)
	}
	pr.autoErrs = nil
}

// release closes what a prep opened and nobody took.
func (pr *prep) release() {
	if pr.pipes != nil {
		pr.pipes.closeChild()
		pr.pipes.closeParent()
		pr.pipes = nil
	}
	for _, w := range []*logfile.Writer{pr.stdoutLog, pr.stderrLog} {
		if w != nil {
			w.Close()
		}
	}
	pr.stdoutLog, pr.stderrLog = nil, nil
}

// takePrep returns p's prepared spawn, or nil to spawn inline: none
// was made, it was not handed out yet, or it failed. Log writers it
// opened are kept by p either way, as a serial spawn would have.
func (s *Supervisor) takePrep(p *proc) *prep {
	pr := p.prep
	if pr == nil {
		return nil
	}
	p.prep = nil
	pf := s.pf
	if pf != nil && pr.idx < len(pf.all) && pf.all[pr.idx] == pr {
		pf.all[pr.idx] = nil
	}
	if pf == nil || !pr.sent {
		if pf != nil {
			for i, q := range pf.queue {
				if q == pr {
					pf.queue = append(pf.queue[:i:i], pf.queue[i+1:]...)
					break
				}
			}
		}
		return nil
	}
	pf.out--
	pf.topUp()
	<-pr.done
	s.adoptAuto(pr)
	if pr.stdoutLog != nil {
		p.stdoutLog, pr.stdoutLog = pr.stdoutLog, nil
	}
	if pr.stderrLog != nil {
		p.stderrLog, pr.stderrLog = pr.stderrLog, nil
	}
	if pr.err != nil {
		pr.release()
		return nil
	}
	s.prepUsed++
	return pr
}

// runPrep is the worker's part: the same steps, in the same order, as
// an inline spawn, stopping at the first error.
func (s *Supervisor) runPrep(pr *prep) {
	defer close(pr.done)
	pc := pr.cfg
	// The AUTO files first: they exist whatever happens next, as
	// when newProc creates them.
	var err error
	if pr.autoStdout {
		if pr.stdoutPath, err = s.createAutoLog(pc, "stdout"); err != nil {
			pr.autoErrs = append(pr.autoErrs, autoLogError(pc, "stdout", err))
		}
	}
	if pr.autoStderr {
		if pr.stderrPath, err = s.createAutoLog(pc, "stderr"); err != nil {
			pr.autoErrs = append(pr.autoErrs, autoLogError(pc, "stderr", err))
		}
	}
	pr.filename, pr.argv, pr.err = resolveCommand(pr.env, pc)
	if pr.err != nil {
		return
	}
	if pr.openStdout {
		if pr.stdoutLog, pr.err = s.openLog(pc, pr.stdoutPath, pc.Stdout); pr.err != nil {
			return
		}
	}
	if pr.openStderr {
		if pr.stderrLog, pr.err = s.openLog(pc, pr.stderrPath, pc.Stderr); pr.err != nil {
			return
		}
	}
	if pr.pipes, pr.err = makePipes(pr.stderrPipe); pr.err != nil {
		return
	}
	if pr.buildEnv {
		pr.childEnv = childEnv(os.Environ(), pr.env, pc, s.opts.ServerURL, nil)
	}
}
