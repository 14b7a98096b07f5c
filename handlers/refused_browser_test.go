package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/internal/browsertest"
)

// firefox is a browser's user agent, which the timeline names.
const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"

// TestBrowserDetailsShowRefusedOpensLive: a wrong password, and an attempt
// after the link ended, come into the timeline of the link's open details
// page within a second, with the browser that tried, without a reload, and
// leave a browser the owner unfolded as it was; in English and in Arabic,
// written right to left.
func TestBrowserDetailsShowRefusedOpensLive(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	owner := s.admin()
	ctx := browsertest.New(t)
	details := newTab(t, ctx, s)
	signIn(t, ctx, s.URL)
	link := owner.createLink(url.Values{"label": {"Door code"}, "password": {"open sesame"}, "max_uses": {"1"}})
	id := itoa(linkOf(t, s, link).ID)
	recipient := s.client()
	try := func(password string) response {
		t.Helper()
		return recipient.request(http.MethodPost, link, strings.NewReader(url.Values{"password": {password}}.Encode()),
			http.Header{"Content-Type": {formType}, "User-Agent": {firefox}})
	}
	entries := func(kind string) string {
		return `document.querySelectorAll("[data-testid=audit-event][data-kind=` + kind + `]").length`
	}

	// said checks every sentence the page's live region was given, in
	// order: each news is said once.
	said := func(want ...string) {
		t.Helper()
		if got := eval[[]string](details, `window.__said`); !slices.Equal(got, want) {
			t.Errorf("the live region said %q, want %q", got, want)
		}
	}

	details.open("/links/"+id, "[data-testid=link-details] [data-testid=timeline]")
	details.do(chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true; ` + announcerWatch))
	try("not it")
	details.wait(entries("wrong-password")+` === 1 &&
		document.querySelector("[data-kind=wrong-password] [data-testid=browser] summary").textContent.includes("Firefox")`, time.Second)
	// Screen readers hear of it, politely, once: a page view swapped in
	// after it says nothing more.
	const wrongPassword = "\u2068Door code\u2069: a wrong password was tried."
	details.wait(`document.getElementById("announcer").textContent === "`+wrongPassword+`"`, time.Second)
	if got := eval[string](details, `document.getElementById("announcer").getAttribute("role")`); got != "status" {
		t.Errorf("the live region's role is %q, want status", got)
	}
	s.client().get(link)
	details.wait(`document.querySelector("[data-testid=views]").textContent === "1"`, time.Second)
	time.Sleep(1500 * time.Millisecond)
	said(wrongPassword)
	// The owner unfolds the browser's name to its user agent; the next
	// wrong password, swapped in live, leaves it unfolded.
	details.do(chromedp.Click(chromedp.CSS("[data-kind=wrong-password] [data-testid=browser] summary")))
	details.wait(`document.querySelector("[data-kind=wrong-password] [data-testid=browser]").open`, time.Second)
	try("nope")
	details.wait(entries("wrong-password")+` === 2`, time.Second)
	if got := eval[[]bool](details, `[...document.querySelectorAll("[data-kind=wrong-password] [data-testid=browser]")].map(d => d.open)`); len(got) != 2 || !got[0] || got[1] {
		t.Errorf("the browsers unfolded after a live swap: %v, want the first alone", got)
	}
	browsertest.Shoot(t, details.ctx, "details-live-wrong-password")

	// In Arabic, another.
	details.acceptLanguage("ar")
	details.open("/links/"+id, "html[dir=rtl] [data-testid=link-details]")
	details.do(chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true; ` + announcerWatch))
	try("still not it")
	details.wait(entries("wrong-password")+` === 3`, time.Second)
	details.wait(`document.getElementById("announcer").textContent === "جُرِّبت كلمة مرور خاطئة على \u2068Door code\u2069."`, time.Second)
	browsertest.Shoot(t, details.ctx, "details-live-wrong-password-ar")

	// Used up, then tried too late.
	if res := try("open sesame"); res.StatusCode != http.StatusOK {
		t.Fatalf("the open: %d", res.StatusCode)
	}
	details.wait(`document.querySelector("[data-testid=link-details]").dataset.status === "used"`, time.Second)
	if res := try("open sesame"); res.StatusCode != http.StatusGone {
		t.Fatalf("the late attempt: %d", res.StatusCode)
	}
	details.wait(entries("gone")+` === 1`, time.Second)
	details.wait(`document.getElementById("announcer").textContent === "رُفضت محاولة لفتح \u2068Door code\u2069 بعد انتهائه."`, time.Second)
	time.Sleep(1500 * time.Millisecond)
	said("جُرِّبت كلمة مرور خاطئة على \u2068Door code\u2069.", "أصبح \u2068Door code\u2069 مُستخدَمًا.",
		"رُفضت محاولة لفتح \u2068Door code\u2069 بعد انتهائه.")
	if !eval[bool](details, `window.__sameDocument === true`) {
		t.Error("the page reloaded")
	}
	browsertest.Shoot(t, details.ctx, "details-live-late-ar")
	details.clean("the details with refused opens")
}

// TestBrowserOwnPageSaysAWrongPasswordUntilTheLinkEnds: the owner's page of
// a link, after the owner tried a wrong password there, says so beside
// the field, as a recipient's page does; once the link ends elsewhere the
// form goes, and what it said with it, without a reload.
func TestBrowserOwnPageSaysAWrongPasswordUntilTheLinkEnds(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	ctx := browsertest.New(t)
	own := newTab(t, ctx, s)
	signIn(t, ctx, s.URL)
	link := owner.createLink(url.Values{"password": {"open sesame"}, "max_uses": {"2"}})
	id := itoa(linkOf(t, s, link).ID)
	own.open(link[len(s.URL):], "[data-testid=open-yourself]")
	own.do(
		chromedp.Click(chromedp.CSS("[data-testid=open-yourself] summary")),
		chromedp.SendKeys(chromedp.ID("link-password"), "not it"),
		chromedp.Click(chromedp.CSS("[data-testid=open]")),
	)
	refusal := `document.querySelector("[data-testid=open-yourself] [data-testid=form-error]")`
	own.wait(`!!`+refusal+` && `+refusal+`.offsetParent !== null && document.querySelector("[data-testid=open-yourself]").open &&
		document.getElementById("link-password").getAttribute("aria-invalid") === "true"`, 5*time.Second)
	// The page of a refused open answers 403, as a recipient's does.
	own.forgive("status of 403")
	own.do(chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))
	browsertest.Shoot(t, own.ctx, "own-link-wrong-password")

	if res := owner.post("/links/"+id+"/revoke", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	own.wait(`document.querySelector("[data-testid=own-state]").dataset.status === "revoked" &&
		`+refusal+`.offsetParent === null`, time.Second)
	if !eval[bool](own, `window.__sameDocument === true`) {
		t.Error("the page reloaded")
	}
	browsertest.Shoot(t, own.ctx, "own-link-wrong-password-revoked")
	own.clean("the owner's page after a wrong password")
}
