package rpc

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
	body, _, _, err := c.LogTailAt(ctx, name, channel, "", offset)
	return body, err
}

// LogTailAt is LogTail starting offset bytes into the log's stream
// counted from the start of the file with key (superd's "?offset=N&
// file=KEY" extension, logfile.Resume; with key "", at byte offset of
// the current file). It returns where the stream starts, from the
// answer's LogPositionHeader: a client that counts the bytes it reads
// resumes a broken stream with LogTailAt(key, start+count), across
// rotations. supervisord sends no position (key ""), ignores the query
// and starts with the last 1024 bytes.
func (c *Client) LogTailAt(ctx context.Context, name, channel, key string, offset int64) (body interface {
	Read([]byte) (int, error)
	Close() error
}, startKey string, start int64, err error) {
	path := "/mainlogtail"
	if name != "" {
		path = "/logtail/" + url.PathEscape(name)
		if channel != "" {
			path += "/" + url.PathEscape(channel)
		}
	}
	path += "?offset=" + strconv.FormatInt(offset, 10)
	if key != "" {
		path += "&file=" + url.QueryEscape(key)
	}
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, "", 0, err
	}
	if v := resp.Header.Get(LogPositionHeader); v != "" {
		if i := strings.LastIndexByte(v, ':'); i > 0 {
			if n, err := strconv.ParseInt(v[i+1:], 10, 64); err == nil {
				startKey, start = v[:i], n
			}
		}
	}
	return resp.Body, startKey, start, nil
}
