package schedule

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// TestMatchesRobfig checks the hand-written field parser and matcher
// against robfig/cron/v3 (a test-only oracle) in UTC, where the two agree:
// random 6-field expressions without the forms robfig reads differently
// (7 for Sunday; a day field starting with "*/", which cronie ANDs and
// robfig ORs).
func TestMatchesRobfig(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	num := func(lo, hi int) string { return strconv.Itoa(lo + r.IntN(hi-lo+1)) }
	part := func(lo, hi int, names []string) string {
		switch r.IntN(8) {
		case 0:
			return "*"
		case 1:
			return "*/" + num(1, (hi-lo)/2+1)
		case 2:
			a := lo + r.IntN(hi-lo+1)
			return strconv.Itoa(a) + "-" + num(a, hi)
		case 3:
			a := lo + r.IntN(hi-lo+1)
			return strconv.Itoa(a) + "-" + num(a, hi) + "/" + num(1, 5)
		case 4:
			if names != nil {
				return names[r.IntN(len(names))]
			}
			return num(lo, hi)
		case 5:
			return num(lo, hi) + "," + num(lo, hi)
		case 6:
			return num(lo, hi) + "/" + num(1, 9) // N/S: N to the end, step S
		default:
			return num(lo, hi)
		}
	}
	day := func(lo, hi int, names []string) string {
		p := part(lo, hi, names)
		for len(p) > 1 && p[0] == '*' { // "*/N": cronie and robfig differ
			p = part(lo, hi, names)
		}
		return p
	}
	months := []string{"JAN", "feb", "Mar", "DEC"}
	days := []string{"SUN", "mon", "Fri", "sat"}
	parser := cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	for i := 0; i < 3000; i++ {
		text := part(0, 59, nil) + " " + part(0, 59, nil) + " " + part(0, 23, nil) + " " +
			day(1, 31, nil) + " " + part(1, 12, months) + " " + day(0, 6, days)
		want, err := parser.Parse(text)
		if err != nil {
			t.Fatalf("robfig cannot parse %q: %v", text, err)
		}
		c, err := parseCron(text)
		if err != nil {
			t.Fatalf("parseCron(%q): %v", text, err)
		}
		s := c.schedule(time.UTC)
		from := time.Unix(1767225600+r.Int64N(10*365*86400), 0).UTC() // 2026-2035
		for k := 0; k < 5; k++ {
			w := want.Next(from)
			g := s.Next(from)
			if !g.Equal(w) {
				t.Fatalf("%q from %v: Next = %v, robfig says %v", text, from, g, w)
			}
			if g.IsZero() {
				break
			}
			from = g
		}
	}
}
