package daemon

import (
	"fmt"
	"io"

	"github.com/superd/superd/pkg/config"
)

// checkJobs lists the jobs of cfg for `superd check`: name, schedule
// and zone, one line each.
func checkJobs(w io.Writer, cfg *config.Config) {
	for _, j := range cfg.Jobs {
		zone := j.Timezone
		if zone == "" {
			zone = "local time"
		}
		state := ""
		if !j.Enabled {
			state = " (disabled)"
		}
		fmt.Fprintf(w, "  job %s: %s (%s)%s\n", j.Name, j.Spec(), zone, state)
	}
}
