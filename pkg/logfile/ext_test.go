package logfile

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

var ljBackup = regexp.MustCompile(`^app-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log(\.gz)?$`)

// ljBackups lists lumberjack-style backups of app.log in dir, oldest first.
func ljBackups(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if ljBackup.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

func TestCompress(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	w, err := Open(Options{Path: p, MaxBytes: 100, Backups: 1000, Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	for i := range 40 {
		line := fmt.Appendf(nil, "line %03d %s\n", i, strings.Repeat("z", 40)) // 50 bytes
		all.Write(line)
		// Backups are named by the millisecond; let each write fall in
		// a new one so that the due rotations are not deferred.
		for ms := time.Now().UnixMilli(); time.Now().UnixMilli() == ms; {
		}
		w.Write(line)
	}
	w.Close()
	// lumberjack compresses in its own goroutine: wait until no
	// uncompressed backup is left.
	waitFor(t, "compressed backups", func() bool {
		names := ljBackups(t, dir)
		for _, n := range names {
			if !strings.HasSuffix(n, ".gz") {
				return false
			}
		}
		return len(names) > 0
	})
	var got bytes.Buffer
	names := ljBackups(t, dir)
	for _, n := range names {
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if _, err := io.Copy(&got, zr); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		f.Close()
	}
	cur, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	got.Write(cur)
	if !bytes.Equal(got.Bytes(), all.Bytes()) {
		t.Fatalf("backups+file hold %d bytes, want the %d written, in order", got.Len(), all.Len())
	}
	// 20 rotations were due; some may have been deferred to a later
	// write when two fell in the same millisecond, never lost.
	if len(names) < 2 {
		t.Errorf("only %d backups: %v", len(names), names)
	}
	// No supervisord-style names in this mode.
	if _, err := os.Stat(p + ".1"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("app.log.1 exists in lumberjack mode: %v", err)
	}
	// The file keeps the mode a plain create gets (lumberjack alone would use 0600).
	ref, _ := os.Create(filepath.Join(t.TempDir(), "ref"))
	refInfo, _ := ref.Stat()
	ref.Close()
	if fi, err := os.Stat(p); err != nil || fi.Mode() != refInfo.Mode() {
		t.Errorf("app.log mode = %v, want %v (%v)", fi.Mode(), refInfo.Mode(), err)
	}
}

func TestMaxAge(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	old := filepath.Join(dir, "app-2000-01-01T00-00-00.000.log")
	if err := os.WriteFile(old, []byte("ancient\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := Open(Options{Path: p, MaxBytes: 10, Backups: 5, MaxAge: 36 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("0123456789\n")) // rotates
	w.Write([]byte("current\n"))
	w.Close()
	waitFor(t, "old backup removed", func() bool {
		_, err := os.Stat(old)
		return errors.Is(err, os.ErrNotExist)
	})
	names := ljBackups(t, dir)
	if len(names) != 1 || strings.HasSuffix(names[0], ".gz") {
		t.Fatalf("backups = %v, want one uncompressed", names)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, names[0])); string(b) != "0123456789\n" {
		t.Errorf("backup = %q", b)
	}
	if b, _ := os.ReadFile(p); string(b) != "current\n" {
		t.Errorf("file = %q", b)
	}
}

func TestLumberjackBackupsLimit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	w, err := Open(Options{Path: p, MaxBytes: 5, Backups: 2, Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// Rotate until at least 4 rotations happened (same-millisecond
	// rotations are deferred, so count backups created).
	waitFor(t, "rotations", func() bool {
		w.Write([]byte("12345\n"))
		return len(ljBackups(t, dir)) >= 2
	})
	for range 3 {
		before := ljBackups(t, dir)
		waitFor(t, "another rotation", func() bool {
			w.Write([]byte("12345\n"))
			now := ljBackups(t, dir)
			return len(now) > 0 && now[len(now)-1] != before[len(before)-1]
		})
	}
	// Also wait for compression, so the mill is idle when the test ends.
	waitFor(t, "backups pruned to 2 and compressed", func() bool {
		b := ljBackups(t, dir)
		return len(b) == 2 && strings.HasSuffix(b[0], ".gz") && strings.HasSuffix(b[1], ".gz")
	})
}

func TestLumberjackNotUsedWithoutBackups(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	w, err := Open(Options{Path: p, MaxBytes: 4, Backups: 0, Compress: true, MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("abcd"))
	w.Write([]byte("ef"))
	w.Close()
	want := map[string]string{"app.log": "ef"}
	if got := dirFiles(t, dir); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("files = %q, want %q (backups=0 truncates)", got, want)
	}
}

func TestLumberjackClearReopen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	w, err := Open(Options{Path: p, MaxBytes: 1000, Backups: 3, Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte("one\n"))
	if err := w.Clear(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(p); err != nil || len(b) != 0 {
		t.Fatalf("after Clear file = %q, %v", b, err)
	}
	w.Write([]byte("two\n"))
	os.Rename(p, p+".moved")
	if err := w.Reopen(); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("three\n"))
	if b, _ := os.ReadFile(p); string(b) != "three\n" {
		t.Errorf("file = %q", b)
	}
	if b, _ := os.ReadFile(p + ".moved"); string(b) != "two\n" {
		t.Errorf("moved = %q", b)
	}
}

func TestMaxAgeDays(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 0, time.Minute: 1, 24 * time.Hour: 1, 25 * time.Hour: 2, 7 * 24 * time.Hour: 7} {
		if got := maxAgeDays(d); got != want {
			t.Errorf("maxAgeDays(%v) = %d, want %d", d, got, want)
		}
	}
}

// withSyslog points the shared syslog connection at dial for one test.
func withSyslog(t *testing.T, dial func() (sysSender, error)) {
	t.Helper()
	saved := syslogDial
	resetSyslog()
	syslogDial = dial
	t.Cleanup(func() {
		resetSyslog()
		syslogDial = saved
	})
}

func TestSyslog(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "log.sock")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	withSyslog(t, func() (sysSender, error) {
		return syslog.Dial("unixgram", sock, syslog.LOG_USER|syslog.LOG_INFO, "superd")
	})
	p := filepath.Join(dir, "app.log")
	w, err := Open(Options{Path: p, SyslogTag: "web"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte("one\n\ntwo\n\n"))
	w.Write([]byte("partial"))
	want := []string{"web one", "web ", "web two", "web partial"}
	buf := make([]byte, 2048)
	l.SetReadDeadline(time.Now().Add(10 * time.Second))
	for _, wl := range want {
		n, err := l.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		msg := strings.TrimSuffix(string(buf[:n]), "\n")
		if !strings.HasPrefix(msg, "<14>") || !strings.HasSuffix(msg, ": "+wl) {
			t.Errorf("syslog message %q, want <14>… %q", msg, wl)
		}
	}
	if b, _ := os.ReadFile(p); string(b) != "one\n\ntwo\n\npartial" {
		t.Errorf("file = %q", b)
	}
}

func TestSyslogUnavailable(t *testing.T) {
	withSyslog(t, func() (sysSender, error) { return nil, errors.New("no syslog here") })
	rec := &recorder{}
	p := filepath.Join(t.TempDir(), "app.log")
	w, err := Open(Options{Path: p, SyslogTag: "web", Logger: slog.New(rec)})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if n, err := w.Write([]byte("x\n")); n != 2 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	w.Close()
	if b, _ := os.ReadFile(p); string(b) != strings.Repeat("x\n", 10) {
		t.Errorf("file = %q", b)
	}
	if rec.count(slog.LevelError) != 1 || !strings.Contains(rec.String(), "no syslog here") {
		t.Errorf("want one error logged, got:\n%s", rec)
	}
}
