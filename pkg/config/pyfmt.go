package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// pyRepr returns Python's repr() of a str.
func pyRepr(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// invalid UTF-8 (Python would have failed to decode)
			fmt.Fprintf(&b, `\x%02x`, s[i])
			i++
			continue
		}
		i += size
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteByte(q)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f:
			b.WriteRune(r)
		case !unicode.IsPrint(r) || r == 0xa0 || r == 0xad:
			switch {
			case r <= 0xff:
				fmt.Fprintf(&b, `\x%02x`, r)
			case r <= 0xffff:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// pyASCII escapes the non-ASCII characters of a repr as ascii() does.
func pyASCII(r string) string {
	var b strings.Builder
	for _, c := range r {
		switch {
		case c < 0x80:
			b.WriteRune(c)
		case c <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, c)
		case c <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			fmt.Fprintf(&b, `\U%08x`, c)
		}
	}
	return b.String()
}

// bareDict stands for the whole mapping, which a conversion without
// a (name) formats in Python.
type bareDict struct{}

// keyError is Python's KeyError from a %-format with a missing name.
type keyError struct{ key string }

func (e *keyError) Error() string { return pyRepr(e.key) }

// formatError is any other exception from str % dict.
type formatError struct{ msg string }

func (e *formatError) Error() string { return e.msg }

// pyFormat evaluates Python's `s % m` for a mapping m whose values are
// strings or ints, following CPython's unicode_format_arg_parse step by
// step (so errors come out in the same order with the same text).
func pyFormat(s string, m map[string]any) (string, error) {
	var b strings.Builder
	// CPython keeps the last %(key) value as "the argument": a later
	// conversion without a key (or a '*') uses it; before any key it is
	// the whole mapping.
	var last any = bareDict{}
	avail := true // CPython's argidx < arglen: one argument per key
	var refused error
	nextArg := func() (any, error) {
		if !avail {
			return nil, &formatError{"not enough arguments for format string"}
		}
		avail = false
		return last, nil
	}
	i := 0
	runeIndex := func(byteOff int) int { return utf8.RuneCountInString(s[:byteOff]) }
	for i < len(s) {
		c := s[i]
		if c != '%' {
			b.WriteByte(c)
			i++
			continue
		}
		i++
		if i < len(s) && s[i] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		var ch rune // arg->ch
		if i < len(s) {
			ch, _ = utf8.DecodeRuneInString(s[i:])
		}
		exhausted := false
		readc := func() bool {
			if i >= len(s) {
				exhausted = true
				return false
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			ch = r
			i += size
			return true
		}
		if i < len(s) && s[i] == '(' {
			i++
			keystart := i
			depth := 1
			for depth > 0 && readc() {
				if ch == ')' {
					depth--
				} else if ch == '(' {
					depth++
				}
			}
			if depth > 0 || exhausted {
				return "", &formatError{"incomplete format key"}
			}
			key := s[keystart : i-1]
			val, ok := m[key]
			if !ok {
				return "", &keyError{key}
			}
			last, avail = val, true
		}
		var left, plus, space, alt, zero bool
	flags:
		for readc() {
			switch ch {
			case '-':
				left = true
			case '+':
				plus = true
			case ' ':
				space = true
			case '#':
				alt = true
			case '0':
				zero = true
			default:
				break flags
			}
		}
		width, prec := -1, -1
		starArg := func() (int, error) {
			a, err := nextArg()
			if err != nil {
				return 0, err
			}
			n, ok := a.(int)
			if !ok {
				return 0, &formatError{"* wants int"}
			}
			return n, nil
		}
		if ch == '*' {
			n, err := starArg()
			if err != nil {
				return "", err
			}
			if n < 0 {
				left, n = true, -n
			}
			if n > 1<<20 {
				return "", &formatError{"width too big"}
			}
			width = n
			readc()
		} else if ch >= '0' && ch <= '9' {
			width = int(ch - '0')
			for readc() {
				if ch < '0' || ch > '9' {
					break
				}
				width = width*10 + int(ch-'0')
				if width > 1<<20 {
					return "", &formatError{"width too big"}
				}
			}
		}
		if ch == '.' {
			prec = 0
			readc()
			if ch == '*' {
				n, err := starArg()
				if err != nil {
					return "", err
				}
				if n < 0 {
					n = 0
				}
				if n > 1<<20 {
					return "", &formatError{"precision too big"}
				}
				prec = n
				readc()
			} else if ch >= '0' && ch <= '9' {
				prec = int(ch - '0')
				for readc() {
					if ch < '0' || ch > '9' {
						break
					}
					prec = prec*10 + int(ch-'0')
					if prec > 1<<20 {
						return "", &formatError{"precision too big"}
					}
				}
			}
		}
		if !exhausted && (ch == 'h' || ch == 'l' || ch == 'L') {
			readc()
		}
		if exhausted {
			return "", &formatError{"incomplete format"}
		}
		conv := ch
		convIndex := runeIndex(i) - 1
		v, err := nextArg()
		if err != nil {
			return "", err
		}
		if _, ok := v.(bareDict); ok {
			switch conv {
			case 's', 'r', 'a':
				// Python would insert the repr of the whole expansion
				// dict here; superd refuses (docs/COMPATIBILITY.md), but
				// only after the rest of the string, so that Python's
				// own errors come first.
				if refused == nil {
					refused = &formatError{fmt.Sprintf("%%%c without a (name) would format the whole expansion dict; write %%%% for a literal %%", conv)}
				}
				continue
			case 'd', 'i', 'u':
				return "", &formatError{fmt.Sprintf("%%%c format: a real number is required, not dict", conv)}
			case 'x', 'X', 'o':
				return "", &formatError{fmt.Sprintf("%%%c format: an integer is required, not dict", conv)}
			case 'e', 'E', 'f', 'F', 'g', 'G':
				return "", &formatError{"must be real number, not dict"}
			case 'c':
				return "", &formatError{"%c requires int or char"}
			}
		}
		var out string
		switch conv {
		case 's', 'r', 'a':
			switch x := v.(type) {
			case string:
				switch conv {
				case 's':
					out = x
				case 'r':
					out = pyRepr(x)
				default:
					out = pyASCII(pyRepr(x))
				}
			case int:
				out = strconv.Itoa(x)
			}
			if prec >= 0 {
				if r := []rune(out); len(r) > prec {
					out = string(r[:prec])
				}
			}
			zero = false
		case 'd', 'i', 'u', 'x', 'X', 'o', 'e', 'E', 'f', 'F', 'g', 'G', 'c':
			n, ok := v.(int)
			if !ok {
				switch conv {
				case 'd', 'i', 'u':
					return "", &formatError{fmt.Sprintf("%%%c format: a real number is required, not str", conv)}
				case 'x', 'X', 'o':
					return "", &formatError{fmt.Sprintf("%%%c format: an integer is required, not str", conv)}
				case 'c':
					sv := v.(string)
					if utf8.RuneCountInString(sv) != 1 {
						return "", &formatError{"%c requires int or char"}
					}
					out = sv
				default:
					return "", &formatError{"must be real number, not str"}
				}
				zero = false
				break
			}
			neg := n < 0
			an := n
			if neg {
				an = -n
			}
			var digits, prefix string
			switch conv {
			case 'd', 'i', 'u':
				digits = strconv.Itoa(an)
			case 'x':
				digits = strconv.FormatInt(int64(an), 16)
				if alt {
					prefix = "0x"
				}
			case 'X':
				digits = strings.ToUpper(strconv.FormatInt(int64(an), 16))
				if alt {
					prefix = "0X"
				}
			case 'o':
				digits = strconv.FormatInt(int64(an), 8)
				if alt {
					prefix = "0o"
				}
			case 'c':
				if n < 0 || n > unicode.MaxRune {
					return "", &formatError{"%c arg not in range(0x110000)"}
				}
				out = string(rune(n))
				zero = false
			default:
				p := prec
				if p < 0 {
					p = 6
				}
				f := float64(an)
				switch conv {
				case 'e', 'E':
					digits = strconv.FormatFloat(f, byte(conv), p, 64)
					// Python uses at least two exponent digits, as Go does.
				case 'f', 'F':
					digits = strconv.FormatFloat(f, 'f', p, 64)
				default:
					if p == 0 {
						p = 1
					}
					g := byte('g')
					if conv == 'G' {
						g = 'G'
					}
					digits = strconv.FormatFloat(f, g, p, 64)
					if alt {
						digits = altG(digits, p)
					}
				}
				if alt && conv != 'g' && conv != 'G' && !strings.Contains(digits, ".") {
					if k := strings.IndexAny(digits, "eE"); k >= 0 {
						digits = digits[:k] + "." + digits[k:]
					} else {
						digits += "."
					}
				}
				prec = -1
			}
			if conv != 'c' {
				if prec >= 0 && len(digits) < prec {
					digits = strings.Repeat("0", prec-len(digits)) + digits
				}
				sign := ""
				switch {
				case neg:
					sign = "-"
				case plus:
					sign = "+"
				case space:
					sign = " "
				}
				head := sign + prefix
				if zero && !left && width > len(head)+len(digits) {
					digits = strings.Repeat("0", width-len(head)-len(digits)) + digits
				}
				out = head + digits
			}
		default:
			shown := conv
			if conv < 31 || conv > 126 {
				shown = '?'
			}
			return "", &formatError{fmt.Sprintf("unsupported format character '%c' (0x%x) at index %d", shown, conv, convIndex)}
		}
		if n := utf8.RuneCountInString(out); width > n {
			pad := strings.Repeat(" ", width-n)
			if left {
				out += pad
			} else {
				out = pad + out
			}
		}
		b.WriteString(out)
	}
	if refused != nil {
		return "", refused
	}
	return b.String(), nil
}

// expandErr is the ValueError supervisor's expand() raises.
type expandErr struct{ msg string }

func (e *expandErr) Error() string { return e.msg }

// expand is supervisor.options.expand: s % expansions with its error
// texts. name is what the message calls the value ("program:x.command").
func expand(s string, m map[string]any, name string) (string, error) {
	out, err := pyFormat(s, m)
	if err == nil {
		return out, nil
	}
	if ke, ok := err.(*keyError); ok {
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		return "", &expandErr{fmt.Sprintf("Format string %s for %s contains names (%s) which cannot be expanded. Available names: %s",
			pyRepr(s), pyRepr(name), ke.Error(), strings.Join(names, ", "))}
	}
	return "", &expandErr{fmt.Sprintf("Format string %s for %s is badly formatted: %s", pyRepr(s), pyRepr(name), err.Error())}
}

// altG applies the '#' flag to a %g result: keep the decimal point and
// trailing zeros up to p significant digits.
func altG(d string, p int) string {
	mant, exp := d, ""
	if k := strings.IndexAny(d, "eE"); k >= 0 {
		mant, exp = d[:k], d[k:]
	}
	if !strings.Contains(mant, ".") {
		mant += "."
	}
	sig := 0
	started := false
	for _, c := range mant {
		if c >= '1' && c <= '9' {
			started = true
		}
		if started && c >= '0' && c <= '9' {
			sig++
		}
	}
	if !started {
		sig = strings.Count(mant, "0") // 0.00000
	}
	for ; sig < p; sig++ {
		mant += "0"
	}
	return mant + exp
}
