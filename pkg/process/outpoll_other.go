//go:build !linux

package process

import "os"

// outPoll is Linux-only (epoll); elsewhere every reader has its own
// goroutine.
type outPoll struct{}

func newOutPoll() *outPoll                            { return nil }
func (o *outPoll) add(r *outReader) bool              { return false }
func (o *outPoll) forceClose(r *outReader)            {}
func (o *outPoll) addExit(f *os.File, fn func()) bool { return false }
func (o *outPoll) close()                             {}
func (o *outPoll) flush(r *outReader)                 {}
