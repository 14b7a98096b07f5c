package handlers

import (
	"net/http"
	"net/url"
	"testing"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/internal/browsertest"
)

// TestRestingInBrowser: to a visitor, the page of a link whose owner's
// account is disabled says so in its refusal, which takes the focus, in
// English and in Arabic, written right to left, at a phone's width and a
// desktop's, light and dark; so does the request's page. The accounts page
// says, above its list, what disabling does. With ONCELINK_SCREENSHOTS set
// it keeps each as resting-*.png.
func TestRestingInBrowser(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	const owner = "bartholomew"
	sharer := s.user(owner)
	link := sharer.createLink(url.Values{"message": {"the door code"}})
	req := sharer.createRequest(nil)
	id := admin.accountID(owner)

	if res := admin.post("/accounts/"+id+"/disable", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", res.StatusCode)
	}
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	refusal := func(lang string, want *core.Error) {
		t.Helper()
		if got := eval[string](b, `document.querySelector("[data-testid=error]").dataset.status`); got != "403" {
			t.Errorf("the refusal's status is %s, want 403", got)
		}
		if got := eval[string](b, `document.activeElement.dataset.testid || document.activeElement.tagName`); got != "error-message" {
			t.Errorf("the focus is on %q, want the refusal's message", got)
		}
		if got := eval[string](b, `document.querySelector("[data-testid=error-message]").textContent.trim()`); got != want.Message(i18n.For(lang)) {
			t.Errorf("the page says %q, want %q", got, want.Message(i18n.For(lang)))
		}
		if eval[bool](b, `document.body.textContent.includes("`+owner+`")`) {
			t.Error("the refusal names the owner")
		}
	}
	b.open(linkPath(link), "[data-testid=error]")
	refusal("en", core.ErrLinkResting)
	browsertest.Shoot(t, ctx, "resting-link")
	b.open(req, "[data-testid=error]")
	refusal("en", core.ErrRequestResting)
	browsertest.Shoot(t, ctx, "resting-request", 390)

	b.chooseLanguage(linkPath(link), "ar")
	if dir := eval[string](b, `document.documentElement.dir`); dir != "rtl" {
		t.Errorf("the Arabic page is written %q", dir)
	}
	refusal("ar", core.ErrLinkResting)
	browsertest.Shoot(t, ctx, "resting-link-ar")
	b.open(req, "[data-testid=error]")
	refusal("ar", core.ErrRequestResting)
	browsertest.Shoot(t, ctx, "resting-request-ar", 390)
	b.forgive("status of 403")
	b.clean("the resting pages")

	// The accounts page, to an administrator: the disabled account's row
	// offers to enable it, the enabled one's to disable it, and above the
	// list, what either does.
	signIn(t, ctx, s.URL)
	b.chooseLanguage("/accounts", "en")
	b.open("/accounts", "[data-testid=enable]")
	if !eval[bool](b, `document.getElementById("disable-help").checkVisibility()`) {
		t.Error("the accounts page does not say what disabling does")
	}
	browsertest.Shoot(t, ctx, "resting-accounts-disabled")
	if res := admin.post("/accounts/"+id+"/enable", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("enable: %d", res.StatusCode)
	}
	b.open("/accounts", "[data-testid=disable]")
	browsertest.Shoot(t, ctx, "resting-accounts")
	b.chooseLanguage("/accounts", "ar")
	browsertest.Shoot(t, ctx, "resting-accounts-ar", 390)
	b.clean("the accounts page")
}
