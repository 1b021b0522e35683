package web

import (
	"bytes"
	"os"
	"strconv"
)

// clockTicks is USER_HZ, the unit of the times in /proc/<pid>/stat; it
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

// usage is the resource usage of one child's process group.
type usage struct {
	CPUSeconds float64 // utime+stime+cutime+cstime of the live members
	RSSBytes   int64
	Procs      int
}

// procStat is the part of /proc/<pid>/stat superd reads.
type procStat struct {
	pid, pgrp int
	ticks     uint64 // utime+stime+cutime+cstime
	rssPages  int64
}

// parseStat parses the contents of /proc/<pid>/stat; comm (field 2) may
// hold spaces and parentheses, so fields are counted after the last ')'.
func parseStat(b []byte) (procStat, bool) {
	var st procStat
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return st, false
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return st, false
	}
	f := bytes.Fields(b[end+1:])
	// f[0] is field 3 (state): field n is f[n-3].
	if len(f) < 22 {
		return st, false
	}
	num := func(n int) uint64 {
		v, _ := strconv.ParseUint(string(f[n-3]), 10, 64)
		return v
	}
	st.pid = pid
	st.pgrp = int(num(5))
	st.ticks = num(14) + num(15) + num(16) + num(17)
	rss, _ := strconv.ParseInt(string(f[24-3]), 10, 64)
	st.rssPages = rss
	return st, true
}

// groupUsage reads /proc once and returns the usage of the process
// group led by each of pids (children are started with Setpgid, so a
// child's pid is its group's id). A pid whose group has no live member
// is absent.
func groupUsage(procDir string, pids []int) map[int]usage {
	out := make(map[int]usage, len(pids))
	if len(pids) == 0 {
		return out
	}
	want := make(map[int]bool, len(pids))
	for _, p := range pids {
		if p > 0 {
			want[p] = true
		}
	}
	ents, err := os.ReadDir(procDir)
	if err != nil {
		return out
	}
	page := int64(os.Getpagesize())
	buf := make([]byte, 0, 1024)
	for _, e := range ents {
		name := e.Name()
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		b, err := readSmall(procDir+"/"+name+"/stat", buf)
		if err != nil {
			continue
		}
		st, ok := parseStat(b)
		if !ok {
			continue
		}
		leader := st.pgrp
		if !want[leader] {
			if !want[st.pid] {
				continue
			}
			leader = st.pid // a child that left its group still counts for itself
		}
		u := out[leader]
		u.CPUSeconds += float64(st.ticks) / clockTicks
		u.RSSBytes += st.rssPages * page
		u.Procs++
		out[leader] = u
	}
	return out
}

// readSmall reads a small /proc file into buf.
func readSmall(path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf = buf[:cap(buf)]
	n, err := f.Read(buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}
