package process

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestFlushReturnsWhilePipeStaysBusy: flush (the exit watcher's, before
// it posts a child's exit) must return while something keeps writing to
// the pipe. The streaming drain it kicks re-arms the pipe and clears the
// kick; the poll goroutine may then start a new drain before flush gets
// the lock back, and that drain must not stream on (it would until the
// pipe is quiet for streamIdle, which a busy grandchild never lets
// happen, and the exit would never be posted).
func TestFlushReturnsWhilePipeStaysBusy(t *testing.T) {
	t.Parallel()
	o := newOutPoll()
	if o == nil {
		t.Skip("no epoll")
	}
	defer o.close()
	rd, wr, err := highPipe(true)
	if err != nil {
		t.Fatal(err)
	}
	s := &Supervisor{}
	s.readers.Add(1)
	r := &outReader{s: s, f: rd, simple: true, count: new(atomic.Int64)}
	if !o.add(r) {
		t.Fatal("add failed")
	}
	stop := make(chan struct{})
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		buf := make([]byte, 64<<10)
		for {
			select {
			case <-stop:
				wr.Close()
				return
			default:
			}
			wr.Write(buf)
		}
	}()
	defer func() {
		close(stop)
		<-wrote
		s.readers.Wait() // EOF: the reader finishes
	}()
	deadline := time.Now().Add(8 * time.Second)
	streaming := func() bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		return r.streaming
	}
	kicked := 0
	for i := 0; i < 200 && time.Now().Before(deadline); i++ {
		// Flush while a drain streams, the case that needs the kick.
		for !streaming() && time.Now().Before(deadline) {
			runtime.Gosched()
		}
		kicked++
		done := make(chan struct{})
		go func() { o.flush(r); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("flush %d did not return while the pipe stayed busy (streams started: %d)", i, streamStarts.Load())
		}
	}
	if kicked < 10 {
		t.Fatalf("only %d flushes found a streaming drain", kicked)
	}
}
