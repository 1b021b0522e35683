package daemon

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/process"
	"github.com/superd/superd/pkg/state"
)

// childLog keeps the state store's children bucket in step with the
// supervisor's live children (it is the supervisor's
// process.ChildRecorder), so that a superd started after this one was
// killed can stop what it left running (recoverLeftovers).
//
// The supervisor's loop only appends to a queue (Spawned, Exited never
// block); one writer goroutine takes everything queued so far and writes
// it in one bbolt transaction, so a burst of 1000 spawns costs a handful
// of commits (at most one per commitGap), not 1000 fsyncs. The price: a
// child spawned in the last commitGap plus one commit's time (some tens
// of milliseconds) before superd is killed is not on disk yet and is
// not found by the next superd. The writer ends in
// close, after writing what is queued.
type childLog struct {
	log   *slog.Logger
	self  int    // superd's pid
	start uint64 // superd's start time
	boot  string

	mu     sync.Mutex   // guards store, ops, live, failed
	store  *state.Store // nil: nothing is recorded
	ops    []childOp
	live   map[int]bool // the pids spawned and not yet reaped
	failed bool         // a write failed (logged once)
	// onDisk is the pids committed to the store (writer goroutine
	// only); count is its size, for recorded (any goroutine).
	onDisk map[int]bool
	count  atomic.Int64

	wake chan struct{} // cap 1: ops were queued
	stop chan struct{}
	done chan struct{}
}

// commitGap is the least time between two commits of the children
// table: a burst of spawns and exits costs one fsync per commitGap.
const commitGap = 25 * time.Millisecond

type childOp struct {
	c   process.SpawnedChild // PID 0: an exit
	pid int
}

func newChildLog(log *slog.Logger) *childLog {
	l := &childLog{
		log: log, onDisk: map[int]bool{}, live: map[int]bool{}, self: os.Getpid(), boot: process.BootID(),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	if st, err := process.ReadProcStat(l.self); err == nil {
		l.start = st.Start
	}
	go l.writer()
	return l
}

// setStore makes l record into st (called once, before the first
// supervisor runs).
func (l *childLog) setStore(st *state.Store) {
	l.mu.Lock()
	l.store = st
	l.mu.Unlock()
}

// Spawned implements process.ChildRecorder.
func (l *childLog) Spawned(c process.SpawnedChild) { l.queue(childOp{c: c, pid: c.PID}) }

// Exited implements process.ChildRecorder.
func (l *childLog) Exited(pid int) { l.queue(childOp{pid: pid}) }

func (l *childLog) queue(op childOp) {
	l.mu.Lock()
	l.ops = append(l.ops, op)
	if op.c.PID != 0 {
		l.live[op.pid] = true
	} else {
		delete(l.live, op.pid)
	}
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// children is the number of live (unreaped) children: program
// processes, event listeners and job runs alike, under every supervisor
// the daemon has had.
func (l *childLog) children() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.live)
}

// recorded is the number of children on disk; -1 without a store.
func (l *childLog) recorded() int {
	l.mu.Lock()
	st := l.store
	l.mu.Unlock()
	if st == nil {
		return -1
	}
	return int(l.count.Load())
}

// close writes what is queued and ends the writer.
func (l *childLog) close() {
	close(l.stop)
	<-l.done
}

func (l *childLog) writer() {
	defer close(l.done)
	var last time.Time
	for {
		select {
		case <-l.wake:
			// at most one commit per commitGap: what arrives meanwhile
			// joins it (short-lived children, e.g. job runs, are then
			// often gone before they are written at all)
			if d := commitGap - time.Since(last); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-l.stop:
				}
				t.Stop()
			}
			l.flush()
			last = time.Now()
		case <-l.stop:
			l.flush()
			return
		}
	}
}

// flush writes every queued operation in one transaction. The start
// time of a new child is read here, off the loop: the child is still
// unreaped (its exit, queued later, has not been handled) unless it has
// already exited, in which case /proc no longer shows it as superd's
// child and the group leader of its own group, and nothing is recorded.
func (l *childLog) flush() {
	l.mu.Lock()
	ops, store := l.ops, l.store
	l.ops = nil
	l.mu.Unlock()
	if len(ops) == 0 || store == nil {
		return
	}
	final := map[int]*state.Child{} // nil: delete
	var order []int
	for _, op := range ops {
		if _, ok := final[op.pid]; !ok {
			order = append(order, op.pid)
		}
		final[op.pid] = nil
		if op.c.PID == 0 {
			continue
		}
		st, err := process.ReadProcStat(op.pid)
		if err != nil || st.PPID != l.self || st.PGRP != op.pid || st.State == 'Z' {
			continue
		}
		final[op.pid] = &state.Child{
			Name: op.c.Name, Group: op.c.Group, PID: op.pid, PGID: st.PGRP, Session: st.Session,
			Start: st.Start, Boot: l.boot, SuperdPID: l.self, SuperdStart: l.start,
			StopSignal: int(op.c.StopSignal), StopWaitSecs: int(op.c.StopWait / time.Second),
		}
	}
	var put []state.Child
	var del []int
	for _, pid := range order {
		if c := final[pid]; c != nil {
			put = append(put, *c)
		} else if l.onDisk[pid] {
			del = append(del, pid)
		}
	}
	if len(put) == 0 && len(del) == 0 {
		// e.g. a burst of one-shot job runs that ended before this
		// flush: nothing was on disk, nothing to commit (no fsync)
		return
	}
	err := store.UpdateChildren(put, del)
	if err == nil {
		for _, c := range put {
			l.onDisk[c.PID] = true
		}
		for _, pid := range del {
			delete(l.onDisk, pid)
		}
		l.count.Store(int64(len(l.onDisk)))
	}
	if err != nil {
		l.mu.Lock()
		first := !l.failed
		l.failed = true
		l.mu.Unlock()
		if first {
			l.log.Error("could not record children in the state database (crash recovery may miss them): " + err.Error())
		}
	}
}

// openState opens the state database of cfg (cfg.StateDirectory:
// statedir=, else one per config file). superd runs without it (no crash
// recovery) when it cannot be opened, e.g. because another superd uses
// the same directory; that is logged.
func (d *daemon) openState(cfg *config.Config) {
	dir := cfg.StateDirectory()
	st, err := state.Open(dir)
	if err != nil {
		d.log.Warn(fmt.Sprintf("running without the state database: %v", err))
		return
	}
	d.store = st
	if d.children != nil {
		d.children.setStore(st)
	}
}

// recoverLeftovers stops the children a previous superd recorded in the
// state database and left running because it was killed (see
// process.StopLeftovers), then forgets those records. It runs at
// start-up, before anything is spawned.
func (d *daemon) recoverLeftovers() {
	if d.store == nil {
		return
	}
	recs, err := d.store.Children()
	if err != nil {
		d.log.Error("could not read the children recorded in the state database: " + err.Error())
	}
	if len(recs) == 0 && err == nil {
		return
	}
	var ls []process.Leftover
	for _, r := range recs {
		ls = append(ls, process.Leftover{
			Name: r.Name, PID: r.PID, PGID: r.PGID, Session: r.Session, Start: r.Start, Boot: r.Boot,
			SuperdPID: r.SuperdPID, SuperdStart: r.SuperdStart,
			StopSignal: syscall.Signal(r.StopSignal), StopWait: time.Duration(r.StopWaitSecs) * time.Second,
		})
	}
	process.StopLeftovers(ls, d.log)
	if err := d.store.ClearChildren(); err != nil {
		d.log.Error("could not clear the children recorded in the state database: " + err.Error())
	}
}
