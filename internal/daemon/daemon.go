package daemon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/logfile"
	"github.com/superd/superd/pkg/process"
	"github.com/superd/superd/pkg/rpc"
	"github.com/superd/superd/pkg/sockets"
	"github.com/superd/superd/pkg/state"
	"golang.org/x/sys/unix"
)

// pingbackEnv names the environment variable that tells a re-executed
// superd it is the daemonized child and which fd reports start-up
// success or failure to the waiting parent.
const pingbackEnv = "SUPERD_PINGBACK_FD"

// startupError is an error that ends start-up with supervisord's
// "Error: ...\nFor help, use ... -h" and exit status 2.
type startupError struct{ msg string }

func (e *startupError) Error() string { return e.msg }

type requestKind int

const (
	reqShutdown requestKind = iota
	reqRestart
)

// request is a shutdown or restart asked for over XML-RPC. The wait
// loop answers on reply (buffered) once it has acted: nil when the
// daemon is now stopping or restarting, a fault when the request is
// refused (a broken configuration, or already stopping).
type request struct {
	kind  requestKind
	reply chan error
}

// daemon is one running superd. The signal/request loop in serve is
// the only goroutine that changes sup, conf and the mood flags; mu
// guards them and mainFile for the RPC goroutines that read them.
// servers, srvCtx, srvCancel, sockPaths, pidfile and serverLog are set
// during start-up (before serve) and read by serve and cleanup only.
type daemon struct {
	o   *options
	pid int

	handler *mainLog
	log     *slog.Logger
	bus     *events.Bus

	requests chan request

	mu         sync.Mutex
	sup        *process.Supervisor
	conf       *config.Config
	mainFile   *logfile.Writer
	shutdown   bool // ordered shutdown in progress
	restarting bool

	// store is the state database (nil when it could not be opened)
	// and children the record of live children kept in it; both set
	// during start-up, closed by cleanup.
	store    *state.Store
	children *childLog
	// logDropped counts child output dropped by log files that could
	// not be written, over superd's lifetime (superd.getDaemonStats).
	logDropped atomic.Int64

	servers   []*http.Server
	srvCtx    context.Context // request contexts of the HTTP servers
	srvCancel context.CancelFunc
	sockPaths []string
	pidfile   string
	socks     *sockets.Registry // fcgi-program and listen= sockets (sockets.go)
	jobs      daemonJobs        // the scheduler and state store (jobs.go)

	// serverLog are the lines supervisord logs as it makes its HTTP
	// servers (inet first, then unix): "RPC interface 'supervisor'
	// initialized" for each, followed by a CRIT for one without
	// authentication; logged again at each restart as supervisord does.
	serverLog []serverLine
}

// serverLine is one line of serverLog.
type serverLine struct {
	crit bool
	msg  string
}

// logServers logs serverLog.
func (d *daemon) logServers() {
	for _, l := range d.serverLog {
		if l.crit {
			d.log.Log(context.Background(), LevelCrit, l.msg)
		} else {
			d.log.Info(l.msg)
		}
	}
}

func (d *daemon) current() *process.Supervisor {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sup
}

func (d *daemon) cfg() *config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conf
}

func (d *daemon) stopping() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.shutdown || d.restarting
}

func (d *daemon) mood() process.Mood {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.shutdown:
		return process.MoodShutdown
	case d.restarting:
		return process.MoodRestarting
	case d.sup == nil:
		return process.MoodRestarting
	}
	return d.sup.Mood()
}

func (d *daemon) mainLogPath() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.mainFile == nil {
		return ""
	}
	return d.mainFile.Path()
}

func (d *daemon) clearMainLog() error {
	d.mu.Lock()
	w := d.mainFile
	d.mu.Unlock()
	if w == nil {
		return &rpc.Fault{Code: rpc.NoFile, String: "NO_FILE"}
	}
	if err := w.Clear(); err != nil {
		return &rpc.Fault{Code: rpc.Failed, String: "FAILED: " + err.Error()}
	}
	return nil
}

// loadConfig reads the configuration as start-up did: the same file (or
// the built-in default) with the command-line overrides applied.
func (d *daemon) loadConfig() (*config.Config, error) {
	cfg, err := d.o.loadFile()
	if err != nil {
		return nil, err
	}
	if err := d.o.apply(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// serverURL is SUPERVISOR_SERVER_URL for children, as supervisord
// derives it: the first unix server, else the first inet server.
func serverURL(cfg *config.Config) string {
	if cfg.UnixServer != nil {
		return "unix://" + cfg.UnixServer.File
	}
	if len(cfg.InetServers) > 0 {
		s := cfg.InetServers[0]
		host := s.Host
		if host == "" || host == "*" {
			host = "localhost"
		}
		return "http://" + net.JoinHostPort(host, strconv.Itoa(s.Port))
	}
	return ""
}

// run starts superd: it validates everything that can fail, daemonizes
// (unless in the foreground), and serves until shutdown. The returned
// error is a *startupError for failures before serving.
func run(o *options) error {
	d := &daemon{o: o, pid: os.Getpid(), requests: make(chan request, 4)}
	cfg, err := d.loadConfig()
	if err != nil {
		return &startupError{err.Error()}
	}
	pingFD := os.Getenv(pingbackEnv)
	if !cfg.Supervisord.Nodaemon && pingFD == "" {
		return daemonizeParent(o)
	}
	var ping *os.File
	if pingFD != "" {
		os.Unsetenv(pingbackEnv)
		fd, _ := strconv.Atoi(pingFD)
		ping = os.NewFile(uintptr(fd), "pingback")
	}
	// Signals are caught before "supervisord started" is logged, as
	// supervisord's setsignals() comes before that line: a SIGHUP or
	// SIGTERM sent as soon as it appears is acted on once serving
	// begins, instead of being lost (or killing superd).
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGUSR2)
	// SIGPIPE is caught, not ignored: writes to a closed stdout return
	// EPIPE instead of killing superd, and children start with the
	// default disposition (an ignored signal would be inherited).
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	defer signal.Stop(sigs)
	err = d.start(cfg, ping != nil)
	if ping != nil {
		if err != nil {
			fmt.Fprintf(ping, "Error: %v\n", err)
		} else {
			io.WriteString(ping, "OK\n")
		}
		ping.Close()
	}
	if err != nil {
		d.cleanup()
		return &startupError{err.Error()}
	}
	return d.serve(sigs)
}

// start opens logs and sockets, writes the pidfile and drops privileges.
func (d *daemon) start(cfg *config.Config, daemonized bool) error {
	sd := cfg.Supervisord
	// Descriptors superd inherited (from a shell or a service manager)
	// must not leak into children.
	if err := process.CloseOnExecInherited(); err != nil {
		return fmt.Errorf("cannot mark inherited descriptors close-on-exec: %w", err)
	}
	lvl, _ := parseLevel(sd.LogLevel)
	d.handler = newMainLog(lvl)
	d.log = slog.New(d.handler)
	if err := d.openMainLog(cfg, daemonized); err != nil {
		return err
	}
	d.logConfigRead(cfg)
	_, nfds := fdsNeeded(cfg)
	if msg := raiseLimits(sd.Minfds, sd.Minprocs, int(nfds), d.log); msg != "" {
		return errors.New(msg)
	}
	checkFDs(cfg, d.log)
	// The first supervisor exists before the sockets answer, so a
	// request that arrives during the rest of start-up (removing old
	// AUTO logs can take a while) waits for it instead of finding no
	// supervisor and answering SHUTDOWN_STATE.
	d.socks = sockets.New(d.log)
	if err := d.newSupervisor(cfg); err != nil {
		return err
	}
	if err := d.listen(cfg); err != nil {
		return err
	}
	d.logServers()
	// After the sockets (a live superd on the same socket was refused
	// above) and before anything is spawned: stop what a superd killed
	// earlier left running.
	d.openState(cfg)
	d.recoverLeftovers()
	if daemonized {
		d.log.Info("daemonizing the supervisord process")
		unix.Umask(int(sd.Umask))
		if sd.Directory != "" {
			if err := os.Chdir(sd.Directory); err != nil {
				d.log.Log(context.Background(), LevelCrit, fmt.Sprintf("can't chdir into %s: %v", pyRepr(sd.Directory), err))
			} else {
				d.log.Info("set current directory: " + pyRepr(sd.Directory))
			}
		}
	}
	pidOK := d.writePidfile(sd.Pidfile)
	if err := d.openListen(cfg); err != nil {
		return err
	}
	if err := dropPrivileges(sd.User, d.log); err != nil {
		return err
	}
	if err := d.probeFCGI(cfg); err != nil {
		return err
	}
	if !sd.NoCleanup {
		process.CleanupAutoLogs(sd.ChildLogDir, sd.Identifier, d.log)
	}
	if pidOK {
		d.log.Info(fmt.Sprintf("supervisord started with pid %d", d.pid))
	}
	return nil
}

// writePidfile writes the pidfile at path (none when path is ""); it
// reports whether "supervisord started with pid" is to be logged, which
// supervisord logs only once its pidfile is written (a failure is CRIT).
func (d *daemon) writePidfile(path string) bool {
	if path == "" {
		return true
	}
	if err := os.WriteFile(path, []byte(strconv.Itoa(d.pid)+"\n"), 0o644); err != nil {
		d.log.Log(context.Background(), LevelCrit, "could not write pidfile "+path)
		return false
	}
	d.pidfile = path
	return true
}

func (d *daemon) openMainLog(cfg *config.Config, daemonized bool) error {
	sd := cfg.Supervisord
	var outs []io.Writer
	var sys *syslog.Writer
	if sd.Nodaemon && !sd.Silent && !daemonized {
		outs = append(outs, d.o.stdout)
	}
	var file *logfile.Writer
	switch {
	case sd.Logfile == "syslog":
		w, err := syslog.New(syslog.LOG_INFO|syslog.LOG_USER, "supervisord")
		if err == nil {
			sys = w
		}
	case sd.Logfile != "":
		w, err := logfile.Open(logfile.Options{Path: sd.Logfile, MaxBytes: sd.LogfileMaxBytes, Backups: sd.LogfileBackups})
		if err != nil {
			return fmt.Errorf("could not open logfile %s: %w", sd.Logfile, err)
		}
		file = w
		outs = append(outs, w)
	}
	d.handler.setOutputs(outs, sys)
	d.mu.Lock()
	old := d.mainFile
	d.mainFile = file
	d.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// errAddrInUse is supervisord's message for a socket that is in use.
const errAddrInUse = "Another program is already listening on a port that one of our HTTP servers is configured to use.  Shut this program down first before starting supervisord."

// socketError is supervisord's message for a socket that cannot be
// opened: "... reported errno.ENOENT (2)" for a system error; other
// errors keep their own text.
func socketError(err error) error {
	const help = "Cannot open an HTTP server: socket.error reported"
	var en syscall.Errno
	if errors.As(err, &en) {
		if name := unix.ErrnoName(en); name != "" {
			return fmt.Errorf("%s errno.%s (%d)", help, name, int(en))
		}
		return fmt.Errorf("%s %d", help, int(en))
	}
	return fmt.Errorf("%s %v", help, err)
}

func (d *daemon) listen(cfg *config.Config) error {
	b := newBackend(d)
	webUI, methods := d.webHandler(b, cfg)
	const initialized = "RPC interface 'supervisor' initialized"
	var unixLog []serverLine
	if u := cfg.UnixServer; u != nil {
		ln, stale, err := rpc.ListenUnixStale(u.File, os.FileMode(u.Chmod), u.UID, u.GID)
		if stale {
			fmt.Fprintf(d.o.stderr, "Unlinking stale socket %s\n", u.File)
		}
		if err != nil {
			if errors.Is(err, rpc.ErrAddrInUse) {
				return errors.New(errAddrInUse)
			}
			return socketError(err)
		}
		d.sockPaths = append(d.sockPaths, u.File)
		unixLog = append(unixLog, serverLine{msg: initialized})
		if u.Username == "" {
			unixLog = append(unixLog, serverLine{crit: true, msg: "Server 'unix_http_server' running without any HTTP authentication checking"})
		}
		d.serveOn(ln, rpc.NewServer(b, rpc.ServerOptions{Username: u.Username, Password: u.Password, Logger: d.log, Fallback: webUI, Methods: methods}))
	}
	for _, s := range cfg.InetServers {
		ln, err := rpc.ListenTCP(s.Host, s.Port)
		if err != nil {
			if errors.Is(err, syscall.EADDRINUSE) {
				return errors.New(errAddrInUse)
			}
			return socketError(err)
		}
		d.serverLog = append(d.serverLog, serverLine{msg: initialized})
		if s.Username == "" {
			d.serverLog = append(d.serverLog, serverLine{crit: true, msg: fmt.Sprintf("Server '%s' running without any HTTP authentication checking", s.Name)})
		}
		d.serveOn(ln, rpc.NewServer(b, rpc.ServerOptions{Username: s.Username, Password: s.Password, Logger: d.log, Fallback: webUI, Methods: methods}))
	}
	d.serverLog = append(d.serverLog, unixLog...)
	return nil
}

func (d *daemon) serveOn(ln net.Listener, h http.Handler) {
	if d.srvCtx == nil {
		d.srvCtx, d.srvCancel = context.WithCancel(context.Background())
	}
	srv := rpc.NewHTTPServer(d.srvCtx, h)
	d.servers = append(d.servers, srv)
	go srv.Serve(ln)
}

// cleanup closes servers and removes the socket files and the pidfile.
func (d *daemon) cleanup() {
	if d.srvCancel != nil {
		d.srvCancel()
	}
	// Let answers in flight (the "shutdown" call's own) reach their
	// clients; canceling srvCtx above ends deferred calls and /logtail
	// streams, so this takes long only for a stuck client.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, s := range d.servers {
		if s.Shutdown(ctx) != nil {
			s.Close()
		}
	}
	for _, p := range d.sockPaths {
		os.Remove(p)
	}
	if d.pidfile != "" {
		os.Remove(d.pidfile)
	}
	if d.socks != nil {
		d.socks.Close()
	}
	d.closeJobs()
	if d.children != nil {
		d.children.close()
	}
	if d.store != nil {
		d.store.Close()
	}
	d.mu.Lock()
	if d.mainFile != nil {
		d.mainFile.Close()
	}
	d.mu.Unlock()
}

// serve runs supervisors until shutdown: each restart (SIGHUP,
// supervisor.restart) stops every process and builds a new supervisor
// from a fresh read of the configuration.
func (d *daemon) serve(sigs chan os.Signal) error {
	if d.reaper() {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			d.log.Warn("could not become a child subreaper: " + err.Error())
		}
	}
	defer d.cleanup()
	// READY=1, STATUS=, ... when a service manager asks (sdnotify.go).
	defer d.startSDNotify()()
	sup := d.current() // made by start, before the sockets answered
	for {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		jobsDone := d.startJobs(ctx, sup, d.cfg())
		go func() { done <- sup.Run(ctx) }()

		next := d.wait(sup, sigs, done)
		jobsDone()
		cancel()
		if next == nil {
			return nil
		}
		cfg := next
		lvl, _ := parseLevel(cfg.Supervisord.LogLevel)
		d.handler.level.Set(lvl)
		d.logRestarted(cfg)
		// The mood stays RESTARTING until the new supervisor is current.
		if err := d.newSupervisor(cfg); err != nil {
			d.log.Log(context.Background(), LevelCrit, err.Error())
			return err
		}
		sup = d.current()
	}
}

func (d *daemon) reaper() bool { return d.o.subreaper || d.pid == 1 }

// newSupervisor builds the supervisor for cfg (nothing starts until its
// Run) and makes it the current one; the daemon's mood is then the
// supervisor's own.
func (d *daemon) newSupervisor(cfg *config.Config) error {
	if d.bus == nil {
		d.bus = events.NewBus()
	}
	opts := process.Options{Logger: d.log, Bus: d.bus, ServerURL: serverURL(cfg), Reaper: d.reaper(), Sockets: d.socks, LogDropped: &d.logDropped}
	if d.children == nil {
		d.children = newChildLog(d.log) // its store is attached by openState
	}
	opts.Children = d.children
	sup, err := process.New(cfg, opts)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.sup, d.conf, d.restarting = sup, cfg, false
	d.mu.Unlock()
	return nil
}

// logRestarted logs what supervisord logs when it starts again after a
// restart (its main loop runs anew): the start-up lines, AUTO child
// logs of the previous run are cleaned up and the pidfile is written anew.
func (d *daemon) logRestarted(cfg *config.Config) {
	sd := cfg.Supervisord
	d.logConfigRead(cfg)
	d.logServers()
	if !sd.NoCleanup {
		process.CleanupAutoLogs(sd.ChildLogDir, sd.Identifier, d.log)
	}
	// supervisord removes its pidfile at the end of each run and writes
	// it again, at the path the re-read configuration names.
	if d.pidfile != "" {
		os.Remove(d.pidfile)
		d.pidfile = ""
	}
	if d.writePidfile(sd.Pidfile) {
		d.log.Info(fmt.Sprintf("supervisord started with pid %d", d.pid))
	}
}

// wait handles signals and API requests until the supervisor has
// stopped everything. For a restart it returns the new configuration,
// read and validated before anything was stopped: with a broken file
// the restart is refused and the programs keep running. It returns nil
// for a shutdown.
func (d *daemon) wait(sup *process.Supervisor, sigs <-chan os.Signal, done <-chan error) *config.Config {
	var next *config.Config
	stopping := false
	// restartWith reads the configuration for a restart; nil (and the
	// reason) if it is broken.
	restartWith := func() (*config.Config, error) {
		nc, err := d.loadConfig()
		if err == nil {
			err = d.probeFCGI(nc)
		}
		if err != nil {
			d.log.Error("not restarting: the configuration has errors, programs keep running:\n" + err.Error())
			return nil, err
		}
		return nc, nil
	}
	for {
		select {
		case err := <-done:
			if err != nil {
				d.log.Error("supervisor stopped: " + err.Error())
			}
			return next
		case r := <-d.requests:
			if stopping {
				r.reply <- &rpc.Fault{Code: rpc.ShutdownState, String: "SHUTDOWN_STATE"}
				continue
			}
			if r.kind == reqRestart {
				var err error
				if next, err = restartWith(); next == nil {
					r.reply <- &rpc.Fault{Code: rpc.CantReread, String: "CANT_REREAD: not restarting: the configuration has errors, programs keep running: " + err.Error()}
					continue
				}
			}
			stopping = true
			d.mu.Lock()
			if next != nil {
				d.restarting = true
			} else {
				d.shutdown = true
			}
			d.mu.Unlock()
			if next != nil {
				sup.Restart()
			} else {
				sup.Shutdown(false)
			}
			r.reply <- nil
		case s := <-sigs:
			sig := s.(syscall.Signal)
			name := unix.SignalName(sig)
			switch sig {
			case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
				// supervisord logs every exit signal, repeated ones too.
				d.log.Warn(fmt.Sprintf("received %s indicating exit request", name))
				if stopping {
					if next != nil {
						// A restart in progress becomes a shutdown
						// (supervisord's mood turns SHUTDOWN).
						next = nil
						d.mu.Lock()
						d.shutdown, d.restarting = true, false
						d.mu.Unlock()
						sup.Shutdown(false)
					}
					if sig == syscall.SIGINT {
						d.log.Warn("received SIGINT again, forcing immediate stop")
						sup.Shutdown(true)
					}
					continue
				}
				stopping = true
				d.mu.Lock()
				d.shutdown = true
				d.mu.Unlock()
				sup.Shutdown(false)
			case syscall.SIGHUP:
				if stopping {
					if next != nil { // a restart already: supervisord's mood stays RESTARTING
						d.log.Warn("received SIGHUP indicating restart request")
					} else {
						d.log.Warn("ignored SIGHUP indicating restart request (shutdown in progress)")
					}
					continue
				}
				d.log.Warn("received SIGHUP indicating restart request")
				if next, _ = restartWith(); next == nil {
					continue
				}
				stopping = true
				d.mu.Lock()
				d.restarting = true
				d.mu.Unlock()
				sup.Restart()
			case syscall.SIGUSR2:
				d.log.Info("received SIGUSR2 indicating log reopen request")
				if err := sup.ReopenLogs(context.Background()); err != nil {
					d.log.Error("could not reopen child logs: " + err.Error())
				}
				if js := d.scheduler(); js != nil {
					if err := js.ReopenLogs(context.Background()); err != nil {
						d.log.Error("could not reopen job logs: " + err.Error())
					}
				}
				// supervisord logs this before its own log reopens: it
				// ends the renamed file. Child and job logs are already
				// reopened when it appears.
				d.log.Info("supervisord logreopen")
				d.mu.Lock()
				w := d.mainFile
				d.mu.Unlock()
				if w != nil {
					w.Reopen()
				}
			}
		}
	}
}

// raiseLimits raises RLIMIT_NOFILE and RLIMIT_NPROC as supervisord
// does; it returns supervisord's message if it cannot. nfds is how many
// descriptors superd itself needs for its processes (fdsNeeded).
//
// supervisord raises the soft limits of its own process, so its
// children inherit at least minfds and minprocs. The Go runtime has
// already raised superd's soft RLIMIT_NOFILE to the hard limit, and it
// puts the original soft limit back in every child (go.dev/issue/46279)
// unless superd sets the limit itself; so what is compared with minfds
// is that original, the limit children would get (childNofile). When
// it is lower, superd sets its soft limit to minfds (or to nfds, if
// that is more), which children then inherit as under supervisord.
func raiseLimits(minfds, minprocs, nfds int, log *slog.Logger) string {
	limits := []struct {
		res  int
		min  int
		name string
		msg  string
	}{
		{unix.RLIMIT_NOFILE, minfds, "RLIMIT_NOFILE", "The minimum number of file descriptors required to run this process is %d as per the \"minfds\" command-line argument or config file setting. The current environment will only allow you to open %d file descriptors.  Either raise the number of usable file descriptors in your environment (see README.rst) or lower the minfds setting in the config file to allow the process to start."},
		{unix.RLIMIT_NPROC, minprocs, "RLIMIT_NPROC", "The minimum number of available processes required to run this program is %d as per the \"minprocs\" command-line argument or config file setting. The current environment will only allow you to open %d processes.  Either raise the number of usable processes in your environment (see README.rst) or lower the minprocs setting in the config file to allow the program to start."},
	}
	for _, l := range limits {
		var r unix.Rlimit
		if err := unix.Getrlimit(l.res, &r); err != nil {
			continue
		}
		want := uint64(l.min)
		cur := r.Cur
		if l.res == unix.RLIMIT_NOFILE {
			cur = childNofile(r, log)
		}
		if cur == unix.RLIM_INFINITY || cur >= want {
			continue
		}
		hard := r.Max
		if hard != unix.RLIM_INFINITY && hard < want {
			hard = want
		}
		set := want
		if l.res == unix.RLIMIT_NOFILE && uint64(nfds) > set {
			// superd's own descriptors are not what minfds counts,
			// but they need the same limit: children inherit it.
			set = min(uint64(nfds), hard)
		}
		if err := unix.Setrlimit(l.res, &unix.Rlimit{Cur: set, Max: hard}); err != nil {
			return fmt.Sprintf(l.msg, l.min, hard)
		}
		log.Info(fmt.Sprintf("Increased %s limit to %d", l.name, set))
	}
	return ""
}

// childNofile returns the soft RLIMIT_NOFILE a child of superd starts
// with, given superd's own limit r. The Go runtime sets the soft limit
// to one below the hard limit at start-up and restores the original in
// each child; as it keeps that original to itself, a child is asked
// (sh's "ulimit -n"). If the runtime did not raise it, or no shell
// answers, it is r.Cur.
func childNofile(r unix.Rlimit, log *slog.Logger) uint64 {
	if r.Max == unix.RLIM_INFINITY || r.Max == 0 || r.Cur != r.Max-1 {
		return r.Cur
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "/bin/sh", "-c", "ulimit -n").Output()
	text := strings.TrimSpace(string(out))
	if err != nil {
		log.Debug(fmt.Sprintf("could not read children's RLIMIT_NOFILE (/bin/sh -c 'ulimit -n'): %v; assuming %d", err, r.Cur))
		return r.Cur
	}
	if text == "unlimited" {
		return unix.RLIM_INFINITY
	}
	n, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		log.Debug(fmt.Sprintf("could not read children's RLIMIT_NOFILE: /bin/sh -c 'ulimit -n' printed %q; assuming %d", text, r.Cur))
		return r.Cur
	}
	return n
}

// fdsPerProcess is how many descriptors superd holds per running
// process: the parent ends of its three pipes, a pidfd and two log
// files.
const fdsPerProcess = 6

// checkFDs warns in the main log when the configured processes need
// more descriptors than RLIMIT_NOFILE allows. superd itself already
// runs with its soft limit raised to (one below) the hard limit: the Go
// runtime does that at start-up (and restores the original soft limit
// in children unless superd calls setrlimit, which raiseLimits does
// only when that limit is below minfds). So this fires only when the
// hard limit is too low: spawns past it fail with "too many open
// files" (spawnerr) instead of superd failing at start-up.
func checkFDs(cfg *config.Config, log *slog.Logger) {
	n, need := fdsNeeded(cfg)
	var r unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &r) != nil || r.Cur == unix.RLIM_INFINITY || r.Cur >= need {
		return
	}
	log.Warn(fmt.Sprintf("%d processes need about %d file descriptors but RLIMIT_NOFILE allows %d (hard limit %d): spawns beyond that fail with 'too many open files'; raise the hard limit (ulimit -Hn, LimitNOFILE=) or minfds", n, need, r.Cur, r.Max))
}

// fdsNeeded returns how many processes cfg configures and about how
// many descriptors superd needs for them: fdsPerProcess each, placed
// from descriptor 256 up (pkg/process keeps the low ones free), and 64
// for its sockets, state store and main log.
func fdsNeeded(cfg *config.Config) (n int, need uint64) {
	for _, g := range cfg.Groups {
		n += len(g.Processes)
	}
	return n, uint64(fdsPerProcess*n + 256 + 64)
}

// logConfigRead logs, at every start and restart, what supervisord
// logs once it has read its configuration (make_logger flushes its
// parse messages before anything else): the "running as root" CRIT,
// the warnings, the included files, and "Set uid to user N succeeded"
// when user= names the user superd already runs as (user=root in a
// container). A real switch is logged when it happens, after the
// sockets are open (dropPrivileges).
func (d *daemon) logConfigRead(cfg *config.Config) {
	sd := cfg.Supervisord
	if sd.User == "" && os.Geteuid() == 0 {
		d.log.Log(context.Background(), LevelCrit, "Supervisor is running as root.  Privileges were not dropped because no user is specified in the config file.  If you intend to run as root, you can set user=root in the config file to avoid this message.")
	}
	for _, w := range cfg.Warnings {
		d.log.Warn(w)
	}
	for _, f := range cfg.Files[min(1, len(cfg.Files)):] {
		d.log.Info(fmt.Sprintf("Included extra file %q during parsing", f))
	}
	if sd.User != "" {
		if u, err := lookupUser(sd.User); err == nil && u.Uid == strconv.Itoa(os.Getuid()) {
			d.log.Info(fmt.Sprintf("Set uid to user %s succeeded", u.Uid))
		}
	}
}

// lookupUser resolves user= (a name or a uid).
func lookupUser(name string) (*user.User, error) {
	u, err := user.Lookup(name)
	if err != nil {
		u, err = user.LookupId(name)
	}
	return u, err
}

// dropPrivileges switches to user (name or uid) after sockets and logs
// are open. Without user= (or with superd's own user) there is nothing
// to do; logConfigRead logged what supervisord logs then.
func dropPrivileges(name string, log *slog.Logger) error {
	if name == "" {
		return nil
	}
	u, err := lookupUser(name)
	if err != nil {
		return fmt.Errorf("Invalid user name %s", name)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if os.Getuid() == uid {
		return nil
	}
	if os.Geteuid() != 0 {
		return errors.New("Can't drop privilege as nonroot user")
	}
	groups, _ := u.GroupIds()
	var gids []int
	for _, g := range groups {
		if n, err := strconv.Atoi(g); err == nil {
			gids = append(gids, n)
		}
	}
	if err := syscall.Setgroups(gids); err != nil {
		return fmt.Errorf("Could not set groups of effective user: %v", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("Could not set group id of effective user: %v", err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("Could not set user id of effective user: %v", err)
	}
	log.Info(fmt.Sprintf("Set uid to user %d succeeded", uid))
	return nil
}

// daemonizeParent re-executes superd in a new session with a pingback
// pipe and waits until the child reports that it serves (exit 0) or
// failed to start (its error on stderr, exit 2).
func daemonizeParent(o *options) error {
	exe, err := os.Executable()
	if err != nil {
		return &startupError{"cannot find superd's executable: " + err.Error()}
	}
	r, w, err := os.Pipe()
	if err != nil {
		return &startupError{err.Error()}
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return &startupError{err.Error()}
	}
	env := append(os.Environ(), pingbackEnv+"=3")
	p, err := os.StartProcess(exe, append([]string{o.argv0}, o.args...), &os.ProcAttr{
		Env:   env,
		Files: []*os.File{devnull, devnull, devnull, w},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	w.Close()
	devnull.Close()
	if err != nil {
		return &startupError{"cannot daemonize: " + err.Error()}
	}
	p.Release()
	line, _ := bufio.NewReader(r).ReadString(0)
	r.Close()
	if strings.HasPrefix(line, "OK") {
		return nil
	}
	if line == "" {
		line = "Error: superd exited during start-up\n"
	}
	return &startupError{strings.TrimSuffix(strings.TrimPrefix(line, "Error: "), "\n")}
}
