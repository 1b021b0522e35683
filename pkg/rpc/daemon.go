package rpc

import "context"

// DaemonStats is superd.getDaemonStats's struct: superd's own use of
// resources, for leak checks (the reliability tests, the soak run) and
// for monitoring.
type DaemonStats struct {
	PID        int `xmlrpc:"pid" json:"pid"`
	FDs        int `xmlrpc:"fds" json:"fds"`               // open descriptors (/proc/self/fd)
	Goroutines int `xmlrpc:"goroutines" json:"goroutines"` // runtime.NumGoroutine
	RSS        int `xmlrpc:"rss" json:"rss"`               // resident set size, bytes
	HeapInuse  int `xmlrpc:"heap_inuse" json:"heap_inuse"` // bytes
	Threads    int `xmlrpc:"threads" json:"threads"`       // OS threads
	// Children is the number of live children (job runs included);
	// RecordedChildren how many of them are recorded in the state
	// database for crash recovery (-1: no state database).
	Children         int `xmlrpc:"children" json:"children"`
	RecordedChildren int `xmlrpc:"recorded_children" json:"recorded_children"`
	// LogBytesDropped counts child output superd read but could not
	// write to a log file (disk full, directory removed) since it
	// started.
	LogBytesDropped int64 `xmlrpc:"log_bytes_dropped" json:"log_bytes_dropped"`
}

// DaemonMethods returns superd.getDaemonStats, served from stats.
func DaemonMethods(stats func(ctx context.Context) (DaemonStats, error)) []Method {
	return []Method{{
		Name:         "superd.getDaemonStats",
		Doc:          "Return superd's own resource use: open descriptors, goroutines, resident memory, threads, children (live and recorded for crash recovery) and child log bytes dropped.",
		Returns:      "struct",
		ReturnDoc:    "A structure of counters",
		NoStateCheck: true,
		Func: func(ctx context.Context, _ []any) (any, error) {
			s, err := stats(ctx)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
	}}
}

// DaemonStats calls superd.getDaemonStats.
func (c *Client) DaemonStats(ctx context.Context) (DaemonStats, error) {
	var out DaemonStats
	err := c.CallInto(ctx, &out, "superd.getDaemonStats")
	return out, err
}
