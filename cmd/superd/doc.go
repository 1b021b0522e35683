// Command superd is a supervisord-compatible process manager: it reads
// supervisord's configuration files, supervises programs in
// supervisord's state machine and serves supervisord's XML-RPC API, so
// supervisorctl and superctl control it.
//
//	superd [-c FILE] [-n] [supervisord's other options]
//	superd check [-c FILE]
//	superd config [-c FILE]
//	superd service install|uninstall|start|stop|restart|status [-c FILE]
//	superd version
//
// main only runs the exec shim (process.MaybeRunShim: umask=, LISTEN_PID) and hands the
// command line to internal/daemon; it owns no state and starts no
// goroutines of its own.
package main
