package handlers

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/mattn/go-sqlite3"

	"oncelink/core"
	"oncelink/store"
)

// errIO is what SQLite says when its disk fails it.
var errIO = sqlite3.Error{Code: sqlite3.ErrIoErr}

// downStore fails what a signed-in page, a sign-in and a recipient need,
// as the database does while it is down.
type downStore struct {
	core.Store
	down atomic.Bool
}

func (d *downStore) AccountByID(ctx context.Context, id int64) (store.Account, error) {
	if d.down.Load() {
		return store.Account{}, errIO
	}
	return d.Store.AccountByID(ctx, id)
}

func (d *downStore) AccountByName(ctx context.Context, name string) (store.Account, error) {
	if d.down.Load() {
		return store.Account{}, errIO
	}
	return d.Store.AccountByName(ctx, name)
}

func (d *downStore) LinkByHash(ctx context.Context, hash []byte) (store.Link, error) {
	if d.down.Load() {
		return store.Link{}, errIO
	}
	return d.Store.LinkByHash(ctx, hash)
}

func (d *downStore) ConsumeUnprotected(ctx context.Context, hash []byte, e store.Event) (store.Link, error) {
	if d.down.Load() {
		return store.Link{}, errIO
	}
	return d.Store.ConsumeUnprotected(ctx, hash, e)
}

// downSessions fails every session lookup while down is set.
type downSessions struct {
	scs.Store
	down *atomic.Bool
}

func (d downSessions) Find(token string) ([]byte, bool, error) {
	if d.down.Load() {
		return nil, false, errIO
	}
	return d.Store.Find(token)
}

// With the database down, every page that needs it says to try again
// (503), not that something broke, and the cause is logged.
func TestDatabaseDownIsTryAgain(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	link := owner.createLink(nil)
	var db *downStore
	s.useStore(func(st core.Store) core.Store { db = &downStore{Store: st}; return db })
	s.h.sessions.Store = downSessions{Store: s.h.sessions.Store, down: &db.down}
	db.down.Store(true)
	for _, tc := range []struct {
		name string
		res  response
	}{
		{"a signed-in page", owner.get("/links")},
		{"a signed-in post", owner.post("/links", url.Values{"kind": {"message"}, "message": {"x"}, "ttl": {"1h"}})},
		{"a sign-in", s.client().post("/login", url.Values{"username": {"ada"}, "password": {testPassword}})},
		{"a link page", s.client().get(link)},
		{"an open", s.client().post(link, nil)},
	} {
		if tc.res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(tc.res.body, "Try again") {
			t.Errorf("%s while the database is down: %d %.200q", tc.name, tc.res.StatusCode, tc.res.body)
		}
		checkSecurityHeaders(t, tc.name, tc.res)
	}
	logs := s.logs.String()
	if strings.Contains(logs, "request failed") || !strings.Contains(logs, "database unavailable") {
		t.Errorf("the logs do not say the database was unavailable:\n%s", logs)
	}
	db.down.Store(false)
	if res := owner.get("/links"); res.StatusCode != http.StatusOK {
		t.Fatalf("the dashboard once the database is back: %d", res.StatusCode)
	}
}

// blockedLinks holds the dashboard's list until its request is cancelled.
type blockedLinks struct {
	core.Store
	entered chan struct{}
}

func (b *blockedLinks) Links(ctx context.Context, owner int64, o store.ListOptions) ([]store.Link, error) {
	close(b.entered)
	<-ctx.Done()
	return nil, ctx.Err()
}

// A client that hangs up while its page is made is no error: the request
// log and the metrics count it as 499, and nothing is logged as an error.
func TestClientsThatHangUpAre499(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	blocked := &blockedLinks{entered: make(chan struct{})}
	s.useStore(func(st core.Store) core.Store { blocked.Store = st; return blocked })
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/links", nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		res, err := owner.c.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	<-blocked.entered
	cancel()
	<-done
	logs := s.loggedRequest(t, "/links")
	if !strings.Contains(logs, "path=/links status=499") || strings.Contains(logs, "level=ERROR") {
		t.Fatalf("a client that hung up is not a quiet 499:\n%s", logs)
	}
	families, text := s.scrape()
	requests := families["oncelink_http_request_duration_seconds"]
	if sample(requests, map[string]string{"route": "GET /links", "code": "499"}) != 1 || strings.Contains(text, `code="500"`) {
		t.Errorf("the metrics do not count the hang-up as 499:\n%s", text)
	}
}

// loggedRequest waits for the request log's line of a request to path,
// and returns the log then.
func (s *testServer) loggedRequest(t *testing.T, path string) string {
	t.Helper()
	for start := time.Now(); !strings.Contains(s.logs.String(), "path="+path+" status="); time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("no request log line:\n%s", s.logs)
		}
	}
	return s.logs.String()
}

// A client that hangs up while it sends its body, as a form or an upload
// given up half-way, is counted as 499 too: the answer to the half it sent
// (a 400 here) reached nobody.
func TestBodiesCutOffAre499(t *testing.T) {
	for name, head := range map[string]string{
		"its length given": "Content-Length: 1000\r\n\r\nusername=ada&pass",
		"in chunks":        "Transfer-Encoding: chunked\r\n\r\n40\r\nusername=ada&pass",
	} {
		t.Run(name, func(t *testing.T) {
			s := newTestServer(t)
			host := strings.TrimPrefix(s.URL, "http://")
			conn, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n%s", host, head)
			conn.Close()
			logs := s.loggedRequest(t, "/login")
			if !strings.Contains(logs, "path=/login status=499") || strings.Contains(logs, "level=ERROR") {
				t.Fatalf("a client that hung up mid-body is not a quiet 499:\n%s", logs)
			}
			families, text := s.scrape()
			if sample(families["oncelink_http_request_duration_seconds"], map[string]string{"route": "POST /login", "code": "499"}) != 1 {
				t.Errorf("the metrics do not count the cut body as 499:\n%s", text)
			}
		})
	}
}
