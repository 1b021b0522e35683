package logfile

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkWrite compares Writer with plain os.File writes for 128 KiB
// chunks (a pipe reader's buffer). Files are kept small by rotation (or
// truncation for the raw case) so the benchmark measures writes, not
// disk filling.
func BenchmarkWrite(b *testing.B) {
	chunk := make([]byte, 128<<10)
	for i := range chunk {
		chunk[i] = 'a' + byte(i%26)
		if i%80 == 79 {
			chunk[i] = '\n'
		}
	}
	const limit = 64 << 20

	b.Run("raw-os.File", func(b *testing.B) {
		f, err := os.OpenFile(filepath.Join(b.TempDir(), "raw.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o666)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		b.SetBytes(int64(len(chunk)))
		var size int64
		for b.Loop() {
			n, err := f.Write(chunk)
			if err != nil {
				b.Fatal(err)
			}
			size += int64(n)
			if size >= limit {
				f.Truncate(0)
				size = 0
			}
		}
	})
	b.Run("raw-os.File-rename64M", func(b *testing.B) {
		// The same syscalls as a rotation with one backup, by hand.
		p := filepath.Join(b.TempDir(), "raw.log")
		open := func() *os.File {
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o666)
			if err != nil {
				b.Fatal(err)
			}
			return f
		}
		f := open()
		defer func() { f.Close() }()
		b.SetBytes(int64(len(chunk)))
		var size int64
		for b.Loop() {
			n, err := f.Write(chunk)
			if err != nil {
				b.Fatal(err)
			}
			size += int64(n)
			if size >= limit {
				f.Close()
				os.Rename(p, p+".1")
				f = open()
				size = 0
			}
		}
	})
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"Writer-norotate", Options{}},
		{"Writer-rotate64M-backups0", Options{MaxBytes: limit}},
		{"Writer-rotate64M-backups1", Options{MaxBytes: limit, Backups: 1}},
	} {
		b.Run(c.name, func(b *testing.B) {
			opts := c.opts
			opts.Path = filepath.Join(b.TempDir(), "w.log")
			w, err := Open(opts)
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			b.SetBytes(int64(len(chunk)))
			var size int64
			for b.Loop() {
				w.Write(chunk)
				if c.opts.MaxBytes == 0 {
					// Same truncation as the raw case, outside Writer's knowledge.
					size += int64(len(chunk))
					if size >= limit {
						os.Truncate(opts.Path, 0)
						size = 0
					}
				}
			}
		})
	}
	b.Run("Writer-small-lines", func(b *testing.B) {
		// The main log: many small writes.
		w, err := Open(Options{Path: filepath.Join(b.TempDir(), "main.log"), MaxBytes: limit, Backups: 1})
		if err != nil {
			b.Fatal(err)
		}
		defer w.Close()
		line := []byte("2026-11-22 00:18:23,425 INFO spawned: 'web' with pid 8780\n")
		b.SetBytes(int64(len(line)))
		for b.Loop() {
			w.Write(line)
		}
	})
}
