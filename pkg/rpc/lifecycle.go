package rpc

import (
	"context"
	"reflect"
)

// ProcessStep is one entry of the results of superd.rollingRestart,
// superd.scaleGroup, superd.startProcess and superd.stopProcess: a
// process the call acted on, with supervisord's result fields
// (status SUCCESS and "OK", or a fault code and string) and why it was
// acted on.
type ProcessStep struct {
	Name        string `xmlrpc:"name" json:"name"`
	Group       string `xmlrpc:"group" json:"group"`
	Status      int    `xmlrpc:"status" json:"status"`
	Description string `xmlrpc:"description" json:"description"`
	// Reason: "web depends on it" (a dependency started first),
	// "depends on db" (a dependant stopped first), "added"/"removed"
	// (scaleGroup), "not restarted: w:w-1 failed" (rollingRestart);
	// "" for the named process itself.
	Reason string `xmlrpc:"reason" json:"reason,omitempty"`
}

// LifecycleInfo holds a process's superd lifecycle options as
// superd.getAllConfigInfo adds them to getAllConfigInfo's fields.
// Durations are seconds; unset options are "" or 0.
type LifecycleInfo struct {
	DependsOn           []string `xmlrpc:"depends_on" json:"depends_on"`
	Dependencies        []string `xmlrpc:"dependencies" json:"dependencies"` // depends_on resolved to "group:process"
	Ready               string   `xmlrpc:"ready" json:"ready"`
	ReadyTimeout        float64  `xmlrpc:"ready_timeout" json:"ready_timeout"`
	Healthcheck         string   `xmlrpc:"healthcheck" json:"healthcheck"`
	HealthcheckInterval float64  `xmlrpc:"healthcheck_interval" json:"healthcheck_interval"`
	HealthcheckTimeout  float64  `xmlrpc:"healthcheck_timeout" json:"healthcheck_timeout"`
	HealthcheckRetries  int      `xmlrpc:"healthcheck_retries" json:"healthcheck_retries"`
	HealthcheckAction   string   `xmlrpc:"healthcheck_action" json:"healthcheck_action"` // restart or none
	RestartDelay        float64  `xmlrpc:"restart_delay" json:"restart_delay"`
	RestartBackoff      string   `xmlrpc:"restart_backoff" json:"restart_backoff"` // fixed or exponential
	RestartDelayMax     float64  `xmlrpc:"restart_delay_max" json:"restart_delay_max"`
	RestartReset        float64  `xmlrpc:"restart_reset" json:"restart_reset"`
	StartRetriesForever bool     `xmlrpc:"startretries_forever" json:"startretries_forever"`
	EnvironmentFile     []string `xmlrpc:"environment_file" json:"environment_file"` // "-/path" when optional
	// The group's numprocs template (0 and "" for a [group:x] member).
	ProcessName   string `xmlrpc:"process_name" json:"process_name"`
	Numprocs      int    `xmlrpc:"numprocs" json:"numprocs"`
	NumprocsStart int    `xmlrpc:"numprocs_start" json:"numprocs_start"`
}

// LifecycleBackend is what superd's lifecycle methods need from the
// daemon. Errors should be *Fault.
type LifecycleBackend interface {
	// RollingRestart restarts a group's processes batch at a time,
	// waiting for each batch to be RUNNING; it stops at the first
	// failure (that step carries the fault, later ones "not restarted").
	RollingRestart(ctx context.Context, name string, batch int) ([]ProcessStep, error)
	// ScaleGroup sets a homogeneous group's number of processes.
	ScaleGroup(ctx context.Context, name string, numprocs int) ([]ProcessStep, error)
	// StartProcessDeps is supervisor.startProcess for one process,
	// returning the dependencies it started first.
	StartProcessDeps(ctx context.Context, name string, wait bool) ([]ProcessStep, error)
	// StopProcessDeps is supervisor.stopProcess for one process,
	// returning the dependants it stopped first; noDeps leaves them.
	StopProcessDeps(ctx context.Context, name string, wait, noDeps bool) ([]ProcessStep, error)
	// AllConfigInfoLifecycle is getAllConfigInfo with each entry's
	// lifecycle options (same length and order).
	AllConfigInfoLifecycle(ctx context.Context) ([]ConfigInfo, []LifecycleInfo, error)
}

// LifecycleMethods returns the superd.* lifecycle methods served from b.
func LifecycleMethods(b LifecycleBackend) []Method {
	pName := Param{Type: "string", Name: "name", Doc: "The name of the process (or group:*)"}
	pWait := Param{Type: "boolean", Name: "wait", Doc: "Wait for the process to be fully started/stopped", Default: true}
	steps := func(s []ProcessStep, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		if s == nil {
			s = []ProcessStep{}
		}
		return s, nil
	}
	return []Method{
		{Name: "superd.rollingRestart", Doc: "Restart the processes of a group batch at a time, in the configured order: each is stopped (its dependants are left running) and started, and the next batch begins once the whole batch is RUNNING (ready, with ready=). The first failure ends it: that process's entry carries the fault and the ones after it say they were not restarted", Params: []Param{{Type: "string", Name: "name", Doc: "The group name (group or group:*)"}, {Type: "int", Name: "batch", Doc: "How many processes at a time", Default: 1}}, Returns: "array", ReturnDoc: "result  An array of process step structs (name, group, status, description, reason)",
			Func: func(ctx context.Context, a []any) (any, error) {
				if a[1].(int64) < 1 {
					return nil, NewFault(BadArguments, "batch must be at least 1")
				}
				return steps(b.RollingRestart(ctx, a[0].(string), int(a[1].(int64))))
			}},
		{Name: "superd.scaleGroup", Doc: "Change the number of processes of a homogeneous group (a [program:x] or [fcgi-program:x] section) until the next reread/update: new processes are named and configured by the section's process_name template with the next process_num and started; surplus ones are stopped, highest process_num first, and removed", Params: []Param{{Type: "string", Name: "name", Doc: "The group name"}, {Type: "int", Name: "numprocs", Doc: "The number of processes wanted"}}, Returns: "array", ReturnDoc: "result  An array of process step structs (reason added or removed)",
			Func: func(ctx context.Context, a []any) (any, error) {
				return steps(b.ScaleGroup(ctx, a[0].(string), int(a[1].(int64))))
			}},
		{Name: "superd.startProcess", Doc: "supervisor.startProcess for one process, with the same faults, that returns the dependencies (depends_on) it started first", Params: []Param{pName, pWait}, Returns: "array", ReturnDoc: "result  An array of process step structs (reason: 'web depends on it')",
			Func: func(ctx context.Context, a []any) (any, error) {
				return steps(b.StartProcessDeps(ctx, a[0].(string), a[1].(bool)))
			}},
		{Name: "superd.stopProcess", Doc: "supervisor.stopProcess for one process, with the same faults, that returns the dependants it stopped first; with nodeps they are left running", Params: []Param{pName, pWait, {Type: "boolean", Name: "nodeps", Doc: "Leave the processes that depend on it running", Default: false}}, Returns: "array", ReturnDoc: "result  An array of process step structs (reason: 'depends on db')",
			Func: func(ctx context.Context, a []any) (any, error) {
				return steps(b.StopProcessDeps(ctx, a[0].(string), a[1].(bool), a[2].(bool)))
			}},
		{Name: "superd.getAllConfigInfo", Doc: "supervisor.getAllConfigInfo with superd's lifecycle options added to each struct (depends_on, dependencies, ready, ready_timeout, healthcheck*, restart_*, startretries_forever, environment_file, process_name, numprocs, numprocs_start)", Returns: "array", ReturnDoc: "result  An array of structs",
			Func: func(ctx context.Context, a []any) (any, error) {
				cis, lis, err := b.AllConfigInfoLifecycle(ctx)
				if err != nil {
					return nil, err
				}
				out := make([]map[string]any, len(cis))
				for i := range cis {
					m := structMap(cis[i])
					if i < len(lis) {
						for k, v := range structMap(lis[i]) {
							m[k] = v
						}
					}
					out[i] = m
				}
				return out, nil
			}},
	}
}

// structMap returns a struct's xmlrpc members as a map.
func structMap(v any) map[string]any {
	rv := reflect.ValueOf(v)
	m := map[string]any{}
	for _, f := range structFields(rv.Type()) {
		fv := rv.FieldByIndex(f.index)
		if fv.Kind() == reflect.Slice && fv.IsNil() {
			fv = reflect.MakeSlice(fv.Type(), 0, 0)
		}
		m[f.name] = fv.Interface()
	}
	return m
}

// RollingRestart calls superd.rollingRestart.
func (c *Client) RollingRestart(ctx context.Context, name string, batch int) ([]ProcessStep, error) {
	var out []ProcessStep
	err := c.CallInto(ctx, &out, "superd.rollingRestart", name, batch)
	return out, err
}

// ScaleGroup calls superd.scaleGroup.
func (c *Client) ScaleGroup(ctx context.Context, name string, numprocs int) ([]ProcessStep, error) {
	var out []ProcessStep
	err := c.CallInto(ctx, &out, "superd.scaleGroup", name, numprocs)
	return out, err
}

// StartProcessDeps calls superd.startProcess.
func (c *Client) StartProcessDeps(ctx context.Context, name string, wait bool) ([]ProcessStep, error) {
	var out []ProcessStep
	err := c.CallInto(ctx, &out, "superd.startProcess", name, wait)
	return out, err
}

// StopProcessDeps calls superd.stopProcess.
func (c *Client) StopProcessDeps(ctx context.Context, name string, wait, noDeps bool) ([]ProcessStep, error) {
	var out []ProcessStep
	err := c.CallInto(ctx, &out, "superd.stopProcess", name, wait, noDeps)
	return out, err
}

// AllConfigInfoLifecycle calls superd.getAllConfigInfo: supervisord's
// fields and the lifecycle fields of each entry.
func (c *Client) AllConfigInfoLifecycle(ctx context.Context) ([]ConfigInfo, []LifecycleInfo, error) {
	v, err := c.Call(ctx, "superd.getAllConfigInfo")
	if err != nil {
		return nil, nil, err
	}
	var cis []ConfigInfo
	var lis []LifecycleInfo
	if err := Unmarshal(v, &cis); err != nil {
		return nil, nil, err
	}
	if err := Unmarshal(v, &lis); err != nil {
		return nil, nil, err
	}
	return cis, lis, nil
}
