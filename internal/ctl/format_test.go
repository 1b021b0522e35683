package ctl

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/superd/superd/pkg/rpc"
)

// The goldens below were captured from supervisorctl 4.2.5.

func TestFormatStatuses(t *testing.T) {
	infos := []rpc.ProcessInfo{
		{Name: "echo", Group: "echo", StateName: "RUNNING", Description: "pid 6801, uptime 0:00:02"},
		{Name: "a", Group: "grp", StateName: "RUNNING", Description: "pid 6802, uptime 0:00:02"},
		{Name: "b", Group: "grp", StateName: "STOPPED", Description: "Not started"},
	}
	want := []string{
		"echo                             RUNNING   pid 6801, uptime 0:00:02",
		"grp:a                            RUNNING   pid 6802, uptime 0:00:02",
		"grp:b                            STOPPED   Not started",
	}
	if got := formatStatuses(infos); !slices.Equal(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	// A namespec longer than 30 widens the column to len+3.
	infos = append(infos, rpc.ProcessInfo{Name: "a_program_with_a_very_long_name_indeed", Group: "a_program_with_a_very_long_name_indeed", StateName: "FATAL", Description: "Exited too quickly (process log may have details)"})
	got := formatStatuses(infos)
	want = []string{
		"echo                                     RUNNING   pid 6801, uptime 0:00:02",
		"grp:a                                    RUNNING   pid 6802, uptime 0:00:02",
		"grp:b                                    STOPPED   Not started",
		"a_program_with_a_very_long_name_indeed   FATAL     Exited too quickly (process log may have details)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	// A state name longer than 10 is not truncated.
	if got := formatStatuses([]rpc.ProcessInfo{{Name: "x", Group: "x", StateName: "VERYLONGSTATE", Description: "d"}}); got[0] != "x"+strings.Repeat(" ", 32)+"VERYLONGSTATEd" {
		t.Errorf("got %q", got[0])
	}
}

func TestFormatConfigInfo(t *testing.T) {
	for _, tc := range []struct {
		ci   rpc.ConfigInfo
		want string
	}{
		{rpc.ConfigInfo{Name: "a", Group: "grp", InUse: true, Autostart: true, GroupPrio: 999, ProcessPrio: 999}, "grp:a                            in use    auto      999:999"},
		{rpc.ConfigInfo{Name: "manual", Group: "manual", InUse: true, GroupPrio: 999, ProcessPrio: 999}, "manual                           in use    manual    999:999"},
		{rpc.ConfigInfo{Name: "new", Group: "new", Autostart: true, GroupPrio: 5, ProcessPrio: -1}, "new                              avail     auto      5:-1"},
	} {
		if got := formatConfigInfo(tc.ci); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestFormatChanges(t *testing.T) {
	if got := formatChanges(nil, nil, nil); !slices.Equal(got, []string{"No config updates to processes"}) {
		t.Errorf("got %q", got)
	}
	got := formatChanges([]string{"newprog"}, []string{"sleeper"}, []string{"manual"})
	want := []string{"manual: disappeared", "newprog: available", "sleeper: changed"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// helpGolden is `supervisorctl help` with a [ctlplugin:superd] whose
// commands are jobs, logs, scale and top (supervisorctl 4.2.5 printed
// it): supervisorctl's own block unchanged, then the plugin's.
const helpGolden = `
default commands (type help <topic>):
=====================================
add    exit      open  reload  restart   start   tail   
avail  fg        pid   remove  shutdown  status  update 
clear  maintail  quit  reread  signal    stop    version


superd commands (type help <topic>):
====================================
jobs  logs  scale  top

`

func TestHelpGrid(t *testing.T) {
	var out bytes.Buffer
	c := &controller{opts: &options{}, out: &out}
	c.onecmd(context.Background(), "help")
	if out.String() != helpGolden {
		t.Errorf("got\n%q\nwant\n%q", out.String(), helpGolden)
	}
}

func TestColumnize(t *testing.T) {
	for _, tc := range []struct {
		list  []string
		width int
		want  string
	}{
		{nil, 79, "<empty>\n"},
		{[]string{"one"}, 79, "one\n"},
		{[]string{"a", "bb", "c"}, 79, "a  bb  c\n"},
		{[]string{"aaaa", "bbbb", "cccc"}, 10, "aaaa  cccc\nbbbb\n"},
		{[]string{"aaaaaaaaaaaa", "b"}, 5, "aaaaaaaaaaaa\nb\n"},
	} {
		if got := columnize(tc.list, tc.width); got != tc.want {
			t.Errorf("columnize(%q, %d) = %q, want %q", tc.list, tc.width, got, tc.want)
		}
	}
}

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		line, cmd, arg, rest string
		ok                   bool
	}{
		{"  status  a b ", "status", "a b", "status  a b", true},
		{"?", "help", "", "help ", true},
		{"?start", "help", "start", "help start", true},
		{"start-x", "start", "-x", "start-x", true},
		{"status;", "status", ";", "status;", true},
		{"!ls", "", "", "!ls", false},
		{"", "", "", "", false},
		{":x", "", ":x", ":x", true},
	} {
		cmd, arg, rest, ok := parseLine(tc.line)
		if cmd != tc.cmd || arg != tc.arg || rest != tc.rest || ok != tc.ok {
			t.Errorf("parseLine(%q) = %q %q %q %v", tc.line, cmd, arg, rest, ok)
		}
	}
}

func TestNamespec(t *testing.T) {
	for _, tc := range []struct {
		in, group, process string
		has                bool
		spec               string
	}{
		{"a", "a", "a", true, "a"},
		{"g:a", "g", "a", true, "g:a"},
		{"g:*", "g", "", false, "g:None"},
		{"g:", "g", "", false, "g:None"},
		{"g:a:b", "g", "a:b", true, "g:a:b"},
	} {
		g, p, has := splitNamespec(tc.in)
		if g != tc.group || p != tc.process || has != tc.has {
			t.Errorf("splitNamespec(%q) = %q %q %v", tc.in, g, p, has)
		}
		if spec := makeNamespec(g, p, has); spec != tc.spec {
			t.Errorf("makeNamespec(%q) = %q, want %q", tc.in, spec, tc.spec)
		}
	}
}

func TestGetopt(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		opts    [][2]string
		rest    []string
		wantErr string
	}{
		{[]string{"-c", "f", "status", "-s", "x"}, [][2]string{{"-c", "f"}}, []string{"status", "-s", "x"}, ""},
		{[]string{"-cf", "-iu", "bob"}, [][2]string{{"-c", "f"}, {"-i", ""}, {"-u", "bob"}}, nil, ""},
		{[]string{"--serv=u", "--", "-i"}, [][2]string{{"--serverurl", "u"}}, []string{"-i"}, ""},
		{[]string{"--history_file", "h", "-"}, [][2]string{{"--history_file", "h"}}, []string{"-"}, ""},
		{[]string{"-z"}, nil, nil, "option -z not recognized"},
		{[]string{"--foo"}, nil, nil, "option --foo not recognized"},
		{[]string{"-c"}, nil, nil, "option -c requires argument"},
		{[]string{"--configuration"}, nil, nil, "option --configuration requires argument"},
		{[]string{"--help=x"}, nil, nil, "option --help must not have an argument"},
	} {
		opts, rest, err := getopt(tc.args)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("getopt(%q) err = %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(opts, tc.opts) || !slices.Equal(rest, tc.rest) {
			t.Errorf("getopt(%q) = %q %q %v", tc.args, opts, rest, err)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for in, ok := range map[string]bool{
		"unix:///tmp/s.sock": true, "http://localhost:9001": true, "localhost:9001": true,
		"foo": false, "http://": false, "unix:": false, "1http://x": false,
	} {
		_, err := checkURL(in)
		if (err == nil) != ok {
			t.Errorf("checkURL(%q) err = %v", in, err)
		}
	}
	if _, err := checkURL("foo"); err == nil || err.Error() != "value 'foo' is not a URL" {
		t.Errorf("err = %v", err)
	}
}

func TestPyRepr(t *testing.T) {
	for in, want := range map[string]string{"a": "'a'", "it's": `"it's"`, "a\nb": `'a\nb'`, `x'"`: `'x\'"'`} {
		if got := pyRepr(in); got != want {
			t.Errorf("pyRepr(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseINI(t *testing.T) {
	data := "; comment\n[DEFAULT]\nprompt = dflt\n[supervisorctl]\nServerURL = unix:///a.sock ; comment\n" +
		"username=bob;notacomment\npassword: p#w # c\nhistory_file=\n   %(here)s/h\n\n[supervisorctl]\nusername=alice\n"
	f, err := parseINI("x.conf", data)
	if err != nil {
		t.Fatal(err)
	}
	for opt, want := range map[string]string{
		"serverurl": "unix:///a.sock", "username": "alice", "password": "p#w",
		"history_file": "\n%(here)s/h", "prompt": "dflt",
	} {
		if got, _ := f.Get("supervisorctl", opt); got != want {
			t.Errorf("%s = %q, want %q", opt, got, want)
		}
	}
	if _, err := parseINI("x.conf", "garbage\n"); err == nil || !strings.HasPrefix(err.Error(), "File contains no section headers.") {
		t.Errorf("err = %v", err)
	}
	if _, err := parseINI("x.conf", "[a]\nnot a kv\n"); err == nil || err.Error() != "Source contains parsing errors: 'x.conf'\n\t[line  2]: 'not a kv\\n'" {
		t.Errorf("err = %v", err)
	}
}

func TestReadCtlConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("CTLTEST", "v")
	sec, err := readCtlConfig(write("a.conf", "[supervisorctl]\nserverurl=unix://%(here)s/../x/s.sock\nprompt=%(ENV_CTLTEST)s\nhistory_file=%(here)s/hist\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "unix://" + filepath.Join(filepath.Dir(dir), "x", "s.sock"); sec.serverURL != want || sec.prompt != "v" || sec.historyFile != filepath.Join(dir, "hist") {
		t.Errorf("got %+v, want url %s", sec, want)
	}
	// No [supervisorctl]: derived from [unix_http_server].
	sec, err = readCtlConfig(write("b.conf", "[unix_http_server]\nfile=%(here)s/s.sock\n"))
	if err != nil || sec.serverURL != "unix://"+filepath.Join(dir, "s.sock") || sec.prompt != "supervisor" {
		t.Errorf("got %+v, %v", sec, err)
	}
	sec, err = readCtlConfig(write("c.conf", "[inet_http_server]\nport=*:9100\n[supervisorctl]\n"))
	if err != nil || sec.serverURL != "http://localhost:9100" {
		t.Errorf("got %+v, %v", sec, err)
	}
	sec, err = readCtlConfig(write("d.conf", "[supervisorctl]\n"))
	if err != nil || sec.serverURL != "http://localhost:9001" {
		t.Errorf("got %+v, %v", sec, err)
	}
	sec, err = readCtlConfig(write("e.conf", "[program:x]\n"))
	if err != nil || sec.serverURL != "" {
		t.Errorf("got %+v, %v", sec, err)
	}
	if _, err := readCtlConfig(write("f.conf", "[supervisorctl]\nserverurl=%(nope)s\n")); err == nil || !strings.Contains(err.Error(), "contains names ('nope') which cannot be expanded") {
		t.Errorf("err = %v", err)
	}
	if _, err := readCtlConfig(filepath.Join(dir, "missing.conf")); err == nil || err.Error() != "could not find config file "+filepath.Join(dir, "missing.conf") {
		t.Errorf("err = %v", err)
	}
}

func TestDefaultServerURL(t *testing.T) {
	u := defaultServerURL()
	if os.Geteuid() == 0 {
		if u != "unix:///run/superd.sock" {
			t.Errorf("root default = %q", u)
		}
		return
	}
	dir := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", dir)
	if u := defaultServerURL(); u != "unix://"+dir+"/superd.sock" {
		t.Errorf("got %q", u)
	}
}

func TestComplete(t *testing.T) {
	c := &controller{opts: &options{}, completeInfo: []rpc.ProcessInfo{
		{Name: "sleeper", Group: "sleeper"}, {Name: "a", Group: "grp"}, {Name: "b", Group: "grp"},
	}}
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"", vocabWithSpace()},
		{"sta", []string{"start ", "status "}},
		{"start ", []string{"sleeper ", "grp:a ", "grp:* ", "grp:b "}},
		{"start g", []string{"grp:a ", "grp:* ", "grp:b "}},
		{"start grp:", []string{"grp:a ", "grp:* ", "grp:b "}},
		{"stop sl", []string{"sleeper "}},
		{"update g", []string{"grp "}},
		{"help st", []string{"start ", "status ", "stop "}},
		{"version x", nil},
	} {
		head, got, tail := c.complete(tc.line, len(tc.line))
		if !slices.Equal(got, tc.want) || head+strings.TrimSpace(tc.line[len(head):]) != tc.line || tail != "" {
			t.Errorf("complete(%q) = %q %q %q, want %q", tc.line, head, got, tail, tc.want)
		}
	}
}

func vocabWithSpace() []string {
	var out []string
	for _, v := range vocab() {
		out = append(out, v+" ")
	}
	return out
}

func TestJSONFlag(t *testing.T) {
	if arg, ok := jsonFlag("a --json b"); !ok || arg != "a b" {
		t.Errorf("got %q %v", arg, ok)
	}
	if arg, ok := jsonFlag("a b"); ok || arg != "a b" {
		t.Errorf("got %q %v", arg, ok)
	}
}

// TestDeps asserts superctl links neither the process manager nor
// os/exec: it only talks to the daemon over RPC.
func TestDeps(t *testing.T) {
	out, err := exec.Command(goTool(), "list", "-deps", "github.com/superd/superd/cmd/superctl").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/superd/superd/pkg/rpc") {
		t.Fatalf("go list output looks wrong: %q", deps)
	}
	for _, bad := range []string{"os/exec", "github.com/superd/superd/pkg/process"} {
		if slices.Contains(deps, bad) {
			t.Errorf("superctl depends on %s", bad)
		}
	}
}
