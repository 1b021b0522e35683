package web

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/superd/superd/pkg/rpc"
)

// jobsData is the jobs section of the page; nil (no section) when the
// configuration has no jobs.
type jobsData struct {
	Jobs  []jobRow
	Held  bool
	Error string
}

type jobRow struct {
	rpc.JobInfo
	LastRun string
	NextRun string
}

func (h *Handler) jobsData(ctx context.Context) *jobsData {
	d := &jobsData{}
	infos, err := h.opts.Jobs.AllJobInfo(ctx)
	if err != nil {
		d.Error = rpc.ToFault(err).String
		return d
	}
	if len(infos) == 0 {
		return nil
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	for _, j := range infos {
		d.Held = d.Held || j.Held
		d.Jobs = append(d.Jobs, jobRow{JobInfo: j, LastRun: h.fmtTime(j.LastStart), NextRun: h.fmtTime(j.NextRun)})
	}
	return d
}

func (h *Handler) fmtTime(t int64) string {
	if t == 0 {
		return ""
	}
	return time.Unix(t, 0).In(h.opts.Location).Format("2006-01-02 15:04:05")
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	json.NewEncoder(w).Encode(v)
}

// serveJobs is the jobs list for the script (404 without jobs).
func (h *Handler) serveJobs(w http.ResponseWriter, r *http.Request) {
	if h.opts.Jobs == nil {
		rpc.HTTPError(w, http.StatusNotFound)
		return
	}
	d := h.jobsData(r.Context())
	if d == nil {
		d = &jobsData{}
	}
	if d.Jobs == nil {
		d.Jobs = []jobRow{}
	}
	writeJSON(w, d)
}

func (h *Handler) serveJobHistory(w http.ResponseWriter, r *http.Request) {
	if h.opts.Jobs == nil {
		rpc.HTTPError(w, http.StatusNotFound)
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 {
		limit = 20
	}
	runs, err := h.opts.Jobs.JobHistory(r.Context(), r.URL.Query().Get("name"), limit)
	if err != nil {
		http.Error(w, rpc.ToFault(err).String, http.StatusNotFound)
		return
	}
	if runs == nil {
		runs = []rpc.JobRun{}
	}
	writeJSON(w, runs)
}

// serveJobAction runs run/enable/disable (of a job) or hold/release
// (of all jobs) and answers with one line, like the process actions,
// in superctl jobs's words ("backup: queued", "backup: ERROR (already
// running; overlap=skip)").
func (h *Handler) serveJobAction(w http.ResponseWriter, r *http.Request) {
	if h.opts.Jobs == nil {
		rpc.HTTPError(w, http.StatusNotFound)
		return
	}
	var req actionRequest
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
	} else {
		req.Action, req.Name, _ = strings.Cut(r.PostFormValue("op"), "|")
	}
	if !h.checkAction(r) {
		h.log.Warn("web: job action without a valid CSRF token refused", "peer", r.RemoteAddr)
		http.Error(w, "forbidden: missing or wrong CSRF token (reload the page), or cross-site request", http.StatusForbidden)
		return
	}
	line, ok := h.jobAct(r.Context(), req)
	if wantsJSON(r) {
		writeJSON(w, actionResponse{Lines: []string{line}, OK: ok})
		return
	}
	backToPage(w, line)
}

func (h *Handler) jobAct(ctx context.Context, req actionRequest) (string, bool) {
	j := h.opts.Jobs
	var err error
	var done string
	switch req.Action {
	case "run":
		// queued: it starts as soon as the job's overlap allows
		err, done = j.RunJob(ctx, req.Name), req.Name+": queued"
	case "enable":
		err, done = j.EnableJob(ctx, req.Name), req.Name+": enabled"
	case "disable":
		err, done = j.DisableJob(ctx, req.Name), req.Name+": disabled"
	case "hold":
		err, done = j.HoldJobs(ctx), "jobs held"
	case "release":
		err, done = j.ReleaseJobs(ctx), "jobs released"
	default:
		return "Error: unknown action " + req.Action, false
	}
	if err != nil {
		f := rpc.ToFault(err)
		switch f.Code {
		case rpc.BadName:
			return req.Name + ": ERROR (no such job)", false
		case rpc.AlreadyStarted:
			return req.Name + ": ERROR (already running; overlap=skip)", false
		case rpc.BadArguments:
			return req.Name + ": ERROR (" + strings.TrimPrefix(f.String, "BAD_ARGUMENTS: ") + ")", false
		}
		return req.Name + ": ERROR (" + f.String + ")", false
	}
	return done, true
}
