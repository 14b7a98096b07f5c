package handlers

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
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

// TestRequestNoteInBrowser: the sender reads the owner's note as it was
// written, its line breaks kept and a long address wrapped within the
// page, and a note in a left-to-right script reads left to right on an
// Arabic page, its full stop at its end.
func TestRequestNoteInBrowser(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	note := "The VPN password, please.\nhttps://example.com/" + strings.Repeat("a", 120) + "\nThanks."
	u := c.createRequest(url.Values{"note": {note}, "accepts": {"text"}, "ttl": {"1h"}})
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "ar"}}); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.EmulateViewport(390, 900), chromedp.Navigate(s.URL+u), chromedp.WaitVisible(chromedp.CSS("[data-testid=note]")))
	if got := eval[string](b, `document.querySelector("[data-testid=note]").innerText`); got != note {
		t.Errorf("the note reads %q, want %q", got, note)
	}
	if eval[bool](b, `document.documentElement.scrollWidth > document.documentElement.clientWidth`) {
		t.Error("a note with a long address scrolls the page sideways")
	}
	// Where the note's last word starts and where its full stop stands.
	stop := eval[bool](b, `(() => {
		const text = document.querySelector("[data-testid=note]").firstChild, r = document.createRange();
		const at = i => { r.setStart(text, i); r.setEnd(text, i + 1); return r.getBoundingClientRect().left; };
		return at(text.data.lastIndexOf(".")) > at(text.data.lastIndexOf("T"));
	})()`)
	if !stop {
		t.Error("on an Arabic page, an English note's full stop stands before its first word")
	}
	browsertest.Shoot(t, b.ctx, "request-note", 390)
}

// TestRequestRowTargeted: the owner's requests opened at a request's row
// (/requests#request-ID, where a notice mail leads) show that row tinted,
// and no other.
func TestRequestRowTargeted(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	for _, label := range []string{"vpn", "staging db", "wifi"} {
		owner.createRequest(url.Values{"label": {label}})
	}
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	signIn(t, ctx, s.URL)
	b.open("/requests", "[data-testid=request-row]")
	row := eval[string](b, `document.querySelectorAll("[data-testid=request-row]")[1].id`)
	b.open("/requests#"+row, "#"+row)
	const tinted = `[...document.querySelectorAll("[data-testid=request-row]")].filter(r => getComputedStyle(r).backgroundColor !== "rgba(0, 0, 0, 0)").map(r => r.id).join(" ")`
	if got := eval[string](b, tinted); got != row {
		t.Errorf("at #%s the rows tinted are %q", row, got)
	}
	browsertest.Shoot(t, ctx, "requests-targeted", 390, 1280)
	b.clean("the requests at a row")
}
