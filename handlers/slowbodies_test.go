package handlers

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/token"
)

// slowRequest sends a request's head and the first bytes of its body on a
// connection of its own, as a client that trickles the rest (or never
// sends it) does; the test ends the connection.
func (s *testServer) slowRequest(method, path string, header http.Header, contentLength int, first string) net.Conn {
	s.t.Helper()
	conn, err := net.Dial("tcp", s.Listener.Addr().String())
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { conn.Close() })
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", method, path, s.Listener.Addr(), contentLength)
	for k, vs := range header {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	head.WriteString("\r\n" + first)
	if _, err := conn.Write([]byte(head.String())); err != nil {
		s.t.Fatal(err)
	}
	return conn
}

// answer reads the response on conn, failing the test when none comes
// within wait.
func answer(t *testing.T, conn net.Conn, wait time.Duration) *http.Response {
	t.Helper()
	res, err := readAnswer(conn, wait)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// readAnswer reads the response on conn, or says that none came within
// wait.
func readAnswer(conn net.Conn, wait time.Duration) (*http.Response, error) {
	conn.SetReadDeadline(time.Now().Add(wait))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, fmt.Errorf("no answer within %s: %v", wait, err)
	}
	res.Body.Close()
	return res, nil
}

// trickle writes a byte to conn every interval until stop is closed or a
// write fails, as a client that holds a connection with a slow body does.
func trickle(conn net.Conn, interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if _, err := conn.Write([]byte("a")); err != nil {
				return
			}
		}
	}
}

// A body that trickles in is cut off once its time is up, with a 408 that
// closes the connection, on every route that reads one.
func TestSlowBodiesAreCutOff(t *testing.T) {
	dir := spoolDir(t)
	s := newTestServer(t, func(c *core.Config) {
		c.FormTime = time.Second
		c.MaxUpload = 4 * token.ChunkSize
		c.RateLimits = false
	})
	owner := s.admin()
	link := owner.createLink(nil)
	u, _ := url.Parse(s.URL)
	var cookies []string
	for _, c := range owner.c.Jar.Cookies(u) {
		cookies = append(cookies, c.String())
	}
	form := http.Header{"Content-Type": {formType}}
	signedIn := http.Header{"Content-Type": {formType}, "Cookie": {strings.Join(cookies, "; ")}}
	ct, body := multipartBody(t, fileForm("slow.bin", noisy(4*token.ChunkSize)))
	upload := http.Header{"Content-Type": {ct}, "Cookie": {strings.Join(cookies, "; ")}}
	// The upload gets its form time and its size at the slowest rate.
	uploadTime := time.Second + time.Duration(len(body))*time.Second/core.MinUploadRate
	// The requests trickle at the same time, each on its own connection
	// and timed from its own start.
	type cut struct {
		res  *http.Response
		err  error
		took time.Duration
	}
	cases := []struct {
		name, path string
		header     http.Header
		length     int
		first      string
		within     time.Duration
	}{
		{"sign-in", "/login", form, 100, "username=ada", time.Second},
		{"open", strings.TrimPrefix(link, s.URL), form, 100, "password=", time.Second},
		{"create", "/links", signedIn, 100, "kind=message", time.Second},
		{"upload", "/links", upload, len(body), string(body[:len(body)/2]), uploadTime},
	}
	cuts := make([]chan cut, len(cases))
	for i, tc := range cases {
		cuts[i] = make(chan cut, 1)
		start := time.Now()
		conn := s.slowRequest(http.MethodPost, tc.path, tc.header, tc.length, tc.first)
		go func() {
			stop := make(chan struct{})
			go trickle(conn, 100*time.Millisecond, stop)
			res, err := readAnswer(conn, tc.within+5*time.Second)
			close(stop)
			cuts[i] <- cut{res, err, time.Since(start)}
		}()
	}
	answered := true
	for i, tc := range cases {
		c := <-cuts[i]
		if c.err != nil {
			t.Errorf("%s: %v", tc.name, c.err)
			answered = false
			continue
		}
		if c.res.StatusCode != http.StatusRequestTimeout || !c.res.Close {
			t.Errorf("%s: %d (close %v), want 408 and the connection closed", tc.name, c.res.StatusCode, c.res.Close)
		}
		if c.took < tc.within-100*time.Millisecond || c.took > tc.within+2*time.Second {
			t.Errorf("%s: cut off after %s, want about %s", tc.name, c.took.Round(time.Millisecond), tc.within)
		}
	}
	if !answered {
		t.FailNow()
	}
	if links, _ := s.stored(); links != 1 {
		t.Fatalf("%d links stored, want only the first", links)
	}
	assertEmptyDir(t, dir)
}

// A rate-limited post is refused before its body is read: a client held
// back is answered at once, whether or not its body ever comes.
func TestLimitsComeBeforeTheBody(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) {
		c.Rates.SignIn = core.Rate{N: 1, Per: time.Minute}
		c.Rates.Setup = core.Rate{N: 1, Per: time.Minute}
		c.Rates.Open = core.Rate{N: 1, Per: time.Minute}
	})
	form := http.Header{"Content-Type": {formType}}
	c := s.client()
	// Set-up's one attempt goes on a short password.
	if res := c.post("/setup", url.Values{"username": {"ada"}, "password": {"short"}}); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("set-up: %d", res.StatusCode)
	}
	res := answer(t, s.slowRequest(http.MethodPost, "/setup", form, 100, ""), 2*time.Second)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !res.Close {
		t.Fatalf("set-up held back, its body unsent: %d, Retry-After %q, close %v", res.StatusCode, res.Header.Get("Retry-After"), res.Close)
	}
	s.clock.Advance(time.Minute)
	owner := s.admin()
	link := owner.createLink(nil)
	if res := s.client().post("/login", url.Values{"username": {"ada"}, "password": {"wrong password"}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	if res := c.get(link); res.StatusCode != http.StatusOK {
		t.Fatalf("link page: %d", res.StatusCode)
	}
	for _, path := range []string{"/login", strings.TrimPrefix(link, s.URL)} {
		res := answer(t, s.slowRequest(http.MethodPost, path, form, 100, ""), 2*time.Second)
		if res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("%s held back, its body unsent: %d, want 429", path, res.StatusCode)
		}
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || !res.Close {
			t.Errorf("%s held back: Retry-After %q, close %v", path, res.Header.Get("Retry-After"), res.Close)
		}
	}
}

// checkUploadsHeldBack checks that res is a 429 whose held-back notice, in
// its page doc, says in lang that too many uploads are under way and to
// wait for one of them, and not that there were too many attempts.
func checkUploadsHeldBack(t *testing.T, where string, res response, doc *html.Node, lang string) {
	t.Helper()
	checkLimited(t, where, res)
	l := i18n.For(lang)
	said := textOf(first(t, doc, where+": the notice", byTestID("held-back")))
	if !strings.Contains(said, l.T("recipient.lockout.uploads_heading")) || strings.Contains(said, l.T("recipient.lockout.heading")) {
		t.Errorf("%s: the notice does not say that uploads are under way: %q", where, said)
	}
	// What it says before the wait, spaced as textOf spaces it.
	wait, _, _ := strings.Cut(l.T("recipient.lockout.uploads_wait", "Wait", "\x00"), "\x00")
	if !strings.Contains(said, strings.Join(strings.Fields(wait), " ")) {
		t.Errorf("%s: the notice does not say to wait for one of them: %q", where, said)
	}
}

// One client may send MaxUploadsPerClient files at once; the next is
// refused unread with a 429 until one of them has arrived. Sent without the
// page's script, it comes back as the create page, with the file kind
// chosen and the held-back notice above the form, as other held-back forms
// do; sent by htmx, as the notice alone, and the form stays as it was.
func TestUploadsAtOncePerClientAreCapped(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	u, _ := url.Parse(s.URL)
	var cookies []string
	for _, c := range owner.c.Jar.Cookies(u) {
		cookies = append(cookies, c.String())
	}
	ct, body := multipartBody(t, fileForm("slow.bin", noisy(2*token.ChunkSize)))
	upload := http.Header{"Content-Type": {ct}, "Cookie": {strings.Join(cookies, "; ")}, "Origin": {s.URL}}
	var slow []net.Conn
	for range core.MaxUploadsPerClient {
		slow = append(slow, s.slowRequest(http.MethodPost, "/links", upload, len(body), string(body[:len(body)/2])))
	}
	// The server takes each upload's slot as it starts reading it.
	time.Sleep(200 * time.Millisecond)
	res := owner.upload(fileForm("one more.bin", noisy(token.ChunkSize)))
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("an upload beyond %d at once: %d, Retry-After %q", core.MaxUploadsPerClient, res.StatusCode, res.Header.Get("Retry-After"))
	}
	if !strings.Contains(res.body, "Wait until one of them has arrived") {
		t.Errorf("the refusal does not say what to do: %s", res.body)
	}
	doc := heldBackForm(t, "an upload beyond the cap", res, "/links")
	if file := first(t, doc, "the file kind", byAttr("value", "file")); !hasAttr(file, "checked") {
		t.Error("the form comes back without the file kind chosen")
	}
	checkUploadsHeldBack(t, "an upload beyond the cap", res, doc, "en")
	ct, extra := multipartBody(t, fileForm("one more.bin", noisy(token.ChunkSize)))
	res = owner.request(http.MethodPost, "/links", bytes.NewReader(extra), http.Header{"Content-Type": {ct}, "Hx-Request": {"true"}})
	checkUploadsHeldBack(t, "an upload beyond the cap by htmx", res, heldBackAlert(t, "an upload beyond the cap by htmx", res), "en")
	// A request's send from the same address is an upload too: its page
	// comes back in the same way, in the sender's language.
	req := owner.createRequest(nil)
	for _, lang := range i18n.Languages {
		where := "a send beyond the cap in " + lang.Code
		ct, send := multipartBody(t, []formPart{filePart("one more.bin", noisy(token.ChunkSize))})
		res := s.client().request(http.MethodPost, req, bytes.NewReader(send), http.Header{"Content-Type": {ct}, "Accept-Language": {lang.Code}})
		checkUploadsHeldBack(t, where, res, heldBackForm(t, where, res, req), lang.Code)
	}
	// Once one has arrived, there is room for another.
	if _, err := slow[0].Write(body[len(body)/2:]); err != nil {
		t.Fatal(err)
	}
	if res := answer(t, slow[0], 10*time.Second); res.StatusCode != http.StatusCreated {
		t.Fatalf("a finished upload: %d", res.StatusCode)
	}
	if res := owner.upload(fileForm("one more.bin", noisy(token.ChunkSize))); res.StatusCode != http.StatusCreated {
		t.Fatalf("an upload once another arrived: %d", res.StatusCode)
	}
	// Messages are not uploads: they are never held back by them.
	owner.createLink(nil)
}
