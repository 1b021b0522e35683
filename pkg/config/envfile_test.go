package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseEnvFile(t *testing.T) {
	t.Parallel()
	in := "# comment\n; also a comment\n\nA=1\n  B = two words  \nC='single $HOME \\n'\nD=\"dq \\\"x\\\" \\$HOME \\\\ \\n end\"\nexport E=e\nF=multi\\\nline\nG=\nH=a\"b c\"d\n"
	got, err := ParseEnvFile("app.env", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []EnvVar{{"A", "1"}, {"B", "two words"}, {"C", "single $HOME \\n"}, {"D", "dq \"x\" $HOME \\ \n end"},
		{"E", "e"}, {"F", "multiline"}, {"G", ""}, {"H", "ab cd"}}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	for _, bad := range []struct{ in, want string }{
		{"A=1\nnot an assignment\n", "app.env:2: expected KEY=VALUE"},
		{"1A=x\n", "app.env:1: expected KEY=VALUE"},
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
