package daemon

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSocketErrorLikeSupervisord runs supervisord and superd side by
// side on a config whose unix socket lies in a missing directory: both
// exit 2 with supervisord's "Cannot open an HTTP server: socket.error
// reported errno.ENOENT (2)".
func TestSocketErrorLikeSupervisord(t *testing.T) {
	requireReference(t)
	for _, bin := range []string{"/usr/bin/supervisord", superdBin} {
		dir := shortTempDir(t)
		conf := writeConfig(t, dir, "")
		text, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		text = []byte(strings.Replace(string(text), "file="+dir+"/s.sock", "file="+dir+"/nodir/s.sock", 1))
		if err := os.WriteFile(conf, text, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "-c", conf).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("%s: err %v, want exit 2 (output %q)", bin, err, out)
		}
		want := "Error: Cannot open an HTTP server: socket.error reported errno.ENOENT (2)\nFor help, use " + bin + " -h\n"
		if string(out) != want {
			t.Errorf("%s:\n got %q\nwant %q", filepath.Base(bin), out, want)
		}
	}
}
