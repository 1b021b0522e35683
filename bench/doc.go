// Command bench compares superd with the reference supervisord 4.2.5
// (and any other supervisord-compatible daemon listed in impls) on the
// same supervisord-format config, driving every implementation through
// the same XML-RPC client (pkg/rpc) on a unix socket, alternating
// between implementations round by round, and prints a markdown table of
// medians and ratios. docs/BENCHMARKS.md explains the scenarios and
// holds the figures of a real run.
//
//	go run ./bench                 # N=200,1000,3000, 3 rounds
//	go run ./bench -quick          # smoke mode (N=10), what go test runs
//	go run ./bench -impl supervisord -n 1000 -skip log
//
// Scenarios (see scenarios.go): spawn to all RUNNING (startsecs=0 with
// child logs on the disk and on a tmpfs, and startsecs=1); reread +
// update removing N/2 and adding N/2 programs (on the startsecs=1
// daemon); daemon RSS and idle CPU with N children; getAllProcessInfo
// and status-CLI latency; kill -9 to new pid RUNNING; stopAllProcesses
// and startAllProcesses(wait); SIGTERM to daemon exit; log throughput
// of bench/loggen through the daemon into a rotated log, against the
// same generator writing straight to a file, with every line verified.
//
// The "limit" column (limit.go) is measured in the same run, after the
// daemons of each round: bench/floor does the daemons' per-child system
// work and nothing else (spawn and stop floors on disk and tmpfs, serial
// and over all CPUs, the better of the two; its RSS is the memory
// floor), and the generator piped into cat > file is the log floor.
// Between rounds the runner syncs and waits for the disk to go idle
// (settleDisk), so that one round's deletions do not slow the next.
// The table has each implementation over the reference and the first
// implementation over the limit, then value/N per process for each N.
//
// Concurrency: the runner is sequential. Each launched daemon gets one
// goroutine blocked in cmd.Wait that closes daemon.done; it ends when
// the daemon exits, which shutdown forces (SIGTERM, then SIGKILL of the
// process group after a timeout). Children a daemon leaves behind are
// found by the SUPERD_BENCH marker in their environment and killed.
//
// The runner raises its RLIMIT_NOFILE soft limit to the hard limit; the
// daemons and their children inherit it. The config sets minfds to
// 5N+256 (three pipe ends and two AUTO log files per child) so that
// supervisord does not refuse to start, and minprocs to N+100.
package main
