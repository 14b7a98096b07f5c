package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/sso"
	"oncelink/store"
)

// ssoServer is oncelink with single sign-on through idp, an OpenID
// provider running in the test, and the logs of its sso adapter.
type ssoServer struct {
	*testServer
	idp     *mockoidc.MockOIDC
	ssoLogs *syncBuffer
}

// startProvider starts an OpenID provider on a loopback port. before, if
// given, sets it up before it serves (its clock, say).
func startProvider(t testing.TB, before ...func(*mockoidc.MockOIDC)) *mockoidc.MockOIDC {
	t.Helper()
	idp, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range before {
		b(idp)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := idp.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idp.Shutdown() })
	return idp
}

// newSSOServer starts oncelink with single sign-on through idp, rate
// limits off unless edit turns them on. The provider sends browsers back
// to the base URL edit leaves.
func newSSOServer(t testing.TB, idp *mockoidc.MockOIDC, edit ...func(*core.Config)) *ssoServer {
	t.Helper()
	logs := &syncBuffer{}
	noLimits := func(c *core.Config) { c.RateLimits = false }
	withSSO := func(c *core.Config) {
		c.SSO = sso.New(sso.Config{Issuer: idp.Issuer(), ClientID: idp.ClientID, ClientSecret: idp.ClientSecret,
			RedirectURL: c.BaseURL + sso.CallbackPath}, slog.New(slog.NewTextHandler(logs, nil)))
	}
	edits := append(append([]func(*core.Config){noLimits}, edit...), withSSO)
	return &ssoServer{testServer: newTestServer(t, edits...), idp: idp, ssoLogs: logs}
}

// ssoUser is a person at the provider.
func ssoUser(subject, email, preferred string) *mockoidc.MockUser {
	return &mockoidc.MockUser{Subject: subject, Email: email, EmailVerified: true, PreferredUsername: preferred}
}

// toProvider starts a single sign-on in c's browser and returns the
// provider's sign-in address it was sent to.
func (c *testClient) toProvider(idp *mockoidc.MockOIDC) *url.URL {
	c.t.Helper()
	res := c.post("/auth/oidc/start", url.Values{"next": {"/links"}})
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("start: %d %s", res.StatusCode, res.body)
	}
	to, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(to.String(), idp.AuthorizationEndpoint()+"?") {
		c.t.Fatalf("start sent the browser to %q, not the provider", res.Header.Get("Location"))
	}
	return to
}

// atProvider signs in at the provider's address to, as the user it has
// queued, and returns where it sends the browser back to: oncelink's
// callback with a code and the state.
func (c *testClient) atProvider(to *url.URL) *url.URL {
	c.t.Helper()
	res := c.get(to.String())
	if res.StatusCode != http.StatusFound {
		c.t.Fatalf("provider: %d %s", res.StatusCode, res.body)
	}
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || back.Path != sso.CallbackPath {
		c.t.Fatalf("provider sent the browser back to %q", res.Header.Get("Location"))
	}
	return back
}

// ssoSignIn walks c's browser through a single sign-on as user and returns
// oncelink's answer to its return from the provider.
func (s *ssoServer) ssoSignIn(c *testClient, user mockoidc.User) response {
	s.t.Helper()
	s.idp.QueueUser(user)
	return c.get(c.atProvider(c.toProvider(s.idp)).String())
}

// refusedWith checks that res is the sign-in page at status with e's
// message, and that it signed nobody in.
func refusedWith(t testing.TB, c *testClient, res response, status int, e *core.Error) {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", res.StatusCode, status, res.body)
	}
	if got := testIDText(t, res.body, "form-error"); got != e.Msg {
		t.Errorf("message %q, want %q", got, e.Msg)
	}
	if !hasTestID(t, res.body, "sso") {
		t.Error("the refusal is not on the sign-in page with its single sign-on button")
	}
	if res := c.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("signed in after a refusal: /links answers %d", res.StatusCode)
	}
}

// ssoRefusedWith checks that res, the answer to a return from the
// provider, sends the browser on (303) to the sign-in page, which says e's
// message in the language lang asks for, once, beside its single sign-on
// button; and that it signed nobody in.
func ssoRefusedWith(t testing.TB, c *testClient, res response, e *core.Error, lang string) {
	t.Helper()
	to := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(to, "/login") {
		t.Fatalf("status %d to %q, want 303 to the sign-in page: %s", res.StatusCode, to, res.body)
	}
	page := c.request(http.MethodGet, to, nil, http.Header{"Accept-Language": {lang}})
	if page.StatusCode != http.StatusOK || !hasTestID(t, page.body, "sso") {
		t.Fatalf("the sign-in page after a refusal: %d, single sign-on button %v", page.StatusCode, hasTestID(t, page.body, "sso"))
	}
	if got, want := testIDText(t, page.body, "form-error"), e.Message(i18n.For(lang)); got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if again := c.get(to); hasTestID(t, again.body, "form-error") {
		t.Errorf("the refusal is said again on a reload: %q", testIDText(t, again.body, "form-error"))
	}
	if res := c.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("signed in after a refusal: /links answers %d", res.StatusCode)
	}
}

// TestSSORefusalComesBackAsTheSignInPage: a return from the provider that
// signs no one in, refused by the provider or by oncelink, sends the
// browser on to the sign-in page, which says why in the reader's language:
// the return's address, whose sign-on is spent, is not left to reload.
// Before set-up, that page is the set-up page.
func TestSSORefusalComesBackAsTheSignInPage(t *testing.T) {
	s := newSSOServer(t, startProvider(t), func(c *core.Config) { c.SSOAllowedDomains = []string{"example.com"} })
	c := s.client()
	res := s.ssoSignIn(c, ssoUser("sub-0", "a@example.com", "amy"))
	if to := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(to, "/login") {
		t.Fatalf("a return before set-up: %d to %q", res.StatusCode, to)
	}
	page := c.get("/setup")
	if got := testIDText(t, page.body, "form-error"); got != core.ErrSSOSetupFirst.Msg {
		t.Errorf("the set-up page after a return before set-up says %q", got)
	}
	s.admin()

	for _, lang := range []string{"en", "ar"} {
		c := s.client()
		state := c.toProvider(s.idp).Query().Get("state")
		res := c.request(http.MethodGet, sso.CallbackPath+"?"+url.Values{"state": {state}, "error": {"access_denied"}}.Encode(),
			nil, http.Header{"Accept-Language": {lang}})
		ssoRefusedWith(t, c, res, core.Variant(core.Unauthorized, "sso_denied", "code", "", "sign_in", "Code", "access_denied"), lang)

		c = s.client()
		s.idp.QueueUser(ssoUser("sub-e", "eve@evil.example", "eve"))
		back := c.atProvider(c.toProvider(s.idp))
		ssoRefusedWith(t, c, c.request(http.MethodGet, back.String(), nil, http.Header{"Accept-Language": {lang}}), core.ErrSSODomain, lang)
	}
}

func TestSSOFirstSignInMakesAccountAndNextFindsIt(t *testing.T) {
	s := newSSOServer(t, startProvider(t))
	admin := s.admin()
	ctx := context.Background()

	c := s.client()
	to := c.toProvider(s.idp)
	q := to.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" ||
		q.Get("redirect_uri") != s.URL+sso.CallbackPath || q.Get("client_id") != s.idp.ClientID {
		t.Fatalf("the provider was asked %v", q)
	}
	before := sessionCookie(t, c)
	s.idp.QueueUser(ssoUser("sub-jane", "Jane.Doe@example.com", "Jane.Doe"))
	back := c.atProvider(to)
	res := c.get(back.String())
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/links" {
		t.Fatalf("callback: %d to %q: %s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	if after := sessionCookie(t, c); after == "" || after == before {
		t.Error("signing in did not renew the session token")
	}
	jane, err := s.store.AccountByIdentity(ctx, s.idp.Issuer(), "sub-jane", "Jane.Doe@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if jane.Username != "Jane.Doe" || jane.Admin || jane.PasswordHash != "" {
		t.Errorf("made %+v, want the member Jane.Doe without a password", jane)
	}
	page := c.get("/links")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("dashboard: %d", page.StatusCode)
	}
	// Its settings have no password to change.
	settings := c.get("/settings")
	if !hasTestID(t, settings.body, "no-password") || hasTestID(t, settings.body, "password-form") || hasTestID(t, settings.body, "delete-form") {
		t.Error("the settings of an account without a password offer to change it or to delete with it")
	}
	if settings := admin.get("/settings"); !hasTestID(t, settings.body, "password-form") {
		t.Error("the administrator's settings lost the password form")
	}
	// Its sessions list shows this one, as after a password sign-in.
	if sessions, err := s.h.core.Sessions(ctx, jane.ID); err != nil || len(sessions) != 1 {
		t.Errorf("sessions %v, %v; want this one", sessions, err)
	}

	// The next sign-in finds the account by its subject, whatever the
	// provider now calls the person.
	c2 := s.client()
	if res := s.ssoSignIn(c2, ssoUser("sub-jane", "jane@example.org", "jd")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d %s", res.StatusCode, res.body)
	}
	again, err := s.store.AccountByIdentity(ctx, s.idp.Issuer(), "sub-jane", "jane@example.org")
	if err != nil || again.ID != jane.ID || again.Username != "Jane.Doe" {
		t.Errorf("second sign-in is %+v, %v; want account %d", again, err, jane.ID)
	}

	// Another subject with the same email and name is another person: a
	// new account, never Jane's.
	c3 := s.client()
	if res := s.ssoSignIn(c3, ssoUser("sub-impostor", "Jane.Doe@example.com", "jane.doe")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("other subject: %d %s", res.StatusCode, res.body)
	}
	other, err := s.store.AccountByIdentity(ctx, s.idp.Issuer(), "sub-impostor", "")
	if err != nil || other.ID == jane.ID || other.Username != "jane.doe2" {
		t.Errorf("another subject with Jane's email got %+v, %v; want a new account jane.doe2", other, err)
	}

	// The administrator sees who signs in with single sign-on, and as whom.
	list := admin.get("/accounts")
	for _, row := range testIDs(t, list.body, "account-row") {
		linked := len(findAll(row, byTestID("sso-linked"))) > 0
		name := attr(row, "data-name")
		if linked != (name != "ada") {
			t.Errorf("account %s: marked as single sign-on %v", name, linked)
		}
		if name == "Jane.Doe" && !strings.Contains(textOf(row), "jane@example.org") {
			t.Errorf("Jane's row does not say as whom she signs in: %q", textOf(row))
		}
	}
	// And still after changing the account in place.
	row := admin.htmx(http.MethodPost, "/accounts/"+itoa(jane.ID)+"/promote", nil)
	if row.StatusCode != http.StatusOK || !hasTestID(t, row.body, "sso-linked") {
		t.Errorf("promoted row: %d, marked %v", row.StatusCode, hasTestID(t, row.body, "sso-linked"))
	}

	// A password never signs in an account made by single sign-on.
	res = s.client().post("/login", url.Values{"username": {"Jane.Doe"}, "password": {""}})
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("Jane.Doe with an empty password: %d", res.StatusCode)
	}
}

// sessionCookie is c's session cookie for the test server, or "".
func sessionCookie(t testing.TB, c *testClient) string {
	t.Helper()
	u, _ := url.Parse(c.srv.URL)
	for _, k := range c.c.Jar.Cookies(u) {
		if k.Name == "oncelink_session" {
			return k.Value
		}
	}
	return ""
}

// audienceUser is a person whose ID token the provider makes out to
// another client.
type audienceUser struct {
	*mockoidc.MockUser
	audience string
}

func (u audienceUser) Claims(scopes []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	base.Audience = jwt.ClaimStrings{u.audience}
	return u.MockUser.Claims(scopes, base)
}

func TestSSOWrongAudienceIsRefused(t *testing.T) {
	s := newSSOServer(t, startProvider(t))
	s.admin()
	c := s.client()
	res := s.ssoSignIn(c, audienceUser{ssoUser("sub-1", "a@example.com", "a"), "another-client"})
	ssoRefusedWith(t, c, res, core.ErrSSORefused, "en")
	if !strings.Contains(s.ssoLogs.String(), "audience") {
		t.Errorf("the log does not say why: %s", s.ssoLogs.String())
	}
	if _, err := s.store.AccountByIdentity(context.Background(), s.idp.Issuer(), "sub-1", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused token linked an account: %v", err)
	}
}

func TestSSOExpiredTokenIsRefused(t *testing.T) {
	// The provider's clock is an hour behind: its tokens, valid for ten
	// minutes, expired fifty minutes ago.
	s := newSSOServer(t, startProvider(t, func(idp *mockoidc.MockOIDC) { idp.FastForward(-time.Hour) }))
	s.admin()
	c := s.client()
	res := s.ssoSignIn(c, ssoUser("sub-1", "a@example.com", "a"))
	ssoRefusedWith(t, c, res, core.ErrSSORefused, "en")
	if !strings.Contains(s.ssoLogs.String(), "expired") {
		t.Errorf("the log does not say why: %s", s.ssoLogs.String())
	}
}

func TestSSOStateWorksOnceInItsOwnBrowser(t *testing.T) {
	s := newSSOServer(t, startProvider(t))
	s.admin()
	c := s.client()
	s.idp.QueueUser(ssoUser("sub-1", "a@example.com", "amy"))
	back := c.atProvider(c.toProvider(s.idp))

	// Another browser with the same return address: its session has no
	// sign-on pending.
	thief := s.client()
	refusedWith(t, thief, thief.get(back.String()), http.StatusBadRequest, core.ErrSSOState)

	if res := c.get(back.String()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first return: %d %s", res.StatusCode, res.body)
	}
	// The same return again, in the same browser: the state was used.
	// It sends the browser on to the sign-in page, signed in already,
	// which leads it on to its links.
	res := c.get(back.String())
	if to := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(to, "/login") {
		t.Errorf("replayed state: %d to %q", res.StatusCode, to)
	}

	// A state that is not the pending one is refused, and uses it up.
	c2 := s.client()
	s.idp.QueueUser(ssoUser("sub-2", "b@example.com", "bea"))
	back = c2.atProvider(c2.toProvider(s.idp))
	forged := *back
	q := forged.Query()
	q.Set("state", "not-the-state")
	forged.RawQuery = q.Encode()
	ssoRefusedWith(t, c2, c2.get(forged.String()), core.ErrSSOState, "en")
	ssoRefusedWith(t, c2, c2.get(back.String()), core.ErrSSOState, "en")

	// A sign-on left pending too long has expired.
	c3 := s.client()
	s.idp.QueueUser(ssoUser("sub-3", "c@example.com", "cy"))
	back = c3.atProvider(c3.toProvider(s.idp))
	s.clock.Advance(core.SSOPendingTTL + time.Second)
	ssoRefusedWith(t, c3, c3.get(back.String()), core.ErrSSOState, "en")
}

// TestSSOTamperedRequestIsRefused changes what the browser carries to the
// provider: a nonce that is not the session's comes back in the token, and
// a code challenge that is not the verifier's makes the provider refuse
// the code.
func TestSSOTamperedRequestIsRefused(t *testing.T) {
	s := newSSOServer(t, startProvider(t))
	s.admin()
	for _, param := range []string{"nonce", "code_challenge"} {
		c := s.client()
		to := c.toProvider(s.idp)
		q := to.Query()
		q.Set(param, "tampered-"+strings.Repeat("x", 43))
		to.RawQuery = q.Encode()
		s.idp.QueueUser(ssoUser("sub-"+param, "a@example.com", "a"))
		ssoRefusedWith(t, c, c.get(c.atProvider(to).String()), core.ErrSSORefused, "en")
	}
}

func TestSSOProviderErrorIsShown(t *testing.T) {
	s := newSSOServer(t, startProvider(t))
	s.admin()
	c := s.client()
	state := c.toProvider(s.idp).Query().Get("state")
	res := c.get(sso.CallbackPath + "?" + url.Values{"state": {state}, "error": {"access_denied"},
		"error_description": {"<script>the user said no</script>"}}.Encode())
	if res.StatusCode == http.StatusSeeOther {
		res = c.get(res.Header.Get("Location"))
	}
	if res.StatusCode != http.StatusOK || !strings.Contains(testIDText(t, res.body, "form-error"), "access_denied") {
		t.Errorf("provider's error: %d %q", res.StatusCode, testIDText(t, res.body, "form-error"))
	}
	if strings.Contains(res.body, "the user said no") {
		t.Error("the page repeats what the provider's redirect carried")
	}
}

func TestSSODomains(t *testing.T) {
	s := newSSOServer(t, startProvider(t), func(c *core.Config) { c.SSOAllowedDomains = []string{"example.com"} })
	s.admin()
	unverified := ssoUser("sub-u", "u@example.com", "u")
	unverified.EmailVerified = false
	for _, tc := range []struct {
		user *mockoidc.MockUser
		want *core.Error
	}{
		{ssoUser("sub-e", "eve@evil.example", "eve"), core.ErrSSODomain},
		{ssoUser("sub-s", "sam@sub.example.com", "sam"), core.ErrSSODomain},
		{ssoUser("sub-t", "example.com@evil.example", "tom"), core.ErrSSODomain},
		{ssoUser("sub-n", "", "nomail"), core.ErrSSODomain},
		{unverified, core.ErrSSOEmailUnverified},
	} {
		c := s.client()
		ssoRefusedWith(t, c, s.ssoSignIn(c, tc.user), tc.want, "en")
	}
	c := s.client()
	if res := s.ssoSignIn(c, ssoUser("sub-ok", "Kim@EXAMPLE.com", "kim")); res.StatusCode != http.StatusSeeOther {
		t.Errorf("an allowed domain in capitals: %d %s", res.StatusCode, res.body)
	}
	if n, _ := s.store.CountAccounts(context.Background()); n != 2 {
		t.Errorf("%d accounts, want ada and kim", n)
	}
}

func TestSSONoSignupSignsInOnlyLinkedAccounts(t *testing.T) {
	s := newSSOServer(t, startProvider(t), func(c *core.Config) { c.SSONoSignup = true })
	s.admin()
	// Linked before sign-ups were turned off.
	if _, err := s.store.CreateIdentityAccount(context.Background(), []string{"known"},
		store.Identity{Issuer: s.idp.Issuer(), Subject: "sub-known"}); err != nil {
		t.Fatal(err)
	}

	c := s.client()
	ssoRefusedWith(t, c, s.ssoSignIn(c, ssoUser("sub-new", "n@example.com", "newbie")), core.ErrSSONoSignup, "en")
	if n, _ := s.store.CountAccounts(context.Background()); n != 2 {
		t.Errorf("%d accounts, want ada and known", n)
	}
	if res := s.ssoSignIn(s.client(), ssoUser("sub-known", "k@example.com", "known")); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a linked account: %d %s", res.StatusCode, res.body)
	}
}

func TestSSORefusesDisabledAccountAndSetUpFirst(t *testing.T) {
	s := newSSOServer(t, startProvider(t))
	c := s.client()
	if res := s.ssoSignIn(c, ssoUser("sub-1", "a@example.com", "amy")); res.StatusCode != http.StatusSeeOther ||
		testIDText(t, c.get("/setup").body, "form-error") != core.ErrSSOSetupFirst.Msg {
		t.Errorf("a return before set-up: %d, or the set-up page does not say so", res.StatusCode)
	}
	if n, _ := s.store.CountAccounts(context.Background()); n != 0 {
		t.Fatalf("%d accounts before set-up", n)
	}

	admin := s.admin()
	if res := s.ssoSignIn(c, ssoUser("sub-1", "a@example.com", "amy")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	amy, _ := s.store.AccountByName(context.Background(), "amy")
	if res := admin.post("/accounts/"+itoa(amy.ID)+"/disable", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", res.StatusCode)
	}
	c2 := s.client()
	ssoRefusedWith(t, c2, s.ssoSignIn(c2, ssoUser("sub-1", "a@example.com", "amy")), core.ErrAccountDisabled, "en")
}

func TestSSOStartIsAFormOfThisSite(t *testing.T) {
	s := newSSOServer(t, startProvider(t))
	s.admin()
	c := s.client()
	res := c.request(http.MethodPost, "/auth/oidc/start", strings.NewReader(""), http.Header{
		"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"},
		"Content-Type": {"application/x-www-form-urlencoded"}})
	if res.StatusCode != http.StatusForbidden || res.Header.Get("Location") != "" {
		t.Errorf("cross-site start: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := c.get("/auth/oidc/start"); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET start: %d", res.StatusCode)
	}
	// The sign-in page lets its form lead to the provider, and only there.
	idpOrigin := strings.TrimSuffix(s.idp.Issuer(), "/oidc")
	if csp := c.get("/login").Header.Get("Content-Security-Policy"); csp != components.ContentSecurityPolicy+" "+idpOrigin {
		t.Errorf("sign-in page's policy: %q", csp)
	}
}

// TestSSOLogsNoCodeOrState signs in and checks the logs for what the
// return address carried.
func TestSSOLogsNoCodeOrState(t *testing.T) {
	s := newSSOServer(t, startProvider(t))
	s.admin()
	c := s.client()
	s.idp.QueueUser(ssoUser("sub-1", "a@example.com", "amy"))
	back := c.atProvider(c.toProvider(s.idp))
	if res := c.get(back.String()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	// A replay is refused, and the provider, asked again for the code,
	// would refuse it quoting it: neither reaches a log.
	c.get(back.String())
	logs := s.logs.String() + s.ssoLogs.String()
	if !strings.Contains(logs, sso.CallbackPath) {
		t.Fatalf("the callback is not in the request log: %s", logs)
	}
	for _, secret := range []string{back.Query().Get("code"), back.Query().Get("state")} {
		if secret == "" || strings.Contains(logs, secret) {
			t.Errorf("the log holds %q (or it is empty): %s", secret, logs)
		}
	}
}

func TestSSOProviderAwayAnswers503(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "http://" + ln.Addr().String() + "/oidc"
	ln.Close()
	s := newTestServer(t, func(c *core.Config) {
		c.SSO = sso.New(sso.Config{Issuer: gone, ClientID: "oncelink", RedirectURL: c.BaseURL + sso.CallbackPath},
			slog.New(slog.DiscardHandler))
	})
	s.admin()
	c := s.client()
	if res := c.get("/login"); res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "sso") {
		t.Fatalf("sign-in page: %d", res.StatusCode)
	}
	res := c.post("/auth/oidc/start", nil)
	refusedWith(t, c, res, http.StatusServiceUnavailable, core.ErrSSOUnavailable)
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if !strings.Contains(s.logs.String(), "status=503") || strings.Contains(s.logs.String(), "database unavailable") {
		t.Errorf("logs: %s", s.logs.String())
	}
}

// TestPasswordSignInOff: with password sign-in off, the sign-in page shows
// the single sign-on button alone, and a password does not sign in.
func TestPasswordSignInOff(t *testing.T) {
	s := newSSOServer(t, startProvider(t), func(c *core.Config) { c.NoPasswordSignIn = true })
	s.admin() // set-up makes the first account, with a password, either way

	c := s.client()
	page := c.get("/login")
	if page.StatusCode != http.StatusOK || !hasTestID(t, page.body, "sso") ||
		len(findAll(parseHTML(t, page.body), byAttr("name", "password"))) != 0 {
		t.Fatalf("sign-in page: %d, SSO button %v, with a password field", page.StatusCode, hasTestID(t, page.body, "sso"))
	}
	res := c.post("/login", url.Values{"username": {"ada"}, "password": {testPassword}})
	refusedWith(t, c, res, http.StatusForbidden, core.ErrPasswordSignInOff)

	// The operator still sets passwords, and single sign-on still signs in.
	ada, err := s.h.core.AccountByName(context.Background(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.h.core.SetPassword(context.Background(), ada.ID, "another long password", ""); err != nil {
		t.Errorf("set a password: %v", err)
	}
	if res := s.ssoSignIn(c, ssoUser("sub-1", "a@example.com", "amy")); res.StatusCode != http.StatusSeeOther {
		t.Errorf("single sign-on: %d %s", res.StatusCode, res.body)
	}
}

// TestPasskeySignInOffWithPasswords: with password sign-in off, on a
// server where passkeys work, the sign-in page offers no passkey, and a
// passkey sign-in does not start: the provider is the one way in.
func TestPasskeySignInOffWithPasswords(t *testing.T) {
	s := newSSOServer(t, startProvider(t), func(c *core.Config) {
		c.NoPasswordSignIn = true
		c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1)
	})
	s.admin()
	if !s.h.core.PasskeysAvailable() {
		t.Fatal("passkeys do not work on the test's server")
	}
	c := s.client()
	if page := c.get("/login"); page.StatusCode != http.StatusOK || !hasTestID(t, page.body, "sso") || hasTestID(t, page.body, "passkey-signin") {
		t.Errorf("sign-in page: %d, SSO button %v, passkey button %v", page.StatusCode, hasTestID(t, page.body, "sso"), hasTestID(t, page.body, "passkey-signin"))
	}
	res := c.request(http.MethodPost, "/login/passkey/options", strings.NewReader(""),
		http.Header{"Accept": {"application/json"}, "Content-Type": {"application/x-www-form-urlencoded"}})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, `"code":"password_signin_off"`) {
		t.Errorf("a passkey sign-in's options: %d %s", res.StatusCode, res.body)
	}
}

// TestPasskeysNotAddedWithPasswordsOff: with password sign-in off, no
// passkey signs in, so Settings offers to add none and says why, and
// adding one is refused, at its start and at its end, as a passkey
// sign-in is. The account's passkeys are still listed, and removed.
func TestPasskeysNotAddedWithPasswordsOff(t *testing.T) {
	s := newSSOServer(t, startProvider(t), func(c *core.Config) {
		c.NoPasswordSignIn = true
		c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1)
	})
	ada := s.admin()
	ctx := context.Background()
	p, err := s.store.AddPasskey(ctx, store.Passkey{AccountID: 1, CredentialID: []byte("laptop"), UserHandle: []byte("ada"),
		Name: "laptop", Credential: []byte(`{}`)}, core.MaxPasskeys)
	if err != nil {
		t.Fatal(err)
	}
	page := ada.get("/settings")
	en := i18n.For("en")
	if page.StatusCode != http.StatusOK || hasTestID(t, page.body, "passkey-form") || hasTestID(t, page.body, "add-passkey") ||
		testIDText(t, page.body, "passkeys-sso-only") != en.T("twofactor.passkeys.sso_only") {
		t.Fatalf("settings: %d, the form to add a passkey %v, why not %q", page.StatusCode,
			hasTestID(t, page.body, "passkey-form"), testIDText(t, page.body, "passkeys-sso-only"))
	}
	if !hasTestID(t, page.body, "passkey-row") || !hasTestID(t, page.body, "remove-passkey") {
		t.Fatal("the account's passkey is not listed to remove")
	}
	if got := testIDText(t, page.body, "two-factor-intro"); got != en.T("twofactor.intro_sso_only") {
		t.Errorf("the section's introduction: %q", got)
	}
	for what, res := range map[string]response{
		"its options": ada.passkeyOptions(testPassword),
		"its answer": ada.request(http.MethodPost, "/settings/passkeys", strings.NewReader(`{"id":"x"}`),
			http.Header{"Accept": {"application/json"}, "Content-Type": {"application/json"}}),
	} {
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, `"code":"password_signin_off"`) {
			t.Errorf("adding a passkey, %s: %d %s", what, res.StatusCode, res.body)
		}
	}
	res := ada.post("/settings/passkeys/"+itoa(p.ID)+"/delete", url.Values{"proof": {testPassword}})
	if res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "passkey-removed") {
		t.Fatalf("removing the passkey: %d", res.StatusCode)
	}
	if keys, _ := s.store.Passkeys(ctx, 1); len(keys) != 0 {
		t.Fatalf("%d passkeys left", len(keys))
	}
}

// TestPasswordFormSaysWhatItIsForWithPasswordsOff: with password sign-in
// off, an account's password signs it in no more, but it still confirms it
// is the owner on the settings page: the form to change it stays, and says
// so, in every language. A password changed there is the one that
// confirms, the old one no longer. Where password sign-in is on, the form
// says nothing of it.
func TestPasswordFormSaysWhatItIsForWithPasswordsOff(t *testing.T) {
	s := newSSOServer(t, startProvider(t), func(c *core.Config) {
		c.NoPasswordSignIn = true
		c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1)
	})
	ada := s.admin()
	for _, lang := range []string{"en", "de", "fr", "es", "ar"} {
		page := ada.request(http.MethodGet, "/settings", nil, http.Header{"Accept-Language": {lang}})
		if !hasTestID(t, page.body, "password-form") {
			t.Fatalf("in %s, no form to change the password: %d", lang, page.StatusCode)
		}
		// As a reader sees it: spaces collapsed (see textOf).
		want := strings.Join(strings.Fields(i18n.For(lang).T("settings.password.sso_only")), " ")
		if got := testIDText(t, page.body, "password-sso-only"); got != want {
			t.Errorf("in %s the password's section says %q, want %q", lang, got, want)
		}
	}

	// What it says holds: the password changed is the one that confirms
	// a change of a second factor, once the sign-in's proof has run out.
	ctx := context.Background()
	p, err := s.store.AddPasskey(ctx, store.Passkey{AccountID: 1, CredentialID: []byte("laptop"), UserHandle: []byte("ada"),
		Name: "laptop", Credential: []byte(`{}`)}, core.MaxPasskeys)
	if err != nil {
		t.Fatal(err)
	}
	const newPassword = "a new password for ada"
	res := ada.post("/settings/password", url.Values{"current_password": {testPassword}, "password": {newPassword}})
	if res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "password-changed") {
		t.Fatalf("change the password: %d", res.StatusCode)
	}
	s.clock.Advance(core.ProofWindow + time.Minute)
	remove := "/settings/passkeys/" + itoa(p.ID) + "/delete"
	if res := ada.post(remove, url.Values{"proof": {testPassword}}); res.StatusCode != http.StatusForbidden || hasTestID(t, res.body, "passkey-removed") {
		t.Errorf("the old password as a proof: %d", res.StatusCode)
	}
	if res := ada.post(remove, url.Values{"proof": {newPassword}}); res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "passkey-removed") {
		t.Errorf("the new password as a proof: %d", res.StatusCode)
	}

	withPasswords := newSSOServer(t, startProvider(t))
	if page := withPasswords.admin().get("/settings"); !hasTestID(t, page.body, "password-form") || hasTestID(t, page.body, "password-sso-only") {
		t.Errorf("with password sign-in on, the password's section: %s", page.body)
	}
}

// TestSSOTakesSignInTurns: starting and returning each take a turn at the
// client's sign-in limit, so a client cannot leave sign-ons pending, or
// try returns, faster than it could try passwords. Either, held back,
// comes back as the sign-in page, its notice counting the wait down: a
// return goes on there (303), at an address without the provider's code
// and state, which shows the notice once.
func TestSSOTakesSignInTurns(t *testing.T) {
	s := newSSOServer(t, startProvider(t), func(c *core.Config) {
		c.RateLimits = true
		c.Rates.SignIn = core.Rate{N: 3, Per: time.Hour}
	})
	s.admin()
	c := s.client()
	if res := s.ssoSignIn(c, ssoUser("sub-1", "a@example.com", "amy")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	// Another browser, not signed in, from the same client.
	c = s.client()
	c.toProvider(s.idp) // the third turn
	returned := c.get(sso.CallbackPath + "?state=x&code=y")
	if to := returned.Header.Get("Location"); returned.StatusCode != http.StatusSeeOther || to != "/login?next=/links" {
		t.Fatalf("a return past the limit: %d to %q", returned.StatusCode, to)
	}
	for where, res := range map[string]response{
		"a fourth turn":           c.post("/auth/oidc/start", nil),
		"a return past the limit": c.get(returned.Header.Get("Location")),
	} {
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s: %d, Retry-After %q", where, res.StatusCode, res.Header.Get("Retry-After"))
		}
		page := parseHTML(t, res.body)
		checkCountsDown(t, where, first(t, page, where+": the notice", byTestID("held-back")))
		first(t, page, where+": the single sign-on form", byAttr("action", "/auth/oidc/start"))
	}
	if again := c.get("/login?next=/links"); again.StatusCode != http.StatusOK || hasTestID(t, again.body, "held-back") {
		t.Errorf("the sign-in page again: %d, held back %v", again.StatusCode, hasTestID(t, again.body, "held-back"))
	}
}
