package handlers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/internal/browsertest"
	"oncelink/internal/oidctest"
)

// TestSSOInBrowser clicks the single sign-on button in Chromium and lands
// signed in on the dashboard, through an OpenID provider running in the
// test; a refused token sends the browser back to the sign-in page, which
// says why.
// With ONCELINK_SCREENSHOTS set it keeps the sign-in pages, with a
// password and without, the refusal and the accounts page.
func TestSSOInBrowser(t *testing.T) {
	idp := startProvider(t)
	s := newSSOServer(t, idp)
	s.admin()
	ssoOnly := newSSOServer(t, idp, func(c *core.Config) { c.NoPasswordSignIn = true })
	ssoOnly.admin()
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s.testServer)

	b.open("/login", "[data-testid=sso]")
	browsertest.Shoot(t, ctx, "sign-in-sso")
	b.clean("sign-in page")

	idp.QueueUser(audienceUser{ssoUser("sub-amy", "amy@example.com", "amy"), "another-client"})
	b.do(chromedp.Click(chromedp.CSS("[data-testid=sso]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=form-error]")))
	if got := eval[string](b, `document.querySelector("[data-testid=form-error]").textContent`); got != core.ErrSSORefused.Msg {
		t.Errorf("refusal: %q", got)
	}
	// The refusal takes the focus, for a screen reader to read it, once
	// the page's script has run: the empty name's field does not.
	b.wait(`(document.activeElement.dataset.testid || document.activeElement.id) === "form-error"`, 2*time.Second)
	// The refusal is the sign-in page's own address, which a reload shows
	// again without the refusal, rather than the spent return's.
	if path := eval[string](b, `location.pathname`); path != "/login" {
		t.Errorf("the refusal is shown at %s", path)
	}
	browsertest.Shoot(t, ctx, "sign-in-sso-refused")
	b.clean("refused sign-in")

	b.do(chromedp.Navigate(ssoOnly.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("[data-testid=sso]")))
	if eval[bool](b, `document.querySelector("input[name=password]") !== null`) {
		t.Error("a password field with password sign-in off")
	}
	browsertest.Shoot(t, ctx, "sign-in-sso-only")
	b.clean("sign-in page without passwords")

	idp.QueueUser(ssoUser("sub-amy", "amy@example.com", "amy"))
	b.open("/login", "[data-testid=sso]")
	b.do(chromedp.Click(chromedp.CSS("[data-testid=sso]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=empty]")))
	if path := eval[string](b, `location.pathname`); path != "/links" {
		t.Errorf("signed in at %s", path)
	}
	b.wait(`document.querySelector("[data-testid=live]").textContent === "Live"`, 5*time.Second)
	b.clean("dashboard after single sign-on")
	b.open("/settings", "[data-testid=no-password]")
	browsertest.Shoot(t, ctx, "settings-sso")
	b.clean("settings without a password")

	amy, err := s.store.AccountByName(context.Background(), "amy")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.h.core.SetAdmin(context.Background(), nil, amy.ID, true); err != nil {
		t.Fatal(err)
	}
	// Promoted, she signs in again, as an administrator.
	idp.QueueUser(ssoUser("sub-amy", "amy@example.com", "amy"))
	b.open("/login", "[data-testid=sso]")
	b.do(chromedp.Click(chromedp.CSS("[data-testid=sso]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=empty]")))
	b.open("/accounts", "[data-testid=sso-linked]")
	browsertest.Shoot(t, ctx, "accounts-sso")
	b.clean("accounts page")
	if res := s.client().get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("another browser is signed in: %d", res.StatusCode)
	}
}

// signInAgain clicks the button sel, which signs in again at the
// provider, and waits for the page it comes back to.
func (b *tab) signInAgain(sel string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`window.__before = true`), chromedp.Click(chromedp.CSS(sel)))
	b.wait(`!window.__before && document.readyState === "complete"`, 5*time.Second)
}

// TestSSOProofInBrowser: an account that signs in only with single
// sign-on, without an app, adds a passkey right after signing in at the
// provider with nothing more. Once that is over, its settings offer no
// password field but a button that signs in again at the provider and
// comes back to the same section, proven, asked for once above the
// section's forms: a form shown before the window closed shows that
// button when it is sent after, described by why. A sign-in there that
// the provider says is old comes back to the section, which says why
// beside the button. With ONCELINK_SCREENSHOTS set it keeps the section
// with the button, in English on a phone and in Arabic on a laptop, and
// the refusal on a phone.
func TestSSOProofInBrowser(t *testing.T) {
	s := newPasskeySSOServer(t)
	idp := s.idp
	s.admin()
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s.testServer)
	addVirtualAuthenticator(t, b)
	jane := ssoUser("sub-jane", "jane@example.com", "jane")
	// The provider says it had jane sign in just now.
	idp.QueueUser(oidctest.SignedInAt(jane, s.clock.Now()))
	b.open("/login", "[data-testid=sso]")
	b.do(chromedp.Click(chromedp.CSS("[data-testid=sso]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=empty]")))
	const buttons = `[...document.querySelectorAll("[data-testid=sso-proof]")].filter(e => e.offsetParent !== null).length`
	const fields = `document.querySelectorAll("input[name=proof]").length`

	// Right after signing in, a passkey takes nothing more.
	b.open("/settings", "[data-testid=passkey-form]")
	if n, f := eval[int](b, buttons), eval[int](b, fields); n != 0 || f != 0 {
		t.Fatalf("right after signing in the section shows %d buttons to sign in again, %d proof fields", n, f)
	}
	b.do(
		chromedp.SendKeys(chromedp.ID("passkey-name"), "laptop"),
		chromedp.Click(chromedp.CSS("[data-testid=add-passkey]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=passkey-row][data-name=laptop]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=new-codes]")),
	)
	b.clean("a passkey right after signing in")

	// The window closes with the form shown: sent, it shows the button,
	// with why beside it, and the focus.
	s.clock.Advance(core.ProofWindow)
	b.do(
		chromedp.SendKeys(chromedp.ID("passkey-name"), "phone"),
		chromedp.Click(chromedp.CSS("[data-testid=add-passkey]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=passkey-proof-error]")),
	)
	b.forgive("status of 403")
	want := core.Variant(core.Forbidden, "proof_needed", "sso", "proof", "confirm_first", "Minutes", int(core.ProofWindow/time.Minute)).Msg
	if got := eval[string](b, `document.querySelector("[data-testid=passkey-proof-error]").textContent`); got != want {
		t.Errorf("the refusal says %q, want %q", got, want)
	}
	if got := eval[string](b, `(e => [e.dataset.testid, e.getAttribute("aria-describedby"), e.offsetParent !== null].join(" "))(document.activeElement)`); got != "sso-proof add-passkey-proof-error true" {
		t.Errorf("the focus is on %q, not the button to sign in again", got)
	}
	b.clean("the window closed")

	// The button signs in again at the provider and comes back proven.
	idp.QueueUser(oidctest.SignedInAt(jane, s.clock.Now()))
	b.signInAgain("[data-testid=sso-proof]")
	if got := eval[string](b, `location.pathname + location.hash`); got != "/settings#two-factor" {
		t.Fatalf("back from the provider at %s", got)
	}
	if n := eval[int](b, buttons); n != 0 {
		t.Fatalf("back from the provider, the section shows %d buttons to sign in again", n)
	}
	b.clean("back from the provider")
	// Removing the passkey, proven, asks for nothing either.
	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=remove-passkey]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=passkey-remove]")),
	)
	if n, f := eval[int](b, buttons), eval[int](b, fields); n != 0 || f != 0 {
		t.Fatalf("the removal asks for a proof: %d buttons, %d fields", n, f)
	}
	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=remove-passkey-confirm]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=passkey-removed]")),
	)
	b.clean("a passkey removed")

	// Later, the section asks once, above its forms, never with a
	// password field.
	s.clock.Advance(core.ProofWindow)
	b.open("/settings", "[data-testid=sso-proof-prompt] [data-testid=sso-proof]")
	if n, f := eval[int](b, buttons), eval[int](b, fields); n != 1 || f != 0 {
		t.Fatalf("outside the window the section shows %d buttons to sign in again, %d proof fields", n, f)
	}
	b.do(chromedp.ScrollIntoView(chromedp.ID("two-factor")))
	browsertest.Shoot(t, ctx, "settings-proof-sso-en", 390)
	b.chooseLanguage("/settings", "ar")
	b.do(chromedp.WaitVisible(chromedp.ID("two-factor")), chromedp.ScrollIntoView(chromedp.ID("two-factor")))
	browsertest.Shoot(t, ctx, "settings-proof-sso-ar", 1280)
	b.chooseLanguage("/settings", "en")
	b.clean("the section with buttons to sign in again")

	// A sign-in the provider says is old proves nothing: the browser goes
	// back to the section, at an address without the provider's code,
	// which says why beside the button, with the focus.
	idp.QueueUser(oidctest.SignedInAt(jane, s.clock.Now().Add(-time.Hour)))
	b.signInAgain("[data-testid=sso-proof]")
	if got := eval[string](b, `location.pathname + location.search + location.hash`); got != "/settings#two-factor" {
		t.Errorf("refused, back from the provider at %s", got)
	}
	if got, want := eval[string](b, `document.querySelector("[data-testid=sso-proof-prompt] [data-testid=form-error]")?.textContent ?? ""`), i18n.For("en").T("error.sso_not_fresh"); got != want {
		t.Errorf("refused, the prompt says %q, want %q", got, want)
	}
	b.wait(`document.activeElement.closest("[data-testid=sso-proof-prompt]") !== null && document.activeElement.dataset.testid === "form-error"`, 2*time.Second)
	b.do(chromedp.ScrollIntoView(chromedp.ID("two-factor")))
	browsertest.Shoot(t, ctx, "settings-sso-refused-en", 390)
	b.clean("a sign-in again refused")

	// Setting up an app, without script, once proven again.
	idp.QueueUser(oidctest.SignedInAt(jane, s.clock.Now()))
	b.signInAgain("[data-testid=sso-proof]")
	b.confirmTOTP(s.testServer, b.startTOTP())
	b.clean("an app set up once proven again")
	// With an app, its code is the proof.
	s.clock.Advance(core.ProofWindow)
	b.open("/settings", "label[for=renew-codes-proof]")
	if got := eval[string](b, `document.querySelector("label[for=renew-codes-proof]").textContent.trim()`); got != i18n.For("en").T("twofactor.proof.code") {
		t.Errorf("with an app, the proof is %q", got)
	}
	if n := eval[int](b, buttons); n != 0 {
		t.Errorf("with an app, the section shows %d buttons to sign in again", n)
	}
}

// TestSSOHeldBackInBrowser: a return from the provider that the rate
// limits hold back, of signing in again from the settings or of a
// sign-in, goes on to the page it belongs to, the settings' two-factor
// section or the sign-in page, at an address without the provider's code
// and state, which counts the wait down. With ONCELINK_SCREENSHOTS set it
// keeps both.
func TestSSOHeldBackInBrowser(t *testing.T) {
	idp := startProvider(t)
	s := newSSOServer(t, idp, func(c *core.Config) {
		c.RateLimits = true
		c.Rates.SignIn = core.Rate{N: 3, Per: time.Hour}
	})
	s.admin()
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s.testServer)
	jane := ssoUser("sub-jane", "jane@example.com", "jane")
	heldBack := func(where, at string) {
		t.Helper()
		if got := eval[string](b, `location.pathname + location.search + location.hash`); got != at {
			t.Errorf("%s: held back at %s, want %s", where, got, at)
		}
		if got := eval[string](b, `document.querySelector("[data-testid=held-back] [data-testid=retry-in]")?.textContent ?? ""`); got == "" {
			t.Errorf("%s: no wait counted down", where)
		}
		b.wait(`document.activeElement.dataset.testid === "held-back"`, 2*time.Second)
		b.forgive("status of 429")
	}

	// Signing in takes two turns, signing in again a third and a fourth.
	idp.QueueUser(jane)
	b.open("/login", "[data-testid=sso]")
	b.do(chromedp.Click(chromedp.CSS("[data-testid=sso]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=empty]")))
	b.open("/settings", "[data-testid=sso-proof]")
	idp.QueueUser(oidctest.SignedInAt(jane, s.clock.Now()))
	b.signInAgain("[data-testid=sso-proof]")
	heldBack("signing in again", "/settings#two-factor")
	if !eval[bool](b, `!!document.querySelector("[data-testid=sso-proof-prompt] [data-testid=held-back]")`) {
		t.Error("the notice is not beside the button to sign in again")
	}
	b.do(chromedp.ScrollIntoView(chromedp.ID("two-factor")))
	browsertest.Shoot(t, ctx, "settings-sso-held-back")
	b.clean("signing in again held back")

	// A new hour, of which another browser of the client takes two turns:
	// the sign-in's return is the fourth.
	s.clock.Advance(time.Hour)
	for range 2 {
		if res := s.client().post("/auth/oidc/start", nil); res.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("another browser held back: %d", res.StatusCode)
		}
	}
	b.do(chromedp.Evaluate[chromedp.Void](`fetch("/logout", {method: "POST"}).then(() => {})`, chromedp.EvalAwaitPromise))
	idp.QueueUser(jane)
	b.open("/login", "[data-testid=sso]")
	b.signInAgain("[data-testid=sso]")
	heldBack("signing in", "/login?next=/links")
	browsertest.Shoot(t, ctx, "sign-in-sso-held-back")
	b.clean("signing in held back")
}

// TestPasswordSectionWithPasswordsOffInBrowser: with password sign-in off,
// the settings page keeps the form that changes the password, saying what
// the password is still for, above it; in English and in Arabic, on a
// phone and a wide screen, light and dark, without scrolling sideways.
func TestPasswordSectionWithPasswordsOffInBrowser(t *testing.T) {
	s := newSSOServer(t, startProvider(t), func(c *core.Config) { c.NoPasswordSignIn = true })
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s.testServer)
	b.setUp()
	for _, lang := range []string{"en", "ar"} {
		b.acceptLanguage(lang)
		b.open("/settings", "html[lang="+lang+"] [data-testid=password-sso-only]")
		// It is said before the form, which follows it.
		if !eval[bool](b, `document.querySelector("[data-testid=password-sso-only]").compareDocumentPosition(document.querySelector("[data-testid=password-form]")) === Node.DOCUMENT_POSITION_FOLLOWING`) {
			t.Errorf("in %s, what the password is for does not come before its form", lang)
		}
		b.do(chromedp.ScrollIntoView(chromedp.CSS("[data-testid=password]")))
		browsertest.Shoot(t, ctx, "settings-password-sso-only-"+lang)
		b.clean("settings in " + lang)
	}
}
