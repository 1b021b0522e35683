package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/superd/superd/internal/daemon"
)

// exampleFiles are the config files of conf.d.example, by path relative
// to it.
func exampleFiles(tb testing.TB) map[string]string {
	tb.Helper()
	files := map[string]string{}
	for _, pat := range []string{"superd.conf", "conf.d/*.conf"} {
		ms, _ := filepath.Glob(filepath.Join("../../conf.d.example", pat))
		for _, m := range ms {
			b, err := os.ReadFile(m)
			if err != nil {
				tb.Fatal(err)
			}
			rel, _ := filepath.Rel("../../conf.d.example", m)
			files[rel] = string(b)
		}
	}
	if len(files) < 2 {
		tb.Fatalf("conf.d.example not found")
	}
	return files
}

// mutate applies ops to files: each 3 bytes pick a file, a line and an
// operation (delete, duplicate, replace the value with word, insert word
// as a line, swap with the next line, cut the line in half, drop the
// file).
func mutate(files map[string]string, ops []byte, word string) map[string]string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	out := map[string][]string{}
	for n, text := range files {
		out[n] = strings.SplitAfter(text, "\n")
	}
	for i := 0; i+2 < len(ops) && i < 60; i += 3 {
		name := names[int(ops[i])%len(names)]
		lines := out[name]
		if len(lines) == 0 {
			continue
		}
		k := int(ops[i+1]) % len(lines)
		switch ops[i+2] % 7 {
		case 0:
			lines = append(lines[:k], lines[k+1:]...)
		case 1:
			lines = append(lines[:k+1], lines[k:]...)
		case 2:
			if j := strings.IndexAny(lines[k], "=:"); j >= 0 {
				lines[k] = lines[k][:j+1] + word + "\n"
			}
		case 3:
			lines = append(lines[:k], append([]string{word + "\n"}, lines[k:]...)...)
		case 4:
			if k+1 < len(lines) {
				lines[k], lines[k+1] = lines[k+1], lines[k]
			}
		case 5:
			lines[k] = lines[k][:len(lines[k])/2]
		case 6:
			if name != "superd.conf" {
				lines = nil
			}
		}
		out[name] = lines
	}
	res := map[string]string{}
	for n, ls := range out {
		if ls != nil {
			res[n] = strings.Join(ls, "")
		}
	}
	return res
}

// FuzzCheckMutations (issue 13 item 6; here rather than in
// internal/daemon, whose TestMain builds binaries before every fuzz
// run): random mutations of the example
// deployment's configuration never crash `superd check`; it exits 0 or
// 1, and 1 always comes with an error message.
func FuzzCheckMutations(f *testing.F) {
	files := exampleFiles(f)
	f.Add([]byte{}, "")
	f.Add([]byte{0, 3, 2}, "ten")
	f.Add([]byte{1, 5, 3, 0, 9, 0}, "[program:x]")
	f.Add([]byte{2, 1, 5, 1, 1, 1}, "%(nope)s")
	f.Add([]byte{0, 20, 2, 3, 2, 6}, "numprocs=%(process_num)d")
	f.Fuzz(func(t *testing.T, ops []byte, word string) {
		if strings.ContainsAny(word, "\n\r") || len(word) > 200 {
			return
		}
		dir := t.TempDir()
		for _, sub := range []string{"conf.d", "log", "run", "bin"} {
			os.MkdirAll(filepath.Join(dir, sub), 0o755)
		}
		for name, text := range mutate(files, ops, word) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var stdout, stderr bytes.Buffer
		code := daemon.Main("superd", []string{"check", "-c", filepath.Join(dir, "superd.conf")}, &stdout, &stderr)
		switch {
		case code == 0 && !strings.Contains(stdout.String(), ": ok"):
			t.Fatalf("exit 0 without ok: %q", stdout.String())
		case code == 1 && strings.TrimSpace(stderr.String()) == "":
			t.Fatalf("exit 1 without an error")
		case code != 0 && code != 1 && code != 2:
			t.Fatalf("exit %d: %s%s", code, stdout.String(), stderr.String())
		}
	})
}

// TestExampleChecks: the unmutated example passes check (so the
// fuzzer starts from a valid configuration).
func TestExampleChecks(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"conf.d", "log", "run", "bin"} {
		os.MkdirAll(filepath.Join(dir, sub), 0o755)
	}
	for name, text := range exampleFiles(t) {
		os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644)
	}
	var stdout, stderr bytes.Buffer
	if code := daemon.Main("superd", []string{"check", "-c", filepath.Join(dir, "superd.conf")}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout.String(), stderr.String())
	}
}
