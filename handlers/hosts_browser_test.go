package handlers

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"oncelink/internal/browsertest"
)

// TestMisdirectedPageInBrowser: a person who typed another name of the
// server's machine than its own sees the 421 page styled as any other, in
// their language; its language menu changes the page's language there,
// and its link takes them to the page they asked for at the server's own
// address, in the language they chose.
func TestMisdirectedPageInBrowser(t *testing.T) {
	s := newTestServer(t)
	_, port, _ := strings.Cut(s.Listener.Addr().String(), ":")
	rebound := "http://rebind.example:" + port
	ctx := browsertest.New(t, chromedp.Flag("host-resolver-rules", "MAP rebind.example 127.0.0.1"))
	b := newTab(t, ctx, s)
	b.acceptLanguage("fr")
	b.do(chromedp.Navigate(rebound+"/l/not-a-token"), chromedp.WaitVisible(chromedp.CSS("html[lang=fr] [data-testid=right-address]")))
	// The rule comes from app.css.
	styled := `getComputedStyle(document.querySelector(".right-address")).overflowWrap === "anywhere"`
	if !eval[bool](b, styled) {
		t.Error("the 421 page has no style")
	}
	if got := eval[string](b, `document.querySelector("[data-testid=error]").dataset.status`); got != "421" {
		t.Fatalf("the page for another name is %q, want the 421 page", got)
	}
	browsertest.Shoot(t, ctx, "misdirected-fr")

	b.do(
		chromedp.SetValue(chromedp.ID("language-menu"), "ar"),
		chromedp.Click(chromedp.CSS("form.language button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("html[lang=ar] [data-testid=right-address]")),
	)
	if got := eval[string](b, `location.href`); got != rebound+"/l/not-a-token?lang=ar" {
		t.Errorf("Arabic chosen on the 421 page, the page is %s", got)
	}
	if !eval[bool](b, styled) {
		t.Error("the 421 page in Arabic has no style")
	}
	browsertest.Shoot(t, ctx, "misdirected-ar")

	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=right-address]")),
		chromedp.WaitVisible(chromedp.CSS(`html[lang=ar] [data-testid=error][data-status="404"]`)),
	)
	if got := eval[string](b, `location.href`); got != s.URL+"/l/not-a-token?lang=ar" {
		t.Errorf("the 421 page's link leads to %s, want %s", got, s.URL+"/l/not-a-token?lang=ar")
	}
	b.forgive("status of 421")
	b.forgive("status of 404")
	b.clean("the 421 page")
}
