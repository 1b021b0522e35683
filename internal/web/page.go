package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/superd/superd/pkg/rpc"
)

// stateOrder is the order of the per-state counts at the top.
var stateOrder = []string{"RUNNING", "STARTING", "BACKOFF", "STOPPING", "STOPPED", "EXITED", "FATAL", "UNKNOWN"}

// signals offered by the page (any name or number is accepted by the
// action endpoint).
var signals = []string{"HUP", "INT", "QUIT", "KILL", "USR1", "USR2", "TERM", "CONT", "STOP", "WINCH"}

type procRow struct {
	proc
	Uptime string
}

type groupRows struct {
	Name  string
	Procs []procRow
	// Header is false for the programs that are alone in their group of
	// the same name; they are listed together without a group row.
	Header bool
	Counts string
}

type stateCount struct {
	Name  string
	N     int
	Class string
}

type pageData struct {
	Identification string
	Version        string
	State          string
	Message        *string
	CSRF           string
	Groups         []groupRows
	Counts         []stateCount
	Total          int
	Signals        []string
	Jobs           *jobsData
	Now            int64
	Error          string
}

// stateClass is supervisord's CSS class of a state (statusrunning,
// statuserror, statusnominal), which scripts reading the page look for;
// the page's own colours come from the row's data-state.
func stateClass(state int) string {
	switch state {
	case 20:
		return "statusrunning"
	case 200, 30:
		return "statuserror"
	}
	return "statusnominal"
}

// uptime formats seconds as the page shows them (H:MM:SS, "N days, ").
func uptime(secs int64) string {
	if secs < 0 {
		secs = 0
	}
	d := secs / 86400
	secs %= 86400
	s := fmt.Sprintf("%d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	if d == 1 {
		return "1 day, " + s
	}
	if d > 1 {
		return fmt.Sprintf("%d days, %s", d, s)
	}
	return s
}

// textEscaper escapes text for an HTML text node (& and <).
var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;")

func funcs(loc *time.Location) template.FuncMap {
	return template.FuncMap{
		"stateClass": stateClass,
		"lower":      strings.ToLower,
		// query escapes a value for a URL query as supervisord does;
		// typed as a URL so html/template only normalizes it.
		"query": func(s string) template.URL { return template.URL(pyQuote(s)) },
		// text escapes only what must be escaped in HTML text, & and <,
		// as supervisord's pages do: a script reading the page sees
		// "a+b 'q'" as supervisord shows it, not html/template's
		// "a&#43;b &#39;q&#39;".
		"text": func(s string) template.HTML { return template.HTML(textEscaper.Replace(s)) },
		// tailTitle is tail.html's whole <title> element with text's
		// escaping (html/template escapes even trusted HTML inside
		// <title>)
		// (a missing or empty name is None, as in supervisord).
		"tailTitle": func(name *string) template.HTML {
			n := "None"
			if name != nil && *name != "" {
				n = *name
			}
			return template.HTML("<title>Supervisor tail of process " + textEscaper.Replace(n) + "</title>")
		},
		"unixTime": func(t int64) string {
			if t == 0 {
				return ""
			}
			return time.Unix(t, 0).In(loc).Format("2006-01-02 15:04:05")
		},
		"isRunning": func(s int) bool { return s == 20 || s == 10 || s == 30 || s == 40 },
		"isStopped": func(s int) bool { return s == 0 || s == 100 || s == 200 },
	}
}

// groupProcs sorts infos by group and name and groups them.
func groupProcs(infos []rpc.ProcessInfo, now int64) ([]groupRows, map[string]int) {
	sort.Slice(infos, func(i, j int) bool {
		if infos[i].Group != infos[j].Group {
			return infos[i].Group < infos[j].Group
		}
		return infos[i].Name < infos[j].Name
	})
	counts := map[string]int{}
	var groups []groupRows
	singles := groupRows{} // the programs without a group row, listed first
	for i := 0; i < len(infos); {
		j := i
		for j < len(infos) && infos[j].Group == infos[i].Group {
			j++
		}
		g := groupRows{Name: infos[i].Group, Header: j-i > 1 || infos[i].Name != infos[i].Group}
		gc := map[string]int{}
		for _, in := range infos[i:j] {
			r := procRow{proc: toProc(in)}
			if in.State == 20 && in.Start > 0 {
				r.Uptime = uptime(now - in.Start)
			}
			counts[in.StateName]++
			gc[in.StateName]++
			g.Procs = append(g.Procs, r)
		}
		var parts []string
		for _, s := range stateOrder {
			if gc[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", gc[s], strings.ToLower(s)))
			}
		}
		g.Counts = strings.Join(parts, ", ")
		if g.Header {
			groups = append(groups, g)
		} else {
			singles.Procs = append(singles.Procs, g.Procs...)
		}
		i = j
	}
	var out []groupRows
	if len(singles.Procs) > 0 {
		out = append(out, singles)
	}
	out = append(out, groups...)
	return out, counts
}

func (h *Handler) pageData(ctx context.Context) pageData {
	now := time.Now().Unix()
	d := pageData{Identification: h.b.Identification(), Version: h.opts.Version, State: h.b.State().Name,
		CSRF: h.csrfToken(), Signals: signals, Now: now}
	infos, err := h.b.AllProcessInfo(ctx)
	if err != nil {
		d.Error = rpc.ToFault(err).String
	}
	d.Total = len(infos)
	var counts map[string]int
	d.Groups, counts = groupProcs(infos, now)
	for _, s := range stateOrder {
		d.Counts = append(d.Counts, stateCount{Name: s, N: counts[s], Class: "st-" + strings.ToLower(s)})
	}
	if h.opts.Jobs != nil {
		d.Jobs = h.jobsData(ctx)
	}
	return d
}

// form merges the query and, for POST, the url-encoded body (the body
// wins), keeping the first value of each key, as supervisord does.
func form(r *http.Request) map[string]string {
	f := map[string]string{}
	for k, v := range r.URL.Query() {
		f[k] = v[0]
	}
	if r.Method == http.MethodPost {
		r.ParseForm()
		for k, v := range r.PostForm {
			f[k] = v[0]
		}
	}
	return f
}

// serveIndex is the dashboard, and supervisord's index.html actions.
func (h *Handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		rpc.HTTPError(w, http.StatusBadRequest)
		return
	}
	f := form(r)
	if action := f["action"]; action != "" {
		if crossSite(r) {
			h.log.Warn("web: cross-site action refused", "peer", r.RemoteAddr, "origin", r.Header.Get("Origin"))
			rpc.HTTPError(w, http.StatusForbidden)
			return
		}
		h.compatAction(w, r, f)
		return
	}
	d := h.pageData(r.Context())
	if m, ok := f["message"]; ok {
		d.Message = &m
	}
	h.render(w, "index.html", d)
}

func (h *Handler) render(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		h.log.Error("web: template", "name", name, "err", err)
		rpc.HTTPError(w, http.StatusInternalServerError)
		return
	}
	noCache(w)
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}
