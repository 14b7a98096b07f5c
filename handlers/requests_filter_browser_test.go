package handlers

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/components"
	"oncelink/core"
	"oncelink/internal/browsertest"
)

// TestRequestsFilterInBrowser: choosing a status swaps the requests' list,
// at once, and the address keeps the choice; a filter that leaves nothing
// says so; under Open a request made by a script arrives at the top within
// a second, under Withdrawn it does not; a request withdrawn while shown
// under Open stays in its row, withdrawn, as a link does on the filtered
// links. The filtered page at a phone's width and a desktop's, light and
// dark, in English and in Arabic.
func TestRequestsFilterInBrowser(t *testing.T) {
	s := newTestServer(t)
	s.withAPI()
	s.admin()
	ctx := context.Background()
	owner, err := s.h.core.AccountByName(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(label string) string {
		c, err := s.h.core.CreateRequest(ctx, owner.ID, core.RequestInput{Label: label, Note: "please", Accepts: core.AcceptsAny, TTL: "1h"})
		if err != nil {
			t.Fatal(err)
		}
		return components.RequestRowID(c.Request.ID)
	}
	withdrawn := mk("old VPN key")
	id, _ := strconv.ParseInt(withdrawn[len("request-"):], 10, 64)
	if _, err := s.h.core.RevokeRequest(ctx, owner.ID, id); err != nil {
		t.Fatal(err)
	}
	waiting := mk("staging db")

	bctx := browsertest.New(t)
	signInAndLeave(t, bctx, s.URL)
	const (
		top   = `(document.querySelector("#request-rows > tr") || {}).id`
		rows  = `Array.from(document.querySelectorAll("#request-rows > tr"), r => r.id).join(" ")`
		shown = `(sel => { const el = document.querySelector(sel); return !!el && getComputedStyle(el).display !== "none"; })`
		idle  = ` && !document.querySelector(".htmx-request")`
	)
	choose := func(b *tab, status string) {
		t.Helper()
		b.do(chromedp.Evaluate[chromedp.Void](`(function () {
			var s = document.getElementById("request-status");
			s.value = "` + status + `";
			s.dispatchEvent(new Event("change", { bubbles: true }));
		})()`))
		b.wait(`location.search === "?status=`+status+`"`+idle, 2*time.Second)
	}
	b := watchedTab(t, bctx, s)
	b.open("/requests", "[data-testid=request-filters]")
	b.wait(`window.__opens === 1`, 5*time.Second)
	if got := eval[string](b, rows); got != waiting+" "+withdrawn {
		t.Fatalf("all requests: %q", got)
	}

	// The choice swaps the list, in place: the page and its stream stay.
	b.do(chromedp.Evaluate[chromedp.Void](`window.__samePage = true`))
	choose(b, "revoked")
	if got := eval[string](b, rows); got != withdrawn {
		t.Errorf("the withdrawn requests: %q", got)
	}
	choose(b, "fulfilled")
	if got := eval[string](b, rows); got != "" || !eval[bool](b, shown+`("[data-testid=no-requests]")`) ||
		eval[string](b, `document.querySelector("[data-testid=no-requests]").textContent.replace(/\s+/g, " ").trim()`) != "No fulfilled requests. Show all requests" {
		t.Errorf("the fulfilled requests: rows %q, or the list does not say there are none", got)
	}
	choose(b, "revoked")

	// Under Withdrawn, a request made by a script does not arrive.
	first := components.RequestRowID(s.apiRequest("ada", `{"label":"VPN key","accepts":"text","ttl":"2d"}`))
	time.Sleep(500 * time.Millisecond) // time for a row that must not come
	if got := eval[string](b, rows); got != withdrawn {
		t.Errorf("under Withdrawn, after a new request: %q", got)
	}

	// Under Open, the next one arrives at the top.
	choose(b, "open")
	if got := eval[string](b, rows); got != first+" "+waiting {
		t.Errorf("the open requests: %q", got)
	}
	next := components.RequestRowID(s.apiRequest("ada", `{"label":"server key","accepts":"file","ttl":"1h"}`))
	if took := b.wait(top+` === `+strconv.Quote(next), time.Second); took > time.Second {
		t.Errorf("the script's request took %v to appear", took)
	}
	// One withdrawn meanwhile stays where it is, withdrawn.
	id, _ = strconv.ParseInt(waiting[len("request-"):], 10, 64)
	if _, err := s.h.core.RevokeRequest(ctx, owner.ID, id); err != nil {
		t.Fatal(err)
	}
	b.wait(`document.getElementById("`+waiting+`").dataset.status === "revoked"`, time.Second)
	if got := eval[string](b, rows); got != next+" "+first+" "+waiting || !eval[bool](b, `window.__samePage === true && window.__opens === 1`) {
		t.Errorf("under Open, after a withdrawal: %q, or the page was loaded again", got)
	}
	browsertest.Shoot(t, b.ctx, "requests-filter")

	// The address keeps the choice: loaded again, the page shows the same.
	b.open("/requests?status=open", "[data-testid=request-filters]")
	if eval[string](b, `document.getElementById("request-status").value`) != "open" || eval[string](b, rows) != next+" "+first {
		t.Errorf("/requests?status=open: the filter %q, rows %q", eval[string](b, `document.getElementById("request-status").value`), eval[string](b, rows))
	}

	// In Arabic, right to left, with nothing that matches.
	b.chooseLanguage("/requests?status=fulfilled", "ar")
	b.wait(`location.search === "?status=fulfilled"`, time.Second)
	if !eval[bool](b, shown+`("[data-testid=no-requests]")`) {
		t.Error("in Arabic, the fulfilled requests do not say there are none")
	}
	browsertest.Shoot(t, b.ctx, "requests-filter-none-ar")
	choose(b, "revoked")
	browsertest.Shoot(t, b.ctx, "requests-filter-ar")
	b.clean("requests filter")
}
