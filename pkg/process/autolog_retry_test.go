package process

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An AUTO log file that cannot be created at the first spawn
// (childlogdir full, or missing) is created at a later spawn once it can
// be: before, the path stayed empty and the program's output was
// dropped for as long as superd ran.
func TestAutoLogCreatedAtALaterSpawn(t *testing.T) {
	t.Parallel()
	p := newProc(t, "talk", "echo-stdin")
	p.Stdout.File = "AUTO"
	p.Stderr.File = "AUTO"
	cfg := testConfig(t, groupOf(p))
	logdir := filepath.Join(cfg.Supervisord.ChildLogDir, "not-yet")
	cfg.Supervisord.ChildLogDir = logdir
	h := start(t, cfg)
	h.waitState("talk", Running)
	ctx := h.ctx()
	if path, err := h.s.LogPath(ctx, "talk", "stdout"); err == nil && path != "" {
		t.Fatalf("AUTO log %q created in a missing directory", path)
	}
	h.waitLog("could not create AUTO stdout log for talk")
	if err := os.Mkdir(logdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := h.s.StopProcess(ctx, "talk", true); err != nil {
		t.Fatal(err)
	}
	if err := h.s.StartProcess(ctx, "talk", true); err != nil {
		t.Fatal(err)
	}
	path, err := h.s.LogPath(ctx, "talk", "stdout")
	if err != nil || filepath.Dir(path) != logdir {
		t.Fatalf("after the directory came back: stdout log %q, %v", path, err)
	}
	if err := h.s.SendStdin(ctx, "talk", []byte("written again\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), "written again") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q", path, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
