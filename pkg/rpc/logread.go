package rpc

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// readFile is supervisor.options.readFile: the fault code on error is
// BAD_ARGUMENTS or FAILED.
func readFile(path string, offset, length int64) ([]byte, int) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Failed
	}
	defer f.Close()
	var start, n int64
	if offset < 0 {
		if length != 0 {
			return nil, BadArguments
		}
		fi, err := f.Stat()
		if err != nil {
			return nil, Failed
		}
		start = max(fi.Size()+offset, 0)
		n = -offset
		if offset == math.MinInt64 {
			n = math.MaxInt64
		}
	} else {
		if length < 0 {
			return nil, BadArguments
		}
		start, n = offset, length
		if n == 0 {
			n = math.MaxInt64
		}
	}
	data, err := io.ReadAll(io.LimitReader(io.NewSectionReader(f, start, math.MaxInt64-start), n))
	if err != nil {
		return nil, Failed
	}
	return data, 0
}

// tailFile is supervisor.options.tailFile, including its quirks (when
// fewer than length bytes lie past offset, the last length bytes are
// returned, not the bytes from offset).
func tailFile(path string, offset, length int64) (string, int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", offset, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", offset, false
	}
	sz := fi.Size()
	overflow := false
	end := satAdd(offset, length)
	if sz > end {
		overflow = true
		offset = sz - 1
	}
	if satAdd(offset, length) > sz {
		if offset > sz-1 {
			length = 0
		}
		offset = sz - length
	}
	offset = max(offset, 0)
	length = max(length, 0)
	var data []byte
	if length > 0 {
		data, err = io.ReadAll(io.NewSectionReader(f, offset, length))
		if err != nil {
			return "", offset, false
		}
	}
	return string(data), sz, overflow
}

func satAdd(a, b int64) int64 {
	c := a + b
	if (c > a) != (b > 0) {
		if b > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return c
}

// followFile writes the last head bytes of the open file f (named
// path) and then everything appended to it, polling every interval,
// until ctx ends or writing fails. Like supervisord's tail_f_producer
// it reopens path when its inode changes and reports truncation.
func followFile(ctx context.Context, path string, f *os.File, head int64, interval time.Duration, w io.Writer, flush func() error) error {
	ino := inode(f)
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	pos := max(fi.Size()-head, 0)
	// Not owned by us: the caller closes its f; we close reopened ones.
	var reopened *os.File
	defer func() {
		if reopened != nil {
			reopened.Close()
		}
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	buf := make([]byte, 64<<10)
	for {
		if st, err := os.Stat(path); err == nil {
			if n := statIno(st); n != ino {
				if nf, err := os.Open(path); err == nil {
					if reopened != nil {
						reopened.Close()
					}
					reopened, f, ino, pos = nf, nf, inode(nf), 0
				}
			}
		}
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		size := fi.Size()
		wrote := false
		if size < pos {
			pos = 0
			if _, err := io.WriteString(w, "==> File truncated <==\n"); err != nil {
				return err
			}
			wrote = true
		}
		for pos < size {
			n, err := f.ReadAt(buf[:min(int64(len(buf)), size-pos)], pos)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return werr
				}
				pos += int64(n)
				wrote = true
			}
			if err != nil {
				break
			}
		}
		if wrote {
			if err := flush(); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func inode(f *os.File) uint64 {
	fi, err := f.Stat()
	if err != nil {
		return 0
	}
	return statIno(fi)
}

func statIno(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}

// SplitNamespec is supervisord's split_namespec: "g:p" -> (g, p),
// "g:" and "g:*" -> (g, ""), "p" -> (p, p).
func SplitNamespec(name string) (group, process string) {
	g, p, ok := strings.Cut(name, ":")
	if !ok {
		return name, name
	}
	if p == "*" {
		p = ""
	}
	return g, p
}

// Process state codes (supervisor.states.ProcessStates).
const (
	stateStopped  = 0
	stateStarting = 10
	stateRunning  = 20
	stateBackoff  = 30
	stateStopping = 40
	stateExited   = 100
	stateFatal    = 200
	stateUnknown  = 1000
)

// Describe returns supervisord's description of a process (the
// "description" of getProcessInfo), with stop times in loc.
func Describe(info ProcessInfo, loc *time.Location) string {
	switch info.State {
	case stateRunning:
		up := max(info.Now-info.Start, 0)
		return fmt.Sprintf("pid %d, uptime %s", info.PID, pyTimedelta(up))
	case stateFatal, stateBackoff:
		if info.SpawnErr != "" {
			return info.SpawnErr
		}
		return fmt.Sprintf("unknown error (try \"tail %s\")", info.Name)
	case stateStopped, stateExited:
		if info.Start != 0 {
			return time.Unix(info.Stop, 0).In(loc).Format("Jan 02 03:04 PM")
		}
		return "Not started"
	}
	return ""
}

// pyTimedelta formats whole seconds like str(datetime.timedelta).
func pyTimedelta(secs int64) string {
	days := secs / 86400
	secs %= 86400
	hms := fmt.Sprintf("%d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	switch days {
	case 0:
		return hms
	case 1:
		return "1 day, " + hms
	}
	return fmt.Sprintf("%d days, %s", days, hms)
}

// capInt caps a timestamp to XML-RPC's 32-bit int range.
func capInt(n int64) int64 {
	return min(max(n, math.MinInt32), math.MaxInt32)
}

// pyStr renders a decoded XML-RPC value as Python's str() would, for
// fault details.
func pyStr(v any) string {
	return pyFormat(v, false)
}

func pyFormat(v any, quoted bool) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return formatDouble(x)
	case string:
		if quoted {
			return "'" + strings.ReplaceAll(strings.ReplaceAll(x, `\`, `\\`), "'", `\'`) + "'"
		}
		return x
	case []byte:
		return pyFormat(string(x), quoted)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyFormat(e, true)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyFormat(k, true) + ": " + pyFormat(x[k], true)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case time.Time:
		return x.Format("2006-01-02 15:04:05")
	case error:
		return x.Error()
	}
	return fmt.Sprint(v)
}
