package config

import (
	"encoding/json"
	"fmt"
)

// String renders the mask in octal, at least three digits ("022").
func (u Umask) String() string { return fmt.Sprintf("%03o", uint32(u)) }

// MarshalJSON encodes the mask as an octal string like "022".
func (u Umask) MarshalJSON() ([]byte, error) { return json.Marshal(u.String()) }

// UnmarshalJSON accepts an octal string or a number.
func (u *Umask) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n uint32
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*u = Umask(n)
		return nil
	}
	m, err := octal(s)
	if err != nil {
		return err
	}
	*u = m
	return nil
}

// MarshalJSON writes logfile_maxage as a duration string ("7d", "12h0m0s").
func (l Log) MarshalJSON() ([]byte, error) {
	type plain Log
	out := struct {
		plain
		MaxAge string `json:"logfile_maxage,omitempty"`
	}{plain: plain(l)}
	if l.MaxAge != 0 {
		out.MaxAge = FormatMaxAge(l.MaxAge)
	}
	return json.Marshal(out)
}

// JSON renders the effective configuration for `superd config`: after
// includes and expansion, each group with its processes, option names
// as supervisord spells them, typed values.
func JSON(c *Config) ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return append(b, '\n'), nil
}

// processJSON is the form of a Process in `superd config`: flat option
// names as supervisord spells them.
type processJSON struct {
	Name         string            `json:"name"`
	Group        string            `json:"group"`
	Program      string            `json:"program"`
	ProcessNum   int               `json:"process_num"`
	Command      string            `json:"command"`
	Argv         []string          `json:"argv"`
	CommandErr   string            `json:"command_error,omitempty"`
	Priority     int               `json:"priority"`
	Autostart    bool              `json:"autostart"`
	Autorestart  Autorestart       `json:"autorestart"`
	StartSecs    int               `json:"startsecs"`
	StartRetries int               `json:"startretries"`
	ExitCodes    []int             `json:"exitcodes"`
	StopSignal   string            `json:"stopsignal"`
	StopWaitSecs int               `json:"stopwaitsecs"`
	StopAsGroup  bool              `json:"stopasgroup"`
	KillAsGroup  bool              `json:"killasgroup"`
	User         string            `json:"user,omitempty"`
	UID          int               `json:"uid"`
	Directory    string            `json:"directory,omitempty"`
	Umask        *Umask            `json:"umask,omitempty"`
	Redirect     bool              `json:"redirect_stderr"`
	Environment  map[string]string `json:"environment,omitempty"`
	ServerURL    string            `json:"serverurl"`

	StdoutLogfile         string `json:"stdout_logfile"`
	StdoutLogfileMaxBytes int64  `json:"stdout_logfile_maxbytes"`
	StdoutLogfileBackups  int    `json:"stdout_logfile_backups"`
	StdoutCaptureMaxBytes int64  `json:"stdout_capture_maxbytes"`
	StdoutEventsEnabled   bool   `json:"stdout_events_enabled"`
	StdoutSyslog          bool   `json:"stdout_syslog"`
	StdoutCompress        bool   `json:"stdout_logfile_compress,omitempty"`
	StdoutMaxAge          string `json:"stdout_logfile_maxage,omitempty"`

	StderrLogfile         string `json:"stderr_logfile"`
	StderrLogfileMaxBytes int64  `json:"stderr_logfile_maxbytes"`
	StderrLogfileBackups  int    `json:"stderr_logfile_backups"`
	StderrCaptureMaxBytes int64  `json:"stderr_capture_maxbytes"`
	StderrEventsEnabled   bool   `json:"stderr_events_enabled"`
	StderrSyslog          bool   `json:"stderr_syslog"`
	StderrCompress        bool   `json:"stderr_logfile_compress,omitempty"`
	StderrMaxAge          string `json:"stderr_logfile_maxage,omitempty"`

	// superd lifecycle extensions, omitted when not used.
	DependsOn           []string `json:"depends_on,omitempty"`
	Ready               string   `json:"ready,omitempty"`
	ReadyTimeout        string   `json:"ready_timeout,omitempty"`
	Healthcheck         string   `json:"healthcheck,omitempty"`
	HealthcheckInterval string   `json:"healthcheck_interval,omitempty"`
	HealthcheckTimeout  string   `json:"healthcheck_timeout,omitempty"`
	HealthcheckRetries  int      `json:"healthcheck_retries,omitempty"`
	HealthcheckAction   string   `json:"healthcheck_action,omitempty"`
	RestartDelay        string   `json:"restart_delay,omitempty"`
	RestartBackoff      string   `json:"restart_backoff,omitempty"`
	RestartDelayMax     string   `json:"restart_delay_max,omitempty"`
	RestartReset        string   `json:"restart_reset,omitempty"`
	StartRetriesForever bool     `json:"startretries_forever,omitempty"`
	EnvironmentFile     []string `json:"environment_file,omitempty"`

	Listen          []Socket `json:"listen,omitempty"`
	ListenReusePort bool     `json:"listen_reuseport,omitempty"`
}

// lifecycleJSON fills the lifecycle fields of j from lc.
func lifecycleJSON(j *processJSON, lc *Lifecycle) {
	j.DependsOn = lc.DependsOn
	if lc.Ready != nil {
		j.Ready, j.ReadyTimeout = lc.Ready.Spec, lc.ReadyTimeout.String()
	}
	if lc.Health != nil {
		j.Healthcheck = lc.Health.Spec
		j.HealthcheckInterval, j.HealthcheckTimeout = lc.HealthInterval.String(), lc.HealthTimeout.String()
		j.HealthcheckRetries = lc.HealthRetries
		j.HealthcheckAction = "none"
		if lc.HealthRestart {
			j.HealthcheckAction = "restart"
		}
	}
	if lc.RestartDelay > 0 {
		j.RestartDelay = lc.RestartDelay.String()
		if lc.RestartExponential {
			j.RestartBackoff = "exponential"
			j.RestartDelayMax, j.RestartReset = lc.RestartDelayMax.String(), lc.RestartReset.String()
		}
	}
	j.StartRetriesForever = lc.StartRetriesForever
	for _, f := range lc.EnvFiles {
		if f.Optional {
			j.EnvironmentFile = append(j.EnvironmentFile, "-"+f.Path)
		} else {
			j.EnvironmentFile = append(j.EnvironmentFile, f.Path)
		}
	}
}

// MarshalJSON writes the process with supervisord's option names
// (stdout_logfile, ...); environment is an object.
func (p *Process) MarshalJSON() ([]byte, error) {
	j := processJSON{
		Name: p.Name, Group: p.Group, Program: p.Program, ProcessNum: p.ProcessNum,
		Command: p.Command, Argv: p.Argv, CommandErr: p.CommandErr, Priority: p.Priority,
		Autostart: p.Autostart, Autorestart: p.Autorestart, StartSecs: p.StartSecs,
		StartRetries: p.StartRetries, ExitCodes: p.ExitCodes, StopSignal: p.StopSignalName,
		StopWaitSecs: p.StopWaitSecs, StopAsGroup: p.StopAsGroup, KillAsGroup: p.KillAsGroup,
		User: p.User, UID: p.UID, Directory: p.Directory, Umask: p.Umask,
		Redirect: p.RedirectStderr, ServerURL: p.ServerURL,

		StdoutLogfile: p.Stdout.File, StdoutLogfileMaxBytes: p.Stdout.MaxBytes,
		StdoutLogfileBackups: p.Stdout.Backups, StdoutCaptureMaxBytes: p.Stdout.CaptureMaxBytes,
		StdoutEventsEnabled: p.Stdout.EventsEnabled, StdoutSyslog: p.Stdout.Syslog,
		StdoutCompress: p.Stdout.Compress,

		StderrLogfile: p.Stderr.File, StderrLogfileMaxBytes: p.Stderr.MaxBytes,
		StderrLogfileBackups: p.Stderr.Backups, StderrCaptureMaxBytes: p.Stderr.CaptureMaxBytes,
		StderrEventsEnabled: p.Stderr.EventsEnabled, StderrSyslog: p.Stderr.Syslog,
		StderrCompress: p.Stderr.Compress,

		Listen: p.Listen, ListenReusePort: p.ListenReusePort,
	}
	lifecycleJSON(&j, &p.Lifecycle)
	if p.Stdout.MaxAge != 0 {
		j.StdoutMaxAge = FormatMaxAge(p.Stdout.MaxAge)
	}
	if p.Stderr.MaxAge != 0 {
		j.StderrMaxAge = FormatMaxAge(p.Stderr.MaxAge)
	}
	if len(p.Environment) > 0 {
		j.Environment = map[string]string{}
		for _, kv := range p.Environment {
			j.Environment[kv.Key] = kv.Value
		}
	}
	return json.Marshal(j)
}
