package handlers

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/internal/browsertest"
)

// copyWatch runs before any script of each page. It keeps what each copy
// put on the clipboard, as the page's last listener sees it: the text a
// listener before it set, or else what is selected, which the browser
// then copies. It also keeps every field added to the page, which a copy
// must not show even for a moment.
const copyWatch = `window.__copies = [];
window.__added = [];
window.addEventListener("copy", function (e) {
  var text = getSelection().toString(), a = document.activeElement;
  if (a && /^(INPUT|TEXTAREA)$/.test(a.tagName)) text = a.value.slice(a.selectionStart, a.selectionEnd);
  if (e.defaultPrevented) text = e.clipboardData.getData("text/plain");
  window.__copies.push(text);
});
new MutationObserver(function (ms) {
  ms.forEach(function (m) {
    m.addedNodes.forEach(function (n) { if (/^(INPUT|TEXTAREA)$/.test(n.tagName)) window.__added.push(n.tagName); });
  });
}).observe(document, { childList: true, subtree: true });`

// copier presses a Copy button, named by its data-copy target, and checks
// that want is what it copied.
type copier func(b *tab, target, want string)

// pressCopy presses the Copy button of target as a person does, and checks
// what everyone sees whatever the clipboard: the button says "Copied", and
// keeps the focus, and the page neither scrolled nor showed a field for
// the copy, nor is anything left selected. The button says "Copy" again
// soon after: the page notes when, and settleCopies checks it, so that
// the presses of a page's buttons need not wait out one another's
// "Copied". It returns the texts the page's copy events copied.
func pressCopy(b *tab, target string) []string {
	b.t.Helper()
	if slices.Contains(b.copying, target) {
		settleCopies(b) // its label now is "Copied"
	}
	sel := `[data-copy=` + target + `]`
	button := `document.querySelector("` + sel + `")`
	b.do(chromedp.ScrollIntoView(chromedp.CSS(sel)))
	label := eval[string](b, button+`.textContent`)
	scrolled := eval[float64](b, `scrollY`)
	eval[bool](b, `(window.__copies = [], window.__added = [], true)`)
	b.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	b.wait(button+`.textContent !== `+strconv.Quote(label), 2*time.Second)
	if got := eval[string](b, button+`.textContent`); got != "Copied" {
		b.t.Errorf("Copy of %s: the button says %q", target, got)
	}
	if !eval[bool](b, `document.activeElement === `+button) {
		b.t.Errorf("Copy of %s: the focus went to %s", target, eval[string](b, `document.activeElement.outerHTML.slice(0, 120)`))
	}
	if got := eval[float64](b, `scrollY`); got != scrolled {
		b.t.Errorf("Copy of %s: the page scrolled from %v to %v", target, scrolled, got)
	}
	if added := eval[[]string](b, `window.__added`); len(added) > 0 {
		b.t.Errorf("Copy of %s: the page showed %q for it", target, added)
	}
	if got := eval[string](b, `getSelection().toString()`); got != "" {
		b.t.Errorf("Copy of %s: %q is left selected", target, got)
	}
	copied := eval[[]string](b, `window.__copies`)
	eval[bool](b, `((button, r) => {
  const seen = () => { if (r.back === null && button.textContent === r.label) r.back = performance.now(); };
  new MutationObserver(seen).observe(button, { childList: true, characterData: true, subtree: true });
  seen();
  (window.__reverts = window.__reverts || []).push(r);
  return true;
})(`+button+`, { target: `+strconv.Quote(target)+`, label: `+strconv.Quote(label)+`, since: performance.now(), back: null })`)
	b.copying = append(b.copying, target)
	return copied
}

// settleCopies checks that every Copy button pressed on b's page since the
// last settling says its own word again within three seconds of saying
// "Copied", and waits until each has or the three seconds are over. It
// runs before the page is left, which takes the notes with it.
func settleCopies(b *tab) {
	b.t.Helper()
	if len(b.copying) == 0 {
		return
	}
	b.wait(`window.__reverts.every(r => r.back !== null || performance.now() - r.since > 3000)`, 4*time.Second)
	type revert struct {
		Target, Label string
		Since         float64
		Back          *float64
	}
	reverts := eval[[]revert](b, `window.__reverts.splice(0)`)
	if len(reverts) != len(b.copying) {
		b.t.Fatalf("the page noted %d presses of Copy, not %d (%q): it was left before they were checked", len(reverts), len(b.copying), b.copying)
	}
	for _, r := range reverts {
		if r.Back == nil || *r.Back-r.Since > 3000 {
			b.t.Fatalf("Copy of %s: the button does not say %q again within 3s", r.Target, r.Label)
		}
	}
	b.copying = nil
}

// copyEverything presses every Copy button oncelink has, with copies: on
// the dashboard, the password made and a new link's address and
// instructions; the message a recipient opens, in a stranger's browser;
// a request's address; on Settings, a new API key, a webhook's secret,
// the authenticator app's key and the recovery codes. base is the
// server's address, as the browser reaches it; the browser is ada's,
// signed in.
func copyEverything(t *testing.T, s *testServer, b *tab, base string, copies copier) {
	t.Helper()
	open := func(b *tab, path, sel string) {
		t.Helper()
		settleCopies(b)
		b.do(chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(sel)))
	}

	open(b, "/links", "[data-testid=create-form]")
	b.do(chromedp.Click(chromedp.CSS("[data-generate=password]")))
	password := eval[string](b, `document.getElementById("password").value`)
	copies(b, "password", password)
	b.do(
		chromedp.SendKeys(chromedp.ID("message"), "the door code is 4711"),
		chromedp.SendKeys(chromedp.ID("label"), "door"),
		chromedp.Click(chromedp.CSS("[data-testid=create]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=link-url]")),
	)
	link := eval[string](b, `document.getElementById("created-url").value`)
	if !strings.HasPrefix(link, base+"/l/") {
		t.Fatalf("the new link is %q, want one on %s", link, base)
	}
	copies(b, "created-url", link)
	copies(b, "created-instructions", eval[string](b, `document.getElementById("created-instructions").value`))

	// The recipient, in a browser of their own, with the link's password.
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	r := newTab(t, ctx, s)
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: copyWatch}); err != nil {
		t.Fatal(err)
	}
	r.do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("[data-testid=open]")))
	r.do(chromedp.SendKeys(chromedp.ID("link-password"), password))
	r.do(chromedp.Click(chromedp.CSS("[data-testid=open]")), chromedp.WaitVisible(chromedp.ID("secret")))
	copies(r, "secret", "the door code is 4711")
	r.clean("the recipient's page")

	open(b, "/requests", "[data-testid=request-form]")
	b.do(
		chromedp.SendKeys(chromedp.ID("note"), "the staging password, please"),
		chromedp.Click(chromedp.CSS("[data-testid=create-request]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=request-url]")),
	)
	copies(b, "request-url", eval[string](b, `document.getElementById("request-url").value`))

	open(b, "/settings", "[data-testid=create-key]")
	// Each form on Settings loads a new page: the Copy before it is
	// settled first.
	copies(b, "new-key", b.createKeyIn("laptop", "90d"))
	settleCopies(b)
	b.do(
		chromedp.SetValue(chromedp.ID("webhook-url"), "http://127.0.0.1:9/hooks/oncelink"),
		chromedp.Click(chromedp.CSS(`input[name=events][value="link.opened"]`)),
		chromedp.Click(chromedp.CSS("[data-testid=add-webhook]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=new-webhook]")),
	)
	copies(b, "new-webhook-secret", eval[string](b, `document.querySelector("[data-testid=webhook-secret]").value`))
	settleCopies(b)
	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=totp-start]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=totp-enrolment]")),
	)
	// The key as an app takes it: without the spaces that group it on
	// the page, which not every app drops.
	secret := eval[string](b, `document.querySelector("[data-testid=totp-secret]").dataset.secret`)
	copies(b, "totp-key", secret)
	settleCopies(b)
	b.confirmTOTP(s, secret)
	copies(b, "recovery-codes", strings.Join(codes(b), "\n")+"\n")
	settleCopies(r)
	settleCopies(b)
	b.clean("ada's pages")
}

// codes are the recovery codes the page shows.
func codes(b *tab) []string {
	b.t.Helper()
	return eval[[]string](b, `[...document.querySelectorAll("[data-testid=code]")].map(e => e.textContent)`)
}

// TestCopyOverPlainHTTP: on a server reached over plain http by a name of
// the local network, where a page has no clipboard API, every Copy button
// still copies its text, and says so.
func TestCopyOverPlainHTTP(t *testing.T) {
	// Its server and browser are its own, and most of its time is spent
	// waiting, on the page's timers or a slow upload: it runs beside
	// other tests.
	t.Parallel()
	var base string
	s := newTestServer(t, func(c *core.Config) {
		_, port, _ := strings.Cut(strings.TrimPrefix(c.BaseURL, "http://"), ":")
		base = "http://oncelink.test:" + port
		c.BaseURL, c.WebhookAllowPrivate = base, true
	})
	ctx := browsertest.New(t, chromedp.Flag("host-resolver-rules", "MAP oncelink.test 127.0.0.1"))
	b := newTab(t, ctx, s)
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: copyWatch}); err != nil {
		t.Fatal(err)
	}
	b.do(
		chromedp.Navigate(base+"/setup"),
		chromedp.SendKeys(chromedp.ID("username"), "ada"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=create-form]")),
	)
	if !eval[bool](b, `window.isSecureContext === false && !navigator.clipboard`) {
		t.Fatal("the page over plain http is a secure context, with a clipboard API: the test tests nothing")
	}
	copyEverything(t, s, b, base, func(b *tab, target, want string) {
		t.Helper()
		if got := pressCopy(b, target); len(got) != 1 || got[0] != want {
			t.Errorf("Copy of %s copied %q, want %q", target, got, want)
		}
	})

	// An engine that runs the copy command only over a selection copies
	// the same, and shows the same: here the command refuses once, as
	// such an engine does without one.
	eval[bool](b, `(run => {
  let once = true;
  document.execCommand = function (command) {
    if (once) { once = false; return false; }
    return run.call(document, command);
  };
  return true;
})(document.execCommand)`)
	if got := pressCopy(b, "recovery-codes"); len(got) != 1 || got[0] != strings.Join(codes(b), "\n")+"\n" {
		t.Errorf("Copy of the recovery codes over a selection copied %q", got)
	}
	eval[bool](b, `(delete document.execCommand, true)`)
	settleCopies(b)

	// A second press before the button says "Copy" again leaves it to say
	// so after all, and not "Copied" for good.
	sel := chromedp.CSS(`[data-copy=recovery-codes]`)
	b.do(chromedp.Click(sel), chromedp.Sleep(300*time.Millisecond), chromedp.Click(sel), chromedp.Sleep(2500*time.Millisecond))
	if got := eval[string](b, `document.querySelector("[data-copy=recovery-codes]").textContent`); got != "Copy" {
		t.Errorf("pressed twice, the button says %q for good", got)
	}
}

// TestCopyToTheClipboard: in a secure context, every Copy button puts its
// text on the clipboard, through the clipboard API, which each browser
// lets the page read and write (CDP's Browser.setPermission, where
// Browser.grantPermissions is no more).
func TestCopyToTheClipboard(t *testing.T) {
	// Its server and browser are its own, and most of its time is spent
	// waiting, on the page's timers or a slow upload: it runs beside
	// other tests.
	t.Parallel()
	s := newTestServer(t, func(c *core.Config) { c.WebhookAllowPrivate = true })
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	if !eval[bool](b, `window.isSecureContext === true && !!navigator.clipboard`) {
		t.Fatal("the page on 127.0.0.1 has no clipboard API")
	}
	copies := func(b *tab, target, want string) {
		t.Helper()
		// The recipient's browser is another: each is granted the
		// clipboard.
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			if _, err := chromedp.CallBrowser(b.ctx, browser.SetPermission, browser.SetPermissionParams{
				Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted,
				Origin: s.URL, BrowserContextID: chromedp.FromContext(b.ctx).BrowserContextID,
			}); err != nil {
				t.Fatal(err)
			}
		}
		pressCopy(b, target)
		if got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)); err != nil || got != want {
			t.Errorf("after Copy of %s, the clipboard holds %q (%v), want %q", target, got, err, want)
		}
	}
	copyEverything(t, s, b, s.URL, copies)

	// An end-to-end message, which only a secure context decrypts, has
	// the Copy button e2e.js makes.
	link := e2eCreate(t, ctx, s, s.URL, chromedp.SendKeys(chromedp.ID("message"), "sealed in the browser"))
	rctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	r := newTab(t, rctx, s)
	if _, err := chromedp.Call(rctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: copyWatch}); err != nil {
		t.Fatal(err)
	}
	e2eOpenPage(t, rctx, link)
	openDecrypts(t, rctx, "sealed in the browser")
	copies(r, "e2e-message", "sealed in the browser")
	settleCopies(r)
	r.clean("the end-to-end message")
}
