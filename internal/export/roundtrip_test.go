package export

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/superd/superd/pkg/config"
)

// mapped is what export systemd carries over for one process, in a
// form that compares equal across a round trip.
type mapped struct {
	Argv                    []string
	Directory, User         string
	Umask                   string
	Env                     map[string]string
	Autostart               bool
	Autorestart             config.Autorestart
	ExitCodes               []int
	StartSecs, StartRetries int
	StopSignal              string
	StopWaitSecs            int
	StopAsGroup             bool
	KillAsGroup             bool
	RedirectStderr          bool
	Stdout, Stderr          string
}

func mappedOf(cfg *config.Config, p *config.Process) mapped {
	m := mapped{
		Argv: append([]string(nil), p.Argv...), User: p.User,
		Env: map[string]string{}, Autostart: p.Autostart, Autorestart: p.Autorestart,
		StartSecs: p.StartSecs, StartRetries: p.StartRetries, StopSignal: p.StopSignalName,
		StopWaitSecs: p.StopWaitSecs, StopAsGroup: p.StopAsGroup, KillAsGroup: p.KillAsGroup || p.StopAsGroup,
		RedirectStderr: p.RedirectStderr, Stdout: p.Stdout.File,
	}
	if abs, err := lookPath(m.Argv[0], cfg, p); err == nil && !filepath.IsAbs(m.Argv[0]) {
		m.Argv[0] = abs
	}
	m.Argv[0] = filepath.Clean(m.Argv[0])
	if p.Directory != "" {
		m.Directory = filepath.Clean(p.Directory)
	}
	if p.Umask != nil {
		m.Umask = p.Umask.String()
	}
	for _, e := range environment(cfg, p) {
		if systemdEnvKey.MatchString(e.Key) {
			m.Env[e.Key] = e.Value
		}
	}
	m.ExitCodes = append([]int(nil), p.ExitCodes...)
	if p.Autorestart != config.AutorestartUnexpected && !slices.Contains(m.ExitCodes, 0) {
		// 0 is always a success for systemd: only a restart policy
		// (RestartForceExitStatus=0) can say otherwise
		m.ExitCodes = append(m.ExitCodes, 0)
	}
	sort.Ints(m.ExitCodes)
	if p.StartSecs == 0 {
		m.StartRetries = 0 // no start limit either way
	}
	if !p.RedirectStderr {
		m.Stderr = p.Stderr.File
	}
	for _, f := range []*string{&m.Stdout, &m.Stderr} {
		if filepath.IsAbs(*f) {
			*f = filepath.Clean(*f)
		}
	}
	return m
}

func processes(cfg *config.Config) map[string]*config.Process {
	out := map[string]*config.Process{}
	for _, g := range cfg.Groups {
		if g.Kind != config.KindProgram {
			continue
		}
		for _, p := range g.Processes {
			out[p.Namespec()] = p
		}
	}
	return out
}

// export systemd, then import systemd of the units, gives back the
// same programs (by namespec: groups survive as targets) with the same
// value of every option that maps.
func TestSystemdRoundTrip(t *testing.T) {
	confs := map[string]func(t *testing.T) string{
		"example": func(*testing.T) string { return "../../conf.d.example/superd.conf" },
	}
	paths, _ := filepath.Glob(filepath.Join("testdata", "systemd", "*.txtar"))
	for _, p := range paths {
		p := p
		confs[filepath.Base(p)] = func(t *testing.T) string {
			return filepath.Join(readArchive(t, p).inputs(t), "superd.conf")
		}
	}
	for name, conf := range confs {
		t.Run(name, func(t *testing.T) {
			orig, err := config.Load(conf(t))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Systemd(orig, Options{})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			var inputs []input
			for _, f := range res.Files {
				p := filepath.Join(dir, f.Name)
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				inputs = append(inputs, input{Path: p, Data: f.Data})
			}
			conf, err := importSystemd(inputs)
			if err != nil {
				t.Fatal(err)
			}
			text := conf.String(false)
			back, err := config.Parse(filepath.Join(dir, "imported.conf"), []byte(text))
			if err != nil {
				t.Fatalf("the import does not load: %v\n%s", err, text)
			}
			want, got := processes(orig), processes(back)
			var wn, gn []string
			for k := range want {
				wn = append(wn, k)
			}
			for k := range got {
				gn = append(gn, k)
			}
			sort.Strings(wn)
			sort.Strings(gn)
			if !reflect.DeepEqual(wn, gn) {
				t.Fatalf("processes: got %v, want %v\n%s", gn, wn, text)
			}
			for _, n := range wn {
				w, g := mappedOf(orig, want[n]), mappedOf(back, got[n])
				if !reflect.DeepEqual(w, g) {
					t.Errorf("%s:\n got %s\nwant %s", n, fmt.Sprintf("%+v", g), fmt.Sprintf("%+v", w))
				}
			}
		})
	}
}
