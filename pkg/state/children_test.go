package state

import (
	"os"
	"testing"
)

func TestChildren(t *testing.T) {
	t.Parallel()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.UpdateChildren([]Child{{Name: "a", PID: 10, Start: 5}, {Name: "b", PID: 300, Start: 6}, {Name: "c", PID: 7}}, []int{7}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Children()
	if err != nil || len(got) != 2 || got[0].Name != "a" || got[1].PID != 300 || got[1].Start != 6 {
		t.Fatalf("Children() = %+v, %v", got, err)
	}
	// A record that does not decode is reported; the others are kept.
	if err := s.Update(func(tx *Tx) error {
		b, _ := tx.Bucket(BucketChildren)
		return b.Put(childKey(55), []byte("{"))
	}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Children()
	if err == nil || len(got) != 2 {
		t.Fatalf("with a bad record: %+v, %v", got, err)
	}
	if err := s.ClearChildren(); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Children(); err != nil || len(got) != 0 {
		t.Fatalf("after ClearChildren: %+v, %v", got, err)
	}
	if err := s.ClearChildren(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkChildCommit measures one commit (with its fsync) per spawn
// record, what recording each spawn synchronously would cost; set
// STATE_BENCH_DIR to a directory on a real disk (t.TempDir may be a
// tmpfs). BenchmarkChildBatch is 1000 records in one commit.
func BenchmarkChildCommit(b *testing.B) {
	s := benchStore(b)
	for i := 0; i < b.N; i++ {
		if err := s.UpdateChildren([]Child{{Name: "x", PID: i + 2, Start: 1}}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChildBatch1000(b *testing.B) {
	s := benchStore(b)
	cs := make([]Child, 1000)
	for i := range cs {
		cs[i] = Child{Name: "x", PID: i + 2, Start: 1}
	}
	for i := 0; i < b.N; i++ {
		if err := s.UpdateChildren(cs, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func benchStore(b *testing.B) *Store {
	dir := os.Getenv("STATE_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else {
		var err error
		if dir, err = os.MkdirTemp(dir, "bench"); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
	}
	s, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}
