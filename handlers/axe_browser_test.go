package handlers

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/internal/browsertest"
	"oncelink/notify"
)

// axeLook is one way a page is seen: in a language, a colour scheme, a
// width.
type axeLook struct {
	lang, scheme string
	width        int64
}

// axeLooks are the ways TestAccessibility sees each page: English, light,
// wide; and Arabic, written right to left, dark, on a phone. With
// ONCELINK_AXE_ALL=1 it sees each in both languages and schemes at both
// widths, which takes about four times as long.
var axeLooks = []axeLook{{"en", "light", 1280}, {"ar", "dark", 390}}

// axeAllLooks are the looks with ONCELINK_AXE_ALL=1.
func axeAllLooks() []axeLook {
	var all []axeLook
	for _, lang := range []string{"en", "ar"} {
		for _, scheme := range []string{"light", "dark"} {
			for _, width := range []int64{1280, 390} {
				all = append(all, axeLook{lang, scheme, width})
			}
		}
	}
	return all
}

// axeTags are the rules axe-core checks: WCAG 2.0 and 2.1, levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// axeFinding is one element that breaks one of axe-core's rules.
type axeFinding struct {
	Rule    string `json:"rule"`
	Impact  string `json:"impact"`
	Target  string `json:"target"`
	Help    string `json:"help"`
	Summary string `json:"summary"`
}

// axeRun checks the page the tab shows with axe-core, whose source is
// given, and returns what breaks its rules. A page that navigates on its
// own, as one that sends a form when it loads, is checked once the next
// has loaded.
func axeRun(b *tab, source string) []axeFinding {
	b.t.Helper()
	tags := `["` + strings.Join(axeTags, `","`) + `"]`
	for range 3 {
		// An evaluation from DevTools is outside the page's policy,
		// which forbids any script the page did not load itself.
		loaded, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
		if err == nil && !loaded {
			_, err = chromedp.Run(b.ctx, chromedp.Evaluate[bool](source+";true"))
		}
		var v []axeFinding
		if err == nil {
			v, err = chromedp.Run(b.ctx, chromedp.Evaluate[[]axeFinding](`axe.run(document, {runOnly: {type: "tag", values: `+tags+`}, resultTypes: ["violations"]}).then(r =>
				r.violations.flatMap(v => v.nodes.map(n => ({rule: v.id, impact: v.impact || "", target: n.target.flat().join(" "), help: v.help, summary: n.failureSummary || ""}))))`, chromedp.EvalAwaitPromise))
		}
		if err == nil {
			return v
		}
		// A page that went on between the two calls is a new document,
		// without the axe the first one was given.
		if !navigatedAway(err) && !strings.Contains(err.Error(), "axe is not defined") {
			b.t.Fatalf("axe on %s: %v", eval[string](b, `location.pathname`), err)
		}
		b.t.Logf("the page went on to %s while it was checked: checking that", eval[string](b, `location.pathname`))
		b.wait(`document.readyState === "complete"`, 5*time.Second)
	}
	b.t.Fatalf("axe: %s navigates again and again", eval[string](b, `location.pathname`))
	return nil
}

// axePage is one page to check: the tab it shows in and how it gets
// there, anew in each language.
type axePage struct {
	name string
	tab  *tab
	show func(b *tab)
}

// goTo navigates the tab to the full address u and waits for sel.
func (b *tab) goTo(u, sel string) {
	b.t.Helper()
	b.do(chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// press clicks sel and waits for want to show.
func (b *tab) press(sel, want string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel)), chromedp.WaitVisible(chromedp.CSS(want)))
}

// TestAccessibility checks every page an owner, an administrator, a
// recipient and a request's sender see with axe-core against WCAG 2.1 A
// and AA, in each of axeLooks, and fails with each element that breaks a
// rule. axe-core is testdata/axe/axe.min.js; nothing is fetched.
func TestAccessibility(t *testing.T) {
	source, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	looks := axeLooks
	if os.Getenv("ONCELINK_AXE_ALL") == "1" {
		looks = axeAllLooks()
	}
	start := time.Now()
	// A browser takes passkeys only for a name, never for an address. The
	// pages are asked for more often than the limits on guessing allow;
	// the settings show notices by email and webhooks.
	mailer, err := notify.NewMailer("smtp://"+newMailbox(t).addr, "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, func(c *core.Config) {
		c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1)
		c.RateLimits = false
		c.Mailer, c.WebhookAllowPrivate = mailer, true
	})
	s.URL = strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
	fresh := newTestServer(t) // not yet set up
	ctx := browsertest.New(t)
	owner := newTab(t, ctx, s)
	addVirtualAuthenticator(t, owner)
	owner.setUp()
	// Signed in before ada has a passkey, which asks for a second step.
	ada := s.signIn("ada")
	owner.open("/settings", "[data-testid=key-form]")
	owner.createKeyIn("Laptop", "30d")
	owner.addPasskey("Phone")
	rctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	visitor := newTab(t, rctx, s)

	// Links in each state, of each kind; requests; accounts in each state,
	// and bob's, who signs in with a second step.
	used := ada.createLink(url.Values{"label": {"Used"}})
	s.client().openInBrowser(used)
	ada.createLink(url.Values{"label": {"Revoked"}})
	ada.createLink(url.Values{"label": {"Expiring"}, "ttl": {"10m"}})
	ada.createLink(url.Values{"label": {"Door code"}, "password": {"open sesame"}})
	s.clock.Advance(11 * time.Minute)
	// Proven again, so that the settings ask for no proof.
	owner.signOut()
	owner.signInAs("ada", "[data-testid=verify-passkey]")
	owner.press("[data-testid=verify-passkey]", "#link-rows")
	ada.createLink(url.Values{"label": {"Web address"}, "kind": {"url"}, "url": {"https://example.com/"}})
	owner.open("/links", "[data-name=Revoked]")
	owner.do(chromedp.Click(chromedp.CSS("[data-testid=link-row][data-name=Revoked] [data-testid=revoke]")))
	owner.wait(`document.querySelector("[data-name=Revoked]").dataset.status === "revoked"`, 2*time.Second)
	ada.shareFile("notes.txt", []byte("the notes"))
	video := assetBytes(t, "media/sample-video.webm")
	ada.createRequest(url.Values{"label": {"VPN key"}})
	sendPath := ada.createRequest(url.Values{"label": {"Tax papers"}, "accepts": {"text"}})
	const removePasskey = "/settings/passkeys/1/delete"
	s.user("bob")
	s.user("carol")
	if res := ada.post("/accounts/"+ada.accountID("carol")+"/disable", nil); res.StatusCode >= 400 {
		t.Fatalf("disable carol: %d", res.StatusCode)
	}
	visitor.signInAs("bob", "[data-testid=empty]")
	visitor.open("/settings", "[data-testid=totp-start]")
	secret := visitor.startTOTP()
	visitor.confirmTOTP(s, secret)
	visitor.signOut()

	opened := func(kind string) func(b *tab) {
		return func(b *tab) {
			var link string
			switch kind {
			case "message":
				link = ada.createLink(nil)
			case "file":
				link = ada.shareFile("notes.txt", []byte("the notes"))
			case "media":
				link = ada.shareFile("Holiday clip.webm", video)
			}
			b.goTo(link, "[data-testid=open]")
			b.press("[data-testid=open]", "[data-testid=delivered]")
		}
	}
	pages := []axePage{
		{"setup", visitor, func(b *tab) { b.goTo(fresh.URL+"/setup", "#username") }},
		{"sign-in", visitor, func(b *tab) { b.open("/login", "#username") }},
		{"sign-in refused", visitor, func(b *tab) {
			b.open("/login", "#username")
			b.do(chromedp.SendKeys(chromedp.ID("username"), "ada"), chromedp.SendKeys(chromedp.ID("password"), "wrong password"),
				chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=form-error]")))
			b.forgive("status of 4")
		}},
		{"second step", visitor, func(b *tab) { b.signInAs("bob", "[data-testid=verify-form]") }},
		{"link", visitor, func(b *tab) { b.goTo(ada.createLink(nil), "[data-testid=open]") }},
		{"web address link", visitor, func(b *tab) {
			b.goTo(ada.createLink(url.Values{"kind": {"url"}, "url": {"https://example.com/"}}), "[data-testid=open]")
		}},
		{"file link", visitor, func(b *tab) { b.goTo(ada.shareFile("notes.txt", []byte("x")), "[data-testid=open]") }},
		{"opened message", visitor, opened("message")},
		{"opened file", visitor, opened("file")},
		{"opened video", visitor, opened("media")},
		{"link, wrong password", visitor, func(b *tab) {
			b.goTo(ada.createLink(url.Values{"password": {"open sesame"}}), "[data-testid=open]")
			b.do(chromedp.SendKeys(chromedp.ID("link-password"), "wrong"))
			b.press("[data-testid=open]", "[aria-invalid=true]")
			b.forgive("status of 4")
		}},
		{"end-to-end refused", visitor, func(b *tab) {
			// The key with its first character changed: well formed, wrong.
			link := e2eCreate(t, owner.within(), s, s.URL, chromedp.SendKeys(chromedp.ID("message"), "sealed"))
			i := strings.Index(link, "#") + 1
			wrong := byte('A')
			if link[i] == 'A' {
				wrong = 'B'
			}
			b.do(chromedp.Navigate(link[:i] + string(wrong) + link[i+1:]))
			if e2eRefusal(t, b.within()) == "" {
				b.do(chromedp.Click(chromedp.CSS("[data-testid=open]")))
				b.wait(`!document.querySelector("[data-testid=e2e-error]").hidden`, 5*time.Second)
			}
			b.forgive("status of 4")
		}},
		{"gone", visitor, func(b *tab) {
			link := ada.createLink(nil)
			s.client().openInBrowser(link)
			b.goTo(link, "main h1")
			b.forgive("status of 410")
		}},
		{"not found", visitor, func(b *tab) {
			b.open("/nowhere", "[data-testid=error]")
			b.forgive("status of 404")
		}},
		{"send to a request", visitor, func(b *tab) { b.open(sendPath, "[data-testid=send-form]") }},
		{"sent to a request", visitor, func(b *tab) {
			b.open(ada.createRequest(nil), "[data-testid=send-form]")
			b.do(chromedp.SendKeys(chromedp.ID("message"), "the password"))
			b.do(chromedp.Click(chromedp.CSS("[data-testid=send]")))
			b.wait(`location.pathname.endsWith("/sent") && document.readyState === "complete"`, 5*time.Second)
		}},
		{"player", visitor, func(b *tab) { b.open("/player", "main h1") }},
		{"end-to-end link", visitor, func(b *tab) {
			link := e2eCreate(t, owner.within(), s, s.URL, chromedp.SendKeys(chromedp.ID("message"), "sealed"))
			e2eOpenPage(t, b.within(), link)
		}},
		{"end-to-end message", visitor, func(b *tab) {
			link := e2eCreate(t, owner.within(), s, s.URL, chromedp.SendKeys(chromedp.ID("message"), "sealed"))
			e2eOpenPage(t, b.within(), link)
			openDecrypts(t, b.within(), "sealed")
		}},
		{"links", owner, func(b *tab) { b.open("/links", "#link-rows") }},
		{"link created", owner, func(b *tab) {
			b.open("/links", "#link-rows")
			b.create("a secret", "1h", "Fresh")
		}},
		{"create refused", owner, func(b *tab) {
			b.open("/links", "#link-rows")
			b.retype("ttl", "5s")
			b.do(chromedp.SendKeys(chromedp.ID("message"), "a secret"))
			b.press("[data-testid=create]", "[aria-invalid=true]")
			b.forgive("status of 4")
		}},
		{"create a web address, password generated", owner, func(b *tab) {
			b.open("/links", "#link-rows")
			b.do(chromedp.Click(chromedp.CSS(`input[name=kind][value=url]`)), chromedp.Click(chromedp.CSS(`[data-generate=password]`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-copy=password]`)))
		}},
		{"create a file", owner, func(b *tab) {
			b.open("/links", "#link-rows")
			b.do(chromedp.Click(chromedp.CSS(`input[name=kind][value=file]`)), chromedp.WaitVisible(chromedp.CSS(`[data-kind=file]`)))
		}},
		{"end-to-end created", owner, func(b *tab) {
			e2eCreate(t, b.within(), s, s.URL, chromedp.SendKeys(chromedp.ID("message"), "sealed"))
		}},
		{"link details", owner, func(b *tab) { b.open("/links/1", "main h1") }},
		{"requests", owner, func(b *tab) { b.open("/requests", "[data-testid=request-form]") }},
		{"request created", owner, func(b *tab) {
			b.open("/requests", "[data-testid=request-form]")
			b.do(chromedp.SendKeys(chromedp.ID("note"), "The staging password, please"))
			b.press("[data-testid=create-request]", "[data-testid=request-url]")
		}},
		{"own request", owner, func(b *tab) { b.open(sendPath, "main h1") }},
		{"settings, new key", owner, func(b *tab) {
			b.open("/settings", "[data-testid=key-form]")
			b.createKeyIn("Build server", "30d")
		}},
		{"settings, authenticator app", owner, func(b *tab) {
			b.open("/settings", "[data-testid=totp-start]")
			b.startTOTP()
		}},
		{"remove passkey", owner, func(b *tab) { b.open(removePasskey, "main h1") }},
		{"account added", owner, func(b *tab) {
			b.open("/accounts", "[data-testid=account-row]")
			b.do(chromedp.SendKeys(chromedp.ID("username"), "erin-"+eval[string](b, `document.documentElement.lang`)), chromedp.SendKeys(chromedp.ID("password"), testPassword))
			b.press("[data-testid=add]", "[data-testid=added]")
		}},
		{"password reset", owner, func(b *tab) {
			b.open("/accounts", "[data-testid=account-row]")
			b.press("[data-testid=account-row][data-name=carol] [data-testid=reset-password]", "[data-testid=reset]")
		}},
		{"webhook added", owner, func(b *tab) {
			b.open("/settings", "[data-testid=webhook-form]")
			b.do(chromedp.SetValue(chromedp.ID("webhook-url"), "http://127.0.0.1:9/hooks/"+eval[string](b, `document.documentElement.lang`)),
				chromedp.Click(chromedp.CSS(`input[name=events][value="link.expired_unopened"]`)))
			b.press("[data-testid=add-webhook]", "[data-testid=new-webhook]")
		}},
		{"notices, address refused", owner, func(b *tab) {
			b.open("/settings", "[data-testid=address-form]")
			b.do(chromedp.SetValue(chromedp.ID("notice-address"), strings.Repeat("a", 250)+"@example.org"))
			b.press("[data-testid=set-address]", "#error-address")
			b.forgive("status of 400")
		}},
		{"notices, address to confirm", owner, func(b *tab) {
			b.open("/settings", "[data-testid=address-form]")
			b.do(chromedp.SetValue(chromedp.ID("notice-address"), "ada@example.org"))
			b.press("[data-testid=set-address]", "[data-testid=pending-address]")
		}},
		{"error, signed in", owner, func(b *tab) {
			b.open("/links/abc", "[data-testid=error]")
			b.forgive("status of 404")
		}},
		{"links, a link no longer kept", owner, func(b *tab) {
			b.open("/links/999", "[data-testid=link-gone]")
			b.forgive("status of 404")
		}},
	}

	var found []string
	for _, lang := range []string{"en", "ar"} {
		var seen []axeLook
		for _, l := range looks {
			if l.lang == lang {
				seen = append(seen, l)
			}
		}
		if len(seen) == 0 {
			continue
		}
		// Each page in lang: the one its browser asks for.
		for _, b := range []*tab{owner, visitor} {
			b.acceptLanguage(lang)
		}
		for _, p := range pages {
			p.show(p.tab)
			// A page a form's answer brings may still be on its way when
			// the page it was sent from is complete: its language is read
			// once it has come.
			got := ""
			for try := 0; try < 3 && got == ""; try++ {
				p.tab.wait(`document.readyState === "complete" && !!document.documentElement`, 5*time.Second)
				v, err := chromedp.Run(p.tab.ctx, chromedp.Evaluate[string](`document.documentElement ? document.documentElement.lang || "(none)" : ""`))
				if err != nil && !navigatedAway(err) {
					t.Fatalf("%s: %v", p.name, err)
				}
				got = v
			}
			if got != lang {
				t.Errorf("%s is in %q, not %s", p.name, got, lang)
			}
			for _, l := range seen {
				look(t, p.tab.ctx, l)
				for _, f := range axeRun(p.tab, string(source)) {
					found = append(found, fmt.Sprintf("%s (%s, %s, %dpx): %s (%s) at %s: %s. %s", p.name, l.lang, l.scheme, l.width,
						f.Rule, f.Impact, f.Target, f.Help, strings.Join(strings.Fields(f.Summary), " ")))
				}
			}
			p.tab.clean(p.name + " in " + lang)
		}
	}
	for _, f := range found {
		t.Error(f)
	}
	t.Logf("%d pages in %d looks in %v", len(pages), len(looks), time.Since(start).Round(time.Millisecond))
}

// look shows the page in l's colour scheme and width.
func look(t *testing.T, ctx context.Context, l axeLook) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: l.scheme}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(l.width, 900)); err != nil {
		t.Fatal(err)
	}
}

// within is the tab's context for a step that chromedp.Do takes in one
// go, bounded as do bounds its steps.
func (b *tab) within() context.Context {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	b.t.Cleanup(cancel)
	return ctx
}

// signInAs signs the tab in as name with its password, and waits for the
// page that shows sel.
func (b *tab) signInAs(name, sel string) {
	b.t.Helper()
	b.open("/login", "#username")
	b.do(
		chromedp.SendKeys(chromedp.ID("username"), name),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(sel)),
	)
}
