package handlers

import (
	"net/url"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/internal/browsertest"
)

// TestRecipientPagesOnAPhone walks the pages a recipient meets, and the
// sign-in page, on a phone in every language, light and dark: nothing runs
// off the side (see browsertest.Shoot), and no word is cut off in its box.
func TestRecipientPagesOnAPhone(t *testing.T) {
	// A page's views count against its client's limit: the walk takes many.
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	owner := s.admin()
	s.user("bob")
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.do(chromedp.EmulateViewport(390, 900))
	scripts := func(on bool) {
		t.Helper()
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range i18n.Languages {
		b.acceptLanguage(l.Code)
		message := owner.createLink(url.Values{"message": {"The door code is 4711."}, "label": {"Door code"}})
		password := owner.createLink(url.Values{"message": {"The door code is 4711."}, "password": {"a long passphrase"}, "max_uses": {"3"}})
		forBob := owner.createLink(url.Values{"message": {"for bob"}, "for_user": {"bob"}})
		gone := owner.createLink(url.Values{"message": {"gone"}})
		s.client().openInBrowser(gone)
		file := owner.shareFile("quarterly-report-final-version-2.pdf", []byte("%PDF-1.4 a report"))
		e2ePath, _ := s.shareE2EWithPassword("", "end to end")
		shoot := func(name string) {
			t.Helper()
			cut := eval[string](b, `[...document.querySelectorAll("main *, footer *")].filter(el => {
				const r = el.getBoundingClientRect();
				return r.width > 0 && (r.left < -1 || r.right > document.documentElement.clientWidth + 1 ||
					(getComputedStyle(el).overflow === "visible" && el.children.length === 0 && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0));
			}).slice(0, 3).map(el => el.tagName + "." + el.className + ": " + el.textContent.trim().slice(0, 40)).join("; ")`)
			if cut != "" {
				t.Errorf("%s in %s on a phone: %s run off", name, l.Code, cut)
			}
			browsertest.Shoot(t, ctx, "phone-"+name+"-"+l.Code, 390)
		}
		for _, p := range []struct{ name, link, sel string }{
			{"link", message, "[data-testid=open]"},
			{"password", password, "[data-testid=open]"},
			{"for-user", forBob, "[data-testid=sign-in]"},
			{"gone", gone, "[data-testid=error]"},
			{"not-found", s.URL + "/l/no-such-link-at-all", "[data-testid=error]"},
			{"file", file, "[data-testid=open]"},
			{"sign-in", s.URL + "/login", "form"},
		} {
			b.do(chromedp.Navigate(p.link), chromedp.WaitVisible(chromedp.CSS(p.sel)))
			shoot(p.name)
		}
		b.do(chromedp.Navigate(password), chromedp.WaitVisible(chromedp.ID("link-password")),
			chromedp.SendKeys(chromedp.ID("link-password"), "not the passphrase"),
			chromedp.Click(chromedp.CSS("[data-testid=open]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=form-error]")))
		shoot("password-wrong")
		b.do(chromedp.Navigate(message), chromedp.WaitVisible(chromedp.CSS("[data-testid=open]")),
			chromedp.Click(chromedp.CSS("[data-testid=open]")), chromedp.WaitVisible(chromedp.ID("secret")))
		shoot("message")
		b.do(chromedp.Navigate(file), chromedp.WaitVisible(chromedp.CSS("[data-testid=open]")),
			chromedp.Click(chromedp.CSS("[data-testid=open]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=download]")))
		shoot("file-opened")
		scripts(false)
		b.do(chromedp.Navigate(s.URL+e2ePath), chromedp.WaitVisible(chromedp.CSS("main h1")))
		shoot("e2e-no-script")
		scripts(true)
		b.forgive("status of 404")
		b.forgive("status of 410")
		b.forgive("status of 403")
		b.clean("a recipient's pages in " + l.Code)
	}
}
