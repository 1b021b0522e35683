package ctl

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/superd/superd/pkg/rpc"
)

// superd's lifecycle extensions of superctl (issue 11): restart
// --rolling, scale, stop --no-deps, and start/stop lines for the
// dependencies a start or stop acted on. They call the superd.*
// methods; against a server without them (supervisord) start and stop
// fall back to supervisord's methods and print exactly supervisorctl's
// lines, while the superd-only options fail with a clear message.

// scaleHelp is `help scale`, which also documents superd's options of
// restart and stop (their own help stays supervisorctl's, as does the
// list help prints).
var scaleHelp = helpLines(
	"scale <gname> <n>\tRun n processes of a [program:x] group until the next",
	"\t\t\treread/update: new ones named by process_name, surplus ones",
	"\t\t\tstopped highest number first and removed. Takes --json.",
	"restart --rolling [--batch N] <gname>:*",
	"\t\t\tRestart a group N (default 1) processes at a time, each",
	"\t\t\tRUNNING (and ready) before the next; stops at the first",
	"\t\t\tfailure (exit status 1). Takes --json.",
	"stop --no-deps <name>\tStop only the process, not the ones that depend on it",
)

// cutFlag removes flag from args and reports whether it was there.
func cutFlag(args []string, flag string) ([]string, bool) {
	out := args[:0:0]
	found := false
	for _, a := range args {
		if a == flag {
			found = true
			continue
		}
		out = append(out, a)
	}
	return out, found
}

// unknownMethod reports whether err is the server's UNKNOWN_METHOD (a
// server without superd's methods).
func unknownMethod(err error) bool {
	f := faultOf(err)
	return f != nil && f.Code == rpc.UnknownMethod
}

func (c *controller) notSuperd(what string) {
	c.output("ERROR: " + what + " needs superd (the server does not know superd's methods)")
	c.exitStatus = exitGeneric
}

// faultDetail is a fault string without its "NAME: " prefix.
func faultDetail(s string) string {
	if _, d, ok := strings.Cut(s, ": "); ok {
		return d
	}
	return s
}

// stepLine formats one process step of a superd.* result: success as
// "name: <done> (reason)", a fault with supervisorctl's wording where
// it has one.
func stepLine(s rpc.ProcessStep, done string) string {
	name := namespecOf(s.Group, s.Name)
	if s.Status == rpc.Success {
		if s.Reason != "" {
			return fmt.Sprintf("%s: %s (%s)", name, done, s.Reason)
		}
		return name + ": " + done
	}
	return fmt.Sprintf("%s: ERROR (%s)", name, stepError(s))
}

// stepError is a failed step's error in supervisorctl's words ("spawn
// error") where it has some, else the fault's detail.
func stepError(s rpc.ProcessStep) string {
	if line, err := startResultNamed("", s.Status); err == nil && s.Status != rpc.Success {
		return strings.TrimSuffix(strings.TrimPrefix(line, ": ERROR ("), ")")
	}
	return faultDetail(s.Description)
}

// startDeps starts one process through superd.startProcess and prints
// the dependencies it started before the process's own line. handled
// is false when the server does not have the method.
func (c *controller) startDeps(ctx context.Context, name, namespec string) (handled bool, err error) {
	if c.noSuperd {
		return false, nil
	}
	steps, err := c.client.StartProcessDeps(ctx, name, true)
	if unknownMethod(err) {
		c.noSuperd = true
		return false, nil
	}
	for _, s := range steps {
		c.output(stepLine(s, "started"))
	}
	if err == nil {
		c.output(namespec + ": started")
		return true, nil
	}
	f := faultOf(err)
	if f == nil {
		return true, err
	}
	if f.Code == rpc.Failed {
		// superd's own: e.g. "web is waiting for db (FATAL)".
		c.output(fmt.Sprintf("%s: ERROR (%s)", namespec, faultDetail(f.String)))
		c.exitStatus = exitGeneric
		return true, nil
	}
	line, lerr := startResultNamed(namespec, f.Code)
	if lerr != nil {
		return true, lerr
	}
	c.output(line)
	c.setExitFromFault(f.Code, rpc.AlreadyStarted)
	return true, nil
}

// stopDeps stops one process through superd.stopProcess, printing the
// dependants it stopped first. handled is false when the server does
// not have the method.
func (c *controller) stopDeps(ctx context.Context, name, namespec string, noDeps bool) (handled bool, err error) {
	if c.noSuperd && !noDeps {
		return false, nil
	}
	steps, err := c.client.StopProcessDeps(ctx, name, true, noDeps)
	if unknownMethod(err) {
		c.noSuperd = true
		return false, nil
	}
	for _, s := range steps {
		c.output(stepLine(s, "stopped"))
	}
	if err == nil {
		c.output(namespec + ": stopped")
		return true, nil
	}
	f := faultOf(err)
	if f == nil {
		return true, err
	}
	line, lerr := signalResultNamed(namespec, f.Code, f.String, "stopped")
	if lerr != nil {
		return true, lerr
	}
	c.output(line)
	c.setExitFromFault(f.Code, rpc.NotRunning)
	return true, nil
}

// stopGroupNoDeps is stop --no-deps <gname>:*: every running process of
// the group, each without its dependants.
func (c *controller) stopGroupNoDeps(ctx context.Context, group string) error {
	infos, err := c.client.GetAllProcessInfo(ctx)
	if err != nil {
		return err
	}
	found := false
	for _, i := range infos {
		if i.Group != group {
			continue
		}
		found = true
		if isStoppedState(i.State) || i.StateName == "STOPPING" {
			continue
		}
		ns := namespecOf(i.Group, i.Name)
		handled, err := c.stopDeps(ctx, i.Group+":"+i.Name, ns, true)
		if err != nil {
			return err
		}
		if !handled {
			c.notSuperd("stop --no-deps")
			return nil
		}
	}
	if !found {
		c.output(group + ": ERROR (no such group)")
		c.exitStatus = exitGeneric
	}
	return nil
}

// doRollingRestart is restart --rolling [--batch N] [--json] <gname>:* ...
func doRollingRestart(c *controller, ctx context.Context, args []string, asJSON bool) (bool, error) {
	batch := 1
	var names []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		v, isBatch := strings.CutPrefix(a, "--batch=")
		if a == "--batch" {
			if i+1 >= len(args) {
				v = ""
			} else {
				i++
				v = args[i]
			}
			isBatch = true
		}
		if isBatch {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				c.output(fmt.Sprintf("Error: --batch needs a number of processes (1 or more), not %q", v))
				c.exitStatus = exitInvalidArgs
				return false, nil
			}
			batch = n
			continue
		}
		names = append(names, a)
	}
	if len(names) == 0 {
		c.output("Error: restart --rolling requires a group name")
		c.exitStatus = exitInvalidArgs
		scaleHelp(c)
		return false, nil
	}
	var all []rpc.ProcessStep
	for _, name := range names {
		steps, err := c.client.RollingRestart(ctx, name, batch)
		if err != nil {
			if unknownMethod(err) {
				c.notSuperd("restart --rolling")
				return false, nil
			}
			f := faultOf(err)
			if f == nil {
				return false, err
			}
			group, _, _ := splitNamespec(name)
			switch f.Code {
			case rpc.BadName:
				c.output(group + ": ERROR (no such group)")
			default:
				c.output(fmt.Sprintf("%s: ERROR (%s)", name, faultDetail(f.String)))
			}
			c.exitStatus = exitGeneric
			continue
		}
		all = append(all, steps...)
		var failed *rpc.ProcessStep
		skipped := 0
		for i, s := range steps {
			switch {
			case s.Status != rpc.Success:
				failed = &steps[i]
			case s.Reason != "":
				skipped++
			}
			if asJSON {
				continue
			}
			if s.Status == rpc.Success && s.Reason != "" {
				c.output(fmt.Sprintf("%s: %s", namespecOf(s.Group, s.Name), s.Reason))
			} else {
				c.output(stepLine(s, "restarted"))
			}
		}
		if failed != nil {
			c.exitStatus = exitGeneric
			if !asJSON {
				c.output(fmt.Sprintf("ERROR: rolling restart of %s stopped: %s failed to restart (%s); %d not restarted",
					name, namespecOf(failed.Group, failed.Name), stepError(*failed), skipped))
			}
			break
		}
	}
	if asJSON {
		if all == nil {
			all = []rpc.ProcessStep{}
		}
		c.writeJSON(all)
	}
	return false, nil
}

func doScale(c *controller, ctx context.Context, arg string) (bool, error) {
	arg, asJSON := jsonFlag(arg)
	if ok, err := c.upcheck(ctx); !ok {
		return false, err
	}
	args := strings.Fields(arg)
	n, err := 0, error(nil)
	if len(args) == 2 {
		n, err = strconv.Atoi(args[1])
	}
	if len(args) != 2 || err != nil || n < 0 {
		c.output("Error: scale requires a group name and a number of processes")
		c.exitStatus = exitInvalidArgs
		scaleHelp(c)
		return false, nil
	}
	group, _, _ := splitNamespec(args[0])
	steps, err := c.client.ScaleGroup(ctx, group, n)
	if err != nil {
		if unknownMethod(err) {
			c.notSuperd("scale")
			return false, nil
		}
		f := faultOf(err)
		if f == nil {
			return false, err
		}
		switch f.Code {
		case rpc.BadName:
			c.output(group + ": ERROR (no such group)")
			c.exitStatus = exitInvalidArgs
		case rpc.BadArguments:
			c.output(fmt.Sprintf("%s: ERROR (%s)", group, faultDetail(f.String)))
			c.exitStatus = exitInvalidArgs
		default:
			c.output(fmt.Sprintf("%s: ERROR (%s)", group, faultDetail(f.String)))
			c.exitStatus = exitGeneric
		}
		return false, nil
	}
	for _, s := range steps {
		if s.Status != rpc.Success {
			c.exitStatus = exitGeneric
		}
	}
	if asJSON {
		if steps == nil {
			steps = []rpc.ProcessStep{}
		}
		c.writeJSON(steps)
		return false, nil
	}
	for _, s := range steps {
		switch {
		case s.Status == rpc.Success && s.Reason == "added":
			c.output(namespecOf(s.Group, s.Name) + ": added and started")
		case s.Status == rpc.Success:
			c.output(namespecOf(s.Group, s.Name) + ": stopped and removed")
		default:
			c.output(stepLine(s, s.Reason))
		}
	}
	if n == 1 {
		c.output(group + ": 1 process")
	} else {
		c.output(fmt.Sprintf("%s: %d processes", group, n))
	}
	return false, nil
}
