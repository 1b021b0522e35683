package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const lifecycleConf = `[supervisord]
logfile=%(here)s/sd.log
pidfile=%(here)s/sd.pid
[program:db]
command=/bin/sleep 100
ready=tcp://127.0.0.1:5432
ready_timeout=30
[program:cache]
command=/bin/sleep 100
ready=exec:/bin/true -q
[program:workers]
command=/bin/sleep 100
numprocs=2
process_name=%(program_name)s_%(process_num)d
depends_on=db
[group:pool]
programs=workers
[program:web]
command=/bin/sleep 100
depends_on=db, cache, pool:*
ready=http://127.0.0.1:8000/healthz
healthcheck=http://127.0.0.1:8000/healthz
healthcheck_interval=2s
healthcheck_timeout=1
healthcheck_retries=2
healthcheck_action=none
restart_delay=30
restart_backoff=exponential
restart_delay_max=5m
restart_reset=60
startretries_forever=true
environment_file=/etc/app/app.env, -/etc/app/local.env
[program:notifier]
command=/bin/sleep 100
ready=notify
`

func TestLifecycleOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := ParseWith(filepath.Join(dir, "s.conf"), []byte(lifecycleConf), LoadOptions{Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	proc := func(g, p string) *Process {
		for _, gr := range cfg.Groups {
			if gr.Name == g {
				for _, q := range gr.Processes {
					if q.Name == p {
						return q
					}
				}
			}
		}
		t.Fatalf("no %s:%s", g, p)
		return nil
	}
	web := proc("web", "web")
	if want := []string{"cache:cache", "db:db", "pool:workers_0", "pool:workers_1"}; !slices.Equal(web.Deps, want) {
		t.Errorf("web deps %v, want %v", web.Deps, want)
	}
	if w := proc("pool", "workers_1"); !slices.Equal(w.Deps, []string{"db:db"}) {
		t.Errorf("workers deps %v", w.Deps)
	}
	if r := web.Ready; r == nil || r.Kind != "http" || r.URL != "http://127.0.0.1:8000/healthz" {
		t.Errorf("web ready %+v", r)
	}
	if web.ReadyTimeout != 60*time.Second || proc("db", "db").ReadyTimeout != 30*time.Second {
		t.Errorf("ready_timeout %v / %v", web.ReadyTimeout, proc("db", "db").ReadyTimeout)
	}
	if r := proc("db", "db").Ready; r.Kind != "tcp" || r.Address != "127.0.0.1:5432" {
		t.Errorf("db ready %+v", r)
	}
	if r := proc("cache", "cache").Ready; r.Kind != "exec" || !slices.Equal(r.Argv, []string{"/bin/true", "-q"}) {
		t.Errorf("cache ready %+v", r)
	}
	if proc("notifier", "notifier").Ready.Kind != "notify" {
		t.Errorf("notify")
	}
	if web.HealthInterval != 2*time.Second || web.HealthTimeout != time.Second || web.HealthRetries != 2 || web.HealthRestart {
		t.Errorf("health %+v", web.Lifecycle)
	}
	if web.RestartDelay != 30*time.Second || !web.RestartExponential || web.RestartDelayMax != 5*time.Minute ||
		web.RestartReset != time.Minute || !web.StartRetriesForever {
		t.Errorf("restart %+v", web.Lifecycle)
	}
	if want := []EnvFile{{Path: "/etc/app/app.env"}, {Path: "/etc/app/local.env", Optional: true}}; !slices.Equal(web.EnvFiles, want) {
		t.Errorf("env files %+v", web.EnvFiles)
	}
	// Defaults: supervisord's behaviour.
	db := proc("db", "db")
	if db.RestartDelay != 0 || db.StartRetriesForever || db.Health != nil || len(db.Deps) != 0 {
		t.Errorf("db defaults %+v", db.Lifecycle)
	}
	b, err := JSON(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"depends_on"`, `"ready": "http://127.0.0.1:8000/healthz"`, `"restart_delay": "30s"`, `"environment_file"`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("superd config JSON lacks %s", s)
		}
	}
}

func TestLifecycleErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ body, want string }{
		{"[program:a]\ncommand=/bin/true\ndepends_on=nope\n", `s.conf:4: [program:a] depends_on: unknown program or group "nope"`},
		{"[program:a]\ncommand=/bin/true\ndepends_on=b\n[program:b]\ncommand=/bin/true\ndepends_on=c\n[program:c]\ncommand=/bin/true\ndepends_on=a\n", "dependency cycle: a -> b -> c -> a"},
		{"[program:a]\ncommand=/bin/true\ndepends_on=a\n", "a cannot depend on itself"},
		// Every bad name of the line at once, not only the first.
		{"[program:a]\ncommand=/bin/true\ndepends_on=nope, b:x, a, c\n[program:b]\ncommand=/bin/true\n",
			`s.conf:4: [program:a] depends_on: unknown program or group "nope"; unknown process "b:x"; a cannot depend on itself; unknown program or group "c"`},
		{"[program:a]\ncommand=/bin/true\nready=tcp://localhost\n", `s.conf:4: [program:a] ready:`},
		{"[program:a]\ncommand=/bin/true\nready=ftp://x\n", "expected tcp://host:port"},
		{"[program:a]\ncommand=/bin/true\nready=notify\nready_timeout=soon\n", `s.conf:5: [program:a] ready_timeout: "soon" is not a number of seconds`},
		{"[program:a]\ncommand=/bin/true\nhealthcheck_action=reboot\n", "healthcheck_action must be restart or none"},
		{"[program:a]\ncommand=/bin/true\nrestart_backoff=linear\n", "restart_backoff must be fixed or exponential"},
		{"[program:a]\ncommand=/bin/true\nenvironment_file=app.env\n", `"app.env" is not an absolute path`},
		{"[program:a]\ncommand=/bin/true\nstartretries_forever=maybe\n", "startretries_forever"},
		// 0 would fail every start at once, or check without pause.
		{"[program:a]\ncommand=/bin/true\nready=notify\nready_timeout=0\n", `s.conf:5: [program:a] ready_timeout: ready_timeout must be more than 0`},
		{"[program:a]\ncommand=/bin/true\nhealthcheck_interval=0s\n", `s.conf:4: [program:a] healthcheck_interval: healthcheck_interval must be more than 0`},
		{"[program:a]\ncommand=/bin/true\nhealthcheck_timeout=0\n", `s.conf:4: [program:a] healthcheck_timeout: healthcheck_timeout must be more than 0`},
		// A maximum below the first delay, or 0 (no maximum, doubling
		// without end), is a mistake.
		{"[program:a]\ncommand=/bin/true\nrestart_delay=30\nrestart_backoff=exponential\nrestart_delay_max=10\n", `s.conf:6: [program:a] restart_delay_max: restart_delay_max (10s) must be at least restart_delay (30s)`},
		{"[program:a]\ncommand=/bin/true\nrestart_backoff=exponential\nrestart_delay_max=0\n", `restart_delay_max (0s) must be at least restart_delay (1s)`},
	}
	for _, c := range cases {
		_, err := ParseWith("/etc/s.conf", []byte("[supervisord]\n"+c.body), LoadOptions{Environ: []string{}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q:\n got  %v\n want %s", c.body, err, c.want)
		}
	}
}

// TestSupervisordLoadsLifecycle: supervisord 4.2.5 loads a config that
// uses every lifecycle option (it ignores them).
func TestSupervisordLoadsLifecycle(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/usr/lib/python3/dist-packages/supervisor/options.py"); err != nil {
		t.Skip("supervisor 4.2.5 is not installed")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "s.conf")
	if err := os.WriteFile(path, []byte(lifecycleConf), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", "-c", `
import sys
from supervisor.options import ServerOptions
o = ServerOptions(); o.realize(['-c', sys.argv[1]])
print(','.join(sorted(g.name for g in o.process_group_configs)))
`, path).CombinedOutput()
	if err != nil {
		t.Fatalf("supervisord refused the file: %v\n%s", err, out)
	}
	if strings.TrimSpace(string(out)) != "cache,db,notifier,pool,web" {
		t.Errorf("supervisord groups: %q", out)
	}
}
