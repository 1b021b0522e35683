package export

import (
	"bytes"
	"strings"

	"gopkg.in/ini.v1"
)

// Units are written and read with gopkg.in/ini.v1, configured for
// systemd's dialect: repeated keys are kept in order (AllowShadows,
// duplicates and empty resets included), no inline comments, quotes
// left alone, only "=" separates a key from its value and no spaces
// around it on write (ini.PrettyFormat, a package variable of the
// library, is switched off in init below: nothing else in superd uses
// the library).
//
// What ini.v1 cannot do for systemd, and is done here instead:
//   - line continuations: systemd replaces a backslash at the end of a
//     line by a space and joins the next line, skipping comment lines
//     in between; ini.v1 joins without the space and stops at comments,
//     so unitText joins lines before the library sees them;
//   - ini.v1 writes a value holding a backtick or a newline inside its
//     own """ quotes: the escaping in quote.go never produces either.

func init() {
	ini.PrettyFormat = false
	ini.PrettyEqual = false
}

var unitLoadOptions = ini.LoadOptions{
	AllowShadows:               true,
	AllowDuplicateShadowValues: true,
	PreserveEmptyShadowValues:  true,
	IgnoreInlineComment:        true,
	IgnoreContinuation:         true,
	PreserveSurroundedQuote:    true,
	KeyValueDelimiters:         "=",
	KeyValueDelimiterOnWrite:   "=",
	SpaceBeforeInlineComment:   true,
}

// unit is a systemd unit file being built or read.
type unit struct {
	f *ini.File
}

func newUnit() *unit {
	f := ini.Empty(unitLoadOptions)
	return &unit{f: f}
}

// add appends key=value to section (values of a repeated key stay in
// the order added).
func (u *unit) add(section, key, value string) {
	sec := u.section(section)
	if sec.HasKey(key) {
		// AddShadow refuses nothing with AllowShadows and
		// AllowDuplicateShadowValues set.
		_ = sec.Key(key).AddShadow(value)
		return
	}
	_, _ = sec.NewKey(key, value)
}

func (u *unit) section(name string) *ini.Section {
	if s, err := u.f.GetSection(name); err == nil {
		return s
	}
	s, _ := u.f.NewSection(name)
	return s
}

// comment appends comment lines above section's header.
func (u *unit) comment(section string, lines ...string) {
	sec := u.section(section)
	for _, l := range lines {
		if l == "" {
			l = "#"
		} else {
			l = "# " + l
		}
		if sec.Comment == "" {
			sec.Comment = l
		} else {
			sec.Comment += "\n" + l
		}
	}
}

func (u *unit) bytes() []byte {
	var b bytes.Buffer
	_, _ = u.f.WriteTo(&b)
	return b.Bytes()
}

// parseUnit reads a unit file's text.
func parseUnit(data []byte) (*unit, error) {
	f, err := ini.LoadSources(unitLoadOptions, []byte(unitText(string(data))))
	if err != nil {
		return nil, err
	}
	return &unit{f: f}, nil
}

// values returns every value of section.key in order, with systemd's
// rule that an empty assignment resets the list.
func (u *unit) values(section, key string) []string {
	sec, err := u.f.GetSection(section)
	if err != nil || !sec.HasKey(key) {
		return nil
	}
	var out []string
	for _, v := range sec.Key(key).ValueWithShadows() {
		if v == "" {
			out = nil
			continue
		}
		out = append(out, v)
	}
	return out
}

// value returns the last value of section.key ("" if unset).
func (u *unit) value(section, key string) string {
	sec, err := u.f.GetSection(section)
	if err != nil || !sec.HasKey(key) {
		return ""
	}
	vs := sec.Key(key).ValueWithShadows()
	return vs[len(vs)-1]
}

// keys returns the key names of section in file order.
func (u *unit) keys(section string) []string {
	sec, err := u.f.GetSection(section)
	if err != nil {
		return nil
	}
	return sec.KeyStrings()
}

// sections returns the section names in file order.
func (u *unit) sections() []string {
	var out []string
	for _, s := range u.f.SectionStrings() {
		if s != ini.DefaultSection {
			out = append(out, s)
		}
	}
	return out
}

// unitText applies systemd's line continuation: a line ending in a
// backslash continues on the next line, the backslash becoming a
// space; comment lines inside a continued value are skipped.
func unitText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var out []string
	var cont *strings.Builder
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if cont != nil {
			if strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") {
				continue
			}
			if strings.HasSuffix(t, `\`) {
				cont.WriteString(strings.TrimSuffix(t, `\`) + " ")
				continue
			}
			cont.WriteString(t)
			out = append(out, cont.String())
			cont = nil
			continue
		}
		if strings.HasSuffix(t, `\`) && !strings.HasPrefix(t, "#") && !strings.HasPrefix(t, ";") {
			cont = &strings.Builder{}
			cont.WriteString(strings.TrimSuffix(t, `\`) + " ")
			continue
		}
		out = append(out, l)
	}
	if cont != nil {
		out = append(out, cont.String())
	}
	return strings.Join(out, "\n")
}

// hasValue reports whether one of the words of section.key is word.
func (u *unit) hasValue(section, key, word string) bool {
	for _, v := range u.values(section, key) {
		for _, w := range strings.Fields(v) {
			if w == word {
				return true
			}
		}
	}
	return false
}
