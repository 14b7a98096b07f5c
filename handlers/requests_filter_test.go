package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
)

// requestsOfEachStatus makes ada four requests, one of each status, and
// returns their row ids by status.
func requestsOfEachStatus(t *testing.T, s *testServer) map[string]string {
	t.Helper()
	ctx := context.Background()
	owner, err := s.h.core.AccountByName(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(label, ttl string) core.CreatedRequest {
		c, err := s.h.core.CreateRequest(ctx, owner.ID, core.RequestInput{Label: label, Accepts: core.AcceptsAny, TTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	lapsed := mk("lapsed", "1m")
	s.clock.Advance(2 * time.Minute)
	fulfilled := mk("answered", "1h")
	if res := s.client().post(fulfilled.URL, url.Values{"message": {"the answer"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("fill a request: %d %s", res.StatusCode, res.body)
	}
	revoked := mk("withdrawn", "1h")
	if _, err := s.h.core.RevokeRequest(ctx, owner.ID, revoked.Request.ID); err != nil {
		t.Fatal(err)
	}
	open := mk("waiting", "1h")
	return map[string]string{
		"open": components.RequestRowID(open.Request.ID), "fulfilled": components.RequestRowID(fulfilled.Request.ID),
		"expired": components.RequestRowID(lapsed.Request.ID), "revoked": components.RequestRowID(revoked.Request.ID),
	}
}

// requestRowsOf are the ids of the request rows in body, in order.
func requestRowsOf(t *testing.T, body string) []string {
	t.Helper()
	var ids []string
	for _, n := range findAll(parseHTML(t, body), byTestID("request-row")) {
		ids = append(ids, attr(n, "id"))
	}
	return ids
}

// TestRequestsFilterByStatus: the requests page shows the requests of the
// status its filter names, as the API's list does, on the page itself (a
// form that needs no script) and in the list that htmx swaps; the filter
// keeps its choice, the pager keeps the filter, a filter that leaves
// nothing says so in the reader's language, and a status that is none is
// refused, readably, with nothing shown.
func TestRequestsFilterByStatus(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	ids := requestsOfEachStatus(t, s)
	all := []string{ids["open"], ids["revoked"], ids["fulfilled"], ids["expired"]} // newest first

	for _, tt := range []struct {
		status string
		want   []string
	}{
		{"", all},
		{"open", []string{ids["open"]}},
		{"fulfilled", []string{ids["fulfilled"]}},
		{"expired", []string{ids["expired"]}},
		{"revoked", []string{ids["revoked"]}},
	} {
		path := "/requests?status=" + tt.status
		page := ann.get(path)
		if page.StatusCode != http.StatusOK || fmt.Sprint(requestRowsOf(t, page.body)) != fmt.Sprint(tt.want) {
			t.Errorf("%s: %d, rows %v, want %v", path, page.StatusCode, requestRowsOf(t, page.body), tt.want)
		}
		doc := parseHTML(t, page.body)
		form := firstOf(t, doc, "request-filters")
		if attr(form, "method") != "get" || attr(form, "action") != "/requests" || attr(form, "hx-target") != "#request-list" || attr(form, "hx-replace-url") != "true" {
			t.Errorf("%s: the filter form is not a GET form that htmx swaps the list with", path)
		}
		selected := findAll(form, func(n *html.Node) bool { return n.Data == "option" && hasAttr(n, "selected") })
		if len(selected) != 1 || attr(selected[0], "value") != tt.status {
			t.Errorf("%s: the filter does not keep its choice", path)
		}
		// htmx asks for the list alone.
		list := ann.request(http.MethodGet, path, nil, http.Header{"Hx-Request": {"true"}, "Hx-Target": {"request-list"}})
		if list.StatusCode != http.StatusOK || !strings.HasPrefix(list.body, `<div id="request-list">`) ||
			fmt.Sprint(requestRowsOf(t, list.body)) != fmt.Sprint(tt.want) {
			t.Errorf("%s, as htmx asks: %d %.80s", path, list.StatusCode, list.body)
		}
	}

	// Nothing of a status: the list says so, and leads to all.
	bob := s.user("bob")
	for _, lang := range []string{"en", "de", "fr", "es", "ar"} {
		tr := i18n.For(lang)
		for _, status := range []string{"open", "fulfilled", "expired", "revoked"} {
			res := bob.getIn("/requests?status="+status, lang)
			none := firstOf(t, parseHTML(t, res.body), "no-requests")
			want := strings.Join(strings.Fields(tr.T("requests.empty."+status)+" "+tr.T("requests.empty.show_all")), " ")
			if got := strings.Join(strings.Fields(textOf(none)), " "); res.StatusCode != http.StatusOK || got != want {
				t.Errorf("%s, %s: %d, the empty list says %q, want %q", lang, status, res.StatusCode, got, want)
			}
		}
	}
	if res := bob.get("/requests?status=fulfilled"); !strings.Contains(res.body, "No fulfilled requests.") || !strings.Contains(res.body, `<a href="/requests">Show all requests</a>`) {
		t.Errorf("bob's fulfilled requests: %s", res.body)
	}

	// A status that is none is refused, readably, on the page and in the
	// list htmx asks for.
	for _, header := range []http.Header{nil, {"Hx-Request": {"true"}, "Hx-Target": {"request-list"}}} {
		res := ann.request(http.MethodGet, "/requests?status=lost", nil, header)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "There is no status &#34;lost&#34;: use open, fulfilled, expired or revoked.") ||
			len(requestRowsOf(t, res.body)) != 0 {
			t.Errorf("status lost (htmx %v): %d %s", header != nil, res.StatusCode, res.body)
		}
	}
}

// TestFilteredRequestsPagerKeepsTheFilter: the pages of a filtered list
// lead to one another with the filter.
func TestFilteredRequestsPagerKeepsTheFilter(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	owner, err := s.h.core.AccountByName(context.Background(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	for range core.DefaultPageSize + 1 {
		if _, err := s.h.core.CreateRequest(context.Background(), owner.ID, core.RequestInput{Accepts: core.AcceptsAny, TTL: "1h"}); err != nil {
			t.Fatal(err)
		}
	}
	older := attr(firstOf(t, parseHTML(t, ann.get("/requests?status=open").body), "older-requests"), "href")
	if !strings.HasPrefix(older, "/requests?before=") || !strings.HasSuffix(older, "&status=open") {
		t.Fatalf("the open requests lead to older ones at %q", older)
	}
	page := ann.get(older)
	if n := len(requestRowsOf(t, page.body)); page.StatusCode != http.StatusOK || n != 1 {
		t.Fatalf("%s: %d, %d rows", older, page.StatusCode, n)
	}
	if newest := attr(firstOf(t, parseHTML(t, page.body), "newest-requests"), "href"); newest != "/requests?status=open" {
		t.Errorf("the older open requests lead back to %q", newest)
	}
}

// TestFilteredRequestsTakeWhatTheyShow: a requests page under a filter
// keeps its stream, and takes from it what /links takes under its own: a
// request made elsewhere (open, as any new one) joins the list under All
// and Open alone, whether the page was drawn whole or its list swapped in
// by htmx; a request shown that is filled or withdrawn meanwhile stays in
// its row, with its new status, though the filter no longer matches it.
func TestFilteredRequestsTakeWhatTheyShow(t *testing.T) {
	s := newTestServer(t)
	s.withAPI()
	ann := s.admin()
	ann.createRequest(url.Values{"label": {"waiting"}})
	answered := ann.createRequest(url.Values{"label": {"answered"}})
	rows := requestRowsOf(t, ann.get("/requests").body)
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	answeredRow, waitingRow := rows[0], rows[1]

	takes := map[string]bool{"": true, "open": true, "fulfilled": false, "expired": false, "revoked": false}
	for status, want := range takes {
		page := ann.get("/requests?status=" + status)
		list := ann.request(http.MethodGet, "/requests?status="+status, nil, http.Header{"Hx-Request": {"true"}, "Hx-Target": {"request-list"}})
		for what, body := range map[string]string{"the page": page.body, "the list htmx swaps": list.body} {
			if got := newRequestsOf(t, body) != nil; got != want {
				t.Errorf("status %q, %s: takes new requests %v, want %v", status, what, got, want)
			}
		}
		// The page listens to the stream whatever its filter.
		if m := streamPattern.FindStringSubmatch(page.body); m == nil || !strings.HasPrefix(m[1], "/links/events?after=") {
			t.Errorf("status %q: the page has no event stream", status)
		}
	}

	// The open requests, as a page drawn now shows them, with its stream.
	openPage := ann.get("/requests?status=open")
	stream := ann.streamAt(strings.ReplaceAll(streamPattern.FindStringSubmatch(openPage.body)[1], "&amp;", "&"))
	listening := func(row string) bool {
		n := findAll(parseHTML(t, openPage.body), byAttr("id", row))
		return len(n) == 1 && attr(n[0], "sse-swap") == row && attr(n[0], "hx-swap") == "outerHTML"
	}
	if fmt.Sprint(requestRowsOf(t, openPage.body)) != fmt.Sprint([]string{answeredRow, waitingRow}) || !listening(answeredRow) || !listening(waitingRow) {
		t.Fatalf("the open requests: %s", openPage.body)
	}

	// One made by a script comes as new-request, open: the open requests
	// take it, the fulfilled ones do not (above).
	made := components.RequestRowID(s.apiRequest("ada", `{"label":"from a script","accepts":"text","ttl":"2h"}`))
	ev := stream.await("the script's request", func(e sseEvent) bool { return e.name == "new-request" })
	if !strings.Contains(ev.data, `id="`+made+`"`) || !strings.Contains(ev.data, `data-status="open"`) {
		t.Fatalf("the script's request came as %+v", ev)
	}

	// Filled and withdrawn, the open requests' rows come again with their
	// new status, in place.
	if res := s.client().post(answered, url.Values{"message": {"here it is"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("fill: %d", res.StatusCode)
	}
	ev = stream.await("the filled request", func(e sseEvent) bool { return e.name == answeredRow })
	if !strings.Contains(ev.data, `id="`+answeredRow+`"`) || !strings.Contains(ev.data, `data-status="fulfilled"`) {
		t.Errorf("the filled request came as %+v", ev)
	}
	id := strings.TrimPrefix(waitingRow, "request-")
	if res := ann.post("/requests/"+id+"/revoke", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", res.StatusCode)
	}
	ev = stream.await("the withdrawn request", func(e sseEvent) bool { return e.name == waitingRow })
	if !strings.Contains(ev.data, `id="`+waitingRow+`"`) || !strings.Contains(ev.data, `data-status="revoked"`) {
		t.Errorf("the withdrawn request came as %+v", ev)
	}
	// Read again, the open requests are the script's alone.
	if got := requestRowsOf(t, ann.get("/requests?status=open").body); fmt.Sprint(got) != fmt.Sprint([]string{made}) {
		t.Errorf("the open requests, read again: %v", got)
	}
}
