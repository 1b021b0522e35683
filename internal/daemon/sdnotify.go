package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/process"
	"golang.org/x/sys/unix"
)

// superd under systemd (issue 11): when NOTIFY_SOCKET is set, superd
// speaks the sd_notify protocol for itself. It sends READY=1 once every
// autostart program has left STARTING (a program waiting for a FATAL
// dependency counts as settled), STATUS= with the process counts
// ("12 RUNNING, 1 BACKOFF") whenever they change, RELOADING=1 when a
// restart (SIGHUP, supervisor.restart) begins and READY=1 again once
// the new supervisor's programs have started, STOPPING=1 at shutdown,
// and WATCHDOG=1 every WATCHDOG_USEC/2 while the supervisor loop
// answers. The protocol is one datagram per message on a unix socket;
// coreos/go-systemd is not in the module proxy here and its daemon
// package is these few lines.
//
// One goroutine (run) does all of it: it follows the event bus, asks
// the current supervisor for its processes when something changed, and
// ticks the watchdog. It ends when stop is called (serve's return).

type sdNotifier struct {
	d        *daemon
	conn     *net.UnixConn
	watchdog time.Duration // 0: no WATCHDOG=1
	quit     chan struct{}
	done     chan struct{}
}

// startSDNotify starts the notifier if NOTIFY_SOCKET is set and returns
// the function that stops it. The NOTIFY_SOCKET and WATCHDOG_*
// variables are removed from superd's environment, so programs do not
// inherit them (those with ready=notify get their own socket).
func (d *daemon) startSDNotify() (stop func()) {
	addr := os.Getenv("NOTIFY_SOCKET")
	usec, _ := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	wpid := os.Getenv("WATCHDOG_PID")
	for _, k := range []string{"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"} {
		os.Unsetenv(k)
	}
	if addr == "" {
		return func() {}
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		d.log.Warn(fmt.Sprintf("cannot reach the service manager's NOTIFY_SOCKET %s: %v", addr, err))
		return func() {}
	}
	n := &sdNotifier{d: d, conn: conn, quit: make(chan struct{}), done: make(chan struct{})}
	if usec > 0 && (wpid == "" || wpid == strconv.Itoa(os.Getpid())) {
		n.watchdog = time.Duration(usec) * time.Microsecond
	}
	sub := d.bus.Subscribe(events.ProcessState, events.SupervisorStateChange, events.ProcessGroup)
	go n.run(sub)
	return func() {
		close(n.quit)
		<-n.done
	}
}

func (n *sdNotifier) send(msg string) {
	if _, err := n.conn.Write([]byte(msg)); err != nil {
		n.d.log.Debug("sd_notify: " + err.Error())
	}
}

func (n *sdNotifier) run(sub *events.Subscription) {
	defer close(n.done)
	defer n.conn.Close()
	defer sub.Close()
	var tick <-chan time.Time
	if n.watchdog > 0 {
		t := time.NewTicker(n.watchdog / 2)
		defer t.Stop()
		tick = t.C
	}
	ready, status := false, ""
	update := func() {
		if n.d.stopping() {
			return
		}
		sup := n.d.current()
		if sup == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		infos, err := sup.AllProcessInfo(ctx)
		cancel()
		if err != nil {
			return
		}
		st, settled := sdStatus(infos)
		var msg []string
		if !ready && settled && sup.Mood() == process.MoodRunning {
			ready = true
			msg = append(msg, "READY=1")
		}
		if st != status {
			status = st
			msg = append(msg, "STATUS="+st)
		}
		if len(msg) > 0 {
			n.send(strings.Join(msg, "\n"))
		}
	}
	update()
	for {
		select {
		case <-n.quit:
			return
		case e, ok := <-sub.C():
			if !ok {
				return
			}
			if e.Type == events.SupervisorStateChangeStopping {
				ready = false
				if n.d.mood() == process.MoodRestarting {
					var ts unix.Timespec
					unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
					n.send(fmt.Sprintf("RELOADING=1\nMONOTONIC_USEC=%d\nSTATUS=restarting", ts.Nano()/1000))
					status = "restarting"
				} else {
					n.send("STOPPING=1\nSTATUS=stopping")
					status = "stopping"
				}
				continue
			}
			// Coalesce a burst of state changes into one look.
			for more := true; more; {
				select {
				case e2, ok := <-sub.C():
					if !ok {
						return
					}
					if e2.Type == events.SupervisorStateChangeStopping {
						ready = false
					}
				default:
					more = false
				}
			}
			update()
		case <-tick:
			if n.alive() {
				n.send("WATCHDOG=1")
			}
		}
	}
}

// alive reports whether the supervisor loop answers within half the
// watchdog interval (a loop that is being replaced by a restart counts
// as alive: its calls fail at once).
func (n *sdNotifier) alive() bool {
	sup := n.d.current()
	if sup == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.watchdog/2)
	defer cancel()
	_, err := sup.AllProcessInfo(ctx)
	return !errors.Is(err, context.DeadlineExceeded)
}

// sdStatus returns the STATUS= text ("3 RUNNING, 1 BACKOFF", states in
// supervisord's order) and whether every autostart process has left
// STARTING (or waits for a FATAL dependency, which may never come).
func sdStatus(infos []process.Info) (string, bool) {
	counts := map[process.State]int{}
	settled := true
	for _, i := range infos {
		counts[i.State]++
		if i.State == process.Starting && i.Config != nil && i.Config.Autostart &&
			!(i.PID == 0 && strings.Contains(i.Waiting, "(FATAL)")) {
			settled = false
		}
	}
	var parts []string
	for _, s := range []process.State{process.Running, process.Starting, process.Backoff, process.Stopping,
		process.Exited, process.Stopped, process.Fatal, process.Unknown} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	if len(parts) == 0 {
		return "no processes", settled
	}
	return strings.Join(parts, ", "), settled
}
