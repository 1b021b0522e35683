// Package ctl implements superctl, a supervisorctl-compatible client
// for superd and supervisord.
//
// It owns the command line (supervisorctl's options -c -s -u -p -i -r
// -h, parsed with Python getopt semantics), config discovery (superd's
// locations, then supervisord's list; superd's built-in socket when no
// config file exists), the [supervisorctl] section (read by a minimal
// RawConfigParser-compatible reader in ini.go, not pkg/config, so that
// a config error elsewhere in the file never stops the client), every
// supervisorctl command with its exact output and LSB exit codes, the
// interactive shell (github.com/peterh/liner on a terminal: history
// file, completion of commands, groups and process names; plain line
// reading otherwise, so commands can be piped in), --json output
// for status, pid, avail, version and reread, and superctl's own
// commands logs (several logs, prefixed and interleaved, followed
// across rotation) and top (CPU and memory per process, from superd's
// superd.getProcessStats), which "help" does not list (supervisorctl's
// list stays as it is) but "help logs" and "help top" explain.
//
// superctl talks to the daemon only through pkg/rpc's typed Client; it
// never builds XML and never imports pkg/process or os/exec (TestDeps).
// Deliberate differences from supervisorctl are listed in
// docs/COMPATIBILITY.md under "## superctl".
//
// # Concurrency
//
// A controller runs one command at a time on the calling goroutine and
// has no locks. Extra goroutines exist only while a command runs:
//
//   - tail -f / maintail -f: one goroutine closes the stream when the
//     command's context is cancelled (Ctrl-C); it ends with the command.
//   - fg: two stream goroutines (stdout and stderr, writing through a
//     mutex-guarded writer) ended by cancelling their context and
//     waited for before fg returns; one goroutine per input line reads
//     stdin. On Ctrl-C that reader may stay blocked in read(2) until the
//     next line or process exit (superctl exits right after in one-shot
//     mode).
//   - logs -f: one goroutine per followed process reads its /logtail
//     stream (plus one that closes the stream on Ctrl-C) and writes
//     whole lines through a mutex-guarded writer, reconnecting a second
//     after a stream breaks (from where it was, by the position superd
//     gives, rpc.Client.LogTailAt); all end with the command's context
//     and are waited for.
//   - top: none; it samples superd.getProcessStats on the calling
//     goroutine until Ctrl-C.
//   - the interactive shell: for each command a goroutine turns SIGINT
//     into cancelling that command's context; it ends with the command.
//
// # Example
//
//	$ superctl status
//	web                              RUNNING   pid 4242, uptime 0:10:03
//	$ superctl status --json web
//	[{"namespec": "web", "name": "web", "group": "web", ... }]
package ctl
