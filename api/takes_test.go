package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"oncelink/core"
)

// expectProblem fails unless res is a problem of status and code that
// names field.
func expectProblem(t *testing.T, what string, res response, status int, code, field string) {
	t.Helper()
	p := res.problem()
	if res.StatusCode != status || p.Code != code || p.Field != field || p.Detail == "" {
		t.Errorf("%s: %d %s, want %d %s naming %q", what, res.StatusCode, res.body, status, code, field)
	}
}

// TestQueryParameters: every route refuses a query parameter it does not
// take, or one given twice, or one that cannot be read, and does
// nothing; those it takes still work.
func TestQueryParameters(t *testing.T) {
	check := newDocCheck(t)
	s := newTestServer(t, check)
	ada := s.account("ada")
	l := ada.create(nil)
	id := itoa(l.ID)

	for path, item := range check.doc.Paths.Map() {
		path = strings.NewReplacer("{id}", id, "{token}", openPath(l.URL)[len("/api/v1/open/"):]).Replace(path)
		for method := range item.Operations() {
			res := ada.do(method, path+"?foo=bar", "", nil, nil)
			expectProblem(t, method+" "+path+"?foo=bar", res, http.StatusBadRequest, "unknown_parameter", "foo")
		}
	}
	for _, c := range []struct{ query, code, field string }{
		{"limit=1&limit=2", "duplicate_parameter", "limit"},
		{"status=active&status=used", "duplicate_parameter", "status"},
		{"limt=5", "unknown_parameter", "limt"},
		{"Limit=5", "unknown_parameter", "Limit"},
		{"status=active;limit=5", "unreadable_parameter", "status=active;limit=5"},
		{"q=100%", "unreadable_parameter", "q=100%"},
	} {
		res := ada.get("/api/v1/links?" + c.query)
		expectProblem(t, "GET /api/v1/links?"+c.query, res, http.StatusBadRequest, c.code, c.field)
	}
	// A list takes only its own parameters: requests have no search.
	expectProblem(t, "GET /api/v1/requests?q=x", ada.get("/api/v1/requests?q=x"), http.StatusBadRequest, "unknown_parameter", "q")
	// The refusal comes before the key is looked at.
	anon := s.client("")
	expectProblem(t, "GET /api/v1/links?foo=bar without a key", anon.get("/api/v1/links?foo=bar"), http.StatusBadRequest,
		"unknown_parameter", "foo")
	if got := ada.get("/api/v1/links/" + id).body; !strings.Contains(string(got), `"status":"active"`) {
		t.Errorf("after refusals, the link is %s, want it active and unused", got)
	}

	for _, path := range []string{"/api/v1/links?status=active&q=a+secret&limit=5&cursor=", "/api/v1/requests?status=open&limit=5",
		"/api/v1/links?", "/api/v1/links?&limit=5&"} {
		if res := ada.get(path); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, res.StatusCode, res.body)
		}
	}
}

// TestNoBodyWhereNoneTaken: a change that reads no body refuses one with
// something in it, and changes nothing; an empty body, or {}, is taken.
func TestNoBodyWhereNoneTaken(t *testing.T) {
	check := newDocCheck(t)
	s := newTestServer(t, check, func(c *core.Config) { c.Resolver = publicResolver{} })
	ada := s.account("ada")
	l := ada.create(nil)
	var rq struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(ada.postJSON("/api/v1/requests", nil).body, &rq); err != nil {
		t.Fatal(err)
	}
	var hook struct {
		ID     int64  `json:"id"`
		Secret string `json:"secret"`
	}
	created := ada.postJSON("/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/in", "events": []string{"link.opened"}})
	if err := json.Unmarshal(created.body, &hook); err != nil {
		t.Fatal(err)
	}
	routes := []struct{ method, path, read string }{
		{http.MethodPost, "/api/v1/links/" + itoa(l.ID) + "/revoke", "/api/v1/links/" + itoa(l.ID)},
		{http.MethodPost, "/api/v1/requests/" + itoa(rq.ID) + "/revoke", "/api/v1/requests/" + itoa(rq.ID)},
		{http.MethodPost, "/api/v1/webhooks/" + itoa(hook.ID) + "/rotate", "/api/v1/webhooks"},
		{http.MethodDelete, "/api/v1/webhooks/" + itoa(hook.ID), "/api/v1/webhooks"},
	}
	for _, r := range routes {
		before := ada.get(r.read).body
		what := r.method + " " + r.path
		expectProblem(t, what+` {"bogus":1}`, ada.do(r.method, r.path, "application/json", strings.NewReader(`{"bogus":1}`), nil),
			http.StatusBadRequest, "unknown_field", "bogus")
		expectProblem(t, what+" [1]", ada.do(r.method, r.path, "application/json", strings.NewReader(`[1]`), nil),
			http.StatusBadRequest, "wrong_type", "")
		expectProblem(t, what+" text", ada.do(r.method, r.path, "text/plain", strings.NewReader("revoke it"), nil),
			http.StatusBadRequest, "body_unexpected", "")
		expectProblem(t, what+" untyped", ada.do(r.method, r.path, "", strings.NewReader("x"), nil),
			http.StatusBadRequest, "body_unexpected", "")
		// Sent in chunks, of no length given.
		expectProblem(t, what+" chunked", ada.do(r.method, r.path, "text/plain", io.MultiReader(strings.NewReader("x")), nil),
			http.StatusBadRequest, "body_unexpected", "")
		expectProblem(t, what+" too large", ada.do(r.method, r.path, "application/json", strings.NewReader(`{"`+strings.Repeat("x", 5<<10)+`":1}`), nil),
			http.StatusRequestEntityTooLarge, "body_too_large", "")
		if after := ada.get(r.read).body; string(after) != string(before) {
			t.Errorf("%s: refused, yet %s became %s", what, before, after)
		}
	}
	// What the client and the command line send, no body, and {}, which
	// sends nothing, are taken.
	for i, r := range routes[:3] {
		var res response
		switch i {
		case 0:
			res = ada.do(r.method, r.path, "", nil, nil)
		case 1:
			res = ada.do(r.method, r.path, "text/plain", strings.NewReader(""), nil)
		default:
			res = ada.do(r.method, r.path, "application/json", strings.NewReader(" {} "), nil)
		}
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s %s: %d %s", r.method, r.path, res.StatusCode, res.body)
		}
	}
	if res := ada.do(http.MethodDelete, routes[3].path, "application/json", io.MultiReader(strings.NewReader("")), nil); res.StatusCode != http.StatusNoContent {
		t.Errorf("DELETE %s, an empty body in chunks: %d %s", routes[3].path, res.StatusCode, res.body)
	}
}

// TestTwoAuthorizations: a request with two Authorization headers does
// not say whom it acts for, and is refused before either key is looked
// up: the keys are not counted as refused, and nothing is done.
func TestTwoAuthorizations(t *testing.T) {
	check := newDocCheck(t)
	s := newTestServer(t, check)
	ada, bob := s.account("ada"), s.account("bob")
	l := ada.create(nil)
	anon := s.client("")
	two := func(a, b string) http.Header { return http.Header{"Authorization": {"Bearer " + a, "Bearer " + b}} }
	expectProblem(t, "me as ada and bob", anon.do(http.MethodGet, "/api/v1/me", "", nil, two(ada.key, bob.key)),
		http.StatusUnauthorized, "duplicate_authorization", "")
	expectProblem(t, "me as ada twice", anon.do(http.MethodGet, "/api/v1/me", "", nil, two(ada.key, ada.key)),
		http.StatusUnauthorized, "duplicate_authorization", "")
	// An empty first header would otherwise leave the session to decide.
	browser := s.client("")
	browser.signIn("ada")
	expectProblem(t, "me, signed in, with an empty header and bob's", browser.do(http.MethodGet, "/api/v1/me", "", nil,
		http.Header{"Authorization": {"", "Bearer " + bob.key}}), http.StatusUnauthorized, "duplicate_authorization", "")
	expectProblem(t, "revoke as ada and bob", anon.do(http.MethodPost, "/api/v1/links/"+itoa(l.ID)+"/revoke", "", nil, two(ada.key, bob.key)),
		http.StatusUnauthorized, "duplicate_authorization", "")
	// A recipient's key names who opens.
	expectProblem(t, "open as ada and bob", anon.do(http.MethodPost, openPath(l.URL), "", nil, two(ada.key, bob.key)),
		http.StatusUnauthorized, "duplicate_authorization", "")
	if got := ada.get("/api/v1/links/" + itoa(l.ID)).body; !strings.Contains(string(got), `"status":"active"`) ||
		!strings.Contains(string(got), `"uses":0`) {
		t.Errorf("after refusals, the link is %s, want it active and unopened", got)
	}
	// Unknown keys, more often than a client's keys may be refused: none
	// was looked up, so a right key still works.
	unknown := "ol_" + strings.Repeat("A", 43)
	for range 12 {
		expectProblem(t, "me with two unknown keys", anon.do(http.MethodGet, "/api/v1/me", "", nil, two(unknown, unknown)),
			http.StatusUnauthorized, "duplicate_authorization", "")
	}
	if res := ada.get("/api/v1/me"); res.StatusCode != http.StatusOK {
		t.Errorf("me with ada's key after the refusals: %d %s", res.StatusCode, res.body)
	}
	if res := anon.do(http.MethodGet, "/api/v1/me", "", nil, http.Header{"Authorization": {"Bearer " + bob.key}}); res.StatusCode != http.StatusOK {
		t.Errorf("me with one header: %d %s", res.StatusCode, res.body)
	}
}

// TestEncodedBodiesRefused: a body sent with a content coding (gzip, br,
// ...) is refused with 415 before it is read, since the API reads bodies
// as sent and would misread a compressed one as bad JSON or a broken form,
// or store it as it came; identity is no coding.
func TestEncodedBodiesRefused(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"kind":"message","message":"packed"}`))
	zw.Close()
	for _, c := range []struct {
		path, encoding string
		body           []byte
	}{
		{"/api/v1/links", "gzip", gz.Bytes()},
		{"/api/v1/links", "identity, br", []byte(`{"kind":"message","message":"x"}`)},
		{"/api/v1/requests", "deflate", []byte(`{}`)},
		{"/api/v1/open/" + strings.Repeat("A", 43), "gzip", gz.Bytes()},
	} {
		res := ada.do(http.MethodPost, c.path, "application/json", bytes.NewReader(c.body), http.Header{"Content-Encoding": {c.encoding}})
		if p := res.problem(); res.StatusCode != http.StatusUnsupportedMediaType || p.Code != "content_encoding" {
			t.Errorf("POST %s, Content-Encoding %s: %d %s, want 415 content_encoding", c.path, c.encoding, res.StatusCode, res.body)
		}
	}
	var list struct{ Links []json.RawMessage }
	json.Unmarshal(ada.get("/api/v1/links").body, &list)
	if len(list.Links) != 0 {
		t.Fatalf("refused bodies made %d links", len(list.Links))
	}
	res := ada.do(http.MethodPost, "/api/v1/links", "application/json", strings.NewReader(`{"kind":"message","message":"x"}`),
		http.Header{"Content-Encoding": {"identity"}})
	if res.StatusCode != http.StatusCreated {
		t.Errorf("Content-Encoding identity: %d %s", res.StatusCode, res.body)
	}
	// A route that reads no body refuses one sent compressed as well,
	// before anything else: {} gzip-labelled revokes nothing.
	var link struct{ ID int64 }
	json.Unmarshal(res.body, &link)
	revoke := fmt.Sprintf("/api/v1/links/%d/revoke", link.ID)
	for _, body := range []io.Reader{strings.NewReader(`{}`), bytes.NewReader(gz.Bytes())} {
		res = ada.do(http.MethodPost, revoke, "application/json", body, http.Header{"Content-Encoding": {"gzip"}})
		if p := res.problem(); res.StatusCode != http.StatusUnsupportedMediaType || p.Code != "content_encoding" {
			t.Errorf("POST %s, Content-Encoding gzip: %d %s, want 415 content_encoding", revoke, res.StatusCode, res.body)
		}
	}
	var got struct{ Status string }
	json.Unmarshal(ada.get(fmt.Sprintf("/api/v1/links/%d", link.ID)).body, &got)
	if got.Status != "active" {
		t.Errorf("after the refused revokes the link is %q", got.Status)
	}
	// Nothing sent, nothing compressed: the header alone refuses nothing.
	if res := ada.do(http.MethodPost, revoke, "", nil, http.Header{"Content-Encoding": {"gzip"}}); res.StatusCode != http.StatusOK {
		t.Errorf("POST %s without a body, Content-Encoding gzip: %d %s", revoke, res.StatusCode, res.body)
	}
}
