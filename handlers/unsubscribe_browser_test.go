package handlers

import (
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"oncelink/internal/browsertest"
)

// TestUnsubscribeInBrowser follows a notice mail's unsubscribe link in a
// browser that is signed in to nothing, in English and in Arabic: the
// page names the address in the reader's language, and its button stops
// the notices and says so.
func TestUnsubscribeInBrowser(t *testing.T) {
	u := newUnsubscribeServer(t, false)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, u.testServer)
	for i, lang := range []string{"en", "ar"} {
		address := map[string]string{"en": "ada@example.org", "ar": "ada@work.example"}[lang]
		if i > 0 {
			u.setAddress(address)
		}
		m, _ := u.notice()
		path := regexp.MustCompile(`/unsubscribe/[A-Za-z0-9_-]{32}`).FindString(m.Header.Get("List-Unsubscribe"))
		if path == "" {
			t.Fatalf("List-Unsubscribe: %q", m.Header.Get("List-Unsubscribe"))
		}
		b.chooseLanguage(path, lang)
		b.open(path, "[data-testid=unsubscribe-button]")
		if got := eval[string](b, `document.querySelector("[data-testid=unsubscribe] strong").textContent`); got != address {
			t.Errorf("%s: the page names %q, want %s", lang, got, address)
		}
		if u.noticeAddress() != address {
			t.Fatalf("%s: the page changed the address to %q", lang, u.noticeAddress())
		}
		browsertest.Shoot(t, ctx, "unsubscribe-"+lang)
		b.clean("the unsubscribe page in " + lang)
		b.do(
			chromedp.Click(chromedp.CSS("[data-testid=unsubscribe-button]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=unsubscribed]")),
		)
		if got := u.noticeAddress(); got != "" {
			t.Fatalf("%s: after the button, notices still go to %q", lang, got)
		}
		if !eval[bool](b, `document.documentElement.lang === "`+lang+`" && !!document.querySelector("[data-testid=unsubscribed] a[href='/settings#notices-heading']")`) {
			t.Errorf("%s: the page after unsubscribing is in another language, or does not lead to Settings", lang)
		}
		browsertest.Shoot(t, ctx, "unsubscribed-"+lang)
		b.clean("unsubscribed in " + lang)
	}
}
