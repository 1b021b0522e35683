package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two superds started with different config files and no statedir=
// get different state directories: sharing one, the second could not
// open the database (bbolt: one process at a time) and ran without crash
// recovery, so after a kill -9 it started its programs a second time.
func TestStateDirectoryPerConfigFile(t *testing.T) {
	t.Parallel()
	load := func(dir, extra string) *Config {
		t.Helper()
		path := filepath.Join(dir, "superd.conf")
		if err := os.WriteFile(path, []byte("[supervisord]\n"+extra+"[program:a]\ncommand=/bin/cat\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	d1, d2 := t.TempDir(), t.TempDir()
	a, b := load(d1, ""), load(d2, "")
	sa, sb := a.StateDirectory(), b.StateDirectory()
	if sa == sb {
		t.Fatalf("%s and %s share the state directory %s", a.File, b.File, sa)
	}
	for _, s := range []string{sa, sb} {
		if !strings.HasPrefix(s, filepath.Join(DefaultStateDir(), "instances")+"/") || !strings.Contains(filepath.Base(s), "superd.conf-") {
			t.Errorf("state directory %s: want DefaultStateDir()/instances/superd.conf-HASH", s)
		}
	}
	// the same file always maps to the same directory (the next superd
	// after a crash must find the records)
	if again := load(d1, "").StateDirectory(); again != sa {
		t.Errorf("same config file: %s, then %s", sa, again)
	}
	// statedir= wins
	if s := load(d1, "statedir="+d2+"/st\n").StateDirectory(); s != filepath.Join(d2, "st") {
		t.Errorf("statedir= set: %s", s)
	}
	// the built-in default and the standard places keep the default
	if s := (&Config{}).StateDirectory(); s != DefaultStateDir() {
		t.Errorf("built-in default: %s", s)
	}
	for _, f := range []string{"/etc/supervisor/supervisord.conf", "/etc/supervisord.conf", "/etc/superd/superd.conf"} {
		if s := (&Config{File: f}).StateDirectory(); s != DefaultStateDir() {
			t.Errorf("%s: %s, want %s", f, s, DefaultStateDir())
		}
	}
}
