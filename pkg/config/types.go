package config

import (
	"strings"
	"sync"
	"syscall"
	"time"
)

// Config is the effective configuration after includes, [DEFAULT]
// inheritance, %-expansion and numprocs expansion.
type Config struct {
	// File is the absolute path of the main config file ("" for the
	// built-in default).
	File string `json:"file"`
	// Files lists every file read, main file first, then includes in
	// the order they were read.
	Files []string `json:"files"`

	Supervisord   Supervisord      `json:"supervisord"`
	Supervisorctl Supervisorctl    `json:"supervisorctl"`
	UnixServer    *UnixHTTPServer  `json:"unix_http_server,omitempty"`
	InetServers   []InetHTTPServer `json:"inet_http_servers,omitempty"`
	// RPCInterfaces names the [rpcinterface:x] sections seen ("supervisor"
	// is built in).
	RPCInterfaces []string `json:"rpcinterfaces,omitempty"`

	// Groups are sorted by (Priority, Name) ascending: the start order.
	Groups []*Group `json:"groups"`

	// Jobs are the [job:name] sections (superd), sorted by name.
	Jobs []*Job `json:"jobs,omitempty"`

	// Warnings are non-fatal findings (unknown options with a
	// suggestion, no file matching an include, ...), each carrying
	// file:line.
	Warnings []string `json:"-"`
}

// Supervisord is the [supervisord] section.
type Supervisord struct {
	Logfile         string            `json:"logfile"` // absolute path, or "syslog"
	LogfileMaxBytes int64             `json:"logfile_maxbytes"`
	LogfileBackups  int               `json:"logfile_backups"`
	LogLevel        string            `json:"loglevel"` // critical error warn info debug trace blather
	Pidfile         string            `json:"pidfile"`
	Umask           Umask             `json:"umask"`
	Nodaemon        bool              `json:"nodaemon"`
	Silent          bool              `json:"silent"`
	Minfds          int               `json:"minfds"`
	Minprocs        int               `json:"minprocs"`
	NoCleanup       bool              `json:"nocleanup"`
	ChildLogDir     string            `json:"childlogdir"`
	User            string            `json:"user,omitempty"`
	UID             int               `json:"-"` // -1 when User is empty
	Directory       string            `json:"directory,omitempty"`
	StripANSI       bool              `json:"strip_ansi"`
	Environment     map[string]string `json:"environment,omitempty"`
	Identifier      string            `json:"identifier"`
	// superd keys (supervisord ignores them): the state database's
	// directory and the program mailto= pipes to (job.go); "" means
	// Config.StateDirectory()'s default and DefaultSendmail.
	StateDir string `json:"statedir,omitempty"`
	Sendmail string `json:"sendmail,omitempty"`
	// NoMetrics is "metrics = false": no /metrics on the HTTP servers.
	NoMetrics bool `json:"metrics_disabled,omitempty"`
}

// Supervisorctl is the [supervisorctl] section.
type Supervisorctl struct {
	ServerURL   string `json:"serverurl"`
	Username    string `json:"username,omitempty"`
	Password    string `json:"password,omitempty"`
	Prompt      string `json:"prompt"`
	HistoryFile string `json:"history_file,omitempty"`
	// Present is false when the file has no [supervisorctl] section
	// (supervisorctl then refuses the file).
	Present bool `json:"-"`
}

// UnixHTTPServer is the [unix_http_server] section.
type UnixHTTPServer struct {
	File     string `json:"file"`
	Chmod    Umask  `json:"chmod"` // octal, default 0700
	Chown    string `json:"chown,omitempty"`
	UID      int    `json:"-"` // -1: unchanged
	GID      int    `json:"-"` // -1: unchanged
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"` // plain or {SHA}hex
}

// InetHTTPServer is an [inet_http_server] or [inet_http_server:x] section.
type InetHTTPServer struct {
	Name     string `json:"name"` // section name
	Host     string `json:"host"` // "" = all interfaces
	Port     int    `json:"port"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// Kind is the section type a group came from.
type Kind string

const (
	KindProgram       Kind = "program"
	KindEventListener Kind = "eventlistener"
	KindFCGIProgram   Kind = "fcgi-program"
)

// Group is a process group: a [program:x] (homogeneous group), a
// [group:x] of programs, an [eventlistener:x] pool or an
// [fcgi-program:x] (Socket set).
type Group struct {
	Name     string `json:"name"`
	Kind     Kind   `json:"kind"`
	Priority int    `json:"priority"`
	// Processes are sorted by (Priority, Name).
	Processes []*Process `json:"processes"`
	// Listener is set for eventlistener pools.
	Listener *Listener `json:"listener,omitempty"`
	// Socket is set for an [fcgi-program:x] group: the socket its
	// processes get as stdin.
	Socket *Socket `json:"socket,omitempty"`
	// Source is "file:line" of the defining section header.
	Source string `json:"-"`
	// Scaling is set for a [program:x] or [fcgi-program:x] group (a
	// homogeneous group): it makes the processes of another numprocs
	// (superctl scale). nil for [group:x] and [eventlistener:x].
	Scaling *Scaling `json:"-"`
}

// Scaling is a [program:x] or [fcgi-program:x] section's numprocs
// template: what a runtime change of numprocs (superd.scaleGroup)
// needs to name and configure the processes it adds.
type Scaling struct {
	// NameTemplate is process_name as written ("%(program_name)s_%(process_num)02d").
	NameTemplate  string
	NumprocsStart int // numprocs_start
	Numprocs      int // numprocs as configured

	mu     sync.Mutex // guards expand's use of the loader
	expand func(num, numprocs int) (*Process, error)
}

// CanScale reports whether the template names each process apart
// (process_name uses %(process_num)), which more than one process needs.
func (s *Scaling) CanScale() bool {
	return s != nil && strings.Contains(s.NameTemplate, "%(process_num)")
}

// Process returns the configuration of process number num (from
// NumprocsStart) of a group of numprocs processes, every option
// expanded as the loader expands the configured ones (command,
// process_name, environment, directory, log files). Its Deps and Seq
// are left for the caller (they depend on the rest of the group).
func (s *Scaling) Process(num, numprocs int) (*Process, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expand(num, numprocs)
}

// Listener holds the [eventlistener:x] specific options.
type Listener struct {
	Events        []string `json:"events"` // upper-case event type names
	BufferSize    int      `json:"buffer_size"`
	ResultHandler string   `json:"result_handler"`
}

// Autorestart is the autorestart option.
type Autorestart string

const (
	AutorestartFalse      Autorestart = "false"
	AutorestartUnexpected Autorestart = "unexpected"
	AutorestartTrue       Autorestart = "true"
)

// Process is one process after numprocs expansion.
type Process struct {
	Name    string `json:"name"`    // expanded process_name
	Group   string `json:"group"`   // group name
	Program string `json:"program"` // name after "program:"
	// Command is the raw expanded command; Argv is it split as
	// shlex.split does (nil if it could not be split: CommandErr says why).
	Command    string   `json:"command"`
	Argv       []string `json:"argv"`
	CommandErr string   `json:"command_error,omitempty"`

	ProcessNum int `json:"process_num"`
	Priority   int `json:"priority"`
	// Seq is the process's position in its group as configured
	// (supervisord's process_configs order: programs= order, then
	// process_num). supervisord starts a group's processes in this
	// order at startup and breaks priority ties with it.
	Seq int `json:"-"`

	Autostart      bool           `json:"autostart"`
	Autorestart    Autorestart    `json:"autorestart"`
	StartSecs      int            `json:"startsecs"`
	StartRetries   int            `json:"startretries"`
	ExitCodes      []int          `json:"exitcodes"`
	StopSignal     syscall.Signal `json:"-"`
	StopSignalName string         `json:"stopsignal"` // e.g. "TERM"
	StopWaitSecs   int            `json:"stopwaitsecs"`
	StopAsGroup    bool           `json:"stopasgroup"`
	KillAsGroup    bool           `json:"killasgroup"`

	User      string `json:"user,omitempty"`
	UID       int    `json:"uid"` // -1 when User is empty
	Directory string `json:"directory,omitempty"`
	Umask     *Umask `json:"umask,omitempty"`

	RedirectStderr bool `json:"redirect_stderr"`
	Stdout         Log  `json:"stdout"`
	Stderr         Log  `json:"stderr"`

	// Environment is the program's own environment= (not merged with
	// [supervisord] environment), in the order written.
	Environment []EnvVar `json:"environment,omitempty"`
	ServerURL   string   `json:"serverurl"` // "AUTO" or a URL

	// Listen are the sockets of listen= (a superd extension, [program:x]
	// only): superd keeps them open across restarts and passes them as
	// fds 3.. with LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES.
	Listen []Socket `json:"listen,omitempty"`
	// ListenReusePort gives each process its own SO_REUSEPORT socket
	// per listen= address instead of one shared by all.
	ListenReusePort bool `json:"listen_reuseport,omitempty"`

	// Source is "file:line" of the section header.
	Source string `json:"-"`

	// Lifecycle holds superd's extensions (depends_on, ready,
	// healthcheck, restart_delay, environment_file, ...).
	Lifecycle
}

// EnvVar is one KEY=VALUE pair.
type EnvVar struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Log is the configuration of one output channel of a process.
type Log struct {
	// File is "" for NONE/OFF, "AUTO" for an automatic file in
	// childlogdir, or an absolute or cwd-relative path.
	File            string `json:"logfile"`
	MaxBytes        int64  `json:"logfile_maxbytes"`
	Backups         int    `json:"logfile_backups"`
	CaptureMaxBytes int64  `json:"capture_maxbytes"`
	EventsEnabled   bool   `json:"events_enabled"`
	Syslog          bool   `json:"syslog"`
	// superd extensions (lumberjack-backed).
	Compress bool          `json:"logfile_compress,omitempty"`
	MaxAge   time.Duration `json:"logfile_maxage,omitempty"`
}

// Umask is an octal file-mode mask; it marshals as a string like "022".
type Umask uint32
