package daemon

import (
	"context"
	"errors"
	"strconv"
	"strings"
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
type backend struct{ d *daemon }

var _ rpc.Backend = backend{}

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

func (b backend) Shutdown() error { b.d.requests <- reqShutdown; return nil }
func (b backend) Restart() error  { b.d.requests <- reqRestart; return nil }

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
	infos, err := s.AllProcessInfo(ctx)
	if err != nil {
		return nil, toFault(err)
	}
	out := make([]rpc.ProcessInfo, len(infos))
	for i, in := range infos {
		out[i] = infoToRPC(in)
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
		serverURL := p.ServerURL
		if serverURL == "" || strings.EqualFold(serverURL, "AUTO") {
			serverURL = "auto"
		}
		exit := p.ExitCodes
		if exit == nil {
			exit = []int{}
		}
		stderr := logName(p.Stderr)
		if p.RedirectStderr {
			stderr = "none"
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
			StdoutLogfile: logName(p.Stdout), StdoutLogfileBackups: p.Stdout.Backups,
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

// parseSignal accepts what supervisord's signalProcess accepts: a
// signal name with or without SIG, any case, or a number.
func parseSignal(s string) (syscall.Signal, error) {
	bad := &rpc.Fault{Code: rpc.BadSignal, String: "BAD_SIGNAL: " + s}
	t := strings.TrimSpace(s)
	if n, err := strconv.Atoi(t); err == nil {
		if unix.SignalName(syscall.Signal(n)) == "" {
			return 0, bad
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(t)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	sig := unix.SignalNum(name)
	if sig == 0 {
		return 0, bad
	}
	return sig, nil
}

func (b backend) SignalProcess(ctx context.Context, name, signal string) error {
	s, err := b.sup()
	if err != nil {
		return err
	}
	sig, err := parseSignal(signal)
	if err != nil {
		return err
	}
	return toFault(s.SignalProcess(ctx, name, sig))
}

func (b backend) SignalProcessGroup(ctx context.Context, name, signal string) ([]rpc.Result, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	sig, err := parseSignal(signal)
	if err != nil {
		return nil, err
	}
	return toResults(s.SignalGroup(ctx, name, sig))
}

func (b backend) SignalAllProcesses(ctx context.Context, signal string) ([]rpc.Result, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	sig, err := parseSignal(signal)
	if err != nil {
		return nil, err
	}
	return toResults(s.SignalAll(ctx, sig))
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
	return added, changed, removed, toFault(err)
}

func (b backend) AddProcessGroup(ctx context.Context, name string) error {
	s, err := b.sup()
	if err != nil {
		return err
	}
	return toFault(s.AddGroup(ctx, name))
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
