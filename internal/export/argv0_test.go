package export

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// systemd itself reads the quoting of ExecStart=: systemd-analyze
// verify checks that the program named by the first word exists and is
// executable, so a program at a path full of characters systemd treats
// specially passes verify only if the word is quoted as systemd reads it.
func TestSystemdReadsArgv0(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze not installed (Debian package systemd)")
	}
	dir := t.TempDir()
	for i, name := range []string{
		"plain", "with space", `dollar$HOME`, "percent%n", `quote"double`, "quote'single",
		`back\slash`, "back`tick", "semi;colon", "tab\there", "ünïcödé", "${BRACE}",
	} {
		sub := filepath.Join(dir, strings.Repeat("d", i+1), name)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		prog := filepath.Join(sub, "run")
		if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		u := newUnit()
		u.add("Service", "Type", "exec")
		u.add("Service", "ExecStart", systemdCommand([]string{prog, "arg"}))
		files := []File{{Name: "x.service", Data: u.bytes()}}
		if msg, err := Check("systemd", files); err != nil {
			t.Errorf("%q: %v\n%s\n%s", name, err, msg, files[0].Data)
		}
		if strings.ContainsAny(name, "\"'\\\t") {
			continue // started through /usr/bin/env: verify sees env
		}
		// and a path that does not exist is reported: verify really looks
		u = newUnit()
		u.add("Service", "ExecStart", systemdCommand([]string{prog + "-missing"}))
		if _, err := Check("systemd", []File{{Name: "x.service", Data: u.bytes()}}); err == nil {
			t.Errorf("%q: a missing program passed verify", name)
		}
	}
}
