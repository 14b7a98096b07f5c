package handlers

import (
	"testing"

	"github.com/chromedp/chromedp"

	"oncelink/internal/browsertest"
)

// TestRequestsInBrowser asks for a secret on the requests page and opens
// the request's address as its owner; neither page may scroll sideways on
// a phone, as the list of requests once did.
func TestRequestsInBrowser(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	b.do(chromedp.Navigate(s.URL+"/requests"), chromedp.WaitVisible(chromedp.CSS("[data-testid=request-form]")))
	b.do(chromedp.SendKeys(chromedp.ID("note"), "The staging database password, please"),
		chromedp.SendKeys(chromedp.ID("request-label"), "staging db"),
		chromedp.Click(chromedp.CSS("[data-testid=create-request]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=request-url]")))
	browsertest.Shoot(t, b.ctx, "requests")
	u := eval[string](b, `document.getElementById("request-url").value`)
	// Copy puts the address, shown this once, on the clipboard.
	b.copies("request-url", u)
	b.do(chromedp.Navigate(u), chromedp.WaitReady("body"))
	browsertest.Shoot(t, b.ctx, "request-owner")
}
