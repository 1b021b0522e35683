package daemon

import (
	"fmt"
	"io"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/schedule"
)

// checkJobs lists the jobs of cfg for `superd check`: name, schedule in
// words and the next run as configured.
func checkJobs(w io.Writer, cfg *config.Config) {
	now := time.Now()
	for _, j := range cfg.Jobs {
		desc, next := j.Spec(), ""
		if s, err := schedule.Parse(j.ScheduleKind, j.ScheduleText, j.Location); err == nil {
			desc = s.Describe()
			if t := s.Next(now); !t.IsZero() {
				next = ", next run " + t.In(j.Location).Format("2006-01-02 15:04:05 MST")
			}
		}
		state := ""
		if !j.Enabled {
			state = " (disabled)"
		}
		fmt.Fprintf(w, "  job %s: %s%s%s\n", j.Name, desc, next, state)
	}
}
