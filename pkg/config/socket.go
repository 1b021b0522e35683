package config

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"strings"
)

// Socket is a listening socket superd creates and passes to children:
// the socket= of an [fcgi-program:x] (supervisord's socket_config) or
// one entry of a program's listen= (a superd extension).
type Socket struct {
	// URL is supervisord's url of the socket: "tcp://host:port" (host
	// lower-cased) or "unix:///abs/path". Two sockets are the same
	// configuration when their URLs are equal (supervisord compares
	// only the url).
	URL string `json:"url"`
	// Network is "tcp" or "unix".
	Network string `json:"-"`
	// Host and Port are set for tcp ("" host: all interfaces), Path
	// for unix.
	Host string `json:"-"`
	Port int    `json:"-"`
	Path string `json:"-"`
	// Backlog is the listen(2) backlog; 0 means SOMAXCONN.
	Backlog int `json:"backlog,omitempty"`
	// Owner is the uid:gid a unix socket file is chowned to (nil:
	// unchanged; GID -1: uid only).
	Owner *SocketOwner `json:"owner,omitempty"`
	// Mode is the permission of a unix socket file (nil: unchanged).
	Mode *Umask `json:"mode,omitempty"`
	// Name is the socket's LISTEN_FDNAMES entry (listen= only).
	Name string `json:"name,omitempty"`
}

// SocketOwner is a uid and gid (-1: unchanged).
type SocketOwner struct {
	UID int `json:"uid"`
	GID int `json:"gid"`
}

// String is the url, as supervisord prints a socket config.
func (s *Socket) String() string { return s.URL }

var fcgiTCP = regexp.MustCompile(`^tcp://([^\s:]+):(\d+)$`)

// pyValueError2 renders a Python ValueError raised with two arguments,
// as str() of it prints them: "('Bad socket format %s', 'foo')".
func pyValueError2(format, arg string) error {
	return fmt.Errorf("(%s, %s)", pyRepr(format), pyRepr(arg))
}

// parseFCGISocket is supervisord's parse_fcgi_socket. procUID is the
// uid of the section's user= (-1 without one).
func parseFCGISocket(sock string, procUID int, owner *SocketOwner, mode *Umask, backlog int) (*Socket, error) {
	if path, ok := strings.CutPrefix(sock, "unix://"); ok {
		if !strings.HasPrefix(path, "/") {
			return nil, pyValueError2("Unix socket path %s is not an absolute path", path)
		}
		path = normalizePath(path)
		if owner == nil && procUID >= 0 && procUID != os.Getuid() {
			gid := -1
			if u, err := user.LookupId(strconv.Itoa(procUID)); err == nil {
				gid, _ = strconv.Atoi(u.Gid)
			}
			owner = &SocketOwner{UID: procUID, GID: gid}
		}
		if mode == nil {
			m := Umask(0o700)
			mode = &m
		}
		return &Socket{URL: "unix://" + path, Network: "unix", Path: path, Owner: owner, Mode: mode, Backlog: backlog}, nil
	}
	if owner != nil || mode != nil {
		return nil, errors.New("socket_owner and socket_mode params should only be used with a Unix domain socket")
	}
	if m := fcgiTCP.FindStringSubmatch(sock); m != nil {
		port, err := portNumber(m[2])
		if err != nil {
			return nil, err
		}
		host := strings.ToLower(m[1])
		return &Socket{URL: fmt.Sprintf("tcp://%s:%d", host, port), Network: "tcp", Host: host, Port: port, Backlog: backlog}, nil
	}
	return nil, pyValueError2("Bad socket format %s", sock)
}

// fcgiGroup reads an [fcgi-program:x] section as supervisord's
// process_groups_from_parser does: the group-level options (priority,
// user, socket_*) in its order, then the processes.
func (l *loader) fcgiGroup(s *rawSection, hereOnly map[string]any) *Group {
	name, err := processOrGroupName(strings.SplitN(s.Name, ":", 2)[1])
	if err != nil {
		l.fail(s, "", err)
		return nil
	}
	ok := true
	get := func(opt string, extra map[string]any) (string, bool, bool) {
		return l.get(s, opt, nil, merged(hereOnly, extra), true)
	}
	v, _, gok := l.get(s, "priority", sp("999"), hereOnly, true)
	prio, pok := conv(l, s, "priority", v, gok, pyInt)
	ok = ok && pok
	procUID := -1
	if v, present, gok := get("user", nil); present {
		if uid, uok := conv(l, s, "user", v, gok, nameToUID); uok {
			procUID = uid
		} else {
			ok = false
		}
	}
	backlog := 0
	if v, present, gok := get("socket_backlog", nil); present {
		n, nok := conv(l, s, "socket_backlog", v, gok, pyInt)
		switch {
		case !nok:
			ok = false
		case n < 1 || n > 65535:
			l.fail(s, "socket_backlog", fmt.Errorf("Invalid socket_backlog value %d", n))
			ok = false
		default:
			backlog = n
		}
	}
	var owner *SocketOwner
	if v, present, gok := get("socket_owner", nil); present {
		if !gok {
			ok = false
		} else if uid, gid, err := userGroup(v); err != nil {
			l.fail(s, "socket_owner", fmt.Errorf("Invalid socket_owner value %s", v))
			ok = false
		} else {
			owner = &SocketOwner{UID: uid, GID: gid}
		}
	}
	var mode *Umask
	if v, present, gok := get("socket_mode", nil); present {
		if !gok {
			ok = false
		} else if m, err := octal(v); err != nil {
			l.fail(s, "socket_mode", fmt.Errorf("Invalid socket_mode value %s", v))
			ok = false
		} else {
			mode = &m
		}
	}
	var sock *Socket
	v, present, gok := get("socket", map[string]any{"program_name": name})
	switch {
	case present && !gok:
		ok = false // expansion failed (reported)
	case v == "":
		l.fail(s, "", fmt.Errorf("[%s] section requires a \"socket\" line", s.Name))
		ok = false
	default:
		sc, err := parseFCGISocket(v, procUID, owner, mode, backlog)
		if err != nil {
			l.fail(s, "socket", fmt.Errorf("%s in [%s] socket", err, s.Name))
			ok = false
		} else {
			sock = sc
		}
	}
	procs := l.processes(s, name, KindFCGIProgram)
	if !ok {
		return nil
	}
	return &Group{Name: name, Kind: KindFCGIProgram, Priority: prio, Processes: procs, Socket: sock,
		Source: fmt.Sprintf("%s:%d", s.File, s.Line), Scaling: l.scaling[s]}
}
