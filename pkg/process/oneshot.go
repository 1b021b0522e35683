package process

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/logfile"
)

// OneShot is a child that runs once and is not a supervised process: a
// scheduled job's run (pkg/jobs). It is spawned by the same code as a
// program's child (process group, user=, umask shim, directory, the
// environment, pipes read by the shared poller into logfile writers,
// pidfd or reaper-mode reaping), but it has no state machine: no
// autorestart, no events, not in getAllProcessInfo.
type OneShot struct {
	// Config gives command, directory, environment, user, umask,
	// redirect_stderr; Name and Group name the child in logs and in
	// SUPERVISOR_PROCESS_NAME/SUPERVISOR_GROUP_NAME.
	Config *config.Process
	// Stdout and Stderr receive the output (nil: discarded); the caller
	// owns and closes them. With Config.RedirectStderr both go to Stdout.
	Stdout, Stderr *logfile.Writer
	// Output, if set, sees every chunk of output (after it was written
	// to the log), from a reader goroutine; it must not block and data
	// is only valid during the call.
	Output func(data []byte)
	// OutputDone, if set, is called once after the last Output call,
	// when every output pipe has reached EOF (the child and every
	// grandchild holding it have exited or closed it).
	OutputDone func()
	// Exit is called once, on the supervisor's goroutine, when the child
	// has been reaped; it must not block.
	Exit func(status syscall.WaitStatus)
	// Interrupt, if set, is called on the supervisor's goroutine right
	// before the supervisor stops the child for its own shutdown (so
	// the owner can record the run as interrupted: its Exit comes
	// later); it must not block.
	Interrupt func()
	// Stdin is written to the child's stdin, which is then closed (from
	// a short-lived goroutine, so a child that does not read blocks
	// nothing). Without it the child's stdin is at EOF.
	Stdin []byte

	readers atomic.Int32
}

func (o *OneShot) readerDone() {
	if o.readers.Add(-1) == 0 && o.OutputDone != nil {
		o.OutputDone()
	}
}

// StartOneShot spawns o's child and returns its pid. A command that
// cannot be run fails with KindSpawnError (or KindNoFile /
// KindNotExecutable) and supervisord's text ("can't find command
// '/no/such'"); then neither Exit nor OutputDone is called.
func (s *Supervisor) StartOneShot(ctx context.Context, o *OneShot) (int, error) {
	return call(ctx, s, func(reply func(int, error)) {
		if err := s.busy(); err != nil {
			reply(0, err)
			return
		}
		pc := o.Config
		g := &group{cfg: &config.Group{Name: pc.Group, Kind: config.KindProgram}, env: s.latest.Supervisord.Environment}
		p := &proc{cfg: pc, g: g, m: machine{name: pc.Name, cfg: pc}, oneshot: o, stdoutLog: o.Stdout, stderrLog: o.Stderr}
		if pc.RedirectStderr {
			p.stderrLog = nil
		}
		pid, msg := s.runner.spawn(s, p)
		if msg != "" {
			kind := KindSpawnError
			reply(0, &Error{Kind: kind, Detail: msg})
			return
		}
		s.pids[pid] = p
		s.recordSpawned(pc, pc.Group, pid) // like any child: crash recovery stops it too
		if c := p.child; c != nil && c.stdin != nil {
			w := c.stdin
			c.stdin = nil
			if o.Stdin == nil {
				w.Close()
			} else {
				go func() {
					w.Write(o.Stdin)
					w.Close()
				}()
			}
		}
		reply(pid, nil)
	})
}

// SignalOneShot sends sig to the one-shot child pid, or to its process
// group. It fails with KindNotRunning when pid is no live one-shot child.
func (s *Supervisor) SignalOneShot(ctx context.Context, pid int, sig syscall.Signal, group bool) error {
	_, err := call(ctx, s, func(reply func(struct{}, error)) {
		p := s.pids[pid]
		if p == nil || p.oneshot == nil || p.child == nil {
			reply(struct{}{}, &Error{Kind: KindNotRunning, Detail: fmt.Sprint(pid)})
			return
		}
		err := s.runner.signal(p, pid, sig, group)
		if err != nil && err != syscall.ESRCH {
			reply(struct{}{}, &Error{Kind: KindFailed, Detail: err.Error()})
			return
		}
		reply(struct{}{}, nil)
	})
	return err
}

// oneshotExit handles the exit of a one-shot child.
func (s *Supervisor) oneshotExit(p *proc, pid int, status syscall.WaitStatus) {
	c := p.child
	if c == nil || c.pid != pid {
		return
	}
	if s.reaper != nil && c.osp != nil {
		c.osp.Release()
	}
	if c.stdin != nil {
		c.stdin.Close()
	}
	if c.pidfd != nil {
		c.pidfd.Close()
	}
	p.child = nil
	delete(s.pids, pid)
	s.recordExited(pid)
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	if p.oneshot.Exit != nil {
		p.oneshot.Exit(status)
	}
}

// stopOneShots stops the one-shot children still running when the
// supervisor shuts down (normally pkg/jobs has stopped them first):
// stopsignal, then SIGKILL after stopwaitsecs; force kills at once.
func (s *Supervisor) stopOneShots(force bool) {
	for pid, p := range s.pids {
		if p.oneshot == nil || p.child == nil {
			continue
		}
		if p.oneshot.Interrupt != nil && p.timer == nil {
			p.oneshot.Interrupt()
		}
		if force {
			s.runner.signal(p, pid, syscall.SIGKILL, p.cfg.KillAsGroup)
			continue
		}
		if p.timer != nil {
			continue // already asked to stop
		}
		s.log.Info(fmt.Sprintf("stopping job run %s (pid %d) for shutdown", p.cfg.Name, pid))
		s.runner.signal(p, pid, p.cfg.StopSignal, p.cfg.StopAsGroup)
		p.timer = time.AfterFunc(time.Duration(p.cfg.StopWaitSecs)*time.Second, func() {
			s.post(loopEvent{kind: leOneShotKill, p: p, pid: pid})
		})
	}
}

func (s *Supervisor) oneshotKill(p *proc, pid int) {
	if p.child == nil || p.child.pid != pid {
		return
	}
	s.log.Warn(fmt.Sprintf("killing job run %s (%d) with SIGKILL", p.cfg.Name, pid))
	s.runner.signal(p, pid, syscall.SIGKILL, p.cfg.KillAsGroup)
}
