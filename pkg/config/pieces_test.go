package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// pieceAlphabets are the tokens random inputs are built from, per kind.
var pieceAlphabets = map[string][]string{
	"format": {"%", "(", ")", "s", "n", "q", "e", "d", "r", "x", "0", "5", ".", "-", "+", " ", "#",
		"%(n)", "%(s)", "%(q)", "%(e)", "%(zz)", "abc", "c", "i", "u", "o", "X", "g", "f", "*", "l", "a", "\n"},
	"ini": {"[a]", "[b]", "[DEFAULT]", "x=1", "X : 2", "y=a ;c", "y=a;c", "z=#q", "  cont", "\tcont2", "",
		"  ", "# com", "  ; com", "bad line", "=v", "[a] ;x", "k=v # c", "[]", "[a]b]", " [a]", "key: v=w",
		"a= ", "K=1\r", "v=a#b #c ;d", "  [b]", "x=%(here)s"},
	"env":   {"A", "=", "1", ",", ";", " ", "\"", "'", "x y", "#", "$", "@", "/", ":", "B", "_", "\n", "(", ")", "-", "+", "."},
	"shlex": {"a", " ", "'", "\"", "\\", "b c", ";", "#", "|", "\n", "\t", "\"\"", "''", "&&"},
	"int":   {"1", "-", "+", " ", "_", "0", "9", "a", "1.5", "\t", "x"},
	"bytes": {"1", "0", "kb", "MB", "gB", " ", "-", "b", "k", "5", "_"},
	"octal": {"0", "7", "8", "o", "O", "x", "_", "+", " ", "1"},
	"signal": {"TERM", "sig", "SIG", "int", "9", "0", "64", "65", "35", " ", "kill", "rtmin", "_dfl",
		"_ign", "IOT", "CLD", "POLL", "x", "-1", "+15", "1_5"},
	"bool":      {"yes", "No", "TRUE", "on", "1", "0", "off", " ", "x"},
	"exitcodes": {"0", "1", ",", " ", "255", "256", "-1", "x"},
	"name":      {"a", " ", ":", "/", "b", "\t", "x y"},
	"inet":      {"*", ":", "80", "host", "0", "65536", "a", "LOCALHOST", "1_0", " "},
}

func piece(kind, in string) (any, error) {
	switch kind {
	case "format":
		return pyFormat(in, map[string]any{"s": "ab", "n": 7, "q": "it's", "e": ""})
	case "env":
		env, err := parseEnvironment(in)
		out := [][]string{}
		for _, kv := range env {
			out = append(out, []string{kv.Key, kv.Value})
		}
		return out, err
	case "shlex":
		a, err := SplitCommand(in)
		if a == nil {
			a = []string{}
		}
		return a, err
	case "ini":
		p := newIniParser()
		if err := p.read("f.conf", in); err != nil {
			return nil, err
		}
		out := map[string]map[string]string{}
		if len(p.defaults.keys) > 0 {
			out["DEFAULT"] = map[string]string{}
			for _, k := range p.defaults.keys {
				out["DEFAULT"][k] = p.defaults.opts[k].Value
			}
		}
		for _, s := range p.sections {
			m := map[string]string{}
			for _, k := range p.items(s) {
				m[k] = p.get(s, k).Value
			}
			out[s.Name] = m
		}
		return out, nil
	case "int":
		return pyInt(in)
	case "bytes":
		return byteSize(in)
	case "octal":
		u, err := octal(in)
		return int(u), err
	case "signal":
		s, err := ParseSignal(in)
		return int(s), err
	case "bool":
		return pyBool(in)
	case "exitcodes":
		return exitCodes(in)
	case "name":
		return processOrGroupName(in)
	case "inet":
		h, p, err := inetAddress(in)
		return []any{h, p}, err
	}
	panic(kind)
}

// TestPiecesDifferential compares the building blocks (ini reader,
// %-formatting, environment and command splitting, value types) with
// supervisord's on thousands of random inputs.
func TestPiecesDifferential(t *testing.T) {
	py := findPython(t)
	seed := int64(1) // SUPERD_RNDSEED=n explores other seeds locally
	if v, err := strconv.ParseInt(os.Getenv("SUPERD_RNDSEED"), 10, 64); err == nil {
		seed = v
	}
	rng := rand.New(rand.NewSource(seed))
	type tc struct{ kind, in string }
	var cases []tc
	for kind, alpha := range pieceAlphabets {
		n, sep := 1500, ""
		if kind == "ini" {
			sep = "\n"
		}
		for i := 0; i < n; i++ {
			var parts []string
			for j := rng.Intn(8) + 1; j > 0; j-- {
				parts = append(parts, alpha[rng.Intn(len(alpha))])
			}
			in := strings.Join(parts, sep)
			if kind == "ini" {
				in += "\n"
			}
			cases = append(cases, tc{kind, in})
		}
	}
	var req [][2]string
	for _, c := range cases {
		req = append(req, [2]string{c.kind, c.in})
	}
	body, _ := json.Marshal(req)
	cmd := exec.Command(py, "testdata/pieces.py")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pieces.py: %v", err)
	}
	var res []struct {
		OK  json.RawMessage `json:"ok"`
		Err *string         `json:"err"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if len(res) != len(cases) {
		t.Fatalf("%d results for %d cases", len(res), len(cases))
	}
	fails := 0
	for i, c := range cases {
		got, gerr := piece(c.kind, c.in)
		r := res[i]
		var msg string
		switch {
		case r.Err != nil && gerr == nil:
			msg = fmt.Sprintf("python fails (%s), superd gives %#v", *r.Err, got)
		case r.Err == nil && gerr != nil:
			if c.kind == "format" && strings.Contains(gerr.Error(), "without a (name)") {
				continue // documented difference
			}
			msg = fmt.Sprintf("python gives %s, superd fails: %v", r.OK, gerr)
		case r.Err != nil:
			_, pmsg, _ := strings.Cut(*r.Err, ": ")
			if c.kind == "ini" || c.kind == "exitcodes" && strings.HasPrefix(*r.Err, "ValueError") {
				// messages differ only in the file name / are wrapped
				if c.kind == "ini" {
					continue
				}
			}
			if strings.HasPrefix(*r.Err, "KeyError") {
				pmsg = strings.TrimPrefix(*r.Err, "KeyError: KeyError ")
			}
			if gerr.Error() != pmsg {
				msg = fmt.Sprintf("error text: python %q, superd %q", pmsg, gerr.Error())
			}
		default:
			gj, _ := json.Marshal(got)
			var a, b any
			json.Unmarshal(gj, &a)
			json.Unmarshal(r.OK, &b)
			if !reflect.DeepEqual(a, b) {
				msg = fmt.Sprintf("python %s, superd %s", r.OK, gj)
			}
		}
		if msg != "" {
			fails++
			if fails <= 25 {
				t.Errorf("%s %q: %s", c.kind, c.in, msg)
			}
		}
	}
	if fails > 25 {
		t.Errorf("... %d mismatches in all", fails)
	}
}
