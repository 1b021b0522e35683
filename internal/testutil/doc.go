// Package testutil is the harness the integration test suites share
// (internal/daemon, internal/reliability, internal/web): it builds the
// superd/superctl commands once per test binary (Build), starts a daemon
// in the foreground in its own process group and waits for it to answer
// (Start, Daemon.WaitReady), stops it (Daemon.Stop), checks that all of
// its processes are RUNNING (AllRunning), polls a condition
// with a deadline (WaitFor, PollUntil), and gives short temp dirs for
// unix sockets (ShortTempDir) and a concurrency-safe output buffer
// (SyncBuffer). Each suite keeps its own deadlines: every wait takes its
// timeout as an argument.
//
// Helper-mode child processes and the leftover-process check stay in
// internal/testproc; this package only starts the daemons under test.
//
// Only tests import it.
//
// Concurrency: Start runs one goroutine per daemon that waits for the
// process and closes Daemon.Done; it ends when the process exits, which
// Stop (registered by the caller as a cleanup) ensures. SyncBuffer is
// safe for concurrent writes and reads; the rest runs in the calling
// test's goroutine.
package testutil
