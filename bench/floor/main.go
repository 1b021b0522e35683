package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: floor spawn -n N -dir DIR -workers K | floor worker ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "spawn":
		err = coordinate(os.Args[2:])
	case "worker":
		err = work(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

// worker is one worker process seen from the coordinator.
type worker struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// expect reads the worker's next line and checks its first word.
func (w *worker) expect(word string) (string, error) {
	l, err := w.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("worker: reading %q: %w", word, err)
	}
	f := strings.Fields(l)
	if len(f) == 0 || f[0] != word {
		return "", fmt.Errorf("worker: got %q, want %q", strings.TrimSpace(l), word)
	}
	return strings.Join(f[1:], " "), nil
}

func coordinate(args []string) error {
	fs := flag.NewFlagSet("spawn", flag.ContinueOnError)
	n := fs.Int("n", 100, "children in all")
	dir := fs.String("dir", "", "directory for the log files")
	workers := fs.Int("workers", 1, "worker processes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *n < 1 || *workers < 1 {
		return errors.New("spawn: need -dir, -n >= 1, -workers >= 1")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	k := min(*workers, *n)
	var ws []*worker
	defer func() {
		for _, w := range ws {
			w.in.Close()
			_ = w.cmd.Wait()
		}
	}()
	for i := range k {
		share := *n / k
		if i < *n%k {
			share++
		}
		cmd := exec.Command(self, "worker", "-n", strconv.Itoa(share), "-dir", *dir, "-id", strconv.Itoa(i))
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return err
		}
		w := &worker{cmd: cmd, in: in, out: bufio.NewReader(out)}
		ws = append(ws, w)
		if _, err := w.expect("ready"); err != nil {
			return err
		}
	}
	// Each phase: tell every worker, then wait for all of them.
	phase := func(cmd, reply string) (time.Duration, []string, error) {
		t0 := time.Now()
		for _, w := range ws {
			if _, err := io.WriteString(w.in, cmd+"\n"); err != nil {
				return 0, nil, err
			}
		}
		var rest []string
		for _, w := range ws {
			r, err := w.expect(reply)
			if err != nil {
				return 0, nil, err
			}
			rest = append(rest, r)
		}
		return time.Since(t0), rest, nil
	}
	spawn, rss, err := phase("go", "done")
	if err != nil {
		return err
	}
	var maxRSS, maxAnon int64
	for _, s := range rss {
		f := strings.Fields(s)
		if len(f) == 2 {
			v, _ := strconv.ParseInt(f[0], 10, 64)
			a, _ := strconv.ParseInt(f[1], 10, 64)
			maxRSS, maxAnon = max(maxRSS, v), max(maxAnon, a)
		}
	}
	stop, _, err := phase("stop", "stopped")
	if err != nil {
		return err
	}
	fmt.Printf("spawn %.6f\nstop %.6f\nrss %d\nrssanon %d\n", spawn.Seconds(), stop.Seconds(), maxRSS, maxAnon)
	return nil
}

// child is what a worker keeps per child, as superd does.
type child struct {
	p          *os.Process
	stdinW     *os.File
	outR, errR *os.File
	logs       [2]*os.File
}

func work(args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	n := fs.Int("n", 1, "children")
	dir := fs.String("dir", "", "log directory")
	id := fs.Int("id", 0, "worker number (for file names)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	in := bufio.NewReader(os.Stdin)
	next := func(want string) error {
		l, err := in.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.TrimSpace(l) != want {
			return fmt.Errorf("got %q, want %q", l, want)
		}
		return nil
	}
	sleep, err := exec.LookPath("/bin/sleep")
	if err != nil {
		return err
	}
	env := os.Environ()
	kids := make([]child, 0, *n)
	defer func() {
		for _, c := range kids {
			_ = c.p.Kill()
			_, _ = c.p.Wait()
		}
	}()
	fmt.Println("ready")
	if err := next("go"); err != nil {
		return err
	}
	for i := range *n {
		c, err := spawnOne(sleep, env, *dir, fmt.Sprintf("p_%d_%05d", *id, i))
		if err != nil {
			return err
		}
		kids = append(kids, c)
	}
	fmt.Printf("done %d %d\n", status("VmRSS"), status("RssAnon"))
	if err := next("stop"); err != nil {
		return err
	}
	for _, c := range kids {
		if err := c.p.Signal(syscall.SIGTERM); err != nil {
			return err
		}
	}
	for _, c := range kids {
		if _, err := c.p.Wait(); err != nil {
			return err
		}
	}
	kids = nil
	fmt.Println("stopped")
	return nil
}

// spawnOne does superd's per-child system work: three pipes, two
// O_EXCL log files, and a vfork+exec of sleep in its own process group.
func spawnOne(sleep string, env []string, dir, name string) (child, error) {
	var c child
	inR, inW, err := os.Pipe()
	if err != nil {
		return c, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return c, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return c, err
	}
	for i, ch := range []string{"stdout", "stderr"} {
		p := filepath.Join(dir, fmt.Sprintf("%s-%s---supervisor-%08d.log", name, ch, time.Now().UnixNano()%1e8))
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return c, err
		}
		c.logs[i] = f
	}
	p, err := os.StartProcess(sleep, []string{sleep, "100000"}, &os.ProcAttr{
		Env:   env,
		Files: []*os.File{inR, outW, errW},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		return c, err
	}
	c.p, c.stdinW, c.outR, c.errR = p, inW, outR, errR
	return c, nil
}

// status returns a kB field of /proc/self/status (0 if unknown).
func status(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.ParseInt(f[0], 10, 64)
				return v
			}
		}
	}
	return 0
}
