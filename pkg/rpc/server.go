package rpc

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/superd/superd/pkg/logfile"
)

// SupervisorVersion is what getSupervisorVersion reports by default.
const SupervisorVersion = "4.2.5"

// APIVersion is what getAPIVersion reports.
const APIVersion = "3.0"

// ServerOptions configures a Server.
type ServerOptions struct {
	// Username and Password enable HTTP basic auth (realm "default") on
	// every handler when Username is set. Password is plain text or
	// "{SHA}" followed by the hex SHA-1 of the password.
	Username, Password string
	// Version is getSupervisorVersion's answer (default SupervisorVersion).
	Version string
	// Fallback serves requests for other paths (a web UI), after auth;
	// nil answers 404.
	Fallback http.Handler
	// Location is used for the STOPPED/EXITED description times
	// (default time.Local).
	Location *time.Location
	// Logger receives request errors (default: discarded).
	Logger *slog.Logger
	// Methods are served beside supervisord's, in the superd.
	// namespace (see Method; a Backend that is an Extender adds its own).
	Methods []Method
}

// FailedAuthDelay is how long a request with wrong credentials waits
// for its 401 (or 400) answer; such requests wait one after the other
// (per Server), so that parallel guesses are slowed down as much.
var FailedAuthDelay = time.Second

// Server serves supervisord's HTTP endpoints: XML-RPC on /RPC2*,
// /logtail/<name>[/<channel>] and /mainlogtail.
type Server struct {
	b       Backend
	opts    ServerOptions
	log     *slog.Logger
	methods map[string]*method
	// authGate lets one request with wrong credentials wait out
	// FailedAuthDelay at a time, so that guesses sent in parallel are
	// answered one per delay too.
	authGate chan struct{}
}

// NewServer returns the HTTP handler for backend b.
func NewServer(b Backend, opts ServerOptions) *Server {
	if opts.Version == "" {
		opts.Version = SupervisorVersion
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{b: b, opts: opts, log: log, authGate: make(chan struct{}, 1)}
	s.methods = s.table()
	return s
}

var httpMessages = map[int]string{
	400: "Bad Request",
	401: "Unauthorized",
	404: "Not Found",
	411: "Length Required",
	413: "Request Entity Too Large",
	500: "Internal Server Error",
}

// HTTPError writes medusa's error page for code, as supervisord
// answers errors (and its web page's redirects) on every path.
func HTTPError(w http.ResponseWriter, code int) { httpError(w, code) }

// httpError writes medusa's error page.
func httpError(w http.ResponseWriter, code int) {
	msg := httpMessages[code]
	if msg == "" {
		msg = http.StatusText(code)
	}
	body := fmt.Sprintf("<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n<h1>Error response</h1>\r\n<p>Error code %d.\r\n<p>Message: %s.\r\n</body>\r\n", code, msg)
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(code)
	io.WriteString(w, body)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "Medusa/1.12")
	if s.opts.Username != "" {
		if code := s.authorize(r); code != 0 {
			if r.Header.Get("Authorization") != "" {
				// Wrong credentials (not the browser's first request,
				// which has none): logged, and answered late so that
				// passwords cannot be tried quickly one by one.
				s.log.Warn("authentication failed", "peer", r.RemoteAddr, "path", r.URL.Path)
				s.failedAuthWait(r.Context())
			}
			if code == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="default"`)
				w.Header().Set("Connection", "close")
			}
			httpError(w, code)
			return
		}
	}
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/RPC2") && CrossSite(r):
		s.log.Warn("cross-site request to /RPC2 refused", "peer", r.RemoteAddr, "origin", r.Header.Get("Origin"), "sec-fetch-site", r.Header.Get("Sec-Fetch-Site"))
		httpError(w, http.StatusForbidden)
	case strings.HasPrefix(p, "/RPC2"):
		s.serveRPC(w, r)
	case strings.HasPrefix(p, "/logtail"):
		s.serveLogtail(w, r)
	case strings.HasPrefix(p, "/mainlogtail"):
		s.serveMainLogtail(w, r)
	case s.opts.Fallback != nil:
		s.opts.Fallback.ServeHTTP(w, r)
	default:
		httpError(w, http.StatusNotFound)
	}
}

// failedAuthWait waits FailedAuthDelay, after every other request with
// wrong credentials before it has waited its own: N guesses sent at once
// take N delays, not one.
func (s *Server) failedAuthWait(ctx context.Context) {
	select {
	case s.authGate <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-s.authGate }()
	t := time.NewTimer(FailedAuthDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// CrossSite reports a request a browser sent on behalf of another
// site: Sec-Fetch-Site says so, or its Origin is not this host. Such a
// request to /RPC2 (a form with enctype=text/plain or a no-cors fetch on
// another page: the browser adds the basic credentials it has cached,
// and a server without a password has none) is refused. Scripts and
// XML-RPC clients send neither header; a browser page of another origin
// could not read the answers anyway (no CORS).
//
// A browser that sends Sec-Fetch-Site is believed, as net/http's
// CrossOriginProtection does: "same-origin" and "none" pass even when
// Origin names another host than the request's Host, which is what a
// page behind a reverse proxy that rewrites Host (nginx proxy_pass to
// 127.0.0.1:9001) sends. Origin is compared with Host only for browsers
// without Sec-Fetch-Site.
func CrossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	case "same-origin", "none":
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || o == "null" || u.Host != r.Host {
			return true
		}
	}
	return false
}

// authorize returns 0 when r carries valid credentials, else the HTTP
// status to answer (401, or 400 for an undecodable header).
func (s *Server) authorize(r *http.Request) int {
	h := r.Header.Get("Authorization")
	scheme, cookie, _ := strings.Cut(strings.TrimSpace(h), " ")
	if !strings.EqualFold(scheme, "basic") {
		return http.StatusUnauthorized
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cookie))
	if err != nil {
		return http.StatusBadRequest
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || !CheckPassword(s.opts.Username, s.opts.Password, user, pass) {
		return http.StatusUnauthorized
	}
	return 0
}

// CheckPassword reports whether user/pass match the configured
// username and password (plain or "{SHA}<hex sha1>"). The comparisons
// are constant-time over SHA-256 digests of both sides, so neither the
// content nor the length of the configured values shows in the time
// taken (subtle.ConstantTimeCompare alone returns early on a length
// mismatch).
func CheckPassword(wantUser, wantPass, user, pass string) bool {
	same := func(a, b string) int {
		x, y := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
		return subtle.ConstantTimeCompare(x[:], y[:])
	}
	userOK := same(wantUser, user)
	var passOK int
	if hexsum, ok := strings.CutPrefix(wantPass, "{SHA}"); ok {
		sum := sha1.Sum([]byte(pass))
		passOK = same(hexsum, hex.EncodeToString(sum[:]))
	} else {
		passOK = same(wantPass, pass)
	}
	return userOK&passOK == 1
}

func (s *Server) serveRPC(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		httpError(w, http.StatusBadRequest)
		return
	}
	// supervisord requires Content-Length (chunked bodies included).
	if r.Header.Get("Content-Length") == "" || r.ContentLength < 0 {
		httpError(w, http.StatusLengthRequired)
		return
	}
	if r.ContentLength > MaxBodySize {
		httpError(w, http.StatusRequestEntityTooLarge)
		return
	}
	body := http.MaxBytesReader(w, r.Body, MaxBodySize)
	method, params, err := DecodeCall(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			httpError(w, http.StatusRequestEntityTooLarge)
			return
		}
		s.log.Error("xml-rpc request data is invalid: unmarshallable", "err", err)
		httpError(w, http.StatusBadRequest)
		return
	}
	if method == "" {
		s.log.Error("xml-rpc request data is invalid: no method name")
		httpError(w, http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	trace := s.log.Enabled(ctx, LevelTrace)
	if trace {
		s.log.Log(ctx, LevelTrace, "XML-RPC method called: "+method+"()")
	}
	v, err := s.Call(ctx, method, params)
	if err != nil {
		f := ToFault(err)
		v = f
		if trace {
			s.log.Log(ctx, LevelTrace, fmt.Sprintf("XML-RPC method %s() returned fault: [%d] %s", method, f.Code, f.String))
		}
	} else if trace {
		s.log.Log(ctx, LevelTrace, "XML-RPC method "+method+"() returned successfully")
	}
	s.writeResponse(w, method, v)
}

// LevelTrace is supervisord's TRAC log level (loglevel=trace) as a slog
// level. Each XML-RPC call is logged at it as supervisord logs it: the
// call, then "returned successfully" or "returned fault: [code] text"
// (a call that waits, such as startProcess, is logged when it ends;
// supervisord logs it as returned successfully when its wait begins).
const LevelTrace = slog.Level(-8)

// respChunk is the size of the buffer responses are encoded in. A
// response that does not fit is encoded twice: once only to count its
// length (supervisord sends Content-Length, and clients may rely on
// it), then into the connection a chunk at a time. getAllProcessInfo at
// N=1000 (1.3 MB) so costs one pooled 32 KiB buffer instead of a fresh
// 1.3 MB one per call, whose garbage raised the GC's heap goal and with
// it the daemon's RSS (see docs/BENCHMARKS.md, "memory"); encoding
// costs about as much CPU as the large allocation it replaces.
const respChunk = 32 << 10

// encoders holds *encoder values with a respChunk buffer.
var encoders = sync.Pool{New: func() any { return &encoder{buf: make([]byte, 0, respChunk)} }}

// writeResponse writes the methodResponse document for v (a *Fault
// gives a fault response).
func (s *Server) writeResponse(w http.ResponseWriter, method string, v any) {
	e := encoders.Get().(*encoder)
	defer func() {
		*e = encoder{buf: e.buf[:0]}
		encoders.Put(e)
	}()
	e.chunk = respChunk
	if err := encodeResponse(e, v); err != nil {
		s.log.Error("xml-rpc response cannot be encoded", "method", method, "err", err)
		httpError(w, http.StatusInternalServerError)
		return
	}
	size := e.n + int64(len(e.buf))
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	if e.n == 0 {
		w.Write(e.buf)
		return
	}
	// The second pass encodes the same values (encoding is
	// deterministic: struct fields in order, map keys sorted).
	// A write error (the client went away) ends the encoding early.
	e.buf, e.n, e.w = e.buf[:0], 0, w
	encodeResponse(e, v)
	e.flush()
	if (e.err == nil || errors.Is(e.err, http.ErrContentLength)) && e.n != size {
		s.log.Error("xml-rpc response changed between its two encodings", "method", method, "counted", size, "written", e.n)
	}
}

// faultNames are supervisord's fault names by code.
var faultNames = map[int]string{
	UnknownMethod:        "UNKNOWN_METHOD",
	IncorrectParameters:  "INCORRECT_PARAMETERS",
	BadArguments:         "BAD_ARGUMENTS",
	SignatureUnsupported: "SIGNATURE_UNSUPPORTED",
	ShutdownState:        "SHUTDOWN_STATE",
	BadName:              "BAD_NAME",
	BadSignal:            "BAD_SIGNAL",
	NoFile:               "NO_FILE",
	NotExecutable:        "NOT_EXECUTABLE",
	Failed:               "FAILED",
	AbnormalTermination:  "ABNORMAL_TERMINATION",
	SpawnError:           "SPAWN_ERROR",
	AlreadyStarted:       "ALREADY_STARTED",
	NotRunning:           "NOT_RUNNING",
	Success:              "SUCCESS",
	AlreadyAdded:         "ALREADY_ADDED",
	StillRunning:         "STILL_RUNNING",
	CantReread:           "CANT_REREAD",
}

// FaultName returns supervisord's name for a fault code ("UNKNOWN" if none).
func FaultName(code int) string {
	if n, ok := faultNames[code]; ok {
		return n
	}
	return "UNKNOWN"
}

// NewFault builds a fault the way supervisord's RPCError does: the
// string is "NAME", or "NAME: detail" when detail is given.
func NewFault(code int, detail ...any) *Fault {
	s := FaultName(code)
	if len(detail) > 0 {
		parts := make([]string, len(detail))
		for i, d := range detail {
			parts[i] = pyStr(d)
		}
		s += ": " + strings.Join(parts, " ")
	}
	return &Fault{Code: code, String: s}
}

// ToFault is the one place errors become faults: a *Fault anywhere in
// err's chain is returned as is, anything else is FAILED with its text.
func ToFault(err error) *Fault {
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	return NewFault(Failed, err.Error())
}

func (s *Server) serveLogtail(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		httpError(w, http.StatusBadRequest)
		return
	}
	p := strings.TrimLeft(r.URL.Path, "/")
	_, rest, ok := strings.Cut(p, "/")
	if !ok || rest == "" {
		httpError(w, http.StatusNotFound)
		return
	}
	name, channel, ok := strings.Cut(rest, "/")
	if !ok {
		channel = "stdout"
	}
	if channel != "stdout" && channel != "stderr" {
		httpError(w, http.StatusNotFound)
		return
	}
	if _, proc := SplitNamespec(name); proc == "" {
		httpError(w, http.StatusNotFound)
		return
	}
	path, err := s.b.ProcessLogPath(r.Context(), name, channel)
	if err != nil || path == "" {
		httpError(w, http.StatusNotFound)
		return
	}
	s.streamFile(w, r, path, true)
}

// streamOffset is superd's extension of /logtail and /mainlogtail:
// "?offset=N" starts the stream at byte N of the current file instead of
// its last 1024 bytes (superctl logs -f, after reading the tail), and
// with "&file=KEY" N bytes into the log's stream counted from the start
// of the file KEY (logfile.Resume: a client that lost its stream asks
// for where it was, across rotations). Every stream's answer says where
// it starts in the LogPositionHeader ("KEY:OFFSET"). Any other query is
// ignored, as supervisord ignores it.
func streamOffset(r *http.Request) int64 {
	v := r.URL.Query().Get("offset")
	if v == "" {
		return -1
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

func (s *Server) serveMainLogtail(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		httpError(w, http.StatusBadRequest)
		return
	}
	path := s.b.MainLogPath()
	if path == "" {
		httpError(w, http.StatusNotFound)
		return
	}
	s.streamFile(w, r, path, false)
}

func (s *Server) streamFile(w http.ResponseWriter, r *http.Request, path string, accel bool) {
	fi, err := os.Stat(path)
	if err != nil {
		httpError(w, http.StatusNotFound)
		return
	}
	w.Header().Set("Last-Modified", fi.ModTime().UTC().Format(http.TimeFormat))
	w.Header().Set("Content-Type", "text/plain;charset=utf-8")
	if accel {
		w.Header().Set("X-Accel-Buffering", "no")
	}
	rc := http.NewResponseController(w)
	flush := func() { rc.Flush() }
	offset := streamOffset(r)
	key := r.URL.Query().Get("file")
	if offset < 0 {
		key = ""
	}
	started := false
	err = logfile.Resume(r.Context(), path, key, offset, w, flush, func(key string, off int64) {
		if key != "" {
			w.Header().Set(LogPositionHeader, key+":"+strconv.FormatInt(off, 10))
		}
		w.WriteHeader(http.StatusOK)
		rc.Flush()
		started = true
	})
	if err != nil {
		if !started {
			httpError(w, http.StatusNotFound) // removed since the Stat
			return
		}
		s.log.Debug("logtail stream ended", "path", path, "err", err)
	}
}

// LogTruncated is the line a /logtail stream sends when the log shrank
// in place (copytruncate); the file follows from its start. A client
// counting bytes to resume (LogTailAt) counts from 0 after it, in the
// same file.
const LogTruncated = logfile.Truncated

// LogPositionHeader is the header of a /logtail or /mainlogtail answer
// that says where in the log the stream starts: "KEY:OFFSET", the file's
// key (logfile.FileKey) and the offset in it (a superd extension).
const LogPositionHeader = "X-Superd-Log-Position"
