package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"golang.org/x/net/html"

	"oncelink/core"
	"oncelink/internal/pgtest"
	"oncelink/notify"
	"oncelink/store"
	"oncelink/token"
)

// from makes a header that names the client as addr, for servers that
// trust X-Forwarded-For.
func from(addr string) http.Header {
	return http.Header{"X-Forwarded-For": {addr}, "Content-Type": {formType}}
}

// checkTooMany checks that res is a readable 429 that says when to retry.
func checkTooMany(t *testing.T, where string, res response) {
	t.Helper()
	checkLimited(t, where, res)
	if !strings.Contains(res.body, "Too many attempts") || !strings.Contains(res.body, "Try again in") {
		t.Errorf("%s: the page does not explain the 429: %s", where, res.body)
	}
}

// checkLimited checks that res is a 429 whose headers say when to retry,
// whatever its page says.
func checkLimited(t *testing.T, where string, res response) {
	t.Helper()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("%s: %d, want 429", where, res.StatusCode)
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("%s: Retry-After %q", where, res.Header.Get("Retry-After"))
	}
	checkSecurityHeaders(t, where, res)
}

func TestWrongSignInsAreLimited(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	wrong := url.Values{"username": {"ada"}, "password": {"not the password"}}
	for i := range 60 {
		// A fresh client each time: new cookies get nothing new.
		res := s.client().post("/login", wrong)
		switch {
		case i < 10 && res.StatusCode != http.StatusUnauthorized:
			t.Fatalf("attempt %d: %d, want 401", i, res.StatusCode)
		case i >= 10:
			checkTooMany(t, fmt.Sprintf("attempt %d", i), res)
		}
	}
	right := url.Values{"username": {"ada"}, "password": {testPassword}}
	checkTooMany(t, "the right password while limited", s.client().post("/login", right))
	s.clock.Advance(time.Minute)
	if res := s.client().post("/login", right); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right password a minute later: %d", res.StatusCode)
	}
}

func TestSignInLimitsCannotBeSidestepped(t *testing.T) {
	// Limits of 3 show the same as the default 10, with fewer bcrypt runs.
	s := newTestServer(t, func(c *core.Config) {
		c.TrustProxy = true
		c.Rates.SignIn = core.Rate{N: 3, Per: time.Minute}
		c.Rates.SignInAccount = core.Rate{N: 3, Per: time.Minute}
	})
	s.admin()
	ctx := context.Background()
	bob, err := s.h.core.AddAccount(ctx, "bob", testPassword, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.store.SetDisabled(ctx, bob.ID, true); err != nil {
		t.Fatal(err)
	}
	c := s.client()
	attempt := func(name, addr string) int {
		form := url.Values{"username": {name}, "password": {"not the password"}}
		return c.request("POST", "/login", strings.NewReader(form.Encode()), from(addr)).StatusCode
	}
	// One client trying a new name each time meets its own limit.
	for i := range 10 {
		got := attempt(fmt.Sprintf("name%d", i), "192.0.2.1")
		if want := map[bool]int{true: 401, false: 429}[i < 3]; got != want {
			t.Fatalf("name %d from one client: %d, want %d", i, got, want)
		}
	}
	// Many clients trying one name meet the name's limit, whether the
	// account exists, is disabled, or does not exist; case does not matter.
	for _, name := range []string{"ada", "bob", "nobody"} {
		for i := range 10 {
			n := name
			if i%2 == 1 {
				n = strings.ToUpper(name)
			}
			got := attempt(n, fmt.Sprintf("198.51.100.%d", i+1))
			if want := map[bool]int{true: 401, false: 429}[i < 3]; got != want {
				t.Fatalf("%s from client %d: %d, want %d", n, i, got, want)
			}
		}
	}
	// Addresses in one IPv6 /64 are one client.
	for i := range 6 {
		got := attempt(fmt.Sprintf("v6name%d", i), fmt.Sprintf("2001:db8:1:2::%x", i+1))
		if want := map[bool]int{true: 401, false: 429}[i < 3]; got != want {
			t.Fatalf("IPv6 address %d of a /64: %d, want %d", i, got, want)
		}
	}
}

func TestForwardedForIsIgnoredUnlessTrusted(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.Rates.SignIn = core.Rate{N: 3, Per: time.Minute} })
	s.admin()
	c := s.client()
	for i := range 6 {
		form := url.Values{"username": {fmt.Sprintf("name%d", i)}, "password": {"not the password"}}
		res := c.request("POST", "/login", strings.NewReader(form.Encode()), from(fmt.Sprintf("192.0.2.%d", i+1)))
		if want := map[bool]int{true: 401, false: 429}[i < 3]; res.StatusCode != want {
			t.Fatalf("attempt %d with a made-up X-Forwarded-For: %d, want %d", i, res.StatusCode, want)
		}
	}
}

func TestWrongLinkPasswordsNeverUseTheLink(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.TrustProxy = true })
	owner := s.admin()
	link := owner.createLink(url.Values{"password": {"open sesame"}, "message": {"the vault code is 4711"}})
	for i := range 60 {
		// Each attempt from a new client: the link's own limit holds.
		res := s.client().request("POST", link, strings.NewReader("password=guess"+strconv.Itoa(i)), from(fmt.Sprintf("203.0.113.%d", i+1)))
		switch {
		case i < 4 && (res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "was not used")):
			t.Fatalf("attempt %d: %d, want 403 saying the link was not used", i, res.StatusCode)
		case i == 4 && (res.StatusCode != http.StatusForbidden || !hasTestID(t, res.body, "lockout") || !strings.Contains(res.body, "Nothing was used.")):
			// The last try: the page holds the form back, and says so.
			t.Fatalf("attempt %d: %d, want 403 holding the form back, nothing used", i, res.StatusCode)
		case i >= 5:
			checkTooMany(t, fmt.Sprintf("attempt %d", i), res)
		}
	}
	right := strings.NewReader("password=open+sesame")
	checkTooMany(t, "the right password while limited", s.client().request("POST", link, right, from("203.0.113.200")))
	l := linkOf(t, s, link)
	if l.Uses != 0 {
		t.Fatalf("wrong passwords used the link: %d uses", l.Uses)
	}
	s.clock.Advance(time.Minute)
	res := s.client().request("POST", link, strings.NewReader("password=open+sesame"), from("203.0.113.200"))
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, "4711") {
		t.Fatalf("the right password a minute later: %d", res.StatusCode)
	}
}

func TestLinkPasswordsAreLimitedPerClient(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.Rates.LinkPasswordClient = core.Rate{N: 3, Per: time.Minute} })
	owner := s.admin()
	c := s.client()
	for i := range 5 {
		link := owner.createLink(url.Values{"password": {"open sesame"}})
		res := c.post(link, url.Values{"password": {"guess"}})
		if i < 3 && res.StatusCode != http.StatusForbidden {
			t.Fatalf("link %d: %d, want 403", i, res.StatusCode)
		}
		if i >= 3 {
			checkTooMany(t, fmt.Sprintf("link %d", i), res)
		}
	}
}

func TestOpensAndViewsAreLimitedPerClient(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) {
		c.Rates.Open = core.Rate{N: 3, Per: 30 * time.Second}
	})
	owner := s.admin()
	c := s.client()
	links := make([]string, 3)
	for i := range links {
		links[i] = owner.createLink(nil)
	}
	// A view and an open of the page's, and a program's open.
	if res := c.openInBrowser(links[0]); res.StatusCode != http.StatusOK {
		t.Fatalf("open from the page: %d", res.StatusCode)
	}
	if res := c.post(links[1], nil); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	checkTooMany(t, "a third open", c.post(links[2], nil))
	checkTooMany(t, "a view after a view and two opens", c.get(links[2]))
	if l := linkOf(t, s, links[2]); l.Uses != 0 || l.Views != 0 {
		t.Fatalf("a limited open or view was recorded: %d uses, %d views", l.Uses, l.Views)
	}
	// A HEAD records nothing, so it is not limited; nor is a reload with
	// a grant.
	if res := c.request(http.MethodHead, links[2], nil, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("HEAD while limited: %d", res.StatusCode)
	}
	if res := c.get(links[0]); res.StatusCode != http.StatusOK {
		t.Fatalf("reload with a grant while limited: %d", res.StatusCode)
	}
	s.clock.Advance(10 * time.Second)
	if res := c.get(links[2]); res.StatusCode != http.StatusOK {
		t.Fatalf("a view once the bucket refilled: %d", res.StatusCode)
	}
}

// forEachLimitStore runs test on a server whose limits limit sets, with
// them kept in memory and in the database, on SQLite and on PostgreSQL.
func forEachLimitStore(t *testing.T, limit func(*core.Config), test func(t *testing.T, s *testServer)) {
	for _, tt := range []struct {
		name     string
		postgres bool
		shared   bool
	}{{"sqlite", false, false}, {"sqlite shared", false, true}, {"postgres shared", true, true}} {
		t.Run(tt.name, func(t *testing.T) {
			config := func(c *core.Config) {
				limit(c)
				c.SharedRateLimits = tt.shared
			}
			if tt.postgres {
				test(t, newTestServerOn(t, pgtest.DSN(t), config))
			} else {
				test(t, newTestServer(t, config))
			}
		})
	}
}

// threeOpens lets a client open, or look at, 3 links in 30 seconds.
func threeOpens(c *core.Config) { c.Rates.Open = core.Rate{N: 3, Per: 30 * time.Second} }

// TestDeadLinkViewsAreLimited: a dead link's page takes the client's turn
// as a live one's does, so that views of it end in a 429 as opens do; a
// HEAD, which records nothing, is not limited, nor is the owner's look.
func TestDeadLinkViewsAreLimited(t *testing.T) {
	forEachLimitStore(t, threeOpens, func(t *testing.T, s *testServer) {
		owner := s.admin()
		link := owner.createLink(nil)
		c := s.client()
		if res := c.post(link, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("open: %d", res.StatusCode)
		}
		c = s.client() // without the grant
		for i := range 2 {
			if res := c.get(link); res.StatusCode != http.StatusGone {
				t.Fatalf("view %d of the used link: %d, want 410", i+1, res.StatusCode)
			}
		}
		checkTooMany(t, "a third view of the used link after an open", c.get(link))
		checkTooMany(t, "an open while limited", c.post(link, nil))
		if res := c.request(http.MethodHead, link, nil, nil); res.StatusCode != http.StatusGone {
			t.Fatalf("HEAD while limited: %d, want 410", res.StatusCode)
		}
		if res := owner.get(link); res.StatusCode != http.StatusGone {
			t.Fatalf("the owner's look while the client is limited: %d, want 410", res.StatusCode)
		}
		s.clock.Advance(10 * time.Second)
		if res := c.get(link); res.StatusCode != http.StatusGone {
			t.Fatalf("a view once the bucket refilled: %d, want 410", res.StatusCode)
		}
	})
}

// TestDeadLinkFilesAreLimited: the file of a dead link takes the client's
// turn as its page does, so that asking for it ends in a 429 as views and
// opens do; a HEAD, which records nothing, is not limited, nor is the
// owner's look, nor the browser that holds the link's grant, whose player
// asks for range after range. So does the file of a link not opened yet,
// and of a link that shares no file.
func TestDeadLinkFilesAreLimited(t *testing.T) {
	forEachLimitStore(t, threeOpens, func(t *testing.T, s *testServer) {
		owner := s.admin()
		link := owner.shareFile("notes.txt", []byte("a file"))
		message := owner.createLink(nil)
		early := s.client()
		for i, try := range []struct {
			link string
			want int
		}{{link, http.StatusForbidden}, {link, http.StatusForbidden}, {message, http.StatusNotFound}} {
			if res := early.get(try.link + "/file"); res.StatusCode != try.want {
				t.Fatalf("try %d before the open: %d, want %d", i+1, res.StatusCode, try.want)
			}
		}
		checkTooMany(t, "a file not opened yet, a fourth try", early.get(link+"/file"))
		s.clock.Advance(time.Minute)
		browser := s.client()
		if res := browser.openInBrowser(link); res.StatusCode != http.StatusOK {
			t.Fatalf("open: %d", res.StatusCode)
		}
		s.clock.Advance(time.Minute) // a full allowance
		c := s.client()              // without the grant
		for i := range 3 {
			if res := c.get(link + "/file"); res.StatusCode != http.StatusGone {
				t.Fatalf("download %d of the used link: %d, want 410", i+1, res.StatusCode)
			}
		}
		checkTooMany(t, "a fourth download of the used link", c.get(link+"/file"))
		checkTooMany(t, "its page while limited", c.get(link))
		if res := c.request(http.MethodHead, link+"/file", nil, nil); res.StatusCode != http.StatusGone {
			t.Fatalf("HEAD while limited: %d, want 410", res.StatusCode)
		}
		if res := owner.get(link + "/file"); res.StatusCode != http.StatusGone {
			t.Fatalf("the owner's download while the client is limited: %d, want 410", res.StatusCode)
		}
		for i := range 5 {
			if res := browser.get(link + "/file"); res.StatusCode != http.StatusOK {
				t.Fatalf("download %d with the grant while limited: %d", i+1, res.StatusCode)
			}
		}
		s.clock.Advance(10 * time.Second)
		if res := c.get(link + "/file"); res.StatusCode != http.StatusGone {
			t.Fatalf("a download once the bucket refilled: %d, want 410", res.StatusCode)
		}
	})
}

// TestUnknownTokensAreLimited: an address with a token of this server's
// whose link or request is gone for good takes the client's open turn as
// a dead link's does, so that looks at it end in a 429: a link's page and
// its open, a request's page, its send, its thanks and its open alike; a
// HEAD, which records nothing, is not limited. A forged token is refused
// at once, without the database, and takes no turn: no number of tries
// forges its tag.
func TestUnknownTokensAreLimited(t *testing.T) {
	forEachLimitStore(t, threeOpens, func(t *testing.T, s *testServer) {
		forged := strings.Repeat("A", 43)
		unissued := token.New(token.NewKey(s.key)).String()
		for _, tt := range []struct {
			name, method, path string
		}{
			{"a link's page", http.MethodGet, "/l/{token}"},
			{"a link's open", http.MethodPost, "/l/{token}"},
			{"a link's file", http.MethodGet, "/l/{token}/file"},
			{"a request's page", http.MethodGet, "/r/{token}"},
			{"a request's send", http.MethodPost, "/r/{token}"},
			{"a request's thanks", http.MethodGet, "/r/{token}/sent"},
			{"a request's open", http.MethodPost, "/r/{token}/open"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				s.clock.Advance(time.Minute) // a full allowance
				c := s.client()
				unknown, fake := strings.Replace(tt.path, "{token}", unissued, 1), strings.Replace(tt.path, "{token}", forged, 1)
				for i := range 3 {
					if res := c.request(tt.method, unknown, nil, nil); res.StatusCode != http.StatusNotFound {
						t.Fatalf("try %d: %d, want 404", i+1, res.StatusCode)
					}
				}
				checkTooMany(t, "a fourth try", c.request(tt.method, unknown, nil, nil))
				if tt.method == http.MethodGet {
					if res := c.request(http.MethodHead, unknown, nil, nil); res.StatusCode != http.StatusNotFound {
						t.Fatalf("HEAD while limited: %d, want 404", res.StatusCode)
					}
				}
				s.clock.Advance(time.Minute)
				for i := range 5 {
					if res := c.request(tt.method, fake, nil, nil); res.StatusCode != http.StatusNotFound {
						t.Fatalf("forged, try %d: %d, want 404", i+1, res.StatusCode)
					}
				}
			})
		}
	})
}

// TestDeadRequestViewsAreLimited: the page of a request no longer open
// (filled, withdrawn or expired) takes the client's turn as a dead link's
// does, so that looks at it end in a 429; a HEAD is not limited, nor is
// the owner's look, nor the thanks of the browser that filled it.
func TestDeadRequestViewsAreLimited(t *testing.T) {
	forEachLimitStore(t, threeOpens, func(t *testing.T, s *testServer) {
		owner := s.admin()
		withdrawn := owner.createRequest(nil)
		m := regexp.MustCompile(`/requests/(\d+)/revoke`).FindString(owner.get("/requests").body)
		if res := owner.post(m, nil); m == "" || res.StatusCode != http.StatusSeeOther {
			t.Fatalf("withdraw %q: %d", m, res.StatusCode)
		}
		filled := owner.createRequest(nil)
		expiring := owner.createRequest(url.Values{"ttl": {"1h"}})
		sender := s.client()
		if res := sender.post(filled, url.Values{"message": {"hunter2"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("fill: %d", res.StatusCode)
		}
		c := s.client() // without the receipt
		for i := range 2 {
			if res := c.get(filled); res.StatusCode != http.StatusGone {
				t.Fatalf("look %d at the filled request: %d, want 410", i+1, res.StatusCode)
			}
		}
		checkTooMany(t, "a third look at the filled request after a fill", c.get(filled))
		checkTooMany(t, "its thanks to another browser", c.get(filled+"/sent"))
		checkTooMany(t, "a look at the withdrawn request", c.get(withdrawn))
		if res := c.get(expiring); res.StatusCode != http.StatusOK {
			t.Fatalf("a look at an open request while limited: %d, want 200", res.StatusCode)
		}
		if res := c.request(http.MethodHead, filled, nil, nil); res.StatusCode != http.StatusGone {
			t.Fatalf("HEAD while limited: %d, want 410", res.StatusCode)
		}
		if res := owner.get(filled); res.StatusCode != http.StatusOK {
			t.Fatalf("the owner's look while the client is limited: %d, want 200", res.StatusCode)
		}
		if res := sender.get(filled + "/sent"); res.StatusCode != http.StatusOK {
			t.Fatalf("the sender's thanks while limited: %d, want 200", res.StatusCode)
		}
		s.clock.Advance(10 * time.Second)
		if res := c.get(withdrawn); res.StatusCode != http.StatusGone {
			t.Fatalf("a look at the withdrawn request once the bucket refilled: %d, want 410", res.StatusCode)
		}
		checkTooMany(t, "a second look at the withdrawn request", c.get(withdrawn))
		s.clock.Advance(2 * time.Hour)
		for i := range 3 {
			if res := c.get(expiring); res.StatusCode != http.StatusGone {
				t.Fatalf("look %d at the expired request: %d, want 410", i+1, res.StatusCode)
			}
		}
		checkTooMany(t, "a fourth look at the expired request", c.get(expiring))
	})
}

func TestSetUpIsLimited(t *testing.T) {
	s := newTestServer(t)
	c := s.client()
	for i := range 6 {
		res := c.post("/setup", url.Values{"username": {"ada"}, "password": {"short"}})
		if i < 5 && res.StatusCode != http.StatusBadRequest {
			t.Fatalf("attempt %d: %d, want 400", i, res.StatusCode)
		}
		if i == 5 {
			checkTooMany(t, "sixth set-up", res)
		}
	}
}

func TestRatesAreConfigurable(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) {
		c.Rates.SignIn = core.Rate{N: 2, Per: time.Minute}
		c.Rates.Open = core.Rate{Off: true}
	})
	owner := s.admin()
	c := s.client()
	for i := range 3 {
		res := c.post("/login", url.Values{"username": {"ada"}, "password": {"wrong"}})
		if want := map[bool]int{true: 401, false: 429}[i < 2]; res.StatusCode != want {
			t.Fatalf("sign-in %d with a limit of 2/1m: %d, want %d", i, res.StatusCode, want)
		}
	}
	link := owner.createLink(url.Values{"max_uses": {"100"}})
	for i := range 100 {
		if res := s.client().post(link, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("open %d with the open limit off: %d", i, res.StatusCode)
		}
	}
	// A Rate that is no limit at all (no N or no Per) keeps the default.
	half := newTestServer(t, func(c *core.Config) { c.Rates.Setup = core.Rate{N: 1000} })
	hc := half.client()
	for i := range 6 {
		res := hc.post("/setup", url.Values{"username": {"ada"}, "password": {"short"}})
		if want := map[bool]int{true: 400, false: 429}[i < 5]; res.StatusCode != want {
			t.Fatalf("set-up %d with a half-written rate: %d, want %d", i, res.StatusCode, want)
		}
	}
	off := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	off.admin()
	for i := range 11 {
		if res := off.client().post("/login", url.Values{"username": {"ada"}, "password": {"wrong"}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("sign-in %d with rate limits off: %d", i, res.StatusCode)
		}
	}
}

// TestHTMXGetsA429Fragment: a form sent by htmx that the rate limits hold
// back stays on its page as it was, with what was typed in it; the answer
// is the notice alone, counting the wait down in the page's alerts.
func TestHTMXGetsA429Fragment(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.Rates.SignIn = core.Rate{N: 1, Per: time.Minute} })
	s.admin()
	c := s.client()
	c.htmx("POST", "/login", url.Values{"username": {"ada"}, "password": {"wrong"}})
	checkHeldBackAlert(t, "htmx sign-in", c.htmx("POST", "/login", url.Values{"username": {"ada"}, "password": {"wrong"}}))
}

// checkHeldBackAlert checks that res, the answer to a form sent by htmx,
// is the held-back notice alone, for the page's alerts.
func checkHeldBackAlert(t *testing.T, where string, res response) {
	t.Helper()
	checkTooMany(t, where, res)
	heldBackAlert(t, where, res)
}

// heldBackAlert checks that res is the held-back notice alone, for the
// page's alerts, whatever it says, and returns it.
func heldBackAlert(t *testing.T, where string, res response) *html.Node {
	t.Helper()
	if strings.Contains(res.body, "<html") || res.Header.Get("HX-Retarget") != "#alerts" {
		t.Fatalf("%s: not a fragment for the alerts (HX-Retarget %q): %s", where, res.Header.Get("HX-Retarget"), res.body)
	}
	doc := parseHTML(t, res.body)
	checkCountsDown(t, where, first(t, doc, where+": the notice", byTestID("held-back")))
	return doc
}

// checkCountsDown checks that notice, a held-back notice, counts a wait
// down.
func checkCountsDown(t *testing.T, where string, notice *html.Node) {
	t.Helper()
	if !hasAttr(notice, "data-retry-at") || textOf(first(t, notice, where+": the wait", byTestID("retry-in"))) == "" {
		t.Errorf("%s: the notice counts no wait down: %s", where, textOf(notice))
	}
}

// linkOf reads the link behind a link URL from the store.
func linkOf(t *testing.T, s *testServer, link string) store.Link {
	t.Helper()
	tok, err := token.Parse(token.NewKey(s.key), link[strings.LastIndex(link, "/")+1:])
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.store.LinkByHash(context.Background(), tok.Hash())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// twin starts a second handler stack on s's database, with s's settings,
// key and clock: a second instance of the same deployment.
func (s *testServer) twin() *testServer {
	s.t.Helper()
	sessions := scs.New()
	ss := s.store.SessionStore(0)
	sessions.Store = ss
	h := New(s.newCore(s.store), sessions, s.metrics, slog.New(slog.NewTextHandler(s.logs, nil)))
	srv := httptest.NewServer(h.Routes(nil))
	s.t.Cleanup(func() {
		srv.Close()
		ss.StopCleanup()
	})
	return &testServer{Server: srv, t: s.t, store: s.store, h: h, cfg: s.cfg, key: s.key, logs: s.logs, clock: s.clock, metrics: s.metrics}
}

// TestRateLimitsAcrossInstances spends a client's set-up attempts on two
// instances: with shared limits the budget is the deployment's, without it
// is each instance's.
func TestRateLimitsAcrossInstances(t *testing.T) {
	for _, shared := range []bool{true, false} {
		t.Run(map[bool]string{true: "shared", false: "per-instance"}[shared], func(t *testing.T) {
			a := newTestServer(t, func(c *core.Config) { c.SharedRateLimits = shared })
			b := a.twin()
			badSetup := url.Values{"username": {"ada"}, "password": {"short"}}
			for i := range 5 {
				if res := []*testServer{a, b}[i%2].client().post("/setup", badSetup); res.StatusCode != http.StatusBadRequest {
					t.Fatalf("attempt %d: %d", i+1, res.StatusCode)
				}
			}
			res := b.client().post("/setup", badSetup)
			if shared && (res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "12") {
				t.Fatalf("6th attempt, on the instance that saw 2: %d, Retry-After %q; want 429 after 12s",
					res.StatusCode, res.Header.Get("Retry-After"))
			}
			if !shared && res.StatusCode != http.StatusBadRequest {
				t.Fatalf("6th attempt, on the instance that saw 2: %d; want 400", res.StatusCode)
			}
			a.clock.Advance(12e9)
			if res := a.client().post("/setup", badSetup); res.StatusCode != http.StatusBadRequest {
				t.Fatalf("an interval later: %d", res.StatusCode)
			}
		})
	}
}

// TestHeldBackFormsComeBack: a set-up, a sign-in or a second step that the
// rate limits hold back answers 429 with its form, to send again once the
// wait it names is over, never a page with nowhere to try again from.
func TestHeldBackFormsComeBack(t *testing.T) {
	t.Run("set-up", func(t *testing.T) {
		s := newTestServer(t, func(c *core.Config) { c.Rates.Setup = core.Rate{N: 1, Per: time.Minute} })
		c := s.client()
		c.post("/setup", url.Values{"username": {"ada"}, "password": {"short"}})
		checkHeldBack(t, "set-up", c.post("/setup", url.Values{"username": {"ada"}, "password": {"short"}}), "/setup")
	})
	t.Run("sign-in", func(t *testing.T) {
		s := newTestServer(t, func(c *core.Config) { c.Rates.SignIn = core.Rate{N: 1, Per: time.Minute} })
		s.admin()
		c := s.client()
		wrong := url.Values{"username": {"ada"}, "password": {"not the password"}}
		c.post("/login", wrong)
		checkHeldBack(t, "sign-in", c.post("/login", wrong), "/login")
	})
	t.Run("sign-in to one account", func(t *testing.T) {
		s := newTestServer(t, func(c *core.Config) {
			c.TrustProxy = true
			c.Rates.SignInAccount = core.Rate{N: 1, Per: time.Minute}
		})
		s.admin()
		c := s.client()
		wrong := url.Values{"username": {"ada"}, "password": {"not the password"}}
		c.request("POST", "/login", strings.NewReader(wrong.Encode()), from("192.0.2.1"))
		res := c.request("POST", "/login", strings.NewReader(wrong.Encode()), from("192.0.2.2"))
		checkHeldBack(t, "sign-in to one account", res, "/login")
		if got := attr(elementByID(parseHTML(t, res.body), "username"), "value"); got != "ada" {
			t.Errorf("the name comes back as %q", got)
		}
	})
	t.Run("second step", func(t *testing.T) {
		s := newTestServer(t, func(c *core.Config) { c.Rates.SignIn = core.Rate{N: 2, Per: time.Minute} })
		s.admin()
		s.enrolTOTP("ada")
		c := s.client()
		c.passwordStep("ada")
		c.post("/login/verify", url.Values{"code": {"000000"}})
		checkHeldBack(t, "second step", c.post("/login/verify", url.Values{"code": {"000000"}}), "/login/verify")
	})
}

// checkHeldBack checks that res is the page of the form that posts to
// action, come back held back by the rate limits: a 429 whose notice, above
// the form, counts the wait down. It returns the page.
func checkHeldBack(t *testing.T, where string, res response, action string) *html.Node {
	t.Helper()
	checkTooMany(t, where, res)
	return heldBackForm(t, where, res, action)
}

// heldBackForm checks that res's page holds the form that posts to action
// under a held-back notice that counts the wait down, whatever it says,
// and returns the page.
func heldBackForm(t *testing.T, where string, res response, action string) *html.Node {
	t.Helper()
	doc := parseHTML(t, res.body)
	checkCountsDown(t, where, first(t, doc, where+": the notice", byTestID("held-back")))
	first(t, doc, where+": the form", byAttr("action", action))
	return doc
}

// TestHeldBackRequestFormsComeBack: a sender's form, and the owner's open,
// that the open limit holds back come back as the request's page, 429 with
// the notice above the form, which sends again once the wait is over.
// Their bodies are not read: the form comes back empty, and to htmx only
// the notice comes, so that the page keeps what was typed in it.
func TestHeldBackRequestFormsComeBack(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.Rates.Open = core.Rate{N: 1, Per: time.Minute} })
	ann := s.admin()
	req := ann.createRequest(nil)
	sender := s.client()
	sender.get(req)
	if res := sender.post(req, url.Values{"message": {""}}); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("an empty message: %d", res.StatusCode)
	}
	doc := checkHeldBack(t, "a send", sender.post(req, url.Values{"message": {"hunter2"}}), req)
	if box := elementByID(doc, "message"); box == nil {
		t.Error("no message box")
	} else if text := textOf(box); text != "" {
		t.Errorf("the message box comes back with %q", text)
	}
	first(t, doc, "the owner's note", byTestID("note"))
	checkHeldBackAlert(t, "a send by htmx", sender.htmx("POST", req, url.Values{"message": {"hunter2"}}))

	s.clock.Advance(time.Minute)
	if res := sender.post(req, url.Values{"message": {"hunter2"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a send once the wait is over: %d", res.StatusCode)
	}
	// The send took the turn that the owner's open, from the same
	// address, would take.
	checkHeldBack(t, "the owner's open", ann.post(req+"/open", nil), req+"/open")
	// Held back, a stranger is told no more of the request, filled now,
	// than a look would tell them.
	checkTooMany(t, "a stranger's send to the filled request", s.client().post(req, url.Values{"message": {"hunter2"}}))
	s.clock.Advance(time.Minute)
	if res := ann.post(req+"/open", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the owner's open once the wait is over: %d", res.StatusCode)
	}
}

// TestHeldBackSettingsFormsComeBack: a settings form that the rate limits
// hold back, one that checks the password or a code against the account's
// sign-in limit, or one that sends a mail or a test message, comes back as
// the settings page, 429 with the notice above that form. What was typed
// comes back with it, but for a password or a code.
func TestHeldBackSettingsFormsComeBack(t *testing.T) {
	// untilHeld posts form to path until the limits hold it back, and
	// returns that answer.
	untilHeld := func(t *testing.T, c *testClient, path string, form url.Values) response {
		t.Helper()
		for range 30 {
			if res := c.post(path, form); res.StatusCode == http.StatusTooManyRequests {
				return res
			}
		}
		t.Fatalf("%s is never held back", path)
		return response{}
	}
	oneTry := func(c *core.Config) { c.Rates.SignInAccount = core.Rate{N: 1, Per: time.Minute} }
	const wrong = "not the password"
	noSecret := func(t *testing.T, where string, res response) {
		t.Helper()
		if strings.Contains(res.body, wrong) {
			t.Errorf("%s: the page shows what was typed as a password", where)
		}
	}
	t.Run("password", func(t *testing.T) {
		s := newTestServer(t, oneTry)
		res := untilHeld(t, s.admin(), "/settings/password", url.Values{"current_password": {wrong}, "password": {wrong + " either"}})
		checkHeldBack(t, "a new password", res, "/settings/password")
		noSecret(t, "a new password", res)
	})
	t.Run("delete", func(t *testing.T) {
		s := newTestServer(t, oneTry)
		s.admin()
		res := untilHeld(t, s.user("bob"), "/settings/delete", url.Values{"password": {wrong}})
		checkHeldBack(t, "a deletion", res, "/settings/delete")
		noSecret(t, "a deletion", res)
	})
	for _, form := range []string{"/settings/totp/disable", "/settings/recovery-codes"} {
		t.Run(form, func(t *testing.T) {
			s := newTestServer(t, oneTry)
			ada := s.admin()
			s.enrolTOTP("ada")
			s.clock.Advance(core.ProofWindow) // the sign-in proves no more
			res := untilHeld(t, ada, form, url.Values{"proof": {wrong}})
			checkHeldBack(t, form, res, form)
			noSecret(t, form, res)
		})
	}
	t.Run("authenticator app", func(t *testing.T) {
		s := newTestServer(t, oneTry)
		ada := s.admin()
		if res := ada.post("/settings/totp", nil); res.StatusCode != http.StatusOK {
			t.Fatalf("start: %d", res.StatusCode)
		}
		doc := checkHeldBack(t, "a first code", untilHeld(t, ada, "/settings/totp/confirm", url.Values{"code": {"000000"}}), "/settings/totp/confirm")
		// The same secret comes back to try again, and the notice, not
		// the code's field, takes the focus.
		first(t, doc, "the secret", byTestID("totp-secret"))
		if hasAttr(elementByID(doc, "totp-code"), "autofocus") {
			t.Error("the code's field takes the focus from the notice")
		}
	})
	t.Run("notice address", func(t *testing.T) {
		mailer, err := notify.NewMailer("smtp://127.0.0.1:1", "notices@share.example")
		if err != nil {
			t.Fatal(err)
		}
		s := newTestServer(t, func(c *core.Config) { c.Mailer = mailer })
		res := untilHeld(t, s.admin(), "/settings/notices/address", url.Values{"address": {"ada@example.org"}})
		doc := checkHeldBack(t, "an address", res, "/settings/notices/address")
		if got := attr(elementByID(doc, "notice-address"), "value"); got != "ada@example.org" {
			t.Errorf("the address comes back as %q", got)
		}
	})
	t.Run("webhook test", func(t *testing.T) {
		s := newTestServer(t, func(c *core.Config) { c.WebhookAllowPrivate = true })
		ada := s.admin()
		if res := ada.post("/settings/webhooks", url.Values{"url": {"http://127.0.0.1:9/hook"}, "events": {"link.opened"}}); res.StatusCode != http.StatusCreated {
			t.Fatalf("add an endpoint: %d", res.StatusCode)
		}
		id := attr(first(t, parseHTML(t, ada.get("/settings").body), "the endpoint", byTestID("webhook")), "data-id")
		path := "/settings/webhooks/" + id + "/test"
		doc := checkHeldBack(t, "a test message", untilHeld(t, ada, path, nil), path)
		hook := first(t, doc, "the endpoint", byAttr("data-id", id))
		first(t, hook, "the notice beside the endpoint", byTestID("held-back"))
	})
}
