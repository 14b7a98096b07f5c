package handlers

import (
	"testing"

	"github.com/chromedp/chromedp"

	"oncelink/internal/browsertest"
)

// TestAccountSecurityInBrowser: the accounts page says, after a reset of
// bob's second factors, that he was signed out everywhere, and above the
// list what promoting does; the settings page says, beside the password
// change, that API keys outlive it. In English and in Arabic, written
// right to left, at a phone's width and a desktop's, light and dark. With
// ONCELINK_SCREENSHOTS set it keeps each as security-*.png.
func TestAccountSecurityInBrowser(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	s.user("bob")
	s.enrolTOTP("bob")
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	signIn(t, ctx, s.URL)

	for _, lang := range []string{"en", "ar"} {
		b.chooseLanguage("/accounts", lang)
		if lang == "ar" {
			if dir := eval[string](b, `document.documentElement.dir`); dir != "rtl" {
				t.Errorf("the Arabic page is written %q", dir)
			}
		}
		b.open("/accounts", "[data-testid=promote-help]")
		if !eval[bool](b, `document.getElementById("promote-help").checkVisibility()`) {
			t.Errorf("%s: the accounts page does not say what promoting does", lang)
		}
		if lang == "en" {
			// The form's own confirmation is a dialog: sent as it would be
			// once confirmed.
			b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-testid=reset-two-factor-form]").submit()`),
				chromedp.WaitVisible(chromedp.CSS("[data-testid=two-factor-reset]")))
			b.do(chromedp.ScrollIntoView(chromedp.CSS("[data-testid=two-factor-reset]")))
			browsertest.Shoot(t, ctx, "security-accounts-reset")
		}
		browsertest.Shoot(t, ctx, "security-accounts-"+lang)
		b.clean("the accounts page")

		b.open("/settings", "[data-testid=password-keys]")
		if !eval[bool](b, `document.getElementById("password-keys").checkVisibility()`) {
			t.Errorf("%s: the password form does not say that API keys stay", lang)
		}
		b.do(chromedp.ScrollIntoView(chromedp.CSS("[data-testid=password-form]")))
		browsertest.Shoot(t, ctx, "security-settings-"+lang)
		b.clean("the settings page")
	}
}
