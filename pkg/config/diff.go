package config

import (
	"reflect"
	"sort"
)

// diff implements Diff with supervisord's rules: a group changed when
// its priority, listener settings or any process config differs; a
// logfile that is AUTO on either side compares equal; a process's
// environment is compared merged with [supervisord] environment, as
// supervisord stores it.
func diff(old, new *Config) (added, changed, removed []string) {
	oldG := map[string]*Group{}
	for _, g := range old.Groups {
		if _, ok := oldG[g.Name]; !ok {
			oldG[g.Name] = g
		}
	}
	newG := map[string]*Group{}
	for _, g := range new.Groups {
		if _, ok := newG[g.Name]; !ok {
			newG[g.Name] = g
		}
	}
	for name, g := range newG {
		og, ok := oldG[name]
		switch {
		case !ok:
			added = append(added, name)
		case !groupEqual(old, og, new, g):
			changed = append(changed, name)
		}
	}
	for name := range oldG {
		if _, ok := newG[name]; !ok {
			removed = append(removed, name)
		}
	}
	sort.Strings(added)
	sort.Strings(changed)
	sort.Strings(removed)
	return added, changed, removed
}

// A FastCGI group equals only a FastCGI group with the same socket url
// (supervisord compares no other socket option). Python tries the
// subclass's comparison first, so a program turned into an
// fcgi-program, or back, is changed either way.
func groupEqual(oc *Config, a *Group, nc *Config, b *Group) bool {
	if a.Kind != b.Kind {
		return false
	}
	if a.Kind == KindFCGIProgram && (a.Socket == nil || b.Socket == nil || a.Socket.URL != b.Socket.URL) {
		return false
	}
	if a.Priority != b.Priority || len(a.Processes) != len(b.Processes) {
		return false
	}
	if !reflect.DeepEqual(a.Listener, b.Listener) {
		return false
	}
	for i := range a.Processes {
		if !processEqual(oc, a.Processes[i], nc, b.Processes[i]) {
			return false
		}
	}
	return true
}

func mergedEnv(c *Config, p *Process) map[string]string {
	m := map[string]string{}
	for k, v := range c.Supervisord.Environment {
		m[k] = v
	}
	for _, kv := range p.Environment {
		m[kv.Key] = kv.Value
	}
	return m
}

func processEqual(oc *Config, a *Process, nc *Config, b *Process) bool {
	x, y := *a, *b
	x.Source, y.Source = "", ""
	x.Environment, y.Environment = nil, nil
	for _, pair := range [][2]*Log{{&x.Stdout, &y.Stdout}, {&x.Stderr, &y.Stderr}} {
		if pair[0].File == "AUTO" || pair[1].File == "AUTO" {
			pair[0].File, pair[1].File = "", ""
		}
	}
	if !reflect.DeepEqual(x, y) {
		return false
	}
	return reflect.DeepEqual(mergedEnv(oc, a), mergedEnv(nc, b))
}
