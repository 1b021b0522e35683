package daemon

import (
	"context"
	"time"

	"github.com/superd/superd/pkg/process"
	"github.com/superd/superd/pkg/rpc"
)

// The backend's side of superd's lifecycle methods (rpc.LifecycleBackend).

var _ rpc.LifecycleBackend = backend{}

// toSteps converts process steps, each error through the one fault table.
func toSteps(steps []process.Step, err error) ([]rpc.ProcessStep, error) {
	if err != nil {
		return nil, toFault(err)
	}
	out := make([]rpc.ProcessStep, 0, len(steps))
	for _, s := range steps {
		ps := rpc.ProcessStep{Name: s.Name, Group: s.Group, Status: rpc.Success, Description: "OK", Reason: s.Reason}
		if s.Err != nil {
			f := toFault(s.Err).(*rpc.Fault)
			ps.Status, ps.Description = f.Code, f.String
		}
		out = append(out, ps)
	}
	return out, nil
}

func (b backend) RollingRestart(ctx context.Context, name string, batch int) ([]rpc.ProcessStep, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	return toSteps(s.RollingRestart(ctx, name, batch))
}

func (b backend) ScaleGroup(ctx context.Context, name string, n int) ([]rpc.ProcessStep, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	return toSteps(s.ScaleGroup(ctx, name, n))
}

func (b backend) StartProcessDeps(ctx context.Context, name string, wait bool) ([]rpc.ProcessStep, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	return toSteps(s.StartWithDeps(ctx, name, wait))
}

func (b backend) StopProcessDeps(ctx context.Context, name string, wait, noDeps bool) ([]rpc.ProcessStep, error) {
	s, err := b.sup()
	if err != nil {
		return nil, err
	}
	return toSteps(s.StopWithDeps(ctx, name, wait, noDeps))
}

func seconds(d time.Duration) float64 { return d.Seconds() }

func (b backend) AllConfigInfoLifecycle(ctx context.Context) ([]rpc.ConfigInfo, []rpc.LifecycleInfo, error) {
	cis, err := b.AllConfigInfo(ctx)
	if err != nil {
		return nil, nil, err
	}
	s, err := b.sup()
	if err != nil {
		return nil, nil, err
	}
	procs, err := s.AllConfigInfo(ctx)
	if err != nil {
		return nil, nil, toFault(err)
	}
	// Both lists come from the same configuration in the same order
	// unless a reread came in between: match by group and name.
	type key struct{ g, n string }
	byName := map[key]process.ConfigInfo{}
	for _, ci := range procs {
		byName[key{ci.Process.Group, ci.Process.Name}] = ci
	}
	lis := make([]rpc.LifecycleInfo, len(cis))
	for i, ci := range cis {
		pc, ok := byName[key{ci.Group, ci.Name}]
		if !ok {
			continue
		}
		p := pc.Process
		li := rpc.LifecycleInfo{
			DependsOn: p.DependsOn, Dependencies: p.Deps,
			ReadyTimeout: seconds(p.ReadyTimeout), HealthcheckInterval: seconds(p.HealthInterval),
			HealthcheckTimeout: seconds(p.HealthTimeout), HealthcheckRetries: p.HealthRetries,
			HealthcheckAction: "none", RestartDelay: seconds(p.RestartDelay), RestartBackoff: "fixed",
			RestartDelayMax: seconds(p.RestartDelayMax), RestartReset: seconds(p.RestartReset),
			StartRetriesForever: p.StartRetriesForever,
		}
		if p.Ready != nil {
			li.Ready = p.Ready.Spec
		}
		if p.Health != nil {
			li.Healthcheck = p.Health.Spec
		}
		if p.HealthRestart {
			li.HealthcheckAction = "restart"
		}
		if p.RestartExponential {
			li.RestartBackoff = "exponential"
		}
		for _, f := range p.EnvFiles {
			name := f.Path
			if f.Optional {
				name = "-" + name
			}
			li.EnvironmentFile = append(li.EnvironmentFile, name)
		}
		if sc := pc.Scaling; sc != nil {
			li.ProcessName, li.Numprocs, li.NumprocsStart = sc.NameTemplate, sc.Numprocs, sc.NumprocsStart
		}
		lis[i] = li
	}
	return cis, lis, nil
}
