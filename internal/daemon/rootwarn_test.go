package daemon

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRootSearchWarning: run as root without -c, supervisord warns on
// stderr that it searches default locations (the working directory
// included) for its configuration; superd prints the same warning. With
// -c there is none.
func TestRootSearchWarning(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the warning is for root only")
	}
	requireReference(t)
	const warning = `Supervisord is running as root and it is searching for its configuration file in default locations (including its current working directory); you probably want to specify a "-c" argument specifying an absolute path to a configuration file for improved security.`
	for _, bin := range []string{"/usr/bin/supervisord", superdBin} {
		dir := shortTempDir(t)
		// found in the working directory; its error ends the run at once
		if err := os.WriteFile(filepath.Join(dir, "supervisord.conf"), []byte("[supervisord]\nloglevel=nosuchlevel\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"-n"}, {"-n", "-c", "supervisord.conf"}} {
			cmd := exec.Command(bin, args...)
			cmd.Dir = dir
			out, _ := cmd.CombinedOutput()
			if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 2 {
				t.Fatalf("%s %v: want exit status 2 for the bad loglevel, got %v:\n%s", bin, args, cmd.ProcessState, out)
			}
			has := strings.Contains(string(out), warning)
			if want := len(args) == 1; has != want {
				t.Errorf("%s %v: warning printed %v, want %v:\n%s", bin, args, has, want, out)
			}
		}
	}
}
