package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"oncelink/core"
	"oncelink/live"
	"oncelink/store"
	"oncelink/token"
)

// TestEveryDocumentedAnswer walks every route of the API through each of
// its documented answers, checking each exchange against the document,
// and fails on an answer the document lists that no request produced.
func TestEveryDocumentedAnswer(t *testing.T) {
	check := newDocCheck(t)
	s := newTestServer(t, check, func(c *core.Config) { c.MaxUpload = 1 << 20 })
	ada := s.account("ada")
	bob := s.account("bob")
	anon := s.client("")
	bad := s.client("ol_" + strings.Repeat("A", 43))
	expect := func(what string, res response, status int, code string) {
		t.Helper()
		if res.StatusCode != status {
			t.Fatalf("%s: %d %s, want %d", what, res.StatusCode, res.body, status)
		}
		if code != "" {
			if p := res.problem(); p.Code != code || p.Status != status || p.Detail == "" {
				t.Fatalf("%s: problem %+v, want code %q", what, p, code)
			}
		}
	}

	expect("document", anon.get("/api/v1/openapi.json"), http.StatusOK, "")
	expect("me", ada.get("/api/v1/me"), http.StatusOK, "")
	expect("me without a key", anon.get("/api/v1/me"), http.StatusUnauthorized, "key_missing")
	expect("me with an unknown key", bad.get("/api/v1/me"), http.StatusUnauthorized, "key_refused")

	expect("create, notify without email", ada.postJSON("/api/v1/links", map[string]any{"kind": "message", "message": "x", "notify": true}),
		http.StatusBadRequest, "email_off")
	l := ada.create(map[string]any{"label": "door code", "max_uses": 2})
	id := itoa(l.ID)
	retried := func() response {
		return ada.do(http.MethodPost, "/api/v1/links", "application/json", strings.NewReader(`{"kind":"message","message":"x"}`), idempotent("k1"))
	}
	expect("create with an idempotency key", retried(), http.StatusCreated, "")
	expect("create again with the same key", retried(), http.StatusConflict, "already_created")
	expect("list", ada.get("/api/v1/links?status=active&limit=10"), http.StatusOK, "")
	expect("list, unknown status", ada.get("/api/v1/links?status=lost"), http.StatusBadRequest, "status_unknown")
	expect("list without a key", anon.get("/api/v1/links"), http.StatusUnauthorized, "key_missing")
	expect("get", ada.get("/api/v1/links/"+id), http.StatusOK, "")
	expect("get, another owner's", bob.get("/api/v1/links/"+id), http.StatusNotFound, "not_found")
	expect("get without a key", anon.get("/api/v1/links/"+id), http.StatusUnauthorized, "key_missing")
	expect("events of a link", ada.get("/api/v1/links/"+id+"/events"), http.StatusOK, "")
	expect("events, another owner's", bob.get("/api/v1/links/"+id+"/events"), http.StatusNotFound, "not_found")
	expect("events without a key", anon.get("/api/v1/links/"+id+"/events"), http.StatusUnauthorized, "key_missing")

	// No read takes a body: each refuses one, before its key is looked at.
	for path, item := range check.doc.Paths.Map() {
		if item.Get == nil {
			continue
		}
		path = strings.NewReplacer("{id}", id, "{token}", "x").Replace(path)
		res := anon.do(http.MethodGet, path, "application/json", strings.NewReader(`{}`), nil)
		expect("GET "+path+" with a body", res, http.StatusBadRequest, "body_on_read")
	}
	// A path's other methods are 405, naming the ones it takes.
	wrongMethod := ada.get("/api/v1/webhooks/1")
	expect("webhook, wrong method", wrongMethod, http.StatusMethodNotAllowed, "method_not_allowed")
	if allow := wrongMethod.Header.Get("Allow"); allow != http.MethodDelete {
		t.Errorf("GET /api/v1/webhooks/1: Allow %q, want DELETE", allow)
	}

	expect("create, no key", anon.postJSON("/api/v1/links", map[string]any{"kind": "message", "message": "x"}), http.StatusUnauthorized, "key_missing")
	expect("create, bad ttl", ada.postJSON("/api/v1/links", map[string]any{"kind": "message", "message": "x", "ttl": "forever"}), http.StatusBadRequest, "ttl_invalid")
	expect("create, text", ada.do(http.MethodPost, "/api/v1/links", "text/plain", strings.NewReader("hello"), nil), http.StatusUnsupportedMediaType, "not_json")
	big := strings.NewReader(`{"kind":"message","message":"` + strings.Repeat("x", core.MaxFormBytes) + `"}`)
	expect("create, too large", ada.do(http.MethodPost, "/api/v1/links", "application/json", big, nil), http.StatusRequestEntityTooLarge, "body_too_large")
	withCookie := http.Header{"Cookie": {"a=b"}, "Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}
	expect("create, cross-site with a cookie", ada.do(http.MethodPost, "/api/v1/links", "application/json", strings.NewReader(`{}`), withCookie), http.StatusForbidden, "cross_origin")
	// Every other change, sent cross-site by a browser signed in as ada.
	adaBrowser := s.client("")
	adaBrowser.signIn("ada")
	for _, r := range []struct{ method, path string }{
		{http.MethodPost, "/api/v1/links/" + id + "/revoke"}, {http.MethodPost, "/api/v1/requests"},
		{http.MethodPost, "/api/v1/requests/1/revoke"}, {http.MethodPost, "/api/v1/requests/open"},
		{http.MethodPost, "/api/v1/webhooks"}, {http.MethodDelete, "/api/v1/webhooks/1"},
	} {
		expect(r.method+" "+r.path+", cross-site with a session", adaBrowser.do(r.method, r.path, "", nil, crossSite), http.StatusForbidden, "cross_origin")
	}

	opened := anon.postJSON(openPath(l.URL), nil)
	expect("open", opened, http.StatusOK, "")
	expect("open, a bad body", anon.postJSON(openPath(l.URL), "{"), http.StatusBadRequest, "bad_json")
	expect("open, text", anon.do(http.MethodPost, openPath(l.URL), "text/plain", strings.NewReader("x"), nil), http.StatusUnsupportedMediaType, "not_json")
	expect("open, too large", anon.postJSON(openPath(l.URL), `{"password":"`+strings.Repeat("p", 5<<10)+`"}`), http.StatusRequestEntityTooLarge, "body_too_large")
	expect("open, forged", anon.postJSON("/api/v1/open/"+strings.Repeat("A", 43), nil), http.StatusNotFound, "not_found")
	expect("open, an unknown key", bad.postJSON(openPath(l.URL), nil), http.StatusUnauthorized, "key_refused")
	expect("open, the last use", anon.postJSON(openPath(l.URL), nil), http.StatusOK, "")
	expect("open, used up", anon.postJSON(openPath(l.URL), nil), http.StatusGone, "link_gone")
	locked := ada.create(map[string]any{"password": "open sesame"})
	expect("open, wrong password", anon.postJSON(openPath(locked.URL), map[string]string{"password": "nope"}), http.StatusForbidden, "wrong_password")

	expect("revoke", ada.postJSON("/api/v1/links/"+itoa(locked.ID)+"/revoke", nil), http.StatusOK, "")
	expect("revoke, another owner's", bob.postJSON("/api/v1/links/"+itoa(locked.ID)+"/revoke", nil), http.StatusNotFound, "not_found")
	expect("revoke without a key", anon.postJSON("/api/v1/links/"+itoa(locked.ID)+"/revoke", nil), http.StatusUnauthorized, "key_missing")
	expect("revoke, a body", ada.postJSON("/api/v1/links/"+itoa(locked.ID)+"/revoke", map[string]int{"bogus": 1}), http.StatusBadRequest, "unknown_field")
	expect("revoke, too large", ada.postJSON("/api/v1/links/"+itoa(locked.ID)+"/revoke", `{"`+strings.Repeat("x", 5<<10)+`":1}`), http.StatusRequestEntityTooLarge, "body_too_large")
	expect("revoke, compressed", ada.do(http.MethodPost, "/api/v1/links/"+itoa(locked.ID)+"/revoke", "application/json", strings.NewReader(`{}`), http.Header{"Content-Encoding": {"gzip"}}),
		http.StatusUnsupportedMediaType, "content_encoding")

	rq := ada.postJSON("/api/v1/requests", map[string]any{"label": "vpn", "note": "the new password, please", "accepts": "text", "ttl": "2h"})
	expect("create a request", rq, http.StatusCreated, "")
	var created struct {
		ID  int64  `json:"id"`
		URL string `json:"url"`
	}
	json.Unmarshal(rq.body, &created)
	rid := itoa(created.ID)
	expect("create a request, empty", ada.postJSON("/api/v1/requests", nil), http.StatusCreated, "")
	retriedRequest := func() response {
		return ada.do(http.MethodPost, "/api/v1/requests", "application/json", strings.NewReader(`{"label":"vpn"}`), idempotent("k1"))
	}
	expect("create a request with an idempotency key", retriedRequest(), http.StatusCreated, "")
	expect("create a request again with the same key", retriedRequest(), http.StatusConflict, "already_created")
	expect("create a request, unknown accepts", ada.postJSON("/api/v1/requests", map[string]any{"accepts": "video"}), http.StatusBadRequest, "accepts_unknown")
	expect("create a request, empty accepts", ada.postJSON("/api/v1/requests", map[string]any{"accepts": ""}), http.StatusBadRequest, "accepts_unknown")
	expect("create a request, empty ttl", ada.postJSON("/api/v1/requests", map[string]any{"ttl": ""}), http.StatusBadRequest, "ttl_invalid")
	expect("create a request, no key", anon.postJSON("/api/v1/requests", nil), http.StatusUnauthorized, "key_missing")
	expect("create a request, text", ada.do(http.MethodPost, "/api/v1/requests", "text/plain", strings.NewReader("x"), nil), http.StatusUnsupportedMediaType, "not_json")
	expect("create a request, too large", ada.postJSON("/api/v1/requests", `{"note":"`+strings.Repeat("n", 20<<10)+`"}`), http.StatusRequestEntityTooLarge, "body_too_large")
	expect("list requests", ada.get("/api/v1/requests?status=open&limit=10"), http.StatusOK, "")
	expect("list requests, unknown status", ada.get("/api/v1/requests?status=done"), http.StatusBadRequest, "status_unknown")
	expect("list requests without a key", anon.get("/api/v1/requests"), http.StatusUnauthorized, "key_missing")
	expect("get a request", ada.get("/api/v1/requests/"+rid), http.StatusOK, "")
	expect("get a request, another owner's", bob.get("/api/v1/requests/"+rid), http.StatusNotFound, "not_found")
	expect("get a request without a key", anon.get("/api/v1/requests/"+rid), http.StatusUnauthorized, "key_missing")
	// The owner reads what was sent to a request, once.
	var asked struct {
		URL string `json:"url"`
	}
	json.Unmarshal(ada.postJSON("/api/v1/requests", map[string]any{"accepts": "text"}).body, &asked)
	ask := map[string]string{"token": path.Base(asked.URL)}
	expect("open a request, nothing sent", ada.postJSON("/api/v1/requests/open", ask), http.StatusConflict, "nothing_sent")
	expect("open a request, another owner's", bob.postJSON("/api/v1/requests/open", ask), http.StatusForbidden, "not_owner")
	sent := anon.do(http.MethodPost, "/r/"+ask["token"], "application/x-www-form-urlencoded", strings.NewReader("message=the+new+password"),
		http.Header{"Origin": {s.URL}})
	if sent.StatusCode != http.StatusOK || !strings.Contains(string(sent.body), `data-testid="sent"`) {
		t.Fatalf("send to a request: %d %s", sent.StatusCode, sent.body)
	}
	expect("open a request without a key", anon.postJSON("/api/v1/requests/open", ask), http.StatusUnauthorized, "key_missing")
	expect("open a request, no token", ada.postJSON("/api/v1/requests/open", map[string]string{}), http.StatusBadRequest, "token_missing")
	expect("open a request, forged", ada.postJSON("/api/v1/requests/open", map[string]string{"token": strings.Repeat("A", 43)}), http.StatusNotFound, "not_found")
	expect("open a request, text", ada.do(http.MethodPost, "/api/v1/requests/open", "text/plain", strings.NewReader("x"), nil), http.StatusUnsupportedMediaType, "not_json")
	expect("open a request, too large", ada.postJSON("/api/v1/requests/open", `{"token":"`+strings.Repeat("A", 5<<10)+`"}`), http.StatusRequestEntityTooLarge, "body_too_large")
	read := ada.postJSON("/api/v1/requests/open", ask)
	expect("open a request", read, http.StatusOK, "")
	if !strings.Contains(string(read.body), `"message":"the new password"`) {
		t.Errorf("open a request: %s", read.body)
	}
	expect("open a request again", ada.postJSON("/api/v1/requests/open", ask), http.StatusGone, "link_gone")
	expect("revoke a request", ada.postJSON("/api/v1/requests/"+rid+"/revoke", nil), http.StatusOK, "")
	expect("revoke a request, another owner's", bob.postJSON("/api/v1/requests/"+rid+"/revoke", nil), http.StatusNotFound, "not_found")
	expect("revoke a request without a key", anon.postJSON("/api/v1/requests/"+rid+"/revoke", nil), http.StatusUnauthorized, "key_missing")
	expect("revoke a request, a body", ada.do(http.MethodPost, "/api/v1/requests/"+rid+"/revoke", "text/plain", strings.NewReader("x"), nil),
		http.StatusBadRequest, "body_unexpected")
	expect("revoke a request, too large", ada.postJSON("/api/v1/requests/"+rid+"/revoke", `{"`+strings.Repeat("x", 5<<10)+`":1}`), http.StatusRequestEntityTooLarge, "body_too_large")
	expect("revoke a request, compressed", ada.do(http.MethodPost, "/api/v1/requests/"+rid+"/revoke", "application/json", strings.NewReader(`{}`), http.Header{"Content-Encoding": {"gzip"}}),
		http.StatusUnsupportedMediaType, "content_encoding")

	hooks := newTestServer(t, check, func(c *core.Config) { c.Resolver = publicResolver{} })
	carol, dave := hooks.account("carol"), hooks.account("dave")
	wh := carol.postJSON("/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/in", "events": []string{"link.opened", "request.fulfilled"}})
	expect("create a webhook", wh, http.StatusCreated, "")
	var createdHook struct {
		ID     int64  `json:"id"`
		Secret string `json:"secret"`
	}
	json.Unmarshal(wh.body, &createdHook)
	if !strings.HasPrefix(createdHook.Secret, "whsec_") {
		t.Errorf("webhook secret %q", createdHook.Secret)
	}
	hid := itoa(createdHook.ID)
	expect("create a webhook, the same address again", carol.postJSON("/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/in", "events": []string{"link.opened"}}),
		http.StatusConflict, "webhook_exists")
	expect("create a webhook, private", carol.postJSON("/api/v1/webhooks", map[string]any{"url": "http://169.254.169.254/", "events": []string{"link.opened"}}),
		http.StatusBadRequest, "webhook_private_address")
	expect("create a webhook, unknown event", carol.postJSON("/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/in", "events": []string{"link.lost"}}),
		http.StatusBadRequest, "unknown_event")
	expect("create a webhook, text", carol.do(http.MethodPost, "/api/v1/webhooks", "text/plain", strings.NewReader("x"), nil), http.StatusUnsupportedMediaType, "not_json")
	expect("create a webhook, too large", carol.postJSON("/api/v1/webhooks", `{"url":"https://hooks.example.com/`+strings.Repeat("x", 17<<10)+`"}`),
		http.StatusRequestEntityTooLarge, "body_too_large")
	expect("create a webhook, no key", anon.postJSON("/api/v1/webhooks", nil), http.StatusUnauthorized, "key_missing")
	retriedHook := func() response {
		return dave.do(http.MethodPost, "/api/v1/webhooks", "application/json",
			strings.NewReader(`{"url":"https://hooks.example.com/dave","events":["link.opened"]}`), idempotent("k1"))
	}
	expect("create a webhook with an idempotency key", retriedHook(), http.StatusCreated, "")
	expect("create a webhook again with the same key", retriedHook(), http.StatusConflict, "already_created")
	for i := 1; i < core.MaxWebhooks; i++ {
		carol.postJSON("/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/" + itoa(int64(i)), "events": []string{"link.opened"}})
	}
	expect("create a webhook, too many", carol.postJSON("/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/in", "events": []string{"link.opened"}}),
		http.StatusConflict, "too_many_webhooks")
	expect("list webhooks", carol.get("/api/v1/webhooks"), http.StatusOK, "")
	expect("list webhooks without a key", anon.get("/api/v1/webhooks"), http.StatusUnauthorized, "key_missing")
	noticed := carol.create(map[string]any{"label": "noticed"})
	expect("open a link with a webhook", hooks.client("").postJSON(openPath(noticed.URL), nil), http.StatusOK, "")
	expect("deliveries", carol.get("/api/v1/webhooks/"+hid+"/deliveries"), http.StatusOK, "")
	rotated := carol.postJSON("/api/v1/webhooks/"+hid+"/rotate", nil)
	expect("rotate a webhook's secret", rotated, http.StatusOK, "")
	var rotatedHook struct {
		ID     int64  `json:"id"`
		Secret string `json:"secret"`
	}
	json.Unmarshal(rotated.body, &rotatedHook)
	if rotatedHook.ID != createdHook.ID || !strings.HasPrefix(rotatedHook.Secret, "whsec_") || rotatedHook.Secret == createdHook.Secret {
		t.Errorf("rotated webhook %s", rotated.body)
	}
	retriedRotation := func() response {
		return carol.do(http.MethodPost, "/api/v1/webhooks/"+hid+"/rotate", "", nil, idempotent("r1"))
	}
	expect("rotate with an idempotency key", retriedRotation(), http.StatusOK, "")
	expect("rotate again with the same key", retriedRotation(), http.StatusConflict, "already_created")
	expect("rotate with a bad idempotency key", carol.do(http.MethodPost, "/api/v1/webhooks/"+hid+"/rotate", "", nil, idempotent("r 1")),
		http.StatusBadRequest, "idempotency_key_invalid")
	expect("rotate, another owner's", dave.postJSON("/api/v1/webhooks/"+hid+"/rotate", nil), http.StatusNotFound, "not_found")
	expect("rotate without a key", anon.postJSON("/api/v1/webhooks/"+hid+"/rotate", nil), http.StatusUnauthorized, "key_missing")
	expect("rotate, a parameter", carol.postJSON("/api/v1/webhooks/"+hid+"/rotate?now=1", nil), http.StatusBadRequest, "unknown_parameter")
	expect("rotate, too large", carol.postJSON("/api/v1/webhooks/"+hid+"/rotate", `{"`+strings.Repeat("x", 5<<10)+`":1}`), http.StatusRequestEntityTooLarge, "body_too_large")
	expect("rotate, compressed", carol.do(http.MethodPost, "/api/v1/webhooks/"+hid+"/rotate", "application/json", strings.NewReader(`{}`), http.Header{"Content-Encoding": {"gzip"}}),
		http.StatusUnsupportedMediaType, "content_encoding")
	carolBrowser := hooks.client("")
	carolBrowser.signIn("carol")
	expect("rotate, cross-site with a session", carolBrowser.do(http.MethodPost, "/api/v1/webhooks/"+hid+"/rotate", "", nil, crossSite),
		http.StatusForbidden, "cross_origin")
	// A test message switches on an endpoint that a 410 switched off.
	leased, err := hooks.store.LeaseDeliveries(t.Context(), time.Now(), time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(leased, func(d store.Delivery) bool { return d.WebhookID == createdHook.ID })
	if i < 0 {
		t.Fatalf("no delivery to the endpoint among %d", len(leased))
	}
	if err := hooks.store.FinishAttempt(t.Context(), leased[i], store.Attempt{At: time.Now(), Code: http.StatusGone,
		Outcome: store.DeliveryFailed, DisableWebhook: true}); err != nil {
		t.Fatal(err)
	}
	if l := carol.get("/api/v1/webhooks"); !strings.Contains(string(l.body), `"id":`+hid+`,`) || strings.Count(string(l.body), `"disabled_at":null`) != core.MaxWebhooks-1 {
		t.Fatalf("the endpoint was not switched off: %s", l.body)
	}
	tested := carol.postJSON("/api/v1/webhooks/"+hid+"/test", nil)
	expect("send a webhook a test", tested, http.StatusAccepted, "")
	var testedHook struct {
		ID                  int64      `json:"id"`
		DisabledAt          *time.Time `json:"disabled_at"`
		PreviousSecretUntil *time.Time `json:"previous_secret_until"`
	}
	json.Unmarshal(tested.body, &testedHook)
	if testedHook.ID != createdHook.ID || testedHook.DisabledAt != nil || testedHook.PreviousSecretUntil == nil {
		t.Errorf("the endpoint after its test: %s", tested.body)
	}
	if d := carol.get("/api/v1/webhooks/" + hid + "/deliveries"); !strings.Contains(string(d.body), `"type":"webhook.test"`) {
		t.Errorf("no test among the deliveries: %s", d.body)
	}
	expect("test, another owner's", dave.postJSON("/api/v1/webhooks/"+hid+"/test", nil), http.StatusNotFound, "not_found")
	expect("test without a key", anon.postJSON("/api/v1/webhooks/"+hid+"/test", nil), http.StatusUnauthorized, "key_missing")
	expect("test, a parameter", carol.postJSON("/api/v1/webhooks/"+hid+"/test?now=1", nil), http.StatusBadRequest, "unknown_parameter")
	expect("test, too large", carol.postJSON("/api/v1/webhooks/"+hid+"/test", `{"`+strings.Repeat("x", 5<<10)+`":1}`), http.StatusRequestEntityTooLarge, "body_too_large")
	expect("test, cross-site with a session", carolBrowser.do(http.MethodPost, "/api/v1/webhooks/"+hid+"/test", "", nil, crossSite),
		http.StatusForbidden, "cross_origin")
	// An account sends 20 tests an hour; the first was sent above, and a
	// test of no endpoint of the account's counts none.
	for range 3 {
		expect("test, no such endpoint", carol.postJSON("/api/v1/webhooks/999/test", nil), http.StatusNotFound, "not_found")
	}
	for range 19 {
		expect("test again", carol.postJSON("/api/v1/webhooks/"+hid+"/test", nil), http.StatusAccepted, "")
	}
	expect("test, too many", carol.postJSON("/api/v1/webhooks/"+hid+"/test", nil), http.StatusTooManyRequests, "rate_limited")
	expect("deliveries, another owner's", dave.get("/api/v1/webhooks/"+hid+"/deliveries"), http.StatusNotFound, "not_found")
	expect("deliveries without a key", anon.get("/api/v1/webhooks/"+hid+"/deliveries"), http.StatusUnauthorized, "key_missing")
	expect("delete a webhook, another owner's", dave.do(http.MethodDelete, "/api/v1/webhooks/"+hid, "", nil, nil), http.StatusNotFound, "not_found")
	expect("delete a webhook without a key", anon.do(http.MethodDelete, "/api/v1/webhooks/"+hid, "", nil, nil), http.StatusUnauthorized, "key_missing")
	expect("delete a webhook, a body", carol.do(http.MethodDelete, "/api/v1/webhooks/"+hid, "application/json", strings.NewReader(`{"force":true}`), nil),
		http.StatusBadRequest, "unknown_field")
	expect("delete a webhook, too large", carol.do(http.MethodDelete, "/api/v1/webhooks/"+hid, "application/json", strings.NewReader(`{"`+strings.Repeat("x", 5<<10)+`":1}`), nil),
		http.StatusRequestEntityTooLarge, "body_too_large")
	expect("delete a webhook, compressed", carol.do(http.MethodDelete, "/api/v1/webhooks/"+hid, "application/json", strings.NewReader(`{}`), http.Header{"Content-Encoding": {"gzip"}}),
		http.StatusUnsupportedMediaType, "content_encoding")
	expect("delete a webhook", carol.do(http.MethodDelete, "/api/v1/webhooks/"+hid, "", nil, nil), http.StatusNoContent, "")
	expect("delete a webhook again", carol.do(http.MethodDelete, "/api/v1/webhooks/"+hid, "", nil, nil), http.StatusNotFound, "not_found")

	stream := ada.stream(t.Context())
	stream.close()
	expect("events without a key", anon.get("/api/v1/events"), http.StatusUnauthorized, "key_missing")

	// Each rate limit, on a server whose limits are one request.
	tight := newTestServer(t, check, func(c *core.Config) {
		c.Rates.API = core.Rate{N: 1, Per: time.Hour}
		c.Rates.Open = core.Rate{N: 1, Per: time.Hour}
	})
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/me"}, {http.MethodGet, "/api/v1/links"}, {http.MethodPost, "/api/v1/links"},
		{http.MethodGet, "/api/v1/links/1"}, {http.MethodGet, "/api/v1/links/1/events"},
		{http.MethodPost, "/api/v1/links/1/revoke"}, {http.MethodGet, "/api/v1/events"},
		{http.MethodPost, "/api/v1/requests"}, {http.MethodGet, "/api/v1/requests"},
		{http.MethodGet, "/api/v1/requests/1"}, {http.MethodPost, "/api/v1/requests/1/revoke"}, {http.MethodPost, "/api/v1/requests/open"},
		{http.MethodPost, "/api/v1/webhooks"}, {http.MethodGet, "/api/v1/webhooks"},
		{http.MethodDelete, "/api/v1/webhooks/1"}, {http.MethodGet, "/api/v1/webhooks/1/deliveries"},
		{http.MethodPost, "/api/v1/webhooks/1/rotate"}, {http.MethodPost, "/api/v1/webhooks/1/test"},
	} {
		c := tight.account("limited" + strings.NewReplacer("/", "-", "{", "", "}", "").Replace(r.method+r.path))
		c.get("/api/v1/me") // the one request allowed
		var res response
		if r.method == http.MethodPost && (strings.HasSuffix(r.path, "/revoke") || strings.HasSuffix(r.path, "/rotate") || strings.HasSuffix(r.path, "/test")) {
			res = c.postJSON(r.path, nil) // they take no body
		} else if r.method == http.MethodPost {
			res = c.postJSON(r.path, map[string]string{"kind": "message", "message": "x"})
		} else if r.method == http.MethodDelete {
			res = c.do(r.method, r.path, "", nil, nil)
		} else {
			res = c.get(r.path)
		}
		expect(r.method+" "+r.path+" over the limit", res, http.StatusTooManyRequests, "rate_limited")
		if res.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s: 429 without Retry-After", r.method, r.path)
		}
	}
	limitedLink := tight.account("owner").create(nil)
	opener := tight.client("")
	expect("open within the limit", opener.postJSON(openPath(limitedLink.URL), nil), http.StatusOK, "")
	expect("open over the limit", opener.postJSON(openPath(limitedLink.URL), nil), http.StatusTooManyRequests, "rate_limited")

	if missing := check.unseen(); len(missing) > 0 {
		t.Errorf("documented answers no request produced: %s", strings.Join(missing, ", "))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// stream is an open GET /api/v1/events.
type stream struct {
	res    *http.Response
	events chan map[string]any
	cancel context.CancelFunc
	done   chan struct{}
	// end is the code of the "end" event, once done is closed.
	end string
}

// stream opens the event stream of c's key, or of its browser's session
// without one, and reads its link events.
func (c *client) stream(ctx context.Context) *stream {
	c.t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.s.URL+"/api/v1/events", nil)
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	res, err := c.c.Do(req)
	if err != nil {
		cancel()
		c.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		c.t.Fatalf("event stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &stream{res: res, events: make(chan map[string]any, 16), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(s.events)
		sc := bufio.NewScanner(res.Body)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "link":
				var l map[string]any
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &l) == nil {
					s.events <- l
				}
			case strings.HasPrefix(line, "code: ") && event == "end":
				s.end = strings.TrimPrefix(line, "code: ")
			case line == "":
				event = ""
			}
		}
	}()
	return s
}

func (s *stream) close() {
	s.cancel()
	s.res.Body.Close()
	<-s.done
}

// next waits up to a second for a link event matching want.
func (s *stream) next(t *testing.T, want func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(time.Second)
	for {
		select {
		case l, ok := <-s.events:
			if !ok {
				t.Fatal("the event stream ended")
			}
			if want(l) {
				return l
			}
		case <-deadline:
			t.Fatal("no such link event within a second")
		}
	}
}

// ends waits up to five seconds for the server to end the stream, which
// what says.
func (s *stream) ends(t *testing.T, what string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("%s still runs", what)
		}
	}
}

func TestOpenIsExactlyOnce(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.RateLimits = false })
	l := s.account("ada").create(nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range 100 {
		wg.Go(func() {
			c := s.client("")
			res := c.postJSON(openPath(l.URL), nil)
			mu.Lock()
			statuses[res.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[http.StatusOK] != 1 || statuses[http.StatusGone] != 99 {
		t.Fatalf("100 concurrent opens of a one-use link: %v, want one 200 and 99 410s", statuses)
	}
}

// A link's uses are the same whichever door they go through.
func TestAPIAndBrowserShareUses(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	form := func(c *client, link string) int {
		res := c.do(http.MethodPost, strings.TrimPrefix(link, s.URL), "application/x-www-form-urlencoded", strings.NewReader(""), nil)
		return res.StatusCode
	}
	first := ada.create(nil)
	var got struct{ Kind, Message string }
	res := s.client("").postJSON(openPath(first.URL), nil)
	if json.Unmarshal(res.body, &got); res.StatusCode != http.StatusOK || got.Kind != "message" || got.Message != "a secret" {
		t.Fatalf("open through the API: %d %s", res.StatusCode, res.body)
	}
	if status := form(s.client(""), first.URL); status != http.StatusGone {
		t.Fatalf("a browser after the API opened it: %d, want 410", status)
	}
	second := ada.create(nil)
	if status := form(s.client(""), second.URL); status != http.StatusOK {
		t.Fatalf("a browser's open: %d", status)
	}
	if res := s.client("").postJSON(openPath(second.URL), nil); res.StatusCode != http.StatusGone || res.problem().Code != "link_gone" {
		t.Fatalf("the API after a browser opened it: %d %s", res.StatusCode, res.body)
	}
}

// A stream ends, with an "end" event, as soon as its key is revoked,
// rather than at its next heartbeat; the stream of another key goes on.
func TestStreamEndsWithItsKey(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ctx := t.Context()
	ada := s.account("ada")
	acc, err := s.svc.AccountByName(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.svc.CreateKey(ctx, acc.ID, "another", "never")
	if err != nil {
		t.Fatal(err)
	}
	kept := s.client(other.Secret).stream(ctx)
	defer kept.close()
	keys, err := s.svc.Keys(ctx, acc.ID)
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	ended := ada.stream(ctx)
	defer ended.close()
	for _, k := range keys {
		if k.ID != other.Key.ID {
			if _, err := s.svc.RevokeKey(ctx, acc.ID, k.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	select {
	case <-ended.done:
	case <-time.After(2 * time.Second):
		t.Fatal("the stream of a revoked key goes on")
	}
	if ended.end != core.ErrKeyRefused.Code {
		t.Fatalf("the stream of a revoked key ended with the code %q", ended.end)
	}
	s.client(other.Secret).create(map[string]any{"label": "after"})
	kept.next(t, func(l map[string]any) bool { return l["label"] == "after" })
}

// An account disabled where no event tells the server, as oncelink user
// disable does beside it on SQLite, gets no more of its links on a stream
// open with its key: the next one, the use of an open that came just
// before the disable and is told just after it, is an "end" instead.
func TestStreamStopsForAnAccountDisabledElsewhere(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ctx := t.Context()
	s.account("admin") // the one enabled administrator stays
	carol := s.account("carol")
	l := carol.create(nil)
	st := carol.stream(ctx)
	defer st.close()
	acc, err := s.svc.AccountByName(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.store.SetDisabled(ctx, acc.ID, true); err != nil {
		t.Fatal(err)
	}
	s.svc.Publish(ctx, live.Event{Owner: acc.ID, Link: l.ID, What: live.Used})
	select {
	case got, ok := <-st.events:
		if ok {
			t.Fatalf("the stream of a disabled account sent %v", got)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the stream of a disabled account goes on")
	}
	<-st.done
	if st.end != core.ErrKeyAccountDisabled.Code {
		t.Fatalf("the stream of a disabled account ended with the code %q", st.end)
	}
}

// A stream ends, with an "end" event, when its key expires, rather than
// at its next heartbeat.
func TestStreamEndsWhenItsKeyExpires(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ctx := t.Context()
	acc, err := s.svc.AddAccount(ctx, "ada", testPassword, false)
	if err != nil {
		t.Fatal(err)
	}
	// A key that lasts an hour, made an hour less a second ago.
	s.svc.Now = func() time.Time { return time.Now().Add(-time.Hour + time.Second) }
	k, err := s.svc.CreateKey(ctx, acc.ID, "short", "1h")
	s.svc.Now = time.Now
	if err != nil {
		t.Fatal(err)
	}
	st := s.client(k.Secret).stream(ctx)
	defer st.close()
	select {
	case <-st.done:
	case <-time.After(3 * time.Second):
		t.Fatal("the stream of an expired key goes on")
	}
}

// The document tells every line the event stream sends, the end among
// them, as the stream sends it, and the bounds on open streams as the
// core keeps them.
func TestEventStreamDocumented(t *testing.T) {
	op := newDocCheck(t).doc.Paths.Find("/api/v1/events").Get
	for _, line := range []string{"retry: 2000", "event: link", ": heartbeat", strings.TrimSpace(endEvent(core.ErrKeyAccountDisabled.Code)),
		"`" + core.ErrKeyRefused.Code + "` otherwise", "`" + core.ErrSignedOut.Code + "` otherwise",
		"at most " + strconv.Itoa(core.MaxStreams) + " event streams", "at most " + strconv.Itoa(core.MaxStreamsFromAddress) + " of them from one client address",
		"`too_many_streams`"} {
		if !strings.Contains(op.Description, line) {
			t.Errorf("GET /api/v1/events says nothing of %q", line)
		}
	}
}

// The key owner's stream shows an open within a second, with the link as
// the API shows it.
func TestEventsShowAnOpen(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	l := ada.create(map[string]any{"label": "wifi"})
	st := ada.stream(t.Context())
	defer st.close()
	if res := s.client("").postJSON(openPath(l.URL), nil); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	ev := st.next(t, func(m map[string]any) bool { return m["id"] == float64(l.ID) && m["status"] == "used" })
	if ev["label"] != "wifi" || ev["used_at"] == nil || ev["uses"] != float64(1) {
		t.Fatalf("the open's event: %v", ev)
	}
	// A link created elsewhere shows too.
	other := ada.create(map[string]any{"label": "second"})
	st.next(t, func(m map[string]any) bool { return m["id"] == float64(other.ID) && m["status"] == "active" })
}

// A revoke that changes nothing, of a link revoked already or used up
// longer ago than the grant (here none), tells the stream nothing either.
func TestRevokeOfADeadLinkIsNoEvent(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.GrantTTL = 0 })
	ada := s.account("ada")
	st := ada.stream(t.Context())
	defer st.close()
	used, revoked := ada.create(nil), ada.create(nil)
	if res := s.client("").postJSON(openPath(used.URL), nil); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	st.next(t, func(m map[string]any) bool { return m["id"] == float64(used.ID) && m["status"] == "used" })
	if res := ada.postJSON("/api/v1/links/"+itoa(revoked.ID)+"/revoke", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	st.next(t, func(m map[string]any) bool { return m["id"] == float64(revoked.ID) && m["status"] == "revoked" })
	for _, l := range []createdLink{used, revoked} {
		if res := ada.postJSON("/api/v1/links/"+itoa(l.ID)+"/revoke", nil); res.StatusCode != http.StatusOK {
			t.Fatalf("revoke a dead link: %d", res.StatusCode)
		}
	}
	after := ada.create(map[string]any{"label": "after"})
	st.next(t, func(m map[string]any) bool {
		if m["id"] != float64(after.ID) {
			t.Errorf("a revoke that changed nothing sent an event: %v", m)
		}
		return m["id"] == float64(after.ID)
	})
}

// A refused open, a wrong password or an attempt after the link ended,
// changes nothing of the link object, and sends the stream nothing: the
// link's events have it.
func TestRefusedOpenIsNoLinkEvent(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	st := ada.stream(t.Context())
	defer st.close()
	l := ada.create(map[string]any{"password": "open sesame"})
	st.next(t, func(m map[string]any) bool { return m["id"] == float64(l.ID) })
	anon := s.client("")
	if res := anon.postJSON(openPath(l.URL), map[string]any{"password": "not it"}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a wrong password: %d", res.StatusCode)
	}
	if res := anon.postJSON(openPath(l.URL), map[string]any{"password": "open sesame"}); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	st.next(t, func(m map[string]any) bool {
		if m["id"] == float64(l.ID) && m["status"] != "used" {
			t.Errorf("a wrong password sent an event: %v", m)
		}
		return m["id"] == float64(l.ID)
	})
	if res := anon.postJSON(openPath(l.URL), map[string]any{"password": "open sesame"}); res.StatusCode != http.StatusGone {
		t.Fatalf("open, used up: %d", res.StatusCode)
	}
	after := ada.create(map[string]any{"label": "after"})
	st.next(t, func(m map[string]any) bool {
		if m["id"] != float64(after.ID) {
			t.Errorf("a late attempt sent an event: %v", m)
		}
		return m["id"] == float64(after.ID)
	})
}

// A link used up within the grant can still be revoked: its opener's
// browser could show it again until then.
func TestRevokeAUsedUpLinkWithinTheGrant(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	l := ada.create(nil)
	if res := s.client("").postJSON(openPath(l.URL), nil); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	res := ada.postJSON("/api/v1/links/"+itoa(l.ID)+"/revoke", nil)
	var got struct {
		Status string `json:"status"`
		Uses   int    `json:"uses"`
	}
	if err := json.Unmarshal(res.body, &got); err != nil || res.StatusCode != http.StatusOK || got.Status != "revoked" || got.Uses != 1 {
		t.Fatalf("revoke a link used within the grant: %d %s", res.StatusCode, res.body)
	}
}

func TestFileRoundTrip(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	content := bytes.Repeat([]byte("oncelink\x00\x01\x02"), 30000) // several chunks
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("kind", "file")
	mw.WriteField("ttl", "1h")
	mw.WriteField("max_uses", "1")
	fw, _ := mw.CreateFormFile("file", "data.bin")
	fw.Write(content)
	mw.Close()
	res := ada.do(http.MethodPost, "/api/v1/links", mw.FormDataContentType(), &body, nil)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create a file link: %d %s", res.StatusCode, res.body)
	}
	var l createdLink
	json.Unmarshal(res.body, &l)
	if l.Kind != "file" {
		t.Fatalf("created %+v", l)
	}
	got := s.client("").postJSON(openPath(l.URL), nil)
	if got.StatusCode != http.StatusOK || !bytes.Equal(got.body, content) {
		t.Fatalf("open the file: %d, %d bytes, want %d", got.StatusCode, len(got.body), len(content))
	}
	if got.Header.Get("Oncelink-Kind") != "file" || !strings.HasPrefix(got.Header.Get("Content-Disposition"), `attachment; filename="data.bin"`) {
		t.Fatalf("headers of the file: %v", got.Header)
	}
}

// A TTL with a decimal fraction is read as the web form and the CLI read
// it: 1.5h is an hour and a half. A unit written twice, or in upper case,
// is no TTL, there as here.
func TestTTLWithAFraction(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	for ttl, want := range map[string]time.Duration{"1.5h": 90 * time.Minute, "0.25d": 6 * time.Hour, "1h0.5m": time.Hour + 30*time.Second} {
		if l := ada.create(map[string]any{"ttl": ttl}); l.ExpiresAt.Sub(l.CreatedAt) != want {
			t.Errorf("a link of %s lives %v, want %v", ttl, l.ExpiresAt.Sub(l.CreatedAt), want)
		}
	}
	for _, ttl := range []string{"1d1d", "1h30m1h", "1H", "7D"} {
		res := ada.postJSON("/api/v1/links", map[string]any{"kind": "message", "message": "x", "ttl": ttl})
		if p := res.problem(); res.StatusCode != http.StatusBadRequest || p.Code != "ttl_invalid" || p.Field != "ttl" {
			t.Errorf("a link of %s: %d %s, want 400 ttl_invalid", ttl, res.StatusCode, res.body)
		}
	}
}

// A password link opened without its password takes no use, and, since
// nothing was guessed, spends none of the tries a password has and adds
// nothing to the audit trail.
func TestPasswordNeededForTheAPI(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	l := ada.create(map[string]any{"password": "open sesame", "ttl": "1h"})
	// Its hour starts when it is made, after the password's hashing.
	if life := l.ExpiresAt.Sub(l.CreatedAt); life != time.Hour {
		t.Errorf("a password link of 1h lives %v", life)
	}
	anon := s.client("")
	for range 8 { // more than the tries a link password has
		res := anon.postJSON(openPath(l.URL), nil)
		if p := res.problem(); res.StatusCode != http.StatusForbidden || p.Code != "wrong_password" || p.Field != "password" ||
			p.Detail != core.ErrPasswordMissing.Msg {
			t.Fatalf("without the password: %d %s", res.StatusCode, res.body)
		}
	}
	var after link
	json.Unmarshal(ada.get("/api/v1/links/"+itoa(l.ID)).body, &after)
	if after.Uses != 0 || after.Status != "active" {
		t.Fatalf("after a refused open: %+v", after)
	}
	if trail := string(ada.get("/api/v1/links/" + itoa(l.ID) + "/events").body); strings.Contains(trail, "wrong_password") {
		t.Fatalf("opens without a password are in the audit trail: %s", trail)
	}
	// A password longer than any link has is bad input, as documented.
	res := anon.postJSON(openPath(l.URL), map[string]string{"password": strings.Repeat("p", core.MaxPasswordBytes+1)})
	if p := res.problem(); res.StatusCode != http.StatusBadRequest || p.Code != "password_too_long" || p.Field != "password" {
		t.Fatalf("a password of %d bytes: %d %s", core.MaxPasswordBytes+1, res.StatusCode, res.body)
	}
	if res := anon.postJSON(openPath(l.URL), map[string]string{"password": "open sesame"}); res.StatusCode != http.StatusOK {
		t.Fatalf("with the password: %d %s", res.StatusCode, res.body)
	}
	// So it is on a link without a password, whose use it does not take.
	plain := ada.create(nil)
	res = anon.postJSON(openPath(plain.URL), map[string]string{"password": strings.Repeat("p", core.MaxPasswordBytes+1)})
	if p := res.problem(); res.StatusCode != http.StatusBadRequest || p.Code != "password_too_long" {
		t.Fatalf("a password of %d bytes, to a link without one: %d %s", core.MaxPasswordBytes+1, res.StatusCode, res.body)
	}
	if res := anon.postJSON(openPath(plain.URL), nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the link after it: %d %s", res.StatusCode, res.body)
	}
}

// A multipart body's parts, for the boundary X of multipartX: part is a
// field, filePart a file, and lastPart closes the body.
const (
	multipartX = "multipart/form-data; boundary=X"
	lastPart   = "--X--\r\n"
)

func part(name, value string) string {
	return "--X\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n"
}

func filePart(name, fileName, value string) string {
	return "--X\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + fileName + "\"\r\n\r\n" + value + "\r\n"
}

// Bad input gets the problem's status, code and field, and makes nothing.
func TestBadCreatesChangeNothing(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	s.svc.AddAccount(t.Context(), "carol", testPassword, false)
	for _, tt := range []struct {
		name, body  string
		ctype       string
		status      int
		code, field string
	}{
		{"wrong type", `{"kind":"message","message":"x","max_uses":"2"}`, "", 400, "wrong_type", "max_uses"},
		{"unknown field", `{"kind":"message","message":"x","uses":2}`, "", 400, "unknown_field", "uses"},
		{"a field's name in capitals", `{"kind":"message","message":"visible","MESSAGE":"actual","TTL":"2h"}`, "", 400, "unknown_field", "MESSAGE"},
		{"a field's name in another case", `{"Kind":"message","message":"x"}`, "", 400, "unknown_field", "Kind"},
		{"a field given twice", `{"kind":"url","kind":"message","message":"x"}`, "", 400, "duplicate_field", "kind"},
		{"missing message", `{"kind":"message"}`, "", 400, "message_missing", "message"},
		{"missing url", `{"kind":"url"}`, "", 400, "url_missing", "url"},
		{"unknown kind", `{"kind":"poem","message":"x"}`, "", 400, "kind_unknown", "kind"},
		{"a kind with a space", `{"kind":" message","message":"x"}`, "", 400, "kind_unknown", "kind"},
		{"a kind in capitals", `{"kind":"URL","url":"https://example.com/"}`, "", 400, "kind_unknown", "kind"},
		{"a file link's kind with a space", part("kind", "file ") + filePart("file", "a.txt", "hello") + lastPart, multipartX, 400, "kind_unknown", "kind"},
		{"file without multipart", `{"kind":"file"}`, "", 400, "file_not_json", "kind"},
		{"a message with a URL link", `{"kind":"url","url":"https://example.com/","message":"kept nowhere"}`, "", 400, "not_for_kind", "message"},
		{"a URL with a message link", `{"kind":"message","message":"x","url":"https://example.com/"}`, "", 400, "not_for_kind", "url"},
		{"a URL with a message link by default", `{"message":"x","url":"https://example.com/"}`, "", 400, "not_for_kind", "url"},
		{"a message with a file link", part("kind", "file") + part("message", "kept nowhere") + filePart("file", "a.txt", "hello") + lastPart, multipartX, 400, "not_for_kind", "message"},
		{"a file with a message link", part("kind", "message") + part("message", "hi") + filePart("file", "a.txt", "kept nowhere") + lastPart, multipartX, 400, "not_for_kind", "file"},
		{"a file before its URL link's kind", filePart("file", "a.txt", "kept nowhere") + part("kind", "url") + part("url", "https://example.com/") + lastPart, multipartX, 400, "not_for_kind", "file"},
		{"ttl out of range", `{"kind":"message","message":"x","ttl":"90d"}`, "", 400, "ttl_out_of_range", "ttl"},
		{"ttl too short", `{"kind":"message","message":"x","ttl":"10s"}`, "", 400, "ttl_out_of_range", "ttl"},
		{"ttl with a fraction, out of range", `{"kind":"message","message":"x","ttl":"30.5d"}`, "", 400, "ttl_out_of_range", "ttl"},
		{"ttl with a fraction, too short", `{"kind":"message","message":"x","ttl":"0.1m"}`, "", 400, "ttl_out_of_range", "ttl"},
		{"ttl with a point and no fraction", `{"kind":"message","message":"x","ttl":"1.h"}`, "", 400, "ttl_invalid", "ttl"},
		{"uses out of range", `{"kind":"message","message":"x","max_uses":101}`, "", 400, "max_uses_out_of_range", "max_uses"},
		{"no uses", `{"kind":"message","message":"x","max_uses":0}`, "", 400, "max_uses_out_of_range", "max_uses"},
		{"empty ttl", `{"kind":"message","message":"x","ttl":""}`, "", 400, "ttl_invalid", "ttl"},
		{"70 KiB message", `{"kind":"message","message":"` + strings.Repeat("x", 70<<10) + `"}`, "", 400, "message_too_long", "message"},
		{"long label", `{"kind":"message","message":"x","label":"` + strings.Repeat("é", 101) + `"}`, "", 400, "label_too_long", "label"},
		{"NUL in a label", `{"kind":"message","message":"x","label":"a\u0000b"}`, "", 400, "label_invalid", "label"},
		{"a tab in a label", `{"kind":"message","message":"x","label":"a\tb"}`, "", 400, "label_one_line", "label"},
		{"a line break in a label", `{"kind":"message","message":"x","label":"a\nb"}`, "", 400, "label_one_line", "label"},
		{"a line separator in a label", `{"kind":"message","message":"x","label":"a\u2028b"}`, "", 400, "label_one_line", "label"},
		{"a paragraph separator in a label", `{"kind":"message","message":"x","label":"a\u2029b"}`, "", 400, "label_one_line", "label"},
		{"message not UTF-8", "{\"kind\":\"message\",\"message\":\"a\xffb\"}", "", 400, "message_invalid", "message"},
		{"message with half a surrogate pair", `{"kind":"message","message":"a\ud83db"}`, "", 400, "message_invalid", "message"},
		{"message with a lone low surrogate", `{"kind":"message","message":"\ude00"}`, "", 400, "message_invalid", "message"},
		{"label not UTF-8", "{\"kind\":\"message\",\"message\":\"x\",\"label\":\"\xc3\"}", "", 400, "label_invalid", "label"},
		{"password not UTF-8", "{\"kind\":\"message\",\"message\":\"x\",\"password\":\"p\xe9\"}", "", 400, "not_text", "password"},
		{"unknown account", `{"kind":"message","message":"x","for_user":"nobody"}`, "", 400, "for_user_unknown", "for_user"},
		{"javascript url", `{"kind":"url","url":"javascript:alert(1)"}`, "", 400, "url_invalid", "url"},
		{"a port past 65535", `{"kind":"url","url":"http://1.2.3.4:99999/"}`, "", 400, "url_invalid", "url"},
		{"port zero", `{"kind":"url","url":"example.com:0"}`, "", 400, "url_invalid", "url"},
		{"bad JSON", `{"kind":`, "", 400, "bad_json", ""},
		{"two values", `{"kind":"message","message":"x"}{}`, "", 400, "bad_json", ""},
		{"an array", `[]`, "", 400, "wrong_type", ""},
		{"null", `null`, "", 400, "wrong_type", ""},
		{"null uses", `{"kind":"message","message":"x","max_uses":null}`, "", 400, "wrong_type", "max_uses"},
		{"null ttl", `{"kind":"message","message":"x","ttl":null}`, "", 400, "wrong_type", "ttl"},
		{"ttl past any bound", `{"kind":"message","message":"x","ttl":"2562047h"}`, "", 400, "ttl_out_of_range", "ttl"},
		{"form body", `kind=message&message=x`, "application/x-www-form-urlencoded", 415, "not_json", ""},
		{"no content type", `{"kind":"message","message":"x"}`, "-", 415, "not_json", ""},
		{"multipart without its boundary", "x", "multipart/form-data", 400, "unreadable_form", ""},
		{"notify neither true nor false", part("message", "hi") + part("notify", "maybe") + lastPart, multipartX, 400, "wrong_type", "notify"},
		{"multipart that is not multipart", "x", "multipart/form-data; boundary=zz", 400, "unreadable_form", ""},
		{"multipart cut off before its closing boundary", part("kind", "message") + part("message", "hi") + "--X", multipartX, 400, "unreadable_form", ""},
		{"multipart ttl empty", part("kind", "message") + part("message", "hi") + part("ttl", "") + lastPart, multipartX, 400, "ttl_invalid", "ttl"},
		{"multipart uses empty", part("kind", "message") + part("message", "hi") + part("max_uses", "") + lastPart, multipartX, 400, "wrong_type", "max_uses"},
		{"multipart uses not a number", part("kind", "message") + part("message", "hi") + part("max_uses", "abc") + lastPart, multipartX, 400, "wrong_type", "max_uses"},
		{"multipart uses a fraction", part("kind", "message") + part("message", "hi") + part("max_uses", "1.5") + lastPart, multipartX, 400, "wrong_type", "max_uses"},
		{"multipart uses with a space", part("kind", "message") + part("message", "hi") + part("max_uses", " 2") + lastPart, multipartX, 400, "wrong_type", "max_uses"},
		{"multipart uses with a plus sign", part("kind", "message") + part("message", "hi") + part("max_uses", "+2") + lastPart, multipartX, 400, "wrong_type", "max_uses"},
		{"multipart uses with a trailing space", part("kind", "message") + part("message", "hi") + part("max_uses", "2 ") + lastPart, multipartX, 400, "wrong_type", "max_uses"},
		{"multipart uses with a line break", part("kind", "message") + part("message", "hi") + part("max_uses", "2\n") + lastPart, multipartX, 400, "wrong_type", "max_uses"},
		{"multipart uses with a point", part("kind", "message") + part("message", "hi") + part("max_uses", "2.0") + lastPart, multipartX, 400, "wrong_type", "max_uses"},
		{"multipart uses with an exponent", part("kind", "message") + part("message", "hi") + part("max_uses", "2e0") + lastPart, multipartX, 400, "wrong_type", "max_uses"},
		{"multipart uses in hexadecimal", part("kind", "message") + part("message", "hi") + part("max_uses", "0x2") + lastPart, multipartX, 400, "wrong_type", "max_uses"},
		{"multipart uses in other digits", part("kind", "message") + part("message", "hi") + part("max_uses", "٢") + lastPart, multipartX, 400, "wrong_type", "max_uses"},
		{"multipart uses with an underscore", part("kind", "message") + part("message", "hi") + part("max_uses", "1_0") + lastPart, multipartX, 400, "wrong_type", "max_uses"},
		{"multipart uses a lone minus sign", part("kind", "message") + part("message", "hi") + part("max_uses", "-") + lastPart, multipartX, 400, "wrong_type", "max_uses"},
		{"multipart uses below zero", part("kind", "message") + part("message", "hi") + part("max_uses", "-2") + lastPart, multipartX, 400, "max_uses_out_of_range", "max_uses"},
		{"multipart notify empty", part("kind", "message") + part("message", "hi") + part("notify", "") + lastPart, multipartX, 400, "wrong_type", "notify"},
		{"multipart notify with a space", part("kind", "message") + part("message", "hi") + part("notify", "true ") + lastPart, multipartX, 400, "wrong_type", "notify"},
		{"multipart uses out of range", part("kind", "message") + part("message", "hi") + part("max_uses", "101") + lastPart, multipartX, 400, "max_uses_out_of_range", "max_uses"},
		{"multipart no uses", part("kind", "message") + part("message", "hi") + part("max_uses", "0") + lastPart, multipartX, 400, "max_uses_out_of_range", "max_uses"},
		{"multipart uses past any integer", part("kind", "message") + part("message", "hi") + part("max_uses", "99999999999999999999") + lastPart, multipartX, 400, "max_uses_out_of_range", "max_uses"},
		{"multipart field misspelt", part("kind", "message") + part("message", "hi") + part("max_use", "5") + lastPart, multipartX, 400, "unknown_field", "max_use"},
		{"a multipart field given twice", part("kind", "message") + part("message", "seen") + part("message", "meant") + lastPart, multipartX, 400, "duplicate_field", "message"},
		{"multipart message not UTF-8", part("kind", "message") + part("message", "a\xffb") + lastPart, multipartX, 400, "message_invalid", "message"},
	} {
		ct := tt.ctype
		switch ct {
		case "":
			ct = "application/json"
		case "-":
			ct = ""
		}
		res := ada.do(http.MethodPost, "/api/v1/links", ct, strings.NewReader(tt.body), nil)
		p := res.problem()
		if res.StatusCode != tt.status || p.Code != tt.code || p.Field != tt.field || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %+v, want %d %s %q", tt.name, res.StatusCode, p, tt.status, tt.code, tt.field)
		}
	}
	var list struct{ Links []link }
	json.Unmarshal(ada.get("/api/v1/links").body, &list)
	if len(list.Links) != 0 {
		t.Fatalf("refused creates made %d links", len(list.Links))
	}

	// A value of the wrong type is told in JSON's words.
	for body, want := range map[string]string{
		`{"kind":"message","message":"x","max_uses":"2"}`:  "The field max_uses must be a whole number, not a string.",
		`{"kind":"message","message":"x","max_uses":[2]}`:  "The field max_uses must be a whole number, not an array.",
		`{"kind":"message","message":-1}`:                  "The field message must be a string, not a number.",
		`{"kind":"message","message":"x","max_uses":1.5}`:  "The field max_uses must be a whole number such as 3, not a fraction or a number that large.",
		`{"kind":"message","message":"x","max_uses":1e99}`: "The field max_uses must be a whole number such as 3, not a fraction or a number that large.",
		`"a string"`: "The body must be an object, not a string.",
	} {
		res := ada.do(http.MethodPost, "/api/v1/links", "application/json", strings.NewReader(body), nil)
		if p := res.problem(); p.Detail != want {
			t.Errorf("%s: %q, want %q", body, p.Detail, want)
		}
	}
	res := ada.do(http.MethodPost, "/api/v1/webhooks", "application/json", strings.NewReader(`{"url":"https://hooks.example.com/x","events":"link.opened"}`), nil)
	if p := res.problem(); p.Detail != "The field events must be an array, not a string." {
		t.Errorf("events as a string: %q", p.Detail)
	}
	// The words of a refused body say what the route takes.
	for path, want := range map[string]string{
		"/api/v1/links":    "Send the body as application/json (or, to share a file, as multipart/form-data).",
		"/api/v1/requests": "Send the body as application/json.",
	} {
		if p := ada.do(http.MethodPost, path, "text/plain", strings.NewReader("x"), nil).problem(); p.Detail != want {
			t.Errorf("%s as text: %q, want %q", path, p.Detail, want)
		}
	}
	// A form's values are all strings: the words for one neither true nor
	// false say so without calling it the wrong type.
	notify := part("message", "hi") + part("notify", "maybe") + lastPart
	for lang, want := range map[string]string{"en": "The field notify must be true or false, or be left out.",
		"de": "Das Feld notify muss true oder false sein oder wegbleiben."} {
		res := ada.do(http.MethodPost, "/api/v1/links", multipartX, strings.NewReader(notify), http.Header{"Accept-Language": {lang}})
		if p := res.problem(); p.Detail != want {
			t.Errorf("notify=maybe in %s: %q, want %q", lang, p.Detail, want)
		}
	}
	// So do the words for uses that are not a whole number, sent empty
	// too.
	for _, uses := range []string{"abc", ""} {
		body := part("message", "hi") + part("max_uses", uses) + lastPart
		for lang, want := range map[string]string{"en": "The field max_uses must be a whole number such as 3, or be left out.",
			"de": "Das Feld max_uses muss eine ganze Zahl wie 3 sein oder wegbleiben."} {
			res := ada.do(http.MethodPost, "/api/v1/links", multipartX, strings.NewReader(body), http.Header{"Accept-Language": {lang}})
			if p := res.problem(); p.Detail != want {
				t.Errorf("max_uses=%q in %s: %q, want %q", uses, lang, p.Detail, want)
			}
		}
	}
	if p := ada.do(http.MethodPost, "/api/v1/links", "multipart/form-data", strings.NewReader("x"), nil).problem(); strings.Contains(p.Detail, "Reload the page") {
		t.Errorf("multipart without its boundary: %q", p.Detail)
	}
	res = ada.do(http.MethodPost, "/api/v1/webhooks", "application/json", strings.NewReader(`{"url":"https://hooks.example.com/x","events":[1]}`), nil)
	if p := res.problem(); p.Detail != "Each item of the field events must be a string, not a number." || p.Field != "events" {
		t.Errorf("events holding a number: %+v", p)
	}
}

// Every body's keys are its fields' names exactly: one in another case is
// an unknown field, which encoding/json alone would take for the field.
func TestFieldNamesAreExact(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	l := ada.create(nil)
	for _, tt := range []struct{ path, body, field string }{
		{"/api/v1/links", `{"kind":"message","message":"x","Label":"y"}`, "Label"},
		{openPath(l.URL), `{"Password":"x"}`, "Password"},
		{"/api/v1/requests", `{"accepts":"text","NOTE":"y"}`, "NOTE"},
		{"/api/v1/requests/open", `{"Token":"x"}`, "Token"},
		{"/api/v1/webhooks", `{"url":"https://hooks.example.com/x","Events":["link.opened"]}`, "Events"},
	} {
		res := ada.postJSON(tt.path, tt.body)
		if p := res.problem(); res.StatusCode != http.StatusBadRequest || p.Code != "unknown_field" || p.Field != tt.field {
			t.Errorf("%s %s: %d %+v, want unknown_field %s", tt.path, tt.body, res.StatusCode, p, tt.field)
		}
	}
	if got := ada.get("/api/v1/links/" + itoa(l.ID)); !strings.Contains(string(got.body), `"uses":0`) {
		t.Errorf("a refused open took a use: %s", got.body)
	}
}

func TestListPagesWithACursor(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	for i := range 5 {
		ada.create(map[string]any{"label": "link " + itoa(int64(i))})
	}
	var ids []int64
	cursor := ""
	for pages := 0; ; pages++ {
		q := url.Values{"limit": {"2"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Links      []link
			NextCursor *string `json:"next_cursor"`
		}
		res := ada.get("/api/v1/links?" + q.Encode())
		if err := json.Unmarshal(res.body, &page); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("page %d: %d %s", pages, res.StatusCode, res.body)
		}
		for _, l := range page.Links {
			ids = append(ids, l.ID)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	if len(ids) != 5 || ids[0] != 5 || ids[4] != 1 {
		t.Fatalf("pages gave %v, want 5 to 1", ids)
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "limit=%2B5", "limit=5.0", "limit=%205", "cursor=abc", "q=" + strings.Repeat("x", 101)} {
		if res := ada.get("/api/v1/links?" + q); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", q, res.StatusCode)
		}
	}
	// A limit that is no whole number is of the wrong type, as a number
	// anywhere else is; a whole one out of bounds is out of range.
	for q, code := range map[string]string{"limit=abc": "wrong_type", "limit=5.0": "wrong_type", "limit=%2B5": "wrong_type",
		"limit=0": "limit_out_of_range", "limit=-3": "limit_out_of_range", "limit=101": "limit_out_of_range"} {
		for _, list := range []string{"/api/v1/links?", "/api/v1/requests?"} {
			res := ada.get(list + q)
			if p := res.problem(); res.StatusCode != http.StatusBadRequest || p.Code != code || p.Field != "limit" || p.Detail == "" {
				t.Errorf("%s%s: %d %s, want 400 %s of the field limit", list, q, res.StatusCode, res.body, code)
			}
		}
	}
}

// A key stops working at once when revoked, when it expires and when its
// account is disabled.
func TestKeysStop(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ctx := t.Context()
	a, _ := s.svc.AddAccount(ctx, "ada", testPassword, false)
	newKey := func(expires string) *client {
		k, err := s.svc.CreateKey(ctx, a.ID, "k", expires)
		if err != nil {
			t.Fatal(err)
		}
		return s.client(k.Secret)
	}
	revoked := newKey("never")
	if res := revoked.get("/api/v1/me"); res.StatusCode != http.StatusOK {
		t.Fatalf("a new key: %d", res.StatusCode)
	}
	keys, _ := s.svc.Keys(ctx, a.ID)
	if keys[0].LastUsedAt.IsZero() {
		t.Fatal("a used key has no last use")
	}
	s.svc.RevokeKey(ctx, a.ID, keys[0].ID)
	if res := revoked.get("/api/v1/me"); res.StatusCode != http.StatusUnauthorized || res.problem().Code != "key_refused" {
		t.Fatalf("a revoked key: %d %s", res.StatusCode, res.body)
	}
	expiring := newKey("1h")
	s.svc.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if res := expiring.get("/api/v1/me"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an expired key: %d", res.StatusCode)
	}
	// The clock stays two hours on: turned back, it would find the
	// client's bucket of refused keys owing those two hours.
	live := newKey("never")
	if _, _, err := s.svc.SetDisabled(ctx, nil, a.ID, true); err != nil {
		t.Fatal(err)
	}
	// Its holder is told why: a new key would not help.
	if res := live.get("/api/v1/me"); res.StatusCode != http.StatusUnauthorized || res.problem().Code != "account_disabled" {
		t.Fatalf("a disabled account's key: %d %s", res.StatusCode, res.body)
	}
	if strings.Contains(s.logs.String(), "ol_") {
		t.Fatal("a key reached the log")
	}
}

// TestAttemptOnADeadLinkIsAnEvent: an open after the link is used up is
// refused with 410 and shows in the link's events as "gone".
func TestAttemptOnADeadLinkIsAnEvent(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	l := ada.create(nil)
	anon := s.client("")
	anon.postJSON(openPath(l.URL), nil)
	if res := anon.postJSON(openPath(l.URL), nil); res.StatusCode != http.StatusGone {
		t.Fatalf("open, used up: %d", res.StatusCode)
	}
	var got struct {
		Events []struct{ Kind, IP string } `json:"events"`
	}
	if err := json.Unmarshal([]byte(ada.get("/api/v1/links/"+itoa(l.ID)+"/events").body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 2 || got.Events[0].Kind != "open" || got.Events[1].Kind != "gone" || got.Events[1].IP == "" {
		t.Fatalf("events: %+v", got.Events)
	}
}

// TestAddressWithoutSchemeGetsHTTPS: the API shares a web address given
// without its scheme with https://, as the form does.
// A message arrives as it was sent, escapes and all: a surrogate pair, an
// escaped backslash before a u, and U+FFFD itself are text.
func TestMessageArrivesAsSent(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	res := s.account("ada").postJSON("/api/v1/links", `{"kind":"message","message":"\ud83d\ude00 \\ud800 \ufffd \u00e9 ß"}`)
	var l createdLink
	if err := json.Unmarshal(res.body, &l); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, res.body)
	}
	var got struct{ Message string }
	json.Unmarshal(s.client("").postJSON(openPath(l.URL), nil).body, &got)
	if want := "😀 \\ud800 \ufffd é ß"; got.Message != want {
		t.Fatalf("opened %q, want %q", got.Message, want)
	}
}

func TestAddressWithoutSchemeGetsHTTPS(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	l := s.account("ada").create(map[string]any{"kind": "url", "url": "example.com/a"})
	res := s.client("").postJSON(openPath(l.URL), nil)
	var got struct{ URL string }
	if err := json.Unmarshal(res.body, &got); err != nil || got.URL != "https://example.com/a" {
		t.Fatalf("open: %d %s", res.StatusCode, res.body)
	}
}

// TestOtherHostsAreMisdirected: the API, too, answers only its own host,
// with a 421 problem.
func TestOtherHostsAreMisdirected(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	// Through a client that checks the answers against the document, the
	// document's own route too.
	anon := s.client("")
	for _, route := range []struct{ method, path string }{{http.MethodPost, "/api/v1/open/x"}, {http.MethodGet, "/api/v1/openapi.json"}} {
		req, err := http.NewRequest(route.method, s.URL+route.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "rebind.example"
		res, err := anon.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p problem
		err = json.NewDecoder(res.Body).Decode(&p)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusMisdirectedRequest || p.Code != "other_host" || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s for another host: %d %+v %q", route.path, res.StatusCode, p, res.Header.Get("Content-Type"))
		}
	}
}

// publicResolver resolves every name to a public address (one of the
// documentation ranges would be refused), without asking a DNS server.
type publicResolver struct{}

func (publicResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
}

// TestRefusedKeysAreLimitedPerClient: a client whose keys are refused
// (unknown, revoked) as often as its limit allows is answered 429 with
// Retry-After, a working key too, until a turn comes back; a working key
// takes no turn, and the client's browser session is not held back.
func TestRefusedKeysAreLimitedPerClient(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.Rates.APIKeyClient = core.Rate{N: 3, Per: 3 * time.Minute} })
	ctx := t.Context()
	ada := s.account("ada")
	for i := range 5 {
		if res := ada.get("/api/v1/me"); res.StatusCode != http.StatusOK {
			t.Fatalf("working key, request %d: %d %s", i+1, res.StatusCode, res.body)
		}
	}
	a, _ := s.svc.AccountByName(ctx, "ada")
	k, err := s.svc.CreateKey(ctx, a.ID, "revoked", "never")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.RevokeKey(ctx, a.ID, k.Key.ID); err != nil {
		t.Fatal(err)
	}
	refused := []*client{s.client("ol_" + strings.Repeat("A", 43)), s.client(k.Secret), s.client("ol_guess")}
	for i, c := range refused {
		wantProblem(t, fmt.Sprintf("refused key %d", i+1), c.get("/api/v1/me"), http.StatusUnauthorized, "key_refused")
	}
	res := refused[0].get("/api/v1/me")
	wantProblem(t, "a key after the limit", res, http.StatusTooManyRequests, "rate_limited")
	if res.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	wantProblem(t, "a working key after the limit", ada.get("/api/v1/me"), http.StatusTooManyRequests, "rate_limited")
	if session := s.client(""); session.signIn("ada") != "/links" || session.me() != "ada" {
		t.Error("the client's browser session was held back")
	}
	// A turn comes back a minute on.
	s.svc.Now = func() time.Time { return time.Now().Add(time.Minute + time.Second) }
	if res := ada.get("/api/v1/me"); res.StatusCode != http.StatusOK {
		t.Errorf("a working key once a turn is back: %d %s", res.StatusCode, res.body)
	}
}

// TestOpensOfUnknownTokensAreLimited: an open of a token of this server's
// whose link is gone for good takes the client's open turn as a dead
// link's does: 404 until 429 with Retry-After. A forged token is refused
// at once, without the database, and takes no turn.
func TestOpensOfUnknownTokensAreLimited(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.Rates.Open = core.Rate{N: 2, Per: time.Hour} })
	key, err := s.store.Secret(t.Context(), "token-key", token.KeyLen)
	if err != nil {
		t.Fatal(err)
	}
	anon := s.client("")
	forged, unissued := strings.Repeat("A", 43), token.New(token.NewKey(key)).String()
	for range 4 {
		wantProblem(t, "a forged token", anon.postJSON("/api/v1/open/"+forged, nil), http.StatusNotFound, "not_found")
	}
	wantProblem(t, "an unissued token", anon.postJSON("/api/v1/open/"+unissued, nil), http.StatusNotFound, "not_found")
	wantProblem(t, "an unissued token", anon.postJSON("/api/v1/open/"+unissued, nil), http.StatusNotFound, "not_found")
	res := anon.postJSON("/api/v1/open/"+unissued, nil)
	wantProblem(t, "an unissued token over the limit", res, http.StatusTooManyRequests, "rate_limited")
	if res.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

// TestCreatedNamesItsAddress: a 201 names what it created in Location, the
// address a script reads it back at (RFC 9110: without one, the address
// posted to would be the new thing's), for a link sent as JSON or as a
// form, a request and a webhook endpoint alike.
func TestCreatedNamesItsAddress(t *testing.T) {
	check := newDocCheck(t)
	s := newTestServer(t, check, func(c *core.Config) { c.Resolver = publicResolver{} })
	ada := s.account("ada")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("kind", "file")
	fw, _ := mw.CreateFormFile("file", "notes.txt")
	fw.Write([]byte("the notes"))
	mw.Close()
	for _, c := range []struct {
		what, list string
		res        response
		readable   bool
	}{
		{"a link", "/api/v1/links", ada.postJSON("/api/v1/links", map[string]any{"kind": "message", "message": "hi"}), true},
		{"a file link", "/api/v1/links", ada.do(http.MethodPost, "/api/v1/links", mw.FormDataContentType(), &body, nil), true},
		{"a request", "/api/v1/requests", ada.postJSON("/api/v1/requests", map[string]any{"label": "vpn"}), true},
		{"a webhook", "/api/v1/webhooks", ada.postJSON("/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/in", "events": []string{"link.opened"}}), false},
	} {
		if c.res.StatusCode != http.StatusCreated {
			t.Fatalf("create %s: %d %s", c.what, c.res.StatusCode, c.res.body)
		}
		var created struct {
			ID int64 `json:"id"`
		}
		json.Unmarshal(c.res.body, &created)
		want := c.list + "/" + itoa(created.ID)
		if got := c.res.Header.Get("Location"); got != want {
			t.Errorf("create %s: Location %q, want %q", c.what, got, want)
			continue
		}
		if !c.readable {
			continue
		}
		again := ada.get(want)
		var read struct {
			ID int64 `json:"id"`
		}
		json.Unmarshal(again.body, &read)
		if again.StatusCode != http.StatusOK || read.ID != created.ID {
			t.Errorf("GET %s after creating %s: %d %s", want, c.what, again.StatusCode, again.body)
		}
	}
}

// TestRefusedKeyChallenge: a 401 challenges for a bearer key, and says
// why as RFC 6750 does: no error without any key, invalid_token for a key
// that is unknown, expired or revoked, so that a client tells "sign in"
// from "get a new key" without reading the problem.
func TestRefusedKeyChallenge(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	for _, c := range []struct {
		what, key, want string
	}{
		{"no key", "", `Bearer realm="oncelink"`},
		{"an unknown key", "ol_" + strings.Repeat("A", 43), `Bearer realm="oncelink", error="invalid_token"`},
		{"not a key", "not-a-key", `Bearer realm="oncelink", error="invalid_token"`},
	} {
		res := s.client(c.key).get("/api/v1/me")
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s: %d %s", c.what, res.StatusCode, res.body)
		}
		if got := res.Header.Get("WWW-Authenticate"); got != c.want {
			t.Errorf("%s: WWW-Authenticate %q, want %q", c.what, got, c.want)
		}
	}
}

// TestTTLPatternAsTheServerReadsIt: the document's pattern for a TTL
// takes what the server takes and refuses what it refuses as no duration,
// so that a client that checks its input against the document is not
// refused after all. (A unit given twice, as in 1d1d, is refused too; the
// description says so, since a pattern cannot.)
func TestTTLPatternAsTheServerReadsIt(t *testing.T) {
	check := newDocCheck(t)
	pattern, err := regexp.Compile(check.doc.Components.Schemas["TTL"].Value.Pattern)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, check)
	ada := s.account("ada")
	for _, ttl := range []string{"90s", "15m", "2h", "7d", "1w", "1d12h", "30m1h", "1.5h", " 2h ", "1H", "7D", "2W", "1h30M", "h", "1.h", "-1h", "1 h"} {
		res := ada.postJSON("/api/v1/links", map[string]any{"kind": "message", "message": "x", "ttl": ttl})
		taken := res.StatusCode == http.StatusCreated
		if !taken && res.problem().Code != "ttl_invalid" {
			t.Fatalf("ttl %q: %d %s", ttl, res.StatusCode, res.body)
		}
		if matched := pattern.MatchString(ttl); matched != taken {
			t.Errorf("ttl %q: the server takes it: %v; the document's pattern matches it: %v", ttl, taken, matched)
		}
	}
}

// TestWholeNumberHoweverWritten: max_uses is a JSON Schema integer, which
// any number of no fractional part is, however it is written: 2.0 and 2e0
// are 2, as a client that keeps its numbers as floats (Python's json, for
// one) sends them. A fraction or a string is still refused.
func TestWholeNumberHoweverWritten(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	for body, want := range map[string]int{`2.0`: 2, `2e0`: 2, `1E1`: 10, `100.000`: 100, `3`: 3} {
		res := ada.do(http.MethodPost, "/api/v1/links", "application/json",
			strings.NewReader(`{"kind":"message","message":"x","max_uses":`+body+`}`), nil)
		var l createdLink
		json.Unmarshal(res.body, &l)
		if res.StatusCode != http.StatusCreated || l.MaxUses != want {
			t.Errorf("max_uses %s: %d %s, want a link of %d uses", body, res.StatusCode, res.body, want)
		}
	}
	// A form writes a number as digits only, as the web form's does.
	for value, want := range map[string]int{"2": 2, "002": 2, "100": 100} {
		res := ada.do(http.MethodPost, "/api/v1/links", multipartX,
			strings.NewReader(part("kind", "message")+part("message", "x")+part("max_uses", value)+lastPart), nil)
		var l createdLink
		json.Unmarshal(res.body, &l)
		if res.StatusCode != http.StatusCreated || l.MaxUses != want {
			t.Errorf("multipart max_uses %q: %d %s, want a link of %d uses", value, res.StatusCode, res.body, want)
		}
	}
	for body, code := range map[string]string{`2.5`: "wrong_type", `1e-1`: "wrong_type", `1e99`: "wrong_type", `"2"`: "wrong_type",
		`101.0`: "max_uses_out_of_range", `0.0`: "max_uses_out_of_range", `-1e0`: "max_uses_out_of_range"} {
		res := ada.do(http.MethodPost, "/api/v1/links", "application/json",
			strings.NewReader(`{"kind":"message","message":"x","max_uses":`+body+`}`), nil)
		if p := res.problem(); res.StatusCode != http.StatusBadRequest || p.Code != code || p.Field != "max_uses" {
			t.Errorf("max_uses %s: %d %+v, want 400 %s", body, res.StatusCode, p, code)
		}
	}
}

// TestE2EOffIsAnOrdinaryLink: a multipart create's e2e sent as a box
// left unticked sends it makes an ordinary link, as the document says.
func TestE2EOffIsAnOrdinaryLink(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	for _, off := range []string{"0", "false", "off", ""} {
		res := ada.do(http.MethodPost, "/api/v1/links", multipartX,
			strings.NewReader(part("kind", "message")+part("message", "x")+part("e2e", off)+lastPart), nil)
		var l createdLink
		json.Unmarshal(res.body, &l)
		if res.StatusCode != http.StatusCreated || l.E2E {
			t.Errorf("multipart e2e %q: %d %s, want an ordinary link", off, res.StatusCode, res.body)
		}
	}
}

// TestAccountStorageFull: a link past the account's --account-storage is
// 413 account_storage_full about its content's field, whose detail says
// what the account keeps and the bound, and makes nothing; revoking a link
// frees its space.
func TestAccountStorageFull(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.AccountStorage = 100 })
	ada := s.account("ada")
	first := ada.create(map[string]any{"message": strings.Repeat("a", 60)})
	full := func(what string, res response, field string) {
		t.Helper()
		p := res.problem()
		if res.StatusCode != http.StatusRequestEntityTooLarge || p.Code != "account_storage_full" || p.Field != field ||
			!strings.Contains(p.Detail, "60 bytes of the 100 bytes") {
			t.Fatalf("%s: %d %s", what, res.StatusCode, res.body)
		}
	}
	full("a message", ada.postJSON("/api/v1/links", map[string]any{"kind": "message", "message": strings.Repeat("b", 41), "ttl": "1h"}), "message")
	full("a web address", ada.postJSON("/api/v1/links", map[string]any{"kind": "url", "url": "https://example.com/" + strings.Repeat("c", 30), "ttl": "1h"}), "url")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("kind", "file")
	mw.WriteField("ttl", "1h")
	fw, _ := mw.CreateFormFile("file", "data.bin")
	fw.Write(bytes.Repeat([]byte("d"), 41))
	mw.Close()
	form := body.Bytes()
	full("a file", ada.do(http.MethodPost, "/api/v1/links", mw.FormDataContentType(), bytes.NewReader(form), nil), "file")
	if ids := ada.linkIDs(); len(ids) != 1 {
		t.Fatalf("links after the refusals: %v", ids)
	}
	if res := ada.postJSON("/api/v1/links/"+itoa(first.ID)+"/revoke", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d %s", res.StatusCode, res.body)
	}
	if res := ada.do(http.MethodPost, "/api/v1/links", mw.FormDataContentType(), bytes.NewReader(form), nil); res.StatusCode != http.StatusCreated {
		t.Fatalf("the file once the first link is revoked: %d %s", res.StatusCode, res.body)
	}
}

// TestMeTellsStorage: /api/v1/me says what the account's links keep and
// the bound on it, in bytes, as its Settings page does, and follows them.
func TestMeTellsStorage(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.AccountStorage = 100 })
	ada := s.account("ada")
	bob := s.account("bob")
	storage := func(c *client) (used, limit int64) {
		t.Helper()
		var me struct {
			Used  *int64 `json:"storage_used"`
			Limit *int64 `json:"storage_limit"`
		}
		res := c.get("/api/v1/me")
		if err := json.Unmarshal(res.body, &me); err != nil || res.StatusCode != http.StatusOK || me.Used == nil || me.Limit == nil {
			t.Fatalf("me: %d %s", res.StatusCode, res.body)
		}
		return *me.Used, *me.Limit
	}
	if used, limit := storage(ada); used != 0 || limit != 100 {
		t.Fatalf("before any link: %d of %d, want 0 of 100", used, limit)
	}
	l := ada.create(map[string]any{"message": strings.Repeat("a", 60)})
	if used, limit := storage(ada); used != 60 || limit != 100 {
		t.Fatalf("with a 60-byte message: %d of %d, want 60 of 100", used, limit)
	}
	if used, _ := storage(bob); used != 0 {
		t.Fatalf("another account: %d", used)
	}
	if res := ada.postJSON("/api/v1/links/"+itoa(l.ID)+"/revoke", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d %s", res.StatusCode, res.body)
	}
	if used, _ := storage(ada); used != 0 {
		t.Fatalf("after the revoke: %d", used)
	}
}

// TestMeTellsUploadLimits: /api/v1/me says the largest file a link may
// share, and the largest end-to-end ciphertext, as the server's flags set
// them, so that a client can check a file before it sends it.
func TestMeTellsUploadLimits(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.MaxUpload, c.MaxE2EUpload = 1<<20, 3<<20 })
	var me struct {
		MaxUpload    int64 `json:"max_upload"`
		MaxE2EUpload int64 `json:"max_e2e_upload"`
	}
	res := s.account("ada").get("/api/v1/me")
	if err := json.Unmarshal(res.body, &me); err != nil || me.MaxUpload != 1<<20 || me.MaxE2EUpload != 3<<20 {
		t.Fatalf("me: %d %s", res.StatusCode, res.body)
	}
}

// TestHeadOfTheEventStream: a HEAD of the event stream answers what a GET
// would, and ends there, so that the connection carries the client's next
// request.
func TestHeadOfTheEventStream(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	// One connection, kept alive, for both requests.
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1}}
	defer c.CloseIdleConnections()
	send := func(method, path string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+ada.key)
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	if res := send(http.MethodHead, "/api/v1/events"); res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("HEAD of the stream: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res := send(http.MethodGet, "/api/v1/me"); res.StatusCode != http.StatusOK {
		t.Fatalf("the next request: %d", res.StatusCode)
	}
}

// TestAddressIsOneValidURL: a URL link's address with spaces is opened
// as one valid URL, the spaces percent-encoded and readable letters as
// typed, as the recipient's page shows it.
func TestAddressIsOneValidURL(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	l := s.account("ada").create(map[string]any{"kind": "url", "url": "https://example.com/ü path?q=a b"})
	res := s.client("").postJSON(openPath(l.URL), nil)
	var got struct{ URL string }
	if err := json.Unmarshal(res.body, &got); err != nil || got.URL != "https://example.com/ü%20path?q=a%20b" {
		t.Fatalf("open: %d %s", res.StatusCode, res.body)
	}
}

// TestLimitsCountWhatIsKept: a label, a note, an address and a search at
// their limit with spaces around them are taken, as the spaces are
// dropped before they are counted, and the document calls such requests
// valid.
func TestLimitsCountWhatIsKept(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.Resolver = publicResolver{} })
	ada := s.account("ada")
	label := strings.Repeat("é", core.MaxLabelLen)
	address := "https://example.com/" + strings.Repeat("a", core.MaxURLLen-len("https://example.com/"))
	l := ada.create(map[string]any{"kind": "url", "url": " " + address + "\n", "label": " " + label + " "})
	if l.Label != label {
		t.Errorf("label %q", l.Label)
	}
	if res := ada.get("/api/v1/links?q=" + url.QueryEscape(" "+label+" ")); res.StatusCode != http.StatusOK {
		t.Errorf("search: %d %s", res.StatusCode, res.body)
	}
	note := strings.Repeat("n", core.MaxNoteLen)
	if res := ada.postJSON("/api/v1/requests", map[string]any{"label": label + " ", "note": "\t" + note + " "}); res.StatusCode != http.StatusCreated {
		t.Errorf("request: %d %s", res.StatusCode, res.body)
	}
	hook := "https://hooks.example.com/" + strings.Repeat("h", core.MaxWebhookURLLen-len("https://hooks.example.com/"))
	if res := ada.postJSON("/api/v1/webhooks", map[string]any{"url": " " + hook + " ", "events": []string{"link.opened"}}); res.StatusCode != http.StatusCreated {
		t.Errorf("webhook: %d %s", res.StatusCode, res.body)
	}
}

// TestNullItemIsTheWrongType: a null among the events of a webhook's
// create is of the wrong type, as a number there is, rather than taken for
// an empty event's name.
func TestNullItemIsTheWrongType(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.Resolver = publicResolver{} })
	ada := s.account("ada")
	for _, events := range []string{`[null]`, `["link.opened",null]`, `[5]`} {
		res := ada.postJSON("/api/v1/webhooks", `{"url":"https://hooks.example.com/in","events":`+events+`}`)
		p := res.problem()
		if res.StatusCode != http.StatusBadRequest || p.Code != "wrong_type" || p.Field != "events" || !strings.HasPrefix(p.Detail, "Each item of the field events must be a string") {
			t.Errorf("events %s: %d %s, want 400 wrong_type for each item of events", events, res.StatusCode, res.body)
		}
	}
}

// TestWebhookHostBeyondASCII: an endpoint's host name beyond ASCII is kept
// in its IDNA form, as a browser writes it, not percent-encoded: written
// either way, it is the one address, which an account has once.
func TestWebhookHostBeyondASCII(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.Resolver = publicResolver{} })
	ada := s.account("ada")
	res := ada.postJSON("/api/v1/webhooks", map[string]any{"url": "https://Bücher.example/in", "events": []string{"link.opened"}})
	var made struct{ URL string }
	json.Unmarshal(res.body, &made)
	if res.StatusCode != http.StatusCreated || made.URL != "https://xn--bcher-kva.example/in" {
		t.Fatalf("create: %d %s, want the address https://xn--bcher-kva.example/in", res.StatusCode, res.body)
	}
	for _, again := range []string{"https://xn--bcher-kva.example/in", "https://b%C3%BCcher.example/in", "https://bücher.example/in"} {
		res := ada.postJSON("/api/v1/webhooks", map[string]any{"url": again, "events": []string{"link.opened"}})
		if p := res.problem(); res.StatusCode != http.StatusConflict || p.Code != "webhook_exists" {
			t.Errorf("again at %s: %d %s, want 409 webhook_exists", again, res.StatusCode, res.body)
		}
	}
	res = ada.postJSON("/api/v1/webhooks", map[string]any{"url": "https://a\u200db.example/in", "events": []string{"link.opened"}})
	if p := res.problem(); res.StatusCode != http.StatusBadRequest || p.Code != "webhook_host_unknown" {
		t.Errorf("a name no lookup takes: %d %s, want 400 webhook_host_unknown", res.StatusCode, res.body)
	}
}
