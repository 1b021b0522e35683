package daemon

import (
	"slices"

	"github.com/superd/superd/pkg/rpc"
)

// SuperdMethods serves superd's own XML-RPC methods (the superd.
// namespace) beside supervisord's: one list per subsystem.
func (b backend) SuperdMethods() []rpc.Method {
	return slices.Concat(rpc.JobMethods(b), rpc.LifecycleMethods(b), rpc.DaemonMethods(b.d.stats))
}
