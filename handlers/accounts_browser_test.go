package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"oncelink/internal/browsertest"
)

// TestSelfServiceInBrowser: the sessions list as a person sees it, a
// password change that signs the other session's open dashboard out, and a
// reset's one-time link on the accounts page.
func TestSelfServiceInBrowser(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	// Ada signs in on a phone too, and Bob has an account.
	phone := s.onPhone("ada")
	if _, err := s.h.core.AddAccount(t.Context(), "bob", testPassword, false); err != nil {
		t.Fatal(err)
	}

	b.open("/settings", "[data-testid=sessions]")
	if n := eval[int](b, `document.querySelectorAll("[data-testid=session-row]").length`); n != 2 {
		t.Fatalf("sessions listed: %d", n)
	}
	if got := eval[string](b, `document.querySelector("[data-testid=session-row][data-current]").textContent`); !strings.Contains(got, "this session") {
		t.Errorf("this session's row: %q", got)
	}
	if got := eval[string](b, `document.querySelector("[data-testid=session-row]:not([data-current])").textContent`); !strings.Contains(got, "Safari 17 on iPhone") {
		t.Errorf("the phone's row: %q", got)
	}
	browsertest.Shoot(b.t, b.ctx, "settings-sessions")
	b.clean("settings with two sessions")

	b.do(
		chromedp.SendKeys(chromedp.ID("current-password"), testPassword),
		chromedp.SendKeys(chromedp.ID("new-password"), "another good password"),
		chromedp.Click(chromedp.CSS("[data-testid=change-password]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=password-changed]")),
	)
	if n := eval[int](b, `document.querySelectorAll("[data-testid=session-row]").length`); n != 1 {
		t.Errorf("sessions after the change: %d", n)
	}
	browsertest.Shoot(b.t, b.ctx, "settings-password-changed")
	b.clean("password changed")
	if res := phone.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the phone after the change: %d", res.StatusCode)
	}

	b.open("/accounts", "[data-testid=account-row]")
	b.do(
		chromedp.Click(chromedp.CSS(`[data-testid=account-row][data-name=bob] [data-testid=reset-password]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=reset]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=link-url]")),
	)
	browsertest.Shoot(b.t, b.ctx, "accounts-reset")
	b.clean("password reset")
}
