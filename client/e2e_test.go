package client_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"oncelink/client"
	"oncelink/e2e"
)

// recorder keeps every request body the server receives.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (rec *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.bodies = append(rec.bodies, append([]byte(r.URL.String()+"\n"), b...))
		rec.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		next.ServeHTTP(w, r)
	})
}

func (rec *recorder) holds(needle []byte) bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, b := range rec.bodies {
		if bytes.Contains(b, needle) {
			return true
		}
	}
	return false
}

func TestE2ERoundTrip(t *testing.T) {
	rec := &recorder{}
	s := newTestServer(t, rec.wrap)
	c := newClient(t, s.URL, s.key)
	ctx := t.Context()
	file := make([]byte, 3<<20+123)
	rand.Read(file)
	for _, tc := range []struct {
		name string
		in   client.NewLink
		want string
	}{
		{"message", client.NewLink{Message: "the vault code is 8812-e2e"}, "the vault code is 8812-e2e"},
		{"message with password", client.NewLink{Message: "behind a password", Password: "open sesame"}, "behind a password"},
		{"url", client.NewLink{URL: "https://example.com/e2e-only"}, "https://example.com/e2e-only"},
		{"file", client.NewLink{File: bytes.NewReader(file), FileName: "clip.webm"}, string(file)},
		{"empty file", client.NewLink{File: bytes.NewReader(nil), FileName: "empty.txt"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := c.CreateE2ELink(ctx, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			base, fragment, ok := strings.Cut(l.URL, "#")
			if !ok || !l.E2E {
				t.Fatalf("link %+v: no key in its URL, or not marked e2e", l)
			}
			secret, err := e2e.ParseSecret(fragment)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Open(ctx, base+"#"+e2e.EncodeSecret(e2e.NewSecret()), tc.in.Password); !client.IsStatus(err, http.StatusForbidden) {
				t.Errorf("open with another key: %v, want 403", err)
			}
			if tc.in.Password != "" {
				if _, err := c.Open(ctx, l.URL, ""); !client.IsStatus(err, http.StatusForbidden) {
					t.Errorf("open without the password: %v, want 403", err)
				}
			}
			o, err := c.Open(ctx, l.URL, tc.in.Password)
			if err != nil {
				t.Fatal(err)
			}
			got := o.Message + o.URL
			if o.Body != nil {
				b, err := io.ReadAll(o.Body)
				o.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				got = string(b)
				if o.Name != tc.in.FileName || o.Type != "application/octet-stream" && o.Type != "text/plain; charset=utf-8" {
					t.Errorf("file opened as %q, %q", o.Name, o.Type)
				}
			}
			if got != tc.want {
				t.Errorf("opened %d bytes, not what was shared", len(got))
			}
			if _, err := c.Open(ctx, l.URL, tc.in.Password); !client.IsStatus(err, http.StatusGone) {
				t.Errorf("second open: %v, want 410", err)
			}
			sample := []byte(tc.want)
			if len(sample) > 64 {
				sample = sample[1000:1064]
			}
			for what, needle := range map[string][]byte{"plaintext": sample, "key": []byte(fragment), "raw key": secret, "key derived": e2e.Key(secret, tc.in.Password)} {
				if len(needle) > 0 && rec.holds(needle) {
					t.Errorf("a request to the server holds the %s", what)
				}
			}
		})
	}
}

// TestE2ETampered changes one byte of the ciphertext on its way to the
// client: it says so, and gives nothing of the content.
func TestE2ETampered(t *testing.T) {
	flip := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, "/api/v1/open/") {
				next.ServeHTTP(w, r)
				return
			}
			rr := httptest.NewRecorder()
			next.ServeHTTP(rr, r)
			b := rr.Body.Bytes()
			if rr.Code == http.StatusOK && len(b) > 200 {
				b[len(b)-100] ^= 0x40
			}
			for k, v := range rr.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rr.Code)
			w.Write(b)
		})
	}
	s := newTestServer(t, flip)
	c := newClient(t, s.URL, s.key)
	for _, in := range []client.NewLink{
		{Message: strings.Repeat("secret ", 100)},
		{File: bytes.NewReader(bytes.Repeat([]byte("secret file "), 20000)), FileName: "a.txt"},
	} {
		l, err := c.CreateE2ELink(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		o, err := c.Open(t.Context(), l.URL, "")
		if err == nil && o.Body != nil {
			var got []byte
			got, err = io.ReadAll(o.Body)
			if len(got) > 3*e2e.ChunkSize {
				t.Error("the tampered chunk was given")
			}
		}
		if !errors.Is(err, client.ErrDecrypt) {
			t.Errorf("tampered ciphertext: %v, want ErrDecrypt", err)
		}
	}
}
