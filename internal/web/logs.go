package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/superd/superd/pkg/logfile"
	"github.com/superd/superd/pkg/rpc"
)

// logHead is how much of a log the log page shows at first, and how
// much "load earlier" adds each time.
const logHead = 32 << 10

// logTarget is the log a request names: processname (and channel
// stdout or stderr), or main=1 for superd's own log.
type logTarget struct {
	Main    bool
	Name    string
	Channel string
	Path    string
}

func (t logTarget) Title() string {
	if t.Main {
		return "superd main log"
	}
	return t.Name + " " + t.Channel
}

// Query is the target as URL query parameters.
func (t logTarget) Query() string {
	if t.Main {
		return "main=1"
	}
	return "processname=" + pyQuote(t.Name) + "&channel=" + t.Channel
}

func (h *Handler) logTarget(ctx context.Context, r *http.Request) (logTarget, error) {
	q := r.URL.Query()
	if q.Get("main") != "" {
		t := logTarget{Main: true, Path: h.b.MainLogPath()}
		if t.Path == "" {
			return t, rpc.NewFault(rpc.NoFile)
		}
		return t, nil
	}
	t := logTarget{Name: q.Get("processname"), Channel: q.Get("channel")}
	if t.Channel == "" {
		t.Channel = "stdout"
	}
	if t.Channel != "stdout" && t.Channel != "stderr" {
		return t, rpc.NewFault(rpc.BadArguments, "channel")
	}
	if _, p := rpc.SplitNamespec(t.Name); p == "" {
		return t, rpc.NewFault(rpc.BadName, t.Name)
	}
	path, err := h.b.ProcessLogPath(ctx, t.Name, t.Channel)
	if err != nil {
		return t, err
	}
	if path == "" {
		return t, rpc.NewFault(rpc.NoFile)
	}
	t.Path = path
	return t, nil
}

// logFile is one file of a log: the log itself or a rotated backup
// (path.1, path.2, ...), with its key (logfile.FileKey), which stays
// the same when rotation renames it.
type logFile struct {
	path string
	key  string
	size int64
}

// logFiles returns the log at path and its backups that exist, newest
// first, or errRotated when a rotation moved them while they were
// listed (a file seen under two names).
func logFiles(path string) ([]logFile, error) {
	var fs []logFile
	for i := 0; ; i++ {
		p := path
		if i > 0 {
			p = path + "." + strconv.Itoa(i)
		}
		fi, err := statLog(p)
		if err != nil {
			return fs, nil
		}
		lf := logFile{path: p, key: logfile.FileKey(fi), size: fi.Size()}
		if i > 0 && lf.key != "" && lf.key == fs[i-1].key {
			return nil, errRotated
		}
		fs = append(fs, lf)
	}
}

// statLog is os.Stat (tests make a rotation happen while logFiles lists).
var statLog = os.Stat

// errRotated: the log rotated while it was being read; read again.
var errRotated = errors.New("log rotated while reading")

// errGone: the file a position names is no longer among the log's.
var errGone = errors.New("that part of the log is gone (rotated away or cleared)")

// logPart is a piece of a log as the page shows it: Data, at Start..End
// of the file File (a key), and where "load earlier" goes on from it.
type logPart struct {
	Data         []byte
	Start, End   int64
	File         string
	EarlierStart int64
	EarlierFile  string
}

// readLogPart reads up to logHead bytes ending at before (-1: at the
// end) of the file with key ("": the log itself), from a line start,
// reading again when a rotation moves the files meanwhile. A log
// without any file yet is fs.ErrNotExist; a key not found, errGone.
func readLogPart(path, key string, before int64) (logPart, error) {
	for try := 0; ; try++ {
		p, err := readLogPartOnce(path, key, before)
		if !errors.Is(err, errRotated) || try == 3 {
			return p, err
		}
	}
}

func readLogPartOnce(path, key string, before int64) (logPart, error) {
	files, err := logFiles(path)
	if err != nil {
		return logPart{}, err
	}
	if len(files) == 0 {
		return logPart{}, fs.ErrNotExist
	}
	i := 0
	if key != "" {
		if i = findLogFile(files, key); i < 0 {
			return logPart{}, errGone
		}
	}
	data, start, end, err := readBefore(files[i], before, logHead)
	if err != nil {
		return logPart{}, err
	}
	p := logPart{Data: data, Start: start, End: end, File: files[i].key}
	p.EarlierStart, p.EarlierFile = earlierFrom(files, i, start)
	return p, nil
}

// findLogFile returns the index in files of the file with key, or -1.
func findLogFile(files []logFile, key string) int {
	if key == "" {
		return -1
	}
	for i, f := range files {
		if f.key == key {
			return i
		}
	}
	return -1
}

// earlierFrom is where "load earlier" goes on from a part that starts
// at start in files[i]: the same file, or the end of the next older
// one when the part starts at the beginning of its file.
func earlierFrom(files []logFile, i int, start int64) (int64, string) {
	if start == 0 && i+1 < len(files) {
		return files[i+1].size, files[i+1].key
	}
	return start, files[i].key
}

// readBefore returns up to n bytes of the file lf ending at end (-1:
// the end of the file), starting at a line start when it does not start
// at 0, and the offsets of what it returns; errRotated when the file
// under lf's name is no longer lf.
func readBefore(lf logFile, end, n int64) (data []byte, start, stop int64, err error) {
	f, err := os.Open(lf.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, 0, errRotated
		}
		return nil, 0, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, 0, err
	}
	if logfile.FileKey(fi) != lf.key {
		return nil, 0, 0, errRotated
	}
	if end < 0 || end > fi.Size() {
		end = fi.Size()
	}
	start = max(end-n, 0)
	if end == start {
		return nil, start, end, nil
	}
	data = make([]byte, end-start)
	m, err := f.ReadAt(data, start)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, 0, err
	}
	data = data[:m]
	end = start + int64(len(data))
	if start > 0 {
		// begin at a line start, unless the chunk is one long line
		for i, c := range data {
			if c == '\n' {
				if i+1 < len(data) {
					data, start = data[i+1:], start+int64(i+1)
				}
				break
			}
		}
	}
	return data, start, end, nil
}

type logPageData struct {
	logTarget
	Text string
	// Start and StartFile are where "load earlier" goes on (a position
	// in a rotated file when Text starts at the beginning of the log);
	// End and File are where the stream starts.
	Start     int64
	StartFile string
	End       int64
	File      string
	Error     string
	CSRF      string
	Version   string
}

// logError is what the log view says when it has no log to show, in
// superctl's words.
func logError(t logTarget, err error) string {
	f := rpc.ToFault(err)
	switch {
	case f.Code == rpc.NoFile && t.Main:
		return "superd: ERROR (no log file)"
	case f.Code == rpc.NoFile:
		return t.Name + ": ERROR (no " + t.Channel + " log file)"
	case f.Code == rpc.BadName && t.Name == "":
		return "Error: no process name (processname=NAME, or main=1 for superd's log)"
	case f.Code == rpc.BadName:
		return t.Name + ": ERROR (no such process)"
	case f.Code == rpc.BadArguments:
		return "Error: channel must be stdout or stderr"
	}
	return f.String
}

// serveLogPage is the log view: the end of the log rendered on the
// server, then streamed live by the script.
func (h *Handler) serveLogPage(w http.ResponseWriter, r *http.Request) {
	t, err := h.logTarget(r.Context(), r)
	d := logPageData{logTarget: t, CSRF: h.csrfToken(), Version: h.opts.Version}
	switch {
	case err != nil:
		d.Error = logError(t, err)
	default:
		p, err := readLogPart(t.Path, "", -1)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				d.Error = err.Error()
			}
			break // no output yet: the stream waits for the file
		}
		d.Text, d.End, d.File = string(p.Data), p.End, p.File
		d.Start, d.StartFile = p.EarlierStart, p.EarlierFile
	}
	h.render(w, "log.html", d)
}

// serveLogRead answers "load earlier": {"data", "start", "file"} for up
// to logHead bytes before ?before=N of the file ?file=KEY (the log or
// one of its rotated files; the log itself without file=); start and
// file are where the next "load earlier" goes on.
func (h *Handler) serveLogRead(w http.ResponseWriter, r *http.Request) {
	t, err := h.logTarget(r.Context(), r)
	if err != nil {
		http.Error(w, rpc.ToFault(err).String, http.StatusNotFound)
		return
	}
	before, err := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	if err != nil || before < 0 {
		http.Error(w, "bad before", http.StatusBadRequest)
		return
	}
	p, err := readLogPart(t.Path, r.URL.Query().Get("file"), before)
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, errGone) || errors.Is(err, fs.ErrNotExist) {
			code, err = http.StatusGone, errGone
		}
		http.Error(w, err.Error(), code)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	json.NewEncoder(w).Encode(struct {
		Data  string `json:"data"`
		Start int64  `json:"start"`
		File  string `json:"file"`
	}{string(p.Data), p.EarlierStart, p.EarlierFile})
}

// sseWriter turns the bytes of a log into server-sent events: each
// Write adds a data line holding a JSON string (the page joins the
// strings of an event), holding back an incomplete UTF-8 sequence at
// the end of a chunk until the rest arrives.
//
// As a logfile.PositionWriter it ends the event when it learns where in
// the log the bytes end, with that position as the event's id
// ("FILEKEY:OFFSET"): a browser that reconnects names the id of the
// last event it got in Last-Event-ID and the stream resumes there,
// neither repeating nor losing a line.
type sseWriter struct {
	w     io.Writer
	carry []byte
	open  bool   // data lines written since the last event ended
	id    string // the last id sent
}

func (s *sseWriter) Write(p []byte) (int, error) {
	buf := append(s.carry, p...)
	cut := len(buf)
	// keep back at most 3 bytes of a rune that is not complete yet
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-3; i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRune(buf[i:]) {
				cut = i
			}
			break
		}
	}
	s.carry = append([]byte(nil), buf[cut:]...)
	if cut == 0 {
		return len(p), nil
	}
	b, _ := json.Marshal(string(buf[:cut]))
	if _, err := s.w.Write(append(append([]byte("data: "), b...), '\n')); err != nil {
		return 0, err
	}
	s.open = true
	return len(p), nil
}

// FollowedTo implements logfile.PositionWriter: it ends the event,
// with the position as its id.
func (s *sseWriter) FollowedTo(fi os.FileInfo, pos int64) error {
	end := ""
	if key := logfile.FileKey(fi); key != "" {
		// what is held back of an incomplete character is not sent yet
		id := key + ":" + strconv.FormatInt(max(pos-int64(len(s.carry)), 0), 10)
		if id != s.id {
			s.id, end = id, "id: "+id+"\n"
		}
	}
	if end == "" && !s.open {
		return nil
	}
	s.open = false
	_, err := io.WriteString(s.w, end+"\n")
	return err
}

func startSSE(w http.ResponseWriter) *http.ResponseController {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	rc.Flush()
	return rc
}

// logPos parses a position in a log, "FILEKEY:OFFSET" (an event id of
// the stream).
func logPos(s string) (key string, off int64, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return "", 0, false
	}
	off, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil || off < 0 {
		return "", 0, false
	}
	return s[:i], off, true
}

// serveLogStream streams a log as server-sent events, following
// rotation (logfile.FollowFrom), until the page goes away. It starts at
// ?offset=N of the file ?file=KEY, or where the browser's Last-Event-ID
// says when it reconnects: when that file has been rotated since, the
// rest of it and of any newer rotated file is sent first. Without a
// file it starts at offset N of the log (the last 1024 bytes without
// one). A log that does not exist yet is waited for.
func (h *Handler) serveLogStream(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := h.logTarget(ctx, r)
	if err != nil {
		http.Error(w, rpc.ToFault(err).String, http.StatusNotFound)
		return
	}
	q := r.URL.Query()
	key := q.Get("file")
	offset, err := strconv.ParseInt(q.Get("offset"), 10, 64)
	if err != nil || offset < 0 {
		offset, key = -1, ""
	}
	if k, off, ok := logPos(r.Header.Get("Last-Event-ID")); ok {
		key, offset = k, off
	}
	rc := startSSE(w)
	sw := &sseWriter{w: w}
	for {
		// from the file the page or the last event named (rotated
		// since: the rest of it and the newer rotated files first)
		err := logfile.Resume(ctx, t.Path, key, offset, sw, func() { rc.Flush() }, nil)
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			return
		}
		// no file yet (never started, or removed): wait for it
		key, offset = "", 0
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}
