package config

import (
	"fmt"
	"os"
	"strings"
)

// ParseEnvFile parses an environment file in the syntax of systemd's
// EnvironmentFile=: KEY=VALUE lines; empty lines and lines starting
// with # or ; are ignored; whitespace around the key and around an
// unquoted value is dropped; a value may be in single quotes (literal)
// or double quotes (backslash escapes \" \\ \$ \` and \n); a backslash
// at the end of a line continues it on the next. Unlike systemd, which
// skips an invalid line with a log message, a line without "=" or with
// a bad key is an error naming its line, and an `export ` prefix (as
// in shell-style .env files) is accepted. No $VAR expansion is done, as
// in systemd. name is used in error messages.
func ParseEnvFile(name string, data []byte) ([]EnvVar, error) {
	var out []EnvVar
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := lines[i]
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		// Join continuation lines (outside quotes a trailing backslash
		// continues the line; inside quotes the newline is kept).
		for strings.HasSuffix(line, "\\") && !strings.HasSuffix(line, "\\\\") && i+1 < len(lines) {
			i++
			line = line[:len(line)-1] + lines[i]
		}
		line = strings.TrimLeft(line, " \t")
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !validEnvKey(key) {
			return nil, fmt.Errorf("%s:%d: expected KEY=VALUE, got %q", name, lineNo, strings.TrimSpace(lines[lineNo-1]))
		}
		v, err := envValue(strings.TrimLeft(val, " \t"))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %v", name, lineNo, key, err)
		}
		out = append(out, EnvVar{Key: key, Value: v})
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

func envValue(s string) (string, error) {
	var b strings.Builder
	for len(s) > 0 {
		switch c := s[0]; c {
		case '\'':
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return "", fmt.Errorf("unterminated single quote")
			}
			b.WriteString(s[1 : 1+end])
			s = s[2+end:]
		case '"':
			i := 1
			closed := false
			for i < len(s) {
				if s[i] == '\\' && i+1 < len(s) {
					switch s[i+1] {
					case '"', '\\', '$', '`':
						b.WriteByte(s[i+1])
					case 'n':
						b.WriteByte('\n')
					default:
						b.WriteByte('\\')
						b.WriteByte(s[i+1])
					}
					i += 2
					continue
				}
				if s[i] == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				return "", fmt.Errorf("unterminated double quote")
			}
			s = s[i:]
		default:
			// Unquoted: up to the next quote; trailing blanks of the
			// whole value are dropped.
			j := strings.IndexAny(s, `'"`)
			if j < 0 {
				j = len(s)
			}
			part := s[:j]
			s = s[j:]
			if s == "" {
				part = strings.TrimRight(part, " \t")
			}
			b.WriteString(part)
		}
	}
	return b.String(), nil
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
