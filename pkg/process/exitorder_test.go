package process

import (
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
)

// orderHook is a ListenerHook that keeps each pid's output.
type orderHook struct {
	mu  sync.Mutex
	out map[int]string
}

func (h *orderHook) Attach(pool, proc string, pid int, stdin io.Writer) {}
func (h *orderHook) Output(pool, proc string, pid int, data []byte) {
	h.mu.Lock()
	h.out[pid] += string(data)
	h.mu.Unlock()
}
func (h *orderHook) Detach(pool, proc string, pid int) {}

// TestListenerOutputBeforeExit: everything a listener wrote before it
// exited reaches the hook before its exit is handled (supervisord reads
// ready pipes before it reaps). When the exit could overtake the last
// chunk, the pools requeued an event the listener had already answered
// and delivered it twice (TestListenerAnswerBeforeExitCounts flaked).
func TestListenerOutputBeforeExit(t *testing.T) {
	t.Parallel()
	const want = "answer 0\n"
	const exits = 150
	p := newProc(t, "l", "print-lines", "1", "answer")
	p.Group = "pool"
	p.Autorestart = config.AutorestartTrue
	g := &config.Group{Name: "pool", Kind: config.KindEventListener, Priority: -1, Processes: []*config.Process{p},
		Listener: &config.Listener{Events: []string{"PROCESS_STATE"}, BufferSize: 10}}
	hook := &orderHook{out: map[int]string{}}
	var mu sync.Mutex
	var bad []string
	n := 0
	enough := make(chan struct{})
	h := start(t, testConfig(t, g), func(o *Options) {
		o.Listeners = hook
		prev := o.observe
		o.observe = func(e events.Event) {
			if e.Type == events.ProcessStateExited {
				hook.mu.Lock()
				got := hook.out[e.PID]
				hook.mu.Unlock()
				mu.Lock()
				if got != want {
					bad = append(bad, fmt.Sprintf("pid %d exited with %q of its output handled", e.PID, got))
				}
				if n++; n == exits {
					close(enough)
				}
				mu.Unlock()
			}
			prev(e)
		}
	})
	select {
	case <-enough:
	case <-h.ctx().Done():
		t.Fatalf("only %d exits", n)
	}
	h.stop(true)
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bad {
		t.Error(b)
	}
}
