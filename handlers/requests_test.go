package handlers

import (
	"bytes"
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
)

var requestURLPattern = regexp.MustCompile(`/r/[A-Za-z0-9_-]{43}`)

// createRequest makes a request on the requests page and returns its path.
func (c *testClient) createRequest(fields url.Values) string {
	c.t.Helper()
	form := url.Values{"note": {"the VPN password, please"}, "accepts": {"any"}, "ttl": {"1h"}, "label": {"vpn"}}
	for k, v := range fields {
		form[k] = v
	}
	res := c.post("/requests", form)
	if res.StatusCode != http.StatusCreated {
		c.t.Fatalf("create request: %d %s", res.StatusCode, res.body)
	}
	path := requestURLPattern.FindString(res.body)
	if path == "" {
		c.t.Fatalf("no request URL in %s", res.body)
	}
	return path
}

func TestRequestIsFilledOnceAndOnlyTheOwnerReadsIt(t *testing.T) {
	// Without the rate limits, which would hold most of the 50 back.
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	ann := s.admin()
	stream := ann.streamAt(ann.requestsStreamPath())
	req := ann.createRequest(nil)
	// Its status is a badge, as a link's is, and it counts down to its
	// expiry, keeping what it says once expired.
	if page := ann.get("/requests"); !strings.Contains(page.body, `data-status="open"`) || !strings.Contains(page.body, `data-testid="request-when"><span class="expires"><template data-then>Expired <time`) ||
		!strings.Contains(page.body, `<span class="badge open" data-testid="request-status" data-expired="expired">open</span>`) {
		t.Fatalf("requests page: %s", page.body)
	}

	// Looks never fill it: a sender's, twice, and the owner's.
	sender := s.client()
	for range 2 {
		res := sender.get(req)
		if res.StatusCode != http.StatusOK || !strings.Contains(res.body, "the VPN password, please") || !strings.Contains(res.body, `data-testid="send-form"`) {
			t.Fatalf("sender's look: %d %s", res.StatusCode, res.body)
		}
		// The page and its Send button are told apart.
		if n := strings.Count(res.body, `data-testid="send"`); n != 1 || !strings.Contains(res.body, `data-testid="send-page"`) {
			t.Fatalf("sender's look has %d elements marked send, and the page marked send-page: %v", n, strings.Contains(res.body, `data-testid="send-page"`))
		}
	}
	if res := ann.get(req); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-status="open"`) && !strings.Contains(res.body, ">open<") {
		t.Fatalf("owner's look before: %d %s", res.StatusCode, res.body)
	}
	if res := ann.post(req+"/open", nil); res.StatusCode != http.StatusConflict {
		t.Fatalf("owner's open before anything was sent: %d", res.StatusCode)
	}

	// 50 senders at once: exactly one fills it.
	const secret = "hunter2 correct horse 51b0"
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range 50 {
		wg.Go(func() {
			res := s.client().post(req, url.Values{"message": {secret}})
			mu.Lock()
			statuses[res.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[http.StatusSeeOther] != 1 || statuses[http.StatusGone] != 49 {
		t.Fatalf("answers to 50 senders: %v, want one 303 and 49 410", statuses)
	}

	// The owner's list shows it filled, live.
	ev := stream.await("the request's row", func(e sseEvent) bool { return strings.HasPrefix(e.name, "request-") })
	if !strings.Contains(ev.data, `data-status="fulfilled"`) || !strings.Contains(ev.data, `data-testid="request-when">Sent <time`) {
		t.Fatalf("live row: %+v", ev)
	}
	if res := sender.get(req); res.StatusCode != http.StatusGone {
		t.Fatalf("a look after: %d", res.StatusCode)
	}
	if res := sender.post(req, url.Values{"message": {"again"}}); res.StatusCode != http.StatusGone {
		t.Fatalf("a send after: %d", res.StatusCode)
	}
	if res := sender.post(req+"/open", nil); res.StatusCode != http.StatusGone {
		t.Fatalf("a sender's open: %d", res.StatusCode)
	}
	// The request took a message or a file: its owner is told which came.
	if res := ann.get(req); !strings.Contains(res.body, `data-testid="sent-what">Someone sent a message.`) {
		t.Fatalf("owner's page once a message was sent: %s", res.body)
	}
	bob := s.user("bob")
	if res := bob.post(req+"/open", nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("another account's open: %d", res.StatusCode)
	}

	// The database holds no plaintext of what was sent.
	s.store.Close()
	var db []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(s.dbPath + suffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		db = append(db, b...)
	}
	if bytes.Contains(db, []byte(secret)) {
		t.Fatal("the database file holds what was sent")
	}
}

// TestAnotherAccountOpensNoRequest: an account that opens what was sent to
// another's request, from the owner's page left open in a browser that
// signed in as it since, is told the same before and after anything was
// sent: it is not its to open, as the account that asked for it. It is
// never told, in the words for a sender, that it may ask for a new link.
// Someone signed out meanwhile is told, as the request's page tells them,
// that whoever asked signs in to read it, with the way to, which leads back
// to the request's page.
func TestAnotherAccountOpensNoRequest(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	req := ann.createRequest(nil)
	bob := s.user("bob")
	en := i18n.For("en")
	says := func(who string, res response, status int, want string) *html.Node {
		t.Helper()
		if res.StatusCode != status {
			t.Fatalf("%s: %d, want %d", who, res.StatusCode, status)
		}
		doc := parseHTML(t, res.body)
		if got := textOf(first(t, doc, who, byTestID("error-message"))); got != want {
			t.Errorf("%s says %q, want %q", who, got, want)
		}
		return doc
	}
	notOwner := core.ErrNotOwner.Message(en)
	says("bob's open while nothing was sent", bob.post(req+"/open", nil), http.StatusForbidden, notOwner)
	if res := s.client().post(req, url.Values{"message": {"for ann"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d", res.StatusCode)
	}
	says("bob's open once something was sent", bob.post(req+"/open", nil), http.StatusForbidden, notOwner)
	doc := says("an open signed out", s.client().post(req+"/open", nil), http.StatusGone, core.ErrRequestAnsweredSignedOut.Message(en))
	// Signing in leads back to the request's page, where its owner opens
	// what was sent, not to the start.
	if signIn := first(t, doc, "the sign-in", byTestID("sign-in-again")); attr(signIn, "href") != "/login?next="+req {
		t.Errorf("an open signed out signs in at %q, want /login?next=%s", attr(signIn, "href"), req)
	}
	// What was sent is still ann's to open.
	if res := ann.post(req+"/open", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ann's open: %d", res.StatusCode)
	}
}

func TestOwnerOpensWhatWasSentOnce(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	req := ann.createRequest(url.Values{"accepts": {"file"}})
	sender := s.client()
	if res := sender.post(req, url.Values{"message": {"text"}}); res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, `data-testid="send-form"`) {
		t.Fatalf("text to a file request: %d %s", res.StatusCode, res.body)
	}
	// Nothing was sent yet: no thanks, but the form.
	if res := sender.get(req + "/sent"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != strings.TrimPrefix(req, s.URL) {
		t.Fatalf("thanks before anything was sent: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "key.txt")
	fw.Write([]byte("file secret 9c1e"))
	mw.Close()
	res := sender.request(http.MethodPost, req, &body, http.Header{"Content-Type": {mw.FormDataContentType()}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != req+"/sent" {
		t.Fatalf("send a file: %d %s", res.StatusCode, res.body)
	}
	if res := sender.get(req + "/sent"); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-testid="sent"`) {
		t.Fatalf("thanks: %d", res.StatusCode)
	}
	if res := ann.get(req); !strings.Contains(res.body, `data-testid="open-sent"`) {
		t.Fatalf("owner's page after: %s", res.body)
	}
	res = ann.post(req+"/open", nil)
	link := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(link, "/l/") {
		t.Fatalf("owner's open: %d %s", res.StatusCode, link)
	}
	if page := ann.get(link); page.StatusCode != http.StatusOK || !strings.Contains(page.body, "key.txt") {
		t.Fatalf("the opened link: %d %s", page.StatusCode, page.body)
	} else if !strings.Contains(page.body, "<h1>Sent to your request “<bdi>vpn</bdi>”</h1>") || strings.Contains(page.body, "shared a file with you") {
		t.Errorf("what was sent is not said to answer the owner's request: %s", page.body)
	}
	if file := ann.get(link + "/file"); file.body != "file secret 9c1e" {
		t.Fatalf("the file: %d %q", file.StatusCode, file.body)
	}
	if res := ann.post(req+"/open", nil); res.StatusCode != http.StatusGone {
		t.Fatalf("second open: %d", res.StatusCode)
	}
	// The request's page no longer offers to open what was sent, but
	// leads to its link.
	if res := ann.get(req); hasTestID(t, res.body, "open-sent") || !hasTestID(t, res.body, "sent-gone") || !regexp.MustCompile(`href="/links/\d+"`).MatchString(res.body) {
		t.Fatalf("owner's page after the open: %s", res.body)
	}
}

// TestFilledRequestSaysItToEachVisitor comes back to a filled request:
// the browser that filled it is told it did, anyone else that the request
// was answered, and its owner sees how it stands. A visitor who is not
// signed in, who may be its owner, is told too how its owner reads it, and
// led to sign in and back.
func TestFilledRequestSaysItToEachVisitor(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	req := ann.createRequest(nil)
	sender, stranger, member := s.client(), s.client(), s.user("bea")
	if res := sender.post(req, url.Values{"message": {"the password"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d %s", res.StatusCode, res.body)
	}
	en := i18n.For("en")
	answered := [2]string{en.T("title.request_answered"), en.T("error.request_gone.answered")}
	signIn := [2]string{en.T("title.request_answered"), en.T("error.request_gone.answered_signed_out")}
	sent := [2]string{en.T("title.request_sent"), en.T("error.request_gone.sent")}
	for _, tt := range []struct {
		who  string
		c    *testClient
		path string
		post bool
		want [2]string
	}{
		{"a stranger's look", stranger, req, false, signIn},
		{"a stranger's look at the thanks", stranger, req + "/sent", false, signIn},
		{"a stranger's send", stranger, req, true, answered},
		{"a member's look", member, req, false, answered},
		{"a member's look at the thanks", member, req + "/sent", false, answered},
		{"the sender's look", sender, req, false, sent},
		{"the sender's second send", sender, req, true, sent},
	} {
		res := tt.c.get(tt.path)
		if tt.post {
			res = tt.c.post(tt.path, url.Values{"message": {"again"}})
		}
		page := first(t, parseHTML(t, res.body), "error", byTestID("error"))
		title, message := textOf(first(t, page, "heading", byTag("h1"))), textOf(first(t, page, "message", byTag("p")))
		if res.StatusCode != http.StatusGone || title != tt.want[0] || message != tt.want[1] {
			t.Errorf("%s: %d %q %q, want 410 %q %q", tt.who, res.StatusCode, title, message, tt.want[0], tt.want[1])
		}
		// Signing in is offered to whoever is not signed in, and leads
		// back to the request's page.
		signInLinks := findAll(page, byTestID("sign-in-again"))
		if offered := len(signInLinks) == 1; offered != (tt.want == signIn) {
			t.Errorf("%s: sign-in offered %v", tt.who, offered)
		} else if offered && attr(signInLinks[0], "href") != "/login?next="+tt.path {
			t.Errorf("%s: sign in at %q", tt.who, attr(signInLinks[0], "href"))
		}
	}
	// The owner, signed in again in a browser of their own, comes back to
	// the request and opens what was sent.
	owner := s.client()
	res := owner.post("/login?next="+url.QueryEscape(req), url.Values{"username": {"ada"}, "password": {testPassword}, "next": {req}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != req {
		t.Fatalf("the owner's sign-in: %d to %q, want %s", res.StatusCode, res.Header.Get("Location"), req)
	}
	if res := owner.get(req); res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "open-sent") {
		t.Errorf("the owner's look after signing in: %d %s", res.StatusCode, res.body)
	}
	if res := sender.get(req + "/sent"); res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "sent") {
		t.Errorf("the sender's thanks: %d %s", res.StatusCode, res.body)
	}
	if res := ann.get(req); res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "open-sent") {
		t.Errorf("the owner's look: %d %s", res.StatusCode, res.body)
	}
}

func TestWithdrawnRequestIsGone(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	req := ann.createRequest(nil)
	page := ann.get("/requests")
	m := regexp.MustCompile(`/requests/(\d+)/revoke`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no withdraw button: %s", page.body)
	}
	if res := ann.post(m[0], nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", res.StatusCode)
	}
	if res := s.client().post(req, url.Values{"message": {"late"}}); res.StatusCode != http.StatusGone {
		t.Fatalf("send to a withdrawn request: %d", res.StatusCode)
	}
	// The list says when it was withdrawn, not when it would have expired.
	if page := ann.get("/requests"); !strings.Contains(page.body, `data-testid="request-when">Withdrawn <time`) ||
		!strings.Contains(page.body, `<span class="badge revoked" data-testid="request-status">withdrawn</span>`) {
		t.Fatalf("the list after the withdrawal: %s", page.body)
	}
	if res := ann.post("/requests", url.Values{"accepts": {"video"}}); res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, `data-testid="form-error"`) {
		t.Fatalf("bad request form: %d", res.StatusCode)
	}
}

// TestEndedRequestTellsItsOwner comes to requests that ended before
// anything was sent, withdrawn and expired, by each of their addresses: the
// owner is told how the request stands in words for the owner, with the
// way back to the requests, even by a form from before it ended (the
// sender's form seen signed out, the button that opens what was sent);
// anyone else, signed out or another account, is told in the words for a
// sender, as before, and sees nothing of the request.
func TestEndedRequestTellsItsOwner(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	en := i18n.For("en")
	withdrawn := ann.createRequest(url.Values{"note": {"withdrawn note 4d2"}})
	m := regexp.MustCompile(`/requests/(\d+)/revoke`).FindStringSubmatch(ann.get("/requests").body)
	if m == nil {
		t.Fatal("no withdraw button")
	}
	withdrawnID, _ := strconv.ParseInt(m[1], 10, 64)
	if res := ann.post(m[0], nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", res.StatusCode)
	}
	withdrawnAt := s.clock.Now()
	expired := ann.createRequest(url.Values{"note": {"expired note 4d2"}, "ttl": {"15m"}})
	expiredID := withdrawnID + 1
	bea := s.user("bea")
	expiresAt := s.clock.Now().Add(15 * time.Minute)
	s.clock.Advance(time.Hour)

	for _, tt := range []struct {
		name, path string
		id         int64
		owner      string // what the owner is told
		sender     string // what anyone else is told
	}{
		{"withdrawn", withdrawn, withdrawnID, en.T("requests.own.withdrawn", "When", en.When(withdrawnAt)), en.T("error.request_gone.revoked")},
		{"expired", expired, expiredID, en.T("requests.own.expired", "When", en.When(expiresAt)), en.T("error.request_gone.expired")},
	} {
		for _, look := range []struct {
			how    string
			do     func(c *testClient) response
			status int
		}{
			{"look", func(c *testClient) response { return c.get(tt.path) }, http.StatusOK},
			{"send", func(c *testClient) response { return c.post(tt.path, url.Values{"message": {"late"}}) }, http.StatusGone},
			{"open", func(c *testClient) response { return c.post(tt.path+"/open", nil) }, http.StatusGone},
		} {
			res := look.do(ann)
			if res.StatusCode != look.status {
				t.Errorf("%s, the owner's %s: %d, want %d", tt.name, look.how, res.StatusCode, look.status)
			}
			doc := parseHTML(t, res.body)
			page := first(t, doc, tt.name+", the owner's "+look.how, byTestID("own-request"))
			if got := textOf(first(t, page, "what ended it", byTestID("request-ended"))); got != tt.owner {
				t.Errorf("%s, the owner's %s says %q, want %q", tt.name, look.how, got, tt.owner)
			}
			if back := first(t, page, "the way back", byTestID("back-to-requests")); attr(back, "href") != components.RequestRowPath(tt.id) {
				t.Errorf("%s, the owner's %s leads back to %q", tt.name, look.how, attr(back, "href"))
			}
			if strings.Contains(res.body, tt.sender) {
				t.Errorf("%s, the owner's %s is told in the words for a sender: %s", tt.name, look.how, res.body)
			}
			// Anyone else: the words for a sender, and nothing of the
			// request.
			for who, c := range map[string]*testClient{"someone signed out": s.client(), "another account": bea} {
				res := look.do(c)
				if look.how == "open" && who == "another account" {
					continue // not theirs to open, whatever its state (TestAnotherAccountOpensNoRequest)
				}
				if res.StatusCode != http.StatusGone || hasTestID(t, res.body, "own-request") || strings.Contains(res.body, "note 4d2") {
					t.Errorf("%s, %s's %s: %d %s", tt.name, who, look.how, res.StatusCode, res.body)
					continue
				}
				if got := textOf(first(t, parseHTML(t, res.body), who, byTestID("error-message"))); got != tt.sender {
					t.Errorf("%s, %s's %s says %q, want %q", tt.name, who, look.how, got, tt.sender)
				}
			}
		}
	}

	// A request answered: the owner's send is told how it stands, with
	// what was sent to open, and an open once its link was used, that it
	// was, rather than in the words for a recipient.
	filled := ann.createRequest(nil)
	if res := s.client().post(filled, url.Values{"message": {"the password"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d", res.StatusCode)
	}
	if res := ann.post(filled, url.Values{"message": {"late"}}); res.StatusCode != http.StatusGone || !hasTestID(t, res.body, "own-request") ||
		!hasTestID(t, res.body, "open-sent") || !hasTestID(t, res.body, "back-to-requests") {
		t.Errorf("the owner's send to their request answered: %d %s", res.StatusCode, res.body)
	}
	if res := ann.post(filled+"/open", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the owner's open: %d", res.StatusCode)
	}
	if res := ann.post(filled+"/open", nil); res.StatusCode != http.StatusGone || !hasTestID(t, res.body, "own-request") || !hasTestID(t, res.body, "sent-gone") {
		t.Errorf("the owner's second open: %d %s", res.StatusCode, res.body)
	}
}

// TestRequestFormSaysEveryMistake sends the request form with three
// mistakes: each is said beside its field, what was typed stays, and no
// request is made.
func TestRequestFormSaysEveryMistake(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	res := ann.post("/requests", url.Values{"note": {"the VPN password, please"}, "accepts": {"poem"}, "ttl": {"soon"}, "label": {"a\tb"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("three mistakes: %d, want 400", res.StatusCode)
	}
	en := i18n.For("en")
	doc := parseHTML(t, res.body)
	f := first(t, doc, "request form", byTestID("request-form"))
	for _, m := range []besideField{{"ttl", "error-ttl request-ttl-help", en.T("error.ttl_invalid")},
		{"label", "error-label", en.T("error.label_one_line")}} {
		input := first(t, f, m.field+" field", byAttr("name", m.field))
		if attr(input, "aria-invalid") != "true" || attr(input, "aria-describedby") != m.describedBy {
			t.Errorf("%s: aria-invalid %q, aria-describedby %q", m.field, attr(input, "aria-invalid"), attr(input, "aria-describedby"))
		}
		if msg := elementByID(f, "error-"+m.field); msg == nil || textOf(msg) != m.want {
			t.Errorf("%s: no mistake %q beside it", m.field, m.want)
		}
	}
	// The choice of what may be sent is a group of buttons: its mistake
	// is said in the group.
	if msg := elementByID(f, "error-accepts"); msg == nil || textOf(msg) != en.T("error.accepts_unknown") {
		t.Error("the choice of what may be sent does not say its mistake")
	}
	if n := len(findAll(doc, byTestID("form-error"))); n != 3 {
		t.Errorf("%d mistakes said, want 3", n)
	}
	if note := first(t, doc, "note", byAttr("name", "note")); textOf(note) != "the VPN password, please" {
		t.Errorf("the note typed is %q in the form again", textOf(note))
	}
	if list, _ := s.h.core.Requests(t.Context(), 1, core.RequestListInput{}); len(list.Requests) != 0 {
		t.Errorf("a refused form made %d requests", len(list.Requests))
	}
}

// TestRequestFormSentTwiceMakesOne sends the request form again, as a
// reload of the page that answered it does, and sends another six times at
// once, as clicks would: no second request.
func TestRequestFormSentTwiceMakesOne(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	formKey := func(page string) string {
		t.Helper()
		m := regexp.MustCompile(`name="form_key" value="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no form key in the request form")
		}
		return m[1]
	}
	key := formKey(ann.get("/requests").body)
	form := url.Values{"form_key": {key}, "note": {"the VPN password, please"}, "accepts": {"any"}, "ttl": {"1h"}}
	if res := ann.post("/requests", form); res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, res.body)
	}
	again := ann.post("/requests", form)
	if again.StatusCode != http.StatusConflict || !strings.Contains(again.body, "This form was sent already") || requestURLPattern.MatchString(again.body) {
		t.Fatalf("the form sent again: %d %s", again.StatusCode, again.body)
	}
	if n := strings.Count(ann.get("/requests").body, `data-status="open"`); n != 1 {
		t.Fatalf("%d open requests, want 1", n)
	}
	form.Set("form_key", formKey(again.body))
	if made := madeOnce(t, 6, func() int { return ann.post("/requests", form).StatusCode }); made != 1 {
		t.Fatalf("one form sent six times at once made %d requests", made)
	}
	if n := strings.Count(ann.get("/requests").body, `data-status="open"`); n != 2 {
		t.Fatalf("%d open requests, want 2", n)
	}
	// A refused form keeps its key: corrected, it makes its request.
	refused := ann.post("/requests", url.Values{"form_key": {formKey(ann.get("/requests").body)}, "accepts": {"video"}})
	if refused.StatusCode != http.StatusBadRequest {
		t.Fatalf("a bad form: %d", refused.StatusCode)
	}
	if res := ann.post("/requests", url.Values{"form_key": {formKey(refused.body)}, "accepts": {"text"}}); res.StatusCode != http.StatusCreated {
		t.Fatalf("the corrected form: %d %s", res.StatusCode, res.body)
	}
}

// requestsStreamPath is the event stream's path that the requests page
// gives.
func (c *testClient) requestsStreamPath() string {
	c.t.Helper()
	m := streamPattern.FindStringSubmatch(c.get("/requests").body)
	if m == nil {
		c.t.Fatal("no event stream on the requests page")
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

// TestSendFormSaysWhatItRefuses sends a request what it does not accept:
// the form comes back saying so, though the field concerned is not one the
// form shows, and the request stays open.
func TestSendFormSaysWhatItRefuses(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	sender := s.client()
	for _, tt := range []struct {
		accepts string
		parts   []formPart
		want    string
	}{
		{"text", []formPart{filePart("notes.txt", []byte("a file"))}, "This request asks for a message, not a file."},
		{"file", []formPart{field("message", "a message")}, "This request asks for a file, not a message."},
		{"any", []formPart{field("message", " ")}, "Write a message, or choose a file, to send."},
	} {
		req := ann.createRequest(url.Values{"accepts": {tt.accepts}})
		ct, body := multipartBody(t, tt.parts)
		res := sender.request(http.MethodPost, req, bytes.NewReader(body), http.Header{"Content-Type": {ct}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, tt.want) || !strings.Contains(res.body, `data-testid="send-form"`) {
			t.Errorf("a %s request sent what it does not accept: %d, want 400 saying %q:\n%s", tt.accepts, res.StatusCode, tt.want, res.body)
		}
		if res := sender.get(req); res.StatusCode != http.StatusOK {
			t.Errorf("the %s request after the refusal: %d, want it still open", tt.accepts, res.StatusCode)
		}
	}
}

// TestSendFormSaysOneThingBeforehand: a request fills once, with one link
// of one kind, so a request that takes a message or a file takes one of
// them: its form says so before anything is sent, beside both fields, and
// a sender who sends both is refused, with that message, and nothing is
// filled. A request that takes one kind alone has no such line.
func TestSendFormSaysOneThingBeforehand(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	sender := s.client()
	either := ann.createRequest(url.Values{"accepts": {"any"}})
	page := parseHTML(t, sender.get(either).body)
	note := first(t, page, "the line that says one thing", byTestID("send-one"))
	if textOf(note) != "Send a message or a file: one of them, not both." {
		t.Errorf("the line says %q", textOf(note))
	}
	for _, id := range []string{"message", "file"} {
		if described := strings.Fields(attr(elementByID(page, id), "aria-describedby")); !slices.Contains(described, attr(note, "id")) {
			t.Errorf("the %s field is described by %v, not the line", id, described)
		}
	}
	for _, accepts := range []string{"text", "file"} {
		if body := sender.get(ann.createRequest(url.Values{"accepts": {accepts}})).body; hasTestID(t, body, "send-one") {
			t.Errorf("a request for a %s alone says to send one of two", accepts)
		}
	}

	ct, body := multipartBody(t, []formPart{field("message", "a message"), filePart("notes.txt", []byte("a file"))})
	res := sender.request(http.MethodPost, either, bytes.NewReader(body), http.Header{"Content-Type": {ct}})
	if res.StatusCode != http.StatusBadRequest || testIDText(t, res.body, "form-error") != "Send either a message or a file, not both." {
		t.Errorf("both sent: %d %q", res.StatusCode, testIDText(t, res.body, "form-error"))
	}
	if res := sender.get(either); res.StatusCode != http.StatusOK {
		t.Errorf("the request after both were sent: %d, want it still open", res.StatusCode)
	}
}

func TestRequestsPageLeadsToOlderRequests(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	oldestPath := ann.createRequest(url.Values{"label": {"the oldest"}})
	owner, err := s.h.core.AccountByName(context.Background(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	for i := range core.DefaultPageSize {
		if _, err := s.h.core.CreateRequest(context.Background(), owner.ID, core.RequestInput{Label: "later " + strconv.Itoa(i),
			Accepts: core.AcceptsAny, TTL: "1h"}); err != nil {
			t.Fatal(err)
		}
	}
	rowsOf := func(body string) []string {
		var ids []string
		for _, n := range findAll(parseHTML(t, body), byTestID("request-row")) {
			ids = append(ids, attr(n, "id"))
		}
		return ids
	}
	oldest, err := s.h.core.Requests(context.Background(), owner.ID, core.RequestListInput{Status: string(core.RequestOpen), Limit: core.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	oldestID := oldest.Requests[len(oldest.Requests)-1].ID
	oldestRow := components.RequestRowID(oldestID)

	// The first page holds the newest; the oldest is a page away.
	first := ann.get("/requests")
	rows := rowsOf(first.body)
	if first.StatusCode != http.StatusOK || len(rows) != core.DefaultPageSize || slices.Contains(rows, oldestRow) {
		t.Fatalf("first page: %d, rows %v", first.StatusCode, rows)
	}
	doc := parseHTML(t, first.body)
	if len(findAll(doc, byTestID("newest-requests"))) != 0 {
		t.Error("the first page leads to the newest requests, itself")
	}
	older := attr(firstOf(t, doc, "older-requests"), "href")
	next := ann.get(older)
	if rows := rowsOf(next.body); next.StatusCode != http.StatusOK || len(rows) != 1 || rows[0] != oldestRow {
		t.Fatalf("older page %s: %d, rows %v", older, next.StatusCode, rows)
	}
	doc = parseHTML(t, next.body)
	if len(findAll(doc, byTestID("older-requests"))) != 0 || attr(firstOf(t, doc, "newest-requests"), "href") != "/requests" {
		t.Errorf("the last page's pager: %s", next.body)
	}

	// Its own page leads to its row there.
	own := ann.get(oldestPath)
	back := attr(firstOf(t, parseHTML(t, own.body), "requests-link"), "href")
	if want := "/requests?before=" + strconv.FormatInt(oldestID+1, 10) + "#" + oldestRow; back != want {
		t.Errorf("the oldest's own page leads to %q, want %q", back, want)
	}

	// Withdrawing it there comes back to that page, at its row; a page
	// that is none withdraws nothing.
	form := firstOf(t, doc, "revoke-request").Parent
	fields := url.Values{}
	for _, in := range findAll(form, func(n *html.Node) bool { return n.Data == "input" }) {
		fields.Set(attr(in, "name"), attr(in, "value"))
	}
	if res := ann.post(attr(form, "action"), url.Values{"before": {"soon"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a withdraw from a page before soon: %d", res.StatusCode)
	}
	if res := ann.get(older); !strings.Contains(res.body, `data-status="open"`) {
		t.Errorf("the request was withdrawn from a page that is none: %s", res.body)
	}
	res := ann.post(attr(form, "action"), fields)
	if want := older + "#" + oldestRow; res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
		t.Errorf("withdraw from the older page: %d to %q, want %q", res.StatusCode, res.Header.Get("Location"), want)
	}
	if res := ann.get(older); !strings.Contains(res.body, `data-status="revoked"`) {
		t.Errorf("the older page after the withdraw: %s", res.body)
	}

	// The page a notice of the oldest leads to starts with it.
	from := ann.get(components.RequestsPath(core.RequestsFrom(oldestID)))
	if rows := rowsOf(from.body); from.StatusCode != http.StatusOK || len(rows) == 0 || rows[0] != oldestRow {
		t.Errorf("the page from the oldest: %d, rows %v", from.StatusCode, rows)
	}

	// A cursor that is none is refused, readably.
	if res := ann.get("/requests?before=soon"); res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "<h1") {
		t.Errorf("a page before soon: %d %s", res.StatusCode, res.body)
	}
}

// firstOf is n's first element marked testid.
func firstOf(t *testing.T, n *html.Node, testid string) *html.Node {
	t.Helper()
	return first(t, n, testid, byTestID(testid))
}

// TestNoticeOfAPurgedRequestSaysSo: the address that a request's notices
// lead to (its mail, the settings' deliveries) brings its owner to its
// row while the request is kept; once it is purged, it brings them to
// their requests, which say that this one is no longer kept and where
// what was sent to it went, and to nobody else's request either way.
func TestNoticeOfAPurgedRequestSaysSo(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	req := ann.createRequest(nil)
	if res := s.client().post(req, url.Values{"message": {"the secret"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d", res.StatusCode)
	}
	owner, err := s.h.core.AccountByName(context.Background(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := s.h.core.Requests(context.Background(), owner.ID, core.RequestListInput{})
	if err != nil || len(rs.Requests) != 1 {
		t.Fatalf("requests %v, %v", rs, err)
	}
	id := rs.Requests[0].ID
	row := components.RequestRowID(id)
	path := components.RequestPath(id)
	// follow is where path brings a client, after at most one redirect.
	follow := func(c *testClient) response {
		res := c.get(path)
		if res.StatusCode == http.StatusSeeOther {
			res = c.get(res.Header.Get("Location"))
		}
		return res
	}
	if res := ann.get(path); res.StatusCode == http.StatusSeeOther && !strings.HasSuffix(res.Header.Get("Location"), "#"+row) {
		t.Errorf("kept: %s leads to %s, not to the row", path, res.Header.Get("Location"))
	}
	if res := follow(ann); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `id="`+row+`"`) || strings.Contains(res.body, `data-testid="request-gone"`) {
		t.Fatalf("kept: %s: %d %s", path, res.StatusCode, res.body)
	}
	// Another account is told nothing of it.
	if res := follow(s.user("bob")); strings.Contains(res.body, `id="`+row+`"`) || res.StatusCode != http.StatusNotFound {
		t.Errorf("another account's look at %s: %d %s", path, res.StatusCode, res.body)
	}

	s.clock.Advance(31 * 24 * time.Hour)
	if _, err := s.store.Sweep(context.Background(), 10*time.Minute, 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	// A month on, the owner signs in again.
	if res := ann.post("/login", url.Values{"username": {"ada"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	res := follow(ann)
	if strings.Contains(res.body, `id="`+row+`"`) {
		t.Fatalf("purged, yet its row is there: %s", res.body)
	}
	doc := parseHTML(t, res.body)
	gone := findAll(doc, byTestID("request-gone"))
	if res.StatusCode != http.StatusNotFound || len(gone) != 1 || !strings.Contains(textOf(gone[0]), "#"+strconv.FormatInt(id, 10)) {
		t.Fatalf("purged: %s: %d, the page does not say that request #%d is gone: %s", path, res.StatusCode, id, res.body)
	}
	if links := findAll(gone[0], func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/links" }); len(links) != 1 {
		t.Errorf("the notice does not lead to the links: %s", res.body)
	}
	if len(findAll(doc, byTestID("request-form"))) == 0 && !strings.Contains(res.body, `action="/requests"`) {
		t.Errorf("the page is not the requests page: %s", res.body)
	}
	for _, p := range []string{"/requests/x", "/requests/0"} {
		if res := ann.get(p); res.StatusCode != http.StatusNotFound || !strings.Contains(res.body, "<h1") {
			t.Errorf("%s: %d %s", p, res.StatusCode, res.body)
		}
	}
}

// TestNoRequestsSaysWhatToDo: an account without requests is told, in its
// language, that a request made with the form above shows up in the list.
func TestNoRequestsSaysWhatToDo(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	for _, lang := range []string{"en", "de", "fr", "es", "ar"} {
		res := ann.getIn("/requests", lang)
		// Both are read with their spaces as one, no-break or not.
		want := strings.Join(strings.Fields(i18n.For(lang).T("requests.list.none")), " ")
		if got := strings.Join(strings.Fields(textOf(firstOf(t, parseHTML(t, res.body), "no-requests"))), " "); got != want {
			t.Errorf("%s: the empty list says %q, want %q", lang, got, want)
		}
	}
	if res := ann.get("/requests"); !strings.Contains(res.body, "with the form above") {
		t.Errorf("the empty list does not say what to do: %s", res.body)
	}
}
