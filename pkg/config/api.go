package config

import "errors"

// Load reads the main config file at path and every file it includes,
// and returns the effective configuration. All errors found are
// returned together (errors.Join), each naming file:line, section,
// option and value.
func Load(path string) (*Config, error) {
	return nil, errors.New("config: not implemented")
}

// LoadDefault returns the built-in default configuration used when no
// config file exists anywhere (root: socket under /run, drop-ins from
// /etc/superd/conf.d/*.conf; other users: socket under
// $XDG_RUNTIME_DIR or a temp dir, drop-ins from the user's config dir).
func LoadDefault() (*Config, error) {
	return nil, errors.New("config: not implemented")
}

// Find returns the config file to use when -c is not given: superd's own
// locations first (/etc/superd/superd.conf, ...), then supervisord's
// list (relative to argv0 as supervisord does). It returns "" if none
// exists.
func Find(argv0 string) string { return "" }

// Diff compares two configurations by group, with supervisord's rules
// for what counts as changed.
func Diff(old, new *Config) (added, changed, removed []string) { return nil, nil, nil }

// Group returns the group named name, or nil.
func (c *Config) Group(name string) *Group {
	for _, g := range c.Groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}
