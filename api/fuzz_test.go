package api

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"oncelink/core"
)

// FuzzCreateLink posts arbitrary bodies of arbitrary types to POST
// /api/v1/links: no input may cause a 5xx, and a link exists after a 201
// and only then.
func FuzzCreateLink(f *testing.F) {
	for _, seed := range []struct{ ctype, body string }{
		{"application/json", `{"kind":"message","message":"x","ttl":"1h"}`},
		{"application/json", `{"kind":"url","url":"https://example.com","max_uses":3,"label":"l"}`},
		{"application/json", `{"kind":"message","message":"x","max_uses":"2"}`},
		{"application/json", `{"kind":`},
		{"multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nmessage\r\n--b\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\nhi\r\n--b--\r\n"},
		{"text/plain", "hello"},
	} {
		f.Add(seed.ctype, []byte(seed.body))
	}
	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		before := s.count(t)
		req := httptest.NewRequest(http.MethodPost, "/api/v1/links", bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer "+s.key)
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, req)
		after := s.count(t)
		if rec.Code >= 500 {
			t.Fatalf("%d for %q %q: %s", rec.Code, ctype, body, rec.Body)
		}
		if created := rec.Code == http.StatusCreated; after-before != map[bool]int{true: 1, false: 0}[created] {
			t.Fatalf("status %d for %q %q, and %d links were added", rec.Code, ctype, body, after-before)
		}
	})
}

// fuzzServer is a server with an account and its key, driven without a
// network.
type fuzzServer struct {
	*testServer
	handler http.Handler
	key     string
}

func newFuzzServer(f *testing.F) *fuzzServer {
	s := newTestServer(f, newDocCheck(f), func(c *core.Config) { c.RateLimits = false })
	a, err := s.svc.AddAccount(context.Background(), "ada", testPassword, false)
	if err != nil {
		f.Fatal(err)
	}
	k, err := s.svc.CreateKey(context.Background(), a.ID, "fuzz", "never")
	if err != nil {
		f.Fatal(err)
	}
	return &fuzzServer{testServer: s, handler: s.Config.Handler, key: k.Secret}
}

func (s *fuzzServer) count(t *testing.T) int {
	t.Helper()
	var n int
	if err := s.store.SessionDB().QueryRow(`SELECT COUNT(*) FROM links`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
