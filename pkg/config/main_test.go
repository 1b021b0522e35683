package config

import (
	"os"
	"testing"

	"github.com/superd/superd/internal/testproc"
)

// TestMain fails the run when a test leaves a process running.
func TestMain(m *testing.M) {
	os.Exit(testproc.Run(m))
}
