package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"oncelink/core"
)

// signIn gives name's password to the sign-in form from c's browser, as a
// person does, and returns the path the browser ends on: /links once it
// is signed in.
func (c *client) signIn(name string) string {
	c.t.Helper()
	form := url.Values{"username": {name}, "password": {testPassword}}
	res := c.do(http.MethodPost, "/login", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("sign in as %s: %d %s", name, res.StatusCode, res.body)
	}
	return res.Request.URL.Path
}

// signOut signs c's browser out with the page's form.
func (c *client) signOut() {
	c.t.Helper()
	if res := c.do(http.MethodPost, "/logout", "application/x-www-form-urlencoded", nil, nil); res.StatusCode != http.StatusOK || res.Request.URL.Path != "/login" {
		c.t.Fatalf("sign out: %d at %s", res.StatusCode, res.Request.URL.Path)
	}
}

// sessionCookie is the session cookie c's browser holds, or "".
func (c *client) sessionCookie() string {
	u, _ := url.Parse(c.s.URL)
	for _, k := range c.c.Jar.Cookies(u) {
		if k.Name == "oncelink_session" {
			return k.Value
		}
	}
	return ""
}

// sameSite are the headers a browser adds to a request from the server's
// own page.
func (c *client) sameSite() http.Header {
	return http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {c.s.URL}}
}

// crossSite are the headers a browser adds to a request from another site.
var crossSite = http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}

func (c *client) linkIDs() []int64 {
	c.t.Helper()
	res := c.get("/api/v1/links")
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("list links: %d %s", res.StatusCode, res.body)
	}
	var list struct{ Links []link }
	if err := json.Unmarshal(res.body, &list); err != nil {
		c.t.Fatal(err)
	}
	ids := []int64{}
	for _, l := range list.Links {
		ids = append(ids, l.ID)
	}
	return ids
}

func (c *client) webhookIDs() []int64 {
	c.t.Helper()
	res := c.get("/api/v1/webhooks")
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("list webhooks: %d %s", res.StatusCode, res.body)
	}
	var list struct{ Webhooks []struct{ ID int64 } }
	if err := json.Unmarshal(res.body, &list); err != nil {
		c.t.Fatal(err)
	}
	ids := []int64{}
	for _, h := range list.Webhooks {
		ids = append(ids, h.ID)
	}
	return ids
}

func (c *client) me() string {
	c.t.Helper()
	res := c.get("/api/v1/me")
	if res.StatusCode != http.StatusOK {
		return ""
	}
	var me struct{ Username string }
	json.Unmarshal(res.body, &me)
	return me.Username
}

// wantProblem fails unless res is the problem status with code.
func wantProblem(t *testing.T, what string, res response, status int, code string) {
	t.Helper()
	if p := res.problem(); res.StatusCode != status || p.Code != code {
		t.Errorf("%s: %d %s, want %d %s", what, res.StatusCode, res.body, status, code)
	}
}

// TestSessionActsForItsAccount: a browser signed in to the pages calls the
// API as its account, without a key: it lists its own links, adds a
// webhook, sees 404 for another account's, and stops at 401 once signed
// out, even with its old cookie, or once its account is disabled. A key,
// when sent, decides alone. The API writes no cookie.
func TestSessionActsForItsAccount(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.Resolver = publicResolver{} })
	adaKey, bobKey := s.account("ada"), s.account("bob")
	adaLink := adaKey.create(map[string]any{"label": "by key"})

	ada := s.client("")
	if at := ada.signIn("ada"); at != "/links" {
		t.Fatalf("ada's sign-in ended at %s", at)
	}
	if got := ada.linkIDs(); len(got) != 1 || got[0] != adaLink.ID {
		t.Fatalf("ada's session lists links %v, want [%d]", got, adaLink.ID)
	}
	if got := ada.me(); got != "ada" {
		t.Fatalf("ada's session is %q", got)
	}
	if res := ada.get("/api/v1/links"); len(res.Header.Values("Set-Cookie")) > 0 {
		t.Errorf("the API wrote the session's cookie: %q", res.Header.Values("Set-Cookie"))
	}
	body := `{"url":"https://hooks.example.com/in","events":["link.opened"]}`
	res := ada.do(http.MethodPost, "/api/v1/webhooks", "application/json", strings.NewReader(body), ada.sameSite())
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("ada's session adds a webhook: %d %s", res.StatusCode, res.body)
	}
	var hook struct {
		ID     int64
		Secret string
	}
	json.Unmarshal(res.body, &hook)
	if got := adaKey.webhookIDs(); len(got) != 1 || got[0] != hook.ID || !strings.HasPrefix(hook.Secret, "whsec_") {
		t.Fatalf("ada's key sees webhooks %v, want [%d]", got, hook.ID)
	}
	rot := ada.do(http.MethodPost, "/api/v1/webhooks/"+itoa(hook.ID)+"/rotate", "", nil, ada.sameSite())
	if rot.StatusCode != http.StatusOK || !strings.Contains(string(rot.body), `"secret":"whsec_`) || strings.Contains(string(rot.body), hook.Secret) {
		t.Fatalf("ada's session rotates her webhook's secret: %d %s", rot.StatusCode, rot.body)
	}
	created := ada.do(http.MethodPost, "/api/v1/links", "application/json",
		strings.NewReader(`{"kind":"message","message":"from the page","ttl":"1h"}`), ada.sameSite())
	if created.StatusCode != http.StatusCreated {
		t.Fatalf("ada's session creates a link: %d %s", created.StatusCode, created.body)
	}

	bob := s.client("")
	if at := bob.signIn("bob"); at != "/links" {
		t.Fatalf("bob's sign-in ended at %s", at)
	}
	if got := bob.linkIDs(); len(got) != 0 {
		t.Errorf("bob's session lists ada's links %v", got)
	}
	wantProblem(t, "bob's session reads ada's link", bob.get("/api/v1/links/"+itoa(adaLink.ID)), http.StatusNotFound, "not_found")
	wantProblem(t, "bob's session reads ada's webhook", bob.get("/api/v1/webhooks/"+itoa(hook.ID)+"/deliveries"), http.StatusNotFound, "not_found")
	wantProblem(t, "bob's session deletes ada's webhook", bob.do(http.MethodDelete, "/api/v1/webhooks/"+itoa(hook.ID), "", nil, bob.sameSite()),
		http.StatusNotFound, "not_found")
	wantProblem(t, "bob's session rotates ada's webhook", bob.do(http.MethodPost, "/api/v1/webhooks/"+itoa(hook.ID)+"/rotate", "", nil, bob.sameSite()),
		http.StatusNotFound, "not_found")
	wantProblem(t, "bob's session revokes ada's link", bob.do(http.MethodPost, "/api/v1/links/"+itoa(adaLink.ID)+"/revoke", "", nil, bob.sameSite()),
		http.StatusNotFound, "not_found")
	if got := adaKey.webhookIDs(); len(got) != 1 {
		t.Errorf("after bob's attempts ada has webhooks %v", got)
	}

	// A key decides alone: ada's cookie with bob's key is bob; with a
	// refused key it is refused, not ada.
	withKey := func(key string) http.Header { return http.Header{"Authorization": {"Bearer " + key}} }
	res = ada.do(http.MethodGet, "/api/v1/me", "", nil, withKey(bobKey.key))
	if !strings.Contains(string(res.body), `"username":"bob"`) {
		t.Errorf("ada's cookie with bob's key: %d %s", res.StatusCode, res.body)
	}
	wantProblem(t, "ada's cookie with a refused key", ada.do(http.MethodGet, "/api/v1/me", "", nil, withKey("ol_"+strings.Repeat("A", 43))),
		http.StatusUnauthorized, "key_refused")
	for _, h := range []string{"Bearer ", "Bearer", "Basic YWRhOnB3"} {
		wantProblem(t, "ada's cookie with Authorization: "+h, ada.do(http.MethodGet, "/api/v1/me", "", nil, http.Header{"Authorization": {h}}),
			http.StatusUnauthorized, "key_refused")
	}

	// Signed out, the session acts for nobody, even when its old cookie
	// is sent again.
	old := ada.sessionCookie()
	if old == "" {
		t.Fatal("ada's browser holds no session cookie")
	}
	ada.signOut()
	wantProblem(t, "a signed-out browser lists links", ada.get("/api/v1/links"), http.StatusUnauthorized, "key_missing")
	replay := s.client("")
	oldCookie := http.Header{"Cookie": {"oncelink_session=" + old}}
	wantProblem(t, "the old cookie lists links", replay.do(http.MethodGet, "/api/v1/links", "", nil, oldCookie), http.StatusUnauthorized, "key_missing")
	wantProblem(t, "the old cookie adds a webhook", replay.do(http.MethodPost, "/api/v1/webhooks", "application/json", strings.NewReader(body), oldCookie),
		http.StatusUnauthorized, "key_missing")
	if got := adaKey.webhookIDs(); len(got) != 1 {
		t.Errorf("after sign-out ada has webhooks %v", got)
	}
	if bob.me() != "bob" {
		t.Error("bob's session ended with ada's")
	}
	bobAcc, err := s.svc.AccountByName(t.Context(), "bob")
	if err == nil {
		_, _, err = s.svc.SetDisabled(t.Context(), nil, bobAcc.ID, true)
	}
	if err != nil {
		t.Fatal(err)
	}
	wantProblem(t, "a disabled account's session", bob.get("/api/v1/me"), http.StatusUnauthorized, "key_missing")
}

// TestSessionCrossSiteRefused: a state change that a browser sends with
// its session from another site is refused with 403 and changes nothing;
// a read from another site is answered, as the browser keeps its answer
// from the other site's script.
func TestSessionCrossSiteRefused(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.Resolver = publicResolver{} })
	adaKey := s.account("ada")
	l := adaKey.create(nil)
	ada := s.client("")
	ada.signIn("ada")

	hook := `{"url":"https://hooks.example.com/in","events":["link.opened"]}`
	wantProblem(t, "add a webhook cross-site", ada.do(http.MethodPost, "/api/v1/webhooks", "application/json", strings.NewReader(hook), crossSite),
		http.StatusForbidden, "cross_origin")
	wantProblem(t, "create a link cross-site", ada.do(http.MethodPost, "/api/v1/links", "application/json",
		strings.NewReader(`{"kind":"message","message":"x","ttl":"1h"}`), crossSite), http.StatusForbidden, "cross_origin")
	wantProblem(t, "revoke a link cross-site", ada.do(http.MethodPost, "/api/v1/links/"+itoa(l.ID)+"/revoke", "", nil, crossSite),
		http.StatusForbidden, "cross_origin")
	// A sibling subdomain is the same site, not the same origin.
	wantProblem(t, "add a webhook from the same site", ada.do(http.MethodPost, "/api/v1/webhooks", "application/json", strings.NewReader(hook),
		http.Header{"Sec-Fetch-Site": {"same-site"}, "Origin": {"https://other.example"}}), http.StatusForbidden, "cross_origin")
	// An Origin of another site, from a browser that sends no Sec-Fetch-Site.
	wantProblem(t, "add a webhook from another origin", ada.do(http.MethodPost, "/api/v1/webhooks", "application/json", strings.NewReader(hook),
		http.Header{"Origin": {"https://evil.example"}}), http.StatusForbidden, "cross_origin")

	if got := adaKey.webhookIDs(); len(got) != 0 {
		t.Errorf("cross-site requests added webhooks %v", got)
	}
	if got := adaKey.linkIDs(); len(got) != 1 {
		t.Errorf("cross-site requests left links %v", got)
	}
	res := adaKey.get("/api/v1/links/" + itoa(l.ID))
	if !strings.Contains(string(res.body), `"status":"active"`) {
		t.Errorf("the link after a cross-site revoke: %s", res.body)
	}
	if res := ada.do(http.MethodGet, "/api/v1/links", "", nil, crossSite); res.StatusCode != http.StatusOK {
		t.Errorf("a cross-site read: %d", res.StatusCode)
	}
	// The same request from the server's own origin goes through.
	if res := ada.do(http.MethodPost, "/api/v1/webhooks", "application/json", strings.NewReader(hook), ada.sameSite()); res.StatusCode != http.StatusCreated {
		t.Errorf("add a webhook from the same origin: %d %s", res.StatusCode, res.body)
	}
}

// TestCrossSiteWithoutACookieRefused: a browser's state change from
// another site is refused whether it carries a cookie or not, unless it
// carries a key: a page elsewhere could not read the answer of an open,
// but it would spend one of the link's uses. A program's request, a key
// and no cookie, is not checked.
func TestCrossSiteWithoutACookieRefused(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	l := ada.create(map[string]any{"max_uses": 2})
	anon := s.client("")
	wantProblem(t, "open cross-site", anon.do(http.MethodPost, openPath(l.URL), "", nil, crossSite), http.StatusForbidden, "cross_origin")
	wantProblem(t, "open from another origin", anon.do(http.MethodPost, openPath(l.URL), "", nil, http.Header{"Origin": {"https://app.example"}}),
		http.StatusForbidden, "cross_origin")
	wantProblem(t, "create cross-site without a key", anon.do(http.MethodPost, "/api/v1/links", "application/json",
		strings.NewReader(`{"kind":"message","message":"x","ttl":"1h"}`), crossSite), http.StatusForbidden, "cross_origin")
	res := ada.get("/api/v1/links/" + itoa(l.ID))
	if !strings.Contains(string(res.body), `"uses":0`) {
		t.Errorf("the link after the cross-site opens: %s", res.body)
	}
	if res := ada.do(http.MethodPost, "/api/v1/links", "application/json", strings.NewReader(`{"kind":"message","message":"x","ttl":"1h"}`), crossSite); res.StatusCode != http.StatusCreated {
		t.Errorf("a program's create with an Origin: %d %s", res.StatusCode, res.body)
	}
	if res := anon.postJSON(openPath(l.URL), nil); res.StatusCode != http.StatusOK {
		t.Errorf("open without an Origin: %d %s", res.StatusCode, res.body)
	}
}

// TestSessionNeedsAFinishedSignIn: a browser that gave its password but
// not yet its second factor, or that must set one up first because the
// server requires it, is not signed in for the API either.
func TestSessionNeedsAFinishedSignIn(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.Resolver = publicResolver{} })
	ctx := context.Background()
	s.account("ada")
	adaAcc, err := s.svc.AccountByName(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.svc.StartTOTP(ctx, adaAcc, &core.Proof{ProvenAt: s.svc.Now()})
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(e.Secret, s.svc.Now())
	if err != nil {
		t.Fatal(err)
	}
	recovery, err := s.svc.ConfirmTOTP(ctx, adaAcc, code, "", &core.Proof{ProvenAt: s.svc.Now()})
	if err != nil {
		t.Fatal(err)
	}

	ada := s.client("")
	if at := ada.signIn("ada"); at != "/login/verify" {
		t.Fatalf("ada's password step ended at %s", at)
	}
	hook := `{"url":"https://hooks.example.com/in","events":["link.opened"]}`
	wantProblem(t, "second factor owed: list", ada.get("/api/v1/links"), http.StatusUnauthorized, "key_missing")
	wantProblem(t, "second factor owed: add a webhook", ada.do(http.MethodPost, "/api/v1/webhooks", "application/json", strings.NewReader(hook), ada.sameSite()),
		http.StatusUnauthorized, "key_missing")
	res := ada.do(http.MethodPost, "/login/verify", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"code": {recovery[0]}}.Encode()), nil)
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/links" {
		t.Fatalf("second step: %d at %s", res.StatusCode, res.Request.URL.Path)
	}
	if got := ada.me(); got != "ada" {
		t.Fatalf("after the second step ada's session is %q", got)
	}

	if err := s.svc.SetTwoFactorRequired(ctx, nil, true); err != nil {
		t.Fatal(err)
	}
	bobKey := s.account("bob")
	bob := s.client("")
	if at := bob.signIn("bob"); at != "/settings" {
		t.Fatalf("bob's sign-in, a second factor required and none set up, ended at %s", at)
	}
	wantProblem(t, "must enrol: me", bob.get("/api/v1/me"), http.StatusUnauthorized, "key_missing")
	wantProblem(t, "must enrol: add a webhook", bob.do(http.MethodPost, "/api/v1/webhooks", "application/json", strings.NewReader(hook), bob.sameSite()),
		http.StatusUnauthorized, "key_missing")
	if got := bobKey.webhookIDs(); len(got) != 0 {
		t.Errorf("a session that must enrol added webhooks %v", got)
	}
	// ada, signed in before the requirement, stays signed in, as on the pages.
	if got := ada.me(); got != "ada" {
		t.Errorf("ada's finished session under the requirement is %q", got)
	}
}

// TestSessionEventStreamEnds: a browser's session watches its links on
// the event stream until the session ends, and the stream's last event
// says why: signed_out for a session that ended (signed out in that
// browser or from another, expired, its account deleted), account_disabled
// for an account disabled, as a key's stream says it.
func TestSessionEventStreamEnds(t *testing.T) {
	for _, tt := range []struct {
		how  string
		end  func(s *testServer, ada, key *client, id int64)
		code string
	}{
		{"signed out", func(s *testServer, ada, key *client, id int64) { ada.signOut() }, core.ErrSignedOut.Code},
		{"signed out from elsewhere", func(s *testServer, ada, key *client, id int64) {
			if err := s.svc.EndSession(t.Context(), id, sessionHash(ada.sessionCookie())); err != nil {
				t.Fatal(err)
			}
		}, core.ErrSignedOut.Code},
		{"expired", func(s *testServer, ada, key *client, id int64) {
			// Its time ran out: the session is kept as it was, but past
			// its expiry; the next link the stream would send finds it so,
			// as its next heartbeat would.
			ss, hash := s.store.SessionStore(0), sessionHash(ada.sessionCookie())
			data, found, err := ss.Find(hash)
			if err != nil || !found {
				t.Fatalf("the session: %v %v", found, err)
			}
			if err := ss.Commit(hash, data, time.Now().Add(-time.Second)); err != nil {
				t.Fatal(err)
			}
			key.create(nil)
		}, core.ErrSignedOut.Code},
		{"account disabled", func(s *testServer, ada, key *client, id int64) {
			if _, _, err := s.svc.SetDisabled(t.Context(), nil, id, true); err != nil {
				t.Fatal(err)
			}
		}, core.ErrKeyAccountDisabled.Code},
		{"account deleted", func(s *testServer, ada, key *client, id int64) {
			if _, err := s.svc.DeleteAccount(t.Context(), nil, id); err != nil {
				t.Fatal(err)
			}
		}, core.ErrSignedOut.Code},
	} {
		t.Run(tt.how, func(t *testing.T) {
			s := newTestServer(t, newDocCheck(t))
			adaKey := s.account("ada")
			acc, err := s.svc.AccountByName(t.Context(), "ada")
			if err != nil {
				t.Fatal(err)
			}
			ada := s.client("")
			ada.signIn("ada")
			stream := ada.stream(t.Context())
			defer stream.close()
			l := adaKey.create(nil)
			stream.next(t, func(got map[string]any) bool { return got["id"] == float64(l.ID) })

			tt.end(s, ada, adaKey, acc.ID)
			stream.ends(t, "the stream of a session "+tt.how)
			if stream.end != tt.code {
				t.Errorf("the stream of a session %s ended with the code %q, want %q", tt.how, stream.end, tt.code)
			}
		})
	}
}

// sessionHash is the id of the session whose cookie is tok, as the
// server keeps it.
func sessionHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// TestSessionEventStreamEndsAtRenewal: a stream opened with a session's
// cookie ends once the session goes on under a new token, after a
// password change: the cookie it came with signs nobody in any more, and
// the stream's last event says that session ended.
func TestSessionEventStreamEndsAtRenewal(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	s.account("ada")
	ada := s.client("")
	ada.signIn("ada")
	stream := ada.stream(t.Context())
	defer stream.close()

	form := url.Values{"current_password": {testPassword}, "password": {"a new password"}}
	if res := ada.do(http.MethodPost, "/settings/password", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), ada.sameSite()); res.StatusCode != http.StatusOK {
		t.Fatalf("change the password: %d", res.StatusCode)
	}
	stream.ends(t, "the stream of the session's old token")
	if stream.end != core.ErrSignedOut.Code {
		t.Errorf("the stream of the session's old token ended with the code %q", stream.end)
	}
}

// TestSessionSharesTheAPILimit: an account's requests with its session
// and with its key draw on the one per-account API limit.
func TestSessionSharesTheAPILimit(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.Rates.API = core.Rate{N: 2, Per: time.Hour} })
	adaKey := s.account("ada")
	ada := s.client("")
	ada.signIn("ada")
	if adaKey.me() != "ada" || ada.me() != "ada" {
		t.Fatal("two requests within the limit were refused")
	}
	wantProblem(t, "the session over the limit", ada.get("/api/v1/me"), http.StatusTooManyRequests, "rate_limited")
	wantProblem(t, "the key over the limit", adaKey.get("/api/v1/me"), http.StatusTooManyRequests, "rate_limited")
}
