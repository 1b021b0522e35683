package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"

	"github.com/superd/superd/pkg/rpc"
)

const pressCtrlC = "==> Press Ctrl-C to exit <=="

// interruptible returns a context cancelled by SIGINT (Ctrl-C), for
// tail -f, maintail -f and fg.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt)
}

// streamInto copies the /logtail (or /mainlogtail) stream to w until
// it ends or ctx is cancelled. HTTP and connection errors are reported
// on stderr as supervisorctl's http_client does.
func (c *controller) streamInto(ctx context.Context, w io.Writer, name, channel string) {
	path := "/mainlogtail"
	if name != "" {
		path = "/logtail/" + name + "/" + channel
	}
	body, err := c.client.LogTail(ctx, name, channel)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		var te *rpc.TransportError
		if errors.As(err, &te) && te.Status != 0 {
			fmt.Fprintf(c.errw, "%s%s Cannot read, status code %d\n", c.opts.serverURL, path, te.Status)
			return
		}
		fmt.Fprintf(c.errw, "%s%s Cannot connect, error: %v\n", c.opts.serverURL, path, err)
		return
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			body.Close()
		case <-done:
		}
	}()
	io.Copy(w, body)
	body.Close()
}

// tailf is _tailf: the banner, then the stream until it ends or Ctrl-C.
func (c *controller) tailf(ctx context.Context, name, channel string) {
	c.output(pressCtrlC)
	ctx, stop := interruptible(ctx)
	defer stop()
	c.streamInto(ctx, c.out, name, channel)
	if ctx.Err() != nil {
		c.output("")
	}
}

func doTail(c *controller, ctx context.Context, arg string) (bool, error) {
	if ok, err := c.upcheck(ctx); !ok {
		return false, err
	}
	args := strings.Fields(arg)
	if len(args) < 1 {
		c.output("Error: too few arguments")
		c.exitStatus = exitGeneric
		commands["tail"].help(c)
		return false, nil
	}
	if len(args) > 3 {
		c.output("Error: too many arguments")
		c.exitStatus = exitGeneric
		commands["tail"].help(c)
		return false, nil
	}
	modifier := ""
	if strings.HasPrefix(args[0], "-") {
		modifier, args = args[0], args[1:]
	}
	var name, channel string
	switch {
	case len(args) == 1:
		name, channel = args[0], "stdout"
	case len(args) > 0:
		name, channel = args[0], strings.ToLower(args[len(args)-1])
		if channel != "stderr" && channel != "stdout" {
			c.output("Error: bad channel " + pyRepr(channel))
			c.exitStatus = exitGeneric
			return false, nil
		}
	default:
		c.output("Error: tail requires process name")
		c.exitStatus = exitGeneric
		return false, nil
	}
	nbytes := 1600
	follow := false
	if modifier != "" {
		what := modifier[1:]
		if what == "f" {
			follow = true
		} else {
			n, err := pyInt(what)
			if err != nil {
				c.output("Error: bad argument " + modifier)
				c.exitStatus = exitGeneric
				return false, nil
			}
			nbytes = n
		}
	}
	if follow {
		c.tailf(ctx, name, channel)
		return false, nil
	}
	var out string
	var err error
	if channel == "stdout" {
		out, err = c.client.ReadProcessStdoutLog(ctx, name, -nbytes, 0)
	} else {
		out, err = c.client.ReadProcessStderrLog(ctx, name, -nbytes, 0)
	}
	if err != nil {
		f := faultOf(err)
		if f == nil {
			return false, err
		}
		c.exitStatus = exitGeneric
		switch f.Code {
		case rpc.NoFile:
			c.output(name + ": ERROR (no log file)")
		case rpc.Failed:
			c.output(name + ": ERROR (unknown error reading log)")
		case rpc.BadName:
			c.output(name + ": ERROR (no such process name)")
		default:
			return false, err
		}
		return false, nil
	}
	c.output(out)
	return false, nil
}

// pyInt is Python's int() on a string: optional sign, digits,
// underscores between digits, surrounding whitespace.
func pyInt(s string) (int, error) {
	t := strings.TrimSpace(s)
	if strings.Contains(t, "__") || strings.HasPrefix(strings.TrimLeft(t, "+-"), "_") || strings.HasSuffix(t, "_") {
		return 0, fmt.Errorf("invalid literal for int(): %s", pyRepr(s))
	}
	n, err := strconv.Atoi(strings.ReplaceAll(t, "_", ""))
	if err != nil {
		return 0, fmt.Errorf("invalid literal for int(): %s", pyRepr(s))
	}
	return n, nil
}

func doMaintail(c *controller, ctx context.Context, arg string) (bool, error) {
	if ok, err := c.upcheck(ctx); !ok {
		return false, err
	}
	args := strings.Fields(arg)
	nbytes := 1600
	switch {
	case len(args) > 1:
		c.output("Error: too many arguments")
		c.exitStatus = exitGeneric
		commands["maintail"].help(c)
		return false, nil
	case len(args) == 1:
		if !strings.HasPrefix(args[0], "-") {
			c.output("Error: bad argument " + args[0])
			c.exitStatus = exitGeneric
			return false, nil
		}
		what := args[0][1:]
		if what == "f" {
			c.tailf(ctx, "", "")
			return false, nil
		}
		n, err := pyInt(what)
		if err != nil {
			c.output("Error: bad argument " + args[0])
			c.exitStatus = exitGeneric
			return false, nil
		}
		nbytes = n
	}
	out, err := c.client.ReadLog(ctx, -nbytes, 0)
	if err != nil {
		f := faultOf(err)
		if f == nil {
			return false, err
		}
		c.exitStatus = exitGeneric
		switch f.Code {
		case rpc.NoFile:
			c.output("supervisord: ERROR (no log file)")
		case rpc.Failed:
			c.output("supervisord: ERROR (unknown error reading log)")
		default:
			return false, err
		}
		return false, nil
	}
	c.output(out)
	return false, nil
}

// syncWriter serializes writes of the two fg streams.
type syncWriter struct {
	mu sync.Mutex // guards w
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

const stateRunning = 20

func doFg(c *controller, ctx context.Context, arg string) (bool, error) {
	if ok, err := c.upcheck(ctx); !ok {
		return false, err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		c.output("ERROR: no process name supplied")
		c.exitStatus = exitGeneric
		commands["fg"].help(c)
		return false, nil
	}
	if len(names) > 1 {
		c.output("ERROR: too many process names supplied")
		c.exitStatus = exitGeneric
		return false, nil
	}
	name := names[0]
	info, err := c.client.GetProcessInfo(ctx, name)
	if err != nil {
		f := faultOf(err)
		if f == nil {
			return false, err
		}
		if f.Code == rpc.BadName {
			c.output("ERROR: bad process name supplied")
			c.exitStatus = exitGeneric
		} else {
			c.output("ERROR: " + pyFaultStr(f))
		}
		return false, nil
	}
	if info.State != stateRunning {
		c.output("ERROR: process not running")
		c.exitStatus = exitGeneric
		return false, nil
	}
	c.output(pressCtrlC)

	ictx, stop := interruptible(ctx)
	defer stop()
	sctx, cancelStreams := context.WithCancel(ictx)
	var wg sync.WaitGroup
	w := &syncWriter{w: c.out}
	for _, ch := range []string{"stdout", "stderr"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.streamInto(sctx, w, name, ch)
		}()
	}
	defer func() {
		cancelStreams()
		wg.Wait()
	}()

	lines := make(chan lineResult)
	for {
		go func() {
			l, err := c.in.ReadLine("")
			select {
			case lines <- lineResult{l, err}:
			case <-ictx.Done():
			}
		}()
		var lr lineResult
		select {
		case <-ictx.Done():
			w.Write([]byte("Exiting foreground\n"))
			return false, nil
		case lr = <-lines:
		}
		if lr.err != nil {
			w.Write([]byte("Exiting foreground\n"))
			return false, nil
		}
		if err := c.client.SendProcessStdin(ictx, name, lr.line+"\n"); err != nil {
			f := faultOf(err)
			switch {
			case f != nil && f.Code == rpc.NotRunning:
				w.Write([]byte("Process got killed\n"))
			case f != nil:
				w.Write([]byte("ERROR: " + pyFaultStr(f) + "\n"))
			default:
				cancelStreams()
				wg.Wait()
				return false, err
			}
			w.Write([]byte("Exiting foreground\n"))
			return false, nil
		}
		info, err := c.client.GetProcessInfo(ictx, name)
		if err != nil {
			cancelStreams()
			wg.Wait()
			return false, err
		}
		if info.State != stateRunning {
			w.Write([]byte("Process got killed\nExiting foreground\n"))
			return false, nil
		}
	}
}

type lineResult struct {
	line string
	err  error
}

// pyFaultStr is str() of an xmlrpc.client.Fault.
func pyFaultStr(f *rpc.Fault) string {
	return fmt.Sprintf("<Fault %d: %s>", f.Code, pyRepr(f.String))
}
