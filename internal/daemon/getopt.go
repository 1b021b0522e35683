package daemon

import (
	"fmt"
	"strings"
)

// optSpec describes one command-line option in the style of Python's
// getopt, which supervisord uses: short letters with an optional ':'
// for an argument, long names with '=' for an argument, and unique
// prefixes of long names accepted.
type optSpec struct {
	short  byte   // 0 if none
	long   string // "" if none
	hasArg bool
	name   string // key in the result
}

type optVal struct {
	flag string // as written: "-c" or "--configuration"
	name string
	arg  string
}

// getopt parses args the way Python's getopt.getopt does (stopping at
// the first non-option argument) and returns the options in order and
// the remaining arguments. Errors carry getopt's wording.
func getopt(args []string, specs []optSpec) ([]optVal, []string, error) {
	var out []optVal
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			return out, args[1:], nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			return out, args, nil
		}
		args = args[1:]
		if strings.HasPrefix(a, "--") {
			body := a[2:]
			name, val, hasVal := strings.Cut(body, "=")
			s, err := matchLong(name, specs)
			if err != nil {
				return nil, nil, err
			}
			if s.hasArg {
				if !hasVal {
					if len(args) == 0 {
						return nil, nil, fmt.Errorf("option --%s requires argument", s.long)
					}
					val, args = args[0], args[1:]
				}
			} else if hasVal {
				return nil, nil, fmt.Errorf("option --%s must not have an argument", s.long)
			}
			out = append(out, optVal{flag: "--" + s.long, name: s.name, arg: val})
			continue
		}
		// Short options, possibly clustered: -nc file, -cfile.
		for i := 1; i < len(a); i++ {
			c := a[i]
			var s *optSpec
			for j := range specs {
				if specs[j].short == c {
					s = &specs[j]
					break
				}
			}
			if s == nil {
				return nil, nil, fmt.Errorf("option -%c not recognized", c)
			}
			if !s.hasArg {
				out = append(out, optVal{flag: "-" + string(c), name: s.name})
				continue
			}
			val := a[i+1:]
			if val == "" {
				if len(args) == 0 {
					return nil, nil, fmt.Errorf("option -%c requires argument", c)
				}
				val, args = args[0], args[1:]
			}
			out = append(out, optVal{flag: "-" + string(c), name: s.name, arg: val})
			break
		}
	}
	return out, nil, nil
}

func matchLong(name string, specs []optSpec) (*optSpec, error) {
	var found []*optSpec
	for i := range specs {
		s := &specs[i]
		if s.long == "" {
			continue
		}
		if s.long == name {
			return s, nil
		}
		if strings.HasPrefix(s.long, name) {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("option --%s not recognized", name)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("option --%s not a unique prefix", name)
}
