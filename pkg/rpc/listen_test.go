package rpc

import (
	"net"
	"testing"
)

// TestListenTCPIsIPv4: supervisord's inet_http_server is an AF_INET
// socket, so port=*:9001 (or :9001, or 9001) listens on every IPv4
// address and on no IPv6 one. A dual-stack listener would also expose
// the control port on IPv6, where firewall rules written for
// supervisord (iptables without ip6tables) do not look.
func TestListenTCPIsIPv4(t *testing.T) {
	t.Parallel()
	for _, host := range []string{"", "127.0.0.1", "localhost"} {
		l, err := ListenTCP(host, 0)
		if err != nil {
			t.Fatalf("%q: %v", host, err)
		}
		a := l.Addr().(*net.TCPAddr)
		l.Close()
		if a.IP.To4() == nil {
			t.Errorf("%q: listening on %v, want an IPv4 address", host, a)
		}
	}
}
