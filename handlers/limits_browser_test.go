package handlers

import (
	"strconv"
	"strings"
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
		b.acceptLanguage(l.Code)
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

// TestHeadersTooLargePage: a browser whose request headers are over their
// bound, as when its cookies for the site have grown, gets a page in its
// language that says so and what to do, not net/http's plain text.
func TestHeadersTooLargePage(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	ctx := browsertest.New(t)
	for _, lang := range []string{"en", "ar"} {
		headers := network.Headers{"Accept-Language": lang, "X-Padding": strings.Repeat("p", core.MaxHeaderBytes)}
		if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: headers}); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
			t.Fatal(err)
		}
		said, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang + " " + document.querySelector("main").textContent`))
		want := lang + " "
		if err != nil || !strings.HasPrefix(said, want) || !strings.Contains(said, i18n.For(lang).T("error.headers_too_large", "Size", core.LimitSize(core.MaxHeaderBytes))[:20]) {
			t.Fatalf("%s: %q, %v", lang, said, err)
		}
		if lang == "en" {
			browsertest.Shoot(t, ctx, "headers-too-large")
		} else {
			browsertest.Screenshot(t, ctx, "headers-too-large-"+lang)
		}
	}
}
