package rpc

import (
	"bytes"
	"unicode/utf8"
)

// fastSource is the tokenSource for the common case: the whole body in
// memory, UTF-8, made only of
//
//   - the XML declarations in xmlDecls,
//   - start tags <name> and empty tags <name/> and end tags </name> of
//     the XML-RPC element names (no attributes, no white space inside
//     tags), properly nested,
//   - character data of XML characters other than '\r' and '>', with
//     the entities &amp; &lt; &gt; &quot; &apos; and &#13;.
//
// Anything else (comments, CDATA, DOCTYPE, other processing
// instructions, attributes, namespaces, other entities or character
// references, a premature end) gives errFallback and the caller
// re-decodes with encoding/xml. For documents in the subset the tokens
// are exactly those encoding/xml's Decoder.Token returns (with
// comments/directives/processing instructions dropped, as xmlSource
// does).
type fastSource struct {
	buf   []byte
	pos   int
	stack []string
	// pendingEnd is the end element of an empty tag <name/>.
	pendingEnd string
}

func newFastSource(b []byte) *fastSource {
	return &fastSource{buf: b, stack: make([]string, 0, 16)}
}

// xmlDecls are the XML declarations the fast path accepts: version 1.0
// and UTF-8 (declared or implied), which encoding/xml reads without
// switching the charset.
var xmlDecls = [][]byte{
	[]byte("<?xml version='1.0'?>"),
	[]byte(`<?xml version="1.0"?>`),
	[]byte("<?xml version='1.0' encoding='utf-8'?>"),
	[]byte(`<?xml version="1.0" encoding="utf-8"?>`),
	[]byte("<?xml version='1.0' encoding='UTF-8'?>"),
	[]byte(`<?xml version="1.0" encoding="UTF-8"?>`),
}

// knownName returns the element name b as a constant string if the
// grammar knows it (no allocation, no map lookup).
func knownName(b []byte) (string, bool) {
	switch string(b) {
	case "methodCall":
		return "methodCall", true
	case "methodResponse":
		return "methodResponse", true
	case "methodName":
		return "methodName", true
	case "params":
		return "params", true
	case "param":
		return "param", true
	case "fault":
		return "fault", true
	case "value":
		return "value", true
	case "array":
		return "array", true
	case "data":
		return "data", true
	case "struct":
		return "struct", true
	case "member":
		return "member", true
	case "name":
		return "name", true
	case "string":
		return "string", true
	case "int":
		return "int", true
	case "i4":
		return "i4", true
	case "i8":
		return "i8", true
	case "i1":
		return "i1", true
	case "i2":
		return "i2", true
	case "boolean":
		return "boolean", true
	case "double":
		return "double", true
	case "dateTime.iso8601":
		return "dateTime.iso8601", true
	case "base64":
		return "base64", true
	case "nil":
		return "nil", true
	}
	return "", false
}

// tagName reads a name at s.pos: an ASCII letter, then letters, digits
// and dots (a valid XML name without a namespace prefix).
func (s *fastSource) tagName() (string, bool) {
	i := s.pos
	if i >= len(s.buf) || !isASCIILetter(s.buf[i]) {
		return "", false
	}
	for i < len(s.buf) && nameByte[s.buf[i]] {
		i++
	}
	n, ok := knownName(s.buf[s.pos:i])
	if !ok {
		return "", false
	}
	s.pos = i
	return n, true
}

// plainText: bytes that stand for themselves in character data.
// nameByte: bytes of the names the fast path reads (letters, digits,
// '.').
var plainText, nameByte = func() (p, n [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		p[c] = c != '&' && c != '<' && c != '>'
	}
	p['\t'], p['\n'], p[0x7f] = true, true, true
	for c := 0; c < 256; c++ {
		n[c] = isASCIILetter(byte(c)) || c >= '0' && c <= '9' || c == '.'
	}
	return
}()

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func (s *fastSource) next() (tokKind, string, []byte, error) {
	if s.pendingEnd != "" {
		n := s.pendingEnd
		s.pendingEnd = ""
		return tkEnd, n, nil, nil
	}
	for {
		if s.pos >= len(s.buf) {
			return 0, "", nil, errFallback
		}
		if s.buf[s.pos] != '<' {
			t, err := s.text()
			return tkText, "", t, err
		}
		if s.pos+1 >= len(s.buf) {
			return 0, "", nil, errFallback
		}
		switch c := s.buf[s.pos+1]; {
		case c == '/':
			s.pos += 2
			n, ok := s.tagName()
			if !ok || s.pos >= len(s.buf) || s.buf[s.pos] != '>' ||
				len(s.stack) == 0 || s.stack[len(s.stack)-1] != n {
				return 0, "", nil, errFallback
			}
			s.pos++
			s.stack = s.stack[:len(s.stack)-1]
			return tkEnd, n, nil, nil
		case c == '?':
			found := false
			for _, d := range xmlDecls {
				if bytes.HasPrefix(s.buf[s.pos:], d) {
					s.pos += len(d)
					found = true
					break
				}
			}
			if !found {
				return 0, "", nil, errFallback
			}
		default:
			s.pos++
			n, ok := s.tagName()
			if !ok || s.pos >= len(s.buf) {
				return 0, "", nil, errFallback
			}
			switch s.buf[s.pos] {
			case '>':
				s.pos++
				s.stack = append(s.stack, n)
			case '/':
				if s.pos+1 >= len(s.buf) || s.buf[s.pos+1] != '>' {
					return 0, "", nil, errFallback
				}
				s.pos += 2
				s.pendingEnd = n
			default:
				return 0, "", nil, errFallback
			}
			return tkStart, n, nil, nil
		}
	}
}

// text reads character data up to the next '<'.
func (s *fastSource) text() ([]byte, error) {
	start := s.pos
	i := s.pos
	var out []byte // non-nil once an entity was decoded
	for i < len(s.buf) {
		// Skip plain ASCII quickly.
		for i < len(s.buf) && plainText[s.buf[i]] {
			i++
		}
		if i >= len(s.buf) {
			break
		}
		c := s.buf[i]
		if c == '<' {
			break
		}
		if c < utf8.RuneSelf {
			switch {
			case c == '&':
				if out == nil {
					out = make([]byte, 0, i-start+16)
				}
				out = append(out, s.buf[start:i]...)
				r, n := entity(s.buf[i:])
				if n == 0 {
					return nil, errFallback
				}
				out = append(out, r)
				i += n
				start = i
				continue
			case c == '>' || c == '\r' || (c < 0x20 && c != '\t' && c != '\n'):
				return nil, errFallback
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s.buf[i:])
		if r == utf8.RuneError && size == 1 || !isXMLChar(r) {
			return nil, errFallback
		}
		i += size
	}
	if i >= len(s.buf) {
		// Text running to the end: the document is incomplete.
		return nil, errFallback
	}
	s.pos = i
	if out != nil {
		return append(out, s.buf[start:i]...), nil
	}
	return s.buf[start:i:i], nil
}

// entity decodes one of the entities the fast path knows at the start
// of b, returning the byte and the length, or 0 length.
func entity(b []byte) (byte, int) {
	for _, e := range [...]struct {
		s string
		r byte
	}{{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}, {"&#13;", '\r'}} {
		if len(b) >= len(e.s) && string(b[:len(e.s)]) == e.s {
			return e.r, len(e.s)
		}
	}
	return 0, 0
}

func (s *fastSource) skip() error { return errFallback }
