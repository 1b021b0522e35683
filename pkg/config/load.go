package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// LoadOptions makes a load reproducible (tests) or lets a caller
// supply supervisord's start-time environment.
type LoadOptions struct {
	// Environ is the environment seen by %(ENV_x)s (nil: os.Environ()).
	Environ []string
	// Hostname is %(host_node_name)s ("": os.Hostname()).
	Hostname string
}

// LoadWith is Load with explicit options.
func LoadWith(path string, o LoadOptions) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("could not find config file %s: %w", path, err)
		}
		return nil, fmt.Errorf("could not read config file %s: %w", path, err)
	}
	return load(path, data, o)
}

// Parse reads a config from memory as if it were the file name (which
// sets %(here)s and the base for [include] patterns).
func Parse(name string, data []byte) (*Config, error) {
	return load(name, data, LoadOptions{})
}

// ParseWith is Parse with explicit options.
func ParseWith(name string, data []byte, o LoadOptions) (*Config, error) {
	return load(name, data, o)
}

type loader struct {
	p        *iniParser
	cfg      *Config
	file     string // main file as named
	here     string
	host     string
	environ  map[string]any // supervisord's environ_expansions
	osEnv    map[string]any // the same before [supervisord] environment (supervisorctl's view)
	errs     []error
	seenErr  map[string]bool
	scaling  map[*rawSection]*Scaling // [program:x] sections' numprocs templates
	included map[string]string        // file -> "main:line"
	listens  []listenUse              // listen= sockets seen (listen.go)
}

func load(name string, data []byte, o LoadOptions) (*Config, error) {
	l := &loader{
		p:        newIniParser(),
		file:     name,
		environ:  map[string]any{},
		seenErr:  map[string]bool{},
		included: map[string]string{},
		scaling:  map[*rawSection]*Scaling{},
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		abs = name
	}
	l.here = filepath.Dir(abs)
	env := o.Environ
	if env == nil {
		env = os.Environ()
	}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			l.environ["ENV_"+k] = v
		}
	}
	l.osEnv = merged(l.environ)
	l.host = o.Hostname
	if l.host == "" {
		l.host, _ = os.Hostname()
	}
	l.cfg = &Config{File: abs, Files: []string{abs}}
	if name == "" || name == defaultName {
		l.cfg.File, l.cfg.Files = "", nil
	}

	if err := l.p.read(name, string(data)); err != nil {
		l.parseErr(err)
		return nil, errors.Join(l.errs...)
	}
	l.includes()
	if len(l.errs) > 0 {
		return nil, errors.Join(l.errs...)
	}
	sup := l.p.byName["supervisord"]
	if sup == nil {
		l.errs = append(l.errs, &Error{File: name, Msg: ".ini file does not include supervisord section"})
		return nil, errors.Join(l.errs...)
	}
	l.supervisord(sup)
	l.superdKeys(sup)
	l.rpcinterfaces()
	l.groups()
	l.jobs()
	l.checkRequires()
	l.servers()
	l.checkListen()
	l.supervisorctl()
	l.unknowns()
	if len(l.errs) > 0 {
		return nil, errors.Join(l.errs...)
	}
	return l.cfg, nil
}

func (l *loader) parseErr(err error) {
	var pe *parseError
	if errors.As(err, &pe) {
		for i, n := range pe.Lines {
			one := &parseError{File: pe.File, Lines: []int{n}, Texts: []string{pe.Texts[i]}, missingHeader: pe.missingHeader}
			l.errs = append(l.errs, &Error{File: pe.File, Line: n, IncludedFrom: l.included[pe.File], Msg: one.Error()})
		}
		return
	}
	l.errs = append(l.errs, err)
}

func (l *loader) warn(file string, line int, format string, args ...any) {
	loc := file
	if line > 0 {
		loc = fmt.Sprintf("%s:%d", file, line)
	}
	l.cfg.Warnings = append(l.cfg.Warnings, loc+": "+fmt.Sprintf(format, args...))
}

// fail records an error about opt of section sec (opt "" for the
// section itself).
func (l *loader) fail(sec *rawSection, opt string, err error) {
	e := &Error{Section: sec.Name, Option: opt, Msg: err.Error(), File: sec.File, Line: sec.Line}
	if opt != "" {
		if o := l.p.get(sec, opt); o != nil {
			e.File, e.Line, e.Value = o.File, o.Line, o.Value
		}
	}
	e.IncludedFrom = l.included[e.File]
	// one error per option (a group-level and a process-level reading
	// of the same value, or every process of a numprocs template,
	// would otherwise repeat it)
	key := e.Error()
	if opt != "" && opt != "programs" {
		key = sec.Name + "\x00" + opt
	}
	if l.seenErr[key] {
		return
	}
	l.seenErr[key] = true
	l.errs = append(l.errs, e)
}

func merged(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// get is UnhosedConfigParser.saneget: the value (or def when absent and
// def != nil) expanded with the environ expansions plus extra. ok is
// false when the option is absent without default or expansion failed.
func (l *loader) get(sec *rawSection, opt string, def *string, extra map[string]any, doExpand bool) (val string, present, ok bool) {
	o := l.p.get(sec, opt)
	switch {
	case o != nil:
		val, present = o.Value, true
	case def != nil:
		val = *def
	default:
		return "", false, false
	}
	if doExpand {
		v, err := expand(val, merged(l.environ, extra), sec.Name+"."+opt)
		if err != nil {
			l.fail(sec, opt, err)
			return "", present, false
		}
		val = v
	}
	return val, present, true
}

func sp(s string) *string { return &s }

// conv applies a validator to an option value, recording its error.
func conv[T any](l *loader, sec *rawSection, opt string, v string, ok bool, f func(string) (T, error)) (T, bool) {
	var zero T
	if !ok {
		return zero, false
	}
	r, err := f(v)
	if err != nil {
		l.fail(sec, opt, err)
		return zero, false
	}
	return r, true
}

func (l *loader) includes() {
	inc := l.p.byName["include"]
	if inc == nil {
		return
	}
	l.p.expandHere(l.here)
	o := l.p.get(inc, "files")
	if o == nil {
		l.errs = append(l.errs, &Error{File: inc.File, Line: inc.Line, Section: "include", Msg: ".ini file has [include] section, but no files setting"})
		return
	}
	files, err := expand(o.Value, merged(l.environ, map[string]any{"here": l.here, "host_node_name": l.host}), "include.files")
	if err != nil {
		l.fail(inc, "files", err)
		return
	}
	from := fmt.Sprintf("%s:%d", o.File, o.Line)
	for _, pattern := range strings.Fields(files) {
		pattern = pyJoin(l.here, pattern)
		names := pyGlob(pattern)
		if len(names) == 0 {
			l.warn(o.File, o.Line, "No file matches via include %q", pattern)
			continue
		}
		sort.Strings(names)
		for _, fn := range names {
			data, err := os.ReadFile(fn)
			if err != nil {
				// RawConfigParser.read skips unreadable files silently
				l.warn(o.File, o.Line, "included file %s skipped: %v", fn, err)
				continue
			}
			l.included[fn] = from
			before := len(l.p.sections)
			if err := l.p.read(fn, string(data)); err != nil {
				l.parseErr(err)
				return
			}
			for _, s := range l.p.sections[before:] {
				l.p.sectionFile[s.Name] = fn
			}
			if fo := inc.opts["files"]; fo != nil && fo.File == fn {
				l.warn(fo.File, fo.Line, "[include] in an included file is ignored (no nesting)")
			}
			l.cfg.Files = append(l.cfg.Files, fn)
			fabs, _ := filepath.Abs(fn)
			l.p.expandHere(filepath.Dir(fabs))
		}
	}
}

func (l *loader) supervisord(sec *rawSection) {
	c := &l.cfg.Supervisord
	here := map[string]any{"here": l.here}
	get := func(opt, def string) (string, bool) {
		v, _, ok := l.get(sec, opt, &def, here, true)
		return v, ok
	}
	str := func(opt, def string) (string, bool) { return get(opt, def) }
	intv := func(opt, def string) (int, bool) {
		v, ok := get(opt, def)
		return conv(l, sec, opt, v, ok, pyInt)
	}
	boolv := func(opt, def string) (bool, bool) {
		v, ok := get(opt, def)
		return conv(l, sec, opt, v, ok, pyBool)
	}
	c.Minfds, _ = intv("minfds", "1024")
	c.Minprocs, _ = intv("minprocs", "200")
	if v, present, ok := l.get(sec, "directory", nil, here, true); present && ok {
		c.Directory, _ = conv(l, sec, "directory", v, true, existingDirectory)
	}
	if v, present, ok := l.get(sec, "user", nil, here, true); present && ok {
		c.User = v
		c.UID = -1
		if uid, ok := conv(l, sec, "user", v, true, nameToUID); ok {
			c.UID = uid
		}
	} else {
		c.UID = -1
	}
	if v, ok := get("umask", "022"); ok {
		c.Umask, _ = conv(l, sec, "umask", v, true, octal)
	}
	if v, ok := get("logfile", "supervisord.log"); ok {
		if lf, ok := conv(l, sec, "logfile", v, true, existingDirpath); ok {
			if lf != "syslog" {
				lf = normalizePath(lf)
			}
			c.Logfile = lf
		}
	}
	if v, ok := get("logfile_maxbytes", "50MB"); ok {
		c.LogfileMaxBytes, _ = conv(l, sec, "logfile_maxbytes", v, true, byteSize)
	}
	c.LogfileBackups, _ = intv("logfile_backups", "10")
	if v, ok := get("loglevel", "info"); ok {
		c.LogLevel, _ = conv(l, sec, "loglevel", v, true, logLevel)
	}
	if v, ok := get("pidfile", "supervisord.pid"); ok {
		if pf, ok := conv(l, sec, "pidfile", v, true, existingDirpath); ok {
			c.Pidfile = normalizePath(pf)
		}
	}
	c.Identifier, _ = str("identifier", "supervisor")
	c.Nodaemon, _ = boolv("nodaemon", "false")
	c.Silent, _ = boolv("silent", "false")
	if v, ok := get("childlogdir", os.TempDir()); ok {
		c.ChildLogDir, _ = conv(l, sec, "childlogdir", v, true, existingDirectory)
	}
	c.NoCleanup, _ = boolv("nocleanup", "false")
	c.StripANSI, _ = boolv("strip_ansi", "false")
	if on, ok := boolv("metrics", "true"); ok {
		c.NoMetrics = !on
	}
	if v, ok := get("environment", ""); ok {
		// expanded a second time, with host_node_name this time
		v2, err := expand(v, merged(l.environ, map[string]any{"here": l.here, "host_node_name": l.host}), "environment")
		if err != nil {
			l.fail(sec, "environment", err)
		} else if env, err := parseEnvironment(v2); err != nil {
			l.fail(sec, "environment", err)
		} else {
			c.Environment = map[string]string{}
			for _, kv := range env {
				c.Environment[kv.Key] = kv.Value
				l.environ["ENV_"+kv.Key] = kv.Value
			}
		}
	}
}

func (l *loader) rpcinterfaces() {
	const key = "supervisor.rpcinterface_factory"
	for _, s := range l.p.sections {
		if !strings.HasPrefix(s.Name, "rpcinterface:") {
			continue
		}
		name := strings.SplitN(s.Name, ":", 2)[1]
		spec, _, ok := l.get(s, key, nil, nil, true)
		if !ok {
			if l.p.get(s, key) == nil {
				l.fail(s, "", fmt.Errorf("section [%s] does not specify a %s", s.Name, key))
			}
			continue
		}
		var extras []string
		for _, k := range l.p.items(s) {
			if k != key {
				l.get(s, k, nil, nil, true)
				extras = append(extras, k)
			}
		}
		if spec == "supervisor.rpcinterface:make_main_rpcinterface" && len(extras) > 0 {
			// supervisord passes the other keys to the factory, which
			// takes none, and refuses to start (a section header
			// missing above a program's lines ends up here).
			l.fail(s, extras[0], fmt.Errorf("Could not make %s rpc interface (make_main_rpcinterface() got an unexpected keyword argument '%s')", name, extras[0]))
			continue
		}
		l.cfg.RPCInterfaces = append(l.cfg.RPCInterfaces, name)
		if name != "supervisor" {
			l.warn(s.File, s.Line, "[%s] ignored: superd only provides the built-in supervisor interface", s.Name)
		} else if spec != "supervisor.rpcinterface:make_main_rpcinterface" {
			l.warn(s.File, s.Line, "[%s] %s = %s ignored: superd always uses its built-in interface", s.Name, key, spec)
		}
	}
}

// errGroupPriority marks a group-level priority that failed, so the
// per-process evaluation does not report it twice.
func (l *loader) groups() {
	hereOnly := map[string]any{"here": l.here}
	all := map[string]bool{}
	for _, s := range l.p.sections {
		all[s.Name] = true
	}
	groups := []*Group{}
	exclude := map[string]bool{}
	for _, s := range l.p.sections {
		if !strings.HasPrefix(s.Name, "group:") {
			continue
		}
		gname, err := processOrGroupName(strings.SplitN(s.Name, ":", 2)[1])
		if err != nil {
			l.fail(s, "", err)
			continue
		}
		progs, _, ok := l.get(s, "programs", sp(""), hereOnly, true)
		if !ok {
			continue
		}
		pv, _, gok := l.get(s, "priority", sp("999"), hereOnly, true)
		prio, pok := conv(l, s, "priority", pv, gok, pyInt)
		g := &Group{Name: gname, Kind: KindProgram, Priority: prio, Source: fmt.Sprintf("%s:%d", s.File, s.Line)}
		// 4.2.5 names the previous member's program section in these
		// errors (the loop variable is reused); so do we.
		secName := s.Name
		for _, prog := range listOfStrings(progs) {
			ps, fs := "program:"+prog, "fcgi-program:"+prog
			if !all[ps] && !all[fs] {
				l.fail(s, "programs", fmt.Errorf("[%s] names unknown program or fcgi-program %s", secName, prog))
				continue
			}
			if all[ps] && all[fs] {
				l.fail(s, "programs", fmt.Errorf("[%s] name %s is ambiguous (exists as program and fcgi-program)", secName, prog))
				continue
			}
			sect := ps
			if !all[ps] {
				sect = fs
			}
			secName = sect
			exclude[sect] = true
			kind := KindProgram
			if all[fs] {
				kind = KindFCGIProgram
			}
			g.Processes = append(g.Processes, l.processes(l.p.byName[sect], gname, kind)...)
		}
		if pok {
			groups = append(groups, g)
		}
	}
	for _, s := range l.p.sections {
		if !strings.HasPrefix(s.Name, "program:") || exclude[s.Name] {
			continue
		}
		pname, err := processOrGroupName(strings.SplitN(s.Name, ":", 2)[1])
		if err != nil {
			l.fail(s, "", err)
			continue
		}
		v, _, ok := l.get(s, "priority", sp("999"), hereOnly, true)
		prio, pok := conv(l, s, "priority", v, ok, pyInt)
		procs := l.processes(s, pname, KindProgram)
		if pok && ok {
			groups = append(groups, &Group{Name: pname, Kind: KindProgram, Priority: prio, Processes: procs, Source: fmt.Sprintf("%s:%d", s.File, s.Line),
				Scaling: l.scaling[s]})
		}
	}
	for _, s := range l.p.sections {
		if !strings.HasPrefix(s.Name, "eventlistener:") {
			continue
		}
		if g := l.eventListener(s, hereOnly); g != nil {
			groups = append(groups, g)
		}
	}
	for _, s := range l.p.sections {
		if !strings.HasPrefix(s.Name, "fcgi-program:") || exclude[s.Name] {
			continue
		}
		if g := l.fcgiGroup(s, hereOnly); g != nil {
			groups = append(groups, g)
		}
	}
	for _, g := range groups {
		if g.Processes == nil {
			g.Processes = []*Process{}
		}
		for i, p := range g.Processes {
			p.Seq = i
		}
		sortProcesses(g.Processes)
	}
	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].Priority != groups[j].Priority {
			return groups[i].Priority < groups[j].Priority
		}
		return groups[i].Name < groups[j].Name
	})
	l.resolveDeps(groups)
	l.cfg.Groups = groups
}

func sortProcesses(ps []*Process) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Priority != ps[j].Priority {
			return ps[i].Priority < ps[j].Priority
		}
		return ps[i].Name < ps[j].Name
	})
}

var eventTypes = map[string]bool{
	"EVENT": true, "PROCESS_STATE": true, "PROCESS_STATE_STOPPED": true, "PROCESS_STATE_EXITED": true,
	"PROCESS_STATE_STARTING": true, "PROCESS_STATE_STOPPING": true, "PROCESS_STATE_BACKOFF": true,
	"PROCESS_STATE_FATAL": true, "PROCESS_STATE_RUNNING": true, "PROCESS_STATE_UNKNOWN": true,
	"PROCESS_COMMUNICATION": true, "PROCESS_COMMUNICATION_STDOUT": true, "PROCESS_COMMUNICATION_STDERR": true,
	"PROCESS_LOG": true, "PROCESS_LOG_STDOUT": true, "PROCESS_LOG_STDERR": true,
	"REMOTE_COMMUNICATION": true, "SUPERVISOR_STATE_CHANGE": true, "SUPERVISOR_STATE_CHANGE_RUNNING": true,
	"SUPERVISOR_STATE_CHANGE_STOPPING": true, "TICK": true, "TICK_5": true, "TICK_60": true, "TICK_3600": true,
	"PROCESS_GROUP": true, "PROCESS_GROUP_ADDED": true, "PROCESS_GROUP_REMOVED": true,
}

// DefaultResultHandler is the only eventlistener result_handler superd
// provides.
const DefaultResultHandler = "supervisor.dispatchers:default_handler"

func (l *loader) eventListener(s *rawSection, hereOnly map[string]any) *Group {
	pool := strings.SplitN(s.Name, ":", 2)[1]
	ok := true
	v, _, gok := l.get(s, "priority", sp("-1"), hereOnly, true)
	prio, pok := conv(l, s, "priority", v, gok, pyInt)
	ok = ok && pok
	v, _, gok = l.get(s, "buffer_size", sp("10"), hereOnly, true)
	bs, bok := conv(l, s, "buffer_size", v, gok, pyInt)
	if bok && bs < 1 {
		l.fail(s, "buffer_size", fmt.Errorf("[%s] section sets invalid buffer_size (%d)", s.Name, bs))
		bok = false
	}
	ok = ok && bok
	rh, _, rok := l.get(s, "result_handler", sp(DefaultResultHandler), hereOnly, true)
	if rok && pyStrip(rh) != DefaultResultHandler {
		l.fail(s, "result_handler", fmt.Errorf("%s cannot be resolved within [%s] (superd only provides %s)", rh, s.Name, DefaultResultHandler))
		rok = false
	}
	ok = ok && rok
	ev, _, eok := l.get(s, "events", sp(""), hereOnly, true)
	var events []string
	if eok {
		seen := map[string]bool{}
		for _, e := range listOfStrings(ev) {
			e = strings.ToUpper(e)
			if !seen[e] {
				seen[e] = true
				events = append(events, e)
			}
		}
		sort.Strings(events)
		if len(events) == 0 {
			l.fail(s, "events", fmt.Errorf("[%s] section requires an \"events\" line", s.Name))
			eok = false
		}
		for _, e := range events {
			if !eventTypes[e] {
				l.fail(s, "events", fmt.Errorf("Unknown event type %s in [%s] events", e, s.Name))
				eok = false
			}
		}
	}
	ok = ok && eok
	v, _, rsok := l.get(s, "redirect_stderr", sp("false"), hereOnly, true)
	if rs, rsok := conv(l, s, "redirect_stderr", v, rsok, pyBool); rsok && rs {
		l.fail(s, "redirect_stderr", fmt.Errorf("[%s] section sets redirect_stderr=true but this is not allowed because it will interfere with the eventlistener protocol", s.Name))
		ok = false
	}
	procs := l.processes(s, pool, KindEventListener)
	if !ok {
		return nil
	}
	return &Group{
		Name: pool, Kind: KindEventListener, Priority: prio, Processes: procs,
		Listener: &Listener{Events: events, BufferSize: bs, ResultHandler: pyStrip(rh)},
		Source:   fmt.Sprintf("%s:%d", s.File, s.Line),
	}
}

// maxProcs bounds numprocs so a typo cannot exhaust memory.
const maxProcs = 100000

// processes is supervisor's _processes_from_section, including its
// aliasing of the expansion dict (per-process names leak into options
// read later in the loop, exactly as in 4.2.5).
func (l *loader) processes(s *rawSection, groupName string, kind Kind) []*Process {
	if s == nil {
		return nil
	}
	programName, err := processOrGroupName(strings.SplitN(s.Name, ":", 2)[1])
	if err != nil {
		l.fail(s, "", err)
		return nil
	}
	common := map[string]any{"here": l.here, "program_name": programName, "host_node_name": l.host, "group_name": groupName}
	get := func(opt, def string) (string, bool) {
		v, _, ok := l.get(s, opt, &def, common, true)
		return v, ok
	}
	intv := func(opt, def string) (int, bool) {
		v, ok := get(opt, def)
		return conv(l, s, opt, v, ok, pyInt)
	}
	boolv := func(opt, def string) (bool, bool) {
		v, ok := get(opt, def)
		return conv(l, s, opt, v, ok, pyBool)
	}
	bytesv := func(opt, def string) (int64, bool) {
		v, ok := get(opt, def)
		return conv(l, s, opt, v, ok, byteSize)
	}
	good := true
	chk := func(ok bool) {
		if !ok {
			good = false
		}
	}
	p := Process{Program: programName, Group: groupName, Source: fmt.Sprintf("%s:%d", s.File, s.Line), UID: -1}
	var ok bool
	p.Priority, ok = intv("priority", "999")
	chk(ok)
	p.Autostart, ok = boolv("autostart", "true")
	chk(ok)
	v, gok := get("autorestart", "unexpected")
	p.Autorestart, ok = conv(l, s, "autorestart", v, gok, autoRestart)
	chk(ok)
	p.StartSecs, ok = intv("startsecs", "1")
	chk(ok)
	p.StartRetries, ok = intv("startretries", "3")
	chk(ok)
	v, gok = get("stopsignal", "TERM")
	p.StopSignal, ok = conv(l, s, "stopsignal", v, gok, ParseSignal)
	chk(ok)
	p.StopSignalName = SignalName(p.StopSignal)
	p.StopWaitSecs, ok = intv("stopwaitsecs", "10")
	chk(ok)
	p.StopAsGroup, ok = boolv("stopasgroup", "false")
	chk(ok)
	if l.p.get(s, "killasgroup") != nil {
		p.KillAsGroup, ok = boolv("killasgroup", "false")
		chk(ok)
	} else {
		p.KillAsGroup = p.StopAsGroup
	}
	v, gok = get("exitcodes", "0")
	p.ExitCodes, ok = conv(l, s, "exitcodes", v, gok, exitCodes)
	chk(ok)
	p.RedirectStderr, ok = boolv("redirect_stderr", "false")
	chk(ok)
	numprocs, nok := intv("numprocs", "1")
	chk(nok)
	if nok && numprocs > maxProcs {
		l.fail(s, "numprocs", fmt.Errorf("numprocs %d is larger than superd's limit of %d", numprocs, maxProcs))
		nok = false
		good = false
	}
	start, sok := intv("numprocs_start", "0")
	chk(sok)
	envRaw, _, _ := l.get(s, "environment", sp(""), common, false)
	p.Stdout.CaptureMaxBytes, ok = bytesv("stdout_capture_maxbytes", "0")
	chk(ok)
	p.Stdout.EventsEnabled, ok = boolv("stdout_events_enabled", "false")
	chk(ok)
	p.Stderr.CaptureMaxBytes, ok = bytesv("stderr_capture_maxbytes", "0")
	chk(ok)
	p.Stderr.EventsEnabled, ok = boolv("stderr_events_enabled", "false")
	chk(ok)
	p.ServerURL = "AUTO"
	if v, present, ok := l.get(s, "serverurl", nil, common, true); present {
		if !ok {
			good = false
		} else if strings.ToUpper(pyStrip(v)) != "AUTO" || v == "" {
			p.ServerURL = v
		}
	}
	if v, present, ok := l.get(s, "user", nil, common, true); present {
		if !ok {
			good = false
		} else {
			p.User = v
			p.UID, ok = conv(l, s, "user", v, true, nameToUID)
			chk(ok)
		}
	}
	if v, present, ok := l.get(s, "umask", nil, common, true); present {
		if !ok {
			good = false
		} else if m, ok := conv(l, s, "umask", v, true, octal); ok {
			p.Umask = &m
		} else {
			good = false
		}
	}
	procName, _, _ := l.get(s, "process_name", sp("%(program_name)s"), common, false)
	if _, err := processOrGroupName(procName); err != nil {
		l.fail(s, "process_name", err)
		good = false
	} else {
		procName = pyStrip(procName)
	}
	if nok && numprocs > 1 && !strings.Contains(procName, "%(process_num)") {
		l.fail(s, "process_name", errors.New("%(process_num) must be present within process_name when numprocs > 1"))
		good = false
	}
	if p.StopAsGroup && !p.KillAsGroup {
		l.fail(s, "killasgroup", errors.New("Cannot set stopasgroup=true and killasgroup=false"))
		good = false
	}
	// superd extensions
	for _, ch := range []*Log{&p.Stdout, &p.Stderr} {
		pre := "stdout"
		if ch == &p.Stderr {
			pre = "stderr"
		}
		if v, present, ok := l.get(s, pre+"_logfile_compress", nil, common, true); present {
			ch.Compress, ok = conv(l, s, pre+"_logfile_compress", v, ok, pyBool)
			chk(ok)
		}
		if v, present, ok := l.get(s, pre+"_logfile_maxage", nil, common, true); present {
			ch.MaxAge, ok = conv(l, s, pre+"_logfile_maxage", v, ok, parseMaxAge)
			chk(ok)
		}
	}
	// Lifecycle options may use %(process_num)d (a pool's ports): read
	// here for the first process, then again for each process.
	if nok && sok {
		common["process_num"], common["numprocs"] = start, numprocs
	}
	if !l.lifecycle(s, common, &p.Lifecycle) {
		good = false
	}
	if !nok || !sok {
		return nil
	}
	// one expands the per-process options for process_num num; nil
	// when any is invalid (errors recorded). Kept by Scaling to make
	// the processes of a runtime numprocs change (superctl scale).
	one := func(num, numprocs int) *Process {
		common["process_num"] = num
		common["numprocs"] = numprocs
		for k, v := range l.environ {
			common[k] = v
		}
		q := p // copy of the once-per-section values
		q.ExitCodes = slices.Clone(p.ExitCodes)
		q.ProcessNum = num
		pgood := true
		if good && !l.lifecycle(s, common, &q.Lifecycle) {
			pgood = false
		}
		if envS, err := expand(envRaw, common, "environment"); err != nil {
			l.fail(s, "environment", err)
			pgood = false
		} else if env, err := parseEnvironment(envS); err != nil {
			l.fail(s, "environment", err)
			pgood = false
		} else {
			q.Environment = env
			for _, kv := range env {
				common["ENV_"+kv.Key] = kv.Value
			}
		}
		if v, present, ok := l.get(s, "directory", nil, common, true); present {
			if ok {
				q.Directory = v
			} else {
				pgood = false
			}
		}
		for _, ch := range []string{"stdout", "stderr"} {
			lg := &q.Stdout
			if ch == "stderr" {
				lg = &q.Stderr
			}
			key := ch + "_logfile"
			file := "AUTO"
			auto := true
			if v, present, ok := l.get(s, key, nil, common, true); present {
				auto = false
				if !ok {
					pgood = false
				} else if v2, err := expand(v, common, key); err != nil {
					l.fail(s, key, err)
					pgood = false
				} else {
					switch strings.ToLower(v2) {
					case "none", "off":
						file = ""
					case "auto":
						file = "AUTO"
						auto = true
					case "syslog":
						file = "syslog"
					default:
						if f, err := existingDirpath(v2); err != nil {
							l.fail(s, key, err)
							pgood = false
						} else {
							file = f
						}
					}
				}
			}
			_ = auto
			lg.File = file
			if n, ok := intv(key+"_backups", "10"); ok {
				lg.Backups = n
			} else {
				pgood = false
			}
			mb, mok := bytesv(key+"_maxbytes", "50MB")
			if mok {
				lg.MaxBytes = mb
			} else {
				pgood = false
			}
			if b, ok := boolv(ch+"_syslog", "false"); ok {
				lg.Syslog = b
			} else {
				pgood = false
			}
			if file == "syslog" {
				l.warnOnce(s, key, "For [%s], %s=syslog but this is deprecated and will be removed.  Use %s_syslog=true to enable syslog instead.", s.Name, key, ch)
				lg.File = ""
				lg.Syslog = true
			}
			if lg.File == "AUTO" && mok && mb == 0 {
				l.warnOnce(s, key, "For [%s], AUTO logging used for %s without rollover, set maxbytes > 0 to avoid filling up filesystem unintentionally", s.Name, key)
			}
		}
		if q.RedirectStderr {
			if q.Stderr.File != "AUTO" && q.Stderr.File != "" {
				l.warnOnce(s, "stderr_logfile", "For [%s], redirect_stderr=true but stderr_logfile has also been set to a filename, the filename has been ignored", s.Name)
			}
			q.Stderr.File = ""
		}
		cmd, present, ok := l.get(s, "command", nil, common, true)
		if !present {
			l.fail(s, "", fmt.Errorf("program section %s does not specify a command", s.Name))
			pgood = false
		} else if !ok {
			pgood = false
		} else {
			q.Command = cmd
			if argv, err := SplitCommand(cmd); err != nil {
				q.CommandErr = fmt.Sprintf("can't parse command %s: %s", pyRepr(cmd), err)
			} else {
				q.Argv = argv
			}
		}
		if name, err := expand(procName, common, "process_name"); err != nil {
			l.fail(s, "process_name", err)
			pgood = false
		} else {
			q.Name = name
		}
		if kind == KindProgram && !l.listen(s, &q, common) {
			pgood = false
		}
		if pgood && good {
			return &q
		}
		return nil
	}
	var out []*Process
	for num := start; num < start+numprocs; num++ {
		if q := one(num, numprocs); q != nil {
			out = append(out, q)
		}
	}
	if good && (kind == KindProgram || kind == KindFCGIProgram) {
		l.scaling[s] = &Scaling{NameTemplate: procName, NumprocsStart: start, Numprocs: numprocs, expand: func(num, n int) (*Process, error) {
			// The loader is otherwise done: collect this expansion's
			// errors apart, and keep warnings out of the Config.
			saved, savedSeen, savedCfg := l.errs, l.seenErr, l.cfg
			l.errs, l.seenErr, l.cfg = nil, map[string]bool{}, &Config{}
			defer func() { l.errs, l.seenErr, l.cfg = saved, savedSeen, savedCfg }()
			q := one(num, n)
			if q == nil {
				return nil, errors.Join(l.errs...)
			}
			return q, nil
		}}
	}
	sortProcesses(out)
	return out
}

func (l *loader) warnOnce(s *rawSection, opt, format string, args ...any) {
	file, line := s.File, s.Line
	if o := l.p.get(s, opt); o != nil {
		file, line = o.File, o.Line
	}
	msg := fmt.Sprintf(format, args...)
	loc := fmt.Sprintf("%s:%d: %s", file, line, msg)
	for _, w := range l.cfg.Warnings {
		if w == loc {
			return
		}
	}
	l.cfg.Warnings = append(l.cfg.Warnings, loc)
}

func (l *loader) authPair(s *rawSection) (user, pass string, ok bool) {
	u, up, uok := l.get(s, "username", nil, nil, true)
	p, pp, pok := l.get(s, "password", nil, nil, true)
	if (up && !uok) || (pp && !pok) {
		return "", "", false
	}
	if up != pp {
		l.fail(s, "", fmt.Errorf("Section [%s] contains incomplete authentication: If a username or a password is specified, both the username and password must be specified", s.Name))
		return "", "", false
	}
	return u, p, true
}

func (l *loader) servers() {
	for _, s := range l.p.sections {
		if !strings.HasPrefix(s.Name, "inet_http_server") {
			continue
		}
		u, pw, aok := l.authPair(s)
		v, present, ok := l.get(s, "port", nil, nil, true)
		if !present {
			l.fail(s, "", fmt.Errorf("section [%s] has no port value", s.Name))
			continue
		}
		if !ok {
			continue
		}
		host, port, err := inetAddress(v)
		if err != nil {
			l.fail(s, "port", err)
			continue
		}
		if aok {
			l.cfg.InetServers = append(l.cfg.InetServers, InetHTTPServer{Name: s.Name, Host: host, Port: port, Username: u, Password: pw})
		}
	}
	for _, s := range l.p.sections {
		if !strings.HasPrefix(s.Name, "unix_http_server") {
			continue
		}
		v, present, ok := l.get(s, "file", nil, map[string]any{"here": l.here}, true)
		if !present {
			l.fail(s, "", fmt.Errorf("section [%s] has no file value", s.Name))
			continue
		}
		if !ok {
			continue
		}
		srv := &UnixHTTPServer{File: normalizePath(pyStrip(v)), UID: -1, GID: -1, Chmod: 0o700}
		u, pw, aok := l.authPair(s)
		srv.Username, srv.Password = u, pw
		good := aok
		if v, present, ok := l.get(s, "chown", nil, nil, true); present {
			if !ok {
				good = false
			} else if uid, gid, err := userGroup(v); err != nil {
				l.fail(s, "chown", fmt.Errorf("Invalid sockchown value %s", v))
				good = false
			} else {
				srv.Chown, srv.UID, srv.GID = v, uid, gid
			}
		}
		if v, present, ok := l.get(s, "chmod", nil, nil, true); present {
			if !ok {
				good = false
			} else if m, err := octal(v); err != nil {
				l.fail(s, "chmod", fmt.Errorf("Invalid chmod value %s", v))
				good = false
			} else {
				srv.Chmod = m
			}
		}
		if !good {
			continue
		}
		if l.cfg.UnixServer == nil {
			l.cfg.UnixServer = srv
		} else {
			l.warn(s.File, s.Line, "[%s] ignored: superd serves only the first unix_http_server section", s.Name)
		}
	}
}

// supervisorctl reads [supervisorctl] as supervisorctl does. supervisord
// itself ignores the section, so problems here are warnings.
func (l *loader) supervisorctl() {
	c := &l.cfg.Supervisorctl
	c.ServerURL = "http://localhost:9001"
	c.Prompt = "supervisor"
	s := l.p.byName["supervisorctl"]
	if s == nil {
		return
	}
	c.Present = true
	env := l.osEnv
	get := func(opt string, extra map[string]any) (string, bool) {
		o := l.p.get(s, opt)
		if o == nil {
			return "", false
		}
		v, err := expand(o.Value, merged(env, extra), "supervisorctl."+opt)
		if err != nil {
			l.warn(o.File, o.Line, "[supervisorctl] %s: %v (supervisorctl would refuse this file)", opt, err)
			return "", false
		}
		return v, true
	}
	here := map[string]any{"here": l.here}
	if v, ok := get("serverurl", here); ok {
		if strings.HasPrefix(v, "unix://") {
			v = "unix://" + normalizePath(v[7:])
		}
		c.ServerURL = v
	}
	if v, ok := get("prompt", nil); ok {
		c.Prompt = v
	}
	if v, ok := get("username", nil); ok {
		c.Username = v
	}
	if v, ok := get("password", nil); ok {
		c.Password = v
	}
	if v, ok := get("history_file", here); ok && v != "" {
		c.HistoryFile = normalizePath(v)
	}
}
