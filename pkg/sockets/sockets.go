package sockets

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/superd/superd/pkg/config"
	"golang.org/x/sys/unix"
)

// somaxconn is Python's socket.SOMAXCONN on Linux, supervisord's
// default backlog.
const somaxconn = 4096

// Registry holds the sockets. The zero value is not usable; call New.
type Registry struct {
	mu   sync.Mutex // guards everything below (held during socket system calls)
	log  *slog.Logger
	fcgi map[string]*fcgiSock // by group name
	held map[string]*heldSock // listen= sockets by Key
}

type fcgiSock struct {
	cfg  *config.Socket
	f    *os.File
	refs int
}

type heldSock struct {
	cfg *config.Socket
	f   *os.File
}

// New returns an empty registry logging to log (nil: discard).
func New(log *slog.Logger) *Registry {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Registry{log: log, fcgi: map[string]*fcgiSock{}, held: map[string]*heldSock{}}
}

// SetLogger replaces the logger (the daemon opens its main log after it
// may have created the registry).
func (r *Registry) SetLogger(log *slog.Logger) {
	r.mu.Lock()
	r.log = log
	r.mu.Unlock()
}

// ---- FastCGI (supervisord's SocketManager) ----

// Probe is supervisord's check when an fcgi group is created: the
// socket is created and closed again. A socket the group already holds
// open (its processes still run, as across a restart of superd that is
// being validated) counts as created. The error text is supervisord's
// "Could not create FastCGI socket <url>: <reason>".
func (r *Registry) Probe(group string, s *config.Socket) error {
	r.mu.Lock()
	if fs := r.fcgi[group]; fs != nil && fs.refs > 0 && fs.cfg.URL == s.URL {
		r.mu.Unlock()
		return nil
	}
	r.mu.Unlock()
	if _, err := r.Acquire(group, s); err != nil {
		return err
	}
	r.Release(group)
	return nil
}

// Acquire returns the group's socket, creating it if no process holds
// it; every successful Acquire must be paired with a Release.
func (r *Registry) Acquire(group string, s *config.Socket) (*os.File, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if fs := r.fcgi[group]; fs != nil && fs.refs > 0 {
		fs.refs++
		return fs.f, nil
	}
	r.log.Info("Creating socket " + s.URL)
	f, err := create(s, false)
	if err != nil {
		return nil, fmt.Errorf("Could not create FastCGI socket %s: %s", s.URL, err)
	}
	r.fcgi[group] = &fcgiSock{cfg: s, f: f, refs: 1}
	return f, nil
}

// Release drops one reference to the group's socket and closes it when
// none is left.
func (r *Registry) Release(group string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fs := r.fcgi[group]
	if fs == nil || fs.refs == 0 {
		return
	}
	fs.refs--
	if fs.refs == 0 {
		delete(r.fcgi, group)
		r.log.Info("Closing socket " + fs.cfg.URL)
		fs.f.Close()
	}
}

// Refs returns how many processes hold the group's socket (tests and
// diagnostics).
func (r *Registry) Refs(group string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if fs := r.fcgi[group]; fs != nil {
		return fs.refs
	}
	return 0
}

// ---- listen= (socket activation) ----

// Key names a listen= socket: its url, and with reuseport the process
// it belongs to (each process then has its own socket).
func Key(s *config.Socket, process string, reuseport bool) string {
	if reuseport {
		return s.URL + "#" + process
	}
	return s.URL
}

// Listen returns the held socket for key, opening it if needed.
func (r *Registry) Listen(key string, s *config.Socket, reuseport bool) (*os.File, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h := r.held[key]; h != nil {
		return h.f, nil
	}
	f, err := create(s, reuseport)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %s", s.URL, err)
	}
	r.held[key] = &heldSock{cfg: s, f: f}
	r.log.Info("listening on " + s.URL)
	return f, nil
}

// Held returns the keys of the open listen= sockets, sorted.
func (r *Registry) Held() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]string, 0, len(r.held))
	for k := range r.held {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Retain closes every listen= socket whose key keep does not contain
// (a unix socket's file is removed).
func (r *Registry) Retain(keep map[string]bool) {
	r.mu.Lock()
	var gone []*heldSock
	for k, h := range r.held {
		if !keep[k] {
			gone = append(gone, h)
			delete(r.held, k)
		}
	}
	log := r.log
	r.mu.Unlock()
	for _, h := range gone {
		closeHeld(log, h)
	}
}

func closeHeld(log *slog.Logger, h *heldSock) {
	log.Info("closed socket " + h.cfg.URL)
	h.f.Close()
	if h.cfg.Network == "unix" {
		os.Remove(h.cfg.Path)
	}
}

// Close closes every socket (superd exits).
func (r *Registry) Close() {
	r.mu.Lock()
	held, fcgi := r.held, r.fcgi
	r.held, r.fcgi = map[string]*heldSock{}, map[string]*fcgiSock{}
	log := r.log
	r.mu.Unlock()
	for _, h := range held {
		closeHeld(log, h)
	}
	for _, fs := range fcgi {
		fs.f.Close()
	}
}

// ---- creation ----

// create makes a bound, listening, blocking, close-on-exec socket.
func create(s *config.Socket, reuseport bool) (*os.File, error) {
	backlog := s.Backlog
	if backlog <= 0 {
		backlog = somaxconn
	}
	if s.Network == "unix" {
		return createUnix(s, backlog)
	}
	return createTCP(s, backlog, reuseport)
}

func createTCP(s *config.Socket, backlog int, reuseport bool) (*os.File, error) {
	ip, err := resolve(s.Host)
	if err != nil {
		return nil, err
	}
	var sa unix.Sockaddr
	family := unix.AF_INET
	if ip4 := ip.To4(); ip4 != nil {
		a := &unix.SockaddrInet4{Port: s.Port}
		copy(a.Addr[:], ip4)
		sa = a
	} else {
		family = unix.AF_INET6
		a := &unix.SockaddrInet6{Port: s.Port}
		copy(a.Addr[:], ip.To16())
		sa = a
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, oserr(err, "")
	}
	fail := func(err error) (*os.File, error) {
		unix.Close(fd)
		return nil, oserr(err, "")
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail(err)
	}
	if reuseport {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return fail(err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fail(err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return fail(err)
	}
	return os.NewFile(uintptr(fd), s.URL), nil
}

// resolve is what Python's bind((host, port)) does for AF_INET: an
// address literal, or the host name's first IPv4 address; superd's
// listen= also takes IPv6 literals ("[::]") and "" or "*" for all
// interfaces.
func resolve(host string) (net.IP, error) {
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if h == "" || h == "*" {
		return net.IPv4zero, nil
	}
	if ip := net.ParseIP(h); ip != nil {
		return ip, nil
	}
	ips, err := net.LookupIP(h)
	if err != nil || len(ips) == 0 {
		// Python: socket.gaierror [Errno -2] Name or service not known
		return nil, errors.New("[Errno -2] Name or service not known")
	}
	for _, ip := range ips {
		if ip.To4() != nil {
			return ip, nil
		}
	}
	return ips[0], nil
}

func createUnix(s *config.Socket, backlog int) (*os.File, error) {
	if _, err := os.Lstat(s.Path); err == nil {
		if err := unix.Unlink(s.Path); err != nil {
			return nil, oserr(err, s.Path)
		}
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, oserr(err, "")
	}
	fail := func(msg string) (*os.File, error) {
		unix.Close(fd)
		if _, err := os.Lstat(s.Path); err == nil {
			unix.Unlink(s.Path)
		}
		return nil, errors.New(msg)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: s.Path}); err != nil {
		unix.Close(fd)
		return nil, oserr(err, "")
	}
	if s.Owner != nil {
		if err := unix.Chown(s.Path, s.Owner.UID, s.Owner.GID); err != nil {
			return fail("Could not change ownership of socket file: " + oserr(err, s.Path).Error())
		}
	}
	if s.Mode != nil {
		if err := unix.Chmod(s.Path, uint32(*s.Mode)); err != nil {
			return fail("Could not change permissions of socket file: " + oserr(err, s.Path).Error())
		}
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return fail(oserr(err, "").Error())
	}
	return os.NewFile(uintptr(fd), s.URL), nil
}

// oserr renders err as Python's str(OSError): "[Errno 98] Address
// already in use", plus ": 'path'" for calls on a file name.
func oserr(err error, path string) error {
	var en syscall.Errno
	if !errors.As(err, &en) {
		return err
	}
	msg := en.Error()
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	out := "[Errno " + strconv.Itoa(int(en)) + "] " + msg
	if path != "" {
		out += ": " + pyRepr(path)
	}
	return errors.New(out)
}

// pyRepr quotes a path as Python's repr of a str does.
func pyRepr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

// ---- whole configurations ----

// Keys returns the keys of every listen= socket cfg's processes use.
func Keys(cfg *config.Config) map[string]bool {
	keys := map[string]bool{}
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			for i := range p.Listen {
				keys[Key(&p.Listen[i], p.Name, p.ListenReusePort)] = true
			}
		}
	}
	return keys
}

// OpenListen opens every listen= socket of cfg that is not open yet
// (the daemon calls it before dropping privileges, so a program can
// get port 80 and still run as www-data). Each error names the
// program's section and file:line.
func (r *Registry) OpenListen(cfg *config.Config) error {
	var errs []error
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			for i := range p.Listen {
				s := &p.Listen[i]
				if _, err := r.Listen(Key(s, p.Name, p.ListenReusePort), s, p.ListenReusePort); err != nil {
					errs = append(errs, fmt.Errorf("%s: [program:%s] listen: %w", p.Source, p.Program, err))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// ProbeFCGI probes the socket of every [fcgi-program:x] of cfg, as
// supervisord does when it creates the groups at start-up. Each error
// names the section and its file:line.
//
// A socket whose url some running group holds open already is taken as
// good: this is how a restart of superd validates its new configuration
// before stopping the processes that hold the sockets (supervisord
// probes after stopping them).
func (r *Registry) ProbeFCGI(cfg *config.Config) error {
	r.mu.Lock()
	open := map[string]bool{}
	for _, fs := range r.fcgi {
		if fs.refs > 0 {
			open[fs.cfg.URL] = true
		}
	}
	r.mu.Unlock()
	var errs []error
	for _, g := range cfg.Groups {
		if g.Socket != nil && open[g.Socket.URL] {
			continue
		}
		if err := r.ProbeGroup(g); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ProbeGroup probes g's socket if g is an [fcgi-program:x]; the error
// names the section and its file:line.
func (r *Registry) ProbeGroup(g *config.Group) error {
	if g.Kind != config.KindFCGIProgram || g.Socket == nil {
		return nil
	}
	if err := r.Probe(g.Name, g.Socket); err != nil {
		return fmt.Errorf("%s: [fcgi-program:%s] %w", g.Source, g.Name, err)
	}
	return nil
}
