package config

import (
	"os"
	"regexp"
	"strings"
)

// pyGlob is Python's glob.glob(pattern) (non-recursive): '*' and '?'
// do not match a leading '.', results are in directory order.
func pyGlob(pattern string) []string { return pyIGlob(pattern, false) }

func hasMagic(s string) bool { return strings.ContainsAny(s, "*?[") }

func pySplit(p string) (string, string) {
	i := strings.LastIndexByte(p, '/') + 1
	head, tail := p[:i], p[i:]
	if head != "" && strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head, tail
}

func pyJoin(a, b string) string {
	if strings.HasPrefix(b, "/") || a == "" {
		return b
	}
	if strings.HasSuffix(a, "/") {
		return a + b
	}
	return a + "/" + b
}

func lexists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func pyIGlob(pattern string, dironly bool) []string {
	dirname, basename := pySplit(pattern)
	if !hasMagic(pattern) {
		if basename != "" {
			if lexists(pattern) {
				return []string{pattern}
			}
		} else if isDir(dirname) {
			return []string{pattern}
		}
		return nil
	}
	var dirs []string
	if dirname != "" && dirname != pattern && hasMagic(dirname) {
		dirs = pyIGlob(dirname, true)
	} else {
		dirs = []string{dirname}
	}
	var out []string
	for _, d := range dirs {
		var names []string
		if hasMagic(basename) {
			names = glob1(d, basename, dironly)
		} else if basename == "" {
			if isDir(d) {
				names = []string{basename}
			}
		} else if lexists(pyJoin(d, basename)) {
			names = []string{basename}
		}
		for _, n := range names {
			out = append(out, pyJoin(d, n))
		}
	}
	return out
}

func glob1(dir, pattern string, dironly bool) []string {
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	re := fnmatchRegexp(pattern)
	var out []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") && !strings.HasPrefix(pattern, ".") {
			continue
		}
		if dironly && !isDir(pyJoin(dir, n)) {
			continue
		}
		if re.MatchString(n) {
			out = append(out, n)
		}
	}
	return out
}

// fnmatchRegexp is fnmatch.translate.
func fnmatchRegexp(pat string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	rs := []rune(pat)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			j := i + 1
			if j < len(rs) && rs[j] == '!' {
				j++
			}
			if j < len(rs) && rs[j] == ']' {
				j++
			}
			for j < len(rs) && rs[j] != ']' {
				j++
			}
			if j >= len(rs) {
				b.WriteString(`\[`)
				continue
			}
			set := rs[i+1 : j]
			i = j
			var sb strings.Builder
			sb.WriteByte('[')
			k := 0
			if len(set) > 0 && set[0] == '!' {
				sb.WriteByte('^')
				k = 1
			}
			for ; k < len(set); k++ {
				switch set[k] {
				case '\\', '[', ']', '^':
					sb.WriteByte('\\')
				}
				sb.WriteRune(set[k])
			}
			sb.WriteByte(']')
			if len(set) == 0 || (len(set) == 1 && set[0] == '!') {
				// empty set never matches (Python: (?!)); negated empty matches any
				if len(set) == 0 {
					b.WriteString(`[^\x00-\x{10FFFF}]`)
				} else {
					b.WriteString(`.`)
				}
				continue
			}
			b.WriteString(sb.String())
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return regexp.MustCompile(`^\b\B$`) // matches nothing
	}
	return re
}
