package web

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/rpc"
)

// coalesce is how long the hub gathers state events before it reads
// the changed processes and pushes one update (a restart of 1000
// processes is a few updates, not thousands).
const coalesce = 15 * time.Millisecond

// counters are superd's per-process counts since the daemon started.
type counters struct {
	spawns     int
	restarts   int // spawns after the first
	exitsOK    int // EXITED with expected=1
	exitsNotOK int // EXITED with expected=0, and BACKOFF (died during startsecs)
}

// jobBuckets are the bounds (seconds) of superd_job_duration_seconds.
var jobBuckets = []float64{0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600}

// jobCounters are one job's run counts and durations since superd
// started, from SUPERD_JOB_* events.
type jobCounters struct {
	runs    map[string]int // by result
	started time.Time      // of the run in progress
	count   uint64
	sum     float64
	buckets []uint64 // cumulative counts per jobBuckets bound
}

// tracker holds the counters; the hub goroutine writes them, metrics
// and stats read them.
type tracker struct {
	mu   sync.Mutex // guards m, jobs and health
	m    map[string]*counters
	jobs map[string]*jobCounters
	// health is the last health check verdict of the processes that
	// have a healthcheck (SUPERD_PROCESS_HEALTHY/UNHEALTHY events).
	health map[string]bool
}

func (t *tracker) observeHealth(e events.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.health[namespec(e.Group, e.Process)] = e.Type == events.SuperdProcessHealthy
}

// healthy returns the last verdict for ns, and whether there is one.
func (t *tracker) healthy(ns string) (healthy, known bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	healthy, known = t.health[ns]
	return healthy, known
}

func (t *tracker) observeJob(e events.Event) {
	if e.Type == events.SuperdJobChanged {
		return // no run to count; open pages reload the section
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	name := e.Job
	if name == "" {
		name = e.Process
	}
	j := t.jobs[name]
	if j == nil {
		j = &jobCounters{runs: map[string]int{}, buckets: make([]uint64, len(jobBuckets))}
		t.jobs[name] = j
	}
	switch e.Type {
	case events.SuperdJobStarted:
		j.started = e.Time
	case events.SuperdJobFinished:
		j.runs[e.Result]++
		if !j.started.IsZero() {
			d := e.Time.Sub(j.started).Seconds()
			j.count++
			j.sum += d
			for i, b := range jobBuckets {
				if d <= b {
					j.buckets[i]++
				}
			}
			j.started = time.Time{}
		}
	case events.SuperdJobSkipped:
		j.runs["skipped"]++
	}
}

// jobSnapshot returns a copy of the job counters.
func (t *tracker) jobSnapshot() map[string]jobCounters {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]jobCounters, len(t.jobs))
	for n, j := range t.jobs {
		c := *j
		c.runs = make(map[string]int, len(j.runs))
		for k, v := range j.runs {
			c.runs[k] = v
		}
		c.buckets = append([]uint64(nil), j.buckets...)
		out[n] = c
	}
	return out
}

func (t *tracker) observe(e events.Event) {
	ns := namespec(e.Group, e.Process)
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.m[ns]
	if c == nil {
		c = &counters{}
		t.m[ns] = c
	}
	switch e.Type {
	case events.ProcessStateStarting:
		c.spawns++
		if c.spawns > 1 {
			c.restarts++
		}
	case events.ProcessStateExited:
		if e.Expected {
			c.exitsOK++
		} else {
			c.exitsNotOK++
		}
	case events.ProcessStateBackoff:
		c.exitsNotOK++
	}
}

func (t *tracker) get(ns string) counters {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.m[ns]; c != nil {
		return *c
	}
	return counters{}
}

func namespec(group, name string) string {
	if group == name {
		return name
	}
	return group + ":" + name
}

// proc is a process as the page's script sees it.
type proc struct {
	NS        string `json:"ns"`
	Name      string `json:"name"`
	Group     string `json:"group"`
	State     int    `json:"state"`
	StateName string `json:"statename"`
	PID       int    `json:"pid"`
	Start     int64  `json:"start"`
	Stop      int64  `json:"stop"`
	Exit      int    `json:"exit"`
	SpawnErr  string `json:"spawnerr"`
	Desc      string `json:"desc"`
}

func toProc(i rpc.ProcessInfo) proc {
	return proc{NS: namespec(i.Group, i.Name), Name: i.Name, Group: i.Group, State: i.State,
		StateName: i.StateName, PID: i.PID, Start: i.Start, Stop: i.Stop, Exit: i.ExitStatus,
		SpawnErr: i.SpawnErr, Desc: i.Description}
}

// uptimeRe is the uptime in a RUNNING description ("uptime 0:01:02",
// "uptime 2 days, 0:01:02").
var uptimeRe = regexp.MustCompile(`uptime (\d+ days?, )?\d+:\d\d:\d\d`)

// same reports whether two infos show the same thing: Now and the
// uptime in the description change every second and the script
// computes uptimes itself, but the rest of a description (health,
// listen sockets) counts.
func same(a, b rpc.ProcessInfo) bool {
	a.Now, b.Now = 0, 0
	if a.State == 20 && b.State == 20 {
		a.Description = uptimeRe.ReplaceAllString(a.Description, "uptime")
		b.Description = uptimeRe.ReplaceAllString(b.Description, "uptime")
	}
	return a == b
}

// message is one server-sent event of the process stream.
type message struct {
	Type    string   `json:"type"` // snapshot, update
	Now     int64    `json:"now"`  // server time, unix milliseconds
	State   string   `json:"state,omitempty"`
	Procs   []proc   `json:"procs"`
	Removed []string `json:"removed,omitempty"`
	// Jobs says a job started, finished or was skipped: the page
	// reloads its jobs section.
	Jobs bool `json:"jobs,omitempty"`
}

// client is one open process stream.
type client struct {
	ch chan []byte // SSE frames; closed by the hub when the client is too slow
}

// hub owns the live model of the processes: one goroutine (run) reads
// the bus, keeps the counters, and while some page is open keeps a copy
// of every process's info, refreshed for the processes events name,
// and pushes the differences to the pages.
type hub struct {
	b     rpc.Backend
	bus   *events.Bus
	track *tracker

	reg   chan *client
	unreg chan *client
	done  chan struct{} // closed when run returns
}

func newHub(b rpc.Backend, bus *events.Bus) *hub {
	return &hub{b: b, bus: bus, track: &tracker{m: map[string]*counters{}, jobs: map[string]*jobCounters{}, health: map[string]bool{}},
		reg: make(chan *client), unreg: make(chan *client), done: make(chan struct{})}
}

// subscribe registers a page; nil if the hub has ended.
func (h *hub) subscribe(ctx context.Context) *client {
	c := &client{ch: make(chan []byte, 64)}
	select {
	case h.reg <- c:
		return c
	case <-h.done:
	case <-ctx.Done():
	}
	return nil
}

func (h *hub) unsubscribe(c *client) {
	select {
	case h.unreg <- c:
	case <-h.done:
	}
}

// frame encodes m as one server-sent event, its processes sorted as
// the table is (new rows are appended in this order).
func frame(m message) []byte {
	sort.Slice(m.Procs, func(i, j int) bool {
		if m.Procs[i].Group != m.Procs[j].Group {
			return m.Procs[i].Group < m.Procs[j].Group
		}
		return m.Procs[i].Name < m.Procs[j].Name
	})
	b, _ := json.Marshal(m)
	return append(append([]byte("data: "), b...), '\n', '\n')
}

// run is the hub's goroutine; it ends when ctx ends (or the bus is
// closed), closing every client's channel.
func (h *hub) run(ctx context.Context) {
	defer close(h.done)
	var sub *events.Subscription
	var evc <-chan events.Event
	if h.bus != nil {
		sub = h.bus.Subscribe(events.ProcessState, events.ProcessGroup, events.SupervisorStateChange, events.SuperdJob, events.SuperdProcessHealth)
		defer sub.Close()
		evc = sub.C()
	}
	clients := map[*client]bool{}
	model := map[string]rpc.ProcessInfo{} // valid while clients exist
	dirty := map[string]bool{}
	reloadAll, stateChanged, jobsChanged := false, false, false
	var timer *time.Timer
	var timerC <-chan time.Time
	arm := func() {
		if timerC == nil {
			timer = time.NewTimer(coalesce)
			timerC = timer.C
		}
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
		for c := range clients {
			close(c.ch)
		}
	}()
	send := func(c *client, f []byte) {
		select {
		case c.ch <- f:
		default: // too slow: drop it; its EventSource reconnects and gets a snapshot
			delete(clients, c)
			close(c.ch)
		}
	}
	loadAll := func() []rpc.ProcessInfo {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		infos, err := h.b.AllProcessInfo(cctx)
		if err != nil {
			return nil
		}
		return infos
	}
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-evc:
			if !ok {
				evc = nil
				continue
			}
			if e.Type.Is(events.ProcessState) {
				h.track.observe(e)
			}
			if e.Type.Is(events.SuperdJob) {
				h.track.observeJob(e)
			}
			if e.Type.Is(events.SuperdProcessHealth) {
				h.track.observeHealth(e)
			}
			if len(clients) == 0 {
				continue
			}
			switch {
			case e.Type.Is(events.SuperdJob):
				jobsChanged = true
			case e.Type.Is(events.ProcessState), e.Type.Is(events.SuperdProcessHealth):
				dirty[namespec(e.Group, e.Process)] = true
			case e.Type.Is(events.ProcessGroup):
				reloadAll = true
			default:
				stateChanged = true
			}
			arm()
		case c := <-h.reg:
			if len(clients) == 0 {
				clear(model)
				for _, i := range loadAll() {
					model[namespec(i.Group, i.Name)] = i
				}
			}
			clients[c] = true
			m := message{Type: "snapshot", Now: time.Now().UnixMilli(), State: h.b.State().Name, Procs: []proc{}}
			for _, i := range model {
				m.Procs = append(m.Procs, toProc(i))
			}
			send(c, frame(m))
		case c := <-h.unreg:
			if clients[c] {
				delete(clients, c)
				close(c.ch)
			}
			if len(clients) == 0 {
				clear(dirty)
				reloadAll, stateChanged, jobsChanged = false, false, false
			}
		case <-timerC:
			timerC = nil
			if len(clients) == 0 {
				continue
			}
			m := message{Type: "update", Now: time.Now().UnixMilli(), Procs: []proc{}, Jobs: jobsChanged}
			if stateChanged {
				m.State = h.b.State().Name
			}
			var fresh []rpc.ProcessInfo
			if reloadAll || len(dirty) > 32 {
				fresh = loadAll()
				seen := map[string]bool{}
				for _, i := range fresh {
					seen[namespec(i.Group, i.Name)] = true
				}
				if reloadAll && fresh != nil {
					for ns := range model {
						if !seen[ns] {
							delete(model, ns)
							m.Removed = append(m.Removed, ns)
						}
					}
				}
			} else {
				for ns := range dirty {
					cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					i, err := h.b.ProcessInfo(cctx, ns)
					cancel()
					if err == nil {
						fresh = append(fresh, i)
					}
				}
			}
			for _, i := range fresh {
				ns := namespec(i.Group, i.Name)
				if old, ok := model[ns]; ok && same(old, i) {
					continue
				}
				model[ns] = i
				m.Procs = append(m.Procs, toProc(i))
			}
			clear(dirty)
			reloadAll, stateChanged, jobsChanged = false, false, false
			if len(m.Procs) == 0 && len(m.Removed) == 0 && m.State == "" && !m.Jobs {
				continue
			}
			f := frame(m)
			for c := range clients {
				send(c, f)
			}
		}
	}
}
