package process

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/logfile"
	"golang.org/x/sys/unix"
)

// cmdError is a command that cannot be run, found before spawning
// (supervisord's get_execv_args): kind is KindNoFile or
// KindNotExecutable, msg its text ("can't find command '/no/such'").
type cmdError struct {
	kind Kind
	msg  string
}

func (e *cmdError) Error() string { return e.msg }

// pyRepr quotes s as Python's repr of a str does (enough for paths).
func pyRepr(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = `"`
	}
	var b strings.Builder
	b.WriteString(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case string(r) == q:
			b.WriteString(`\` + q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(q)
	return b.String()
}

// childEnv builds the environment of a child as supervisord does:
// superd's own, SUPERVISOR_ENABLED, SUPERVISOR_SERVER_URL,
// SUPERVISOR_PROCESS_NAME, SUPERVISOR_GROUP_NAME, then [supervisord]
// environment, then the program's environment (later wins).
func childEnv(base []string, sd map[string]string, pc *config.Process, serverURL string, files []config.EnvVar, extra ...string) []string {
	var keys []string
	vals := map[string]string{}
	set := func(k, v string) {
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		vals[k] = v
	}
	for _, kv := range base {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		set(k, v)
	}
	set("SUPERVISOR_ENABLED", "1")
	url := pc.ServerURL
	if url == "" || strings.EqualFold(strings.TrimSpace(url), "AUTO") {
		url = serverURL
	}
	if url != "" {
		set("SUPERVISOR_SERVER_URL", url)
	}
	set("SUPERVISOR_PROCESS_NAME", pc.Name)
	set("SUPERVISOR_GROUP_NAME", pc.Group)
	sdKeys := make([]string, 0, len(sd))
	for k := range sd {
		sdKeys = append(sdKeys, k)
	}
	sort.Strings(sdKeys)
	for _, k := range sdKeys {
		set(k, sd[k])
	}
	for _, e := range files { // environment_file: environment= wins
		set(e.Key, e.Value)
	}
	for _, e := range pc.Environment {
		set(e.Key, e.Value)
	}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		set(k, v)
	}
	env := make([]string, len(keys))
	for i, k := range keys {
		env[i] = k + "=" + vals[k]
	}
	return env
}

// searchPath returns the PATH directories supervisord searches: PATH of
// the configured environment, else superd's PATH, else a default.
func searchPath(sd map[string]string, pc *config.Process) []string {
	for i := len(pc.Environment) - 1; i >= 0; i-- {
		if pc.Environment[i].Key == "PATH" {
			return filepath.SplitList(pc.Environment[i].Value)
		}
	}
	if p, ok := sd["PATH"]; ok {
		return filepath.SplitList(p)
	}
	if p := os.Getenv("PATH"); p != "" {
		return filepath.SplitList(p)
	}
	return []string{"/bin", "/usr/bin", "/usr/local/bin"}
}

// resolveCommand is supervisord's get_execv_args + check_execv_args.
func resolveCommand(sd map[string]string, pc *config.Process) (string, []string, error) {
	if pc.Argv == nil && pc.CommandErr != "" {
		msg := pc.CommandErr
		if !strings.HasPrefix(msg, "can't parse command") {
			msg = fmt.Sprintf("can't parse command %s: %s", pyRepr(pc.Command), msg)
		}
		return "", nil, &cmdError{KindNotExecutable, msg}
	}
	if len(pc.Argv) == 0 {
		return "", nil, &cmdError{KindNotExecutable, "command is empty"}
	}
	program := pc.Argv[0]
	filename := program
	var st fs.FileInfo
	if strings.Contains(program, "/") {
		st, _ = os.Stat(program)
	} else {
		for _, dir := range searchPath(sd, pc) {
			// As Python's os.path.join: not cleaned, so messages
			// name the path supervisord names.
			found := dir + "/" + program
			switch {
			case dir == "":
				found = program
			case strings.HasSuffix(dir, "/"):
				found = dir + program
			}
			if s, err := os.Stat(found); err == nil {
				st, filename = s, found
				break
			}
		}
	}
	switch {
	case st == nil:
		return "", nil, &cmdError{KindNoFile, "can't find command " + pyRepr(filename)}
	case st.IsDir():
		return "", nil, &cmdError{KindNotExecutable, "command at " + pyRepr(filename) + " is a directory"}
	case st.Mode().Perm()&0o111 == 0:
		return "", nil, &cmdError{KindNotExecutable, "command at " + pyRepr(filename) + " is not executable"}
	case unix.Access(filename, unix.X_OK) != nil:
		return "", nil, &cmdError{KindNotExecutable, "no permission to run command " + pyRepr(filename)}
	}
	return filename, pc.Argv, nil
}

// credential returns the credential for user= as supervisord's
// drop_privileges: nil when no user or already that user; an error text
// ("Can't find username 'x'", "Can't drop privilege as nonroot user").
func credential(pc *config.Process) (*syscall.Credential, string) {
	if pc.User == "" {
		return nil, ""
	}
	var u *user.User
	var err error
	if _, nerr := strconv.Atoi(pc.User); nerr == nil {
		u, err = user.LookupId(pc.User)
		if err != nil {
			return nil, "Can't find uid " + pc.User
		}
	} else {
		u, err = user.Lookup(pc.User)
		if err != nil {
			return nil, "Can't find username " + pyRepr(pc.User)
		}
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if uid == os.Getuid() {
		return nil, ""
	}
	if os.Getuid() != 0 {
		return nil, "Can't drop privilege as nonroot user"
	}
	groups := []uint32{uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.Atoi(id); err == nil && g != gid {
				groups = append(groups, uint32(g))
			}
		}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}, ""
}

// errnoName returns "ENOENT" for an errno inside err.
func errnoName(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		if n := unix.ErrnoName(en); n != "" {
			return n
		}
		return strconv.Itoa(int(en))
	}
	return err.Error()
}

// childPipes are the pipes of one child: the parent's ends and the
// child's ends (closed in the parent after the start).
type childPipes struct {
	stdinR, stdinW   *os.File
	stdoutR, stdoutW *os.File
	stderrR, stderrW *os.File
}

func (p *childPipes) closeChild() {
	for _, f := range []*os.File{p.stdinR, p.stdoutW, p.stderrW} {
		if f != nil {
			f.Close()
		}
	}
	p.stdinR, p.stdoutW, p.stderrW = nil, nil, nil
}

func (p *childPipes) closeParent() {
	for _, f := range []*os.File{p.stdinW, p.stdoutR, p.stderrR} {
		if f != nil {
			f.Close()
		}
	}
}

// makePipes creates the pipes (all close-on-exec; the child's ends are
// dup'ed onto 0, 1, 2 by the fork).
func makePipes(stderr bool) (*childPipes, error) {
	p := &childPipes{}
	var err error
	if p.stdinR, p.stdinW, err = highPipe(false); err != nil {
		return nil, err
	}
	if p.stdoutR, p.stdoutW, err = highPipe(true); err != nil {
		p.closeChild()
		p.closeParent()
		return nil, err
	}
	if stderr {
		if p.stderrR, p.stderrW, err = highPipe(true); err != nil {
			p.closeChild()
			p.closeParent()
			return nil, err
		}
	}
	return p, nil
}

// highFD is where superd keeps the descriptors it holds per child
// (pipe ends, pidfds, log files): at or above it when the limit
// allows. Go's fork/exec waits until the new child's exec has closed
// the write end of Go's status pipe, and exec closes superd's
// close-on-exec descriptors in ascending order, all of them (6 per
// child). The status pipe takes the lowest free numbers, so with the
// per-child descriptors above it, it is among the first closed and
// superd goes on with the next spawn while the child closes the rest.
const highFD = 256

// highPipe makes a pipe with both ends moved to highFD or above. The
// parent's end (the read end if parentReads) is non-blocking, so
// NewFile makes it pollable as os.Pipe's ends are; the child's end
// stays blocking, as a child expects its 0, 1 and 2 (os.StartProcess
// would make an os.Pipe end blocking again; it does not for a file
// that NewFile found non-blocking).
func highPipe(parentReads bool) (r, w *os.File, err error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return nil, nil, os.NewSyscallError("pipe2", err)
	}
	rfd, wfd := raiseFD(p[0]), raiseFD(p[1])
	parent := wfd
	if parentReads {
		parent = rfd
	}
	if err := syscall.SetNonblock(parent, true); err != nil {
		syscall.Close(rfd)
		syscall.Close(wfd)
		return nil, nil, os.NewSyscallError("fcntl", err)
	}
	return os.NewFile(uintptr(rfd), "|0"), os.NewFile(uintptr(wfd), "|1"), nil
}

// raiseFD moves fd to the lowest free number at or above highFD and
// returns it, or returns fd unchanged when there is none.
func raiseFD(fd int) int {
	if fd >= highFD {
		return fd
	}
	n, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, highFD)
	if err != nil {
		return fd
	}
	unix.Close(fd)
	return n
}

// childFailure writes supervisord's child-side failure lines to the
// process's stderr log (stdout log with redirect_stderr) and returns msg
// as the spawn error.
func (s *Supervisor) childFailure(p *proc, msg string) string {
	w := p.stderrLog
	if w == nil {
		w = p.stdoutLog
	}
	if w != nil {
		w.Write([]byte("supervisor: " + msg + "\nsupervisor: child process was not spawned\n"))
	}
	return msg
}

// spawn starts p's child. It returns the pid, or a spawn error text.
func (s *Supervisor) spawn(p *proc) (pid int, spawnErr string) {
	pc := p.cfg
	// A prepared spawn (prefetch.go) has done the steps up to the
	// pipes, and the environment, already; a process with sockets is
	// never prepared.
	pr := s.takePrep(p)
	s.resolveAuto(p) // not prepared: its AUTO files, deferred by newProc
	socks, msg := s.childSockets(p)
	if msg != "" {
		if pr != nil {
			pr.release()
		}
		return 0, msg
	}
	defer func() {
		if spawnErr != "" && socks.release != nil {
			socks.release()
		}
	}()
	listener := p.g.cfg.Kind == config.KindEventListener
	var (
		filename string
		argv     []string
		pipes    *childPipes
		err      error
	)
	if pr != nil {
		filename, argv, pipes = pr.filename, pr.argv, pr.pipes
	} else {
		filename, argv, err = resolveCommand(p.g.env, pc)
		if err != nil {
			return 0, err.Error()
		}
		s.retryAutoLogs(p)
		err = s.ensureLogs(p)
		if err == nil {
			pipes, err = makePipes(!pc.RedirectStderr || listener)
		}
		if err != nil {
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				return 0, fmt.Sprintf("too many open files to spawn '%s'", pc.Name)
			}
			return 0, fmt.Sprintf("unknown error making dispatchers for '%s': %s", pc.Name, errnoName(err))
		}
	}
	if socks.stdin != nil {
		// the FastCGI socket is the child's stdin (supervisord still
		// makes the pipe and closes it at once)
		pipes.stdinR.Close()
		pipes.stdinW.Close()
		pipes.stdinR, pipes.stdinW = nil, nil
	}
	cred, msg := credential(pc)
	if msg != "" {
		pipes.closeChild()
		pipes.closeParent()
		uid := pc.User
		if pc.UID >= 0 {
			uid = strconv.Itoa(pc.UID)
		}
		return 0, s.childFailure(p, fmt.Sprintf("couldn't setuid to %s: %s", uid, msg))
	}
	if pc.Directory != "" {
		if st, err := os.Stat(pc.Directory); err != nil || !st.IsDir() {
			name := "ENOTDIR"
			if err != nil {
				name = errnoName(err)
			}
			pipes.closeChild()
			pipes.closeParent()
			return 0, s.childFailure(p, fmt.Sprintf("couldn't chdir to %s: %s", pc.Directory, name))
		}
	}
	umask := int64(-1)
	if pc.Umask != nil {
		umask = int64(*pc.Umask)
	}
	if umask >= 0 || len(socks.extra) > 0 {
		filename, argv = shimArgv(umask, len(socks.extra) > 0, filename, argv)
	}
	stdin := pipes.stdinR
	if socks.stdin != nil {
		stdin = socks.stdin
	}
	stderrW := pipes.stderrW
	if stderrW == nil {
		stderrW = pipes.stdoutW
	}
	var env []string
	if pr != nil && pr.buildEnv {
		env = pr.childEnv
	} else {
		fileEnv, extraEnv, err := s.lifecycleEnv(pc)
		if err != nil {
			pipes.closeChild()
			pipes.closeParent()
			return 0, s.childFailure(p, err.Error())
		}
		env = childEnv(os.Environ(), p.g.env, pc, s.opts.ServerURL, fileEnv, extraEnv...)
	}
	if len(socks.env) > 0 {
		env = withListenEnv(env, socks.env)
	}
	if pc.Ready != nil || pc.Health != nil {
		p.probeEnv = env
	}
	attr := &os.ProcAttr{
		Dir:   pc.Directory,
		Env:   env,
		Files: append([]*os.File{stdin, pipes.stdoutW, stderrW}, socks.extra...),
		Sys:   &syscall.SysProcAttr{Setpgid: true, Credential: cred},
	}
	p.gen++
	var osp *os.Process
	flush := new(outFlush)
	if s.reaper != nil {
		osp, err = s.reaper.startProcess(filename, argv, attr, p, p.gen, flush)
	} else {
		osp, err = os.StartProcess(filename, argv, attr)
	}
	pipes.closeChild()
	if err != nil {
		pipes.closeParent()
		if errors.Is(err, syscall.EAGAIN) {
			return 0, fmt.Sprintf("Too many processes in process table to spawn '%s'", pc.Name)
		}
		return 0, s.childFailure(p, fmt.Sprintf("couldn't exec %s: %s", pc.Argv[0], errnoName(err)))
	}
	pid = osp.Pid
	p.child = &child{pid: pid, osp: osp, stdin: pipes.stdinW, release: socks.release}

	debug := s.log.Enabled(context.Background(), slog.LevelDebug)
	strip := s.cfg.Supervisord.StripANSI
	start := func(f *os.File, w *logfile.Writer, channel string, lc config.Log, hook ListenerHook) {
		r := &outReader{s: s, f: f, w: w, channel: channel, name: pc.Name, group: pc.Group, pid: pid,
			events: lc.EventsEnabled && s.emitting(), strip: strip, debug: debug, listener: hook, count: &p.outBytes[0]}
		if channel == "stderr" {
			r.count = &p.outBytes[1]
		}
		if hook == nil {
			r.capMax = lc.CaptureMaxBytes
		}
		r.simple = !r.events && !r.strip && !r.debug && r.capMax == 0 && r.listener == nil
		if o := p.oneshot; o != nil {
			r.tap = o.Output
			r.atEOF = o.readerDone
		}
		if hook != nil {
			// After the listener's last Output: an answer it wrote
			// right before exiting still counts (supervisord drains
			// the pipes before it handles an exit).
			r.atEOF = func() { hook.Detach(p.g.cfg.Name, pc.Name, pid) }
		}
		s.rmu.Lock()
		s.rfiles[r] = struct{}{}
		s.rmu.Unlock()
		s.readers.Add(1)
		if s.opoll == nil && !s.noOpoll {
			s.opoll = newOutPoll()
			s.noOpoll = s.opoll == nil
		}
		if s.opoll == nil || !s.opoll.add(r) {
			go r.run()
			return
		}
		flush.add(r)
	}
	var hook ListenerHook
	if listener {
		hook = s.opts.Listeners
	}
	if o := p.oneshot; o != nil {
		o.readers.Store(1)
		if pipes.stderrR != nil {
			o.readers.Store(2)
		}
	}
	if hook != nil {
		// Before its output can be read: the pool must know the
		// listener when its READY arrives (the child may write it
		// while the loop is still here).
		hook.Attach(p.g.cfg.Name, pc.Name, pid, pipes.stdinW)
	}
	start(pipes.stdoutR, p.stdoutLog, "stdout", pc.Stdout, hook)
	if pipes.stderrR != nil {
		start(pipes.stderrR, p.stderrLog, "stderr", pc.Stderr, nil)
	}
	if s.reaper == nil {
		gen := p.gen
		if pfd := openPidfd(pid); pfd != nil {
			osp.Release()
			p.child.osp, p.child.pidfd = nil, pfd
			wait := func() {
				ws, err := waitPidfd(pfd)
				if err != nil {
					s.log.Error(fmt.Sprintf("waiting for %s (pid %d): %v", pc.Name, pid, err))
					ws = syscall.WaitStatus(255 << 8)
				}
				flush.run()
				s.post(loopEvent{kind: leExit, p: p, gen: gen, pid: pid, status: ws})
			}
			// The shared poller runs wait once the child has exited;
			// without it, a goroutine parks on the pidfd.
			if s.opoll == nil || !s.opoll.addExit(pfd, wait) {
				go wait()
			}
		} else {
			go func() {
				var ws syscall.WaitStatus
				st, err := osp.Wait()
				if err == nil {
					ws = st.Sys().(syscall.WaitStatus)
				} else {
					s.log.Error(fmt.Sprintf("waiting for %s (pid %d): %v", pc.Name, pid, err))
					ws = syscall.WaitStatus(255 << 8)
				}
				s.post(loopEvent{kind: leExit, p: p, gen: gen, pid: pid, status: ws})
			}()
		}
	}
	return pid, ""
}
