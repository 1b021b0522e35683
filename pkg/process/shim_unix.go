package process

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The exec shim. Go's os.StartProcess runs nothing of ours between fork
// and exec, but two things must happen there:
//
//   - umask= : the umask is per process, and changing superd's own
//     around a spawn would race with every other goroutine creating
//     files;
//   - listen= : LISTEN_PID must be the child's own pid (systemd's
//     socket activation protocol), which is known only after the fork.
//
// A child that needs either is therefore started as superd itself
// (/proc/self/exe) with argv
//
//	superd-exec-shim <octal umask or -> <listen-pid 0|1> <file> <argv...>
//
// The shim sets the umask, sets LISTEN_PID to its pid when asked, and
// execs the program; the pid stays the same and every descriptor (0, 1,
// 2 and the listen= sockets from 3 on) passes through unchanged. superd's
// main (and any TestMain that supervises such children) must call
// MaybeRunShim first thing.
const shimArg0 = "superd-exec-shim"

// shimExe is the binary that runs the shim.
var shimExe = "/proc/self/exe"

// shimArgv wraps filename/argv for the shim. umask < 0 leaves the umask
// alone.
func shimArgv(umask int64, listenPID bool, filename string, argv []string) (string, []string) {
	mask := "-"
	if umask >= 0 {
		mask = strconv.FormatInt(umask, 8)
	}
	lp := "0"
	if listenPID {
		lp = "1"
	}
	return shimExe, append([]string{shimArg0, mask, lp, filename}, argv...)
}

// MaybeRunShim runs the exec shim and never returns if this process was
// started as one; otherwise it returns at once. Call it at the start of
// main (before anything else runs).
func MaybeRunShim() {
	if len(os.Args) < 5 || os.Args[0] != shimArg0 {
		return
	}
	if os.Args[1] != "-" {
		mask, err := strconv.ParseUint(os.Args[1], 8, 32)
		if err != nil {
			fmt.Fprintf(os.Stderr, "supervisor: bad umask %q\nsupervisor: child process was not spawned\n", os.Args[1])
			os.Exit(127)
		}
		syscall.Umask(int(mask))
	}
	env := os.Environ()
	if os.Args[2] == "1" {
		env = setListenPID(env, os.Getpid())
	}
	filename, argv := os.Args[3], os.Args[4:]
	err := syscall.Exec(filename, argv, env)
	fmt.Fprintf(os.Stderr, "supervisor: couldn't exec %s: %s\nsupervisor: child process was not spawned\n",
		argv[0], errnoNameOr(err))
	os.Exit(127)
}

// setListenPID returns env with LISTEN_PID=pid.
func setListenPID(env []string, pid int) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "LISTEN_PID=") {
			out = append(out, kv)
		}
	}
	return append(out, "LISTEN_PID="+strconv.Itoa(pid))
}

func errnoNameOr(err error) string {
	if en, ok := err.(syscall.Errno); ok {
		if n := unix.ErrnoName(en); n != "" {
			return n
		}
	}
	return err.Error()
}
