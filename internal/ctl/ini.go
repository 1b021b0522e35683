package ctl

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/superd/superd/pkg/config"
)

// This file reads the sections superctl needs from a config file
// ([supervisorctl], and [unix_http_server]/[inet_http_server] to derive a
// server URL) with pkg/config's ini reader, the one superd uses, but
// validates nothing else: a broken [program:x] must not stop superctl
// from talking to the daemon.

// iniFile is the parsed file.
type iniFile = config.Sections

func parseINI(name, data string) (*iniFile, error) {
	return config.ReadSections(name, []byte(data))
}

// pyExpand is supervisord's %-expansion.
func pyExpand(s string, exp map[string]string, what string) (string, error) {
	return config.Expand(s, exp, what)
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
		v, ok := f.Get(section, opt)
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
		if u == "" && f.Has("supervisorctl") {
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
	if f.Has("unix_http_server") {
		if v, ok := f.Get("unix_http_server", "file"); ok && v != "" {
			v, err := pyExpand(v, exp, "unix_http_server.file")
			if err != nil {
				return "", err
			}
			return "unix://" + normalizePath(v), nil
		}
	}
	var names []string
	for _, name := range f.Names() {
		if name == "inet_http_server" || strings.HasPrefix(name, "inet_http_server:") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		v, ok := f.Get(name, "port")
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
