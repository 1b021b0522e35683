package daemon

import (
	"github.com/superd/superd/pkg/config"
)

// The sockets superd holds for its children (pkg/sockets): one registry
// for the life of the daemon, shared by every supervisor it builds, so
// listen= sockets stay open across restarts of superd.

// openListen opens cfg's listen= sockets. start calls it before
// dropping privileges, so a program with user=www-data can still be
// given port 80.
func (d *daemon) openListen(cfg *config.Config) error {
	return d.socks.OpenListen(cfg)
}

// probeFCGI is supervisord's start-up check of [fcgi-program:x]
// sockets: each is created and closed again; an error (address in use,
// bad path, socket_owner without the right to chown) names the section
// at file:line. At a restart, sockets still held by running processes
// count as good (they are closed and re-created when the processes
// stop and start again).
func (d *daemon) probeFCGI(cfg *config.Config) error {
	return d.socks.ProbeFCGI(cfg)
}
