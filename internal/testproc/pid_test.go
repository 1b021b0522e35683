package testproc

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestParsePID(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"1234", 1234, true},
		{" 1234\n", 1234, true},
		{"2", 2, true},
		{"", 0, false},
		{"\n", 0, false},
		{"0", 0, false},
		{"1", 0, false},
		{"-5", 0, false},
		{"12a", 0, false},
		{"12 34", 0, false},
	} {
		got, err := ParsePID(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParsePID(%q) = %d, %v; want %d, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestReadPIDAndWaitPID(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "pid")
	if _, err := ReadPID(p); err == nil {
		t.Error("ReadPID of a missing file: no error")
	}
	os.WriteFile(p, []byte("0\n"), 0o644)
	if _, err := ReadPID(p); err == nil {
		t.Error("ReadPID of pid 0: no error")
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		os.WriteFile(p+".tmp", []byte("4242\n"), 0o644)
		os.Rename(p+".tmp", filepath.Join(dir, "later"))
	}()
	if got := WaitPID(t, filepath.Join(dir, "later"), 20*time.Second); got != 4242 {
		t.Errorf("WaitPID = %d, want 4242", got)
	}
}

func TestKillRefusesGroups(t *testing.T) {
	for _, pid := range []int{-1, 0, 1} {
		if err := Kill(pid, syscall.Signal(0)); err == nil {
			t.Errorf("Kill(%d) did not refuse", pid)
		}
		if err := KillGroup(pid, syscall.Signal(0)); err == nil {
			t.Errorf("KillGroup(%d) did not refuse", pid)
		}
	}
	if err := Kill(os.Getpid(), syscall.Signal(0)); err != nil {
		t.Errorf("Kill(self, 0): %v", err)
	}
}
