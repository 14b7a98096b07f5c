package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"oncelink/components"
	"oncelink/core"
)

// apiRequest makes a request with the JSON API, as a script or the command
// line does, with a key of the account name, and returns its id.
func (s *testServer) apiRequest(name, body string) int64 {
	s.t.Helper()
	key, err := s.h.core.CreateKey(s.t.Context(), accountIDOf(s.t, s, name), "script", "never")
	if err != nil {
		s.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL+"/api/v1/requests", strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key.Secret)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var made struct {
		ID int64 `json:"id"`
	}
	if err := json.NewDecoder(res.Body).Decode(&made); err != nil || res.StatusCode != http.StatusCreated {
		s.t.Fatalf("POST /api/v1/requests: %d %v", res.StatusCode, err)
	}
	return made.ID
}

// newRequestsOf returns the element of the requests page body that takes
// a request made elsewhere, at its top: the list's rows, on the first
// page; nil where nothing does.
func newRequestsOf(t *testing.T, body string) *html.Node {
	t.Helper()
	takers := findAll(parseHTML(t, body), byAttr("sse-swap", "new-request"))
	if len(takers) == 0 {
		return nil
	}
	if len(takers) > 1 || attr(takers[0], "id") != "request-rows" || attr(takers[0], "hx-swap") != "afterbegin" {
		t.Fatalf("what takes a new request: %d elements, the first %q swapping %q", len(takers), attr(takers[0], "id"), attr(takers[0], "hx-swap"))
	}
	return takers[0]
}

// TestRequestsMadeElsewhereArriveLive: a request made in another tab, or
// with the API (as the command line makes one), comes to the owner's open
// requests page within a second, as the stream's new-request event with
// its row, which the first page of the list, empty or not, takes at its
// top; an older page takes none, and another account hears nothing of it.
func TestRequestsMadeElsewhereArriveLive(t *testing.T) {
	s := newTestServer(t)
	s.withAPI()
	ann := s.admin()
	bob := s.user("bob")

	// The empty list has its line and its rows, which a new one joins.
	empty := ann.get("/requests")
	if newRequestsOf(t, empty.body) == nil || len(findAll(parseHTML(t, empty.body), byTestID("no-requests"))) != 1 {
		t.Fatalf("the empty requests page takes no new request, or does not say it is empty: %s", empty.body)
	}
	stream := ann.streamAt(ann.requestsStreamPath())
	bobStream := bob.streamAt(bob.requestsStreamPath())

	made := s.signIn("ada").post("/requests", url.Values{"label": {"from another tab"}, "accepts": {"any"}, "ttl": {"1h"}})
	if made.StatusCode != http.StatusCreated {
		t.Fatalf("the other tab's request: %d %s", made.StatusCode, made.body)
	}
	rows := findAll(parseHTML(t, made.body), byTestID("request-row"))
	if len(rows) != 1 {
		t.Fatalf("the other tab shows %d rows", len(rows))
	}
	fromTab := attr(rows[0], "id")
	ev := stream.await("the other tab's request", func(e sseEvent) bool { return e.name == "new-request" })
	if !strings.Contains(ev.data, `id="`+fromTab+`"`) || !strings.Contains(ev.data, "from another tab") || !strings.Contains(ev.data, `data-status="open"`) {
		t.Fatalf("the other tab's request came as %+v, want its row %s", ev, fromTab)
	}

	fromAPI := components.RequestRowID(s.apiRequest("ada", `{"label":"from a script","accepts":"text","ttl":"2h"}`))
	ev = stream.await("the script's request", func(e sseEvent) bool { return e.name == "new-request" })
	if !strings.Contains(ev.data, `id="`+fromAPI+`"`) || !strings.Contains(ev.data, "from a script") {
		t.Fatalf("the script's request came as %+v, want its row %s", ev, fromAPI)
	}
	// The row is the first page's: withdrawing it comes back there.
	if strings.Contains(ev.data, `name="before"`) {
		t.Errorf("the new row is drawn for an older page: %s", ev.data)
	}

	// The first page takes them; an older one does not.
	if newRequestsOf(t, ann.get("/requests").body) == nil {
		t.Error("the first page of requests takes no new request")
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(fromTab, "request-"), 10, 64)
	older := ann.get(components.RequestsPath(core.RequestsFrom(id)))
	if older.StatusCode != http.StatusOK || len(findAll(parseHTML(t, older.body), byTestID("request-row"))) != 1 {
		t.Fatalf("the page from the first request: %d %s", older.StatusCode, older.body)
	}
	if newRequestsOf(t, older.body) != nil || len(findAll(parseHTML(t, older.body), byTestID("no-requests"))) != 0 {
		t.Errorf("an older page takes new requests, or says there are none: %s", older.body)
	}

	// Bob's stream heard of neither: its first is his own.
	bob.createRequest(url.Values{"label": {"bob's own"}})
	ev = bobStream.await("bob's request", func(e sseEvent) bool { return e.name == "new-request" })
	if !strings.Contains(ev.data, "bob") || strings.Contains(ev.data, fromTab) || strings.Contains(ev.data, fromAPI) {
		t.Errorf("bob's first new request: %+v", ev)
	}
}
