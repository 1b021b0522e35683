package config

import "sort"

// Sections is a config file read with supervisord's ini rules but
// without any validation: what a client such as superctl needs to pick
// a few options out of a file whose [program:x] sections may be broken.
type Sections struct {
	p *iniParser
}

// ReadSections parses data (named name in errors) with the same reader
// Load uses. Errors are configparser's parse errors only.
func ReadSections(name string, data []byte) (*Sections, error) {
	p := newIniParser()
	if err := p.read(name, string(data)); err != nil {
		return nil, err
	}
	return &Sections{p: p}, nil
}

// Has reports whether the section exists.
func (s *Sections) Has(section string) bool {
	_, ok := s.p.byName[section]
	return ok
}

// Get returns section.option, falling back to [DEFAULT]; ok is false
// if the section or the option does not exist.
func (s *Sections) Get(section, option string) (string, bool) {
	sec, ok := s.p.byName[section]
	if !ok {
		return "", false
	}
	o := s.p.get(sec, option)
	if o == nil {
		return "", false
	}
	return o.Value, true
}

// Names returns the section names, sorted.
func (s *Sections) Names() []string {
	names := make([]string, 0, len(s.p.byName))
	for n := range s.p.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Expand is supervisord's %-expansion of value with the given names;
// what names the value in error messages ("supervisorctl.serverurl").
func Expand(value string, names map[string]string, what string) (string, error) {
	m := make(map[string]any, len(names))
	for k, v := range names {
		m[k] = v
	}
	return expand(value, m, what)
}

// PyRepr returns Python's repr() of a str, as supervisord's messages
// quote values.
func PyRepr(s string) string { return pyRepr(s) }
