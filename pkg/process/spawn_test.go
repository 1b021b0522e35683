package process

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/superd/superd/pkg/config"
	"golang.org/x/sys/unix"
)

func TestResolveCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exe := filepath.Join(dir, "tool")
	plain := filepath.Join(dir, "plain")
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(plain, []byte("x"), 0o644)
	for _, tt := range []struct {
		argv    []string
		env     []config.EnvVar
		sd      map[string]string
		cmdErr  string
		file    string
		kind    Kind
		wantErr string
	}{
		{argv: []string{exe, "a"}, file: exe},
		{argv: []string{"tool"}, env: []config.EnvVar{{Key: "PATH", Value: "/nonexistent:" + dir}}, file: exe},
		{argv: []string{"tool"}, sd: map[string]string{"PATH": dir}, file: exe},
		{argv: []string{"tool"}, sd: map[string]string{"PATH": dir}, env: []config.EnvVar{{Key: "PATH", Value: "/nonexistent"}},
			kind: KindNoFile, wantErr: "can't find command 'tool'"},
		{argv: []string{"/no/such"}, kind: KindNoFile, wantErr: "can't find command '/no/such'"},
		{argv: []string{dir}, kind: KindNotExecutable, wantErr: "command at '" + dir + "' is a directory"},
		{argv: []string{plain}, kind: KindNotExecutable, wantErr: "command at '" + plain + "' is not executable"},
		{argv: []string{}, kind: KindNotExecutable, wantErr: "command is empty"},
		// command="" (or a PATH entry like ./bin): found as Python's
		// os.path.join(dir, name) names it, not cleaned.
		{argv: []string{""}, sd: map[string]string{"PATH": dir}, kind: KindNotExecutable, wantErr: "command at '" + dir + "/' is a directory"},
		{argv: []string{"tool"}, sd: map[string]string{"PATH": dir + "/./"}, file: dir + "/./tool"},
		{argv: nil, cmdErr: "No closing quotation", kind: KindNotExecutable, wantErr: `can't parse command "it's": No closing quotation`},
	} {
		pc := &config.Process{Name: "x", Argv: tt.argv, Command: "it's", CommandErr: tt.cmdErr, Environment: tt.env}
		file, argv, err := resolveCommand(tt.sd, pc)
		if tt.wantErr != "" {
			ce, ok := err.(*cmdError)
			if !ok || ce.kind != tt.kind || ce.msg != tt.wantErr {
				t.Errorf("%q: error %v, want %q", tt.argv, err, tt.wantErr)
			}
			continue
		}
		if err != nil || file != tt.file || !slices.Equal(argv, tt.argv) {
			t.Errorf("%q: %q %q %v", tt.argv, file, argv, err)
		}
	}
}

func TestCredentialErrors(t *testing.T) {
	t.Parallel()
	if _, msg := credential(&config.Process{User: "no-such-user-superd"}); msg != "Can't find username 'no-such-user-superd'" {
		t.Errorf("unknown user: %q", msg)
	}
	if c, msg := credential(&config.Process{}); c != nil || msg != "" {
		t.Errorf("no user: %v %q", c, msg)
	}
	if os.Getuid() != 0 {
		if _, msg := credential(&config.Process{User: "root"}); msg != "Can't drop privilege as nonroot user" {
			t.Errorf("non-root to root: %q", msg)
		}
	}
}

func TestChildEnvOrder(t *testing.T) {
	t.Parallel()
	pc := &config.Process{Name: "p", Group: "g", ServerURL: "http://h:1",
		Environment: []config.EnvVar{{Key: "B", Value: "prog"}, {Key: "SUPERVISOR_ENABLED", Value: "x"}}}
	env := childEnv([]string{"A=base", "B=base", "HOME=/root"}, map[string]string{"B": "sd", "C": "sd"}, pc, "unix:///auto", nil)
	want := []string{"A=base", "B=prog", "HOME=/root", "SUPERVISOR_ENABLED=x", "SUPERVISOR_SERVER_URL=http://h:1",
		"SUPERVISOR_PROCESS_NAME=p", "SUPERVISOR_GROUP_NAME=g", "C=sd"}
	if !slices.Equal(env, want) {
		t.Errorf("env %q\nwant %q", env, want)
	}
	pc.ServerURL = "AUTO"
	env = childEnv(nil, nil, pc, "unix:///auto", nil)
	if !slices.Contains(env, "SUPERVISOR_SERVER_URL=unix:///auto") {
		t.Errorf("AUTO serverurl: %q", env)
	}
}

// TestPipesAboveHighFD: the per-child pipe ends sit at highFD or above
// (so Go's fork status pipe gets a low number, see highFD) and work.
func TestPipesAboveHighFD(t *testing.T) {
	t.Parallel()
	p, err := makePipes(true)
	if err != nil {
		t.Fatal(err)
	}
	defer p.closeParent()
	defer p.closeChild()
	// the child's ends blocking (its 0, 1, 2), superd's non-blocking
	for i, f := range []*os.File{p.stdinR, p.stdinW, p.stdoutR, p.stdoutW, p.stderrR, p.stderrW} {
		rc, err := f.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		parent := i == 1 || i == 2 || i == 4
		rc.Control(func(fd uintptr) {
			if fd < highFD {
				t.Errorf("%d: descriptor %d below %d", i, fd, highFD)
			}
			fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
			if nb := fl&unix.O_NONBLOCK != 0; err != nil || nb != parent {
				t.Errorf("%d: non-blocking %v, want %v (%v)", i, nb, parent, err)
			}
		})
	}
	if _, err := p.stdoutW.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 2)
	if n, err := p.stdoutR.Read(b); err != nil || string(b[:n]) != "hi" {
		t.Errorf("read %q %v", b[:n], err)
	}
}
