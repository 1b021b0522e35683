package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/superd/superd/pkg/rpc"
)

type command struct {
	run  func(c *controller, ctx context.Context, arg string) (stop bool, err error)
	help func(c *controller)
}

// superdCommands are superctl's own commands. "help" lists them in a
// block of their own after supervisorctl's, the way supervisorctl lists
// a [ctlplugin:x]'s commands, so supervisorctl's block stays as it is.
var superdCommands = map[string]bool{"logs": true, "top": true, "jobs": true, "scale": true}

// commands maps every action to its implementation and help text.
// "help" and "EOF" belong to the controller itself in supervisorctl and
// so are not listed by "help".
var commands map[string]command

func init() {
	commands = map[string]command{
		"add":      {doAdd, helpLines("add <name> [...]\tActivates any updates in config for process/group")},
		"avail":    {doAvail, helpLines("avail\t\t\tDisplay all configured processes")},
		"clear":    {doClear, helpLines("clear <name>\t\tClear a process' log files.", "clear <name> <name>\tClear multiple process' log files", "clear all\t\tClear all process' log files")},
		"exit":     {doQuit, helpLines("exit\tExit the supervisor shell.")},
		"fg":       {doFg, helpLines("fg <process>\tConnect to a process in foreground mode", "\t\tCtrl-C to exit")},
		"maintail": {doMaintail, helpLines("maintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)\nmaintail -100\tlast 100 *bytes* of supervisord main log file\nmaintail\tlast 1600 *bytes* of supervisor main log file\n")},
		"open":     {doOpen, helpLines("open <url>\tConnect to a remote supervisord process.", "\t\t(for UNIX domain socket, use unix:///socket/path)")},
		"pid":      {doPid, helpLines("pid\t\t\tGet the PID of supervisord.", "pid <name>\t\tGet the PID of a single child process by name.", "pid all\t\t\tGet the PID of every child process, one per line.")},
		"quit":     {doQuit, helpLines("quit\tExit the supervisor shell.")},
		"reload":   {doReload, helpLines("reload \t\tRestart the remote supervisord.")},
		"remove":   {doRemove, helpLines("remove <name> [...]\tRemoves process/group from active config")},
		"reread":   {doReread, helpLines("reread \t\t\tReload the daemon's configuration files without add/remove")},
		"restart":  {doRestart, helpLines("restart <name>\t\tRestart a process", "restart <gname>:*\tRestart all processes in a group", "restart <name> <name>\tRestart multiple processes or groups", "restart all\t\tRestart all processes", "Note: restart does not reread config files. For that, see reread and update.")},
		"shutdown": {doShutdown, helpLines("shutdown \tShut the remote supervisord down.")},
		"signal":   {doSignal, helpLines("signal <signal name> <name>\t\tSignal a process", "signal <signal name> <gname>:*\t\tSignal all processes in a group", "signal <signal name> <name> <name>\tSignal multiple processes or groups", "signal <signal name> all\t\tSignal all processes")},
		"start":    {doStart, helpLines("start <name>\t\tStart a process", "start <gname>:*\t\tStart all processes in a group", "start <name> <name>\tStart multiple processes or groups", "start all\t\tStart all processes")},
		"status":   {doStatus, helpLines("status <name>\t\tGet status for a single process", "status <gname>:*\tGet status for all processes in a group", "status <name> <name>\tGet status for multiple named processes", "status\t\t\tGet all process status info")},
		"stop":     {doStop, helpLines("stop <name>\t\tStop a process", "stop <gname>:*\t\tStop all processes in a group", "stop <name> <name>\tStop multiple processes or groups", "stop all\t\tStop all processes")},
		"tail":     {doTail, helpLines("tail [-f] <name> [stdout|stderr] (default stdout)\nEx:\ntail -f <name>\t\tContinuous tail of named process stdout\n\t\t\tCtrl-C to exit.\ntail -100 <name>\tlast 100 *bytes* of process stdout\ntail <name> stderr\tlast 1600 *bytes* of process stderr")},
		"update":   {doUpdate, helpLines("update\t\t\tReload config and add/remove as necessary, and will restart affected programs", "update all\t\tReload config and add/remove as necessary, and will restart affected programs", "update <gname> [...]\tUpdate specific groups")},
		"version":  {doVersion, helpLines("version\t\t\tShow the version of the remote supervisord process")},
		"logs": {doLogs, helpLines("logs [-f] [-n N] [--stderr] [--no-color] [<name>|<gname>:*|all ...]",
			"\tThe last N lines (default 10) of each process's stdout (stderr with --stderr),",
			"\tprefixed with \"name |\"; -f then follows them all, interleaved, across",
			"\tlog rotation, until Ctrl-C. No name means all processes. (superctl only)")},
		"top": {doTop, helpLines("top [--once] [--json] [-d SECS] [<name>|<gname>:*|all ...]",
			"\tState, pid, CPU %, resident memory (of each process group), restarts and",
			"\tuptime of every process (or of those named), refreshed every SECS (default 2,",
			"\tat least 0.1) until Ctrl-C; --once prints one table, --json one JSON array.",
			"\t(superctl with superd only)")},
		"jobs":  {doJobs, jobsHelp},
		"scale": {doScale, scaleHelp}, // lifecycle.go
		"help":  {doHelp, nil},
		"EOF":   {doEOF, nil},
	}
}

func helpLines(lines ...string) func(*controller) {
	return func(c *controller) {
		for _, l := range lines {
			c.output(l)
		}
	}
}

// topicNames returns the commands with help, supervisorctl's (superd
// false) or superctl's own (superd true), sorted.
func topicNames(superd bool) []string {
	var names []string
	for name, cmd := range commands {
		if cmd.help != nil && superdCommands[name] == superd {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// vocab is the completion vocabulary: "help" then the topics, as
// supervisorctl's vocabulary has its plugins' commands after its own.
func vocab() []string {
	return slices.Concat([]string{"help"}, topicNames(false), topicNames(true))
}

// jsonFlag removes "--json" from arg.
func jsonFlag(arg string) (string, bool) {
	fields := strings.Fields(arg)
	i := slices.Index(fields, "--json")
	if i < 0 {
		return arg, false
	}
	fields = slices.DeleteFunc(fields, func(s string) bool { return s == "--json" })
	return strings.Join(fields, " "), true
}

func doHelp(c *controller, ctx context.Context, arg string) (bool, error) {
	if strings.TrimSpace(arg) == "help" {
		c.output("help\t\tPrint a list of available actions")
		c.output("help <action>\tPrint help for <action>")
		return false, nil
	}
	if arg != "" {
		if cmd, ok := commands[arg]; ok && cmd.help != nil {
			cmd.help(c)
			return false, nil
		}
		c.output("*** No help on " + arg)
		return false, nil
	}
	for _, block := range []struct {
		name   string
		superd bool
	}{{"default", false}, {"superd", true}} {
		c.output("")
		header := block.name + " commands (type help <topic>):"
		c.output(header)
		c.output(strings.Repeat("=", len(header)))
		io.WriteString(c.out, columnize(topicNames(block.superd), 79))
		c.output("")
	}
	return false, nil
}

func doEOF(c *controller, ctx context.Context, arg string) (bool, error) {
	c.output("")
	return true, nil
}

func doQuit(c *controller, ctx context.Context, arg string) (bool, error) {
	return doEOF(c, ctx, arg)
}

func doStatus(c *controller, ctx context.Context, arg string) (bool, error) {
	arg, asJSON := jsonFlag(arg)
	if ok, err := c.upcheck(ctx); !ok {
		c.exitStatus = statusUnknown
		return false, err
	}
	all, err := c.client.GetAllProcessInfo(ctx)
	if err != nil {
		return false, err
	}
	names := strings.Fields(arg)
	matching := all
	errOut := c.output
	if asJSON {
		errOut = func(s string) { fmt.Fprintln(c.errw, s) }
	}
	if len(names) > 0 && !slices.Contains(names, "all") {
		matching = nil
		for _, name := range names {
			bad := true
			group, process, hasProcess := splitNamespec(name)
			for _, info := range all {
				matched := info.Group == group
				if hasProcess {
					matched = matched && info.Name == process
				}
				if matched {
					bad = false
					matching = append(matching, info)
				}
			}
			if bad {
				if !hasProcess {
					errOut(group + ": ERROR (no such group)")
				} else {
					errOut(name + ": ERROR (no such process)")
				}
				c.exitStatus = statusUnknown
			}
		}
	}
	if asJSON {
		type entry struct {
			Namespec string `json:"namespec"`
			rpc.ProcessInfo
		}
		out := make([]entry, 0, len(matching))
		for _, info := range matching {
			out = append(out, entry{namespecOf(info.Group, info.Name), info})
		}
		c.writeJSON(out)
	} else if lines := formatStatuses(matching); len(lines) > 0 {
		// One write for the whole table: with thousands of processes,
		// a write per line dominates when stdout is a pipe or a tty.
		c.output(strings.Join(lines, "\n"))
	}
	for _, info := range matching {
		if isStoppedState(info.State) {
			c.exitStatus = statusNotRunning
		}
	}
	return false, nil
}

// isStoppedState is supervisor's STOPPED_STATES: STOPPED, EXITED,
// FATAL, UNKNOWN.
func isStoppedState(state int) bool {
	switch state {
	case 0, 100, 200, 1000:
		return true
	}
	return false
}

func doPid(c *controller, ctx context.Context, arg string) (bool, error) {
	arg, asJSON := jsonFlag(arg)
	if ok, err := c.upcheck(ctx); !ok {
		return false, err
	}
	names := strings.Fields(arg)
	type entry struct {
		Namespec string `json:"namespec"`
		PID      int    `json:"pid"`
	}
	switch {
	case len(names) == 0:
		pid, err := c.client.GetPID(ctx)
		if err != nil {
			return false, err
		}
		if asJSON {
			c.writeJSON(map[string]int{"pid": pid})
		} else {
			c.output(strconv.Itoa(pid))
		}
	case slices.Contains(names, "all"):
		infos, err := c.client.GetAllProcessInfo(ctx)
		if err != nil {
			return false, err
		}
		out := make([]entry, 0, len(infos))
		for _, info := range infos {
			if asJSON {
				out = append(out, entry{namespecOf(info.Group, info.Name), info.PID})
			} else {
				c.output(strconv.Itoa(info.PID))
			}
		}
		if asJSON {
			c.writeJSON(out)
		}
	default:
		out := make([]entry, 0, len(names))
		for _, name := range names {
			info, err := c.client.GetProcessInfo(ctx, name)
			if err != nil {
				c.exitStatus = exitGeneric
				var f *rpc.Fault
				if errors.As(err, &f) && f.Code == rpc.BadName {
					if asJSON {
						fmt.Fprintln(c.errw, "No such process "+name)
					} else {
						c.output("No such process " + name)
					}
					continue
				}
				return false, err
			}
			if asJSON {
				out = append(out, entry{namespecOf(info.Group, info.Name), info.PID})
			} else {
				c.output(strconv.Itoa(info.PID))
			}
			if info.PID == 0 {
				c.exitStatus = exitNotRunning
			}
		}
		if asJSON {
			c.writeJSON(out)
		}
	}
	return false, nil
}

func startResult(r rpc.Result) (string, error) {
	name := namespecOf(r.Group, r.Name)
	return startResultNamed(name, r.Status)
}

func startResultNamed(name string, code int) (string, error) {
	return rpc.StartResultText(name, code)
}

// faultOf returns err as a fault, or nil.
func faultOf(err error) *rpc.Fault {
	var f *rpc.Fault
	if errors.As(err, &f) {
		return f
	}
	return nil
}

func (c *controller) outputResults(results []rpc.Result, format func(rpc.Result) (string, error), ignored int) error {
	for _, r := range results {
		line, err := format(r)
		if err != nil {
			return err
		}
		c.output(line)
		c.setExitFromFault(r.Status, ignored)
	}
	return nil
}

func doStart(c *controller, ctx context.Context, arg string) (bool, error) {
	if ok, err := c.upcheck(ctx); !ok {
		return false, err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		c.output("Error: start requires a process name")
		c.exitStatus = exitInvalidArgs
		commands["start"].help(c)
		return false, nil
	}
	if slices.Contains(names, "all") {
		results, err := c.client.StartAllProcesses(ctx, true)
		if err != nil {
			return false, err
		}
		return false, c.outputResults(results, startResult, rpc.AlreadyStarted)
	}
	for _, name := range names {
		group, process, hasProcess := splitNamespec(name)
		if !hasProcess {
			results, err := c.client.StartProcessGroup(ctx, group, true)
			if err != nil {
				if f := faultOf(err); f != nil && f.Code == rpc.BadName {
					c.output(group + ": ERROR (no such group)")
					c.exitStatus = exitInvalidArgs
					continue
				}
				c.exitStatus = exitGeneric
				return false, err
			}
			if err := c.outputResults(results, startResult, rpc.AlreadyStarted); err != nil {
				return false, err
			}
			continue
		}
		if handled, err := c.startDeps(ctx, name, makeNamespec(group, process, true)); handled || err != nil {
			if err != nil {
				return false, err
			}
			continue
		}
		if err := c.client.StartProcess(ctx, name, true); err != nil {
			f := faultOf(err)
			if f == nil {
				return false, err
			}
			line, err := startResultNamed(makeNamespec(group, process, true), f.Code)
			if err != nil {
				return false, err
			}
			c.output(line)
			c.setExitFromFault(f.Code, rpc.AlreadyStarted)
			continue
		}
		c.output(makeNamespec(group, process, true) + ": started")
	}
	return false, nil
}

func signalResultNamed(name string, code int, description, success string) (string, error) {
	return rpc.SignalResultText(name, code, description, success)
}

func signalResult(r rpc.Result) (string, error) {
	return signalResultNamed(namespecOf(r.Group, r.Name), r.Status, r.Description, "signalled")
}

func stopResult(r rpc.Result) (string, error) {
	return signalResultNamed(namespecOf(r.Group, r.Name), r.Status, r.Description, "stopped")
}

func doStop(c *controller, ctx context.Context, arg string) (bool, error) {
	if ok, err := c.upcheck(ctx); !ok {
		return false, err
	}
	names, noDeps := cutFlag(strings.Fields(arg), "--no-deps")
	if len(names) == 0 {
		c.output("Error: stop requires a process name")
		c.exitStatus = exitGeneric
		commands["stop"].help(c)
		return false, nil
	}
	if slices.Contains(names, "all") {
		results, err := c.client.StopAllProcesses(ctx, true)
		if err != nil {
			return false, err
		}
		return false, c.outputResults(results, stopResult, rpc.NotRunning)
	}
	for _, name := range names {
		group, process, hasProcess := splitNamespec(name)
		if !hasProcess && noDeps {
			if err := c.stopGroupNoDeps(ctx, group); err != nil {
				return false, err
			}
			continue
		}
		if !hasProcess {
			results, err := c.client.StopProcessGroup(ctx, group, true)
			if err != nil {
				c.exitStatus = exitGeneric
				if f := faultOf(err); f != nil && f.Code == rpc.BadName {
					c.output(group + ": ERROR (no such group)")
					continue
				}
				return false, err
			}
			if err := c.outputResults(results, stopResult, rpc.NotRunning); err != nil {
				return false, err
			}
			continue
		}
		if handled, err := c.stopDeps(ctx, name, makeNamespec(group, process, true), noDeps); handled || err != nil {
			if err != nil {
				return false, err
			}
			continue
		}
		if noDeps {
			c.notSuperd("stop --no-deps")
			return false, nil
		}
		if err := c.client.StopProcess(ctx, name, true); err != nil {
			f := faultOf(err)
			if f == nil {
				return false, err
			}
			line, err := signalResultNamed(makeNamespec(group, process, true), f.Code, f.String, "stopped")
			if err != nil {
				return false, err
			}
			c.output(line)
			c.setExitFromFault(f.Code, rpc.NotRunning)
			continue
		}
		c.output(makeNamespec(group, process, true) + ": stopped")
	}
	return false, nil
}

func doSignal(c *controller, ctx context.Context, arg string) (bool, error) {
	if ok, err := c.upcheck(ctx); !ok {
		return false, err
	}
	args := strings.Fields(arg)
	if len(args) < 2 {
		c.output("Error: signal requires a signal name and a process name")
		commands["signal"].help(c)
		c.exitStatus = exitGeneric
		return false, nil
	}
	sig, names := args[0], args[1:]
	if slices.Contains(names, "all") {
		results, err := c.client.SignalAllProcesses(ctx, sig)
		if err != nil {
			return false, err
		}
		return false, c.outputResults(results, signalResult, -1)
	}
	for _, name := range names {
		group, process, hasProcess := splitNamespec(name)
		if !hasProcess {
			results, err := c.client.SignalProcessGroup(ctx, group, sig)
			if err != nil {
				if f := faultOf(err); f != nil && f.Code == rpc.BadName {
					c.output(group + ": ERROR (no such group)")
					c.exitStatus = exitGeneric
					continue
				}
				return false, err
			}
			if err := c.outputResults(results, signalResult, -1); err != nil {
				return false, err
			}
			continue
		}
		if err := c.client.SignalProcess(ctx, name, sig); err != nil {
			f := faultOf(err)
			if f == nil {
				return false, err
			}
			line, err := signalResultNamed(makeNamespec(group, process, true), f.Code, f.String, "signalled")
			if err != nil {
				return false, err
			}
			c.output(line)
			c.setExitFromFault(f.Code, -1)
			continue
		}
		c.output(makeNamespec(group, process, true) + ": signalled")
	}
	return false, nil
}

func doRestart(c *controller, ctx context.Context, arg string) (bool, error) {
	if args, rolling := cutFlag(strings.Fields(arg), "--rolling"); rolling {
		if ok, err := c.upcheck(ctx); !ok {
			return false, err
		}
		rest, asJSON := jsonFlag(strings.Join(args, " "))
		return doRollingRestart(c, ctx, strings.Fields(rest), asJSON)
	}
	if ok, err := c.upcheck(ctx); !ok {
		return false, err
	}
	if len(strings.Fields(arg)) == 0 {
		c.output("Error: restart requires a process name")
		c.exitStatus = exitGeneric
		commands["restart"].help(c)
		return false, nil
	}
	if _, err := doStop(c, ctx, arg); err != nil {
		return false, err
	}
	return doStart(c, ctx, arg)
}

func (c *controller) confirm(prompt string) bool {
	if !c.opts.interactive || c.in == nil {
		return true
	}
	yesno, err := c.in.ReadLine(prompt)
	if err != nil {
		return false
	}
	return strings.HasPrefix(strings.ToLower(yesno), "y")
}

func doShutdown(c *controller, ctx context.Context, arg string) (bool, error) {
	if arg != "" {
		c.output("Error: shutdown accepts no arguments")
		c.exitStatus = exitGeneric
		commands["shutdown"].help(c)
		return false, nil
	}
	if !c.confirm("Really shut the remote supervisord process down y/N? ") {
		return false, nil
	}
	err := c.client.Shutdown(ctx)
	if err == nil {
		c.output("Shut down")
		return false, nil
	}
	if f := faultOf(err); f != nil {
		if f.Code == rpc.ShutdownState {
			c.output("ERROR: already shutting down")
			return false, nil
		}
		c.exitStatus = exitGeneric
		return false, err
	}
	var te *rpc.TransportError
	if errors.As(err, &te) && (te.Refused || te.NoSuchFile) {
		c.exitStatus = exitGeneric
		what := "refused connection"
		if te.NoSuchFile {
			what = "no such file"
		}
		c.output(fmt.Sprintf("ERROR: %s %s (already shut down?)", c.opts.serverURL, what))
		return false, nil
	}
	return false, err
}

func doReload(c *controller, ctx context.Context, arg string) (bool, error) {
	if arg != "" {
		c.output("Error: reload accepts no arguments")
		c.exitStatus = exitGeneric
		commands["reload"].help(c)
		return false, nil
	}
	if !c.confirm("Really restart the remote supervisord process y/N? ") {
		return false, nil
	}
	if err := c.client.Restart(ctx); err != nil {
		if f := faultOf(err); f != nil {
			c.exitStatus = exitGeneric
			if f.Code == rpc.ShutdownState {
				c.output("ERROR: already shutting down")
				return false, nil
			}
			if f.Code == rpc.CantReread { // superd refuses a broken config
				c.output("ERROR: " + f.String)
				return false, nil
			}
		}
		return false, err
	}
	c.output("Restarted supervisord")
	return false, nil
}

func doAvail(c *controller, ctx context.Context, arg string) (bool, error) {
	arg, asJSON := jsonFlag(arg)
	if arg != "" {
		c.output("Error: avail accepts no arguments")
		c.exitStatus = exitGeneric
		commands["avail"].help(c)
		return false, nil
	}
	infos, err := c.client.GetAllConfigInfo(ctx)
	if err != nil {
		if f := faultOf(err); f != nil {
			c.exitStatus = exitGeneric
			if f.Code == rpc.ShutdownState {
				c.output("ERROR: supervisor shutting down")
				return false, nil
			}
		}
		return false, err
	}
	if asJSON {
		type entry struct {
			Namespec string `json:"namespec"`
			rpc.ConfigInfo
		}
		out := make([]entry, 0, len(infos))
		for _, ci := range infos {
			out = append(out, entry{namespecOf(ci.Group, ci.Name), ci})
		}
		c.writeJSON(out)
		return false, nil
	}
	for _, ci := range infos {
		c.output(formatConfigInfo(ci))
	}
	return false, nil
}

func doReread(c *controller, ctx context.Context, arg string) (bool, error) {
	arg, asJSON := jsonFlag(arg)
	if arg != "" {
		c.output("Error: reread accepts no arguments")
		c.exitStatus = exitGeneric
		commands["reread"].help(c)
		return false, nil
	}
	added, changed, removed, err := c.client.ReloadConfig(ctx)
	if err != nil {
		if f := faultOf(err); f != nil {
			c.exitStatus = exitGeneric
			switch f.Code {
			case rpc.ShutdownState:
				c.output("ERROR: supervisor shutting down")
				return false, nil
			case rpc.CantReread:
				c.output("ERROR: " + f.String)
				return false, nil
			}
		}
		return false, err
	}
	if asJSON {
		nz := func(s []string) []string {
			s = slices.Clone(s)
			sort.Strings(s)
			if s == nil {
				s = []string{}
			}
			return s
		}
		c.writeJSON(map[string][]string{"added": nz(added), "changed": nz(changed), "removed": nz(removed)})
		return false, nil
	}
	for _, line := range formatChanges(added, changed, removed) {
		c.output(line)
	}
	return false, nil
}

func doAdd(c *controller, ctx context.Context, arg string) (bool, error) {
	for _, name := range strings.Fields(arg) {
		err := c.client.AddProcessGroup(ctx, name)
		if err == nil {
			c.output(name + ": added process group")
			continue
		}
		f := faultOf(err)
		switch {
		case f != nil && f.Code == rpc.ShutdownState:
			c.output("ERROR: shutting down")
			c.exitStatus = exitGeneric
		case f != nil && f.Code == rpc.AlreadyAdded:
			c.output("ERROR: process group already active")
		case f != nil && f.Code == rpc.BadName:
			c.output("ERROR: no such process/group: " + name)
			c.exitStatus = exitGeneric
		default:
			c.exitStatus = exitGeneric
			return false, err
		}
	}
	return false, nil
}

func doRemove(c *controller, ctx context.Context, arg string) (bool, error) {
	for _, name := range strings.Fields(arg) {
		err := c.client.RemoveProcessGroup(ctx, name)
		if err == nil {
			c.output(name + ": removed process group")
			continue
		}
		c.exitStatus = exitGeneric
		f := faultOf(err)
		switch {
		case f != nil && f.Code == rpc.StillRunning:
			c.output("ERROR: process/group still running: " + name)
		case f != nil && f.Code == rpc.BadName:
			c.output("ERROR: no such process/group: " + name)
		default:
			return false, err
		}
	}
	return false, nil
}

func doUpdate(c *controller, ctx context.Context, arg string) (bool, error) {
	logLine := func(name, msg string) { c.output(name + ": " + msg) }
	added, changed, removed, err := c.client.ReloadConfig(ctx)
	if err != nil {
		c.exitStatus = exitGeneric
		if f := faultOf(err); f != nil && f.Code == rpc.ShutdownState {
			c.output("ERROR: already shutting down")
			return false, nil
		}
		return false, err
	}
	valid := map[string]bool{}
	var order []string
	for _, n := range strings.Fields(arg) {
		if !valid[n] {
			order = append(order, n)
		}
		valid[n] = true
	}
	if valid["all"] {
		valid, order = map[string]bool{}, nil
	}
	if len(valid) > 0 {
		infos, err := c.client.GetAllProcessInfo(ctx)
		if err != nil {
			return false, err
		}
		groups := map[string]bool{}
		for _, info := range infos {
			groups[info.Group] = true
		}
		for _, g := range added {
			groups[g] = true
		}
		// Python iterates a set: the order of several bad names is
		// arbitrary there; superctl uses command-line order.
		for _, g := range order {
			if !groups[g] {
				c.output("ERROR: no such group: " + g)
				c.exitStatus = exitGeneric
			}
		}
	}
	skip := func(g string) bool { return len(valid) > 0 && !valid[g] }
	for _, g := range removed {
		if skip(g) {
			continue
		}
		results, err := c.client.StopProcessGroup(ctx, g, true)
		if err != nil {
			return false, err
		}
		logLine(g, "stopped")
		failed := false
		for _, r := range results {
			if r.Status == rpc.Failed {
				failed = true
			}
		}
		if failed {
			c.output(g + ": has problems; not removing")
			c.exitStatus = exitGeneric
			continue
		}
		if err := c.client.RemoveProcessGroup(ctx, g); err != nil {
			return false, err
		}
		logLine(g, "removed process group")
	}
	for _, g := range changed {
		if skip(g) {
			continue
		}
		if _, err := c.client.StopProcessGroup(ctx, g, true); err != nil {
			return false, err
		}
		logLine(g, "stopped")
		if err := c.client.RemoveProcessGroup(ctx, g); err != nil {
			return false, err
		}
		if err := c.client.AddProcessGroup(ctx, g); err != nil {
			return false, err
		}
		logLine(g, "updated process group")
	}
	for _, g := range added {
		if skip(g) {
			continue
		}
		if err := c.client.AddProcessGroup(ctx, g); err != nil {
			return false, err
		}
		logLine(g, "added process group")
	}
	return false, nil
}

func clearResultNamed(name string, code int) (string, error) {
	return rpc.ClearResultText(name, code)
}

func doClear(c *controller, ctx context.Context, arg string) (bool, error) {
	if ok, err := c.upcheck(ctx); !ok {
		return false, err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		c.output("Error: clear requires a process name")
		c.exitStatus = exitGeneric
		commands["clear"].help(c)
		return false, nil
	}
	if slices.Contains(names, "all") {
		results, err := c.client.ClearAllProcessLogs(ctx)
		if err != nil {
			return false, err
		}
		return false, c.outputResults(results, func(r rpc.Result) (string, error) {
			return clearResultNamed(namespecOf(r.Group, r.Name), r.Status)
		}, -1)
	}
	for _, name := range names {
		group, process, hasProcess := splitNamespec(name)
		ns := makeNamespec(group, process, hasProcess)
		if err := c.client.ClearProcessLogs(ctx, name); err != nil {
			f := faultOf(err)
			if f == nil {
				return false, err
			}
			line, err := clearResultNamed(ns, f.Code)
			if err != nil {
				return false, err
			}
			c.output(line)
			c.setExitFromFault(f.Code, -1)
			continue
		}
		c.output(ns + ": cleared")
	}
	return false, nil
}

func doOpen(c *controller, ctx context.Context, arg string) (bool, error) {
	url := strings.TrimSpace(arg)
	scheme, _ := splitScheme(url)
	if scheme != "unix" && scheme != "http" {
		c.output("ERROR: url must be http:// or unix://")
		c.exitStatus = exitGeneric
		return false, nil
	}
	c.setServer(url, c.opts.username, c.opts.password)
	c.opts.defaultURL = false
	old := c.exitStatus
	_, err := doStatus(c, ctx, "")
	c.exitStatus = old
	return false, err
}

func doVersion(c *controller, ctx context.Context, arg string) (bool, error) {
	arg, asJSON := jsonFlag(arg)
	if arg != "" {
		c.output("Error: version accepts no arguments")
		c.exitStatus = exitGeneric
		commands["version"].help(c)
		return false, nil
	}
	if ok, err := c.upcheck(ctx); !ok {
		return false, err
	}
	v, err := c.client.GetSupervisorVersion(ctx)
	if err != nil {
		return false, err
	}
	if asJSON {
		c.writeJSON(map[string]string{"version": v})
	} else {
		c.output(v)
	}
	return false, nil
}
