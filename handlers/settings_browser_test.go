package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/i18n"
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

	// Revoke asks first, naming the key: declined, the row stays and the
	// key works; accepted, the row goes, and the key no longer works.
	asked := b.declining(chromedp.Click(chromedp.CSS(`[data-testid=key-row][data-name=Laptop] [data-testid=revoke-key]`)))
	if len(asked) != 1 || !strings.HasPrefix(asked[0], "Revoke the key \u2068Laptop\u2069?") {
		t.Errorf("revoke asked %q", asked)
	}
	if !eval[bool](b, `!!document.querySelector("[data-testid=key-row][data-name=Laptop]")`) || !s.authenticates(secret) {
		t.Error("a declined revoke revoked the key")
	}
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

// offThePage lists what in the page lies beyond its sides: the page
// scrolls sideways to its right, or hides it to its left in a language
// written right to left.
const offThePage = `[...document.querySelectorAll("body *")].filter(el => {
	const r = el.getBoundingClientRect();
	return r.width > 0 && (r.left < -1 || r.right > document.documentElement.clientWidth + 1);
}).slice(0, 3).map(el => el.tagName + "." + el.className + ": " + el.textContent.trim().slice(0, 60)).join("; ")`

// unaligned lists the values of the settings' lists (a time, an address,
// a key) that do not start at the same edge as the others of their row,
// the left one, or the right one in a language written right to left: a
// key, which reads left to right in every language, once stood at the far
// side of an Arabic row.
const unaligned = `(() => {
	const rtl = getComputedStyle(document.body).direction === "rtl";
	const out = [];
	document.querySelectorAll("table.sessions tr, table.keys tr").forEach(tr => {
		const edges = [...tr.querySelectorAll("td:has(> .cell-label) > :not(.cell-label, .badge)")].filter(el => el.getClientRects().length).map(el => {
			const text = document.createRange();
			text.selectNodeContents(el);
			const r = text.getBoundingClientRect();
			return [el.textContent, rtl ? r.right : r.left];
		});
		edges.forEach(([what, edge]) => {
			if (Math.abs(edge - edges[0][1]) > 1) out.push(what + " starts " + Math.round(Math.abs(edge - edges[0][1])) + "px from " + edges[0][0]);
		});
	});
	return out.slice(0, 3).join("; ");
})()`

// crowded lists the values of the settings' lists (a time, an address, a
// key) that leave their cell, or come within 6 pixels of another value
// on the same line.
const crowded = `(() => {
	const out = [];
	document.querySelectorAll("table.sessions tr, table.keys tr").forEach(tr => {
		const values = [...tr.querySelectorAll("td > :not(.cell-label, form, .badge, div)")].filter(el => el.getClientRects().length);
		values.forEach((el, i) => {
			const r = el.getBoundingClientRect(), c = el.closest("td").getBoundingClientRect();
			if (r.left < c.left - 1 || r.right > c.right + 1) out.push(el.textContent + " leaves its cell");
			values.slice(i + 1).forEach(other => {
				const o = other.getBoundingClientRect();
				if (r.top < o.bottom && o.top < r.bottom && r.left < o.right + 6 && o.left < r.right + 6) out.push(el.textContent + " runs into " + other.textContent);
			});
		});
	});
	return out.slice(0, 3).join("; ");
})()`

// TestSettingsLayoutHolds: on a phone, in German and in Arabic, the
// settings with a webhook switched off (after it answered 410), two
// sessions and a used key fit the page, and the lists' times stand clear
// of each other.
func TestSettingsLayoutHolds(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.WebhookAllowPrivate = true })
	worker := s.hookWorker()
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	// Ada is signed in on a phone too.
	s.onPhone("ada")

	// An endpoint that is gone: the first delivery switches it off.
	gone := newHookReceiver(t, http.StatusGone)
	b.open("/settings", "[data-testid=webhook-form]")
	b.do(
		chromedp.SetValue(chromedp.ID("webhook-url"), gone.URL+"/hooks/oncelink"),
		chromedp.Click(chromedp.CSS(`input[name=events][value="link.opened"]`)),
		chromedp.Click(chromedp.CSS("[data-testid=add-webhook]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=new-webhook]")),
	)
	secret := b.createKeyIn("Laptop", "30d")
	if !s.authenticates(secret) {
		t.Fatal("the new key does not authenticate")
	}
	b.open("/links", "#message")
	link, _ := b.create("the garage code", "1h", "Garage code")
	if res := s.client().post("/l/"+link[strings.LastIndex(link, "/")+1:], url.Values{}); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	if _, err := worker.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}

	for _, lang := range []string{"de", "ar"} {
		b.chooseLanguage("/settings", lang)
		b.open("/settings", "[data-testid=webhook-disabled]")
		if n := eval[int](b, `document.querySelectorAll("[data-testid=session-row]").length`); n != 2 {
			t.Fatalf("sessions listed: %d", n)
		}
		for _, width := range []int64{390, 320} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
				t.Fatal(err)
			}
			if eval[bool](b, `document.documentElement.scrollWidth > document.documentElement.clientWidth`) {
				t.Errorf("settings in %s at %dpx scroll sideways", lang, width)
			}
			if out := eval[string](b, offThePage); out != "" {
				t.Errorf("settings in %s at %dpx: %s run off the page", lang, width, out)
			}
			if out := eval[string](b, crowded); out != "" {
				t.Errorf("settings in %s at %dpx: %s", lang, width, out)
			}
			if out := eval[string](b, unaligned); out != "" {
				t.Errorf("settings in %s at %dpx: %s", lang, width, out)
			}
			// A flag or a command within a sentence is never broken
			// across lines, as "--smtp-" and "url" once were.
			if out := eval[[]string](b, `[...document.querySelectorAll("p code")].filter(el => el.getClientRects().length > 1).map(el => el.textContent)`); len(out) > 0 {
				t.Errorf("settings in %s at %dpx break %q across lines", lang, width, out)
			}
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatal(err)
		}
		browsertest.Shoot(t, ctx, "settings-layout-"+lang)
		b.clean("settings in " + lang)
	}
}

// TestSettingsAnswersInView: what the settings page answers far down the
// page, the recovery codes it shows this once and the word that a session
// was signed out, takes the focus and is in view, on a phone as on a
// laptop: the page comes back at its start, where the password form is.
func TestSettingsAnswersInView(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	inView := func(sel string) {
		t.Helper()
		b.wait(`document.activeElement.matches("`+sel+`") && (r => r.top >= 0 && r.bottom <= innerHeight)(document.activeElement.getBoundingClientRect())`, time.Second)
	}

	// A session signed out, from a laptop's window.
	s.onPhone("ada")
	b.open("/settings", "[data-testid=end-session]")
	b.do(chromedp.Click(chromedp.CSS("[data-testid=end-session]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=sessions-ended]")))
	inView("[data-testid=sessions-ended]")
	b.clean("session ended")

	// The recovery codes that come with an authenticator app, on a phone.
	b.do(chromedp.EmulateViewport(390, 900))
	b.open("/settings", "[data-testid=totp-start]")
	b.confirmTOTP(s, b.startTOTP())
	inView("[data-testid=new-codes]")
	b.clean("recovery codes")

	// The app turned off, below the password's section.
	b.open("/settings", "[data-testid=disable-totp]")
	eval[bool](b, `(f => !f || (f.value = `+strconv.Quote(testPassword)+`, true))(document.getElementById("disable-totp-proof"))`)
	b.do(chromedp.Click(chromedp.CSS("[data-testid=disable-totp]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=totp-off-notice]")))
	inView("[data-testid=totp-off-notice]")
	b.clean("app turned off")

	// A new password.
	b.do(
		chromedp.SendKeys(chromedp.ID("current-password"), testPassword),
		chromedp.SendKeys(chromedp.ID("new-password"), "another good password"),
		chromedp.Click(chromedp.CSS("[data-testid=change-password]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=password-changed]")),
	)
	inView("[data-testid=password-changed]")
	b.clean("password changed")

	// A key revoked: the page comes back at the keys, saying which one
	// went where the focus goes, its list in view, as it comes back at the
	// webhooks when one is deleted; in Arabic too, the key's name set
	// apart.
	for _, lang := range []string{"en", "ar"} {
		b.acceptLanguage(lang)
		b.open("/settings", "[data-testid=key-form]")
		b.createKeyIn("laptop!", "")
		b.do(
			chromedp.Click(chromedp.CSS(`[data-testid=key-row][data-name="laptop!"] [data-testid=revoke-key]`)),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=key-revoked]")),
		)
		inView("[data-testid=key-revoked]")
		b.wait(`(r => r.top >= 0 && r.bottom <= innerHeight)(document.querySelector("[data-testid=no-keys]").getBoundingClientRect()) &&
			(r => r.top > -1)(document.getElementById("keys-heading").getBoundingClientRect())`, time.Second)
		if got, want := eval[string](b, `document.querySelector("[data-testid=key-revoked]").textContent`), i18n.For(lang).T("settings.keys.revoked", "Name", i18n.Isolate("laptop!")); got != want {
			t.Errorf("the key revoked, in %s: %q, want %q", lang, got, want)
		}
		browsertest.Shoot(t, b.ctx, "settings-key-revoked-"+lang, 390, 1280)
		b.clean("key revoked, in " + lang)
	}
}

// TestDeletedAccountSaidInBrowser deletes an account from its settings
// page, in English and in Arabic: the sign-in page it ends on says so,
// in view, in the page's language.
func TestDeletedAccountSaidInBrowser(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	for _, lang := range []string{"en", "ar"} {
		name := "bob-" + lang
		if _, err := s.h.core.AddAccount(t.Context(), name, testPassword, false); err != nil {
			t.Fatal(err)
		}
		b.acceptLanguage(lang)
		b.signInAs(name, "[data-testid=create-form]")
		b.open("/settings", "[data-testid=delete-form]")
		b.do(
			chromedp.SendKeys(chromedp.ID("delete-password"), testPassword),
			chromedp.Click(chromedp.CSS("[data-testid=delete]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=own-account-deleted]")),
		)
		if said := eval[string](b, `document.querySelector("[data-testid=own-account-deleted]").textContent`); !strings.Contains(said, name) {
			t.Errorf("%s: the sign-in page says %q, not naming %s", lang, said, name)
		}
		browsertest.Shoot(t, ctx, "signin-account-deleted-"+lang)
		b.clean("the sign-in page after deleting " + name)
	}
}

// TestSessionSignedOutAlreadyInBrowser: a session signed out from one tab
// and then from another, whose page still lists it, is said to be signed
// out already, where the focus is and in view, on a phone and in Arabic,
// with the list up to date: not a page that is not there.
func TestSessionSignedOutAlreadyInBrowser(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	b.acceptLanguage("ar")
	s.signIn("ada")
	tctx, cancel := chromedp.NewContext(ctx)
	defer cancel()
	other := newTab(t, tctx, s)
	b.open("/settings", "[data-testid=end-session]")
	other.open("/settings", "[data-testid=end-session]")
	other.do(chromedp.Click(chromedp.CSS("[data-testid=end-session]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=sessions-ended]")))
	b.do(chromedp.EmulateViewport(390, 900))
	b.do(chromedp.Click(chromedp.CSS("[data-testid=end-session]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=session-gone]")))
	b.forgive("status of 404")
	b.wait(`document.activeElement === document.querySelector("[data-testid=session-gone]")`, 2*time.Second)
	got := eval[string](b, `(n => { const r = n.getBoundingClientRect(); return [r.top >= 0 && r.bottom <= innerHeight ? "in view" : "out of view",
		n.textContent.includes("من قبل") ? "said" : "not said", document.querySelectorAll("[data-testid=end-session]").length].join(" ") })(document.querySelector("[data-testid=session-gone]"))`)
	if got != "in view said 0" {
		t.Errorf("a session signed out already: %q, want the notice in view and no other session listed", got)
	}
	browsertest.Shoot(t, b.ctx, "session-gone-ar")
	b.clean("a session signed out already")
}
