package rpc

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// ProcessStats is one entry of superd.getProcessStats: a process's state
// with its resource usage read from /proc and superd's counters since
// the daemon started. CPU and memory cover the child's whole process
// group (the child and every descendant still in its group). RSS is in
// KiB: XML-RPC ints are 32-bit.
type ProcessStats struct {
	Name       string  `xmlrpc:"name" json:"name"`
	Group      string  `xmlrpc:"group" json:"group"`
	State      int     `xmlrpc:"state" json:"state"`
	StateName  string  `xmlrpc:"statename" json:"statename"`
	PID        int     `xmlrpc:"pid" json:"pid"`
	Start      int64   `xmlrpc:"start" json:"start"` // unix seconds, 0 if never
	Now        int64   `xmlrpc:"now" json:"now"`
	CPUSeconds float64 `xmlrpc:"cpu_seconds" json:"cpu_seconds"` // user+system of the group's live processes
	RSSKiB     int     `xmlrpc:"rss_kib" json:"rss_kib"`
	Procs      int     `xmlrpc:"procs" json:"procs"`       // live processes in the group
	Restarts   int     `xmlrpc:"restarts" json:"restarts"` // spawns after the first
	Exits      int     `xmlrpc:"exits" json:"exits"`       // EXITED and BACKOFF transitions
	// Output read from the child's pipes since the process was added
	// (with redirect_stderr all of it is stdout), and the bytes of it
	// that could not be written to the log files (disk full, directory
	// removed). Sent as <i8> once over 2^31-1.
	LogStdoutBytes  int64 `xmlrpc:"log_stdout_bytes" json:"log_stdout_bytes"`
	LogStderrBytes  int64 `xmlrpc:"log_stderr_bytes" json:"log_stderr_bytes"`
	LogDroppedBytes int64 `xmlrpc:"log_dropped_bytes" json:"log_dropped_bytes"`
}

// LogCounts is one process's output counters (see ProcessStats).
type LogCounts struct {
	Name, Group                            string
	StdoutBytes, StderrBytes, DroppedBytes int64
}

// LogCountsBackend is implemented by a backend that counts its
// children's output (superd's daemon; not part of Backend, so that
// other backends need not).
type LogCountsBackend interface {
	// AllLogCounts returns the counters of every process.
	AllLogCounts(ctx context.Context) ([]LogCounts, error)
}

// StatsMethods returns superd.getProcessStats served from fn.
func StatsMethods(fn func(ctx context.Context) ([]ProcessStats, error)) []Method {
	return []Method{{
		Name:      "superd.getProcessStats",
		Doc:       "Get the state, CPU time and resident memory (from /proc, summed over each child's process group), restart/exit counts and output bytes (read, and dropped by the log files) of every process, sorted like getAllProcessInfo",
		Returns:   "array",
		ReturnDoc: "result  An array of process stats structs",
		Func: func(ctx context.Context, _ []any) (any, error) {
			st, err := fn(ctx)
			if st == nil && err == nil {
				st = []ProcessStats{}
			}
			return st, err
		},
	}}
}

// ProcessStats calls superd.getProcessStats.
func (c *Client) ProcessStats(ctx context.Context) ([]ProcessStats, error) {
	var out []ProcessStats
	err := c.CallInto(ctx, &out, "superd.getProcessStats")
	return out, err
}

// LogTailFrom is LogTail starting at byte offset of the current log
// file (superd's "?offset=" extension; supervisord ignores it and
// starts with the last 1024 bytes).
func (c *Client) LogTailFrom(ctx context.Context, name, channel string, offset int64) (interface {
	Read([]byte) (int, error)
	Close() error
}, error) {
	path := "/mainlogtail"
	if name != "" {
		path = "/logtail/" + url.PathEscape(name)
		if channel != "" {
			path += "/" + url.PathEscape(channel)
		}
	}
	path += "?offset=" + strconv.FormatInt(offset, 10)
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
