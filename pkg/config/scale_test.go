package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScalingTemplate: a [program:x] group keeps its numprocs template;
// the processes it makes are expanded as the configured ones (name,
// command, environment, log file), for any process_num and numprocs.
func TestScalingTemplate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := `[supervisord]
logfile=%(here)s/sd.log
[program:w]
command=/bin/sleep 10%(process_num)02d
numprocs=2
numprocs_start=3
process_name=%(program_name)s-%(process_num)d
environment=PORT="80%(process_num)02d",N="%(numprocs)d"
stdout_logfile=%(here)s/w-%(process_num)d.log
depends_on=one
ready=tcp://127.0.0.1:90%(process_num)02d
[program:one]
command=/bin/sleep 100
[group:g]
programs=one
`
	path := filepath.Join(dir, "s.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Group("w")
	sc := w.Scaling
	if sc == nil || sc.NameTemplate != "%(program_name)s-%(process_num)d" || sc.NumprocsStart != 3 || sc.Numprocs != 2 || !sc.CanScale() {
		t.Fatalf("scaling %+v", sc)
	}
	if g := cfg.Group("g"); g.Scaling != nil {
		t.Errorf("[group:g] has a scaling template")
	}
	p, err := sc.Process(7, 5)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "w-7" || p.ProcessNum != 7 || p.Command != "/bin/sleep 1007" || p.Stdout.File != filepath.Join(dir, "w-7.log") {
		t.Errorf("process 7: %s %d %q %q", p.Name, p.ProcessNum, p.Command, p.Stdout.File)
	}
	env := map[string]string{}
	for _, kv := range p.Environment {
		env[kv.Key] = kv.Value
	}
	if env["PORT"] != "8007" || env["N"] != "5" {
		t.Errorf("environment %v", p.Environment)
	}
	if p.Ready == nil || p.Ready.Address != "127.0.0.1:9007" || w.Processes[1].Ready.Address != "127.0.0.1:9004" {
		t.Errorf("ready per process: %+v, %+v", p.Ready, w.Processes[1].Ready)
	}
	if strings.Join(p.DependsOn, ",") != "one" {
		t.Errorf("depends_on %v", p.DependsOn)
	}
	// The configured processes are untouched.
	if len(w.Processes) != 2 || w.Processes[0].Name != "w-3" || w.Processes[1].Command != "/bin/sleep 1004" {
		t.Errorf("configured processes changed: %s %s", w.Processes[0].Name, w.Processes[1].Command)
	}
	// One process without %(process_num) cannot be scaled.
	c2, err := Parse(path, []byte("[supervisord]\n[program:x]\ncommand=/bin/true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c2.Group("x").Scaling.CanScale() {
		t.Errorf("process_name without %%(process_num) scales")
	}
}
