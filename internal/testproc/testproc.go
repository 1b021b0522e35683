package testproc

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/coreos/go-systemd/v22/activation"
	"golang.org/x/sys/unix"
)

// Marker is argv[1] of a helper process started through Command/Argv.
const Marker = "superd-testproc"

// EnvMode is the environment variable that may name the mode instead;
// the mode arguments are then os.Args[1:].
const EnvMode = "SUPERD_TESTPROC"

// Info is what the write-info mode records.
type Info struct {
	Args   []string `json:"args"`
	Env    []string `json:"env"`
	Cwd    string   `json:"cwd"`
	Umask  int      `json:"umask"`
	UID    int      `json:"uid"`
	GID    int      `json:"gid"`
	Groups []int    `json:"groups"`
	PID    int      `json:"pid"`
	PGID   int      `json:"pgid"`
	// Fds lists open descriptors above 2 as "N -> target", except the
	// Go runtime's own (anon_inode, cgroup files) and the one used to list them.
	Fds []string `json:"fds"`
	// SigIgn and SigBlk are the ignored and blocked signal masks
	// (hex, from /proc/self/status) as the process started.
	SigIgn string `json:"sigign"`
	SigBlk string `json:"sigblk"`
}

// Main runs a helper mode and exits if this process is a helper;
// otherwise it returns at once (after setting GORACE=atexit_sleep_ms=0
// for the helpers it will start). Call it first in TestMain.
func Main() {
	var mode string
	var args []string
	switch {
	case len(os.Args) > 2 && os.Args[1] == Marker:
		mode, args = os.Args[2], os.Args[3:]
	case os.Getenv(EnvMode) != "":
		mode, args = os.Getenv(EnvMode), os.Args[1:]
	default:
		// Helpers built with -race would otherwise linger 1 s at exit
		// (the race runtime's atexit_sleep_ms), making every "exit N"
		// helper slow; children inherit this.
		if g := os.Getenv("GORACE"); !strings.Contains(g, "atexit_sleep_ms") {
			os.Setenv("GORACE", strings.TrimSpace(g+" atexit_sleep_ms=0"))
		}
		return
	}
	os.Exit(run(mode, args))
}

// Argv returns the argv that runs mode in this test binary.
func Argv(t testing.TB, mode string, args ...string) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("testproc: %v", err)
	}
	return append([]string{exe, Marker, mode}, args...)
}

// Command returns Argv as one command line, quoted so that shlex.split
// (and superd's config parser) gives Argv back.
func Command(t testing.TB, mode string, args ...string) string {
	t.Helper()
	argv := Argv(t, mode, args...)
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}

// Quote quotes s for a POSIX shell / shlex.
func Quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == '=' || r == ':' || r == ',' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

func block() {
	select {}
}

func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// startStatus is /proc/self/status read before the Go runtime's
// signal handling could matter (package initialization).
var startStatus, _ = os.ReadFile("/proc/self/status")

func statusField(name string) string {
	for _, l := range strings.Split(string(startStatus), "\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func run(mode string, args []string) int {
	switch mode {
	case "exit":
		return atoi(arg(args, 0))
	case "sleep":
		block()
	case "exit-on":
		sig := unix.SignalNum("SIG" + strings.TrimPrefix(arg(args, 0), "SIG"))
		if sig == 0 {
			fmt.Fprintf(os.Stderr, "testproc: unknown signal %q\n", arg(args, 0))
			return 2
		}
		c := make(chan os.Signal, 1)
		signal.Notify(c, sig)
		fmt.Println("ready")
		<-c
		fmt.Printf("got %v\n", sig)
		return atoi(arg(args, 1))
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM, syscall.SIGINT)
		fmt.Println("ready")
		block()
	case "print-lines", "print-lines-wait":
		n := atoi(arg(args, 0))
		text := arg(args, 1)
		if text == "" {
			text = "line"
		}
		w := bufio.NewWriterSize(os.Stdout, 64<<10)
		for i := 0; i < n; i++ {
			fmt.Fprintf(w, "%s %d\n", text, i)
		}
		w.Flush()
		if mode == "print-lines-wait" {
			block()
		}
		return 0
	case "stderr":
		fmt.Fprintln(os.Stderr, arg(args, 0))
		fmt.Println("out: " + arg(args, 0))
		block()
	case "spawn-grandchild":
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		p, err := os.StartProcess(exe, []string{exe, Marker, "sleep"}, &os.ProcAttr{
			Files: []*os.File{nil, os.Stdout, os.Stderr},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		if err := writeAtomic(arg(args, 0), []byte(strconv.Itoa(p.Pid))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		block()
	case "write-info":
		info := Info{Args: os.Args, Env: os.Environ(), UID: os.Getuid(), GID: os.Getgid(), PID: os.Getpid(),
			PGID: syscall.Getpgrp()}
		info.Cwd, _ = os.Getwd()
		info.Umask = syscall.Umask(0)
		info.Groups, _ = os.Getgroups()
		info.Fds = openFds()
		info.SigIgn, info.SigBlk = statusField("SigIgn"), statusField("SigBlk")
		b, _ := json.Marshal(info)
		if err := writeAtomic(arg(args, 0), b); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		block()
	case "echo-stdin":
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			fmt.Println(sc.Text())
		}
		return 0
	case "capture":
		fmt.Print("before\n<!--XSUPERVISOR:BEGIN-->" + arg(args, 0) + "<!--XSUPERVISOR:END-->after the capture block ends\n")
		block()
	case "fcgi-serve":
		// an [fcgi-program:x] child: accept on fd 0 (the socket),
		// answer every connection with "<pid> <text>\n"
		l, err := net.FileListener(os.Stdin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fd 0 is not a listening socket:", err)
			return 3
		}
		fmt.Println("ready")
		serve(l, arg(args, 0))
	case "listen-serve":
		return listenServe()
	case "write-file":
		if err := writeAtomic(arg(args, 0), []byte(arg(args, 1))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		block()
	}
	fmt.Fprintf(os.Stderr, "testproc: unknown mode %q\n", mode)
	return 2
}

func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o666); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func openFds() []string {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return []string{err.Error()}
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	var out []string
	for _, n := range names {
		fd, _ := strconv.Atoi(n)
		if fd <= 2 || uintptr(fd) == d.Fd() {
			continue
		}
		target, _ := os.Readlink("/proc/self/fd/" + n)
		if strings.HasPrefix(target, "anon_inode:") || strings.HasPrefix(target, "/sys/fs/cgroup/") {
			continue
		}
		out = append(out, n+" -> "+target)
	}
	return out
}

// serve answers every connection on l with "<pid> <text>\n" until l is
// closed.
func serve(l net.Listener, text string) {
	pid := os.Getpid()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		fmt.Fprintf(c, "%d %s\n", pid, text)
		c.Close()
	}
}

// listenServe is a socket-activated server (systemd's protocol, read
// with go-systemd's activation package, which checks LISTEN_PID against
// its own pid): every listener answers "<pid> <fd name>\n". SIGTERM
// stops accepting, lets the answers in progress finish and exits 0.
func listenServe() int {
	byName, err := activation.ListenersWithNames()
	if err != nil || len(byName) == 0 {
		fmt.Fprintf(os.Stderr, "no sockets passed (LISTEN_FDS=%q LISTEN_PID=%q, pid %d): %v\n",
			os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_PID"), os.Getpid(), err)
		return 3
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	done := make(chan struct{})
	var ls []net.Listener
	n := 0
	for name, list := range byName {
		for _, l := range list {
			ls = append(ls, l)
			n++
			go func() { serve(l, name); done <- struct{}{} }()
		}
	}
	fmt.Printf("ready %d\n", len(ls))
	<-term
	for _, l := range ls {
		l.Close()
	}
	for ; n > 0; n-- {
		<-done
	}
	return 0
}
