package daemon

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/superd/superd/internal/export"
	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/rpc"
)

// Version is superd's version; supervisor.getSupervisorVersion reports
// the supervisord version superd is compatible with.
const Version = "0.1.0"

const usageText = `superd -- run a set of applications as daemons (supervisord compatible).

Usage: %s [options]
       %s check [-c FILE]          validate the configuration
       %s config [-c FILE]         print the effective configuration as JSON
       %s service install|uninstall|start|stop|restart|status [-c FILE]
       %s export systemd|cron|logrotate|kubernetes [-c FILE] [-o PATH] [--check]
       %s import cron|systemd|procfile FILE...
       %s version

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-n/--nodaemon -- run in the foreground (same as 'nodaemon=true' in config file)
-s/--silent -- no logs to stdout (maps to 'silent=true' in config file)
-h/--help -- print this usage message and exit
-v/--version -- print supervisord version number and exit
-u/--user USER -- run supervisord as this user (or numeric uid)
-m/--umask UMASK -- use this umask for daemon subprocess (default is 022)
-d/--directory DIRECTORY -- directory to chdir to when daemonized
-l/--logfile FILENAME -- use FILENAME as logfile path
-y/--logfile_maxbytes BYTES -- use BYTES to limit the max size of logfile
-z/--logfile_backups NUM -- number of backups to keep when max bytes reached
-e/--loglevel LEVEL -- use LEVEL as log level (debug,info,warn,error,critical)
-j/--pidfile FILENAME -- write a pid file for the daemon process to FILENAME
-i/--identifier STR -- identifier used for this instance of supervisord
-q/--childlogdir DIRECTORY -- the log directory for child process logs
-k/--nocleanup --  prevent the process from performing cleanup (removal of
                   old automatic child log files) at startup.
-a/--minfds NUM -- the minimum number of file descriptors for start success
-t/--strip_ansi -- strip ansi escape codes from process output
--minprocs NUM  -- the minimum number of processes available for start success
--subreaper -- reap orphaned descendants (automatic when running as PID 1)
`

var specs = []optSpec{
	{'h', "help", false, "help"},
	{'?', "", false, "help"},
	{'c', "configuration", true, "configuration"},
	{'v', "version", false, "version"},
	{'n', "nodaemon", false, "nodaemon"},
	{'u', "user", true, "user"},
	{'m', "umask", true, "umask"},
	{'d', "directory", true, "directory"},
	{'l', "logfile", true, "logfile"},
	{'y', "logfile_maxbytes", true, "logfile_maxbytes"},
	{'z', "logfile_backups", true, "logfile_backups"},
	{'e', "loglevel", true, "loglevel"},
	{'j', "pidfile", true, "pidfile"},
	{'i', "identifier", true, "identifier"},
	{'q', "childlogdir", true, "childlogdir"},
	{'a', "minfds", true, "minfds"},
	{0, "minprocs", true, "minprocs"},
	{'k', "nocleanup", false, "nocleanup"},
	{'t', "strip_ansi", false, "strip_ansi"},
	{0, "profile_options", true, "profile_options"},
	{'s', "silent", false, "silent"},
	{0, "subreaper", false, "subreaper"},
}

// options is the parsed command line. set holds the options given, by
// name, already validated; apply writes them over the config file.
type options struct {
	argv0      string
	args       []string
	stdout     io.Writer
	stderr     io.Writer
	configFile string
	set        map[string]string
	subreaper  bool
	profile    bool // --profile_options given (ignored)
}

// pyRepr quotes s as Python's repr does.
func pyRepr(s string) string { return config.PyRepr(s) }

// apply writes the command-line options over the [supervisord]
// section; they were validated when the command line was parsed.
func (o *options) apply(cfg *config.Config) error {
	for name, v := range o.set {
		if err := config.SetSupervisordOption(&cfg.Supervisord, name, v); err != nil {
			return err
		}
	}
	return nil
}

// usageError prints supervisord's usage error and returns exit status 2.
func (o *options) usageError(msg string) int {
	fmt.Fprintf(o.stderr, "Error: %s\nFor help, use %s -h\n", msg, o.argv0)
	return 2
}

// Main runs superd with args (without the program name) and returns
// the exit status.
func Main(argv0 string, args []string, stdout, stderr io.Writer) int {
	argv0 = pathOfArgv0(argv0)
	o := &options{argv0: argv0, args: args, stdout: stdout, stderr: stderr, set: map[string]string{}}
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return cmdCheck(o, args[1:])
		case "config":
			return cmdConfig(o, args[1:])
		case "service":
			return cmdService(o, args[1:])
		case "export", "import":
			return export.Main(args[0], args[1:], export.Env{Stdout: stdout, Stderr: stderr,
				Load: func(file string) (*config.Config, error) {
					if o.configFile = file; file == "" {
						o.configFile = config.Find(argv0)
					}
					return o.loadFile()
				}})
		case "version":
			fmt.Fprintf(stdout, "superd %s (supervisord %s compatible)\n", Version, rpc.SupervisorVersion)
			return 0
		}
	}
	opts, rest, err := getopt(args, specs)
	if err != nil {
		return o.usageError(err.Error())
	}
	if len(rest) > 0 {
		return o.usageError("positional arguments are not supported: " + pyList(rest))
	}
	for _, ov := range opts {
		switch ov.name {
		case "help":
			fmt.Fprint(stdout, strings.ReplaceAll(usageText, "%s", argv0))
			return 0
		case "version":
			fmt.Fprintln(stdout, rpc.SupervisorVersion)
			return 0
		case "configuration":
			if o.configFile != "" {
				return o.usageError(fmt.Sprintf("conflicting command line option %s", pyRepr(ov.flag)))
			}
			o.configFile = ov.arg
		case "subreaper":
			o.subreaper = true
		case "profile_options", "nodaemon", "silent", "nocleanup", "strip_ansi":
			// supervisord: a flag given twice conflicts like any option
			if _, dup := o.set[ov.name]; dup || (ov.name == "profile_options" && o.profile) {
				return o.usageError(fmt.Sprintf("conflicting command line option %s", pyRepr(ov.flag)))
			}
			if ov.name == "profile_options" {
				o.profile = true // accepted and ignored
				continue
			}
			o.set[ov.name] = "1"
		default:
			if _, dup := o.set[ov.name]; dup {
				return o.usageError(fmt.Sprintf("conflicting command line option %s", pyRepr(ov.flag)))
			}
			var scratch config.Supervisord
			if err := config.SetSupervisordOption(&scratch, ov.name, ov.arg); err != nil {
				if ov.name == "user" {
					return o.usageError(err.Error()) // supervisord's own wording for -u
				}
				return o.usageError(fmt.Sprintf("invalid value for %s %s: %v", ov.flag, pyRepr(ov.arg), err))
			}
			o.set[ov.name] = ov.arg
		}
	}
	if o.configFile == "" && os.Geteuid() == 0 {
		// supervisord's warning (a Python UserWarning on stderr)
		fmt.Fprintln(stderr, "UserWarning: "+rootSearchWarning)
	}
	if code := o.resolveConfig(); code >= 0 {
		return code
	}
	err = run(o)
	var se *startupError
	if errors.As(err, &se) {
		return o.usageError(se.msg)
	}
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	return 0
}

// rootSearchWarning is what supervisord warns, run as root without -c.
const rootSearchWarning = `Supervisord is running as root and it is searching for its configuration file in default locations (including its current working directory); you probably want to specify a "-c" argument specifying an absolute path to a configuration file for improved security.`

// pathOfArgv0 returns argv0, or for a bare name found through PATH the
// path the shell executed: supervisord's sys.argv[0] is that path, and
// it names it in its usage errors and searches for the config file
// relative to it (<bin>/../etc/supervisord.conf).
func pathOfArgv0(argv0 string) string {
	if argv0 == "" || strings.Contains(argv0, "/") {
		return argv0
	}
	if p, err := exec.LookPath(argv0); err == nil {
		return p
	}
	return argv0
}

func pyList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = pyRepr(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// resolveConfig finds the config file when -c was not given; with none
// anywhere the built-in default is used (configFile stays ""). It
// returns an exit status, or -1 to continue.
func (o *options) resolveConfig() int {
	if o.configFile != "" {
		if _, err := os.Stat(o.configFile); err != nil {
			return o.usageError("could not find config file " + o.configFile)
		}
		abs, err := filepath.Abs(o.configFile)
		if err == nil {
			o.configFile = abs
		}
		return -1
	}
	if f := config.Find(o.argv0); f != "" {
		abs, err := filepath.Abs(f)
		if err == nil {
			f = abs
		}
		o.configFile = f
	}
	return -1
}

// parseSubFlags parses the -c option of the subcommands.
func parseSubFlags(o *options, cmd string, args []string) ([]string, int) {
	opts, rest, err := getopt(args, []optSpec{{'c', "configuration", true, "configuration"}, {'h', "help", false, "help"}})
	if err != nil {
		return nil, o.usageError(err.Error())
	}
	for _, ov := range opts {
		switch ov.name {
		case "help":
			fmt.Fprint(o.stdout, strings.ReplaceAll(usageText, "%s", o.argv0))
			return nil, 0
		case "configuration":
			o.configFile = ov.arg
		}
	}
	return rest, o.resolveConfig()
}

// loadFor parses a subcommand's flags (only -c) and loads the
// configuration it names, or the built-in default. On failure it has
// printed the problem and returns the exit status.
func loadFor(o *options, cmd string, args []string) (*config.Config, int) {
	rest, code := parseSubFlags(o, cmd, args)
	if code >= 0 {
		return nil, code
	}
	if len(rest) > 0 {
		return nil, o.usageError(cmd + " accepts no arguments: " + pyList(rest))
	}
	cfg, err := o.loadFile()
	if err != nil {
		fmt.Fprintln(o.stderr, err)
		return nil, 1
	}
	return cfg, -1
}

// loadFile loads the configuration file chosen at start-up, or the
// built-in default when there is none.
func (o *options) loadFile() (*config.Config, error) {
	if o.configFile == "" {
		return config.LoadDefault()
	}
	return config.Load(o.configFile)
}

// cmdCheck validates the configuration: exit 0 (warnings on stderr) or
// 1 (every error on stderr). Nothing is started.
func cmdCheck(o *options, args []string) int {
	cfg, code := loadFor(o, "check", args)
	if cfg == nil {
		return code
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(o.stderr, "warning: "+w)
	}
	checkEnvFiles(o.stderr, cfg)
	name := o.configFile
	if name == "" {
		name = "built-in default configuration"
	}
	n := 0
	for _, g := range cfg.Groups {
		n += len(g.Processes)
	}
	counts := plural(len(cfg.Groups), "group") + ", " + plural(n, "process")
	if len(cfg.Jobs) > 0 {
		counts += ", " + plural(len(cfg.Jobs), "job")
	}
	fmt.Fprintf(o.stdout, "%s: ok (%s)\n", name, counts)
	checkLifecycle(o.stdout, cfg)
	checkJobs(o.stdout, cfg)
	return 0
}

// cmdConfig prints the effective configuration as JSON.
func cmdConfig(o *options, args []string) int {
	cfg, code := loadFor(o, "config", args)
	if cfg == nil {
		return code
	}
	out, err := config.JSON(cfg)
	if err != nil {
		fmt.Fprintln(o.stderr, err)
		return 1
	}
	o.stdout.Write(append(out, '\n'))
	return 0
}

// plural is "1 job", "2 jobs", "1 process", "3 processes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "s") {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
