package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/superd/superd/pkg/rpc"
)

// LSB init exit statuses, as supervisorctl uses them.
const (
	exitSuccess         = 0
	exitGeneric         = 1
	exitInvalidArgs     = 2
	exitUnimplemented   = 3
	exitInsufficientPrv = 4
	exitNotInstalled    = 5
	exitNotRunning      = 7

	// status uses the LSB status codes.
	statusNotRunning = 3
	statusUnknown    = 4
)

// apiVersion is the XML-RPC API version superctl speaks.
const apiVersion = "3.0"

// controller is supervisorctl's Controller plus its default plugin:
// it parses one command line at a time and runs it against the server.
type controller struct {
	opts       *options
	client     *rpc.Client
	out        io.Writer
	errw       io.Writer
	in         lineReader
	exitStatus int
	// jsonOut is stdout while a --json command runs (out is stderr then).
	jsonOut io.Writer

	// completeInfo caches getAllProcessInfo for completion until the
	// next command runs.
	completeInfo []rpc.ProcessInfo

	// noSuperd is set once the server answered UNKNOWN_METHOD to a
	// superd.* call (supervisord): start and stop then use only
	// supervisord's methods (lifecycle.go).
	noSuperd bool
}

func newController(opts *options, in lineReader, out, errw io.Writer) *controller {
	return &controller{
		opts:   opts,
		client: rpc.NewClient(opts.serverURL, opts.username, opts.password),
		out:    out,
		errw:   errw,
		in:     in,
	}
}

// output writes message and a newline to stdout.
func (c *controller) output(message string) {
	io.WriteString(c.out, message+"\n")
}

// setServer switches to another server URL or credentials.
func (c *controller) setServer(url, username, password string) {
	c.client.Close()
	c.opts.serverURL, c.opts.username, c.opts.password = url, username, password
	c.noSuperd = false
	c.client = rpc.NewClient(url, username, password)
}

// identChars is Python cmd.Cmd's identchars.
func isIdentChar(r byte) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'
}

// parseLine is cmd.Cmd.parseline: ok is false when the line has no
// command at all (Python's None).
func parseLine(line string) (cmd, arg, rest string, ok bool) {
	line = strings.TrimSpace(line)
	if line == "" {
		return "", "", line, false
	}
	switch line[0] {
	case '?':
		line = "help " + line[1:]
	case '!':
		return "", "", line, false
	}
	i := 0
	for i < len(line) && isIdentChar(line[i]) {
		i++
	}
	return line[:i], strings.TrimSpace(line[i:]), line, true
}

// onecmd runs one command line and reports whether the shell should
// stop (EOF, quit, exit).
func (c *controller) onecmd(ctx context.Context, line string) bool {
	cmd, arg, line, ok := parseLine(line)
	if line == "" {
		return false // emptyline: do not repeat the last command
	}
	if !ok || cmd == "" {
		return c.unknown(line)
	}
	c.completeInfo = nil
	command, found := commands[cmd]
	if !found {
		return c.unknown(line)
	}
	if _, asJSON := jsonFlag(arg); asJSON && jsonCommands[cmd] {
		// stdout holds the JSON or nothing: every other line (errors,
		// usage) goes to stderr.
		c.jsonOut, c.out = c.out, c.errw
		defer func() { c.out, c.jsonOut = c.jsonOut, nil }()
	}
	stop, err := command.run(c, ctx, arg)
	if err != nil {
		return c.handleError(ctx, line, err)
	}
	return stop
}

// jsonCommands are the commands whose --json output is one JSON value.
var jsonCommands = map[string]bool{"status": true, "pid": true, "avail": true, "version": true,
	"reread": true, "scale": true}

func (c *controller) unknown(line string) bool {
	c.output("*** Unknown syntax: " + line)
	c.exitStatus = exitGeneric
	return false
}

// handleError reports an error a command did not handle itself, as
// supervisorctl's onecmd does (without the Python traceback details).
func (c *controller) handleError(ctx context.Context, line string, err error) bool {
	var te *rpc.TransportError
	if errors.As(err, &te) {
		switch {
		case te.Unauthorized:
			c.output("Server requires authentication")
			c.exitStatus = exitGeneric
			if c.opts.interactive && c.in != nil {
				user, err1 := c.in.ReadLine("Username:")
				if err1 != nil {
					return false
				}
				pass, err1 := c.in.ReadPassword("Password:")
				if err1 != nil {
					return false
				}
				c.output("")
				c.setServer(c.opts.serverURL, user, pass)
				return c.onecmd(ctx, line)
			}
			return false
		case te.NoSuchFile:
			c.output(c.opts.serverURL + " no such file")
			c.hint(te)
			c.exitStatus = exitGeneric
			return false
		case te.Refused:
			c.output(c.opts.serverURL + " refused connection")
			c.hint(te)
			c.exitStatus = exitGeneric
			return false
		}
	}
	if errors.Is(err, context.Canceled) {
		c.output("")
		c.exitStatus = exitGeneric
		return false
	}
	if f := faultOf(err); f != nil {
		// supervisorctl: error: <class 'xmlrpc.client.Fault'>, <Fault 11: 'BAD_SIGNAL: FOO'>: file: ... line: ...
		c.output("error: <class 'xmlrpc.client.Fault'>, " + pyFaultStr(f))
	} else {
		c.output("error: " + err.Error())
	}
	c.exitStatus = exitGeneric
	return false
}

// hint explains a connection failure on stderr (superctl only).
func (c *controller) hint(te *rpc.TransportError) {
	url := c.opts.serverURL
	where := url
	if strings.HasPrefix(url, "unix://") {
		where = "socket " + strings.TrimPrefix(url, "unix://")
	}
	switch {
	case te.NoSuchFile:
		fmt.Fprintf(c.errw, "is superd running? %s not found\n", where)
	case te.Refused:
		fmt.Fprintf(c.errw, "is superd running? nothing is listening on %s\n", where)
	default:
		return
	}
	if c.opts.defaultURL {
		fmt.Fprintf(c.errw, "(no config file found; using superd's built-in default; use -c FILE or -s URL)\n")
	}
}

// upcheck verifies the server speaks API 3.0, as supervisorctl does
// before most commands. It returns false (having printed why and set
// the exit status) when the command should not run; err is an error
// for onecmd to report (e.g. 401).
func (c *controller) upcheck(ctx context.Context) (bool, error) {
	api, err := c.client.GetVersion(ctx)
	if err != nil {
		var f *rpc.Fault
		if errors.As(err, &f) {
			if f.Code == rpc.UnknownMethod {
				c.output("Sorry, supervisord responded but did not recognize " +
					"the supervisor namespace commands that supervisorctl " +
					"uses to control it.  Please check that the " +
					"[rpcinterface:supervisor] section is enabled in the " +
					"configuration file (see sample.conf).")
				c.exitStatus = exitUnimplemented
				return false, nil
			}
			c.exitStatus = exitGeneric
			return false, err
		}
		var te *rpc.TransportError
		if errors.As(err, &te) {
			if te.Refused {
				c.output(c.opts.serverURL + " refused connection")
				c.hint(te)
				c.exitStatus = exitInsufficientPrv
				return false, nil
			}
			if te.NoSuchFile {
				c.output(c.opts.serverURL + " no such file")
				c.hint(te)
				c.exitStatus = exitNotRunning
				return false, nil
			}
		}
		c.exitStatus = exitGeneric
		return false, err
	}
	if api != apiVersion {
		c.output(fmt.Sprintf("Sorry, this version of supervisorctl expects to "+
			"talk to a server with API version %s, but the "+
			"remote version is %s.", apiVersion, api))
		c.exitStatus = exitNotInstalled
		return false, nil
	}
	return true, nil
}

// setExitFromFault is set_exitstatus_from_xmlrpc_fault.
func (c *controller) setExitFromFault(code int, ignored int) {
	switch code {
	case ignored, rpc.Success:
	case rpc.SpawnError, rpc.AbnormalTermination, rpc.NotRunning:
		c.exitStatus = exitNotRunning
	default:
		c.exitStatus = exitGeneric
	}
}

// splitNamespec is supervisor's split_namespec: "g:p" -> (g, p, true),
// "g:" and "g:*" -> (g, "", false), "p" -> (p, p, true).
func splitNamespec(name string) (group, process string, hasProcess bool) {
	if g, p, found := strings.Cut(name, ":"); found {
		if p == "" || p == "*" {
			return g, "", false
		}
		return g, p, true
	}
	return name, name, true
}

// makeNamespec is supervisor's make_namespec; a missing process name
// prints as Python's None, as supervisorctl does.
func makeNamespec(group, process string, hasProcess bool) string {
	if !hasProcess {
		return group + ":None"
	}
	if group == process {
		return group
	}
	return group + ":" + process
}

func namespecOf(group, name string) string { return makeNamespec(group, name, true) }
