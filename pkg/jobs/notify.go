package jobs

import (
	"bytes"
	"fmt"
	"mime"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/config"
	"github.com/superd/superd/pkg/process"
	"github.com/superd/superd/pkg/state"
)

// subject is the report's first line and the mail's Subject.
func subject(j *job, r state.Run) string {
	host, _ := os.Hostname()
	s := fmt.Sprintf("superd job %s on %s: %s", j.cfg.Name, host, r.Result)
	switch {
	case r.Result == ResultTimeout:
		s += fmt.Sprintf(" after %s", j.cfg.Timeout)
	case r.ExitStatus != 0:
		s += fmt.Sprintf(" (exit status %d)", r.ExitStatus)
	}
	return s
}

// notify sends the report of run r of j to notify_command and mailto.
// Each notifier is a one-shot child; its failure is logged. Nothing here
// waits for them.
func (s *Scheduler) notify(j *job, r state.Run, out []byte, total int64) {
	if j.cfg.NotifyCommand == "" && j.cfg.Mailto == "" {
		return
	}
	subj := subject(j, r)
	body := out
	if total > int64(len(out)) {
		body = append(append([]byte(nil), out...), fmt.Sprintf("\n[output truncated: %d of %d bytes shown]\n", len(out), total)...)
	}
	env := []config.EnvVar{
		{Key: "JOB_NAME", Value: j.cfg.Name},
		{Key: "JOB_RESULT", Value: r.Result},
		{Key: "JOB_EXITSTATUS", Value: strconv.Itoa(r.ExitStatus)},
		{Key: "JOB_STARTED", Value: r.Start.Format(time.RFC3339)},
		{Key: "JOB_DURATION", Value: strconv.FormatFloat(r.End.Sub(r.Start).Seconds(), 'f', 3, 64)},
		{Key: "JOB_TRIGGER", Value: r.Trigger},
	}
	if j.cfg.NotifyCommand != "" {
		report := append([]byte(subj+"\n\n"), body...)
		argv, err := config.SplitCommand(j.cfg.NotifyCommand)
		if err != nil || len(argv) == 0 {
			s.log.Error(fmt.Sprintf("job %s: notify_command: can't parse %q", j.cfg.Name, j.cfg.NotifyCommand))
		} else {
			s.spawnNotifier(j, "notify_command", j.cfg.NotifyCommand, argv, env, report)
		}
	}
	if j.cfg.Mailto != "" {
		sendmail := s.cfg.Supervisord.Sendmail
		if sendmail == "" {
			sendmail = config.DefaultSendmail
		}
		msg := mailMessage(j.cfg.Mailto, subj, body, r.Start)
		argv := []string{sendmail, "-t", "-i"}
		s.spawnNotifier(j, "mailto", sendmail+" -t -i", argv, env, msg)
	}
}

// mailMessage is an RFC 5322 message (CRLF line ends) with the output
// as a plain-text body.
func mailMessage(to, subj string, body []byte, date time.Time) []byte {
	var b bytes.Buffer
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", "superd <superd@"+host+">")
	hdr("To", to)
	hdr("Subject", mimeWord(subj))
	hdr("Date", date.Format(time.RFC1123Z))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "8bit")
	hdr("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	if len(body) == 0 {
		body = []byte("(no output)\n")
	}
	for _, line := range strings.SplitAfter(string(body), "\n") {
		if line == "" {
			continue
		}
		b.WriteString(strings.TrimRight(line, "\r\n"))
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// mimeWord encodes a header value that is not plain ASCII.
func mimeWord(s string) string {
	for _, r := range s {
		if r >= 0x80 || r < 0x20 {
			return mimeQ(s)
		}
	}
	return s
}

func mimeQ(s string) string { return mime.QEncoding.Encode("utf-8", s) }

// spawnNotifier runs one notifier with input on its stdin, from a
// short-lived goroutine (spawning waits for the supervisor's loop).
func (s *Scheduler) spawnNotifier(j *job, what, command string, argv []string, env []config.EnvVar, input []byte) {
	pc := *j.cfg.Process
	pc.Name = j.cfg.Name + ":" + what
	pc.Command, pc.Argv, pc.CommandErr = command, argv, ""
	pc.Environment = append(append([]config.EnvVar(nil), pc.Environment...), env...)
	pc.RedirectStderr = true
	name := j.cfg.Name
	log := s.log
	sp := s.opts.Spawner
	ctx := s.ctx
	limit := s.opts.NotifyTimeout
	if limit <= 0 {
		limit = DefaultNotifyTimeout
	}
	go func() {
		var mu sync.Mutex
		var out []byte
		o := &process.OneShot{
			Config: &pc,
			Stdin:  input,
			Output: func(d []byte) {
				mu.Lock()
				if len(out) < 4096 {
					out = append(out, d[:min(len(d), 4096-len(out))]...)
				}
				mu.Unlock()
			},
		}
		done := make(chan syscall.WaitStatus, 1)
		o.Exit = func(ws syscall.WaitStatus) { done <- ws }
		pid, err := sp.StartOneShot(ctx, o)
		if err != nil {
			log.Error(fmt.Sprintf("job %s: %s %s could not start: %v", name, what, command, err))
			return
		}
		var killed atomic.Bool
		timer := time.AfterFunc(limit, func() {
			killed.Store(true)
			sp.SignalOneShot(ctx, pid, syscall.SIGKILL, true)
		})
		ws := <-done
		timer.Stop()
		if killed.Load() {
			log.Error(fmt.Sprintf("job %s: %s %s (pid %d) did not finish within %s: killed", name, what, command, pid, limit))
			return
		}
		if !ws.Exited() || ws.ExitStatus() != 0 {
			mu.Lock()
			msg := strings.TrimSpace(string(out))
			mu.Unlock()
			log.Error(fmt.Sprintf("job %s: %s %s (pid %d) failed: exit status %d: %s", name, what, command, pid, exitStatus(ws), msg))
			return
		}
		log.Info(fmt.Sprintf("job %s: %s sent", name, what))
	}()
}
