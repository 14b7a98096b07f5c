package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"oncelink/assets"
	"oncelink/core"
)

// TestOtherHostsAreMisdirected sends a new install the requests of a page
// whose own name was pointed at the server (DNS rebinding): same-origin to
// the browser, so cross-origin checks pass. Every one of them is a 421
// that changes nothing; the server's own names are answered, and /healthz
// answers any name.
func TestOtherHostsAreMisdirected(t *testing.T) {
	s := newTestServer(t)
	_, port, _ := strings.Cut(s.Listener.Addr().String(), ":")
	rebound := "rebind.example:" + port
	c := s.client()
	send := func(method, path, host string, form url.Values) response {
		t.Helper()
		var body *strings.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		} else {
			body = strings.NewReader("")
		}
		req, err := http.NewRequest(method, s.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		if form != nil {
			req.Header.Set("Content-Type", formType)
			req.Header.Set("Origin", "http://"+host)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		}
		return c.do(req)
	}
	setup := url.Values{"username": {"mallory"}, "password": {testPassword}}
	res := send(http.MethodPost, "/setup", rebound, setup)
	if res.StatusCode != http.StatusMisdirectedRequest || !strings.Contains(res.body, "Wrong address") {
		t.Fatalf("set-up through a rebound name: %d %.300s", res.StatusCode, res.body)
	}
	checkSecurityHeaders(t, "421", res)
	if open, err := s.h.core.SetupOpen(context.Background()); err != nil || !open {
		t.Fatalf("set-up through a rebound name made an account (open %v, %v)", open, err)
	}
	for _, path := range []string{"/", "/setup", "/login", "/links", "/player", "/l/whatever", "/nowhere"} {
		if res := send(http.MethodGet, path, rebound, nil); res.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("GET %s through a rebound name: %d", path, res.StatusCode)
		}
	}
	for _, host := range []string{"rebind.example", "127.0.0.1.rebind.example:" + port, "localhost.example:" + port} {
		if res := send(http.MethodGet, "/setup", host, nil); res.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("GET /setup for host %q: %d", host, res.StatusCode)
		}
	}
	if res := send(http.MethodGet, "/healthz", rebound, nil); res.StatusCode != http.StatusOK {
		t.Errorf("/healthz through another name: %d, want 200 for probes", res.StatusCode)
	}
	// The static files answer any name, for the 421 page's style.
	if res := send(http.MethodGet, assets.Path("app.css"), rebound, nil); res.StatusCode != http.StatusOK {
		t.Errorf("the stylesheet through another name: %d, want 200 for the 421 page", res.StatusCode)
	}
	// The base URL is on loopback, as by default: every loopback name is
	// the server's, on any port.
	for _, host := range []string{s.Listener.Addr().String(), "localhost:" + port, "LOCALHOST.:" + port, "[::1]:" + port, "127.0.0.2", "localhost"} {
		if res := send(http.MethodGet, "/setup", host, nil); res.StatusCode != http.StatusOK {
			t.Errorf("GET /setup for host %q: %d, want 200", host, res.StatusCode)
		}
	}
	if res := send(http.MethodPost, "/setup", "localhost:"+port, setup); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set-up by its own name: %d", res.StatusCode)
	}
}

// TestPlainHTTPKeepsFormsWorking: served over plain HTTP on a name other
// than the local machine's, where browsers send no Sec-Fetch-Site, pages
// ask for strict-origin, under which a form post carries its Origin (under
// no-referrer it would be "null", and refused); a Referer still never
// carries a path. The shared address of a URL link is told nothing. The
// posts below send the Origin such a browser sends, as a browser would;
// what the test checks is the policies the pages ask for.
func TestPlainHTTPKeepsFormsWorking(t *testing.T) {
	c, host := clientAt(t, "http", "oncelink.lan")
	if res := c.get("/setup"); res.StatusCode != http.StatusOK || res.Header.Get("Referrer-Policy") != "strict-origin" {
		t.Fatalf("GET /setup over plain HTTP: %d, Referrer-Policy %q", res.StatusCode, res.Header.Get("Referrer-Policy"))
	}
	// Cross-Origin-Opener-Policy is left out: a browser ignores it outside
	// a secure context, with an error in the console of every page.
	if got, ok := c.get("/setup").Header["Cross-Origin-Opener-Policy"]; ok {
		t.Errorf("over plain HTTP, Cross-Origin-Opener-Policy %q", got)
	}
	setup := url.Values{"username": {"ada"}, "password": {testPassword}}
	res := c.request(http.MethodPost, "/setup", strings.NewReader(setup.Encode()),
		http.Header{"Content-Type": {formType}, "Origin": {"http://" + host}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup with the page's Origin: %d %s", res.StatusCode, res.body)
	}
	form := url.Values{"kind": {"url"}, "url": {"https://example.com/page"}, "ttl": {"1h"}, "max_uses": {"1"}}
	res = c.request(http.MethodPost, "/links", strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {formType}, "Origin": {"http://" + host}})
	path := linkURLPattern.FindString(res.body)
	if res.StatusCode != http.StatusCreated || path == "" {
		t.Fatalf("create: %d %s", res.StatusCode, res.body)
	}
	res = c.request(http.MethodPost, path, nil, http.Header{"Origin": {"http://" + host}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "https://example.com/page" ||
		res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("open of a URL link: %d, Location %q, Referrer-Policy %q", res.StatusCode, res.Header.Get("Location"), res.Header.Get("Referrer-Policy"))
	}
}

// A server whose base URL is https tells browsers to come back over https
// alone, API answers and errors too; one reached over plain http does not.
func TestStrictTransportOverHTTPS(t *testing.T) {
	c, _ := clientAt(t, "https", "share.example")
	for _, path := range []string{"/setup", "/api/v1/me", "/no-such-page"} {
		if got := c.get(path).Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("%s over https: Strict-Transport-Security %q", path, got)
		}
	}
	if got := newTestServer(t).client().get("/setup").Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("over plain http: Strict-Transport-Security %q", got)
	}
}

// clientAt is a client of a new test server whose base URL is
// scheme://name on the test server's port. The client sends that name as
// its Host, as a browser reaching the server by it would; host is the
// name with the port.
func clientAt(t *testing.T, scheme, name string) (c *testClient, host string) {
	s := newTestServer(t, func(c *core.Config) {
		_, port, _ := strings.Cut(strings.TrimPrefix(c.BaseURL, "http://"), ":")
		host = name + ":" + port
		c.BaseURL = scheme + "://" + host
	})
	c = s.client()
	c.host = host
	return c, host
}

// TestMisdirectedPageInTheReadersLanguage: the 421 page for another host
// speaks the language the browser asks for (Accept-Language) or chose (the
// language cookie), as other error pages do, while the request still
// reaches no session: a signed-in reader's account, whose language would
// come first, is not looked up, and nothing is set.
func TestMisdirectedPageInTheReadersLanguage(t *testing.T) {
	s := newTestServer(t)
	_, port, _ := strings.Cut(s.Listener.Addr().String(), ":")
	rebound := "rebind.example:" + port
	misdirected := func(c *testClient, header http.Header) response {
		t.Helper()
		c.host = rebound
		defer func() { c.host = "" }()
		res := c.request(http.MethodGet, "/setup", nil, header)
		if res.StatusCode != http.StatusMisdirectedRequest {
			t.Fatalf("GET /setup for %s: %d", rebound, res.StatusCode)
		}
		if got := res.Header.Values("Set-Cookie"); len(got) > 0 {
			t.Errorf("the 421 page set cookies: %q", got)
		}
		return res
	}
	for lang, title := range map[string]string{"fr-FR,fr;q=0.9": "Mauvaise adresse", "ar": "عنوان خاطئ", "": "Wrong address"} {
		res := misdirected(s.client(), http.Header{"Accept-Language": {lang}})
		if !strings.Contains(res.body, title) {
			t.Errorf("Accept-Language %q: no %q in %.400s", lang, title, res.body)
		}
	}
	ann := s.admin()
	if res := ann.chooseLanguage("es", "/links"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("choose Spanish: %d", res.StatusCode)
	}
	// The browser's choice is German; the account's, Spanish, is only
	// known through the session, whose cookie goes along as a browser
	// would send it to a name the server once answered to.
	u, _ := url.Parse(s.URL)
	var cookies []string
	for _, c := range ann.c.Jar.Cookies(u) {
		if c.Name != languageCookie {
			cookies = append(cookies, c.String())
		}
	}
	cookies = append(cookies, languageCookie+"=de")
	res := misdirected(ann, http.Header{"Accept-Language": {"fr"}, "Cookie": {strings.Join(cookies, "; ")}})
	if !strings.Contains(res.body, "Falsche Adresse") || strings.Contains(res.body, "ada") {
		t.Errorf("421 with the language cookie de: %.600s", res.body)
	}
	if res := ann.get("/links"); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `lang="es"`) {
		t.Errorf("the session after a 421: %d", res.StatusCode)
	}
}

// TestMisdirectedPageLeadsOn: the 421 page for another host has its
// style, served to that host, leads to the page asked for at the server's
// own address, in the language the address names (to its home page for a
// form sent there), and its language menu reloads it there rather than
// posting to a host that would refuse it. Its header's links lead to the
// server's own address too: the other host would refuse them again.
func TestMisdirectedPageLeadsOn(t *testing.T) {
	s := newTestServer(t)
	_, port, _ := strings.Cut(s.Listener.Addr().String(), ":")
	c := s.client()
	c.host = "rebind.example:" + port
	for _, tc := range []struct {
		method, path, want string
	}{
		{http.MethodGet, "/l/whatever?lang=es&x=1", s.URL + "/l/whatever?lang=es&x=1"},
		{http.MethodGet, "/login", s.URL + "/login"},
		{http.MethodGet, "/player?lang=fr", s.URL + "/player?lang=fr"},
		{http.MethodPost, "/setup?lang=de", s.URL + "/?lang=de"},
	} {
		res := c.request(tc.method, tc.path, strings.NewReader(""), http.Header{"Content-Type": {formType}})
		if res.StatusCode != http.StatusMisdirectedRequest {
			t.Fatalf("%s %s through another name: %d", tc.method, tc.path, res.StatusCode)
		}
		doc := parseHTML(t, res.body)
		if got := attr(first(t, doc, "the right address", byTestID("right-address")), "href"); got != tc.want {
			t.Errorf("%s %s through another name leads to %q, want %q", tc.method, tc.path, got, tc.want)
		}
		links := findAll(doc, byTag("a"))
		if len(links) < 3 {
			t.Errorf("%s %s through another name: %d links, want the brand's and the header's", tc.method, tc.path, len(links))
		}
		for _, a := range links {
			if href := attr(a, "href"); !strings.HasPrefix(href, "#") && !strings.HasPrefix(href, s.URL+"/") {
				t.Errorf("%s %s through another name: a link leads to %q, not to %s", tc.method, tc.path, href, s.URL)
			}
		}
		form := first(t, doc, "the language menu", byTestID("language-menu-form"))
		if attr(form, "method") != "get" || attr(form, "action") != "" {
			t.Errorf("%s %s through another name: the language menu is <form method=%q action=%q>", tc.method, tc.path, attr(form, "method"), attr(form, "action"))
		}
		for _, l := range findAll(doc, byAttr("rel", "stylesheet")) {
			if css := c.get(attr(l, "href")); css.StatusCode != http.StatusOK || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") {
				t.Errorf("%s through another name: %d %s", attr(l, "href"), css.StatusCode, css.Header.Get("Content-Type"))
			}
		}
	}
	if res := c.get("/l/whatever?lang=ar"); !strings.Contains(res.body, `<html lang="ar"`) {
		t.Errorf("the 421 page with ?lang=ar is not in Arabic")
	}
}

// TestMisdirectedLanguageMenuStaysThere: the 421 page's language menu
// reloads the page asked for, on the host it was asked of, whatever its
// path: a backslash, which a browser reads as a slash, does not make it
// lead to another site.
func TestMisdirectedLanguageMenuStaysThere(t *testing.T) {
	s := newTestServer(t)
	_, port, _ := strings.Cut(s.Listener.Addr().String(), ":")
	c := s.client()
	c.host = "rebind.example:" + port
	for _, path := range []string{"/%5Celsewhere.example/x", "/%5C%5Celsewhere.example", "/l/whatever"} {
		res := c.get(path)
		if res.StatusCode != http.StatusMisdirectedRequest {
			t.Fatalf("GET %s through another name: %d", path, res.StatusCode)
		}
		form := first(t, parseHTML(t, res.body), "the language menu", byTestID("language-menu-form"))
		page, err := url.Parse("http://" + c.host + path)
		if err != nil {
			t.Fatal(err)
		}
		// As a browser resolves it: a backslash is a slash in an http URL.
		action, err := url.Parse(strings.ReplaceAll(attr(form, "action"), `\`, "/"))
		if err != nil {
			t.Fatal(err)
		}
		if to := page.ResolveReference(action); to.Host != c.host || to.EscapedPath() != page.EscapedPath() {
			t.Errorf("GET %s through another name: the language menu leads to %s", path, to)
		}
	}
}
