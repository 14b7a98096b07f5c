package e2e

import (
	"bytes"
	"testing"
)

// FuzzOpen feeds Open changed and made-up ciphertexts under a fixed key:
// it must never panic, and it must give back content only for the very
// ciphertext that was sealed, since anything else fails authentication.
func FuzzOpen(f *testing.F) {
	secret := bytes.Repeat([]byte{7}, SecretLen)
	key := Key(secret, "")
	h := Header{Kind: "file", Name: "a.txt", Type: "text/plain"}
	content := bytes.Repeat([]byte("once "), ChunkSize/4) // more than one chunk
	sealed := Seal(key, h, content)
	f.Add(sealed)
	f.Add(Seal(key, Header{Kind: "message"}, []byte("hi")))
	f.Add(sealed[:len(sealed)/2])
	f.Add([]byte{Version, 0, 0})
	f.Fuzz(func(t *testing.T, ciphertext []byte) {
		got, plain, err := Open(key, ciphertext)
		if err != nil {
			if len(plain) > 0 && !bytes.HasPrefix(content, plain) {
				t.Fatalf("a refused ciphertext gave content it did not seal: %q", plain[:min(len(plain), 40)])
			}
			return
		}
		if !bytes.Equal(ciphertext, sealed) && !bytes.Equal(ciphertext, Seal(key, got, plain)) {
			t.Fatalf("Open accepted a ciphertext that was not sealed under the key")
		}
	})
}

// FuzzParseSecret: any fragment is refused or gives a secret of the
// right length that encodes back to the same fragment.
func FuzzParseSecret(f *testing.F) {
	f.Add(EncodeSecret(bytes.Repeat([]byte{1}, SecretLen)))
	f.Add("")
	f.Add("not a key")
	f.Fuzz(func(t *testing.T, fragment string) {
		secret, err := ParseSecret(fragment)
		if err != nil {
			return
		}
		if len(secret) != SecretLen || EncodeSecret(secret) != fragment {
			t.Fatalf("%q gave a secret of %d bytes that encodes as %q", fragment, len(secret), EncodeSecret(secret))
		}
	})
}
