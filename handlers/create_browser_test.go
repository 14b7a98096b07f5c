package handlers

import (
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"oncelink/internal/browsertest"
)

// TestBrowserCreateFormSentTwice sends one create form twice without
// scripts, as a reload of the page that answered it does: the second
// answer names the link the first one made, and shows no address.
func TestBrowserCreateFormSentTwice(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, s.URL)
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("[data-testid=form-key]"), "value"))
	key := attr.Value
	if err != nil || key == "" {
		t.Fatalf("the form's key: %q, %v", key, err)
	}
	send := func() {
		b.do(
			chromedp.SetAttributeValue(chromedp.CSS("[data-testid=form-key]"), "value", key),
			chromedp.SendKeys(chromedp.ID("message"), "the vault code is 4711"),
			chromedp.SendKeys(chromedp.ID("label"), "Vault"),
			chromedp.Click(chromedp.CSS("[data-testid=create]")),
		)
	}
	send()
	b.do(chromedp.WaitVisible(chromedp.CSS("[data-testid=link-url]")))
	b.open("/links", "[data-testid=create-form]")
	send()
	b.do(chromedp.WaitVisible(chromedp.CSS("[data-testid=already-created]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=next-steps]")))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=link-url]").length`)); err != nil || n != 0 {
		t.Fatalf("the second answer shows %d addresses (%v)", n, err)
	}
	browsertest.Shoot(t, ctx, "create-sent-twice")
	b.forgive("status of 409")
	b.clean("the second answer")
	if n := countLinks(t, s); n != 1 {
		t.Fatalf("%d links, want 1", n)
	}
}
