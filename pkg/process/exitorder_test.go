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
	// Started again by hand after each exit: an automatic restart of a
	// program that exits at once waits a second (crashloop_test.go).
	p.Autorestart = config.AutorestartFalse
	g := &config.Group{Name: "pool", Kind: config.KindEventListener, Priority: -1, Processes: []*config.Process{p},
		Listener: &config.Listener{Events: []string{"PROCESS_STATE"}, BufferSize: 10}}
	hook := &orderHook{out: map[int]string{}}
	var mu sync.Mutex
	var bad []string
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
				mu.Unlock()
			}
			prev(e)
		}
	})
	for i := range exits {
		h.waitState("l", Exited)
		if i < exits-1 {
			if err := h.s.StartProcess(h.ctx(), "pool:l", false); err != nil {
				t.Fatalf("start %d: %v", i+2, err)
			}
		}
	}
	h.stop(true)
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bad {
		t.Error(b)
	}
}
