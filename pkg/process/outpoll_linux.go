package process

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// outPoll waits for every child output pipe and pidfd with one epoll
// instance and one goroutine, so an idle pipe or a running child costs no
// goroutine (no stack) and an idle pipe no buffer. Each pipe is registered EPOLLONESHOT: when it becomes readable
// the poll goroutine starts a short-lived goroutine (drain) that reads it
// with a pooled buffer until it would block, then re-arms it, or at EOF
// unregisters and finishes the reader. A drain that finds the pipe busy
// keeps reading it (stream) until it has been quiet for a while. At
// most one drain runs per pipe, so chunks stay in order.
//
// The read end stays an *os.File; drain reads its descriptor inside
// SyscallConn().Control, so a Close from elsewhere cannot reuse the
// number while a read is under way.
type outPoll struct {
	epfd int
	wake int // eventfd: wakes the poll goroutine to end it

	mu     sync.Mutex // guards items, exits, next, closed and each reader's busy/kill/kick/streaming/ended
	idle   sync.Cond  // on mu: a reader stopped being busy or ended (for flush)
	items  map[int32]*outReader
	exits  map[int32]*exitWatch
	next   int32
	closed bool
	done   chan struct{}
}

// newOutPoll starts the poll goroutine, or returns nil if epoll is not
// available (readers then get a goroutine each).
func newOutPoll() *outPoll {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: 0}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &ev); err != nil {
		unix.Close(wake)
		unix.Close(epfd)
		return nil
	}
	o := &outPoll{epfd: epfd, wake: wake, items: map[int32]*outReader{}, exits: map[int32]*exitWatch{},
		done: make(chan struct{})}
	o.idle.L = &o.mu
	go o.loop()
	return o
}

// add watches r's pipe; false if it cannot (r then needs its own
// goroutine).
func (o *outPoll) add(r *outReader) bool {
	rc, err := r.f.SyscallConn()
	if err != nil {
		return false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return false
	}
	r.poll, r.tok = o, o.token()
	var cerr error
	err = rc.Control(func(fd uintptr) {
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLONESHOT, Fd: r.tok}
		cerr = unix.EpollCtl(o.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev)
	})
	if err != nil || cerr != nil {
		r.poll, r.tok = nil, 0
		return false
	}
	o.items[r.tok] = r
	return true
}

// token returns an unused token. Called with o.mu held.
func (o *outPoll) token() int32 {
	for {
		o.next++
		if o.next <= 0 {
			o.next = 1 // 0 is the eventfd
		}
		if o.items[o.next] == nil && o.exits[o.next] == nil {
			return o.next
		}
	}
}

// exitWatch is a child's pidfd: when it becomes readable (the child
// exited), the poll goroutine unregisters it and runs fn in a new
// goroutine (it reaps the child and posts the exit).
type exitWatch struct {
	f  *os.File
	fn func()
}

// addExit watches pidfd f in place of a waiter goroutine per child;
// false if it cannot.
func (o *outPoll) addExit(f *os.File, fn func()) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return false
	}
	tok := o.token()
	var cerr error
	err = rc.Control(func(fd uintptr) {
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLONESHOT, Fd: tok}
		cerr = unix.EpollCtl(o.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev)
	})
	if err != nil || cerr != nil {
		return false
	}
	o.exits[tok] = &exitWatch{f: f, fn: fn}
	return true
}

func (o *outPoll) loop() {
	defer close(o.done)
	evs := make([]unix.EpollEvent, 128)
	for {
		n, err := unix.EpollWait(o.epfd, evs, -1)
		if err == syscall.EINTR {
			continue
		}
		o.mu.Lock()
		if o.closed || err != nil {
			o.mu.Unlock()
			return
		}
		for _, ev := range evs[:n] {
			if r := o.items[ev.Fd]; r != nil && !r.busy {
				r.busy = true
				go o.drain(r, true)
			}
			if w := o.exits[ev.Fd]; w != nil {
				delete(o.exits, ev.Fd)
				if rc, err := w.f.SyscallConn(); err == nil {
					rc.Control(func(fd uintptr) { unix.EpollCtl(o.epfd, unix.EPOLL_CTL_DEL, int(fd), nil) })
				}
				go w.fn()
			}
		}
		o.mu.Unlock()
	}
}

// drain reads r's pipe until it would block, then re-arms it; at EOF (or
// a read error, or when forceClose asked) it finishes the reader. A
// drain started by the poll goroutine (stream) that found the pipe busy
// keeps reading it on the same goroutine while it stays busy (see
// stream) before it re-arms; flush's drain never does.
func (o *outPoll) drain(r *outReader, canStream bool) {
	rc, err := r.f.SyscallConn()
	end := err != nil
	got, reads := 0, 0
	for !end {
		bp := readBufs.Get().(*[]byte)
		var n int
		var rerr error
		if err := rc.Control(func(fd uintptr) { n, rerr = readFD(fd, *bp) }); err != nil {
			rerr = err
		}
		if n > 0 {
			r.deliver((*bp)[:n])
			got += n
			reads++
		}
		readBufs.Put(bp)
		if rerr == syscall.EAGAIN {
			break
		}
		end = rerr != nil || n <= 0
	}
	if !end && canStream && (reads > 1 || got >= streamMin) {
		end = o.stream(r, rc)
	}
	o.mu.Lock()
	if !end && !r.kill {
		var cerr error
		err := rc.Control(func(fd uintptr) {
			ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLONESHOT, Fd: r.tok}
			cerr = unix.EpollCtl(o.epfd, unix.EPOLL_CTL_MOD, int(fd), &ev)
		})
		if err == nil && cerr == nil {
			r.busy, r.kick = false, false
			o.idle.Broadcast()
			o.mu.Unlock()
			return
		}
	}
	o.remove(r, rc)
	o.mu.Unlock()
	r.finish()
	o.mu.Lock()
	r.ended = true
	o.idle.Broadcast()
	o.mu.Unlock()
}

// streamMin: a drain that read this much, or found more output after
// handling a first chunk, keeps the pipe (stream): its child writes
// faster than one poll wake-up per chunk keeps up with cheaply.
const streamMin = 32 << 10

// streamStarts counts drains that went on to stream (tests check that
// they exercise it).
var streamStarts atomic.Int64

// streamIdle is how long a streaming drain waits for more output before
// it hands the pipe back to the poll goroutine: the pipe goes back
// after one to two periods without output.
const streamIdle = 50 * time.Millisecond

// streamPipe is the capacity (F_SETPIPE_SZ) a pipe gets while it
// streams, so the child blocks, and both sides wake up, a quarter as
// often as with the default 64 KiB; it goes back to its old size when
// streaming ends. Only as root (growPipes): an unprivileged user's pipe
// pages count against fs.pipe-user-pages-soft, over which the kernel
// gives that user's new pipes (its next children's) 8 KiB.
const streamPipe = 256 << 10

var growPipes = os.Geteuid() == 0

// pipeGrows counts pipes grown to streamPipe (for tests).
var pipeGrows atomic.Int64

// stream keeps reading r's pipe on the calling drain goroutine while the
// pipe stays busy: between chunks it parks in Go's network poller
// (SyscallConn().Read; the pipe is registered there too, as every
// os.Pipe is), so a chunk costs one wake-up of this goroutine instead
// of an epoll wake-up of the poll goroutine, a new drain goroutine and
// an EPOLL_CTL_MOD re-arm. A read deadline renewed every streamIdle
// ends it once a whole period brought no output, or at once when flush
// or forceClose set r.kick or r.kill (kickLocked moves the deadline
// into the past). It returns true at EOF or a read error (drain then
// finishes the reader), false when the pipe goes back to the poll
// goroutine. The deadline is left as it is on return: only stream
// reads through Go's poller, and it sets a new one first. As root the
// pipe holds streamPipe while it streams.
func (o *outPoll) stream(r *outReader, rc syscall.RawConn) (end bool) {
	o.mu.Lock()
	if r.kick || r.kill || r.f.SetReadDeadline(time.Now().Add(streamIdle)) != nil {
		o.mu.Unlock()
		return false
	}
	r.streaming = true
	o.mu.Unlock()
	streamStarts.Add(1)
	was := 0 // the pipe's capacity before it grew, 0 if it did not
	if growPipes {
		rc.Control(func(fd uintptr) {
			c, err := unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0)
			if err == nil && c < streamPipe {
				if _, err := unix.FcntlInt(fd, unix.F_SETPIPE_SZ, streamPipe); err == nil {
					was = c
					pipeGrows.Add(1)
				}
			}
		})
	}
	defer func() {
		if was > 0 && !end {
			// Best effort: EBUSY while the pipe holds more than was.
			rc.Control(func(fd uintptr) { unix.FcntlInt(fd, unix.F_SETPIPE_SZ, was) })
		}
		o.mu.Lock()
		r.streaming = false
		o.mu.Unlock()
	}()
	var (
		bp   *[]byte
		n    int
		rerr error
	)
	read := func(fd uintptr) bool {
		bp = readBufs.Get().(*[]byte)
		n, rerr = readFD(fd, *bp)
		if rerr == syscall.EAGAIN {
			readBufs.Put(bp)
			bp = nil
			return false // park until readable (or the deadline)
		}
		return true
	}
	got := 0 // bytes since the deadline was last set
	for {
		bp, n, rerr = nil, 0, nil
		err := rc.Read(read)
		if bp != nil {
			if n > 0 {
				r.deliver((*bp)[:n])
				got += n
			}
			readBufs.Put(bp)
		}
		if err == nil {
			if rerr != nil || n <= 0 {
				return true // EOF or a read error
			}
			continue
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return false // the next drain reads with Control
		}
		o.mu.Lock()
		if r.kick || r.kill || got == 0 || r.f.SetReadDeadline(time.Now().Add(streamIdle)) != nil {
			o.mu.Unlock()
			return false
		}
		o.mu.Unlock()
		got = 0
	}
}

// flush reads what r's pipe holds now, in the caller's goroutine, after
// a drain already under way has ended (a streaming one is told to stop
// at once); it returns once the pipe would block or r has finished
// (EOF). The exit watcher calls it before it posts a child's exit, so
// everything the child wrote is handled before its exit is, as
// supervisord reads ready pipes before it reaps.
func (o *outPoll) flush(r *outReader) {
	o.mu.Lock()
	for r.busy && !r.ended {
		// Again after each wake-up: the drain kicked re-arms the pipe
		// and clears the kick, and the poll goroutine may start a new
		// drain before this one gets the lock back.
		o.kickLocked(r)
		o.idle.Wait()
	}
	if r.ended || r.poll == nil {
		o.mu.Unlock()
		return
	}
	r.busy = true // an epoll event for r meanwhile is skipped; drain re-arms
	o.mu.Unlock()
	o.drain(r, false)
}

// kickLocked makes a drain under way for r stop streaming (or not start)
// and return the pipe. Called with o.mu held.
func (o *outPoll) kickLocked(r *outReader) {
	r.kick = true
	if r.streaming {
		r.f.SetReadDeadline(time.Unix(1, 0)) // wakes the parked Read
	}
}

// remove unregisters r. Called with o.mu held.
func (o *outPoll) remove(r *outReader, rc syscall.RawConn) {
	if rc != nil {
		rc.Control(func(fd uintptr) { unix.EpollCtl(o.epfd, unix.EPOLL_CTL_DEL, int(fd), nil) })
	}
	delete(o.items, r.tok)
}

// forceClose ends r now if no drain is running, else makes the running
// drain end it.
func (o *outPoll) forceClose(r *outReader) {
	o.mu.Lock()
	if r.busy {
		r.kill = true
		o.kickLocked(r)
		o.mu.Unlock()
		return
	}
	r.busy = true // no drain may start any more
	rc, _ := r.f.SyscallConn()
	o.remove(r, rc)
	o.mu.Unlock()
	r.finish()
	o.mu.Lock()
	r.ended = true
	o.idle.Broadcast()
	o.mu.Unlock()
}

// close ends the poll goroutine (after every reader has finished).
func (o *outPoll) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	var one = [8]byte{1}
	unix.Write(o.wake, one[:])
	<-o.done
	unix.Close(o.wake)
	unix.Close(o.epfd)
}
