package process

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// A sendProcessStdin whose caller goes away (the XML-RPC client closed
// its connection) stops waiting for a child that never reads its stdin:
// before, the write blocked until the child read or exited, so every
// abandoned call kept a goroutine, a connection and its data. The next
// caller's write is not affected by the canceled one's deadline.
func TestSendStdinEndsWithItsCaller(t *testing.T) {
	t.Parallel()
	p := newProc(t, "deaf", "sleep") // never reads stdin
	e := newProc(t, "echo", "echo-stdin")
	e.Stdout.EventsEnabled = true
	h := start(t, testConfig(t, groupOf(p), groupOf(e)))
	h.waitState("deaf", Running)
	h.waitState("echo", Running)
	ctx, cancel := context.WithCancel(h.ctx())
	done := make(chan error, 1)
	go func() { done <- h.s.SendStdin(ctx, "deaf", bytes.Repeat([]byte("x"), 4<<20)) }()
	select {
	case err := <-done:
		t.Fatalf("4 MiB written to a child that does not read: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("canceled write: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SendStdin still blocked 10 s after its context ended")
	}
	// a write whose context has already ended may or may not happen,
	// but leaves no deadline behind for the next caller of the pipe
	for i := 0; i < 20; i++ {
		ended, end := context.WithCancel(h.ctx())
		end()
		h.s.SendStdin(ended, "echo", []byte("maybe\n"))
		if err := h.s.SendStdin(h.ctx(), "echo", []byte("x\n")); err != nil {
			t.Fatalf("write after a canceled one: %v", err)
		}
	}
	// other writes still work
	if err := h.s.SendStdin(h.ctx(), "echo", []byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	h.waitOutput("echo", "hello\n")
}
