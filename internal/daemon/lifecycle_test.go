package daemon

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const lifecyclePrograms = `[program:db]
command=sleep 1000
startsecs=0
ready=exec:/bin/true
ready_timeout=30
healthcheck=exec:/bin/true
healthcheck_interval=2s
healthcheck_action=none
restart_delay=5
restart_backoff=exponential
restart_delay_max=1m
startretries_forever=true
environment_file=-/nonexistent/app.env
[program:web]
command=sleep 1000
startsecs=0
process_name=web%(process_num)d
numprocs=2
numprocs_start=1
depends_on=db
`

// TestLifecycleConfigInfo: superd check names each program's lifecycle
// options; superd.getAllConfigInfo gives supervisord's getAllConfigInfo
// fields plus the lifecycle ones, while supervisor.getAllConfigInfo
// keeps exactly its own keys.
func TestLifecycleConfigInfo(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	conf := writeConfig(t, dir, lifecyclePrograms)
	out, err := exec.Command(superdBin, "check", "-c", conf).CombinedOutput()
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	for _, want := range []string{
		"  program db: ready when exec:/bin/true passes (within 30s); healthcheck exec:/bin/true every 2s (timeout 5s, 3 failures: no action); restart delay 5s doubling up to 60s (reset after 600s up); start retries forever; environment from /nonexistent/app.env (optional)\n",
		"  program web: starts after db:db\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	in := startDaemon(t, superdBin, dir, conf)
	in.allRunning(3)
	ctx := context.Background()
	raw, err := in.client.Call(ctx, "superd.getAllConfigInfo")
	if err != nil {
		t.Fatal(err)
	}
	std, err := in.client.Call(ctx, "supervisor.getAllConfigInfo")
	if err != nil {
		t.Fatal(err)
	}
	ext, base := raw.([]any), std.([]any)
	if len(ext) != 3 || len(base) != 3 {
		t.Fatalf("%d and %d entries", len(ext), len(base))
	}
	lifecycleKeys := []string{"depends_on", "dependencies", "ready", "ready_timeout", "healthcheck",
		"healthcheck_interval", "healthcheck_timeout", "healthcheck_retries", "healthcheck_action",
		"restart_delay", "restart_backoff", "restart_delay_max", "restart_reset", "startretries_forever",
		"environment_file", "process_name", "numprocs", "numprocs_start"}
	for i := range ext {
		e, b := ext[i].(map[string]any), base[i].(map[string]any)
		for k, v := range b {
			if !reflect.DeepEqual(e[k], v) {
				t.Errorf("entry %d %s: superd %v, supervisor %v", i, k, e[k], v)
			}
		}
		for _, k := range lifecycleKeys {
			if _, ok := b[k]; ok {
				t.Errorf("supervisor.getAllConfigInfo has superd's key %s", k)
			}
			if _, ok := e[k]; !ok {
				t.Errorf("superd.getAllConfigInfo entry %d lacks %s", i, k)
			}
		}
		if len(e) != len(b)+len(lifecycleKeys) {
			t.Errorf("entry %d: %d keys, want %d", i, len(e), len(b)+len(lifecycleKeys))
		}
	}
	_, lis, err := in.client.AllConfigInfoLifecycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db := lis[0]
	if db.Ready != "exec:/bin/true" || db.ReadyTimeout != 30 || db.HealthcheckInterval != 2 || db.HealthcheckAction != "none" ||
		db.RestartBackoff != "exponential" || db.RestartDelayMax != 60 || !db.StartRetriesForever ||
		!reflect.DeepEqual(db.EnvironmentFile, []string{"-/nonexistent/app.env"}) || db.Numprocs != 1 {
		t.Errorf("db lifecycle %+v", db)
	}
	web := lis[1]
	if !reflect.DeepEqual(web.DependsOn, []string{"db"}) || !reflect.DeepEqual(web.Dependencies, []string{"db:db"}) ||
		web.ProcessName != "web%(process_num)d" || web.Numprocs != 2 || web.NumprocsStart != 1 || web.HealthcheckAction != "restart" {
		t.Errorf("web lifecycle %+v", web)
	}
	// The methods are listed and documented like supervisord's.
	var methods []string
	if err := in.client.CallInto(ctx, &methods, "system.listMethods"); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"superd.getAllConfigInfo", "superd.rollingRestart", "superd.scaleGroup", "superd.startProcess", "superd.stopProcess", "superd.getDaemonStats", "superd.getProcessStats"} {
		found := false
		for _, x := range methods {
			found = found || x == m
		}
		if !found {
			t.Errorf("system.listMethods lacks %s", m)
		}
	}
}

// TestCheckReadsEnvFiles: superd check reads the environment files
// that exist and warns about a line the spawn would reject (with its
// file:line) and about a missing required file; the configuration is
// still valid (the files are read again at every spawn).
func TestCheckReadsEnvFiles(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	bad := filepath.Join(dir, "bad.env")
	if err := os.WriteFile(bad, []byte("A=1\nnot an assignment\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := writeConfig(t, dir, fmt.Sprintf(`[program:db]
command=sleep 1000
environment_file=%s, -%s/optional.env
[program:web]
command=sleep 1000
environment_file=%s/missing.env
`, bad, dir, dir))
	cmd := exec.Command(superdBin, "check", "-c", conf)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("check: %v\n%s", err, stderr.String())
	}
	text, _ := os.ReadFile(conf)
	line := func(header string) string { // conf:N of the section header
		i := slices.Index(strings.Split(string(text), "\n"), header)
		return fmt.Sprintf("%s:%d: ", conf, i+1)
	}
	for _, want := range []string{
		line("[program:db]") + "warning: [program:db] environment_file " + bad + `:2: expected KEY=VALUE, got "not an assignment"` + "\n",
		line("[program:web]") + "warning: [program:web] couldn't read environment_file " + dir + "/missing.env: open " + dir + "/missing.env: no such file or directory\n",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("check stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "optional.env") {
		t.Errorf("a missing optional file is not worth a warning:\n%s", stderr.String())
	}
}
