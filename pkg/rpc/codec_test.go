package rpc

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	tm := time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
	values := []any{
		0, 1, -5, 1 << 40, true, false, "", "hello", "a<b>&c\r\n\t", "üñí ✓", 1.5, -0.25,
		tm, []byte{0, 1, 2, 255}, []any{}, []any{1, "x", []any{true}},
		map[string]any{}, map[string]any{"a": 1, "b": []any{"c"}, "d": map[string]any{"e": false}},
	}
	for _, v := range values {
		var b bytes.Buffer
		if err := EncodeResponse(&b, v); err != nil {
			t.Fatalf("encode %#v: %v", v, err)
		}
		got, err := DecodeResponse(&b)
		if err != nil {
			t.Fatalf("decode %#v: %v\n%s", v, err, b.String())
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("round trip %#v: got %#v", v, got)
		}
		b.Reset()
		if err := EncodeCall(&b, "supervisor.x", v, "second"); err != nil {
			t.Fatal(err)
		}
		m, params, err := DecodeCall(&b)
		if err != nil || m != "supervisor.x" || len(params) != 2 || !reflect.DeepEqual(params[0], v) || params[1] != "second" {
			t.Errorf("call round trip %#v: %q %#v %v", v, m, params, err)
		}
	}
}

func TestEncodeStructsAndTypes(t *testing.T) {
	info := ProcessInfo{Name: "a", Group: "g", PID: 12, State: 20, StateName: "RUNNING", Start: 99}
	var b bytes.Buffer
	if err := EncodeResponse(&b, []ProcessInfo{info}); err != nil {
		t.Fatal(err)
	}
	v, err := DecodeResponse(&b)
	if err != nil {
		t.Fatal(err)
	}
	var back []ProcessInfo
	if err := Unmarshal(v, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 1 || back[0] != info {
		t.Fatalf("got %#v", back)
	}
	m := v.([]any)[0].(map[string]any)
	if m["statename"] != "RUNNING" || m["pid"] != 12 || m["stdout_logfile"] != "" {
		t.Fatalf("struct keys: %#v", m)
	}
	// Unsupported types are errors, not panics.
	if err := EncodeResponse(&b, make(chan int)); err == nil {
		t.Fatal("chan encoded")
	}
	if err := EncodeResponse(&b, map[int]int{1: 1}); err == nil {
		t.Fatal("int-keyed map encoded")
	}
	type cyc struct{ Next *cyc }
	c := &cyc{}
	c.Next = c
	if err := EncodeResponse(&b, c); err == nil {
		t.Fatal("cycle encoded")
	}
}

// The exact layout Python's xmlrpc.client.dumps produces.
func TestPythonLayout(t *testing.T) {
	var b bytes.Buffer
	EncodeResponse(&b, []any{"a<&", 5, true, 1.5, map[string]any{"k": []any{1, "x"}}, []byte("hi")})
	want := "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><string>a&lt;&amp;</string></value>\n<value><int>5</int></value>\n<value><boolean>1</boolean></value>\n<value><double>1.5</double></value>\n<value><struct>\n<member>\n<name>k</name>\n<value><array><data>\n<value><int>1</int></value>\n<value><string>x</string></value>\n</data></array></value>\n</member>\n</struct></value>\n<value><base64>\naGk=\n</base64></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	EncodeResponse(&b, &Fault{Code: 1, String: "UNKNOWN_METHOD"})
	want = "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>1</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>UNKNOWN_METHOD</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
	_, err := DecodeResponse(strings.NewReader(want))
	var f *Fault
	if !errors.As(err, &f) || f.Code != 1 || f.String != "UNKNOWN_METHOD" {
		t.Errorf("fault decode: %v", err)
	}
}

func TestEscapeInvalidChars(t *testing.T) {
	var b bytes.Buffer
	EncodeResponse(&b, "a\x1b[0m\x00b\xffc")
	v, err := DecodeResponse(&b)
	if err != nil {
		t.Fatal(err)
	}
	if v != "a\uFFFD[0m\uFFFDb\uFFFDc" {
		t.Fatalf("got %q", v)
	}
}

func TestDecodeCallForms(t *testing.T) {
	cases := []struct {
		in     string
		method string
		params []any
	}{
		{"<methodCall><methodName>a.b</methodName></methodCall>", "a.b", []any{}},
		{"<?xml version='1.0'?><methodCall><methodName>a.b</methodName><params/></methodCall>", "a.b", []any{}},
		{"<methodCall><methodName>a.b</methodName><params><param><value>untyped text</value></param></params></methodCall>", "a.b", []any{"untyped text"}},
		{"<methodCall><methodName>a.b</methodName><params><param><value></value></param></params></methodCall>", "a.b", []any{""}},
		{"<methodCall><methodName>a.b</methodName><params><param><value><string/></value></param><param><value><i4> 7 </i4></value></param><param><value><i8>-9000000000</i8></value></param><param><value><nil/></value></param></params></methodCall>", "a.b", []any{"", 7, -9000000000, nil}},
		{"<methodCall><methodName>a.b</methodName><params><param><value><dateTime.iso8601>20200102T03:04:05</dateTime.iso8601></value></param><param><value><base64>aGV\nsbG8=</base64></value></param></params></methodCall>", "a.b", []any{time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), []byte("hello")}},
		{"<?xml version='1.0' encoding='ISO-8859-1'?><methodCall><methodName>a.b</methodName><params><param><value>caf\xe9</value></param></params></methodCall>", "a.b", []any{"café"}},
		{"<methodCall><!-- c --><methodName>a.b</methodName><params><param><value><struct><member><name>x</name><value><array><data/></array></value></member></struct></value></param></params></methodCall>", "a.b", []any{map[string]any{"x": []any{}}}},
	}
	for _, c := range cases {
		m, p, err := DecodeCall(strings.NewReader(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if m != c.method || !reflect.DeepEqual(p, c.params) {
			t.Errorf("%s: got %q %#v", c.in, m, p)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	bad := []string{
		"",
		"not xml",
		"<methodCall><methodName>a.b</methodName>",
		"<methodCall><methodName>a.b</methodName><params><param><value><int>x</int></value></param></params></methodCall>",
		"<methodCall><methodName>a.b</methodName><params><param><value><boolean>2</boolean></value></param></params></methodCall>",
		"<methodCall><methodName>a.b</methodName><params><param><value><double>zz</double></value></param></params></methodCall>",
		"<methodCall><methodName>a.b</methodName><params><param><value><foo>1</foo></value></param></params></methodCall>",
		"<methodCall><methodName>a.b</methodName><params><param><value><base64>!!!</base64></value></param></params></methodCall>",
		"<methodCall><methodName>a.b</methodName><params><param><value><struct><member><name>x</name></member></struct></value></param></params></methodCall>",
		"<methodCall><methodName>a.b</methodName><params><param></param></params></methodCall>",
		"<methodResponse><params><param><value>1</value></param></params></methodResponse>",
		"<methodCall><methodName>a<b>x</b></methodName></methodCall>",
		"<methodCall><methodName>a.b</methodName><params><param><value><int>1</int><int>2</int></value></param></params></methodCall>",
		strings.Repeat("<value><array><data>", 200),
		"<methodCall><methodName>a.b</methodName><params><param><value>" + strings.Repeat("<array><data><value>", 100) + "1" + strings.Repeat("</value></data></array>", 100) + "</value></param></params></methodCall>",
	}
	for _, in := range bad {
		_, _, err := DecodeCall(strings.NewReader(in))
		if err == nil {
			t.Errorf("no error for %q", in)
		} else if !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: error %v does not wrap ErrSyntax", in, err)
		}
	}
	// Bodies beyond MaxBodySize fail instead of being read forever.
	huge := "<methodCall><methodName>a.b</methodName><params><param><value><string>" + strings.Repeat("x", MaxBodySize) + "</string></value></param></params></methodCall>"
	if _, _, err := DecodeCall(strings.NewReader(huge)); err == nil {
		t.Error("huge body accepted")
	}
}

func TestUnmarshal(t *testing.T) {
	var s State
	if err := Unmarshal(map[string]any{"statecode": 1, "statename": "RUNNING", "extra": 3}, &s); err != nil || s != (State{1, "RUNNING"}) {
		t.Fatalf("%v %#v", err, s)
	}
	var n int
	if err := Unmarshal("x", &n); err == nil {
		t.Fatal("string into int")
	}
	var ci ConfigInfo
	if err := Unmarshal(map[string]any{"uid": "none", "exitcodes": []any{0, 2}}, &ci); err != nil || ci.UID != "none" || !reflect.DeepEqual(ci.Exitcodes, []int{0, 2}) {
		t.Fatalf("%v %#v", err, ci)
	}
	if err := Unmarshal(1, n); err == nil {
		t.Fatal("non-pointer accepted")
	}
}

func FuzzDecode(f *testing.F) {
	var b bytes.Buffer
	EncodeCall(&b, "supervisor.startProcess", "foo", true, []any{1, map[string]any{"a": []byte("x")}}, 1.5, time.Unix(0, 0).UTC())
	f.Add(b.String())
	b.Reset()
	EncodeResponse(&b, &Fault{Code: 10, String: "BAD_NAME: x"})
	f.Add(b.String())
	f.Add("<methodCall><methodName>x</methodName><params><param><value>t</value></param></params></methodCall>")
	f.Add("<methodResponse><params><param><value><nil/></value></param></params></methodResponse>")
	f.Fuzz(func(t *testing.T, in string) {
		m, params, err := DecodeCall(strings.NewReader(in))
		if err == nil {
			// Whatever decodes must re-encode and decode to the same thing.
			var out bytes.Buffer
			if err := EncodeCall(&out, m, params...); err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			m2, p2, err := DecodeCall(&out)
			if err != nil {
				t.Fatalf("re-decode: %v\n%s", err, out.String())
			}
			if m2 != sanitize(m) || len(p2) != len(params) {
				t.Fatalf("mismatch %q %q", m, m2)
			}
		}
		DecodeResponse(strings.NewReader(in))
	})
}

// sanitize is what escape does to a string, as seen after decoding.
func sanitize(s string) string {
	var e encoder
	escape(&e, s)
	v, _, _ := DecodeCall(strings.NewReader("<methodCall><methodName>" + string(e.buf) + "</methodName></methodCall>"))
	return v
}
