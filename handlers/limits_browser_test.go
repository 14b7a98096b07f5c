package handlers

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/internal/browsertest"
)

// TestHeldBackCountsDownInWords: the page script counts down the wait of a
// sign-in held back by the rate limits in the words the server has for the
// time left ("1 minute 29 seconds"), in every language.
func TestHeldBackCountsDownInWords(t *testing.T) {
	// Its server and browser are its own, and most of its time is spent
	// waiting, on the page's timers or a slow upload: it runs beside
	// other tests.
	t.Parallel()
	const per = 90 * time.Second
	s := newTestServer(t, func(c *core.Config) { c.Rates.SignIn = core.Rate{N: 1, Per: per} })
	s.admin()
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	const wait = `document.querySelector("[data-testid=held-back] [data-testid=retry-in]").textContent`
	for _, l := range i18n.Languages {
		s.clock.Advance(per) // the last language's wait is over
		if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": l.Code}}); err != nil {
			t.Fatal(err)
		}
		for _, answer := range []string{"form-error", "held-back"} {
			b.open("/login", "#password")
			b.do(
				chromedp.SendKeys(chromedp.ID("username"), "ada"),
				chromedp.SendKeys(chromedp.ID("password"), "not the password"),
				chromedp.Submit(chromedp.ID("password")),
				chromedp.WaitVisible(chromedp.CSS("[data-testid="+answer+"]")),
			)
		}
		local := i18n.For(l.Code)
		b.wait(wait+` !== `+strconv.Quote(local.Wait(per)), 3*time.Second)
		said := eval[string](b, wait)
		words := map[string]bool{}
		for d := per - 5*time.Second; d < per; d += time.Second {
			words[local.Wait(d)] = true
		}
		if !words[said] {
			t.Errorf("%s: the countdown says %q, not the server's words for the wait left (%q…)", l.Code, said, local.Wait(per-time.Second))
		}
		if l.Code == "en" || l.Code == "ar" {
			browsertest.Shoot(t, ctx, "held-back-words-"+l.Code)
		}
		b.forgive("status of 4") // the refused sign-ins
		b.clean("the held-back sign-in in " + l.Code)
	}
}
