package export

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/schedule"
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
	// lifecycle
	Deps         []string
	ReadyNotify  bool
	ReadyTimeout time.Duration
	RestartDelay time.Duration
	Forever      bool
	EnvFiles     []config.EnvFile
	Listen       []string // url name backlog mode reuseport
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
	m.Deps = p.Deps
	if p.Ready != nil && p.Ready.Kind == "notify" {
		m.ReadyNotify, m.ReadyTimeout = true, p.ReadyTimeout
	}
	m.RestartDelay, m.Forever, m.EnvFiles = p.RestartDelay, p.StartRetriesForever, p.EnvFiles
	if g := cfg.Group(p.Group); g != nil && g.Processes[0] != p {
		// a pool's sockets come back on its first process only
		// (import systemd says so)
		return m
	}
	for _, l := range p.Listen {
		mode := ""
		if l.Mode != nil {
			mode = l.Mode.String()
		}
		m.Listen = append(m.Listen, fmt.Sprintf("%s %s %d %s %v", l.URL, l.Name, l.Backlog, mode, p.ListenReusePort))
	}
	if m.Forever {
		m.StartSecs, m.StartRetries = 0, 0 // no start limit at all
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
			if len(orig.Jobs) != len(back.Jobs) {
				t.Fatalf("%d jobs, want %d\n%s", len(back.Jobs), len(orig.Jobs), text)
			}
			for _, j := range orig.Jobs {
				b := back.Job(j.Name)
				if b == nil {
					t.Errorf("job %s: missing\n%s", j.Name, text)
					continue
				}
				w, g := jobMappedOf(t, orig, j), jobMappedOf(t, back, b)
				if !reflect.DeepEqual(w, g) {
					t.Errorf("job %s:\n got %+v\nwant %+v", j.Name, g, w)
				}
			}
		})
	}
}

// jobMapped is what export systemd carries over for a job.
type jobMapped struct {
	Process  mapped
	Next     []time.Time // the next fire times, whatever the form
	Catchup  bool
	Jitter   time.Duration
	Timeout  time.Duration
	Enabled  bool
	Requires []string
	Success  []int // exitcodes and skip_exitcodes: both are success to systemd
}

func jobMappedOf(t *testing.T, cfg *config.Config, j *config.Job) jobMapped {
	t.Helper()
	p := *j.Process
	p.ExitCodes = append(append([]int(nil), p.ExitCodes...), j.SkipExitCodes...)
	p.Autostart, p.Autorestart, p.StartSecs, p.StartRetries = false, config.AutorestartFalse, 0, 0
	m := jobMapped{Process: mappedOf(cfg, &p), Catchup: j.Catchup, Jitter: j.Jitter, Timeout: j.Timeout,
		Enabled: j.Enabled, Requires: j.Requires}
	m.Success, m.Process.ExitCodes = m.Process.ExitCodes, nil
	if _, ok := jobInterval(j); ok {
		if _, err := jobCalendar(j); err != nil {
			m.Catchup = false // Persistent= needs OnCalendar=
		}
	}
	s, err := schedule.Parse(j.ScheduleKind, j.ScheduleText, j.Location)
	if err != nil {
		t.Fatalf("job %s: %v", j.Name, err)
	}
	m.Next = schedule.NextN(s, time.Date(2026, 3, 27, 22, 0, 0, 0, time.UTC), 40)
	return m
}
