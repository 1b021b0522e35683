package export

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/superd/superd/pkg/config"
)

const nasty = "ab /\\\"'`$%;#&|*?~{}()<>=,:@+-!\t\x01é"

func randomArgv(r *rand.Rand) []string {
	argv := []string{"/bin/x" + strings.Trim(randomWord(r), "\x00")}
	switch r.Intn(4) {
	case 0:
		argv[0] = "x"
	case 1:
		argv[0] = "-x@" + argv[0]
	}
	for n := r.Intn(5); n >= 0; n-- {
		argv = append(argv, randomWord(r))
	}
	return argv
}

func randomWord(r *rand.Rand) string {
	var b strings.Builder
	rs := []rune(nasty)
	for k := r.Intn(8); k > 0; k-- {
		b.WriteRune(rs[r.Intn(len(rs))])
	}
	return b.String()
}

// Words quoted for systemd read back the same through the importer's
// reading of ExecStart= (quotes, C escapes, $$, %%), and words written
// for supervisord read back the same through superd's config loader.
func TestQuotingRoundTrips(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		argv := randomArgv(r)
		u := newUnit()
		u.add("Service", "ExecStart", systemdCommand(argv))
		back, err := parseUnit(u.bytes())
		if err != nil {
			t.Fatalf("%q: %v", argv, err)
		}
		su := &systemdUnit{name: "x.service", stem: "x", u: back, used: map[string]bool{}}
		sec := &confSection{values: map[string]string{}}
		got, ok := execArgv(su, back.value("Service", "ExecStart"), nil, sec)
		if !ok || !reflect.DeepEqual(got, argv) {
			t.Fatalf("systemd: %q -> %q -> %q (%v)", argv, systemdCommand(argv), got, sec.comments)
		}

		v, err := confCommand(argv)
		if err != nil {
			t.Fatalf("%q: %v", argv, err)
		}
		cfg, err := config.Parse("x.conf", []byte("[supervisord]\n[program:x]\ncommand = "+v+"\n"))
		if err != nil {
			t.Fatalf("supervisord: %q -> %s: %v", argv, v, err)
		}
		if got := cfg.Groups[0].Processes[0].Argv; !reflect.DeepEqual(got, argv) {
			t.Fatalf("supervisord: %q -> %s -> %q", argv, v, got)
		}
	}
}

// ini.v1 in systemd's dialect: repeated keys stay in order (duplicates
// and empty resets too), continuation lines join with a space, no
// inline comments, quotes are kept.
func TestUnitDialect(t *testing.T) {
	u, err := parseUnit([]byte(`[Service]
Environment=A=1 "B=two words"
ExecStartPre=/bin/true
ExecStartPre=/bin/true
Environment=
Environment=C=3 ; not a comment
ExecStart=/bin/echo \
  # a comment line inside the continuation
  one \
  two
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := u.values("Service", "Environment"); !reflect.DeepEqual(got, []string{"C=3 ; not a comment"}) {
		t.Errorf("Environment: %q", got)
	}
	if got := u.values("Service", "ExecStartPre"); len(got) != 2 {
		t.Errorf("ExecStartPre: %q", got)
	}
	if got := u.value("Service", "ExecStart"); strings.Join(strings.Fields(got), " ") != "/bin/echo one two" {
		t.Errorf("ExecStart: %q", got)
	}
	w := newUnit()
	w.add("Service", "Environment", `"A=x y"`)
	w.add("Service", "Environment", `"B=z"`)
	if got, want := string(w.bytes()), "[Service]\nEnvironment=\"A=x y\"\nEnvironment=\"B=z\"\n"; got != want {
		t.Errorf("written:\n%s\nwant:\n%s", got, want)
	}
}
