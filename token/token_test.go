package token

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"sync"
	"testing"
)

var key = NewKey(bytes.Repeat([]byte{7}, KeyLen))

func TestRoundTrip(t *testing.T) {
	tok := New(key)
	s := tok.String()
	if len(s) != Len {
		t.Fatalf("len = %d, want %d", len(s), Len)
	}
	got, err := Parse(key, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Hash(), tok.Hash()) {
		t.Fatal("parsed token hashes differently")
	}
	if New(key).String() == s {
		t.Fatal("two tokens are equal")
	}
}

func TestParseRejects(t *testing.T) {
	s := New(key).String()
	flip := func(i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	other := NewKey(bytes.Repeat([]byte{8}, KeyLen))
	for name, in := range map[string]string{
		"empty":          "",
		"short":          s[:Len-1],
		"long":           s + "A",
		"not base64":     strings.Repeat("!", Len),
		"random changed": flip(3),
		"tag changed":    flip(Len - 5),
		"padding":        s[:Len-1] + "=",
	} {
		if _, err := Parse(key, in); err != ErrInvalid {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := Parse(other, s); err != ErrInvalid {
		t.Errorf("other key: err = %v, want ErrInvalid", err)
	}
}

func TestBox(t *testing.T) {
	tok := New(key)
	box := tok.Box()
	plain := []byte("the launch code is 0000")
	sealed := box.Seal(Content, 0, true, plain)
	if bytes.Contains(sealed, plain) {
		t.Fatal("sealed text holds the plaintext")
	}
	got, err := tok.Box().Open(Content, 0, true, sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	for name, open := range map[string]func() ([]byte, error){
		"other token": func() ([]byte, error) { return New(key).Box().Open(Content, 0, true, sealed) },
		"other seq":   func() ([]byte, error) { return box.Open(Content, 1, true, sealed) },
		"not last":    func() ([]byte, error) { return box.Open(Content, 0, false, sealed) },
		"other part":  func() ([]byte, error) { return box.Open(Meta, 0, true, sealed) },
	} {
		if _, err := open(); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	s := New(key).String()
	for b.Loop() {
		if _, err := Parse(key, s); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTagIsHMAC checks that a Key's tags are HMAC-SHA256 of the domain and
// the message, whichever pooled MAC makes them and however many goroutines
// ask at once: tokens and grants made before the MACs were pooled still pass.
func TestTagIsHMAC(t *testing.T) {
	secret := bytes.Repeat([]byte{9}, KeyLen)
	k := NewKey(secret)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				msg := []byte{byte(g), byte(i)}
				m := hmac.New(sha256.New, secret)
				m.Write(tokenDomain)
				m.Write(msg)
				want := m.Sum(nil)
				got := make([]byte, sha256.Size)
				k.Tag(got, tokenDomain, msg)
				if !bytes.Equal(got, want) {
					t.Errorf("Tag(%x) = %x, want %x", msg, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestContentKeyIsHKDF checks that a token's content key is HKDF-SHA256 of
// the token, as crypto/hkdf derives it, whichever pooled hashes derive it
// and however many goroutines ask at once: content sealed before the
// hashes were pooled still opens.
func TestContentKeyIsHKDF(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				tok := New(key)
				want, err := hkdf.Key(sha256.New, tok.raw[:], nil, "oncelink content v1", 32)
				if err != nil {
					t.Error(err)
					return
				}
				var got [32]byte
				contentKey(&got, tok.raw[:])
				if !bytes.Equal(got[:], want) {
					t.Errorf("contentKey(%x) = %x, want %x", tok.raw, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkBox measures deriving a token's content key and its cipher,
// which every open and create does.
func BenchmarkBox(b *testing.B) {
	tok := New(key)
	b.ReportAllocs()
	for b.Loop() {
		tok.Box()
	}
}

// TestShaped: a token's text form is shaped as one whatever server made
// it; a text of another length, or off the strict alphabet, is not.
func TestShaped(t *testing.T) {
	tok := New(NewKey(make([]byte, KeyLen))).String()
	for s, want := range map[string]bool{
		tok: true, "-" + strings.Repeat("A", 42): true, tok[:Len-1]: false, tok + "A": false,
		strings.Repeat("A", 42) + "B": false, // unused bits set
		strings.Repeat("A", 42) + "+": false,
	} {
		if Shaped(s) != want {
			t.Errorf("Shaped(%q) = %v, want %v", s, !want, want)
		}
	}
}
