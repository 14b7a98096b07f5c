package handlers

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/components"
	"oncelink/core"
	"oncelink/internal/browsertest"
)

// TestRequestExpiresInItsRow: an open request's row counts down to its
// expiry, as a link's does, and at zero turns expired without a reload,
// under the Open filter too, where it stays: its badge says expired, its
// Withdraw button goes (a keyboard on it is left on the page), and its
// When says when it expired, the row reading as the page drawn again
// after the expiry has it, in each language. The other open request keeps
// counting. At a phone's width, light and dark, in English and in Arabic.
func TestRequestExpiresInItsRow(t *testing.T) {
	// Its server and browser are its own, and most of its time is spent
	// waiting for requests to expire: it runs beside other tests.
	t.Parallel()
	s := newTestServer(t, func(c *core.Config) { c.MinTTL = time.Second })
	s.admin()
	ctx := context.Background()
	owner, err := s.h.core.AccountByName(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(label, ttl string) string {
		c, err := s.h.core.CreateRequest(ctx, owner.ID, core.RequestInput{Label: label, Note: "please", Accepts: core.AcceptsAny, TTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		return components.RequestRowID(c.Request.ID)
	}
	later := mk("staging db", "1h")

	bctx := browsertest.New(t)
	signInAndLeave(t, bctx, s.URL)
	b := watchedTab(t, bctx, s)
	const (
		row   = `(id => document.getElementById(id).innerText.replace(/\s+/g, " ").trim())`
		badge = `(id => document.querySelector("#" + id + " [data-testid=request-status]").textContent)`
	)
	for _, lang := range []string{"en", "de", "fr", "es", "ar"} {
		b.chooseLanguage("/requests", lang)
		soon := mk("VPN key "+lang, "3s")
		b.open("/requests?status=open", "#"+soon)
		b.do(chromedp.Evaluate[chromedp.Void](`window.__samePage = true`))
		if !eval[bool](b, `!!document.querySelector("#`+soon+` [data-testid=request-when] time.countdown") && !!document.querySelector("#`+soon+` [data-testid=revoke-request]")`) {
			t.Fatalf("%s: the open request's row has no countdown, or no Withdraw button", lang)
		}
		if lang == "en" || lang == "ar" {
			browsertest.Shoot(t, b.ctx, "request-countdown-"+lang, 390)
		}
		if lang == "de" {
			b.focus("#" + soon + " [data-testid=revoke-request]")
		}
		b.wait(`document.getElementById("`+soon+`").dataset.status === "expired"`, 6*time.Second)
		if got := eval[string](b, `document.activeElement.id`); lang == "de" && got != "main" {
			t.Errorf("the Withdraw of a request that expired went with the focus on it; the focus is then on %q, want the page", got)
		}
		if eval[bool](b, `!!document.querySelector("#`+soon+` [data-testid=revoke-request]")`) {
			t.Errorf("%s: the expired request still offers to withdraw it", lang)
		}
		if eval[string](b, `document.getElementById("`+later+`").dataset.status`) != "open" ||
			!eval[bool](b, `!!document.querySelector("#`+later+` time.countdown")`) {
			t.Errorf("%s: the request that has an hour left stopped counting", lang)
		}
		if !eval[bool](b, `window.__samePage === true`) {
			t.Fatalf("%s: the page was loaded again", lang)
		}
		ticked, tickedBadge := eval[string](b, row+`("`+soon+`")`), eval[string](b, badge+`("`+soon+`")`)
		tickedClass := eval[string](b, `document.querySelector("#`+soon+` [data-testid=request-status]").className`)
		if lang == "en" || lang == "ar" {
			browsertest.Shoot(t, b.ctx, "request-expired-in-place-"+lang, 390)
		}

		// Drawn again after the expiry, the row reads the same.
		s.clock.Advance(5 * time.Second)
		b.open("/requests", "#"+soon)
		if got := eval[string](b, `document.getElementById("`+soon+`").dataset.status`); got != "expired" {
			t.Fatalf("%s: after the expiry the server draws the row %s", lang, got)
		}
		if drawn := eval[string](b, row+`("`+soon+`")`); drawn != ticked {
			t.Errorf("%s: the row that turned expired reads %q, drawn again %q", lang, ticked, drawn)
		}
		if drawn := eval[string](b, badge+`("`+soon+`")`); drawn != tickedBadge {
			t.Errorf("%s: the badge that turned expired says %q, drawn again %q", lang, tickedBadge, drawn)
		}
		if drawn := eval[string](b, `document.querySelector("#`+soon+` [data-testid=request-status]").className`); drawn != tickedClass {
			t.Errorf("%s: the badge that turned expired is %q, drawn again %q", lang, tickedClass, drawn)
		}
	}
	b.clean("requests' countdowns")
}

// TestSendPageExpiresInPlace: a request's page left open by its sender
// past the request's expiry says it expired, as a link's page does, and
// offers to send no more: its message, its file and its Send button are
// disabled, and what it said of sending goes. At a phone's width and a
// desktop's, light and dark, in English and in Arabic.
func TestSendPageExpiresInPlace(t *testing.T) {
	// Most of its time is spent waiting on the page's timers: it runs
	// beside other tests.
	t.Parallel()
	s := newTestServer(t, func(c *core.Config) { c.MinTTL = time.Second })
	s.admin()
	ctx := context.Background()
	owner, err := s.h.core.AccountByName(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	b := newTab(t, browsertest.New(t), s)
	const (
		fields = `["message", "file"].map(id => document.getElementById(id)).concat(document.querySelector("[data-testid=send]"))`
		open   = `(` + fields + `.every(el => !el.disabled) && document.querySelector("[data-opens]")?.hidden === false && !!document.querySelector(".expires-line time.countdown"))`
		closed = `(` + fields + `.every(el => el.disabled) && document.querySelector("[data-opens]")?.hidden === true && !document.querySelector(".expires-line time.countdown") && !!document.querySelector(".expires-line time"))`
	)
	for _, lang := range []string{"en", "ar"} {
		c, err := s.h.core.CreateRequest(ctx, owner.ID, core.RequestInput{Label: "VPN key", Note: "The VPN key, please", Accepts: core.AcceptsAny, TTL: "4s"})
		if err != nil {
			t.Fatal(err)
		}
		b.acceptLanguage(lang)
		b.do(chromedp.Navigate(c.URL), chromedp.WaitVisible(chromedp.CSS("[data-testid=send-form]")))
		b.do(chromedp.SendKeys(chromedp.ID("message"), "hunter2"))
		if !eval[bool](b, open) {
			t.Fatalf("%s: the send page does not offer its form before the request expired", lang)
		}
		b.wait(closed, 8*time.Second)
		if got := eval[string](b, `document.getElementById("message").value`); got != "hunter2" {
			t.Errorf("%s: what was typed became %q", lang, got)
		}
		browsertest.Shoot(t, b.ctx, "send-expired-in-place-"+lang)
		// The server's clock, which the test holds, sees it expired too.
		s.clock.Advance(5 * time.Second)
	}
	b.clean("the expired send page")
}
