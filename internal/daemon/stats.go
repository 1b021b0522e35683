package daemon

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/superd/superd/pkg/rpc"
)

// stats is superd.getDaemonStats.
func (d *daemon) stats(ctx context.Context) (rpc.DaemonStats, error) {
	s := rpc.DaemonStats{PID: os.Getpid(), Goroutines: runtime.NumGoroutine(), RecordedChildren: -1}
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		s.FDs = len(ents) - 1 // the directory being read
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(line, ":")
			f := strings.Fields(v)
			if len(f) == 0 {
				continue
			}
			n, _ := strconv.Atoi(f[0])
			switch k {
			case "VmRSS":
				s.RSS = n * 1024
			case "Threads":
				s.Threads = n
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.HeapInuse = int(ms.HeapInuse)
	s.LogBytesDropped = d.logDropped.Load()
	if d.children != nil {
		// the recorder sees every spawn and reap (job runs too, which
		// getAllProcessInfo does not list), without a call into the
		// supervisor's loop
		s.Children = d.children.children()
		s.RecordedChildren = d.children.recorded()
	}
	return s, nil
}
