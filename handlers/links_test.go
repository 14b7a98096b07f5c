package handlers

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/store"
)

func countLinks(t *testing.T, s *testServer) int {
	t.Helper()
	a, err := s.store.AccountByName(context.Background(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	links, err := s.store.Links(context.Background(), a.ID, store.ListOptions{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return len(links)
}

// TestCreateSaysEveryMistake sends a form with four mistakes: each is
// said beside its field, what was typed stays, and nothing is created.
func TestCreateSaysEveryMistake(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	res := owner.post("/links", url.Values{"kind": {"message"}, "message": {" "}, "ttl": {"soon"}, "max_uses": {"0"},
		"for_user": {"nobody"}, "label": {"kept"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("four mistakes: %d, want 400", res.StatusCode)
	}
	en := i18n.For("en")
	doc := parseHTML(t, res.body)
	saysEachBeside(t, doc, "create-form",
		besideField{"message", "error-message message-help", en.T("error.message_missing.share")},
		besideField{"ttl", "error-ttl ttl-help", en.T("error.ttl_invalid")},
		besideField{"max_uses", "error-max_uses uses-help", en.T("error.max_uses_out_of_range", "Max", core.MaxUses)},
		besideField{"for_user", "error-for_user", en.T("error.for_user_unknown", "Name", `"nobody"`)})
	if v := attr(first(t, doc, "label field", byAttr("name", "label")), "value"); v != "kept" {
		t.Errorf("the label typed is %q in the form again", v)
	}
	if links, _ := s.stored(); links != 0 {
		t.Errorf("a refused form created %d links", links)
	}
}

// TestCreateRejectsBadInput sends every kind of bad field: each gets a 400
// with a message saying what is wrong, keeps what was typed, and creates
// nothing.
func TestCreateRejectsBadInput(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	base := url.Values{"kind": {"message"}, "message": {"keep me"}, "ttl": {"1h"}, "max_uses": {"1"}, "password": {"pass <word>"}}
	for _, tc := range []struct {
		name  string
		field string
		value string
		says  string
	}{
		{"ttl not a duration", "ttl", "soon", "duration"},
		{"ttl empty", "ttl", "", "duration"},
		{"ttl unit missing", "ttl", "15", "duration"},
		{"ttl below minimum", "ttl", "30s", "between"},
		{"ttl above maximum", "ttl", "31d", "between"},
		{"ttl overflowing", "ttl", "99999999999999999999h", "between"},
		{"uses zero", "max_uses", "0", "1 to 100"},
		{"uses too many", "max_uses", "101", "1 to 100"},
		{"uses not a number", "max_uses", "five", "1 to 100"},
		{"unknown kind", "kind", "poem", "Choose what to share"},
		{"empty message", "message", "   ", "Write the message"},
		{"message too long", "message", strings.Repeat("x", 64<<10+1), "at most 64 KiB"},
		{"label too long", "label", strings.Repeat("é", 101), "at most 100"},
		{"unknown account", "for_user", "nobody", "no account named"},
		{"password too long", "password", strings.Repeat("p", 73), "at most 72"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range base {
				form[k] = v
			}
			form.Set(tc.field, tc.value)
			res := owner.post("/links", form)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, tc.says) {
				t.Fatalf("%d, want 400 saying %q; got %s", res.StatusCode, tc.says, res.body)
			}
			if tc.field != "message" && !strings.Contains(res.body, "keep me") {
				t.Error("the form lost the message that was typed")
			}
			// A password dropped without a word would make the next
			// try's link one without it.
			if tc.field != "password" && !strings.Contains(res.body, `name="password" value="pass &lt;word&gt;"`) {
				t.Error("the form lost the password that was typed")
			}
		})
	}
	for _, tc := range []struct{ name, url string }{
		{"no url", ""},
		{"ftp", "ftp://example.com/file"},
		{"javascript", "javascript:alert(1)"},
		{"data", "data:text/html,hi"},
		{"no host", "https://"},
		{"credentials", "https://user:pw@example.com/"},
		{"mail", "mailto:ada@example.com"},
		{"a word", "hello"},
		{"a sentence", "example.com is where"},
		{"no scheme, credentials", "user:pw@example.com"},
		{"too long", "https://example.com/" + strings.Repeat("a", 4096)},
		{"port past 65535", "http://1.2.3.4:99999/"},
		{"port zero", "https://example.com:0/"},
		{"no scheme, port past 65535", "example.com:65536"},
		{"port not a number", "https://example.com:https/"},
	} {
		t.Run("url "+tc.name, func(t *testing.T) {
			res := owner.post("/links", url.Values{"kind": {"url"}, "url": {tc.url}, "ttl": {"1h"}})
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("%d, want 400", res.StatusCode)
			}
		})
	}
	// A port no browser would follow is refused, as an endpoint's is, with
	// words that say so.
	res := owner.post("/links", url.Values{"kind": {"url"}, "url": {"http://1.2.3.4:99999/"}, "ttl": {"1h"}})
	if !strings.Contains(res.body, "port must be a number from 1 to 65535") {
		t.Errorf("a port past 65535: %s", res.body)
	}
	if res := owner.post("/links", url.Values{"message": {strings.Repeat("x", core.MaxFormBytes)}}); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d, want 413", res.StatusCode)
	}
	if n := countLinks(t, s); n != 0 {
		t.Fatalf("bad input created %d links", n)
	}
}

// TestFailuresLeaveThePage: a request htmx sends that fails says why in the
// page's alerts, rather than take the place of the form it came from, with
// what was typed in it, or of a row of a table. A session that ended is
// told so with a way back, never answered with the sign-in page.
func TestFailuresLeaveThePage(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	inAlerts := func(what string, res response, status int) {
		t.Helper()
		if res.StatusCode != status || res.Header.Get("HX-Retarget") != "#alerts" || res.Header.Get("HX-Reswap") != "innerHTML" ||
			!strings.Contains(res.body, `data-testid="error"`) {
			t.Fatalf("%s: %d, HX-Retarget %q, HX-Reswap %q, want %d in the alerts; body %s", what, res.StatusCode,
				res.Header.Get("HX-Retarget"), res.Header.Get("HX-Reswap"), status, res.body)
		}
	}
	inAlerts("revoke of no link", owner.htmx(http.MethodPost, "/links/99999/revoke", nil), http.StatusNotFound)
	if res := owner.get("/links"); !strings.Contains(res.body, `id="alerts"`) {
		t.Fatal("the dashboard has no alerts for its requests' failures")
	}

	// The same requests from a browser whose session ended.
	gone := s.client()
	from := http.Header{"Hx-Request": {"true"}, "Hx-Current-Url": {s.URL + "/links?status=active"}, "Content-Type": {formType}}
	back := `href="/login?next=/links%3Fstatus=active"`
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/links"},
		{http.MethodPost, "/links/1/revoke"},
		{http.MethodGet, "/links?status=used"}, // a filter of the list
	} {
		var body io.Reader
		if tc.method == http.MethodPost {
			body = strings.NewReader("kind=message&message=typed")
		}
		res := gone.request(tc.method, tc.path, body, from)
		inAlerts(tc.method+" "+tc.path+" signed out", res, http.StatusUnauthorized)
		if !strings.Contains(res.body, back) {
			t.Errorf("%s %s signed out: no way to sign in again and come back (%s) in %s", tc.method, tc.path, back, res.body)
		}
	}
	// Another site's page is no page to come back to.
	res := gone.request(http.MethodPost, "/links", nil, http.Header{"Hx-Request": {"true"}, "Hx-Current-Url": {"https://elsewhere.example/links"}})
	if !strings.Contains(res.body, `href="/login?next=/"`) {
		t.Errorf("signed out from another site's page: %s", res.body)
	}
	if n := countLinks(t, s); n != 0 {
		t.Fatalf("%d links made", n)
	}
}

func TestCreateMessageAndURL(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	res := owner.post("/links", url.Values{"kind": {"url"}, "url": {"https://example.com/report?q=1"}, "ttl": {"2h"},
		"max_uses": {"3"}, "label": {"Quarterly report"}})
	if res.StatusCode != http.StatusCreated || !strings.Contains(res.body, "will not be shown again") {
		t.Fatalf("create: %d", res.StatusCode)
	}
	link := s.URL + linkURLPattern.FindString(res.body)
	recipient := s.client()
	open := recipient.post(link, nil)
	if open.StatusCode != http.StatusSeeOther || open.Header.Get("Location") != "https://example.com/report?q=1" {
		t.Fatalf("open url link: %d to %q", open.StatusCode, open.Header.Get("Location"))
	}
	dash := owner.get("/links")
	if !strings.Contains(dash.body, "Quarterly report") || !strings.Contains(dash.body, "Opened 1 of 3") {
		t.Fatal("the dashboard does not show the link with one of three uses")
	}
	if strings.Contains(dash.body, link) {
		t.Fatal("the dashboard shows the link's URL again")
	}
}

func TestSetupAndSignIn(t *testing.T) {
	s := newTestServer(t)
	visitor := s.client()
	if res := visitor.get("/"); res.Header.Get("Location") != "/setup" {
		t.Fatalf("/ before set-up goes to %q", res.Header.Get("Location"))
	}
	if res := visitor.post("/setup", url.Values{"username": {"ada"}, "password": {"short"}}); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("short password: %d", res.StatusCode)
	}
	s.admin()
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		if res := visitor.request(method, "/setup", nil, nil); res.StatusCode != http.StatusNotFound {
			t.Fatalf("%s /setup after set-up: %d", method, res.StatusCode)
		}
	}
	if res := visitor.get("/links"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("/links signed out: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	wrongPassword := visitor.post("/login", url.Values{"username": {"ada"}, "password": {"not the password"}})
	noAccount := visitor.post("/login", url.Values{"username": {"nobody"}, "password": {"not the password"}})
	if wrongPassword.StatusCode != http.StatusUnauthorized || noAccount.StatusCode != http.StatusUnauthorized {
		t.Fatalf("failed sign-ins: %d and %d, want 401", wrongPassword.StatusCode, noAccount.StatusCode)
	}
	msg := "That username and password do not match"
	if !strings.Contains(wrongPassword.body, msg) || !strings.Contains(noAccount.body, msg) {
		t.Fatal("failed sign-ins do not both give the same message")
	}
	res := visitor.post("/login", url.Values{"username": {"ada"}, "password": {testPassword}, "next": {"//evil.example/"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/links" {
		t.Fatalf("sign-in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := visitor.get("/links"); res.StatusCode != http.StatusOK {
		t.Fatalf("/links signed in: %d", res.StatusCode)
	}
	visitor.post("/logout", nil)
	if res := visitor.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("/links after sign-out: %d", res.StatusCode)
	}
}

func TestCrossOriginPostsRefused(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	link := owner.createLink(nil)
	for _, h := range []http.Header{
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Origin": {"https://evil.example"}},
	} {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, path := range []string{"/links", link, "/logout", "/login", "/links/1/revoke"} {
			res := owner.request(http.MethodPost, path, strings.NewReader("kind=message&message=x&ttl=1h"), h)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "another site") {
				t.Fatalf("cross-origin POST %s: %d", path, res.StatusCode)
			}
		}
	}
	if res := s.client().get(link); res.StatusCode != http.StatusOK {
		t.Fatalf("the link was touched by cross-origin posts: %d", res.StatusCode)
	}
	if n := countLinks(t, s); n != 1 {
		t.Fatalf("%d links after cross-origin creates, want 1", n)
	}
}

func TestOwnersSeeOnlyTheirLinks(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	secret := ada.createLink(url.Values{"label": {"ada's secret"}})
	eve := s.user("eve")
	if res := eve.get("/links"); strings.Contains(res.body, "ada's secret") {
		t.Fatal("eve's dashboard lists ada's link")
	}
	id := "/links/" + itoa(linkOf(t, s, secret).ID)
	for _, res := range []response{eve.get(id), eve.post(id+"/revoke", nil), eve.get("/links/abc"), eve.post("/links/-1/revoke", nil)} {
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("another owner's link: %d, want 404", res.StatusCode)
		}
	}
	if res := ada.get(id); res.StatusCode != http.StatusOK {
		t.Fatalf("owner's details: %d", res.StatusCode)
	}
}

// TestSendingACreateFormTwiceMakesOneLink: the create form carries a
// one-time key; sent again (the no-script result page reloaded, a second
// click, both at once), it makes no second link with the same secret and
// answers 409 with the first link, without its address. A fresh form,
// as htmx gets after each create, makes a new link.
func TestSendingACreateFormTwiceMakesOneLink(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	formKey := func(page string) string {
		t.Helper()
		keys := testIDs(t, page, "form-key")
		if len(keys) != 1 || attr(keys[0], "value") == "" {
			t.Fatalf("the create form has %d keys, or an empty one", len(keys))
		}
		return attr(keys[0], "value")
	}
	key := formKey(owner.get("/links").body)
	form := url.Values{"form_key": {key}, "kind": {"message"}, "message": {"the vault code is 4711"}, "ttl": {"1h"}, "label": {"Vault"}}
	if res := owner.post("/links", form); res.StatusCode != http.StatusCreated || !hasTestID(t, res.body, "link-url") {
		t.Fatalf("create: %d", res.StatusCode)
	}
	id := itoa(int64(countLinks(t, s)))
	again := owner.post("/links", form)
	if again.StatusCode != http.StatusConflict || !hasTestID(t, again.body, "already-created") || linkURLPattern.MatchString(again.body) {
		t.Fatalf("the same form again: %d, or it does not say so, or it shows an address", again.StatusCode)
	}
	if d := testIDs(t, again.body, "details"); len(d) == 0 || attr(d[0], "href") != "/links/"+id {
		t.Fatalf("the answer does not name the first link, /links/%s", id)
	}
	htmxAgain := owner.htmx(http.MethodPost, "/links", form)
	if htmxAgain.StatusCode != http.StatusConflict || !hasTestID(t, htmxAgain.body, "already-created") || strings.Contains(htmxAgain.body, "<html") {
		t.Fatalf("the same form again through htmx: %d", htmxAgain.StatusCode)
	}
	if next := formKey(htmxAgain.body); next == key {
		t.Fatal("the form after a repeated create keeps the used key")
	}
	if n := countLinks(t, s); n != 1 {
		t.Fatalf("%d links after sending one form thrice", n)
	}

	// htmx gets a fresh form with each create, and it makes a new link.
	form.Set("form_key", formKey(owner.get("/links").body))
	res := owner.htmx(http.MethodPost, "/links", form)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("an htmx create: %d", res.StatusCode)
	}
	form.Set("form_key", formKey(res.body))
	if res := owner.htmx(http.MethodPost, "/links", form); res.StatusCode != http.StatusCreated {
		t.Fatalf("an htmx create with the form it got back: %d", res.StatusCode)
	}

	// Sent twice at once, the form still makes one link.
	form.Set("form_key", formKey(owner.get("/links").body))
	made := madeOnce(t, 6, func() int { return owner.post("/links", form).StatusCode })
	if made != 1 || countLinks(t, s) != 4 {
		t.Fatalf("one form sent six times at once made %d links; %d links in all, want 4", made, countLinks(t, s))
	}

	// Keys are the owner's: another owner's form with the same key makes
	// their own link. A key no form issued is refused.
	bob := s.user("bob")
	if res := bob.post("/links", form); res.StatusCode != http.StatusCreated {
		t.Fatalf("bob's create with ada's key: %d", res.StatusCode)
	}
	form.Set("form_key", "not a key\x00")
	if res := owner.post("/links", form); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a made-up key: %d, want 400", res.StatusCode)
	}
}

// TestNoticeOfAPurgedLinkSaysSo: the address that a link's notices lead
// to (its mail, the settings' deliveries) is its details page while the
// link is kept; once it is purged, the links page answers, 404, and says
// that this one is no longer kept. Another owner's link gets the same
// answer as one that never was.
func TestNoticeOfAPurgedLinkSaysSo(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	id := linkOf(t, s, ada.createLink(url.Values{"label": {"ada's secret"}})).ID
	path := "/links/" + itoa(id)
	if res := ada.get(path); res.StatusCode != http.StatusOK || strings.Contains(res.body, `data-testid="link-gone"`) {
		t.Fatalf("kept: %s: %d %s", path, res.StatusCode, res.body)
	}
	// gone is the notice that res says link n is gone with, on the links page.
	gone := func(who string, res response, n int64) string {
		t.Helper()
		doc := parseHTML(t, res.body)
		notes := findAll(doc, byTestID("link-gone"))
		if res.StatusCode != http.StatusNotFound || len(notes) != 1 || !strings.Contains(textOf(notes[0]), "#"+itoa(n)) {
			t.Fatalf("%s: %d, the page does not say that link #%d is gone: %s", who, res.StatusCode, n, res.body)
		}
		if len(findAll(doc, byTestID("create-form"))) != 1 || len(findAll(doc, byTestID("links"))) != 1 {
			t.Errorf("%s: the page is not the links page: %s", who, res.body)
		}
		return strings.ReplaceAll(textOf(notes[0]), itoa(n), "N")
	}
	eve := s.user("eve")
	theirs := eve.get(path)
	if strings.Contains(theirs.body, "ada's secret") {
		t.Fatalf("another owner is shown the link: %s", theirs.body)
	}
	never := id + 1000
	if a, b := gone("another owner's", theirs, id), gone("never made", eve.get("/links/"+itoa(never)), never); a != b {
		t.Errorf("another owner's link is told apart from one never made: %q, %q", a, b)
	}

	s.clock.Advance(31 * 24 * time.Hour)
	if _, err := s.store.Sweep(context.Background(), 10*time.Minute, 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	// A month on, the owner signs in again.
	if res := ada.post("/login", url.Values{"username": {"ada"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	res := ada.get(path)
	if strings.Contains(res.body, "ada's secret") {
		t.Fatalf("purged, yet the link is shown: %s", res.body)
	}
	gone("purged", res, id)
}

// madeOnce sends one form n times at once with send, which answers its
// status, and counts the creates (201); every other answer must be 409,
// a form sent already.
func madeOnce(t *testing.T, n int, send func() int) int {
	t.Helper()
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { statuses <- send() })
	}
	wg.Wait()
	close(statuses)
	made := 0
	for status := range statuses {
		switch status {
		case http.StatusCreated:
			made++
		case http.StatusConflict:
		default:
			t.Errorf("a create sent at once with others: %d", status)
		}
	}
	return made
}
