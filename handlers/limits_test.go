package handlers

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
)

// twin starts a second handler stack on s's database, with s's settings,
// key and clock: a second instance of the same deployment.
func (s *testServer) twin() *testServer {
	s.t.Helper()
	sessions := scs.New()
	ss := sqlite3store.New(s.store.SessionDB())
	sessions.Store = ss
	h := New(s.h.cfg, s.store, sessions, s.h.key, slog.New(slog.NewTextHandler(s.logs, nil)))
	h.now = s.clock.Now
	srv := httptest.NewServer(h.Routes())
	s.t.Cleanup(func() {
		srv.Close()
		ss.StopCleanup()
	})
	return &testServer{Server: srv, t: s.t, store: s.store, h: h, logs: s.logs, clock: s.clock}
}

// TestRateLimitsAcrossInstances spends a client's set-up attempts on two
// instances: with shared limits the budget is the deployment's, without it
// is each instance's.
func TestRateLimitsAcrossInstances(t *testing.T) {
	for _, shared := range []bool{true, false} {
		t.Run(map[bool]string{true: "shared", false: "per-instance"}[shared], func(t *testing.T) {
			a := newTestServer(t, func(c *Config) { c.SharedRateLimits = shared })
			b := a.twin()
			badSetup := url.Values{"username": {"ada"}, "password": {"short"}}
			for i := range 5 {
				if res := []*testServer{a, b}[i%2].client().post("/setup", badSetup); res.StatusCode != http.StatusBadRequest {
					t.Fatalf("attempt %d: %d", i+1, res.StatusCode)
				}
			}
			res := b.client().post("/setup", badSetup)
			if shared && (res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "12") {
				t.Fatalf("6th attempt, on the instance that saw 2: %d, Retry-After %q; want 429 after 12s",
					res.StatusCode, res.Header.Get("Retry-After"))
			}
			if !shared && res.StatusCode != http.StatusBadRequest {
				t.Fatalf("6th attempt, on the instance that saw 2: %d; want 400", res.StatusCode)
			}
			a.clock.Advance(12e9)
			if res := a.client().post("/setup", badSetup); res.StatusCode != http.StatusBadRequest {
				t.Fatalf("an interval later: %d", res.StatusCode)
			}
		})
	}
}
