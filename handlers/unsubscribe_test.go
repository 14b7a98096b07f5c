package handlers

import (
	"context"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"oncelink/core"
	"oncelink/internal/pgtest"
	"oncelink/notify"
)

// unsubscribeServer is a server that mails, through box, with an account
// ada whose notices go to address, confirmed through the mail it was sent.
type unsubscribeServer struct {
	*testServer
	box     *mailbox
	worker  *notify.Worker
	ada     *testClient
	adaID   int64
	address string
}

// newUnsubscribeServer starts it on SQLite, or on PostgreSQL when pg is
// set.
func newUnsubscribeServer(t *testing.T, pg bool) *unsubscribeServer {
	t.Helper()
	box := newMailbox(t)
	mailer, err := notify.NewMailer("smtp://"+box.addr, "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	withMail := func(c *core.Config) { c.Mailer = mailer }
	var s *testServer
	if pg {
		s = newTestServerOn(t, pgtest.DSN(t), withMail)
	} else {
		s = newTestServer(t, withMail)
	}
	u := &unsubscribeServer{testServer: s, box: box, ada: s.admin()}
	u.worker = notify.NewWorker(notify.Options{Store: s.store, Mailer: mailer, BaseURL: s.cfg.BaseURL,
		Unsubscribe: s.h.core.UnsubscribeToken, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	a, err := s.store.AccountByName(context.Background(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	u.adaID = a.ID
	u.setAddress("ada@example.org")
	return u
}

// setAddress makes address ada's notice address, through the mail that
// confirms it.
func (u *unsubscribeServer) setAddress(address string) {
	u.t.Helper()
	if res := u.ada.post("/settings/notices/address", url.Values{"address": {address}}); res.StatusCode != http.StatusSeeOther {
		u.t.Fatalf("set %s: %d", address, res.StatusCode)
	}
	mails := u.box.all()
	confirm := regexp.MustCompile(`/settings/notices/confirm/[A-Za-z0-9_-]{43}`).FindString(mails[len(mails)-1])
	if res := u.ada.post(confirm, url.Values{}); confirm == "" || res.StatusCode != http.StatusSeeOther {
		u.t.Fatalf("confirm %s: %d", address, res.StatusCode)
	}
	u.address = address
	if got := u.noticeAddress(); got != address {
		u.t.Fatalf("notice address %q after confirming %s", got, address)
	}
}

// noticeAddress is ada's confirmed notice address, as the store has it.
func (u *unsubscribeServer) noticeAddress() string {
	u.t.Helper()
	a, err := u.store.NoticeAddress(context.Background(), u.adaID)
	if err != nil {
		u.t.Fatal(err)
	}
	return a.Address
}

// notice opens a link of ada's that asks for notices, delivers the notice,
// and returns the mail, its headers read, and its body decoded.
func (u *unsubscribeServer) notice() (*mail.Message, string) {
	u.t.Helper()
	link := u.ada.createLink(url.Values{"notify": {"true"}})
	if res := u.client().post(link[len(u.URL):], url.Values{}); res.StatusCode != http.StatusOK && res.StatusCode != http.StatusSeeOther {
		u.t.Fatalf("open: %d", res.StatusCode)
	}
	before := len(u.box.all())
	if _, err := u.worker.RunOnce(context.Background()); err != nil {
		u.t.Fatal(err)
	}
	if n := len(u.box.all()) - before; n != 1 {
		u.t.Fatalf("%d notice mails, want 1", n)
	}
	m, err := mail.ReadMessage(strings.NewReader(u.box.last()))
	if err != nil {
		u.t.Fatal(err)
	}
	mails := u.box.all()
	_, body, _ := strings.Cut(mails[len(mails)-1], "\r\n\r\n")
	return m, body
}

// oneClick posts what a mail provider posts to an unsubscribe link, from
// its servers: the form alone, without a cookie, an Origin or a
// Sec-Fetch-Site.
func (u *unsubscribeServer) oneClick(path string, header http.Header) response {
	u.t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for k, v := range header {
		h[k] = v
	}
	return u.client().request(http.MethodPost, path, strings.NewReader("List-Unsubscribe=One-Click"), h)
}

// TestUnsubscribeFromANoticeMail: a notice mail's unsubscribe link, as a
// mail provider uses it (RFC 8058) and as a person does, stops the
// notices to the address it was sent to, and nothing else: not when it is
// only fetched, not for another address, not when forged.
func TestUnsubscribeFromANoticeMail(t *testing.T) {
	for _, db := range []struct {
		name string
		pg   bool
	}{{"sqlite", false}, {"postgres", true}} {
		t.Run(db.name, func(t *testing.T) { testUnsubscribe(t, newUnsubscribeServer(t, db.pg)) })
	}
}

func testUnsubscribe(t *testing.T, u *unsubscribeServer) {
	m, body := u.notice()
	header := m.Header.Get("List-Unsubscribe")
	found := regexp.MustCompile(`^<(` + regexp.QuoteMeta(u.cfg.BaseURL) + `(/unsubscribe/[A-Za-z0-9_-]{32}))>$`).FindStringSubmatch(header)
	if found == nil {
		t.Fatalf("List-Unsubscribe: %q in\n%s", header, u.box.last())
	}
	link, path := found[1], found[2]
	// The test server's base URL is http: no one-click is claimed for it
	// (RFC 8058), though the link takes a provider's post all the same.
	if got := m.Header.Get("List-Unsubscribe-Post"); got != "" {
		t.Errorf("List-Unsubscribe-Post over http: %q", got)
	}
	if strings.Count(body, link) != 2 || !strings.Contains(body, `href="`+link+`"`) || !strings.Contains(body, u.cfg.BaseURL+"/settings") {
		t.Errorf("the mail's parts do not each lead to %s and to the settings:\n%s", link, body)
	}

	// Fetching the link, as a mail scanner does, changes nothing: its page
	// names the address, and its button posts the one-click form.
	res := u.client().get(path)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, "ada@example.org") ||
		!strings.Contains(res.body, `action="`+path+`"`) ||
		!strings.Contains(res.body, `name="List-Unsubscribe" value="One-Click"`) {
		t.Fatalf("the unsubscribe page: %d\n%s", res.StatusCode, res.body)
	}
	// In the language its address names, its button answers in it too.
	if res := u.client().get(path + "?lang=de"); !strings.Contains(res.body, `action="`+path+`?lang=de"`) {
		t.Errorf("the unsubscribe page in German posts elsewhere:\n%s", res.body)
	}
	if res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("the unsubscribe page sends Referrer-Policy %q", res.Header.Get("Referrer-Policy"))
	}
	if res := u.client().request(http.MethodHead, path, nil, nil); res.StatusCode != http.StatusOK {
		t.Errorf("HEAD: %d", res.StatusCode)
	}
	// In the reader's language.
	for _, lang := range []string{"de", "fr", "es", "ar"} {
		res := u.client().request(http.MethodGet, path, nil, http.Header{"Accept-Language": {lang}})
		if left := englishLeft(t, lang, res.body); res.StatusCode != http.StatusOK || len(left) > 0 {
			t.Errorf("the unsubscribe page in %s: %d, English left: %q", lang, res.StatusCode, left)
		}
	}
	if got := u.noticeAddress(); got != "ada@example.org" {
		t.Fatalf("fetching the unsubscribe link changed the address to %q", got)
	}

	// What changes nothing: a browser's post from another site, a post
	// without the one-click form, a forged token, one cut short.
	cut := path[:len(path)-1]
	forged := cut + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(path, "A")]
	for _, c := range []struct {
		what   string
		res    response
		status int
	}{
		{"from another site", u.oneClick(path, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}), http.StatusForbidden},
		{"without the form", u.client().post(path, url.Values{"List-Unsubscribe": {"yes"}}), http.StatusBadRequest},
		{"forged", u.oneClick(forged, nil), http.StatusGone},
		{"cut short", u.oneClick(cut, nil), http.StatusNotFound},
		{"too long", u.oneClick(path+"A", nil), http.StatusNotFound},
		{"forged, fetched", u.client().get(forged), http.StatusGone},
	} {
		if c.res.StatusCode != c.status {
			t.Errorf("%s: %d, want %d", c.what, c.res.StatusCode, c.status)
		}
		if got := u.noticeAddress(); got != "ada@example.org" {
			t.Fatalf("%s: the address is now %q", c.what, got)
		}
	}

	// A mail provider's one-click post: no cookie, no Origin, and the
	// address is gone.
	res = u.oneClick(path, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, "ada@example.org") ||
		!strings.Contains(res.body, `href="/settings#notices-heading"`) {
		t.Fatalf("one-click unsubscribe: %d\n%s", res.StatusCode, res.body)
	}
	if got := u.noticeAddress(); got != "" {
		t.Fatalf("after unsubscribing, notices still go to %q", got)
	}
	// Again, or fetched again: said plainly, and nothing changes.
	for _, res := range []response{u.oneClick(path, nil), u.client().get(path)} {
		if res.StatusCode != http.StatusGone || !strings.Contains(res.body, "no longer works") ||
			strings.Contains(res.body, `data-testid="unsubscribe-button"`) {
			t.Errorf("the unsubscribe link once used: %d\n%s", res.StatusCode, res.body)
		}
	}

	// A new address: the old address's link stops nothing, and the new
	// one's mail carries a link of its own, which a multipart form (as
	// RFC 8058 suggests) posts.
	u.setAddress("ada@work.example")
	if res := u.oneClick(path, nil); res.StatusCode != http.StatusGone {
		t.Errorf("the old address's link after a change: %d", res.StatusCode)
	}
	if got := u.noticeAddress(); got != "ada@work.example" {
		t.Fatalf("the old address's link changed the address to %q", got)
	}
	m, _ = u.notice()
	next := regexp.MustCompile(`/unsubscribe/[A-Za-z0-9_-]{32}`).FindString(m.Header.Get("List-Unsubscribe"))
	if next == "" || next == path {
		t.Fatalf("the new address's List-Unsubscribe: %q", m.Header.Get("List-Unsubscribe"))
	}
	var form strings.Builder
	mw := multipart.NewWriter(&form)
	mw.WriteField("List-Unsubscribe", "One-Click")
	mw.Close()
	res = u.client().request(http.MethodPost, next, strings.NewReader(form.String()),
		http.Header{"Content-Type": {mw.FormDataContentType()}, "Accept-Language": {"de"}})
	if left := englishLeft(t, "de", res.body); res.StatusCode != http.StatusOK || u.noticeAddress() != "" || len(left) > 0 {
		t.Errorf("a multipart one-click unsubscribe: %d, address %q, English left: %q", res.StatusCode, u.noticeAddress(), left)
	}
	for _, lang := range []string{"fr", "es", "ar"} {
		res := u.oneClick(next, http.Header{"Accept-Language": {lang}})
		if left := englishLeft(t, lang, res.body); res.StatusCode != http.StatusGone || len(left) > 0 {
			t.Errorf("a used unsubscribe link in %s: %d, English left: %q", lang, res.StatusCode, left)
		}
	}

	// The log names no token.
	for _, p := range []string{path, next} {
		if tok := p[len("/unsubscribe/"):]; strings.Contains(u.logs.String(), tok) {
			t.Errorf("the log holds an unsubscribe token:\n%s", u.logs.String())
		}
	}
	if !strings.Contains(u.logs.String(), "/unsubscribe/…") {
		t.Errorf("the log does not show the unsubscribe requests:\n%s", u.logs.String())
	}
}

// TestUnsubscribeKeepsAWaitingAddress: the mailbox that unsubscribes
// stops its own notices and nothing else. A new address the owner set,
// still waiting for its confirmation, stays: the settings show it waiting,
// with no address in use, and once confirmed the notices go to it.
func TestUnsubscribeKeepsAWaitingAddress(t *testing.T) {
	for _, db := range []struct {
		name string
		pg   bool
	}{{"sqlite", false}, {"postgres", true}} {
		t.Run(db.name, func(t *testing.T) {
			u := newUnsubscribeServer(t, db.pg)
			m, _ := u.notice()
			path := regexp.MustCompile(`/unsubscribe/[A-Za-z0-9_-]{32}`).FindString(m.Header.Get("List-Unsubscribe"))
			if path == "" {
				t.Fatalf("List-Unsubscribe: %q", m.Header.Get("List-Unsubscribe"))
			}

			// The owner sets a new address, and leaves it unconfirmed.
			if res := u.ada.post("/settings/notices/address", url.Values{"address": {"ada@work.example"}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("set a new address: %d", res.StatusCode)
			}
			mails := u.box.all()
			confirm := regexp.MustCompile(`/settings/notices/confirm/[A-Za-z0-9_-]{43}`).FindString(mails[len(mails)-1])
			if confirm == "" {
				t.Fatalf("no confirmation link in\n%s", mails[len(mails)-1])
			}

			// The old mailbox unsubscribes.
			if res := u.oneClick(path, nil); res.StatusCode != http.StatusOK {
				t.Fatalf("one-click unsubscribe: %d\n%s", res.StatusCode, res.body)
			}
			a, err := u.store.NoticeAddress(context.Background(), u.adaID)
			if err != nil || a.Address != "" || a.Pending != "ada@work.example" {
				t.Fatalf("after unsubscribing: %+v, %v", a, err)
			}
			res := u.ada.get("/settings")
			pending := regexp.MustCompile(`(?s)data-testid="pending-address".*?</p>`).FindString(res.body)
			if res.StatusCode != http.StatusOK || !strings.Contains(pending, "ada@work.example") ||
				strings.Contains(res.body, `data-testid="notice-address"`) || strings.Contains(res.body, "ada@example.org") {
				t.Fatalf("the settings after unsubscribing: %d\n%s", res.StatusCode, res.body)
			}

			// Confirmed, the new address takes the notices, with a link of
			// its own; the old one's stays spent.
			if res := u.ada.post(confirm, url.Values{}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("confirm the waiting address: %d", res.StatusCode)
			}
			if got := u.noticeAddress(); got != "ada@work.example" {
				t.Fatalf("after confirming, notices go to %q", got)
			}
			m, _ = u.notice()
			if to := m.Header.Get("To"); !strings.Contains(to, "ada@work.example") {
				t.Errorf("the notice went to %q", to)
			}
			if next := m.Header.Get("List-Unsubscribe"); strings.Contains(next, path) {
				t.Errorf("the new address's mail carries the old link: %q", next)
			}
			if res := u.oneClick(path, nil); res.StatusCode != http.StatusGone || u.noticeAddress() != "ada@work.example" {
				t.Errorf("the old link after the change: %d, address %q", res.StatusCode, u.noticeAddress())
			}
		})
	}
}

// TestUnsubscribeLinksStayDeadOnceTheAddressIsSetAgain: setting the same
// notice address again, once confirmed, ends the unsubscribe links of the
// mails sent to it before: after the link was used, or after the address
// was removed, it does not come back to life with the address; and while
// the address was in use, its old links stop nothing once it is set
// again. The mails sent after carry links that work.
func TestUnsubscribeLinksStayDeadOnceTheAddressIsSetAgain(t *testing.T) {
	for _, db := range []struct {
		name string
		pg   bool
	}{{"sqlite", false}, {"postgres", true}} {
		t.Run(db.name, func(t *testing.T) {
			u := newUnsubscribeServer(t, db.pg)
			unsubscribeLink := func() string {
				t.Helper()
				m, _ := u.notice()
				path := regexp.MustCompile(`/unsubscribe/[A-Za-z0-9_-]{32}`).FindString(m.Header.Get("List-Unsubscribe"))
				if path == "" {
					t.Fatalf("List-Unsubscribe: %q", m.Header.Get("List-Unsubscribe"))
				}
				return path
			}
			stopsNothing := func(what, path string) {
				t.Helper()
				for _, res := range []response{u.client().get(path), u.oneClick(path, nil)} {
					if res.StatusCode != http.StatusGone {
						t.Errorf("%s: %d, want 410", what, res.StatusCode)
					}
				}
				if got := u.noticeAddress(); got != "ada@example.org" {
					t.Fatalf("%s: the address is now %q", what, got)
				}
			}

			used := unsubscribeLink()
			if res := u.oneClick(used, nil); res.StatusCode != http.StatusOK {
				t.Fatalf("one-click unsubscribe: %d", res.StatusCode)
			}
			u.setAddress("ada@example.org")
			stopsNothing("a used link once the address is set again", used)

			kept := unsubscribeLink()
			u.setAddress("ada@example.org")
			stopsNothing("an unused link once the address is set again", kept)

			removed := unsubscribeLink()
			if res := u.ada.post("/settings/notices/address/remove", url.Values{}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("remove the address: %d", res.StatusCode)
			}
			u.setAddress("ada@example.org")
			stopsNothing("a link of an address removed and set again", removed)

			if res := u.oneClick(unsubscribeLink(), nil); res.StatusCode != http.StatusOK || u.noticeAddress() != "" {
				t.Errorf("the link of a mail sent since: %d, address %q", res.StatusCode, u.noticeAddress())
			}
		})
	}
}

// TestOneClickAsRFC8058Writes: RFC 8058's own example of the one-click
// POST has `Content-Type: multipart/form-data, boundary="..."`, a comma
// where MIME has a semicolon; a mail provider that copied it unsubscribes
// all the same. The unsubscribe link alone reads it so: another route
// still refuses it, and what is no form is still refused everywhere.
func TestOneClickAsRFC8058Writes(t *testing.T) {
	u := newUnsubscribeServer(t, false)
	m, _ := u.notice()
	path := regexp.MustCompile(`/unsubscribe/[A-Za-z0-9_-]{32}`).FindString(m.Header.Get("List-Unsubscribe"))
	if path == "" {
		t.Fatalf("List-Unsubscribe: %q", m.Header.Get("List-Unsubscribe"))
	}
	multipartForm := func(name, value string) (body, commaType string) {
		var b strings.Builder
		mw := multipart.NewWriter(&b)
		if err := mw.SetBoundary("---FormBoundary1234"); err != nil {
			t.Fatal(err)
		}
		mw.WriteField(name, value)
		mw.Close()
		return b.String(), `multipart/form-data, boundary="` + mw.Boundary() + `"`
	}
	oneClick, commaType := multipartForm("List-Unsubscribe", "One-Click")

	// What changes nothing, as before: no body, or a body that is no form.
	for _, c := range []struct {
		what, ctype, body string
		status            int
	}{
		{"no body", "", "", http.StatusBadRequest},
		{"text", "text/plain", "List-Unsubscribe=One-Click", http.StatusUnsupportedMediaType},
		{"json", "application/json", `{"List-Unsubscribe":"One-Click"}`, http.StatusUnsupportedMediaType},
		{"multipart/mixed with a comma", strings.Replace(commaType, "form-data", "mixed", 1), oneClick, http.StatusUnsupportedMediaType},
	} {
		header := http.Header{}
		if c.ctype != "" {
			header.Set("Content-Type", c.ctype)
		}
		if res := u.client().request(http.MethodPost, path, strings.NewReader(c.body), header); res.StatusCode != c.status {
			t.Errorf("%s: %d, want %d", c.what, res.StatusCode, c.status)
		}
		if got := u.noticeAddress(); got != "ada@example.org" {
			t.Fatalf("%s: the address is now %q", c.what, got)
		}
	}
	// Another route reads no such Content-Type.
	body, _ := multipartForm("address", "ada@work.example")
	if res := u.ada.request(http.MethodPost, "/settings/notices/address", strings.NewReader(body),
		http.Header{"Content-Type": {commaType}}); res.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("the settings with a comma before the boundary: %d, want %d", res.StatusCode, http.StatusUnsupportedMediaType)
	}
	if a, err := u.store.NoticeAddress(context.Background(), u.adaID); err != nil || a.Pending != "" {
		t.Fatalf("the settings took a form they refused: %+v, %v", a, err)
	}

	// RFC 8058's form unsubscribes.
	res := u.client().request(http.MethodPost, path, strings.NewReader(oneClick), http.Header{"Content-Type": {commaType}})
	if res.StatusCode != http.StatusOK || u.noticeAddress() != "" {
		t.Fatalf("RFC 8058's one-click post: %d, address %q\n%s", res.StatusCode, u.noticeAddress(), res.body)
	}
	// The same address set again, a new mail's link takes a urlencoded
	// form as ever.
	u.setAddress("ada@example.org")
	m, _ = u.notice()
	next := regexp.MustCompile(`/unsubscribe/[A-Za-z0-9_-]{32}`).FindString(m.Header.Get("List-Unsubscribe"))
	if res := u.oneClick(next, nil); res.StatusCode != http.StatusOK || u.noticeAddress() != "" {
		t.Errorf("a urlencoded one-click post: %d, address %q", res.StatusCode, u.noticeAddress())
	}
}

// TestHeldBackUnsubscribeComesBack: an unsubscribe that the open limit
// holds back comes back as the link's page, 429 with the notice above its
// button, and stops nothing.
func TestHeldBackUnsubscribeComesBack(t *testing.T) {
	u := newUnsubscribeServer(t, false)
	a, err := u.store.NoticeAddress(context.Background(), u.adaID)
	if err != nil {
		t.Fatal(err)
	}
	path := "/unsubscribe/" + u.h.core.UnsubscribeToken(u.adaID, a)
	c := u.client()
	for range 100 {
		// Not the page's form: each of these is refused, and stops nothing.
		res := c.post(path, nil)
		if res.StatusCode == http.StatusTooManyRequests {
			doc := checkHeldBack(t, "an unsubscribe", c.post(path, url.Values{"List-Unsubscribe": {"One-Click"}}), path)
			if !strings.Contains(textOf(doc), u.address) {
				t.Error("the page held back does not name the address")
			}
			if got := u.noticeAddress(); got != u.address {
				t.Errorf("the notice address is %q after an unsubscribe held back", got)
			}
			return
		}
	}
	t.Fatal("the unsubscribe link is never held back")
}

// TestConfirmationSignedInAsAnother: the confirmation link of ada's new
// address, opened signed in as bob, says it is another account's and
// offers nothing to confirm; its POST changes nothing; ada's link still
// confirms it.
func TestConfirmationSignedInAsAnother(t *testing.T) {
	u := newUnsubscribeServer(t, false)
	if res := u.ada.post("/settings/notices/address", url.Values{"address": {"new@example.org"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set: %d", res.StatusCode)
	}
	mails := u.box.all()
	confirm := regexp.MustCompile(`/settings/notices/confirm/[A-Za-z0-9_-]{43}`).FindString(mails[len(mails)-1])
	bob := u.user("bob")
	want := html.EscapeString(core.ErrConfirmOtherAccount.Msg)
	res := bob.get(confirm)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, want) || strings.Contains(res.body, `data-testid="confirm-form"`) {
		t.Errorf("bob's page of ada's link: %d, or it does not say whose it is, or offers to confirm", res.StatusCode)
	}
	res = bob.post(confirm, url.Values{})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, want) {
		t.Errorf("bob confirms ada's link: %d", res.StatusCode)
	}
	if got := u.noticeAddress(); got != "ada@example.org" {
		t.Errorf("ada's notice address is %q", got)
	}
	if res := u.ada.post(confirm, url.Values{}); res.StatusCode != http.StatusSeeOther || u.noticeAddress() != "new@example.org" {
		t.Errorf("ada confirms ada's link: %d, address %q", res.StatusCode, u.noticeAddress())
	}
}
