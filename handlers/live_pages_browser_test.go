package handlers

import (
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/internal/browsertest"
)

// TestBrowserLinkPagesFollowTheLink: the owner's pages about one link, its
// details and its address, follow it live, as the dashboard does. A view
// and an open from another browser show on both within a second, in the
// counts and in the audit trail, without a reload; the address's page says
// when the next open is the last; once the link is used up, or revoked,
// the details no longer say when it expires and the address's page no
// longer offers to open it.
func TestBrowserLinkPagesFollowTheLink(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	ctx := browsertest.New(t)
	details := newTab(t, ctx, s)
	signIn(t, ctx, s.URL)
	ownCtx, cancelOwn := chromedp.NewContext(ctx)
	defer cancelOwn()
	own := newTab(t, ownCtx, s)
	// The recipient's browser keeps its own cookies: it is not signed in.
	recipientCtx, cancelRecipient := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelRecipient()
	recipient := newTab(t, recipientCtx, s)

	link := owner.createLink(url.Values{"label": {"Door code"}, "max_uses": {"2"}})
	id := itoa(linkOf(t, s, link).ID)
	details.open("/links/"+id, "[data-testid=link-details] [data-testid=revoke]")
	own.open(link[len(s.URL):], "[data-testid=own-link] [data-testid=open-yourself]")
	for _, b := range []*tab{details, own} {
		b.do(chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))
	}
	if eval[bool](own, `document.getElementById("own-takes-one").textContent.includes("only this one left")`) {
		t.Fatal("a link with two opens left says its next is its last")
	}
	browsertest.Shoot(t, details.ctx, "details-live-before")

	// The recipient looks: a page view, on both pages.
	recipient.open(link[len(s.URL):], "[data-testid=open]")
	details.wait(`document.querySelector("[data-testid=views]").textContent === "1" &&
		!!document.querySelector("[data-testid=audit-event][data-kind=view]")`, time.Second)
	own.wait(`document.querySelector("[data-testid=views]").textContent === "1"`, time.Second)

	// The recipient opens it: a use, on both pages; the owner's own open
	// would now be the last.
	recipient.do(chromedp.Click(chromedp.CSS("[data-testid=open]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=message]")))
	details.wait(`document.querySelector("[data-testid=opened]").textContent === "1 of 2" &&
		!!document.querySelector("[data-testid=audit-event][data-kind=use]") &&
		document.querySelector("[data-testid=link-details]").dataset.status === "active"`, time.Second)
	own.wait(`document.querySelector("[data-testid=opened]").textContent === "1 of 2" &&
		document.getElementById("own-takes-one").textContent.includes("only this one left") &&
		document.querySelector("[data-testid=open-yourself]").offsetParent !== null`, time.Second)
	// Screen readers hear of it, as of a row's change.
	for _, b := range []*tab{details, own} {
		b.wait(`document.getElementById("announcer").textContent === "\u2068Door code\u2069: Opened 1 of 2."`, time.Second)
	}
	browsertest.Shoot(t, details.ctx, "details-live-after-open")
	browsertest.Shoot(t, own.ctx, "own-link-live-last-one")

	// The last open uses it up: no expiry to come, and nothing to open.
	if res := s.client().post(link, nil); res.StatusCode != 200 {
		t.Fatalf("the last open: %d", res.StatusCode)
	}
	details.wait(`document.querySelector("[data-testid=link-details]").dataset.status === "used" &&
		document.querySelector("[data-testid=status]").textContent === "used" &&
		!document.querySelector("[data-testid=expires-at]") &&
		document.querySelectorAll("[data-testid=audit-event][data-kind=use]").length === 2`, time.Second)
	own.wait(`document.querySelector("[data-testid=own-state]").dataset.status === "used" &&
		document.querySelector("[data-testid=status]").textContent === "used" &&
		document.querySelector("[data-testid=open-yourself]").offsetParent === null`, time.Second)
	browsertest.Shoot(t, details.ctx, "details-live-used")
	browsertest.Shoot(t, own.ctx, "own-link-live-used")

	// Revoked elsewhere, within its opener's grant: said on both pages.
	if res := owner.post("/links/"+id+"/revoke", url.Values{}); res.StatusCode != 303 {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	details.wait(`document.querySelector("[data-testid=link-details]").dataset.status === "revoked" &&
		!!document.querySelector("[data-testid=audit-event][data-kind=revoke]") && !document.querySelector("[data-testid=revoke]")`, time.Second)
	own.wait(`document.querySelector("[data-testid=own-state]").dataset.status === "revoked"`, time.Second)
	for _, b := range []*tab{details, own} {
		if !eval[bool](b, `window.__sameDocument === true`) {
			t.Error("the page reloaded")
		}
		b.clean("the owner's page of a link followed live")
	}

	// In Arabic, written right to left, as before and after an open.
	details.acceptLanguage("ar")
	arabic := owner.createLink(url.Values{"label": {"رمز الباب"}, "max_uses": {"3"}})
	details.open("/links/"+itoa(linkOf(t, s, arabic).ID), "html[dir=rtl] [data-testid=link-details]")
	browsertest.Shoot(t, details.ctx, "details-live-ar-before")
	recipient.open(arabic[len(s.URL):], "[data-testid=open]")
	recipient.do(chromedp.Click(chromedp.CSS("[data-testid=open]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=message]")))
	details.wait(`!!document.querySelector("[data-testid=audit-event][data-kind=use]")`, time.Second)
	browsertest.Shoot(t, details.ctx, "details-live-ar-after-open")
	details.clean("the details in Arabic")
	recipient.clean("the recipient's pages")
}
