package daemon

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/process"
	"github.com/superd/superd/pkg/rpc"
	"golang.org/x/sys/unix"
)

// faultCodes is the one table from process error kinds to XML-RPC
// fault codes and names. Every API error crosses it in toFault.
var faultCodes = map[process.Kind]struct {
	code int
	name string
}{
	process.KindFailed:              {rpc.Failed, "FAILED"},
	process.KindBadName:             {rpc.BadName, "BAD_NAME"},
	process.KindBadArguments:        {rpc.BadArguments, "BAD_ARGUMENTS"},
	process.KindBadSignal:           {rpc.BadSignal, "BAD_SIGNAL"},
	process.KindNoFile:              {rpc.NoFile, "NO_FILE"},
	process.KindNotExecutable:       {rpc.NotExecutable, "NOT_EXECUTABLE"},
	process.KindAlreadyStarted:      {rpc.AlreadyStarted, "ALREADY_STARTED"},
	process.KindNotRunning:          {rpc.NotRunning, "NOT_RUNNING"},
	process.KindSpawnError:          {rpc.SpawnError, "SPAWN_ERROR"},
	process.KindAbnormalTermination: {rpc.AbnormalTermination, "ABNORMAL_TERMINATION"},
	process.KindAlreadyAdded:        {rpc.AlreadyAdded, "ALREADY_ADDED"},
	process.KindStillRunning:        {rpc.StillRunning, "STILL_RUNNING"},
	process.KindShutdownState:       {rpc.ShutdownState, "SHUTDOWN_STATE"},
}

// toFault converts an error of the process layer to an XML-RPC fault.
func toFault(err error) error {
	if err == nil {
		return nil
	}
	var f *rpc.Fault
	if errors.As(err, &f) {
		return f
	}
	var pe *process.Error
	if !errors.As(err, &pe) {
		if errors.Is(err, context.Canceled) {
			return &rpc.Fault{Code: rpc.ShutdownState, String: "SHUTDOWN_STATE"}
		}
		return &rpc.Fault{Code: rpc.Failed, String: "FAILED: " + err.Error()}
	}
	fc := faultCodes[pe.Kind]
	s := fc.name
	if pe.Detail != "" {
		s += ": " + pe.Detail
	}
	return &rpc.Fault{Code: fc.code, String: s}
}

func toResults(rs []process.Result, err error) ([]rpc.Result, error) {
	if err != nil {
		return nil, toFault(err)
	}
	out := make([]rpc.Result, 0, len(rs))
	for _, r := range rs {
		res := rpc.Result{Name: r.Name, Group: r.Group, Status: rpc.Success, Description: "OK"}
		if r.Err != nil {
			f := toFault(r.Err).(*rpc.Fault)
			res.Status, res.Description = f.Code, f.String
		}
		out = append(out, res)
	}
	return out, nil
}

// backend adapts the daemon's current Supervisor to rpc.Backend. The
// supervisor is swapped on restart; calls made in between get
// SHUTDOWN_STATE.
type backend struct {
	d    *daemon
	auto *autoLogs
}

func newBackend(d *daemon) backend { return backend{d: d, auto: new(autoLogs)} }

// autoLogs tracks which groups getAllConfigInfo shows with their real
// AUTO log file names. supervisord resolves AUTO names in the config
// objects of the groups it adds (at start and by addProcessGroup);
// reloadConfig replaces every config object by a fresh one, shown as
// 'auto' until its group is added again.
type autoLogs struct {
	mu     sync.Mutex // guards the fields below; a leaf lock, never held across calls
	sup    *process.Supervisor
	reread bool            // reloadConfig succeeded on sup
	added  map[string]bool // groups added on sup since
}

// reset forgets the state of a previous supervisor (after a restart).
func (a *autoLogs) reset(s *process.Supervisor) {
	if a.sup != s {
		a.sup, a.reread, a.added = s, false, nil
	}
}

func (a *autoLogs) resolved(s *process.Supervisor, group string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reset(s)
	return !a.reread || a.added[group]
}

func (a *autoLogs) reloaded(s *process.Supervisor) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reset(s)
	a.reread, a.added = true, nil
}

func (a *autoLogs) groupAdded(s *process.Supervisor, group string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reset(s)
	if a.added == nil {
		a.added = map[string]bool{}
	}
	a.added[group] = true
}

var _ rpc.Backend = newBackend(nil)

func (b backend) sup() (*process.Supervisor, error) {
	s := b.d.current()
	if s == nil || b.d.stopping() {
		return nil, &rpc.Fault{Code: rpc.ShutdownState, String: "SHUTDOWN_STATE"}
	}
	return s, nil
}

func (b backend) Identification() string { return b.d.cfg().Supervisord.Identifier }

func (b backend) State() rpc.State {
	m := b.d.mood()
	return rpc.State{Code: int(m), Name: m.String()}
}

func (b backend) PID() int { return b.d.pid }

func (b backend) MainLogPath() string { return b.d.mainLogPath() }

func (b backend) ClearMainLog() error { return b.d.clearMainLog() }

// Shutdown and Restart ask the daemon's wait loop and answer once it
// has acted: the mood is then already SHUTDOWN or RESTARTING, as
// supervisord's is when it answers, so the next request gets
// SHUTDOWN_STATE. A restart with a broken configuration is refused
// with CANT_REREAD and changes nothing.
func (b backend) Shutdown() error { return b.ask(reqShutdown) }

func (b backend) Restart() error { return b.ask(reqRestart) }

func (b backend) ask(k requestKind) error {
	r := request{kind: k, reply: make(chan error, 1)}
	select {
	case b.d.requests <- r:
	case <-b.d.srvCtx.Done(): // superd is exiting
		return &rpc.Fault{Code: rpc.ShutdownState, String: "SHUTDOWN_STATE"}
	}
	select {
	case err := <-r.reply:
		return err
	case <-b.d.srvCtx.Done():
		return &rpc.Fault{Code: rpc.ShutdownState, String: "SHUTDOWN_STATE"}
	}
}

func infoToRPC(i process.Info) rpc.ProcessInfo {
	unixOrZero := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.Unix()
	}
	return rpc.ProcessInfo{
		Name: i.Name, Group: i.Group, Description: i.Description(),
		Start: unixOrZero(i.Start), Stop: unixOrZero(i.Stop), Now: i.Now.Unix(),
		State: int(i.State), StateName: i.State.String(), SpawnErr: i.SpawnErr,
		ExitStatus: i.ExitStatus, Logfile: i.StdoutLogfile,
		StdoutLogfile: i.StdoutLogfile, StderrLogfile: i.StderrLogfile, PID: i.PID,
	}
}

func (b backend) ProcessInfo(ctx context.Context, name string) (rpc.ProcessInfo, error) {
	s, err := b.sup()
	if err != nil {
		return rpc.ProcessInfo{}, err
	}
	i, err := s.ProcessInfo(ctx, name)
	if err != nil {
		return rpc.ProcessInfo{}, toFault(err)
	}
	return infoToRPC(i), nil
}

func (b backend) AllProcessInfo(ctx context.Context) ([]rpc.ProcessInfo, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	// Converted on the supervisor's goroutine: no second copy of
	// every process's snapshot per call.
	out, err := process.AllProcessInfoAs(ctx, s, infoToRPC)
	if err != nil {
		return nil, toFault(err)
	}
	return out, nil
}

// AllLogCounts is rpc.LogCountsBackend: the output counters of every
// process, for /metrics and superd.getProcessStats.
func (b backend) AllLogCounts(ctx context.Context) ([]rpc.LogCounts, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	infos, err := s.AllProcessInfo(ctx)
	if err != nil {
		return nil, toFault(err)
	}
	out := make([]rpc.LogCounts, len(infos))
	for i, in := range infos {
		out[i] = rpc.LogCounts{Name: in.Name, Group: in.Group, StdoutBytes: in.StdoutBytes, StderrBytes: in.StderrBytes, DroppedBytes: in.LogDropped}
	}
	return out, nil
}

// logName renders a log file setting as getAllConfigInfo does.
func logName(l config.Log) string {
	switch l.File {
	case "":
		return "none"
	case "AUTO":
		return "auto"
	}
	return l.File
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (b backend) AllConfigInfo(ctx context.Context) ([]rpc.ConfigInfo, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	cis, err := s.AllConfigInfo(ctx)
	if err != nil {
		return nil, toFault(err)
	}
	out := make([]rpc.ConfigInfo, 0, len(cis))
	for _, ci := range cis {
		p := ci.Process
		var uid any = "none"
		if p.User != "" {
			uid = p.UID
		}
		// supervisord turns serverurl=AUTO into None, shown as 'none'.
		serverURL := p.ServerURL
		if serverURL == "" || strings.EqualFold(strings.TrimSpace(serverURL), "AUTO") {
			serverURL = "none"
		}
		exit := p.ExitCodes
		if exit == nil {
			exit = []int{}
		}
		stdout, stderr := logName(p.Stdout), logName(p.Stderr)
		if p.RedirectStderr {
			stderr = "none"
		}
		if ci.InUse && (stdout == "auto" || stderr == "auto") && b.auto.resolved(s, p.Group) {
			spec := process.Namespec(p.Group, p.Name)
			if stdout == "auto" {
				if path, err := s.LogPath(ctx, spec, "stdout"); err == nil && path != "" {
					stdout = path
				}
			}
			if stderr == "auto" {
				if path, err := s.LogPath(ctx, spec, "stderr"); err == nil && path != "" {
					stderr = path
				}
			}
		}
		out = append(out, rpc.ConfigInfo{
			Autostart: p.Autostart, Command: p.Command, Directory: orNone(p.Directory),
			Exitcodes: exit, Group: p.Group, GroupPrio: ci.GroupPriority, InUse: ci.InUse,
			KillAsGroup: p.KillAsGroup, Name: p.Name, ProcessPrio: p.Priority,
			RedirectStderr: p.RedirectStderr, ServerURL: serverURL,
			StartRetries: p.StartRetries, StartSecs: p.StartSecs,
			StderrCaptureMaxBytes: int(p.Stderr.CaptureMaxBytes), StderrEventsEnabled: p.Stderr.EventsEnabled,
			StderrLogfile: stderr, StderrLogfileBackups: p.Stderr.Backups,
			StderrLogfileMaxBytes: int(p.Stderr.MaxBytes), StderrSyslog: p.Stderr.Syslog,
			StdoutCaptureMaxBytes: int(p.Stdout.CaptureMaxBytes), StdoutEventsEnabled: p.Stdout.EventsEnabled,
			StdoutLogfile: stdout, StdoutLogfileBackups: p.Stdout.Backups,
			StdoutLogfileMaxBytes: int(p.Stdout.MaxBytes), StdoutSyslog: p.Stdout.Syslog,
			StopSignal: int(p.StopSignal), StopWaitSecs: p.StopWaitSecs, UID: uid,
		})
	}
	return out, nil
}

func (b backend) StartProcess(ctx context.Context, name string, wait bool) error {
	s, err := b.sup()
	if err != nil {
		return err
	}
	return toFault(s.StartProcess(ctx, name, wait))
}

func (b backend) StartProcessGroup(ctx context.Context, name string, wait bool) ([]rpc.Result, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	return toResults(s.StartGroup(ctx, name, wait))
}

func (b backend) StartAllProcesses(ctx context.Context, wait bool) ([]rpc.Result, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	return toResults(s.StartAll(ctx, wait))
}

func (b backend) StopProcess(ctx context.Context, name string, wait bool) error {
	s, err := b.sup()
	if err != nil {
		return err
	}
	return toFault(s.StopProcess(ctx, name, wait))
}

func (b backend) StopProcessGroup(ctx context.Context, name string, wait bool) ([]rpc.Result, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	return toResults(s.StopGroup(ctx, name, wait))
}

func (b backend) StopAllProcesses(ctx context.Context, wait bool) ([]rpc.Result, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	return toResults(s.StopAll(ctx, wait))
}

// badSignal is passed to the process layer for a signal that
// parseSignal rejects, so that names are resolved (BAD_NAME) and group
// members reported before BAD_SIGNAL, in supervisord's order; the
// fault's detail is then replaced by the signal as the client sent it.
const badSignal = syscall.Signal(-1)

// pySignalNames are the names Python's signal module has beyond
// x/sys/unix's list; supervisord's signal_number takes any attribute
// "SIG..." of it, including the SIG_* handler and mask constants.
var pySignalNames = map[string]syscall.Signal{
	"SIGCLD": syscall.SIGCHLD, "SIGPOLL": syscall.SIGIO, "SIGIOT": syscall.SIGABRT,
	"SIG_DFL": 0, "SIG_IGN": 1, "SIG_BLOCK": 0, "SIG_UNBLOCK": 1, "SIG_SETMASK": 2,
}

// sigRTMIN and sigRTMAX are glibc's SIGRTMIN and SIGRTMAX, which Python
// lists among the valid signal numbers (32 and 33 are not).
const sigRTMIN, sigRTMAX = 34, 64

// parseSignal is supervisord's signal_number: Python int() of the
// value (spaces, sign and "_" allowed), else a name with or without
// SIG in any case; the number must be one Python's signal module names.
// It returns badSignal for anything else.
func parseSignal(s string) syscall.Signal {
	t := strings.TrimSpace(s)
	pyInt := !strings.HasPrefix(t, "_") && !strings.HasSuffix(t, "_") && !strings.Contains(t, "__")
	if n, err := strconv.Atoi(strings.ReplaceAll(t, "_", "")); err == nil && pyInt {
		if n == 0 || n == sigRTMIN || n == sigRTMAX || (n > 0 && n < 32 && unix.SignalName(syscall.Signal(n)) != "") {
			return syscall.Signal(n)
		}
		return badSignal
	}
	name := strings.ToUpper(t)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	switch name {
	case "SIGRTMIN":
		return sigRTMIN
	case "SIGRTMAX":
		return sigRTMAX
	}
	if sig, ok := pySignalNames[name]; ok {
		return sig
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig
	}
	return badSignal
}

// signalFault gives a BAD_SIGNAL fault the signal as the client sent
// it (supervisord: RPCError(BAD_SIGNAL, signal)).
func signalFault(err error, signal string) error {
	if f, ok := err.(*rpc.Fault); ok && f.Code == rpc.BadSignal {
		return &rpc.Fault{Code: rpc.BadSignal, String: "BAD_SIGNAL: " + signal}
	}
	return err
}

func signalResults(rs []rpc.Result, err error, signal string) ([]rpc.Result, error) {
	for i := range rs {
		if rs[i].Status == rpc.BadSignal {
			rs[i].Description = "BAD_SIGNAL: " + signal
		}
	}
	return rs, signalFault(err, signal)
}

func (b backend) SignalProcess(ctx context.Context, name, signal string) error {
	s, err := b.sup()
	if err != nil {
		return err
	}
	return signalFault(toFault(s.SignalProcess(ctx, name, parseSignal(signal))), signal)
}

func (b backend) SignalProcessGroup(ctx context.Context, name, signal string) ([]rpc.Result, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	rs, err := toResults(s.SignalGroup(ctx, name, parseSignal(signal)))
	return signalResults(rs, err, signal)
}

func (b backend) SignalAllProcesses(ctx context.Context, signal string) ([]rpc.Result, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	rs, err := toResults(s.SignalAll(ctx, parseSignal(signal)))
	return signalResults(rs, err, signal)
}

func (b backend) SendProcessStdin(ctx context.Context, name, chars string) error {
	s, err := b.sup()
	if err != nil {
		return err
	}
	return toFault(s.SendStdin(ctx, name, []byte(chars)))
}

func (b backend) SendRemoteCommEvent(ctx context.Context, typ, data string) error {
	b.d.bus.Publish(events.Event{Type: events.RemoteCommunication, RemoteType: typ, Data: []byte(data)})
	return nil
}

func (b backend) ReloadConfig(ctx context.Context) (added, changed, removed []string, err error) {
	s, err := b.sup()
	if err != nil {
		return nil, nil, nil, err
	}
	cfg, err := b.d.loadConfig()
	if err != nil {
		return nil, nil, nil, &rpc.Fault{Code: rpc.CantReread, String: "CANT_REREAD: " + err.Error()}
	}
	added, changed, removed, err = s.Reload(ctx, cfg)
	if err == nil {
		b.auto.reloaded(s)
		b.d.reloadJobs(ctx, cfg) // jobs: applied at once (jobs.go)
	}
	return added, changed, removed, toFault(err)
}

func (b backend) AddProcessGroup(ctx context.Context, name string) error {
	s, err := b.sup()
	if err != nil {
		return err
	}
	err = s.AddGroup(ctx, name)
	if err == nil {
		b.auto.groupAdded(s, name)
	}
	return toFault(err)
}

func (b backend) RemoveProcessGroup(ctx context.Context, name string) error {
	s, err := b.sup()
	if err != nil {
		return err
	}
	return toFault(s.RemoveGroup(ctx, name))
}

func (b backend) ProcessLogPath(ctx context.Context, name, channel string) (string, error) {
	s, err := b.sup()
	if err != nil {
		return "", err
	}
	p, err := s.LogPath(ctx, name, channel)
	return p, toFault(err)
}

func (b backend) ClearProcessLogs(ctx context.Context, name string) error {
	s, err := b.sup()
	if err != nil {
		return err
	}
	return toFault(s.ClearLogs(ctx, name))
}

func (b backend) ClearAllProcessLogs(ctx context.Context) ([]rpc.Result, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	return toResults(s.ClearAllLogs(ctx))
}
