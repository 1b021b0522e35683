package web

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/superd/superd/pkg/rpc"
)

// Label values come from configuration names (group, process, job) and
// fixed sets (state, expected, result) only, so cardinality is bounded
// by the configuration.
var (
	pl = []string{"group", "name"}

	descState    = prometheus.NewDesc("superd_process_state", "1 for the state the process is in (supervisord's state names), 0 for the others.", []string{"group", "name", "state"}, nil)
	descUp       = prometheus.NewDesc("superd_process_up", "1 if the process is RUNNING.", pl, nil)
	descStart    = prometheus.NewDesc("superd_process_start_time_seconds", "Unix time the process was last started (0: never).", pl, nil)
	descUptime   = prometheus.NewDesc("superd_process_uptime_seconds", "Seconds since the process started, while it is RUNNING.", pl, nil)
	descRestarts = prometheus.NewDesc("superd_process_restarts_total", "Spawns of the process after the first one since superd started.", pl, nil)
	descExits    = prometheus.NewDesc("superd_process_exits_total", "Exits of the process since superd started; expected=false includes deaths during startsecs (BACKOFF).", []string{"group", "name", "expected"}, nil)
	descExitCode = prometheus.NewDesc("superd_process_exit_status", "Exit status of the process's last exit.", pl, nil)
	descPID      = prometheus.NewDesc("superd_process_pid", "PID of the process (0 when not running).", pl, nil)
	descCPU      = prometheus.NewDesc("superd_process_cpu_seconds_total", "User and system CPU time of the process and the live members of its process group, from /proc.", pl, nil)
	descRSS      = prometheus.NewDesc("superd_process_resident_memory_bytes", "Resident memory of the process and the live members of its process group, from /proc.", pl, nil)
	descHealthy  = prometheus.NewDesc("superd_process_healthy", "1 if the last health check of the process passed, 0 if it failed (processes with a healthcheck, once checked).", pl, nil)
	descProcs    = prometheus.NewDesc("superd_process_group_processes", "Live processes in the process's process group (the child and its descendants that stayed in it).", pl, nil)
	descLogBytes = prometheus.NewDesc("superd_process_log_bytes_total", "Bytes of output read from the process's stdout and stderr since it was added (with redirect_stderr all of it is stdout).", []string{"group", "name", "stream"}, nil)
	descLogDrop  = prometheus.NewDesc("superd_process_log_dropped_bytes_total", "Bytes of the process's output that could not be written to its log files (disk full, directory removed).", pl, nil)

	descSupState = prometheus.NewDesc("superd_state", "1 for superd's current state (getState: RUNNING, RESTARTING, SHUTDOWN, FATAL).", []string{"state"}, nil)
	descCount    = prometheus.NewDesc("superd_processes", "Number of processes in each state.", []string{"state"}, nil)
	descInfo     = prometheus.NewDesc("superd_info", "superd's version (the supervisord version it reports) and identification.", []string{"version", "identification"}, nil)
	descScrape   = prometheus.NewDesc("superd_scrape_error", "1 if the process table could not be read for this scrape (superd is restarting or shutting down).", nil, nil)

	jl             = []string{"job"}
	descJobRuns    = prometheus.NewDesc("superd_job_runs_total", "Runs of the job since superd started, by result (ok, failed, timeout, interrupted, skipped).", []string{"job", "result"}, nil)
	descJobDurH    = prometheus.NewDesc("superd_job_duration_seconds", "Duration of the job's runs since superd started.", jl, nil)
	descJobLast    = prometheus.NewDesc("superd_job_last_run_timestamp_seconds", "Unix time the job's last run started (0: never).", jl, nil)
	descJobNext    = prometheus.NewDesc("superd_job_next_run_timestamp_seconds", "Unix time of the job's next scheduled run (0: none, disabled or held).", jl, nil)
	descJobDur     = prometheus.NewDesc("superd_job_last_duration_seconds", "Duration of the job's last run.", jl, nil)
	descJobRunning = prometheus.NewDesc("superd_job_running", "1 while the job runs.", jl, nil)
	descJobEnabled = prometheus.NewDesc("superd_job_enabled", "1 if the job's schedule is enabled.", jl, nil)
	descJobHeld    = prometheus.NewDesc("superd_jobs_held", "1 while all jobs are held.", nil, nil)
)

var supStates = []string{"FATAL", "RUNNING", "RESTARTING", "SHUTDOWN"}

// collector reads everything at scrape time through the backend, the
// hub's counters and /proc; it keeps no state of its own.
type collector struct{ h *Handler }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descState, descUp, descStart, descUptime, descRestarts, descExits,
		descExitCode, descPID, descCPU, descRSS, descProcs, descHealthy, descLogBytes, descLogDrop, descSupState, descCount, descInfo, descScrape,
		descJobRuns, descJobDurH, descJobLast, descJobNext, descJobDur, descJobRunning, descJobEnabled, descJobHeld} {
		ch <- d
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	h := c.h
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	counter := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, l...)
	}
	st := h.b.State().Name
	for _, s := range supStates {
		gauge(descSupState, b2f(s == st), s)
	}
	gauge(descInfo, 1, h.opts.Version, h.b.Identification())

	infos, err := h.b.AllProcessInfo(ctx)
	gauge(descScrape, b2f(err != nil))
	var pids []int
	for _, i := range infos {
		if i.PID > 0 {
			pids = append(pids, i.PID)
		}
	}
	use := groupUsage(h.opts.ProcDir, pids)
	logs := h.logCounts(ctx)
	counts := map[string]int{}
	now := time.Now().Unix()
	for _, i := range infos {
		g, n := i.Group, i.Name
		counts[i.StateName]++
		for _, s := range stateOrder {
			gauge(descState, b2f(s == i.StateName), g, n, s)
		}
		gauge(descUp, b2f(i.State == 20), g, n)
		gauge(descStart, float64(i.Start), g, n)
		if i.State == 20 && i.Start > 0 {
			gauge(descUptime, float64(max(now-i.Start, 0)), g, n)
		} else {
			gauge(descUptime, 0, g, n)
		}
		cnt := h.hub.track.get(namespec(g, n))
		counter(descRestarts, float64(cnt.restarts), g, n)
		counter(descExits, float64(cnt.exitsOK), g, n, "true")
		counter(descExits, float64(cnt.exitsNotOK), g, n, "false")
		gauge(descExitCode, float64(i.ExitStatus), g, n)
		gauge(descPID, float64(i.PID), g, n)
		u := use[i.PID]
		counter(descCPU, u.CPUSeconds, g, n)
		gauge(descRSS, float64(u.RSSBytes), g, n)
		gauge(descProcs, float64(u.Procs), g, n)
		if ok, known := h.hub.track.healthy(namespec(g, n)); known {
			gauge(descHealthy, b2f(ok), g, n)
		}
		if lc, ok := logs[namespec(g, n)]; ok {
			counter(descLogBytes, float64(lc.StdoutBytes), g, n, "stdout")
			counter(descLogBytes, float64(lc.StderrBytes), g, n, "stderr")
			counter(descLogDrop, float64(lc.DroppedBytes), g, n)
		}
	}
	for _, s := range stateOrder {
		gauge(descCount, float64(counts[s]), s)
	}

	if h.opts.Jobs == nil {
		return
	}
	jobs, err := h.opts.Jobs.AllJobInfo(ctx)
	if err != nil {
		return
	}
	held := false
	jobCounts := h.hub.track.jobSnapshot()
	for _, j := range jobs {
		held = held || j.Held
		c := jobCounts[j.Name]
		for _, r := range []string{"ok", "failed", "timeout", "interrupted", "skipped"} {
			counter(descJobRuns, float64(c.runs[r]), j.Name, r)
		}
		bk := map[float64]uint64{}
		for i, b := range jobBuckets {
			if c.buckets != nil {
				bk[b] = c.buckets[i]
			} else {
				bk[b] = 0
			}
		}
		ch <- prometheus.MustNewConstHistogram(descJobDurH, c.count, c.sum, bk, j.Name)
		gauge(descJobLast, float64(j.LastStart), j.Name)
		gauge(descJobNext, float64(j.NextRun), j.Name)
		gauge(descJobDur, j.LastDuration, j.Name)
		gauge(descJobRunning, b2f(j.Running), j.Name)
		gauge(descJobEnabled, b2f(j.Enabled), j.Name)
	}
	gauge(descJobHeld, b2f(held))
}

// logCounts returns the output counters by namespec (nil when the
// backend has none or cannot answer).
func (h *Handler) logCounts(ctx context.Context) map[string]rpc.LogCounts {
	if h.opts.LogCounts == nil {
		return nil
	}
	lcs, err := h.opts.LogCounts.AllLogCounts(ctx)
	if err != nil {
		return nil
	}
	m := make(map[string]rpc.LogCounts, len(lcs))
	for _, lc := range lcs {
		m[namespec(lc.Group, lc.Name)] = lc
	}
	return m
}

func registerMetrics(reg *prometheus.Registry, h *Handler) {
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collector{h})
}

func metricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// ProcessStats is superd.getProcessStats: every process's state,
// /proc usage of its process group and counters.
func (h *Handler) ProcessStats(ctx context.Context) ([]rpc.ProcessStats, error) {
	infos, err := h.b.AllProcessInfo(ctx)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, i := range infos {
		if i.PID > 0 {
			pids = append(pids, i.PID)
		}
	}
	use := groupUsage(h.opts.ProcDir, pids)
	logs := h.logCounts(ctx)
	out := make([]rpc.ProcessStats, 0, len(infos))
	for _, i := range infos {
		u := use[i.PID]
		cnt := h.hub.track.get(namespec(i.Group, i.Name))
		out = append(out, rpc.ProcessStats{Name: i.Name, Group: i.Group, State: i.State, StateName: i.StateName,
			PID: i.PID, Start: i.Start, Now: i.Now, CPUSeconds: u.CPUSeconds, RSSKiB: int(u.RSSBytes >> 10),
			Procs: u.Procs, Restarts: cnt.restarts, Exits: cnt.exitsOK + cnt.exitsNotOK})
		if lc, ok := logs[namespec(i.Group, i.Name)]; ok {
			st := &out[len(out)-1]
			st.LogStdoutBytes, st.LogStderrBytes, st.LogDroppedBytes = lc.StdoutBytes, lc.StderrBytes, lc.DroppedBytes
		}
	}
	return out, nil
}
