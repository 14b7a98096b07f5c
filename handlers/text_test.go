package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"oncelink/core"
	"oncelink/notify"
)

// badBytes are texts that no database keeps as text: a NUL byte, and bytes
// that are not UTF-8.
var badBytes = map[string]string{"a NUL byte": "ada\x00x", "invalid UTF-8": "ada\xff\xfe"}

// TestBadBytesAreRefused sends bad bytes in every text field that the
// database keeps or searches: each is a 400 with the mistake shown beside
// the form, and nothing is made. On PostgreSQL such text would fail the
// query, so it must be refused before any.
func TestBadBytesAreRefused(t *testing.T) {
	// A server that sends email, so that the notice address's form is
	// there to refuse; nothing reaches its mail server.
	mailer, err := notify.NewMailer("smtp://127.0.0.1:1", "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	withMail := func(c *core.Config) { c.Mailer = mailer }
	onBoth(t, testBadBytes, withMail)
}

func testBadBytes(t *testing.T, s *testServer) {
	refused := func(what string, res response) {
		t.Helper()
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s: %d, want 400: %.300s", what, res.StatusCode, res.body)
		}
		if !hasTestID(t, res.body, "form-error") && !hasTestID(t, res.body, "error") {
			t.Fatalf("%s: no message on the page", what)
		}
		if strings.ContainsRune(res.body, 0) || !utf8.ValidString(res.body) {
			t.Fatalf("%s: the page repeats the bad bytes", what)
		}
	}
	visitor := s.client()
	for name, bad := range badBytes {
		refused("set-up with "+name, visitor.post("/setup", url.Values{"username": {bad}, "password": {testPassword}}))
	}
	if n, err := s.store.CountAccounts(context.Background()); err != nil || n != 0 {
		t.Fatalf("set-up made %d accounts (%v)", n, err)
	}
	owner := s.admin()
	for name, bad := range badBytes {
		refused("sign-in with "+name, s.client().post("/login", url.Values{"username": {bad}, "password": {testPassword}}))
		refused("a new account with "+name, owner.post("/accounts", url.Values{"username": {bad}, "password": {testPassword}}))
		for _, field := range []string{"label", "for_user"} {
			res := owner.post("/links", url.Values{"kind": {"message"}, "message": {"m"}, "ttl": {"1h"}, field: {bad}})
			refused("a link's "+field+" with "+name, res)
		}
		for _, field := range []string{"label", "note", "ttl"} {
			res := owner.post("/requests", url.Values{"accepts": {"any"}, "ttl": {"1h"}, field: {bad}})
			refused("a request's "+field+" with "+name, res)
		}
		refused("a notice address with "+name, owner.post("/settings/notices/address", url.Values{"address": {bad + "@example.org"}}))
		refused("a webhook address with "+name, owner.post("/settings/webhooks", url.Values{"url": {"https://hooks.example/" + bad},
			"events": {"link.opened"}}))
		refused("a search with "+name, owner.get("/links?q="+url.QueryEscape(bad)))
		htmxSearch := owner.request(http.MethodGet, "/links?q="+url.QueryEscape(bad), nil, http.Header{"Hx-Request": {"true"}, "Hx-Target": {"link-list"}})
		if htmxSearch.StatusCode != http.StatusBadRequest {
			t.Fatalf("an htmx search with %s: %d, want 400", name, htmxSearch.StatusCode)
		}
	}
	if n, err := s.store.CountAccounts(context.Background()); err != nil || n != 1 {
		t.Fatalf("%d accounts after refusals (%v), want 1", n, err)
	}
	if res := owner.get("/links"); res.StatusCode != http.StatusOK || hasTestID(t, res.body, "link-row") {
		t.Fatalf("the dashboard after refused creates: %d, or it has a link", res.StatusCode)
	}
	if res := owner.get("/requests"); res.StatusCode != http.StatusOK || hasTestID(t, res.body, "request-row") {
		t.Fatalf("the requests after refused creates: %d, or there is one", res.StatusCode)
	}
	if res := owner.get("/settings"); res.StatusCode != http.StatusOK || hasTestID(t, res.body, "webhook") {
		t.Fatalf("the settings after refused endpoints: %d, or there is one", res.StatusCode)
	}
	if res := s.client().post("/login", url.Values{"username": {"ada"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a good sign-in after bad ones: %d", res.StatusCode)
	}
}
