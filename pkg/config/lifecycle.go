package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// lifecycleOptions are superd's lifecycle extensions of [program:x]
// (and [eventlistener:x]); supervisord ignores them, so a config that
// uses them still loads there.
var lifecycleOptions = []string{
	"depends_on", "ready", "ready_timeout",
	"healthcheck", "healthcheck_interval", "healthcheck_timeout", "healthcheck_retries", "healthcheck_action",
	"restart_delay", "restart_backoff", "restart_delay_max", "restart_reset", "startretries_forever",
	"environment_file",
}

// Lifecycle holds a program's superd-only lifecycle options. The zero
// value is supervisord's behaviour.
type Lifecycle struct {
	// DependsOn is depends_on as written (program names, group names,
	// "group:*", "group:process").
	DependsOn []string `json:"depends_on,omitempty"`
	// Deps are the processes it resolves to, as "group:process",
	// sorted; filled once every section has been read.
	Deps []string `json:"-"`

	Ready        *Probe        `json:"ready,omitempty"`
	ReadyTimeout time.Duration `json:"ready_timeout,omitempty"`

	Health         *Probe        `json:"healthcheck,omitempty"`
	HealthInterval time.Duration `json:"healthcheck_interval,omitempty"`
	HealthTimeout  time.Duration `json:"healthcheck_timeout,omitempty"`
	HealthRetries  int           `json:"healthcheck_retries,omitempty"`
	// HealthRestart is healthcheck_action=restart (the default).
	HealthRestart bool `json:"healthcheck_restart,omitempty"`

	// RestartDelay is the wait between an exit after RUNNING and the
	// automatic restart (0: at once, as supervisord).
	RestartDelay time.Duration `json:"restart_delay,omitempty"`
	// RestartExponential doubles the delay after each quick exit, up
	// to RestartDelayMax; the delay goes back to RestartDelay once the
	// process has stayed up RestartReset.
	RestartExponential bool          `json:"restart_backoff_exponential,omitempty"`
	RestartDelayMax    time.Duration `json:"restart_delay_max,omitempty"`
	RestartReset       time.Duration `json:"restart_reset,omitempty"`
	// StartRetriesForever never gives up (no FATAL): startretries only
	// paces the BACKOFF delays.
	StartRetriesForever bool `json:"startretries_forever,omitempty"`

	// EnvFiles are environment_file entries, read at every spawn.
	EnvFiles []EnvFile `json:"environment_file,omitempty"`
}

// Probe is a readiness or health check.
type Probe struct {
	Spec string `json:"spec"` // as written
	// Kind is "tcp" (Address host:port), "http" (URL), "exec" (Argv) or
	// "notify" (READY=1 / WATCHDOG=1 over NOTIFY_SOCKET).
	Kind    string   `json:"kind"`
	Address string   `json:"address,omitempty"`
	URL     string   `json:"url,omitempty"`
	Argv    []string `json:"argv,omitempty"`
}

// String returns the probe as written.
func (p *Probe) String() string { return p.Spec }

// EnvFile is one environment_file entry: Optional for a "-" prefix
// (systemd's EnvironmentFile=-/path).
type EnvFile struct {
	Path     string `json:"path"`
	Optional bool   `json:"optional,omitempty"`
}

// ParseProbe parses "tcp://host:port", "http://host:port/path" (or
// https), "exec:command args" and "notify".
func ParseProbe(s string) (*Probe, error) {
	s = strings.TrimSpace(s)
	p := &Probe{Spec: s}
	switch {
	case s == "notify":
		p.Kind = "notify"
	case strings.HasPrefix(s, "exec:"):
		argv, err := SplitCommand(strings.TrimPrefix(s, "exec:"))
		if err != nil {
			return nil, fmt.Errorf("cannot split %q: %v", s, err)
		}
		if len(argv) == 0 {
			return nil, errors.New("exec: needs a command, e.g. exec:pg_isready -q")
		}
		p.Kind, p.Argv = "exec", argv
	case strings.HasPrefix(s, "tcp://"):
		addr := strings.TrimPrefix(s, "tcp://")
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", s, err)
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("%q: bad port %q", s, port)
		}
		if host == "" {
			host = "127.0.0.1"
		}
		p.Kind, p.Address = "tcp", net.JoinHostPort(host, port)
	case strings.HasPrefix(s, "http://"), strings.HasPrefix(s, "https://"):
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("%q is not a valid URL", s)
		}
		p.Kind, p.URL = "http", s
	default:
		return nil, fmt.Errorf("%q: expected tcp://host:port, http://host:port/path, exec:command or notify", s)
	}
	return p, nil
}

// parseSeconds reads a duration: whole seconds ("30") or a Go duration
// ("1m30s", "500ms").
func parseSeconds(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("%q is negative", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number of seconds or a duration like 1m30s", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return d, nil
}

func parseEnvFiles(s string) ([]EnvFile, error) {
	var out []EnvFile
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		ef := EnvFile{Path: f}
		if strings.HasPrefix(f, "-") {
			ef.Optional, ef.Path = true, strings.TrimSpace(f[1:])
		}
		if !strings.HasPrefix(ef.Path, "/") {
			return nil, fmt.Errorf("%q is not an absolute path", ef.Path)
		}
		out = append(out, ef)
	}
	return out, nil
}

// lifecycle reads the lifecycle options of section s into lc; false if
// any is invalid (each error is recorded with file:line).
func (l *loader) lifecycle(s *rawSection, common map[string]any, lc *Lifecycle) bool {
	good := true
	opt := func(name string) (string, bool) {
		v, present, ok := l.get(s, name, nil, common, true)
		if present && !ok {
			good = false
			return "", false
		}
		return v, present
	}
	dur := func(name string, def time.Duration) time.Duration {
		v, present := opt(name)
		if !present {
			return def
		}
		d, ok := conv(l, s, name, v, true, parseSeconds)
		if !ok {
			good = false
		}
		return d
	}
	// durPositive is dur for options where 0 makes no sense: a
	// readiness timeout of 0 fails every start at once, an interval of
	// 0 checks without pause.
	durPositive := func(name string, def time.Duration) time.Duration {
		v, present := opt(name)
		if !present {
			return def
		}
		d, ok := conv(l, s, name, v, true, parseSeconds)
		if ok && d <= 0 {
			l.fail(s, name, fmt.Errorf("%s must be more than 0", name))
			ok = false
		}
		if !ok {
			good = false
		}
		return d
	}
	maxSet := false
	if v, ok := opt("depends_on"); ok {
		lc.DependsOn = listOfStrings(v)
	}
	if v, ok := opt("ready"); ok {
		p, pok := conv(l, s, "ready", v, true, ParseProbe)
		if !pok {
			good = false
		}
		lc.Ready = p
	}
	lc.ReadyTimeout = durPositive("ready_timeout", 60*time.Second)
	if v, ok := opt("healthcheck"); ok {
		p, pok := conv(l, s, "healthcheck", v, true, ParseProbe)
		if !pok {
			good = false
		}
		lc.Health = p
	}
	lc.HealthInterval = durPositive("healthcheck_interval", 10*time.Second)
	lc.HealthTimeout = durPositive("healthcheck_timeout", 5*time.Second)
	lc.HealthRetries = 3
	if v, ok := opt("healthcheck_retries"); ok {
		n, nok := conv(l, s, "healthcheck_retries", v, true, pyInt)
		if !nok {
			good = false
		} else if n < 1 {
			l.fail(s, "healthcheck_retries", fmt.Errorf("healthcheck_retries must be at least 1, not %d", n))
			good = false
		}
		lc.HealthRetries = n
	}
	lc.HealthRestart = true
	if v, ok := opt("healthcheck_action"); ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "restart":
		case "none":
			lc.HealthRestart = false
		default:
			l.fail(s, "healthcheck_action", fmt.Errorf("healthcheck_action must be restart or none, not %q", v))
			good = false
		}
	}
	lc.RestartDelay = dur("restart_delay", 0)
	if v, ok := opt("restart_backoff"); ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "exponential":
			lc.RestartExponential = true
		case "fixed", "none", "":
		default:
			l.fail(s, "restart_backoff", fmt.Errorf("restart_backoff must be fixed or exponential, not %q", v))
			good = false
		}
	}
	_, maxSet = opt("restart_delay_max")
	lc.RestartDelayMax = dur("restart_delay_max", 5*time.Minute)
	lc.RestartReset = dur("restart_reset", 10*time.Minute)
	if lc.RestartExponential && lc.RestartDelay == 0 {
		lc.RestartDelay = time.Second
	}
	if !maxSet {
		lc.RestartDelayMax = max(lc.RestartDelayMax, lc.RestartDelay)
	} else if lc.RestartExponential && lc.RestartDelayMax < lc.RestartDelay && lc.RestartDelay > 0 {
		l.fail(s, "restart_delay_max", fmt.Errorf("restart_delay_max (%s) must be at least restart_delay (%s)", lc.RestartDelayMax, lc.RestartDelay))
		good = false
	}
	if v, ok := opt("startretries_forever"); ok {
		b, bok := conv(l, s, "startretries_forever", v, true, pyBool)
		if !bok {
			good = false
		}
		lc.StartRetriesForever = b
	}
	if v, ok := opt("environment_file"); ok {
		f, fok := conv(l, s, "environment_file", v, true, parseEnvFiles)
		if !fok {
			good = false
		}
		lc.EnvFiles = f
	}
	return good
}

// resolveDeps turns each program's depends_on into process names and
// rejects unknown names and cycles, at the file:line of depends_on.
func (l *loader) resolveDeps(groups []*Group) {
	byGroup := map[string]*Group{}
	byProgram := map[string][]*Process{}
	for _, g := range groups {
		byGroup[g.Name] = g
		for _, p := range g.Processes {
			byProgram[p.Program] = append(byProgram[p.Program], p)
		}
	}
	full := func(p *Process) string { return p.Group + ":" + p.Name }
	sectionOf := func(p *Process) *rawSection {
		for _, kind := range []string{"program:", "eventlistener:", "fcgi-program:"} {
			if s := l.p.byName[kind+p.Program]; s != nil {
				return s
			}
		}
		return nil
	}
	owner := map[string]*Process{} // full name -> process
	for _, g := range groups {
		for _, p := range g.Processes {
			owner[full(p)] = p
		}
	}
	for _, g := range groups {
		for _, p := range g.Processes {
			if len(p.DependsOn) == 0 {
				continue
			}
			s := sectionOf(p)
			set := map[string]bool{}
			var problems []string // every bad name of the line, reported at once
			for _, name := range p.DependsOn {
				var targets []*Process
				gn, pn, hasColon := strings.Cut(name, ":")
				switch {
				case hasColon && (pn == "*" || pn == ""):
					if grp := byGroup[gn]; grp != nil {
						targets = grp.Processes
					}
				case hasColon:
					if grp := byGroup[gn]; grp != nil {
						for _, q := range grp.Processes {
							if q.Name == pn {
								targets = append(targets, q)
							}
						}
					}
				default:
					if ps := byProgram[name]; ps != nil {
						targets = ps
					} else if grp := byGroup[name]; grp != nil {
						targets = grp.Processes
					}
				}
				if targets == nil {
					if hasColon && pn != "*" && pn != "" && byGroup[gn] != nil {
						problems = append(problems, fmt.Sprintf("unknown process %q", name))
					} else {
						problems = append(problems, fmt.Sprintf("unknown program or group %q", name))
					}
					continue
				}
				for _, q := range targets {
					if q.Program == p.Program {
						if msg := p.Program + " cannot depend on itself"; !slices.Contains(problems, msg) {
							problems = append(problems, msg)
						}
						continue
					}
					set[full(q)] = true
				}
			}
			if len(problems) > 0 && s != nil {
				l.fail(s, "depends_on", errors.New(strings.Join(problems, "; ")))
			}
			p.Deps = slices.Sorted(func(yield func(string) bool) {
				for k := range set {
					if !yield(k) {
						return
					}
				}
			})
		}
	}
	// Cycles, at the program level (a process and its numprocs siblings
	// share their dependencies).
	edges := map[string][]string{}
	for _, g := range groups {
		for _, p := range g.Processes {
			for _, d := range p.Deps {
				if q := owner[d]; q != nil && !slices.Contains(edges[p.Program], q.Program) {
					edges[p.Program] = append(edges[p.Program], q.Program)
				}
			}
		}
	}
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	reported := false
	var visit func(n string)
	visit = func(n string) {
		color[n] = grey
		stack = append(stack, n)
		for _, m := range edges[n] {
			switch color[m] {
			case white:
				visit(m)
			case grey:
				if !reported {
					i := slices.Index(stack, m)
					cycle := append(slices.Clone(stack[i:]), m)
					if ps := byProgram[n]; len(ps) > 0 {
						if s := sectionOf(ps[0]); s != nil {
							l.fail(s, "depends_on", fmt.Errorf("dependency cycle: %s", strings.Join(cycle, " -> ")))
						}
					}
					reported = true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
	}
	for _, n := range slices.Sorted(func(yield func(string) bool) {
		for k := range edges {
			if !yield(k) {
				return
			}
		}
	}) {
		if color[n] == white {
			visit(n)
		}
	}
}
