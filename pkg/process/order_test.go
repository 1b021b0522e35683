package process

import (
	"testing"
)

// TestGroupResultsInConfiguredOrder: startProcessGroup/stopProcessGroup
// answer in the group's order, as supervisord does, not in the order the
// processes finish (supervisorctl prints them in that order).
func TestGroupResultsInConfiguredOrder(t *testing.T) {
	t.Parallel()
	slow := shProc("slow", "trap 'sleep 0.3; kill $! 2>/dev/null; exit 0' TERM; sleep 1000 & wait")
	slow.Group, slow.StartSecs, slow.Autostart = "g", 1, false
	// The whole group gets TERM (and a SIGKILL after stopwaitsecs under
	// load); a TERM that reaches sh before it has forked the background
	// sleep runs the trap right after the fork, which kills it, so the
	// sleep never outlives the test.
	slow.StopAsGroup, slow.KillAsGroup = true, true
	fast := shProc("fast", "exec sleep 1000")
	fast.Group, fast.Autostart, fast.Seq = "g", false, 1
	g := groupOf(slow, fast)
	h := start(t, testConfig(t, g))
	names := func(rs []Result) []string {
		var out []string
		for _, r := range rs {
			if r.Err != nil {
				t.Errorf("%s: %v", r.Name, r.Err)
			}
			out = append(out, r.Name)
		}
		return out
	}
	for range 3 {
		rs, err := h.s.StartGroup(h.ctx(), "g", true)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(rs); len(got) != 2 || got[0] != "slow" || got[1] != "fast" {
			t.Errorf("start results %v, want [slow fast]", got)
		}
		rs, err = h.s.StopGroup(h.ctx(), "g", true)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(rs); len(got) != 2 || got[0] != "slow" || got[1] != "fast" {
			t.Errorf("stop results %v, want [slow fast]", got)
		}
	}
}
