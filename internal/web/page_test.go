package web

import (
	"testing"

	"github.com/superd/superd/pkg/rpc"
)

// TestGroupProcs: programs alone in their group come first without a
// group row, then the groups; nothing is lost whatever the order.
func TestGroupProcs(t *testing.T) {
	infos := []rpc.ProcessInfo{
		{Name: "web", Group: "web", StateName: "RUNNING", State: 20},
		{Name: "w2", Group: "pool", StateName: "STOPPED"},
		{Name: "other", Group: "other", StateName: "STOPPED"},
		{Name: "w1", Group: "pool", StateName: "RUNNING", State: 20},
		{Name: "x", Group: "alpha", StateName: "FATAL", State: 200},
		{Name: "z", Group: "zeta", StateName: "RUNNING", State: 20},
		{Name: "y", Group: "zeta", StateName: "RUNNING", State: 20},
	}
	groups, counts := groupProcs(infos, 100)
	var got []string
	for _, g := range groups {
		s := g.Name + "["
		if !g.Header {
			s = "-["
		}
		for _, p := range g.Procs {
			s += p.NS + " "
		}
		got = append(got, s+"] "+g.Counts)
	}
	want := []string{"-[other web ] ", "alpha[alpha:x ] 1 fatal", "pool[pool:w1 pool:w2 ] 1 running, 1 stopped", "zeta[zeta:y zeta:z ] 2 running"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("group %d: %q, want %q", i, got[i], want[i])
		}
	}
	if counts["RUNNING"] != 4 || counts["STOPPED"] != 2 || counts["FATAL"] != 1 {
		t.Errorf("counts %v", counts)
	}
}
