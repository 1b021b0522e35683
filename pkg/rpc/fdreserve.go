package rpc

import (
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
)

// reserveFDs is how many descriptors a listener keeps in reserve.
const reserveFDs = 4

// reserveListener keeps a few descriptors (of /dev/null) in reserve for
// the moment superd has used up RLIMIT_NOFILE: many programs on a low
// `ulimit -n`, each with its pipes and log files. Then Accept fails with
// EMFILE, and net/http would retry it every second for ever: superd
// could not be reached to stop the programs that hold the descriptors.
// On EMFILE/ENFILE the listener closes one reserved descriptor and
// accepts again; the connection so accepted takes it back into the
// reserve when it closes. The reserve is refilled on every Accept.
type reserveListener struct {
	net.Listener
	mu      sync.Mutex
	reserve []*os.File
	closed  bool
}

func withReserve(l net.Listener) net.Listener {
	rl := &reserveListener{Listener: l}
	rl.refill()
	return rl
}

// refill opens /dev/null until the reserve is full or no descriptor is
// left.
func (l *reserveListener) refill() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for !l.closed && len(l.reserve) < reserveFDs {
		f, err := os.Open(os.DevNull)
		if err != nil {
			return
		}
		l.reserve = append(l.reserve, f)
	}
}

// release closes one reserved descriptor; false when none is left.
func (l *reserveListener) release() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.reserve)
	if n == 0 {
		return false
	}
	l.reserve[n-1].Close()
	l.reserve = l.reserve[:n-1]
	return true
}

func fdsExhausted(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

func (l *reserveListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	released := false
	for err != nil && fdsExhausted(err) && l.release() {
		released = true
		c, err = l.Listener.Accept()
	}
	if err != nil {
		return nil, err
	}
	if released {
		return &reserveConn{Conn: c, l: l}, nil
	}
	l.refill()
	return c, nil
}

func (l *reserveListener) Close() error {
	l.mu.Lock()
	l.closed = true
	for _, f := range l.reserve {
		f.Close()
	}
	l.reserve = nil
	l.mu.Unlock()
	return l.Listener.Close()
}

// reserveConn is a connection accepted on a reserved descriptor: closing
// it refills the reserve.
type reserveConn struct {
	net.Conn
	l    *reserveListener
	once sync.Once
}

func (c *reserveConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.l.refill)
	return err
}

// CloseWrite keeps net/http's half-close (it answers an error before
// reading a whole body, then drains).
func (c *reserveConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
