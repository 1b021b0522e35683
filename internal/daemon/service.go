package daemon

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/kardianos/service"
)

// systemdUnit is superd's systemd unit template (kardianos/service's
// mini template syntax). It differs from the library's default in what
// a process manager needs: KillMode=process so that systemd lets superd
// stop its programs in priority order with their own stop signals and
// stopwaitsecs instead of killing the whole cgroup at once, a
// TimeoutStopSec long enough for that, and a short RestartSec.
// Type=notify: superd tells systemd when its autostart programs have
// started (READY=1), its process counts (STATUS=) and restarts
// (RELOADING=1), see sdnotify.go; TimeoutStartSec leaves room for
// programs with a ready= probe and dependencies.
const systemdUnit = `[Unit]
Description={{Description}}
Documentation=https://github.com/superd/superd
After=network.target
ConditionFileIsExecutable={{Path | cmdEscape}}

[Service]
Type=notify
TimeoutStartSec=300
ExecStart={{Path | cmdEscape}}{{range Arguments}} {{. | cmd}}{{end}}
ExecReload=/bin/kill -HUP $MAINPID
KillMode=process
TimeoutStopSec=300
Restart=on-failure
RestartSec=5
LimitNOFILE=65536
{{range EnvVars}}{{.}}
{{end}}
[Install]
WantedBy=multi-user.target
`

// serviceConfig describes superd as a system service that runs
// `superd -n -c <absolute config>`. superd's own daemon loop and signal
// handling stay ours: the library is used to install and control.
func serviceConfig(exe, configFile string, userService bool) *service.Config {
	args := []string{"-n"}
	if configFile != "" {
		args = append(args, "-c", configFile)
	}
	return &service.Config{
		Name:        "superd",
		DisplayName: "superd process manager",
		Description: "superd process manager (supervisord compatible)",
		Executable:  exe,
		Arguments:   args,
		Option: service.KeyValue{
			"SystemdScript": systemdUnit,
			"Restart":       "on-failure",
			"UserService":   userService,
		},
	}
}

// noopProgram satisfies service.Interface; superd never runs its loop
// through the library.
type noopProgram struct{}

func (noopProgram) Start(service.Service) error { return nil }
func (noopProgram) Stop(service.Service) error  { return nil }

func cmdService(o *options, args []string) int {
	if len(args) == 0 {
		return o.usageError("service requires an action: install, uninstall, start, stop, restart or status")
	}
	action := args[0]
	rest, code := parseSubFlags(o, "service", args[1:])
	if code >= 0 {
		return code
	}
	userService := false
	for _, a := range rest {
		if a == "--user" {
			userService = true
			continue
		}
		return o.usageError("unexpected argument " + pyRepr(a))
	}
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		fmt.Fprintf(o.stderr, "Error: cannot find superd's executable: %v\n", err)
		return 1
	}
	svc, err := service.New(noopProgram{}, serviceConfig(exe, o.configFile, userService))
	if err != nil {
		fmt.Fprintf(o.stderr, "Error: %v\n", err)
		return 1
	}
	switch action {
	case "status":
		st, err := svc.Status()
		if err != nil {
			fmt.Fprintf(o.stderr, "Error: service status: %v\n", err)
			return 1
		}
		name := map[service.Status]string{service.StatusRunning: "running", service.StatusStopped: "stopped"}[st]
		if name == "" {
			name = "unknown"
		}
		fmt.Fprintf(o.stdout, "superd service (%s): %s\n", service.ChosenSystem(), name)
		if st != service.StatusRunning {
			return 3
		}
		return 0
	case "install", "uninstall", "start", "stop", "restart":
		if err := service.Control(svc, action); err != nil {
			fmt.Fprintf(o.stderr, "Error: service %s: %v\n", action, err)
			return 1
		}
		fmt.Fprintf(o.stdout, "superd service: %s done (%s)\n", action, service.ChosenSystem())
		return 0
	}
	return o.usageError("unknown service action " + pyRepr(action))
}
