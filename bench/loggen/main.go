package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/superd/superd/bench/internal/lines"
)

func main() {
	n := flag.Int64("lines", 1000, "number of lines to write")
	bufSize := flag.Int("buf", 64*1024, "bytes per write (rounded down to whole lines)")
	flag.Parse()
	if err := run(*n, *bufSize); err != nil {
		fmt.Fprintln(os.Stderr, "loggen:", err)
		os.Exit(1)
	}
}

func run(n int64, bufSize int) error {
	if bufSize < lines.Len {
		bufSize = lines.Len
	}
	buf := make([]byte, bufSize/lines.Len*lines.Len)
	g := lines.NewGenerator()
	for n > 0 {
		k := g.Fill(buf, n)
		n -= int64(k / lines.Len)
		if _, err := os.Stdout.Write(buf[:k]); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	return nil
}
