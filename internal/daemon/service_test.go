package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kardianos/service"
)

// TestServiceUnit installs superd as a systemd user service into a
// fake HOME, with a stub systemctl, and checks the unit that
// kardianos/service wrote.
func TestServiceUnit(t *testing.T) {
	var systemd service.System
	for _, s := range service.AvailableSystems() {
		if s.String() == "linux-systemd" {
			systemd = s
		}
	}
	if systemd == nil {
		t.Skip("kardianos/service has no systemd system on this platform")
	}
	home := t.TempDir()
	bin := t.TempDir()
	os.WriteFile(filepath.Join(bin, "systemctl"), []byte("#!/bin/sh\nexit 0\n"), 0o755)
	t.Setenv("HOME", home)
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))

	svc, err := systemd.New(noopProgram{}, serviceConfig("/usr/local/bin/superd", "/etc/superd/superd.conf", true))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Install(); err != nil {
		t.Fatalf("install: %v", err)
	}
	unit, err := os.ReadFile(filepath.Join(home, ".config/systemd/user/superd.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`ExecStart=/usr/local/bin/superd "-n" "-c" "/etc/superd/superd.conf"` + "\n",
		"Restart=on-failure\n",
		"KillMode=process\n",
		"Type=notify\n",
		"ExecReload=/bin/kill -HUP $MAINPID\n",
		"[Install]\nWantedBy=multi-user.target\n",
	} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("unit lacks %q:\n%s", want, unit)
		}
	}
}
