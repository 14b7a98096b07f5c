package handlers

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"net/http/httptest"

	"github.com/alexedwards/scs/v2"
	"golang.org/x/crypto/bcrypt"

	"oncelink/api"
	"oncelink/core"
	"oncelink/internal/pgtest"
	"oncelink/live"
	"oncelink/metrics"
	"oncelink/store"
	"oncelink/token"
)

// testServer is the whole handler stack over a real SQLite file, served by
// httptest, with its logs kept for inspection and a clock tests can move.
type testServer struct {
	*httptest.Server
	t      testing.TB
	store  *store.Store
	dbPath string
	h      *Handler
	cfg    core.Config
	key    []byte
	logs   *syncBuffer
	clock  *testClock
	// metrics are the server's, as cmd wires them: the store's pools and
	// write batches, the core's link events, the handlers' requests.
	metrics *metrics.Metrics
	// serving is held by every request while it is served, for useStore.
	serving sync.RWMutex
	// routes serves the requests: the pages alone, or with the JSON API
	// beside them (withAPI).
	routes http.Handler
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock on by d.
func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

// newTestServer starts oncelink on a fresh SQLite file. edit, if given,
// changes the core's Config first.
func newTestServer(t testing.TB, edit ...func(*core.Config)) *testServer {
	t.Helper()
	return newTestServerOn(t, filepath.Join(t.TempDir(), "oncelink.db"), edit...)
}

// onBoth runs test on a server on a fresh SQLite file and on one on a fresh
// PostgreSQL schema, each with edit.
func onBoth(t *testing.T, test func(t *testing.T, s *testServer), edit ...func(*core.Config)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { test(t, newTestServer(t, edit...)) })
	t.Run("postgres", func(t *testing.T) { test(t, newTestServerOn(t, pgtest.DSN(t), edit...)) })
}

// newTestServerOn starts oncelink on the database dsn names: an SQLite
// file, or a PostgreSQL schema from pgtest.DSN, with its sessions there too.
func newTestServerOn(t testing.TB, dsn string, edit ...func(*core.Config)) *testServer {
	t.Helper()
	ctx := context.Background()
	m := metrics.New()
	st, err := store.Open(ctx, dsn, store.Options{WriteBatch: m.WriteBatch})
	if err != nil {
		t.Fatal(err)
	}
	m.Pools(st.PoolStats)
	dbPath := dsn
	if st.Postgres() {
		dbPath = ""
	}
	clock := &testClock{now: time.Now()}
	st.Now = clock.Now
	key, err := st.Secret(ctx, "token-key", token.KeyLen)
	if err != nil {
		t.Fatal(err)
	}
	sessions := scs.New()
	// No cleanup goroutine: a test's sessions die with its database, and
	// scs's pgxstore starts one that races with StopCleanup when the test
	// ends at once.
	ss := st.SessionStore(0)
	sessions.Store = ss
	logs := &syncBuffer{}
	srv := httptest.NewUnstartedServer(nil)
	// Passwords are hashed at bcrypt's least cost: under the race detector
	// one hash at the default cost takes most of a second.
	cfg := core.Config{BaseURL: "http://" + srv.Listener.Addr().String(), MinTTL: time.Minute, MaxTTL: 30 * 24 * time.Hour,
		GrantTTL: 10 * time.Minute, RateLimits: true, PasswordCost: bcrypt.MinCost}
	for _, e := range edit {
		e(&cfg)
	}
	if cfg.Broker == nil {
		// Named, so that a core rebuilt by useStore shares it.
		cfg.Broker = &live.Local{}
	}
	s := &testServer{Server: srv, t: t, store: st, dbPath: dbPath, cfg: cfg, key: key, logs: logs, clock: clock, metrics: m}
	s.h = New(s.newCore(st), sessions, s.metrics, slog.New(slog.NewTextHandler(logs, nil)))
	s.routes = s.h.Routes(nil)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serving.RLock()
		defer s.serving.RUnlock()
		s.routes.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(func() {
		s.h.EndStreams()
		srv.Close()
		ss.StopCleanup()
		st.Close()
	})
	return s
}

// newCore makes the server's core over st, on the test's clock.
func (s *testServer) newCore(st core.Store) *core.Service {
	svc := core.New(s.cfg, st, s.key, slog.New(slog.NewTextHandler(s.logs, nil)))
	svc.Now = s.clock.Now
	svc.Published = s.metrics.Event
	return svc
}

// useStore puts the server's core over wrap(the store), for a test that
// counts or fails its calls. It waits for the requests under way, whose
// handlers may still publish after their answer arrived; an open event
// stream would keep it waiting.
func (s *testServer) useStore(wrap func(core.Store) core.Store) {
	s.serving.Lock()
	defer s.serving.Unlock()
	s.h.core = s.newCore(wrap(s.store))
}

// withAPI serves the JSON API beside the pages, over the same core, as
// the server does.
func (s *testServer) withAPI() {
	v1 := api.New(s.h.core, s.metrics, slog.New(slog.NewTextHandler(s.logs, nil)))
	v1.Session = s.h.SessionAccount
	s.serving.Lock()
	defer s.serving.Unlock()
	s.routes = s.h.Routes(v1.Handler())
	s.t.Cleanup(v1.EndStreams)
}

// testClient is one browser: its own cookies, no redirects followed.
type testClient struct {
	t   testing.TB
	srv *testServer
	c   *http.Client
	// host, when set, is the Host its requests name: the host of a base
	// URL that is not the test server's address.
	host string
}

func (s *testServer) client() *testClient {
	jar, _ := cookiejar.New(nil)
	return &testClient{t: s.t, srv: s, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// onPhone is a new client signed in as name (with testPassword) from a
// phone's browser: another session of the account, named as a phone.
func (s *testServer) onPhone(name string) *testClient {
	s.t.Helper()
	c := s.client()
	res := c.request(http.MethodPost, "/login", strings.NewReader(url.Values{"username": {name}, "password": {testPassword}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
			"User-Agent": {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"}})
	if res.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("%s's sign-in from a phone: %d", name, res.StatusCode)
	}
	return c
}

// response is a finished request with its body read.
type response struct {
	*http.Response
	body string
}

// requestTimeout bounds a request and the reading of its answer, so that a
// server that never finishes fails the test rather than hanging it.
const requestTimeout = time.Minute

func (c *testClient) do(req *http.Request) response {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(req.Context(), requestTimeout)
	defer cancel()
	res, err := c.c.Do(req.WithContext(ctx))
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{res, string(b)}
}

func (c *testClient) request(method, path string, body io.Reader, header http.Header) response {
	c.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = c.srv.URL + path
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.host != "" {
		req.Host = c.host
	}
	return c.do(req)
}

func (c *testClient) get(path string) response {
	c.t.Helper()
	return c.request(http.MethodGet, path, nil, nil)
}

// post sends a urlencoded form; path may be a full URL.
func (c *testClient) post(path string, form url.Values) response {
	c.t.Helper()
	return c.request(http.MethodPost, path, strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

// htmx sends a form as htmx does.
func (c *testClient) htmx(method, path string, form url.Values) response {
	c.t.Helper()
	return c.request(method, path, strings.NewReader(form.Encode()), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Hx-Request": {"true"},
	})
}

const testPassword = "correct horse battery"

// admin sets the server up and returns the signed-in first account, "ada".
func (s *testServer) admin() *testClient {
	s.t.Helper()
	c := s.client()
	res := c.post("/setup", url.Values{"username": {"ada"}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("setup: %d %s", res.StatusCode, res.body)
	}
	return c
}

// user adds an account and returns a client signed in as it.
func (s *testServer) user(name string) *testClient {
	s.t.Helper()
	if _, err := s.h.core.AddAccount(context.Background(), name, testPassword, false); err != nil {
		s.t.Fatal(err)
	}
	return s.signIn(name)
}

// signIn returns a new client signed in as the account name.
func (s *testServer) signIn(name string) *testClient {
	s.t.Helper()
	c := s.client()
	if res := c.post("/login", url.Values{"username": {name}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("sign in %s: %d", name, res.StatusCode)
	}
	return c
}

var linkURLPattern = regexp.MustCompile(`/l/[A-Za-z0-9_-]{43}`)

// createLink creates a message link with the given fields over the
// defaults and returns its URL.
func (c *testClient) createLink(fields url.Values) string {
	c.t.Helper()
	form := url.Values{"kind": {"message"}, "message": {"a secret"}, "ttl": {"1h"}, "max_uses": {"1"}}
	for k, v := range fields {
		form[k] = v
	}
	res := c.post("/links", form)
	if res.StatusCode != http.StatusCreated {
		c.t.Fatalf("create: %d %s", res.StatusCode, res.body)
	}
	path := linkURLPattern.FindString(res.body)
	if path == "" {
		c.t.Fatalf("no link URL in %s", res.body)
	}
	return c.srv.URL + path
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
