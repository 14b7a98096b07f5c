package handlers

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/store"
	"oncelink/token"
)

func TestOpenOnceThenGone(t *testing.T) {
	s := newTestServer(t)
	link := s.admin().createLink(url.Values{"message": {"the vault code is 4711"}})
	recipient, other := s.client(), s.client()
	for range 3 {
		if res := other.get(link); res.StatusCode != http.StatusOK || strings.Contains(res.body, "4711") {
			t.Fatalf("GET: %d, shows content: %v", res.StatusCode, strings.Contains(res.body, "4711"))
		}
		// A HEAD answers as a GET does, and leaves nothing behind, a
		// cookie neither.
		if res := other.request(http.MethodHead, link, nil, nil); res.StatusCode != http.StatusOK || len(res.Cookies()) != 0 {
			t.Fatalf("HEAD: %d, cookies %v", res.StatusCode, res.Cookies())
		}
	}
	res := recipient.openInBrowser(link)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, "4711") {
		t.Fatalf("open: %d %s", res.StatusCode, res.body)
	}
	if res := recipient.get(link); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "4711") {
		t.Fatalf("reload in the grant window: %d", res.StatusCode)
	}
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		if res := other.request(method, link, nil, nil); res.StatusCode != http.StatusGone {
			t.Fatalf("%s from another browser: %d", method, res.StatusCode)
		}
	}
	s.clock.Advance(11 * 60e9)
	if res := recipient.get(link); res.StatusCode != http.StatusGone {
		t.Fatalf("reload after the grant window: %d", res.StatusCode)
	}
}

// TestLandingSaysTheOpensLeftOnce: the page before the open says in one
// sentence how many opens are left, and nowhere else.
func TestLandingSaysTheOpensLeftOnce(t *testing.T) {
	s := newTestServer(t)
	link := s.admin().createLink(url.Values{"message": {"x"}, "max_uses": {"3"}})
	res := s.client().get(link)
	say := html.EscapeString(i18n.For("en").N("recipient.landing.more", 3))
	if res.StatusCode != http.StatusOK || strings.Count(res.body, say) != 1 || strings.Contains(res.body, "<dd>3</dd>") {
		t.Errorf("a link with 3 opens left: %d, says %q %d times, %q among its facts: %v",
			res.StatusCode, say, strings.Count(res.body, say), "3", strings.Contains(res.body, "<dd>3</dd>"))
	}
}

// countingStore counts the queries the recipient routes make.
type countingStore struct {
	core.Store
	queries atomic.Int64
}

func (c *countingStore) LinkByHash(ctx context.Context, hash []byte) (store.Link, error) {
	c.queries.Add(1)
	return c.Store.LinkByHash(ctx, hash)
}

func (c *countingStore) ConsumeUnprotected(ctx context.Context, hash []byte, e store.Event) (store.Link, error) {
	c.queries.Add(1)
	return c.Store.ConsumeUnprotected(ctx, hash, e)
}

func TestForgedTokensNeverReachTheDatabase(t *testing.T) {
	s := newTestServer(t)
	link := s.admin().createLink(nil)
	var counter *countingStore
	s.useStore(func(st core.Store) core.Store { counter = &countingStore{Store: st}; return counter })
	tok := link[strings.LastIndex(link, "/")+1:]
	flip := func(i int) string {
		b := []byte(tok)
		b[i] ^= 1
		return string(b)
	}
	other := token.New(token.NewKey(make([]byte, token.KeyLen))).String()
	c := s.client()
	for _, forged := range []string{flip(0), flip(20), flip(42), tok[:42], tok + "A", other, "nothing", strings.Repeat("A", 43)} {
		for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
			if res := c.request(method, "/l/"+forged, nil, nil); res.StatusCode != http.StatusNotFound {
				t.Fatalf("%s forged token %q: %d, want 404", method, forged, res.StatusCode)
			}
		}
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			if res := c.request(method, "/l/"+forged+"/file", nil, nil); res.StatusCode != http.StatusNotFound {
				t.Fatalf("%s the file of forged token %q: %d, want 404", method, forged, res.StatusCode)
			}
		}
	}
	if n := counter.queries.Load(); n != 0 {
		t.Fatalf("forged tokens made %d queries", n)
	}
	if res := c.get(link); res.StatusCode != http.StatusOK || counter.queries.Load() != 1 {
		t.Fatalf("the real token: %d after %d queries", res.StatusCode, counter.queries.Load())
	}
}

// TestNotFoundSpeaksToWhoAsked: an address a recipient was sent that
// names nothing says to ask its sender for a new link; the owner's own
// pages say only that nothing is there (a link id that names none of the
// owner's links answers with their links instead: see
// TestNoticeOfAPurgedLinkSaysSo).
func TestNotFoundSpeaksToWhoAsked(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	forged := "/l/" + strings.Repeat("A", 43)
	for path, want := range map[string]*core.Error{forged: core.ErrLinkNotFound, "/r/" + strings.Repeat("A", 43): core.ErrLinkNotFound,
		"/links/abc": core.ErrNotFound, "/nowhere": core.ErrNotFound} {
		res := owner.get(path)
		if res.StatusCode != http.StatusNotFound || !strings.Contains(res.body, want.Msg) {
			t.Errorf("%s: %d, want 404 saying %q", path, res.StatusCode, want.Msg)
		}
	}
	if core.ErrNotFound.Msg == core.ErrLinkNotFound.Msg || core.ErrNotFound.Code != core.ErrLinkNotFound.Code {
		t.Fatal("the two not-founds should differ in words only")
	}
}

func TestExpiredAndRevokedLinksAreGone(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	expiring := owner.createLink(url.Values{"ttl": {"2m"}})
	revoked := owner.createLink(url.Values{"label": {"to revoke"}})
	if res := owner.htmx(http.MethodPost, "/links/"+itoa(linkOf(t, s, revoked).ID)+"/revoke", nil); res.StatusCode != http.StatusOK ||
		!strings.Contains(res.body, `data-status="revoked"`) || strings.Contains(res.body, "<html") {
		t.Fatalf("htmx revoke: %d %s", res.StatusCode, res.body)
	}
	s.clock.Advance(2 * time.Minute)
	c := s.client()
	for link, says := range map[string]string{expiring: "expired", revoked: "revoked"} {
		for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
			res := c.request(method, link, nil, nil)
			if res.StatusCode != http.StatusGone {
				t.Fatalf("%s %s link: %d, want 410", method, says, res.StatusCode)
			}
			if method != http.MethodHead && !strings.Contains(res.body, says) {
				t.Fatalf("%s %s link does not say it is %s", method, says, says)
			}
		}
	}
}

// TestRevokeEndsTheOpenersGrant: a used-up link can be revoked while its
// opener's browser may still show it again, and that browser then gets
// 410 for the page and the file; once the grant is over, there is nothing
// to revoke, and the link stays used.
func TestRevokeEndsTheOpenersGrant(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	message := owner.createLink(url.Values{"message": {"seen once"}})
	file := owner.shareFile("a.bin", noisy(100))
	recipient := s.client()
	recipient.openInBrowser(message)
	recipient.openInBrowser(file)
	if res := recipient.get(file + "/file"); res.StatusCode != http.StatusOK {
		t.Fatalf("download within the grant: %d", res.StatusCode)
	}
	for _, link := range []string{message, file} {
		details := "/links/" + itoa(linkOf(t, s, link).ID)
		if res := owner.get(details); !hasTestID(t, res.body, "revoke") || !strings.Contains(res.body, `class="badge used"`) {
			t.Fatalf("the details of a link used within the grant offer no revoke: %s", res.body)
		}
		res := owner.htmx(http.MethodPost, details+"/revoke", nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-status="revoked"`) || hasTestID(t, res.body, "revoke") {
			t.Fatalf("revoke of a used-up link within the grant: %d %s", res.StatusCode, res.body)
		}
	}
	for _, path := range []string{message, file, file + "/file"} {
		if res := recipient.get(path); res.StatusCode != http.StatusGone {
			t.Errorf("%s in the opener's browser after the revoke: %d, want 410", path, res.StatusCode)
		}
	}

	late := owner.createLink(url.Values{"message": {"seen once"}})
	recipient.post(late, nil)
	s.clock.Advance(10 * time.Minute)
	details := "/links/" + itoa(linkOf(t, s, late).ID)
	if res := owner.get(details); hasTestID(t, res.body, "revoke") {
		t.Fatal("the details of a link used longer ago than the grant offer a revoke")
	}
	if res := owner.htmx(http.MethodPost, details+"/revoke", nil); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-status="used"`) {
		t.Fatalf("revoke of a link used longer ago than the grant: %d %s", res.StatusCode, res.body)
	}
}

// TestSignOutEndsWhatWasForOneAccount: what a link for one account
// delivered shows again in that browser only while the account is signed
// in. Once it signs out, the next look at the page, the file or the Open
// button in that browser is refused with 403, not what was for the
// account alone, and not as a link used by someone else: it says that
// what the link showed is that account's, and offers to sign in and come
// back, naming nothing of the link but the account, as the refusal of its
// open does. The refusal takes no use and leaves nothing in the audit
// trail. Signed in as another account, it says so, and offers no sign-in
// that would lead straight back. Signed in again within the grant, the
// account sees it again; once the grant is over, the link is 410 as any
// used link.
func TestSignOutEndsWhatWasForOneAccount(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	bob := s.user("bob")
	message := owner.createLink(url.Values{"for_user": {"bob"}, "message": {"for bob only"}})
	res := owner.upload(append(fileForm("b.bin", noisy(100)), field("for_user", "bob")))
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("a file for bob: %d %s", res.StatusCode, res.body)
	}
	file := s.URL + linkURLPattern.FindString(res.body)
	if res := bob.openInBrowser(message); !strings.Contains(res.body, "for bob only") {
		t.Fatalf("bob's open: %d", res.StatusCode)
	}
	bob.openInBrowser(file)
	if res := bob.get(file + "/file"); res.StatusCode != http.StatusOK {
		t.Fatalf("bob's download: %d", res.StatusCode)
	}
	ctx := context.Background()
	trail := func(link string) int {
		t.Helper()
		l := linkOf(t, s, link)
		events, err := s.store.Events(ctx, l.OwnerID, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(events)
	}
	before := map[string]int{message: trail(message), file: trail(file)}
	bob.post("/logout", nil)
	if bob.signedIn() {
		t.Fatal("bob is still signed in")
	}
	en := i18n.For("en")
	refused := func(who, path, want, signIn string, res response) {
		t.Helper()
		if res.StatusCode != http.StatusForbidden || strings.Contains(res.body, "for bob only") || strings.Contains(res.body, "b.bin") {
			t.Errorf("%s %s: %d, want 403 without what was for bob", who, path, res.StatusCode)
			return
		}
		doc := parseHTML(t, res.body)
		if got := textOf(first(t, doc, path, byTestID("error-message"))); got != want {
			t.Errorf("%s %s says %q, want %q", who, path, got, want)
		}
		if signIn == "" {
			if hasTestID(t, res.body, "sign-in-again") {
				t.Errorf("%s %s offers to sign in", who, path)
			}
		} else if got := attr(first(t, doc, path, byTestID("sign-in-again")), "href"); got != signIn {
			t.Errorf("%s %s signs in at %q, want %q", who, path, got, signIn)
		}
	}
	signedOut := en.T("error.wrong_user.granted", "Name", "bob")
	// The sign-in comes back to the link's page, also from its file's
	// download, which would download and leave the sign-in page shown.
	for path, page := range map[string]string{message: message, file: file, file + "/file": file} {
		refused("signed out,", path, signedOut, "/login?next="+linkPath(page), bob.get(path))
	}
	// The Open button of the page shown before comes back to the page,
	// which says the same; nothing is taken.
	res = bob.post(message, url.Values{components.CookieCheckField: {"1"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != linkPath(message) {
		t.Errorf("the open after bob signed out: %d to %q, want 303 to the page", res.StatusCode, res.Header.Get("Location"))
	}
	for link, n := range before {
		if l := linkOf(t, s, link); l.Uses != 1 {
			t.Errorf("%s has %d uses after the refusals, want 1", link, l.Uses)
		}
		if got := trail(link); got != n {
			t.Errorf("%s's audit trail grew from %d to %d events with the refusals", link, n, got)
		}
	}
	if _, err := s.h.core.AddAccount(ctx, "carol", testPassword, false); err != nil {
		t.Fatal(err)
	}
	if res := bob.post("/login", url.Values{"username": {"carol"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("carol's sign-in in bob's browser: %d", res.StatusCode)
	}
	refused("carol,", message, en.T("error.wrong_user.granted_other", "Name", "bob", "Viewer", "carol"), "", bob.get(message))
	bob.post("/logout", nil)
	if res := bob.post("/login", url.Values{"username": {"bob"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob's sign-in again: %d", res.StatusCode)
	}
	if res := bob.get(message); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "for bob only") {
		t.Errorf("the page once bob signed in again: %d", res.StatusCode)
	}
	if res := bob.get(file + "/file"); res.StatusCode != http.StatusOK {
		t.Errorf("the file once bob signed in again: %d", res.StatusCode)
	}
	bob.post("/logout", nil)
	s.clock.Advance(s.h.core.Config().GrantTTL)
	for _, path := range []string{message, file, file + "/file"} {
		if res := bob.get(path); res.StatusCode != http.StatusGone {
			t.Errorf("%s after the grant: %d, want 410", path, res.StatusCode)
		}
	}
}

func TestPasswordAndAccountRestrictions(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	bob := s.user("bob")
	protected := owner.createLink(url.Values{"password": {"open sesame"}, "message": {"behind a password"}})
	recipient := s.client()
	for range 3 {
		res := recipient.post(protected, url.Values{"password": {"guess"}})
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "not right") {
			t.Fatalf("wrong password: %d", res.StatusCode)
		}
	}
	if res := recipient.post(protected, url.Values{"password": {"open sesame"}}); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "behind a password") {
		t.Fatalf("right password after wrong ones: %d", res.StatusCode)
	}

	forBob := owner.createLink(url.Values{"for_user": {"bob"}, "message": {"for bob only"}})
	if res := recipient.get(forBob); !strings.Contains(res.body, "Sign in") {
		t.Fatal("the landing page does not ask a visitor to sign in")
	}
	if res := recipient.post(forBob, nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != linkPath(forBob) {
		t.Fatalf("a visitor opened a link for bob: %d", res.StatusCode)
	}
	if res := recipient.get(forBob); res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "sign-in") {
		t.Fatalf("the page after a visitor's open of a link for bob: %d, or it does not ask to sign in", res.StatusCode)
	}
	if res := owner.post(forBob, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("ada opened a link for bob: %d", res.StatusCode)
	}
	// Signed in as another account, signing in would lead straight back:
	// the page offers to sign out first, and then to come back as bob.
	carol := s.user("carol")
	res := carol.get(forBob)
	if !hasTestID(t, res.body, "wrong-account") || !strings.Contains(res.body, "signed in as carol") || hasTestID(t, res.body, "sign-in") {
		t.Fatalf("carol's look at a link for bob: %s", res.body)
	}
	res = carol.post("/logout", url.Values{"next": {linkPath(forBob)}})
	if want := "/login?next=" + linkPath(forBob); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
		t.Fatalf("switch account: %d to %q, want %q", res.StatusCode, res.Header.Get("Location"), want)
	}
	if carol.signedIn() {
		t.Fatal("carol is still signed in")
	}
	if res := carol.post("/logout", url.Values{"next": {"//evil.example/"}}); res.Header.Get("Location") != "/login?next=/links" {
		t.Fatalf("a sign-out sent on to %q", res.Header.Get("Location"))
	}
	if res := bob.post(forBob, nil); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "for bob only") {
		t.Fatalf("bob could not open his link: %d", res.StatusCode)
	}
}

func TestLinkPageHeaders(t *testing.T) {
	s := newTestServer(t)
	link := s.admin().createLink(nil)
	res := s.client().get(link)
	for name, want := range map[string]string{
		"Referrer-Policy":        "no-referrer",
		"Cache-Control":          "no-store",
		"X-Robots-Tag":           "noindex",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := res.Header.Get(name); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
}

// TestNoTokenOrContentAtRestOrInLogs opens links in every way, then reads
// the database files and the log: neither holds a token or a message.
func TestNoTokenOrContentAtRestOrInLogs(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	const secret = "correct-horse-battery-staple-7731"
	var tokens []string
	for i := range 5 {
		link := owner.createLink(url.Values{"message": {secret}, "max_uses": {"2"}})
		tokens = append(tokens, link[strings.LastIndex(link, "/")+1:])
		c := s.client()
		c.get(link)
		c.request(http.MethodHead, link, nil, nil)
		// Uncleaned paths are logged before the redirect to the clean one.
		c.get(strings.Replace(link, "/l/", "//l/", 1))
		c.get(strings.Replace(link, "/l/", "/./l/", 1))
		if i%2 == 0 {
			c.post(link, nil)
			c.get(link)
		}
	}
	owner.post("/links", url.Values{"kind": {"url"}, "url": {"https://example.com/" + secret}, "ttl": {"1h"}})
	s.store.Close()
	var files []byte
	matches, _ := filepath.Glob(filepath.Dir(s.dbPath) + "/*")
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b...)
	}
	if len(files) == 0 {
		t.Fatal("no database files found")
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "/l/") {
		t.Fatal("the log has no requests to links: the test is not looking at the right log")
	}
	for _, tok := range tokens {
		if bytes.Contains(files, []byte(tok)) || strings.Contains(logs, tok) {
			t.Fatalf("token %s found at rest or in the log", tok)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(tok)
		if bytes.Contains(files, raw) {
			t.Fatal("a raw token is in the database")
		}
	}
	if bytes.Contains(files, []byte(secret)) || strings.Contains(logs, secret) {
		t.Fatal("the message is in the database files or the log")
	}
}

// TestOwnerSeesTheirOwnLink: the signed-in owner at their link's address
// sees how it stands and where its details are, not a recipient's page;
// their looks are not views; and opening it is still theirs to do.
func TestOwnerSeesTheirOwnLink(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	s.user("bob")
	link := owner.createLink(url.Values{"label": {"wifi"}, "max_uses": {"2"}})
	l := linkOf(t, s, link)
	ownPage := func(what string, res response, status int, linkStatus string) {
		t.Helper()
		own, state := testIDs(t, res.body, "own-link"), testIDs(t, res.body, "own-state")
		if res.StatusCode != status || len(own) != 1 || len(state) != 1 || attr(state[0], "data-status") != linkStatus {
			t.Fatalf("%s: %d, %d owner's pages; want %d and the owner's page of a %s link", what, res.StatusCode, len(own), status, linkStatus)
		}
		for _, recipients := range []string{"landing", "sign-in", "error", "delivered"} {
			if hasTestID(t, res.body, recipients) {
				t.Fatalf("%s: the owner's page has the recipient's %s", what, recipients)
			}
		}
	}
	for range 2 {
		res := owner.get(link)
		ownPage("the owner's look", res, http.StatusOK, "active")
		if d := testIDs(t, res.body, "details"); len(d) != 1 || attr(d[0], "href") != "/links/"+itoa(l.ID) {
			t.Fatalf("the owner's page has %d details links, or not to /links/%d", len(d), l.ID)
		}
		if !hasTestID(t, res.body, "open-form") {
			t.Fatal("the owner cannot open their own link")
		}
	}
	if res := owner.request(http.MethodHead, link, nil, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the owner's HEAD: %d", res.StatusCode)
	}
	if events, err := s.store.Events(context.Background(), l.OwnerID, l.ID); err != nil || len(events) != 0 || linkOf(t, s, link).Views != 0 {
		t.Fatalf("the owner's looks were recorded: %v (%v)", events, err)
	}
	if res := owner.post(link, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the owner's open: %d", res.StatusCode)
	}
	if res := owner.get(link); res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "delivered") {
		t.Fatalf("the page after the owner's open: %d", res.StatusCode)
	} else if !strings.Contains(res.body, "<h1>Opened from a link of your own</h1>") || !strings.Contains(res.body, "<title>Your link · oncelink</title>") {
		t.Errorf("the owner's opened link is not said to be their own: %s", res.body)
	}
	if n := linkOf(t, s, link).Uses; n != 1 {
		t.Fatalf("the owner's open took %d uses, want 1", n)
	}

	forBob := owner.createLink(url.Values{"for_user": {"bob"}})
	res := owner.get(forBob)
	ownPage("the owner's look at a link for bob", res, http.StatusOK, "active")
	if hasTestID(t, res.body, "open-form") {
		t.Fatal("the owner is offered to open a link that only bob may open")
	}

	used := owner.createLink(nil)
	if res := s.client().post(used, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("a recipient's open: %d", res.StatusCode)
	}
	res = owner.get(used)
	ownPage("the owner's look at a used link", res, http.StatusGone, "used")
	if hasTestID(t, res.body, "open-form") {
		t.Fatal("the owner is offered to open a used link")
	}
	if res := owner.request(http.MethodHead, used, nil, nil); res.StatusCode != http.StatusGone {
		t.Fatalf("the owner's HEAD of a used link: %d", res.StatusCode)
	}

	// Anyone else sees the recipient's page, and is counted.
	if res := s.client().get(link); res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "landing") || linkOf(t, s, link).Views != 1 {
		t.Fatalf("another browser's look: %d, views %d", res.StatusCode, linkOf(t, s, link).Views)
	}
}

// linkPath is the path of a link URL, as a redirect to its page names it.
// openInBrowser opens link as a browser that keeps cookies does: it loads
// the page, posts its form, follows the 303 back to the page, which the
// grant now serves, and returns that page.
func (c *testClient) openInBrowser(link string) response {
	c.t.Helper()
	c.get(link)
	res := c.post(link, url.Values{components.CookieCheckField: {"1"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != linkPath(link) {
		c.t.Fatalf("open from the page: %d to %q, want 303 to the page", res.StatusCode, res.Header.Get("Location"))
	}
	return c.get(link)
}

func linkPath(link string) string { return link[strings.Index(link, "/l/"):] }

// TestReloadsNeverPostAgain: a browser that keeps cookies is sent from its
// open (a POST) back to the link's page (a GET) with a 303, whatever the
// outcome, so that a reload repeats the GET and never the POST. A URL link
// still goes straight to its address; a browser that keeps no cookies
// still gets what it opened in the answer.
func TestReloadsNeverPostAgain(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	backToThePage := func(what string, res response, link string) {
		t.Helper()
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != linkPath(link) {
			t.Fatalf("%s: %d to %q, want 303 to the link's page", what, res.StatusCode, res.Header.Get("Location"))
		}
	}

	link := owner.createLink(url.Values{"message": {"the vault code is 4711"}})
	c := s.client()
	c.get(link)
	res := c.post(link, nil)
	backToThePage("open", res, link)
	if strings.Contains(res.body, "4711") {
		t.Fatal("the redirect carries the message")
	}
	for i := range 2 {
		if res := c.get(link); res.StatusCode != http.StatusOK || testIDText(t, res.body, "message") != "the vault code is 4711" {
			t.Fatalf("the page after the open, load %d: %d", i+1, res.StatusCode)
		}
	}
	if l := linkOf(t, s, link); l.Uses != 1 {
		t.Fatalf("%d uses, want 1", l.Uses)
	}

	target := "https://example.com/after-the-open"
	urlLink := owner.createLink(url.Values{"kind": {"url"}, "url": {target}})
	c.get(urlLink)
	if res := c.post(urlLink, nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != target {
		t.Fatalf("a URL link's open: %d to %q, want 303 to %s", res.StatusCode, res.Header.Get("Location"), target)
	}

	protected := owner.createLink(url.Values{"password": {"open sesame"}, "message": {"behind a password"}})
	c.get(protected)
	res = c.post(protected, url.Values{"password": {"guess-7731"}})
	backToThePage("a wrong password", res, protected)
	u, _ := url.Parse(protected)
	for _, k := range c.c.Jar.Cookies(u) {
		if strings.Contains(k.Value, "guess") {
			t.Fatalf("cookie %s carries the password: %q", k.Name, k.Value)
		}
	}
	res = c.get(protected)
	if res.StatusCode != http.StatusForbidden || !hasTestID(t, res.body, "form-error") || !hasTestID(t, res.body, "open-form") ||
		strings.Contains(res.body, "guess-7731") {
		t.Fatalf("the page after a wrong password: %d, or it lacks the message or the form, or repeats the password", res.StatusCode)
	}
	if got := testIDText(t, res.body, "attempts-left"); !strings.Contains(got, "4") {
		t.Fatalf("attempts left after a wrong password: %q, want 4", got)
	}
	// The field names what is said beside it: the mistake, the tries
	// left, and the help.
	page := parseHTML(t, res.body)
	ids := strings.Fields(attr(first(t, page, "password", byAttr("id", "link-password")), "aria-describedby"))
	if len(ids) != 3 {
		t.Errorf("the password field is described by %v", ids)
	}
	for _, id := range ids {
		if len(findAll(page, byAttr("id", id))) != 1 {
			t.Errorf("the password field is described by #%s, which the page lacks", id)
		}
	}
	if res := c.get(protected); res.StatusCode != http.StatusOK || hasTestID(t, res.body, "form-error") {
		t.Fatalf("a reload of the page after a wrong password: %d, or it says so again", res.StatusCode)
	}
	// The page after the refusal is not a view of its own: the audit trail
	// has the wrong password.
	if l := linkOf(t, s, protected); l.Views != 2 {
		t.Fatalf("%d views after a look, a wrong password and a reload; want 2", l.Views)
	}
	// A flash the server did not make, or made for another link, is no
	// refusal: the look is a view, told as one.
	for _, flash := range []string{core.ErrWrongPassword.Code, flashOf(t, s, link)} {
		forger := s.client()
		forger.c.Jar.SetCookies(u, []*http.Cookie{{Name: flashCookie, Value: flash, Path: u.Path}})
		if res := forger.get(protected); res.StatusCode != http.StatusOK || hasTestID(t, res.body, "form-error") {
			t.Fatalf("a forged flash %q: %d, or the page says a password was wrong", flash, res.StatusCode)
		}
	}
	if l := linkOf(t, s, protected); l.Views != 4 {
		t.Fatalf("%d views after two looks with forged flashes; want 4", l.Views)
	}
	backToThePage("the right password", c.post(protected, url.Values{"password": {"open sesame"}}), protected)
	if res := c.get(protected); res.StatusCode != http.StatusOK || testIDText(t, res.body, "message") != "behind a password" {
		t.Fatalf("the page after the right password: %d", res.StatusCode)
	}

	cookieless := owner.createLink(url.Values{"message": {"for a browser without cookies"}})
	if res := s.client().post(cookieless, nil); res.StatusCode != http.StatusOK || testIDText(t, res.body, "message") != "for a browser without cookies" {
		t.Fatalf("an open without the page's cookie: %d", res.StatusCode)
	}
}

// TestPasswordLockoutPage: after each wrong password the page says how
// many tries are left; once they are spent it shows the form disabled
// with the wait to count down (a 429 with Retry-After), also to a reload
// and to the right password, and the form again once the wait is over.
func TestPasswordLockoutPage(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(map[bool]string{false: "in memory", true: "in the database"}[shared], func(t *testing.T) {
			s := newTestServer(t, func(c *core.Config) { c.SharedRateLimits = shared })
			link := s.admin().createLink(url.Values{"password": {"open sesame"}, "message": {"behind a password"}})
			c := s.client()
			c.get(link)
			locked := func(what string, res response, status int) {
				t.Helper()
				lockout, fieldset := testIDs(t, res.body, "lockout"), testIDs(t, res.body, "open-form")
				retryAt := s.clock.Now().Add(12 * time.Second).UnixMilli()
				if res.StatusCode != status || res.Header.Get("Retry-After") != "12" || len(lockout) != 1 ||
					attr(lockout[0], "data-retry-at") != strconv.FormatInt(retryAt, 10) || len(fieldset) != 1 {
					t.Fatalf("%s: %d, Retry-After %q, %d lockout notices; want %d, a wait of 12s and the form", what, res.StatusCode,
						res.Header.Get("Retry-After"), len(lockout), status)
				}
				if !strings.Contains(res.body, `<fieldset class="bare" disabled data-retry-at="`+strconv.FormatInt(retryAt, 10)+`">`) {
					t.Fatalf("%s: the form is not disabled until the wait is over", what)
				}
				// The notice says to wait; nothing beside it says to try again.
				if strings.Contains(res.body, `aria-invalid="true"`) || strings.Contains(res.body, "try again.") {
					t.Fatalf("%s: a password error beside the lockout", what)
				}
			}
			for i := range 5 {
				if res := c.post(link, url.Values{"password": {"guess"}}); res.StatusCode != http.StatusSeeOther {
					t.Fatalf("wrong password %d: %d", i+1, res.StatusCode)
				}
				res := c.get(link)
				if i < 4 {
					if res.StatusCode != http.StatusForbidden || hasTestID(t, res.body, "lockout") || !strings.Contains(testIDText(t, res.body, "attempts-left"), strconv.Itoa(4-i)) {
						t.Fatalf("after wrong password %d: %d, attempts left %q", i+1, res.StatusCode, testIDText(t, res.body, "attempts-left"))
					}
					continue
				}
				locked("after the last wrong password", res, http.StatusForbidden)
			}
			if res := c.post(link, url.Values{"password": {"open sesame"}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("the right password while locked out: %d", res.StatusCode)
			}
			locked("the page after the right password while locked out", c.get(link), http.StatusTooManyRequests)
			locked("a reload", c.get(link), http.StatusTooManyRequests)
			if l := linkOf(t, s, link); l.Uses != 0 {
				t.Fatalf("%d uses while locked out", l.Uses)
			}
			s.clock.Advance(12 * time.Second)
			res := c.get(link)
			if res.StatusCode != http.StatusOK || hasTestID(t, res.body, "lockout") || strings.Contains(res.body, "disabled") {
				t.Fatalf("after the wait: %d, or still locked", res.StatusCode)
			}
			c.post(link, url.Values{"password": {"open sesame"}})
			if res := c.get(link); testIDText(t, res.body, "message") != "behind a password" {
				t.Fatalf("the right password after the wait: %d", res.StatusCode)
			}
		})
	}
}

// flashOf is the flash a wrong password leaves for link, a link with no
// password: what a recipient of it could take elsewhere.
func flashOf(t *testing.T, s *testServer, link string) string {
	t.Helper()
	u, _ := url.Parse(link)
	return s.h.core.RefusedNote(u.Path[len("/l/"):])
}

// TestOpenHeldBackComesBackToThePage: an open past the client's open limit,
// from the link's page in a browser that keeps cookies, is sent back to
// that page (POST, redirect, GET), which the same limit holds back: it
// counts the wait down above its form, disabled until the wait is over,
// and nothing was used. A client that sent no page's cookie gets the plain
// 429 as before.
func TestOpenHeldBackComesBackToThePage(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.Rates.Open = core.Rate{N: 2, Per: time.Minute} })
	owner := s.admin()
	link, other := owner.createLink(nil), owner.createLink(nil)
	c := s.client()
	c.get(link)
	c.get(other)
	res := c.post(link, url.Values{components.CookieCheckField: {"1"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != link[len(s.URL):] {
		t.Fatalf("an open held back: %d to %q, want 303 to the link's page", res.StatusCode, res.Header.Get("Location"))
	}
	res = c.get(link)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !hasTestID(t, res.body, "lockout") ||
		!strings.Contains(res.body, `<fieldset class="bare" disabled`) {
		t.Fatalf("the page after an open held back: %d, Retry-After %q, or no lockout and disabled form", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if l := linkOf(t, s, link); l.Uses != 0 {
		t.Fatalf("%d uses after an open held back", l.Uses)
	}
	checkTooMany(t, "an open without the page's cookie", s.client().post(link, nil))
}

// TestProgramsGetNoGrant: a program that opens a message or URL link
// without its page, as a file link's, gets what it opened in the answer and
// no grant cookie with it: it has what the grant would show again, and it
// may keep no cookies. The page it gets says that it is the only place the
// message is shown. A browser that opens from the page keeps its grant.
func TestProgramsGetNoGrant(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	target := "https://example.com/for-a-program"
	curl := s.client()
	curl.c.Jar = nil
	keeper := s.client() // keeps cookies, but posts without the page
	for _, program := range []*testClient{curl, keeper} {
		message := owner.createLink(url.Values{"message": {"the vault code is 4711"}})
		res := program.request(http.MethodPost, message, nil, http.Header{"Accept": {"*/*"}})
		if res.StatusCode != http.StatusOK || testIDText(t, res.body, "message") != "the vault code is 4711" {
			t.Fatalf("a program's open of a message: %d", res.StatusCode)
		}
		checkNoGrant(t, "a program's open of a message", res)
		if !hasTestID(t, res.body, "shown-once") || strings.Contains(res.body, "data-grant-ends") {
			t.Errorf("the answer to a program does not say it shows the message only there: %s", testIDText(t, res.body, "grant-note"))
		}
		if res := program.get(message); res.StatusCode != http.StatusGone {
			t.Fatalf("the page after a program's open: %d, want 410", res.StatusCode)
		}
		urlLink := owner.createLink(url.Values{"kind": {"url"}, "url": {target}})
		res = program.request(http.MethodPost, urlLink, nil, nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != target {
			t.Fatalf("a program's open of a URL link: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		checkNoGrant(t, "a program's open of a URL link", res)
	}

	// A browser, from the page, as before.
	browser := s.client()
	for _, link := range []string{
		owner.createLink(url.Values{"message": {"for a browser"}}),
		owner.createLink(url.Values{"kind": {"url"}, "url": {target}}),
	} {
		browser.get(link)
		res := browser.post(link, url.Values{components.CookieCheckField: {"1"}})
		if !slices.ContainsFunc(res.Cookies(), func(c *http.Cookie) bool { return c.Name == grantCookie }) {
			t.Errorf("a browser's open of %s sets no grant", linkPath(link))
		}
	}
}

// TestURLLinkGoesToAValidAddress: a URL link's address with a space and
// letters beyond ASCII is sent on in a Location header of ASCII alone,
// its host in IDNA and the rest percent-encoded, so that no client splits
// it at the space; the page after the open shows it as it is shared, with
// the letters as typed.
func TestURLLinkGoesToAValidAddress(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	link := owner.createLink(url.Values{"kind": {"url"}, "url": {"https://bücher.example/ü path?q=a b"}})
	c := s.client()
	c.get(link)
	res := c.post(link, url.Values{components.CookieCheckField: {"1"}})
	if want := "https://xn--bcher-kva.example/%C3%BC%20path?q=a%20b"; res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
		t.Fatalf("open: %d to %q, want 303 to %s", res.StatusCode, res.Header.Get("Location"), want)
	}
	if got, want := testIDText(t, c.get(link).body, "target"), "https://bücher.example/ü%20path?q=a%20b"; got != want {
		t.Errorf("the page shows %q, want %q", got, want)
	}
}
