package handlers

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"oncelink/core"
)

// seedLinks adds n active message links of the account name, labelled
// "seed 1" to "seed n" in the order made, in one transaction, straight
// into the database: fast enough for ten thousand.
func (s *testServer) seedLinks(name string, n int) {
	s.t.Helper()
	a, err := s.store.AccountByName(s.t.Context(), name)
	if err != nil {
		s.t.Fatal(err)
	}
	tx, err := s.store.SessionDB().Begin()
	if err != nil {
		s.t.Fatal(err)
	}
	defer tx.Rollback()
	now := s.clock.Now()
	for i := 1; i <= n; i++ {
		hash := make([]byte, 32)
		rand.Read(hash)
		if _, err := tx.Exec(`INSERT INTO links (owner_id, token_hash, kind, label, max_uses, created_at, expires_at)
			VALUES (?, ?, 'message', ?, 1, ?, ?)`, a.ID, hash, fmt.Sprintf("seed %d", i),
			now.UnixMilli(), now.Add(time.Hour).UnixMilli()); err != nil {
			s.t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		s.t.Fatal(err)
	}
}

var rowLabel = regexp.MustCompile(`data-name="([^"]*)"`)

func labels(body string) []string {
	var out []string
	for _, m := range rowLabel.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestDashboardEmptyState(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	res := c.get("/links")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, "You have not shared anything yet.") {
		t.Fatalf("empty dashboard: %d", res.StatusCode)
	}
	// The table is there for the first row to arrive in, live.
	if !strings.Contains(res.body, `<tbody id="link-rows" sse-swap="created" hx-swap="afterbegin">`) {
		t.Error("no live table body on the empty dashboard")
	}
	if res := c.get("/links?status=used"); !strings.Contains(res.body, "No links match this filter.") || strings.Contains(res.body, `sse-swap="created"`) {
		t.Error("a filtered empty list: wrong text, or it takes new links")
	}
}

func TestHTMXCreateAddsTheRow(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	res := c.htmx(http.MethodPost, "/links", url.Values{"kind": {"message"}, "message": {"hi"}, "ttl": {"1h"}, "label": {"greeting"}})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, res.body)
	}
	for _, want := range []string{
		`<div id="create-panel">`, `data-testid="link-url"`, `data-testid="qr"`, "it will not be shown again",
		`<template><tbody hx-swap-oob="afterbegin:#link-rows[sse-swap]"><tr id="link-`, `data-name="greeting"`,
	} {
		if !strings.Contains(res.body, want) {
			t.Errorf("create response lacks %q", want)
		}
	}
	if strings.Contains(res.body, "<html") {
		t.Error("htmx create got a whole page")
	}
	// Bad input keeps what was typed and adds no row.
	res = c.htmx(http.MethodPost, "/links", url.Values{"kind": {"message"}, "message": {"hi"}, "ttl": {"1y"}, "label": {"kept"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, `value="kept"`) || strings.Contains(res.body, "hx-swap-oob") {
		t.Errorf("bad create: %d %s", res.StatusCode, res.body)
	}
}

func TestDashboardPages(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	s.seedLinks("ada", 120)

	first := c.get("/links")
	got := labels(first.body)
	if len(got) != core.DefaultPageSize || got[0] != "seed 120" || got[core.DefaultPageSize-1] != "seed 71" {
		t.Fatalf("first page: %d rows, %v…", len(got), got[:1])
	}
	older := regexp.MustCompile(`href="(/links\?before=\d+)" hx-get="(/links\?before=\d+)" hx-target="#link-rows" hx-swap="beforeend" data-testid="older"`).FindStringSubmatch(first.body)
	if older == nil {
		t.Fatal("no Show older links on the first page")
	}

	// With htmx: the next rows and the pager that follows them.
	more := c.request(http.MethodGet, older[2], nil, http.Header{"Hx-Request": {"true"}, "Hx-Target": {"link-rows"}})
	got = labels(more.body)
	if len(got) != core.DefaultPageSize || got[0] != "seed 70" || !strings.HasPrefix(more.body, `<tr id="link-`) {
		t.Fatalf("more rows: %d, %v", len(got), got[:1])
	}
	if !strings.Contains(more.body, `<template><div id="pager" hx-swap-oob="true">`) || strings.Contains(more.body, "Newest links") {
		t.Errorf("more rows' pager: %s", more.body[strings.Index(more.body, "<template>"):])
	}
	last := regexp.MustCompile(`hx-get="(/links\?before=\d+)"`).FindStringSubmatch(more.body)
	more = c.request(http.MethodGet, last[1], nil, http.Header{"Hx-Request": {"true"}, "Hx-Target": {"link-rows"}})
	if got := labels(more.body); len(got) != 20 || got[19] != "seed 1" || strings.Contains(more.body, "older") {
		t.Fatalf("last rows: %d, pager %v", len(got), strings.Contains(more.body, "older"))
	}

	// Without JavaScript: whole pages, with a way back to the newest.
	page := c.get(older[1])
	if got := labels(page.body); len(got) != core.DefaultPageSize || got[0] != "seed 70" || !strings.Contains(page.body, "Newest links") || !strings.Contains(page.body, "<html") {
		t.Fatalf("second page: %d rows", len(got))
	}
	if strings.Contains(page.body, `sse-swap="created"`) {
		t.Error("an older page takes new links")
	}
}

func TestDashboardFilters(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	link := c.createLink(url.Values{"label": {"Used one"}})
	c.createLink(url.Values{"label": {"100% active_"}})
	s.client().post(link, nil)

	list := func(q string) response {
		return c.request(http.MethodGet, "/links?"+q, nil, http.Header{"Hx-Request": {"true"}, "Hx-Target": {"link-list"}})
	}
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"status=used", []string{"Used one"}},
		{"status=active", []string{"100% active_"}},
		{"q=USED", []string{"Used one"}},
		{"q=" + url.QueryEscape("0%"), []string{"100% active_"}},
		{"q=_", []string{"100% active_"}},
		{"status=revoked", nil},
	} {
		res := list(tt.query)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.body, `<div id="link-list">`) {
			t.Fatalf("%s: %d %.60s", tt.query, res.StatusCode, res.body)
		}
		if got := labels(res.body); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: %v, want %v", tt.query, got, tt.want)
		}
	}
	// A search may be as long as a label, counted in characters.
	if res := list("q=" + url.QueryEscape(strings.Repeat("é", core.MaxLabelLen))); res.StatusCode != http.StatusOK {
		t.Errorf("a search of %d two-byte characters: %d", core.MaxLabelLen, res.StatusCode)
	}
	for _, q := range []string{"status=lost", "q=" + strings.Repeat("x", core.MaxLabelLen+1), "before=-1", "before=x"} {
		if res := list(q); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, res.StatusCode)
		}
	}
}

// TestLinkDetailsTimeline: the details page tells a link's life as one
// timeline, oldest first, each event with its address and browser, and
// offers to revoke the link while it is active.
func TestLinkDetailsTimeline(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	link := c.createLink(url.Values{"password": {"open sesame"}, "max_uses": {"2"}})
	id := c.firstRowID()
	r := s.client()
	r.request(http.MethodGet, link, nil, http.Header{"User-Agent": {"PreviewBot/1.0"}})
	r.request(http.MethodPost, link, strings.NewReader("password=wrong"), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "User-Agent": {"Guesser/2"}})
	r.request(http.MethodPost, link, strings.NewReader("password=open+sesame"), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "User-Agent": {"Recipient/3"}})

	page := parseHTML(t, c.get("/links/"+id).body)
	// An active link's page says when it expires, not only how long it has.
	expires := first(t, page, "expiry", byTestID("expires-at"))
	if got := attr(first(t, expires, "expiry time", func(n *html.Node) bool { return n.Data == "time" }), "datetime"); got == "" {
		t.Error("the expiry has no time")
	}
	revoke := first(t, page, "revoke button", byTestID("revoke"))
	form := revoke.Parent
	if attr(form, "action") != "/links/"+id+"/revoke" || attr(form, "data-confirm") == "" {
		t.Errorf("the revoke form posts to %q and asks %q", attr(form, "action"), attr(form, "data-confirm"))
	}
	// Without JavaScript, revoking from the details comes back to them.
	res := c.post("/links/"+id+"/revoke", url.Values{"back": {"details"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/links/"+id {
		t.Errorf("revoke from the details: %d to %s", res.StatusCode, res.Header.Get("Location"))
	}

	page = parseHTML(t, c.get("/links/"+id).body)
	if len(findAll(page, byTestID("revoke"))) != 0 {
		t.Error("a revoked link can be revoked again")
	}
	if len(findAll(page, byTestID("expires-at"))) != 0 {
		t.Error("a revoked link's page says when it expires")
	}
	var got []string
	for _, e := range findAll(first(t, page, "timeline", byTestID("timeline")), byTestID("audit-event")) {
		got = append(got, attr(e, "data-kind")+" "+textOf(first(t, e, "address", byAttr("class", "address")))+" "+
			textOf(first(t, e, "browser", byAttr("class", "browser"))))
		if len(findAll(e, func(n *html.Node) bool { return n.Data == "time" && attr(n, "datetime") != "" })) != 1 {
			t.Errorf("%s has no time", attr(e, "data-kind"))
		}
	}
	want := []string{"created  ", "view 127.0.0.1 A crawler PreviewBot/1.0", "wrong-password 127.0.0.1 Guesser/2",
		"use 127.0.0.1 Recipient/3", "revoke 127.0.0.1 Go HTTP client 1.1 Go-http-client/1.1"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A page is drawn at the server's time: the countdowns' text and the clock
// the page's script corrects them by both come from it.
func TestDashboardIsDrawnAtTheServersTime(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	c.createLink(url.Values{"ttl": {"3h"}})
	s.clock.Advance(time.Hour)
	page := c.get("/links").body
	for _, want := range []string{
		`<meta name="server-time" content="` + strconv.FormatInt(s.clock.Now().UnixMilli(), 10) + `">`,
		`>2h 0m</time>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}
}

// Help texts belong to their fields, the list's rows have their column
// headers, and a row without a label is named as assistive technology
// names it.
func TestFormsAndRowsSayWhatTheyAre(t *testing.T) {
	s := newTestServer(t)
	setup := s.client().get("/setup").body
	if !strings.Contains(setup, `minlength="10"`) || !strings.Contains(setup, `aria-describedby="password-help"`) ||
		!strings.Contains(setup, `<small id="password-help">`) {
		t.Error("set-up's password field does not carry its help and its length")
	}
	c := s.admin()
	c.createLink(url.Values{"message": {"hi"}})
	page := c.get("/links").body
	for _, want := range []string{`aria-describedby="message-help"`, `<small id="message-help">`,
		`aria-describedby="url-help"`, `<small id="url-help">`, `<th scope="col">Status</th>`,
		`<span class="muted">Message link</span>`, `aria-label="Revoke Message link"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}
	// A password link is marked as one, in the list and on its page.
	if hasTestID(t, page, "password-mark") {
		t.Error("a link without a password is marked as having one")
	}
	c.createLink(url.Values{"message": {"hi"}, "password": {"open sesame"}})
	page = c.get("/links").body
	if marks := testIDs(t, page, "password-mark"); len(marks) != 1 {
		t.Errorf("%d password marks in the list, want 1", len(marks))
	}
	rows := testIDs(t, page, "link-row")
	if len(rows) != 2 || !strings.Contains(attr(rows[0], "id"), "link-") {
		t.Fatalf("rows: %d", len(rows))
	}
	details := c.get("/links/" + strings.TrimPrefix(attr(rows[0], "id"), "link-")).body
	if !hasTestID(t, details, "password-mark") {
		t.Error("the password link's page does not mark it")
	}
	// An unlabelled web address is named as the form names its kind.
	c.createLink(url.Values{"kind": {"url"}, "url": {"https://example.com/"}})
	if page := c.get("/links").body; !strings.Contains(page, `aria-label="Revoke Web address link"`) {
		t.Error("an unlabelled web address's row is not named a web address link")
	}
}

// TestCreateWithoutJavaScript: a form posted without htmx gets a page of
// the new link's own, with its URL and where to go next, and not the form
// again; a mistake gets the form back with what was typed.
func TestCreateWithoutJavaScript(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	res := c.post("/links", url.Values{"kind": {"message"}, "message": {"hi"}, "ttl": {"1h"}})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, res.body)
	}
	link := linkURLPattern.FindString(res.body)
	if link == "" {
		t.Fatalf("no link in %s", res.body)
	}
	id := itoa(linkOf(t, s, link).ID)
	for _, want := range []string{`<h1>New link</h1>`, `data-testid="link-url"`, `data-testid="qr"`, `>Create another link</a>`,
		`href="/links/` + id + `"`, `action="/links/` + id + `/revoke"`} {
		if !strings.Contains(res.body, want) {
			t.Errorf("the new link's page lacks %s", want)
		}
	}
	if strings.Contains(res.body, `id="create"`) {
		t.Error("the new link's page has the create form again")
	}
	res = c.post("/links", url.Values{"kind": {"message"}, "message": {"kept"}, "ttl": {"soon"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, `id="create"`) ||
		!strings.Contains(res.body, ">kept</textarea>") || !strings.Contains(res.body, "Give the time as a duration") {
		t.Errorf("a mistake: %d %s", res.StatusCode, res.body)
	}
}
