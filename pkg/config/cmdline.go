package config

import "path/filepath"

// SetSupervisordOption validates value with the validator supervisord
// uses for the [supervisord] option name (as given on its command line:
// -u, -m, -d, -l, -y, -z, -e, -j, -i, -q, -a, --minprocs) and stores it
// in sd. The error is supervisord's message for a bad value, without
// the "invalid value for -x" prefix, which names the flag.
func SetSupervisordOption(sd *Supervisord, name, value string) error {
	var err error
	switch name {
	case "user":
		if _, err = nameToUID(value); err == nil {
			sd.User = value
		}
	case "umask":
		sd.Umask, err = octal(value)
	case "directory":
		sd.Directory, err = existingDirectory(value)
	case "childlogdir":
		sd.ChildLogDir, err = existingDirectory(value)
	case "logfile":
		if value == "syslog" {
			sd.Logfile = value
			break
		}
		var p string
		if p, err = existingDirpath(value); err == nil {
			sd.Logfile, _ = filepath.Abs(p)
		}
	case "pidfile":
		var p string
		if p, err = existingDirpath(value); err == nil {
			sd.Pidfile, _ = filepath.Abs(p)
		}
	case "logfile_maxbytes":
		sd.LogfileMaxBytes, err = byteSize(value)
	case "logfile_backups":
		sd.LogfileBackups, err = pyInt(value)
	case "loglevel":
		sd.LogLevel, err = logLevel(value)
	case "identifier":
		sd.Identifier = value
	case "minfds":
		sd.Minfds, err = pyInt(value)
	case "minprocs":
		sd.Minprocs, err = pyInt(value)
	case "nodaemon":
		sd.Nodaemon = true
	case "silent":
		sd.Silent = true
	case "nocleanup":
		sd.NoCleanup = true
	case "strip_ansi":
		sd.StripANSI = true
	}
	return err
}
