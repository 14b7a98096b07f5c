package token

import (
	"bytes"
	"testing"
)

// FuzzParse checks that Parse never panics and accepts exactly one spelling
// of each token: the one String writes. A second spelling would give a link
// a second URL that its grant cookie's path does not match.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := Parse(key, s)
		if err != nil {
			if err != ErrInvalid {
				t.Fatalf("Parse(%q) = %v, want ErrInvalid", s, err)
			}
			return
		}
		if tok.String() != s {
			t.Fatalf("Parse(%q) accepted a token that is written %q", s, tok.String())
		}
		if again, err := Parse(key, tok.String()); err != nil || !bytes.Equal(again.Hash(), tok.Hash()) {
			t.Fatalf("round trip of %q: %v", s, err)
		}
	})
}
