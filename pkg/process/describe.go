package process

import (
	"fmt"
	"strings"
	"time"
)

// Description returns supervisord's description text for the state:
// "pid 123, uptime 0:01:02", the stop time in local time ("Nov 21 10:21
// PM"), spawnerr, "Not started" ...
func (i Info) Description() string {
	switch i.State {
	case Running:
		secs := i.Now.Unix() - i.Start.Unix()
		if i.Start.IsZero() || secs < 0 {
			secs = 0
		}
		d := fmt.Sprintf("pid %d, uptime %s", i.PID, Timedelta(secs)) + listenURLs(i.Config)
		if i.Unhealthy != "" {
			d += ", " + i.Unhealthy
		}
		return d + i.statusSuffix()
	case Starting:
		// supervisord's is empty; superd says what a start waits for.
		switch {
		case i.Waiting != "":
			return i.Waiting
		case i.PID != 0 && i.Config != nil && i.Config.Ready != nil:
			return fmt.Sprintf("pid %d, waiting until ready (%s)", i.PID, i.Config.Ready.Spec) + i.statusSuffix()
		}
		return ""
	case Backoff:
		if !i.RestartAt.IsZero() {
			left := int64(max(0, (i.RestartAt.Sub(i.Now)+time.Second-1)/time.Second))
			return fmt.Sprintf("restarting in %d s (%s)", left, i.RestartWhy)
		}
		if i.SpawnErr != "" {
			return i.SpawnErr
		}
		return fmt.Sprintf("unknown error (try \"tail %s\")", i.Name)
	case Fatal:
		if i.SpawnErr != "" {
			return i.SpawnErr
		}
		return fmt.Sprintf("unknown error (try \"tail %s\")", i.Name)
	case Stopped, Exited:
		if i.Start.IsZero() {
			return "Not started"
		}
		stop := i.Stop
		if stop.IsZero() {
			stop = time.Unix(0, 0)
		}
		return stop.Local().Format("Jan 02 03:04 PM")
	}
	return ""
}

// statusSuffix shows the child's last sd_notify STATUS= (a notify
// probe's child only: no other child gets NOTIFY_SOCKET).
func (i Info) statusSuffix() string {
	if i.NotifyStatus == "" {
		return ""
	}
	return ", status: " + i.NotifyStatus
}

// Timedelta formats whole seconds as Python's str(timedelta): "0:01:02",
// "1 day, 1:02:03", "2 days, 0:00:05".
func Timedelta(secs int64) string {
	if secs < 0 {
		secs = 0
	}
	days := secs / 86400
	secs %= 86400
	hms := fmt.Sprintf("%d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	switch days {
	case 0:
		return hms
	case 1:
		return "1 day, " + hms
	}
	return fmt.Sprintf("%d days, %s", days, hms)
}

// SplitNamespec splits a namespec as supervisord's split_namespec: "g:p"
// -> (g, p); "g:" or "g:*" -> (g, ""); "p" -> (p, p).
func SplitNamespec(name string) (group, process string) {
	g, p, ok := strings.Cut(name, ":")
	if !ok {
		return name, name
	}
	if p == "*" {
		p = ""
	}
	return g, p
}

// Namespec returns "g:p", or "p" when the group has the process's name.
func Namespec(group, process string) string {
	if group == process {
		return process
	}
	return group + ":" + process
}
