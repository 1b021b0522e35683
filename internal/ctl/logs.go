package ctl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/superd/superd/pkg/rpc"
)

// colors are the ANSI colours of the "name |" prefixes of logs.
var colors = []string{"36", "33", "32", "35", "34", "91", "96", "93", "92", "95"}

// logsArgs are the parsed arguments of logs.
type logsArgs struct {
	follow  bool
	channel string
	lines   int
	color   bool
	names   []string
}

func parseLogsArgs(arg string, color bool) (logsArgs, error) {
	a := logsArgs{channel: "stdout", lines: 10, color: color}
	f := strings.Fields(arg)
	for i := 0; i < len(f); i++ {
		switch s := f[i]; {
		case s == "-f" || s == "--follow":
			a.follow = true
		case s == "--stderr":
			a.channel = "stderr"
		case s == "--no-color":
			a.color = false
		case s == "-n" || s == "--lines":
			if i+1 >= len(f) {
				return a, fmt.Errorf("%s needs a number", s)
			}
			i++
			n, err := strconv.Atoi(f[i])
			if err != nil || n < 0 {
				return a, fmt.Errorf("bad number of lines %q", f[i])
			}
			a.lines = n
		case strings.HasPrefix(s, "-n") && len(s) > 2:
			n, err := strconv.Atoi(s[2:])
			if err != nil || n < 0 {
				return a, fmt.Errorf("bad number of lines %q", s[2:])
			}
			a.lines = n
		case strings.HasPrefix(s, "-"):
			return a, fmt.Errorf("unknown option %s", s)
		default:
			a.names = append(a.names, s)
		}
	}
	return a, nil
}

// resolveNames expands names (process, group:*, group, all; none means
// all) into the namespecs of processes, in getAllProcessInfo order. An
// unknown name is reported as supervisorctl reports it ("x: ERROR (no
// such process)", exit status 2) and ok is false; err is the server's.
func (c *controller) resolveNames(ctx context.Context, names []string) (out []string, ok bool, err error) {
	infos, err := c.client.GetAllProcessInfo(ctx)
	if err != nil {
		return nil, false, err
	}
	seen := map[string]bool{}
	add := func(ns string) {
		if !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	if len(names) == 0 || (len(names) == 1 && names[0] == "all") {
		for _, i := range infos {
			add(namespecOf(i.Group, i.Name))
		}
		return out, true, nil
	}
	for _, n := range names {
		g, p, hasProcess := splitNamespec(n)
		found := false
		for _, i := range infos {
			if i.Group == g && (!hasProcess || i.Name == p) || !hasProcess && !strings.Contains(n, ":") && i.Name == g {
				add(namespecOf(i.Group, i.Name))
				found = true
			}
		}
		if !found {
			c.output(n + ": ERROR (no such process)")
			c.exitStatus = exitInvalidArgs
			return nil, false, nil
		}
	}
	return out, true, nil
}

// lastLines returns the last n lines of data (all complete lines and a
// trailing partial one count).
func lastLines(data string, n int) []string {
	if data == "" || n == 0 {
		return nil
	}
	lines := strings.SplitAfter(data, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// prefixWriter writes whole lines of many processes to one output,
// each with its process's prefix; it is shared by the stream
// goroutines of logs -f.
type prefixWriter struct {
	mu  sync.Mutex // guards out
	out io.Writer
}

func (w *prefixWriter) line(prefix, line string) {
	if !strings.HasSuffix(line, "\n") {
		line += "\n"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	io.WriteString(w.out, prefix+line)
}

func doLogs(c *controller, ctx context.Context, arg string) (bool, error) {
	if ok, err := c.upcheck(ctx); !ok {
		return false, err
	}
	a, err := parseLogsArgs(arg, c.out == io.Writer(os.Stdout) && isTerminal(os.Stdout) && os.Getenv("NO_COLOR") == "")
	if err != nil {
		c.output("Error: " + err.Error())
		commands["logs"].help(c)
		c.exitStatus = exitGeneric
		return false, nil
	}
	names, ok, err := c.resolveNames(ctx, a.names)
	if !ok {
		return false, err
	}
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	prefixes := make(map[string]string, len(names))
	for i, n := range names {
		p := fmt.Sprintf("%-*s | ", width, n)
		if a.color {
			p = "\x1b[" + colors[i%len(colors)] + "m" + p + "\x1b[0m"
		}
		prefixes[n] = p
	}
	// a process named by itself that has no log (stdout_logfile=NONE,
	// stderr with redirect_stderr) is an error, as for tail; one of a
	// group or of all is left out quietly
	named := map[string]bool{}
	for _, n := range a.names {
		named[n] = true
	}
	w := &prefixWriter{out: c.out}
	offsets := make(map[string]int64, len(names))
	var followed []string
	for _, n := range names {
		if ok, err := c.hasLog(ctx, n, a.channel); err != nil {
			return false, err
		} else if !ok {
			if named[n] {
				c.output(n + ": ERROR (no log file)")
				c.exitStatus = exitGeneric
			}
			continue
		}
		data, off, err := c.logTail(ctx, n, a.channel, int64(max(a.lines, 1))*1024)
		if err != nil {
			c.output(n + ": ERROR (" + err.Error() + ")")
			c.exitStatus = exitGeneric
			continue
		}
		if a.follow && data != "" && !strings.HasSuffix(data, "\n") {
			// a line still being written: follow it from its start,
			// so that it comes out whole once it ends
			i := strings.LastIndexByte(data, '\n') + 1
			off -= int64(len(data) - i)
			data = data[:i]
		}
		offsets[n] = off
		followed = append(followed, n)
		for _, l := range lastLines(data, a.lines) {
			w.line(prefixes[n], l)
		}
	}
	if !a.follow || len(followed) == 0 {
		return false, nil
	}
	ctx, stop := interruptible(ctx)
	defer stop()
	var wg sync.WaitGroup
	for _, n := range followed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.followLog(ctx, w, n, a.channel, prefixes[n], offsets[n])
		}()
	}
	wg.Wait()
	return false, nil
}

// hasLog reports whether a process has a log file for channel: the
// read tail does (supervisorctl's tail), which faults NO_FILE when it
// has none; tailProcess*Log answers "" for both.
func (c *controller) hasLog(ctx context.Context, name, channel string) (bool, error) {
	var err error
	if channel == "stderr" {
		_, err = c.client.ReadProcessStderrLog(ctx, name, -1, 0)
	} else {
		_, err = c.client.ReadProcessStdoutLog(ctx, name, -1, 0)
	}
	if f := faultOf(err); f != nil && f.Code == rpc.NoFile {
		return false, nil
	} else if f != nil {
		return true, nil // reported by the tail that follows
	}
	return err == nil, err
}

// logTail reads the last length bytes of a process log (tailProcess*Log)
// and returns them with the log's size.
func (c *controller) logTail(ctx context.Context, name, channel string, length int64) (string, int64, error) {
	var data string
	var off int
	var err error
	if channel == "stderr" {
		data, off, _, err = c.client.TailProcessStderrLog(ctx, name, 0, int(length))
	} else {
		data, off, _, err = c.client.TailProcessStdoutLog(ctx, name, 0, int(length))
	}
	if err != nil {
		if f := faultOf(err); f != nil {
			return "", 0, errors.New(f.String)
		}
		return "", 0, err
	}
	return data, int64(off), nil
}

// followLog streams one process's log from offset (superd's /logtail
// ?offset=, which follows rotation) and writes its lines with prefix
// until ctx ends. A stream that ends (superd restarting, the network)
// is opened again a second later: against superd from where it broke
// (the position superd gave when the stream started, plus the bytes
// read since; across rotations, and from the start of a new log file
// after a restart), an incomplete last line kept until its end
// arrives; against supervisord from the log's end.
func (c *controller) followLog(ctx context.Context, w *prefixWriter, name, channel, prefix string, offset int64) {
	key := ""     // the file offset counts from; "" without superd's positions
	partial := "" // the start of a line whose end has not come yet
	for ctx.Err() == nil {
		body, k, start, err := c.client.LogTailAt(ctx, name, channel, key, offset)
		if err == nil {
			key, offset = k, start
			done := make(chan struct{})
			go func() {
				select {
				case <-ctx.Done():
					body.Close()
				case <-done:
				}
			}()
			r := bufio.NewReaderSize(body, 64<<10)
			for {
				line, err := r.ReadString('\n')
				offset += int64(len(line))
				if key != "" && partial == "" && line == rpc.LogTruncated {
					// the file shrank in place: it follows from its start
					offset = 0
				}
				if err == nil {
					w.line(prefix, partial+line)
					partial = ""
					continue
				}
				if line != "" && ctx.Err() == nil && errors.Is(err, io.EOF) {
					if key != "" {
						partial += line // its end comes with the resumed stream
					} else {
						w.line(prefix, line)
					}
				}
				break
			}
			close(done)
			body.Close()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		if key != "" {
			continue
		}
		if _, off, err := c.logTail(ctx, name, channel, 0); err == nil {
			offset = off
		} else {
			offset = 0
		}
	}
}
