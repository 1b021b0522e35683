package rpc

import (
	"context"
	"fmt"
)

// Fault codes, as in supervisor/xmlrpc.py.
const (
	UnknownMethod        = 1
	IncorrectParameters  = 2
	BadArguments         = 3
	SignatureUnsupported = 4
	ShutdownState        = 6
	BadName              = 10
	BadSignal            = 11
	NoFile               = 20
	NotExecutable        = 21
	Failed               = 30
	AbnormalTermination  = 40
	SpawnError           = 50
	AlreadyStarted       = 60
	NotRunning           = 70
	Success              = 80
	AlreadyAdded         = 90
	StillRunning         = 91
	CantReread           = 92
)

// Fault is an XML-RPC fault. String is "NAME" or "NAME: detail".
type Fault struct {
	Code   int
	String string
}

func (f *Fault) Error() string { return fmt.Sprintf("fault %d: %s", f.Code, f.String) }

// ProcessInfo is getProcessInfo's struct, its members in supervisord's
// order (description last: supervisord adds it after the others).
type ProcessInfo struct {
	Name          string `xmlrpc:"name" json:"name"`
	Group         string `xmlrpc:"group" json:"group"`
	Start         int64  `xmlrpc:"start" json:"start"`
	Stop          int64  `xmlrpc:"stop" json:"stop"`
	Now           int64  `xmlrpc:"now" json:"now"`
	State         int    `xmlrpc:"state" json:"state"`
	StateName     string `xmlrpc:"statename" json:"statename"`
	SpawnErr      string `xmlrpc:"spawnerr" json:"spawnerr"`
	ExitStatus    int    `xmlrpc:"exitstatus" json:"exitstatus"`
	Logfile       string `xmlrpc:"logfile" json:"logfile"`
	StdoutLogfile string `xmlrpc:"stdout_logfile" json:"stdout_logfile"`
	StderrLogfile string `xmlrpc:"stderr_logfile" json:"stderr_logfile"`
	PID           int    `xmlrpc:"pid" json:"pid"`
	Description   string `xmlrpc:"description" json:"description"`
}

// Result is the per-process result struct of the group/all methods.
type Result struct {
	Name        string `xmlrpc:"name" json:"name"`
	Group       string `xmlrpc:"group" json:"group"`
	Status      int    `xmlrpc:"status" json:"status"`
	Description string `xmlrpc:"description" json:"description"`
}

// ConfigInfo is one entry of getAllConfigInfo, with supervisord's keys in
// supervisord's order.
// None values are "none", AUTO log files "auto".
type ConfigInfo struct {
	Autostart             bool   `xmlrpc:"autostart" json:"autostart"`
	Directory             string `xmlrpc:"directory" json:"directory"`
	UID                   any    `xmlrpc:"uid" json:"uid"` // int or "none"... as supervisord
	Command               string `xmlrpc:"command" json:"command"`
	Exitcodes             []int  `xmlrpc:"exitcodes" json:"exitcodes"`
	Group                 string `xmlrpc:"group" json:"group"`
	GroupPrio             int    `xmlrpc:"group_prio" json:"group_prio"`
	InUse                 bool   `xmlrpc:"inuse" json:"inuse"`
	KillAsGroup           bool   `xmlrpc:"killasgroup" json:"killasgroup"`
	Name                  string `xmlrpc:"name" json:"name"`
	ProcessPrio           int    `xmlrpc:"process_prio" json:"process_prio"`
	RedirectStderr        bool   `xmlrpc:"redirect_stderr" json:"redirect_stderr"`
	StartRetries          int    `xmlrpc:"startretries" json:"startretries"`
	StartSecs             int    `xmlrpc:"startsecs" json:"startsecs"`
	StdoutCaptureMaxBytes int    `xmlrpc:"stdout_capture_maxbytes" json:"stdout_capture_maxbytes"`
	StdoutEventsEnabled   bool   `xmlrpc:"stdout_events_enabled" json:"stdout_events_enabled"`
	StdoutLogfile         string `xmlrpc:"stdout_logfile" json:"stdout_logfile"`
	StdoutLogfileBackups  int    `xmlrpc:"stdout_logfile_backups" json:"stdout_logfile_backups"`
	StdoutLogfileMaxBytes int    `xmlrpc:"stdout_logfile_maxbytes" json:"stdout_logfile_maxbytes"`
	StdoutSyslog          bool   `xmlrpc:"stdout_syslog" json:"stdout_syslog"`
	StopSignal            int    `xmlrpc:"stopsignal" json:"stopsignal"`
	StopWaitSecs          int    `xmlrpc:"stopwaitsecs" json:"stopwaitsecs"`
	StderrCaptureMaxBytes int    `xmlrpc:"stderr_capture_maxbytes" json:"stderr_capture_maxbytes"`
	StderrEventsEnabled   bool   `xmlrpc:"stderr_events_enabled" json:"stderr_events_enabled"`
	StderrLogfile         string `xmlrpc:"stderr_logfile" json:"stderr_logfile"`
	StderrLogfileBackups  int    `xmlrpc:"stderr_logfile_backups" json:"stderr_logfile_backups"`
	StderrLogfileMaxBytes int    `xmlrpc:"stderr_logfile_maxbytes" json:"stderr_logfile_maxbytes"`
	StderrSyslog          bool   `xmlrpc:"stderr_syslog" json:"stderr_syslog"`
	ServerURL             string `xmlrpc:"serverurl" json:"serverurl"`
}

// State is getState's struct.
type State struct {
	Code int    `xmlrpc:"statecode" json:"statecode"`
	Name string `xmlrpc:"statename" json:"statename"`
}

// Backend is what the server needs from the daemon. Errors returned
// should be *Fault (the daemon converts its own errors in one table);
// any other error becomes a FAILED fault.
type Backend interface {
	Identification() string
	State() State
	PID() int
	// MainLogPath is the main log file ("" when none or syslog).
	MainLogPath() string
	ClearMainLog() error
	Shutdown() error
	Restart() error

	ProcessInfo(ctx context.Context, name string) (ProcessInfo, error)
	AllProcessInfo(ctx context.Context) ([]ProcessInfo, error)
	AllConfigInfo(ctx context.Context) ([]ConfigInfo, error)

	StartProcess(ctx context.Context, name string, wait bool) error
	StartProcessGroup(ctx context.Context, name string, wait bool) ([]Result, error)
	StartAllProcesses(ctx context.Context, wait bool) ([]Result, error)
	StopProcess(ctx context.Context, name string, wait bool) error
	StopProcessGroup(ctx context.Context, name string, wait bool) ([]Result, error)
	StopAllProcesses(ctx context.Context, wait bool) ([]Result, error)
	// Signals arrive as the client sent them (name or number string).
	SignalProcess(ctx context.Context, name, signal string) error
	SignalProcessGroup(ctx context.Context, name, signal string) ([]Result, error)
	SignalAllProcesses(ctx context.Context, signal string) ([]Result, error)
	SendProcessStdin(ctx context.Context, name, chars string) error
	SendRemoteCommEvent(ctx context.Context, typ, data string) error

	ReloadConfig(ctx context.Context) (added, changed, removed []string, err error)
	AddProcessGroup(ctx context.Context, name string) error
	RemoveProcessGroup(ctx context.Context, name string) error

	// ProcessLogPath returns the log file of channel "stdout" or
	// "stderr" for a process (BAD_NAME fault if unknown, "" if none).
	ProcessLogPath(ctx context.Context, name, channel string) (string, error)
	ClearProcessLogs(ctx context.Context, name string) error
	ClearAllProcessLogs(ctx context.Context) ([]Result, error)
}
