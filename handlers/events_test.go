package handlers

import (
	"bufio"
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"oncelink/core"
	"oncelink/live"
)

// sseEvent is one server-sent event, or a comment (name ":"). id is the
// stream's last event id once it has arrived, which a browser would send
// as Last-Event-ID on reconnecting.
type sseEvent struct {
	name, data, id string
}

// sseStream is an open GET /links/events.
type sseStream struct {
	t      testing.TB
	res    *http.Response
	events chan sseEvent
}

// stream opens the event stream of the client's dashboard, as the page
// gives it, and reads it in the background.
func (c *testClient) stream() *sseStream {
	c.t.Helper()
	return c.streamAt(c.streamPath())
}

var streamPattern = regexp.MustCompile(`sse-connect="([^"]+)"`)

// streamPath is the event stream's path that the dashboard gives.
func (c *testClient) streamPath() string {
	c.t.Helper()
	return c.streamOf("/links")
}

// streamOf is the event stream's path that the page at path gives.
func (c *testClient) streamOf(path string) string {
	c.t.Helper()
	m := streamPattern.FindStringSubmatch(c.get(path).body)
	if m == nil {
		c.t.Fatalf("no event stream on %s", path)
	}
	return html.UnescapeString(m[1])
}

// streamAt opens the event stream at path.
func (c *testClient) streamAt(path string) *sseStream {
	c.t.Helper()
	return c.resume(path, "")
}

// resume opens the event stream at path as a browser does when it
// reconnects after a break: with the last event id it received, if any.
func (c *testClient) resume(path, lastEventID string) *sseStream {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		c.t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &sseStream{t: c.t, res: res, events: make(chan sseEvent, 100)}
	c.t.Cleanup(func() { res.Body.Close() })
	go s.read()
	return s
}

func (s *sseStream) read() {
	defer close(s.events)
	sc := bufio.NewScanner(s.res.Body)
	sc.Buffer(nil, 1<<20)
	var ev sseEvent
	var data []string
	lastID, hasID := "", false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.name != "" || data != nil || hasID {
				ev.data, ev.id = strings.Join(data, "\n"), lastID
				s.events <- ev
			}
			ev, data, hasID = sseEvent{}, nil, false
		case strings.HasPrefix(line, "id: "):
			lastID, hasID = line[len("id: "):], true
		case strings.HasPrefix(line, ":"):
			s.events <- sseEvent{name: ":", data: strings.TrimSpace(line[1:])}
		case strings.HasPrefix(line, "event: "):
			ev.name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = append(data, line[len("data: "):])
		}
	}
}

// next returns the next event that is not a comment, the clock or a mark.
func (s *sseStream) next() sseEvent {
	s.t.Helper()
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				s.t.Fatal("the event stream ended")
			}
			if ev.name == ":" || ev.name == "clock" || ev.name == "mark" || ev.name == "beat" {
				continue
			}
			return ev
		case <-time.After(5 * time.Second):
			s.t.Fatal("no event within 5s")
		}
	}
}

// mark returns the mark that comes next, after what what brought: the id
// it carries, which is also its data.
func (s *sseStream) mark(what string) string {
	s.t.Helper()
	ev := s.await("the mark after "+what, func(ev sseEvent) bool { return ev.name == "mark" })
	if ev.id == "" || ev.id != ev.data {
		s.t.Fatalf("the mark after %s: %+v, want its mark as its id and data", what, ev)
	}
	return ev.id
}

// await returns the first event, comments and the clock included, that ok
// accepts.
func (s *sseStream) await(what string, ok func(sseEvent) bool) sseEvent {
	s.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, open := <-s.events:
			if !open {
				s.t.Fatalf("the event stream ended before %s", what)
			}
			if ok(ev) {
				return ev
			}
		case <-deadline:
			s.t.Fatalf("no %s within 5s", what)
		}
	}
}

// ended waits for the stream to end, failing on any event but comments
// and the clock.
func (s *sseStream) ended() {
	s.t.Helper()
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return
			}
			if ev.name != ":" && ev.name != "clock" && ev.name != "mark" {
				s.t.Fatalf("event %q before the end", ev.name)
			}
		case <-time.After(5 * time.Second):
			s.t.Fatal("the event stream did not end within 5s")
		}
	}
}

var rowIDPattern = regexp.MustCompile(`id="link-(\d+)"`)

// linkID returns the id of the link that the dashboard's first row shows.
func (c *testClient) firstRowID() string {
	c.t.Helper()
	m := rowIDPattern.FindStringSubmatch(c.get("/links").body)
	if m == nil {
		c.t.Fatal("no row on the dashboard")
	}
	return m[1]
}

func TestEventStreamCarriesTheOwnersRows(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	bob := s.user("bob")
	annStream, bobStream := ann.stream(), bob.stream()

	link := ann.createLink(url.Values{"label": {"vault code"}, "max_uses": {"3"}})
	id := ann.firstRowID()
	ev := annStream.next()
	if ev.name != "created" || !strings.Contains(ev.data, `id="link-`+id+`"`) || !strings.Contains(ev.data, "vault code") {
		t.Fatalf("after create: %+v", ev)
	}

	recipient := s.client()
	steps := []struct {
		name string
		do   func()
		want []string
	}{
		{"page view", func() { recipient.get(link) }, []string{`data-status="active"`, "1 page view", "Opened 0 of 3"}},
		{"use", func() { recipient.post(link, nil) }, []string{`data-status="active"`, "Opened 1 of 3"}},
		{"another use", func() { s.client().post(link, nil) }, []string{`data-status="active"`, "Opened 2 of 3"}},
		{"revoke", func() { ann.htmx(http.MethodPost, "/links/"+id+"/revoke", nil) }, []string{`data-status="revoked"`, "Opened 2 of 3"}},
	}
	for _, step := range steps {
		step.do()
		ev := annStream.next()
		if ev.name != "link-"+id {
			t.Fatalf("%s: event %q, want link-%s", step.name, ev.name, id)
		}
		for _, w := range step.want {
			if !strings.Contains(ev.data, w) {
				t.Errorf("%s: row lacks %q: %s", step.name, w, ev.data)
			}
		}
	}

	// Bob saw none of it: the first event he gets is about his own link.
	bob.createLink(nil)
	if ev := bobStream.next(); ev.name != "created" || strings.Contains(ev.data, "vault code") || !strings.Contains(ev.data, `id="link-`+bob.firstRowID()+`"`) {
		t.Fatalf("bob's first event: %+v", ev)
	}
}

// A page says which event it was drawn after; a stream opened for it says
// "stale" when later events may be missing from the page, and only then.
// TestLinkPageStreamsCarryTheirLinkAlone: the stream of an owner's page
// about one link, its details or its address, sends that page's part of
// the link, as the event named after it, and nothing of the owner's other
// links; a stream of another owner's link, or of no link, is not found.
func TestLinkPageStreamsCarryTheirLinkAlone(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	bob := s.user("bob")
	mine := ada.createLink(url.Values{"label": {"mine"}, "max_uses": {"2"}})
	other := ada.createLink(url.Values{"label": {"other"}})
	bobs := itoa(linkOf(t, s, bob.createLink(url.Values{"label": {"bob's"}})).ID)
	id := itoa(linkOf(t, s, mine).ID)
	details := ada.streamAt(ada.streamOf("/links/" + id))
	own := ada.streamAt(ada.streamOf(mine[len(s.URL):]))
	s.client().get(other)
	s.client().get(mine)
	for _, st := range []struct {
		stream *sseStream
		part   string
	}{{details, `data-testid="link-details"`}, {own, `data-testid="own-state"`}} {
		ev := st.stream.next()
		if ev.name != "link-"+id || !strings.Contains(ev.data, st.part) || strings.Contains(ev.data, "other") {
			t.Fatalf("event %+v, want link-%s with %s", ev, id, st.part)
		}
	}
	for _, path := range []string{"?link=" + bobs, "?own=" + bobs, "?link=x", "?own=0", "?link=" + id + "&own=" + id} {
		if res := ada.request(http.MethodHead, "/links/events"+path, nil, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("the stream at %s: %d, want 404", path, res.StatusCode)
		}
	}
}

// TestLinkPageStreamCatchesUp: a page about one link whose stream opens
// after what the page shows has changed gets the link as it stands at
// once, in place of the dashboard's stale.
func TestLinkPageStreamCatchesUp(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	link := ada.createLink(url.Values{})
	id := itoa(linkOf(t, s, link).ID)
	path := ada.streamOf("/links/" + id)
	s.client().get(link)
	stream := ada.streamAt(path)
	ev := stream.next()
	if ev.name != "link-"+id || !strings.Contains(ev.data, `data-kind="view"`) {
		t.Fatalf("event %+v, want link-%s with its view", ev, id)
	}
	stream.mark("the link's part")
}

func TestEventStreamSaysWhenThePageIsStale(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	path := ann.streamPath()
	if !strings.HasPrefix(path, "/links/events?after=") {
		t.Fatalf("stream path %q", path)
	}
	fresh := ann.streamAt(path)
	ann.createLink(nil)
	if ev := fresh.next(); ev.name != "created" {
		t.Fatalf("a stream opened for a current page began with %+v", ev)
	}

	// The page was drawn before that create: its stream must say so.
	if ev := ann.streamAt(path).next(); ev.name != "stale" || ev.data == "" {
		t.Fatalf("a stream opened for an earlier page began with %+v", ev)
	}
	for _, other := range []string{"/links/events", "/links/events?after=x", "/links/events?after=" + strings.Repeat("z", 8) + ".0"} {
		if ev := ann.streamAt(other).next(); ev.name != "stale" {
			t.Errorf("%s began with %+v", other, ev)
		}
	}

	// A browser that reconnects after a break sends the id of the last
	// event it received: the stream is stale only if more came since.
	live := ann.streamAt(ann.streamPath())
	ann.createLink(nil)
	if created := live.next(); created.name != "created" {
		t.Fatalf("the create's event: %+v", created)
	}
	seen := live.mark("the create")
	resumed := ann.resume(path, seen)
	ann.createLink(nil)
	if ev := resumed.next(); ev.name != "created" {
		t.Fatalf("a stream resumed after its last event began with %+v", ev)
	}
	if ev := ann.resume(path, seen).next(); ev.name != "stale" {
		t.Fatalf("a stream resumed after a missed create began with %+v", ev)
	}
	// stale carries the mark it found, which comes after it, and the page
	// reads its list again: a stream resumed from there is current.
	behind := ann.streamAt(path)
	stale := behind.next()
	if stale.name != "stale" || stale.id != "" {
		t.Fatalf("stale: %+v, want it without an id", stale)
	}
	if m := behind.mark("stale"); m != stale.data {
		t.Fatalf("the mark after stale: %q, want stale's %q", m, stale.data)
	}
	resumed = ann.resume(path, stale.data)
	ann.createLink(nil)
	if ev := resumed.next(); ev.name != "created" {
		t.Fatalf("a stream resumed from stale's mark began with %+v", ev)
	}
	// An event that sends nothing, such as another session's sign-out,
	// still sends its mark.
	resumed.mark("the create")
	s.signIn("ada").post("/logout", nil)
	alone := resumed.mark("the sign-out elsewhere")
	resumed = ann.resume(path, alone)
	ann.createLink(nil)
	if ev := resumed.next(); ev.name != "created" {
		t.Fatalf("a stream resumed after a sign-out elsewhere began with %+v", ev)
	}
	// A page's script that opens its stream anew, as a tab shown again
	// does, gives the last mark it received as after, in place of the
	// page's own: the stream is as current as one resumed from that mark.
	last := resumed.mark("the create")
	reopened := ann.streamAt("/links/events?after=" + url.QueryEscape(last))
	ann.createLink(nil)
	if ev := reopened.next(); ev.name != "created" {
		t.Fatalf("a stream opened anew after the last mark began with %+v", ev)
	}
	// Another owner's events leave Bob's page current.
	bob := s.user("bob")
	bobPath := bob.streamPath()
	ann.createLink(nil)
	bobStream := bob.streamAt(bobPath)
	bob.createLink(nil)
	if ev := bobStream.next(); ev.name != "created" {
		t.Fatalf("bob's stream began with %+v", ev)
	}
}

func TestEventStreamOpensWithRetryAndClock(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/links/events", nil)
	res, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("X-Accel-Buffering") != "no" {
		t.Errorf("headers: %v", res.Header)
	}
	want := "retry: 2000\n\nevent: clock\ndata: " + strconv.FormatInt(s.clock.Now().UnixMilli(), 10) + "\n\n"
	got := make([]byte, len(want))
	if _, err := io.ReadFull(res.Body, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("stream opens with %q, want %q", got, want)
	}
}

// TestHeadOfTheEventStream: a HEAD of the dashboard's stream answers a
// GET's headers and ends, signed in or not, so that the request sent next
// on its connection is answered.
func TestHeadOfTheEventStream(t *testing.T) {
	s := newTestServer(t)
	for name, c := range map[string]*testClient{"signed in": s.admin(), "signed out": s.client()} {
		res := c.request(http.MethodHead, "/links/events", nil, nil)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("%s: HEAD of the stream: %d %q", name, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if res := c.get("/healthz"); res.StatusCode != http.StatusOK {
			t.Fatalf("%s: the next request: %d", name, res.StatusCode)
		}
	}
}

func TestEventStreamEndsWithItsSession(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	annStream := ann.stream()
	// Another session of the same account signs out: this one holds.
	other := s.client()
	if res := other.post("/login", url.Values{"username": {"ada"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	other.post("/logout", nil)
	ann.createLink(nil)
	if ev := annStream.next(); ev.name != "created" {
		t.Fatalf("after another session signed out: %+v", ev)
	}

	ann.post("/logout", nil)
	if ev := annStream.next(); ev.name != "signed-out" || !strings.Contains(ev.data, `href="/login?next=%2Flinks"`) {
		t.Fatalf("after sign-out: %+v", ev)
	}
	annStream.ended()

	// A stream without a session says so at once, and ends.
	st := s.client().streamAt("/links/events")
	if ev := st.next(); ev.name != "signed-out" {
		t.Fatalf("signed-out client: %+v", ev)
	}
	st.ended()
}

func TestDisablingAnAccountEndsItsStreams(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	bob := s.user("bob")
	bobStream := bob.stream()
	if res := admin.post("/accounts/"+admin.accountID("bob")+"/disable", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d %s", res.StatusCode, res.body)
	}
	if ev := bobStream.next(); ev.name != "signed-out" {
		t.Fatalf("after disable: %+v", ev)
	}
	bobStream.ended()
	if res := bob.get("/links"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("disabled account's session still works: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestHeartbeatEndsAnExpiredSession(t *testing.T) {
	s := newTestServer(t)
	s.h.heartbeat = 20 * time.Millisecond
	c := s.admin()
	st := c.stream()
	for heard := false; !heard; {
		select {
		case ev, ok := <-st.events:
			if !ok {
				t.Fatal("the stream ended before a heartbeat")
			}
			if ev.name == "beat" && ev.data != "20" {
				t.Fatalf("a beat says %q, want how often it comes, 20 ms", ev.data)
			}
			heard = ev.name == "beat"
		case <-time.After(5 * time.Second):
			t.Fatal("no heartbeat")
		}
	}
	// The session expires in the store, as scs's cleanup would see it.
	if _, err := s.store.SessionDB().Exec(`DELETE FROM sessions`); err != nil {
		t.Fatal(err)
	}
	if ev := st.next(); ev.name != "signed-out" {
		t.Fatalf("after the session expired: %+v", ev)
	}
	st.ended()
}

func TestEndStreamsEndsOpenAndNewStreams(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	first, second := c.stream(), c.stream()
	s.h.EndStreams()
	first.ended()
	second.ended()
	c.stream().ended()
}

func TestEventStreamSendsExpiries(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.MinTTL = time.Second })
	// Expiry needs time to pass for real here.
	s.h.core.Now, s.store.Now = time.Now, time.Now
	c := s.admin()
	st := c.stream()
	c.createLink(url.Values{"ttl": {"1h"}, "label": {"later"}})
	c.createLink(url.Values{"ttl": {"1s"}, "label": {"soon"}})
	soon := c.firstRowID()
	for range 2 {
		if ev := st.next(); ev.name != "created" {
			t.Fatalf("event %+v, want created", ev)
		}
	}
	start := time.Now()
	ev := st.next()
	if ev.name != "link-"+soon || !strings.Contains(ev.data, `data-status="expired"`) {
		t.Fatalf("event %+v, want link-%s expired", ev, soon)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("the expiry came %v after create", d)
	}
}

func TestSharedRowsBuildOncePerEvent(t *testing.T) {
	var rows sharedRows
	var builds atomic.Int32
	build := func(ctx context.Context) (string, error) {
		builds.Add(1)
		time.Sleep(10 * time.Millisecond)
		return "<tr>", ctx.Err()
	}
	// The first asker, which builds the row, goes away at once; the others
	// still get the row.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	var wg sync.WaitGroup
	wg.Go(func() { rows.render(gone, live.Event{ID: 1}, "row", build) })
	for builds.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for i := range 20 {
		wg.Go(func() {
			html, err := rows.render(context.Background(), live.Event{ID: 1}, "row", build)
			if html != "<tr>" || err != nil {
				t.Errorf("asker %d got %q, %v", i, html, err)
			}
		})
	}
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Fatalf("%d builds for one event", n)
	}
	rows.render(context.Background(), live.Event{ID: 2}, "row", build)
	if n := builds.Load(); n != 2 {
		t.Fatalf("another event shared the first one's row")
	}
	// A page about the link gets its own part of the same event.
	rows.render(context.Background(), live.Event{ID: 2}, "own", build)
	if n := builds.Load(); n != 3 {
		t.Fatalf("a page's part shared the event's row")
	}
	// Only the latest maxSharedRows events are kept.
	for id := uint64(3); id < 3+maxSharedRows; id++ {
		rows.render(context.Background(), live.Event{ID: id}, "row", func(context.Context) (string, error) { return "", nil })
	}
	if len(rows.byEvent) != maxSharedRows {
		t.Errorf("%d rows kept, want %d", len(rows.byEvent), maxSharedRows)
	}
	rows.render(context.Background(), live.Event{ID: 1}, "row", build)
	if n := builds.Load(); n != 4 {
		t.Errorf("a forgotten event's row was not built again")
	}
}

// stalledBroker holds every publish until released, as a stalled database
// would hold a NOTIFY.
type stalledBroker struct {
	live.Local
	release chan struct{}
}

func (b *stalledBroker) Publish(ctx context.Context, e live.Event) error {
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.Local.Publish(ctx, e)
}

// A new link's URL, and an opened link's content, reach the browser whole
// while the dashboards are still being told.
func TestAnswersDoNotWaitForThePublish(t *testing.T) {
	broker := &stalledBroker{release: make(chan struct{})}
	s := newTestServer(t, func(c *core.Config) { c.Broker = broker })
	t.Cleanup(func() { close(broker.release) })
	owner := s.admin()
	// post sends a form off the test's goroutine and gives its answer
	// within two seconds, or fails the test.
	post := func(c *testClient, u string, form url.Values) (int, string) {
		t.Helper()
		type answer struct {
			status int
			body   string
			err    error
		}
		ch := make(chan answer, 1)
		go func() {
			res, err := c.c.PostForm(u, form)
			if err != nil {
				ch <- answer{err: err}
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			ch <- answer{res.StatusCode, string(b), err}
		}()
		select {
		case a := <-ch:
			if a.err != nil {
				t.Fatal(a.err)
			}
			return a.status, a.body
		case <-time.After(2 * time.Second):
			t.Fatalf("POST %s waited for the dashboards to be told", u)
		}
		return 0, ""
	}
	status, body := post(owner, s.URL+"/links", url.Values{"kind": {"message"}, "message": {"not held up"}, "ttl": {"1h"}})
	link := linkURLPattern.FindString(body)
	if status != http.StatusCreated || link == "" {
		t.Fatalf("create: %d %s", status, body)
	}
	// The recipient's browser has connections of its own: the owner's is
	// still busy until the create's publish ends.
	recipient := s.client()
	transport := &http.Transport{}
	recipient.c.Transport = transport
	t.Cleanup(transport.CloseIdleConnections)
	if status, body := post(recipient, s.URL+link, nil); status != http.StatusOK || !strings.Contains(body, "not held up") {
		t.Fatalf("open: %d %s", status, body)
	}
}

// TestStreamsTellRefusedOpens: a wrong password and an attempt after the
// link ended, which the link's audit trail records, reach its details
// page's timeline live; the dashboard's row and the owner's view of the
// address, which show neither, are sent nothing of them; the late attempts
// told are the ones recorded, at most ten an hour; and another owner hears
// of none of it.
func TestStreamsTellRefusedOpens(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	ada := s.admin()
	bob := s.user("bob")
	link := ada.createLink(url.Values{"password": {"open sesame"}})
	id := itoa(linkOf(t, s, link).ID)
	details := ada.streamAt(ada.streamOf("/links/" + id))
	own := ada.streamAt(ada.streamOf(link[len(s.URL):]))
	dashboard, bobs := ada.stream(), bob.stream()
	kinds := func(ev sseEvent, kind string) int {
		t.Helper()
		if ev.name != "link-"+id {
			t.Fatalf("event %+v, want link-%s", ev, id)
		}
		return strings.Count(ev.data, `data-kind="`+kind+`"`)
	}

	s.client().post(link, url.Values{"password": {"not it"}})
	if n := kinds(details.next(), "wrong-password"); n != 1 {
		t.Fatalf("the details' timeline after a wrong password has %d of them, want 1", n)
	}
	// A view, which the row and the address's page do show, is the
	// first thing they hear of.
	s.client().get(link)
	if ev := dashboard.next(); ev.name != "link-"+id || !strings.Contains(ev.data, "1 page view") {
		t.Fatalf("the dashboard's first event: %+v, want the row with its view", ev)
	}
	if ev := own.next(); ev.name != "link-"+id || !strings.Contains(ev.data, `data-testid="views">1<`) {
		t.Fatalf("the address's first event: %+v, want its view", ev)
	}
	if n := kinds(details.next(), "view"); n != 1 {
		t.Fatalf("the details' timeline after a view has %d, want 1", n)
	}

	if res := s.client().post(link, url.Values{"password": {"open sesame"}}); res.StatusCode != http.StatusOK {
		t.Fatalf("the open: %d", res.StatusCode)
	}
	kinds(details.next(), "use")
	for range 12 {
		if res := s.client().post(link, url.Values{"password": {"open sesame"}}); res.StatusCode != http.StatusGone {
			t.Fatalf("a late attempt: %d", res.StatusCode)
		}
	}
	// Each event sends the timeline as it stands when the stream reads
	// it, which may have later attempts already.
	for i, seen := 1, 0; i <= 10; i++ {
		n := kinds(details.next(), "gone")
		if n < max(i, seen) {
			t.Fatalf("late attempt %d: the timeline has %d", i, n)
		}
		seen = n
	}
	// The two attempts over the bound were not recorded, nor told: what
	// comes next is the revoke.
	ada.post("/links/"+id+"/revoke", url.Values{})
	if ev := details.next(); kinds(ev, "revoke") != 1 || kinds(ev, "gone") != 10 {
		t.Fatalf("after the revoke: %s", ev.data)
	}
	for _, status := range []string{"used", "revoked"} {
		if ev := dashboard.next(); ev.name != "link-"+id || !strings.Contains(ev.data, `data-status="`+status+`"`) {
			t.Fatalf("the dashboard's row: %+v, want it %s", ev, status)
		}
	}

	bob.createLink(nil)
	if ev := bobs.next(); ev.name != "created" {
		t.Fatalf("bob's first event: %+v", ev)
	}
}

// TestLinkPageStreamSendsItsExpiry: the stream of a page about one link
// sends the page's part once that link expires, as the dashboard's sends
// its row, and nothing when another of the owner's links expires first.
func TestLinkPageStreamSendsItsExpiry(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.MinTTL = time.Second })
	// Expiry needs time to pass for real here.
	s.h.core.Now, s.store.Now = time.Now, time.Now
	c := s.admin()
	link := c.createLink(url.Values{"ttl": {"2s"}})
	c.createLink(url.Values{"ttl": {"1s"}})
	l := linkOf(t, s, link)
	id := itoa(l.ID)
	details := c.streamAt(c.streamOf("/links/" + id))
	ev := details.next()
	if ev.name != "link-"+id || !strings.Contains(ev.data, `data-status="expired"`) || !strings.Contains(ev.data, `data-kind="expired"`) {
		t.Fatalf("event %+v, want link-%s expired", ev, id)
	}
	if early := time.Until(l.ExpiresAt); early > 0 {
		t.Fatalf("the page's link was told expired %s before it did", early)
	}
}
