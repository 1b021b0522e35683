package rpc

import "fmt"

// The result lines of supervisorctl's start, stop, signal and clear
// commands (supervisorctl.py _startresult, _signalresult, _clearresult),
// shared by superctl and the web page so that both say exactly the same.

// StartResultText is supervisorctl's line for the start result code of
// the process named name ("web: started", "web: ERROR (spawn error)").
func StartResultText(name string, code int) (string, error) {
	t := name + ": ERROR (%s)"
	switch code {
	case BadName:
		return fmt.Sprintf(t, "no such process"), nil
	case NoFile:
		return fmt.Sprintf(t, "no such file"), nil
	case NotExecutable:
		return fmt.Sprintf(t, "file is not executable"), nil
	case AlreadyStarted:
		return fmt.Sprintf(t, "already started"), nil
	case SpawnError:
		return fmt.Sprintf(t, "spawn error"), nil
	case AbnormalTermination:
		return fmt.Sprintf(t, "abnormal termination"), nil
	case Success:
		return name + ": started", nil
	}
	return "", fmt.Errorf("unknown result code %d for %s", code, name)
}

// SignalResultText is supervisorctl's line for a stop or signal result
// ("web: stopped", "web: ERROR (not running)"); success is "stopped" or
// "signalled", description the fault string (shown for FAILED).
func SignalResultText(name string, code int, description, success string) (string, error) {
	t := name + ": ERROR (%s)"
	switch code {
	case BadName:
		return fmt.Sprintf(t, "no such process"), nil
	case BadSignal:
		return fmt.Sprintf(t, "bad signal name"), nil
	case NotRunning:
		return fmt.Sprintf(t, "not running"), nil
	case Success:
		return name + ": " + success, nil
	case Failed:
		return description, nil
	}
	return "", fmt.Errorf("unknown result code %d for %s", code, name)
}

// ClearResultText is supervisorctl's line for a clear result.
func ClearResultText(name string, code int) (string, error) {
	switch code {
	case BadName:
		return name + ": ERROR (no such process)", nil
	case Failed:
		return name + ": ERROR (failed)", nil
	case Success:
		return name + ": cleared", nil
	}
	return "", fmt.Errorf("unknown result code %d for %s", code, name)
}
