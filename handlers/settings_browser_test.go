package handlers

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/internal/browsertest"
)

// createKeyIn fills the settings page's form and returns the new key's
// secret as the page shows it.
func (b *tab) createKeyIn(name, expires string) string {
	b.t.Helper()
	b.do(
		chromedp.SendKeys(chromedp.ID("key-name"), name),
		chromedp.SetValue(chromedp.ID("key-expires"), expires),
		chromedp.Click(chromedp.CSS("[data-testid=create-key]")),
		// The page before had no such row: this waits for the answer.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=key-row][data-name=`+strconv.Quote(name)+`]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=new-key]")),
	)
	return eval[string](b, `document.querySelector("[data-testid=key-secret]").value`)
}

func TestSettingsInBrowser(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()

	// The header leads to the settings, where there are no keys yet.
	b.do(
		chromedp.Click(chromedp.CSS(`nav a[href="/settings"]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=no-keys]")),
	)
	browsertest.Shoot(b.t, b.ctx, "settings-empty")
	b.clean("settings without keys")

	// A mistake shows beside its field and makes nothing.
	b.do(
		chromedp.SendKeys(chromedp.ID("key-name"), "   "),
		chromedp.Click(chromedp.CSS("[data-testid=create-key]")),
		chromedp.WaitVisible(chromedp.ID("error-name")),
	)
	if got := eval[string](b, `document.getElementById("key-name").getAttribute("aria-invalid")`); got != "true" {
		t.Errorf("the name field's aria-invalid is %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll("[data-testid=key-row]").length`); n != 0 {
		t.Errorf("a blank name made %d keys", n)
	}
	browsertest.Shoot(b.t, b.ctx, "settings-mistake")
	b.forgive("status of 400")
	b.clean("blank name")
	b.do(chromedp.Clear(chromedp.ID("key-name")))

	// A key, shown once, that works.
	secret := b.createKeyIn("Laptop", "30d")
	if !strings.HasPrefix(secret, "ol_") || !s.authenticates(secret) {
		t.Fatalf("the page shows %q, which does not authenticate", secret)
	}
	// The key, shown once far down the page, takes the focus, in view.
	b.wait(`document.activeElement.dataset.testid === "new-key" && document.activeElement.getBoundingClientRect().top < innerHeight`, time.Second)
	if got := eval[string](b, `document.querySelector("[data-testid=key-row][data-name=Laptop] [data-testid=key-prefix]").textContent`); got != secret[:9]+"…" {
		t.Errorf("the list shows the key as %q", got)
	}

	// Copy puts the key on the clipboard.
	b.copies("new-key", secret)
	b.wait(`document.querySelector("[data-copy=new-key]").textContent === "Copy"`, 3*time.Second)

	// More keys, with the longest name there may be, so that the list is
	// as wide as it gets.
	b.createKeyIn("CI on the build server", "never")
	b.createKeyIn(strings.Repeat("nightly-backup.example.internal/", 4)[:core.MaxKeyNameLen], "1y")
	b.createKeyIn("Phone", "90d")
	browsertest.Shoot(b.t, b.ctx, "settings-new-key")
	b.clean("new key")

	// A reload shows the list, not the secret.
	b.open("/settings", "[data-testid=key-form]")
	if eval[bool](b, `!!document.querySelector("[data-testid=new-key]")`) || strings.Contains(eval[string](b, `document.body.innerHTML`), secret) {
		t.Error("the secret shows again")
	}

	// Revoke: the row goes, and the key no longer works.
	b.do(
		chromedp.Click(chromedp.CSS(`[data-testid=key-row][data-name=Laptop] [data-testid=revoke-key]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid=key-row][data-name=Laptop]`)),
	)
	if n := eval[int](b, `document.querySelectorAll("[data-testid=key-row]").length`); n != 3 {
		t.Errorf("after revoke the list has %d keys, want 3", n)
	}
	if s.authenticates(secret) {
		t.Error("a revoked key authenticates")
	}
	browsertest.Shoot(b.t, b.ctx, "settings")
	b.clean("revoked")
}
