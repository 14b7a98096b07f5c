package handlers

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/internal/browsertest"
)

// tab is one browser tab on the test server. It records every
// Content-Security-Policy violation and every console error the pages
// report.
type tab struct {
	t   *testing.T
	ctx context.Context
	srv *testServer

	mu       sync.Mutex
	problems []string
	// dialogs are the questions the pages asked (confirm), which are
	// answered with decline when it is set, else with yes.
	dialogs []string
	decline bool
	// copying are the Copy buttons pressed on the page whose label is
	// yet to be checked (settleCopies).
	copying []string
}

// cspWatch runs before any script of each page; violations of the policy
// pile up in window.__csp.
const cspWatch = `window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
	window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber);
});`

func newTab(t *testing.T, ctx context.Context, srv *testServer) *tab {
	t.Helper()
	b := &tab{t: t, ctx: ctx, srv: srv}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatch}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			b.mu.Lock()
			b.dialogs = append(b.dialogs, d.Message)
			accept := !b.decline
			b.mu.Unlock()
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
		}
	}); err != nil {
		t.Fatal(err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.problems = append(b.problems, fmt.Sprintf("console %s: %s (%s:%d)", m.Type, m, m.URL, m.Line+1))
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// do runs actions, and gives up after ten seconds.
func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// focus puts the keyboard on the element sel finds, which must be there.
func (b *tab) focus(sel string) {
	b.t.Helper()
	if !eval[bool](b, `(el => !!el && (el.focus(), document.activeElement === el))(document.querySelector(`+jsString(sel)+`))`) {
		b.t.Fatalf("%s: nothing there to focus", sel)
	}
}

// acceptLanguage has the tab's browser ask for lang (Accept-Language) in
// every request from now on.
func (b *tab) acceptLanguage(lang string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Accept-Language": lang},
	}); err != nil {
		b.t.Fatal(err)
	}
}

// declining runs actions with every question a page asks answered no,
// and returns the questions asked. It gives a declined form a moment to
// have been sent anyway, so that what follows sees whether it was.
func (b *tab) declining(actions ...chromedp.Action[chromedp.Void]) []string {
	b.t.Helper()
	b.mu.Lock()
	b.decline, b.dialogs = true, nil
	b.mu.Unlock()
	b.do(actions...)
	time.Sleep(300 * time.Millisecond)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.decline = false
	return b.dialogs
}

func eval[T any](b *tab, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// wait polls js until it is true, and returns how long that took. It does
// not use chromedp.Poll, which builds a function from a string: the page's
// policy forbids that, rightly. A page that navigates meanwhile, as a
// form's answer loads, may take an evaluation away with the page it ran
// in: that is asked again of the next page.
func (b *tab) wait(js string, within time.Duration) time.Duration {
	b.t.Helper()
	start := time.Now()
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
		switch {
		case err == nil && ok:
			return time.Since(start)
		case err != nil && !navigatedAway(err):
			b.t.Fatalf("%s: %v", js, err)
		}
		if time.Since(start) > within {
			b.t.Fatalf("not within %v: %s", within, js)
		}
		time.Sleep(15 * time.Millisecond)
	}
}

// navigatedAway reports whether err is an evaluation's loss to a
// navigation: the page, or its script context, it ran in went away.
func navigatedAway(err error) bool {
	for _, gone := range []string{"Inspected target navigated or closed", "Execution context was destroyed", "Cannot find context with specified id"} {
		if strings.Contains(err.Error(), gone) {
			return true
		}
	}
	return false
}

// clean fails the test if the page broke its policy or logged an error.
func (b *tab) clean(where string) {
	b.t.Helper()
	if v := eval[[]string](b, `window.__csp`); len(v) > 0 {
		b.t.Errorf("%s: Content-Security-Policy violations: %v", where, v)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("%s: %s", where, p)
	}
	b.problems = nil
}

// forgive drops the recorded problems that contain text: errors the test
// caused on purpose. The browser reports a console message apart from
// what the page shows, and it can come after the page showed the error
// it logs: forgive waits up to forgiveWait for one to be recorded, lest
// it come later and be blamed on what the test does next.
func (b *tab) forgive(text string) {
	for deadline := time.Now().Add(forgiveWait); ; time.Sleep(20 * time.Millisecond) {
		b.mu.Lock()
		kept := b.problems[:0]
		for _, p := range b.problems {
			if !strings.Contains(p, text) {
				kept = append(kept, p)
			}
		}
		found := len(kept) < len(b.problems)
		b.problems = kept
		b.mu.Unlock()
		if found || time.Now().After(deadline) {
			return
		}
	}
}

const forgiveWait = 3 * time.Second

// setUp creates the first account, ada, and waits for the dashboard's
// event stream.
func (b *tab) setUp() {
	b.t.Helper()
	b.open("/setup", "#username")
	b.clean("set-up page")
	b.do(
		chromedp.SendKeys(chromedp.ID("username"), "ada"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=empty]")),
	)
	b.wait(`document.querySelector("[data-testid=live]").textContent === "Live"`, 5*time.Second)
}

// open navigates to path and waits for sel.
func (b *tab) open(path, sel string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.srv.URL+path), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// create fills the dashboard's form and returns the new link's URL and
// row id.
func (b *tab) create(message, ttl, label string) (link, row string) {
	b.t.Helper()
	before := eval[int](b, `document.querySelectorAll("#link-rows > tr").length`)
	// The panel of an earlier create may still show: wait for a new URL.
	const shown = `(document.querySelector("[data-testid=link-url]") || {value: ""}).value`
	previous := eval[string](b, shown)
	b.retype("ttl", ttl)
	b.do(
		chromedp.SendKeys(chromedp.ID("message"), message),
		chromedp.SendKeys(chromedp.ID("label"), label),
		chromedp.Click(chromedp.CSS("[data-testid=create]")),
	)
	b.wait(shown+` !== `+strconv.Quote(previous), 5*time.Second)
	link = eval[string](b, shown)
	b.wait(fmt.Sprintf(`document.querySelectorAll("#link-rows > tr").length === %d`, before+1), time.Second)
	row = eval[string](b, `document.querySelector("#link-rows > tr").id`)
	if got := eval[string](b, `document.querySelector("#link-rows > tr").dataset.name`); got != label {
		b.t.Fatalf("new row is %q, want %q", got, label)
	}
	return link, row
}

// retype replaces what the field id holds with value, typed as a person
// types it. (chromedp.Clear empties the value attribute, which no longer
// holds what an input shows once something was typed into it.)
func (b *tab) retype(id, value string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById(`+strconv.Quote(id)+`).value = ""`), chromedp.SendKeys(chromedp.ID(id), value))
}

// copies presses the Copy button named by its data-copy target, and checks
// that the clipboard then holds want and the button says so.
func (b *tab) copies(target, want string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "clipboard-read"}, Setting: browser.PermissionSettingGranted, Origin: b.srv.URL,
	}); err != nil {
		b.t.Fatal(err)
	}
	button := `document.querySelector("[data-copy=` + target + `]")`
	b.do(chromedp.Click(chromedp.CSS(`[data-copy=` + target + `]`)))
	b.wait(button+`.textContent === "Copied"`, 2*time.Second)
	if got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)); err != nil || got != want {
		b.t.Errorf("after Copy of %s, the clipboard holds %q (%v), want %q", target, got, err, want)
	}
}

// countdown reads a row's countdown in seconds.
func (b *tab) countdown(row string) int {
	b.t.Helper()
	text := eval[string](b, `document.querySelector("#`+row+` time.countdown").textContent`)
	m := regexp.MustCompile(`^(?:(\d+)m )?(\d+)s$`).FindStringSubmatch(strings.TrimSpace(text))
	if m == nil {
		b.t.Fatalf("countdown %q", text)
	}
	mins, _ := strconv.Atoi(m[1])
	secs, _ := strconv.Atoi(m[2])
	return mins*60 + secs
}

func TestDashboardInBrowser(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.MinTTL = time.Second })
	// Countdowns and expiries need time to pass for real.
	s.h.core.Now, s.store.Now = time.Now, time.Now
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)

	// Set up, and land on the empty dashboard.
	b.setUp()
	browsertest.Shoot(b.t, b.ctx, "dashboard-empty")
	b.clean("empty dashboard")

	// A mistake shows in the form, with what was typed, and adds nothing.
	b.retype("ttl", "1y")
	b.do(
		chromedp.SendKeys(chromedp.ID("message"), "kept"),
		chromedp.Click(chromedp.CSS("[data-testid=create]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=form-error]")),
	)
	if got := eval[string](b, `document.getElementById("message").value`); got != "kept" {
		t.Errorf("the form lost the message: %q", got)
	}
	// The button that sent it is gone: the focus goes to the field the
	// mistake is about.
	b.wait(`document.activeElement.id === "ttl"`, time.Second)
	if n := eval[int](b, `document.querySelectorAll("#link-rows > tr").length`); n != 0 {
		t.Errorf("a bad create added %d rows", n)
	}
	b.forgive("status of 400")
	b.clean("bad create")
	// Its message was about the value sent: a lifetime chosen instead
	// takes it away.
	b.do(chromedp.Click(chromedp.CSS(`[data-ttl="1h"]`)))
	if said := eval[string](b, `(i => [i.value, i.getAttribute("aria-invalid"), i.getAttribute("aria-describedby"), !!document.getElementById("error-ttl")].join(" "))(document.getElementById("ttl"))`); strings.Contains(said, "true") || strings.Contains(said, "error-ttl") {
		t.Errorf("after choosing 1h, the lifetime field still says its mistake: %q", said)
	}
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("message").value = ""`))

	// Create: the URL, the QR code, focus on the result, and the row.
	link, row := b.create("the vault code is 4711", "10m", "Vault code")
	if !strings.HasPrefix(link, s.URL+"/l/") {
		t.Fatalf("link URL %q", link)
	}
	if !eval[bool](b, `(() => { const q = document.querySelector("[data-testid=qr]"); return q.getBoundingClientRect().width > 100 && q.querySelector("path").getBBox().width > 20 })()`) {
		t.Error("the QR code is not drawn")
	}
	if got := eval[string](b, `document.activeElement.dataset.testid || document.activeElement.tagName`); got != "created" {
		t.Errorf("focus after create is on %s", got)
	}
	// Copy puts the URL on the clipboard.
	b.copies("created-url", link)
	if eval[bool](b, `getComputedStyle(document.querySelector("[data-testid=empty]")).display !== "none"`) {
		t.Error("the empty state still shows beside the first row")
	}

	// The countdown ticks down, and nothing is asked of the server to tick.
	requests := eval[int](b, `performance.getEntriesByType("resource").length`)
	first := b.countdown(row)
	time.Sleep(2100 * time.Millisecond)
	if now := b.countdown(row); now >= first || now < first-4 {
		t.Errorf("countdown went from %ds to %ds in 2s", first, now)
	}
	if n := eval[int](b, `performance.getEntriesByType("resource").length`); n != requests {
		t.Errorf("%d requests while the countdown ticked", n-requests)
	}

	// A page view and a use from another client show within a second,
	// without a reload, and the use is announced.
	b.do(chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))
	viewer := s.client()
	viewer.get(link)
	if d := b.wait(`document.querySelector("#`+row+` [data-testid=views]")?.textContent === "1 page view"`, time.Second); d > 900*time.Millisecond {
		t.Logf("page view took %v", d)
	}
	start := time.Now()
	if res := viewer.post(link, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("open: %d, want 303 to the link's page", res.StatusCode)
	}
	b.wait(`document.getElementById("`+row+`").dataset.status === "used"`, time.Second)
	t.Logf("the use showed %v after the request began", time.Since(start))
	if !eval[bool](b, `window.__sameDocument === true`) {
		t.Error("the page reloaded")
	}
	// The link just made is said to be used in the words of the note that
	// takes its address's place.
	if got := eval[string](b, `document.getElementById("announcer").textContent`); got != "\u2068Vault code\u2069 is used up: its address, shown here when it was made, no longer opens." {
		t.Errorf("announced %q", got)
	}
	// Its opener may reload it for the grant's time: until then the row
	// offers to revoke it, which ends that too.
	if !eval[bool](b, `!!document.querySelector("#`+row+` [data-testid=revoke]")`) {
		t.Error("a link used just now offers no revoke")
	}

	// Revoke asks first: declined, nothing happens; accepted, the row
	// swaps in place, and focus stays on it.
	_, second := b.create("second", "1h", "Second")
	asked := b.declining(chromedp.Click(chromedp.CSS("#" + second + " [data-testid=revoke]")))
	b.wait(`document.getElementById("`+second+`") !== null`, time.Second)
	if got := eval[string](b, `document.getElementById("`+second+`").dataset.status`); got != "active" {
		t.Errorf("a declined revoke left the row %s", got)
	}
	if len(asked) != 1 || !strings.HasPrefix(asked[0], "Revoke \u2068Second\u2069?") {
		t.Errorf("revoke asked %q", asked)
	}
	b.do(chromedp.Click(chromedp.CSS("#" + second + " [data-testid=revoke]")))
	b.wait(`document.getElementById("`+second+`").dataset.status === "revoked"`, time.Second)
	b.wait(`document.activeElement.closest("tr")?.id === "`+second+`"`, time.Second)
	// The panel that showed its address, once, no longer offers it.
	b.wait(`!!document.querySelector("[data-testid=created-gone]")?.textContent.includes("\u2068Second\u2069 was revoked") &&
		!document.querySelector("[data-testid=link-url]")`, 2*time.Second)
	// What replaces it sits in the panel's padding, as the panel's other
	// contents did, not a paragraph's margin below it.
	if got := eval[string](b, `(s => s.marginTop + " " + s.marginBottom)(getComputedStyle(document.querySelector("[data-testid=created-gone]")))`); got != "0px 0px" {
		t.Errorf("the note that replaces a new link's address has margins %s", got)
	}

	// At zero a countdown turns its row expired, without a reload.
	_, soon := b.create("short-lived", "3s", "Short-lived")
	b.wait(`document.getElementById("`+soon+`").dataset.status === "expired"`, 4*time.Second)
	if got := eval[string](b, `document.querySelector("#`+soon+` [data-testid=status]").textContent`); got != "expired" {
		t.Errorf("expired row's badge says %q", got)
	}
	if !eval[bool](b, `window.__sameDocument === true`) {
		t.Error("the page reloaded")
	}
	b.clean("dashboard")

	// Another tab of the same account: what it creates and revokes shows
	// here within a second.
	tctx, cancel := chromedp.NewContext(ctx)
	defer cancel()
	other := newTab(t, tctx, s)
	other.open("/links", "[data-testid=create-form]")
	other.wait(`document.querySelector("[data-testid=live]").textContent === "Live"`, 5*time.Second)
	_, fromOther := other.create("from the other tab", "1h", "Other tab")
	b.wait(`!!document.getElementById("`+fromOther+`")`, time.Second)
	if n := eval[int](b, `document.querySelectorAll("#`+fromOther+`").length`); n != 1 {
		t.Errorf("the other tab's link shows %d times", n)
	}
	if n := eval[int](other, `document.querySelectorAll("#`+fromOther+`").length`); n != 1 {
		t.Errorf("the created link shows %d times in its own tab", n)
	}
	other.do(chromedp.Click(chromedp.CSS("#" + fromOther + " [data-testid=revoke]")))
	b.wait(`document.getElementById("`+fromOther+`").dataset.status === "revoked"`, time.Second)
	other.clean("second tab")

	// A dropped stream reconnects, and catches up on what it missed.
	missed, catchUp := b.create("while you were away", "1h", "Catch-up")
	s.CloseClientConnections()
	b.wait(`document.querySelector("[data-testid=live]").textContent === "Reconnecting…"`, 2*time.Second)
	if res := s.client().post(missed, nil); res.StatusCode != 200 {
		t.Fatalf("open: %d", res.StatusCode)
	}
	b.wait(`document.getElementById("`+catchUp+`").dataset.status === "used" && document.querySelector("[data-testid=live]").textContent === "Live"`, 5*time.Second)
	// Both tabs report the dropped stream: the browser and htmx.
	other.wait(`document.querySelector("[data-testid=live]").textContent === "Live"`, 5*time.Second)
	for _, tb := range []*tab{b, other} {
		tb.forgive("ERR_INCOMPLETE_CHUNKED_ENCODING")
		tb.forgive("[object Event]")
		tb.clean("reconnect")
	}

	b.create("the password is on the fridge", "2h", "Wi-Fi password")
	browsertest.Shoot(b.t, b.ctx, "dashboard")

	// Filters and search swap the list and keep the address.
	b.do(chromedp.Evaluate[chromedp.Void](`(function () {
		var s = document.getElementById("status");
		s.value = "revoked";
		s.dispatchEvent(new Event("change", { bubbles: true }));
	})()`))
	b.wait(`location.search === "?status=revoked&q=" && !document.querySelector(".htmx-request")`, 2*time.Second)
	if n := eval[int](b, `document.querySelectorAll("#link-rows > tr").length`); n != 2 {
		t.Errorf("the revoked filter shows %d rows, want 2", n)
	}
	b.do(
		chromedp.Evaluate[chromedp.Void](`document.getElementById("status").value = ""`),
		chromedp.SendKeys(chromedp.ID("q"), "vault"),
	)
	b.wait(`location.search === "?status=&q=vault" && !document.querySelector(".htmx-request")`, 2*time.Second)
	if got := eval[[]string](b, `Array.from(document.querySelectorAll("#link-rows > tr"), r => r.id)`); len(got) != 1 || got[0] != row {
		t.Errorf("search for vault shows %v", got)
	}
	b.clean("filters")

	// Details: the timeline, with the browser named and its user agent a
	// click away.
	// The row's link is followed by address: a click can land while a late
	// event swaps the row, on a node already gone.
	details := eval[string](b, `document.querySelector("#`+row+` a").href`)
	b.do(chromedp.Navigate(details))
	b.do(chromedp.WaitVisible(chromedp.CSS("[data-testid=timeline] [data-testid=audit-event][data-kind=view]")))
	if got := eval[[]string](b, `Array.from(document.querySelectorAll("[data-testid=audit-event]"), e => e.dataset.kind)`); strings.Join(got, " ") != "created view use" {
		t.Errorf("the timeline is %v", got)
	}
	b.do(chromedp.Click(chromedp.CSS("[data-kind=use] [data-testid=browser] summary")))
	if !eval[bool](b, `document.querySelector("[data-kind=use] [data-testid=browser] code").getBoundingClientRect().height > 0`) {
		t.Error("the raw user agent does not show")
	}
	browsertest.Shoot(b.t, b.ctx, "details")
	b.clean("details")

	// An active link's details offer to revoke it, after asking.
	b.open("/links", "[data-testid=create-form]")
	b.wait(`document.querySelector("[data-testid=live]").textContent === "Live"`, 5*time.Second)
	_, fromDetails := b.create("revoked from its details", "1h", "From details")
	b.open("/links/"+strings.TrimPrefix(fromDetails, "link-"), "[data-testid=revoke]")
	browsertest.Shoot(b.t, b.ctx, "details-active")
	b.do(chromedp.Click(chromedp.CSS("[data-testid=revoke]")))
	b.do(chromedp.WaitVisible(chromedp.CSS("[data-kind=revoke]")))
	if eval[bool](b, `!!document.querySelector("[data-testid=revoke]")`) {
		t.Error("the revoked link's details still offer to revoke it")
	}
	b.clean("revoke from the details")

	// Older links load below the newest, and focus moves to them.
	s.seedLinks("ada", 60)
	b.open("/links", "[data-testid=older]")
	b.do(chromedp.Click(chromedp.CSS("[data-testid=older]")))
	b.wait(`document.querySelectorAll("#link-rows > tr").length === 67`, 2*time.Second)
	b.wait(`document.activeElement === document.querySelectorAll("#link-rows > tr")[50].querySelector("a")`, time.Second)
	if eval[bool](b, `!!document.querySelector("[data-testid=older]")`) {
		t.Error("Show older links is still there after the last page")
	}
	b.clean("older links")

	// Accounts: add one, disable it in place.
	b.open("/accounts", "[data-testid=add-account]")
	b.do(
		chromedp.SendKeys(chromedp.ID("username"), "bob"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("[data-testid=add]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=added]")),
	)
	b.do(chromedp.Click(chromedp.CSS(`[data-name=bob] [data-testid=disable]`)))
	b.wait(`document.querySelector("[data-name=bob] [data-testid=account-status]").textContent === "disabled"`, time.Second)
	browsertest.Shoot(b.t, b.ctx, "accounts")
	b.clean("accounts")

	// Signing out in one tab ends the other's stream, which says so.
	b.open("/links", "[data-testid=create-form]")
	b.wait(`document.querySelector("[data-testid=live]").textContent === "Live"`, 5*time.Second)
	other.do(chromedp.Click(chromedp.CSS("[data-testid=logout]")), chromedp.WaitVisible(chromedp.CSS("#username")))
	b.wait(`!!document.querySelector("[data-testid=signed-out]") && document.querySelector("[data-testid=live]").textContent === "Signed out"`, time.Second)
	b.clean("signed out")
	other.clean("signed out")

	// What the page asks now fails, and says so in its alerts, with a way
	// back; the row, and what was typed in the form, stay.
	active := eval[string](b, `document.querySelector("#link-rows > tr[data-status=active]").id`)
	b.do(chromedp.Click(chromedp.CSS("#" + active + " [data-testid=revoke]")))
	b.wait(`!!document.querySelector("#alerts [data-testid=sign-in-again]") && document.getElementById("`+active+`").dataset.status === "active"`, 2*time.Second)
	b.do(
		chromedp.Evaluate[chromedp.Void](`document.getElementById("alerts").textContent = ""`),
		chromedp.SendKeys(chromedp.ID("message"), "typed before the session ended"),
		chromedp.Click(chromedp.CSS("[data-testid=create]")),
	)
	b.wait(`!!document.querySelector("#alerts [data-status='401']") && document.getElementById("message").value === "typed before the session ended"`, 2*time.Second)
	browsertest.Shoot(b.t, b.ctx, "dashboard-signed-out-alert")
	b.forgive("status of 401")
	b.clean("failures after signing out")
}

// liveWatch records, in window.__said, what each change to a live region
// of the page gives screen readers to say: the region's text, whenever
// something in it changes or it arrives with text in it.
const liveWatch = `window.__said = [];
new MutationObserver((changes) => {
	const live = "[role=status], [role=alert], [role=log], [aria-live]:not([aria-live=off])";
	const regions = new Set();
	for (const c of changes) {
		const at = c.target.nodeType === 1 ? c.target : c.target.parentElement;
		const r = at && at.closest(live);
		if (r) regions.add(r);
		c.addedNodes.forEach((n) => { if (n.nodeType === 1 && n.matches(live)) regions.add(n); });
	}
	regions.forEach((r) => { if (r.textContent.trim()) window.__said.push(r.textContent.trim()); });
}).observe(document.body, { subtree: true, childList: true, characterData: true });`

// announcerWatch records, in window.__said, every sentence the page's
// polite live region, #announcer, is given, in order.
const announcerWatch = `window.__said = [];
new MutationObserver(() => window.__said.push(document.getElementById("announcer").textContent))
	.observe(document.getElementById("announcer"), {childList: true, characterData: true, subtree: true})`

// announced is what app.js says in l of a row named name, with message id:
// the name isolated from the words around it.
func announced(l *i18n.Localizer, id, name string) string {
	return strings.ReplaceAll(l.T(id), "{name}", "\u2068"+name+"\u2069")
}

// TestNewLinksEndSaidOnce: when the link whose address the page has just
// shown is revoked, a screen reader hears it once, in the words of the
// note that takes the address's place, not that note and the list's news
// of the same row besides.
func TestNewLinksEndSaidOnce(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	_, row := b.create("soon revoked", "1h", "Vault")
	b.do(chromedp.Evaluate[chromedp.Void](liveWatch))
	b.do(chromedp.Click(chromedp.CSS("#" + row + " [data-testid=revoke]")))
	b.wait(`!!document.querySelector("[data-testid=created-gone]")`, 2*time.Second)
	time.Sleep(1200 * time.Millisecond)
	said := eval[[]string](b, `window.__said.filter((s) => s.includes("Vault"))`)
	if len(said) != 1 || !strings.Contains(said[0], "its address") {
		t.Errorf("revoking the new link was said as %q, want once, as the note says it", said)
	}
	b.clean("dashboard")
}

// TestLinkArrivalsAnnouncedInBrowser: on an open dashboard, screen readers
// hear, from the page's polite live region, a link made elsewhere that the
// stream brings to the list, once and in the page's language, in every
// language; not the link the tab makes itself, whose address its answer
// shows, even when the stream brings its row before that answer; nor
// rows that come with the page or a filter.
func TestLinkArrivalsAnnouncedInBrowser(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	ctx := t.Context()
	owner, err := s.h.core.AccountByName(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := func(label string) {
		t.Helper()
		d := s.h.core.NewDraft()
		defer d.Close()
		c, err := s.h.core.Create(ctx, owner.ID, d, core.LinkInput{Kind: "message", Message: "made elsewhere", TTL: "1h", Label: label})
		if err != nil {
			t.Fatal(err)
		}
		s.h.core.Publish(ctx, c.Event())
	}
	bctx := browsertest.New(t)
	signInAndLeave(t, bctx, s.URL)
	b := watchedTab(t, bctx, s)
	// slowAnswer holds the answer to a create back, so that the stream
	// brings the new row first.
	const (
		slowAnswer = `(() => {
			const open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send;
			XMLHttpRequest.prototype.open = function (method, url) { this.__create = method === "POST" && /\/links$/.test(url); return open.apply(this, arguments); };
			XMLHttpRequest.prototype.send = function () {
				const xhr = this, load = xhr.onload;
				if (xhr.__create && load) xhr.onload = function (e) { setTimeout(() => load.call(xhr, e), 700); };
				return send.apply(this, arguments);
			};
		})()`
	)
	for _, lang := range []string{"en", "de", "fr", "es", "ar"} {
		l := i18n.For(lang)
		b.chooseLanguage("/links", lang)
		elsewhere("Loaded " + lang) // before the page: it comes with it
		b.open("/links", "[data-testid=create-form]")
		b.wait(`window.__opens === 1`, 5*time.Second)
		b.do(chromedp.Evaluate[chromedp.Void](announcerWatch))
		var want []string
		hears := func(sentence string) {
			t.Helper()
			want = append(want, sentence)
			b.wait(`window.__said.includes(`+strconv.Quote(sentence)+`)`, 3*time.Second)
		}

		elsewhere("From the CLI " + lang)
		hears(announced(l, "js.announce.new", "From the CLI "+lang))

		// The tab's own link, answered after its row came by the stream.
		b.do(chromedp.Evaluate[chromedp.Void](slowAnswer))
		b.create("made here", "1h", "Made here "+lang)
		if n := eval[int](b, `document.querySelectorAll("[data-testid=created][data-link]").length`); n != 1 {
			t.Fatalf("%s: the tab's own link shows no address", lang)
		}

		// A filter brings rows not seen before, and the list back.
		b.do(chromedp.Evaluate[chromedp.Void](`(s => { s.value = "active"; s.dispatchEvent(new Event("change", {bubbles: true})); })(document.getElementById("status"))`))
		b.wait(`location.search.startsWith("?status=active") && !document.querySelector(".htmx-request")`, 2*time.Second)
		b.do(chromedp.Evaluate[chromedp.Void](`(s => { s.value = ""; s.dispatchEvent(new Event("change", {bubbles: true})); })(document.getElementById("status"))`))
		b.wait(`location.search.startsWith("?status=&") && !document.querySelector(".htmx-request")`, 2*time.Second)

		elsewhere("From the API " + lang)
		hears(announced(l, "js.announce.new", "From the API "+lang))

		time.Sleep(1200 * time.Millisecond) // time for a sentence that must not come
		if got := eval[[]string](b, `window.__said`); !slices.Equal(got, want) {
			t.Errorf("%s: the live region said %q, want %q", lang, got, want)
		}
	}
	b.clean("links' arrivals")
}

// TestCountdownFollowsTheServerClock runs the server's clock an hour ahead
// of the browser's: the countdown of a two-hour link shows under two hours,
// as the server counts, not three.
func TestCountdownFollowsTheServerClock(t *testing.T) {
	s := newTestServer(t)
	s.clock.Advance(time.Hour)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	_, row := b.create("later", "2h", "Two hours")
	b.wait(`document.querySelector("#`+row+` time.countdown").textContent === "1h 59m"`, 3*time.Second)
	b.clean("dashboard")
}

// TestExpiryPreviewFollowsTheServerClock: the create form's "Expires …"
// says when the server will end the link, by the server's clock, as the
// countdowns do, not by a browser's clock an hour behind.
func TestExpiryPreviewFollowsTheServerClock(t *testing.T) {
	s := newTestServer(t)
	s.clock.Advance(time.Hour)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	b.retype("ttl", "2h")
	ends := s.clock.Now().Add(2 * time.Hour).UnixMilli()
	// The server's clock stands still while the browser's runs on: the
	// preview may be a minute on.
	want := eval[[]string](b, fmt.Sprintf(`[0, 60000].map(d => new Intl.DateTimeFormat("en-GB",
		{weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23", numberingSystem: "latn"}).format(new Date(%d + d)))`, ends))
	got := eval[string](b, `document.querySelector("[data-testid=expiry-preview]").textContent`)
	if got != "Expires "+want[0]+"." && got != "Expires "+want[1]+"." {
		t.Errorf("with the server's clock an hour ahead, the preview of 2h says %q, want %q", got, "Expires "+want[0]+".")
	}
	b.clean("dashboard")
}

// TestRevokeGoesWithTheGrant: a used link offers Revoke while its last
// opener may still reload it; when that time ends, the row and the details
// page take the button away, as a page drawn then would not offer it; a
// keyboard on the button is left on the row's name, or on the page.
func TestRevokeGoesWithTheGrant(t *testing.T) {
	// Its server and browser are its own, and most of its time is spent
	// waiting for the grant to end: it runs beside other tests.
	t.Parallel()
	s := newTestServer(t, func(c *core.Config) { c.GrantTTL = 10 * time.Second })
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	link, row := b.create("soon used", "1h", "Soon used")
	opener := s.client()
	opener.get(link)
	if res := opener.post(link, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("open: %d, want 303 to the link's page", res.StatusCode)
	}
	b.wait(`document.getElementById("`+row+`").dataset.status === "used"`, 5*time.Second)
	b.focus("#" + row + " [data-testid=revoke]")
	b.wait(`!document.querySelector("#`+row+` [data-testid=revoke]")`, 15*time.Second)
	if got := eval[string](b, `document.activeElement.id`); got != row+"-details" {
		t.Errorf("the row's Revoke went with the focus on it; the focus is then on %q, want the row's name, %s-details", got, row)
	}

	b.open("/links/"+strings.TrimPrefix(row, "link-"), "[data-testid=link-details]")
	if !eval[bool](b, `!!document.querySelector("[data-testid=link-details] [data-testid=revoke]")`) {
		t.Fatal("the details page of a link used within the grant offers no revoke")
	}
	b.focus("[data-testid=link-details] [data-testid=revoke]")
	b.wait(`!document.querySelector("[data-testid=link-details] [data-testid=revoke]")`, 15*time.Second)
	if got := eval[string](b, `document.activeElement.id`); got != "main" {
		t.Errorf("the details page's Revoke went with the focus on it; the focus is then on %q, want the page's main", got)
	}
	b.clean("details")
}

// TestDashboardWithoutJavaScript walks the essential path with scripts
// off: plain forms post and redirect.
func TestDashboardWithoutJavaScript(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	b.open("/setup", "#username")
	b.do(
		chromedp.SendKeys(chromedp.ID("username"), "ada"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=empty]")),
		chromedp.SendKeys(chromedp.ID("message"), "no script needed"),
		chromedp.SendKeys(chromedp.ID("label"), "Plain"),
		chromedp.Click(chromedp.CSS("[data-testid=create]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=created] [data-testid=link-url]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=next-steps]")),
		// Copying needs the script: the field is there to select instead.
		chromedp.WaitNotVisible(chromedp.CSS("[data-copy=created-url]")),
	)
	browsertest.Shoot(b.t, b.ctx, "created-without-js")
	// The new link's page offers to revoke it at once.
	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=next-steps] [data-testid=revoke]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=link-row][data-name=Plain][data-status=revoked]")),
	)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || loc != s.URL+"/links" {
		t.Fatalf("after revoke: %s %v", loc, err)
	}
	b.do(
		chromedp.SetValue(chromedp.ID("status"), "active"),
		chromedp.Click(chromedp.CSS("form[data-testid=filters] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#link-list [data-testid=empty]")),
	)
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != s.URL+"/links?status=active&q=" {
		t.Errorf("filter went to %s", loc)
	}
}

// TestGoneInBrowser: the page that the address of a link or a request no
// longer kept answers with (the links or the requests) says so above its
// form, and holds on a phone, in light and dark, left to right and right
// to left.
func TestGoneInBrowser(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	for _, c := range []struct {
		path, notice, form, shot string
		widths                   []int64
	}{
		{"/links/41", "link-gone", "create-form", "link-gone-", []int64{390}},
		{"/requests/41", "request-gone", "request-form", "request-gone-", nil},
	} {
		for _, lang := range []string{"en", "ar"} {
			b.acceptLanguage(lang)
			b.do(chromedp.Navigate(s.URL+c.path), chromedp.WaitVisible(chromedp.CSS("[data-testid="+c.notice+"]")))
			if eval[bool](b, `document.querySelector("[data-testid=`+c.notice+`]").getBoundingClientRect().top > document.querySelector("[data-testid=`+c.form+`]").getBoundingClientRect().top`) {
				t.Errorf("%s in %s: the notice comes below the form", c.path, lang)
			}
			browsertest.Shoot(t, b.ctx, c.shot+lang, c.widths...)
		}
	}
}
