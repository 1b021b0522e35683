package export

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file is the writing side of every import: a superd config built
// section by section, with each value escaped for supervisord's reader
// and everything that could not be mapped kept as a comment above its
// section.

type importOptions struct {
	// Dropin leaves out the [supervisord] section.
	Dropin bool
	// System says a crontab has a user column (cron.d, /etc/crontab).
	System bool
}

// confSection is one section of an imported config.
type confSection struct {
	name     string // "program:web"
	comments []string
	keys     []string
	values   map[string]string // escaped, ready to write
	// disabled sections are written commented out: they could not be
	// mapped well enough to load.
	disabled bool
}

// confFile is an imported config being built.
type confFile struct {
	header   []string
	sections []*confSection
	names    map[string]bool
	// warnings are printed on stderr (once each) besides the comments
	warnings []string
}

// warn adds a warning for stderr, once.
func (c *confFile) warn(format string, a ...any) {
	w := fmt.Sprintf(format, a...)
	if !slices.Contains(c.warnings, w) {
		c.warnings = append(c.warnings, w)
	}
}

func newConf(header ...string) *confFile {
	return &confFile{header: header, names: map[string]bool{}}
}

// section adds a section kind:name, making name unique (name-2, ...) and
// valid for supervisord; it returns the section.
func (c *confFile) section(kind, name string) *confSection {
	name = confName(name)
	base, n := name, 2
	for c.names[kind+":"+name] {
		name = fmt.Sprintf("%s-%d", base, n)
		n++
	}
	c.names[kind+":"+name] = true
	s := &confSection{name: kind + ":" + name, values: map[string]string{}}
	c.sections = append(c.sections, s)
	return s
}

var confNameBad = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// confName makes a program or job name supervisord accepts (no ':',
// no spaces, no brackets).
func confName(s string) string {
	s = strings.Trim(confNameBad.ReplaceAllString(s, "-"), "-")
	if s == "" {
		s = "x"
	}
	return s
}

// raw sets an already escaped value.
func (s *confSection) raw(key, value string) {
	if _, ok := s.values[key]; !ok {
		s.keys = append(s.keys, key)
	}
	s.values[key] = value
}

// set sets a plain value, escaping it; a value supervisord's format
// cannot hold becomes a comment.
func (s *confSection) set(key, value string) {
	v, err := confValue(value)
	if err != nil {
		s.note("%s = %q: %v", key, value, err)
		return
	}
	s.raw(key, v)
}

// command sets command= from argv.
func (s *confSection) command(argv []string) bool {
	v, err := confCommand(argv)
	if err != nil {
		s.note("command %q: %v", strings.Join(argv, " "), err)
		return false
	}
	s.raw("command", v)
	return true
}

// environment sets environment= from pairs.
func (s *confSection) environment(env []kv) {
	var ok []kv
	for _, e := range env {
		if _, err := confEnvironment([]kv{e}); err != nil {
			s.note("%v", err)
			continue
		}
		ok = append(ok, e)
	}
	if len(ok) == 0 {
		return
	}
	v, err := confEnvironment(ok)
	if err != nil {
		s.note("%v", err)
		return
	}
	s.raw("environment", v)
}

// note adds a comment line above the section.
func (s *confSection) note(format string, a ...any) {
	s.comments = append(s.comments, fmt.Sprintf(format, a...))
}

func (c *confFile) String(dropin bool) string {
	var b strings.Builder
	for _, h := range c.header {
		b.WriteString(commentLine(h))
	}
	if !dropin {
		b.WriteString("\n[supervisord]\n")
	}
	for _, s := range c.sections {
		b.WriteString("\n")
		for _, n := range s.comments {
			b.WriteString(commentLine(n))
		}
		c := ""
		if s.disabled {
			b.WriteString("; left out: it could not be mapped well enough to load\n")
			c = ";"
		}
		b.WriteString(c + "[" + s.name + "]\n")
		for _, k := range s.keys {
			b.WriteString(c + k + " = " + s.values[k] + "\n")
		}
	}
	return b.String()
}

// commentLine writes text as "; " comment lines (one per line of text).
func commentLine(text string) string {
	var b strings.Builder
	for _, l := range strings.Split(text, "\n") {
		b.WriteString(strings.TrimRight("; "+l, " ") + "\n")
	}
	return b.String()
}

func importMain(format string, args []string, opt importOptions, env Env, fail func(int, string, ...any) int) int {
	if len(args) == 0 {
		return fail(2, "import %s: which file?", format)
	}
	inputs := make([]input, 0, len(args))
	for _, a := range args {
		data, err := os.ReadFile(a)
		if err != nil && format == "systemd" {
			// an instance of a template unit: name@inst.service is
			// read from name@.service
			if prefix, rest, ok := strings.Cut(filepath.Base(a), "@"); ok && os.IsNotExist(err) {
				if _, ext, ok := strings.Cut(rest, "."); ok {
					if d, terr := os.ReadFile(filepath.Join(filepath.Dir(a), prefix+"@."+ext)); terr == nil {
						data, err = d, nil
					}
				}
			}
		}
		if err != nil {
			return fail(1, "import %s: %v", format, err)
		}
		inputs = append(inputs, input{Path: a, Data: data})
	}
	var (
		conf *confFile
		err  error
	)
	switch format {
	case "cron", "crontab":
		conf, err = importCron(inputs, opt)
	case "systemd":
		conf, err = importSystemd(inputs)
	case "procfile", "Procfile":
		conf, err = importProcfile(inputs)
	default:
		return fail(2, "import: unknown format %q (cron, systemd, procfile)", format)
	}
	if err != nil {
		return fail(1, "import %s: %v", format, err)
	}
	fmt.Fprint(env.Stdout, conf.String(opt.Dropin))
	reportLeftOut(env.Stderr, format, conf)
	return 0
}

// reportLeftOut tells on stderr which sections were written commented
// out, with the notes above each (the file:line or unit, and why): a
// user who redirects stdout into a file must not lose them without a
// word.
func reportLeftOut(w io.Writer, format string, conf *confFile) {
	for _, warning := range conf.warnings {
		fmt.Fprintf(w, "import %s: warning: %s\n", format, warning)
	}
	left := 0
	for _, s := range conf.sections {
		if !s.disabled {
			continue
		}
		left++
		fmt.Fprintf(w, "import %s: [%s] left out (commented out in the output):\n", format, s.name)
		for _, c := range s.comments {
			fmt.Fprintf(w, "  %s\n", c)
		}
	}
	if left > 0 {
		fmt.Fprintf(w, "import %s: %d of %d section(s) left out\n", format, left, len(conf.sections))
	}
}

// input is one file given to an import.
type input struct {
	Path string
	Data []byte
}

// seconds writes a duration as whole seconds.
func seconds(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}
