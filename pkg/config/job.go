package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // timezone= works in a bare container

	"github.com/superd/superd/pkg/schedule"
)

// Job is a [job:name] section: a command run on a schedule (a superd
// extension; supervisord ignores the section).
type Job struct {
	Name string `json:"name"`
	// Process holds the options shared with [program:x] (command,
	// directory, environment, user, umask, logs, redirect_stderr,
	// stopsignal, stopwaitsecs, stopasgroup, killasgroup, exitcodes),
	// parsed by the same code. Its Name and Group are the job's name.
	Process *Process `json:"process"`

	// ScheduleKind is "interval", "times" or "schedule": the one of the
	// three options the section sets; ScheduleText is its value.
	ScheduleKind string `json:"schedule_kind"`
	ScheduleText string `json:"schedule_text"`
	// Timezone is the IANA zone of timezone= ("" = superd's local zone);
	// Location is it loaded.
	Timezone string         `json:"timezone,omitempty"`
	Location *time.Location `json:"-"`

	Enabled         bool          `json:"enabled"`
	Overlap         string        `json:"overlap"` // skip queue allow replace
	Timeout         time.Duration `json:"timeout"` // 0 = none
	SkipExitCodes   []int         `json:"skip_exitcodes"`
	Catchup         bool          `json:"catchup"`
	Jitter          time.Duration `json:"jitter"`
	Retries         int           `json:"retries"`
	RetryDelay      time.Duration `json:"retry_delay"`
	Requires        []string      `json:"requires,omitempty"`
	NotifyCommand   string        `json:"notify_command,omitempty"`
	Mailto          string        `json:"mailto,omitempty"`
	NotifyOnSuccess bool          `json:"notify_on_success"`

	// Source is "file:line" of the section header.
	Source string `json:"-"`
}

// Spec is the job's configured schedule in the form superd.setJobSchedule
// takes: "interval 10", "times 20:00,08:30:15", "schedule */5 * * * *".
func (j *Job) Spec() string { return j.ScheduleKind + " " + j.ScheduleText }

// Job returns the job named name, or nil.
func (c *Config) Job(name string) *Job {
	for _, j := range c.Jobs {
		if j.Name == name {
			return j
		}
	}
	return nil
}

// scheduleCheck validates a job's schedule at load time, so `superd
// check` reports bad and never-firing schedules at file:line (a
// variable for tests).
var scheduleCheck = func(kind, text string, loc *time.Location) error {
	_, err := schedule.Parse(kind, text, loc)
	return err
}

// Overlap policies.
var overlapPolicies = []string{"skip", "queue", "allow", "replace"}

var jobOptions = []string{
	"command", "directory", "environment", "user", "umask", "redirect_stderr",
	"stdout_logfile", "stdout_logfile_maxbytes", "stdout_logfile_backups",
	"stderr_logfile", "stderr_logfile_maxbytes", "stderr_logfile_backups",
	"stdout_logfile_compress", "stdout_logfile_maxage", "stderr_logfile_compress", "stderr_logfile_maxage",
	"stopsignal", "stopwaitsecs", "stopasgroup", "killasgroup", "exitcodes",
	"interval", "times", "schedule", "timezone", "enabled", "overlap", "timeout",
	"skip_exitcodes", "catchup", "jitter", "retries", "retry_delay", "requires",
	"notify_command", "mailto", "notify_on_success",
}

// DefaultSendmail is [supervisord] sendmail='s default.
const DefaultSendmail = "/usr/sbin/sendmail"

// superdKeys reads superd's own [supervisord] keys (supervisord 4.2.5
// ignores keys it does not know in that section): statedir and sendmail.
func (l *loader) superdKeys(sec *rawSection) {
	c := &l.cfg.Supervisord
	here := map[string]any{"here": l.here}
	if v, present, ok := l.get(sec, "sendmail", nil, here, true); present && ok {
		if strings.TrimSpace(v) == "" {
			l.fail(sec, "sendmail", errors.New("sendmail must name a program"))
		} else {
			c.Sendmail = strings.TrimSpace(v)
		}
	}
	if v, present, ok := l.get(sec, "statedir", nil, here, true); present && ok {
		v = strings.TrimSpace(v)
		if v == "" {
			l.fail(sec, "statedir", errors.New("statedir must name a directory"))
		} else {
			c.StateDir = normalizePath(expandUser(v))
		}
	}
}

// jobs reads every [job:name] section.
func (l *loader) jobs() {
	var jobs []*Job
	seen := map[string]bool{}
	for _, s := range l.p.sections {
		if !strings.HasPrefix(s.Name, "job:") {
			continue
		}
		if j := l.job(s); j != nil {
			if seen[j.Name] {
				l.fail(s, "", fmt.Errorf("duplicate job name %s", j.Name))
				continue
			}
			seen[j.Name] = true
			jobs = append(jobs, j)
		}
	}
	sort.Slice(jobs, func(i, k int) bool { return jobs[i].Name < jobs[k].Name })
	l.cfg.Jobs = jobs
}

func (l *loader) job(s *rawSection) *Job {
	name, err := processOrGroupName(strings.SplitN(s.Name, ":", 2)[1])
	if err != nil {
		l.fail(s, "", err)
		return nil
	}
	if name == "" {
		l.fail(s, "", errors.New("a job needs a name: [job:name]"))
		return nil
	}
	// numprocs makes no sense for a job: say so, rather than what
	// numprocs would need in a program (process_name with %(process_num)s)
	if o := l.p.get(s, "numprocs"); o != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(o.Value)); err == nil && n != 1 {
			l.fail(s, "numprocs", fmt.Errorf("[%s] runs one command; numprocs is not supported for jobs", s.Name))
			return nil
		}
	}
	nerr := len(l.errs)
	// The options shared with [program:x] go through the same code.
	procs := l.processes(s, name, KindProgram)
	if len(l.errs) > nerr {
		return nil
	}
	if len(procs) != 1 {
		if l.p.get(s, "command") != nil {
			l.fail(s, "", fmt.Errorf("[%s] runs one command; numprocs is not supported for jobs", s.Name))
		}
		return nil
	}
	p := procs[0]
	p.Name, p.Group = name, name
	common := map[string]any{"here": l.here, "program_name": name, "host_node_name": l.host, "group_name": name}
	get := func(opt, def string) (string, bool) {
		v, _, ok := l.get(s, opt, &def, common, true)
		return v, ok
	}
	// Jobs stop and kill their whole process group by default: a
	// timed-out shell script must not leave its children behind.
	if l.p.get(s, "killasgroup") == nil {
		p.KillAsGroup = true
	}
	if l.p.get(s, "stopasgroup") == nil {
		p.StopAsGroup = p.KillAsGroup
	}
	j := &Job{Name: name, Process: p, Source: fmt.Sprintf("%s:%d", s.File, s.Line)}
	good := true
	chk := func(ok bool) {
		if !ok {
			good = false
		}
	}

	// schedule: exactly one of interval, times, schedule
	const forms = "set exactly one of interval = SECONDS | MM:SS | HH:MM:SS, times = HH:MM[:SS], ... (every day at these times), schedule = CRON (5 fields, or 6 with seconds first; @hourly, @daily, @every 1h30m, ...)"
	var set []string
	for _, k := range []string{"interval", "times", "schedule"} {
		if l.p.get(s, k) != nil {
			set = append(set, k)
		}
	}
	switch len(set) {
	case 0:
		l.fail(s, "", fmt.Errorf("has no schedule: %s", forms))
		good = false
	case 1:
		v, ok := get(set[0], "")
		chk(ok)
		j.ScheduleKind, j.ScheduleText = set[0], strings.TrimSpace(v)
		if ok && j.ScheduleText == "" {
			l.fail(s, set[0], fmt.Errorf("empty schedule: %s", forms))
			good = false
		}
	default:
		l.fail(s, set[1], fmt.Errorf("sets both %s and %s: %s", set[0], set[1], forms))
		good = false
	}
	j.Location = time.Local
	if v, present, ok := l.get(s, "timezone", nil, common, true); present {
		chk(ok)
		v = strings.TrimSpace(v)
		if ok && v != "" {
			loc, err := time.LoadLocation(v)
			if err != nil || strings.EqualFold(v, "local") {
				l.fail(s, "timezone", fmt.Errorf("unknown time zone %s (an IANA name such as Europe/Brussels or UTC)", pyRepr(v)))
				good = false
			} else {
				j.Timezone, j.Location = v, loc
			}
		}
	}
	if good {
		if err := scheduleCheck(j.ScheduleKind, j.ScheduleText, j.Location); err != nil {
			l.fail(s, j.ScheduleKind, err)
			good = false
		}
	}

	boolv := func(opt, def string) bool {
		v, ok := get(opt, def)
		b, ok := conv(l, s, opt, v, ok, pyBool)
		chk(ok)
		return b
	}
	secs := func(opt, def string) time.Duration {
		v, ok := get(opt, def)
		n, ok := conv(l, s, opt, v, ok, pyInt)
		if ok && n < 0 {
			l.fail(s, opt, fmt.Errorf("%s must be 0 or more seconds, not %d", opt, n))
			ok = false
		}
		chk(ok)
		return time.Duration(n) * time.Second
	}
	j.Enabled = boolv("enabled", "true")
	j.Catchup = boolv("catchup", "false")
	j.NotifyOnSuccess = boolv("notify_on_success", "false")
	j.Timeout = secs("timeout", "0")
	j.Jitter = secs("jitter", "0")
	j.RetryDelay = secs("retry_delay", "0")
	if v, ok := get("retries", "0"); ok {
		n, ok := conv(l, s, "retries", v, true, pyInt)
		if ok && n < 0 {
			l.fail(s, "retries", fmt.Errorf("retries must be 0 or more, not %d", n))
			ok = false
		}
		chk(ok)
		j.Retries = n
	}
	if v, ok := get("overlap", "skip"); ok {
		v = strings.ToLower(strings.TrimSpace(v))
		if !slices.Contains(overlapPolicies, v) {
			l.fail(s, "overlap", fmt.Errorf("invalid overlap value %s (skip, queue, allow or replace)", pyRepr(v)))
			good = false
		}
		j.Overlap = v
	}
	if v, ok := get("skip_exitcodes", ""); ok {
		codes, ok := conv(l, s, "skip_exitcodes", v, true, exitCodes)
		chk(ok)
		j.SkipExitCodes = codes
		for _, c := range codes {
			if slices.Contains(p.ExitCodes, c) {
				l.fail(s, "skip_exitcodes", fmt.Errorf("exit code %d is in both exitcodes and skip_exitcodes", c))
				good = false
			}
		}
	}
	if v, ok := get("requires", ""); ok {
		for _, r := range listOfStrings(v) {
			if r != "" {
				j.Requires = append(j.Requires, r)
			}
		}
	}
	if v, ok := get("notify_command", ""); ok {
		j.NotifyCommand = strings.TrimSpace(v)
		if j.NotifyCommand != "" {
			if _, err := SplitCommand(j.NotifyCommand); err != nil {
				l.fail(s, "notify_command", fmt.Errorf("can't parse command %s: %s", pyRepr(j.NotifyCommand), err))
				good = false
			}
		}
	}
	if v, ok := get("mailto", ""); ok {
		j.Mailto = strings.TrimSpace(v)
		if strings.ContainsAny(j.Mailto, "\r\n") {
			l.fail(s, "mailto", errors.New("mailto must be one line of addresses"))
			good = false
		}
	}
	if !good {
		return nil
	}
	return j
}

// checkRequires reports requires= names that are no configured program
// (a process name or group:name).
func (l *loader) checkRequires() {
	known := map[string]bool{}
	for _, g := range l.cfg.Groups {
		known[g.Name] = true
		for _, p := range g.Processes {
			known[p.Name] = true
			known[p.Namespec()] = true
			known[p.Group+":"+p.Name] = true // web:web, as supervisorctl takes it
		}
	}
	for _, j := range l.cfg.Jobs {
		for _, r := range j.Requires {
			if !known[r] {
				sec := l.p.byName["job:"+j.Name]
				if sec != nil {
					l.fail(sec, "requires", fmt.Errorf("requires names unknown program %s", r))
				}
			}
		}
	}
}

// DefaultStateDir is where superd keeps its state database when
// [supervisord] statedir= is not set: /var/lib/superd for root,
// $XDG_STATE_HOME/superd (or ~/.local/state/superd) otherwise.
func DefaultStateDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/superd"
	}
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "superd")
	}
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		return filepath.Join(h, ".local", "state", "superd")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("superd-%d-state", os.Geteuid()))
}

// StateDirectory is the state directory of this configuration: statedir=
// when set; else DefaultStateDir() for the built-in default and for a
// config file in a standard place (/etc/superd/superd.conf,
// /etc/supervisord.conf, /etc/supervisor/supervisord.conf, and the
// user's superd/superd.conf under ~/.config), and
// DefaultStateDir()/instances/NAME-HASH for any other file (NAME its base
// name, HASH from its absolute path). Two superds started with different
// -c files so never share one database: bbolt lets one process open it,
// and the second would run without crash recovery, starting its programs
// a second time after it was killed.
func (c *Config) StateDirectory() string {
	if c.Supervisord.StateDir != "" {
		return c.Supervisord.StateDir
	}
	base := DefaultStateDir()
	if c.File == "" {
		return base
	}
	standard := []string{"/etc/superd/superd.conf", "/etc/supervisord.conf", "/etc/supervisor/supervisord.conf"}
	if os.Geteuid() != 0 {
		standard = append(standard, filepath.Join(userConfigDir(), "superd", "superd.conf"))
	}
	file := filepath.Clean(c.File)
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	if slices.Contains(standard, file) {
		return base
	}
	sum := sha256.Sum256([]byte(file))
	name := strings.Trim(stateNameBad.ReplaceAllString(filepath.Base(file), "_"), "_.")
	if name == "" {
		name = "superd"
	}
	return filepath.Join(base, "instances", name+"-"+hex.EncodeToString(sum[:6]))
}

var stateNameBad = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// MarshalJSON writes durations in seconds, as the options are written.
func (j Job) MarshalJSON() ([]byte, error) {
	type plain Job
	out := struct {
		plain
		Timeout    int `json:"timeout"`
		Jitter     int `json:"jitter"`
		RetryDelay int `json:"retry_delay"`
	}{plain: plain(j), Timeout: int(j.Timeout / time.Second), Jitter: int(j.Jitter / time.Second), RetryDelay: int(j.RetryDelay / time.Second)}
	return json.Marshal(out)
}

// DiffJobs compares the [job:x] sections of two configs for
// reread/update: a job changed when any of its options differs
// (environment compared merged with [supervisord] environment, AUTO
// logs equal, as for programs).
func DiffJobs(old, new *Config) (added, changed, removed []string) {
	oldJ := map[string]*Job{}
	for _, j := range old.Jobs {
		oldJ[j.Name] = j
	}
	for _, j := range new.Jobs {
		o, ok := oldJ[j.Name]
		switch {
		case !ok:
			added = append(added, j.Name)
		case !jobEqual(old, o, new, j):
			changed = append(changed, j.Name)
		}
		delete(oldJ, j.Name)
	}
	for name := range oldJ {
		removed = append(removed, name)
	}
	sort.Strings(removed)
	return added, changed, removed
}

func jobEqual(oc *Config, a *Job, nc *Config, b *Job) bool {
	if !processEqual(oc, a.Process, nc, b.Process) {
		return false
	}
	x, y := *a, *b
	x.Process, y.Process = nil, nil
	x.Source, y.Source = "", ""
	x.Location, y.Location = nil, nil
	return reflect.DeepEqual(x, y)
}
