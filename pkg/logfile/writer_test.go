package logfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func TestRotation(t *testing.T) {
	tests := []struct {
		name     string
		maxBytes int64
		backups  int
		writes   []string
		want     map[string]string
	}{
		{
			name: "maxbytes 0 never rotates", maxBytes: 0, backups: 3,
			writes: []string{"aaaa", "bbbb", "cccc"},
			want:   map[string]string{"app.log": "aaaabbbbcccc"},
		},
		{
			name: "below maxbytes", maxBytes: 100, backups: 3,
			writes: []string{"aaaa", "bbbb"},
			want:   map[string]string{"app.log": "aaaabbbb"},
		},
		{
			name: "reaching maxbytes rotates after the write", maxBytes: 8, backups: 3,
			writes: []string{"aaaa", "bbbb", "cc"},
			want:   map[string]string{"app.log": "cc", "app.log.1": "aaaabbbb"},
		},
		{
			name: "a write may exceed maxbytes", maxBytes: 5, backups: 3,
			writes: []string{"aaaa", "bbbbbbbb", "c"},
			want:   map[string]string{"app.log": "c", "app.log.1": "aaaabbbbbbbb"},
		},
		{
			name: "backups 0 truncates", maxBytes: 4, backups: 0,
			writes: []string{"aaaa", "bbbb", "cc"},
			want:   map[string]string{"app.log": "cc"},
		},
		{
			name: "oldest backup dropped", maxBytes: 2, backups: 3,
			writes: []string{"a1", "b2", "c3", "d4", "e5", "f"},
			want: map[string]string{
				"app.log": "f", "app.log.1": "e5", "app.log.2": "d4", "app.log.3": "c3",
			},
		},
		{
			name: "tiny maxbytes 1", maxBytes: 1, backups: 2,
			writes: []string{"a", "b", "c", "d"},
			want:   map[string]string{"app.log": "", "app.log.1": "d", "app.log.2": "c"},
		},
		{
			name: "backups 1", maxBytes: 3, backups: 1,
			writes: []string{"abc", "def", "gh"},
			want:   map[string]string{"app.log": "gh", "app.log.1": "def"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := Open(Options{Path: filepath.Join(dir, "app.log"), MaxBytes: tt.maxBytes, Backups: tt.backups})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.writes {
				n, err := w.Write([]byte(s))
				if n != len(s) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", s, n, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := dirFiles(t, dir); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("files = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRotationAppendsToExistingFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	if err := os.WriteFile(p, []byte("old-"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := Open(Options{Path: p, MaxBytes: 8, Backups: 1})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("new"))
	w.Write([]byte("X")) // 8 bytes now: rotate
	w.Write([]byte("next"))
	w.Close()
	want := map[string]string{"app.log": "next", "app.log.1": "old-newX"}
	if got := dirFiles(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o600 != 0o600 {
		t.Errorf("mode = %v, want owner read/write", fi.Mode())
	}
}

// TestRotationMatchesSupervisord writes the same chunks through
// supervisord's own RotatingFileHandler and through Writer and compares
// the resulting files.
func TestRotationMatchesSupervisord(t *testing.T) {
	const script = `
import json, sys, base64
from supervisor.loggers import RotatingFileHandler, LogRecord
cfg = json.load(sys.stdin)
for c in cfg:
    h = RotatingFileHandler(c["path"], "ab", c["maxbytes"], c["backups"])
    for chunk in c["chunks"]:
        h.emit(LogRecord(20, base64.b64decode(chunk)))
    h.close()
`
	type pyCase struct {
		Path     string   `json:"path"`
		MaxBytes int64    `json:"maxbytes"`
		Backups  int      `json:"backups"`
		Chunks   [][]byte `json:"chunks"`
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var cases []pyCase
	var goDirs, pyDirs []string
	for _, mb := range []int64{0, 1, 3, 10, 100} {
		for _, bk := range []int{0, 1, 2, 5} {
			var chunks [][]byte
			for i := range 60 {
				n := rng.IntN(25) + 1
				chunks = append(chunks, []byte(strings.Repeat(strconv.Itoa(i%10), n)))
			}
			goDir, pyDir := t.TempDir(), t.TempDir()
			goDirs, pyDirs = append(goDirs, goDir), append(pyDirs, pyDir)
			cases = append(cases, pyCase{Path: filepath.Join(pyDir, "x.log"), MaxBytes: mb, Backups: bk, Chunks: chunks})
			w, err := Open(Options{Path: filepath.Join(goDir, "x.log"), MaxBytes: mb, Backups: bk})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range chunks {
				w.Write(c)
			}
			w.Close()
		}
	}
	python(t, script, cases)
	for i, c := range cases {
		got, want := dirFiles(t, goDirs[i]), dirFiles(t, pyDirs[i])
		if len(want) == 0 {
			t.Fatalf("supervisord wrote nothing in %s", pyDirs[i])
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("maxbytes=%d backups=%d: superd files %q\nsupervisord files %q", c.MaxBytes, c.Backups, got, want)
		}
	}
}

// reassemble concatenates app.log.N … app.log.1, app.log.
func reassemble(t *testing.T, p string, backups int) []byte {
	t.Helper()
	var all []byte
	for i := backups; i >= 1; i-- {
		b, err := os.ReadFile(p + "." + strconv.Itoa(i))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return append(all, b...)
}

// TestNoLossUnderRotation streams 200k lines of 60 bytes in chunks that
// do not follow line boundaries (as a pipe delivers them) through many
// rotations: the backups plus the file must hold exactly the stream.
func TestNoLossUnderRotation(t *testing.T) {
	const lines = 200_000
	var stream bytes.Buffer
	for i := range lines {
		fmt.Fprintf(&stream, "line %09d %s\n", i, strings.Repeat("x", 44)) // 60 bytes
	}
	if stream.Len() != lines*60 {
		t.Fatalf("stream is %d bytes", stream.Len())
	}
	const maxBytes = 64 << 10
	backups := stream.Len()/maxBytes + 10 // keep everything
	dir := t.TempDir()
	p := filepath.Join(dir, "load.log")
	w, err := Open(Options{Path: p, MaxBytes: maxBytes, Backups: backups})
	if err != nil {
		t.Fatal(err)
	}
	// Copy through a real pipe with 128 KiB reads, like a child's reader.
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := io.CopyBuffer(w, r, make([]byte, 128<<10))
		done <- err
	}()
	data := stream.Bytes()
	rng := rand.New(rand.NewPCG(3, 4))
	for len(data) > 0 {
		n := min(len(data), rng.IntN(9000)+1)
		if _, err := pw.Write(data[:n]); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.Close()

	got := reassemble(t, p, backups)
	if !bytes.Equal(got, stream.Bytes()) {
		t.Fatalf("reassembled %d bytes, want %d (identical)", len(got), stream.Len())
	}
	if n := bytes.Count(got, []byte("\n")); n != lines {
		t.Fatalf("%d lines, want %d", n, lines)
	}
	// Every backup reached maxbytes and overshot by less than one read.
	rotated := 0
	for i := 1; i <= backups; i++ {
		fi, err := os.Stat(p + "." + strconv.Itoa(i))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		rotated++
		if fi.Size() < maxBytes || fi.Size() >= maxBytes+128<<10 {
			t.Errorf("%s is %d bytes", fi.Name(), fi.Size())
		}
	}
	if rotated < stream.Len()/(maxBytes+128<<10) {
		t.Errorf("only %d rotations", rotated)
	}
}

// TestConcurrentWriters has several goroutines write whole lines into
// one rotating Writer: every line must arrive exactly once, intact.
func TestConcurrentWriters(t *testing.T) {
	const writers, perWriter = 8, 20_000
	dir := t.TempDir()
	p := filepath.Join(dir, "c.log")
	const maxBytes = 100_000
	backups := writers*perWriter*40/maxBytes + 10
	w, err := Open(Options{Path: p, MaxBytes: maxBytes, Backups: backups})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			var batch []byte
			for i := range perWriter {
				batch = fmt.Appendf(batch, "g%d %010d %s\n", g, i, strings.Repeat("y", 24))
				if i%7 == 6 {
					w.Write(batch)
					batch = batch[:0]
				}
			}
			w.Write(batch)
		})
	}
	wg.Wait()
	w.Close()
	all := reassemble(t, p, backups)
	next := make([]int, writers)
	sc := bufio.NewScanner(bytes.NewReader(all))
	n := 0
	for sc.Scan() {
		var g, i int
		var ys string
		if _, err := fmt.Sscanf(sc.Text(), "g%d %d %s", &g, &i, &ys); err != nil || len(ys) != 24 {
			t.Fatalf("bad line %q", sc.Text())
		}
		if next[g] != i {
			t.Fatalf("writer %d: line %d after %d", g, i, next[g]-1)
		}
		next[g]++
		n++
	}
	if n != writers*perWriter {
		t.Fatalf("%d lines, want %d", n, writers*perWriter)
	}
}

func TestNonRegularTargets(t *testing.T) {
	dir := t.TempDir()
	// A symlink keeps any bug away from the real /dev/null.
	null := filepath.Join(dir, "null")
	if err := os.Symlink("/dev/null", null); err != nil {
		t.Fatal(err)
	}
	w, err := Open(Options{Path: null, MaxBytes: 1, Backups: 3})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if n, err := w.Write([]byte("data\n")); n != 5 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := w.Clear(); err != nil {
		t.Fatal(err)
	}
	if err := w.Reopen(); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("more\n"))
	w.Close()
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("dir has %d entries, want only the symlink", len(ents))
	}
	if fi, err := os.Lstat(null); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("symlink gone or replaced: %v %v", fi, err)
	}
}

func TestFIFO(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		// Only a file system without FIFOs (EPERM, as some FUSE and
		// network file systems answer) or a kernel without mknod
		// is a reason to skip.
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EOPNOTSUPP) {
			t.Skipf("mkfifo not supported here: %v", err)
		}
		t.Fatalf("mkfifo: %v", err)
	}
	// No reader: Open must fail instead of blocking.
	if _, err := Open(Options{Path: p}); !errors.Is(err, syscall.ENXIO) {
		t.Fatalf("Open without reader: %v, want ENXIO", err)
	}
	r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Open(Options{Path: p, MaxBytes: 2, Backups: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	want := "hello\nworld\n"
	w.Write([]byte("hello\n"))
	w.Write([]byte("world\n"))
	got := make([]byte, 0, 64)
	buf := make([]byte, 64)
	waitFor(t, "fifo data", func() bool {
		n, _ := r.Read(buf)
		got = append(got, buf[:max(n, 0)]...)
		return len(got) >= len(want)
	})
	if string(got) != want {
		t.Errorf("read %q, want %q", got, want)
	}
	if _, err := os.Stat(p + ".1"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("fifo rotated: %v", err)
	}

	// The reader goes away: EPIPE, no error for the caller, reported once;
	// a new reader gets the output again.
	rec := &recorder{}
	w.opts.Logger = slog.New(rec)
	w.retry = 0
	r.Close()
	for range 3 {
		if n, err := w.Write([]byte("lost\n")); n != 5 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if rec.count(slog.LevelError) != 1 {
		t.Fatalf("want one error, got:\n%s", rec)
	}
	r2, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	w.Write([]byte("again\n"))
	got = got[:0]
	waitFor(t, "fifo data after a new reader", func() bool {
		n, _ := r2.Read(buf)
		got = append(got, buf[:max(n, 0)]...)
		return len(got) >= len("again\n")
	})
	if string(got) != "again\n" {
		t.Errorf("read %q after reconnect", got)
	}
}

func TestWriteErrorReportedOnce(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	if err := os.Symlink("/dev/full", full); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/dev/full"); errors.Is(err, fs.ErrNotExist) {
		t.Skip("no /dev/full")
	} else if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	w, err := Open(Options{Path: full, Logger: slog.New(rec)})
	if err != nil {
		t.Fatal(err)
	}
	w.retry = 0 // reopen at every write
	for range 20 {
		if n, err := w.Write([]byte("x\n")); n != 2 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	w.Close()
	if rec.count(slog.LevelError) != 1 {
		t.Errorf("want one error logged, got:\n%s", rec)
	}
	if !strings.Contains(rec.String(), "no space left") {
		t.Errorf("log does not name ENOSPC:\n%s", rec)
	}
}

// TestDirectoryRemoved removes the log directory under a writer: the
// next rotation cannot reopen the file, writes are dropped without an
// error, the problem is logged once, and writing resumes once the
// directory is back.
func TestDirectoryRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "app.log")
	rec := &recorder{}
	w, err := Open(Options{Path: p, MaxBytes: 10, Backups: 2, Logger: slog.New(rec)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.retry = 0
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if n, err := w.Write([]byte("0123456789\n")); n != 11 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got := rec.count(slog.LevelError); got != 1 {
		t.Fatalf("want one error logged, got:\n%s", rec)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Write([]byte("back\n")); n != 5 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "back\n" {
		t.Fatalf("after recovery file = %q, %v", b, err)
	}
	if rec.count(slog.LevelInfo) != 1 || rec.count(slog.LevelError) != 1 {
		t.Errorf("want one error and one recovery message, got:\n%s", rec)
	}
}

func TestReopenRetriesAtMostOncePerInterval(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	os.Mkdir(dir, 0o755)
	p := filepath.Join(dir, "app.log")
	w, err := Open(Options{Path: p})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.retry = 1 << 62 // "never" within the test
	os.RemoveAll(dir)
	if err := w.Reopen(); err == nil {
		t.Fatal("Reopen in a removed directory succeeded")
	}
	os.Mkdir(dir, 0o755)
	w.Write([]byte("dropped\n"))
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("file reopened before the retry interval: %v", err)
	}
	if err := w.Reopen(); err != nil { // an explicit Reopen always tries
		t.Fatal(err)
	}
	w.Write([]byte("kept\n"))
	if b, _ := os.ReadFile(p); string(b) != "kept\n" {
		t.Fatalf("file = %q", b)
	}
}

func TestReopenAfterExternalRename(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	w, err := Open(Options{Path: p, MaxBytes: 1000, Backups: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte("before\n"))
	if err := os.Rename(p, p+".old"); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("still old\n"))
	if err := w.Reopen(); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("after\n"))
	want := map[string]string{"app.log": "after\n", "app.log.old": "before\nstill old\n"}
	if got := dirFiles(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
}

// TestSizeCorrectedAfterCopytruncate: an external truncation must not
// cause a premature rotation.
func TestSizeCorrectedAfterCopytruncate(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	w, err := Open(Options{Path: p, MaxBytes: 10, Backups: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte("12345678"))
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("abc"))
	want := map[string]string{"app.log": "abc"}
	if got := dirFiles(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
}

func TestClear(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	w, err := Open(Options{Path: p, MaxBytes: 4, Backups: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte("aaaa"))
	w.Write([]byte("bb"))
	if err := w.Clear(); err != nil {
		t.Fatal(err)
	}
	if got := dirFiles(t, dir); !reflect.DeepEqual(got, map[string]string{"app.log": "", "app.log.1": "aaaa"}) {
		t.Errorf("after Clear files = %q", got)
	}
	w.Write([]byte("cc"))
	w.Write([]byte("dd")) // 4 bytes since Clear: rotates
	want := map[string]string{"app.log": "", "app.log.1": "ccdd", "app.log.2": "aaaa"}
	if got := dirFiles(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
	// Clear when the file has already gone.
	os.Remove(p)
	if err := w.Clear(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Errorf("Clear did not recreate the file: %v", err)
	}
}

func TestClose(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	w, err := Open(Options{Path: p})
	if err != nil {
		t.Fatal(err)
	}
	if w.Path() != p {
		t.Errorf("Path = %q", w.Path())
	}
	w.Write([]byte("a"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n, err := w.Write([]byte("b")); n != 1 || err != nil {
		t.Fatalf("Write after Close = %d, %v", n, err)
	}
	if err := w.Reopen(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Reopen after Close: %v", err)
	}
	if err := w.Clear(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Clear after Close: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "a" {
		t.Errorf("file = %q", b)
	}
}

func TestOpenError(t *testing.T) {
	_, err := Open(Options{Path: filepath.Join(t.TempDir(), "no", "such", "dir", "x.log")})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open in missing dir: %v", err)
	}
}

// TestConcurrentClearReopen runs Clear and Reopen against a busy
// writer (for -race), then checks the file is still written.
func TestConcurrentClearReopen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	w, err := Open(Options{Path: p, MaxBytes: 500, Backups: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				w.Write([]byte("some output line\n"))
			}
		}
	})
	for i := range 200 {
		if i%2 == 0 {
			w.Clear()
		} else {
			w.Reopen()
		}
		_ = w.Path()
	}
	close(stop)
	wg.Wait()
	w.Write([]byte("last\n"))
	b, err := os.ReadFile(p)
	if err != nil || !strings.HasSuffix(string(b), "last\n") {
		t.Fatalf("file = %q, %v", b, err)
	}
}
