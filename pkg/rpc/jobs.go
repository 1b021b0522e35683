package rpc

import (
	"context"
	"os"

	"github.com/superd/superd/pkg/logfile"
)

// JobInfo is superd.getJobInfo's struct. Times are unix seconds (0 =
// never); durations are seconds.
type JobInfo struct {
	Name           string  `xmlrpc:"name" json:"name"`
	Command        string  `xmlrpc:"command" json:"command"`
	Schedule       string  `xmlrpc:"schedule" json:"schedule"`               // "interval 10", "times 20:00", "schedule */5 * * * *"
	ScheduleSource string  `xmlrpc:"schedule_source" json:"schedule_source"` // config or override
	Description    string  `xmlrpc:"description" json:"description"`         // the schedule in words
	Timezone       string  `xmlrpc:"timezone" json:"timezone"`
	Overlap        string  `xmlrpc:"overlap" json:"overlap"`
	Enabled        bool    `xmlrpc:"enabled" json:"enabled"`
	Held           bool    `xmlrpc:"held" json:"held"`
	Running        bool    `xmlrpc:"running" json:"running"`
	PID            int     `xmlrpc:"pid" json:"pid"`
	LastStart      int64   `xmlrpc:"last_start" json:"last_start"`
	LastEnd        int64   `xmlrpc:"last_end" json:"last_end"`
	LastDuration   float64 `xmlrpc:"last_duration" json:"last_duration"`
	LastResult     string  `xmlrpc:"last_result" json:"last_result"` // never ok failed skipped timeout interrupted
	LastExitStatus int     `xmlrpc:"last_exitstatus" json:"last_exitstatus"`
	LastSkipped    int64   `xmlrpc:"last_skipped" json:"last_skipped"`
	LastSkipReason string  `xmlrpc:"last_skip_reason" json:"last_skip_reason"`
	NextRun        int64   `xmlrpc:"next_run" json:"next_run"` // 0 when disabled, held or never
	Queued         int     `xmlrpc:"queued" json:"queued"`
	Runs           int     `xmlrpc:"runs" json:"runs"`
	Failures       int     `xmlrpc:"failures" json:"failures"`
}

// JobRun is one entry of superd.getJobHistory.
type JobRun struct {
	Start       int64   `xmlrpc:"start" json:"start"`
	End         int64   `xmlrpc:"end" json:"end"`
	Duration    float64 `xmlrpc:"duration" json:"duration"`
	Result      string  `xmlrpc:"result" json:"result"`
	ExitStatus  int     `xmlrpc:"exitstatus" json:"exitstatus"`
	Trigger     string  `xmlrpc:"trigger" json:"trigger"` // schedule manual catchup retry
	SkipReason  string  `xmlrpc:"skip_reason" json:"skip_reason"`
	OutputBytes int     `xmlrpc:"output_bytes" json:"output_bytes"`
	// Due is the fire time the run was for (0: manual); Lateness is
	// start - due in seconds (how late the scheduler started it, jitter
	// included; 0 for manual runs).
	Due      int64   `xmlrpc:"due" json:"due"`
	Lateness float64 `xmlrpc:"lateness" json:"lateness"`
}

// JobsBackend is what the superd.*Job* methods need from the daemon.
// Errors should be *Fault: BAD_NAME for an unknown job, BAD_ARGUMENTS
// for a bad schedule spec, ALREADY_STARTED for runJob on a running
// overlap=skip job.
type JobsBackend interface {
	AllJobInfo(ctx context.Context) ([]JobInfo, error)
	JobInfo(ctx context.Context, name string) (JobInfo, error)
	RunJob(ctx context.Context, name string) error
	EnableJob(ctx context.Context, name string) error
	DisableJob(ctx context.Context, name string) error
	// SetJobSchedule overrides the schedule; spec "" resets it.
	SetJobSchedule(ctx context.Context, name, spec string) error
	HoldJobs(ctx context.Context) error
	ReleaseJobs(ctx context.Context) error
	// JobHistory returns up to limit runs, newest first (limit <= 0: all).
	JobHistory(ctx context.Context, name string, limit int) ([]JobRun, error)
	// JobNextRuns returns the next count fire times (unix seconds) of
	// the job's effective schedule.
	JobNextRuns(ctx context.Context, name string, count int) ([]int64, error)
	// JobLogPath is the job's stdout log ("" if none).
	JobLogPath(ctx context.Context, name string) (string, error)
}

// JobMethods returns the superd.* job methods served from b.
func JobMethods(b JobsBackend) []Method {
	pJob := Param{Type: "string", Name: "name", Doc: "The name of the job"}
	ok := func(err error) (any, error) {
		if err != nil {
			return nil, err
		}
		return true, nil
	}
	name := func(a []any) string { return a[0].(string) }
	return []Method{
		{Name: "superd.getAllJobInfo", Doc: "Get info about all scheduled jobs, sorted by name", Returns: "array", ReturnDoc: "result  An array of job info structs",
			Func: func(ctx context.Context, a []any) (any, error) {
				infos, err := b.AllJobInfo(ctx)
				if infos == nil && err == nil {
					infos = []JobInfo{}
				}
				return infos, err
			}},
		{Name: "superd.getJobInfo", Doc: "Get info about the job named name", Params: []Param{pJob}, Returns: "struct", ReturnDoc: "result  A job info struct",
			Func: func(ctx context.Context, a []any) (any, error) {
				info, err := b.JobInfo(ctx, name(a))
				if err != nil {
					return nil, err
				}
				return info, nil
			}},
		{Name: "superd.runJob", Doc: "Run the job now (also while jobs are held or the job is disabled: an explicit request beats both). It starts as soon as its overlap policy allows; with overlap=skip a running job fails with ALREADY_STARTED", Params: []Param{pJob}, Returns: "boolean", ReturnDoc: "result  Always true unless error",
			Func: func(ctx context.Context, a []any) (any, error) { return ok(b.RunJob(ctx, name(a))) }},
		{Name: "superd.enableJob", Doc: "Enable the job's schedule (persisted)", Params: []Param{pJob}, Returns: "boolean", ReturnDoc: "result  Always true unless error",
			Func: func(ctx context.Context, a []any) (any, error) { return ok(b.EnableJob(ctx, name(a))) }},
		{Name: "superd.disableJob", Doc: "Disable the job's schedule (persisted); a run in progress goes on", Params: []Param{pJob}, Returns: "boolean", ReturnDoc: "result  Always true unless error",
			Func: func(ctx context.Context, a []any) (any, error) { return ok(b.DisableJob(ctx, name(a))) }},
		{Name: "superd.setJobSchedule", Doc: "Override the job's schedule (persisted) with a spec in one of the forms 'interval 05:00', 'times 08:00,20:00', 'schedule */5 * * * *'; an empty spec resets it to the configured one. A bad spec fails with BAD_ARGUMENTS and the parse error", Params: []Param{pJob, {Type: "string", Name: "spec", Doc: "The schedule spec, or '' to reset"}}, Returns: "boolean", ReturnDoc: "result  Always true unless error",
			Func: func(ctx context.Context, a []any) (any, error) {
				return ok(b.SetJobSchedule(ctx, name(a), a[1].(string)))
			}},
		{Name: "superd.holdJobs", Doc: "Hold all jobs (maintenance): no scheduled run starts until releaseJobs (persisted); runs in progress go on", Returns: "boolean", ReturnDoc: "result  Always true unless error",
			Func: func(ctx context.Context, a []any) (any, error) { return ok(b.HoldJobs(ctx)) }},
		{Name: "superd.releaseJobs", Doc: "Release the hold of holdJobs", Returns: "boolean", ReturnDoc: "result  Always true unless error",
			Func: func(ctx context.Context, a []any) (any, error) { return ok(b.ReleaseJobs(ctx)) }},
		{Name: "superd.getJobHistory", Doc: "Get the job's last runs, newest first (at most 100 are kept)", Params: []Param{pJob, {Type: "int", Name: "limit", Doc: "At most this many runs (0: all kept)", Default: 0}}, Returns: "array", ReturnDoc: "result  An array of run structs",
			Func: func(ctx context.Context, a []any) (any, error) {
				runs, err := b.JobHistory(ctx, name(a), int(a[1].(int64)))
				if runs == nil && err == nil {
					runs = []JobRun{}
				}
				return runs, err
			}},
		{Name: "superd.getJobNextRuns", Doc: "Get the next fire times of the job's schedule (unix seconds), to check a spec", Params: []Param{pJob, {Type: "int", Name: "count", Doc: "How many (1 to 100)", Default: 5}}, Returns: "array", ReturnDoc: "result  An array of ints",
			Func: func(ctx context.Context, a []any) (any, error) {
				n := a[1].(int64)
				if n < 1 || n > 100 {
					return nil, NewFault(BadArguments, "count must be 1 to 100")
				}
				ts, err := b.JobNextRuns(ctx, name(a), int(n))
				if ts == nil && err == nil {
					ts = []int64{}
				}
				return ts, err
			}},
		{Name: "superd.tailJobLog", Doc: "Tail the job's output log (stdout, and stderr with redirect_stderr) like supervisor.tailProcessStdoutLog: return up to length bytes from offset, with the overflow flag set when the log has grown beyond offset+length", Params: []Param{pJob, {Type: "int", Name: "offset", Doc: "offset to start reading from"}, {Type: "int", Name: "length", Doc: "maximum number of bytes to return"}}, Returns: "array", ReturnDoc: "result  [string bytes, int offset, bool overflow]",
			Func: func(ctx context.Context, a []any) (any, error) {
				path, err := b.JobLogPath(ctx, name(a))
				if err != nil {
					return nil, err
				}
				if path == "" {
					return []any{"", 0, false}, nil
				}
				if _, err := os.Stat(path); err != nil {
					return []any{"", 0, false}, nil
				}
				data, off, overflow, err := logfile.Tail(path, a[1].(int64), a[2].(int64))
				if err != nil {
					return []any{"", int(a[1].(int64)), false}, nil
				}
				return []any{string(data), int(off), overflow}, nil
			}},
	}
}

// AllJobInfo calls superd.getAllJobInfo.
func (c *Client) AllJobInfo(ctx context.Context) ([]JobInfo, error) {
	var out []JobInfo
	err := c.CallInto(ctx, &out, "superd.getAllJobInfo")
	return out, err
}

// JobInfo calls superd.getJobInfo.
func (c *Client) JobInfo(ctx context.Context, name string) (JobInfo, error) {
	var out JobInfo
	err := c.CallInto(ctx, &out, "superd.getJobInfo", name)
	return out, err
}

// RunJob calls superd.runJob.
func (c *Client) RunJob(ctx context.Context, name string) error {
	return c.ok(ctx, "superd.runJob", name)
}

// EnableJob calls superd.enableJob.
func (c *Client) EnableJob(ctx context.Context, name string) error {
	return c.ok(ctx, "superd.enableJob", name)
}

// DisableJob calls superd.disableJob.
func (c *Client) DisableJob(ctx context.Context, name string) error {
	return c.ok(ctx, "superd.disableJob", name)
}

// SetJobSchedule calls superd.setJobSchedule ("" resets).
func (c *Client) SetJobSchedule(ctx context.Context, name, spec string) error {
	return c.ok(ctx, "superd.setJobSchedule", name, spec)
}

// HoldJobs calls superd.holdJobs.
func (c *Client) HoldJobs(ctx context.Context) error { return c.ok(ctx, "superd.holdJobs") }

// ReleaseJobs calls superd.releaseJobs.
func (c *Client) ReleaseJobs(ctx context.Context) error { return c.ok(ctx, "superd.releaseJobs") }

// JobHistory calls superd.getJobHistory.
func (c *Client) JobHistory(ctx context.Context, name string, limit int) ([]JobRun, error) {
	var out []JobRun
	err := c.CallInto(ctx, &out, "superd.getJobHistory", name, limit)
	return out, err
}

// JobNextRuns calls superd.getJobNextRuns.
func (c *Client) JobNextRuns(ctx context.Context, name string, count int) ([]int64, error) {
	var out []int64
	err := c.CallInto(ctx, &out, "superd.getJobNextRuns", name, count)
	return out, err
}

// TailJobLog calls superd.tailJobLog.
func (c *Client) TailJobLog(ctx context.Context, name string, offset, length int) (string, int, bool, error) {
	return c.tail(ctx, "superd.tailJobLog", name, offset, length)
}
