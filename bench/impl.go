package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/superd/superd/pkg/rpc"
)

// Impl is one process manager under test. Templates are split on
// spaces after substitution of:
//
//	{conf}      the supervisord-format config file of the run
//	{sock}      its unix socket path
//	{superd}    superd built from this tree (./cmd/superd)
//	{superctl}  superctl built from this tree (./cmd/superctl)
//
// Daemon must run in the foreground and serve XML-RPC on the
// [unix_http_server] socket of {conf}; Status is one "status" CLI run.
type Impl struct {
	Name   string
	Daemon string
	Status string
}

// impls is every implementation the runner knows; -impl selects some by
// name and -extra adds one from the command line. Adding one is a line.
var impls = []Impl{
	{Name: "superd", Daemon: "{superd} -n -c {conf}", Status: "{superctl} -c {conf} status"},
	{Name: "superd-reaper", Daemon: "{superd} -n --subreaper -c {conf}", Status: "{superctl} -c {conf} status"}, // one wait4(-1) reaper instead of a Wait per child
	{Name: "supervisord", Daemon: "/usr/bin/supervisord -n -c {conf}", Status: "/usr/bin/supervisorctl -c {conf} status"},
	{Name: "gosupervisord", Daemon: "gosupervisord -c {conf}", Status: "gosupervisord ctl -c {conf} status"}, // ochinchina/supervisord, installed under that name
}

// buildTargets are the placeholders that name binaries built from this
// tree, with their packages.
var buildTargets = map[string]string{
	"{superd}":   "github.com/superd/superd/cmd/superd",
	"{superctl}": "github.com/superd/superd/cmd/superctl",
}

// api is the part of rpc.Client the runner uses.
type api interface {
	GetPID(ctx context.Context) (int, error)
	GetAllProcessInfo(ctx context.Context) ([]rpc.ProcessInfo, error)
	GetProcessInfo(ctx context.Context, name string) (rpc.ProcessInfo, error)
	StartProcess(ctx context.Context, name string, wait bool) error
	StartAllProcesses(ctx context.Context, wait bool) ([]rpc.Result, error)
	StopAllProcesses(ctx context.Context, wait bool) ([]rpc.Result, error)
	StopProcessGroup(ctx context.Context, name string, wait bool) ([]rpc.Result, error)
	ReloadConfig(ctx context.Context) (added, changed, removed []string, err error)
	AddProcessGroup(ctx context.Context, name string) error
	RemoveProcessGroup(ctx context.Context, name string) error
	Close() error
}

func newAPI(sock string) api {
	return rpc.NewClient("unix://"+sock, "", "")
}

// parseExtra parses -extra "name|daemon template|status template".
func parseExtra(s string) (Impl, error) {
	f := strings.Split(s, "|")
	if len(f) != 3 || f[0] == "" || f[1] == "" {
		return Impl{}, fmt.Errorf("-extra %q: want name|daemon template|status template", s)
	}
	return Impl{Name: f[0], Daemon: f[1], Status: f[2]}, nil
}

// binaries builds (once) the binaries of this tree that templates refer
// to, and resolves placeholders.
type binaries struct {
	dir    string
	built  map[string]string // placeholder -> path
	errs   map[string]error
	logf   func(string, ...any)
	prebin map[string]string // placeholder -> prebuilt path given by flag
}

func (b *binaries) resolve(ctx context.Context, placeholder string) (string, error) {
	if p, ok := b.built[placeholder]; ok {
		return p, nil
	}
	if err, ok := b.errs[placeholder]; ok {
		return "", err
	}
	if p := b.prebin[placeholder]; p != "" {
		b.built[placeholder] = p
		return p, nil
	}
	pkg := buildTargets[placeholder]
	out := filepath.Join(b.dir, strings.Trim(placeholder, "{}"))
	b.logf("building %s", pkg)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Stderr = nil
	if msg, err := cmd.CombinedOutput(); err != nil {
		err = fmt.Errorf("go build %s: %w: %s", pkg, err, strings.TrimSpace(string(msg)))
		b.errs[placeholder] = err
		return "", err
	}
	b.built[placeholder] = out
	return out, nil
}

// expand substitutes placeholders in tpl and splits it into argv.
func (b *binaries) expand(ctx context.Context, tpl string, vars map[string]string) ([]string, error) {
	argv := strings.Fields(tpl)
	for i, a := range argv {
		for ph := range buildTargets {
			if strings.Contains(a, ph) {
				p, err := b.resolve(ctx, ph)
				if err != nil {
					return nil, err
				}
				a = strings.ReplaceAll(a, ph, p)
			}
		}
		for k, v := range vars {
			a = strings.ReplaceAll(a, k, v)
		}
		argv[i] = a
	}
	if len(argv) == 0 {
		return nil, fmt.Errorf("empty command template")
	}
	if _, err := exec.LookPath(argv[0]); err != nil {
		return nil, fmt.Errorf("%s: %w", argv[0], err)
	}
	return argv, nil
}

// available reports why impl cannot run here (nil if it can): its
// daemon binary is missing or does not build.
func (b *binaries) available(ctx context.Context, im Impl) error {
	_, err := b.expand(ctx, im.Daemon, map[string]string{"{conf}": os.DevNull, "{sock}": os.DevNull})
	return err
}
