package rpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"time"
)

// ErrAddrInUse means a live server already answers on the address; the
// daemon reports it with supervisord's "Another program is already
// listening on a port that one of our HTTP servers is configured to
// use.  Shut this program down first before starting supervisord."
var ErrAddrInUse = errors.New("address already in use by a live server")

// ListenUnix listens on the unix socket path. It first dials path: if a
// server answers, it returns an error wrapping ErrAddrInUse; a stale
// socket file is removed. The socket is then chmod'ed to mode (0 means
// 0700) and, when uid or gid is >= 0, chown'ed. Closing the listener
// removes the socket file.
func ListenUnix(path string, mode os.FileMode, uid, gid int) (net.Listener, error) {
	l, _, err := ListenUnixStale(path, mode, uid, gid)
	return l, err
}

// ListenUnixStale is ListenUnix, also telling whether a stale socket
// file was removed (supervisord prints "Unlinking stale socket <path>").
func ListenUnixStale(path string, mode os.FileMode, uid, gid int) (l net.Listener, staleRemoved bool, err error) {
	if mode == 0 {
		mode = 0o700
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, false, fmt.Errorf("listen unix %s: file exists and is not a socket", path)
		}
		if socketAlive(path) {
			return nil, false, fmt.Errorf("listen unix %s: %w", path, ErrAddrInUse)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, false, fmt.Errorf("remove stale socket: %w", err)
		}
		staleRemoved = true
	}
	l, err = net.Listen("unix", path)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, false, fmt.Errorf("listen unix %s: %w (%w)", path, ErrAddrInUse, err)
		}
		return nil, false, fmt.Errorf("listen unix: %w", err)
	}
	ul := l.(*net.UnixListener)
	ul.SetUnlinkOnClose(true)
	if err := os.Chmod(path, mode.Perm()); err != nil {
		l.Close()
		return nil, false, fmt.Errorf("chmod socket %s: %w", path, err)
	}
	if uid >= 0 || gid >= 0 {
		if err := os.Chown(path, uid, gid); err != nil {
			l.Close()
			if errors.Is(err, syscall.EPERM) {
				return nil, false, fmt.Errorf("not permitted to chown %s to uid/gid (%d, %d); adjust \"chown\" in [unix_http_server] to values the current user can chown to: %w", path, uid, gid, err)
			}
			return nil, false, fmt.Errorf("chown socket %s: %w", path, err)
		}
	}
	return withReserve(l), staleRemoved, nil
}

// socketAlive is supervisord's checkused: a socket that accepts a
// connection has a live server behind it.
func socketAlive(path string) bool {
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// ListenTCP listens on host:port over IPv4 only, as supervisord's
// AF_INET inet_http_server ("" host means all IPv4 interfaces, not
// IPv6 too). An address in use gives an error wrapping ErrAddrInUse.
// Both listeners keep a few descriptors in reserve for when superd runs
// out (fdreserve.go).
func ListenTCP(host string, port int) (net.Listener, error) {
	l, err := net.Listen("tcp4", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("listen tcp: %w (%w)", ErrAddrInUse, err)
		}
		return nil, fmt.Errorf("listen tcp: %w", err)
	}
	return withReserve(l), nil
}

// Serve serves h on l until ctx ends, then stops: streams and deferred
// calls see their request context canceled, and the server waits up to
// grace for them before closing connections. It returns nil after a
// ctx-triggered stop.
func Serve(ctx context.Context, l net.Listener, h http.Handler, grace time.Duration) error {
	hs := NewHTTPServer(ctx, h)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	<-errc
	return nil
}

// NewHTTPServer returns an http.Server for h with timeouts suited to
// supervisord's endpoints: bounded header/body reads and idle
// keep-alive, but no write timeout (deferred calls and /logtail streams
// are long). Request contexts derive from ctx.
func NewHTTPServer(ctx context.Context, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       5 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          nil,
	}
}
