package export

import (
	"strings"
	"testing"

	"github.com/superd/superd/pkg/config"
)

// The importers read whatever a user gives them: they may refuse it,
// never panic, and what they print must load (superd check) unless
// they said it will not.

func FuzzImportCron(f *testing.F) {
	for _, s := range []string{
		"MAILTO=a@b\n*/5 * * * * cmd arg\n",
		"@reboot cd /x && A=1 exec y\n",
		"0 3 1,15 * mon-fri root /bin/x %in%put\\%\n",
		"CRON_TZ=Europe/Brussels\nRANDOM_DELAY=3\n0 0 * * * 'q' \"d\" `b`\n",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, text string, system bool) {
		conf, err := importCron([]input{{Path: "crontab", Data: []byte(text)}}, importOptions{System: system})
		if err != nil {
			return
		}
		loads(t, conf)
	})
}

func FuzzImportSystemd(f *testing.F) {
	for _, s := range []string{
		"[Service]\nExecStart=/bin/x \"a b\" $V ${W} %h\nEnvironment=V=1 \"W=2 3\"\nRestart=always\n",
		"[Unit]\nStartLimitBurst=3\nStartLimitIntervalSec=1min\n[Service]\nExecStart=-@/bin/x y\\\n z\nKillSignal=SIGINT\n",
		"[Timer]\nOnCalendar=Mon..Fri *-*-1,15 09:00\nOnCalendar=*-*-* 08,20:00:15 UTC\nPersistent=yes\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, name := range []string{"x.service", "x.timer"} {
			ins := []input{{Path: name, Data: []byte(text)}}
			if name == "x.timer" {
				ins = append(ins, input{Path: "x.service", Data: []byte("[Service]\nExecStart=/bin/true\n")})
			}
			conf, err := importSystemd(ins)
			if err != nil {
				continue
			}
			loads(t, conf)
		}
	})
}

func FuzzSplitSystemd(f *testing.F) {
	f.Add(`a "b c" 'd' \x41 \; \u00e9`)
	f.Fuzz(func(t *testing.T, s string) {
		words, err := splitSystemd(s)
		if err != nil {
			return
		}
		again, err := splitSystemd(systemdCommandWords(words))
		if err != nil || len(again) != len(words) {
			t.Fatalf("%q -> %q -> %q (%v)", s, words, again, err)
		}
		for i := range words {
			if again[i] != words[i] {
				t.Fatalf("%q -> %q -> %q", s, words, again)
			}
		}
	})
}

// systemdCommandWords quotes words as arguments, without the $ and %
// doubling (splitSystemd leaves variables and specifiers to the caller).
func systemdCommandWords(words []string) string {
	out := ""
	for i, w := range words {
		if i > 0 {
			out += " "
		}
		if w == ";" {
			out += `\;`
			continue
		}
		out += `"` + strings.ReplaceAll(systemdEscape(w, false), "%%", "%") + `"`
	}
	return out
}

// loads fails the test if a config the importer printed does not load,
// unless a section was left out (commented) or a note says why.
func loads(t *testing.T, conf *confFile) {
	t.Helper()
	text := conf.String(false)
	if _, err := config.Parse("imported.conf", []byte(text)); err != nil {
		for _, s := range conf.sections {
			if len(s.comments) > 0 {
				return // the importer said what it could not map
			}
		}
		t.Fatalf("the import does not load: %v\n%s", err, text)
	}
}
