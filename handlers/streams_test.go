package handlers

import (
	"net/http"
	"testing"
	"time"

	"oncelink/core"
)

// openFrom opens the event stream at path as a browser at address from
// would, behind a proxy that names it in X-Forwarded-For, and returns the
// answer with its body unread: a stream stays open until its body is
// closed, which the test's end does in any case.
func (c *testClient) openFrom(path, from string) *http.Response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("X-Forwarded-For", from)
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { res.Body.Close() })
	return res
}

// wantStreams opens n streams at path from the address, each of which
// must be taken.
func (c *testClient) wantStreams(n int, path, from string) []*http.Response {
	c.t.Helper()
	var open []*http.Response
	for i := range n {
		res := c.openFrom(path, from)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
			c.t.Fatalf("stream %d of %d from %s: %d %s", i+1, n, from, res.StatusCode, res.Header.Get("Content-Type"))
		}
		open = append(open, res)
	}
	return open
}

// wantRefused opens one more stream at path from the address, which must
// be refused as too many: 429, with a wait.
func (c *testClient) wantRefused(path, from string) {
	c.t.Helper()
	res := c.openFrom(path, from)
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		c.t.Fatalf("a stream past the bound from %s: %d, Retry-After %q", from, res.StatusCode, res.Header.Get("Retry-After"))
	}
}

// awaitStream opens the stream at path from the address once one is
// taken again, trying for up to 5 s: a stream's place comes back when the
// server has ended it, once it sees its client gone or its session end.
func (c *testClient) awaitStream(path, from string) {
	c.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		res := c.openFrom(path, from)
		if res.StatusCode == http.StatusOK {
			return
		}
		res.Body.Close()
		if time.Now().After(deadline) {
			c.t.Fatalf("no stream from %s within 5s: %d", from, res.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDashboardStreamsAreBounded opens an account's dashboards over HTTP
// up to core.MaxStreamsFromAddress from one address and on to
// core.MaxStreams from another; past each bound the next is refused with
// 429, and a place comes back when a stream closes or its session ends.
func TestDashboardStreamsAreBounded(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.TrustProxy = true })
	ada := s.admin()
	path := ada.streamPath()
	const home, office, phone = "192.0.2.1", "198.51.100.1", "203.0.113.1"

	tabs := ada.wantStreams(core.MaxStreamsFromAddress, path, home)
	ada.wantRefused(path, home)
	ada.wantStreams(core.MaxStreams-core.MaxStreamsFromAddress, path, office)
	ada.wantRefused(path, phone)

	tabs[0].Body.Close()
	ada.awaitStream(path, phone)
	ada.wantRefused(path, home)

	// Signing out ends every stream of the session, and gives their
	// places back.
	ada.post("/logout", nil)
	again := s.signIn("ada")
	// The ended streams' goroutines give their places back each in its
	// own time: wait for every one.
	for range core.MaxStreamsFromAddress {
		again.awaitStream(path, home)
	}
	again.wantRefused(path, home)
}
