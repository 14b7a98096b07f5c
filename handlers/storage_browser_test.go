package handlers

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/internal/browsertest"
	"oncelink/store"
)

// TestStorageFullInBrowser: a message past the account's bound, sent from
// the dashboard's form, brings the form back with the refusal beside the
// message, which keeps what was typed; the settings page says what the
// account's links keep against the bound. With ONCELINK_SCREENSHOTS set it
// keeps both, in English and in Arabic.
func TestStorageFullInBrowser(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.AccountStorage = 1 << 20 })
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	ada, err := s.store.AccountByName(t.Context(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	// Nearly a mebibyte kept already: a file's worth.
	_, err = s.store.CreateLink(t.Context(), store.NewLink{OwnerID: ada.ID, TokenHash: make([]byte, 32), Kind: store.KindFile,
		MaxUses: 1, ExpiresAt: s.clock.Now().Add(time.Hour), Size: 1000000}, [][]byte{[]byte("sealed")})
	if err != nil {
		t.Fatal(err)
	}
	message := strings.Repeat("a long message ", 4000) // 60,000 bytes
	refused := func(code string) {
		t.Helper()
		b.open("/", "#message")
		b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("message").value = "`+message+`"`),
			chromedp.Click(chromedp.CSS("[data-testid=create]")),
			chromedp.WaitVisible(chromedp.ID("error-message")))
		b.forgive("status of 413")
		l := i18n.For(code)
		want := l.T("error.account_storage_full.owner", "Used", l.Size(1000000), "Limit", core.Size(1<<20).In(l))
		if got := eval[string](b, `document.getElementById("error-message").textContent`); got != want {
			t.Errorf("%s: beside the message %q, want %q", code, got, want)
		}
		if got := eval[string](b, `document.getElementById("message").getAttribute("aria-describedby")`); got != "error-message message-help" {
			t.Errorf("%s: the message is described by %q", code, got)
		}
		if n := eval[int](b, `document.getElementById("message").value.length`); n != len(message) {
			t.Errorf("%s: the message holds %d characters again, want %d", code, n, len(message))
		}
		b.do(chromedp.ScrollIntoView(chromedp.ID("error-message")))
		browsertest.Shoot(t, ctx, "storage-full-create-"+code)
		b.clean("the refused create form in " + code)
	}
	usage := func(code string) {
		t.Helper()
		b.open("/settings", "[data-testid=storage]")
		l := i18n.For(code)
		want := l.T("settings.storage.used", "Used", l.Size(1000000), "Limit", core.Size(1<<20).In(l))
		if got := eval[string](b, `document.querySelector("[data-testid=storage-used]").textContent`); got != want {
			t.Errorf("%s: settings say %q, want %q", code, got, want)
		}
		b.do(chromedp.ScrollIntoView(chromedp.ID("storage-heading")))
		browsertest.Shoot(t, ctx, "settings-storage-"+code)
		b.clean("the storage section in " + code)
	}
	refused("en")
	usage("en")
	b.chooseLanguage("/", "ar")
	refused("ar")
	usage("ar")
}
