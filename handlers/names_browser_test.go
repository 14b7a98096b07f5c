package handlers

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/internal/browsertest"
)

// TestLongNamesFitThePage: an account's name may be one word of 64
// characters. Wherever it is shown (the header, the accounts list, a
// link's page for that account, signed out and signed in as another), it
// breaks rather than widen the page, on a phone as on a desk (Shoot fails
// a page that scrolls sideways).
func TestLongNamesFitThePage(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	long := strings.Repeat("W", core.MaxUsernameLen)
	for _, name := range []string{long, "bob"} {
		if _, err := s.h.core.AddAccount(context.Background(), name, testPassword, false); err != nil {
			t.Fatal(err)
		}
	}
	link := ada.createLink(url.Values{"for_user": {long}})

	first := browsertest.New(t)
	// as is a browser of its own, signed in as name unless it is empty.
	as := func(name string) context.Context {
		t.Helper()
		ctx, cancel := chromedp.NewContext(first, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		if name != "" {
			if err := chromedp.Do(ctx,
				chromedp.Navigate(s.URL+"/login"),
				chromedp.SendKeys(chromedp.ID("username"), name),
				chromedp.SendKeys(chromedp.ID("password"), testPassword),
				chromedp.Submit(chromedp.ID("password")),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid=create-form]`)),
			); err != nil {
				t.Fatal(err)
			}
		}
		return ctx
	}
	shoot := func(ctx context.Context, path, sel, name string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(path), chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
			t.Fatal(err)
		}
		browsertest.Shoot(t, ctx, name)
	}
	shoot(as("ada"), s.URL+"/accounts", "[data-testid=account-row]", "long-name-accounts")
	shoot(as(long), s.URL+"/links", "[data-testid=create-form]", "long-name-links")
	shoot(as("bob"), link, "[data-testid=switch-account]", "long-name-link-signed-in")
	shoot(as(""), link, "[data-testid=wrong-user]", "long-name-link")
}
