package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/superd/superd/pkg/events"
	"github.com/superd/superd/pkg/rpc"
)

//go:embed assets templates
var files embed.FS

// Options configures a Handler.
type Options struct {
	// Backend is the daemon's XML-RPC backend; every action and read
	// goes through it.
	Backend rpc.Backend
	// Bus carries the state events that make the page live; nil gives
	// a page that shows a snapshot per load.
	Bus *events.Bus
	// Jobs shows the jobs section when set (the daemon passes its
	// backend when it implements rpc.JobsBackend).
	Jobs rpc.JobsBackend
	// LogCounts gives /metrics and ProcessStats the output counters
	// of the processes (the daemon passes its backend).
	LogCounts rpc.LogCountsBackend
	// NoMetrics turns /metrics off ([supervisord] metrics = false).
	NoMetrics bool
	// Version is shown in the footer (default rpc.SupervisorVersion).
	Version string
	// Location renders times (default time.Local).
	Location *time.Location
	// Logger receives errors (default: discarded).
	Logger *slog.Logger
	// ProcDir is where /proc is (tests); default "/proc".
	ProcDir string
}

// Handler serves the dashboard, supervisord's web page URLs, the live
// streams and /metrics. Mount it as rpc.ServerOptions.Fallback, so that
// it sits behind the XML-RPC server's authentication.
type Handler struct {
	opts    Options
	b       rpc.Backend
	log     *slog.Logger
	hub     *hub
	mux     *http.ServeMux
	csrfKey []byte
	tmpl    *template.Template
	metrics http.Handler
}

// New returns the handler and starts its hub goroutine, which runs
// until ctx ends.
func New(ctx context.Context, opts Options) *Handler {
	if opts.Version == "" {
		opts.Version = rpc.SupervisorVersion
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.ProcDir == "" {
		opts.ProcDir = "/proc"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{opts: opts, b: opts.Backend, log: log, hub: newHub(opts.Backend, opts.Bus)}
	h.csrfKey = make([]byte, 32)
	rand.Read(h.csrfKey)
	h.tmpl = template.Must(template.New("").Funcs(funcs(opts.Location)).ParseFS(files, "templates/*.html"))
	if !opts.NoMetrics {
		reg := prometheus.NewRegistry()
		registerMetrics(reg, h)
		h.metrics = metricsHandler(reg)
	}
	h.routes()
	go h.hub.run(ctx)
	return h
}

func (h *Handler) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(files, "assets")
	fileServer := http.FileServerFS(static)
	m.Handle("GET /static/", http.StripPrefix("/static/", noDirs(fileServer)))
	m.HandleFunc("/{$}", h.serveIndex)
	m.HandleFunc("/index.html", h.serveIndex)
	m.HandleFunc("GET /tail.html", h.serveTail)
	m.HandleFunc("GET /ok.html", h.serveOK)
	m.HandleFunc("GET /log.html", h.serveLogPage)
	m.HandleFunc("POST /action", h.serveAction)
	m.HandleFunc("GET /api/events", h.serveEvents)
	m.HandleFunc("GET /api/log/stream", h.serveLogStream)
	m.HandleFunc("GET /api/log/read", h.serveLogRead)
	m.HandleFunc("GET /api/jobs", h.serveJobs)
	m.HandleFunc("GET /api/jobs/history", h.serveJobHistory)
	m.HandleFunc("POST /api/jobs/action", h.serveJobAction)
	if h.metrics != nil {
		m.Handle("GET /metrics", h.metrics)
	}
	h.mux = m
}

// noDirs answers 404 for directory listings of the embedded assets.
func noDirs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			rpc.HTTPError(w, http.StatusNotFound)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}

// csp allows only superd's own scripts, styles and connections.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	_, pattern := h.mux.Handler(r)
	if pattern == "" {
		rpc.HTTPError(w, http.StatusNotFound)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// csrfToken is the token the page's forms and scripts send with every
// action; it is an HMAC of a per-daemon random key, so a page of
// another origin cannot know it.
func (h *Handler) csrfToken() string {
	m := hmac.New(sha256.New, h.csrfKey)
	m.Write([]byte("superd-action"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// crossSite reports a request a browser sent on behalf of another
// site (rpc.CrossSite: Origin, Sec-Fetch-Site). Scripts (curl, wget)
// send neither header.
func crossSite(r *http.Request) bool { return rpc.CrossSite(r) }

// checkAction checks an action request of the page: same origin and
// the CSRF token (form field or X-CSRF-Token header).
func (h *Handler) checkAction(r *http.Request) bool {
	if crossSite(r) {
		return false
	}
	tok := r.Header.Get("X-CSRF-Token")
	if tok == "" {
		tok = r.PostFormValue("csrf")
	}
	return hmac.Equal([]byte(tok), []byte(h.csrfToken()))
}

func noCache(w http.ResponseWriter) {
	w.Header().Set("Pragma", "no-cache")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Expires", "Thu, 01 Jan 1970 00:00:00 GMT")
}
