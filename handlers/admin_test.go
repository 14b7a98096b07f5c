package handlers

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"oncelink/i18n"
)

func TestResetPasswordHandsOverALink(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	bob := s.user("bob")
	bobStream := bob.stream()
	bobID := admin.accountID("bob")

	m := regexp.MustCompile(`action="/accounts/` + bobID + `/reset-password"[^>]*><input type="hidden" name="form_key" value="([^"]+)"`).
		FindStringSubmatch(admin.get("/accounts").body)
	if m == nil {
		t.Fatal("no form key in bob's reset-password form")
	}
	reset := url.Values{"form_key": {m[1]}}
	res := admin.post("/accounts/"+bobID+"/reset-password", reset)
	if res.StatusCode != http.StatusCreated || !hasTestID(t, res.body, "reset") {
		t.Fatalf("reset: %d %s", res.StatusCode, res.body)
	}
	// A reload of that page sends the form again: the password is not
	// reset a second time, which would make the link's useless.
	if again := admin.post("/accounts/"+bobID+"/reset-password", reset); again.StatusCode != http.StatusConflict ||
		!strings.Contains(again.body, "This form was sent already") || hasTestID(t, again.body, "reset") {
		t.Fatalf("the reset sent again: %d %s", again.StatusCode, again.body)
	}
	doc := parseHTML(t, res.body)
	link := attr(first(t, doc, "link URL", byTestID("link-url")), "value")
	if !strings.HasPrefix(link, s.URL+"/l/") {
		t.Fatalf("the new password's link: %q", link)
	}
	// The password is in the link, not on the page (where the forms' keys
	// look alike).
	if handedPassword.MatchString(regexp.MustCompile(`name="form_key" value="[^"]*"`).ReplaceAllString(res.body, "")) {
		t.Error("the accounts page shows a password")
	}
	if ev := bobStream.next(); ev.name != "signed-out" {
		t.Errorf("bob's open dashboard: %+v, want signed-out", ev)
	}
	if res := bob.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("bob's session after the reset: %d", res.StatusCode)
	}
	if res := s.client().post("/login", url.Values{"username": {"bob"}, "password": {testPassword}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password: %d", res.StatusCode)
	}

	// Bob opens the link once, and signs in with what it holds.
	bobAgain := s.client()
	bobAgain.signInWithReset("bob", link)
	if res := s.client().post(link, nil); res.StatusCode != http.StatusGone {
		t.Errorf("the link opened a second time: %d", res.StatusCode)
	}
	// It is the admin's link, on the admin's dashboard.
	if res := admin.get("/links"); !strings.Contains(res.body, "New password for bob") {
		t.Error("the reset's link is not on the admin's dashboard")
	}

	// An admin resets others' passwords, not their own; a member none.
	adaID := admin.accountID("ada")
	if res := admin.post("/accounts/"+adaID+"/reset-password", nil); res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "Settings page") {
		t.Errorf("reset my own: %d", res.StatusCode)
	}
	if res := bobAgain.post("/accounts/"+adaID+"/reset-password", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a member resets the admin's password: %d", res.StatusCode)
	}
	if res := admin.post("/accounts/999999/reset-password", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("reset no one's: %d", res.StatusCode)
	}
}

// TestAResetSentAtOnceResetsOnce: the reset form of an account sent
// several times at the same moment, as by clicks that reach the server
// together, resets the password once: one answer hands over a link,
// every other says that the form was sent already, and the one link's
// password is the account's.
func TestAResetSentAtOnceResetsOnce(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	s.user("bob")
	bobID := admin.accountID("bob")
	m := regexp.MustCompile(`action="/accounts/` + bobID + `/reset-password"[^>]*><input type="hidden" name="form_key" value="([^"]+)"`).
		FindStringSubmatch(admin.get("/accounts").body)
	if m == nil {
		t.Fatal("no form key in bob's reset-password form")
	}
	reset := url.Values{"form_key": {m[1]}}
	var mu sync.Mutex
	var handedOver []string
	made := madeOnce(t, 6, func() int {
		res := admin.post("/accounts/"+bobID+"/reset-password", reset)
		switch res.StatusCode {
		case http.StatusCreated:
			mu.Lock()
			defer mu.Unlock()
			handedOver = append(handedOver, attr(first(t, parseHTML(t, res.body), "link URL", byTestID("link-url")), "value"))
		case http.StatusConflict:
			if !strings.Contains(res.body, "This form was sent already") || hasTestID(t, res.body, "reset") {
				t.Errorf("a reset sent at once with others: %s", res.body)
			}
		}
		return res.StatusCode
	})
	if made != 1 || countLinks(t, s) != 1 {
		t.Fatalf("one reset form sent six times at once reset %d times; %d links, want 1", made, countLinks(t, s))
	}
	s.client().signInWithReset("bob", handedOver[0])
}

// signInWithReset has c open link, the one a password reset of account
// name handed over, once, and sign in as name with the password it holds.
func (c *testClient) signInWithReset(name, link string) {
	c.t.Helper()
	opened := c.post(link, nil)
	if opened.StatusCode == http.StatusSeeOther {
		opened = c.get(opened.Header.Get("Location"))
	}
	password := handedPassword.FindString(opened.body)
	if password == "" {
		c.t.Fatalf("no password in the link: %d %s", opened.StatusCode, opened.body)
	}
	if res := c.post("/login", url.Values{"username": {name}, "password": {password}}); res.StatusCode != http.StatusSeeOther {
		c.t.Errorf("sign in with the link's password: %d", res.StatusCode)
	}
}

// handedPassword finds a password that a reset made.
var handedPassword = regexp.MustCompile(`[A-Z2-7]{26}`)

func TestPromoteDemoteDelete(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	s.user("bob")
	bobID, adaID := admin.accountID("bob"), admin.accountID("ada")

	res := admin.htmx(http.MethodPost, "/accounts/"+bobID+"/promote", nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.body, `<tr id="account-`+bobID+`"`) || !hasTestID(t, res.body, "demote") {
		t.Fatalf("promote: %d %s", res.StatusCode, res.body)
	}
	bob := s.signIn("bob")
	if res := bob.get("/accounts"); res.StatusCode != http.StatusOK {
		t.Fatalf("bob as an administrator: %d", res.StatusCode)
	}
	// Bob demotes Ada, who may then no longer manage accounts.
	if res := bob.post("/accounts/"+adaID+"/demote", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("demote ada: %d", res.StatusCode)
	}
	if res := admin.get("/accounts"); res.StatusCode != http.StatusForbidden {
		t.Errorf("ada after being demoted: %d", res.StatusCode)
	}
	// Bob is now the only administrator: he cannot remove himself (the
	// list sends him to his settings, which refuse the last administrator).
	for _, path := range []string{"/accounts/" + bobID + "/demote", "/accounts/" + bobID + "/disable", "/accounts/" + bobID + "/delete"} {
		if res := bob.post(path, nil); res.StatusCode < 400 {
			t.Errorf("POST %s by the only administrator: %d", path, res.StatusCode)
		}
	}
	if res := bob.post("/accounts/"+bobID+"/delete", nil); res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "Settings page") {
		t.Errorf("delete myself from the list: %d", res.StatusCode)
	}
	if a, err := s.store.AccountByName(t.Context(), "bob"); err != nil || !a.Admin || a.Disabled() {
		t.Fatalf("bob after trying to remove himself: %+v, %v", a, err)
	}
	// Another administrator cannot be made to remove the last one either.
	if res := bob.post("/accounts/"+adaID+"/promote", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatal("promote ada again")
	}
	// Promoted, she signs in again, as an administrator.
	admin = s.signIn("ada")
	if res := admin.post("/accounts/"+bobID+"/disable", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ada disables bob: %d", res.StatusCode)
	}
	// Ada is the only enabled administrator now.
	if a, _, err := s.h.core.SetAdmin(t.Context(), nil, accountIDOf(t, s, "ada"), false); err == nil || a.ID != 0 {
		t.Error("the operator demoted the only enabled administrator")
	}
	if res := admin.post("/accounts/"+bobID+"/enable", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("enable bob: %d", res.StatusCode)
	}
	bob = s.signIn("bob")

	// Ada deletes Bob: his links go, and he is signed out.
	link := bob.createLink(nil)
	// The list that follows says so, once: a reload of it deletes nothing.
	if res = admin.post("/accounts/"+bobID+"/delete", nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/accounts" {
		t.Fatalf("delete bob: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res = admin.get("/accounts"); !hasTestID(t, res.body, "deleted") || strings.Contains(res.body, `data-name="bob"`) {
		t.Errorf("the accounts page after deleting bob: %d", res.StatusCode)
	}
	if res = admin.get("/accounts"); res.StatusCode != http.StatusOK || hasTestID(t, res.body, "deleted") {
		t.Errorf("the accounts page says again that bob was deleted: %d", res.StatusCode)
	}
	if res := bob.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("bob's session after deleting him: %d", res.StatusCode)
	}
	if res := s.client().get(link); res.StatusCode != http.StatusNotFound {
		t.Errorf("bob's link after deleting him: %d", res.StatusCode)
	}
	if res := admin.post("/accounts/"+bobID+"/delete", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("delete bob again: %d", res.StatusCode)
	}
}

// TestAdminActionsOnAGoneAccount acts on an account deleted since the
// accounts page was shown: each action answers 404 on the accounts page,
// up to date, saying that the account no longer exists; from htmx, in the
// page's alerts.
func TestAdminActionsOnAGoneAccount(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	s.user("bob")
	bobID := ada.accountID("bob")
	if res := ada.post("/accounts/"+bobID+"/delete", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete bob: %d", res.StatusCode)
	}
	gone := i18n.For("en").T("error.account_gone")
	for _, tt := range []struct {
		path string
		form url.Values
	}{
		{"/accounts/reset-two-factor", url.Values{"account": {bobID}}},
		{"/accounts/" + bobID + "/disable", nil},
		{"/accounts/" + bobID + "/enable", nil},
		{"/accounts/" + bobID + "/promote", nil},
		{"/accounts/" + bobID + "/demote", nil},
		{"/accounts/" + bobID + "/reset-password", url.Values{"form_key": {"once"}}},
		{"/accounts/" + bobID + "/delete", nil},
	} {
		res := ada.post(tt.path, tt.form)
		if res.StatusCode != http.StatusNotFound || testIDText(t, res.body, "form-error") != gone || !hasTestID(t, res.body, "add-account") {
			t.Errorf("POST %s: %d saying %q, want 404 on the accounts page saying %q", tt.path, res.StatusCode, testIDText(t, res.body, "form-error"), gone)
		}
		if strings.Contains(res.body, `data-name="bob"`) {
			t.Errorf("POST %s: the page still lists bob", tt.path)
		}
	}
	// From the list's buttons, the answer goes to the page's alerts and
	// takes bob's row off the list.
	for _, action := range []string{"disable", "enable", "promote", "demote"} {
		res := ada.htmx(http.MethodPost, "/accounts/"+bobID+"/"+action, nil)
		if res.StatusCode != http.StatusNotFound || res.Header.Get("HX-Retarget") != "#alerts" || !strings.Contains(testIDText(t, res.body, "error"), gone) {
			t.Errorf("htmx %s: %d to %q %s, want 404 in #alerts saying %q", action, res.StatusCode, res.Header.Get("HX-Retarget"), res.body, gone)
		}
		row := testIDs(t, res.body, "gone")
		if len(row) != 1 || attr(row[0], "id") != "account-"+bobID || attr(row[0], "hx-swap-oob") != "delete" {
			t.Errorf("htmx %s: the answer does not delete bob's row, account-%s: %s", action, bobID, res.body)
		}
		// Bob's was the last row but ada's: the list says she is alone.
		if hint := testIDs(t, res.body, "only-you"); len(hint) != 1 || attr(hint[0].Parent, "id") != "only-you" || attr(hint[0].Parent, "hx-swap-oob") != "true" {
			t.Errorf("htmx %s: the answer does not say that ada is alone on the list: %s", action, res.body)
		}
	}
	// A refusal about an account that is still there leaves its row.
	res := ada.htmx(http.MethodPost, "/accounts/"+ada.accountID("ada")+"/disable", nil)
	if res.StatusCode != http.StatusBadRequest || len(testIDs(t, res.body, "gone")) != 0 {
		t.Errorf("htmx disable of oneself: %d %s, want 400 that removes nothing", res.StatusCode, res.body)
	}
}

// TestPromotionSignsOutEverywhere: bob, made an administrator, is signed
// out everywhere, his open dashboard told, so that a session of his, or a
// copy of its cookie taken while he was a member, never holds an
// administrator's powers; signed in again, he is one. Made a member again,
// he keeps his session, which loses those powers at once.
func TestPromotionSignsOutEverywhere(t *testing.T) {
	onBoth(t, testPromotionSignsOut)
}

func testPromotionSignsOut(t *testing.T, s *testServer) {
	admin := s.admin()
	laptop := s.user("bob")
	bob := accountIDOf(t, s, "bob")
	base, _ := url.Parse(s.URL)
	copied := s.client()
	copied.c.Jar.SetCookies(base, laptop.c.Jar.Cookies(base))
	stream := laptop.stream()

	if res := admin.htmx(http.MethodPost, "/accounts/"+itoa(bob)+"/promote", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("promote: %d", res.StatusCode)
	}
	if ev := stream.next(); ev.name != "signed-out" {
		t.Fatalf("bob's open dashboard: %+v, want signed-out", ev)
	}
	for name, c := range map[string]*testClient{"bob's laptop": laptop, "a copy of its cookie": copied} {
		if res := c.get("/accounts"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("%s after the promotion: %d, want to sign in again", name, res.StatusCode)
		}
	}
	if n := s.listedSessions(bob); n != 0 {
		t.Errorf("bob's listed sessions after the promotion: %d", n)
	}
	if res := admin.get("/accounts"); res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "promote-help") {
		t.Errorf("the administrator's accounts page: %d, or it does not say what promoting does", res.StatusCode)
	}
	again := s.signIn("bob")
	if res := again.get("/accounts"); res.StatusCode != http.StatusOK {
		t.Fatalf("bob signed in again, as an administrator: %d", res.StatusCode)
	}
	// A promote sent again, from a page left open or by a second
	// administrator, changes nothing, and signs no one out.
	for _, by := range []*testClient{admin, again} {
		if res := by.htmx(http.MethodPost, "/accounts/"+itoa(bob)+"/promote", nil); res.StatusCode != http.StatusOK {
			t.Fatalf("promote again: %d", res.StatusCode)
		}
		if res := again.get("/accounts"); res.StatusCode != http.StatusOK {
			t.Fatalf("bob after a promote that changed nothing: %d, want still signed in", res.StatusCode)
		}
	}

	if res := admin.htmx(http.MethodPost, "/accounts/"+itoa(bob)+"/demote", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("demote: %d", res.StatusCode)
	}
	if res := again.get("/links"); res.StatusCode != http.StatusOK {
		t.Errorf("bob's session after the demotion: %d, want it kept", res.StatusCode)
	}
	if res := again.get("/accounts"); res.StatusCode != http.StatusForbidden {
		t.Errorf("bob's accounts page after the demotion: %d, want 403", res.StatusCode)
	}
}

// TestUnchangedAccountSaysSo: making an administrator of an account that
// is one already, or a member of a member, as from a page left open in
// another tab, changes nothing and says so, and why, rather than that it
// was done: to htmx beside the row, which comes back up to date; to a
// form on the accounts page. Nobody is signed out by it.
func TestUnchangedAccountSaysSo(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	s.user("bob")
	bobID := admin.accountID("bob")
	if res := admin.htmx(http.MethodPost, "/accounts/"+bobID+"/promote", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("promote: %d", res.StatusCode)
	}
	bob := s.signIn("bob") // promoted, he signed in again
	unchanged := func(res response, want string) {
		t.Helper()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%d, want 200: %.300s", res.StatusCode, res.body)
		}
		if got := textOf(first(t, parseHTML(t, res.body), "what changed", byTestID("unchanged"))); got != want {
			t.Errorf("it says %q, want %q", got, want)
		}
	}

	// From htmx: the row, up to date, and the notice in the page's alerts.
	res := admin.htmx(http.MethodPost, "/accounts/"+bobID+"/promote", nil)
	unchanged(res, "bob is already an administrator: nothing changed.")
	if !strings.HasPrefix(res.body, `<tr id="account-`+bobID+`"`) || !hasTestID(t, res.body, "demote") {
		t.Errorf("the row after promoting an administrator: %.300s", res.body)
	}
	alerts := first(t, parseHTML(t, res.body), "the alerts", byTestID("to-alerts"))
	if attr(alerts, "hx-swap-oob") != "innerHTML:#alerts" {
		t.Errorf("the notice does not go to the page's alerts: %.600s", res.body)
	}
	// From a form: the accounts page, saying it.
	unchanged(admin.post("/accounts/"+bobID+"/promote", nil), "bob is already an administrator: nothing changed.")
	if res := bob.get("/accounts"); res.StatusCode != http.StatusOK {
		t.Errorf("bob after a promotion that changed nothing: %d, want still signed in", res.StatusCode)
	}

	if res := admin.post("/accounts/"+bobID+"/demote", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("demote: %d", res.StatusCode)
	}
	unchanged(admin.post("/accounts/"+bobID+"/demote", nil), "bob is already a member: nothing changed.")
	unchanged(admin.htmx(http.MethodPost, "/accounts/"+bobID+"/demote", nil), "bob is already a member: nothing changed.")
	// In the reader's language.
	res = admin.request(http.MethodPost, "/accounts/"+bobID+"/demote", strings.NewReader(""),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept-Language": {"ar"}})
	unchanged(res, "bob عضو من قبل: لم يتغير شيء.")
}
