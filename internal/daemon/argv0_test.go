package daemon

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestArgv0ThroughPATH: started by a bare name found through PATH,
// superd, like supervisord (whose sys.argv[0] is the path the shell
// executed), names its full path in "For help, use ... -h" and looks
// for <bin>/../etc/supervisord.conf next to the executable, not
// relative to the working directory.
func TestArgv0ThroughPATH(t *testing.T) {
	t.Parallel()
	root := shortTempDir(t)
	bin := filepath.Join(root, "bin", "superd")
	for _, d := range []string{"bin", "etc", "work/etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe, err := os.ReadFile(superdBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := "[supervisord]\n[program:x]\ncommand=/bin/true\n"
	if err := os.WriteFile(filepath.Join(root, "etc", "supervisord.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// A decoy where a relative argv0 would lead: ./etc/supervisord.conf.
	if err := os.WriteFile(filepath.Join(root, "work", "etc", "supervisord.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+filepath.Join(root, "bin")+":/usr/bin:/bin")
	run := func(args ...string) (string, string) {
		cmd := exec.Command("superd", args...)
		cmd.Path = bin // what the shell's PATH search finds; argv[0] stays "superd"
		cmd.Err = nil  // the test binary's own PATH need not find it
		cmd.Dir = filepath.Join(root, "work")
		cmd.Env = env
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		cmd.Run()
		return out.String(), errb.String()
	}
	if _, stderr := run("-x"); !strings.Contains(stderr, "For help, use "+bin+" -h\n") {
		t.Errorf("usage error names %q, want the full path %s", stderr, bin)
	}
	want := filepath.Join(root, "etc", "supervisord.conf") + ": ok"
	if out, stderr := run("check"); !strings.HasPrefix(out, want) {
		t.Errorf("check found %q (stderr %q), want the file next to the executable: %s", out, stderr, want)
	}
}
