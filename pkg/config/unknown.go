package config

import (
	"strings"
)

var programOptions = []string{
	"command", "process_name", "numprocs", "numprocs_start", "priority", "autostart",
	"autorestart", "startsecs", "startretries", "exitcodes", "stopsignal", "stopwaitsecs",
	"stopasgroup", "killasgroup", "user", "directory", "umask", "redirect_stderr",
	"stdout_logfile", "stdout_logfile_maxbytes", "stdout_logfile_backups",
	"stdout_capture_maxbytes", "stdout_events_enabled", "stdout_syslog",
	"stderr_logfile", "stderr_logfile_maxbytes", "stderr_logfile_backups",
	"stderr_capture_maxbytes", "stderr_events_enabled", "stderr_syslog",
	"environment", "serverurl",
	// superd extensions
	"stdout_logfile_compress", "stdout_logfile_maxage",
	"stderr_logfile_compress", "stderr_logfile_maxage",
}

func init() { programOptions = append(programOptions, lifecycleOptions...) }

// knownOptions returns the options a section type reads, or nil when
// any key is accepted ([rpcinterface:x] passes extras as kwargs).
func knownOptions(section string) ([]string, bool) {
	typ, _, _ := strings.Cut(section, ":")
	switch {
	case section == "supervisord":
		return []string{"logfile", "logfile_maxbytes", "logfile_backups", "loglevel", "pidfile",
			"umask", "nodaemon", "silent", "minfds", "minprocs", "nocleanup", "childlogdir",
			"user", "directory", "strip_ansi", "environment", "identifier",
			"statedir", "sendmail", "metrics"}, true
	case section == "supervisorctl":
		return []string{"serverurl", "username", "password", "prompt", "history_file"}, true
	case strings.HasPrefix(section, "unix_http_server"):
		return []string{"file", "chmod", "chown", "username", "password"}, true
	case strings.HasPrefix(section, "inet_http_server"):
		return []string{"port", "username", "password"}, true
	case section == "include":
		return []string{"files"}, true
	case typ == "group":
		return []string{"programs", "priority"}, true
	case typ == "program":
		return append(listenOptions, programOptions...), true
	case typ == "eventlistener":
		return append([]string{"events", "buffer_size", "result_handler"}, programOptions...), true
	case typ == "fcgi-program":
		return append([]string{"socket", "socket_backlog", "socket_owner", "socket_mode"}, programOptions...), true
	case typ == "job":
		return jobOptions, true
	case typ == "rpcinterface", typ == "ctlplugin":
		return nil, true
	}
	return nil, false
}

var sectionKinds = []string{"supervisord", "supervisorctl", "unix_http_server", "inet_http_server",
	"include", "group:", "program:", "eventlistener:", "fcgi-program:", "rpcinterface:", "ctlplugin:", "job:"}

// unknowns warns about options and sections supervisord would silently
// ignore, naming the closest known spelling.
func (l *loader) unknowns() {
	for _, s := range l.p.sections {
		known, ok := knownOptions(s.Name)
		if !ok {
			typ, rest, hasColon := strings.Cut(s.Name, ":")
			cands := make([]string, 0, len(sectionKinds))
			for _, k := range sectionKinds {
				cands = append(cands, strings.TrimSuffix(k, ":"))
			}
			hint := ""
			if c := closest(strings.ToLower(typ), cands); c != "" {
				if hasColon {
					hint = " (did you mean [" + c + ":" + rest + "]?)"
				} else {
					hint = " (did you mean [" + c + "]?)"
				}
			}
			l.warn(s.File, s.Line, "unknown section [%s] ignored%s", s.Name, hint)
			continue
		}
		if known == nil {
			continue
		}
		set := map[string]bool{}
		for _, k := range known {
			set[k] = true
		}
		for _, k := range s.keys {
			if set[k] {
				continue
			}
			o := s.opts[k]
			hint := ""
			if c := closest(k, known); c != "" {
				hint = " (did you mean " + c + "?)"
			}
			l.warn(o.File, o.Line, "[%s] unknown option %s ignored%s", s.Name, k, hint)
		}
	}
}
