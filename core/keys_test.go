package core

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
)

// TestKeyShaped: a key as CreateKey makes one has the shape; a key cut
// short, with more after it, in another case, or with a character that
// base64url has not (as a key pasted with its quotes or a space), has not.
func TestKeyShaped(t *testing.T) {
	raw := make([]byte, 32)
	rand.Read(raw)
	key := keyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	if !KeyShaped(key) || !KeyShaped("ol_"+strings.Repeat("-", 43)) {
		t.Fatalf("KeyShaped(%q) = false", key)
	}
	for _, bad := range []string{
		"", "ol_", key[:len(key)-1], key + "A", "OL_" + key[3:], "ol-" + key[3:],
		"ol_" + strings.Repeat("A", 42) + "=", "ol_" + strings.Repeat("A", 42) + "+",
		`"` + key[1:], "ol_" + strings.Repeat("é", 21) + "A", "Bearer " + key,
	} {
		if KeyShaped(bad) {
			t.Errorf("KeyShaped(%q) = true", bad)
		}
	}
}
