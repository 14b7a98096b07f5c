package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/internal/browsertest"
)

// TestRequestsArriveLiveInBrowser: on an open requests page, a request
// made in a second tab, and one made with the API, each appear at the top
// of the list within a second, and the line that said there were none
// goes with the first; the tab that made one shows it once; an older page
// of the list takes neither. The page after an arrival, at a phone's width
// and a desktop's, light and dark, in English and in Arabic.
func TestRequestsArriveLiveInBrowser(t *testing.T) {
	s := newTestServer(t)
	s.withAPI()
	s.admin()
	ctx := browsertest.New(t)
	signInAndLeave(t, ctx, s.URL)
	const (
		top      = `(document.querySelector("#request-rows > tr") || {}).id`
		count    = `document.querySelectorAll("#request-rows > tr").length`
		shown    = `(sel => { const el = document.querySelector(sel); return !!el && getComputedStyle(el).display !== "none"; })`
		noneSaid = shown + `("[data-testid=no-requests]")`
		listed   = shown + `("table.requests")`
	)
	b := watchedTab(t, ctx, s)
	b.open("/requests", "[data-testid=no-requests]")
	b.wait(`window.__opens === 1`, 5*time.Second)
	if !eval[bool](b, noneSaid) || eval[bool](b, listed) {
		t.Fatal("the empty requests page does not say that there are none, or shows an empty table")
	}

	// A second tab makes one.
	other := watchedTab(t, ctx, s)
	other.open("/requests", "[data-testid=request-form]")
	other.do(chromedp.SendKeys(chromedp.ID("note"), "The staging database password, please"),
		chromedp.SendKeys(chromedp.ID("request-label"), "staging db"),
		chromedp.Click(chromedp.CSS("[data-testid=create-request]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=request-url]")))
	fromTab := eval[string](other, top)
	if took := b.wait(top+` === `+strconv.Quote(fromTab), time.Second); took > time.Second {
		t.Errorf("the other tab's request took %v to appear", took)
	}
	if eval[bool](b, noneSaid) || !eval[bool](b, listed) {
		t.Error("with its first request, the page still says there are none, or hides its table")
	}

	// An older page of the list, open and live, starts with that one.
	id, _ := strconv.ParseInt(fromTab[len("request-"):], 10, 64)
	older := watchedTab(t, ctx, s)
	older.open(components.RequestsPath(core.RequestsFrom(id)), "#"+fromTab)
	older.wait(`window.__opens === 1`, 5*time.Second)
	other.wait(`window.__opens === 1`, 5*time.Second)

	// A script makes another, with the API.
	fromAPI := components.RequestRowID(s.apiRequest("ada", `{"label":"VPN key","note":"The VPN key, please","accepts":"text","ttl":"2d"}`))
	if took := b.wait(top+` === `+strconv.Quote(fromAPI), time.Second); took > time.Second {
		t.Errorf("the script's request took %v to appear", took)
	}
	other.wait(top+` === `+strconv.Quote(fromAPI), time.Second)
	time.Sleep(300 * time.Millisecond) // time for a row that must not come
	for _, tb := range []*tab{b, other} {
		if n := eval[int](tb, count); n != 2 {
			t.Errorf("a first page of two requests shows %d rows", n)
		}
	}
	if n := eval[int](older, count); n != 1 || eval[string](older, top) != fromTab {
		t.Errorf("the older page shows %d rows, the first %q: it took a new request", n, eval[string](older, top))
	}
	browsertest.Shoot(t, b.ctx, "requests-live")

	// In Arabic, right to left.
	b.chooseLanguage("/requests", "ar")
	b.wait(`window.__opens === 1`, 5*time.Second)
	inArabic := components.RequestRowID(s.apiRequest("ada", `{"label":"مفتاح الخادم","accepts":"file","ttl":"1h"}`))
	if took := b.wait(top+` === `+strconv.Quote(inArabic), time.Second); took > time.Second {
		t.Errorf("in Arabic, the script's request took %v to appear", took)
	}
	browsertest.Shoot(t, b.ctx, "requests-live-ar")
	for name, tb := range map[string]*tab{"requests": b, "the tab that made one": other, "an older page": older} {
		tb.clean(name)
	}
}

// TestRequestChangesAnnouncedInBrowser: on an open requests page, screen
// readers hear, from the page's polite live region, each change of a
// request as they do a link's: an open request that expires there, one
// made elsewhere that arrives, that one filled by its sender, and another,
// named by its number, withdrawn in another tab, each once and in the
// page's language, in every language.
func TestRequestChangesAnnouncedInBrowser(t *testing.T) {
	// Its server and browser are its own, and most of its time is spent
	// waiting for requests to expire: it runs beside other tests.
	t.Parallel()
	s := newTestServer(t, func(c *core.Config) { c.MinTTL = time.Second; c.RateLimits = false })
	s.admin()
	ctx := t.Context()
	owner, err := s.h.core.AccountByName(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(label, ttl string) core.CreatedRequest {
		t.Helper()
		c, err := s.h.core.CreateRequest(ctx, owner.ID, core.RequestInput{Label: label, Note: "please", Accepts: core.AcceptsAny, TTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	bctx := browsertest.New(t)
	signInAndLeave(t, bctx, s.URL)
	b := watchedTab(t, bctx, s)
	for _, lang := range []string{"en", "de", "fr", "es", "ar"} {
		l := i18n.For(lang)
		b.chooseLanguage("/requests", lang)
		soon := mk("VPN key", "3s")
		unnamed := mk("", "1h")
		b.open("/requests", "#"+components.RequestRowID(soon.Request.ID))
		b.wait(`window.__opens === 1`, 5*time.Second)
		b.do(chromedp.Evaluate[chromedp.Void](announcerWatch))
		var want []string
		hears := func(sentence string) {
			t.Helper()
			want = append(want, sentence)
			b.wait(`window.__said.includes(`+strconv.Quote(sentence)+`)`, 6*time.Second)
		}

		hears(announced(l, "js.announce.request.expired", "VPN key"))
		// The server's clock, which the test holds, sees it expired too,
		// and draws it so on the next page.
		s.clock.Advance(3 * time.Second)
		arrives := mk("staging db", "1h")
		s.h.core.Publish(ctx, arrives.Event())
		hears(announced(l, "js.announce.request.new", "staging db"))
		if res := s.client().post(requestURLPattern.FindString(arrives.URL), url.Values{"message": {"hunter2"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: sending: %d", lang, res.StatusCode)
		}
		hears(announced(l, "js.announce.request.fulfilled", "staging db"))
		if _, err := s.h.core.RevokeRequest(ctx, owner.ID, unnamed.Request.ID); err != nil {
			t.Fatal(err)
		}
		hears(announced(l, "js.announce.request.revoked", l.T("requests.name", "ID", strconv.FormatInt(unnamed.Request.ID, 10))))

		time.Sleep(300 * time.Millisecond) // time for a sentence that must not come
		if got := eval[[]string](b, `window.__said`); !slices.Equal(got, want) {
			t.Errorf("%s: the live region said %q, want %q", lang, got, want)
		}
	}
	b.clean("requests' announcements")
}

// TestOwnRequestNotAnnouncedInBrowser: the forms of the requests page
// load a page of their own; while the answer is on its way, the stream
// brings what the form did (the request made, the request withdrawn) to
// the page being left, which shows it but says nothing of it. The page
// tells the test what it does through a binding, as the test cannot ask a
// page whose navigation is under way.
func TestOwnRequestNotAnnouncedInBrowser(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	bctx := browsertest.New(t)
	signInAndLeave(t, bctx, s.URL)
	b := watchedTab(t, bctx, s)
	held, release := holdPosts(b, network.ResourceTypeDocument)
	told := make(chan string, 16)
	if err := chromedp.Listen(b.ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventBindingCalled); ok {
			told <- e.Payload
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(b.ctx, runtime.AddBinding, runtime.AddBindingParams{Name: "__tell"}); err != nil {
		t.Fatal(err)
	}
	// leave has the requests page send a form with press, holds the
	// answer until the stream has shown the row that shown finds and the
	// page's next tick (which announces) has passed, and lets it go.
	leave := func(what, shown string, press ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		b.open("/requests", "[data-testid=request-form]")
		b.wait(`window.__opens === 1`, 5*time.Second)
		b.do(chromedp.Evaluate[chromedp.Void](`
new MutationObserver(() => __tell("said " + document.getElementById("announcer").textContent))
	.observe(document.getElementById("announcer"), {childList: true, characterData: true, subtree: true});
new MutationObserver((_, o) => {
	if (!document.querySelector(` + strconv.Quote(shown) + `)) return;
	o.disconnect();
	__tell("row");
}).observe(document.body, {childList: true, subtree: true, attributes: true});`))
		b.do(press...)
		answer := heldPost(t, held)
		wait := time.After(5 * time.Second)
		for row, done := false, false; !done; {
			select {
			case m := <-told:
				if m != "row" {
					t.Errorf("%s: the page being left %s", what, m)
				} else if !row {
					row, wait = true, time.After(1500*time.Millisecond)
				}
			case <-wait:
				if !row {
					t.Fatalf("%s: the stream never brought it to the page being left", what)
				}
				done = true
			}
		}
		release(answer)
	}

	leave("a request made", "#request-rows > tr[data-name=payroll]",
		chromedp.SendKeys(chromedp.ID("request-label"), "payroll"),
		chromedp.Click(chromedp.CSS("[data-testid=create-request]")))
	b.do(chromedp.WaitVisible(chromedp.CSS("[data-testid=request-url]")))
	leave("a request withdrawn", "#request-rows > tr[data-name=payroll][data-status=revoked]",
		chromedp.Click(chromedp.CSS("#request-rows > tr[data-name=payroll] [data-testid=revoke-request]")))
	b.wait(`location.pathname === "/requests" && !!document.querySelector("#request-rows > tr[data-name=payroll][data-status=revoked]")`, 5*time.Second)
	b.clean("requests page")
}
