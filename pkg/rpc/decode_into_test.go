package rpc

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// intoTargets are the destination types the client decodes into.
var intoTargets = []func() any{
	func() any { return new([]ProcessInfo) },
	func() any { return new(ProcessInfo) },
	func() any { return new([]Result) },
	func() any { return new([]ConfigInfo) },
	func() any { return new(State) },
	func() any { return new([]any) },
	func() any { return new(any) },
	func() any { return new(string) },
	func() any { return new(int) },
	func() any { return new(bool) },
	func() any { return new([][][]string) },
	func() any { return new(map[string]any) },
	func() any { return new([]string) },
}

// checkInto asserts that whenever the typed fast path succeeds, the
// generic path (DecodeResponse + Unmarshal) succeeds with the same
// result.
func checkInto(t *testing.T, in string) (fast int) {
	t.Helper()
	for _, mk := range intoTargets {
		a, b := mk(), mk()
		if err := unmarshalResponseFast([]byte(in), a); err != nil {
			continue
		}
		fast++
		v, err := decodeResponseXML(strings.NewReader(in))
		if err != nil {
			t.Fatalf("%q into %T: fast path accepted, encoding/xml: %v", in, a, err)
		}
		if err := Unmarshal(v, b); err != nil {
			t.Fatalf("%q into %T: fast path accepted, Unmarshal: %v", in, a, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%q into %T:\nfast    %#v\ngeneric %#v", in, a, a, b)
		}
	}
	return fast
}

func member(name, value string) string {
	return "<member>\n<name>" + name + "</name>\n" + value + "</member>\n"
}

// randomStructDoc builds responses shaped like getAllProcessInfo with
// random deviations (duplicate, unknown, mistyped and reordered
// members, untyped values, extra elements).
func randomStructDoc(r *rand.Rand) string {
	vals := []string{
		"<value><string>x</string></value>", "<value><int>5</int></value>", "<value><int>-99999999999</int></value>",
		"<value><i8>9223372036854775807</i8></value>", "<value><boolean>1</boolean></value>", "<value>untyped</value>",
		"<value><nil/></value>", "<value><double>1.5</double></value>", "<value><array><data>\n<value><int>0</int></value>\n</data></array></value>",
		"<value><struct></struct></value>", "<value><string/></value>", "<value> <int>3</int> </value>", "<value/>",
	}
	keys := []string{"name", "group", "pid", "state", "statename", "start", "exitstatus", "description", "unknown", "statecode", "exitcodes", "status"}
	var b strings.Builder
	b.WriteString("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n")
	wrapArray := r.Intn(3) != 0
	if wrapArray {
		b.WriteString("<value><array><data>\n")
	}
	for n := r.Intn(4); n >= 0; n-- {
		b.WriteString("<value><struct>\n")
		for m := r.Intn(6); m >= 0; m-- {
			k, v := keys[r.Intn(len(keys))], vals[r.Intn(len(vals))]
			switch r.Intn(12) {
			case 0:
				b.WriteString("<member>\n" + v + "<name>" + k + "</name>\n</member>\n")
			case 1:
				b.WriteString("<member>\n<name>" + k + "</name>\n</member>\n")
			case 2:
				b.WriteString(member(k, v+v))
			default:
				b.WriteString(member(k, v))
			}
		}
		b.WriteString("</struct></value>\n")
	}
	if wrapArray {
		b.WriteString("</data></array></value>\n")
	}
	b.WriteString("</param>\n")
	if r.Intn(10) == 0 {
		b.WriteString("<param>\n<value><int>1</int></value>\n</param>\n")
	}
	b.WriteString("</params>\n</methodResponse>\n")
	return b.String()
}

func TestUnmarshalFastMatchesGeneric(t *testing.T) {
	fast := 0
	docs := []string{string(allProcessInfo1000(t))}
	for _, v := range []any{
		[]Result{{Name: "a", Group: "g", Status: 80, Description: "OK"}},
		State{1, "RUNNING"}, "str", 42, true, []any{"s", 1, false}, [][][]string{{{"a"}, {}, {"b", "c"}}},
		[]ConfigInfo{{Name: "a", Exitcodes: []int{0, 2}}}, map[string]any{"a": 1}, []string{"x", "y"},
		&Fault{Code: 10, String: "BAD_NAME"},
	} {
		body, err := MarshalResponse(v)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(body))
	}
	for _, d := range docs {
		n := checkInto(t, d)
		if n == 0 && !strings.Contains(d, "<fault>") {
			t.Errorf("typed fast path never taken for %q", d)
		}
		fast += n
	}
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 3000; i++ {
		fast += checkInto(t, randomStructDoc(r))
	}
	for i := 0; i < 3000; i++ {
		fast += checkInto(t, randomDoc(r))
	}
	t.Logf("typed fast path taken %d times", fast)
}

func TestUnmarshalFastLeavesDstOnFailure(t *testing.T) {
	p := ProcessInfo{Name: "keep", PID: 7}
	in := "<methodResponse><params><param><value><struct>" + member("name", "<value><string>new</string></value>") +
		member("pid", "<value><string>notint</string></value>") + "</struct></value></param></params></methodResponse>"
	if err := unmarshalResponseFast([]byte(in), &p); err == nil {
		t.Fatal("mistyped member accepted")
	}
	if p.Name != "keep" || p.PID != 7 {
		t.Fatalf("destination modified: %+v", p)
	}
}

func FuzzUnmarshalFast(f *testing.F) {
	body, _ := MarshalResponse([]ProcessInfo{{Name: "a", Group: "g", StateName: "RUNNING", PID: 5}})
	f.Add(string(body))
	r := rand.New(rand.NewSource(4))
	for i := 0; i < 20; i++ {
		f.Add(randomStructDoc(r))
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkInto(t, in)
	})
}
