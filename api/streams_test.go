package api

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"oncelink/core"
)

// openFrom opens the event stream at path, /api/v1/events or the
// dashboard's /links/events, with c's key or browser session, as a client
// at address from behind a proxy that names it in X-Forwarded-For. The
// answer's body is left unread: a stream stays open until it is closed,
// which the test's end does in any case.
func (c *client) openFrom(path, from string) *http.Response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.s.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("X-Forwarded-For", from)
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { res.Body.Close() })
	return res
}

// TestStreamsAreBoundedAcrossDoors: an account's dashboards and its API
// event streams, opened over HTTP, count together against
// core.MaxStreams. Past it, the API refuses a new stream with a
// too_many_streams problem and Retry-After, and the dashboard with 429,
// until one of them closes.
func TestStreamsAreBoundedAcrossDoors(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.TrustProxy = true })
	script := s.account("ada")
	browser := s.client("")
	browser.signIn("ada")
	// Each address stays within core.MaxStreamsFromAddress.
	const laptop, server, phone = "192.0.2.1", "198.51.100.1", "203.0.113.1"
	var dashboards []*http.Response
	for i := range core.MaxStreams {
		c, path, from := browser, "/links/events", laptop
		if i%2 == 1 {
			c, path, from = script, "/api/v1/events", server
		}
		res := c.openFrom(path, from)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("stream %d of %d, %s: %d", i+1, core.MaxStreams, path, res.StatusCode)
		}
		if c == browser {
			dashboards = append(dashboards, res)
		}
	}

	res := script.openFrom("/api/v1/events", phone)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("an API stream past the bound: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	body, _ := io.ReadAll(res.Body)
	var p problem
	json.Unmarshal(body, &p)
	if p.Code != "too_many_streams" || p.Detail == "" {
		t.Fatalf("an API stream past the bound: %s", body)
	}
	if res := browser.openFrom("/links/events", phone); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("a dashboard past the bound: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := browser.openFrom("/api/v1/events", phone); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a session's API stream past the bound: %d", res.StatusCode)
	}

	// A dashboard closes: its place goes to the API, once the server has
	// seen it go.
	dashboards[0].Body.Close()
	for deadline := time.Now().Add(5 * time.Second); ; {
		res := script.openFrom("/api/v1/events", phone)
		if res.StatusCode == http.StatusOK {
			break
		}
		res.Body.Close()
		if time.Now().After(deadline) {
			t.Fatalf("no API stream within 5s of a dashboard closing: %d", res.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if res := browser.openFrom("/links/events", phone); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a dashboard past the bound again: %d", res.StatusCode)
	}
}

// TestEventStreamTellsOfLinksAlone: GET /api/v1/events carries link
// events, as its contract says; a request made meanwhile, by the API or
// on the requests page, sends nothing on it, though the owner's open
// requests pages hear of it.
func TestEventStreamTellsOfLinksAlone(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	browser := s.client("")
	browser.signIn("ada")
	res := ada.openFrom("/api/v1/events", "192.0.2.1")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("event stream: %d", res.StatusCode)
	}
	names := make(chan string, 16)
	go func() {
		defer close(names)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				names <- name
			}
		}
	}()
	if rq := ada.postJSON("/api/v1/requests", map[string]any{"label": "vpn"}); rq.StatusCode != http.StatusCreated {
		t.Fatalf("create a request: %d %s", rq.StatusCode, rq.body)
	}
	form := url.Values{"label": {"wifi"}, "accepts": {"any"}, "ttl": {"1h"}}
	if rq := browser.do(http.MethodPost, "/requests", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), browser.sameSite()); rq.StatusCode != http.StatusCreated {
		t.Fatalf("create a request on the requests page: %d", rq.StatusCode)
	}
	ada.create(map[string]any{"kind": "message", "message": "a secret"})
	select {
	case name := <-names:
		if name != "link" {
			t.Errorf("the stream's first event after two requests and a link: %q, want link", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s of a new link")
	}
}
