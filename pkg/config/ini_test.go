package config

import "testing"

// TestInlineCommentByteOffsets: the offset is in bytes of the line, also
// after multi-byte and invalid UTF-8 (an invalid byte used to count as
// the 3 bytes of U+FFFD, and Parse panicked slicing past the line).
func TestInlineCommentByteOffsets(t *testing.T) {
	for _, c := range []struct {
		line string
		want int
	}{
		{"a ;c", 2},
		{"a#b #c ;d", 7},
		{"é ;c", 3},
		{"\x89 #", 2},
		{"\x89\x89 ;x", 3},
		{"\x89;x", -1},
		{"none", -1},
	} {
		if got := inlineComment(c.line); got != c.want {
			t.Errorf("inlineComment(%q) = %d, want %d", c.line, got, c.want)
		}
	}
	if _, err := ParseWith("/nonexistent-dir/x.conf", []byte("\x89 #"), LoadOptions{}); err == nil {
		t.Error("no error for a line outside any section")
	}
}
