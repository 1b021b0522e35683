package process

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// CloseOnExecInherited marks every descriptor above 2 close-on-exec, so
// that descriptors superd itself inherited (from a shell, a service
// manager) do not leak into children; supervisord closes 3..minfds in
// each child instead. Call it early in main. Descriptors superd opens
// are close-on-exec already (Go opens everything with O_CLOEXEC).
func CloseOnExecInherited() error {
	if err := closeRangeCloexec(); err == nil {
		return nil
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("mark descriptors close-on-exec: %w", err)
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}
