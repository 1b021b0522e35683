package jobs

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/superd/superd/pkg/state"
)

// commitGap is the least time between two commits of the writer.
const commitGap = 25 * time.Millisecond

// writer commits the scheduler's state writes in batches, one bbolt
// transaction (one fsync) per batch, on its own goroutine, so the
// scheduler never waits for the disk. mu guards the fields below it;
// leaf lock.
type writer struct {
	st  Store
	log *slog.Logger

	mu      sync.Mutex
	batch   []state.JobWrite
	present map[string]bool // a PruneJobs request
	pruneAt time.Time
	closed  bool

	wake chan struct{}
	done chan struct{}
}

func newWriter(st Store, log *slog.Logger) *writer {
	return &writer{st: st, log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (w *writer) setStore(st Store) {
	w.mu.Lock()
	w.st = st
	w.mu.Unlock()
}

func (w *writer) put(jw state.JobWrite) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.st == nil {
		return
	}
	w.batch = append(w.batch, jw)
	w.signal()
}

func (w *writer) prune(present map[string]bool, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.st == nil {
		return
	}
	w.present, w.pruneAt = present, now
	w.signal()
}

func (w *writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run commits batches until close; it ends after the last one.
func (w *writer) run() {
	defer close(w.done)
	var last time.Time
	for {
		w.mu.Lock()
		for len(w.batch) == 0 && w.present == nil && !w.closed {
			w.mu.Unlock()
			<-w.wake
			w.mu.Lock()
		}
		if d := commitGap - time.Since(last); d > 0 && !w.closed {
			// at most one commit per commitGap: runs that end
			// meanwhile join this batch (1000 runs a second cost
			// 40 fsyncs, not one per run)
			w.mu.Unlock()
			time.Sleep(d)
			w.mu.Lock()
		}
		last = time.Now()
		batch, present, at, closed, st := w.batch, w.present, w.pruneAt, w.closed, w.st
		w.batch, w.present = nil, nil
		w.mu.Unlock()
		if len(batch) > 0 {
			if err := st.WriteJobs(batch); err != nil {
				w.log.Error(fmt.Sprintf("jobs: saving state: %v", err))
			}
		}
		if present != nil {
			if err := st.PruneJobs(present, at); err != nil {
				w.log.Error(fmt.Sprintf("jobs: pruning state: %v", err))
			}
		}
		w.mu.Lock()
		empty := len(w.batch) == 0 && w.present == nil
		w.mu.Unlock()
		if closed && empty {
			return
		}
	}
}

// close commits what is pending and ends run.
func (w *writer) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.signal()
	<-w.done
}
