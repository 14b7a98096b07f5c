package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"oncelink/internal/browsertest"
)

// shownAgain counts, in window.__restored, the times a page was shown
// again from the browser's back/forward cache.
const shownAgain = `window.__restored = 0;
window.addEventListener("pageshow", function (e) { if (e.persisted) window.__restored++; });`

// keepForBack has the tab's browser keep the pages it leaves in its
// back/forward cache, to show them again on Back, and records why it did
// not when it does not. Chromium keeps no page that came with
// Cache-Control: no-store, as every oncelink page does, once the page has
// fetched such answers too: it loads the page anew. A browser may keep
// one all the same, so this takes the header off the answers that are
// pages.
func keepForBack(b *tab) (whyNot func() []string) {
	b.t.Helper()
	var mu sync.Mutex
	var reasons []string
	if err := chromedp.Listen(b.ctx, func(ev any) {
		switch e := ev.(type) {
		case *fetch.EventRequestPaused:
			var kept []*fetch.HeaderEntry
			for _, h := range e.ResponseHeaders {
				if !strings.EqualFold(h.Name, "Cache-Control") {
					kept = append(kept, h)
				}
			}
			go chromedp.Call(b.ctx, fetch.ContinueResponse, fetch.ContinueResponseParams{RequestID: e.RequestID, ResponseCode: e.ResponseStatusCode, ResponseHeaders: kept})
		case *page.EventBackForwardCacheNotUsed:
			mu.Lock()
			for _, r := range e.NotRestoredExplanations {
				reasons = append(reasons, string(r.Reason))
			}
			mu.Unlock()
		}
	}); err != nil {
		b.t.Fatal(err)
	}
	pages := []*fetch.RequestPattern{{ResourceType: network.ResourceTypeDocument, RequestStage: fetch.RequestStageResponse}}
	if _, err := chromedp.Call(b.ctx, fetch.Enable, fetch.EnableParams{Patterns: pages}); err != nil {
		b.t.Fatal(err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return reasons
	}
}

// holdPosts has the tab's browser hold back the answers to its POSTs of
// resource kind (a page's form, or a script's request) until the test lets
// each go with its release; the channel names each held as it comes. Other
// answers go on at once.
func holdPosts(b *tab, kind network.ResourceType) (held <-chan fetch.RequestID, release func(fetch.RequestID)) {
	b.t.Helper()
	posts := make(chan fetch.RequestID, 4)
	if err := chromedp.Listen(b.ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			if e.Request.Method == http.MethodPost {
				posts <- e.RequestID
				return
			}
			go chromedp.Call(b.ctx, fetch.ContinueResponse, fetch.ContinueResponseParams{RequestID: e.RequestID})
		}
	}); err != nil {
		b.t.Fatal(err)
	}
	answers := []*fetch.RequestPattern{{ResourceType: kind, RequestStage: fetch.RequestStageResponse}}
	if _, err := chromedp.Call(b.ctx, fetch.Enable, fetch.EnableParams{Patterns: answers}); err != nil {
		b.t.Fatal(err)
	}
	return posts, func(id fetch.RequestID) {
		b.t.Helper()
		if _, err := chromedp.Call(b.ctx, fetch.ContinueResponse, fetch.ContinueResponseParams{RequestID: id}); err != nil {
			b.t.Fatal(err)
		}
	}
}

// heldPost is the next answer that holdPosts held, within five seconds.
func heldPost(t *testing.T, held <-chan fetch.RequestID) fetch.RequestID {
	t.Helper()
	select {
	case id := <-held:
		return id
	case <-time.After(5 * time.Second):
		t.Fatal("no POST was sent")
		return ""
	}
}

// TestPagesShownAgainOnBack: a dashboard or a requests page left for
// another page and shown again on Back shows within a second what
// happened while it was away, and follows live afterwards, on one stream.
// Chromium loads it anew; a browser that keeps it in its back/forward
// cache shows the very page again, which gave its stream back when left
// (the cache may keep it for minutes) and opens it again from its last
// mark: the list is read again only if something happened meanwhile.
func TestPagesShownAgainOnBack(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	ctx := browsertest.New(t)
	signInAndLeave(t, ctx, s.URL)
	link := owner.createLink(url.Values{"label": {"Door code"}, "max_uses": {"3"}})
	row := "link-" + itoa(linkOf(t, s, link).ID)
	request := owner.createRequest(nil)
	b := watchedTab(t, ctx, s)
	if _, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: shownAgain}); err != nil {
		t.Fatal(err)
	}
	var whyNot func() []string
	use := func() {
		t.Helper()
		if res := s.client().post(link, nil); res.StatusCode != 200 {
			t.Fatalf("open: %d", res.StatusCode)
		}
	}
	// away leaves the page at path, whose stream opened once, for the
	// settings, has meanwhile happen there, and goes back to it, which
	// must then show news within a second, on one stream: the page's
	// second if it is the page left, shown again from the cache (kept),
	// else a new page's first. It returns how often the page has opened
	// its stream.
	away := func(path, sel string, meanwhile func(), news string) (opens int, kept bool) {
		t.Helper()
		b.do(chromedp.Evaluate[chromedp.Void](`window.__left = true`))
		b.open("/settings", "#main")
		s.streamsOpen(0, 2*time.Second)
		meanwhile()
		b.do(chromedp.Evaluate[chromedp.Void](`history.back()`))
		b.wait(`location.pathname === "`+path+`" && !!document.querySelector("`+sel+`") && `+news, time.Second)
		kept = eval[bool](b, `window.__left === true`)
		if restored := eval[int](b, `window.__restored`); kept != (restored == 1) {
			t.Fatalf("%s: back on the page left (%v), shown again %d times from the cache", path, kept, restored)
		}
		if whyNot != nil && !kept {
			t.Fatalf("%s: not kept for Back: %v", path, whyNot())
		}
		if kind := eval[string](b, `performance.getEntriesByType("navigation")[0].type`); !kept && kind != "back_forward" {
			t.Fatalf("%s: loaded anew as %q", path, kind)
		}
		s.streamsOpen(1, 2*time.Second)
		opens = map[bool]int{false: 1, true: 2}[kept]
		b.wait(`window.__opens >= `+strconv.Itoa(opens), 2*time.Second)
		return eval[int](b, `window.__opens`), kept
	}

	// Loaded anew, as Chromium does with a page that came with no-store.
	b.open("/links", "#"+row)
	b.wait(`window.__opens === 1`, 5*time.Second)
	opens, kept := away("/links", "#"+row, func() {
		use()
		owner.createLink(url.Values{"label": {"Made while away"}})
	}, `document.getElementById("`+row+`").dataset.uses === "Opened 1 of 3" &&
		document.querySelector("#link-rows > tr").dataset.name === "Made while away"`)
	if want := map[bool]int{false: 1, true: 2}[kept]; opens != want {
		t.Errorf("a dashboard shown again on Back (kept: %v) opened its stream %d times in all, want %d", kept, opens, want)
	}

	// Kept in the cache, and shown again: the link used meanwhile and the
	// one made meanwhile show within a second, and later news as well.
	whyNot = keepForBack(b)
	b.open("/links", "#"+row)
	b.wait(`window.__opens === 1`, 5*time.Second)
	opens, _ = away("/links", "#"+row, func() {
		use()
		owner.createLink(url.Values{"label": {"Made while away again"}})
	}, `document.getElementById("`+row+`").dataset.uses === "Opened 2 of 3" &&
		document.querySelector("#link-rows > tr").dataset.name === "Made while away again"`)
	if opens != 2 {
		t.Errorf("a dashboard shown again opened its stream %d times in all, want 2", opens)
	}
	owner.createLink(url.Values{"label": {"Made once back"}})
	use()
	b.wait(`document.querySelector("#link-rows > tr").dataset.name === "Made once back" &&
		document.getElementById("`+row+`").dataset.status === "used"`, time.Second)
	browsertest.Screenshot(t, b.ctx, "dashboard-shown-again-on-back-1280-light")

	// A requests page kept while nothing happened keeps its list as it
	// was, though news came on its stream since it was drawn; its stream
	// carries on once shown again.
	b.open("/requests", "[data-testid=request-row]")
	b.wait(`window.__opens === 1`, 5*time.Second)
	owner.createRequest(nil)
	rows := 2
	b.wait(`document.querySelectorAll("[data-testid=request-row]").length === 2`, time.Second)
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("request-rows").dataset.kept = "yes"`))
	opens, _ = away("/requests", "#request-rows", func() {}, `window.__opens === 2`)
	if opens != 2 {
		t.Errorf("a requests page shown again opened its stream %d times in all, want 2", opens)
	}
	time.Sleep(500 * time.Millisecond) // time for a stale that must not come
	if kept := eval[string](b, `document.getElementById("request-rows").dataset.kept || ""`); kept != "yes" {
		t.Error("a requests page that missed nothing while away read its list again")
	}
	if res := s.client().post(request, url.Values{"message": {"hunter2"}}); res.StatusCode != 303 {
		t.Fatalf("send: %d", res.StatusCode)
	}
	owner.createRequest(nil)
	b.wait(`!!document.querySelector("[data-testid=request-row][data-status=fulfilled]") &&
		document.querySelectorAll("[data-testid=request-row]").length === `+strconv.Itoa(rows+1), time.Second)

	// A page reloaded is a new one, with one stream, and live.
	b.do(chromedp.Reload())
	b.wait(`window.__opens === 1`, 5*time.Second)
	s.streamsOpen(1, 2*time.Second)
	owner.createRequest(nil)
	b.wait(`document.querySelectorAll("[data-testid=request-row]").length === `+strconv.Itoa(rows+2), time.Second)

	// A hidden page that the browser freezes gives its stream back at
	// once, rather than once hidden a while: its timers are stopped.
	// Thawed and shown, it catches up.
	b.setHidden(true)
	lifecycle := func(state page.SetWebLifecycleStateState) {
		t.Helper()
		if _, err := chromedp.Call(b.ctx, page.SetWebLifecycleState, page.SetWebLifecycleStateParams{State: state}); err != nil {
			t.Fatal(err)
		}
	}
	lifecycle(page.SetWebLifecycleStateStateFrozen)
	s.streamsOpen(0, 2*time.Second)
	owner.createRequest(nil)
	lifecycle(page.SetWebLifecycleStateStateActive)
	b.setHidden(false)
	b.wait(`document.querySelectorAll("[data-testid=request-row]").length === `+strconv.Itoa(rows+3), time.Second)
	s.streamsOpen(1, 2*time.Second)
	if opens := b.opens(); opens != 2 {
		t.Errorf("a page thawed and shown opened its stream %d times in all, want 2", opens)
	}
	b.clean("pages shown again on Back")
}
