package process

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/sockets"
)

// childSocks are the sockets one spawn passes to its child.
type childSocks struct {
	// stdin is the [fcgi-program:x] socket, the child's fd 0 (nil: a
	// pipe, as for every other program).
	stdin *os.File
	// extra are the listen= sockets, the child's fds 3, 4, ...
	extra []*os.File
	// env is LISTEN_FDS, LISTEN_PID (set to the child's pid by the exec
	// shim) and LISTEN_FDNAMES when extra is not empty.
	env []string
	// release gives the fcgi socket reference back (nil: nothing held).
	release func()
}

// childSockets acquires what p's next child gets: its group's FastCGI
// socket (supervisord's before_spawn: the reference is dropped when the
// child is reaped, or at once if the spawn fails) and its listen=
// sockets (held by the registry, kept after the child). The string is
// a spawn error.
func (s *Supervisor) childSockets(p *proc) (childSocks, string) {
	var cs childSocks
	if g := p.g.cfg; g.Kind == config.KindFCGIProgram && g.Socket != nil {
		f, err := s.socks.Acquire(g.Name, g.Socket)
		if err != nil {
			return cs, err.Error()
		}
		cs.stdin = f
		name := g.Name
		cs.release = func() { s.socks.Release(name) }
	}
	pc := p.cfg
	if len(pc.Listen) == 0 {
		return cs, ""
	}
	names := make([]string, 0, len(pc.Listen))
	for i := range pc.Listen {
		sk := &pc.Listen[i]
		f, err := s.socks.Listen(sockets.Key(sk, pc.Name, pc.ListenReusePort), sk, pc.ListenReusePort)
		if err != nil {
			if cs.release != nil {
				cs.release()
			}
			return childSocks{}, err.Error()
		}
		cs.extra = append(cs.extra, f)
		names = append(names, sk.Name)
	}
	cs.env = []string{
		"LISTEN_FDS=" + strconv.Itoa(len(cs.extra)),
		"LISTEN_PID=0", // replaced by the exec shim
		"LISTEN_FDNAMES=" + strings.Join(names, ":"),
	}
	return cs, ""
}

// withListenEnv replaces any LISTEN_* of env by add.
func withListenEnv(env, add []string) []string {
	out := make([]string, 0, len(env)+len(add))
	for _, kv := range env {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES":
			continue
		}
		out = append(out, kv)
	}
	return append(out, add...)
}

// openListen opens the listen= sockets of g's processes as soon as the
// group is added, so that connections queue before the first start; a
// failure is logged and retried at each spawn (which then fails with
// the error as spawnerr).
func (s *Supervisor) openListen(g *config.Group) {
	for _, pc := range g.Processes {
		for i := range pc.Listen {
			sk := &pc.Listen[i]
			if _, err := s.socks.Listen(sockets.Key(sk, pc.Name, pc.ListenReusePort), sk, pc.ListenReusePort); err != nil {
				s.log.Error(fmt.Sprintf("%s: %v", pc.Name, err))
			}
		}
	}
}

// retainListen closes the listen= sockets no process needs any more:
// a socket is kept while a process of an active group uses it, or the
// latest configuration has it for a group not added yet (update will
// add it; a restart of superd keeps what the new configuration still
// has). So update closes the sockets of a removed program or an old
// listen=, and scale down those of the processes it removed (with
// listen_reuseport each process has its own socket, and the kernel
// would keep handing it connections nobody accepts).
func (s *Supervisor) retainListen() {
	keep := map[string]bool{}
	add := func(pc *config.Process) {
		for i := range pc.Listen {
			keep[sockets.Key(&pc.Listen[i], pc.Name, pc.ListenReusePort)] = true
		}
	}
	if s.latest != nil {
		for _, g := range s.latest.Groups {
			if s.groups[g.Name] == nil {
				for _, pc := range g.Processes {
					add(pc)
				}
			}
		}
	}
	for _, g := range s.groups {
		for _, pc := range g.cfg.Processes {
			add(pc)
		}
	}
	s.socks.Retain(keep)
}

// listenURLs is ", listening on tcp://..., unix://..." for the
// description of a running process with listen= ("" without).
func listenURLs(pc *config.Process) string {
	if pc == nil || len(pc.Listen) == 0 {
		return ""
	}
	urls := make([]string, len(pc.Listen))
	for i := range pc.Listen {
		urls[i] = pc.Listen[i].URL
	}
	return ", listening on " + strings.Join(urls, ", ")
}
