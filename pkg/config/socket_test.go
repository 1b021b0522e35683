package config

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// refChanged asks supervisord which groups of new differ from old
// (diff_to_active's "changed": new != old for groups in both).
func refChanged(t *testing.T, py, oldFile, newFile string) []string {
	t.Helper()
	script := `
import sys, json
sys.path.append('/usr/lib/python3/dist-packages')
from supervisor import options
def load(p):
    o = options.ServerOptions()
    o.realize(args=['-c', p])
    return {g.name: g for g in o.process_group_configs}
old, new = load(sys.argv[1]), load(sys.argv[2])
print(json.dumps(sorted(n for n, g in new.items() if n in old and g != old[n])))
`
	out, err := exec.Command(py, "-c", script, oldFile, newFile).Output()
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	var names []string
	if err := json.Unmarshal(out, &names); err != nil {
		t.Fatal(err)
	}
	return names
}

// TestFCGIDiff: reread's "changed" for [fcgi-program:x] follows
// supervisord's FastCGIGroupConfig.__eq__ (only the socket url counts
// among the socket options; a program that becomes an fcgi-program
// changes, and the reverse too), checked against supervisord itself.
func TestFCGIDiff(t *testing.T) {
	py := findPython(t)
	head := "[supervisord]\nlogfile=/tmp/x.log\npidfile=/tmp/x.pid\n"
	old := head + `
[fcgi-program:url]
command=/bin/cat
socket=tcp://127.0.0.1:9000
[fcgi-program:backlog]
command=/bin/cat
socket=unix:///tmp/b.sock
[fcgi-program:fromfcgi]
command=/bin/cat
socket=unix:///tmp/c.sock
[program:tofcgi]
command=/bin/cat
[fcgi-program:same]
command=/bin/cat
socket=unix:///tmp/s.sock
`
	next := head + `
[fcgi-program:url]
command=/bin/cat
socket=tcp://127.0.0.1:9001
[fcgi-program:backlog]
command=/bin/cat
socket=unix:///tmp/b.sock
socket_backlog=5
socket_mode=0666
[program:fromfcgi]
command=/bin/cat
[fcgi-program:tofcgi]
command=/bin/cat
socket=unix:///tmp/d.sock
[fcgi-program:same]
command=/bin/cat
socket=unix:///tmp/s.sock
`
	dir := t.TempDir()
	of, nf := filepath.Join(dir, "old.conf"), filepath.Join(dir, "new.conf")
	os.WriteFile(of, []byte(old), 0o644)
	os.WriteFile(nf, []byte(next), 0o644)
	oc, err := Load(of)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := Load(nf)
	if err != nil {
		t.Fatal(err)
	}
	_, changed, _ := Diff(oc, nc)
	want := refChanged(t, py, of, nf)
	if !reflect.DeepEqual(changed, want) {
		t.Errorf("changed = %v, supervisord: %v", changed, want)
	}
	if !reflect.DeepEqual(want, []string{"fromfcgi", "tofcgi", "url"}) {
		t.Errorf("supervisord's changed = %v; the test expects [fromfcgi tofcgi url]", want)
	}
}
