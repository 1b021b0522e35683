package rpc

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"
)

// tokens runs src to the end (or the first error) and renders its
// tokens, for comparing the two token sources.
func tokens(src tokenSource) (string, error) {
	var b strings.Builder
	for i := 0; i < 1e6; i++ {
		k, n, t, err := src.next()
		if err != nil {
			return b.String(), err
		}
		switch k {
		case tkStart:
			fmt.Fprintf(&b, "<%s>", n)
		case tkEnd:
			fmt.Fprintf(&b, "</%s>", n)
		case tkText:
			fmt.Fprintf(&b, "%q", t)
		}
	}
	return b.String(), nil
}

// checkEquivalent asserts that, for in, the fast path agrees with
// encoding/xml: token streams (wherever the fast source does not give
// up), and the results of DecodeCall/DecodeResponse against the
// reference-only decoders.
func checkEquivalent(t *testing.T, in string) {
	t.Helper()
	// Token level: where fastSource produced a token, it is the one
	// encoding/xml produces. The fast source only stops with
	// errFallback; past the end it has to (incomplete document).
	fast, ferr := tokens(newFastSource([]byte(in)))
	if ferr != errFallback {
		t.Fatalf("%q: fast source stopped with %v", in, ferr)
	}
	ref, _ := tokens(newXMLSource(strings.NewReader(in)))
	if !strings.HasPrefix(ref, fast) {
		t.Fatalf("%q: token streams differ\nfast %s\nxml  %s", in, fast, ref)
	}
	// Decoder level.
	m1, p1, e1 := DecodeCall(strings.NewReader(in))
	m2, p2, e2 := decodeCallXML(strings.NewReader(in))
	if m1 != m2 || !reflect.DeepEqual(p1, p2) || fmt.Sprint(e1) != fmt.Sprint(e2) {
		t.Fatalf("%q: DecodeCall %q %#v %v; encoding/xml %q %#v %v", in, m1, p1, e1, m2, p2, e2)
	}
	v1, e1 := DecodeResponse(strings.NewReader(in))
	v2, e2 := decodeResponseXML(strings.NewReader(in))
	if !reflect.DeepEqual(v1, v2) || fmt.Sprint(e1) != fmt.Sprint(e2) {
		t.Fatalf("%q: DecodeResponse %#v %v; encoding/xml %#v %v", in, v1, e1, v2, e2)
	}
}

// fastPathTaken reports whether DecodeResponse/DecodeCall of in
// succeed on the fast path alone.
func fastPathTaken(in string) bool {
	var f *Fault
	if _, err := decodeResponse(newDecoder(newFastSource([]byte(in)))); err == nil || errors.As(err, &f) {
		return true
	}
	_, _, err := decodeCall(newDecoder(newFastSource([]byte(in))))
	return err == nil
}

func TestFastSourceMatchesXML(t *testing.T) {
	var docs []string
	add := func(b []byte, err error) {
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	add(MarshalResponse([]any{"a<&>\"'\r\n\t", 5, -1 << 40, true, 1.5, map[string]any{"k": []any{1, "x"}}, []byte("hi"), time.Unix(0, 0).UTC(), nil, "üñí ✓ \U0001F600"}))
	add(MarshalResponse(&Fault{Code: 10, String: "BAD_NAME: x"}))
	add(MarshalResponse([]ProcessInfo{{Name: "a", Group: "g", Description: "pid 1, uptime 0:00:01", StateName: "RUNNING"}}))
	var b bytes.Buffer
	EncodeCall(&b, "supervisor.startProcess", "foo", true, []any{1, map[string]any{"a": []byte("x")}})
	docs = append(docs, b.String())
	docs = append(docs,
		// Forms Python and other clients write.
		`<?xml version="1.0"?><methodCall><methodName>x</methodName><params><param><value>t</value></param></params></methodCall>`,
		"<?xml version='1.0' encoding='UTF-8'?>\n<methodCall>\n<methodName>a.b</methodName>\n<params/>\n</methodCall>",
		"<methodResponse><params><param><value><nil/></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><string/></value></param></params></methodResponse>",
		"<methodResponse><params><param><value/></param></params></methodResponse>",
		"<methodResponse><params><param><value><array/></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><struct/></value></param></params></methodResponse>",
		"<methodResponse><params><param><value>junk<int>7</int>junk</value></param></params></methodResponse>",
		"<methodResponse><params><param><value><int> +7 </int></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><int>99999999999999999999</int></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><i8>-000000000000000000009</i8></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><string>&#13;&#10;&#x41;&amp;amp;</string></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><string>a]]>b</string></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><string>a\r\nb\rc</string></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><string>a\x00b</string></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><string>a\xffb</string></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><string>a&bogus;b</string></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><string>a&amp</string></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><string>x</strin></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><string>x</value></string></param></params></methodResponse>",
		"<methodResponse><params><param><value><string >x</string ></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><x:string>x</x:string></value></param></params></methodResponse>",
		"<methodResponse><!-- c --><params><param><value><![CDATA[<x>]]></value></param></params></methodResponse>",
		"<?xml version='1.1'?><methodResponse><params><param><value>1</value></param></params></methodResponse>",
		"<?xml version='1.0' encoding='latin1'?><methodResponse><params><param><value>caf\xe9</value></param></params></methodResponse>",
		"<methodResponse><params><param><value>1</value></param></params></methodResponse>trailing <junk",
		"<methodResponse><params><param><value>1</value></param></params>",
		"<methodResponse><params><param><value><struct><member><name>a</name><value>1</value></member><member><name>a</name><value>2</value></member></struct></value></param></params></methodResponse>",
		"<methodCall><methodName>a</methodName><extra><x/></extra></methodCall>",
		"<methodCall><methodName>a</methodName><params><param><value><int>x</int></value></param></params></methodCall>",
		"\ufeff<methodCall><methodName>a</methodName></methodCall>",
		"<methodCall><methodName>a</methodName></methodCall>",
		"<methodCall/>",
		"",
		"<",
		"</methodCall>",
	)
	fast := 0
	for _, d := range docs {
		checkEquivalent(t, d)
		// Every prefix: premature ends must be rejected the same way.
		for i := 0; i < len(d); i += 1 + len(d)/50 {
			checkEquivalent(t, d[:i])
		}
		if fastPathTaken(d) {
			fast++
		}
	}
	// The encoder's own output must take the fast path.
	for _, d := range docs[:4] {
		if !fastPathTaken(d) {
			t.Errorf("fast path not taken for %q", d)
		}
	}
	if fast < 10 {
		t.Errorf("fast path taken for only %d documents", fast)
	}
}

// randomDoc builds an XML-RPC-like document from pieces that mix valid
// structure with the constructs the fast path does not handle.
func randomDoc(r *rand.Rand) string {
	pieces := []string{
		"<value>", "</value>", "<string>", "</string>", "<int>", "</int>", "<i8>", "</i8>",
		"<array>", "</array>", "<data>", "</data>", "<struct>", "</struct>", "<member>", "</member>",
		"<name>", "</name>", "<nil/>", "<value/>", "<boolean>", "</boolean>", "<double>", "</double>",
		"<base64>", "</base64>", "<dateTime.iso8601>", "</dateTime.iso8601>", "<param>", "</param>",
		"<params>", "</params>", "<fault>", "</fault>", "<methodName>", "</methodName>",
		"1", "-3", " ", "\n", "\r", "\t", "x", "&amp;", "&lt;", "&#13;", "&#65;", "&", ">", "]]>", "ü", "\xff",
		"\x01", "<!-- c -->", "<![CDATA[z]]>", "<?pi x?>", "<value a='1'>", "<x:int>", "</x:int>", "<bogus>", "</bogus>",
		"true", "1.5", "aGk=", "20200102T03:04:05", "\U0001F600",
	}
	var b strings.Builder
	if r.Intn(2) == 0 {
		b.WriteString("<?xml version='1.0'?>\n")
	}
	root := "methodResponse"
	if r.Intn(2) == 0 {
		root = "methodCall"
		b.WriteString("<methodCall><methodName>m</methodName>")
	} else {
		b.WriteString("<methodResponse>")
	}
	b.WriteString("<params><param><value>")
	// A valid skeleton with random insertions keeps many documents
	// well formed enough to reach the value grammar.
	for n := r.Intn(12); n > 0; n-- {
		b.WriteString(pieces[r.Intn(len(pieces))])
	}
	b.WriteString("</value></param></params></" + root + ">")
	return b.String()
}

func TestFastSourceRandomDocs(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	fast := 0
	for i := 0; i < n; i++ {
		d := randomDoc(r)
		checkEquivalent(t, d)
		if fastPathTaken(d) {
			fast++
		}
	}
	if fast == 0 {
		t.Fatal("no random document took the fast path")
	}
	t.Logf("%d of %d random documents decoded on the fast path", fast, n)
}

// FuzzDecodeDifferential: the fast path and encoding/xml agree on
// every input (tokens, values, errors).
func FuzzDecodeDifferential(f *testing.F) {
	body, _ := MarshalResponse([]ProcessInfo{{Name: "a&b", Group: "g", Description: "pid 1, uptime 0:00:01", StateName: "RUNNING"}})
	f.Add(string(body))
	var b bytes.Buffer
	EncodeCall(&b, "supervisor.startProcess", "foo", true, []any{1, map[string]any{"a": []byte("x")}}, 1.5, time.Unix(0, 0).UTC(), nil)
	f.Add(b.String())
	f.Add("<methodResponse><params><param><value><string>&#13;&amp;</string></value></param></params></methodResponse>")
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 20; i++ {
		f.Add(randomDoc(r))
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkEquivalent(t, in)
	})
}

func TestDecodeReadError(t *testing.T) {
	body, _ := MarshalResponse("hello")
	boom := errors.New("boom")
	_, err := DecodeResponse(iotestTruncated(body[:20], boom))
	if !errors.Is(err, boom) {
		t.Fatalf("read error not reported: %v", err)
	}
	v, err := DecodeResponse(bytes.NewReader(body))
	if err != nil || v != "hello" {
		t.Fatalf("%v %v", v, err)
	}
}

type truncReader struct {
	b   []byte
	err error
}

func (r *truncReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, r.err
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func iotestTruncated(b []byte, err error) *truncReader { return &truncReader{b: b, err: err} }

func TestSortInfosMatchesSliceStable(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for n := 0; n < 200; n++ {
		infos := make([]ProcessInfo, r.Intn(40))
		for i := range infos {
			infos[i] = ProcessInfo{Group: fmt.Sprint(r.Intn(3)), Name: fmt.Sprint(r.Intn(5)), PID: i}
		}
		want := make([]ProcessInfo, len(infos))
		copy(want, infos)
		sortStableRef(want)
		sortInfos(infos)
		if !reflect.DeepEqual(infos, want) {
			t.Fatalf("got %v want %v", infos, want)
		}
	}
}

func sortStableRef(infos []ProcessInfo) {
	for i := 1; i < len(infos); i++ { // insertion sort: stable
		for j := i; j > 0 && (infos[j-1].Group > infos[j].Group || infos[j-1].Group == infos[j].Group && infos[j-1].Name > infos[j].Name); j-- {
			infos[j-1], infos[j] = infos[j], infos[j-1]
		}
	}
}
