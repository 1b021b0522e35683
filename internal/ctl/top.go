package ctl

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/superd/superd/pkg/rpc"
)

// topRow is one line of superctl top (and one entry of --json).
type topRow struct {
	Name       string  `json:"name"`
	Group      string  `json:"group"`
	State      string  `json:"statename"`
	PID        int     `json:"pid"`
	CPUPercent float64 `json:"cpu_percent"`
	RSSBytes   int64   `json:"rss_bytes"`
	Procs      int     `json:"procs"`
	Restarts   int     `json:"restarts"`
	Uptime     int64   `json:"uptime_seconds"`
}

// topRows computes CPU % from two samples taken dt apart.
func topRows(prev, cur []rpc.ProcessStats, dt time.Duration) []topRow {
	before := map[string]rpc.ProcessStats{}
	for _, p := range prev {
		before[namespecOf(p.Group, p.Name)] = p
	}
	rows := make([]topRow, 0, len(cur))
	for _, p := range cur {
		ns := namespecOf(p.Group, p.Name)
		r := topRow{Name: ns, Group: p.Group, State: p.StateName, PID: p.PID, RSSBytes: int64(p.RSSKiB) << 10,
			Procs: p.Procs, Restarts: p.Restarts}
		if p.StateName == "RUNNING" && p.Start > 0 {
			r.Uptime = max(p.Now-p.Start, 0)
		}
		if b, ok := before[ns]; ok && b.PID == p.PID && p.PID > 0 && dt > 0 {
			r.CPUPercent = max(p.CPUSeconds-b.CPUSeconds, 0) / dt.Seconds() * 100
		}
		rows = append(rows, r)
	}
	return rows
}

func humanBytes(n int64) string {
	switch {
	case n >= 10<<30:
		return fmt.Sprintf("%.0fG", float64(n)/(1<<30))
	case n >= 1<<30:
		return fmt.Sprintf("%.1fG", float64(n)/(1<<30))
	case n >= 10<<20:
		return fmt.Sprintf("%.0fM", float64(n)/(1<<20))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%dK", n>>10)
}

func fmtUptime(secs int64) string {
	if secs <= 0 {
		return "-"
	}
	d := secs / 86400
	s := fmt.Sprintf("%d:%02d:%02d", secs%86400/3600, secs/60%60, secs%60)
	if d > 0 {
		return fmt.Sprintf("%dd %s", d, s)
	}
	return s
}

// formatTop renders the table.
func formatTop(rows []topRow) string {
	w := len("NAME")
	for _, r := range rows {
		w = max(w, len(r.Name))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s  %-8s  %7s  %6s  %7s  %5s  %8s  %s\n", w, "NAME", "STATE", "PID", "CPU%", "RSS", "PROCS", "RESTARTS", "UPTIME")
	for _, r := range rows {
		pid := "-"
		if r.PID > 0 {
			pid = strconv.Itoa(r.PID)
		}
		rss, procs, cpu := "-", "-", "-"
		if r.PID > 0 {
			rss, procs, cpu = humanBytes(r.RSSBytes), strconv.Itoa(r.Procs), fmt.Sprintf("%.1f", r.CPUPercent)
		}
		fmt.Fprintf(&b, "%-*s  %-8s  %7s  %6s  %7s  %5s  %8d  %s\n", w, r.Name, r.State, pid, cpu, rss, procs, r.Restarts, fmtUptime(r.Uptime))
	}
	return b.String()
}

func doTop(c *controller, ctx context.Context, arg string) (bool, error) {
	if ok, err := c.upcheck(ctx); !ok {
		return false, err
	}
	once, asJSON := false, false
	interval := 2 * time.Second
	var names []string
	usage := func(msg string) (bool, error) {
		c.output("Error: " + msg)
		commands["top"].help(c)
		c.exitStatus = exitGeneric
		return false, nil
	}
	f := strings.Fields(arg)
	for i := 0; i < len(f); i++ {
		switch a := f[i]; {
		case a == "--once":
			once = true
		case a == "--json":
			asJSON, once = true, true
		case a == "-d" || a == "--delay":
			if i+1 >= len(f) {
				return usage(a + " needs a number of seconds")
			}
			i++
			s, err := strconv.ParseFloat(f[i], 64)
			if err != nil || !(s >= 0.1 && s <= 86400) {
				return usage(fmt.Sprintf("bad delay %q for %s: a number of seconds from 0.1 to 86400", f[i], a))
			}
			interval = time.Duration(s * float64(time.Second))
		case strings.HasPrefix(a, "-"):
			return usage("unknown option " + a)
		default:
			names = append(names, a)
		}
	}
	var only map[string]bool // the processes named, nil for all
	if len(names) > 0 {
		ns, ok, err := c.resolveNames(ctx, names)
		if !ok {
			return false, err
		}
		only = map[string]bool{}
		for _, n := range ns {
			only[n] = true
		}
	}
	sample := func() ([]rpc.ProcessStats, time.Time, error) {
		st, err := c.client.ProcessStats(ctx)
		return st, time.Now(), err
	}
	prev, t0, err := sample()
	if err != nil {
		if f := faultOf(err); f != nil && f.Code == rpc.UnknownMethod {
			c.output("Error: the server has no superd.getProcessStats (top needs superd, not supervisord)")
			c.exitStatus = exitGeneric
			return false, nil
		}
		return false, err
	}
	ctx, stop := interruptible(ctx)
	defer stop()
	step := interval
	if once {
		step = time.Second // CPU % needs two samples
	}
	clear := !once && c.out == io.Writer(os.Stdout) && isTerminal(os.Stdout)
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case <-time.After(step):
		}
		cur, t1, err := sample()
		if err != nil {
			if ctx.Err() != nil {
				return false, nil
			}
			return false, err
		}
		rows := topRows(prev, cur, t1.Sub(t0))
		if only != nil {
			rows = slices.DeleteFunc(rows, func(r topRow) bool { return !only[r.Name] })
		}
		switch {
		case asJSON:
			c.writeJSON(rows)
		case clear:
			io.WriteString(c.out, "\x1b[H\x1b[2J"+time.Now().Format("15:04:05")+"  superctl top (Ctrl-C to exit)\n\n"+formatTop(rows))
		default:
			io.WriteString(c.out, formatTop(rows))
		}
		if once {
			return false, nil
		}
		if !clear {
			c.output("")
		}
		prev, t0 = cur, t1
	}
}
