package main

import (
	"os"

	"github.com/superd/superd/internal/daemon"
	"github.com/superd/superd/pkg/process"
)

func main() {
	// When superd re-executes itself to apply a program's umask, this
	// sets the umask and execs the program; it does not return then.
	process.MaybeRunShim()
	os.Exit(daemon.Main(os.Args[0], os.Args[1:], os.Stdout, os.Stderr))
}
