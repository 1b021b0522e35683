package events_test

import (
	"os"
	"testing"

	"github.com/superd/superd/internal/testproc"
)

// TestMain fails the run when a test leaves a process (a listener, a
// supervisord) running.
func TestMain(m *testing.M) {
	os.Exit(testproc.Run(m))
}
