package core

import (
	"strings"
	"testing"
)

func TestCleanFileName(t *testing.T) {
	long := strings.Repeat("é", 150) + ".tar.gz"
	for in, want := range map[string]string{
		"report.pdf":                "report.pdf",
		`C:\Users\ada\report.pdf`:   "report.pdf",
		"../../etc/passwd":          "passwd",
		"a\x00b\nc\u202ed.txt":      "abcd.txt",
		"trailing. . ":              "trailing",
		"..":                        "file",
		"":                          "file",
		".profile":                  ".profile",
		"bad\xffutf8.txt":           "badutf8.txt",
		long:                        strings.Repeat("é", 98) + ".gz",
		"ok \"quoted\" name.txt":    "ok \"quoted\" name.txt",
		strings.Repeat("a", 300):    strings.Repeat("a", maxFileNameBytes),
		"  leading space.txt":       "leading space.txt",
		"zero\u200bwidth joiner.md": "zerowidth joiner.md",
		"a%22b%22.txt":              `a"b".txt`,
		"cr%0Dlf%0A.txt":            "crlf.txt",
		"می\u200cخواهم.pdf":         "می\u200cخواهم.pdf",
		"👨\u200d👩\u200d👧.png":       "👨\u200d👩\u200d👧.png",
	} {
		if got := cleanFileName(in); got != want {
			t.Errorf("cleanFileName(%q) = %q, want %q", in, got, want)
		}
	}
}
