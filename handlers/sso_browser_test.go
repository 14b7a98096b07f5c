package handlers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/internal/browsertest"
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
	// The refusal takes the focus, for a screen reader to read it: the
	// empty name's field does not.
	if got := eval[string](b, `document.activeElement.dataset.testid || document.activeElement.id`); got != "form-error" {
		t.Errorf("after the refusal the focus is on %q, not the refusal", got)
	}
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
	if _, err := s.h.core.SetAdmin(context.Background(), nil, amy.ID, true); err != nil {
		t.Fatal(err)
	}
	b.open("/accounts", "[data-testid=sso-linked]")
	browsertest.Shoot(t, ctx, "accounts-sso")
	b.clean("accounts page")
	if res := s.client().get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("another browser is signed in: %d", res.StatusCode)
	}
}
