// Package testproc lets a test binary impersonate small helper programs,
// the pattern of os/exec's own tests: a package's TestMain calls Main
// first, and Main, when the process was started as a helper (argv[1] is
// Marker, or SUPERD_TESTPROC names a mode), runs that mode and exits.
// Otherwise it returns and the tests run normally.
//
// Tests build command lines for configurations with Command (a string as
// supervisord's command= would hold it) or Argv.
//
// Modes (arguments after the mode name):
//
//	exit N                 exit with status N at once
//	sleep                  block until killed (default signal dispositions)
//	exit-on SIG N          wait for signal SIG (TERM, INT, HUP, USR1...), then exit N
//	ignore-term            ignore SIGTERM and SIGINT, print "ready", block
//	print-lines N [TEXT]   print N numbered lines "TEXT i" to stdout, then exit 0
//	print-lines-wait N     same, then block until killed
//	stderr TEXT            print TEXT to stderr and stdout ("out: TEXT"), then block
//	spawn-grandchild FILE  start a grandchild (mode sleep, same process group),
//	                       write its pid to FILE, then block
//	write-info FILE        write Info (env, cwd, umask, uid, gid, groups) as JSON
//	                       to FILE (atomically, via rename), then block
//	echo-stdin             copy stdin to stdout line by line; exit 0 at EOF
//	capture TEXT           print "before", then TEXT between XSUPERVISOR
//	                       BEGIN/END tokens, then "after the capture block ends", then block
//	write-file FILE TEXT   write TEXT to FILE, then block
//
// Leftover processes: a TestMain ends with os.Exit(Run(m)). Run marks
// every process the tests start through an environment variable
// (EnvRun) they all inherit, and after the tests fails the run, listing
// and killing them, if any is still running: the check holds however a
// process was reparented and whatever session or process group it
// joined. A Scope marks one daemon's processes the same way so that a
// test's cleanup can kill what its programs deliberately leave behind.
//
// Pid files: ReadPID/WaitPID parse strictly, and Kill/KillGroup refuse
// a pid <= 1, which would signal a process group (the test's own, for
// 0) or init.
//
// Building the superd/superctl binaries, starting the daemons under
// test and polling with deadlines live in internal/testutil, which the
// integration suites share.
//
// Concurrency: none of its own in the test process; each helper mode
// runs in its own child process and ends with it (exit code, signal,
// or EOF on stdin, depending on the mode).
package testproc
