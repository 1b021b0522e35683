//go:build race

package schedule

// raceEnabled: the brute-force sweeps are single-goroutine arithmetic, so
// under -race they run a smaller sample.
const raceEnabled = true
