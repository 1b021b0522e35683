// Command floor measures the physical limit ("floor") of the work a
// process manager does per child on this machine, with nothing else
// around it. The benchmark runner builds it like bench/loggen and prints
// its figures in the "limit" column.
//
//	floor spawn -n N -dir DIR -workers K
//
// starts K worker processes (re-executions of floor itself) and, once
// they are all waiting, tells them to go: each spawns its share of N
// children doing exactly superd's per-child system work and nothing
// else: two pipes (stdout, stderr), two log files created
// O_CREAT|O_EXCL|O_APPEND in DIR (named like AUTO child logs), and a
// clone(CLONE_VFORK)+execve of /bin/sleep in its own process group
// (os.StartProcess, which waits for the exec as superd does, and keeps a
// pidfd). It then prints, one per line:
//
//	spawn SECONDS   from "go" until the last worker has spawned its share
//	stop SECONDS    from "stop" (SIGTERM to every child) until every child is reaped
//	rss KIB         the largest worker's VmRSS after spawning (with K=1:
//	                a Go program holding N pidfds, 2N pipe read ends and 2N
//	                log files, i.e. the memory floor)
//	rssanon KIB     the same worker's RssAnon (without mapped files)
//
// K=1 is the serial floor; K=NumCPU spreads the same work over all
// cores with processes (not goroutines: Go serializes fork/exec within
// one process on syscall.ForkLock). The runner takes the better of the
// two. Children carry the caller's environment, so the runner's
// SUPERD_BENCH marker finds any left behind.
//
// Concurrency: the coordinator and each worker are sequential; each
// worker is a separate process driven over its stdin/stdout, and ends
// after it has reaped its children.
package main
