package handlers

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"oncelink/internal/browsertest"
)

// streamOpens counts, in window.__opens, the times a page's event stream
// opened: htmx's SSE extension says so on the page (htmx:sseOpen).
const streamOpens = `window.__opens = 0;
document.addEventListener("htmx:sseOpen", function () { window.__opens++; });`

// watchedTab is a new tab of the browser at ctx, in a window of its own,
// whose pages count their streams' opens (streamOpens).
func watchedTab(t *testing.T, ctx context.Context, s *testServer) *tab {
	t.Helper()
	tctx, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	b := newTab(t, tctx, s)
	if _, err := chromedp.Call(tctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: streamOpens}); err != nil {
		t.Fatal(err)
	}
	return b
}

// signInAndLeave signs the browser at ctx in as ada, in its first tab,
// which then leaves the dashboard that signing in leads to, and its stream.
func signInAndLeave(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	signIn(t, ctx, base)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
}

// setHidden hides the tab, by minimising its window, or shows it again.
// (Headless Chromium shows every tab, each in a window of its own, until
// its window is minimised.)
func (b *tab) setHidden(hidden bool) {
	b.t.Helper()
	w, err := chromedp.Call(b.ctx, browser.GetWindowForTarget, browser.GetWindowForTargetParams{})
	if err != nil {
		b.t.Fatal(err)
	}
	state := browser.WindowStateNormal
	if hidden {
		state = browser.WindowStateMinimized
	}
	if _, err := chromedp.Call(b.ctx, browser.SetWindowBounds, browser.SetWindowBoundsParams{WindowID: w.WindowID, Bounds: &browser.Bounds{WindowState: state}}); err != nil {
		b.t.Fatal(err)
	}
	b.wait(`document.hidden === `+strconv.FormatBool(hidden), time.Second)
}

// opens is how often the tab's page has opened its event stream.
func (b *tab) opens() int {
	b.t.Helper()
	return eval[int](b, `window.__opens`)
}

// streamsOpen waits until the server holds n dashboard streams (its
// dashboards' and link pages'), within d.
func (s *testServer) streamsOpen(n int, d time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		families, _ := s.scrape()
		got := sample(families["oncelink_event_streams"], map[string]string{"stream": "dashboard"})
		if got == float64(n) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%v event streams open after %v, want %d", got, d, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestHiddenTabsGiveTheirStreamsBack: a browser opens at most six
// connections to a server over HTTP/1.1, and each page that follows the
// owner's links live holds one for its event stream. Eight such pages
// open, each hidden once it is live, leave a ninth tab to load and to
// follow the links live: a hidden tab closes its stream after a few
// seconds.
func TestHiddenTabsGiveTheirStreamsBack(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	ctx := browsertest.New(t)
	signInAndLeave(t, ctx, s.URL)
	link := owner.createLink(url.Values{"label": {"Door code"}, "max_uses": {"3"}})
	details := "/links/" + itoa(linkOf(t, s, link).ID)
	pages := []string{"/links", details, link[len(s.URL):], "/requests"}
	// load navigates b to path; a page that waits for a connection does
	// not load at all.
	load := func(b *tab, n int, path string) {
		t.Helper()
		lctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		if err := chromedp.Do(lctx, chromedp.Navigate(s.URL+path)); err != nil {
			t.Fatalf("tab %d, %s, did not load: %v", n, path, err)
		}
	}
	for i := range 8 {
		b := watchedTab(t, ctx, s)
		load(b, i+1, pages[i%len(pages)])
		b.wait(`window.__opens === 1`, 5*time.Second)
		b.setHidden(true)
	}
	// The ninth tab's page loads at once or as soon as the first hidden
	// tab's stream has gone, and its dashboard is live.
	last := watchedTab(t, ctx, s)
	start := time.Now()
	load(last, 9, "/links")
	last.wait(`document.querySelector("[data-testid=live]").textContent === "Live"`, 5*time.Second)
	t.Logf("the ninth tab was live after %v", time.Since(start).Round(time.Millisecond))
	owner.createLink(url.Values{"label": {"Made elsewhere"}})
	last.wait(`document.querySelector("#link-rows > tr").dataset.name === "Made elsewhere"`, 2*time.Second)
	last.clean("the ninth tab")

	// A page that loads hidden, as a tab opened in the background, opens
	// its stream only once shown.
	background := watchedTab(t, ctx, s)
	background.setHidden(true)
	load(background, 10, details)
	time.Sleep(300 * time.Millisecond)
	if n := background.opens(); n != 0 {
		t.Errorf("a page loaded hidden opened its stream %d times", n)
	}
	background.setHidden(false)
	background.wait(`window.__opens === 1`, 2*time.Second)
}

// TestHiddenTabCatchesUpWhenShown: a dashboard, a link's details and the
// requests page, hidden long enough to give their streams back, open them
// again when shown. A page that missed nothing meanwhile leaves its list
// as it was, even after events that its rows do not show (a sign-out
// elsewhere); one whose link was used, or whose request was answered,
// while hidden shows it within a second or two of being shown.
func TestHiddenTabCatchesUpWhenShown(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	ctx := browsertest.New(t)
	signInAndLeave(t, ctx, s.URL)
	link := owner.createLink(url.Values{"label": {"Door code"}, "max_uses": {"3"}})
	id := itoa(linkOf(t, s, link).ID)
	request := owner.createRequest(nil)
	dashboard := watchedTab(t, ctx, s)
	dashboard.open("/links", "#link-"+id)
	details := watchedTab(t, ctx, s)
	details.open("/links/"+id, "[data-testid=link-details]")
	requests := watchedTab(t, ctx, s)
	requests.open("/requests", "[data-testid=request-row]")
	row := eval[string](requests, `document.querySelector("[data-testid=request-row]").id`)
	tabs := []*tab{dashboard, details, requests}
	for _, b := range tabs {
		b.wait(`window.__opens === 1`, 5*time.Second)
	}
	// Events that change nothing the pages show, seen while they are shown.
	s.signIn("ada").post("/logout", nil)
	// The lists' elements, marked: a list read again is a new one.
	dashboard.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("link-list").dataset.kept = "yes"`))
	requests.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("request-rows").dataset.kept = "yes"`))

	// Hidden with nothing happening, and shown again.
	for _, b := range tabs {
		b.setHidden(true)
	}
	s.streamsOpen(0, 10*time.Second)
	for _, b := range tabs {
		b.setHidden(false)
		b.wait(`window.__opens === 2`, 2*time.Second)
	}
	s.streamsOpen(len(tabs), 2*time.Second)
	time.Sleep(500 * time.Millisecond) // time for a stale that must not come
	if kept := eval[string](dashboard, `document.getElementById("link-list").dataset.kept || ""`); kept != "yes" {
		t.Error("a dashboard that missed nothing while hidden read its list again")
	}
	if kept := eval[string](requests, `document.getElementById("request-rows").dataset.kept || ""`); kept != "yes" {
		t.Error("a requests page that missed nothing while hidden read its list again")
	}

	// Hidden while the link is used, and shown again.
	for _, b := range tabs {
		b.setHidden(true)
	}
	s.streamsOpen(0, 10*time.Second)
	if res := s.client().post(link, nil); res.StatusCode != 200 {
		t.Fatalf("open: %d", res.StatusCode)
	}
	if res := s.client().post(request, url.Values{"message": {"hunter2"}}); res.StatusCode != 303 {
		t.Fatalf("send: %d", res.StatusCode)
	}
	for _, b := range tabs {
		b.setHidden(false)
	}
	took := dashboard.wait(`document.getElementById("link-`+id+`").dataset.uses === "Opened 1 of 3"`, 2*time.Second)
	details.wait(`document.querySelector("[data-testid=opened]").textContent === "1 of 3" &&
		!!document.querySelector("[data-testid=audit-event][data-kind=use]")`, 2*time.Second)
	requests.wait(`document.getElementById("`+row+`").dataset.status === "fulfilled"`, 2*time.Second)
	t.Logf("the dashboard showed the use %v after being shown", took.Round(time.Millisecond))
	browsertest.Screenshot(t, dashboard.ctx, "dashboard-shown-again-1280-light")
	for _, b := range tabs {
		b.clean("after being shown again")
	}
}
