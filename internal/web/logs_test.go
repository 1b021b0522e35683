package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestLogPageEarlier checks the log view's server-rendered tail and
// "load earlier": the chunks join without a gap or an overlap, back to
// the start of the file.
func TestLogPageEarlier(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, superdBin, "", "", program(t, "big", "print-lines-wait", "4000", "a line of the big log, padded to be longer"))
	waitFor(t, "big's output", func() bool {
		out, _, _, _ := d.client.TailProcessStdoutLog(t.Context(), "big", 0, 100)
		return strings.Contains(out, "longer 3999\n")
	})
	resp, page := d.get("/log.html?processname=big")
	if resp.StatusCode != 200 {
		t.Fatalf("log.html: %s", resp.Status)
	}
	m := regexp.MustCompile(`(?s)<pre id="log"[^>]*data-start="(\d+)"[^>]*>(.*?)</pre>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no log in the page:\n%.2000s", page)
	}
	start, _ := strconv.Atoi(m[1])
	text := html.UnescapeString(m[2])
	if start == 0 || !strings.HasSuffix(text, "longer 3999\n") || !strings.HasPrefix(text, "a line") {
		t.Fatalf("page shows %d bytes from %d, want the end of the log from a line start", len(text), start)
	}
	for start > 0 {
		resp, body := d.get("/api/log/read?processname=big&channel=stdout&before=" + strconv.Itoa(start))
		var r struct {
			Data  string `json:"data"`
			Start int    `json:"start"`
		}
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &r) != nil || r.Start >= start {
			t.Fatalf("load earlier before %d: %s %.200s", start, resp.Status, body)
		}
		text = r.Data + text
		start = r.Start
	}
	for i := 0; i < 4000; i++ {
		if n := strings.Count(text, " longer "+strconv.Itoa(i)+"\n"); n != 1 {
			t.Fatalf("line %d appears %d times in the joined log", i, n)
		}
	}
	if resp, body := d.get("/log.html?processname=nope"); resp.StatusCode != 200 || !strings.Contains(body, `<div class="error">nope: ERROR (no such process)</div>`) {
		t.Errorf("log.html of an unknown process: %s\n%s", resp.Status, body)
	}
	if _, body := d.get("/log.html?processname=big&channel=stderr"); !strings.Contains(body, `<div class="error">big: ERROR (no stderr log file)</div>`) &&
		!strings.Contains(body, `data-file="`) {
		t.Errorf("log.html of big's stderr:\n%s", body)
	}
	if _, body := d.get("/log.html?processname=big&channel=err"); !strings.Contains(body, `<div class="error">Error: channel must be stdout or stderr</div>`) {
		t.Errorf("log.html with a bad channel:\n%s", body)
	}
	if resp, _ := d.get("/api/log/read?processname=nope&before=10"); resp.StatusCode != 404 {
		t.Errorf("log read of an unknown process: %s", resp.Status)
	}
}

// readSSE reads the log stream at path (with Last-Event-ID lastID when
// set) until enough says so, and returns the text and the last id.
func readSSE(t *testing.T, d *daemon, path, lastID string, enough func(string) bool) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", d.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %s", path, resp.Status)
	}
	var text strings.Builder
	id := lastID
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "id: "); ok {
			id = v
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok {
			var s string
			if err := json.Unmarshal([]byte(v), &s); err != nil {
				t.Fatalf("data %q: %v", v, err)
			}
			text.WriteString(s)
		}
		// stop at the end of an event, after its id
		if line == "" && enough(text.String()) {
			return text.String(), id
		}
	}
	t.Fatalf("%s ended (%v) after %q", path, sc.Err(), text.String())
	return "", ""
}

// consecutive checks that text holds "chatty line N" lines numbered
// without a gap or a repeat, and returns the first and last numbers.
func consecutive(t *testing.T, what, text string) (int, int) {
	t.Helper()
	first, prev := -1, -1
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		n, err := strconv.Atoi(strings.TrimPrefix(l, "chatty line "))
		if err != nil {
			if prev == -1 {
				continue // a partial first line
			}
			t.Fatalf("%s: line %q after %d", what, l, prev)
		}
		if prev != -1 && n != prev+1 {
			t.Fatalf("%s: line %d follows line %d", what, n, prev)
		}
		if first == -1 {
			first = n
		}
		prev = n
	}
	return first, prev
}

// lastLine is the number of chatty's last complete line in its log.
func lastLine(t *testing.T, d *daemon) int {
	out, _, _, _ := d.client.TailProcessStdoutLog(t.Context(), "chatty", 0, 100)
	lines := strings.Split(out, "\n")
	if len(lines) < 2 {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimPrefix(lines[len(lines)-2], "chatty line "))
	if err != nil {
		return -1
	}
	return n
}

// TestLogResume: the log view of a log that rotates every second. "Load
// earlier" goes on into the rotated files; the stream's event ids let
// a browser that reconnects (superd restarted, network gone) resume
// where it was, across rotations, with no line shown twice or lost.
func TestLogResume(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, superdBin, "", "", "[program:chatty]\ncommand=/bin/sh -c 'i=0; while :; do echo \"chatty line $i\"; i=$((i+1)); sleep 0.01; done'\n"+
		"startsecs=0\nstdout_logfile_maxbytes=1KB\nstdout_logfile_backups=50\n")
	waitFor(t, "a few rotations", func() bool { return lastLine(t, d) > 300 })
	resp, page := d.get("/log.html?processname=chatty")
	m := regexp.MustCompile(`(?s)<pre id="log"[^>]*data-start="(\d+)" data-start-file="([^"]*)" data-end="(\d+)" data-file="([^"]+)"[^>]*>(.*?)</pre>`).FindStringSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("log.html: %s, no log with its file positions in the page:\n%.2000s", resp.Status, page)
	}
	text := html.UnescapeString(m[5])
	start, startFile := m[1], m[2]
	if start == "0" {
		t.Fatalf("the page's log starts at 0 of its file with rotated files behind it")
	}

	// Load earlier, into the rotated files, three times.
	earlier := text
	for range 3 {
		resp, body := d.get("/api/log/read?processname=chatty&channel=stdout&before=" + start + "&file=" + startFile)
		var r struct {
			Data  string `json:"data"`
			Start int64  `json:"start"`
			File  string `json:"file"`
		}
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &r) != nil || r.Data == "" {
			t.Fatalf("load earlier before %s of %s: %s %.200s", start, startFile, resp.Status, body)
		}
		earlier = r.Data + earlier
		start, startFile = strconv.FormatInt(r.Start, 10), r.File
	}
	first, last := consecutive(t, "page and earlier parts", earlier)
	t.Logf("page and 3 earlier parts: lines %d-%d", first, last)

	// Stream from the page's end, break off, resume with the last id.
	stream := "/api/log/stream?processname=chatty&channel=stdout&offset=" + m[3] + "&file=" + m[4]
	s1, id := readSSE(t, d, stream, "", func(s string) bool { return strings.Count(s, "\n") > 150 })
	if id == "" {
		t.Fatal("the log stream sends no event ids")
	}
	_, seen := consecutive(t, "first stream", text+s1)
	waitFor(t, "100 lines (a rotation) while away", func() bool { return lastLine(t, d) > seen+100 })
	s2, _ := readSSE(t, d, stream, id, func(s string) bool { return strings.Count(s, "\n") > 150 })
	first, last = consecutive(t, "page, stream, resumed stream", text+s1+s2)
	t.Logf("page and two streams: lines %d-%d", first, last)
}
