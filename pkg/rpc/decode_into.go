package rpc

import (
	"reflect"
	"sync"
)

// Typed fast path for the client: decode a methodResponse straight into
// the caller's destination instead of building []any/map[string]any and
// converting them with Unmarshal.
//
// It is an optimisation only, never a second definition of the format:
// it runs the same grammar on fastSource, handles only the plain cases
// (arrays into slices, structs into structs, scalars through typed +
// assign) and gives up with errFallback on anything else (a fault, a
// duplicate struct member, <value> before <name>, any assignment error,
// any syntax error). The caller then runs DecodeResponse + Unmarshal on
// the same bytes, so success here means the generic path would have
// produced the same result.

// unmarshalResponseFast decodes data into dst (a non-nil pointer).
func unmarshalResponseFast(data []byte, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errFallback
	}
	// Work on a copy so a failure leaves *dst untouched for the
	// fallback.
	tmp := reflect.New(rv.Elem().Type())
	tmp.Elem().Set(rv.Elem())
	p := newDecoder(newFastSource(data))
	if err := p.root("methodResponse"); err != nil {
		return err
	}
	el, ok, err := p.element()
	if err != nil {
		return err
	}
	if !ok || el != "params" {
		return errFallback
	}
	// Exactly one <param> holding one <value>.
	if el, ok, err = p.element(); err != nil || !ok || el != "param" {
		return errFallback
	}
	if el, ok, err = p.element(); err != nil || !ok || el != "value" {
		return errFallback
	}
	if err := p.valueInto(tmp.Elem(), 0); err != nil {
		return err
	}
	if _, ok, err = p.element(); err != nil || ok { // </param>
		return errFallback
	}
	if _, ok, err = p.element(); err != nil || ok { // </params>
		return errFallback
	}
	rv.Elem().Set(tmp.Elem())
	return nil
}

// valueInto is value followed by assign, for dst.
func (p *decoder) valueInto(dst reflect.Value, depth int) error {
	if depth > maxDepth {
		return errFallback
	}
	for {
		k, n, t, err := p.src.next()
		if err != nil {
			return err
		}
		switch k {
		case tkText:
			// Untyped text or white space before a typed element:
			// let the generic path handle untyped values.
			for _, c := range t {
				if c != ' ' && c != '\n' && c != '\t' {
					return errFallback
				}
			}
		case tkEnd:
			return errFallback
		case tkStart:
			if err := p.typedInto(dst, n, depth); err != nil {
				return err
			}
			if _, ok, err := p.element(); err != nil || ok {
				return errFallback
			}
			return nil
		}
	}
}

func (p *decoder) typedInto(dst reflect.Value, name string, depth int) error {
	switch {
	case name == "array" && dst.Kind() == reflect.Slice && dst.Type() != bytesType:
		return p.arrayInto(dst, depth)
	case name == "struct" && dst.Kind() == reflect.Struct && dst.Type() != timeType:
		return p.structInto(dst, depth)
	case name == "string" && dst.Kind() == reflect.String:
		b, err := p.textBytes()
		if err != nil {
			return err
		}
		dst.SetString(p.str(b))
		return nil
	}
	v, err := p.typed(name, depth)
	if err != nil {
		return err
	}
	if err := assign(dst, v, ""); err != nil {
		return errFallback
	}
	return nil
}

func (p *decoder) arrayInto(dst reflect.Value, depth int) error {
	out := reflect.MakeSlice(dst.Type(), 0, 16)
	n := 0
	for {
		el, ok, err := p.element()
		if err != nil {
			return err
		}
		if !ok {
			dst.Set(out.Slice(0, n))
			return nil
		}
		if el != "data" {
			return errFallback
		}
		for {
			v, ok, err := p.element()
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			if v != "value" {
				return errFallback
			}
			if n == out.Len() {
				if n == out.Cap() {
					grown := reflect.MakeSlice(dst.Type(), n, 2*n+16)
					reflect.Copy(grown, out)
					out = grown
				}
				out = out.Slice(0, n+1)
			}
			if err := p.valueInto(out.Index(n), depth+1); err != nil {
				return err
			}
			n++
		}
	}
}

// fieldIndex maps a struct type's xmlrpc names to indexes in
// structFields(t).
var fieldIndexCache sync.Map

func fieldIndex(t reflect.Type) map[string]int {
	if m, ok := fieldIndexCache.Load(t); ok {
		return m.(map[string]int)
	}
	m := map[string]int{}
	for i, f := range structFields(t) {
		if _, dup := m[f.name]; !dup {
			m[f.name] = i
		}
	}
	fieldIndexCache.Store(t, m)
	return m
}

func (p *decoder) structInto(dst reflect.Value, depth int) error {
	fields := structFields(dst.Type())
	if len(fields) > 64 {
		return errFallback
	}
	// Two fields with one xmlrpc name: leave it to assign.
	index := fieldIndex(dst.Type())
	if len(index) != len(fields) {
		return errFallback
	}
	var seen uint64
	for {
		el, ok, err := p.element()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if el != "member" {
			return errFallback
		}
		// <name>...</name><value>...</value></member>, in that order.
		if el, ok, err = p.element(); err != nil || !ok || el != "name" {
			return errFallback
		}
		nb, err := p.textBytes()
		if err != nil {
			return err
		}
		if el, ok, err = p.element(); err != nil || !ok || el != "value" {
			return errFallback
		}
		if i, known := index[string(nb)]; known {
			if seen&(1<<i) != 0 {
				return errFallback // duplicate: the map keeps the last one
			}
			seen |= 1 << i
			if err := p.valueInto(dst.FieldByIndex(fields[i].index), depth+1); err != nil {
				return err
			}
		} else {
			// Unknown keys are parsed and dropped, as Unmarshal
			// ignores them.
			if _, err := p.value(depth + 1); err != nil {
				return err
			}
		}
		if _, ok, err = p.element(); err != nil || ok { // </member>
			return errFallback
		}
	}
}
