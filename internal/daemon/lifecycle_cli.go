package daemon

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/superd/superd/pkg/config"
)

// checkLifecycle prints, for superd check, one line per program that
// uses superd's lifecycle options (depends_on, ready, healthcheck,
// restart_delay, startretries_forever, environment_file), saying what
// superd will do with them.
func checkLifecycle(w io.Writer, cfg *config.Config) {
	seen := map[string]bool{}
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			if seen[p.Program] {
				continue
			}
			seen[p.Program] = true
			if d := lifecycleSummary(p); d != "" {
				fmt.Fprintf(w, "  program %s: %s\n", p.Program, d)
			}
		}
	}
}

// checkEnvFiles warns, for superd check, about the environment files a
// spawn would reject now: a line that does not parse (file:line) or a
// missing required file. They are warnings: the files are read again
// at every spawn and may be fixed or created before.
func checkEnvFiles(w io.Writer, cfg *config.Config) {
	seen := map[string]bool{}
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			if seen[p.Program] || len(p.EnvFiles) == 0 {
				continue
			}
			seen[p.Program] = true
			if _, err := config.ReadEnvFiles(p.EnvFiles); err != nil {
				// p.Source: the section's file:line, as every
				// config message names it
				fmt.Fprintf(w, "%s: warning: [%s:%s] %v\n", p.Source, g.Kind, p.Program, err)
			}
		}
	}
}

func secs(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", int64(d/time.Second))
	}
	return d.String()
}

// lifecycleSummary describes p's lifecycle options ("" when none is set).
func lifecycleSummary(p *config.Process) string {
	var parts []string
	if len(p.DependsOn) > 0 {
		parts = append(parts, fmt.Sprintf("starts after %s", strings.Join(p.Deps, ", ")))
	}
	if p.Ready != nil {
		parts = append(parts, fmt.Sprintf("ready when %s passes (within %s)", p.Ready.Spec, secs(p.ReadyTimeout)))
	}
	if p.Health != nil {
		action := "restart"
		if !p.HealthRestart {
			action = "no action"
		}
		parts = append(parts, fmt.Sprintf("healthcheck %s every %s (timeout %s, %d failures: %s)",
			p.Health.Spec, secs(p.HealthInterval), secs(p.HealthTimeout), p.HealthRetries, action))
	}
	if p.RestartDelay > 0 {
		d := "restart delay " + secs(p.RestartDelay)
		if p.RestartExponential {
			d += fmt.Sprintf(" doubling up to %s (reset after %s up)", secs(p.RestartDelayMax), secs(p.RestartReset))
		}
		parts = append(parts, d)
	}
	if p.StartRetriesForever {
		parts = append(parts, "start retries forever")
	}
	if len(p.EnvFiles) > 0 {
		var fs []string
		for _, f := range p.EnvFiles {
			if f.Optional {
				fs = append(fs, f.Path+" (optional)")
			} else {
				fs = append(fs, f.Path)
			}
		}
		parts = append(parts, "environment from "+strings.Join(fs, ", "))
	}
	return strings.Join(parts, "; ")
}
