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
}

// StatsMethods returns superd.getProcessStats served from fn.
func StatsMethods(fn func(ctx context.Context) ([]ProcessStats, error)) []Method {
	return []Method{{
		Name:      "superd.getProcessStats",
		Doc:       "Get the state, CPU time and resident memory (from /proc, summed over each child's process group) and restart/exit counts of every process, sorted like getAllProcessInfo",
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
