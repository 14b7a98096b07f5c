package handlers

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
)

// TestDisabledOwnersSharesRest: once an administrator disables an account,
// its link's page, the open from it (from a browser that keeps cookies and
// from one that keeps none), the page again in the browser holding the
// link's grant, and its file's download are refused with 403 and a page
// that says the owner's account is disabled, in the reader's language and
// naming no one; so are its request's page and a send to it. Nothing is
// taken, viewed or stored meanwhile, and enabling the account brings the
// link back with its uses, and the request.
func TestDisabledOwnersSharesRest(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	const owner = "bartholomew"
	sharer := s.user(owner)
	link := sharer.createLink(url.Values{"message": {"the door code"}, "max_uses": {"3"}})
	file := sharer.shareFile("a.bin", noisy(100))
	req := sharer.createRequest(nil)
	opener := s.client()
	opener.openInBrowser(link)
	opener.openInBrowser(file)
	// A browser that loaded the page before, and opens it after: its form
	// comes back with the page's cookie.
	stranger := s.client()
	stranger.get(link)
	before, fileBefore := linkOf(t, s, link), linkOf(t, s, file)
	trail := func(link string) int {
		t.Helper()
		l := linkOf(t, s, link)
		events, err := s.store.Events(context.Background(), l.OwnerID, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(events)
	}
	trailBefore := trail(link)
	id := admin.accountID(owner)
	// The accounts page says what disabling does, and its buttons name
	// that as what they do.
	accounts := parseHTML(t, admin.get("/accounts").body)
	if got, want := textOf(first(t, accounts, "what disabling does", byTestID("disable-help"))), i18n.For("en").T("accounts.list.disable_help"); got != want {
		t.Errorf("the accounts page says %q, want %q", got, want)
	}
	if b := first(t, accounts, "the Disable button", byTestID("disable")); attr(b, "aria-describedby") != "disable-help" {
		t.Errorf("the Disable button is described by %q, want disable-help", attr(b, "aria-describedby"))
	}
	if res := admin.htmx(http.MethodPost, "/accounts/"+id+"/disable", nil); res.StatusCode != http.StatusOK ||
		attr(first(t, parseHTML(t, res.body), "the Enable button", byTestID("enable")), "aria-describedby") != "disable-help" {
		t.Fatalf("disable: %d %s", res.StatusCode, res.body)
	}

	refused := func(what string, res response, want *core.Error, lang string) {
		t.Helper()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s while its owner is disabled: %d, want 403", what, res.StatusCode)
			return
		}
		if res.Request.Method == http.MethodHead {
			return
		}
		page := parseHTML(t, res.body)
		shown := first(t, page, what+": the refusal", byTestID("error"))
		if got := textOf(first(t, shown, what+": the message", byTestID("error-message"))); got != want.Message(i18n.For(lang)) {
			t.Errorf("%s says %q, want %q", what, got, want.Message(i18n.For(lang)))
		}
		if got := textOf(first(t, shown, what+": the heading", byTag("h1"))); got != want.Heading(i18n.For(lang)) {
			t.Errorf("%s is headed %q, want %q", what, got, want.Heading(i18n.For(lang)))
		}
		if strings.Contains(res.body, owner) {
			t.Errorf("%s names the owner", what)
		}
	}
	refused("the link's page", stranger.get(link), core.ErrLinkResting, "en")
	refused("the link's page, HEAD", stranger.request(http.MethodHead, link, nil, nil), core.ErrLinkResting, "en")
	refused("the link's page in Arabic", stranger.getIn(link, "ar"), core.ErrLinkResting, "ar")
	refused("an open without cookies", s.client().post(link, nil), core.ErrLinkResting, "en")
	if res := stranger.post(link, url.Values{components.CookieCheckField: {"1"}}); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != linkPath(link) {
		t.Errorf("an open from the page: %d to %q, want 303 back to the page", res.StatusCode, res.Header.Get("Location"))
	}
	refused("the page the open comes back to", stranger.get(link), core.ErrLinkResting, "en")
	refused("the page in the opener's browser", opener.get(link), core.ErrLinkResting, "en")
	refused("the file in the opener's browser", opener.get(file+"/file"), core.ErrLinkResting, "en")
	refused("the request's page", s.client().get(req), core.ErrRequestResting, "en")
	refused("the request's page in Arabic", s.client().getIn(req, "ar"), core.ErrRequestResting, "ar")
	refused("a message sent to the request", s.client().post(req, url.Values{"message": {"the VPN password"}}), core.ErrRequestResting, "en")
	ct, body := multipartBody(t, []formPart{filePart("notes.txt", []byte("a file"))})
	refused("a file sent to the request", s.client().request(http.MethodPost, req, bytes.NewReader(body), http.Header{"Content-Type": {ct}}),
		core.ErrRequestResting, "en")
	if l := linkOf(t, s, link); l.Uses != before.Uses || l.Views != before.Views || !l.ExpiresAt.Equal(before.ExpiresAt) || trail(link) != trailBefore {
		t.Errorf("the link while its owner was disabled: %d uses, %d views, %d events; want %d, %d and %d as before",
			l.Uses, l.Views, trail(link), before.Uses, before.Views, trailBefore)
	}
	if links, _ := s.stored(); links != 2 {
		t.Errorf("%d links stored after sends to a resting request, want the 2 shared", links)
	}

	if res := admin.post("/accounts/"+id+"/enable", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("enable: %d %s", res.StatusCode, res.body)
	}
	if res := opener.get(link); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "the door code") {
		t.Errorf("the opener's page once enabled: %d, want the message again", res.StatusCode)
	}
	if res := opener.get(file + "/file"); res.StatusCode != http.StatusOK || !bytes.Equal([]byte(res.body), noisy(100)) {
		t.Errorf("the opener's file once enabled: %d", res.StatusCode)
	}
	if res := s.client().openInBrowser(link); !strings.Contains(res.body, "the door code") {
		t.Errorf("an open once enabled: %d", res.StatusCode)
	}
	if l := linkOf(t, s, link); l.Uses != before.Uses+1 || l.MaxUses != 3 {
		t.Errorf("the link once enabled: %d of %d uses, want %d", l.Uses, l.MaxUses, before.Uses+1)
	}
	if l := linkOf(t, s, file); l.Uses != fileBefore.Uses {
		t.Errorf("the file link once enabled: %d uses, want %d", l.Uses, fileBefore.Uses)
	}
	if res := s.client().post(req, url.Values{"message": {"the VPN password"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a send once enabled: %d, want 303 to the thanks", res.StatusCode)
	}
}

// TestDisabledOwnersLinkForOneRestsFirst: a browser that opened a link for
// one account, whose owner is then disabled, is told that the link is on
// hold at once, whoever it is signed in as: signed out, it is not first
// asked to sign in as that account, nor, signed in as another, to sign
// out, only to be told after that the link is on hold.
func TestDisabledOwnersLinkForOneRestsFirst(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	sharer := s.user("xena")
	bob := s.user("bob")
	if _, err := s.h.core.AddAccount(context.Background(), "carol", testPassword, false); err != nil {
		t.Fatal(err)
	}
	link := sharer.createLink(url.Values{"for_user": {"bob"}})
	res := sharer.upload(append(fileForm("b.bin", noisy(100)), field("for_user", "bob")))
	file := s.URL + linkURLPattern.FindString(res.body)
	bob.openInBrowser(link)
	bob.openInBrowser(file)
	if res := admin.htmx(http.MethodPost, "/accounts/"+admin.accountID("xena")+"/disable", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("disable: %d", res.StatusCode)
	}
	onHold := func(who string) {
		t.Helper()
		for _, path := range []string{link, file, file + "/file"} {
			res := bob.get(path)
			page := parseHTML(t, res.body)
			if got, want := textOf(first(t, page, who+" "+path, byTestID("error-message"))), core.ErrLinkResting.Message(i18n.For("en")); res.StatusCode != http.StatusForbidden || got != want {
				t.Errorf("%s, %s: %d %q, want 403 %q", who, path, res.StatusCode, got, want)
			}
			if hasTestID(t, res.body, "sign-in-again") {
				t.Errorf("%s, %s offers to sign in", who, path)
			}
		}
	}
	onHold("bob")
	bob.post("/logout", nil)
	onHold("signed out")
	if res := bob.post("/login", url.Values{"username": {"carol"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("carol's sign-in in bob's browser: %d", res.StatusCode)
	}
	onHold("carol")
}
