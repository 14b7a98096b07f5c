package handlers

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/store"
	"oncelink/token"
)

func TestSignInNextStaysOnSite(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	s.admin()
	for _, next := range []string{
		"https://evil.example/", "//evil.example/", "/\\evil.example/", "/a/../\\evil.example/",
		"/\t/evil.example/", "/\n/evil.example/", "/\r/evil.example/", "/\x00/evil.example",
		"evil.example", "",
	} {
		res := s.client().post("/login", url.Values{"username": {"ada"}, "password": {testPassword}, "next": {next}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/links" {
			t.Errorf("next %q: %d to %q, want 303 to /links", next, res.StatusCode, res.Header.Get("Location"))
		}
	}
	res := s.client().post("/login", url.Values{"username": {"ada"}, "password": {testPassword}, "next": {"/links/7?x=1"}})
	if got := res.Header.Get("Location"); got != "/links/7?x=1" {
		t.Errorf("a path on the site: redirected to %q", got)
	}
}

// TestSignInTimingHidesAccounts compares how long a wrong password takes
// for an account that exists, one that is disabled and a name that has no
// account: all go through bcrypt, so their fastest times stay close. The
// fastest of several is what a name costs at least; a busy machine only
// adds to some of the times, and a name that skipped bcrypt would be many
// times faster however busy the machine is.
func TestSignInTimingHidesAccounts(t *testing.T) {
	// The real cost: the time a hash takes is what the test compares.
	s := newTestServer(t, func(c *core.Config) { c.RateLimits, c.PasswordCost = false, bcrypt.DefaultCost })
	s.admin()
	bob, err := s.h.core.AddAccount(context.Background(), "bob", testPassword, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.store.SetDisabled(context.Background(), bob.ID, true); err != nil {
		t.Fatal(err)
	}
	names := []string{"ada", "bob", "nobody"}
	took := map[string][]time.Duration{}
	c := s.client()
	for i := range 6 {
		// Each round in another order, so that no name always runs first.
		for j := range names {
			name := names[(i+j)%len(names)]
			start := time.Now()
			res := c.post("/login", url.Values{"username": {name}, "password": {"not the password"}})
			took[name] = append(took[name], time.Since(start))
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.body, "do not match an account that can sign in") {
				t.Fatalf("%s: %d", name, res.StatusCode)
			}
		}
	}
	fastest, slowest := time.Duration(1<<62), time.Duration(0)
	for _, name := range names {
		m := slices.Min(took[name])
		t.Logf("%s: fastest %v", name, m)
		fastest, slowest = min(fastest, m), max(slowest, m)
	}
	if slowest > 2*fastest {
		t.Fatalf("the fastest sign-ins range from %v to %v: their timing tells accounts apart", fastest, slowest)
	}
}

// setCookie finds the cookie name among res's Set-Cookie headers.
func setCookie(t *testing.T, res response, name string) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s cookie is set: %v", name, res.Header["Set-Cookie"])
	return nil
}

func TestCookiesAreLockedDown(t *testing.T) {
	for _, base := range []string{"https://share.example.com", ""} {
		s := newTestServer(t, func(c *core.Config) {
			if base != "" {
				c.BaseURL = base
			}
		})
		// A client of the base URL's host: the server answers no other.
		client := func() *testClient {
			c := s.client()
			if base != "" {
				c.host = "share.example.com"
			}
			return c
		}
		res := client().post("/setup", url.Values{"username": {"ada"}, "password": {testPassword}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("setup: %d", res.StatusCode)
		}
		name := "oncelink_session"
		if base != "" {
			// Only this host, over HTTPS, sets it (see sessionCookieName).
			name = "__Host-oncelink_session"
		}
		session := setCookie(t, res, name)
		if session.Path != "/" || session.Domain != "" {
			t.Errorf("base %q: session cookie path %q, domain %q", base, session.Path, session.Domain)
		}
		a, err := s.store.AccountByName(context.Background(), "ada")
		if err != nil {
			t.Fatal(err)
		}
		tok := token.New(token.NewKey(s.key))
		if _, err := s.store.CreateLink(context.Background(), store.NewLink{OwnerID: a.ID, TokenHash: tok.Hash(), Kind: store.KindMessage,
			MaxUses: 1, ExpiresAt: s.clock.Now().Add(time.Hour)}, [][]byte{tok.Box().Seal(token.Content, 0, true, []byte("x"))}); err != nil {
			t.Fatal(err)
		}
		check := setCookie(t, client().get("/l/"+tok.String()), checkCookie)
		// The open from the page of a browser that keeps cookies: it sends
		// back the check, which a jar does not over plain HTTP once Secure.
		fromPage := url.Values{components.CookieCheckField: {"1"}}.Encode()
		grant := setCookie(t, client().request(http.MethodPost, "/l/"+tok.String(), strings.NewReader(fromPage),
			http.Header{"Content-Type": {formType}, "Cookie": {check.Name + "=" + check.Value}}), grantCookie)
		if grant.Path != "/l/"+tok.String() {
			t.Errorf("grant cookie path %q", grant.Path)
		}
		lang := setCookie(t, client().post("/language", url.Values{"lang": {"de"}, "back": {"/"}}), languageCookie)
		for _, c := range []*http.Cookie{session, check, grant, lang} {
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != (base != "") {
				t.Errorf("base %q: cookie %s is HttpOnly %v, SameSite %v, Secure %v", base, c.Name, c.HttpOnly, c.SameSite, c.Secure)
			}
		}
	}
}

// Over HTTPS the session cookie is a __Host- one, which a browser takes
// only from this host itself: a cookie of the plain name, as a sibling host
// could set for the whole domain (Domain=example.com) to sign its visitor
// in to an account of its own, signs nobody in.
func TestHTTPSSessionCookieComesOnlyFromTheHostItself(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.BaseURL = "https://share.example.com" })
	c := s.client()
	c.host = "share.example.com"
	res := c.post("/setup", url.Values{"username": {"ada"}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup: %d", res.StatusCode)
	}
	session := setCookie(t, res, "__Host-oncelink_session")
	for name, want := range map[string]int{"__Host-oncelink_session": http.StatusOK, "oncelink_session": http.StatusSeeOther} {
		res := c.request(http.MethodGet, "/links", nil, http.Header{"Cookie": {name + "=" + session.Value}})
		if res.StatusCode != want {
			t.Errorf("dashboard with the session as cookie %s: %d, want %d", name, res.StatusCode, want)
		}
	}
}

func TestSignOutEndsTheSessionOnTheServer(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	base, _ := url.Parse(s.URL)
	stolen := ada.c.Jar.Cookies(base)
	res := ada.post("/logout", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if c := setCookie(t, res, "oncelink_session"); c.MaxAge >= 0 {
		t.Errorf("logout left the cookie in the browser: %v", c)
	}
	var n int
	if err := s.store.SessionDB().QueryRow(`SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("sessions after sign-out: %d, %v", n, err)
	}
	// Someone who kept a copy of the cookie gets nothing from it.
	replay := s.client()
	replay.c.Jar.SetCookies(base, stolen)
	if res := replay.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the old session cookie still opens the dashboard: %d", res.StatusCode)
	}
}

func TestSignInRenewsTheSession(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	base, _ := url.Parse(s.URL)
	before := ada.c.Jar.Cookies(base)
	res := ada.post("/login", url.Values{"username": {"ada"}, "password": {testPassword}})
	after := setCookie(t, res, "oncelink_session")
	if len(before) != 1 || before[0].Value == after.Value {
		t.Fatalf("signing in kept the session token: %v, %v", before, after)
	}
	old := s.client()
	old.c.Jar.SetCookies(base, before)
	if res := old.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the token from before signing in still works: %d", res.StatusCode)
	}
}

func TestSessionTokensAreStoredHashed(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	base, _ := url.Parse(s.URL)
	cookies := ada.c.Jar.Cookies(base)
	if len(cookies) != 1 {
		t.Fatalf("cookies: %v", cookies)
	}
	var all, plain int
	db := s.store.SessionDB()
	if err := db.QueryRow(`SELECT COUNT(*), COUNT(CASE WHEN token = ? THEN 1 END) FROM sessions`, cookies[0].Value).Scan(&all, &plain); err != nil {
		t.Fatal(err)
	}
	if all != 1 || plain != 0 {
		t.Fatalf("%d sessions stored, %d under the cookie's own value", all, plain)
	}
	if !ada.signedIn() {
		t.Fatal("the hashed session does not sign ada in")
	}
}

// TestWrongPasswordIsReadWithTheField: the page that comes back from a
// wrong password gives the focus to the password, which a screen reader
// reads alone, so the password names the refusal said above the form.
func TestWrongPasswordIsReadWithTheField(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	s.admin()
	res := s.client().post("/login", url.Values{"username": {"ada"}, "password": {"not the password"}})
	doc := parseHTML(t, res.body)
	pw := first(t, doc, "password field", byAttr("name", "password"))
	if !hasAttr(pw, "autofocus") {
		t.Fatalf("the password does not take the focus")
	}
	ids := strings.Fields(attr(pw, "aria-describedby"))
	if len(ids) == 0 {
		t.Fatalf("the password is described by nothing")
	}
	said := elementByID(doc, ids[0])
	if want := i18n.For("en").T("error.bad_credentials"); said == nil || textOf(said) != want {
		t.Fatalf("the password is described by %q, want the refusal %q", ids, want)
	}
}

// TestSignInStartsACleanSession signs in as another account in a browser
// that was signed in as ada: what ada's session held, a sent form's key
// and a notice not yet shown, is not bob's.
func TestSignInStartsACleanSession(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	c := s.admin()
	if _, err := s.h.core.AddAccount(context.Background(), "bob", testPassword, false); err != nil {
		t.Fatal(err)
	}
	s.signIn("ada") // another session of ada's, for the notice
	key := url.Values{"form_key": {"same-form"}, "name": {"laptop"}, "expires": {"30d"}}
	if res := c.post("/settings/keys", key); res.StatusCode != http.StatusCreated {
		t.Fatalf("ada's key: %d", res.StatusCode)
	}
	if res := c.post("/settings/sessions/end-others", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ending ada's other sessions: %d", res.StatusCode)
	}
	if res := c.post("/login", url.Values{"username": {"bob"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("signing in as bob: %d", res.StatusCode)
	}
	page := c.get("/settings")
	if page.StatusCode != http.StatusOK || strings.Contains(page.body, `data-testid="sessions-ended"`) {
		t.Errorf("bob's settings say ada's sessions ended: %d", page.StatusCode)
	}
	if res := c.post("/settings/keys", key); res.StatusCode != http.StatusCreated {
		t.Errorf("bob's key, with the key of a form ada sent: %d, want 201", res.StatusCode)
	}
}

// listedSessions counts the rows that list account's sessions, shown on
// its sessions list or not.
func (s *testServer) listedSessions(account int64) int {
	s.t.Helper()
	const q = `SELECT COUNT(*) FROM account_sessions WHERE account_id = `
	var n int
	var err error
	if s.store.Postgres() {
		err = s.store.Pool().QueryRow(context.Background(), q+`$1`, account).Scan(&n)
	} else {
		err = s.store.SessionDB().QueryRow(q+`?`, account).Scan(&n)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

// TestSignInOverAnotherAccountEndsItsSession signs in as ada in a browser
// signed in as bob: bob's session there ends, listing and all, rather than
// stay listed under a token that no longer exists; so it does when ada's
// sign-in stops half done, to set a second factor up.
func TestSignInOverAnotherAccountEndsItsSession(t *testing.T) {
	onBoth(t, testSignInOverAnotherAccount)
}

func testSignInOverAnotherAccount(t *testing.T, s *testServer) {
	s.admin()
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		required bool
		to       string
	}{
		{"signed in", false, "/links"},
		{"half signed in", true, "/settings"},
	} {
		name := "bob" + strings.ReplaceAll(tt.name, " ", "")
		browser := s.user(name)
		bob := accountIDOf(t, s, name)
		stream := browser.stream()
		if err := s.h.core.SetTwoFactorRequired(ctx, nil, tt.required); err != nil {
			t.Fatal(err)
		}
		if n := s.listedSessions(bob); n != 1 {
			t.Fatalf("%s: %s's listed sessions: %d, want 1", tt.name, name, n)
		}
		res := browser.post("/login", url.Values{"username": {"ada"}, "password": {testPassword}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tt.to {
			t.Fatalf("%s: ada's sign-in: %d to %q", tt.name, res.StatusCode, res.Header.Get("Location"))
		}
		if n := s.listedSessions(bob); n != 0 {
			t.Errorf("%s: %s's listed sessions after ada signed in over his: %d, want 0", tt.name, name, n)
		}
		if ev := stream.next(); ev.name != "signed-out" {
			t.Errorf("%s: %s's open dashboard: %+v, want signed-out", tt.name, name, ev)
		}
	}
}
