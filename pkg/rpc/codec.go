package rpc

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxBodySize bounds XML-RPC request and response bodies.
const MaxBodySize = 10 << 20

// maxDepth bounds array/struct nesting in both directions.
const maxDepth = 64

// dateTimeFormat is Python xmlrpc's dateTime.iso8601 layout.
const dateTimeFormat = "20060102T15:04:05"

// ErrSyntax is wrapped by every decoding error.
var ErrSyntax = errors.New("xml-rpc syntax error")

func syntaxErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSyntax, fmt.Sprintf(format, args...))
}

// ---------------------------------------------------------------------------
// Encoding (the layout of Python's xmlrpc.client.dumps)

const xmlHeader = "<?xml version='1.0'?>\n"

// EncodeCall writes a methodCall document.
func EncodeCall(w io.Writer, method string, params ...any) error {
	var e encoder
	e.writeString(xmlHeader + "<methodCall>\n<methodName>")
	escape(&e, method)
	e.writeString("</methodName>\n<params>\n")
	for _, p := range params {
		e.writeString("<param>\n")
		if err := encodeValue(&e, reflect.ValueOf(p), 0); err != nil {
			return err
		}
		e.writeString("</param>\n")
	}
	e.writeString("</params>\n</methodCall>\n")
	_, err := w.Write(e.buf)
	return err
}

// EncodeResponse writes a methodResponse document for v, or a fault
// response if v is a *Fault.
func EncodeResponse(w io.Writer, v any) error {
	b, err := MarshalResponse(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// MarshalResponse returns the methodResponse document for v (a *Fault
// gives a fault response).
func MarshalResponse(v any) ([]byte, error) {
	e := encoder{buf: make([]byte, 0, sizeHint(v))}
	if err := encodeResponse(&e, v); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// encodeResponse encodes the methodResponse document for v into e.
func encodeResponse(e *encoder, v any) error {
	if f, ok := v.(*Fault); ok {
		e.writeString(xmlHeader + "<methodResponse>\n<fault>\n")
		encodeValue(e, reflect.ValueOf(map[string]any{"faultCode": f.Code, "faultString": f.String}), 0)
		e.writeString("</fault>\n</methodResponse>\n")
		return nil
	}
	e.writeString(xmlHeader + "<methodResponse>\n<params>\n<param>\n")
	if err := encodeValue(e, reflect.ValueOf(v), 0); err != nil {
		return err
	}
	e.writeString("</param>\n</params>\n</methodResponse>\n")
	return nil
}

// sizeHint guesses the encoded size of v, to allocate the buffer once.
func sizeHint(v any) int {
	switch x := v.(type) {
	case []ProcessInfo:
		return 512 + 1300*len(x)
	case []ConfigInfo:
		return 512 + 2000*len(x)
	case []Result:
		return 512 + 300*len(x)
	}
	return 512
}

// encoder accumulates an encoded document in buf. With chunk == 0 buf
// grows to hold the whole document. With chunk > 0 buf is emptied each
// time it reaches chunk bytes: handed to w, or (w == nil) only counted,
// so that a large response costs one small buffer (Server.writeResponse);
// n counts the bytes emptied so far.
type encoder struct {
	buf   []byte
	chunk int
	w     io.Writer
	n     int64
	err   error // the first error of w
}

func (e *encoder) writeString(s string) {
	if e.chunk > 0 && len(e.buf)+len(s) > e.chunk {
		e.flush()
		if len(s) >= e.chunk {
			e.n += int64(len(s))
			if e.w != nil && e.err == nil {
				_, e.err = io.WriteString(e.w, s)
			}
			return
		}
	}
	e.buf = append(e.buf, s...)
}

func (e *encoder) writeByte(c byte) {
	if e.chunk > 0 && len(e.buf) >= e.chunk {
		e.flush()
	}
	e.buf = append(e.buf, c)
}

// appendInt writes n in decimal.
func (e *encoder) appendInt(n int64) {
	if e.chunk > 0 && len(e.buf)+20 > e.chunk {
		e.flush()
	}
	e.buf = strconv.AppendInt(e.buf, n, 10)
}

// flush empties buf into w (or only counts it).
func (e *encoder) flush() {
	e.n += int64(len(e.buf))
	if e.w != nil && e.err == nil && len(e.buf) > 0 {
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
}

var (
	timeType  = reflect.TypeOf(time.Time{})
	bytesType = reflect.TypeOf([]byte(nil))
)

func encodeValue(b *encoder, v reflect.Value, depth int) error {
	if b.err != nil {
		// the connection failed (client gone): nothing more is
		// written, so stop encoding
		return b.err
	}
	if depth > maxDepth {
		return fmt.Errorf("xml-rpc encode: nesting deeper than %d", maxDepth)
	}
	for v.IsValid() && (v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer) {
		if v.IsNil() {
			break
		}
		v = v.Elem()
	}
	if !v.IsValid() || ((v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer) && v.IsNil()) {
		b.writeString("<value><nil/></value>")
		return nil
	}
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			b.writeString("<value><boolean>1</boolean></value>\n")
		} else {
			b.writeString("<value><boolean>0</boolean></value>\n")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		writeInt(b, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := v.Uint()
		if u > math.MaxInt64 {
			return fmt.Errorf("xml-rpc encode: integer %d out of range", u)
		}
		writeInt(b, int64(u))
	case reflect.Float32, reflect.Float64:
		b.writeString("<value><double>")
		b.writeString(formatDouble(v.Float()))
		b.writeString("</double></value>\n")
	case reflect.String:
		b.writeString("<value><string>")
		escape(b, v.String())
		b.writeString("</string></value>\n")
	case reflect.Struct:
		if v.Type() == timeType {
			b.writeString("<value><dateTime.iso8601>")
			b.writeString(v.Interface().(time.Time).Format(dateTimeFormat))
			b.writeString("</dateTime.iso8601></value>\n")
			return nil
		}
		b.writeString("<value><struct>\n")
		for _, f := range structFields(v.Type()) {
			b.writeString(f.open)
			if err := encodeValue(b, v.FieldByIndex(f.index), depth+1); err != nil {
				return err
			}
			b.writeString("</member>\n")
		}
		b.writeString("</struct></value>\n")
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("xml-rpc encode: map key type %s is not string", v.Type().Key())
		}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		b.writeString("<value><struct>\n")
		for _, k := range keys {
			b.writeString("<member>\n<name>")
			escape(b, k)
			b.writeString("</name>\n")
			if err := encodeValue(b, v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())), depth+1); err != nil {
				return err
			}
			b.writeString("</member>\n")
		}
		b.writeString("</struct></value>\n")
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			var raw []byte
			if v.Kind() == reflect.Slice {
				raw = v.Bytes()
			} else {
				raw = make([]byte, v.Len())
				reflect.Copy(reflect.ValueOf(raw), v)
			}
			b.writeString("<value><base64>\n")
			enc := base64.StdEncoding.EncodeToString(raw)
			for len(enc) > 76 {
				b.writeString(enc[:76])
				b.writeByte('\n')
				enc = enc[76:]
			}
			if enc != "" {
				b.writeString(enc)
				b.writeByte('\n')
			}
			b.writeString("</base64></value>\n")
			return nil
		}
		b.writeString("<value><array><data>\n")
		for i := 0; i < v.Len(); i++ {
			if err := encodeValue(b, v.Index(i), depth+1); err != nil {
				return err
			}
		}
		b.writeString("</data></array></value>\n")
	default:
		return fmt.Errorf("xml-rpc encode: unsupported type %s", v.Type())
	}
	return nil
}

func writeInt(b *encoder, n int64) {
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		b.writeString("<value><int>")
		b.appendInt(n)
		b.writeString("</int></value>\n")
		return
	}
	b.writeString("<value><i8>")
	b.appendInt(n)
	b.writeString("</i8></value>\n")
}

// formatDouble mimics Python's repr(float) closely enough ("1.0", not "1").
func formatDouble(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}

// escape writes s as XML character data: &, < and > escaped as Python
// does, \r kept as a character reference, and characters XML cannot
// carry (control characters, invalid UTF-8) replaced by U+FFFD.
func escape(b *encoder, s string) {
	// Copy runs of plain ASCII at once.
	run := 0
	for run < len(s) {
		c := s[run]
		if c >= utf8.RuneSelf || c == '&' || c == '<' || c == '>' || c < 0x20 && c != '\t' && c != '\n' {
			break
		}
		run++
	}
	b.writeString(s[:run])
	if run == len(s) {
		return
	}
	escapeSlow(b, s[run:])
}

func escapeSlow(b *encoder, s string) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '&':
			b.writeString("&amp;")
		case r == '<':
			b.writeString("&lt;")
		case r == '>':
			b.writeString("&gt;")
		case r == '\r':
			b.writeString("&#13;")
		case r == utf8.RuneError && size == 1:
			b.writeString("\uFFFD")
		case !isXMLChar(r):
			b.writeString("\uFFFD")
		default:
			b.writeString(s[i : i+size])
		}
		i += size
	}
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) ||
		(r >= 0x10000 && r <= 0x10FFFF)
}

type field struct {
	name  string
	index []int
	open  string // "<member>\n<name>name</name>\n", escaped
}

// structFields lists the exported fields of t with their xmlrpc names
// (tag `xmlrpc:"name"`, "-" to skip, default the field name).
func structFields(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	f := computeStructFields(t)
	fieldCache.Store(t, f)
	return f
}

// fieldCache maps reflect.Type to its []field.
var fieldCache sync.Map

func computeStructFields(t reflect.Type) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("xmlrpc"); ok {
			tag, _, _ = strings.Cut(tag, ",")
			if tag == "-" {
				continue
			}
			if tag != "" {
				name = tag
			}
		}
		var open encoder
		open.writeString("<member>\n<name>")
		escape(&open, name)
		open.writeString("</name>\n")
		out = append(out, field{name: name, index: f.Index, open: string(open.buf)})
	}
	return out
}

// ---------------------------------------------------------------------------
// Assigning decoded values to typed Go destinations (client side)

// Unmarshal stores a decoded value (as returned by DecodeResponse) into
// dst, a non-nil pointer. Structs are filled by xmlrpc tags; unknown
// struct keys are ignored; missing keys leave fields unchanged.
func Unmarshal(src any, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("xml-rpc unmarshal: destination is not a non-nil pointer")
	}
	return assign(rv.Elem(), src, "")
}

func assign(dst reflect.Value, src any, path string) error {
	mismatch := func() error {
		return fmt.Errorf("xml-rpc unmarshal: %scannot store %T in %s", pathPrefix(path), src, dst.Type())
	}
	if dst.Kind() == reflect.Interface && dst.NumMethod() == 0 {
		if src == nil {
			dst.Set(reflect.Zero(dst.Type()))
		} else {
			dst.Set(reflect.ValueOf(src))
		}
		return nil
	}
	if dst.Kind() == reflect.Pointer {
		if src == nil {
			dst.Set(reflect.Zero(dst.Type()))
			return nil
		}
		if dst.IsNil() {
			dst.Set(reflect.New(dst.Type().Elem()))
		}
		return assign(dst.Elem(), src, path)
	}
	if src == nil {
		dst.Set(reflect.Zero(dst.Type()))
		return nil
	}
	switch s := src.(type) {
	case int:
		switch dst.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if dst.OverflowInt(int64(s)) {
				return mismatch()
			}
			dst.SetInt(int64(s))
			return nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if s < 0 || dst.OverflowUint(uint64(s)) {
				return mismatch()
			}
			dst.SetUint(uint64(s))
			return nil
		case reflect.Float32, reflect.Float64:
			dst.SetFloat(float64(s))
			return nil
		}
	case bool:
		if dst.Kind() == reflect.Bool {
			dst.SetBool(s)
			return nil
		}
	case string:
		if dst.Kind() == reflect.String {
			dst.SetString(s)
			return nil
		}
		if dst.Type() == bytesType {
			dst.SetBytes([]byte(s))
			return nil
		}
	case float64:
		if dst.Kind() == reflect.Float32 || dst.Kind() == reflect.Float64 {
			dst.SetFloat(s)
			return nil
		}
	case time.Time:
		if dst.Type() == timeType {
			dst.Set(reflect.ValueOf(s))
			return nil
		}
	case []byte:
		if dst.Type() == bytesType {
			dst.SetBytes(append([]byte(nil), s...))
			return nil
		}
		if dst.Kind() == reflect.String {
			dst.SetString(string(s))
			return nil
		}
	case []any:
		if dst.Kind() == reflect.Slice {
			out := reflect.MakeSlice(dst.Type(), len(s), len(s))
			for i, x := range s {
				if err := assign(out.Index(i), x, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			dst.Set(out)
			return nil
		}
	case map[string]any:
		switch dst.Kind() {
		case reflect.Struct:
			for _, f := range structFields(dst.Type()) {
				x, ok := s[f.name]
				if !ok {
					continue
				}
				if err := assign(dst.FieldByIndex(f.index), x, path+"."+f.name); err != nil {
					return err
				}
			}
			return nil
		case reflect.Map:
			if dst.Type().Key().Kind() != reflect.String {
				return mismatch()
			}
			out := reflect.MakeMapWithSize(dst.Type(), len(s))
			for k, x := range s {
				ev := reflect.New(dst.Type().Elem()).Elem()
				if err := assign(ev, x, path+"."+k); err != nil {
					return err
				}
				out.SetMapIndex(reflect.ValueOf(k).Convert(dst.Type().Key()), ev)
			}
			dst.Set(out)
			return nil
		}
	}
	return mismatch()
}

func pathPrefix(p string) string {
	if p == "" {
		return ""
	}
	return strings.TrimPrefix(p, ".") + ": "
}
