package logfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMinFD: with MinFD the file's descriptor sits at or above it,
// also after a rotation reopens the file, and appending still works
// (the existing content is kept, each write lands at the end).
func TestMinFD(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.log")
	os.WriteFile(path, []byte("old\n"), 0o644)
	w, err := Open(Options{Path: path, MaxBytes: 10, Backups: 1, MinFD: 300})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fd := func() int {
		w.mu.Lock()
		defer w.mu.Unlock()
		return int(w.f.Fd())
	}
	if got := fd(); got < 300 {
		t.Errorf("descriptor %d, want >= 300", got)
	}
	w.Write([]byte("new\n"))
	if b, _ := os.ReadFile(path); string(b) != "old\nnew\n" {
		t.Errorf("file %q", b)
	}
	w.Write([]byte("rotate now\n")) // over MaxBytes: rotated, reopened
	w.Write([]byte("after\n"))
	if got := fd(); got < 300 {
		t.Errorf("descriptor after rotation %d, want >= 300", got)
	}
	if b, _ := os.ReadFile(path); string(b) != "after\n" {
		t.Errorf("file after rotation %q", b)
	}
}
