package logfile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResume resumes a log from positions in its rotated files: the
// rest of the file named by its key and the newer files come first, an
// offset counted past the file's end goes on into the newer ones, an
// unknown key starts at the beginning of the current file.
func TestResume(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.log")
	// three generations, as rotation leaves them: r.log.2 oldest
	appendFile(t, p+".2", "two-a\ntwo-b\n")
	appendFile(t, p+".1", "one-a\n")
	appendFile(t, p, "cur-a\n")
	key := func(name string) string {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		return FileKey(fi)
	}
	k2, k0 := key(p+".2"), key(p)
	if k2 == "" || k2 == k0 {
		t.Fatalf("file keys %q %q", k2, k0)
	}
	for _, tc := range []struct {
		name      string
		key       string
		offset    int64
		want      string
		startKey  string
		startFrom int64
	}{
		{"rest of the oldest, then the newer ones", k2, 6, "two-b\none-a\ncur-a\n", k2, 6},
		{"offset counted into the newer files", k2, 12 + 6 + 2, "r-a\n", k0, 2},
		{"offset at the end of a rotated file", k2, 12, "one-a\ncur-a\n", key(p + ".1"), 0},
		{"unknown key: the current file from 0", "0.0", 3, "cur-a\n", k0, 0},
		{"no key: an offset in the current file", "", 4, "a\n", k0, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var out posWriter
			var gotKey string
			gotFrom := int64(-1)
			done := make(chan error, 1)
			go func() {
				done <- Resume(ctx, p, tc.key, tc.offset, &out, nil, func(k string, off int64) { gotKey, gotFrom = k, off })
			}()
			waitFor(t, "resumed output", func() bool { return out.String() == tc.want })
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if gotKey != tc.startKey || gotFrom != tc.startFrom {
				t.Errorf("start at %s:%d, want %s:%d", gotKey, gotFrom, tc.startKey, tc.startFrom)
			}
			if !strings.HasSuffix(out.positions(), " 6") {
				t.Errorf("positions %s: not at the end of the current file", out.positions())
			}
		})
	}
	// the stream goes on with what is appended
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out posWriter
	done := make(chan error, 1)
	go func() { done <- Resume(ctx, p, k2, 0, &out, nil, nil) }()
	waitFor(t, "all", func() bool { return out.String() == "two-a\ntwo-b\none-a\ncur-a\n" })
	appendFile(t, p, "cur-b\n")
	waitFor(t, "appended", func() bool { return strings.HasSuffix(out.String(), "cur-a\ncur-b\n") })
	cancel()
	<-done
	if err := Resume(context.Background(), filepath.Join(dir, "none"), "", 0, &out, nil, nil); err == nil || !os.IsNotExist(err) && !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Resume of a missing log: %v", err)
	}
}
