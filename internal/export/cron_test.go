package export

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/schedule"
)

func TestCronGolden(t *testing.T) {
	goldenExport(t, "cron", Cron, Options{}, func(t *testing.T, res *Result) {
		if msg, err := Check("cron", res.Files); err != nil {
			t.Errorf("%v\n%s", err, msg)
		}
	})
}

// export cron, then import cron: every job cron can express comes back
// with the same name, fire times, user, directory, environment,
// command and mailto.
func TestCronRoundTrip(t *testing.T) {
	a := readArchive(t, filepath.Join("testdata", "cron", "jobs.txtar"))
	dir := a.inputs(t)
	orig, err := config.Load(filepath.Join(dir, "superd.conf"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Cron(orig, Options{})
	if err != nil {
		t.Fatal(err)
	}
	conf, err := importCron([]input{{Path: "superd", Data: res.Files[0].Data}}, importOptions{})
	if err != nil {
		t.Fatal(err)
	}
	text := conf.String(false)
	p := filepath.Join(dir, "imported.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := config.Load(p)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	type cronJob struct {
		Next              []time.Time
		User, Dir, Mailto string
		Argv              []string
		Env               map[string]string
	}
	of := func(cfg *config.Config, j *config.Job) cronJob {
		s, err := schedule.Parse(j.ScheduleKind, j.ScheduleText, j.Location)
		if err != nil {
			t.Fatal(err)
		}
		c := cronJob{Next: schedule.NextN(s, time.Date(2026, 6, 3, 10, 17, 23, 0, time.UTC), 30),
			User: j.Process.User, Dir: j.Process.Directory, Mailto: j.Mailto, Argv: j.Process.Argv, Env: map[string]string{}}
		if c.User == "" {
			c.User = "root"
		}
		if c.Dir == "" {
			c.Dir = homeOf(c.User) // where cron runs a command
		}
		for _, e := range environment(cfg, j.Process) {
			c.Env[e.Key] = e.Value
		}
		return c
	}
	n := 0
	for _, j := range orig.Jobs {
		if _, err := jobCronLines(j); err != nil || !j.Enabled {
			if back.Job(j.Name) != nil {
				t.Errorf("%s: not exportable, yet imported", j.Name)
			}
			continue
		}
		n++
		b := back.Job(j.Name)
		if b == nil {
			t.Errorf("%s: missing after the round trip\n%s", j.Name, text)
			continue
		}
		if w, g := of(orig, j), of(back, b); !reflect.DeepEqual(w, g) {
			t.Errorf("%s:\n got %+v\nwant %+v", j.Name, g, w)
		}
	}
	if n < 4 || len(back.Jobs) != n {
		t.Errorf("%d jobs exported, %d imported", n, len(back.Jobs))
	}
}
