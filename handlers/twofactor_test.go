package handlers

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/notify"
	"oncelink/store"
)

// enrolTOTP sets up an authenticator app for the account name, as its
// owner would, and returns its secret and recovery codes.
func (s *testServer) enrolTOTP(name string) (secret string, codes []string) {
	s.t.Helper()
	ctx := context.Background()
	a, err := s.h.core.AccountByName(ctx, name)
	if err != nil {
		s.t.Fatal(err)
	}
	e, err := s.h.core.StartTOTP(ctx, a, &core.Proof{ProvenAt: s.clock.Now()})
	if err != nil {
		s.t.Fatal(err)
	}
	code, err := totp.GenerateCode(e.Secret, s.clock.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	if codes, err = s.h.core.ConfirmTOTP(ctx, a, code, "", &core.Proof{ProvenAt: s.clock.Now()}); err != nil {
		s.t.Fatal(err)
	}
	// The code that confirmed it is used up: the next one is due.
	s.clock.Advance(core.TOTPPeriod)
	return e.Secret, codes
}

func (s *testServer) code(secret string) string {
	s.t.Helper()
	code, err := totp.GenerateCode(secret, s.clock.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	return code
}

// passwordStep posts ada's password and expects the second step.
func (c *testClient) passwordStep(name string) {
	c.t.Helper()
	res := c.post("/login", url.Values{"username": {name}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login/verify" {
		c.t.Fatalf("password step: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestSecondStepSignsIn(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	secret, codes := s.enrolTOTP("ada")
	c := s.client()
	res := c.post("/login", url.Values{"username": {"ada"}, "password": {testPassword}, "next": {"/settings"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login/verify" {
		t.Fatalf("password: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	// Half signed in is not signed in.
	if res := c.get("/links"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("dashboard before the second step: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := c.get("/login/verify"); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-testid="verify-form"`) {
		t.Fatalf("second step page: %d", res.StatusCode)
	}
	// Another browser, with the right code, gets nowhere.
	if res := s.client().post("/login/verify", url.Values{"code": {s.code(secret)}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a second step from another browser: %d", res.StatusCode)
	}
	code := s.code(secret)
	res = c.post("/login/verify", url.Values{"code": {code[:3] + " " + code[3:]}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings" {
		t.Fatalf("code, spaced as apps show it: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := c.get("/links"); res.StatusCode != http.StatusOK {
		t.Fatalf("dashboard after the second step: %d", res.StatusCode)
	}
	// The same code, in another sign-in of the same step, is refused.
	other := s.client()
	other.passwordStep("ada")
	if res := other.post("/login/verify", url.Values{"code": {s.code(secret)}}); res.StatusCode != http.StatusUnauthorized ||
		!strings.Contains(res.body, "used already") {
		t.Fatalf("a code used twice: %d", res.StatusCode)
	}
	// A recovery code, once, with or without its dashes.
	if res := other.post("/login/verify", url.Values{"code": {strings.ReplaceAll(codes[3], "-", " ")}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("recovery code: %d %s", res.StatusCode, res.body)
	}
	third := s.client()
	third.passwordStep("ada")
	if res := third.post("/login/verify", url.Values{"code": {codes[3]}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a recovery code used twice: %d", res.StatusCode)
	}
}

// TestRecoveryCodeSignInSaysLeft: the page a sign-in with a recovery code
// lands on, wherever it goes, says once how many codes are left, as a
// status that takes the focus; when few are, or none, it links to where
// new ones are made. A sign-in with a code of the app says nothing of them.
func TestRecoveryCodeSignInSaysLeft(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	secret, codes := s.enrolTOTP("ada")
	en := i18n.For("en")
	signIn := func(code, next string) *testClient {
		t.Helper()
		c := s.client()
		if res := c.post("/login", url.Values{"username": {"ada"}, "password": {testPassword}, "next": {next}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("password: %d", res.StatusCode)
		}
		if res := c.post("/login/verify", url.Values{"code": {code}}); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != next {
			t.Fatalf("second step with %q: %d to %q", code, res.StatusCode, res.Header.Get("Location"))
		}
		return c
	}
	if c := signIn(s.code(secret), "/links"); hasTestID(t, c.get("/links").body, "recovery-sign-in") {
		t.Error("a sign-in with a code of the app speaks of recovery codes")
	}
	for i, code := range codes {
		// A minute apart: each sign-in takes two turns of the account's.
		s.clock.Advance(time.Minute)
		left := core.RecoveryCodes - 1 - i
		next := []string{"/links", "/settings", "/requests"}[i%3]
		c := signIn(code, next)
		page := c.get(next)
		said := testIDs(t, page.body, "recovery-sign-in")
		if len(said) != 1 {
			t.Fatalf("%d left: %s says it %d times", left, next, len(said))
		}
		n := said[0]
		if attr(n, "role") != "status" || !hasAttr(n, "data-focus") {
			t.Errorf("%d left: said as role %q, taking the focus: %v", left, attr(n, "role"), hasAttr(n, "data-focus"))
		}
		want := en.N("twofactor.recovery.used", left)
		if left == 0 {
			want = en.T("twofactor.recovery.used_last")
		}
		links := findAll(n, byTag("a"))
		if core.FewCodesLeft(left) {
			want += " " + en.T("twofactor.recovery.make_new", "Link", en.T("twofactor.recovery.settings_page"))
			if len(links) != 1 || attr(links[0], "href") != "/settings#recovery-heading" {
				t.Errorf("%d left: links %d, not to the recovery codes on Settings", left, len(links))
			}
		} else if len(links) != 0 {
			t.Errorf("%d left: %d links", left, len(links))
		}
		if got := textOf(n); got != want {
			t.Errorf("%d left: %q, want %q", left, got, want)
		}
		if hasTestID(t, c.get(next).body, "recovery-sign-in") {
			t.Errorf("%d left: said again on the next page", left)
		}
	}
	s.clock.Advance(time.Minute)
	if elementByID(parseHTML(t, signIn(s.code(secret), "/settings").get("/settings").body), "recovery-heading") == nil {
		t.Error("the settings page has no recovery codes to link to")
	}
}

// TestSecondStepFromAnotherAccountsBrowser: a browser signed in as one
// account that gives another's password, from a sign-in page left open,
// takes the other's second step and is signed in as it, not sent back to
// sign in again.
func TestSecondStepFromAnotherAccountsBrowser(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	secret, _ := s.enrolTOTP("ada")
	c := s.user("bob")
	c.passwordStep("ada")
	if res := c.get("/login/verify"); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-testid="verify-form"`) {
		t.Fatalf("second step page: %d", res.StatusCode)
	}
	if res := c.post("/login/verify", url.Values{"code": {s.code(secret)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second step: %d, want 303", res.StatusCode)
	}
	// Only an administrator, ada, sees the accounts.
	if res := c.get("/accounts"); res.StatusCode != http.StatusOK {
		t.Fatalf("the accounts after the second step: %d, want ada's 200", res.StatusCode)
	}
}

// TestFactorResetEndsEverySession: an administrator removes the second
// factors of bob, who lost his phone. Every session of bob's ends, since
// the phone may be in someone else's hands, signed in: his laptop's open
// dashboard is told, a sign-in waiting at the second step starts again;
// the page says so, the log records it, and the administrator's own
// session goes on. bob then signs in with his password alone, or sets a
// factor up first while the server requires one.
func TestFactorResetEndsEverySession(t *testing.T) {
	onBoth(t, testFactorResetEndsEverySession)
}

func testFactorResetEndsEverySession(t *testing.T, s *testServer) {
	ada := s.admin()
	s.user("bob") // signed in on the phone that was lost
	secret, _ := s.enrolTOTP("bob")
	bob := accountIDOf(t, s, "bob")
	laptop := s.client()
	laptop.passwordStep("bob")
	if res := laptop.post("/login/verify", url.Values{"code": {s.code(secret)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob's second step: %d", res.StatusCode)
	}
	laptopStream := laptop.stream()
	waiting := s.client()
	waiting.passwordStep("bob")

	res := ada.post("/accounts/reset-two-factor", url.Values{"account": {itoa(bob)}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("reset: %d", res.StatusCode)
	}
	said := first(t, parseHTML(t, res.body), "the reset's notice", byTestID("two-factor-reset"))
	if !strings.Contains(textOf(said), "signed out everywhere") {
		t.Fatalf("the page after the reset does not say bob was signed out: %s", res.body)
	}
	if ev := laptopStream.next(); ev.name != "signed-out" {
		t.Fatalf("bob's open dashboard: %+v, want signed-out", ev)
	}
	if res := laptop.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("bob's laptop after the reset: %d, want to sign in again", res.StatusCode)
	}
	if res := waiting.get("/login/verify"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Errorf("the sign-in waiting at the second step: %d to %q, want to start again", res.StatusCode, res.Header.Get("Location"))
	}
	if n := s.listedSessions(bob); n != 0 {
		t.Errorf("bob's listed sessions after the reset: %d", n)
	}
	if res := ada.get("/accounts"); res.StatusCode != http.StatusOK {
		t.Errorf("the administrator after the reset: %d", res.StatusCode)
	}
	if logs := s.logs.String(); !strings.Contains(logs, "second factors reset") || !strings.Contains(logs, "account=bob by=ada sessions_ended=3") {
		t.Errorf("the log does not record the reset: %s", logs)
	}

	again := s.client()
	if res := again.post("/login", url.Values{"username": {"bob"}, "password": {testPassword}}); res.Header.Get("Location") != "/links" {
		t.Fatalf("bob's password alone goes to %q", res.Header.Get("Location"))
	}
	// A reset sent again, from a page left open, has nothing to remove,
	// and signs no one out.
	res = ada.post("/accounts/reset-two-factor", url.Values{"account": {itoa(bob)}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("reset again: %d", res.StatusCode)
	}
	// It says so, and why, not that it was done.
	if hasTestID(t, res.body, "two-factor-reset") {
		t.Error("a reset that removed nothing says it removed the factors")
	}
	if got := textOf(first(t, parseHTML(t, res.body), "the notice of a reset that removed nothing", byTestID("unchanged"))); got != "bob has no second factor to reset: nothing changed." {
		t.Errorf("a reset that removed nothing says %q", got)
	}
	if res := again.get("/links"); res.StatusCode != http.StatusOK {
		t.Errorf("bob after a reset that removed nothing: %d, want still signed in", res.StatusCode)
	}
	if err := s.h.core.SetTwoFactorRequired(context.Background(), nil, true); err != nil {
		t.Fatal(err)
	}
	if res := s.client().post("/login", url.Values{"username": {"bob"}, "password": {testPassword}}); res.Header.Get("Location") != "/settings" {
		t.Fatalf("bob's password alone, while required, goes to %q, want to set one up", res.Header.Get("Location"))
	}
}

// TestSecondStepAfterTheLastFactorWent: a browser waiting at the second
// step while the owner, signed in elsewhere, turns off their only factor
// goes on as the password alone now would, rather than be left on a page
// with nothing to give and no word why.
func TestSecondStepAfterTheLastFactorWent(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	laptop := s.user("bob")
	s.enrolTOTP("bob")
	c := s.client()
	if res := c.post("/login", url.Values{"username": {"bob"}, "password": {testPassword}, "next": {"/settings"}}); res.Header.Get("Location") != "/login/verify" {
		t.Fatalf("password step goes to %q", res.Header.Get("Location"))
	}
	if res := laptop.post("/settings/totp/disable", url.Values{"proof": {testPassword}}); res.StatusCode != http.StatusOK {
		t.Fatalf("turning the app off: %d", res.StatusCode)
	}
	if res := c.get("/login/verify"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings" {
		t.Fatalf("the second step after the last factor went: %d to %q, want on to /settings", res.StatusCode, res.Header.Get("Location"))
	}
	if res := c.get("/links"); res.StatusCode != http.StatusOK {
		t.Fatalf("the dashboard after the last factor went: %d", res.StatusCode)
	}
}

// TestEnrolmentOnlyWithoutAFactor: a browser that gave the password and
// must set a second factor up, while two-factor is required, may do so
// only while the account has none. Once the owner set one up from a
// session already signed in, that browser is sent to sign in again, to
// the second step: someone who has the password alone cannot add a
// passkey of their own and sign in with it.
func TestEnrolmentOnlyWithoutAFactor(t *testing.T) {
	s := newTestServer(t, onLocalhost)
	s.admin()
	ctx := context.Background()
	if err := s.h.core.SetTwoFactorRequired(ctx, nil, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.h.core.AddAccount(ctx, "bob", testPassword, false); err != nil {
		t.Fatal(err)
	}
	c := s.client()
	if res := c.post("/login", url.Values{"username": {"bob"}, "password": {testPassword}}); res.Header.Get("Location") != "/settings" {
		t.Fatalf("bob's sign-in goes to %q, want the set-up", res.Header.Get("Location"))
	}
	if res := c.passkeyOptions(""); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "challenge") {
		t.Fatalf("a passkey's options while bob has no factor: %d %s", res.StatusCode, res.body)
	}
	s.enrolTOTP("bob")
	if res := c.passkeyOptions(""); res.StatusCode != http.StatusUnauthorized || strings.Contains(res.body, "challenge") {
		t.Errorf("a passkey's options once bob has an app: %d %s", res.StatusCode, res.body)
	}
	if res := c.get("/settings"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("the set-up page once bob has an app: %d to %q, want to sign in", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestSecondStepExpires(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	secret, _ := s.enrolTOTP("ada")
	c := s.client()
	c.passwordStep("ada")
	s.clock.Advance(core.SecondStepTime)
	if res := c.get("/login/verify"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("an expired second step's page: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := c.post("/login/verify", url.Values{"code": {s.code(secret)}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an expired second step: %d", res.StatusCode)
	}
	if res := c.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("dashboard after an expired second step: %d", res.StatusCode)
	}
}

// TestHalfSignInEndsWithTheSessions: a browser that gave the password and
// waits at the second step, or at setting one up, is one of the account's
// sessions: the owner sees it, and a new password, signing out everywhere
// else, or a disable ends it before it is ever signed in.
func TestHalfSignInEndsWithTheSessions(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	secret, _ := s.enrolTOTP("ada")
	ctx := context.Background()
	adaAccount, err := s.h.core.AccountByName(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	listed := func(account int64) int {
		t.Helper()
		list, err := s.h.core.Sessions(ctx, account)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	verifies := func(c *testClient) int {
		t.Helper()
		s.clock.Advance(core.TOTPPeriod) // a code not used yet
		return c.post("/login/verify", url.Values{"code": {s.code(secret)}}).StatusCode
	}

	half := s.client()
	half.passwordStep("ada")
	if n := listed(adaAccount.ID); n != 2 {
		t.Fatalf("ada's sessions with one at the second step: %d, want 2", n)
	}
	// It is marked as what it is, not as one more browser signed in.
	if page := ada.get("/settings").body; strings.Count(page, `data-testid="half-session"`) != 1 {
		t.Fatalf("the sessions list marks %d sessions as at the second step, want 1", strings.Count(page, `data-testid="half-session"`))
	}
	if _, _, err := s.h.core.SetPassword(ctx, adaAccount.ID, testPassword, ""); err != nil {
		t.Fatal(err)
	}
	if code := verifies(half); code != http.StatusUnauthorized {
		t.Fatalf("the second step after a new password: %d, want 401", code)
	}

	ada = s.signIn("ada")
	if code := ada.post("/login/verify", url.Values{"code": {s.code(secret)}}).StatusCode; code != http.StatusSeeOther {
		t.Fatalf("ada signs in again: %d", code)
	}
	half = s.client()
	half.passwordStep("ada")
	if res := ada.post("/settings/sessions/end-others", nil); res.StatusCode >= 400 {
		t.Fatalf("sign out everywhere else: %d", res.StatusCode)
	}
	if code := verifies(half); code != http.StatusUnauthorized {
		t.Fatalf("the second step after signing out everywhere else: %d, want 401", code)
	}

	// Setting a factor up, when the server requires one, is half done too;
	// a disable ends it, and enabling the account again does not bring it
	// back.
	if code := ada.post("/accounts/two-factor", url.Values{"required": {"on"}}).StatusCode; code != http.StatusSeeOther {
		t.Fatalf("require two-factor: %d", code)
	}
	// A value the form never sends changes nothing: it is not read as off.
	for _, v := range []string{"true", "banana"} {
		if code := ada.post("/accounts/two-factor", url.Values{"required": {v}}).StatusCode; code != http.StatusBadRequest {
			t.Errorf("required=%s: %d", v, code)
		}
	}
	if on, err := s.h.core.TwoFactorRequired(ctx); err != nil || !on {
		t.Fatalf("a value the form never sends turned the requirement off: %v, %v", on, err)
	}
	bob, err := s.h.core.AddAccount(ctx, "bob", testPassword, false)
	if err != nil {
		t.Fatal(err)
	}
	enrolling := s.client()
	if res := enrolling.post("/login", url.Values{"username": {"bob"}, "password": {testPassword}}); res.Header.Get("Location") != "/settings" {
		t.Fatalf("bob's sign-in goes to %q, want the enrolment", res.Header.Get("Location"))
	}
	for _, disabled := range []bool{true, false} {
		if _, _, err := s.h.core.SetDisabled(ctx, nil, bob.ID, disabled); err != nil {
			t.Fatal(err)
		}
	}
	if res := enrolling.post("/settings/totp", url.Values{}); res.StatusCode != http.StatusUnauthorized || secretPattern.MatchString(res.body) {
		t.Fatalf("enrolling after a disable: %d, want 401", res.StatusCode)
	}
}

// TestWrongCodesLockOut: codes take from the same per-account sign-in
// limit as passwords, so a second factor cannot be guessed faster.
func TestWrongCodesLockOut(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) {
		c.Rates.SignInAccount = core.Rate{N: 4, Per: time.Minute}
	})
	s.admin()
	s.clock.Advance(time.Minute) // set-up's sign-in is forgotten
	secret, _ := s.enrolTOTP("ada")
	s.clock.Advance(time.Minute) // and so is enrolment
	c := s.client()
	c.passwordStep("ada") // one
	wrong := func() string {
		code := s.code(secret)
		return string(rune('0'+(code[0]-'0'+1)%10)) + code[1:]
	}
	for i := 2; i <= 4; i++ {
		if res := c.post("/login/verify", url.Values{"code": {wrong()}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d", i, res.StatusCode)
		}
	}
	res := c.post("/login/verify", url.Values{"code": {s.code(secret)}})
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("the right code after the limit: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	// The password is held back too: it is the same limit.
	if res := s.client().post("/login", url.Values{"username": {"ada"}, "password": {testPassword}}); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a password after wrong codes: %d", res.StatusCode)
	}
	s.clock.Advance(time.Minute)
	if res := c.post("/login/verify", url.Values{"code": {s.code(secret)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right code once the limit let go: %d %s", res.StatusCode, res.body)
	}
}

// wrongCode is a code that no step the second step takes a code from
// shows: neither the current one nor those either side of it.
func (s *testServer) wrongCode(secret string) string {
	s.t.Helper()
	taken := map[string]bool{}
	for _, off := range []time.Duration{-core.TOTPPeriod, 0, core.TOTPPeriod} {
		code, err := totp.GenerateCode(secret, s.clock.Now().Add(off))
		if err != nil {
			s.t.Fatal(err)
		}
		taken[code] = true
	}
	for n := 0; ; n++ {
		if code := fmt.Sprintf("%06d", n); !taken[code] {
			return code
		}
	}
}

// checkHeldBackNotice checks that the notice above the second step's form
// on a page held back reads, in English, as the sign-in's notices do, its
// wait said by the message waitID.
func checkHeldBackNotice(t *testing.T, body, waitID string) {
	t.Helper()
	notice := first(t, parseHTML(t, body), "the notice", byTestID("held-back"))
	wait := textOf(first(t, notice, "the wait", byTestID("retry-in")))
	en := i18n.For("en")
	want := en.T("recipient.lockout.heading") + " " + en.T(waitID, "Wait", wait)
	if got := strings.Join(strings.Fields(textOf(notice)), " "); got != want {
		t.Errorf("the notice reads %q, want %q", got, want)
	}
}

// TestSixthWrongCodeWaits: after five wrong second-step codes in a row,
// from any browser, the next code, the right one too, is held back: the
// form comes back, 429 with Retry-After, under the notice that counts the
// wait down, which speaks of no passkey to an account without one. The
// owner is mailed once for the run, with how many wrong codes came, from
// where, and where to change the password. Once the wait is over, the
// right code signs in, and the count starts again.
func TestSixthWrongCodeWaits(t *testing.T) {
	u := newUnsubscribeServer(t, false)
	secret, _ := u.enrolTOTP("ada")
	en := i18n.For("en")
	// The outbox's worker on the server's clock, which enrolling moved.
	worker := notify.NewWorker(notify.Options{Store: u.store, Mailer: u.cfg.Mailer.(*notify.Mailer), BaseURL: u.cfg.BaseURL,
		Unsubscribe: u.h.core.UnsubscribeToken, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: u.clock.Now})
	mails := func(want int) []string {
		t.Helper()
		if _, err := worker.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		all := u.box.all()
		if len(all) != want {
			t.Fatalf("%d mails, want %d", len(all), want)
		}
		return all
	}
	before := len(mails(len(u.box.all())))
	first, second := u.client(), u.client()
	first.passwordStep("ada")
	second.passwordStep("ada")
	for i := range core.CodesBeforeWait {
		c := []*testClient{first, second}[i%2]
		if res := c.post("/login/verify", url.Values{"code": {u.wrongCode(secret)}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d", i+1, res.StatusCode)
		}
	}
	for _, c := range []*testClient{first, second} {
		res := c.post("/login/verify", url.Values{"code": {u.code(secret)}})
		checkHeldBack(t, "the right code after five wrong ones", res, "/login/verify")
		if got := res.Header.Get("Retry-After"); got != "60" {
			t.Errorf("Retry-After %q, want 60", got)
		}
		checkHeldBackNotice(t, res.body, "recipient.lockout.wait")
	}
	if c := first.get("/links"); c.StatusCode != http.StatusSeeOther {
		t.Fatalf("signed in while held back: %d", c.StatusCode)
	}

	// The owner is told, once.
	all := mails(before + 1)
	m, err := mail.ReadMessage(strings.NewReader(u.box.last()))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	name := en.T("format.quoted", "Text", i18n.Isolate("ada"))
	if err != nil || subject != en.T("mail.second_step.subject", "Name", name) || m.Header.Get("To") != "<ada@example.org>" {
		t.Errorf("the mail to %q is titled %q (%v)", m.Header.Get("To"), subject, err)
	}
	body := all[len(all)-1]
	for _, want := range []string{en.N("mail.second_step.line", core.CodesBeforeWait, "Name", name),
		en.T("mail.notice.text.from", "IP", i18n.Isolate("127.0.0.1")), u.cfg.BaseURL + "/settings#password-heading"} {
		if !strings.Contains(body, want) {
			t.Errorf("the mail does not say %q:\n%s", want, body)
		}
	}
	u.clock.Advance(core.CodeFirstWait)
	if res := second.post("/login/verify", url.Values{"code": {u.wrongCode(secret)}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong code once the wait is over: %d", res.StatusCode)
	}
	checkHeldBack(t, "the right code after six wrong ones", first.post("/login/verify", url.Values{"code": {u.code(secret)}}), "/login/verify")
	mails(before + 1)

	u.clock.Advance(2 * core.CodeFirstWait)
	if res := first.post("/login/verify", url.Values{"code": {u.code(secret)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right code once the wait is over: %d %s", res.StatusCode, res.body)
	}
	if res := first.get("/links"); res.StatusCode != http.StatusOK {
		t.Fatalf("dashboard after the right code: %d", res.StatusCode)
	}
	// The count starts again, and a new run is told again.
	u.clock.Advance(core.TOTPPeriod)
	third := u.client()
	third.passwordStep("ada")
	for i := range core.CodesBeforeWait {
		if res := third.post("/login/verify", url.Values{"code": {u.wrongCode(secret)}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong code %d after the right one: %d", i+1, res.StatusCode)
		}
	}
	checkHeldBack(t, "five wrong codes after the right one", third.post("/login/verify", url.Values{"code": {u.code(secret)}}), "/login/verify")
	mails(before + 2)
}

// TestHeldBackCodesLeaveThePasskey: an account with a passkey, its codes
// held back, is told to use it, and it is not held back.
func TestHeldBackCodesLeaveThePasskey(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1) })
	s.admin()
	secret, _ := s.enrolTOTP("ada")
	if _, err := s.store.AddPasskey(context.Background(), store.Passkey{AccountID: 1, CredentialID: []byte("cred"), UserHandle: []byte("handle"),
		Name: "laptop", Credential: []byte(`{}`)}, core.MaxPasskeys); err != nil {
		t.Fatal(err)
	}
	c := s.client()
	c.passwordStep("ada")
	for i := range core.CodesBeforeWait {
		if res := c.post("/login/verify", url.Values{"code": {s.wrongCode(secret)}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d", i+1, res.StatusCode)
		}
	}
	res := c.post("/login/verify", url.Values{"code": {s.code(secret)}})
	doc := checkHeldBack(t, "the right code after five wrong ones", res, "/login/verify")
	first(t, doc, "the passkey", byTestID("verify-passkey"))
	checkHeldBackNotice(t, res.body, "twofactor.verify.wait_or_passkey")
	json := http.Header{"Accept": {"application/json"}, "Content-Type": {"application/x-www-form-urlencoded"}}
	if res := c.request(http.MethodPost, "/login/verify/passkey/options", strings.NewReader(""), json); res.StatusCode != http.StatusOK ||
		!strings.Contains(res.body, `"challenge"`) {
		t.Fatalf("a passkey while codes are held back: %d %s", res.StatusCode, res.body)
	}
}

// TestSecondStepWithPasskeysOff: an account whose only second factors are
// passkeys, on a server that cannot use them (its base URL, the test
// server's, is an IP address), or all found cloned (on a server that can),
// is told at the second step why no passkey is offered and what to do
// instead: give a recovery code, in the form that takes one, or, with none
// left, ask an administrator.
func TestSecondStepWithPasskeysOff(t *testing.T) {
	onAddress := newTestServer(t)
	onAddress.admin()
	if onAddress.h.core.PasskeysAvailable() {
		t.Fatal("passkeys work on a server whose address is an IP address")
	}
	onName := newTestServer(t, onLocalhost)
	onName.admin()
	ctx := context.Background()
	en := i18n.For("en")
	for i, tt := range []struct {
		name   string
		cloned bool
		codes  bool
		want   string
	}{
		{"bob", false, true, "twofactor.verify.passkeys_off_recovery"},
		{"carol", false, false, "twofactor.verify.passkeys_off_admin"},
		{"dave", true, true, "twofactor.verify.passkeys_cloned_recovery"},
		{"erin", true, false, "twofactor.verify.passkeys_cloned_admin"},
	} {
		s := onAddress
		if tt.cloned {
			s = onName
		}
		a, err := s.h.core.AddAccount(ctx, tt.name, testPassword, false)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.store.AddPasskey(ctx, store.Passkey{AccountID: a.ID, CredentialID: []byte{byte(i)}, UserHandle: []byte{byte(i)},
			Name: "laptop", Credential: []byte(`{}`)}, core.MaxPasskeys)
		if err != nil {
			t.Fatal(err)
		}
		if tt.cloned {
			if marked, err := s.store.PasskeyCloned(ctx, p.ID); err != nil || !marked {
				t.Fatalf("%s's passkey marked cloned: %v, %v", tt.name, marked, err)
			}
		}
		var codes []string
		if tt.codes {
			if codes, err = s.h.core.RenewRecoveryCodes(ctx, a, &core.Proof{ProvenAt: s.clock.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		c := s.client()
		c.passwordStep(tt.name)
		res := c.get("/login/verify")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s's second step: %d", tt.name, res.StatusCode)
		}
		doc := parseHTML(t, res.body)
		notice := first(t, doc, tt.name+"'s notice", byTestID("passkeys-off"))
		if got := textOf(notice); got != en.T(tt.want) {
			t.Errorf("%s's second step says %q, want %q", tt.name, got, en.T(tt.want))
		}
		if hasTestID(t, res.body, "verify-passkey") {
			t.Errorf("%s's second step offers a passkey", tt.name)
		}
		if got := hasTestID(t, res.body, "verify-form"); got != tt.codes {
			t.Errorf("%s's second step has the form for codes: %v, want %v", tt.name, got, tt.codes)
		}
		// With no form to type in, the notice takes the focus.
		if got := hasAttr(notice, "data-focus"); got == tt.codes {
			t.Errorf("%s's notice takes the focus: %v", tt.name, got)
		}
		if tt.codes {
			if res := c.post("/login/verify", url.Values{"code": {codes[0]}}); res.StatusCode != http.StatusSeeOther {
				t.Errorf("%s's recovery code: %d", tt.name, res.StatusCode)
			}
		}
	}
}

// TestSecondStepTooLateLeadsToSignIn: a code sent once the password step
// is too old, or from a browser that never gave it, is refused with a
// page that says to sign in again and leads there, in the reader's
// language, rather than leave them with no way on.
func TestSecondStepTooLateLeadsToSignIn(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	secret, _ := s.enrolTOTP("ada")
	for _, lang := range []string{"en", "fr"} {
		c := s.client()
		c.passwordStep("ada")
		s.clock.Advance(core.SecondStepTime + time.Second)
		res := c.request(http.MethodPost, "/login/verify", strings.NewReader(url.Values{"code": {s.code(secret)}}.Encode()),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept-Language": {lang}})
		if res.StatusCode != http.StatusUnauthorized || !hasTestID(t, res.body, "sign-in-again") || !strings.Contains(res.body, `href="/login?next=/`) {
			t.Errorf("in %s a second step too late: %d, with no way to sign in again", lang, res.StatusCode)
		}
		if said := html.EscapeString(i18n.For(lang).T("error.sign_in_again")); !strings.Contains(res.body, said) {
			t.Errorf("in %s the page does not say %q", lang, said)
		}
	}
}

// TestSecondStepSentAgainWhenSignedIn: the second step's form sent again
// by a browser that it signed in (a second click, a reload of its
// answer, another tab showing it) goes on as the sign-in page does, to
// the dashboard, rather than say that too much time passed and to sign in
// again.
func TestSecondStepSentAgainWhenSignedIn(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	secret, _ := s.enrolTOTP("ada")
	c := s.client()
	c.passwordStep("ada")
	code := s.code(secret)
	if res := c.post("/login/verify", url.Values{"code": {code}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the second step: %d", res.StatusCode)
	}
	res := c.post("/login/verify", url.Values{"code": {code}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/links" {
		t.Errorf("the second step sent again, signed in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := c.get("/links"); res.StatusCode != http.StatusOK {
		t.Errorf("the dashboard after the form sent again: %d", res.StatusCode)
	}
	// A browser not signed in is still told to sign in again.
	if res := s.client().post("/login/verify", url.Values{"code": {code}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a second step from a browser that gave no password: %d", res.StatusCode)
	}
}

var secretPattern = regexp.MustCompile(`data-secret="([A-Z2-7]+)"`)

var shownKeyPattern = regexp.MustCompile(`name="shown_key" value="([0-9a-f]+)"`)

// TestTOTPKeyReplacedInAnotherTab: setting the app up started in two tabs
// leaves the first tab's key replaced by the second's. A code of the
// first key, typed in the first tab, is not called wrong, which it is
// not, but said to belong to a key since replaced, with the key that
// waits now shown to scan instead, in the page's language. A code of the
// key that waits then turns the app on, typed on either page.
func TestTOTPKeyReplacedInAnotherTab(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	start := func() (secret, mark string) {
		t.Helper()
		res := c.post("/settings/totp", url.Values{})
		m, k := secretPattern.FindStringSubmatch(res.body), shownKeyPattern.FindStringSubmatch(res.body)
		if res.StatusCode != http.StatusOK || m == nil || k == nil {
			t.Fatalf("start setting the app up: %d, secret %v, its mark %v", res.StatusCode, m != nil, k != nil)
		}
		if strings.Contains(k[1], m[1]) || strings.Contains(res.body, `value="`+m[1]+`"`) {
			t.Fatal("the form carries the secret itself")
		}
		return m[1], k[1]
	}
	first, firstMark := start()
	second, secondMark := start()
	if first == second || firstMark == secondMark {
		t.Fatal("starting again made the same key")
	}
	for _, lang := range []string{"en", "fr"} {
		res := c.request(http.MethodPost, "/settings/totp/confirm",
			strings.NewReader(url.Values{"code": {s.code(first)}, "shown_key": {firstMark}}.Encode()),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept-Language": {lang}})
		want := html.EscapeString(i18n.For(lang).T("error.totp_key_replaced"))
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, want) || strings.Contains(res.body, `data-testid="new-codes"`) {
			t.Fatalf("in %s a code of the key since replaced: %d %s", lang, res.StatusCode, res.body)
		}
		if m := secretPattern.FindStringSubmatch(res.body); m == nil || m[1] != second {
			t.Fatalf("in %s the page shows another key than the one waiting", lang)
		}
		if k := shownKeyPattern.FindStringSubmatch(res.body); k == nil || k[1] != secondMark {
			t.Fatalf("in %s the form names another key than the one it shows", lang)
		}
	}
	// A right code for the key that waits is taken on any page, the one
	// that showed the key replaced too.
	res := c.post("/settings/totp/confirm", url.Values{"code": {s.code(second)}, "shown_key": {firstMark}})
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-testid="new-codes"`) {
		t.Fatalf("a code of the key that waits, on the page of the key replaced: %d %s", res.StatusCode, res.body)
	}
}

// TestRequiredTwoFactor: with the switch on, an account without a second
// factor that signs in with its password can only set one up, and is
// signed in once it has.
func TestRequiredTwoFactor(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	if _, err := s.h.core.AddAccount(context.Background(), "bob", testPassword, false); err != nil {
		t.Fatal(err)
	}
	// Only an administrator turns it on.
	bob := s.signIn("bob")
	if res := bob.post("/accounts/two-factor", url.Values{"required": {"on"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a member requires two-factor: %d", res.StatusCode)
	}
	if res := ada.post("/accounts/two-factor", url.Values{"required": {"on"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("require two-factor: %d", res.StatusCode)
	}
	if res := ada.get("/accounts"); !strings.Contains(res.body, `data-testid="two-factor-required"`) ||
		!strings.Contains(res.body, `data-testid="self-without-factor"`) {
		t.Fatal("the accounts page does not say two-factor is required, and that ada has none")
	}
	// Sessions already signed in go on; a new sign-in must enrol.
	if res := bob.get("/links"); res.StatusCode != http.StatusOK {
		t.Fatalf("a session from before: %d", res.StatusCode)
	}
	c := s.client()
	res := c.post("/login", url.Values{"username": {"bob"}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings" {
		t.Fatalf("sign-in without a factor: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	for _, path := range []string{"/links", "/requests", "/accounts", "/"} {
		if res := c.get(path); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings" {
			t.Errorf("GET %s before enrolling: %d to %q", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if res := c.post("/links", url.Values{"kind": {"message"}, "message": {"x"}, "ttl": {"1h"}}); res.StatusCode != http.StatusForbidden ||
		!strings.Contains(res.body, "requires two-factor") {
		t.Errorf("creating a link before enrolling: %d", res.StatusCode)
	}
	for _, path := range []string{"/settings/keys", "/settings/password", "/settings/totp/disable"} {
		if res := c.post(path, url.Values{"name": {"k"}, "expires": {"90d"}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s before enrolling: %d", path, res.StatusCode)
		}
	}
	res = c.get("/settings")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-testid="enrol-required"`) ||
		strings.Contains(res.body, `data-testid="api-keys"`) {
		t.Fatalf("the enrolment page: %d", res.StatusCode)
	}
	res = c.post("/settings/totp", url.Values{})
	m := secretPattern.FindStringSubmatch(res.body)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("start enrolling: %d", res.StatusCode)
	}
	// A wrong code says what to type, and no recovery codes, which do not
	// exist yet; the right one may come spaced as apps show it.
	code := s.code(m[1])
	wrong := code[:5] + string('0'+(code[5]-'0'+1)%10)
	res = c.post("/settings/totp/confirm", url.Values{"code": {wrong}})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.body, "shows now.") || strings.Contains(res.body, "recovery codes.") {
		t.Fatalf("a wrong code at enrolment: %d", res.StatusCode)
	}
	res = c.post("/settings/totp/confirm", url.Values{"code": {code[:3] + " " + code[3:]}})
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-testid="new-codes"`) {
		t.Fatalf("confirm: %d %s", res.StatusCode, res.body)
	}
	if res := c.get("/links"); res.StatusCode != http.StatusOK {
		t.Fatalf("the dashboard once enrolled: %d", res.StatusCode)
	}
	// While required, the last factor stays.
	s.clock.Advance(core.TOTPPeriod)
	if res := c.post("/settings/totp/disable", url.Values{"proof": {testPassword}}); res.StatusCode != http.StatusConflict {
		t.Fatalf("turning off the last factor while required: %d", res.StatusCode)
	}
	// The enrolment waits only so long.
	late := s.client()
	if _, err := s.h.core.AddAccount(context.Background(), "carol", testPassword, false); err != nil {
		t.Fatal(err)
	}
	late.post("/login", url.Values{"username": {"carol"}, "password": {testPassword}})
	s.clock.Advance(core.EnrolTime)
	if res := late.get("/settings"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("an expired enrolment: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	// An administrator's own factors go only as the settings page lets
	// them, with a code or the password.
	adaAccount, _ := s.h.core.AccountByName(context.Background(), "ada")
	if res := ada.post("/accounts/reset-two-factor", url.Values{"account": {itoa(adaAccount.ID)}}); res.StatusCode != http.StatusBadRequest ||
		!strings.Contains(res.body, "on the Settings page") {
		t.Fatalf("an administrator resets their own factors: %d", res.StatusCode)
	}
	// Nor does the accounts page offer to, when she has one.
	bobAccount, _ := s.h.core.AccountByName(context.Background(), "bob")
	s.enrolTOTP("ada")
	page := ada.get("/accounts").body
	if strings.Contains(page, `<option value="`+itoa(adaAccount.ID)+`"`) || !strings.Contains(page, `<option value="`+itoa(bobAccount.ID)+`"`) {
		t.Fatal("the accounts page offers to reset the administrator's own factors, or not bob's")
	}
	// An administrator removes a lost factor; the owner then enrols again.
	if res := ada.post("/accounts/reset-two-factor", url.Values{"account": {itoa(bobAccount.ID)}}); res.StatusCode != http.StatusOK ||
		!strings.Contains(res.body, `data-testid="two-factor-reset"`) {
		t.Fatalf("reset: %d", res.StatusCode)
	}
	if res := s.client().post("/login", url.Values{"username": {"bob"}, "password": {testPassword}}); res.Header.Get("Location") != "/settings" {
		t.Fatalf("sign-in after a reset goes to %q", res.Header.Get("Location"))
	}
}

// TestTwoFactorSettings: turning the app off and making new recovery
// codes take a current code or the password, once the sign-in proves no
// more, and a wrong one changes nothing.
func TestTwoFactorSettings(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	ada := s.admin()
	secret, _ := s.enrolTOTP("ada")
	if res := ada.post("/settings/totp", url.Values{}); res.StatusCode != http.StatusConflict {
		t.Fatalf("setting up a second app: %d", res.StatusCode)
	}
	s.clock.Advance(core.ProofWindow)
	res := ada.post("/settings/recovery-codes", url.Values{"proof": {"not it at all"}})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, `id="error-proof"`) {
		t.Fatalf("new codes with a wrong password: %d", res.StatusCode)
	}
	res = ada.post("/settings/recovery-codes", url.Values{"proof": {s.code(secret)}})
	if res.StatusCode != http.StatusOK || strings.Count(res.body, `data-testid="code"`) != core.RecoveryCodes {
		t.Fatalf("new codes with a code: %d", res.StatusCode)
	}
	// The same form sent again, as a reload does, with the password:
	// the codes just shown stand.
	renew := url.Values{"proof": {testPassword}, "form_key": {"renew-once"}}
	res = ada.post("/settings/recovery-codes", renew)
	shown := testIDs(t, res.body, "code")
	if res.StatusCode != http.StatusOK || len(shown) != core.RecoveryCodes {
		t.Fatalf("new codes with the password: %d", res.StatusCode)
	}
	res = ada.post("/settings/recovery-codes", renew)
	if res.StatusCode != http.StatusConflict || hasTestID(t, res.body, "code") || !strings.Contains(res.body, i18n.T(context.Background(), "twofactor.recovery.renewed_twice")) {
		t.Fatalf("new codes sent again: %d", res.StatusCode)
	}
	signIn := s.client()
	signIn.passwordStep("ada")
	if res := signIn.post("/login/verify", url.Values{"code": {textOf(shown[0])}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a code shown before the form was sent again: %d", res.StatusCode)
	}
	// The code proved the session a while: once that is over, the app
	// goes only with a proof.
	s.clock.Advance(core.ProofWindow)
	if res := ada.post("/settings/totp/disable", url.Values{"proof": {"wrong password"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("turning off with a wrong password: %d", res.StatusCode)
	}
	res = ada.post("/settings/totp/disable", url.Values{"proof": {testPassword}})
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-testid="totp-off-notice"`) {
		t.Fatalf("turning off: %d", res.StatusCode)
	}
	f, err := s.h.core.SecondFactorsOf(context.Background(), 1)
	if err != nil || f.Any() || f.RecoveryLeft != 0 {
		t.Fatalf("after turning off: %+v, %v", f, err)
	}
	// Signing in is the password alone again.
	if res := s.client().post("/login", url.Values{"username": {"ada"}, "password": {testPassword}}); res.Header.Get("Location") != "/links" {
		t.Fatalf("sign-in after turning off goes to %q", res.Header.Get("Location"))
	}
}

// TestProofRenewsTheSession: a proof that the owner is at the keyboard
// proves their session, not a copy of its cookie taken before: the
// session goes on under a new token, and the copy, which would otherwise
// turn the app off without a proof for the next ten minutes, signs nobody
// in.
func TestProofRenewsTheSession(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	secret, _ := s.enrolTOTP("ada")
	s.clock.Advance(core.ProofWindow) // the sign-in proves no more
	base, _ := url.Parse(s.URL)
	stolen := ada.c.Jar.Cookies(base)
	res := ada.post("/settings/recovery-codes", url.Values{"proof": {s.code(secret)}})
	if res.StatusCode != http.StatusOK || strings.Count(res.body, `data-testid="code"`) != core.RecoveryCodes {
		t.Fatalf("new codes with a code: %d", res.StatusCode)
	}
	if c := setCookie(t, res, "oncelink_session"); len(stolen) != 1 || c.Value == stolen[0].Value {
		t.Fatalf("the proof kept the session token: %v, %v", stolen, c)
	}
	copied := s.client()
	copied.c.Jar.SetCookies(base, stolen)
	if res := copied.post("/settings/totp/disable", nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a copy of the cookie from before the proof turns the app off: %d, want 401", res.StatusCode)
	}
	if f, err := s.h.core.SecondFactorsOf(context.Background(), 1); err != nil || !f.TOTP {
		t.Fatalf("the app after the copy's try: %+v, %v", f, err)
	}
	// The session that gave the proof goes on, proven.
	if res := ada.post("/settings/totp/disable", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the proven session turns the app off: %d", res.StatusCode)
	}
	if rows := ada.sessionRows(); len(rows) != 1 || current(t, rows) == "" {
		t.Errorf("sessions after the proof: %v", rows)
	}
}

// TestRecoveryCodesLeft: the settings page tells recovery codes used up
// from codes never made, as for a passkey added before passkeys came
// with codes.
func TestRecoveryCodesLeft(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	ada := s.admin()
	ctx := context.Background()
	if _, err := s.store.AddPasskey(ctx, store.Passkey{AccountID: 1, CredentialID: []byte("cred"), UserHandle: []byte("handle"),
		Name: "laptop", Credential: []byte(`{}`)}, core.MaxPasskeys); err != nil {
		t.Fatal(err)
	}
	en := i18n.For("en")
	if got := testIDText(t, ada.get("/settings").body, "recovery-left"); got != en.T("twofactor.recovery.none_yet") {
		t.Errorf("never any codes: %q", got)
	}
	res := ada.post("/settings/recovery-codes", url.Values{"proof": {testPassword}})
	codes := testIDs(t, res.body, "code")
	if res.StatusCode != http.StatusOK || len(codes) != core.RecoveryCodes {
		t.Fatalf("new codes: %d, %d codes", res.StatusCode, len(codes))
	}
	if got := testIDText(t, ada.get("/settings").body, "recovery-left"); got != en.N("twofactor.recovery.left", core.RecoveryCodes, "Total", core.RecoveryCodes) {
		t.Errorf("all codes left: %q", got)
	}
	a, err := s.store.AccountByID(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		turn, err := s.h.core.TakeTurn(ctx, core.SignInAction, core.Client{IP: "192.0.2.1"})
		if err == nil {
			_, err = s.h.core.SecondStep(ctx, turn, a, textOf(c))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := testIDText(t, ada.get("/settings").body, "recovery-left"); got != en.T("twofactor.recovery.none_left") {
		t.Errorf("codes used up: %q", got)
	}
}

// TestPasskeyFoundClonedOnSettings: a passkey found cloned says so in its
// row on Settings, beside its name, asking its owner to remove it and add
// a new one, and its row keeps its Remove button; the account's other
// passkey says nothing of it. The form to add one stays.
func TestPasskeyFoundClonedOnSettings(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false }, onLocalhost)
	ada := s.admin()
	ctx := context.Background()
	ids := map[string]int64{}
	for _, name := range []string{"laptop", "phone"} {
		p, err := s.store.AddPasskey(ctx, store.Passkey{AccountID: 1, CredentialID: []byte(name), UserHandle: []byte("ada"),
			Name: name, Credential: []byte(`{}`)}, core.MaxPasskeys)
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = p.ID
	}
	if hasTestID(t, ada.get("/settings").body, "passkey-cloned") {
		t.Fatal("a passkey never found cloned says it may have been copied")
	}
	if marked, err := s.store.PasskeyCloned(ctx, ids["phone"]); err != nil || !marked {
		t.Fatalf("marked %v, %v", marked, err)
	}
	body := ada.get("/settings").body
	rows := findAll(parseHTML(t, body), byTestID("passkey-row"))
	if len(rows) != 2 {
		t.Fatalf("%d passkeys listed", len(rows))
	}
	want := i18n.For("en").T("twofactor.passkeys.cloned")
	for _, row := range rows {
		name := attr(row, "data-name")
		said := findAll(row, byTestID("passkey-cloned"))
		switch {
		case name == "phone" && (len(said) != 1 || textOf(said[0]) != want):
			t.Errorf("the passkey found cloned says %d times what it is", len(said))
		case name == "laptop" && len(said) != 0:
			t.Errorf("the other passkey says it may have been copied")
		}
		if len(findAll(row, byTestID("remove-passkey"))) != 1 {
			t.Errorf("%s has no Remove button", name)
		}
	}
	if !hasTestID(t, body, "passkey-form") {
		t.Error("no form to add a new passkey")
	}
	res := ada.post("/settings/passkeys/"+itoa(ids["phone"])+"/delete", url.Values{"proof": {testPassword}})
	if res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "passkey-removed") || hasTestID(t, res.body, "passkey-cloned") {
		t.Fatalf("removing it: %d", res.StatusCode)
	}
}

// TestPasskeyRoutesRefuse: the passkey routes answer a browser's script in
// JSON, refuse what is not a ceremony's answer, and say so when the
// server's address is not a name.
func TestPasskeyRoutesRefuse(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	ada := s.admin()
	json := http.Header{"Accept": {"application/json"}, "Content-Type": {"application/x-www-form-urlencoded"}}
	res := ada.request(http.MethodPost, "/settings/passkeys/options", strings.NewReader("name=laptop"), json)
	if res.StatusCode != http.StatusNotFound || !strings.Contains(res.body, `"code":"passkeys_unavailable"`) {
		t.Fatalf("passkeys on an address: %d %s", res.StatusCode, res.body)
	}
	s = newTestServer(t, func(c *core.Config) {
		c.RateLimits = false
		c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1)
	})
	ada = s.admin()
	res = ada.request(http.MethodPost, "/settings/passkeys/options", strings.NewReader("name=+"), json)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, `"code":"passkey_name_missing"`) {
		t.Fatalf("a passkey without a name: %d %s", res.StatusCode, res.body)
	}
	res = ada.request(http.MethodPost, "/settings/passkeys/options", strings.NewReader("name=laptop&proof="+url.QueryEscape(testPassword)), json)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, `"challenge"`) {
		t.Fatalf("options: %d %s", res.StatusCode, res.body)
	}
	res = ada.request(http.MethodPost, "/settings/passkeys", strings.NewReader("{}"), http.Header{"Accept": {"application/json"}, "Content-Type": {"text/plain"}})
	if res.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("an answer that is not JSON: %d", res.StatusCode)
	}
	res = ada.request(http.MethodPost, "/settings/passkeys", strings.NewReader(`{"id":"x"}`), http.Header{"Accept": {"application/json"}, "Content-Type": {"application/json"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a forged answer: %d %s", res.StatusCode, res.body)
	}
	res = ada.request(http.MethodPost, "/settings/passkeys", strings.NewReader(strings.Repeat(" ", core.MaxCeremonyBytes+1)), http.Header{"Accept": {"application/json"}, "Content-Type": {"application/json"}})
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("an answer too large: %d", res.StatusCode)
	}
	// A sign-in answer without a ceremony started is stale.
	res = s.client().request(http.MethodPost, "/login/passkey", strings.NewReader(`{}`), http.Header{"Accept": {"application/json"}, "Content-Type": {"application/json"}})
	if res.StatusCode != http.StatusBadRequest && res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a passkey sign-in without its start: %d %s", res.StatusCode, res.body)
	}
	// The second step's passkey routes need a password first.
	res = s.client().request(http.MethodPost, "/login/verify/passkey/options", strings.NewReader(""), json)
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("second-step options without a password: %d", res.StatusCode)
	}
}

// TestPasskeyAnswersCrossOrigin: the JSON ends of the passkey ceremonies
// are behind the same cross-origin protection as every form.
func TestPasskeyAnswersCrossOrigin(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) {
		c.RateLimits = false
		c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1)
	})
	ada := s.admin()
	for _, path := range []string{"/settings/passkeys", "/login/passkey", "/login/verify/passkey"} {
		res := ada.request(http.MethodPost, path, strings.NewReader(`{}`), http.Header{
			"Accept": {"application/json"}, "Content-Type": {"application/json"}, "Sec-Fetch-Site": {"cross-site"},
		})
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, `"code":"cross_origin"`) {
			t.Errorf("%s from another site: %d %s", path, res.StatusCode, res.body)
		}
	}
	if !ada.signedIn() {
		t.Fatal("a refused cross-origin answer signed ada out")
	}
}

// TestPasskeyOptionsLimited: asking for a passkey sign-in's options makes
// a session, so it takes the client's sign-in limit.
func TestPasskeyOptionsLimited(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) {
		c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1)
		c.Rates.SignIn = core.Rate{N: 3, Per: time.Minute}
	})
	s.admin()
	c := s.client()
	json := http.Header{"Accept": {"application/json"}, "Content-Type": {"application/x-www-form-urlencoded"}}
	for i := range 3 {
		if res := c.request(http.MethodPost, "/login/passkey/options", strings.NewReader(""), json); res.StatusCode != http.StatusOK {
			t.Fatalf("options %d: %d", i, res.StatusCode)
		}
	}
	res := c.request(http.MethodPost, "/login/passkey/options", strings.NewReader(""), json)
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(res.body, `"code":"rate_limited"`) {
		t.Fatalf("options past the limit: %d %s", res.StatusCode, res.body)
	}
}

// TestPasskeyChangesNeedProof: adding a passkey (the options that start
// its ceremony, before the authenticator is asked) and removing one take
// a current code or the password, once the sign-in proves no more, as
// turning the app off does, refused beside the field; each try takes from
// the account's sign-in limit, and a proof accepted proves the session
// again for a while.
func TestPasskeyChangesNeedProof(t *testing.T) {
	const limit = 5
	s := newTestServer(t, func(c *core.Config) {
		c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1)
		c.Rates.SignInAccount = core.Rate{N: limit, Per: time.Minute}
	})
	ada := s.admin()
	ctx := context.Background()
	s.clock.Advance(core.ProofWindow) // set-up's sign-in proves no more, and its try is forgotten
	res := ada.passkeyOptions("")
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, `"code":"proof_needed"`) ||
		!strings.Contains(res.body, `"field":"proof"`) || strings.Contains(res.body, "challenge") {
		t.Fatalf("options without a proof: %d %s", res.StatusCode, res.body)
	}
	for range limit - 2 {
		res := ada.passkeyOptions("not the password")
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, `"code":"wrong_proof"`) ||
			!strings.Contains(res.body, `"field":"proof"`) || strings.Contains(res.body, "challenge") {
			t.Fatalf("options with a wrong proof: %d %s", res.StatusCode, res.body)
		}
	}

	a, err := s.h.core.AccountByName(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.store.AddPasskey(ctx, store.Passkey{AccountID: a.ID, CredentialID: []byte("laptop"), UserHandle: []byte("ada"),
		Name: "laptop", Credential: []byte(`{}`)}, core.MaxPasskeys)
	if err != nil {
		t.Fatal(err)
	}
	path := "/settings/passkeys/" + itoa(p.ID) + "/delete"
	if res := ada.get(path); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-testid="passkey-remove"`) ||
		!strings.Contains(res.body, `id="remove-passkey-confirm-proof"`) {
		t.Fatalf("the removal's form: %d", res.StatusCode)
	}
	for _, proof := range []string{"", "not the password", "not it either"} {
		res := ada.post(path, url.Values{"proof": {proof}})
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, `id="error-proof"`) ||
			!strings.Contains(res.body, `aria-describedby="error-proof"`) || !strings.Contains(res.body, `data-testid="passkey-remove"`) {
			t.Fatalf("removing with the proof %q: %d", proof, res.StatusCode)
		}
		if keys, _ := s.store.Passkeys(ctx, a.ID); len(keys) != 1 {
			t.Fatalf("a wrong proof removed the passkey")
		}
	}
	// Five tries since the limit let go (no proof at all is none): the
	// next, right or not, waits.
	if res := ada.post(path, url.Values{"proof": {testPassword}}); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a sixth proof within the limit's minute: %d", res.StatusCode)
	}
	if res := ada.passkeyOptions(testPassword); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("options after the limit: %d %s", res.StatusCode, res.body)
	}
	s.clock.Advance(time.Minute)
	if res := ada.post(path, url.Values{"proof": {testPassword}}); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-testid="passkey-removed"`) {
		t.Fatalf("removing with the password: %d", res.StatusCode)
	}
	if keys, _ := s.store.Passkeys(ctx, a.ID); len(keys) != 0 {
		t.Fatalf("%d passkeys left", len(keys))
	}
	// The password proved the session: adding one asks for nothing more.
	if res := ada.passkeyOptions(""); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `"challenge"`) {
		t.Fatalf("options once proven: %d %s", res.StatusCode, res.body)
	}
	// One removed, or another account's, is not found, proof or not.
	for _, res := range []response{ada.get(path), ada.post(path, url.Values{"proof": {testPassword}})} {
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s of a passkey that is gone: %d", res.Request.Method, path, res.StatusCode)
		}
	}
}
