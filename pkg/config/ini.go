package config

import (
	"fmt"
	"strings"
)

// This file is the line-oriented reader that reproduces Python 3's
// configparser.RawConfigParser(inline_comment_prefixes=(';', '#'),
// strict=False) as supervisord 4.2.5 configures it. gopkg.in/ini.v1
// cannot be made to agree with it (see docs/COMPATIBILITY.md,
// "Configuration"), and it does not expose the line of each key, which
// every error message needs, so the reader is ours.

// rawOpt is one option value with where it was defined.
type rawOpt struct {
	Name  string // lower-cased option name
	Value string
	File  string
	Line  int
	lines []string // continuation lines while the file is being read
}

// rawSection is a section merged over every file that defines it.
type rawSection struct {
	Name string
	File string // file of the first header
	Line int    // line of the first header
	keys []string
	opts map[string]*rawOpt
}

func newRawSection(name, file string, line int) *rawSection {
	return &rawSection{Name: name, File: file, Line: line, opts: map[string]*rawOpt{}}
}

func (s *rawSection) set(o *rawOpt) {
	if _, ok := s.opts[o.Name]; !ok {
		s.keys = append(s.keys, o.Name)
	}
	s.opts[o.Name] = o
}

// iniParser accumulates files the way RawConfigParser.read does.
type iniParser struct {
	sections []*rawSection
	byName   map[string]*rawSection
	defaults *rawSection
	// sectionFile maps a section to the file that first defined it via
	// an include (supervisord's section_to_file).
	sectionFile map[string]string
}

func newIniParser() *iniParser {
	return &iniParser{
		byName:      map[string]*rawSection{},
		defaults:    newRawSection("DEFAULT", "", 0),
		sectionFile: map[string]string{},
	}
}

// parseError is configparser's ParsingError / MissingSectionHeaderError.
type parseError struct {
	File  string
	Lines []int
	Texts []string // raw lines, with their newline
	// missingHeader is set for text before the first section header.
	missingHeader bool
}

func (e *parseError) Error() string {
	if e.missingHeader {
		return fmt.Sprintf("File contains no section headers.\nfile: %s, line: %d\n%s",
			pyRepr(e.File), e.Lines[0], pyRepr(e.Texts[0]))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Source contains parsing errors: %s", pyRepr(e.File))
	for i, n := range e.Lines {
		fmt.Fprintf(&b, "\n\t[line %2d]: %s", n, pyRepr(e.Texts[i]))
	}
	return b.String()
}

// splitLines splits data as Python's universal-newline text mode and
// line iteration do: \r\n and \r become \n, each line keeps its \n.
func splitLines(data string) []string {
	data = strings.ReplaceAll(data, "\r\n", "\n")
	data = strings.ReplaceAll(data, "\r", "\n")
	var lines []string
	for len(data) > 0 {
		i := strings.IndexByte(data, '\n')
		if i < 0 {
			lines = append(lines, data)
			break
		}
		lines = append(lines, data[:i+1])
		data = data[i+1:]
	}
	return lines
}

// pyIsSpace reports whether r is whitespace for Python's str.isspace.
func pyIsSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func pyStrip(s string) string { return strings.TrimFunc(s, pyIsSpace) }

// read parses one file's text into the parser. It returns a
// *parseError if the file has syntax errors; as in Python the options
// read before the error are still merged (supervisord then aborts).
func (p *iniParser) read(file, data string) error {
	var (
		cursect     *rawSection
		curOpt      *rawOpt
		indentLevel = 0
		perr        *parseError
		touched     []*rawOpt
	)
	for i, line := range splitLines(data) {
		lineno := i + 1
		commentStart := inlineComment(line)
		stripped := pyStrip(line)
		if strings.HasPrefix(stripped, "#") || strings.HasPrefix(stripped, ";") {
			commentStart = 0
		}
		value := line
		if commentStart >= 0 {
			value = line[:commentStart]
		}
		value = pyStrip(value)
		if value == "" {
			// empty_lines_in_values: keep the blank line in the value
			// unless the line carried a comment.
			if commentStart < 0 && cursect != nil && curOpt != nil {
				curOpt.lines = append(curOpt.lines, "")
			}
			continue
		}
		curIndent := strings.IndexFunc(line, func(r rune) bool { return !pyIsSpace(r) })
		if curIndent < 0 {
			curIndent = 0
		} else {
			curIndent = len([]rune(line[:curIndent]))
		}
		if cursect != nil && curOpt != nil && curIndent > indentLevel {
			curOpt.lines = append(curOpt.lines, value)
			continue
		}
		indentLevel = curIndent
		if strings.HasPrefix(value, "[") {
			if end := strings.LastIndex(value, "]"); end >= 2 {
				name := value[1:end]
				switch {
				case p.byName[name] != nil:
					cursect = p.byName[name]
				case name == "DEFAULT":
					cursect = p.defaults
				default:
					cursect = newRawSection(name, file, lineno)
					p.byName[name] = cursect
					p.sections = append(p.sections, cursect)
				}
				curOpt = nil
				continue
			}
		}
		if cursect == nil {
			return &parseError{File: file, Lines: []int{lineno}, Texts: []string{line}, missingHeader: true}
		}
		// option line: the first '=' or ':' splits
		d := strings.IndexAny(value, "=:")
		if d < 0 {
			if perr == nil {
				perr = &parseError{File: file}
			}
			perr.Lines = append(perr.Lines, lineno)
			perr.Texts = append(perr.Texts, line)
			// Python keeps optname from the previous line here, so
			// following indented lines still continue it.
			continue
		}
		name := strings.TrimRightFunc(value[:d], pyIsSpace)
		if name == "" {
			if perr == nil {
				perr = &parseError{File: file}
			}
			perr.Lines = append(perr.Lines, lineno)
			perr.Texts = append(perr.Texts, line)
		}
		o := &rawOpt{Name: strings.ToLower(name), File: file, Line: lineno}
		o.lines = []string{pyStrip(value[d+1:])}
		cursect.set(o)
		curOpt = o
		if name == "" {
			curOpt = nil // Python's optname is '' (falsy): nothing continues it
		}
		touched = append(touched, o)
	}
	// _join_multiline_values
	for _, o := range touched {
		if o.lines != nil {
			o.Value = strings.TrimRightFunc(strings.Join(o.lines, "\n"), pyIsSpace)
			o.lines = nil
		}
	}
	if perr != nil {
		return perr
	}
	return nil
}

// get returns option opt of section s, falling back to [DEFAULT].
func (p *iniParser) get(s *rawSection, opt string) *rawOpt {
	if o, ok := s.opts[opt]; ok {
		return o
	}
	if o, ok := p.defaults.opts[opt]; ok {
		return o
	}
	return nil
}

// items lists every option name visible in s ([DEFAULT] first, as
// Python's ChainMap ordering puts section keys over defaults).
func (p *iniParser) items(s *rawSection) []string {
	var names []string
	seen := map[string]bool{}
	for _, k := range p.defaults.keys {
		names = append(names, k)
		seen[k] = true
	}
	for _, k := range s.keys {
		if !seen[k] {
			names = append(names, k)
		}
	}
	return names
}

// expandHere replaces %(here)s textually in every visible value of
// every section, as UnhosedConfigParser.expand_here does.
func (p *iniParser) expandHere(here string) {
	const h = "%(here)s"
	for _, s := range p.sections {
		for _, k := range p.items(s) {
			o := p.get(s, k)
			if strings.Contains(o.Value, h) {
				n := *o
				n.Value = strings.ReplaceAll(o.Value, h, here)
				s.set(&n)
			}
		}
	}
}

// inlineComment returns the byte offset where an inline comment starts,
// or -1. It follows configparser's loop literally: each round advances
// every prefix to its next occurrence and stops at the first round in
// which some occurrence is at index 0 or after whitespace. So in
// "a#b #c ;d" the comment starts at ";" (the "#" after the space is
// only reached in a later round).
func inlineComment(line string) int {
	// runes and their byte offsets in line (an invalid byte is one
	// U+FFFD rune but stays one byte long).
	var runes []rune
	var offs []int
	for i, r := range line {
		runes, offs = append(runes, r), append(offs, i)
	}
	find := func(c rune, from int) int {
		for j := from; j < len(runes); j++ {
			if runes[j] == c {
				return j
			}
		}
		return -1
	}
	idx := map[rune]int{';': -1, '#': -1}
	best := -1
	for best < 0 && len(idx) > 0 {
		next := map[rune]int{}
		for _, c := range []rune{';', '#'} {
			prev, ok := idx[c]
			if !ok {
				continue
			}
			j := find(c, prev+1)
			if j < 0 {
				continue
			}
			next[c] = j
			if j == 0 || pyIsSpace(runes[j-1]) {
				if best < 0 || j < best {
					best = j
				}
			}
		}
		idx = next
	}
	if best < 0 {
		return -1
	}
	return offs[best]
}
