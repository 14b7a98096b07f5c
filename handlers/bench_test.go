package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"oncelink/core"
)

// BenchmarkOpen measures POST /l/{token} through the whole handler stack,
// without the network, from many goroutines.
func BenchmarkOpen(b *testing.B) {
	s := newTestServer(b, func(c *core.Config) { c.RateLimits = false })
	owner := s.admin()
	links := make([]string, 200)
	for i := range links {
		links[i] = strings.TrimPrefix(owner.createLink(url.Values{"max_uses": {"100"}}), s.URL)
	}
	routes := s.h.Routes(nil)
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			req := httptest.NewRequest(http.MethodPost, s.URL+links[i%int64(len(links))], nil)
			w := httptest.NewRecorder()
			routes.ServeHTTP(w, req)
			if w.Code != http.StatusOK && w.Code != http.StatusGone {
				b.Errorf("open: %d", w.Code)
				return
			}
		}
	})
}

// BenchmarkCreate measures POST /links of a message through the whole
// handler stack.
func BenchmarkCreate(b *testing.B) {
	s := newTestServer(b, func(c *core.Config) { c.RateLimits = false })
	owner := s.admin()
	u, _ := url.Parse(s.URL)
	cookies := owner.c.Jar.Cookies(u)
	routes := s.h.Routes(nil)
	body := url.Values{"kind": {"message"}, "message": {"a secret"}, "ttl": {"1h"}}.Encode()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, s.URL+"/links", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for _, c := range cookies {
				req.AddCookie(c)
			}
			w := httptest.NewRecorder()
			routes.ServeHTTP(w, req)
			if w.Code != http.StatusCreated {
				b.Errorf("create: %d %s", w.Code, w.Body)
				return
			}
		}
	})
}
