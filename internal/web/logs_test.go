package web_test

import (
	"encoding/json"
	"html"
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
	m := regexp.MustCompile(`(?s)<pre id="log"[^>]*data-start="(\d+)" data-end="(\d+)"[^>]*>(.*?)</pre>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no log in the page:\n%.2000s", page)
	}
	start, _ := strconv.Atoi(m[1])
	text := html.UnescapeString(m[3])
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
	if resp, _ := d.get("/log.html?processname=nope"); resp.StatusCode != 200 {
		t.Errorf("log.html of an unknown process: %s", resp.Status)
	}
	if resp, _ := d.get("/api/log/read?processname=nope&before=10"); resp.StatusCode != 404 {
		t.Errorf("log read of an unknown process: %s", resp.Status)
	}
}
