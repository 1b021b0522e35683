package rpc

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ---------------------------------------------------------------------------
// Decoding
//
// The XML-RPC grammar below (decoder) reads a stream of tokens: start
// element (local name), end element, character data. Two token sources
// feed it:
//
//   - xmlSource, the reference: encoding/xml's Decoder in strict mode.
//   - fastSource (fastxml.go), a scanner over the whole body in memory
//     that only understands a subset of XML (the layout XML-RPC
//     implementations write: known element names without attributes,
//     the predefined entities, no comments, CDATA or DOCTYPE). On
//     anything outside that subset it gives up with errFallback.
//
// DecodeCall and DecodeResponse run the grammar on fastSource first;
// on any failure at all they run it again on xmlSource over the same
// bytes, so every error (and every document outside the subset) is
// decided by encoding/xml. Within the subset fastSource produces the
// same tokens as xmlSource (TestFastSourceMatchesXML and
// FuzzDecodeDifferential check this).

type tokKind uint8

const (
	tkStart tokKind = iota + 1
	tkEnd
	tkText
)

// tokenSource yields tokens; the text of a tkText token stays valid
// for the whole decode.
type tokenSource interface {
	next() (kind tokKind, name string, text []byte, err error)
	// skip consumes the rest of the element whose start was just read.
	skip() error
}

// errFallback is the fast path's "not in my subset" (never returned to
// callers).
var errFallback = errors.New("xml-rpc fast path: fall back to encoding/xml")

type xmlSource struct {
	d *xml.Decoder
}

func newXMLSource(r io.Reader) *xmlSource {
	d := xml.NewDecoder(io.LimitReader(r, MaxBodySize+1))
	d.Strict = true
	d.CharsetReader = charsetReader
	return &xmlSource{d: d}
}

func (x *xmlSource) next() (tokKind, string, []byte, error) {
	for {
		t, err := x.d.Token()
		if err != nil {
			if err == io.EOF {
				return 0, "", nil, syntaxErr("unexpected end of document")
			}
			var se *xml.SyntaxError
			if errors.As(err, &se) || errors.Is(err, ErrSyntax) {
				return 0, "", nil, fmt.Errorf("%w: %w", ErrSyntax, err)
			}
			return 0, "", nil, fmt.Errorf("read xml-rpc body: %w", err)
		}
		switch t := t.(type) {
		case xml.StartElement:
			return tkStart, t.Name.Local, nil, nil
		case xml.EndElement:
			return tkEnd, t.Name.Local, nil, nil
		case xml.CharData:
			return tkText, "", bytes.Clone(t), nil
		}
	}
}

func (x *xmlSource) skip() error {
	if err := x.d.Skip(); err != nil {
		return fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	return nil
}

// charsetReader accepts the encodings XML-RPC clients actually declare.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "latin-1", "latin1", "iso8859-1":
		return &latin1Reader{r: in}, nil
	}
	return nil, syntaxErr("unsupported encoding %q", label)
}

type latin1Reader struct {
	r   io.Reader
	buf []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	// Each input byte expands to at most 2 output bytes.
	n := len(p) / 2
	if n == 0 {
		n = 1
		if len(p) < 2 {
			return 0, io.ErrShortBuffer
		}
	}
	if cap(l.buf) < n {
		l.buf = make([]byte, n)
	}
	m, err := l.r.Read(l.buf[:n])
	out := p[:0]
	for _, b := range l.buf[:m] {
		out = utf8.AppendRune(out, rune(b))
	}
	return len(out), err
}

type decoder struct {
	src tokenSource
	// strs interns short strings (state names, group names, "").
	strs map[string]string
}

func newDecoder(src tokenSource) *decoder {
	return &decoder{src: src}
}

// element returns the name of the next start element, or ok=false at
// the end element of the enclosing element; character data in between
// is ignored.
func (p *decoder) element() (name string, ok bool, err error) {
	for {
		k, n, _, err := p.src.next()
		if err != nil {
			return "", false, err
		}
		switch k {
		case tkStart:
			return n, true, nil
		case tkEnd:
			return "", false, nil
		}
	}
}

// textBytes reads character data up to the end of the current element.
func (p *decoder) textBytes() ([]byte, error) {
	var out []byte
	chunks := 0
	for {
		k, n, t, err := p.src.next()
		if err != nil {
			return nil, err
		}
		switch k {
		case tkText:
			if chunks == 0 {
				out = t
			} else {
				if chunks == 1 {
					out = append([]byte(nil), out...)
				}
				out = append(out, t...)
			}
			chunks++
		case tkEnd:
			return out, nil
		case tkStart:
			return nil, syntaxErr("unexpected element <%s> in text", n)
		}
	}
}

func (p *decoder) text() (string, error) {
	b, err := p.textBytes()
	if err != nil {
		return "", err
	}
	return p.str(b), nil
}

// str returns b as a string, sharing short repeated ones.
func (p *decoder) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > 16 {
		return string(b)
	}
	if s, ok := p.strs[string(b)]; ok {
		return s
	}
	if p.strs == nil {
		p.strs = make(map[string]string)
	}
	if len(p.strs) >= 1024 {
		return string(b)
	}
	s := string(b)
	p.strs[s] = s
	return s
}

// value parses the inside of a <value> element (its start already read).
func (p *decoder) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, syntaxErr("nesting deeper than %d", maxDepth)
	}
	var untyped []byte
	chunks := 0
	for {
		k, n, t, err := p.src.next()
		if err != nil {
			return nil, err
		}
		switch k {
		case tkText:
			if chunks == 0 {
				untyped = t
			} else {
				if chunks == 1 {
					untyped = append([]byte(nil), untyped...)
				}
				untyped = append(untyped, t...)
			}
			chunks++
		case tkEnd:
			return p.str(untyped), nil
		case tkStart:
			v, err := p.typed(n, depth)
			if err != nil {
				return nil, err
			}
			el, ok, err := p.element()
			if err != nil {
				return nil, err
			}
			if ok {
				return nil, syntaxErr("unexpected element <%s> in value", el)
			}
			return v, nil
		}
	}
}

// small boxed ints, so common values do not allocate.
var smallInts = func() (a [1024]any) {
	for i := range a {
		a[i] = i
	}
	return
}()

func boxInt(n int) any {
	if n >= 0 && n < len(smallInts) {
		return smallInts[n]
	}
	return n
}

// parseInt is strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
// without the allocations for the common case.
func parseInt(b []byte) (int64, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && len(b) <= 18 {
		neg := false
		d := b
		if d[0] == '-' || d[0] == '+' {
			neg = d[0] == '-'
			d = d[1:]
		}
		if len(d) > 0 {
			var n int64
			for _, c := range d {
				if c < '0' || c > '9' {
					goto slow
				}
				n = n*10 + int64(c-'0')
			}
			if neg {
				n = -n
			}
			return n, nil
		}
	}
slow:
	return strconv.ParseInt(string(b), 10, 64)
}

func (p *decoder) typed(name string, depth int) (any, error) {
	switch name {
	case "array":
		return p.array(depth)
	case "struct":
		return p.structure(depth)
	case "nil":
		el, ok, err := p.element()
		if err != nil {
			return nil, err
		}
		if ok {
			_ = el
			return nil, syntaxErr("unexpected element in <nil>")
		}
		return nil, nil
	}
	b, err := p.textBytes()
	if err != nil {
		return nil, err
	}
	switch name {
	case "string":
		return p.str(b), nil
	case "int", "i4", "i8", "i1", "i2":
		n, err := parseInt(b)
		if err != nil {
			return nil, syntaxErr("bad <%s> %q", name, b)
		}
		return boxInt(int(n)), nil
	case "boolean":
		switch string(bytes.TrimSpace(b)) {
		case "1", "true":
			return true, nil
		case "0", "false":
			return false, nil
		}
		return nil, syntaxErr("bad <boolean> %q", b)
	case "double":
		f, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
		if err != nil {
			return nil, syntaxErr("bad <double> %q", b)
		}
		return f, nil
	case "dateTime.iso8601":
		s := strings.TrimSpace(string(b))
		for _, layout := range []string{dateTimeFormat, "2006-01-02T15:04:05", "20060102T150405", time.RFC3339} {
			if tm, err := time.Parse(layout, s); err == nil {
				return tm, nil
			}
		}
		return nil, syntaxErr("bad <dateTime.iso8601> %q", s)
	case "base64":
		s := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
				return -1
			}
			return r
		}, string(b))
		out, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, syntaxErr("bad <base64>")
		}
		return out, nil
	}
	return nil, syntaxErr("unknown type <%s>", name)
}

func (p *decoder) array(depth int) (any, error) {
	out := []any{}
	for {
		el, ok, err := p.element()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		if el != "data" {
			return nil, syntaxErr("unexpected <%s> in <array>", el)
		}
		for {
			v, ok, err := p.element()
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			if v != "value" {
				return nil, syntaxErr("unexpected <%s> in <data>", v)
			}
			x, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
	}
}

func (p *decoder) structure(depth int) (any, error) {
	out := map[string]any{}
	for {
		el, ok, err := p.element()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		if el != "member" {
			return nil, syntaxErr("unexpected <%s> in <struct>", el)
		}
		var (
			name              string
			val               any
			hasName, hasValue bool
		)
		for {
			m, ok, err := p.element()
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			switch m {
			case "name":
				if name, err = p.text(); err != nil {
					return nil, err
				}
				hasName = true
			case "value":
				if val, err = p.value(depth + 1); err != nil {
					return nil, err
				}
				hasValue = true
			default:
				return nil, syntaxErr("unexpected <%s> in <member>", m)
			}
		}
		if !hasName || !hasValue {
			return nil, syntaxErr("incomplete struct member")
		}
		out[name] = val
	}
}

// params parses <params> (start already read) into a slice.
func (p *decoder) params() ([]any, error) {
	out := []any{}
	for {
		el, ok, err := p.element()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		if el != "param" {
			return nil, syntaxErr("unexpected <%s> in <params>", el)
		}
		v, ok, err := p.element()
		if err != nil {
			return nil, err
		}
		if !ok || v != "value" {
			return nil, syntaxErr("<param> without <value>")
		}
		x, err := p.value(0)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
		if v, ok, err = p.element(); err != nil {
			return nil, err
		} else if ok {
			return nil, syntaxErr("unexpected <%s> in <param>", v)
		}
	}
}

// root reads up to the document's root element.
func (p *decoder) root(want string) error {
	el, ok, err := p.element()
	if err != nil {
		return err
	}
	if !ok || el != want {
		return syntaxErr("root element is not <%s>", want)
	}
	return nil
}

// readBody reads at most MaxBodySize+1 bytes of r.
func readBody(r io.Reader) ([]byte, error) {
	switch b := r.(type) {
	case *bytes.Reader:
		if b.Len() <= MaxBodySize {
			out := make([]byte, b.Len())
			n, err := io.ReadFull(b, out)
			return out[:n], err
		}
	case *strings.Reader:
		if b.Len() <= MaxBodySize {
			out := make([]byte, b.Len())
			n, err := io.ReadFull(b, out)
			return out[:n], err
		}
	}
	return io.ReadAll(io.LimitReader(r, MaxBodySize+1))
}

// readBodySized is readBody with the expected length (-1 if unknown).
func readBodySized(r io.Reader, n int64) ([]byte, error) {
	if n <= 0 || n > MaxBodySize {
		return readBody(r)
	}
	// One byte more than announced, to see EOF without growing.
	out := make([]byte, 0, n+1)
	for {
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
		}
		m, err := r.Read(out[len(out):cap(out)])
		out = out[:len(out)+m]
		if len(out) > MaxBodySize {
			return out[:MaxBodySize+1], nil
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// errReader replays a read error after the bytes read before it.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func refReader(data []byte, rerr error) io.Reader {
	if rerr != nil {
		return io.MultiReader(bytes.NewReader(data), errReader{rerr})
	}
	return bytes.NewReader(data)
}

// DecodeCall parses a methodCall document. Values decode to int, bool,
// string, float64, time.Time, []byte, []any, map[string]any or nil.
// A missing <params> gives an empty slice; a missing <methodName> gives
// "" (the server answers 400).
func DecodeCall(r io.Reader) (method string, params []any, err error) {
	data, rerr := readBody(r)
	if rerr == nil && len(data) <= MaxBodySize {
		m, ps, err := decodeCall(newDecoder(newFastSource(data)))
		if err == nil {
			return m, ps, nil
		}
	}
	return decodeCall(newDecoder(newXMLSource(refReader(data, rerr))))
}

// decodeCallXML is DecodeCall on encoding/xml alone (tests).
func decodeCallXML(r io.Reader) (string, []any, error) {
	return decodeCall(newDecoder(newXMLSource(r)))
}

func decodeCall(p *decoder) (method string, params []any, err error) {
	if err := p.root("methodCall"); err != nil {
		return "", nil, err
	}
	params = []any{}
	for {
		el, ok, err := p.element()
		if err != nil {
			return "", nil, err
		}
		if !ok {
			return strings.TrimSpace(method), params, nil
		}
		switch el {
		case "methodName":
			if method, err = p.text(); err != nil {
				return "", nil, err
			}
		case "params":
			if params, err = p.params(); err != nil {
				return "", nil, err
			}
		default:
			if err := p.src.skip(); err != nil {
				return "", nil, err
			}
		}
	}
}

// DecodeResponse parses a methodResponse document. A fault response is
// returned as a *Fault error.
func DecodeResponse(r io.Reader) (any, error) {
	data, rerr := readBody(r)
	return decodeResponseBytes(data, rerr)
}

func decodeResponseBytes(data []byte, rerr error) (any, error) {
	if rerr == nil && len(data) <= MaxBodySize {
		v, err := decodeResponse(newDecoder(newFastSource(data)))
		var f *Fault
		if err == nil || errors.As(err, &f) {
			return v, err
		}
	}
	return decodeResponse(newDecoder(newXMLSource(refReader(data, rerr))))
}

// decodeResponseXML is DecodeResponse on encoding/xml alone (tests).
func decodeResponseXML(r io.Reader) (any, error) {
	return decodeResponse(newDecoder(newXMLSource(r)))
}

func decodeResponse(p *decoder) (any, error) {
	if err := p.root("methodResponse"); err != nil {
		return nil, err
	}
	el, ok, err := p.element()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, syntaxErr("empty methodResponse")
	}
	switch el {
	case "params":
		ps, err := p.params()
		if err != nil {
			return nil, err
		}
		if len(ps) != 1 {
			return nil, syntaxErr("methodResponse has %d params", len(ps))
		}
		return ps[0], nil
	case "fault":
		v, ok, err := p.element()
		if err != nil {
			return nil, err
		}
		if !ok || v != "value" {
			return nil, syntaxErr("<fault> without <value>")
		}
		x, err := p.value(0)
		if err != nil {
			return nil, err
		}
		m, ok := x.(map[string]any)
		if !ok {
			return nil, syntaxErr("fault value is not a struct")
		}
		code, ok1 := m["faultCode"].(int)
		str, ok2 := m["faultString"].(string)
		if !ok1 || !ok2 {
			return nil, syntaxErr("malformed fault struct")
		}
		return nil, &Fault{Code: code, String: str}
	}
	return nil, syntaxErr("unexpected <%s> in methodResponse", el)
}
