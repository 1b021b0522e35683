//go:build !linux

package logfile

import (
	"context"
	"time"
)

func newNotifier(ctx context.Context, path string) notifier {
	return newPollNotifier(200 * time.Millisecond)
}
