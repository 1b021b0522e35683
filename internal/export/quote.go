package export

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// This file holds the quoting rules of the three languages export and
// import write and read: systemd unit values (ExecStart=, Environment=),
// POSIX sh (cron lines, logrotate scripts, Procfile commands) and
// supervisord's config values (shlex for command=, non-POSIX shlex for
// environment=, Python %-interpolation everywhere, inline comments
// after whitespace).

// safeWord is what every one of the languages reads literally.
var safeWord = regexp.MustCompile(`^[A-Za-z0-9_@+=:,./-]+$`)

// systemdWord quotes one argument for a systemd command line
// (ExecStart=): specifiers (%) and variable references ($) are doubled,
// quotes and backslashes are escaped inside double quotes, control
// characters and backticks are C-escaped (gopkg.in/ini.v1 would wrap a
// value holding a backtick or newline in its own quotes). A lone ";"
// separates commands in systemd and is written \;.
func systemdWord(s string) string {
	if s == ";" {
		return `\;`
	}
	if safeWord.MatchString(s) {
		return s
	}
	return `"` + systemdEscape(s, true) + `"`
}

// systemdEscape escapes s for the inside of a double-quoted systemd
// word; dollar doubles $ (command lines expand $VAR, Environment= does
// not).
func systemdEscape(s string, dollar bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i]) // a byte that is not UTF-8
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '%':
			b.WriteString(`%%`)
		case r == '$' && dollar:
			b.WriteString(`$$`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '`' || r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// systemdCommand joins argv into an ExecStart= value. systemd expands
// $VAR in the arguments but not in the executable's path, and refuses a
// path holding quotes, backslashes or control characters ("Executable
// name contains special characters"): such a program is started
// through /usr/bin/env, which takes the path as an argument.
func systemdCommand(argv []string) string {
	if strings.ContainsAny(argv[0], "\"'\\") || strings.IndexFunc(argv[0], func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		argv = append([]string{"/usr/bin/env", "--"}, argv...)
	}
	w := make([]string, len(argv))
	for i, a := range argv {
		if i == 0 && a != ";" && (!safeWord.MatchString(a) || strings.ContainsAny(a[:1], "-@:+!|")) {
			// quoted, a leading - @ : + ! is not read as a prefix
			w[i] = `"` + systemdEscape(a, false) + `"`
			continue
		}
		w[i] = systemdWord(a)
	}
	return strings.Join(w, " ")
}

// systemdPath escapes a value with specifier expansion only
// (WorkingDirectory=, StandardOutput=append:, Description=).
func systemdPath(p string) string { return strings.ReplaceAll(p, "%", "%%") }

// splitSystemd splits a systemd value into words as systemd's
// extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE) does: whitespace
// separates words, single and double quotes group, C escapes (\n \t
// \xNN \\ \" \' \; \NNN octal \uXXXX) are decoded; quotes may start
// only at the beginning of a word (systemd's "relaxed" rule is not
// implemented: a quote in the middle of a word is kept literally).
// Specifiers and $-references are left for the caller.
func splitSystemd(s string) ([]string, error) {
	var words []string
	i := 0
	for {
		for i < len(s) && strings.IndexByte(" \t\n\r", s[i]) >= 0 {
			i++
		}
		if i >= len(s) {
			return words, nil
		}
		var b strings.Builder
		var quote byte
		for i < len(s) {
			c := s[i]
			if quote == 0 && strings.IndexByte(" \t\n\r", c) >= 0 {
				break
			}
			if c == quote {
				quote = 0
				i++
				continue
			}
			if quote == 0 && (c == '"' || c == '\'') {
				quote = c
				i++
				continue
			}
			if c == '\\' {
				if i+1 >= len(s) {
					return nil, errors.New("trailing backslash")
				}
				r, n, err := cunescape(s[i+1:])
				if err != nil {
					return nil, err
				}
				b.WriteString(r)
				i += 1 + n
				continue
			}
			b.WriteByte(c)
			i++
		}
		if quote != 0 {
			return nil, fmt.Errorf("unterminated %c quote", quote)
		}
		words = append(words, b.String())
	}
}

// cunescape decodes the escape after a backslash; it returns the text
// and the number of bytes consumed.
func cunescape(s string) (string, int, error) {
	switch s[0] {
	case 'a':
		return "\a", 1, nil
	case 'b':
		return "\b", 1, nil
	case 'f':
		return "\f", 1, nil
	case 'n':
		return "\n", 1, nil
	case 'r':
		return "\r", 1, nil
	case 't':
		return "\t", 1, nil
	case 'v':
		return "\v", 1, nil
	case 's':
		return " ", 1, nil
	case 'x':
		if len(s) >= 3 {
			var v int
			if _, err := fmt.Sscanf(s[1:3], "%02x", &v); err == nil {
				return string([]byte{byte(v)}), 3, nil
			}
		}
		return "", 0, fmt.Errorf("bad \\x escape")
	case 'u', 'U':
		n := 4
		if s[0] == 'U' {
			n = 8
		}
		if len(s) > n {
			var v int
			if _, err := fmt.Sscanf(s[1:1+n], "%x", &v); err == nil {
				return string(rune(v)), 1 + n, nil
			}
		}
		return "", 0, fmt.Errorf("bad \\%c escape", s[0])
	}
	if s[0] >= '0' && s[0] <= '7' {
		if len(s) >= 3 {
			var v int
			if _, err := fmt.Sscanf(s[:3], "%03o", &v); err == nil && v < 256 {
				return string([]byte{byte(v)}), 3, nil
			}
		}
		return "", 0, fmt.Errorf("bad octal escape")
	}
	return s[:1], 1, nil // \\ \" \' \; and any other character
}

// shWord quotes s for POSIX sh.
func shWord(s string) string {
	if s != "" && safeWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shCommand joins argv for sh.
func shCommand(argv []string) string {
	w := make([]string, len(argv))
	for i, a := range argv {
		w[i] = shWord(a)
	}
	return strings.Join(w, " ")
}

// errUnrepresentable says a value cannot be written in supervisord's
// format at all (a newline in it, or quotes that its environment=
// parser cannot carry).
var errUnrepresentable = errors.New("cannot be written in a supervisord config")

// confCommand writes argv as a supervisord command= value: shlex.split
// gives argv back, % is doubled for the %-expansion, and ; and # are
// escaped so that configparser does not take them for an inline
// comment (it does after whitespace).
func confCommand(argv []string) (string, error) {
	w := make([]string, len(argv))
	for i, a := range argv {
		if strings.ContainsAny(a, "\r\n") {
			return "", errUnrepresentable
		}
		if a != "" && safeWord.MatchString(a) {
			w[i] = a
			continue
		}
		q := "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		q = strings.ReplaceAll(q, ";", `'\;'`)
		q = strings.ReplaceAll(q, "#", `'\#'`)
		w[i] = q
	}
	return confValue(strings.Join(w, " "))
}

// confValue checks that a plain value survives configparser (no
// newline, no inline comment, no surrounding whitespace) and doubles %.
func confValue(s string) (string, error) {
	if strings.ContainsAny(s, "\r\n") || strings.TrimSpace(s) != s || inlineComment(s) {
		return "", errUnrepresentable
	}
	return strings.ReplaceAll(s, "%", "%%"), nil
}

// inlineComment reports whether configparser would cut s at a ; or #
// preceded by whitespace.
func inlineComment(s string) bool {
	for i := 1; i < len(s); i++ {
		if (s[i] == ';' || s[i] == '#') && (s[i-1] == ' ' || s[i-1] == '\t') {
			return true
		}
	}
	return false
}

// confEnvironment writes KEY=value pairs as a supervisord environment=
// value. supervisord reads it with a non-POSIX shlex and strips quote
// characters from both ends of each value, so a value is double-quoted,
// or single-quoted when it holds a double quote; a value holding both
// kinds, or starting or ending with a quote, cannot be written.
func confEnvironment(env []kv) (string, error) {
	parts := make([]string, 0, len(env))
	for _, e := range env {
		if e.Key == "" || !envKey.MatchString(e.Key) {
			return "", fmt.Errorf("environment name %q %w", e.Key, errUnrepresentable)
		}
		v := e.Value
		q := `"`
		if strings.Contains(v, `"`) {
			q = `'`
		}
		if strings.Contains(v, q) || strings.HasPrefix(v, "'") || strings.HasSuffix(v, "'") ||
			strings.HasPrefix(v, `"`) || strings.HasSuffix(v, `"`) {
			return "", fmt.Errorf("environment %s=%q %w", e.Key, v, errUnrepresentable)
		}
		parts = append(parts, e.Key+"="+q+v+q)
	}
	out, err := confValue(strings.Join(parts, ","))
	if err != nil {
		return "", fmt.Errorf("environment %w", err)
	}
	return out, nil
}

// envKey is what supervisord's environment= lexer reads as one word.
var envKey = regexp.MustCompile(`^[A-Za-z0-9_/.+\-():]+$`)

// systemdEnvKey is what systemd accepts as a variable name.
var systemdEnvKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// kv is one environment variable.
type kv struct{ Key, Value string }
