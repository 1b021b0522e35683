package rpc

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SplitNamespec is supervisord's split_namespec: "g:p" -> (g, p),
// "g:" and "g:*" -> (g, ""), "p" -> (p, p).
func SplitNamespec(name string) (group, process string) {
	g, p, ok := strings.Cut(name, ":")
	if !ok {
		return name, name
	}
	if p == "*" {
		p = ""
	}
	return g, p
}

// Process state codes (supervisor.states.ProcessStates).
const (
	stateStopped  = 0
	stateStarting = 10
	stateRunning  = 20
	stateBackoff  = 30
	stateStopping = 40
	stateExited   = 100
	stateFatal    = 200
	stateUnknown  = 1000
)

// Describe returns supervisord's description of a process (the
// "description" of getProcessInfo), with stop times in loc.
func Describe(info ProcessInfo, loc *time.Location) string {
	switch info.State {
	case stateRunning:
		up := max(info.Now-info.Start, 0)
		return fmt.Sprintf("pid %d, uptime %s", info.PID, pyTimedelta(up))
	case stateFatal, stateBackoff:
		if info.SpawnErr != "" {
			return info.SpawnErr
		}
		return fmt.Sprintf("unknown error (try \"tail %s\")", info.Name)
	case stateStopped, stateExited:
		if info.Start != 0 {
			return time.Unix(info.Stop, 0).In(loc).Format("Jan 02 03:04 PM")
		}
		return "Not started"
	}
	return ""
}

// pyTimedelta formats whole seconds like str(datetime.timedelta).
func pyTimedelta(secs int64) string {
	days := secs / 86400
	secs %= 86400
	hms := fmt.Sprintf("%d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	switch days {
	case 0:
		return hms
	case 1:
		return "1 day, " + hms
	}
	return fmt.Sprintf("%d days, %s", days, hms)
}

// capInt caps a timestamp to XML-RPC's 32-bit int range.
func capInt(n int64) int64 {
	return min(max(n, math.MinInt32), math.MaxInt32)
}

// pyStr renders a decoded XML-RPC value as Python's str() would, for
// fault details.
func pyStr(v any) string {
	return pyFormat(v, false)
}

func pyFormat(v any, quoted bool) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return formatDouble(x)
	case string:
		if quoted {
			return "'" + strings.ReplaceAll(strings.ReplaceAll(x, `\`, `\\`), "'", `\'`) + "'"
		}
		return x
	case []byte:
		return pyFormat(string(x), quoted)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyFormat(e, true)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyFormat(k, true) + ": " + pyFormat(x[k], true)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case time.Time:
		return x.Format("2006-01-02 15:04:05")
	case error:
		return x.Error()
	}
	return fmt.Sprint(v)
}
