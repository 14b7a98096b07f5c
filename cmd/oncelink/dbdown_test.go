package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"oncelink/internal/pgtest"
)

// tcpProxy passes connections on to a target until it is cut.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target}
	t.Cleanup(p.cut)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

// cut stops the proxy and breaks every connection through it: to the
// server behind it, the database is down.
func (p *tcpProxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestDatabaseDown stops PostgreSQL under a running server that logs JSON:
// signed-in pages, sign-ins and link pages say to try again (503) rather
// than fail with a bare 500, /healthz says 503, and every line logged is
// still JSON.
func TestDatabaseDown(t *testing.T) {
	dsn := pgtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	srv := startServer(t, u.String(), "--log-format", "json")
	owner := signUp(t, srv)
	link := createLink(t, owner, srv, nil)
	proxy.cut()

	check := func(what string, c *http.Client, method, path string, form url.Values) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "Try again") {
			t.Errorf("%s with the database down: %d %.200q", what, res.StatusCode, body)
		}
	}
	check("the dashboard", owner, http.MethodGet, "/links", nil)
	check("a create", owner, http.MethodPost, "/links", url.Values{"kind": {"message"}, "message": {"x"}, "ttl": {"1h"}})
	check("a sign-in", newClient(), http.MethodPost, "/login", url.Values{"username": {"owner"}, "password": {ownerPassword}})
	check("a signed-in browser's sign-in page", owner, http.MethodGet, "/login", nil)
	check("a link page", newClient(), http.MethodGet, link, nil)
	check("an open", newClient(), http.MethodPost, link, nil)
	if st := getStatus(t, newClient(), srv.URL+"/healthz"); st != http.StatusServiceUnavailable {
		t.Errorf("/healthz with the database down: %d", st)
	}

	logs := srv.logs.String()
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("a log line that is not JSON: %q", line)
			continue
		}
		if entry["msg"] == "request" && entry["status"] == float64(http.StatusInternalServerError) {
			t.Errorf("a request answered 500: %s", line)
		}
	}
	if !strings.Contains(logs, `"msg":"database unavailable"`) {
		t.Errorf("the logs do not say the database was unavailable:\n%s", logs)
	}
}
