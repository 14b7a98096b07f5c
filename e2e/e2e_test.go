package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

// vector is a fixed case of the format, shared with the browser's script:
// the handlers' browser test decrypts the same file with assets/static/e2e.js.
type vector struct {
	Secret     string `json:"secret"`
	Password   string `json:"password"`
	Claim      string `json:"claim"`
	Check      string `json:"check"`
	Key        string `json:"key"`
	Header     Header `json:"header"`
	Plaintext  string `json:"plaintext"`
	Ciphertext string `json:"ciphertext"`
}

func makeVectors() []vector {
	secret := make([]byte, SecretLen)
	for i := range secret {
		secret[i] = byte(i)
	}
	cases := []struct {
		password string
		h        Header
		plain    string
	}{
		{"", Header{Kind: "message"}, "The door code is 4711."},
		{"correct horse", Header{Kind: "message"}, "Behind a password, too."},
		{"", Header{Kind: "url"}, "https://example.com/a?b=c"},
		{"", Header{Kind: "file", Name: "notes.txt", Type: "text/plain"}, ""},
	}
	var vs []vector
	for _, c := range cases {
		claim := Claim(secret)
		key := Key(secret, c.password)
		vs = append(vs, vector{
			Secret: EncodeSecret(secret), Password: c.password,
			Claim: encoding.EncodeToString(claim), Check: encoding.EncodeToString(Check(claim)),
			Key: hex.EncodeToString(key), Header: c.h, Plaintext: c.plain,
			Ciphertext: encoding.EncodeToString(Seal(key, c.h, []byte(c.plain))),
		})
	}
	return vs
}

func TestVectors(t *testing.T) {
	got := makeVectors()
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile("testdata/vectors.json", append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []vector
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(got) {
		t.Fatalf("%d vectors on file, %d made", len(want), len(got))
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("vector %d: made %+v, on file %+v", i, got[i], w)
		}
		secret, err := ParseSecret(w.Secret)
		if err != nil {
			t.Fatal(err)
		}
		ct, _ := encoding.DecodeString(w.Ciphertext)
		h, plain, err := Open(Key(secret, w.Password), ct)
		if err != nil || h != w.Header || string(plain) != w.Plaintext {
			t.Errorf("vector %d opens as %+v %q, %v", i, h, plain, err)
		}
	}
}

func TestRoundTripSizes(t *testing.T) {
	key := Key(NewSecret(), "")
	for _, size := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3 * ChunkSize, 3*ChunkSize + 7} {
		plain := make([]byte, size)
		rand.Read(plain)
		h := Header{Kind: "file", Name: "x.bin", Type: "application/octet-stream"}
		ct := Seal(key, h, plain)
		hj, _ := json.Marshal(h)
		if int64(len(ct)) != SealedSize(int64(size), len(hj)) {
			t.Errorf("size %d: ciphertext of %d bytes, SealedSize says %d", size, len(ct), SealedSize(int64(size), len(hj)))
		}
		gh, got, err := Open(key, ct)
		if err != nil || gh != h || !bytes.Equal(got, plain) {
			t.Errorf("size %d: round trip gives %d bytes, %v", size, len(got), err)
		}
	}
}

func TestStreamingWriterInSmallWrites(t *testing.T) {
	key := Key(NewSecret(), "pw")
	plain := make([]byte, 2*ChunkSize+100)
	rand.Read(plain)
	var buf bytes.Buffer
	w, err := NewWriter(&buf, key, Header{Kind: "file"})
	if err != nil {
		t.Fatal(err)
	}
	for p := plain; len(p) > 0; {
		n := min(len(p), 1000)
		w.Write(p[:n])
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), Seal(key, Header{Kind: "file"}, plain)) {
		t.Error("small writes seal otherwise than one")
	}
	r, err := NewReader(&buf, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, plain) {
		t.Errorf("read %d bytes, %v", len(got), err)
	}
}

func TestRefusals(t *testing.T) {
	secret := NewSecret()
	key := Key(secret, "")
	plain := make([]byte, 2*ChunkSize+5)
	ct := Seal(key, Header{Kind: "file"}, plain)
	hdr := 3 + int(ct[1])<<8 + int(ct[2])
	chunk := ChunkSize + Overhead
	flip := func(i int) []byte {
		c := bytes.Clone(ct)
		c[i] ^= 1
		return c
	}
	swapped := bytes.Clone(ct)
	copy(swapped[hdr:], ct[hdr+chunk:hdr+2*chunk])
	copy(swapped[hdr+chunk:], ct[hdr:hdr+chunk])
	for _, c := range []struct {
		name string
		key  []byte
		ct   []byte
		want error
	}{
		{"wrong key", Key(NewSecret(), ""), ct, ErrCorrupt},
		{"missing password", Key(secret, "x"), ct, ErrCorrupt},
		{"header byte changed", key, flip(10), ErrCorrupt},
		{"content byte changed", key, flip(hdr + 100), ErrCorrupt},
		{"last byte changed", key, flip(len(ct) - 1), ErrCorrupt},
		{"chunks swapped", key, swapped, ErrCorrupt},
		{"cut after a chunk", key, ct[:hdr+chunk], ErrTruncated},
		{"cut after the header", key, ct[:hdr], ErrTruncated},
		{"cut inside a chunk", key, ct[:hdr+chunk+50], ErrCorrupt},
		{"bytes appended", key, append(bytes.Clone(ct), 0), ErrCorrupt},
		{"other version", key, append([]byte{2}, ct[1:]...), ErrVersion},
		{"empty", key, nil, ErrTruncated},
	} {
		_, got, err := Open(c.key, c.ct)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if len(got) > 2*ChunkSize {
			t.Errorf("%s: gave %d bytes, more than the chunks before the fault", c.name, len(got))
		}
	}
}

func TestParseSecret(t *testing.T) {
	s := NewSecret()
	if got, err := ParseSecret(EncodeSecret(s)); err != nil || !bytes.Equal(got, s) {
		t.Errorf("round trip: %x, %v", got, err)
	}
	for _, bad := range []string{"", "abc", EncodeSecret(s) + "A"} {
		if _, err := ParseSecret(bad); !errors.Is(err, ErrSecret) || !errors.Is(err, ErrSecretLength) {
			t.Errorf("ParseSecret(%q) = %v", bad, err)
		}
	}
	// 43 characters that are no key: one that is not base64url, and one
	// whose last character leaves bits over that are not zero.
	for _, bad := range []string{EncodeSecret(s)[:42] + "=", "!" + EncodeSecret(s)[1:], strings.Repeat("A", 42) + "B"} {
		if _, err := ParseSecret(bad); err != ErrSecret {
			t.Errorf("ParseSecret(%q) = %v, want ErrSecret alone", bad, err)
		}
	}
	if bytes.Equal(Claim(s), Key(s, "")) {
		t.Error("the claim is the key")
	}
}
