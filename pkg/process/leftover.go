package process

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/superd/superd/pkg/config"
)

// ProcStat is what superd reads of /proc/PID/stat.
type ProcStat struct {
	State   byte // R, S, D, Z, ...
	PPID    int
	PGRP    int
	Session int
	// Start is the start time in clock ticks after boot: with the boot
	// id it tells a recycled pid from the process it was.
	Start uint64
}

// ReadProcStat reads /proc/pid/stat (Linux).
func ReadProcStat(pid int) (ProcStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ProcStat{}, err
	}
	return parseProcStat(b)
}

// parseProcStat parses a /proc/PID/stat line. The command name (field
// 2) is in parentheses and may itself hold spaces and parentheses, so
// the fields are counted from the last ')'.
func parseProcStat(b []byte) (ProcStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ProcStat{}, errors.New("malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); starttime is field 22.
	if len(f) < 20 || len(f[0]) != 1 {
		return ProcStat{}, errors.New("malformed stat")
	}
	var st ProcStat
	st.State = f[0][0]
	var err error
	ints := []*int{&st.PPID, &st.PGRP, &st.Session}
	for k, p := range ints {
		if *p, err = strconv.Atoi(f[1+k]); err != nil {
			return ProcStat{}, fmt.Errorf("malformed stat: %w", err)
		}
	}
	if st.Start, err = strconv.ParseUint(f[19], 10, 64); err != nil {
		return ProcStat{}, fmt.Errorf("malformed stat: %w", err)
	}
	return st, nil
}

// BootID is the kernel's boot id ("" when unknown): records from
// before a reboot never match a process.
func BootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// procAlive reports whether pid is the process that started at start (not a
// zombie, not a recycled pid).
func procAlive(pid int, start uint64) bool {
	st, err := ReadProcStat(pid)
	return err == nil && st.Start == start && st.State != 'Z'
}

// Leftover is a child recorded by an earlier superd (see pkg/state's
// Child) that may still run.
type Leftover struct {
	Name               string
	PID, PGID, Session int
	Start              uint64
	Boot               string
	SuperdPID          int
	SuperdStart        uint64
	StopSignal         syscall.Signal
	StopWait           time.Duration
}

// recordSpawned tells Options.Children of a child just spawned.
func (s *Supervisor) recordSpawned(pc *config.Process, group string, pid int) {
	if s.opts.Children != nil {
		s.opts.Children.Spawned(SpawnedChild{Name: pc.Name, Group: group, PID: pid,
			StopSignal: pc.StopSignal, StopWait: time.Duration(pc.StopWaitSecs) * time.Second})
	}
}

// recordExited tells Options.Children of a child reaped.
func (s *Supervisor) recordExited(pid int) {
	if s.opts.Children != nil {
		s.opts.Children.Exited(pid)
	}
}

// leftoverGroup is a process group to stop and the leftover it was
// found from.
type leftoverGroup struct {
	l        Leftover
	deadline time.Time
	killed   bool
	done     bool
}

// StopLeftovers stops the process groups that an earlier superd, now
// dead, left running (it was killed before it could stop them). A
// record counts only when it was written in this boot, its superd (pid
// and start time) no longer runs, and its group still has a live member
// in the recorded session that started no earlier than the recorded
// child (the leader itself, or a grandchild once the leader exited): a
// recycled pid or group id is never signalled, nor superd's own group.
// Each group gets its stopsignal and, after its stopwaitsecs, SIGKILL;
// the groups are stopped together, so this takes at most the longest
// stopwaitsecs (plus up to 5 s for a SIGKILL to take effect). What it
// does goes to log, at WARN. It returns the number of groups stopped.
func StopLeftovers(recs []Leftover, log *slog.Logger) int {
	if len(recs) == 0 {
		return 0
	}
	boot := BootID()
	self := os.Getpid()
	ownPG := syscall.Getpgrp()
	var groups []*leftoverGroup
	seen := map[int]bool{}
	scan := &procScan{}
	for _, l := range recs {
		switch {
		case l.PGID <= 1 || l.PGID == ownPG || l.PGID == self || l.PID <= 1 || l.PID == self:
			continue
		case boot == "" || l.Boot != boot:
			continue // another boot: these processes are long gone
		case l.SuperdPID == self:
			continue
		case l.SuperdPID > 0 && procAlive(l.SuperdPID, l.SuperdStart):
			// Its superd still runs (it owns them, e.g. while it
			// shuts down): not ours to stop.
			continue
		case seen[l.PGID]:
			continue
		}
		if !groupAlive(l, scan) {
			continue
		}
		seen[l.PGID] = true
		sig := l.StopSignal
		if sig == 0 {
			sig = syscall.SIGTERM
		}
		log.Warn(fmt.Sprintf("stopping '%s' (pid %d, process group %d) left running by the previous superd (pid %d) with %s",
			l.Name, l.PID, l.PGID, l.SuperdPID, SignalName(sig)))
		g := &leftoverGroup{l: l, deadline: time.Now().Add(l.StopWait)}
		if err := syscall.Kill(-l.PGID, sig); err != nil && err != syscall.ESRCH {
			log.Warn(fmt.Sprintf("could not signal process group %d of '%s': %v", l.PGID, l.Name, err))
		}
		groups = append(groups, g)
	}
	// Poll: these processes are not superd's children (they were
	// re-parented), so there is no exit to wait for; this runs once,
	// before anything is spawned.
	for {
		pending := 0
		now := time.Now()
		scan := &procScan{}
		for _, g := range groups {
			if g.done {
				continue
			}
			if !groupAlive(g.l, scan) {
				g.done = true
				log.Warn(fmt.Sprintf("stopped '%s' (process group %d) left running by the previous superd", g.l.Name, g.l.PGID))
				continue
			}
			pending++
			switch {
			case !g.killed && !now.Before(g.deadline):
				g.killed = true
				g.deadline = now.Add(5 * time.Second)
				log.Warn(fmt.Sprintf("killing '%s' (process group %d) left running by the previous superd with SIGKILL", g.l.Name, g.l.PGID))
				syscall.Kill(-g.l.PGID, syscall.SIGKILL)
			case g.killed && !now.Before(g.deadline):
				g.done = true
				log.Error(fmt.Sprintf("process group %d of '%s' is still there after SIGKILL", g.l.PGID, g.l.Name))
			}
		}
		if pending == 0 {
			return len(groups)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// procScan reads every /proc/PID/stat at most once per poll round,
// however many groups need it (a group whose leader is gone is looked
// for among all processes).
type procScan struct {
	done bool
	all  []ProcStat
}

func (ps *procScan) list() []ProcStat {
	if ps.done {
		return ps.all
	}
	ps.done = true
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := ReadProcStat(pid); err == nil {
			ps.all = append(ps.all, st)
		}
	}
	return ps.all
}

// groupAlive reports whether any process that belongs to l's group lives:
// in its process group and session, started no earlier than the
// recorded child, and not a zombie.
func groupAlive(l Leftover, scan *procScan) bool {
	if st, err := ReadProcStat(l.PID); err == nil && st.Start == l.Start && st.State != 'Z' && st.PGRP == l.PGID {
		return true
	}
	for _, st := range scan.list() {
		if st.PGRP == l.PGID && st.Session == l.Session && st.Start >= l.Start && st.State != 'Z' {
			return true
		}
	}
	return false
}
