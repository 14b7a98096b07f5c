package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"oncelink/core"
)

// BenchmarkCreate measures POST /api/v1/links of a message with a bearer
// key through the whole route table, without the network, from many
// goroutines.
func BenchmarkCreate(b *testing.B) {
	s := newTestServer(b, nil, func(c *core.Config) { c.RateLimits = false })
	key := s.account("bench").key
	routes := s.Config.Handler
	body := `{"kind":"message","message":"a secret","ttl":"1h"}`
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, s.URL+"/api/v1/links", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+key)
			w := httptest.NewRecorder()
			routes.ServeHTTP(w, req)
			if w.Code != http.StatusCreated {
				b.Errorf("create: %d %s", w.Code, w.Body)
				return
			}
		}
	})
}
