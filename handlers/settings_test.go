package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"oncelink/core"
	"oncelink/i18n"
)

// createKey makes an API key on the settings page and returns its secret,
// read from the one place the page shows it.
func (c *testClient) createKey(name, expires string) string {
	c.t.Helper()
	res := c.post("/settings/keys", url.Values{"name": {name}, "expires": {expires}})
	if res.StatusCode != http.StatusCreated {
		c.t.Fatalf("create key %q: %d %s", name, res.StatusCode, res.body)
	}
	shown := findAll(parseHTML(c.t, res.body), byTestID("key-secret"))
	if len(shown) != 1 {
		c.t.Fatalf("create key %q: the secret shows %d times, want once", name, len(shown))
	}
	return attr(shown[0], "value")
}

// keyRows returns the rows of the settings page's list of keys.
func (c *testClient) keyRows() []*html.Node {
	c.t.Helper()
	res := c.get("/settings")
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("settings: %d", res.StatusCode)
	}
	return findAll(parseHTML(c.t, res.body), byTestID("key-row"))
}

// keyCount is how many keys, revoked or not, the account name has.
func (s *testServer) keyCount(name string) int {
	s.t.Helper()
	a, err := s.store.AccountByName(s.t.Context(), name)
	if err != nil {
		s.t.Fatal(err)
	}
	var n int
	if err := s.store.SessionDB().QueryRow(`SELECT COUNT(*) FROM api_keys WHERE account_id = ?`, a.ID).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// authenticates reports whether secret signs a request of the JSON API in.
func (s *testServer) authenticates(secret string) bool {
	s.t.Helper()
	_, err := s.h.core.Authenticate(s.t.Context(), secret, core.Client{IP: "192.0.2.1"})
	if err != nil && !errors.Is(err, core.ErrKeyRefused) {
		s.t.Fatal(err)
	}
	return err == nil
}

func TestSettingsNeedsSigningIn(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	res := s.client().get("/settings")
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
		t.Fatalf("signed out: %d to %q, want 303 to /login", res.StatusCode, loc)
	}
	if res := s.client().post("/settings/keys", url.Values{"name": {"CI"}, "expires": {"90d"}}); res.StatusCode < 400 {
		t.Errorf("signed-out create: %d", res.StatusCode)
	}
	if n := s.keyCount("ada"); n != 0 {
		t.Errorf("a signed-out create made %d keys", n)
	}
}

func TestHeaderLinksToSettings(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	for _, path := range []string{"/links", "/settings"} {
		nav := findAll(parseHTML(t, c.get(path).body), func(n *html.Node) bool {
			return n.Data == "nav" && attr(n, "aria-label") == "Main"
		})
		if len(nav) != 1 {
			t.Fatalf("%s has %d main navigations", path, len(nav))
		}
		links := findAll(nav[0], func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/settings" })
		if len(links) != 1 || textOf(links[0]) != "Settings" {
			t.Errorf("%s: the header's links to /settings are %d, want one named Settings", path, len(links))
		}
	}
}

func TestCreateKeyShowsItOnce(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	if rows := c.keyRows(); len(rows) != 0 {
		t.Fatalf("a new account lists %d keys", len(rows))
	}
	res := c.post("/settings/keys", url.Values{"name": {" laptop "}, "expires": {"30d"}})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, res.body)
	}
	page := parseHTML(t, res.body)
	shown := findAll(page, byTestID("key-secret"))
	if len(shown) != 1 {
		t.Fatalf("the new key's secret shows %d times", len(shown))
	}
	secret := attr(shown[0], "value")
	if !strings.HasPrefix(secret, "ol_") || strings.Count(res.body, secret) != 1 {
		t.Fatalf("secret %q, shown %d times in the page", secret, strings.Count(res.body, secret))
	}
	if copyFor := findAll(findAll(page, byTestID("new-key"))[0], func(n *html.Node) bool { return attr(n, "data-copy") == attr(shown[0], "id") }); len(copyFor) != 1 {
		t.Errorf("the new key has %d copy buttons", len(copyFor))
	}
	if !s.authenticates(secret) {
		t.Fatal("the new key does not authenticate")
	}

	reload := c.get("/settings")
	if strings.Contains(reload.body, secret) || len(findAll(parseHTML(t, reload.body), byTestID("new-key"))) != 0 {
		t.Fatal("a reload shows the secret again")
	}
	rows := findAll(parseHTML(t, reload.body), byTestID("key-row"))
	if len(rows) != 1 || attr(rows[0], "data-name") != "laptop" {
		t.Fatalf("the list has %d rows, want laptop's", len(rows))
	}
	prefix := findAll(rows[0], byTestID("key-prefix"))
	if len(prefix) != 1 || textOf(prefix[0]) != secret[:9]+"…" {
		t.Errorf("the list shows the key as %q, want its first characters %q", textOf(rows[0]), secret[:9])
	}
	// The key was used by the Authenticate above.
	if used := findAll(rows[0], byTestID("key-last-used")); len(used) != 1 || len(findAll(used[0], func(n *html.Node) bool { return n.Data == "time" })) != 1 {
		t.Error("the list does not show when the key was last used")
	}
}

func TestCreateKeyMistakes(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	for _, tt := range []struct {
		name, keyName, expires string
		// field is the field the mistake shows beside.
		field string
	}{
		{"no name", "", "90d", "name"},
		{"blank name", "   ", "90d", "name"},
		{"NUL in the name", "lap\x00top", "90d", "name"},
		{"101-character name", strings.Repeat("a", core.MaxKeyNameLen+1), "90d", "name"},
		{"unknown expiry", "CI", "forever", "expires"},
		{"expiry under an hour", "CI", "30m", "expires"},
		{"negative expiry", "CI", "-30d", "expires"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := c.post("/settings/keys", url.Values{"name": {tt.keyName}, "expires": {tt.expires}})
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("%d, want 400", res.StatusCode)
			}
			page := parseHTML(t, res.body)
			msg := elementByID(page, "error-"+tt.field)
			if msg == nil || textOf(msg) == "" {
				t.Fatalf("no message beside %s", tt.field)
			}
			if n := len(findAll(page, byTestID("form-error"))); n != 1 {
				t.Errorf("%d messages, want only the one beside %s", n, tt.field)
			}
			input := elementByID(page, "key-"+tt.field)
			if input == nil || attr(input, "aria-invalid") != "true" ||
				!strings.Contains(" "+attr(input, "aria-describedby")+" ", " error-"+tt.field+" ") {
				t.Errorf("the %s field is not marked invalid and described by its message", tt.field)
			}
			if len(findAll(page, byTestID("new-key"))) != 0 {
				t.Error("a refused key is shown")
			}
			if n := s.keyCount("ada"); n != 0 {
				t.Errorf("%d keys made", n)
			}
		})
	}

	// The longest name there may be, in letters of more than one byte.
	long := strings.Repeat("é", core.MaxKeyNameLen)
	c.createKey(long, "never")
	if rows := c.keyRows(); len(rows) != 1 || attr(rows[0], "data-name") != long {
		t.Fatalf("a %d-character name was not kept whole", core.MaxKeyNameLen)
	}
}

func TestKeyLimit(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	secrets := make([]string, core.MaxAPIKeys)
	for i := range secrets {
		expires := "90d"
		if i == 0 {
			expires = "30d"
		}
		secrets[i] = c.createKey("key "+itoa(int64(i)), expires)
	}
	res := c.post("/settings/keys", url.Values{"name": {"one too many"}, "expires": {"90d"}})
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("key %d: %d, want 409", core.MaxAPIKeys+1, res.StatusCode)
	}
	page := parseHTML(t, res.body)
	if len(findAll(page, byTestID("key-limit"))) != 1 || len(findAll(page, byTestID("form-error"))) != 1 {
		t.Error("the refusal does not say why")
	}
	if len(findAll(page, byTestID("key-form"))) != 0 || len(findAll(page, byTestID("new-key"))) != 0 {
		t.Error("a page at the limit offers to make another key, or shows one")
	}
	if n := s.keyCount("ada"); n != core.MaxAPIKeys {
		t.Fatalf("%d keys, want %d", n, core.MaxAPIKeys)
	}
	for _, secret := range secrets {
		if !s.authenticates(secret) {
			t.Fatal("a key stopped working at the limit")
		}
	}

	// An expired key no longer counts, and stays listed as expired.
	s.clock.Advance(31 * 24 * time.Hour)
	if s.authenticates(secrets[0]) {
		t.Fatal("an expired key authenticates")
	}
	page = parseHTML(t, c.get("/settings").body)
	if len(findAll(page, byTestID("key-form"))) != 1 || len(findAll(page, byTestID("key-limit"))) != 0 {
		t.Fatal("an expired key still counts toward the limit")
	}
	if n := len(findAll(page, byTestID("key-row"))); n != core.MaxAPIKeys {
		t.Errorf("the list has %d keys, want the expired one too", n)
	}
	c.createKey("in its place", "1y")
	if res := c.post("/settings/keys", url.Values{"name": {"and another"}, "expires": {"90d"}}); res.StatusCode != http.StatusConflict {
		t.Fatalf("past the limit again: %d, want 409", res.StatusCode)
	}
}

func TestRevokeKey(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	kept := ada.createKey("kept", "90d")
	secret := ada.createKey("laptop", "90d")
	rows := ada.keyRows()
	var revoke string
	for _, r := range rows {
		if attr(r, "data-name") == "laptop" {
			revoke = attr(findAll(r, func(n *html.Node) bool { return n.Data == "form" })[0], "action")
		}
	}
	if revoke == "" {
		t.Fatal("no revoke form for laptop")
	}

	// Another account's key is as good as none.
	bob := s.user("bob")
	bobsOwn := bob.createKey("bob's", "90d")
	for _, path := range []string{revoke, "/settings/keys/999999/revoke", "/settings/keys/abc/revoke", "/settings/keys/-1/revoke"} {
		if res := bob.post(path, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("bob revokes %s: %d, want 404", path, res.StatusCode)
		}
	}
	if !s.authenticates(secret) || len(ada.keyRows()) != 2 {
		t.Fatal("bob's revoke changed ada's keys")
	}
	if rows := bob.keyRows(); len(rows) != 1 || attr(rows[0], "data-name") != "bob's" {
		t.Fatal("bob's list shows another account's keys")
	}

	res := ada.post(revoke, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings#keys-heading" {
		t.Fatalf("revoke: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if s.authenticates(secret) {
		t.Fatal("a revoked key authenticates")
	}
	// The page it comes back to says which key went, once, where the
	// focus goes.
	page := ada.get("/settings")
	said := testIDs(t, page.body, "key-revoked")
	if want := i18n.For("en").T("settings.keys.revoked", "Name", i18n.Isolate("laptop")); len(said) != 1 || textOf(said[0]) != want ||
		!hasAttr(said[0], "data-focus") || attr(said[0], "role") != "status" {
		t.Errorf("the settings after a revoke say %d times that a key was revoked, want once %q", len(said), want)
	}
	if hasTestID(t, ada.get("/settings").body, "key-revoked") {
		t.Error("the settings say again that the key was revoked")
	}
	if rows := ada.keyRows(); len(rows) != 1 || attr(rows[0], "data-name") != "kept" {
		t.Fatalf("after revoke the list has %d rows", len(rows))
	}
	if !s.authenticates(kept) || !s.authenticates(bobsOwn) {
		t.Fatal("revoking one key ended another")
	}
	// htmx follows a redirect it is told of.
	if res := ada.htmx(http.MethodPost, revoke, nil); res.StatusCode != http.StatusOK || res.Header.Get("HX-Redirect") != "/settings#keys-heading" {
		t.Errorf("revoke again through htmx: %d, HX-Redirect %q", res.StatusCode, res.Header.Get("HX-Redirect"))
	}
}

func TestCrossSiteKeyPostsRefused(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	secret := c.createKey("laptop", "90d")
	revoke := attr(findAll(c.keyRows()[0], func(n *html.Node) bool { return n.Data == "form" })[0], "action")
	for _, tt := range []struct {
		path string
		form url.Values
	}{
		{"/settings/keys", url.Values{"name": {"from elsewhere"}, "expires": {"never"}}},
		{revoke, url.Values{}},
	} {
		res := c.request(http.MethodPost, tt.path, strings.NewReader(tt.form.Encode()),
			http.Header{"Content-Type": {formType}, "Sec-Fetch-Site": {"cross-site"}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d, want 403", tt.path, res.StatusCode)
		}
	}
	if n := s.keyCount("ada"); n != 1 || !s.authenticates(secret) {
		t.Fatalf("cross-site posts changed the keys: %d, the key works: %v", n, s.authenticates(secret))
	}
}

// TestKeyFormSentTwiceMakesOneKey sends the settings page's key form as a
// reload of the page that answered it would: the same form again makes no
// second key, says why, and shows no secret; a fresh form makes another,
// and a refused form can be corrected and sent again.
func TestKeyFormSentTwiceMakesOneKey(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	formKey := func(body string) string {
		t.Helper()
		return formKeyOf(t, body, "/settings/keys")
	}
	first := formKey(c.get("/settings").body)
	form := url.Values{"form_key": {first}, "name": {"laptop"}, "expires": {"30d"}}
	made := c.post("/settings/keys", form)
	if made.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", made.StatusCode, made.body)
	}
	again := c.post("/settings/keys", form)
	if again.StatusCode != http.StatusConflict {
		t.Fatalf("the same form again: %d, want 409", again.StatusCode)
	}
	if !strings.Contains(again.body, "This form was sent already") || len(findAll(parseHTML(t, again.body), byTestID("key-secret"))) != 0 {
		t.Fatalf("the same form again does not say why, or shows a secret: %s", again.body)
	}
	if n := s.keyCount("ada"); n != 1 {
		t.Fatalf("the account has %d keys after the same form twice, want 1", n)
	}

	next := formKey(made.body)
	if next == first {
		t.Fatal("the page that shows a new key offers the same form key again")
	}
	refused := c.post("/settings/keys", url.Values{"form_key": {next}, "name": {""}, "expires": {"30d"}})
	if refused.StatusCode != http.StatusBadRequest || formKey(refused.body) != next {
		t.Fatalf("a refused form: %d, and its form key is not kept for the correction", refused.StatusCode)
	}
	if res := c.post("/settings/keys", url.Values{"form_key": {next}, "name": {"CI"}, "expires": {"30d"}}); res.StatusCode != http.StatusCreated {
		t.Fatalf("the corrected form: %d %s", res.StatusCode, res.body)
	}
	if n := s.keyCount("ada"); n != 2 {
		t.Fatalf("the account has %d keys, want 2", n)
	}
}
