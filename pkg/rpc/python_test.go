package rpc

import (
	"context"
	"io"
	"os/exec"
)

// Tests may use os/exec; the package itself must not.

func lookPath(name string) (string, error) { return exec.LookPath(name) }

func runPython(ctx context.Context, py string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, py, args...).CombinedOutput()
	return string(out), err
}

func runCmd(ctx context.Context, name string, args ...string) (string, int) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		return string(out) + err.Error(), -1
	}
	return string(out), 0
}

// startCmd starts a command and returns its stdout; the process is
// killed and waited for by stop.
func startCmd(ctx context.Context, name string, args ...string) (stdout io.Reader, stop func(), err error) {
	cmd := exec.CommandContext(ctx, name, args...)
	r, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	return r, func() { cmd.Process.Kill(); cmd.Wait() }, nil
}
