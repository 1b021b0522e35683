package config

import (
	"fmt"
	"strings"
)

// Error is one configuration problem. Msg keeps supervisord's own text
// so users can recognise it; the rest says where it is.
type Error struct {
	File    string // file as named to Load, or the include path
	Line    int    // 0 when the problem has no line (a missing section)
	Section string // "program:web", "" for file-level problems
	Option  string // lower-cased option name, "" for section-level problems
	Value   string // the offending raw value, if any
	// IncludedFrom is "main.conf:5" when File was read through an
	// [include] files= line.
	IncludedFrom string
	Msg          string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Section != "" {
		fmt.Fprintf(&b, "[%s] ", e.Section)
	}
	if e.Option != "" {
		fmt.Fprintf(&b, "%s: ", e.Option)
	}
	b.WriteString(e.Msg)
	if e.Option != "" && e.Value != "" && !strings.Contains(e.Msg, e.Value) {
		fmt.Fprintf(&b, " (value %s)", pyRepr(e.Value))
	}
	if e.IncludedFrom != "" {
		fmt.Fprintf(&b, " (included from %s)", e.IncludedFrom)
	}
	return b.String()
}
