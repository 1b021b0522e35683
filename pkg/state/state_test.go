package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestOpenCreatesDir0700(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", "state")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %v, want 0700", fi.Mode().Perm())
	}
	if s.Path() != filepath.Join(dir, FileName) {
		t.Errorf("path %s", s.Path())
	}
}

func TestOpenLocked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// bbolt's flock is per open file description, so a second Open in
	// the same process conflicts as another process would.
	if s2, err := Open(dir); !errors.Is(err, ErrLocked) {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
}

func TestDefaultDir(t *testing.T) {
	if os.Geteuid() == 0 {
		if got := DefaultDir(); got != "/var/lib/superd" {
			t.Errorf("root: %s", got)
		}
		return
	}
	t.Setenv("XDG_STATE_HOME", "/x/state")
	if got := DefaultDir(); got != "/x/state/superd" {
		t.Errorf("xdg: %s", got)
	}
}

func TestJobsPersist(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := false
	if err := s.PutJob("a", JobRecord{Override: "interval 10", Enabled: &f}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHold(true); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 130 {
		run := Run{Start: t0.Add(time.Duration(i) * time.Second), Result: "ok", ExitStatus: i}
		if err := s.RecordRun("a", JobRecord{Override: "interval 10", Enabled: &f, Runs: i + 1}, run); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	js, err := s.LoadJobs()
	if err != nil {
		t.Fatal(err)
	}
	if !js.Held {
		t.Error("hold lost")
	}
	r := js.Records["a"]
	if r.Override != "interval 10" || r.Enabled == nil || *r.Enabled || r.Runs != 130 {
		t.Errorf("record %+v", r)
	}
	h, err := s.History("a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != HistoryLimit {
		t.Fatalf("history len %d, want %d", len(h), HistoryLimit)
	}
	if h[0].ExitStatus != 129 || h[len(h)-1].ExitStatus != 30 {
		t.Errorf("history order: newest %d oldest %d", h[0].ExitStatus, h[len(h)-1].ExitStatus)
	}
	h, _ = s.History("a", 3)
	if len(h) != 3 || h[2].ExitStatus != 127 {
		t.Errorf("limited history %+v", h)
	}
	if h, _ := s.History("nope", 5); len(h) != 0 {
		t.Errorf("unknown job history %v", h)
	}
}

func TestPruneJobs(t *testing.T) {
	t.Parallel()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []string{"keep", "gone", "back"} {
		if err := s.RecordRun(n, JobRecord{Runs: 1}, Run{Start: t0, Result: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PruneJobs(map[string]bool{"keep": true}, t0); err != nil {
		t.Fatal(err)
	}
	js, _ := s.LoadJobs()
	if !js.Records["gone"].Removed.Equal(t0) || !js.Records["keep"].Removed.IsZero() {
		t.Fatalf("marks: %+v", js.Records)
	}
	// back returns; gone stays away past the retention.
	later := t0.Add(RemovedRetention + time.Hour)
	if err := s.PruneJobs(map[string]bool{"keep": true, "back": true}, later); err != nil {
		t.Fatal(err)
	}
	js, _ = s.LoadJobs()
	if _, ok := js.Records["gone"]; ok {
		t.Error("gone not deleted after retention")
	}
	if h, _ := s.History("gone", 0); len(h) != 0 {
		t.Error("gone's history kept")
	}
	if r, ok := js.Records["back"]; !ok || !r.Removed.IsZero() {
		t.Errorf("back: %+v %v", r, ok)
	}
	if h, _ := s.History("back", 0); len(h) != 1 {
		t.Error("back's history lost")
	}
}

func TestGenericBucket(t *testing.T) {
	t.Parallel()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A View on a store without the bucket reads nothing, fails nothing.
	if err := s.View(func(tx *Tx) error {
		b, err := tx.Bucket("web")
		if err != nil {
			return err
		}
		var v int
		if found, err := b.GetJSON("x", &v); found || err != nil {
			t.Errorf("found %v err %v", found, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(tx *Tx) error {
		b, _ := tx.Bucket("web")
		sub, _ := b.Bucket("sessions")
		return sub.PutJSON("x", 42)
	}); err != nil {
		t.Fatal(err)
	}
	// A failed Update rolls back.
	boom := errors.New("boom")
	if err := s.Update(func(tx *Tx) error {
		b, _ := tx.Bucket("web")
		sub, _ := b.Bucket("sessions")
		sub.PutJSON("x", 43)
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	s.View(func(tx *Tx) error {
		b, _ := tx.Bucket("web")
		sub, _ := b.Bucket("sessions")
		var v int
		sub.GetJSON("x", &v)
		if v != 42 {
			t.Errorf("x = %d after rollback, want 42", v)
		}
		return nil
	})
}
