package export

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrNoVerifier is returned by Check when the machine has no verifier
// for the format.
var ErrNoVerifier = errors.New("no verifier on this machine")

// Check verifies exported files with the tool that reads them where
// one exists: `systemd-analyze verify` for units (a unit counts as
// correct only when it prints nothing: systemd accepts unknown keys and
// bad values with an "..., ignoring" warning and exit status 0),
// `logrotate -d` for a logrotate config, the import parser for a cron
// file, a strict decode into the typed objects for Kubernetes YAML.
// It returns the verifier's complaints (empty when there are none).
func Check(format string, files []File) (string, error) {
	switch format {
	case "systemd":
		return checkSystemd(files)
	case "cron":
		return checkCron(files)
	case "logrotate":
		return checkLogrotate(files)
	case "kubernetes", "k8s":
		return checkKubernetes(files)
	}
	return "", fmt.Errorf("no check for format %q", format)
}

// writeTemp writes files into a new temporary directory.
func writeTemp(files []File) (string, []string, error) {
	dir, err := os.MkdirTemp("", "superd-export-")
	if err != nil {
		return "", nil, err
	}
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			os.RemoveAll(dir)
			return "", nil, err
		}
		paths = append(paths, p)
	}
	return dir, paths, nil
}

func checkSystemd(files []File) (string, error) {
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		return "", fmt.Errorf("systemd-analyze: %w", ErrNoVerifier)
	}
	if len(files) == 0 {
		return "", nil
	}
	dir, paths, err := writeTemp(files)
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	// --man=no: a unit's Documentation= pages need not be installed
	cmd := exec.Command(tool, append([]string{"verify", "--man=no"}, paths...)...)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_COLOR=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	msg := strings.ReplaceAll(out.String(), dir+"/", "")
	if runErr != nil || msg != "" {
		if runErr == nil {
			runErr = errors.New("systemd-analyze verify printed warnings")
		}
		return msg, fmt.Errorf("systemd-analyze verify: %w", runErr)
	}
	return "", nil
}
