package handlers

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/store"
)

// TestStorageFullSaidBesideTheField: a link past the account's bound comes
// back as the create form, 413, with what the account keeps, the bound and
// what frees space beside the field, and nothing made. A sender to one of
// the account's requests is told beside the message that the owner's space
// is full, not how much the owner keeps, and the request stays open.
// Settings shows what the account keeps against its bound, and revoking a
// link frees its space.
func TestStorageFullSaidBesideTheField(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.AccountStorage = 100 })
	ada := s.admin()
	en := i18n.For("en")
	if res := ada.post("/links", url.Values{"kind": {"message"}, "message": {strings.Repeat("a", 60)}, "ttl": {"1h"}, "max_uses": {"1"}}); res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", res.StatusCode)
	}
	res := ada.post("/links", url.Values{"kind": {"message"}, "message": {strings.Repeat("b", 41)}, "ttl": {"1h"}, "max_uses": {"1"}})
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("a message past the bound: %d, want 413", res.StatusCode)
	}
	want := en.T("error.account_storage_full.owner", "Used", en.Size(60), "Limit", en.N("error.size_bytes", 100))
	if !strings.Contains(want, "60 bytes of the 100 bytes") {
		t.Fatalf("the refusal says %q", want)
	}
	saysEachBeside(t, parseHTML(t, res.body), "create-form", besideField{"message", "error-message message-help", want})
	if n := countLinks(t, s); n != 1 {
		t.Fatalf("%d links after the refusal, want 1", n)
	}
	if used := textOf(first(t, parseHTML(t, ada.get("/settings").body), "storage", byTestID("storage-used"))); used != "Your links keep 60 bytes of the 100 bytes this server lets an account store." {
		t.Errorf("settings say %q", used)
	}

	req := ada.createRequest(url.Values{"accepts": {"any"}})
	sender := s.client()
	ct, body := multipartBody(t, []formPart{field("message", strings.Repeat("c", 41))})
	res = sender.request(http.MethodPost, req, bytes.NewReader(body), http.Header{"Content-Type": {ct}})
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("a send past the owner's bound: %d, want 413", res.StatusCode)
	}
	doc := parseHTML(t, res.body)
	f := first(t, doc, "send form", byTestID("send-form"))
	if msg := elementByID(f, "error-message"); msg == nil || textOf(msg) != en.T("error.account_storage_full.request") {
		t.Errorf("the sender is not told beside the message that the owner's space is full:\n%s", res.body)
	}
	if strings.Contains(res.body, "60 bytes") || strings.Contains(res.body, "100 bytes") {
		t.Error("the sender learns what the owner keeps")
	}
	if res := sender.get(req); res.StatusCode != http.StatusOK {
		t.Fatalf("the request after the refusal: %d, want it still open", res.StatusCode)
	}

	// Revoking the first link frees its space for the send.
	a, err := s.store.AccountByName(t.Context(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	links, err := s.store.Links(t.Context(), a.ID, store.ListOptions{})
	if err != nil || len(links) != 1 {
		t.Fatalf("links: %d, %v", len(links), err)
	}
	if res := ada.post("/links/"+strconv.FormatInt(links[0].ID, 10)+"/revoke", url.Values{}); res.StatusCode >= 400 {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	res = sender.request(http.MethodPost, req, bytes.NewReader(body), http.Header{"Content-Type": {ct}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the send once the first link is revoked: %d", res.StatusCode)
	}
	if used := textOf(first(t, parseHTML(t, ada.get("/settings").body), "storage", byTestID("storage-used"))); used != "Your links keep 41 bytes of the 100 bytes this server lets an account store." {
		t.Errorf("settings say %q", used)
	}
}
