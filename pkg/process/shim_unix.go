package process

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// The umask shim. umask is per process, and Go's SysProcAttr cannot set
// it between fork and exec, so changing superd's own umask around a
// spawn would race with every other goroutine creating files. A child
// with umask= is therefore started as superd itself (/proc/self/exe)
// with argv
//
//	superd-umask-shim <octal umask> <file> <argv...>
//
// The shim sets the umask and execs the program; the pid stays the same.
// superd's main (and any TestMain that supervises such children) must
// call MaybeRunShim first thing.
const shimArg0 = "superd-umask-shim"

// shimExe is the binary that runs the shim.
var shimExe = "/proc/self/exe"

// shimArgv wraps filename/argv for the shim.
func shimArgv(umask uint32, filename string, argv []string) (string, []string) {
	return shimExe, append([]string{shimArg0, strconv.FormatUint(uint64(umask), 8), filename}, argv...)
}

// MaybeRunShim runs the umask shim and never returns if this process was
// started as one; otherwise it returns at once. Call it at the start of
// main (before anything else runs).
func MaybeRunShim() {
	if len(os.Args) < 4 || os.Args[0] != shimArg0 {
		return
	}
	mask, err := strconv.ParseUint(os.Args[1], 8, 32)
	if err != nil {
		fmt.Fprintf(os.Stderr, "supervisor: bad umask %q\nsupervisor: child process was not spawned\n", os.Args[1])
		os.Exit(127)
	}
	filename, argv := os.Args[2], os.Args[3:]
	syscall.Umask(int(mask))
	err = syscall.Exec(filename, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "supervisor: couldn't exec %s: %s\nsupervisor: child process was not spawned\n",
		argv[0], errnoNameOr(err))
	os.Exit(127)
}

func errnoNameOr(err error) string {
	if en, ok := err.(syscall.Errno); ok {
		if n := unix.ErrnoName(en); n != "" {
			return n
		}
	}
	return err.Error()
}
