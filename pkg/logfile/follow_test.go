package logfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func appendFile(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestFollow(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.log")
	head := strings.Repeat("h", 500) + strings.Repeat("t", FollowHead)
	appendFile(t, p, head)

	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	var flushes atomic.Int64
	done := make(chan error, 1)
	go func() { done <- Follow(ctx, p, &out, func() { flushes.Add(1) }) }()

	want := strings.Repeat("t", FollowHead) // only the last 1024 bytes
	waitFor(t, "head", func() bool { return out.String() == want })

	appendFile(t, p, "line 1\n")
	want += "line 1\n"
	waitFor(t, "appended line", func() bool { return out.String() == want })

	// Shrink: truncation marker, then the file from its start.
	if err := os.WriteFile(p, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want += Truncated + "new\n"
	waitFor(t, "truncation", func() bool { return out.String() == want })

	// Rotation through a Writer: the new file is followed from its start.
	w, err := Open(Options{Path: p, MaxBytes: 10, Backups: 1})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("ab\n"))
	want += "ab\n"
	waitFor(t, "data before rotation", func() bool { return out.String() == want })
	w.Write([]byte("cde\n"))     // 11 bytes: rotates at once
	w.Write([]byte("rotated\n")) // into the new file
	want += "cde\n"
	w.Close()
	want += "rotated\n"
	waitFor(t, "old file's tail, then the new file", func() bool { return out.String() == want })

	// Removed, then recreated (Clear).
	os.Remove(p)
	appendFile(t, p, "recreated\n")
	want += "recreated\n"
	waitFor(t, "recreated file", func() bool { return out.String() == want })

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Follow returned %v after cancel", err)
	}
	if flushes.Load() == 0 {
		t.Error("flush never called")
	}
	if got := out.String(); got != want {
		t.Errorf("after cancel got %q, want %q", got, want)
	}
}

func TestFollowSmallFileAndPolling(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.log")
	appendFile(t, p, "short\n")
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	// The polling notifier is the fallback when inotify is unavailable.
	go func() { done <- follow(ctx, p, -1, &out, nil, newPollNotifier(5e6)) }()
	waitFor(t, "whole small file", func() bool { return out.String() == "short\n" })
	appendFile(t, p, "more\n")
	waitFor(t, "appended", func() bool { return out.String() == "short\nmore\n" })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestFollowMissing(t *testing.T) {
	var out syncBuffer
	err := Follow(context.Background(), filepath.Join(t.TempDir(), "nope"), &out, nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Follow(missing) = %v", err)
	}
	if out.String() != "" {
		t.Errorf("wrote %q", out.String())
	}
}

type failWriter struct{}

var errClientGone = errors.New("client gone")

func (failWriter) Write(p []byte) (int, error) { return 0, errClientGone }

func TestFollowWriterError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "e.log")
	appendFile(t, p, "data\n")
	if err := Follow(context.Background(), p, failWriter{}, nil); !errors.Is(err, errClientGone) {
		t.Fatalf("Follow = %v, want the writer's error", err)
	}
}

func TestFollowFrom(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.log")
	appendFile(t, p, "0123456789")
	for _, tc := range []struct {
		start int64
		want  string
	}{{4, "456789"}, {10, ""}, {0, "0123456789"}, {99, "0123456789"}} {
		ctx, cancel := context.WithCancel(context.Background())
		var out syncBuffer
		done := make(chan error, 1)
		go func() { done <- FollowFrom(ctx, p, tc.start, &out, nil) }()
		want := tc.want + "more\n"
		if tc.start == 10 {
			// nothing to send until the file grows
			appendFile(t, p, "more\n")
			waitFor(t, "appended", func() bool { return out.String() == want })
		} else {
			waitFor(t, "start", func() bool { return out.String() == tc.want })
			appendFile(t, p, "more\n")
			waitFor(t, "appended", func() bool { return out.String() == want })
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		os.WriteFile(p, []byte("0123456789"), 0o644)
	}
}

// posWriter records what Follow writes and where it says it is.
type posWriter struct {
	syncBuffer
	mu  sync.Mutex
	pos []string // "<same file as first?> <offset>"
	fi0 os.FileInfo
}

func (w *posWriter) FollowedTo(fi os.FileInfo, pos int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fi0 == nil {
		w.fi0 = fi
	}
	w.pos = append(w.pos, fmt.Sprintf("%v %d", FileKey(w.fi0) == FileKey(fi) && FileKey(fi) != "", pos))
	return nil
}

func (w *posWriter) positions() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.pos, ",")
}

// TestFollowPositions: a PositionWriter learns the file and offset of
// every batch: the start, appends, a rotation (the new file from 0)
// and a truncation.
func TestFollowPositions(t *testing.T) {
	p := filepath.Join(t.TempDir(), "p.log")
	appendFile(t, p, "0123456789")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out posWriter
	done := make(chan error, 1)
	go func() { done <- FollowFrom(ctx, p, 4, &out, nil) }()
	waitFor(t, "start", func() bool { return out.positions() == "true 4,true 10" })
	appendFile(t, p, "abc\n")
	waitFor(t, "append", func() bool { return out.positions() == "true 4,true 10,true 14" })
	w, err := Open(Options{Path: p, MaxBytes: 16, Backups: 1})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("xy\n")) // 17 bytes: rotates
	w.Write([]byte("new\n"))
	w.Close()
	waitFor(t, "rotation", func() bool {
		return strings.HasSuffix(out.positions(), ",true 17,false 0,false 4") && out.String() == "456789abc\nxy\nnew\n"
	})
	os.WriteFile(p, []byte("t\n"), 0o644) // shrinks in place
	waitFor(t, "truncation", func() bool { return strings.HasSuffix(out.positions(), ",false 0,false 2") })
	if !strings.HasSuffix(out.String(), Truncated+"t\n") {
		t.Errorf("output %q", out.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
