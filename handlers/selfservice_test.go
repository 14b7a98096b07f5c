package handlers

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"oncelink/core"
	"oncelink/i18n"
)

// sessionRows are the rows of the client's sessions list: each session's
// id, and whether it is the one asking.
func (c *testClient) sessionRows() map[string]bool {
	c.t.Helper()
	res := c.get("/settings")
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("settings: %d", res.StatusCode)
	}
	rows := map[string]bool{}
	for _, n := range findAll(parseHTML(c.t, res.body), byTestID("session-row")) {
		rows[attr(n, "data-session")] = hasAttr(n, "data-current")
	}
	return rows
}

// current is the id of the client's own session on its sessions list.
func current(t testing.TB, rows map[string]bool) string {
	t.Helper()
	for id, cur := range rows {
		if cur {
			return id
		}
	}
	t.Fatal("no session is marked as this one")
	return ""
}

func TestChangePasswordEndsOtherSessions(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	laptop := s.user("bob")
	phone := s.signIn("bob")
	other := s.signIn("bob")
	phoneStream := phone.stream()

	rows := laptop.sessionRows()
	if len(rows) != 3 {
		t.Fatalf("bob's sessions: %v, want 3", rows)
	}
	for _, tt := range []struct {
		name    string
		form    url.Values
		status  int
		field   string
		message string
	}{
		{"wrong current", url.Values{"current_password": {"not it at all"}, "password": {"a new password"}}, http.StatusForbidden, "current-password", "not your current password"},
		{"short new", url.Values{"current_password": {testPassword}, "password": {"short"}}, http.StatusBadRequest, "new-password", "at least 10 characters"},
	} {
		res := laptop.post("/settings/password", tt.form)
		if res.StatusCode != tt.status || !strings.Contains(res.body, tt.message) {
			t.Errorf("%s: %d, want %d saying %q", tt.name, res.StatusCode, tt.status, tt.message)
		}
		if in := elementByID(parseHTML(t, res.body), tt.field); in == nil || attr(in, "aria-invalid") != "true" {
			t.Errorf("%s: the mistake is not beside %s", tt.name, tt.field)
		}
	}
	if len(laptop.sessionRows()) != 3 {
		t.Fatal("a refused change ended sessions")
	}

	change := url.Values{"current_password": {testPassword}, "password": {"a new password"}, "form_key": {"change-once"}}
	res := laptop.post("/settings/password", change)
	if res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "password-changed") || !strings.Contains(res.body, "2 other sessions") {
		t.Fatalf("change: %d %s", res.StatusCode, res.body)
	}
	// The same form again, as a reload sends it: said so, and the old
	// password it carries is not tried as a wrong one.
	res = laptop.post("/settings/password", change)
	if res.StatusCode != http.StatusConflict || !strings.Contains(res.body, "sent already") {
		t.Fatalf("the change sent again: %d", res.StatusCode)
	}
	if ev := phoneStream.next(); ev.name != "signed-out" {
		t.Fatalf("the phone's open dashboard: %+v, want signed-out", ev)
	}
	for name, c := range map[string]*testClient{"phone": phone, "other": other} {
		if res := c.get("/links"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("%s after the change: %d, want to sign in again", name, res.StatusCode)
		}
	}
	if res := laptop.get("/links"); res.StatusCode != http.StatusOK {
		t.Errorf("the session that changed it: %d", res.StatusCode)
	}
	if rows := laptop.sessionRows(); len(rows) != 1 {
		t.Errorf("sessions after the change: %v", rows)
	}
	if res := s.client().post("/login", url.Values{"username": {"bob"}, "password": {testPassword}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password: %d", res.StatusCode)
	}
	if res := s.client().post("/login", url.Values{"username": {"bob"}, "password": {"a new password"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the new password: %d", res.StatusCode)
	}
	// Ada's session is hers alone.
	if res := admin.get("/links"); res.StatusCode != http.StatusOK {
		t.Errorf("another account's session: %d", res.StatusCode)
	}
}

// TestChangePasswordRenewsTheSession changes bob's password from his
// laptop: the session that changed it stays signed in under a new token,
// listed as before, and its own open dashboard goes on; a copy of the old
// cookie, taken before the change, signs nobody in.
func TestChangePasswordRenewsTheSession(t *testing.T) {
	onBoth(t, testChangePasswordRenews)
}

func testChangePasswordRenews(t *testing.T, s *testServer) {
	s.admin()
	laptop := s.user("bob")
	phone := s.signIn("bob")
	base, _ := url.Parse(s.URL)
	stolen := laptop.c.Jar.Cookies(base)
	laptopStream, phoneStream := laptop.stream(), phone.stream()

	res := laptop.post("/settings/password", url.Values{"current_password": {testPassword}, "password": {"a new password"}})
	if res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "password-changed") {
		t.Fatalf("change: %d", res.StatusCode)
	}
	if c := setCookie(t, res, "oncelink_session"); len(stolen) != 1 || c.Value == stolen[0].Value {
		t.Fatalf("the change kept the session token: %v, %v", stolen, c)
	}
	copied := s.client()
	copied.c.Jar.SetCookies(base, stolen)
	if res := copied.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a copy of the cookie from before the change: %d, want to sign in again", res.StatusCode)
	}
	if ev := phoneStream.next(); ev.name != "signed-out" {
		t.Fatalf("the phone's open dashboard: %+v, want signed-out", ev)
	}
	if res := laptop.get("/links"); res.StatusCode != http.StatusOK {
		t.Fatalf("the session that changed it: %d", res.StatusCode)
	}
	if rows := laptop.sessionRows(); len(rows) != 1 || current(t, rows) == "" {
		t.Errorf("sessions after the change: %v", rows)
	}
	// The laptop's dashboard, open on the session that changed it, was
	// told the phone's session ended, and holds: it shows the next link.
	laptop.createLink(url.Values{"label": {"after the change"}})
	if ev := laptopStream.next(); ev.name != "created" || !strings.Contains(ev.data, "after the change") {
		t.Fatalf("the laptop's open dashboard: %+v, want the new link", ev)
	}
}

// TestRefusedPasswordChangeKeepsTheSession: a password change refused for
// its current password leaves the session's token as it was, so that a
// second click sent with the cookie from before, as a browser sends the
// same form twice, is refused for the same reason rather than find its
// session gone.
func TestRefusedPasswordChangeKeepsTheSession(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	bob := s.user("bob")
	base, _ := url.Parse(s.URL)
	before := bob.c.Jar.Cookies(base)
	form := url.Values{"form_key": {formKeyOf(t, bob.get("/settings").body, "/settings/password")},
		"current_password": {"not the password"}, "password": {"a new password"}}
	if res := bob.post("/settings/password", form); res.StatusCode != http.StatusForbidden || res.Header.Get("Set-Cookie") != "" {
		t.Fatalf("a wrong current password: %d, Set-Cookie %q; want 403 and the session as it was", res.StatusCode, res.Header.Get("Set-Cookie"))
	}
	second := s.client()
	second.c.Jar.SetCookies(base, before)
	if res := second.post("/settings/password", form); res.StatusCode != http.StatusForbidden {
		t.Fatalf("the same form again with the cookie from before: %d, want 403 for the password", res.StatusCode)
	}
	if res := bob.get("/links"); res.StatusCode != http.StatusOK {
		t.Fatalf("bob after two refused changes: %d, want still signed in", res.StatusCode)
	}
}

// TestRenewalKeepsTheSignInsEnd: a session that goes on under a new
// token, after a new password, signing the others out or a proof, ends
// when its sign-in would have, a week after it: not a week after the
// renewal, past the end its listing keeps, when it would still sign in
// but no longer be on its own sessions list.
func TestRenewalKeepsTheSignInsEnd(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	bob := s.user("bob")
	base, _ := url.Parse(s.URL)
	expiry := func() float64 {
		t.Helper()
		cookies := bob.c.Jar.Cookies(base)
		if len(cookies) != 1 {
			t.Fatalf("bob's cookies: %v", cookies)
		}
		var e float64
		if err := s.store.SessionDB().QueryRow(`SELECT expiry FROM sessions WHERE token = ?`, tokenHash(cookies[0].Value)).Scan(&e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	signedIn := expiry()
	if res := bob.post("/settings/sessions/end-others", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("end others: %d", res.StatusCode)
	}
	if renewed := expiry(); renewed != signedIn {
		t.Errorf("signing the others out moved the session's end from %v to %v", signedIn, renewed)
	}
	res := bob.post("/settings/password", url.Values{"current_password": {testPassword}, "password": {"a new password"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("change: %d", res.StatusCode)
	}
	if renewed := expiry(); renewed != signedIn {
		t.Errorf("a new password moved the session's end from %v to %v", signedIn, renewed)
	}
}

// TestEndOtherSessionsRenewsThisOne signs every session of bob's but his
// laptop's out: the laptop's goes on under a new token, with its open
// dashboard, and a copy of its cookie taken before is signed out with the
// others.
func TestEndOtherSessionsRenewsThisOne(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	laptop := s.user("bob")
	phone := s.signIn("bob")
	base, _ := url.Parse(s.URL)
	stolen := laptop.c.Jar.Cookies(base)
	laptopStream := laptop.stream()

	res := laptop.post("/settings/sessions/end-others", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("end others: %d", res.StatusCode)
	}
	if c := setCookie(t, res, "oncelink_session"); len(stolen) != 1 || c.Value == stolen[0].Value {
		t.Fatalf("signing the others out kept this session's token: %v, %v", stolen, c)
	}
	copied := s.client()
	copied.c.Jar.SetCookies(base, stolen)
	for name, c := range map[string]*testClient{"phone": phone, "a copy of the laptop's cookie": copied} {
		if res := c.get("/links"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("%s after the others were signed out: %d, want to sign in again", name, res.StatusCode)
		}
	}
	if res := laptop.get("/settings"); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "One session was signed out") {
		t.Fatalf("the laptop's settings after signing the others out: %d", res.StatusCode)
	}
	laptop.createLink(url.Values{"label": {"after the others"}})
	if ev := laptopStream.next(); ev.name != "created" || !strings.Contains(ev.data, "after the others") {
		t.Fatalf("the laptop's open dashboard: %+v, want the new link", ev)
	}
}

// TestChangePasswordSaysEveryMistake sends a wrong current password and a
// short new one at once: each is said beside its field, and the password
// stays as it was.
func TestChangePasswordSaysEveryMistake(t *testing.T) {
	s := newTestServer(t)
	bob := s.user("bob")
	res := bob.post("/settings/password", url.Values{"current_password": {"not it at all"}, "password": {"short"}})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("a wrong current password and a short new one: %d, want 403", res.StatusCode)
	}
	en := i18n.For("en")
	saysEachBeside(t, parseHTML(t, res.body), "password-form",
		besideField{"current_password", "error-current_password", en.T("error.wrong_password.current")},
		besideField{"password", "error-password new-password-help", en.N("error.password_too_short", core.MinPasswordLen)})
	s.signIn("bob") // with the password it had
}

func TestSessionsList(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	if _, err := s.h.core.AddAccount(t.Context(), "bob", testPassword, false); err != nil {
		t.Fatal(err)
	}
	firefox := s.client()
	res := firefox.request(http.MethodPost, "/login", strings.NewReader(url.Values{"username": {"bob"}, "password": {testPassword}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
			"User-Agent": {"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	mine := s.signIn("bob")
	rows := mine.sessionRows()
	self := current(t, rows)
	if len(rows) != 2 {
		t.Fatalf("sessions: %v", rows)
	}
	body := mine.get("/settings").body
	if !strings.Contains(body, "Firefox 133 on Linux") || !strings.Contains(body, "127.0.0.1") {
		t.Error("the list does not name the Firefox session's device and address")
	}

	// Last seen moves at most once a minute, not on every request.
	lastSeen := func() time.Time {
		list, err := s.h.core.Sessions(t.Context(), accountIDOf(t, s, "bob"))
		if err != nil {
			t.Fatal(err)
		}
		for _, ss := range list {
			if ss.ID == self {
				return ss.LastSeenAt
			}
		}
		t.Fatal("no such session")
		return time.Time{}
	}
	seen := lastSeen()
	s.clock.Advance(30 * time.Second)
	mine.get("/links")
	if got := lastSeen(); !got.Equal(seen) {
		t.Errorf("last seen moved within a minute: %v to %v", seen, got)
	}
	s.clock.Advance(31 * time.Second)
	mine.get("/links")
	if got := lastSeen(); !got.After(seen) {
		t.Errorf("last seen after a minute: %v, want after %v", got, seen)
	}

	var other string
	for id := range rows {
		if id != self {
			other = id
		}
	}
	// Ending one goes on to the settings page, which says so once: a
	// reload of it ends nothing again.
	if res := mine.post("/settings/sessions/"+other+"/end", nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings" {
		t.Fatalf("end one: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := mine.get("/settings"); !hasTestID(t, res.body, "sessions-ended") || !strings.Contains(res.body, "One session was signed out") {
		t.Errorf("the settings page after ending one does not say so: %d", res.StatusCode)
	}
	if res := mine.get("/settings"); res.StatusCode != http.StatusOK || hasTestID(t, res.body, "sessions-ended") {
		t.Errorf("the settings page says again that a session ended: %d", res.StatusCode)
	}
	if res := firefox.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the ended session: %d", res.StatusCode)
	}
	// Another account's session, or one already ended, is not found: the
	// settings page, its list up to date, says that it was signed out
	// already and nothing changed (as from a page left open in another
	// tab), in the page's language, rather than an address not found.
	ada := s.signIn("ada")
	adaSelf := current(t, ada.sessionRows())
	for _, id := range []string{adaSelf, other, "nonsense"} {
		res := mine.post("/settings/sessions/"+id+"/end", nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("end %s: %d, want 404", id, res.StatusCode)
		}
		if !hasTestID(t, res.body, "session-gone") || !strings.Contains(res.body, html.EscapeString(i18n.For("en").T("settings.sessions.gone"))) ||
			!hasTestID(t, res.body, "sessions") || strings.Contains(res.body, `data-session="`+other+`"`) {
			t.Errorf("end %s: the page does not say the session was signed out already, beside the list", id)
		}
	}
	res = mine.request(http.MethodPost, "/settings/sessions/"+other+"/end", strings.NewReader(""),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept-Language": {"fr"}})
	if res.StatusCode != http.StatusNotFound || !strings.Contains(res.body, html.EscapeString(i18n.For("fr").T("settings.sessions.gone"))) {
		t.Errorf("in French, ending a session signed out already: %d", res.StatusCode)
	}
	if res := mine.get("/settings"); hasTestID(t, res.body, "session-gone") {
		t.Error("the settings page says again that a session was signed out already")
	}
	if res := ada.get("/links"); res.StatusCode != http.StatusOK {
		t.Errorf("ada's session after bob tried to end it: %d", res.StatusCode)
	}

	third, fourth := s.signIn("bob"), s.signIn("bob")
	if res := mine.post("/settings/sessions/end-others", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("end others: %d", res.StatusCode)
	}
	if res := mine.get("/settings"); !strings.Contains(res.body, "2 sessions were signed out") {
		t.Errorf("the settings page after ending the others does not say how many: %d", res.StatusCode)
	}
	for _, c := range []*testClient{third, fourth} {
		if res := c.get("/links"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("another session after ending all others: %d", res.StatusCode)
		}
	}
	// This one stays, under a new token (see
	// TestEndOtherSessionsRenewsThisOne).
	if rows := mine.sessionRows(); len(rows) != 1 || current(t, rows) == "" {
		t.Errorf("sessions left: %v", rows)
	}
	// Signing out takes the session off the list.
	mine.post("/logout", nil)
	if list, _ := s.h.core.Sessions(t.Context(), accountIDOf(t, s, "bob")); len(list) != 0 {
		t.Errorf("sessions after signing out: %+v", list)
	}
}

// TestEndingThisSessionSignsOut ends the asking session from the
// sessions list's route: it is signed out, as at /logout, rather than
// saved again under its token, signed in and off the list, where neither
// signing out everywhere else nor a new password would reach it.
func TestEndingThisSessionSignsOut(t *testing.T) {
	onBoth(t, testEndingThisSession)
}

func testEndingThisSession(t *testing.T, s *testServer) {
	s.admin()
	if _, err := s.h.core.AddAccount(t.Context(), "bob", testPassword, false); err != nil {
		t.Fatal(err)
	}
	mine, other := s.signIn("bob"), s.signIn("bob")
	self := current(t, mine.sessionRows())
	res := mine.post("/settings/sessions/"+self+"/end", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Errorf("end this session: %d to %q, want 303 to /login", res.StatusCode, res.Header.Get("Location"))
	}
	if res := mine.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the session ended from its own list: %d, want 303 to sign in", res.StatusCode)
	}
	// Signing out everywhere else reaches every session that still holds.
	if res := other.post("/settings/sessions/end-others", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("end others: %d", res.StatusCode)
	}
	if res := mine.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the ended session after signing out everywhere else: %d", res.StatusCode)
	}
	if rows := other.sessionRows(); len(rows) != 1 {
		t.Errorf("sessions left: %v", rows)
	}
}

// TestEndedSessionStaysEnded ends a session while one of its requests is
// under way and puts something in it, as many requests do: scs saves it
// again under its token as that request answers. It must not sign in
// again, neither the pages nor the API, whether a new password ended it
// or signing out everywhere else did.
func TestEndedSessionStaysEnded(t *testing.T) {
	onBoth(t, testEndedSessionStaysEnded)
}

func testEndedSessionStaysEnded(t *testing.T, s *testServer) {
	s.admin()
	if _, err := s.h.core.AddAccount(t.Context(), "bob", testPassword, false); err != nil {
		t.Fatal(err)
	}
	owner := s.signIn("bob")
	for _, end := range []struct {
		name string
		end  func()
	}{
		{"a new password", func() {
			form := url.Values{"current_password": {testPassword}, "password": {testPassword + "!"}}
			if res := owner.post("/settings/password", form); res.StatusCode != http.StatusOK {
				t.Fatalf("change password: %d", res.StatusCode)
			}
			if _, _, err := s.h.core.SetPassword(t.Context(), accountIDOf(t, s, "bob"), testPassword, current(t, owner.sessionRows())); err != nil {
				t.Fatal(err)
			}
		}},
		{"signing out everywhere else", func() {
			if res := owner.post("/settings/sessions/end-others", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("end others: %d", res.StatusCode)
			}
		}},
	} {
		t.Run(end.name, func(t *testing.T) {
			other := s.signIn("bob")
			cookie := other.sessionCookie()
			token := strings.TrimPrefix(cookie, "oncelink_session=")
			// A request of the other session, under way: loaded, then
			// changed, and saved after the session ended.
			ctx, err := s.h.sessions.Load(context.Background(), token)
			if err != nil {
				t.Fatal(err)
			}
			s.h.sessions.Put(ctx, sessionNoticesSaid, "saved")
			end.end()
			if _, _, err := s.h.sessions.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
			req.Header.Set("Cookie", cookie)
			if a, err := s.h.SessionAccount(req); a != nil || err != nil {
				t.Errorf("the ended session, saved again, signs the API in: %+v, %v", a, err)
			}
			if res := other.get("/links"); res.StatusCode != http.StatusSeeOther {
				t.Errorf("the ended session, saved again: %d, want 303 to sign in", res.StatusCode)
			}
			if rows := owner.sessionRows(); len(rows) != 1 {
				t.Errorf("sessions listed: %v", rows)
			}
		})
	}
}

func accountIDOf(t testing.TB, s *testServer, name string) int64 {
	t.Helper()
	a, err := s.store.AccountByName(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// TestDeletedAccountSaidOnSignIn: the sign-in page that an account's own
// deletion leads to says, once, that the account was deleted, in that
// browser alone, which is signed in as nobody.
func TestDeletedAccountSaidOnSignIn(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	bob := s.user("bob")
	bobPhone := s.signIn("bob")
	if res := bob.post("/settings/delete", url.Values{"password": {testPassword}}); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("delete: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res := bob.get("/login")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the sign-in page after deleting: %d", res.StatusCode)
	}
	if got := textOf(first(t, parseHTML(t, res.body), "the notice", byTestID("own-account-deleted"))); got != "Your account bob was deleted, with its links." {
		t.Errorf("the sign-in page after deleting says %q", got)
	}
	for name, c := range map[string]*testClient{"reloaded": bob, "another browser": bobPhone} {
		if res := c.get("/login"); res.StatusCode != http.StatusOK || hasTestID(t, res.body, "own-account-deleted") {
			t.Errorf("the sign-in page, %s: %d, says the account was deleted again", name, res.StatusCode)
		}
	}
	if res := bob.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the browser that deleted its account: %d, want it signed out", res.StatusCode)
	}
}

func TestDeleteOwnAccount(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	bob := s.user("bob")
	bobPhone := s.signIn("bob")
	link := bob.createLink(nil)
	forBob := admin.createLink(url.Values{"for_user": {"bob"}})
	key, err := s.h.core.CreateKey(t.Context(), accountIDOf(t, s, "bob"), "ci", "never")
	if err != nil {
		t.Fatal(err)
	}

	if res := bob.post("/settings/delete", url.Values{"password": {"not the password"}}); res.StatusCode != http.StatusForbidden ||
		attr(elementByID(parseHTML(t, res.body), "delete-password"), "aria-invalid") != "true" {
		t.Fatalf("delete with a wrong password: %d", res.StatusCode)
	}
	if res := bob.post("/settings/delete", url.Values{"password": {testPassword}}); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("delete: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	for name, c := range map[string]*testClient{"this": bob, "another": bobPhone} {
		if res := c.get("/links"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("%s session after deleting: %d", name, res.StatusCode)
		}
	}
	if res := s.client().post("/login", url.Values{"username": {"bob"}, "password": {testPassword}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("sign in as the deleted account: %d", res.StatusCode)
	}
	if res := s.client().get(link); res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusGone {
		t.Errorf("the deleted account's link: %d", res.StatusCode)
	}
	if res := s.client().get(forBob); res.StatusCode != http.StatusGone {
		t.Errorf("a link only for the deleted account: %d, want 410", res.StatusCode)
	}
	if a, err := s.h.core.Authenticate(t.Context(), key.Secret, core.Client{IP: "192.0.2.1"}); err == nil || a != nil {
		t.Error("the deleted account's API key still works")
	}
	// The name is free again.
	if _, err := s.h.core.AddAccount(t.Context(), "bob", testPassword, false); err != nil {
		t.Errorf("add bob again: %v", err)
	}

	// The only administrator is told to make another first.
	res := admin.get("/settings")
	if !hasTestID(t, res.body, "last-admin") || hasTestID(t, res.body, "delete-form") {
		t.Error("the last administrator is offered to delete their account")
	}
	if res := admin.post("/settings/delete", url.Values{"password": {testPassword}}); res.StatusCode != http.StatusConflict || !hasTestID(t, res.body, "last-admin") {
		t.Errorf("the last administrator deletes themself: %d", res.StatusCode)
	}
	if res := admin.get("/links"); res.StatusCode != http.StatusOK {
		t.Errorf("the last administrator after a refused delete: %d", res.StatusCode)
	}
}

// TestPasswordChangeSaysKeysStay: a new password leaves the account's API
// keys working, and the password form says so beside the change, with a
// way to the keys, before the change and after it.
func TestPasswordChangeSaysKeysStay(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	laptop := s.user("bob")
	ctx := context.Background()
	key, err := s.h.core.CreateKey(ctx, accountIDOf(t, s, "bob"), "backup script", "never")
	if err != nil {
		t.Fatal(err)
	}
	says := func(when, body string) {
		t.Helper()
		page := parseHTML(t, body)
		note := first(t, page, "the note on API keys", byTestID("password-keys"))
		if got, want := textOf(note), i18n.For("en").T("settings.password.keys_kept", "Link", "API keys"); strings.Join(strings.Fields(got), " ") != want {
			t.Errorf("%s: the password form says %q, want %q", when, got, want)
		}
		links := findAll(note, byTag("a"))
		if len(links) != 1 || attr(links[0], "href") != "#keys-heading" || elementByID(page, "keys-heading") == nil {
			t.Errorf("%s: the note does not lead to the API keys", when)
		}
		if button := first(t, page, "the change button", byTestID("change-password")); attr(button, "aria-describedby") != "password-keys" {
			t.Errorf("%s: the change button is not described by the note", when)
		}
	}
	says("before the change", laptop.get("/settings").body)
	res := laptop.post("/settings/password", url.Values{"current_password": {testPassword}, "password": {"a new password"}})
	if res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "password-changed") {
		t.Fatalf("change: %d", res.StatusCode)
	}
	says("after the change", res.body)
	if a, err := s.h.core.Authenticate(ctx, key.Secret, core.Client{}); err != nil || a == nil || a.Username != "bob" {
		t.Errorf("bob's API key after the new password: %v, %v", a, err)
	}
}
