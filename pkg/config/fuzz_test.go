package config

import (
	"errors"
	"strings"
	"testing"
)

// FuzzINI fuzzes the ini reader alone (configparser's rules: sections,
// continuation lines, inline comments, empty lines in values): it never
// panics, every section and option it keeps has a line in the input,
// and a syntax error names lines of the input.
func FuzzINI(f *testing.F) {
	for _, s := range []string{
		"[a]\nk=v\n",
		"[a]\nk = v ; c\n  cont\n\n  more\n[b]\nx: y\n",
		"k=v\n",
		"[a]\n\xff=\x00 #c\n",
		"[a]\nk=v\n[a]\nk=w\n",
		"[a]\n  k=v\n\tx\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		p := newIniParser()
		err := p.read("fuzz.conf", data)
		lines := len(splitLines(data))
		if err != nil {
			var pe *parseError
			if !errors.As(err, &pe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			for _, l := range pe.Lines {
				if l < 1 || l > lines {
					t.Fatalf("error names line %d of %d", l, lines)
				}
			}
		}
		for _, s := range p.sections {
			if s.Line < 1 || s.Line > lines || s.File != "fuzz.conf" {
				t.Fatalf("section %q at %s:%d of %d lines", s.Name, s.File, s.Line, lines)
			}
			if !strings.Contains(data, "]") {
				t.Fatalf("section %q without a header", s.Name)
			}
		}
	})
}
