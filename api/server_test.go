package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"golang.org/x/crypto/bcrypt"

	"oncelink/core"
	"oncelink/handlers"
	"oncelink/metrics"
	"oncelink/store"
	"oncelink/token"
)

// testServer is the whole server, web pages and API, over a real SQLite
// file, served by httptest. Every request a test sends through its
// clients is checked against the OpenAPI document, and the answers seen
// are counted, so that a test can tell which documented answers no test
// has produced.
type testServer struct {
	*httptest.Server
	t     testing.TB
	svc   *core.Service
	store *store.Store
	logs  *bytes.Buffer
	check *docCheck
	// metrics are the server's, as cmd wires them.
	metrics *metrics.Metrics
}

// newTestServer starts oncelink; edit, if given, changes the core's Config.
func newTestServer(t testing.TB, check *docCheck, edit ...func(*core.Config)) *testServer {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "oncelink.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := st.Secret(ctx, "token-key", token.KeyLen)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	// Passwords are hashed at bcrypt's least cost: under the race detector
	// one hash at the default cost takes most of a second.
	cfg := core.Config{BaseURL: "http://" + srv.Listener.Addr().String(), MinTTL: time.Minute, MaxTTL: 30 * 24 * time.Hour,
		GrantTTL: 10 * time.Minute, RateLimits: true, PasswordCost: bcrypt.MinCost}
	for _, e := range edit {
		e(&cfg)
	}
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, nil))
	svc := core.New(cfg, st, key, log)
	sessions := scs.New()
	ss := st.SessionStore(0)
	sessions.Store = ss
	m := metrics.New()
	svc.Published = m.Event
	h := handlers.New(svc, sessions, m, log)
	v1 := New(svc, m, log)
	v1.Session = h.SessionAccount
	srv.Config.Handler = h.Routes(v1.Handler())
	srv.Start()
	t.Cleanup(func() {
		h.EndStreams()
		v1.EndStreams()
		srv.Close()
		ss.StopCleanup()
		st.Close()
	})
	return &testServer{Server: srv, t: t, svc: svc, store: st, logs: logs, check: check, metrics: m}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

const testPassword = "correct horse battery"

// account adds an account and returns a client holding a new key of it.
func (s *testServer) account(name string) *client {
	s.t.Helper()
	a, err := s.svc.AddAccount(context.Background(), name, testPassword, false)
	if err != nil {
		s.t.Fatal(err)
	}
	k, err := s.svc.CreateKey(context.Background(), a.ID, "tests", "never")
	if err != nil {
		s.t.Fatal(err)
	}
	return s.client(k.Secret)
}

// client is a program using the API with key, or with none when key is "".
func (s *testServer) client(key string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: s.t, s: s, key: key, c: &http.Client{Jar: jar, Timeout: time.Minute,
		Transport: &validating{check: s.check, t: s.t, next: http.DefaultTransport}}}
}

type client struct {
	t   testing.TB
	s   *testServer
	key string
	c   *http.Client
}

type response struct {
	*http.Response
	body []byte
}

// problem reads the answer as a problem document.
func (r response) problem() problem {
	var p problem
	json.Unmarshal(r.body, &p)
	return p
}

func (c *client) do(method, path, contentType string, body io.Reader, header http.Header) response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.s.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{res, b}
}

func (c *client) get(path string) response {
	c.t.Helper()
	return c.do(http.MethodGet, path, "", nil, nil)
}

// postJSON sends v as JSON; a string is sent as it is.
func (c *client) postJSON(path string, v any) response {
	c.t.Helper()
	var body io.Reader
	switch v := v.(type) {
	case nil:
	case string:
		body = strings.NewReader(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			c.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	ct := "application/json"
	if body == nil {
		ct = ""
	}
	return c.do(http.MethodPost, path, ct, body, nil)
}

// create makes a link from fields over a message link's defaults, and
// returns it with its URL.
func (c *client) create(fields map[string]any) createdLink {
	c.t.Helper()
	body := map[string]any{"kind": "message", "message": "a secret", "ttl": "1h"}
	if kind, ok := fields["kind"]; ok && kind != "message" {
		delete(body, "message") // a link of another kind takes none
	}
	for k, v := range fields {
		body[k] = v
	}
	res := c.postJSON("/api/v1/links", body)
	if res.StatusCode != http.StatusCreated {
		c.t.Fatalf("create: %d %s", res.StatusCode, res.body)
	}
	var l createdLink
	if err := json.Unmarshal(res.body, &l); err != nil {
		c.t.Fatal(err)
	}
	return l
}

// openPath is the API's open route for a link's URL.
func openPath(linkURL string) string {
	return "/api/v1/open/" + linkURL[strings.LastIndex(linkURL, "/")+1:]
}

// docCheck holds the OpenAPI document, checks exchanges against it, and
// counts the answers seen for each operation.
type docCheck struct {
	doc    *openapi3.T
	router routers.Router
	mu     sync.Mutex
	seen   map[string]bool // "operationId status"
}

func newDocCheck(t testing.TB) *docCheck {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(Document)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &docCheck{doc: doc, router: router, seen: map[string]bool{}}
}

// unseen lists the documented answers that no exchange has produced.
func (d *docCheck) unseen() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var missing []string
	for _, item := range d.doc.Paths.Map() {
		for _, op := range item.Operations() {
			for status := range op.Responses.Map() {
				if key := op.OperationID + " " + status; status != "default" && !d.seen[key] {
					missing = append(missing, key)
				}
			}
		}
	}
	sort.Strings(missing)
	return missing
}

// otherwise are the statuses that every operation's default answer, a
// problem, describes; any other must be listed by the operation itself.
var otherwise = map[int]bool{http.StatusRequestTimeout: true, http.StatusMisdirectedRequest: true,
	http.StatusTooManyRequests: true, http.StatusServiceUnavailable: true}

// validating is a RoundTripper that checks every exchange under /api/
// against the document: the route must be in it, the answer must be one
// it documents, in the form it documents, and a request that succeeded
// must be one it calls valid.
type validating struct {
	check *docCheck
	t     testing.TB
	next  http.RoundTripper
}

func (v *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.URL.Path, "/api/") {
		return v.next.RoundTrip(req)
	}
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	res, err := v.next.RoundTrip(req)
	if err != nil {
		return res, err
	}
	route, params, err := v.check.router.FindRoute(req)
	if errors.Is(err, routers.ErrMethodNotAllowed) && res.StatusCode == http.StatusMethodNotAllowed {
		// A documented path, asked with a method it does not take.
		return res, nil
	}
	if err != nil {
		v.t.Errorf("%s %s is not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
		return res, nil
	}
	copyReq := req.Clone(req.Context())
	copyReq.Body = io.NopCloser(bytes.NewReader(reqBody))
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020()}}
	in := &openapi3filter.RequestValidationInput{Request: copyReq, PathParams: params, Route: route, Options: opts}
	if res.StatusCode/100 == 2 {
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			v.t.Errorf("%s %s succeeded with %d, but the document calls the request invalid: %v", req.Method, req.URL.Path, res.StatusCode, err)
		}
	}
	key := fmt.Sprintf("%s %d", route.Operation.OperationID, res.StatusCode)
	v.check.mu.Lock()
	v.check.seen[key] = true
	v.check.mu.Unlock()
	if route.Operation.Responses.Status(res.StatusCode) == nil && !otherwise[res.StatusCode] {
		v.t.Errorf("%s %s answered %d, which the document does not list", req.Method, req.URL.Path, res.StatusCode)
		return res, nil
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Options: &openapi3filter.Options{SchemaValidationOptions: opts.SchemaValidationOptions, IncludeResponseStatus: true}}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		// The stream does not end: its events are read by the test.
		out.Options.ExcludeResponseBody = true
		out.SetBodyBytes(nil)
	} else {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		res.Body = io.NopCloser(bytes.NewReader(body))
		out.SetBodyBytes(body)
	}
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		v.t.Errorf("%s %s: the %d answer does not match the document: %v", req.Method, req.URL.Path, res.StatusCode, err)
	}
	v.check.codeDescribed(v.t, req, route.Operation, res)
	return res, nil
}

// codeDescribed checks that a 403's problem code is one the operation's
// description of its 403 names, as `code`: a program reading the document
// learns each reason it may be refused for.
func (c *docCheck) codeDescribed(t testing.TB, req *http.Request, op *openapi3.Operation, res *http.Response) {
	if res.StatusCode != http.StatusForbidden {
		return
	}
	doc := op.Responses.Status(res.StatusCode)
	if doc == nil {
		return
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	var p struct{ Code string }
	if json.Unmarshal(body, &p) != nil || p.Code == "" {
		return
	}
	desc := ""
	if doc.Value != nil && doc.Value.Description != nil {
		desc = *doc.Value.Description
	}
	if doc.Description != nil {
		// A $ref's own description says it for the operation.
		desc = *doc.Description
	}
	if !strings.Contains(desc, "`"+p.Code+"`") {
		t.Errorf("%s %s answered 403 %s, which the document's 403 of %s does not name: %q", req.Method, req.URL.Path, p.Code, op.OperationID, desc)
	}
}
