// Command bench compares superd with the reference supervisord 4.2.5
// (and any other supervisord-compatible daemon listed in impls) on the
// same supervisord-format config, driving every implementation through
// the same XML-RPC client (pkg/rpc) on a unix socket, alternating
// between implementations round by round, and prints a markdown table of
// medians and ratios. docs/BENCHMARKS.md explains the scenarios and
// holds the figures of a real run.
//
//	go run ./bench                 # N=200,1000, 3 rounds, ~6-8 min on 2 cores
//	go run ./bench -quick          # smoke mode (N=10), what go test runs
//	go run ./bench -impl supervisord -n 1000 -skip log
//
// Scenarios (see scenarios.go): spawn to all RUNNING (startsecs=0 and
// 1); daemon RSS and idle CPU with N children; getAllProcessInfo and
// status-CLI latency; kill -9 to new pid RUNNING; stopAllProcesses and
// startAllProcesses(wait); SIGTERM to daemon exit; log throughput of
// bench/loggen through the daemon into a rotated log, against the same
// generator writing straight to a file, with every line verified.
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
