package core

import (
	"bytes"
	"testing"
)

// What is sealed for a session opens with its token alone, and holds
// nothing of what was sealed in the clear.
func TestSealForSession(t *testing.T) {
	plain := []byte("abcd-efgh ijkl-mnop")
	sealed := SealForSession("token-a", plain)
	if bytes.Contains(sealed, []byte("abcd")) {
		t.Fatal("the codes are in the clear")
	}
	if got, err := OpenForSession("token-a", sealed); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("opened %q, %v", got, err)
	}
	if _, err := OpenForSession("token-b", sealed); err == nil {
		t.Fatal("another session's token opened it")
	}
	if _, err := OpenForSession("token-a", sealed[:len(sealed)-1]); err == nil {
		t.Fatal("a cut seal opened")
	}
}
