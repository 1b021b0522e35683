package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Spawn times come from the daemon's own main log: supervisord (and
// superd, which keeps its format) logs
//
//	2026-11-22 00:35:10,968 INFO success: p_0000 entered RUNNING state, ...
//
// with millisecond timestamps when a process enters RUNNING. The time of
// the N-th such line minus the launch time is the spawn figure. Tailing a
// file costs the daemon nothing, whereas polling getAllProcessInfo costs
// supervisord 0.4-0.9 s of its single thread per call at N=1000 and would
// inflate its figure by up to two calls. When an implementation does not
// write these lines, the runner falls back to the time at which a
// getAllProcessInfo poll first shows all N RUNNING.
var spawnedRe = regexp.MustCompile(` (spawned|success): `)

var successRe = regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \S+ success: (\S+) entered RUNNING state`)

// logTail reads a growing file incrementally.
type logTail struct {
	path    string
	off     int64
	partial []byte
}

// lines returns the complete lines appended since the last call.
func (t *logTail) lines() [][]byte {
	f, err := os.Open(t.path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if _, err := f.Seek(t.off, io.SeekStart); err != nil {
		return nil
	}
	b, _ := io.ReadAll(f)
	t.off += int64(len(b))
	b = append(t.partial, b...)
	i := bytes.LastIndexByte(b, '\n')
	if i < 0 {
		t.partial = b
		return nil
	}
	t.partial = append([]byte(nil), b[i+1:]...)
	return bytes.Split(b[:i], []byte("\n"))
}

// waitSpawn waits until n processes are RUNNING after launch and returns
// how long that took (see successRe), then confirms the count with
// pkg/rpc.Client. method says which clock was used.
func (d *daemon) waitSpawn(ctx context.Context, n int, pause time.Duration) (took time.Duration, method string, err error) {
	tail := &logTail{path: filepath.Join(d.dir, "daemon.log")}
	seen := map[string]bool{}
	var last time.Time
	var rpcDone time.Duration
	nextPoll := time.Now()
	var lastErr error
	// Once the main log shows a "spawned:" or "success:" line the
	// implementation writes the lines the clock needs, and the RPC poll
	// (the fallback clock) stops: each poll is work for the daemon
	// (0.5-2 s of supervisord's only thread at N=1000, and a megabyte of
	// garbage for superd's heap) that would slow the spawn it measures.
	logs := false
	for {
		if err := d.exited(); err != nil {
			return 0, "", err
		}
		for _, l := range tail.lines() {
			if !logs && spawnedRe.Match(l) {
				logs = true
			}
			m := successRe.FindSubmatch(l)
			if m == nil {
				continue
			}
			ts, err := time.ParseInLocation("2006-01-02 15:04:05,000", string(m[1]), time.Local)
			if err != nil {
				continue
			}
			seen[string(m[2])] = true
			last = ts
		}
		if len(seen) >= n {
			return last.Sub(d.started.Truncate(time.Millisecond)), "main log", d.confirmRunning(ctx, n)
		}
		if !logs && rpcDone == 0 && time.Now().After(nextPoll) {
			b, err := d.raw.call(ctx, "supervisor.getAllProcessInfo")
			switch {
			case err != nil:
				lastErr = err
			case countRunning(b) >= n:
				rpcDone = time.Since(d.started)
			default:
				lastErr = fmt.Errorf("%d of %d RUNNING", countRunning(b), n)
			}
			nextPoll = time.Now().Add(max(pause, 50*time.Millisecond))
		}
		// All RUNNING by RPC but the log lags: give it a second, then
		// the implementation does not log success lines.
		if rpcDone != 0 && time.Since(d.started) > rpcDone+time.Second {
			return rpcDone, "getAllProcessInfo poll", d.confirmRunning(ctx, n)
		}
		select {
		case <-ctx.Done():
			return 0, "", fmt.Errorf("waiting for %d RUNNING: %w (%d success lines in the main log; last RPC: %v)", n, ctx.Err(), len(seen), lastErr)
		case <-d.done:
		case <-time.After(5 * time.Millisecond):
		}
	}
}
