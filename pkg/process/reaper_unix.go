package process

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// reaper is the single owner of wait4(-1) in Options.Reaper mode
// (containerd's reaper, supervisord's reap()). Spawning registers the
// pid in table while holding mu, and each wait4 pass holds mu too, so a
// child cannot be reaped before it is known.
type reaper struct {
	s *Supervisor

	mu    sync.Mutex // guards table; held across StartProcess+insert and wait4+lookup
	table map[int]reapTarget

	sigc chan os.Signal
	quit chan struct{}
	done chan struct{}
}

type reapTarget struct {
	p     *proc
	gen   uint64
	flush *outFlush               // read the child's pipes before posting its exit
	ch    chan syscall.WaitStatus // not a program's child (an exec probe): its status goes here
}

func newReaper(s *Supervisor) *reaper {
	return &reaper{s: s, table: map[int]reapTarget{}, sigc: make(chan os.Signal, 1),
		quit: make(chan struct{}), done: make(chan struct{})}
}

func (r *reaper) start() {
	signal.Notify(r.sigc, syscall.SIGCHLD)
	go r.loop()
}

func (r *reaper) stop() {
	signal.Stop(r.sigc)
	close(r.quit)
	<-r.done
}

func (r *reaper) loop() {
	defer close(r.done)
	r.reapAll()
	for {
		select {
		case <-r.sigc:
			r.reapAll()
		case <-r.quit:
			return
		}
	}
}

// startProcess starts a child and registers it before any wait4 can see it.
func (r *reaper) startProcess(name string, argv []string, attr *os.ProcAttr, p *proc, gen uint64, flush *outFlush) (*os.Process, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	osp, err := os.StartProcess(name, argv, attr)
	if err == nil {
		r.table[osp.Pid] = reapTarget{p: p, gen: gen, flush: flush}
	}
	return osp, err
}

// startOther starts a child that is not a program's (an exec probe) and
// returns a channel that receives its wait status.
func (r *reaper) startOther(name string, argv []string, attr *os.ProcAttr) (*os.Process, <-chan syscall.WaitStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	osp, err := os.StartProcess(name, argv, attr)
	if err != nil {
		return nil, nil, err
	}
	ch := make(chan syscall.WaitStatus, 1)
	r.table[osp.Pid] = reapTarget{ch: ch}
	return osp, ch, nil
}

func (r *reaper) reapAll() {
	for {
		var ws syscall.WaitStatus
		r.mu.Lock()
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			r.mu.Unlock()
			continue
		}
		if err != nil || pid <= 0 {
			r.mu.Unlock()
			return
		}
		t, ok := r.table[pid]
		delete(r.table, pid)
		r.mu.Unlock()
		if !ok {
			_, msg := DecodeWaitStatus(ws)
			r.s.log.Info(fmt.Sprintf("reaped unknown pid %d (%s)", pid, msg))
			continue
		}
		if t.ch != nil {
			t.ch <- ws
			continue
		}
		t.flush.run()
		r.s.post(loopEvent{kind: leExit, p: t.p, gen: t.gen, pid: pid, status: ws})
	}
}
