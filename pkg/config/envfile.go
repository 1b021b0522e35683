package config

import (
	"fmt"
	"os"
	"strings"
)

// ParseEnvFile parses an environment file in the syntax of systemd's
// EnvironmentFile= (systemd 252's load_env_file, which a test runs as
// an oracle): KEY=VALUE assignments; blank space before a key, around
// "=" and after an unquoted value is dropped; a line starting with # or
// ; is a comment (a backslash at its end continues the comment); an
// unquoted value keeps quotes met after its first character and drops
// a backslash before any character (a backslash-newline joins the next
// line); a value that starts with a quote is single-quoted (literal,
// newlines included) or double-quoted (backslash escapes only " \ $ `,
// other backslashes are kept, a backslash-newline is dropped), and
// quoted pieces separated by blanks are joined ("a" "b" is ab). CR
// ends a line as LF does. No $VAR expansion is done. name is used in
// error messages.
//
// The differences from systemd: a key without "=", an invalid key and
// a quote still open at the end of the file are errors naming the line
// the assignment starts on (systemd skips the first two, with a log
// message for an invalid key, and takes the rest of the file as the
// value); an "export " prefix (shell-style .env files) is dropped,
// where systemd would read "export KEY" as an invalid key.
func ParseEnvFile(name string, data []byte) ([]EnvVar, error) {
	const (
		preKey = iota
		inKey
		preValue
		inValue
		valueEscape
		singleQuote
		doubleQuote
		doubleEscape
		comment
		commentEscape
	)
	var (
		out        []EnvVar
		key, val   strings.Builder
		keyEnd     int // key length without trailing blanks
		valEnd     = -1
		state      = preKey
		line       = 1 // line of the current character
		start      = 1 // line the current assignment starts on
		blank      = func(c byte) bool { return c == ' ' || c == '\t' }
		newline    = func(c byte) bool { return c == '\n' || c == '\r' }
		assignment = func() error {
			k := key.String()[:keyEnd]
			if rest, ok := strings.CutPrefix(k, "export"); ok && rest != "" && blank(rest[0]) {
				k = strings.TrimLeft(rest, " \t")
			}
			if !validEnvKey(k) {
				return fmt.Errorf("%s:%d: invalid variable name %q", name, start, k)
			}
			v := val.String()
			if valEnd >= 0 {
				v = v[:valEnd]
			}
			out = append(out, EnvVar{Key: k, Value: v})
			key.Reset()
			val.Reset()
			keyEnd, valEnd = 0, -1
			return nil
		}
	)
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch state {
		case preKey:
			switch {
			case c == '#' || c == ';':
				state = comment
			case blank(c) || newline(c):
			default:
				state, start = inKey, line
				key.WriteByte(c)
				keyEnd = key.Len()
			}
		case inKey:
			switch {
			case newline(c):
				return nil, fmt.Errorf("%s:%d: expected KEY=VALUE, got %q", name, start, strings.TrimSpace(key.String()))
			case c == '=':
				state = preValue
			default:
				key.WriteByte(c)
				if !blank(c) {
					keyEnd = key.Len()
				}
			}
		case preValue:
			switch {
			case newline(c):
				state = preKey
				if err := assignment(); err != nil {
					return nil, err
				}
			case c == '\'':
				state = singleQuote
			case c == '"':
				state = doubleQuote
			case c == '\\':
				state = valueEscape
			case blank(c):
			default:
				state = inValue
				val.WriteByte(c)
			}
		case inValue:
			switch {
			case newline(c):
				state = preKey
				if err := assignment(); err != nil {
					return nil, err
				}
			case c == '\\':
				state, valEnd = valueEscape, -1
			case blank(c):
				if valEnd < 0 {
					valEnd = val.Len()
				}
				val.WriteByte(c)
			default:
				valEnd = -1
				val.WriteByte(c)
			}
		case valueEscape:
			state = inValue
			if !newline(c) {
				val.WriteByte(c)
			}
		case singleQuote:
			if c == '\'' {
				state = preValue
			} else {
				val.WriteByte(c)
			}
		case doubleQuote:
			switch c {
			case '"':
				state = preValue
			case '\\':
				state = doubleEscape
			default:
				val.WriteByte(c)
			}
		case doubleEscape:
			state = doubleQuote
			switch {
			case c == '"' || c == '\\' || c == '$' || c == '`':
				val.WriteByte(c)
			case c == '\n':
			default:
				val.WriteByte('\\')
				val.WriteByte(c)
			}
		case comment:
			switch {
			case c == '\\':
				state = commentEscape
			case newline(c):
				state = preKey
			}
		case commentEscape:
			state = comment
		}
		if c == '\n' {
			line++
		}
	}
	switch state {
	case inKey:
		return nil, fmt.Errorf("%s:%d: expected KEY=VALUE, got %q", name, start, strings.TrimSpace(key.String()))
	case preValue, inValue, valueEscape:
		if err := assignment(); err != nil {
			return nil, err
		}
	case singleQuote:
		return nil, fmt.Errorf("%s:%d: %s: unterminated single quote", name, start, strings.TrimSpace(key.String()))
	case doubleQuote, doubleEscape:
		return nil, fmt.Errorf("%s:%d: %s: unterminated double quote", name, start, strings.TrimSpace(key.String()))
	}
	return out, nil
}

func validEnvKey(k string) bool {
	if k == "" || k[0] >= '0' && k[0] <= '9' {
		return false
	}
	for _, c := range k {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ReadEnvFiles reads files in order (a later file's value for a key
// wins); a missing optional file is skipped, a missing required one is
// an error naming it.
func ReadEnvFiles(files []EnvFile) ([]EnvVar, error) {
	var out []EnvVar
	for _, f := range files {
		data, err := os.ReadFile(f.Path)
		if err != nil {
			if f.Optional && os.IsNotExist(err) {
				continue
			}
			return nil, fmt.Errorf("couldn't read environment_file %s: %v", f.Path, err)
		}
		vars, err := ParseEnvFile(f.Path, data)
		if err != nil {
			return nil, fmt.Errorf("environment_file %v", err)
		}
		out = append(out, vars...)
	}
	return out, nil
}
