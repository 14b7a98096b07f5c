package handlers

import (
	"context"
	"net/http"
	"net/url"
	"path"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"oncelink/assets"
	"oncelink/components"
)

// chooseLanguage posts the language form as a browser on this site does,
// with back as the page to return to.
func (c *testClient) chooseLanguage(code, back string) response {
	c.t.Helper()
	form := url.Values{"lang": {code}, "back": {back}}
	return c.request(http.MethodPost, "/language", strings.NewReader(form.Encode()), http.Header{
		"Content-Type": {formType}, "Origin": {c.srv.URL}, "Sec-Fetch-Site": {"same-origin"},
	})
}

// getIn is a GET of path with an Accept-Language header.
func (c *testClient) getIn(path, acceptLanguage string) response {
	c.t.Helper()
	return c.request(http.MethodGet, path, nil, http.Header{"Accept-Language": {acceptLanguage}})
}

// accountLanguage is the language the account name keeps.
func (s *testServer) accountLanguage(name string) string {
	s.t.Helper()
	a, err := s.h.core.AccountByName(context.Background(), name)
	if err != nil {
		s.t.Fatal(err)
	}
	return a.Language
}

func TestLanguageChoiceKeptByAccount(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	settings := c.get("/settings")
	if !strings.Contains(settings.body, `<html lang="en"`) {
		t.Fatal("the settings page is not in English before a choice")
	}
	forms := findAll(parseHTML(t, settings.body), func(n *html.Node) bool {
		return n.Data == "form" && attr(n, "data-testid") == "language-form"
	})
	if len(forms) != 1 || attr(forms[0], "action") != "/language" {
		t.Fatalf("the settings page has %d language forms", len(forms))
	}
	if back := findAll(forms[0], func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "back" }); len(back) != 1 || attr(back[0], "value") != "/settings" {
		t.Error("the language form does not return to /settings")
	}

	res := c.chooseLanguage("de", "/settings")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings" {
		t.Fatalf("choose de: %d to %q, want 303 to /settings", res.StatusCode, res.Header.Get("Location"))
	}
	page := c.get("/settings")
	if !strings.Contains(page.body, `<html lang="de"`) {
		t.Fatal("after choosing de, /settings is not in German")
	}
	if !strings.Contains(page.body, "<h1>Einstellungen</h1>") {
		t.Error("the German settings page is not headed Einstellungen")
	}
	selected := findAll(parseHTML(t, page.body), func(n *html.Node) bool {
		return n.Data == "option" && hasAttr(n, "selected") && attr(n.Parent, "name") == "lang" && attr(n.Parent, "id") == "settings-language"
	})
	if len(selected) != 1 || attr(selected[0], "value") != "de" {
		t.Errorf("the settings page's language select has %d choices selected, want de", len(selected))
	}
	if got := s.accountLanguage("ada"); got != "de" {
		t.Fatalf("the account keeps %q, want de", got)
	}

	// A fresh session, in a browser that asks for nothing, reads German.
	fresh := s.signIn("ada")
	if page := fresh.get("/settings"); !strings.Contains(page.body, `<html lang="de"`) {
		t.Error("a fresh session of the account does not read German")
	}
	// The account's choice beats the browser's.
	if page := fresh.getIn("/links", "fr"); !strings.Contains(page.body, `<html lang="de"`) {
		t.Error("Accept-Language beats the account's choice")
	}

	// Automatic follows the browser again.
	if res := c.chooseLanguage("", "/settings"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("choose automatic: %d", res.StatusCode)
	}
	if got := s.accountLanguage("ada"); got != "" {
		t.Errorf("after automatic the account keeps %q", got)
	}
	if page := c.getIn("/settings", "ar"); !strings.Contains(page.body, `<html lang="ar" dir="rtl"`) {
		t.Error("after automatic, a browser asking for Arabic does not read it")
	}
}

func TestLanguageUnknownRefused(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	if res := c.chooseLanguage("de", "/settings"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("choose de: %d", res.StatusCode)
	}
	res := c.chooseLanguage("xx", "/settings")
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("choose xx signed in: %d, want 400", res.StatusCode)
	}
	if cookies := res.Header.Values("Set-Cookie"); len(cookies) != 0 {
		t.Errorf("a refused choice sets cookies %q", cookies)
	}
	if got := s.accountLanguage("ada"); got != "de" {
		t.Errorf("after a refused xx the account keeps %q, want de", got)
	}
	if page := c.get("/settings"); !strings.Contains(page.body, `<html lang="de"`) {
		t.Error("after a refused xx, /settings is no longer German")
	}

	visitor := s.client()
	res = visitor.chooseLanguage("xx", "/login")
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("choose xx as a visitor: %d, want 400", res.StatusCode)
	}
	if cookies := res.Header.Values("Set-Cookie"); len(cookies) != 0 {
		t.Errorf("a visitor's refused choice sets cookies %q", cookies)
	}
	if page := visitor.get("/login"); !strings.Contains(page.body, `<html lang="en"`) {
		t.Error("after a refused xx, a visitor's /login is not in English")
	}
}

func TestLanguageOfVisitor(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	visitor := s.client()
	if page := visitor.getIn("/login", "fr-CH, de;q=0.8"); !strings.Contains(page.body, `<html lang="fr"`) {
		t.Errorf("a visitor asking for fr-CH, de;q=0.8 does not read French on /login")
	}
	if page := visitor.getIn("/login", "xx, ja"); !strings.Contains(page.body, `<html lang="en"`) {
		t.Errorf("a visitor asking for no language spoken here does not read English")
	}

	// The language menu's choice, kept in a cookie and in the address the
	// menu returns to, beats Accept-Language.
	res := visitor.chooseLanguage("es", "/login")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?lang=es" {
		t.Fatalf("a visitor choosing es: %d to %q, want 303 to /login?lang=es", res.StatusCode, res.Header.Get("Location"))
	}
	if page := visitor.getIn("/login", "fr-CH, de;q=0.8"); !strings.Contains(page.body, `<html lang="es"`) {
		t.Error("a visitor's chosen es does not beat Accept-Language")
	}
	// Automatic forgets the cookie, and the address's choice.
	if res := visitor.chooseLanguage("", "/login?lang=es"); res.Header.Get("Location") != "/login" {
		t.Errorf("a visitor choosing automatic goes back to %q, want /login", res.Header.Get("Location"))
	}
	if page := visitor.getIn("/login", "fr-CH, de;q=0.8"); !strings.Contains(page.body, `<html lang="fr"`) {
		t.Error("after automatic, a visitor does not read the browser's language")
	}
}

// Each page names the script of its language's messages, which is served
// as a static file: cached for a year under a hash of its content, and not
// found under any other name.
func TestScriptMessagesFollowTheLanguage(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	visitor := s.client()
	messages := assets.Prefix + "messages/"
	seen := map[string]bool{}
	for _, c := range []struct{ accept, lang, copied string }{
		{"en", "en", `"copy.done":"Copied"`},
		{"de", "de", `"copy.done":"Kopiert"`},
		{"ar", "ar", `"copy.done":"`},
	} {
		page := visitor.getIn("/login", c.accept)
		src := scriptSource(t, page.body, messages)
		if !strings.HasPrefix(path.Base(src), c.lang+".") || seen[src] {
			t.Errorf("%s: the page loads messages from %q", c.lang, src)
		}
		seen[src] = true
		res := visitor.get(src)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") ||
			!strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("%s: %s: %d, %q, %q", c.lang, src, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
		}
		if !strings.HasPrefix(res.body, "(window.oncelink = window.oncelink || {}).messages = {") || !strings.Contains(res.body, c.copied) {
			t.Errorf("%s: the messages read %.120q", c.lang, res.body)
		}
		if strings.Contains(page.body, `"copy.done"`) {
			t.Errorf("%s: the page carries the messages too", c.lang)
		}
	}
	for _, name := range []string{"en.000000000000.js", "xx.000000000000.js", "en.js", ""} {
		if res := visitor.get(messages + name); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", name, res.StatusCode)
		}
	}
}

// scriptSource is the src of the page's script whose address starts with
// prefix.
func scriptSource(t *testing.T, page, prefix string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.Data != "script" {
			continue
		}
		for _, a := range n.Attr {
			if a.Key == "src" && strings.HasPrefix(a.Val, prefix) {
				return a.Val
			}
		}
	}
	t.Fatalf("no script from %s on the page", prefix)
	return ""
}

// siteLinks is where the links and forms of a page lead on this site: the
// href of every <a> and the action of every <form> that starts with "/",
// but for the language menu's and the static files.
func siteLinks(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	for _, n := range findAll(parseHTML(t, body), func(n *html.Node) bool { return n.Data == "a" || n.Data == "form" }) {
		to := attr(n, "href")
		if n.Data == "form" {
			to = attr(n, "action")
		}
		if !strings.HasPrefix(to, "/") || to == "/language" || strings.HasPrefix(to, assets.Prefix) {
			continue
		}
		out = append(out, to)
	}
	return out
}

// TestLanguageKeptThroughLinks: a visitor whose browser keeps no cookies
// and chose Arabic (?lang=ar) finds it in every link and form of the pages
// a visitor meets, the header's too, and in the redirect from the home
// page; a browser whose language cookie holds it, and a signed-in reader,
// find it in none.
func TestLanguageKeptThroughLinks(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	s.user("bob")
	link := owner.createLink(url.Values{"message": {"for bob"}, "for_user": {"bob"}})
	file := owner.shareFile("notes.txt", []byte("notes"))
	tokenOf := func(link string) string { return link[strings.LastIndex(link, "/")+1:] }
	pages := []string{"/player", "/login", "/l/" + tokenOf(link), "/nowhere", fileURL(tokenOf(file))}
	visitor := s.client()
	visitor.c.Jar = nil
	for _, path := range pages {
		res := visitor.get(components.WithLanguage(path, "ar"))
		if !strings.Contains(res.body, `<html lang="ar"`) {
			t.Fatalf("GET %s?lang=ar without cookies: %d, not in Arabic", path, res.StatusCode)
		}
		links := siteLinks(t, res.body)
		if len(links) == 0 {
			t.Errorf("%s has no link to test", path)
		}
		for _, to := range links {
			if u, err := url.Parse(to); err != nil || u.Query().Get("lang") != "ar" {
				t.Errorf("on %s?lang=ar without cookies, a link or form leads to %q", path, to)
			}
		}
	}
	if res := visitor.get("/?lang=ar"); res.Header.Get("Location") != "/login?lang=ar" {
		t.Errorf("GET /?lang=ar without cookies goes to %q", res.Header.Get("Location"))
	}

	chosen := s.client()
	if res := chosen.chooseLanguage("ar", "/player"); res.Header.Get("Location") != "/player?lang=ar" {
		t.Fatalf("choosing Arabic goes back to %q", res.Header.Get("Location"))
	}
	for _, c := range []*testClient{chosen, owner} {
		for _, path := range pages {
			res := c.get(components.WithLanguage(path, "ar"))
			for _, to := range siteLinks(t, res.body) {
				if strings.Contains(to, "lang=") {
					t.Errorf("on %s?lang=ar, with the language kept elsewhere, a link or form leads to %q", path, to)
				}
			}
		}
		if res := c.get("/?lang=ar"); strings.Contains(res.Header.Get("Location"), "lang=") {
			t.Errorf("GET /?lang=ar with the language kept elsewhere goes to %q", res.Header.Get("Location"))
		}
	}
}

// TestLanguageKeptThroughOpensAndSends: a visitor who reads a link's or a
// request's page in the language its address names (?lang=), with no
// language cookie to keep it, is answered in that language after the
// page's form too: the 303 that follows an open, a wrong password or a send
// carries it on to the page it leads to.
func TestLanguageKeptThroughOpensAndSends(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	inFrench := func(what string, res response) response {
		t.Helper()
		to := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d, want 303", what, res.StatusCode)
		}
		if u, err := url.Parse(to); err != nil || u.Query().Get("lang") != "fr" {
			t.Fatalf("%s leads to %q, which forgets the language", what, to)
		}
		return res
	}
	page := func(c *testClient, res response) response {
		t.Helper()
		next := c.get(res.Header.Get("Location"))
		if !strings.Contains(next.body, `<html lang="fr"`) {
			t.Fatalf("%s after the form: %d, not in French", res.Header.Get("Location"), next.StatusCode)
		}
		return next
	}

	protected := linkPath(owner.createLink(url.Values{"password": {"open sesame"}, "message": {"behind a password"}}))
	visitor := s.client()
	visitor.get(components.WithLanguage(protected, "fr"))
	form := url.Values{components.CookieCheckField: {"1"}, "password": {"guess"}}
	wrong := inFrench("a wrong password", visitor.post(components.WithLanguage(protected, "fr"), form))
	if next := page(visitor, wrong); !strings.Contains(next.body, `data-testid="attempts-left"`) {
		t.Fatalf("the page after a wrong password does not say so: %s", next.body)
	}
	form.Set("password", "open sesame")
	opened := inFrench("an open", visitor.post(components.WithLanguage(protected, "fr"), form))
	if next := page(visitor, opened); !strings.Contains(next.body, "behind a password") {
		t.Fatalf("the page after the open does not show the message: %s", next.body)
	}

	req := owner.createRequest(url.Values{"accepts": {"text"}})
	sender := s.client()
	sender.get(components.WithLanguage(req, "fr"))
	sent := inFrench("a send", sender.post(components.WithLanguage(req, "fr"), url.Values{components.CookieCheckField: {"1"}, "message": {"the password"}}))
	if next := page(sender, sent); !hasTestID(t, next.body, "sent") {
		t.Fatalf("the thanks after a send: %s", next.body)
	}
	if res := sender.htmx(http.MethodPost, components.WithLanguage(owner.createRequest(url.Values{"accepts": {"text"}}), "fr"),
		url.Values{"message": {"another"}}); !strings.Contains(res.Header.Get("HX-Redirect"), "lang=fr") {
		t.Fatalf("a send from the page's script is sent on to %q", res.Header.Get("HX-Redirect"))
	}
}
