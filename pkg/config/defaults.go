package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// defaultName is the file name errors in the built-in default carry.
const defaultName = "<built-in default>"

// SearchPaths lists, in order, where Find looks for a config file.
func SearchPaths(argv0 string) []string {
	paths := []string{"/etc/superd/superd.conf"}
	if os.Geteuid() != 0 {
		paths = append(paths, filepath.Join(userConfigDir(), "superd", "superd.conf"))
	}
	// supervisord's own list (options.Options.__init__)
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

func userConfigDir() string {
	if d := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return d
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".config")
	}
	return filepath.Join(os.TempDir(), "superd-"+strconv.Itoa(os.Geteuid())+"-config")
}

// DefaultSocket is the control socket of the built-in default:
// /run/superd.sock for root, $XDG_RUNTIME_DIR/superd.sock or
// <tmp>/superd-<uid>.sock for other users.
func DefaultSocket() string {
	if os.Geteuid() == 0 {
		return "/run/superd.sock"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) && isDir(d) {
		return filepath.Join(d, "superd.sock")
	}
	return filepath.Join(os.TempDir(), "superd-"+strconv.Itoa(os.Geteuid())+".sock")
}

// DefaultServerURL is the serverurl superctl uses when no config file
// exists: the socket of the built-in default.
func DefaultServerURL() string { return "unix://" + DefaultSocket() }

// DefaultIncludeDir is where the built-in default reads drop-ins
// (*.conf): /etc/superd/conf.d for root, ~/.config/superd/conf.d else.
func DefaultIncludeDir() string {
	if os.Geteuid() == 0 {
		return "/etc/superd/conf.d"
	}
	return filepath.Join(userConfigDir(), "superd", "conf.d")
}

func writableDir(d string) bool {
	if !isDir(d) {
		return false
	}
	f, err := os.CreateTemp(d, ".superd-probe-*")
	if err != nil {
		return false
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return true
}

// DefaultText is the built-in configuration used when no file exists,
// as config-file text (superd config prints the parsed form).
func DefaultText() string {
	sock := DefaultSocket()
	var logfile, pidfile, childlogdir string
	if os.Geteuid() == 0 {
		switch {
		case writableDir("/var/log/superd"):
			logfile, childlogdir = "/var/log/superd/superd.log", "/var/log/superd"
		case writableDir("/var/log"):
			logfile, childlogdir = "/var/log/superd.log", os.TempDir()
		default:
			logfile, childlogdir = "syslog", os.TempDir()
		}
		pidfile = "/run/superd.pid"
	} else {
		dir := filepath.Dir(sock)
		logfile = filepath.Join(dir, "superd-"+strconv.Itoa(os.Geteuid())+".log")
		if filepath.Base(sock) == "superd.sock" {
			logfile = filepath.Join(dir, "superd.log")
		}
		pidfile = strings.TrimSuffix(sock, ".sock") + ".pid"
		childlogdir = os.TempDir()
	}
	esc := func(s string) string { return strings.ReplaceAll(s, "%", "%%") }
	return fmt.Sprintf(`; superd built-in default configuration (used when no config file exists)
[supervisord]
logfile = %s
pidfile = %s
childlogdir = %s

[unix_http_server]
file = %s
chmod = 0700

[supervisorctl]
serverurl = unix://%s

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[include]
files = %s/*.conf
`, esc(logfile), esc(pidfile), esc(childlogdir), esc(sock), esc(sock), esc(DefaultIncludeDir()))
}
