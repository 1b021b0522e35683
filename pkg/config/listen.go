package config

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"
)

// listenOptions are superd's socket activation options of [program:x]
// (supervisord ignores them).
var listenOptions = []string{"listen", "listen_reuseport", "listen_backlog", "listen_owner", "listen_mode"}

// listenUse records where a listen= socket was configured, for the
// collision check.
type listenUse struct {
	sec   *rawSection
	owner string // "[program:x]"
	sock  Socket
}

// listen reads the listen= options of a program section into p
// (expanded like the other per-process options). It returns false if
// any of them is invalid (the error is recorded).
//
//	listen = [name=]tcp://host:port, [name=]unix:///path, ...
//	listen_reuseport = false   (tcp only: a socket per process)
//	listen_backlog = 4096      (1..65535)
//	listen_owner = user[:group] (unix: default the program's user=)
//	listen_mode = 0660          (unix)
func (l *loader) listen(s *rawSection, p *Process, common map[string]any) bool {
	raw, present, ok := l.get(s, "listen", nil, common, true)
	if !present {
		for _, opt := range listenOptions[1:] {
			if o := l.p.get(s, opt); o != nil {
				l.fail(s, opt, fmt.Errorf("%s without listen= has no effect", opt))
				return false
			}
		}
		return true
	}
	if !ok {
		return false
	}
	good := true
	get := func(opt string) (string, bool, bool) { return l.get(s, opt, nil, common, true) }
	if v, present, ok := get("listen_reuseport"); present {
		b, bok := conv(l, s, "listen_reuseport", v, ok, pyBool)
		p.ListenReusePort = b
		good = good && bok
	}
	backlog := 0
	if v, present, ok := get("listen_backlog"); present {
		n, nok := conv(l, s, "listen_backlog", v, ok, pyInt)
		if nok && (n < 1 || n > 65535) {
			l.fail(s, "listen_backlog", fmt.Errorf("invalid listen_backlog %d (1 to 65535)", n))
			nok = false
		}
		backlog = n
		good = good && nok
	}
	var owner *SocketOwner
	if v, present, ok := get("listen_owner"); present {
		if !ok {
			good = false
		} else if uid, gid, err := userGroup(v); err != nil {
			l.fail(s, "listen_owner", err)
			good = false
		} else {
			owner = &SocketOwner{UID: uid, GID: gid}
		}
	} else if p.UID >= 0 && p.UID != os.Getuid() {
		owner = &SocketOwner{UID: p.UID, GID: primaryGID(p.UID)}
	}
	mode := Umask(0o660)
	modeSet := false
	if v, present, ok := get("listen_mode"); present {
		modeSet = true
		m, mok := conv(l, s, "listen_mode", v, ok, octal)
		mode = m
		good = good && mok
	}
	p.Listen = nil
	names := map[string]bool{}
	for _, item := range listOfStrings(raw) {
		if item == "" {
			continue
		}
		sock, err := parseListen(item, p.Program)
		if err != nil {
			l.fail(s, "listen", err)
			good = false
			continue
		}
		if sock.Network == "unix" {
			sock.Owner = owner
			m := mode
			sock.Mode = &m
			if p.ListenReusePort {
				l.fail(s, "listen_reuseport", fmt.Errorf("listen_reuseport applies to tcp sockets only, not %s", sock.URL))
				good = false
			}
		}
		sock.Backlog = backlog
		if names[sock.URL] {
			l.fail(s, "listen", fmt.Errorf("%s is listed twice", sock.URL))
			good = false
			continue
		}
		names[sock.URL] = true
		p.Listen = append(p.Listen, sock)
		l.listens = append(l.listens, listenUse{sec: s, owner: "[" + s.Name + "]", sock: sock})
	}
	if len(p.Listen) == 0 {
		l.fail(s, "listen", errors.New("no socket given"))
		return false
	}
	if modeSet && !hasUnix(p.Listen) {
		l.fail(s, "listen_mode", errors.New("listen_mode applies to unix sockets only"))
		good = false
	}
	return good
}

func hasUnix(ss []Socket) bool {
	for _, s := range ss {
		if s.Network == "unix" {
			return true
		}
	}
	return false
}

// primaryGID is the primary group of uid (-1 if unknown).
func primaryGID(uid int) int {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		if g, err := strconv.Atoi(u.Gid); err == nil {
			return g
		}
	}
	return -1
}

// parseListen parses one listen= entry: [name=]tcp://host:port or
// [name=]unix:///path. host may be empty or * (all IPv4 interfaces), an
// IPv4 address, a name, or an IPv6 address in brackets.
func parseListen(item, program string) (Socket, error) {
	name := program
	if i := strings.Index(item, "="); i >= 0 && !strings.Contains(item[:i], "/") {
		name, item = pyStrip(item[:i]), pyStrip(item[i+1:])
		if name == "" || strings.ContainsAny(name, ": \t") || len(name) > 255 {
			return Socket{}, fmt.Errorf("invalid socket name %s (no ':' or blanks, at most 255 characters)", pyRepr(name))
		}
	}
	switch {
	case strings.HasPrefix(item, "unix://"):
		path := item[len("unix://"):]
		if !strings.HasPrefix(path, "/") {
			return Socket{}, fmt.Errorf("unix socket path %s is not an absolute path", path)
		}
		path = normalizePath(path)
		return Socket{URL: "unix://" + path, Network: "unix", Path: path, Name: name}, nil
	case strings.HasPrefix(item, "tcp://"):
		hp := item[len("tcp://"):]
		host, port, err := net.SplitHostPort(hp)
		if err != nil {
			return Socket{}, fmt.Errorf("bad socket address %s: want tcp://host:port or unix:///path", pyRepr(item))
		}
		n, err := portNumber(port)
		if err != nil {
			return Socket{}, fmt.Errorf("bad port in %s: %v", item, err)
		}
		host = strings.ToLower(host)
		if host == "*" {
			host = ""
		}
		if strings.Contains(host, ":") {
			if net.ParseIP(host) == nil {
				return Socket{}, fmt.Errorf("bad IPv6 address in %s", item)
			}
			host = "[" + host + "]"
		}
		url := "tcp://" + host + ":" + strconv.Itoa(n)
		return Socket{URL: url, Network: "tcp", Host: host, Port: n, Name: name}, nil
	}
	return Socket{}, fmt.Errorf("bad socket address %s: want tcp://host:port or unix:///path", pyRepr(item))
}

// wildcard reports whether a tcp host means every interface.
func wildcard(host string) bool {
	switch host {
	case "", "0.0.0.0", "[::]":
		return true
	}
	return false
}

// overlaps reports whether two sockets would compete for one address.
func overlaps(a, b Socket) bool {
	if a.Network != b.Network {
		return false
	}
	if a.Network == "unix" {
		return a.Path == b.Path
	}
	if a.Port != b.Port {
		return false
	}
	if a.Host == b.Host || wildcard(a.Host) || wildcard(b.Host) {
		return true
	}
	// Different names may be one address (localhost and 127.0.0.1).
	ipsA, ipsB := hostIPs(a.Host), hostIPs(b.Host)
	for _, x := range ipsA {
		for _, y := range ipsB {
			if x.Equal(y) {
				return true
			}
		}
	}
	return false
}

// hostIPs returns the addresses of a tcp socket's host: itself for an
// IP literal, else what the resolver says (nothing if it fails within
// 2 s: the names then only collide when spelled alike).
func hostIPs(host string) []net.IP {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip := net.ParseIP(host); ip != nil {
		return []net.IP{ip}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil
	}
	ips := make([]net.IP, 0, len(addrs))
	for _, a := range addrs {
		ips = append(ips, a.IP)
	}
	return ips
}

// checkListen rejects a listen= socket that another program's listen=,
// an fcgi-program's socket or one of superd's HTTP servers also uses.
func (l *loader) checkListen() {
	type use struct {
		owner string
		sock  Socket
	}
	var others []use
	for _, g := range l.cfg.Groups {
		if g.Socket != nil {
			others = append(others, use{fmt.Sprintf("[fcgi-program:%s] (%s)", g.Name, g.Source), *g.Socket})
		}
	}
	if u := l.cfg.UnixServer; u != nil {
		others = append(others, use{"[unix_http_server]", Socket{Network: "unix", Path: u.File, URL: "unix://" + u.File}})
	}
	for _, s := range l.cfg.InetServers {
		others = append(others, use{"[" + s.Name + "]", Socket{Network: "tcp", Host: s.Host, Port: s.Port}})
	}
	for i, a := range l.listens {
		for _, b := range l.listens[:i] {
			if b.sec != a.sec && overlaps(a.sock, b.sock) {
				o := b.sec.opts["listen"]
				l.fail(a.sec, "listen", fmt.Errorf("%s is also used by listen= of %s (%s:%d)", a.sock.URL, b.owner, o.File, o.Line))
			}
		}
		for _, o := range others {
			if overlaps(a.sock, o.sock) {
				l.fail(a.sec, "listen", fmt.Errorf("%s is also used by %s", a.sock.URL, o.owner))
			}
		}
	}
}
