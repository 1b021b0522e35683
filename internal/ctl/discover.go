package ctl

import (
	"os"
	"path/filepath"
	"strconv"
)

// configSearchPaths lists where superctl looks for a config file when -c
// is not given: superd's own locations first, then supervisord's list
// (relative to argv0 as supervisorctl does). It must stay in sync with
// pkg/config.Find.
func configSearchPaths(argv0 string) []string {
	var paths []string
	if os.Geteuid() != 0 {
		if dir, err := os.UserConfigDir(); err == nil {
			paths = append(paths, filepath.Join(dir, "superd", "superd.conf"))
		}
	}
	paths = append(paths, "/etc/superd/superd.conf")
	here := filepath.Dir(filepath.Dir(argv0))
	paths = append(paths,
		filepath.Join(here, "etc", "supervisord.conf"),
		filepath.Join(here, "supervisord.conf"),
		"supervisord.conf",
		"etc/supervisord.conf",
		"/etc/supervisord.conf",
		"/etc/supervisor/supervisord.conf",
	)
	return paths
}

// findConfig returns the first existing search path, or "".
func findConfig(argv0 string) string {
	for _, p := range configSearchPaths(argv0) {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// defaultServerURL is superd's built-in socket, used when no config file
// exists anywhere: root uses /run/superd.sock, other users
// $XDG_RUNTIME_DIR/superd.sock or <tmp>/superd-<uid>.sock. It must
// stay in sync with pkg/config.LoadDefault.
func defaultServerURL() string {
	if os.Geteuid() == 0 {
		return "unix:///run/superd.sock"
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		return "unix://" + filepath.Join(dir, "superd.sock")
	}
	return "unix://" + filepath.Join(os.TempDir(), "superd-"+strconv.Itoa(os.Getuid())+".sock")
}
