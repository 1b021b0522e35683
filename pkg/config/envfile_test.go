package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseEnvFile(t *testing.T) {
	t.Parallel()
	in := "# comment\n; also a comment\n\nA=1\n  B = two words  \nC='single $HOME \\n'\nD=\"dq \\\"x\\\" \\$HOME \\\\ \\n end\"\nexport E=e\nF=multi\\\nline\nG=\nH=a\"b c\"d\n" +
		"I=\"x\" 'y' z\nJ='two\nlines'\n# comment \\\nHIDDEN=1\nK=a\\ b\\\\c\r\nL=\"a\\\nb\"\n"
	got, err := ParseEnvFile("app.env", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []EnvVar{{"A", "1"}, {"B", "two words"}, {"C", "single $HOME \\n"}, {"D", "dq \"x\" $HOME \\ \\n end"},
		{"E", "e"}, {"F", "multiline"}, {"G", ""}, {"H", "a\"b c\"d"},
		{"I", "xyz"}, {"J", "two\nlines"}, {"K", "a b\\c"}, {"L", "ab"}}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	for _, bad := range []struct{ in, want string }{
		{"A=1\nnot an assignment\n", "app.env:2: expected KEY=VALUE"},
		{"1A=x\n", `app.env:1: invalid variable name "1A"`},
		{"A=1\nB='x\ny\n", "app.env:2: B: unterminated single quote"},
		{"A=1\nexport\n", "app.env:2: expected KEY=VALUE"},
		{"A='open\n", "app.env:1: A: unterminated single quote"},
		{"A=\"open\n", "app.env:1: A: unterminated double quote"},
	} {
		if _, err := ParseEnvFile("app.env", []byte(bad.in)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want %s", bad.in, err, bad.want)
		}
	}
}

func TestReadEnvFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := filepath.Join(dir, "a.env")
	os.WriteFile(a, []byte("X=1\nY=2\n"), 0o644)
	got, err := ReadEnvFiles([]EnvFile{{Path: a}, {Path: filepath.Join(dir, "missing.env"), Optional: true}})
	if err != nil || len(got) != 2 {
		t.Fatalf("%v %v", got, err)
	}
	_, err = ReadEnvFiles([]EnvFile{{Path: filepath.Join(dir, "missing.env")}})
	if err == nil || !strings.Contains(err.Error(), "couldn't read environment_file "+filepath.Join(dir, "missing.env")) {
		t.Errorf("missing required file: %v", err)
	}
}

func FuzzParseEnvFile(f *testing.F) {
	f.Add([]byte("A=1\nB='x'\nC=\"y\\\"\"\n# c\nD=e\\\nf\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := ParseEnvFile("f", data)
		if err != nil {
			return
		}
		for _, v := range vars {
			if !validEnvKey(v.Key) {
				t.Fatalf("invalid key %q accepted", v.Key)
			}
		}
	})
}

// TestEnvFileMatchesSystemd compares ParseEnvFile with systemd's own
// parser (load_env_file in libsystemd-shared, which EnvironmentFile=
// uses) on thousands of random files. Where superd succeeds it must
// load exactly what systemd loads (an "export " prefix dropped); where
// it fails, the error must be one of its documented differences.
func TestEnvFileMatchesSystemd(t *testing.T) {
	t.Parallel()
	libs, _ := filepath.Glob("/usr/lib/*/systemd/libsystemd-shared-*.so")
	if len(libs) == 0 {
		t.Skip("libsystemd-shared not installed; skipping the comparison with systemd's parser")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	// Mostly assignments (so most files load), with values made of
	// every character the syntax gives a meaning to.
	keys := []string{"A=", "B =", " C= ", "export D=", "\tE=", "A=", "# c\n", "; c \\\n", "1=", "F"}
	values := []string{"x", "y z", " ", "\t", "\n", "\r", "=", "\"", "\"", "'", "'", "\\", "\\",
		"#", ";", "$", "`", "é", "a\"b", "\\\n", "\\n"}
	rng := rand.New(rand.NewSource(1))
	dir := t.TempDir()
	const n = 3000
	inputs := make([]string, n)
	paths := make([]string, n)
	for i := range inputs {
		var b strings.Builder
		for l := rng.Intn(3) + 1; l > 0; l-- {
			b.WriteString(keys[rng.Intn(len(keys))])
			for j := rng.Intn(6); j > 0; j-- {
				b.WriteString(values[rng.Intn(len(values))])
			}
			b.WriteString("\n")
		}
		inputs[i] = b.String()
		paths[i] = filepath.Join(dir, fmt.Sprintf("%d.env", i))
		if err := os.WriteFile(paths[i], []byte(inputs[i]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(py, append([]string{"testdata/envfile_oracle.py", libs[0]}, paths...)...).Output()
	if err != nil {
		t.Fatalf("envfile_oracle.py: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("oracle gave %d answers for %d files", len(lines), n)
	}
	compared := 0
	for i, in := range inputs {
		var sys []string
		if json.Unmarshal([]byte(lines[i]), &sys) != nil {
			continue // systemd refused the file (invalid UTF-8 ...)
		}
		want := map[string]string{}
		invalid := false
		for _, kv := range sys {
			k, v, _ := strings.Cut(kv, "=")
			if rest, ok := strings.CutPrefix(k, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
				k = strings.TrimLeft(rest, " \t")
			}
			invalid = invalid || !validEnvKey(k)
			want[k] = v
		}
		got, err := ParseEnvFile("f", []byte(in))
		if err != nil {
			msg := err.Error()
			switch {
			case strings.Contains(msg, "invalid variable name"):
				if !invalid {
					t.Errorf("%q: %v, but systemd loads only valid names: %q", in, err, sys)
				}
			case strings.Contains(msg, "expected KEY=VALUE"), strings.Contains(msg, "unterminated"):
			default:
				t.Errorf("%q: unexpected error %v (systemd: %q)", in, err, sys)
			}
			continue
		}
		compared++
		m := map[string]string{} // a later assignment replaces an earlier one, in both
		for _, kv := range got {
			m[kv.Key] = kv.Value
		}
		if invalid || !maps.Equal(m, want) {
			t.Errorf("%q:\n superd  %q\n systemd %q", in, got, want)
		}
	}
	if compared < n/4 {
		t.Errorf("only %d of %d random files were loaded by both: the comparison has no teeth", compared, n)
	}
	t.Logf("%d of %d files loaded identically", compared, n)
}
