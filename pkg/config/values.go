package config

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pyInt is Python's int(s) for base 10 (and base 8 via pyIntBase).
func pyInt(s string) (int, error) {
	n, ok := parsePyInt(s, 10)
	if !ok {
		return 0, fmt.Errorf("invalid literal for int() with base 10: %s", pyRepr(s))
	}
	return n, nil
}

func parsePyInt(s string, base int) (int, bool) {
	t := pyStrip(s)
	neg := false
	if strings.HasPrefix(t, "+") || strings.HasPrefix(t, "-") {
		neg = t[0] == '-'
		t = t[1:]
	}
	if base == 8 && len(t) >= 2 && t[0] == '0' && (t[1] == 'o' || t[1] == 'O') {
		t = strings.TrimPrefix(t[2:], "_")
	}
	if t == "" || strings.HasPrefix(t, "_") || strings.HasSuffix(t, "_") || strings.Contains(t, "__") {
		return 0, false
	}
	t = strings.ReplaceAll(t, "_", "")
	for _, c := range t {
		if c < '0' || c > '9' || int(c-'0') >= base {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(t, base, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return int(n), true
}

// pyBool is supervisor's boolean().
func pyBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "yes", "true", "on", "1":
		return true, nil
	case "no", "false", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("not a valid boolean value: %s", pyRepr(s))
}

// byteSize is supervisor's byte_size (KB, MB, GB suffixes).
func byteSize(s string) (int64, error) {
	v := strings.ToLower(s)
	mult := int64(1)
	for _, sf := range []struct {
		s string
		m int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}} {
		if strings.HasSuffix(v, sf.s) {
			v, mult = v[:len(v)-2], sf.m
			break
		}
	}
	n, err := pyInt(v)
	if err != nil {
		return 0, err
	}
	return int64(n) * mult, nil
}

// octal is supervisor's octal_type.
func octal(s string) (Umask, error) {
	n, ok := parsePyInt(s, 8)
	if !ok || n < 0 || n > 0xffffffff {
		return 0, fmt.Errorf("%s can not be converted to an octal type", s)
	}
	return Umask(n), nil
}

// signals maps names (without SIG) to numbers as Python's signal
// module on Linux knows them. Canonical names come first per number.
var signalNames = []struct {
	name string
	num  syscall.Signal
}{
	{"HUP", 1}, {"INT", 2}, {"QUIT", 3}, {"ILL", 4}, {"TRAP", 5}, {"ABRT", 6}, {"IOT", 6},
	{"BUS", 7}, {"FPE", 8}, {"KILL", 9}, {"USR1", 10}, {"SEGV", 11}, {"USR2", 12},
	{"PIPE", 13}, {"ALRM", 14}, {"TERM", 15}, {"STKFLT", 16}, {"CHLD", 17}, {"CLD", 17},
	{"CONT", 18}, {"STOP", 19}, {"TSTP", 20}, {"TTIN", 21}, {"TTOU", 22}, {"URG", 23},
	{"XCPU", 24}, {"XFSZ", 25}, {"VTALRM", 26}, {"PROF", 27}, {"WINCH", 28}, {"IO", 29},
	{"POLL", 29}, {"PWR", 30}, {"SYS", 31}, {"RTMIN", 34}, {"RTMAX", 64},
	// Python's dir(signal) also holds these SIG_* constants, which
	// signal_number accepts.
	{"_DFL", 0}, {"_IGN", 1}, {"_BLOCK", 0}, {"_UNBLOCK", 1}, {"_SETMASK", 2},
}

// SignalName returns the canonical name of sig without "SIG" ("TERM"),
// or the number as a string.
func SignalName(sig syscall.Signal) string {
	for _, s := range signalNames {
		if s.num == sig && !strings.HasPrefix(s.name, "_") {
			return s.name
		}
	}
	return strconv.Itoa(int(sig))
}

// ParseSignal is supervisor's signal_number.
func ParseSignal(value string) (syscall.Signal, error) {
	num, err := pyInt(value)
	if err != nil {
		name := strings.ToUpper(pyStrip(value))
		name = strings.TrimPrefix(name, "SIG")
		found := false
		for _, s := range signalNames {
			if s.name == name {
				num, found = int(s.num), true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("value %s is not a valid signal name", pyRepr(value))
		}
	}
	for _, s := range signalNames {
		if int(s.num) == num {
			return s.num, nil
		}
	}
	return 0, fmt.Errorf("value %s is not a valid signal number", pyRepr(value))
}

// exitCodes is supervisor's list_of_exitcodes.
func exitCodes(s string) ([]int, error) {
	if s == "" {
		return []int{}, nil
	}
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := pyInt(p)
		if err != nil || n < 0 || n > 255 {
			return nil, fmt.Errorf("not a valid list of exit codes: %s", pyRepr(s))
		}
		out = append(out, n)
	}
	return out, nil
}

func autoRestart(s string) (Autorestart, error) {
	v := strings.ToLower(s)
	switch v {
	case "yes", "true", "on", "1":
		return AutorestartTrue, nil
	case "no", "false", "off", "0":
		return AutorestartFalse, nil
	case "unexpected":
		return AutorestartUnexpected, nil
	}
	return "", fmt.Errorf("invalid 'autorestart' value %s", pyRepr(v))
}

var logLevels = []string{"critical", "error", "warn", "info", "debug", "trace", "blather"}

func logLevel(s string) (string, error) {
	v := strings.ToLower(s)
	for _, l := range logLevels {
		if l == v {
			return v, nil
		}
	}
	return "", fmt.Errorf("bad logging level name %s", pyRepr(s))
}

// processOrGroupName is supervisor's process_or_group_name.
func processOrGroupName(name string) (string, error) {
	s := pyStrip(name)
	for _, c := range []string{" ", ":", "/"} {
		if strings.Contains(s, c) {
			return "", fmt.Errorf("Invalid name: %s because of character: %s", pyRepr(name), pyRepr(c))
		}
	}
	return s, nil
}

func listOfStrings(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = pyStrip(parts[i])
	}
	return parts
}

// expandUser is os.path.expanduser.
func expandUser(p string) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	i := strings.IndexByte(p, '/')
	if i < 0 {
		i = len(p)
	}
	var home string
	if i == 1 {
		home = os.Getenv("HOME")
		if home == "" {
			if u, err := user.Current(); err == nil {
				home = u.HomeDir
			} else {
				return p
			}
		}
	} else {
		u, err := user.Lookup(p[1:i])
		if err != nil {
			return p
		}
		home = u.HomeDir
	}
	home = strings.TrimRight(home, "/")
	if home == "" && i == len(p) {
		return "/"
	}
	return home + p[i:]
}

// normalizePath is supervisor's normalize_path.
func normalizePath(p string) string {
	a, err := filepath.Abs(expandUser(p))
	if err != nil {
		return filepath.Clean(expandUser(p))
	}
	return a
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// existingDirpath is supervisor's existing_dirpath.
func existingDirpath(v string) (string, error) {
	nv := expandUser(v)
	dir := pyDirname(nv)
	if dir == "" || isDir(dir) {
		return nv, nil
	}
	return "", fmt.Errorf("The directory named as part of the path %s does not exist", v)
}

// existingDirectory is supervisor's existing_directory.
func existingDirectory(v string) (string, error) {
	nv := expandUser(v)
	if isDir(nv) {
		return nv, nil
	}
	return "", fmt.Errorf("%s is not an existing directory", v)
}

// pyDirname is os.path.dirname.
func pyDirname(p string) string {
	i := strings.LastIndexByte(p, '/') + 1
	head := p[:i]
	if head != "" && strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head
}

// nameToUID is supervisor's name_to_uid.
func nameToUID(name string) (int, error) {
	if n, err := pyInt(name); err == nil {
		if _, err := user.LookupId(strconv.Itoa(n)); err != nil {
			return 0, fmt.Errorf("Invalid user id %s", name)
		}
		return n, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return 0, fmt.Errorf("Invalid user name %s", name)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return 0, fmt.Errorf("Invalid user name %s", name)
	}
	return uid, nil
}

func nameToGID(name string) (int, error) {
	if n, err := pyInt(name); err == nil {
		if _, err := user.LookupGroupId(strconv.Itoa(n)); err != nil {
			return 0, fmt.Errorf("Invalid group id %s", name)
		}
		return n, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("Invalid group name %s", name)
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return 0, fmt.Errorf("Invalid group name %s", name)
	}
	return gid, nil
}

// userGroup is supervisor's colon_separated_user_group.
func userGroup(arg string) (int, int, error) {
	parts := strings.SplitN(arg, ":", 2)
	uid, err := nameToUID(parts[0])
	if err != nil {
		return 0, 0, fmt.Errorf("Invalid user:group definition %s", arg)
	}
	gid := -1
	if len(parts) == 2 {
		if gid, err = nameToGID(parts[1]); err != nil {
			return 0, 0, fmt.Errorf("Invalid user:group definition %s", arg)
		}
	}
	return uid, gid, nil
}

// inetAddress is supervisor's inet_address.
func inetAddress(s string) (string, int, error) {
	host := ""
	var port int
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, s = s[:i], s[i+1:]
		if s == "" {
			return "", 0, fmt.Errorf("no port number specified in %s", pyRepr(s))
		}
		p, err := portNumber(s)
		if err != nil {
			return "", 0, err
		}
		port = p
		host = strings.ToLower(host)
	} else {
		p, err := portNumber(s)
		if err != nil {
			return "", 0, fmt.Errorf("not a valid port number: %s ", pyRepr(s))
		}
		port = p
	}
	if host == "*" {
		host = ""
	}
	return host, port, nil
}

// pyBigInt returns the decimal form of s when s is a valid Python
// integer literal too large for int64.
func pyBigInt(s string) (string, bool) {
	t := pyStrip(s)
	sign := ""
	if strings.HasPrefix(t, "+") || strings.HasPrefix(t, "-") {
		if t[0] == '-' {
			sign = "-"
		}
		t = t[1:]
	}
	if t == "" || strings.HasPrefix(t, "_") || strings.HasSuffix(t, "_") || strings.Contains(t, "__") {
		return "", false
	}
	t = strings.ReplaceAll(t, "_", "")
	for _, c := range t {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	if _, err := strconv.ParseInt(t, 10, 64); err == nil {
		return "", false
	}
	t = strings.TrimLeft(t, "0")
	return sign + t, true
}

func portNumber(s string) (int, error) {
	if big, ok := pyBigInt(s); ok {
		if strings.HasPrefix(big, "-") {
			return 0, fmt.Errorf("%s is below lower bound (1)", big)
		}
		return 0, fmt.Errorf("%s is above upper bound (65535)", big)
	}
	n, err := pyInt(s)
	if err != nil {
		return 0, err
	}
	if n < 1 {
		return 0, fmt.Errorf("%d is below lower bound (1)", n)
	}
	if n > 0xffff {
		return 0, fmt.Errorf("%d is above upper bound (65535)", n)
	}
	return n, nil
}

// parseMaxAge parses superd's *_logfile_maxage: a Go duration, or a
// number with a d (days) or w (weeks) suffix; 0 or "" = keep forever.
func parseMaxAge(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" || t == "0" {
		return 0, nil
	}
	unit := time.Duration(0)
	switch {
	case strings.HasSuffix(t, "d"):
		unit = 24 * time.Hour
	case strings.HasSuffix(t, "w"):
		unit = 7 * 24 * time.Hour
	}
	if unit != 0 {
		n, err := strconv.ParseFloat(t[:len(t)-1], 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %s (use e.g. 7d, 12h, 30m)", pyRepr(s))
		}
		return time.Duration(n * float64(unit)), nil
	}
	d, err := time.ParseDuration(t)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %s (use e.g. 7d, 12h, 30m)", pyRepr(s))
	}
	return d, nil
}

// FormatMaxAge renders a duration the way parseMaxAge reads it back.
func FormatMaxAge(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	for _, u := range []struct {
		d time.Duration
		s string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.s
		}
	}
	return d.String()
}

// closest returns the candidate nearest to s by edit distance, if it is
// near enough to be a plausible typo.
func closest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := editDistance(s, c)
		if d < bestD || d == bestD && c < best {
			best, bestD = c, d
		}
	}
	limit := len(s) / 2
	if limit < 2 {
		limit = 2
	}
	// also accept a candidate that contains s or is contained in it
	if bestD > limit {
		var subs []string
		for _, c := range candidates {
			if strings.Contains(c, s) || strings.Contains(s, c) && len(c) > 2 {
				subs = append(subs, c)
			}
		}
		sort.Strings(subs)
		if len(subs) > 0 {
			return subs[0]
		}
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
