package config

import (
	"os"
	"strings"
)

// Load reads the main config file at path and every file it includes,
// and returns the effective configuration. All errors found are
// returned together (errors.Join), each naming file:line, section,
// option and value.
func Load(path string) (*Config, error) {
	return LoadWith(path, LoadOptions{})
}

// LoadDefault returns the built-in default configuration used when no
// config file exists anywhere (root: socket under /run, drop-ins from
// /etc/superd/conf.d/*.conf; other users: socket under
// $XDG_RUNTIME_DIR or a temp dir, drop-ins from the user's config dir).
func LoadDefault() (*Config, error) {
	cfg, err := ParseWith(defaultName, []byte(DefaultText()), LoadOptions{})
	if err != nil {
		return nil, err
	}
	// an empty drop-in directory is the normal state of the default
	var ws []string
	for _, w := range cfg.Warnings {
		if !strings.Contains(w, "No file matches via include") {
			ws = append(ws, w)
		}
	}
	cfg.Warnings = ws
	return cfg, nil
}

// Find returns the config file to use when -c is not given: superd's own
// locations first (/etc/superd/superd.conf, ...), then supervisord's
// list (relative to argv0 as supervisord does). It returns "" if none
// exists.
//
// Order: /etc/superd/superd.conf; for a non-root user also
// $XDG_CONFIG_HOME/superd/superd.conf (~/.config/superd/superd.conf);
// then supervisord's list. superd deliberately does not look for a
// ./superd.conf in the working directory: a daemon started from an
// arbitrary directory should not change behaviour with it (the
// supervisord.conf entries relative to the working directory are kept
// because supervisord reads them).
func Find(argv0 string) string {
	for _, p := range SearchPaths(argv0) {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Diff compares two configurations by group, with supervisord's rules
// for what counts as changed.
func Diff(old, new *Config) (added, changed, removed []string) {
	return diff(old, new)
}

// Group returns the group named name, or nil.
func (c *Config) Group(name string) *Group {
	for _, g := range c.Groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// Namespec is group:name, or name alone when group and name are equal
// (supervisord's make_namespec).
func (p *Process) Namespec() string {
	if p.Group == p.Name {
		return p.Name
	}
	return p.Group + ":" + p.Name
}
