// Command superctl is a supervisorctl-compatible client for superd and
// supervisord: every supervisorctl command with the same output and exit
// codes, an interactive shell, and --json on the read commands.
//
//	superctl [-c FILE] [-s URL] [-u USER] [-p PASS] [-i] [command [args]]
//
// main hands the command line to internal/ctl, which talks to the
// daemon only through pkg/rpc's typed client; it imports neither
// pkg/process nor os/exec (TestDeps checks this). It owns no state and
// starts no goroutines of its own.
package main
