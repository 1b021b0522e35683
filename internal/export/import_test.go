package export

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/superd/superd/pkg/config"
)

// TestImportGolden runs every testdata/import/*.txtar: "args" is the
// import command line (in/ paths point into the written inputs),
// out/superd.conf the expected output. The output must load in superd
// (as superd check does) and in supervisord 4.2.5 when it is installed.
func TestImportGolden(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "import", "*.txtar"))
	if len(paths) == 0 {
		t.Fatal("no golden files")
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			t.Parallel()
			a := readArchive(t, path)
			dir := a.inputs(t)
			argText, _ := a.get("args")
			var args []string
			for _, w := range strings.Fields(argText) {
				if rest, ok := strings.CutPrefix(w, "in/"); ok {
					w = filepath.Join(dir, rest)
				}
				args = append(args, w)
			}
			code, stdout, stderr := runMain(t, "import", args...)
			if code != 0 {
				t.Fatalf("import %v: exit %d: %s", args, code, stderr)
			}
			got := strings.ReplaceAll(stdout, dir, "$DIR")
			if *update {
				var files []File
				for _, f := range a.files {
					if f.Name != "out/superd.conf" {
						files = append(files, f)
					}
				}
				a.files = append(files, File{Name: "out/superd.conf", Data: []byte(got)})
				if err := os.WriteFile(path, a.format(), 0o644); err != nil {
					t.Fatal(err)
				}
			} else if want, _ := a.get("out/superd.conf"); got != want {
				t.Errorf("output differs:\n--- got ---\n%s--- want ---\n%s", got, want)
			}
			conf := filepath.Join(dir, "imported.conf")
			if err := os.WriteFile(conf, []byte(stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(conf)
			if err != nil {
				t.Fatalf("superd check refuses the import: %v\n%s", err, stdout)
			}
			if len(cfg.Warnings) > 0 {
				t.Logf("warnings: %v", cfg.Warnings)
			}
			// supervisord merges repeated sections: stop the programs it
			// starts quickly (it misses a SIGTERM sent to a process group
			// in the instant of the spawn and waits stopwaitsecs)
			quick := stdout
			for _, g := range cfg.Groups {
				for _, p := range g.Processes {
					quick += "\n[" + string(g.Kind) + ":" + p.Program + "]\nstopwaitsecs = 1\n"
				}
			}
			sdConf := filepath.Join(dir, "supervisord.conf")
			if err := os.WriteFile(sdConf, []byte(quick), 0o644); err != nil {
				t.Fatal(err)
			}
			supervisordLoads(t, sdConf)
		})
	}
}

// supervisordLoads starts supervisord 4.2.5 on conf in the foreground,
// waits until it reports it started (or exits: a config it refuses),
// and stops it. It skips when supervisord is not installed.
func supervisordLoads(t *testing.T, conf string) {
	t.Helper()
	sd, err := exec.LookPath("supervisord")
	if err != nil {
		t.Log("supervisord not installed (Debian package supervisor): not checked against it")
		return
	}
	dir := t.TempDir()
	logf := filepath.Join(dir, "supervisord.log")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sd, "-c", conf, "-n", "-l", logf, "-j", filepath.Join(dir, "sd.pid"), "-q", dir)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("supervisord exited (%v) instead of starting:\n%s", err, out.String())
		default:
		}
		data, _ := os.ReadFile(logf)
		if bytes.Contains(data, []byte("supervisord started with pid")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("supervisord did not start within 30 s:\n%s\n%s", out.String(), data)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}
