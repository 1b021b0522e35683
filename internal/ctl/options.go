package ctl

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/superd/superd/pkg/config"
)

// usageDoc is printed by -h; "%s" is replaced by the program name, as
// supervisorctl does with its module docstring.
const usageDoc = `superctl -- control applications run by superd (or supervisord) from the cmd line.

Usage: %s [options] [action [arguments]]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-h/--help -- print usage message and exit
-i/--interactive -- start an interactive shell after executing commands
-s/--serverurl URL -- URL on which supervisord server is listening
     (default: the [supervisorctl] serverurl of the config file, else
     superd's built-in socket).
-u/--username USERNAME -- username to use for authentication with server
-p/--password PASSWORD -- password to use for authentication with server
-r/--history-file -- keep a readline history (if readline is available)

action [arguments] -- see below

Actions are commands like "tail" or "stop".  If -i is specified or no action is
specified on the command line, a "shell" interpreting actions typed
interactively is started.  Use the action "help" to find out about available
actions.  The read commands status, pid, avail, version and reread accept
--json to print machine-readable output.
`

// options is the realized client configuration (supervisor's
// ClientOptions): command line first, then the [supervisorctl] section,
// then defaults.
type options struct {
	progname    string
	configFile  string // "" when none was given or found
	serverURL   string
	username    string
	password    string
	prompt      string
	historyFile string
	interactive bool
	args        []string
	// defaultURL is true when serverURL is the built-in default (no
	// -s, no config file): used for the "is superd running?" hint.
	defaultURL bool
}

// usageError is a command-line or config error: printed as
// "Error: <msg>" plus a "For help" line on stderr, exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// errHelp is returned by parseOptions for -h / -?.
var errHelp = errors.New("help requested")

type optSpec struct {
	short   byte
	long    string
	hasArg  bool
	name    string // attribute name; "" for -h
	handler func(string) (string, error)
}

var optSpecs = []optSpec{
	{'h', "help", false, "", nil},
	{'?', "", false, "", nil},
	{'c', "configuration", true, "configfile", nil},
	{'i', "interactive", false, "interactive", nil},
	{'s', "serverurl", true, "serverurl", checkURL},
	{'u', "username", true, "username", nil},
	{'p', "password", true, "password", nil},
	{'r', "history_file", true, "history", nil},
}

// getopt implements Python's getopt.getopt: options stop at the first
// non-option argument or "--"; long options may be abbreviated to a
// unique prefix.
func getopt(args []string) (opts [][2]string, rest []string, err error) {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		if args[0] == "--" {
			args = args[1:]
			break
		}
		if strings.HasPrefix(args[0], "--") {
			opt, val, hasVal := strings.Cut(args[0][2:], "=")
			var matches []optSpec
			var exact *optSpec
			for i, s := range optSpecs {
				if s.long != "" && strings.HasPrefix(s.long, opt) {
					matches = append(matches, s)
					if s.long == opt {
						exact = &optSpecs[i]
					}
				}
			}
			if len(matches) == 0 {
				return nil, nil, &usageError{fmt.Sprintf("option --%s not recognized", opt)}
			}
			spec := exact
			if spec == nil {
				if len(matches) > 1 {
					return nil, nil, &usageError{fmt.Sprintf("option --%s not a unique prefix", opt)}
				}
				spec = &matches[0]
			}
			args = args[1:]
			if spec.hasArg {
				if !hasVal {
					if len(args) == 0 {
						return nil, nil, &usageError{fmt.Sprintf("option --%s requires argument", spec.long)}
					}
					val, args = args[0], args[1:]
				}
			} else if hasVal {
				return nil, nil, &usageError{fmt.Sprintf("option --%s must not have an argument", spec.long)}
			}
			opts = append(opts, [2]string{"--" + spec.long, val})
			continue
		}
		s := args[0][1:]
		args = args[1:]
		for s != "" {
			c := s[0]
			s = s[1:]
			var spec *optSpec
			for i := range optSpecs {
				if optSpecs[i].short == c {
					spec = &optSpecs[i]
				}
			}
			if spec == nil {
				return nil, nil, &usageError{fmt.Sprintf("option -%c not recognized", c)}
			}
			val := ""
			if spec.hasArg {
				if s == "" {
					if len(args) == 0 {
						return nil, nil, &usageError{fmt.Sprintf("option -%c requires argument", c)}
					}
					s, args = args[0], args[1:]
				}
				val, s = s, ""
			}
			opts = append(opts, [2]string{"-" + string(c), val})
		}
	}
	return opts, args, nil
}

func specFor(opt string) optSpec {
	for _, s := range optSpecs {
		if opt == "-"+string(s.short) || (s.long != "" && opt == "--"+s.long) {
			return s
		}
	}
	return optSpec{}
}

// checkURL is supervisor's datatypes.url: a scheme and a netloc or path.
func checkURL(v string) (string, error) {
	scheme, rest := splitScheme(v)
	if scheme != "" {
		netloc, path := "", rest
		if strings.HasPrefix(rest, "//") {
			rest = rest[2:]
			i := strings.IndexAny(rest, "/?#")
			if i < 0 {
				i = len(rest)
			}
			netloc, path = rest[:i], rest[i:]
		}
		if i := strings.IndexAny(path, "?#"); i >= 0 {
			path = path[:i]
		}
		if netloc != "" || path != "" {
			return v, nil
		}
	}
	return "", fmt.Errorf("value %s is not a URL", pyRepr(v))
}

// splitScheme is urllib's scheme detection.
func splitScheme(v string) (scheme, rest string) {
	i := strings.IndexByte(v, ':')
	if i <= 0 {
		return "", v
	}
	c0 := v[0]
	if !(c0 >= 'a' && c0 <= 'z' || c0 >= 'A' && c0 <= 'Z') {
		return "", v
	}
	for _, c := range v[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return "", v
		}
	}
	return strings.ToLower(v[:i]), v[i+1:]
}

// pyRepr quotes s as Python's repr does.
func pyRepr(s string) string { return config.PyRepr(s) }

// parseOptions realizes the options from the command line, the config
// file and the defaults, as ClientOptions.realize does.
func parseOptions(progname string, args []string) (*options, error) {
	o := &options{progname: progname}
	pairs, rest, err := getopt(args)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	var cliURL, cliUser, cliPass, cliHist string
	for _, p := range pairs {
		spec := specFor(p[0])
		if spec.name == "" {
			return nil, errHelp
		}
		val := p[1]
		if spec.handler != nil {
			v, err := spec.handler(val)
			if err != nil {
				return nil, &usageError{fmt.Sprintf("invalid value for %s %s: %v", p[0], pyRepr(val), err)}
			}
			val = v
		}
		if set[spec.name] {
			return nil, &usageError{fmt.Sprintf("conflicting command line option %s", pyRepr(p[0]))}
		}
		set[spec.name] = true
		switch spec.name {
		case "configfile":
			o.configFile = val
		case "interactive":
			o.interactive = true
		case "serverurl":
			cliURL = val
		case "username":
			cliUser = val
		case "password":
			cliPass = val
		case "history":
			cliHist = val
		}
	}
	o.args = rest

	if !set["configfile"] {
		o.configFile = findConfig(progname)
	}
	sec := &ctlSection{prompt: "supervisor"}
	if o.configFile != "" {
		sec, err = readCtlConfig(o.configFile)
		if err != nil {
			return nil, &usageError{err.Error()}
		}
	}
	o.serverURL = firstNonEmpty(cliURL, sec.serverURL)
	if o.serverURL == "" {
		o.serverURL = defaultServerURL()
		o.defaultURL = true
	}
	o.username = firstNonEmpty(cliUser, sec.username)
	o.password = firstNonEmpty(cliPass, sec.password)
	o.prompt = sec.prompt
	o.historyFile = firstNonEmpty(cliHist, sec.historyFile)
	if len(o.args) == 0 {
		o.interactive = true
	}
	return o, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// normalizePath is supervisor's normalize_path: expanduser, abspath,
// normpath.
func normalizePath(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = home + p[1:]
		}
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return filepath.Clean(p)
}
