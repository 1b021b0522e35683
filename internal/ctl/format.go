package ctl

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/superd/superd/pkg/rpc"
)

// formatStatuses is _show_statuses: "%-Ws%-10s%s" with W = max(30,
// longest namespec) + 3.
func formatStatuses(infos []rpc.ProcessInfo) []string {
	maxlen := 30
	specs := make([]string, len(infos))
	for i, info := range infos {
		specs[i] = namespecOf(info.Group, info.Name)
		if n := pyLen(specs[i]); n > maxlen {
			maxlen = n
		}
	}
	lines := make([]string, len(infos))
	for i, info := range infos {
		lines[i] = ljust(specs[i], maxlen+3) + ljust(info.StateName, 10) + info.Description
	}
	return lines
}

// formatConfigInfo is _formatConfigInfo: "%-32s %-9s %-9s %s".
func formatConfigInfo(ci rpc.ConfigInfo) string {
	inuse := "avail"
	if ci.InUse {
		inuse = "in use"
	}
	auto := "manual"
	if ci.Autostart {
		auto = "auto"
	}
	return ljust(namespecOf(ci.Group, ci.Name), 32) + " " + ljust(inuse, 9) + " " + ljust(auto, 9) + " " +
		fmt.Sprintf("%d:%d", ci.GroupPrio, ci.ProcessPrio)
}

// formatChanges is _formatChanges: "name: available|changed|disappeared"
// sorted by name, or "No config updates to processes".
func formatChanges(added, changed, removed []string) []string {
	m := map[string]string{}
	for _, n := range added {
		m[n] = "available"
	}
	for _, n := range changed {
		m[n] = "changed"
	}
	for _, n := range removed {
		m[n] = "disappeared"
	}
	if len(m) == 0 {
		return []string{"No config updates to processes"}
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	lines := make([]string, len(names))
	for i, n := range names {
		lines[i] = n + ": " + m[n]
	}
	return lines
}

// pyLen is len() of a Python str: code points.
func pyLen(s string) int { return len([]rune(s)) }

// ljust pads s with spaces to width code points (never truncates), as
// Python's "%-Ns" and str.ljust do.
func ljust(s string, width int) string {
	if n := pyLen(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

// columnize is Python cmd.Cmd.columnize: the list in as few rows as fit
// displaywidth, columns separated by two spaces. It returns the text
// with a newline after each row.
func columnize(list []string, displaywidth int) string {
	if len(list) == 0 {
		return "<empty>\n"
	}
	if len(list) == 1 {
		return list[0] + "\n"
	}
	size := len(list)
	var nrows, ncols int
	var colwidths []int
	found := false
	for nrows = 1; nrows < size; nrows++ {
		ncols = (size + nrows - 1) / nrows
		colwidths = colwidths[:0]
		totwidth := -2
		for col := 0; col < ncols; col++ {
			colwidth := 0
			for row := 0; row < nrows; row++ {
				i := row + nrows*col
				if i >= size {
					break
				}
				colwidth = max(colwidth, pyLen(list[i]))
			}
			colwidths = append(colwidths, colwidth)
			totwidth += colwidth + 2
			if totwidth > displaywidth {
				break
			}
		}
		if totwidth <= displaywidth {
			found = true
			break
		}
	}
	if !found {
		nrows, ncols, colwidths = size, 1, []int{0}
	}
	var b strings.Builder
	for row := 0; row < nrows; row++ {
		var texts []string
		for col := 0; col < ncols; col++ {
			i := row + nrows*col
			x := ""
			if i < size {
				x = list[i]
			}
			texts = append(texts, x)
		}
		for len(texts) > 0 && texts[len(texts)-1] == "" {
			texts = texts[:len(texts)-1]
		}
		for col := range texts {
			texts[col] = ljust(texts[col], colwidths[col])
		}
		b.WriteString(strings.Join(texts, "  "))
		b.WriteString("\n")
	}
	return b.String()
}

// writeJSON prints v as indented JSON (the --json output).
func (c *controller) writeJSON(v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		c.output("error: " + err.Error())
		c.exitStatus = exitGeneric
		return
	}
	out := c.out
	if c.jsonOut != nil {
		out = c.jsonOut
	}
	out.Write(append(b, '\n'))
}
