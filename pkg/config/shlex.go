package config

import (
	"errors"
	"fmt"
	"strings"
)

const shlexWhitespace = " \t\r\n"

// SplitCommand splits a command line as Python's shlex.split (POSIX
// mode, no comments) does: quotes and backslashes are honoured; ';',
// '|', '&&' and '#' are ordinary characters.
func SplitCommand(s string) ([]string, error) {
	var (
		args   = []string{}
		tok    strings.Builder
		inTok  bool
		quoted bool
	)
	const (
		stWord = iota
		stSingle
		stDouble
	)
	state := stWord
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch state {
		case stWord:
			switch {
			case strings.ContainsRune(shlexWhitespace, c):
				if inTok || quoted {
					args = append(args, tok.String())
					tok.Reset()
					inTok, quoted = false, false
				}
			case c == '\'':
				state, quoted, inTok = stSingle, true, true
			case c == '"':
				state, quoted, inTok = stDouble, true, true
			case c == '\\':
				if i+1 >= len(rs) {
					return nil, errors.New("No escaped character")
				}
				i++
				tok.WriteRune(rs[i])
				inTok = true
			default:
				tok.WriteRune(c)
				inTok = true
			}
		case stSingle:
			if c == '\'' {
				state = stWord
			} else {
				tok.WriteRune(c)
			}
		case stDouble:
			switch {
			case c == '"':
				state = stWord
			case c == '\\':
				if i+1 >= len(rs) {
					return nil, errors.New("No escaped character")
				}
				if n := rs[i+1]; n == '"' || n == '\\' {
					tok.WriteRune(n)
					i++
				} else {
					tok.WriteRune(c)
				}
			default:
				tok.WriteRune(c)
			}
		}
	}
	if state != stWord {
		return nil, errors.New("No closing quotation")
	}
	if inTok || quoted {
		args = append(args, tok.String())
	}
	return args, nil
}

func isEnvWordChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.ContainsRune("_/.+-():", c)
}

// envTokens is Python's non-POSIX shlex.shlex(s) with wordchars
// extended by "/.+-():" (supervisor's dict_of_key_value_pairs).
func envTokens(s string) ([]string, error) {
	rs := []rune(s)
	var toks []string
	i := 0
	next := func() (rune, bool) {
		if i >= len(rs) {
			return 0, false
		}
		c := rs[i]
		i++
		return c, true
	}
	skipLine := func() {
		for i < len(rs) {
			c := rs[i]
			i++
			if c == '\n' {
				return
			}
		}
	}
	for {
		var tok []rune
		state := ' '
	read:
		for {
			c, ok := next()
			switch {
			case state == ' ':
				switch {
				case !ok:
					break read
				case strings.ContainsRune(shlexWhitespace, c):
					if len(tok) > 0 {
						break read
					}
				case c == '#':
					skipLine()
				case isEnvWordChar(c):
					tok = []rune{c}
					state = 'a'
				case c == '\'' || c == '"':
					tok = []rune{c}
					state = c
				default:
					tok = []rune{c}
					break read
				}
			case state == '\'' || state == '"':
				if !ok {
					return nil, errors.New("No closing quotation")
				}
				tok = append(tok, c)
				if c == state {
					break read
				}
			default: // 'a'
				switch {
				case !ok:
					break read
				case strings.ContainsRune(shlexWhitespace, c):
					break read
				case c == '#':
					// non-POSIX: the comment is skipped and the word goes on
					skipLine()
				case isEnvWordChar(c) || c == '\'' || c == '"':
					tok = append(tok, c)
				default:
					i-- // push back
					break read
				}
			}
		}
		if len(tok) == 0 {
			return toks, nil
		}
		toks = append(toks, string(tok))
	}
}

// parseEnvironment is supervisor's dict_of_key_value_pairs. Duplicate
// keys keep their first position and take the last value.
func parseEnvironment(arg string) ([]EnvVar, error) {
	toks, err := envTokens(arg)
	if err != nil {
		return nil, err
	}
	var out []EnvVar
	idx := map[string]int{}
	for i := 0; i < len(toks); i += 4 {
		if i+3 > len(toks) || toks[i+1] != "=" {
			return nil, fmt.Errorf("Unexpected end of key/value pairs in value '%s'", arg)
		}
		k, v := toks[i], strings.Trim(toks[i+2], `'"`)
		if j, ok := idx[k]; ok {
			out[j].Value = v
			continue
		}
		idx[k] = len(out)
		out = append(out, EnvVar{Key: k, Value: v})
	}
	return out, nil
}
