package handlers

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/internal/browsertest"
)

// TestBrowserPasswordLockout: a wrong password brings the link's page back
// (the POST redirected to a GET) with the tries left, and a reload neither
// posts it again nor repeats the mistake. Once the tries are spent the
// page counts the wait down with the form disabled, then enables the form
// and gives it the focus; the right password then opens the link, and a
// reload of what it shows is a GET too.
func TestBrowserPasswordLockout(t *testing.T) {
	// Its server and browser are its own, and most of its time is spent
	// waiting, on the page's timers or a slow upload: it runs beside
	// other tests.
	t.Parallel()
	s := newTestServer(t, func(c *core.Config) { c.Rates.LinkPassword = core.Rate{N: 2, Per: 6 * time.Second} })
	link := s.admin().createLink(url.Values{"password": {"open sesame"}, "message": {"behind a password"}})
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("[data-testid=open-form]")))
	browsertest.Shoot(t, ctx, "recipient-landing")
	b.clean("the link's page")

	wrong := func(answer string) {
		b.t.Helper()
		b.do(
			chromedp.SendKeys(chromedp.ID("link-password"), "guess"),
			chromedp.Submit(chromedp.ID("link-password")),
			chromedp.WaitVisible(chromedp.CSS(answer)),
		)
	}
	wrong("[data-testid=form-error]")
	b.wait(`/\b1\b/.test(document.querySelector("[data-testid=attempts-left]").textContent)`, time.Second)
	browsertest.Shoot(t, ctx, "recipient-wrong-password")
	b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("[data-testid=open-form]")))
	if eval[bool](b, `!!document.querySelector("[data-testid=form-error]")`) {
		t.Fatal("a reload after a wrong password says it again")
	}
	if l := linkOf(t, s, link); l.Uses != 0 {
		t.Fatalf("%d uses after a wrong password and a reload", l.Uses)
	}

	// The last try: the lockout notice says to wait, and no password
	// error beside it says to try again.
	wrong("[data-testid=lockout]")
	if eval[bool](b, `!!document.querySelector("[data-testid=form-error]")`) {
		t.Error("a password error beside the lockout")
	}
	const fieldset = `document.querySelector("[data-testid=open-form] fieldset")`
	const wait = `document.querySelector("[data-testid=retry-in]").textContent`
	b.wait(`!!document.querySelector("[data-testid=lockout]") && `+fieldset+`.disabled`, time.Second)
	first := eval[string](b, wait)
	browsertest.Shoot(t, ctx, "recipient-lockout")
	b.wait(wait+` !== `+strconv.Quote(first), 3*time.Second)
	b.wait(`!`+fieldset+`.disabled && document.activeElement.id === "link-password"`, 8*time.Second)
	if cls := eval[string](b, `document.querySelector("[data-testid=lockout]").className`); cls != "notice" {
		t.Fatalf("the notice after the wait has class %q, want notice", cls)
	}
	browsertest.Shoot(t, ctx, "recipient-lockout-over", 390)
	b.forgive("status of 403") // the pages after wrong passwords say so
	b.clean("the lockout's countdown")

	s.clock.Advance(3 * time.Second) // the server's limits see the wait end too
	b.do(
		chromedp.SendKeys(chromedp.ID("link-password"), "open sesame"),
		chromedp.Submit(chromedp.ID("link-password")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=message]")),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=message]")),
	)
	if l := linkOf(t, s, link); l.Uses != 1 {
		t.Fatalf("%d uses after the open and a reload, want 1", l.Uses)
	}
	b.clean("the opened link")
}

// TestLockoutEndsWithTheLink: a link that expires while its page counts
// down a wait for the rate limits stops counting: its page says the link
// expired, and neither the wait nor, at its end, that the password may be
// tried again, with the form disabled for good.
func TestLockoutEndsWithTheLink(t *testing.T) {
	// Most of its time is spent waiting on the page's timers: it runs
	// beside other tests.
	t.Parallel()
	s := newTestServer(t, func(c *core.Config) {
		c.MinTTL = time.Second
		c.Rates.LinkPassword = core.Rate{N: 1, Per: 6 * time.Second}
	})
	link := s.admin().createLink(url.Values{"password": {"open sesame"}, "message": {"behind a password"}, "ttl": {"4s"}})
	b := newTab(t, browsertest.New(t), s)
	b.do(
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("link-password")),
		chromedp.SendKeys(chromedp.ID("link-password"), "guess"),
		chromedp.Submit(chromedp.ID("link-password")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=lockout]")),
	)
	const (
		fieldset = `document.querySelector("[data-testid=open-form] fieldset")`
		lockout  = `document.querySelector("[data-testid=lockout]")`
		closed   = `(` + lockout + `.hidden && !document.querySelector(".expires-line time.countdown") && ` +
			`[...` + fieldset + `.elements].every(el => el.disabled))`
	)
	b.wait(closed, 6*time.Second)
	// Past the wait's end, which the page no longer counts to.
	time.Sleep(4 * time.Second)
	if !eval[bool](b, closed) || eval[bool](b, `document.activeElement.id === "link-password"`) {
		t.Errorf("after the wait's end, the expired link's page says %q, its form enabled or focused", eval[string](b, lockout+`.textContent`))
	}
	b.forgive("status of 403") // the wrong password's page says so
	b.clean("the expired link's lockout")
}

// TestBrowserOwnLink shows the owner their own links' pages: live, with the
// form to open it behind its disclosure, and used.
func TestBrowserOwnLink(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	link := owner.createLink(url.Values{"label": {"Wi-Fi for the guest room"}, "password": {"open sesame"}})
	used := owner.createLink(url.Values{"label": {"Door code"}})
	s.client().post(used, nil)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	signIn(t, ctx, s.URL)
	b.do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("[data-testid=own-link]")))
	browsertest.Shoot(t, ctx, "recipient-own-link")
	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=open-yourself] summary")),
		chromedp.WaitVisible(chromedp.ID("link-password")),
	)
	browsertest.Shoot(t, ctx, "recipient-own-link-open")
	b.do(chromedp.Navigate(used), chromedp.WaitVisible(chromedp.CSS("[data-testid=own-state][data-status=used]")))
	browsertest.Shoot(t, ctx, "recipient-own-link-used")
	b.forgive("status of 410") // the used link is dead, as to anyone
	b.clean("the owner's pages")
	if l := linkOf(t, s, link); l.Views != 0 {
		t.Fatalf("the owner's looks were counted: %d views", l.Views)
	}
}

// TestBrowserLinkExpiresOnItsPage: a recipient's page left open past the
// link's expiry says it expired, and offers to open it no more.
func TestBrowserLinkExpiresOnItsPage(t *testing.T) {
	// Its server and browser are its own, and most of its time is spent
	// waiting, on the page's timers or a slow upload: it runs beside
	// other tests.
	t.Parallel()
	s := newTestServer(t, func(c *core.Config) { c.MinTTL = time.Second })
	owner := s.admin()
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.do(chromedp.Navigate(s.URL + "/login")) // the browser is up
	link := owner.createLink(url.Values{"ttl": {"4s"}, "password": {"open sesame"}})
	b.do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("[data-testid=open]")))
	if on, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.querySelector("[data-testid=open]").disabled`)); !on {
		t.Fatal("the Open button is disabled before the link expired")
	}
	poll(t, ctx, `document.querySelector("[data-testid=open]").disabled && document.getElementById("link-password").disabled &&
		document.querySelector("[data-opens]").hidden && document.querySelector(".expires-line").textContent.includes("Expired")`, 20*time.Second)
	browsertest.Shoot(t, ctx, "recipient-expired-in-place")
	b.clean("the recipient's page")
}

// TestBrowserLinkExpiresOnItsOwnersPages: the owner's pages about one
// link, its details and its own address, left open past the link's expiry
// say it expired, in its badge as in words, and offer to revoke it or to
// open it no more; the details no longer say when it expires, and their
// audit trail ends in its expiry.
func TestBrowserLinkExpiresOnItsOwnersPages(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(c *core.Config) { c.MinTTL = time.Second })
	// Expiry needs time to pass for real here: the server's as well as
	// the page's.
	s.h.core.Now, s.store.Now = time.Now, time.Now
	owner := s.admin()
	ctx := browsertest.New(t)
	details := newTab(t, ctx, s)
	signIn(t, ctx, s.URL)
	tabCtx, cancel := chromedp.NewContext(ctx)
	defer cancel()
	own := newTab(t, tabCtx, s)
	link := owner.createLink(url.Values{"ttl": {"4s"}})
	details.open("/links/"+itoa(linkOf(t, s, link).ID), "[data-testid=link-details] [data-testid=revoke]")
	own.do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("[data-testid=own-link]")),
		chromedp.Click(chromedp.CSS("[data-testid=open-yourself] summary")), chromedp.WaitVisible(chromedp.CSS("[data-testid=open]")))
	for _, b := range []*tab{details, own} {
		if eval[string](b, `document.querySelector("[data-testid=status]").textContent`) != "active" {
			t.Fatal("the link is not active on its owner's page before it expired")
		}
	}
	const ended = `document.querySelector("[data-testid=status]").textContent === "expired" && document.querySelector(".life").textContent.includes("Expired")`
	details.wait(ended+` && !document.querySelector("[data-testid=revoke]") && !document.querySelector("[data-testid=expires-at]") &&
		document.querySelector("[data-testid=audit-event]:last-child").dataset.kind === "expired"`, 20*time.Second)
	own.wait(ended+` && document.querySelector("[data-testid=open-yourself]").offsetParent === null`, 5*time.Second)
	browsertest.Shoot(t, ctx, "details-expired-in-place")
	details.clean("the link's details")
	own.clean("the owner's page of the link")
}

// TestBrowserRefusalOnLoadTakesFocus: a link's page that refuses as it
// loads (the link is gone, is for another account, lacks its end-to-end
// key, or waits out too many wrong passwords) gives the refusal the focus,
// for a screen reader to say it first; a page that offers to open the link
// leaves the focus where it was, or in its password.
func TestBrowserRefusalOnLoadTakesFocus(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.Rates.LinkPassword = core.Rate{N: 1, Per: time.Minute} })
	owner := s.admin()
	plain := owner.createLink(url.Values{"message": {"plain"}})
	protected := owner.createLink(url.Values{"message": {"behind a password"}, "password": {"open sesame"}})
	used := owner.createLink(url.Values{"message": {"used"}})
	s.client().post(used, nil)
	s.user("bob")
	forBob := owner.createLink(url.Values{"for_user": {"bob"}, "message": {"for bob only"}})
	paused := owner.createLink(url.Values{"message": {"paused"}, "password": {"open sesame"}})
	s.client().post(paused, url.Values{"password": {"guess"}})
	v := readVectors(t)[0]
	ct, _ := base64.RawURLEncoding.DecodeString(v.Ciphertext)
	noKey := s.shareE2E("message", "", v.Check, ct)

	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	const focused = `document.activeElement.dataset.testid || document.activeElement.id || document.activeElement.tagName`
	for _, c := range []struct {
		name, link, shown, focus string
	}{
		{"a link without a password", plain, "open-form", "BODY"},
		{"a link with a password", protected, "open-form", "link-password"},
		{"a used link", used, "error", "error-message"},
		{"a link for another account", forBob, "wrong-user", "wrong-user"},
		{"a link paused after a wrong password", paused, "lockout", "lockout"},
		{"an end-to-end link without its key", noKey, "e2e-error", "e2e-error"},
	} {
		b.do(chromedp.Navigate(c.link), chromedp.WaitVisible(chromedp.CSS("[data-testid="+c.shown+"]")))
		if got := eval[string](b, focused); got != c.focus {
			t.Errorf("%s: the focus is on %q, want %q", c.name, got, c.focus)
		}
		if c.shown == "error" {
			browsertest.Shoot(t, ctx, "recipient-refused-focus", 390, 1280)
		}
	}
	b.forgive("status of 410")
	b.forgive("status of 429")
	b.clean("the refusing pages")
}
