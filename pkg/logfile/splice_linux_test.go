package logfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// spliceAll moves everything r holds into w with SpliceFrom (until the
// pipe is empty or at EOF) and returns how many bytes it moved, failing
// if a call is not handled.
func spliceAll(t *testing.T, w *Writer, r *os.File, max int) int {
	t.Helper()
	total := 0
	for {
		n, err, handled := w.SpliceFrom(int(r.Fd()), max)
		if !handled {
			t.Fatalf("SpliceFrom not handled after %d bytes", total)
		}
		if err == syscall.EAGAIN {
			return total
		}
		if err != nil {
			t.Fatalf("SpliceFrom = %d, %v", n, err)
		}
		if n <= 0 {
			return total // EOF
		}
		total += n
	}
}

// TestSpliceRotation: data spliced from a pipe lands in the file and its
// backups in order, each backup at least MaxBytes and at most one chunk
// more, rotated as Write does, with Write and SpliceFrom interleaved;
// EOF is reported.
func TestSpliceRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	w, err := Open(Options{Path: p, MaxBytes: 1000, Backups: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var want bytes.Buffer
	for i := range 700 {
		line := []byte("line " + strconv.Itoa(i) + "\n")
		want.Write(line)
		if i%7 == 3 {
			// A Write between splices (the read path) keeps the order.
			spliceAll(t, w, r, 300)
			w.Write(line)
			continue
		}
		if _, err := pw.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	spliceAll(t, w, r, 300)
	pw.Close()
	if n, err, handled := w.SpliceFrom(int(r.Fd()), 300); !handled || n != 0 || err != nil {
		t.Errorf("at EOF SpliceFrom = %d, %v, %v; want 0, nil, true", n, err, handled)
	}
	var got bytes.Buffer
	for i := 10; i >= 1; i-- {
		b, err := os.ReadFile(p + "." + strconv.Itoa(i))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 1000 || len(b) >= 1000+300 {
			t.Errorf("backup %d holds %d bytes, want MaxBytes (1000) up to one 300-byte chunk more", i, len(b))
		}
		got.Write(b)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	got.Write(b)
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("files hold %d bytes, want %d; first difference at %d", got.Len(), want.Len(), firstDiff(got.Bytes(), want.Bytes()))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestSpliceDeclined: syslog mode, lumberjack mode, non-regular targets
// and closed writers leave the data to the read path (handled false),
// and the pipe keeps it.
func TestSpliceDeclined(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := map[string]Options{
		"lumberjack": {Path: filepath.Join(dir, "lj.log"), MaxBytes: 100, Backups: 2, Compress: true},
		"devnull":    {Path: os.DevNull},
	}
	for name, o := range cases {
		w, err := Open(o)
		if err != nil {
			t.Fatal(err)
		}
		checkDeclined(t, name, w)
		w.Close()
	}
	w, err := Open(Options{Path: filepath.Join(dir, "c.log")})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	checkDeclined(t, "closed", w)
}

func checkDeclined(t *testing.T, name string, w *Writer) {
	t.Helper()
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer pw.Close()
	pw.Write([]byte("data\n"))
	if n, _, handled := w.SpliceFrom(int(r.Fd()), 100); handled || n != 0 {
		t.Errorf("%s: SpliceFrom = %d, handled %v; want declined", name, n, handled)
	}
	buf := make([]byte, 10)
	if n, _ := r.Read(buf); string(buf[:n]) != "data\n" {
		t.Errorf("%s: pipe holds %q after a declined splice, want the data", name, buf[:n])
	}
}

// TestSpliceAfterCopytruncate: after an external truncation spliced
// data goes at the new end (no hole), as appends do.
func TestSpliceAfterCopytruncate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	w, err := Open(Options{Path: p})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte("12345678"))
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pw.Write([]byte("abc"))
	pw.Close()
	spliceAll(t, w, r, 100)
	w.Write([]byte("d"))
	if b, _ := os.ReadFile(p); string(b) != "abcd" {
		t.Errorf("file = %q, want %q", b, "abcd")
	}
}

// TestSpliceRotationKeepsChunks: like Write, a spliced chunk goes whole
// into the file it started in, and rotation comes after it: lines
// spliced one at a time are never split across files (supervisord
// writes each chunk it reads, then rotates).
func TestSpliceRotationKeepsChunks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "rot.log")
	w, err := Open(Options{Path: p, MaxBytes: 100, Backups: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer pw.Close()
	for i := 1; i <= 8; i++ { // 38 bytes each: 3 per file, rotating after the 3rd and 6th
		pw.Write([]byte("line " + strconv.Itoa(i) + " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"))
		spliceAll(t, w, r, 128<<10)
	}
	for _, name := range []string{"rot.log", "rot.log.1", "rot.log.2"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("line ")) || !bytes.HasSuffix(b, []byte("x\n")) {
			t.Errorf("%s = %q: a line was split across files", name, b)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "rot.log.1")); len(b) <= 100 {
		t.Errorf("rot.log.1 holds %d bytes: want the chunk that crossed 100 bytes in it whole", len(b))
	}
}
