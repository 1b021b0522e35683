package rpc

import (
	"context"
	"fmt"
	"strings"
)

// Namespace is the prefix of superd's own XML-RPC methods. supervisord
// never defines methods there, so its clients never see a difference.
const Namespace = "superd."

// Method is an XML-RPC method outside supervisord's API, in the
// "superd." namespace. The server lists it in system.listMethods,
// documents it in system.methodHelp/methodSignature and runs it in
// system.multicall like supervisord's own methods.
type Method struct {
	Name      string // "superd.getJobInfo"
	Doc       string // one paragraph, for system.methodHelp
	Params    []Param
	Returns   string // XML-RPC type: "struct", "array", "boolean", "string", "int"
	ReturnDoc string
	// NoStateCheck skips the SHUTDOWN_STATE check done before every
	// other call.
	NoStateCheck bool
	// Func gets one argument per Param, converted as its Type says:
	// "string" -> string, "int" -> int64, "boolean" -> bool, any other
	// type as decoded. Wrong arity or types fail with
	// INCORRECT_PARAMETERS before Func runs. Errors should be *Fault;
	// others become FAILED (ToFault).
	Func func(ctx context.Context, args []any) (any, error)
}

// Param is one parameter of a Method.
type Param struct {
	Type, Name, Doc string
	// Default is used when the caller omits the parameter; nil makes it
	// required (required parameters come first).
	Default any
}

// Extender is an optional interface of a Backend: NewServer serves the
// methods it returns beside supervisord's.
type Extender interface {
	SuperdMethods() []Method
}

// CheckMethods reports the first method that cannot be registered: a
// name outside the superd. namespace, a duplicate, no Func, or a
// required parameter after an optional one.
func CheckMethods(ms []Method) error {
	seen := map[string]bool{}
	for _, m := range ms {
		rest, ok := strings.CutPrefix(m.Name, Namespace)
		if !ok || rest == "" || strings.Contains(rest, ".") || strings.HasPrefix(rest, "_") {
			return fmt.Errorf("xml-rpc method %q: not a superd.* method name", m.Name)
		}
		if seen[m.Name] {
			return fmt.Errorf("xml-rpc method %q registered twice", m.Name)
		}
		seen[m.Name] = true
		if m.Func == nil {
			return fmt.Errorf("xml-rpc method %q: no function", m.Name)
		}
		optional := false
		for _, p := range m.Params {
			if p.Default == nil && optional {
				return fmt.Errorf("xml-rpc method %q: required parameter %s after an optional one", m.Name, p.Name)
			}
			optional = optional || p.Default != nil
		}
	}
	return nil
}

// extensions returns the methods of opts and of the backend.
func (s *Server) extensions() []Method {
	ms := append([]Method(nil), s.opts.Methods...)
	if x, ok := s.b.(Extender); ok {
		ms = append(ms, x.SuperdMethods()...)
	}
	return ms
}

// addExtensions adds the superd.* methods to the table; an invalid set
// is logged and none of it is served (supervisord's methods are never
// affected).
func (s *Server) addExtensions(t map[string]*method) {
	ms := s.extensions()
	if err := CheckMethods(ms); err != nil {
		s.log.Error("superd xml-rpc methods not served", "err", err)
		return
	}
	for _, m := range ms {
		im := &method{name: m.Name, doc: m.Doc, ret: m.Returns, retDoc: m.ReturnDoc, noCheck: m.NoStateCheck, fn: m.Func}
		for _, p := range m.Params {
			k := kAny
			switch p.Type {
			case "string":
				k = kString
			case "int":
				k = kInt
			case "boolean":
				k = kBool
			}
			def := p.Default
			if i, ok := def.(int); ok && k == kInt {
				def = int64(i)
			}
			im.params = append(im.params, param{typ: p.Type, name: p.Name, doc: p.Doc, kind: k, def: def})
		}
		t[m.Name] = im
	}
}
