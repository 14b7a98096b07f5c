package core

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// TestUsernameLength: MaxUsernameLen counts the characters of a name as
// it is kept, not the code points it was typed with.
func TestUsernameLength(t *testing.T) {
	decomposed := func(n int) string { return strings.Repeat("e\u0301", n) } // é as e and a combining acute
	for _, tt := range []struct {
		name, typed string
		shown       string // "" when refused
	}{
		{"40 decomposed é", decomposed(40), strings.Repeat("é", 40)},
		{"64 decomposed é", decomposed(64), strings.Repeat("é", 64)},
		{"65 decomposed é", decomposed(65), ""},
		{"64 letters", strings.Repeat("a", 64), strings.Repeat("a", 64)},
		{"65 letters", strings.Repeat("a", 65), ""},
		{"64 full-width letters", strings.Repeat("ａ", 64), strings.Repeat("a", 64)},
		{"64 Hangul syllables as jamo", strings.Repeat("\u1112\u1161\u11ab", 64), strings.Repeat("한", 64)},
		{"one letter under 2 KiB of accents", "e" + strings.Repeat("\u0301", maxUsernameBytes), ""},
	} {
		shown, err := checkUsername(tt.typed)
		switch e, _ := AsError(err); {
		case tt.shown != "" && (err != nil || shown != tt.shown):
			t.Errorf("%s: %q, %v; want %q", tt.name, shown, err, tt.shown)
		case tt.shown == "" && (e == nil || e.Code != "username_too_long"):
			t.Errorf("%s: %q, %v; want username_too_long", tt.name, shown, err)
		}
	}
}

// TestUsernameBytesBound: no character a username may hold takes more
// than maxUsernameBytes/MaxUsernameLen bytes typed fully decomposed, so
// the bound on the bytes sent refuses no name of MaxUsernameLen
// characters. A character that decomposes to nothing takes at most
// utf8.UTFMax; a full-width letter, 3.
func TestUsernameBytesBound(t *testing.T) {
	longest, which := utf8.UTFMax, rune(0)
	for r := rune(0); r <= unicode.MaxRune; r++ {
		s := string(r)
		if !utf8.ValidRune(r) || norm.NFD.IsNormalString(s) {
			continue
		}
		if kept, err := precis.UsernameCasePreserved.String(s); err != nil || kept != s {
			continue
		}
		if n := len(norm.NFD.String(s)); n > longest {
			longest, which = n, r
		}
	}
	t.Logf("longest: %U, %d bytes decomposed", which, longest)
	if longest > maxUsernameBytes/MaxUsernameLen {
		t.Errorf("%U takes %d bytes decomposed, over %d", which, longest, maxUsernameBytes/MaxUsernameLen)
	}
}
