package logfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

const content = "0123456789abcdefghij" // 20 bytes

func writeContent(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "r.log")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRead(t *testing.T) {
	p := writeContent(t)
	tests := []struct {
		offset, length int64
		want           string
		bad            bool
	}{
		{0, 0, content, false},
		{5, 0, content[5:], false},
		{5, 3, "567", false},
		{18, 10, "ij", false},
		{20, 0, "", false},
		{100, 0, "", false},
		{100, 5, "", false},
		{-5, 0, "fghij", false},
		{-20, 0, content, false},
		{-100, 0, content, false},
		{-5, 3, "", true},
		{-5, -3, "", true},
		{0, -1, "", true},
		{5, -1, "", true},
	}
	for _, tt := range tests {
		got, err := Read(p, tt.offset, tt.length)
		if tt.bad {
			if !errors.Is(err, ErrBadArguments) {
				t.Errorf("Read(%d, %d) = %q, %v; want ErrBadArguments", tt.offset, tt.length, got, err)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("Read(%d, %d) = %q, %v; want %q", tt.offset, tt.length, got, err, tt.want)
		}
	}
}

func TestReadMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.log")
	// NO_FILE wins over BAD_ARGUMENTS, as in supervisord's rpcinterface.
	for _, args := range [][2]int64{{0, 0}, {-5, 3}} {
		if _, err := Read(missing, args[0], args[1]); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Read(missing, %v) = %v, want ErrNotExist", args, err)
		}
	}
	// A directory exists but cannot be read: FAILED (not NO_FILE).
	if _, err := Read(t.TempDir(), 0, 0); err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrBadArguments) {
		t.Errorf("Read(dir) = %v, want another error", err)
	}
}

func TestTail(t *testing.T) {
	p := writeContent(t)
	tests := []struct {
		offset, length int64
		want           string
		overflow       bool
	}{
		{0, 5, "fghij", true},         // size 20 > 0+5: last 5 bytes
		{0, 20, content, false},       // exactly fits
		{0, 100, content, false},      // more than available
		{15, 5, "fghij", false},       // offset+length == size
		{18, 10, content[10:], false}, // overshoot: supervisord rewinds to size-length
		{18, 30, content, false},      // … clamped to 0
		{5, 10, content[10:], true},   // 20 > 15: the last 10 bytes
		{20, 5, "", false},            // at EOF: nothing
		{25, 5, "", false},            // past EOF
		{0, 0, "", true},              // length 0
		{0, 1, "j", true},             // one byte
		{10, -5, "", true},            // negative length
		{-10, 5, "fghij", true},       // negative offset: still the last bytes
		{-10, 100, content, false},    // negative offset, big length
	}
	for _, tt := range tests {
		got, off, ov, err := Tail(p, tt.offset, tt.length)
		if err != nil || string(got) != tt.want || off != 20 || ov != tt.overflow {
			t.Errorf("Tail(%d, %d) = %q, %d, %v, %v; want %q, 20, %v", tt.offset, tt.length, got, off, ov, err, tt.want, tt.overflow)
		}
	}
	got, off, ov, err := Tail(filepath.Join(t.TempDir(), "nope"), 7, 100)
	if got != nil || off != 0 || ov || err != nil {
		t.Errorf("Tail(missing) = %q, %d, %v, %v", got, off, ov, err)
	}
}

// TestReadTailMatchSupervisord compares Read and Tail with supervisord's
// readFile and tailFile over a grid of offsets and lengths.
func TestReadTailMatchSupervisord(t *testing.T) {
	const script = `
import json, sys
from supervisor.options import readFile, tailFile
cfg = json.load(sys.stdin)
out = []
for off, ln in cfg["args"]:
    try:
        r = readFile(cfg["path"], off, ln).decode()
    except ValueError as e:
        r = "ERR:" + e.args[0]
    d, o, ov = tailFile(cfg["path"], off, ln)
    out.append({"read": r, "tail": d, "offset": o, "overflow": ov})
json.dump(out, sys.stdout)
`
	p := writeContent(t)
	var args [][2]int64
	for _, off := range []int64{-30, -20, -19, -5, -1, 0, 1, 5, 19, 20, 21, 40} {
		for _, ln := range []int64{-30, -5, -1, 0, 1, 2, 5, 15, 19, 20, 21, 100} {
			args = append(args, [2]int64{off, ln})
		}
	}
	out := python(t, script, map[string]any{"path": p, "args": args})
	var want []struct {
		Read     string `json:"read"`
		Tail     string `json:"tail"`
		Offset   int64  `json:"offset"`
		Overflow bool   `json:"overflow"`
	}
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(args) {
		t.Fatalf("python returned %d results for %d", len(want), len(args))
	}
	for i, a := range args {
		r, err := Read(p, a[0], a[1])
		gotRead := string(r)
		if errors.Is(err, ErrBadArguments) {
			gotRead = "ERR:BAD_ARGUMENTS"
		} else if err != nil {
			gotRead = "ERR:FAILED"
		}
		if gotRead != want[i].Read {
			t.Errorf("Read(%d, %d) = %q, supervisord %q", a[0], a[1], gotRead, want[i].Read)
		}
		d, off, ov, _ := Tail(p, a[0], a[1])
		if string(d) != want[i].Tail || off != want[i].Offset || ov != want[i].Overflow {
			t.Errorf("Tail(%d, %d) = %q, %d, %v; supervisord %q, %d, %v",
				a[0], a[1], d, off, ov, want[i].Tail, want[i].Offset, want[i].Overflow)
		}
	}
}

// TestReadPipe: a log "file" that is a pipe (/dev/stdout in a container)
// is FAILED for Read and (”, offset, false) for Tail, as supervisord's
// seek fails there, and its bytes stay in the pipe for its reader.
func TestReadPipe(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	const data = "a line for the container log\n"
	if _, err := w.WriteString(data); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/proc/self/fd/%d", w.Fd())
	if got, err := Read(path, 0, 10); err == nil || errors.Is(err, ErrBadArguments) || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(pipe, 0, 10) = %q, %v; want a FAILED error", got, err)
	}
	if _, err := Read(path, -5, 3); !errors.Is(err, ErrBadArguments) {
		t.Errorf("Read(pipe, -5, 3): %v, want BAD_ARGUMENTS (checked first)", err)
	}
	if got, off, over, err := Tail(path, 7, 10); len(got) != 0 || off != 7 || over || err != nil {
		t.Errorf("Tail(pipe, 7, 10) = %q, %d, %v, %v; want nothing, 7, false", got, off, over, err)
	}
	w.Close()
	rest, err := io.ReadAll(r)
	if err != nil || string(rest) != data {
		t.Errorf("the pipe's reader got %q, %v; want %q", rest, err, data)
	}
}
