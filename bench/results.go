package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

type agg int

const (
	aggMedian agg = iota
	aggP50
	aggP99
	aggSame // one value shared by all implementations (a baseline)
)

// metric is one row of the table.
type metric struct {
	id     string // sample key
	label  string
	unit   string
	agg    agg
	digits int
	higher bool // higher is better (ratio reads the other way)
}

var metrics = []metric{
	{id: "spawn0", label: "spawn to all RUNNING, startsecs=0", unit: "s", digits: 3},
	{id: "spawn0tmpfs", label: "spawn to all RUNNING, startsecs=0, logs on tmpfs", unit: "s", digits: 3},
	{id: "spawn1", label: "spawn to all RUNNING, startsecs=1", unit: "s", digits: 3},
	{id: "update", label: "reread + update: remove N/2, add N/2 (RPCs)", unit: "s", digits: 3},
	{id: "rss", label: "daemon RSS, 1 s after spawn", unit: "MiB", digits: 1},
	{id: "rssanon", label: "daemon RssAnon (RSS without mapped files), 1 s after spawn", unit: "MiB", digits: 1},
	{id: "rssidle", label: "daemon RSS, after the idle window", unit: "MiB", digits: 1},
	{id: "idlecpu", label: "daemon CPU while idle", unit: "% of a core", digits: 3},
	{id: "getall", label: "getAllProcessInfo p50", unit: "ms", agg: aggP50, digits: 2},
	{id: "getall", label: "getAllProcessInfo p99", unit: "ms", agg: aggP99, digits: 2},
	{id: "getalldec", label: "getAllProcessInfo + pkg/rpc.Client decode p50", unit: "ms", digits: 2},
	{id: "status", label: "ctl status process p50", unit: "ms", agg: aggP50, digits: 1},
	{id: "status", label: "ctl status process p99", unit: "ms", agg: aggP99, digits: 1},
	{id: "crash", label: "kill -9 to new pid RUNNING", unit: "ms", digits: 2},
	{id: "stopall", label: "stop all (stopAllProcesses wait)", unit: "s", digits: 3},
	{id: "startall", label: "start all (startAllProcesses wait)", unit: "s", digits: 3},
	{id: "restartall", label: "restart all (stop all + start all)", unit: "s", digits: 3},
	{id: "shutdown", label: "SIGTERM to daemon exit", unit: "s", digits: 3},
	{id: "logmbs", label: "log throughput through the daemon", unit: "MB/s", digits: 0, higher: true},
	{id: "logdirect", label: "log: generator straight to file", unit: "MB/s", agg: aggSame, digits: 0, higher: true},
	{id: "loglost", label: "log: lines missing (written - found)", unit: "lines", digits: 0},
}

type key struct{ id, n, impl string }

// results holds raw samples and per-cell errors.
type results struct {
	samples map[key][]float64
	errs    map[key]string
	ns      []string // row groups in order
}

func newResults() *results {
	return &results{samples: map[key][]float64{}, errs: map[key]string{}}
}

func (r *results) addN(n string) {
	if !slices.Contains(r.ns, n) {
		r.ns = append(r.ns, n)
	}
}

func (r *results) add(id, n, impl string, v float64) {
	r.addN(n)
	k := key{id, n, impl}
	r.samples[k] = append(r.samples[k], v)
}

func (r *results) fail(id, n, impl string, err error) {
	r.addN(n)
	k := key{id, n, impl}
	if _, ok := r.errs[k]; !ok {
		r.errs[k] = err.Error()
	}
}

// value aggregates the samples of one cell; ok is false without samples.
func (r *results) value(m metric, n, impl string) (float64, bool) {
	s := r.samples[key{m.id, n, impl}]
	if m.agg == aggSame {
		s = r.samples[key{m.id, n, ""}]
	}
	if len(s) == 0 {
		return 0, false
	}
	switch m.agg {
	case aggP99:
		return percentile(s, 99), true
	default:
		return percentile(s, 50), true
	}
}

// percentile is the nearest-rank percentile (the median of an even
// count is the mean of the middle two).
func percentile(s []float64, p float64) float64 {
	s = slices.Clone(s)
	slices.Sort(s)
	if p == 50 {
		m := len(s) / 2
		if len(s)%2 == 0 {
			return (s[m-1] + s[m]) / 2
		}
		return s[m]
	}
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// row is one formatted table row (kept for tests).
type row struct {
	label, n string
	cells    []string
	values   []float64
	have     []bool
}

// ratioCols lists the ratio columns for names: each implementation but
// ref over ref, then the first implementation over the limit column
// when names has one.
func ratioCols(names []string, ref string) [][2]string {
	var cols [][2]string
	for _, im := range names {
		if im != ref && im != limitName {
			cols = append(cols, [2]string{im, ref})
		}
	}
	if slices.Contains(names, limitName) && names[0] != limitName {
		cols = append(cols, [2]string{names[0], limitName})
	}
	return cols
}

// table builds the rows for impl names; ratios are ratioCols.
func (r *results) table(names []string, ref string) []row {
	var rows []row
	for _, n := range r.ns {
		for _, m := range metrics {
			rw := row{label: m.label + " (" + m.unit + ")", n: n}
			any := false
			for _, im := range names {
				v, ok := r.value(m, n, im)
				rw.values = append(rw.values, v)
				rw.have = append(rw.have, ok)
				switch {
				case ok:
					rw.cells = append(rw.cells, fmt.Sprintf("%.*f", m.digits, v))
					any = true
				case r.errs[key{m.id, n, im}] != "":
					rw.cells = append(rw.cells, "error")
					any = true
				default:
					rw.cells = append(rw.cells, "-")
				}
			}
			if !any {
				continue
			}
			for _, rc := range ratioCols(names, ref) {
				i, ri := slices.Index(names, rc[0]), slices.Index(names, rc[1])
				cell := "-"
				if ri >= 0 && rw.have[i] && rw.have[ri] && m.agg != aggSame && rw.values[ri] != 0 {
					cell = fmt.Sprintf("%.3f", rw.values[i]/rw.values[ri])
				}
				rw.cells = append(rw.cells, cell)
			}
			rows = append(rows, rw)
		}
	}
	return rows
}

// print writes the table as markdown, then the errors.
func (r *results) print(w io.Writer, names []string, ref string) {
	hdr := []string{"scenario", "N"}
	hdr = append(hdr, names...)
	for _, rc := range ratioCols(names, ref) {
		hdr = append(hdr, rc[0]+"/"+rc[1])
	}
	rows := r.table(names, ref)
	cells := [][]string{hdr}
	for _, rw := range rows {
		cells = append(cells, append([]string{rw.label, rw.n}, rw.cells...))
	}
	printCells(w, cells)
	r.printPerProcess(w, names)
	var errs []string
	for k, e := range r.errs {
		errs = append(errs, fmt.Sprintf("- %s N=%s %s: %s", k.impl, k.n, k.id, e))
	}
	slices.Sort(errs)
	if len(errs) > 0 {
		fmt.Fprintln(w, "\nerrors:")
		for _, e := range errs {
			fmt.Fprintln(w, e)
		}
	}
}

// perProcess are the rows of the per-process table: the median divided
// by N, in a smaller unit.
var perProcess = []struct {
	id, label string
	agg       agg
	scale     float64
}{
	{"spawn0", "spawn, startsecs=0 (ms per process)", aggMedian, 1000},
	{"spawn0tmpfs", "spawn, logs on tmpfs (ms per process)", aggMedian, 1000},
	{"rss", "daemon RSS (KiB per process)", aggMedian, 1024},
	{"rssanon", "daemon RssAnon (KiB per process)", aggMedian, 1024},
	{"getall", "getAllProcessInfo p50 (µs per process)", aggP50, 1000},
	{"status", "ctl status p50 (µs per process)", aggP50, 1000},
	{"stopall", "stop all (ms per process)", aggMedian, 1000},
}

// printPerProcess prints value/N for the numeric Ns, to show whether
// costs grow linearly.
func (r *results) printPerProcess(w io.Writer, names []string) {
	var ns []string
	for _, n := range r.ns {
		if _, err := strconv.Atoi(n); err == nil {
			ns = append(ns, n)
		}
	}
	if len(ns) == 0 {
		return
	}
	hdr := []string{"per process", "implementation"}
	for _, n := range ns {
		hdr = append(hdr, "N="+n)
	}
	cells := [][]string{hdr}
	for _, pp := range perProcess {
		for _, im := range names {
			c := []string{pp.label, im}
			any := false
			for _, n := range ns {
				v, ok := r.value(metric{id: pp.id, agg: pp.agg}, n, im)
				nn, _ := strconv.Atoi(n)
				if !ok {
					c = append(c, "-")
					continue
				}
				any = true
				c = append(c, fmt.Sprintf("%.2f", v*pp.scale/float64(nn)))
			}
			if any {
				cells = append(cells, c)
			}
		}
	}
	if len(cells) > 1 {
		fmt.Fprintln(w)
		printCells(w, cells)
	}
}

// printCells prints a markdown table: the first row is the header, the
// first two columns are left-aligned.
func printCells(w io.Writer, cells [][]string) {
	hdr := cells[0]
	width := make([]int, len(hdr))
	for _, c := range cells {
		for i, s := range c {
			width[i] = max(width[i], len(s))
		}
	}
	line := func(c []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, s := range c {
			if i < 2 {
				fmt.Fprintf(&b, " %-*s |", width[i], s)
			} else {
				fmt.Fprintf(&b, " %*s |", width[i], s)
			}
		}
		fmt.Fprintln(w, b.String())
	}
	line(cells[0])
	sep := make([]string, len(hdr))
	for i := range sep {
		sep[i] = strings.Repeat("-", width[i])
		if i >= 2 {
			sep[i] = sep[i][1:] + ":"
		}
	}
	line(sep)
	for _, c := range cells[1:] {
		line(c)
	}
}
