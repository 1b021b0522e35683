package lines

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Len is the length of one line, newline included.
const Len = 60

const (
	digits     = 10
	payloadLen = Len - digits - 2 // space and newline
)

// payloads[i%26] is the payload of line i.
var payloads = func() [26][payloadLen]byte {
	var p [26][payloadLen]byte
	for i := range p {
		for k := range p[i] {
			p[i][k] = byte('a' + (i+k)%26)
		}
	}
	return p
}()

// Generator produces lines 0, 1, 2, ... into caller-supplied buffers.
// It keeps the sequence number as ASCII and increments it in place, so
// producing a line costs a 60-byte copy: the generator is never the
// bottleneck of what it measures.
type Generator struct {
	seq  int64
	line [Len]byte
}

// NewGenerator returns a generator positioned at line 0.
func NewGenerator() *Generator {
	g := &Generator{}
	for i := range digits {
		g.line[i] = '0'
	}
	g.line[digits] = ' '
	g.line[Len-1] = '\n'
	copy(g.line[digits+1:], payloads[0][:])
	return g
}

// Fill writes up to max whole lines into buf and returns the number of
// bytes written.
func (g *Generator) Fill(buf []byte, max int64) int {
	n := 0
	for n+Len <= len(buf) && max > 0 {
		copy(buf[n:], g.line[:])
		n += Len
		max--
		g.next()
	}
	return n
}

func (g *Generator) next() {
	g.seq++
	for i := digits - 1; i >= 0; i-- {
		if g.line[i] < '9' {
			g.line[i]++
			break
		}
		g.line[i] = '0'
	}
	copy(g.line[digits+1:], payloads[g.seq%26][:])
}

// Report is the result of Verify.
type Report struct {
	Lines     int64 // valid lines found, duplicates included
	Unique    int64 // distinct valid sequence numbers in [0, want)
	Missing   int64 // want - Unique
	Dups      int64 // valid lines whose sequence number was already seen
	Corrupt   int64 // lines of the wrong length or content
	OutOfOrd  int64 // valid lines not following their predecessor
	Bytes     int64
	FirstErr  string
	wantLines int64
}

// OK reports whether exactly the lines 0..want-1 were found, once each
// and in order.
func (r Report) OK() bool {
	return r.Unique == r.wantLines && r.Lines == r.wantLines && r.Corrupt == 0 && r.OutOfOrd == 0
}

func (r Report) String() string {
	return fmt.Sprintf("%d lines (%d unique of %d), %d missing, %d duplicated, %d corrupt, %d out of order",
		r.Lines, r.Unique, r.wantLines, r.Missing, r.Dups, r.Corrupt, r.OutOfOrd)
}

// Verify reads the concatenation of the readers and checks it against
// lines 0..want-1.
func Verify(want int64, rs ...io.Reader) (Report, error) {
	rep := Report{wantLines: want}
	seen := make([]uint64, (want+63)/64)
	br := bufio.NewReaderSize(io.MultiReader(rs...), 1<<20)
	prev := int64(-1)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// An absurdly long line: consume it whole.
			rep.Bytes += int64(len(line))
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				rep.Bytes += int64(len(line))
			}
			rep.Corrupt++
			rep.note("line longer than 1 MiB")
			if err != nil {
				break
			}
			continue
		}
		rep.Bytes += int64(len(line))
		if len(line) == 0 && err == io.EOF {
			break
		}
		if seq, ok := parse(line); !ok || seq >= want {
			rep.Corrupt++
			rep.note(fmt.Sprintf("bad line after seq %d: %q", prev, trunc(line)))
		} else {
			rep.Lines++
			if seen[seq/64]&(1<<(seq%64)) != 0 {
				rep.Dups++
				rep.note(fmt.Sprintf("duplicate line %d", seq))
			} else {
				seen[seq/64] |= 1 << (seq % 64)
				rep.Unique++
			}
			if seq != prev+1 {
				rep.OutOfOrd++
				rep.note(fmt.Sprintf("line %d follows %d", seq, prev))
			}
			prev = seq
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return rep, fmt.Errorf("read logs: %w", err)
		}
	}
	rep.Missing = want - rep.Unique
	return rep, nil
}

func (r *Report) note(s string) {
	if r.FirstErr == "" {
		r.FirstErr = s
	}
}

func trunc(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}

// parse returns the sequence number of a well-formed line.
func parse(line []byte) (int64, bool) {
	if len(line) != Len || line[digits] != ' ' || line[Len-1] != '\n' {
		return 0, false
	}
	var seq int64
	for _, c := range line[:digits] {
		if c < '0' || c > '9' {
			return 0, false
		}
		seq = seq*10 + int64(c-'0')
	}
	p := &payloads[seq%26]
	if string(line[digits+1:Len-1]) != string(p[:]) {
		return 0, false
	}
	return seq, true
}
