package ctl

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// This file is a minimal reader for the sections superctl needs
// ([supervisorctl], and [unix_http_server]/[inet_http_server] to derive
// a server URL). It follows Python's RawConfigParser as supervisor
// configures it (inline comments after whitespace, '=' and ':'
// delimiters, indented continuation lines, [DEFAULT] inheritance,
// duplicate sections merged) but validates nothing else: a broken
// [program:x] must not stop superctl from talking to the daemon.
// pkg/config is deliberately not used: it validates the whole file.

type iniFile struct {
	sections map[string]map[string]string
	defaults map[string]string
}

// get returns section.option, falling back to [DEFAULT].
func (f *iniFile) get(section, option string) (string, bool) {
	if s, ok := f.sections[section]; ok {
		if v, ok := s[option]; ok {
			return v, true
		}
		if v, ok := f.defaults[option]; ok {
			return v, true
		}
	}
	return "", false
}

func (f *iniFile) has(section string) bool {
	_, ok := f.sections[section]
	return ok
}

func parseINI(name, data string) (*iniFile, error) {
	raw := map[string]map[string][]string{}
	defaults := map[string][]string{}
	var cur map[string][]string
	optname := ""
	indent := -1
	var bad []string
	lines := strings.SplitAfter(data, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, line := range lines {
		lineno := i + 1
		commentStart := -1
		for _, prefix := range []string{";", "#"} {
			idx := -1
			for {
				n := strings.Index(line[idx+1:], prefix)
				if n < 0 {
					break
				}
				idx += 1 + n
				if idx == 0 || isSpace(line[idx-1]) {
					if commentStart < 0 || idx < commentStart {
						commentStart = idx
					}
					break
				}
			}
		}
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, ";") || strings.HasPrefix(trimmed, "#") {
			commentStart = 0
		}
		value := line
		if commentStart >= 0 {
			value = line[:commentStart]
		}
		value = strings.TrimSpace(value)
		if value == "" {
			if commentStart < 0 && cur != nil && optname != "" && cur[optname] != nil {
				cur[optname] = append(cur[optname], "")
			}
			continue
		}
		curIndent := len(line) - len(strings.TrimLeft(line, " \t\r\f\v"))
		if cur != nil && optname != "" && curIndent > indent {
			cur[optname] = append(cur[optname], value)
			continue
		}
		indent = curIndent
		if strings.HasPrefix(value, "[") && strings.LastIndexByte(value, ']') > 1 {
			sect := value[1:strings.LastIndexByte(value, ']')]
			if sect == "DEFAULT" {
				cur = defaults
			} else {
				if raw[sect] == nil {
					raw[sect] = map[string][]string{}
				}
				cur = raw[sect]
			}
			optname = ""
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("File contains no section headers.\nfile: %s, line: %d\n%s", pyRepr(name), lineno, pyRepr(line))
		}
		j := strings.IndexAny(value, "=:")
		if j <= 0 || strings.TrimSpace(value[:j]) == "" {
			bad = append(bad, fmt.Sprintf("\n\t[line %2d]: %s", lineno, pyRepr(line)))
			continue
		}
		optname = strings.ToLower(strings.TrimSpace(value[:j]))
		cur[optname] = []string{strings.TrimSpace(value[j+1:])}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("Source contains parsing errors: %s%s", pyRepr(name), strings.Join(bad, ""))
	}
	join := func(m map[string][]string) map[string]string {
		out := make(map[string]string, len(m))
		for k, v := range m {
			out[k] = strings.TrimRight(strings.Join(v, "\n"), " \t\r\n\f\v")
		}
		return out
	}
	f := &iniFile{sections: map[string]map[string]string{}, defaults: join(defaults)}
	for k, v := range raw {
		f.sections[k] = join(v)
	}
	return f, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// pyExpand is Python's `s % expansions` restricted to what config files
// use: %(name)s and %%.
func pyExpand(s string, exp map[string]string, what string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == '(' {
			end := strings.IndexByte(s[i+2:], ')')
			if end >= 0 && i+2+end+1 < len(s) && s[i+2+end+1] == 's' {
				key := s[i+2 : i+2+end]
				v, ok := exp[key]
				if !ok {
					names := make([]string, 0, len(exp))
					for k := range exp {
						names = append(names, k)
					}
					sort.Strings(names)
					return "", fmt.Errorf("Format string %s for %s contains names (%s) which cannot be expanded. Available names: %s",
						pyRepr(s), pyRepr(what), pyRepr(key), strings.Join(names, ", "))
				}
				b.WriteString(v)
				i += 2 + end + 1
				continue
			}
		}
		return "", fmt.Errorf("Format string %s for %s is badly formatted", pyRepr(s), pyRepr(what))
	}
	return b.String(), nil
}

// ctlSection is the part of a config file superctl uses.
type ctlSection struct {
	serverURL, username, password, prompt, historyFile string
}

// readCtlConfig reads path as ClientOptions.read_config does. Unlike
// supervisorctl, a file without a [supervisorctl] section, or a
// section without serverurl, is accepted: the URL is then derived from
// the file's [unix_http_server] or [inet_http_server] (as supervisord
// derives SUPERVISOR_SERVER_URL), else the built-in default is used.
func readCtlConfig(path string) (*ctlSection, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("could not find config file %s", path)
		}
		return nil, fmt.Errorf("could not read config file %s", path)
	}
	f, err := parseINI(path, string(data))
	if err != nil {
		return nil, err
	}
	here := filepath.Dir(normalizePath(path))
	exp := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		exp["ENV_"+k] = v
	}
	expHere := map[string]string{"here": here}
	for k, v := range exp {
		expHere[k] = v
	}
	sec := &ctlSection{prompt: "supervisor"}
	get := func(section, opt string, e map[string]string) (string, bool, error) {
		v, ok := f.get(section, opt)
		if !ok {
			return "", false, nil
		}
		v, err := pyExpand(v, e, section+"."+opt)
		return v, true, err
	}
	if v, ok, err := get("supervisorctl", "serverurl", expHere); err != nil {
		return nil, err
	} else if ok {
		sec.serverURL = v
	}
	if sec.serverURL == "" {
		u, err := deriveServerURL(f, expHere)
		if err != nil {
			return nil, err
		}
		if u == "" && f.has("supervisorctl") {
			u = "http://localhost:9001" // supervisorctl's default
		}
		sec.serverURL = u
	}
	if strings.HasPrefix(sec.serverURL, "unix://") {
		sec.serverURL = "unix://" + normalizePath(sec.serverURL[len("unix://"):])
	}
	for _, o := range []struct {
		name string
		dst  *string
		e    map[string]string
	}{
		{"prompt", &sec.prompt, exp},
		{"username", &sec.username, exp},
		{"password", &sec.password, exp},
		{"history_file", &sec.historyFile, expHere},
	} {
		v, ok, err := get("supervisorctl", o.name, o.e)
		if err != nil {
			return nil, err
		}
		if ok {
			*o.dst = v
		}
	}
	if sec.historyFile != "" {
		sec.historyFile = normalizePath(sec.historyFile)
	}
	return sec, nil
}

// deriveServerURL prefers the unix socket, then the first inet server,
// as supervisord does for its children's SUPERVISOR_SERVER_URL.
func deriveServerURL(f *iniFile, exp map[string]string) (string, error) {
	if f.has("unix_http_server") {
		if v, ok := f.get("unix_http_server", "file"); ok && v != "" {
			v, err := pyExpand(v, exp, "unix_http_server.file")
			if err != nil {
				return "", err
			}
			return "unix://" + normalizePath(v), nil
		}
	}
	var names []string
	for name := range f.sections {
		if name == "inet_http_server" || strings.HasPrefix(name, "inet_http_server:") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		v, ok := f.get(name, "port")
		if !ok {
			continue
		}
		v, err := pyExpand(v, exp, name+".port")
		if err != nil {
			return "", err
		}
		host, port, found := strings.Cut(v, ":")
		if !found {
			host, port = "", v
		}
		if _, err := strconv.Atoi(port); err != nil {
			continue
		}
		if host == "" || host == "*" {
			host = "localhost"
		}
		return "http://" + host + ":" + port, nil
	}
	return "", nil
}
