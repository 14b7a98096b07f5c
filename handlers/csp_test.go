package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/internal/browsertest"
)

// recordCSPViolations makes every page the browser loads keep the
// Content-Security-Policy violations it sees in window.cspViolations.
const recordCSPViolations = `window.cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
	window.cspViolations.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber);
});`

// TestBrowserSeesNoCSPViolations walks a person's path through oncelink in
// Chromium, with scripts running, and fails on any violation of the
// Content-Security-Policy: an inline script or style, or a blocked form.
func TestBrowserSeesNoCSPViolations(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.Rates.SignIn = core.Rate{N: 1, Per: time.Minute} })
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("arrived"))
	}))
	t.Cleanup(target.Close)
	ctx := browsertest.New(t)
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: recordCSPViolations}); err != nil {
		t.Fatal(err)
	}
	// check fails on the violations of the page the browser shows now.
	check := func(where string) {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.cspViolations || []`))
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if len(got) > 0 {
			t.Errorf("%s: CSP violations: %q", where, got)
		}
	}
	do := func(where string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		check(where)
	}
	waitFor := func(where, prefix string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			loc, err := chromedp.Run(ctx, chromedp.Location())
			if err == nil && strings.HasPrefix(loc, prefix) {
				return
			}
			if time.Now().After(deadline) {
				check(where)
				t.Fatalf("%s: the browser stayed at %q, want %s…", where, loc, prefix)
			}
		}
	}

	do("set-up page", chromedp.Navigate(s.URL+"/setup"),
		chromedp.SendKeys(`#username`, "ada"), chromedp.SendKeys(`#password`, testPassword),
		chromedp.Submit(`#password`))
	waitFor("after set-up", s.URL+"/links")
	do("dashboard", chromedp.WaitVisible(`[data-testid=create-form]`),
		chromedp.SetValue(`#message`, "the vault code is 4711"),
		chromedp.Click(`[data-testid=create]`), chromedp.WaitVisible(`[data-testid=link-url]`))
	link, err := chromedp.Run(ctx, chromedp.Value(`[data-testid=link-url]`))
	if err != nil {
		t.Fatal(err)
	}
	do("link details", chromedp.Navigate(s.URL+"/links/1"), chromedp.WaitVisible(`[data-testid=timeline]`))
	do("player", chromedp.Navigate(s.URL+"/player"), chromedp.WaitVisible(`[data-testid=player-intro]`))
	do("not found", chromedp.Navigate(s.URL+"/nothing-here"), chromedp.WaitVisible(`[data-testid=error]`))
	// Signed in as its owner, the link's page is the owner's, whose Open
	// button waits behind "Open it yourself".
	do("the owner's link page", chromedp.Navigate(link), chromedp.Click(`[data-testid=open-yourself] summary`),
		chromedp.WaitVisible(`[data-testid=open]`),
		chromedp.Click(`[data-testid=open]`), chromedp.WaitVisible(`[data-testid=message]`))
	check("delivered message")

	// The Open button of a URL link posts to oncelink, which redirects to
	// the shared address: the landing page's form-action must allow it.
	do("create a URL link", chromedp.Navigate(s.URL+"/links"), chromedp.Click(`input[name=kind][value=url]`),
		chromedp.SendKeys(`#url`, target.URL+"/there"),
		chromedp.Click(`[data-testid=create]`), chromedp.WaitVisible(`[data-testid=link-url]`))
	urlLink, err := chromedp.Run(ctx, chromedp.Value(`[data-testid=link-url]`))
	if err != nil {
		t.Fatal(err)
	}
	do("the owner's URL link page", chromedp.Navigate(urlLink), chromedp.Click(`[data-testid=open-yourself] summary`),
		chromedp.WaitVisible(`[data-testid=open]`))
	// The click leaves for another site, which may take the page from
	// under the click's own command: where the browser lands tells.
	if err := chromedp.Do(ctx, chromedp.Click(`[data-testid=open]`)); err != nil && !navigatedAway(err) {
		t.Fatalf("open the URL link: %v", err)
	}
	waitFor("open a URL link", target.URL+"/there")

	// Signed out, a second wrong sign-in within the minute meets the
	// limit of 1/1m: the form comes back under a notice that counts the
	// wait down.
	do("sign out", chromedp.Navigate(s.URL+"/links"), chromedp.Click(`[data-testid=logout]`))
	waitFor("after sign-out", s.URL+"/login")
	for i := range 2 {
		do("sign-in page", chromedp.Navigate(s.URL+"/login"),
			chromedp.SendKeys(`#username`, "ada"), chromedp.SendKeys(`#password`, "not the password"),
			chromedp.Submit(`#password`), chromedp.WaitVisible(`[data-testid=`+[]string{"form-error", "held-back"}[i]+`]`))
	}
	if wait, err := chromedp.Run(ctx, chromedp.Text(`[data-testid=held-back] [data-testid=retry-in]`)); err != nil || wait == "" {
		t.Fatalf("the sign-in held back counts down %q, %v", wait, err)
	}
	browsertest.Screenshot(t, ctx, "too-many-attempts")
}
