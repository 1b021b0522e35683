package web_test

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const supervisordBin = "/usr/bin/supervisord"

var (
	ctimeRe = regexp.MustCompile(`[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}`)
	titleRe = regexp.MustCompile(`<title>([^<]*)</title>`)
	preRe   = regexp.MustCompile(`(?s)<pre>(.*?)</pre>`)
	nameRe  = regexp.MustCompile(`<a href="tail.html\?processname=[^"]*"[^>]*>([^<]*)</a>`)
)

// answer is what a script sees of a response.
type answer struct {
	Status      int
	Location    string
	ContentType string
	Title, Pre  string
	Names       string // the text of the process name links of index.html
	// Spans counts supervisord's state spans of the process table
	// (scripts count them: grep -c statusrunning).
	Spans string
	Body  string // for non-HTML answers
}

func (d *daemon) answer(method, path, body string, hdr ...string) answer {
	resp, text := d.do(method, path, body, hdr...)
	a := answer{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
	if loc := resp.Header.Get("Location"); loc != "" {
		loc = strings.Replace(loc, d.base, "BASE", 1)
		if u, err := url.QueryUnescape(loc); err == nil {
			loc = u
		}
		a.Location = ctimeRe.ReplaceAllString(loc, "CTIME")
	}
	if m := titleRe.FindStringSubmatch(text); m != nil && resp.StatusCode == 200 {
		a.Title = m[1]
	}
	// <pre> and the process names as sent: a script that greps the page
	// sees "a+b 'q'", not "a&#43;b &#39;q&#39;"
	if m := preRe.FindStringSubmatch(text); m != nil {
		a.Pre = m[1]
	}
	if a.Title == "Supervisor Status" {
		// (in supervisord's order of groups and names, superd lists
		// the programs alone in their group first)
		var names []string
		for _, m := range nameRe.FindAllStringSubmatch(text, -1) {
			names = append(names, m[1])
		}
		slices.Sort(names)
		a.Names = strings.Join(names, " ")
	}
	for _, c := range []string{"statusrunning", "statuserror", "statusnominal"} {
		a.Spans += fmt.Sprintf("%s=%d/%d ", c, strings.Count(text, `<span class="`+c+`">`), strings.Count(text, c))
	}
	if !strings.HasPrefix(a.ContentType, "text/html") {
		a.Body = text
	}
	return a
}

// TestCompatURLs runs supervisord's web page URLs against supervisord
// 4.2.5 and superd on the same configuration, in the same order, and
// compares what a script sees: status, redirect target (with the
// message), content type, title and <pre> of tail.html.
func TestCompatURLs(t *testing.T) {
	if _, err := os.Stat(supervisordBin); err != nil {
		t.Skipf("supervisord not installed: %v", err)
	}
	t.Parallel()
	programs := program(t, "web", "print-lines-wait", "3", "hello <b> & x") +
		"[program:other]\ncommand=" + strings.Split(program(t, "x", "sleep"), "command=")[1] + "autostart=false\n" +
		"[group:pool]\nprograms=w1,w2\n" + program(t, "w1", "sleep") + program(t, "w2", "sleep") +
		program(t, "a+b", "print-lines-wait", "1", `it's "a+b" > c`)
	steps := []struct{ method, path, body string }{
		{"GET", "/", ""},
		{"GET", "/index.html", ""},
		{"GET", "/index.html?processname=web", ""},
		{"GET", "/tail.html?processname=web", ""},
		{"GET", "/tail.html?processname=web&limit=5", ""},
		{"GET", "/index.html?processname=web&action=restart", ""},
		{"GET", "/index.html?processname=web&action=start", ""},
		{"GET", "/index.html?processname=other&action=stop", ""},
		{"GET", "/index.html?processname=other&action=start", ""},
		{"GET", "/index.html?processname=other&action=restart", ""},
		{"GET", "/index.html?processname=nope&action=stop", ""},
		{"GET", "/index.html?processname=pool:*&action=stop", ""},
		{"GET", "/index.html?processname=pool:w1&action=stop", ""},
		{"GET", "/index.html?processname=pool%3Aw1&action=clearlog", ""},
		{"GET", "/index.html?processname=web&action=bogus", ""},
		{"GET", "/index.html?action=bogus", ""},
		{"GET", "/index.html?action=start", ""},
		{"GET", "/index.html?action=refresh", ""},
		{"POST", "/index.html", "processname=web&action=clearlog"},
		{"GET", "/tail.html?processname=web", ""},
		{"GET", "/tail.html?processname=web&limit=5000", ""},
		{"GET", "/tail.html", ""},
		{"GET", "/tail.html?processname=nope", ""},
		{"GET", "/tail.html?processname=pool:w2", ""},
		{"GET", "/tail.html?processname=a%2Bb", ""},
		{"GET", "/tail.html?processname=", ""},
		{"GET", "/ok.html", ""},
		{"GET", "/nope.html", ""},
		{"GET", "/index.html?action=stopall", ""},
		{"GET", "/index.html?action=restartall", ""},
	}
	run := func(bin string) []answer {
		d := startDaemon(t, bin, "", "", programs)
		waitFor(t, "web RUNNING", func() bool { return d.state("web") == "RUNNING" })
		waitFor(t, "web output", func() bool {
			out, _ := d.client.ReadProcessStdoutLog(t.Context(), "web", 0, 0)
			return strings.Count(out, "\n") == 3
		})
		var out []answer
		for _, s := range steps {
			hdr := []string{}
			if s.method == "POST" {
				hdr = []string{"Content-Type", "application/x-www-form-urlencoded"}
			}
			out = append(out, d.answer(s.method, s.path, s.body, hdr...))
			if s.path == "/index.html?processname=web&action=restart" {
				// the new child's three lines must be in the log before
				// the later clearlog step, in both daemons: otherwise
				// they may land after the clear, and tail.html differs
				// by timing alone
				waitFor(t, "restarted web's output", func() bool {
					out, _ := d.client.ReadProcessStdoutLog(t.Context(), "web", 0, 0)
					return strings.Count(out, "\n") == 6
				})
			}
		}
		return out
	}
	want := run(supervisordBin)
	got := run(superdBin)
	for i, s := range steps {
		w, g := want[i], got[i]
		if w != g {
			t.Errorf("%s %s:\nsupervisord %+v\nsuperd      %+v", s.method, s.path, w, g)
		}
	}
}
