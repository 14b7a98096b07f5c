package handlers

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
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
	if _, err := chromedp.Call(b.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "clipboard-read"}, Setting: browser.PermissionSettingGranted, Origin: s.URL,
	}); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Click(chromedp.CSS(`[data-copy=request-url]`)))
	b.wait(`document.querySelector("[data-copy=request-url]").textContent === "Copied"`, 2*time.Second)
	if got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)); err != nil || got != u {
		t.Errorf("the clipboard holds %q (%v), want the request's address", got, err)
	}
	b.do(chromedp.Navigate(u), chromedp.WaitReady("body"))
	browsertest.Shoot(t, b.ctx, "request-owner")
}
