package web

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/superd/superd/pkg/logfile"
)

// TestReadLogPartWhileRotating reads the end of a log while another
// goroutine rotates it as fast as it can: the part shown and the place
// "load earlier" goes on from are never the same file (a rotation
// between listing log and log.1 made log.1 the file just shown), and the
// part is the content of the file it names.
func TestReadLogPartWhileRotating(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "r.log")
	os.WriteFile(p, []byte("gen 0\n"), 0o644)
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for gen := 1; !stop.Load(); gen++ {
			os.Rename(p+".1", p+".2")
			os.Rename(p, p+".1")
			os.WriteFile(p, []byte(fmt.Sprintf("gen %d\n", gen)), 0o644)
		}
	}()
	defer func() { stop.Store(true); <-done }()
	same := 0
	for range 3000 {
		part, err := readLogPart(p, "", -1)
		if err != nil {
			continue // still rotating after the retries, or between rename and create
		}
		if part.File == part.EarlierFile && part.EarlierStart > 0 {
			same++
		}
		if len(part.Data) > 0 && !strings.HasPrefix(string(part.Data), "gen ") {
			t.Fatalf("read %q", part.Data)
		}
	}
	if same > 0 {
		t.Errorf("%d of 3000 reads would load the shown file again as the earlier part", same)
	}
}

// TestReadLogPartRotationWhileListing makes the log rotate right after
// logFiles has looked at r.log: what the page shows is still one file,
// named by its own key, and "load earlier" goes on from the file before
// it, not from the file shown.
func TestReadLogPartRotationWhileListing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.log")
	os.WriteFile(p+".1", []byte("one\n"), 0o644)
	os.WriteFile(p, []byte("two\n"), 0o644)
	rotated := false
	statLog = func(name string) (os.FileInfo, error) {
		fi, err := os.Stat(name)
		if name == p && !rotated {
			rotated = true
			os.Rename(p+".1", p+".2")
			os.Rename(p, p+".1")
			os.WriteFile(p, []byte("three\n"), 0o644)
		}
		return fi, err
	}
	defer func() { statLog = os.Stat }()
	part, err := readLogPart(p, "", -1)
	if err != nil {
		t.Fatal(err)
	}
	key := func(name string) string {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		return logfile.FileKey(fi)
	}
	if string(part.Data) != "three\n" || part.File != key(p) || part.EarlierFile != key(p+".1") || part.EarlierStart != 4 {
		t.Errorf("read %q of %s, earlier from %s:%d; want three of %s, earlier from %s:4 (the log's files: r.log.1 %s, r.log.2 %s)",
			part.Data, part.File, part.EarlierFile, part.EarlierStart, key(p), key(p+".1"), key(p+".1"), key(p+".2"))
	}
}
