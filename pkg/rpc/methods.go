package rpc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/superd/superd/pkg/logfile"
)

// kind is how a parameter is converted from its decoded value.
type kind int

const (
	kString kind = iota // string (or base64)
	kInt                // Python int(): ints, bools, floats, numeric strings
	kBool               // Python truthiness
	kAny                // passed as decoded
)

type param struct {
	typ, name, doc string
	kind           kind
	def            any // default when omitted; nil: required
}

type method struct {
	name    string
	doc     string
	params  []param
	ret     string // @return type
	retDoc  string
	noCheck bool // no SHUTDOWN_STATE check before the call
	fn      func(ctx context.Context, a []any) (any, error)
}

// help is the methodHelp text, in supervisord's docstring layout.
func (m *method) help() string {
	var b strings.Builder
	b.WriteString(" ")
	b.WriteString(m.doc)
	b.WriteString("\n\n")
	for _, p := range m.params {
		b.WriteString("        @param ")
		b.WriteString(p.typ + " " + p.name)
		if p.doc != "" {
			b.WriteString("  " + p.doc)
		}
		b.WriteString("\n")
	}
	b.WriteString("        @return " + m.ret)
	if m.retDoc != "" {
		b.WriteString(" " + m.retDoc)
	}
	b.WriteString("\n        ")
	return b.String()
}

func (m *method) signature() []string {
	out := []string{m.ret}
	for _, p := range m.params {
		out = append(out, p.typ)
	}
	return out
}

var errIncorrect = NewFault(IncorrectParameters)

// convert turns decoded params into the kinds the method expects,
// filling defaults. Wrong arity or unconvertible values give
// INCORRECT_PARAMETERS: bare for supervisord's methods (its exact
// fault string), naming the method's parameters or the argument for
// superd.* methods.
func (m *method) convert(params []any) ([]any, error) {
	required := 0
	for _, p := range m.params {
		if p.def == nil {
			required++
		}
	}
	if len(params) < required || len(params) > len(m.params) {
		if !strings.HasPrefix(m.name, Namespace) {
			return nil, errIncorrect
		}
		names := make([]string, len(m.params))
		for i, p := range m.params {
			names[i] = p.name
			if p.def != nil {
				names[i] += "=" + pyStr(p.def)
			}
		}
		return nil, NewFault(IncorrectParameters, fmt.Sprintf("%s(%s) got %d arguments", m.name, strings.Join(names, ", "), len(params)))
	}
	out := make([]any, len(m.params))
	for i, p := range m.params {
		if i >= len(params) {
			out[i] = p.def
			continue
		}
		v, ok := convertArg(params[i], p.kind)
		if !ok {
			if !strings.HasPrefix(m.name, Namespace) {
				return nil, errIncorrect
			}
			return nil, NewFault(IncorrectParameters, fmt.Sprintf("%s: %s must be %s, not %s", m.name, p.name, p.typ, xmlrpcType(params[i])))
		}
		out[i] = v
	}
	return out, nil
}

// xmlrpcType names the XML-RPC type v was decoded from.
func xmlrpcType(v any) string {
	switch v.(type) {
	case nil:
		return "nil"
	case bool:
		return "boolean"
	case int:
		return "int"
	case float64:
		return "double"
	case string:
		return "string"
	case []byte:
		return "base64"
	case time.Time:
		return "dateTime.iso8601"
	case []any:
		return "array"
	case map[string]any:
		return "struct"
	}
	return fmt.Sprintf("%T", v)
}

func convertArg(v any, k kind) (any, bool) {
	switch k {
	case kString:
		switch x := v.(type) {
		case string:
			return x, true
		case []byte:
			return string(x), true
		}
		return nil, false
	case kInt:
		switch x := v.(type) {
		case int:
			return int64(x), true
		case bool:
			if x {
				return int64(1), true
			}
			return int64(0), true
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) || x > math.MaxInt64 || x < math.MinInt64 {
				return nil, false
			}
			return int64(x), true
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(strings.ReplaceAll(x, "_", "")), 10, 64)
			return n, err == nil
		}
		return nil, false
	case kBool:
		switch x := v.(type) {
		case nil:
			return false, true
		case bool:
			return x, true
		case int:
			return x != 0, true
		case float64:
			return x != 0, true
		case string:
			return x != "", true
		case []byte:
			return len(x) != 0, true
		case []any:
			return len(x) != 0, true
		case map[string]any:
			return len(x) != 0, true
		}
		return true, true
	}
	return v, true
}

// Call runs one XML-RPC method with decoded params, as the /RPC2
// handler does. Errors are *Fault or backend errors (see ToFault).
func (s *Server) Call(ctx context.Context, name string, params []any) (any, error) {
	ns, meth, ok := strings.Cut(name, ".")
	if !ok || strings.Contains(meth, ".") || strings.HasPrefix(meth, "_") || ns == "" {
		return nil, NewFault(UnknownMethod)
	}
	m := s.methods[name]
	if m == nil {
		return nil, NewFault(UnknownMethod)
	}
	args, err := m.convert(params)
	if err != nil {
		return nil, err
	}
	if !m.noCheck {
		if err := s.checkState(); err != nil {
			return nil, err
		}
	}
	return m.fn(ctx, args)
}

// checkState is rpcinterface._update: SHUTDOWN_STATE while the daemon
// is restarting (0) or shutting down (-1).
func (s *Server) checkState() error {
	if s.b.State().Code < 1 {
		return NewFault(ShutdownState)
	}
	return nil
}

// Methods returns all method names, sorted (system.listMethods).
func (s *Server) Methods() []string {
	names := make([]string, 0, len(s.methods))
	for n := range s.methods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var (
	pName    = param{typ: "string", name: "name", doc: "The name of the process (or 'group:name')"}
	pGroup   = param{typ: "string", name: "name", doc: "The group name"}
	pOffset  = param{typ: "int", name: "offset", doc: "offset to start reading from.", kind: kInt}
	pLength  = param{typ: "int", name: "length", doc: "number of bytes to read from the log.", kind: kInt}
	pSignal  = param{typ: "string", name: "signal", doc: "Signal to send, as name ('HUP') or number ('1')", kind: kAny}
	tailDoc  = "Tail the %s log of a process more efficiently than reading it: return up to length bytes starting at offset. If the log has grown beyond offset+length, the overflow flag is set and the last length bytes are returned. The returned offset is the size of the log, to pass as the next offset."
	resultsD = "An array of process status info structs"
)

func (s *Server) table() map[string]*method {
	b := s.b
	ok := func(err error) (any, error) {
		if err != nil {
			return nil, err
		}
		return true, nil
	}
	results := func(r []Result, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		if r == nil {
			r = []Result{}
		}
		return r, nil
	}
	version := func(ctx context.Context, a []any) (any, error) { return APIVersion, nil }
	readLog := func(ctx context.Context, a []any) (any, error) {
		return readLogFile(b.MainLogPath(), a[0].(int64), a[1].(int64))
	}
	readProc := func(channel string) func(ctx context.Context, a []any) (any, error) {
		return func(ctx context.Context, a []any) (any, error) {
			name := a[0].(string)
			path, err := s.processLog(ctx, name, channel)
			if err != nil {
				return nil, err
			}
			return readLogFile(path, a[1].(int64), a[2].(int64))
		}
	}
	tailProc := func(channel string) func(ctx context.Context, a []any) (any, error) {
		return func(ctx context.Context, a []any) (any, error) {
			name := a[0].(string)
			path, err := s.processLog(ctx, name, channel)
			if err != nil {
				return nil, err
			}
			if path == "" {
				return []any{"", 0, false}, nil
			}
			if _, err := os.Stat(path); err != nil {
				return []any{"", 0, false}, nil
			}
			data, off, overflow, err := logfile.Tail(path, a[1].(int64), a[2].(int64))
			if err != nil {
				return []any{"", int(a[1].(int64)), false}, nil
			}
			return []any{string(data), int(off), overflow}, nil
		}
	}
	clearProc := func(ctx context.Context, a []any) (any, error) {
		name := a[0].(string)
		if _, p := SplitNamespec(name); p == "" {
			return nil, NewFault(BadName, name)
		}
		return ok(b.ClearProcessLogs(ctx, name))
	}

	ms := []*method{
		{name: "supervisor.getAPIVersion", doc: "Return the version of the RPC API used by supervisord", ret: "string", retDoc: "version id", fn: version},
		{name: "supervisor.getVersion", doc: "Return the version of the RPC API used by supervisord (alias of getAPIVersion)", ret: "string", retDoc: "version id", fn: version},
		{name: "supervisor.getSupervisorVersion", doc: "Return the version of the supervisor package in use by supervisord", ret: "string", retDoc: "version id",
			fn: func(ctx context.Context, a []any) (any, error) { return s.opts.Version, nil }},
		{name: "supervisor.getIdentification", doc: "Return identifying string of supervisord", ret: "string", retDoc: "identifier identifying string",
			fn: func(ctx context.Context, a []any) (any, error) { return b.Identification(), nil }},
		{name: "supervisor.getState", doc: "Return current state of supervisord as a struct", ret: "struct", retDoc: "A struct with keys int statecode, string statename",
			fn: func(ctx context.Context, a []any) (any, error) { return b.State(), nil }},
		{name: "supervisor.getPID", doc: "Return the PID of supervisord", ret: "int", retDoc: "PID",
			fn: func(ctx context.Context, a []any) (any, error) { return b.PID(), nil }},
		{name: "supervisor.readLog", doc: "Read length bytes from the main log starting at offset", params: []param{pOffset, pLength}, ret: "string", retDoc: "result     Bytes of log", fn: readLog},
		{name: "supervisor.readMainLog", doc: "Read length bytes from the main log starting at offset (alias of readLog)", params: []param{pOffset, pLength}, ret: "string", retDoc: "result     Bytes of log", fn: readLog},
		{name: "supervisor.clearLog", doc: "Clear the main log.", ret: "boolean", retDoc: "result always returns True unless error",
			fn: func(ctx context.Context, a []any) (any, error) {
				path := b.MainLogPath()
				if path == "" {
					return nil, NewFault(NoFile)
				}
				if _, err := os.Stat(path); err != nil {
					return nil, NewFault(NoFile)
				}
				return ok(b.ClearMainLog())
			}},
		{name: "supervisor.shutdown", doc: "Shut down the supervisor process", ret: "boolean", retDoc: "result always returns True unless error",
			fn: func(ctx context.Context, a []any) (any, error) { return ok(b.Shutdown()) }},
		{name: "supervisor.restart", doc: "Restart the supervisor process", ret: "boolean", retDoc: "result  always return True unless error",
			fn: func(ctx context.Context, a []any) (any, error) { return ok(b.Restart()) }},
		{name: "supervisor.reloadConfig", doc: "Reload the configuration. The result contains three arrays of process group names: added (new in the configuration), changed (whose contents changed) and removed (no longer in the configuration).", ret: "array", retDoc: "result  [[added, changed, removed]]",
			fn: func(ctx context.Context, a []any) (any, error) {
				added, changed, removed, err := b.ReloadConfig(ctx)
				if err != nil {
					return nil, err
				}
				return []any{[]any{nonNil(added), nonNil(changed), nonNil(removed)}}, nil
			}},
		{name: "supervisor.addProcessGroup", doc: "Update the config for a running process from config file.", params: []param{{typ: "string", name: "name", doc: "name of process group to add"}}, ret: "boolean", retDoc: "result     true if successful",
			fn: func(ctx context.Context, a []any) (any, error) { return ok(b.AddProcessGroup(ctx, a[0].(string))) }},
		{name: "supervisor.removeProcessGroup", doc: "Remove a stopped process from the active configuration.", params: []param{{typ: "string", name: "name", doc: "name of process group to remove"}}, ret: "boolean", retDoc: "result     Indicates whether the removal was successful",
			fn: func(ctx context.Context, a []any) (any, error) { return ok(b.RemoveProcessGroup(ctx, a[0].(string))) }},
		{name: "supervisor.startProcess", doc: "Start a process", params: []param{{typ: "string", name: "name", doc: "Process name (or ``group:name``, or ``group:*``)"}, {typ: "boolean", name: "wait", doc: "Wait for process to be fully started", kind: kBool, def: true}}, ret: "boolean", retDoc: "result     Always true unless error",
			fn: func(ctx context.Context, a []any) (any, error) {
				name, wait := a[0].(string), a[1].(bool)
				if g, p := SplitNamespec(name); p == "" {
					return groupCall(name, func() ([]Result, error) { return b.StartProcessGroup(ctx, g, wait) })
				}
				return ok(b.StartProcess(ctx, name, wait))
			}},
		{name: "supervisor.startProcessGroup", doc: "Start all processes in the group named 'name'", params: []param{pGroup, {typ: "boolean", name: "wait", doc: "Wait for each process to be fully started", kind: kBool, def: true}}, ret: "array", retDoc: "result   " + resultsD,
			fn: func(ctx context.Context, a []any) (any, error) {
				if err := groupName(a[0].(string)); err != nil {
					return nil, err
				}
				return results(b.StartProcessGroup(ctx, a[0].(string), a[1].(bool)))
			}},
		{name: "supervisor.startAllProcesses", doc: "Start all processes listed in the configuration file", params: []param{{typ: "boolean", name: "wait", doc: "Wait for each process to be fully started", kind: kBool, def: true}}, ret: "array", retDoc: "result   " + resultsD,
			fn: func(ctx context.Context, a []any) (any, error) { return results(b.StartAllProcesses(ctx, a[0].(bool))) }},
		{name: "supervisor.stopProcess", doc: "Stop a process named by name", params: []param{{typ: "string", name: "name", doc: "The name of the process to stop (or 'group:name')"}, {typ: "boolean", name: "wait", doc: "Wait for the process to be fully stopped", kind: kBool, def: true}}, ret: "boolean", retDoc: "result     Always return True unless error",
			fn: func(ctx context.Context, a []any) (any, error) {
				name, wait := a[0].(string), a[1].(bool)
				if g, p := SplitNamespec(name); p == "" {
					return groupCall(name, func() ([]Result, error) { return b.StopProcessGroup(ctx, g, wait) })
				}
				return ok(b.StopProcess(ctx, name, wait))
			}},
		{name: "supervisor.stopProcessGroup", doc: "Stop all processes in the process group named 'name'", params: []param{pGroup, {typ: "boolean", name: "wait", doc: "Wait for each process to be fully stopped", kind: kBool, def: true}}, ret: "array", retDoc: "result   " + resultsD,
			fn: func(ctx context.Context, a []any) (any, error) {
				if err := groupName(a[0].(string)); err != nil {
					return nil, err
				}
				return results(b.StopProcessGroup(ctx, a[0].(string), a[1].(bool)))
			}},
		{name: "supervisor.stopAllProcesses", doc: "Stop all processes in the process list", params: []param{{typ: "boolean", name: "wait", doc: "Wait for each process to be fully stopped", kind: kBool, def: true}}, ret: "array", retDoc: "result   " + resultsD,
			fn: func(ctx context.Context, a []any) (any, error) { return results(b.StopAllProcesses(ctx, a[0].(bool))) }},
		{name: "supervisor.signalProcess", doc: "Send an arbitrary UNIX signal to the process named by name", params: []param{{typ: "string", name: "name", doc: "Name of the process to signal (or 'group:name')"}, pSignal}, ret: "boolean",
			fn: func(ctx context.Context, a []any) (any, error) {
				name := a[0].(string)
				sig, err := signalArg(a[1])
				if err != nil {
					return nil, err
				}
				// An unknown signal is the backend's BAD_SIGNAL, after the
				// name (supervisord resolves the name first, and the
				// group variants report BAD_SIGNAL per process).
				if g, p := SplitNamespec(name); p == "" {
					return groupCall(name, func() ([]Result, error) { return b.SignalProcessGroup(ctx, g, sig) })
				}
				return ok(b.SignalProcess(ctx, name, sig))
			}},
		{name: "supervisor.signalProcessGroup", doc: "Send a signal to all processes in the group named 'name'", params: []param{pGroup, pSignal}, ret: "array",
			fn: func(ctx context.Context, a []any) (any, error) {
				if err := groupName(a[0].(string)); err != nil {
					return nil, err
				}
				sig, err := signalArg(a[1])
				if err != nil {
					return nil, err
				}
				return results(b.SignalProcessGroup(ctx, a[0].(string), sig))
			}},
		{name: "supervisor.signalAllProcesses", doc: "Send a signal to all processes in the process list", params: []param{pSignal}, ret: "array", retDoc: "        " + resultsD, noCheck: true,
			fn: func(ctx context.Context, a []any) (any, error) {
				sig, err := signalArg(a[0])
				if err != nil {
					return nil, err
				}
				r, err := b.SignalAllProcesses(ctx, sig)
				if err != nil {
					return nil, err
				}
				// supervisord checks the state only after signalling.
				if err := s.checkState(); err != nil {
					return nil, err
				}
				return results(r, nil)
			}},
		{name: "supervisor.getAllConfigInfo", doc: "Get info about all available process configurations. Each struct represents a single process (i.e. groups get flattened).", ret: "array", retDoc: "result  An array of process config info structs",
			fn: func(ctx context.Context, a []any) (any, error) {
				ci, err := b.AllConfigInfo(ctx)
				if err != nil {
					return nil, err
				}
				if ci == nil {
					ci = []ConfigInfo{}
				}
				sort.SliceStable(ci, func(i, j int) bool { return ci[i].Name < ci[j].Name })
				for i := range ci {
					if ci[i].UID == nil {
						ci[i].UID = "none"
					}
					if ci[i].Exitcodes == nil {
						ci[i].Exitcodes = []int{}
					}
				}
				return ci, nil
			}},
		{name: "supervisor.getProcessInfo", doc: "Get info about a process named name", params: []param{pName}, ret: "struct", retDoc: "result     A structure containing data about the process",
			fn: func(ctx context.Context, a []any) (any, error) {
				name := a[0].(string)
				if _, p := SplitNamespec(name); p == "" {
					return nil, NewFault(BadName, name)
				}
				info, err := b.ProcessInfo(ctx, name)
				if err != nil {
					return nil, err
				}
				return s.fixInfo(info), nil
			}},
		{name: "supervisor.getAllProcessInfo", doc: "Get info about all processes", ret: "array", retDoc: "result  An array of process status results",
			fn: func(ctx context.Context, a []any) (any, error) {
				infos, err := b.AllProcessInfo(ctx)
				if err != nil {
					return nil, err
				}
				if infos == nil {
					infos = []ProcessInfo{}
				}
				for i := range infos {
					infos[i] = s.fixInfo(infos[i])
				}
				sortInfos(infos)
				return infos, nil
			}},
		{name: "supervisor.readProcessStdoutLog", doc: "Read length bytes from name's stdout log starting at offset", params: []param{pName, pOffset, pLength}, ret: "string", retDoc: "result     Bytes of log", fn: readProc("stdout")},
		{name: "supervisor.readProcessLog", doc: "Read length bytes from name's stdout log starting at offset (alias of readProcessStdoutLog)", params: []param{pName, pOffset, pLength}, ret: "string", retDoc: "result     Bytes of log", fn: readProc("stdout")},
		{name: "supervisor.readProcessStderrLog", doc: "Read length bytes from name's stderr log starting at offset", params: []param{pName, pOffset, pLength}, ret: "string", retDoc: "result     Bytes of log", fn: readProc("stderr")},
		{name: "supervisor.tailProcessStdoutLog", doc: strings.ReplaceAll(tailDoc, "%s", "stdout"), params: []param{pName, {typ: "int", name: "offset", doc: "offset to start reading from", kind: kInt}, {typ: "int", name: "length", doc: "maximum number of bytes to return", kind: kInt}}, ret: "array", retDoc: "result       [string bytes, int offset, bool overflow]", fn: tailProc("stdout")},
		{name: "supervisor.tailProcessLog", doc: strings.ReplaceAll(tailDoc, "%s", "stdout") + " (alias of tailProcessStdoutLog)", params: []param{pName, {typ: "int", name: "offset", doc: "offset to start reading from", kind: kInt}, {typ: "int", name: "length", doc: "maximum number of bytes to return", kind: kInt}}, ret: "array", retDoc: "result       [string bytes, int offset, bool overflow]", fn: tailProc("stdout")},
		{name: "supervisor.tailProcessStderrLog", doc: strings.ReplaceAll(tailDoc, "%s", "stderr"), params: []param{pName, {typ: "int", name: "offset", doc: "offset to start reading from", kind: kInt}, {typ: "int", name: "length", doc: "maximum number of bytes to return", kind: kInt}}, ret: "array", retDoc: "result       [string bytes, int offset, bool overflow]", fn: tailProc("stderr")},
		{name: "supervisor.clearProcessLogs", doc: "Clear the stdout and stderr logs for the named process and reopen them.", params: []param{pName}, ret: "boolean", retDoc: "result      Always True unless error", fn: clearProc},
		{name: "supervisor.clearProcessLog", doc: "Clear the stdout and stderr logs for the named process and reopen them (alias of clearProcessLogs).", params: []param{pName}, ret: "boolean", retDoc: "result      Always True unless error", fn: clearProc},
		{name: "supervisor.clearAllProcessLogs", doc: "Clear all process log files", ret: "array", retDoc: "result   " + resultsD,
			fn: func(ctx context.Context, a []any) (any, error) { return results(b.ClearAllProcessLogs(ctx)) }},
		{name: "supervisor.sendProcessStdin", doc: "Send a string of chars to the stdin of the process name. Non-ASCII text is sent utf-8 encoded. If chars is not a string, fail with INCORRECT_PARAMETERS; if the process is not running, with NOT_RUNNING; if its stdin cannot accept input (e.g. the child closed it), with NO_FILE.", params: []param{{typ: "string", name: "name", doc: "The process name to send to (or 'group:name')"}, {typ: "string", name: "chars", doc: "The character data to send to the process", kind: kAny}}, ret: "boolean", retDoc: "result    Always return True unless error",
			fn: func(ctx context.Context, a []any) (any, error) {
				name := a[0].(string)
				chars, isStr := convertArg(a[1], kString)
				if !isStr {
					return nil, NewFault(IncorrectParameters, a[1])
				}
				if _, p := SplitNamespec(name); p == "" {
					return nil, NewFault(BadName, name)
				}
				return ok(b.SendProcessStdin(ctx, name, chars.(string)))
			}},
		{name: "supervisor.sendRemoteCommEvent", doc: "Send an event that will be received by event listener subprocesses subscribing to the RemoteCommunicationEvent.", params: []param{{typ: "string", name: "type", doc: "String for the \"type\" key in the event header", kind: kAny}, {typ: "string", name: "data", doc: "Data for the event body", kind: kAny}}, ret: "boolean", retDoc: "      Always return True unless error", noCheck: true,
			fn: func(ctx context.Context, a []any) (any, error) {
				return ok(b.SendRemoteCommEvent(ctx, pyStr(a[0]), pyStr(a[1])))
			}},

		{name: "system.listMethods", doc: "Return an array listing the available method names", ret: "array", retDoc: "result  An array of method names available (strings).", noCheck: true,
			fn: func(ctx context.Context, a []any) (any, error) { return s.Methods(), nil }},
		{name: "system.methodHelp", doc: "Return a string showing the method's documentation", params: []param{{typ: "string", name: "name", doc: "The name of the method.", kind: kAny}}, ret: "string", retDoc: "result The documentation for the method name.", noCheck: true,
			fn: func(ctx context.Context, a []any) (any, error) {
				name, _ := a[0].(string)
				if m := s.methods[name]; m != nil {
					return m.help(), nil
				}
				return nil, NewFault(SignatureUnsupported)
			}},
		{name: "system.methodSignature", doc: "Return an array describing the method signature in the form [rtype, ptype, ptype...] where rtype is the return data type of the method, and ptypes are the parameter data types that the method accepts in method argument order.", params: []param{{typ: "string", name: "name", doc: "The name of the method.", kind: kAny}}, ret: "array", retDoc: "result  The result.", noCheck: true,
			fn: func(ctx context.Context, a []any) (any, error) {
				name, _ := a[0].(string)
				if m := s.methods[name]; m != nil {
					return m.signature(), nil
				}
				return nil, NewFault(SignatureUnsupported)
			}},
		{name: "system.multicall", doc: "Process an array of calls, and return an array of results. Calls should be structs of the form {'methodName': string, 'params': array}. Each result will either be the result value, or a struct of the form {'faultCode': int, 'faultString': string}. This is useful when you need to make lots of small calls without lots of round trips.", params: []param{{typ: "array", name: "calls", doc: "An array of call requests", kind: kAny}}, ret: "array", retDoc: "result  An array of results", noCheck: true,
			fn: s.multicall},
	}
	t := make(map[string]*method, len(ms))
	for _, m := range ms {
		t[m.name] = m
	}
	s.addExtensions(t)
	return t
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// groupCall runs the group variant for a "g:*" namespec given to a
// single-process method; an unknown group is reported with the full
// namespec, as supervisord's _getGroupAndProcess does.
func groupCall(name string, f func() ([]Result, error)) (any, error) {
	r, err := f()
	if err != nil {
		var fl *Fault
		if errors.As(err, &fl) && fl.Code == BadName {
			return nil, NewFault(BadName, name)
		}
		return nil, err
	}
	if r == nil {
		r = []Result{}
	}
	return r, nil
}

// groupName is the check of the *ProcessGroup methods: supervisord
// looks the name up as is, so "g:p" or "g:*" is no group.
func groupName(name string) error {
	if strings.Contains(name, ":") {
		return NewFault(BadName, name)
	}
	return nil
}

// signalArg accepts a signal name or number, as string, int, or what
// Python's int() takes (bool, float: truncated).
func signalArg(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case int:
		return strconv.Itoa(x), nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) && math.Abs(x) < 1<<53 {
			return strconv.FormatInt(int64(x), 10), nil
		}
	}
	return "", NewFault(BadSignal, v)
}

// processLog resolves a process log path for the read/tail methods:
// "g:*" is BAD_NAME, unknown names are the backend's BAD_NAME.
func (s *Server) processLog(ctx context.Context, name, channel string) (string, error) {
	if _, p := SplitNamespec(name); p == "" {
		return "", NewFault(BadName, name)
	}
	return s.b.ProcessLogPath(ctx, name, channel)
}

// readLogFile is _readProcessLog/readLog after name resolution.
func readLogFile(path string, offset, length int64) (any, error) {
	if path == "" {
		// RPCError(NO_FILE, None): no detail.
		return nil, NewFault(NoFile)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, NewFault(NoFile, path)
	}
	data, err := logfile.Read(path, offset, length)
	if err != nil {
		if errors.Is(err, logfile.ErrBadArguments) {
			return nil, NewFault(BadArguments)
		}
		return nil, NewFault(Failed)
	}
	return string(data), nil
}

// fixInfo fills what supervisord derives: description, logfile alias,
// 32-bit capped timestamps.
func (s *Server) fixInfo(info ProcessInfo) ProcessInfo {
	info.Start, info.Stop, info.Now = capInt(info.Start), capInt(info.Stop), capInt(info.Now)
	if info.Logfile == "" {
		info.Logfile = info.StdoutLogfile
	}
	if info.Description == "" {
		info.Description = Describe(info, s.opts.Location)
	}
	return info
}

// multicall is system.multicall: calls run in order, each result is
// the raw value or a fault struct.
func (s *Server) multicall(ctx context.Context, a []any) (any, error) {
	calls, isList := a[0].([]any)
	if !isList {
		return nil, errIncorrect
	}
	out := make([]any, 0, len(calls))
	for _, c := range calls {
		v, err := s.oneCall(ctx, c)
		if err != nil {
			f := ToFault(err)
			v = map[string]any{"faultCode": f.Code, "faultString": f.String}
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) oneCall(ctx context.Context, c any) (any, error) {
	m, isMap := c.(map[string]any)
	if !isMap {
		return nil, NewFault(IncorrectParameters, "call is not a struct")
	}
	nameV, has := m["methodName"]
	if !has || nameV == nil {
		return nil, NewFault(IncorrectParameters, "No methodName")
	}
	name, isStr := nameV.(string)
	if !isStr {
		return nil, NewFault(UnknownMethod)
	}
	if name == "system.multicall" {
		return nil, NewFault(IncorrectParameters, "Recursive system.multicall forbidden")
	}
	params := []any{}
	if p, has := m["params"]; has {
		pl, isList := p.([]any)
		if !isList {
			return nil, errIncorrect
		}
		params = pl
	}
	return s.Call(ctx, name, params)
}

// sortInfos sorts by group, then name, stably (supervisord's order).
// The backend usually hands them over sorted already; otherwise sort
// indexes rather than moving the large structs around.
func sortInfos(infos []ProcessInfo) {
	less := func(a, b *ProcessInfo) int {
		if c := strings.Compare(a.Group, b.Group); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	}
	sorted := true
	for i := 1; i < len(infos); i++ {
		if less(&infos[i-1], &infos[i]) > 0 {
			sorted = false
			break
		}
	}
	if sorted {
		return
	}
	idx := make([]int, len(infos))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int { return less(&infos[i], &infos[j]) })
	out := make([]ProcessInfo, len(infos))
	for k, i := range idx {
		out[k] = infos[i]
	}
	copy(infos, out)
}
