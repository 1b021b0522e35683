package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Main runs superctl with args (without the program name) and returns
// the process exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	progname := "superctl"
	if len(os.Args) > 0 {
		progname = os.Args[0]
	}
	opts, err := parseOptions(progname, args)
	if err != nil {
		if errors.Is(err, errHelp) {
			io.WriteString(stdout, strings.ReplaceAll(usageDoc, "%s", progname)+"\n")
			return 0
		}
		fmt.Fprintf(stderr, "Error: %s\n", err)
		fmt.Fprintf(stderr, "For help, use %s -h\n", progname)
		return 2
	}
	ctx := context.Background()
	c := newController(opts, nil, stdout, stderr)
	defer c.client.Close()
	if len(opts.args) > 0 {
		// fg reads stdin; with -i, so do the confirmation and
		// credential prompts, as in supervisorctl.
		c.in = &plainReader{r: newBufReader(stdin), out: stdout, errw: stderr}
		c.onecmd(ctx, strings.Join(opts.args, " "))
		return c.exitStatus
	}
	c.in = newLineReader(stdin, stdout, stderr, opts.historyFile, c.complete)
	defer c.in.Close()
	c.cmdloop(ctx)
	return 0 // the interactive shell always exits 0
}
