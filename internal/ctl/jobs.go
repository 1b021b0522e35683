package ctl

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/superd/superd/pkg/rpc"
)

// jobsHelp is `help jobs`. The jobs command is a superd extension, so
// it is not in the list `help` prints (which stays supervisorctl's).
var jobsHelp = helpLines(
	"jobs [list]\t\t\tList the scheduled jobs: schedule, last and next run",
	"jobs run <name> [...]\t\tRun jobs now (also while held or disabled)",
	"jobs enable <name> [...]\tEnable jobs' schedules",
	"jobs disable <name> [...]\tDisable jobs' schedules",
	"jobs schedule <name> <spec>\tOverride a schedule: 'interval 05:00',",
	"\t\t\t\t'times 08:00,20:00', 'schedule */5 * * * *'",
	"jobs schedule <name> --reset\tBack to the configured schedule",
	"jobs hold\t\t\tHold all jobs (maintenance): no scheduled run starts",
	"jobs release\t\t\tRelease the hold",
	"jobs history <name> [-n 20]\tLast runs: start, duration, result, exit status, trigger",
	"jobs tail [-f] <name>\t\tOutput of the last run(s)",
	"jobs next <name> [-n 5]\t\tThe next fire times",
	"Each takes --json.",
)

const timeFmt = "2006-01-02 15:04:05"

func unixTime(s int64) string {
	if s == 0 {
		return "-"
	}
	return time.Unix(s, 0).Format(timeFmt)
}

func doJobs(c *controller, ctx context.Context, arg string) (bool, error) {
	arg, asJSON := jsonFlag(arg)
	if ok, err := c.upcheck(ctx); !ok {
		return false, err
	}
	args := strings.Fields(arg)
	if len(args) == 0 {
		return false, c.jobsList(ctx, asJSON)
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "list":
		if len(args) > 0 {
			return false, c.jobsUsage("jobs list takes no argument")
		}
		return false, c.jobsList(ctx, asJSON)
	case "run", "enable", "disable":
		return false, c.jobsEach(ctx, sub, args, asJSON)
	case "schedule":
		return false, c.jobsSchedule(ctx, args, asJSON)
	case "hold", "release":
		if len(args) > 0 {
			return false, c.jobsUsage("jobs " + sub + " takes no argument")
		}
		var err error
		if sub == "hold" {
			err = c.client.HoldJobs(ctx)
		} else {
			err = c.client.ReleaseJobs(ctx)
		}
		if err != nil {
			return false, err
		}
		msg := "jobs held: no scheduled run starts until `superctl jobs release`"
		if sub == "release" {
			msg = "jobs released"
		}
		if asJSON {
			c.writeJSON(map[string]bool{"held": sub == "hold"})
		} else {
			c.output(msg)
		}
		return false, nil
	case "history":
		return false, c.jobsHistory(ctx, args, asJSON)
	case "next":
		return false, c.jobsNext(ctx, args, asJSON)
	case "tail":
		return false, c.jobsTail(ctx, args, asJSON)
	}
	return false, c.jobsUsage("unknown jobs command " + pyRepr(sub))
}

func (c *controller) jobsUsage(msg string) error {
	c.output("Error: " + msg)
	jobsHelp(c)
	c.exitStatus = exitInvalidArgs
	return nil
}

// jobError prints name: ERROR (...) for a fault and sets the exit status.
func (c *controller) jobError(name string, err error) error {
	f := faultOf(err)
	if f == nil {
		return err
	}
	c.exitStatus = exitGeneric
	switch f.Code {
	case rpc.BadName:
		c.output(name + ": ERROR (no such job)")
	case rpc.AlreadyStarted:
		c.output(name + ": ERROR (already running; overlap=skip)")
	case rpc.BadArguments:
		c.output(name + ": ERROR (" + strings.TrimPrefix(f.String, "BAD_ARGUMENTS: ") + ")")
	default:
		return err
	}
	return nil
}

func (c *controller) jobsList(ctx context.Context, asJSON bool) error {
	infos, err := c.client.AllJobInfo(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		if infos == nil {
			infos = []rpc.JobInfo{}
		}
		c.writeJSON(infos)
		return nil
	}
	c.output(formatJobs(infos))
	return nil
}

// formatJobs is `superctl jobs`, like `linod --list`.
func formatJobs(infos []rpc.JobInfo) string {
	var b strings.Builder
	held := len(infos) > 0 && infos[0].Held
	switch len(infos) {
	case 0:
		b.WriteString("0 scheduled jobs.")
		return b.String()
	case 1:
		b.WriteString("1 scheduled job:")
	default:
		fmt.Fprintf(&b, "%d scheduled jobs:", len(infos))
	}
	if held {
		b.WriteString(" HELD (no scheduled run starts; `superctl jobs release` resumes)")
	}
	nw, dw := 0, 0
	for _, in := range infos {
		nw = max(nw, len(in.Name))
		dw = max(dw, len(in.Description))
	}
	for i, in := range infos {
		last := "[never]"
		if in.LastResult != "never" && in.LastStart != 0 {
			last = fmt.Sprintf("%s %s (%.1f s)", unixTime(in.LastStart), in.LastResult, in.LastDuration)
			if in.LastResult == "failed" || in.LastResult == "skipped" && in.LastSkipReason != "" {
				if in.LastResult == "failed" {
					last += fmt.Sprintf(" exit %d", in.LastExitStatus)
				} else {
					last += " " + in.LastSkipReason
				}
			}
		}
		next := unixTime(in.NextRun)
		switch {
		case !in.Enabled:
			next = "[disabled]"
		case in.Held:
			next = "[held]"
		}
		fmt.Fprintf(&b, "\n[%d] %-*s  %-*s  last run: %s  next run: %s", i+1, nw, in.Name, dw, in.Description, last, next)
		if in.Running {
			fmt.Fprintf(&b, "  RUNNING pid %d", in.PID)
		}
		if in.ScheduleSource == "override" {
			b.WriteString("  (schedule overridden)")
		}
	}
	return b.String()
}

func (c *controller) jobsEach(ctx context.Context, sub string, names []string, asJSON bool) error {
	if len(names) == 0 {
		return c.jobsUsage("jobs " + sub + " needs a job name")
	}
	type result struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Error  string `json:"error,omitempty"`
	}
	var results []result
	for _, name := range names {
		var err error
		status := ""
		switch sub {
		case "run":
			err, status = c.client.RunJob(ctx, name), "queued"
		case "enable":
			err, status = c.client.EnableJob(ctx, name), "enabled"
		case "disable":
			err, status = c.client.DisableJob(ctx, name), "disabled"
		}
		if err != nil {
			if asJSON {
				if f := faultOf(err); f != nil {
					results = append(results, result{Name: name, Status: "error", Error: f.String})
					c.exitStatus = exitGeneric
					continue
				}
				return err
			}
			if err := c.jobError(name, err); err != nil {
				return err
			}
			continue
		}
		if asJSON {
			results = append(results, result{Name: name, Status: status})
		} else {
			c.output(name + ": " + status)
		}
	}
	if asJSON {
		c.writeJSON(results)
	}
	return nil
}

func (c *controller) jobsSchedule(ctx context.Context, args []string, asJSON bool) error {
	if len(args) < 2 {
		return c.jobsUsage("jobs schedule needs a job name and a spec (or --reset)")
	}
	if args[0] == "--reset" { // jobs schedule --reset NAME
		args = append(args[1:], "--reset")
	}
	if args[1] == "--reset" && len(args) > 2 || slices.Contains(args[2:], "--reset") {
		return c.jobsUsage("usage: jobs schedule <name> --reset")
	}
	name, spec := args[0], strings.Join(args[1:], " ")
	if spec == "--reset" {
		spec = ""
	}
	if err := c.client.SetJobSchedule(ctx, name, spec); err != nil {
		return c.jobError(name, err)
	}
	in, err := c.client.JobInfo(ctx, name)
	if err != nil {
		return c.jobError(name, err)
	}
	if asJSON {
		c.writeJSON(in)
		return nil
	}
	what := "schedule set"
	if spec == "" {
		what = "schedule reset to the configured one"
	}
	next := unixTime(in.NextRun)
	switch {
	case !in.Enabled:
		next = "[disabled]"
	case in.Held:
		next = "[held]"
	}
	c.output(fmt.Sprintf("%s: %s: %s (%s); next run: %s", name, what, in.Description, in.Schedule, next))
	return nil
}

// countFlag takes "-n N" (or "-nN", "-N") out of args.
func countFlag(args []string, def int) ([]string, int, error) {
	var rest []string
	n := def
	for i := 0; i < len(args); i++ {
		a := args[i]
		var v string
		switch {
		case a == "-n" && i+1 < len(args):
			v = args[i+1]
			i++
		case strings.HasPrefix(a, "-n"):
			v = a[2:]
		case len(a) > 1 && a[0] == '-' && a[1] >= '0' && a[1] <= '9':
			v = a[1:]
		default:
			rest = append(rest, a)
			continue
		}
		x, err := strconv.Atoi(v)
		if err != nil || x < 1 {
			return nil, 0, fmt.Errorf("-n: %q is not a count (a whole number from 1)", v)
		}
		n = x
	}
	return rest, n, nil
}

func (c *controller) jobsHistory(ctx context.Context, args []string, asJSON bool) error {
	args, n, err := countFlag(args, 20)
	if err != nil {
		return c.jobsUsage(err.Error())
	}
	if len(args) != 1 {
		return c.jobsUsage("usage: jobs history <name> [-n 20]")
	}
	runs, err := c.client.JobHistory(ctx, args[0], n)
	if err != nil {
		return c.jobError(args[0], err)
	}
	if asJSON {
		if runs == nil {
			runs = []rpc.JobRun{}
		}
		c.writeJSON(runs)
		return nil
	}
	if len(runs) == 0 {
		c.output(args[0] + ": no runs yet")
		return nil
	}
	lines := []string{fmt.Sprintf("%-19s  %9s  %-11s  %4s  %-8s  %s", "START", "DURATION", "RESULT", "EXIT", "TRIGGER", "NOTE")}
	for _, r := range runs {
		lines = append(lines, strings.TrimRight(fmt.Sprintf("%-19s  %7.1f s  %-11s  %4d  %-8s  %s",
			unixTime(r.Start), r.Duration, r.Result, r.ExitStatus, r.Trigger, r.SkipReason), " "))
	}
	c.output(strings.Join(lines, "\n"))
	return nil
}

func (c *controller) jobsNext(ctx context.Context, args []string, asJSON bool) error {
	args, n, err := countFlag(args, 5)
	if err != nil {
		return c.jobsUsage(err.Error())
	}
	if len(args) != 1 || n > 100 {
		return c.jobsUsage("usage: jobs next <name> [-n 5] (at most 100)")
	}
	ts, err := c.client.JobNextRuns(ctx, args[0], n)
	if err != nil {
		return c.jobError(args[0], err)
	}
	if asJSON {
		if ts == nil {
			ts = []int64{}
		}
		c.writeJSON(ts)
		return nil
	}
	var lines []string
	for _, t := range ts {
		lines = append(lines, time.Unix(t, 0).Format("2006-01-02 15:04:05 MST (Mon)"))
	}
	if len(lines) == 0 {
		lines = []string{args[0] + ": the schedule never fires"}
	}
	c.output(strings.Join(lines, "\n"))
	return nil
}

func (c *controller) jobsTail(ctx context.Context, args []string, asJSON bool) error {
	follow := false
	nbytes := 1600
	var rest []string
	for _, a := range args {
		switch {
		case a == "-f":
			follow = true
		case strings.HasPrefix(a, "-"):
			n, err := pyInt(a[1:])
			if err != nil || n < 1 {
				return c.jobsUsage("bad argument " + a)
			}
			nbytes = n
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) != 1 {
		return c.jobsUsage("usage: jobs tail [-f] <name>")
	}
	name := rest[0]
	data, off, _, err := c.client.TailJobLog(ctx, name, 0, nbytes)
	if err != nil {
		return c.jobError(name, err)
	}
	if !follow {
		if asJSON {
			c.writeJSON(map[string]any{"name": name, "output": data, "offset": off})
		} else {
			c.output(data)
		}
		return nil
	}
	c.output(pressCtrlC)
	ctx, stop := interruptible(ctx)
	defer stop()
	c.out.Write([]byte(data))
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			c.output("")
			return nil
		case <-tick.C:
		}
		more, noff, _, err := c.client.TailJobLog(ctx, name, off, 1<<20)
		if err != nil {
			if ctx.Err() != nil {
				c.output("")
				return nil
			}
			return c.jobError(name, err)
		}
		// supervisord's tail semantics: the answer is the last bytes of
		// the log up to noff (at most the length asked), not what follows
		// off; keep only what is new since off.
		if start := noff - len(more); noff >= off && off > start {
			more = more[off-start:]
		} // else rotated or cleared (noff < off), or more than the length
		// was written since: print what came
		off = noff
		c.out.Write([]byte(more))
	}
}
