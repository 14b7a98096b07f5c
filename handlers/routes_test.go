package handlers

import (
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"oncelink/assets"
	"oncelink/components"
	"oncelink/core"
	"oncelink/store"
	"oncelink/token"
)

// appRoute is one row of the route table as the sweeps in this file walk
// it: every route that Routes serves has a row, so a route added there
// needs one here. Some have none, and their own tests: the dashboard's
// event stream, which never ends (events_test.go), disabling and
// enabling an account, whose {id} is an account (accounts_test.go), and
// the ends of passkey ceremonies, which take JSON rather than a form
// (twofactor_test.go).
type appRoute struct {
	method string
	// path may hold {id} and {token}, which the sweeps fill with a link.
	path string
	// owner routes are for a signed-in owner, and {id} names one of their
	// links; the ownership table walks them with another owner's link.
	owner bool
	// form is a body that the route accepts.
	form url.Values
	// answersFirst is the status of a route that answers before it reads
	// a body once the fixture is set up (0 when it reads the body first).
	answersFirst int
}

var appRoutes = []appRoute{
	{method: "GET", path: "/"},
	{method: "GET", path: "/setup"},
	{method: "POST", path: "/setup", form: url.Values{"username": {"eve"}, "password": {testPassword}}, answersFirst: http.StatusNotFound},
	{method: "GET", path: "/login"},
	{method: "POST", path: "/login", form: url.Values{"username": {"ada"}, "password": {testPassword}}},
	{method: "POST", path: "/logout", form: url.Values{}},
	{method: "GET", path: "/links", owner: true},
	{method: "POST", path: "/links", owner: true, form: url.Values{"kind": {"message"}, "message": {"new secret"}, "ttl": {"1h"}}},
	{method: "GET", path: "/links/{id}", owner: true},
	{method: "POST", path: "/links/{id}/revoke", owner: true, form: url.Values{}},
	{method: "GET", path: "/l/{token}"},
	{method: "HEAD", path: "/l/{token}"},
	{method: "POST", path: "/l/{token}", form: url.Values{}},
	{method: "GET", path: "/l/{token}/file"},
	{method: "GET", path: "/accounts"},
	{method: "POST", path: "/accounts", form: url.Values{"username": {"carol"}, "password": {testPassword}}},
	{method: "GET", path: "/player"},
	{method: "GET", path: "/player/captions/en"},
	{method: "GET", path: "/settings"},
	{method: "POST", path: "/settings/keys", form: url.Values{"name": {"sweep"}, "expires": {"90d"}}},
	// {id} is a link's, which names none of ada's keys: the sweeps see the
	// route refuse, and settings_test.go revokes keys.
	{method: "POST", path: "/settings/keys/{id}/revoke", form: url.Values{}},
	{method: "GET", path: "/login/verify"},
	{method: "POST", path: "/login/verify", form: url.Values{"code": {"123456"}}},
	{method: "POST", path: "/login/verify/passkey/options", form: url.Values{}, answersFirst: http.StatusUnauthorized},
	{method: "POST", path: "/login/passkey/options", form: url.Values{"next": {"/links"}}},
	{method: "POST", path: "/settings/totp", form: url.Values{}},
	{method: "POST", path: "/settings/totp/confirm", form: url.Values{"code": {"123456"}}},
	{method: "POST", path: "/settings/totp/disable", form: url.Values{"proof": {"not the password"}}},
	{method: "POST", path: "/settings/recovery-codes", form: url.Values{"proof": {"not the password"}}},
	{method: "POST", path: "/settings/confirm", form: url.Values{"next": {"/settings#two-factor"}}},
	{method: "POST", path: "/settings/passkeys/options", form: url.Values{"name": {"laptop"}, "proof": {"not the password"}}},
	{method: "GET", path: "/settings/passkeys/{id}/delete"},
	{method: "POST", path: "/settings/passkeys/{id}/delete", form: url.Values{"proof": {"not the password"}}},
	{method: "POST", path: "/accounts/two-factor", form: url.Values{"required": {"off"}}},
	{method: "POST", path: "/accounts/reset-two-factor", form: url.Values{"account": {"2"}}},
	// {token} is a link's, no unsubscribe token: refused at once, before
	// the body (notices_test.go unsubscribes).
	{method: "GET", path: "/unsubscribe/{token}"},
	{method: "POST", path: "/unsubscribe/{token}", form: url.Values{"List-Unsubscribe": {"One-Click"}}, answersFirst: http.StatusNotFound},
	{method: "GET", path: "/healthz"},
	{method: "GET", path: assets.Path("app.css")},
	{method: "GET", path: "/no-such-page"},
}

func (r appRoute) String() string { return r.method + " " + r.path }

// fixture is a set-up server with two owners, ada (the admin) and bob, for
// the sweeps over the route table. Rate limits are off: the sweeps send
// far more requests than a person would.
type fixture struct {
	s        *testServer
	ada, bob *testClient
	// adaID and bobID are the owners' account ids.
	adaID, bobID int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	f := &fixture{s: s, ada: s.admin(), bob: s.user("bob")}
	ctx := context.Background()
	for name, id := range map[string]*int64{"ada": &f.adaID, "bob": &f.bobID} {
		a, err := s.store.AccountByName(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		*id = a.ID
	}
	return f
}

// fixtureLink is a link the fixture made, with what a request needs.
type fixtureLink struct {
	id    int64
	token string
}

// newLink makes a message link of owner's with n's settings straight in
// the store, which is quicker than the form when a sweep needs many.
func (f *fixture) newLink(owner int64, n store.NewLink) fixtureLink {
	f.s.t.Helper()
	tok := token.New(token.NewKey(f.s.key))
	n.OwnerID, n.TokenHash, n.Kind = owner, tok.Hash(), store.KindMessage
	if n.MaxUses == 0 {
		n.MaxUses = 1
	}
	if n.ExpiresAt.IsZero() {
		n.ExpiresAt = f.s.clock.Now().Add(time.Hour)
	}
	content := []byte(`<script>alert("the content")</script>`)
	n.Size = int64(len(content))
	l, err := f.s.store.CreateLink(context.Background(), n, [][]byte{tok.Box().Seal(token.Content, 0, true, content)})
	if err != nil {
		f.s.t.Fatal(err)
	}
	return fixtureLink{id: l.ID, token: tok.String()}
}

// fill puts l into path's {id} and {token}.
func (l fixtureLink) fill(path string) string {
	return strings.NewReplacer("{id}", strconv.FormatInt(l.id, 10), "{token}", l.token).Replace(path)
}

// state is what a refused request must leave as it was.
type state struct {
	accounts, links, uses, views, revoked, events, sessions, keys, revokedKeys int
}

func (f *fixture) state() state {
	f.s.t.Helper()
	var st state
	db := f.s.store.SessionDB()
	for q, dst := range map[string][]any{
		`SELECT COUNT(*) FROM accounts`: {&st.accounts},
		`SELECT COUNT(*), COALESCE(SUM(uses), 0), COALESCE(SUM(views), 0), COUNT(revoked_at) FROM links`: {&st.links, &st.uses, &st.views, &st.revoked},
		`SELECT COUNT(*) FROM events`:                      {&st.events},
		`SELECT COUNT(*) FROM sessions`:                    {&st.sessions},
		`SELECT COUNT(*), COUNT(revoked_at) FROM api_keys`: {&st.keys, &st.revokedKeys},
	} {
		if err := db.QueryRow(q).Scan(dst...); err != nil {
			f.s.t.Fatal(err)
		}
	}
	return st
}

// signedIn reports whether c's session still lets it see its dashboard.
func (c *testClient) signedIn() bool {
	c.t.Helper()
	return c.get("/links").StatusCode == http.StatusOK
}

// send makes route's request with body and its content type (none when
// ctype is empty), and extra headers.
func (c *testClient) send(r appRoute, l fixtureLink, ctype, body string, extra http.Header) response {
	c.t.Helper()
	h := http.Header{}
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	for k, v := range extra {
		h[k] = v
	}
	var rd *strings.Reader
	if body != "" || r.method == "POST" {
		rd = strings.NewReader(body)
	}
	if rd == nil {
		return c.request(r.method, l.fill(r.path), nil, h)
	}
	return c.request(r.method, l.fill(r.path), rd, h)
}

const formType = "application/x-www-form-urlencoded"

func TestEveryResponseCarriesSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	for _, r := range appRoutes {
		for _, viewer := range []string{"anonymous", "ada"} {
			c := f.s.client()
			if viewer == "ada" {
				c = f.ada
			}
			for _, variant := range []struct {
				name   string
				header http.Header
			}{{"page", nil}, {"htmx", http.Header{"Hx-Request": {"true"}}}} {
				l := f.newLink(f.adaID, store.NewLink{Label: `" onmouseover="alert(1)`})
				body := ""
				if r.form != nil {
					body = r.form.Encode()
				}
				res := c.send(r, l, formType, body, variant.header)
				checkSecurityHeaders(t, fmt.Sprintf("%s as %s (%s): %d", r, viewer, variant.name, res.StatusCode), res)
				if viewer == "ada" && !f.ada.signedIn() {
					f.ada = f.s.signIn("ada")
				}
			}
		}
	}
	// Responses that no row above produces: a used link, a revoked one, a
	// refused cross-origin post, an oversized and a malformed body, and a
	// link opened with a grant.
	used := f.newLink(f.adaID, store.NewLink{})
	opener := f.s.client()
	checkSecurityHeaders(t, "open", opener.post("/l/"+used.token, nil))
	checkSecurityHeaders(t, "reload with a grant", opener.get("/l/"+used.token))
	checkSecurityHeaders(t, "used link", f.s.client().get("/l/"+used.token))
	checkSecurityHeaders(t, "cross-origin", f.ada.request("POST", "/links", strings.NewReader("kind=message"),
		http.Header{"Content-Type": {formType}, "Sec-Fetch-Site": {"cross-site"}}))
	checkSecurityHeaders(t, "oversized", f.ada.post("/links", url.Values{"message": {strings.Repeat("x", core.MaxFormBytes)}}))
	checkSecurityHeaders(t, "malformed", f.ada.request("POST", "/links", strings.NewReader("%zz"), http.Header{"Content-Type": {formType}}))
}

var (
	tagPattern  = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>`)
	attrPattern = regexp.MustCompile(`\s([^\s=/>"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>"']+))?`)
)

// checkSecurityHeaders checks the headers that README.md's Security section
// promises of every response, and that an HTML body has no inline script
// or style.
func checkSecurityHeaders(t *testing.T, where string, res response) {
	t.Helper()
	csp := res.Header.Get("Content-Security-Policy")
	if csp != components.ContentSecurityPolicy && csp != components.URLLinkPolicy {
		t.Errorf("%s: Content-Security-Policy %q", where, csp)
	}
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if _, twice := directives[name]; twice {
			t.Errorf("%s: CSP directive %s is repeated, and browsers ignore the second", where, name)
		}
		directives[name] = value
	}
	for name, want := range map[string]string{
		"default-src": "'none'", "script-src": "'self'", "style-src": "'self'", "frame-ancestors": "'none'", "base-uri": "'none'",
	} {
		if directives[name] != want {
			t.Errorf("%s: CSP %s is %q, want %q", where, name, directives[name], want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("%s: CSP allows something unsafe: %q", where, csp)
	}
	for name, want := range map[string]string{
		"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
		"X-Robots-Tag": "noindex, nofollow",
	} {
		if got := res.Header.Get(name); got != want {
			t.Errorf("%s: %s is %q, want %q", where, name, got, want)
		}
	}
	cache := res.Header.Get("Cache-Control")
	if strings.HasPrefix(res.Request.URL.Path, assets.Prefix) && res.StatusCode == http.StatusOK {
		if !strings.Contains(cache, "immutable") {
			t.Errorf("%s: a hashed static file has Cache-Control %q", where, cache)
		}
	} else if cache != "no-store" {
		t.Errorf("%s: Cache-Control is %q, want no-store", where, cache)
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		return
	}
	for _, m := range tagPattern.FindAllStringSubmatch(res.body, -1) {
		tag, attrs := strings.ToLower(m[1]), attrPattern.FindAllStringSubmatch(m[2], -1)
		hasSrc := false
		for _, a := range attrs {
			name, value := strings.ToLower(a[1]), strings.Trim(a[2], `"'`)
			switch {
			case name == "src":
				hasSrc = true
			case name == "style" || strings.HasPrefix(name, "on"):
				t.Errorf("%s: inline %s attribute in <%s%s>", where, name, tag, m[2])
			case strings.HasPrefix(strings.ToLower(strings.TrimSpace(value)), "javascript:"):
				t.Errorf("%s: javascript: URL in <%s%s>", where, tag, m[2])
			}
		}
		if (tag == "script" && !hasSrc) || tag == "style" {
			t.Errorf("%s: inline <%s>", where, tag)
		}
	}
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	f := newFixture(t)
	for _, r := range appRoutes {
		if r.method == "GET" || r.method == "HEAD" {
			continue
		}
		l := f.newLink(f.adaID, store.NewLink{MaxUses: 5})
		for _, h := range []http.Header{
			{"Sec-Fetch-Site": {"cross-site"}},
			{"Sec-Fetch-Site": {"same-site"}},
			{"Origin": {"https://evil.example"}},
			{"Origin": {"null"}},
		} {
			before := f.state()
			res := f.ada.send(r, l, formType, r.form.Encode(), h)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "another site") {
				t.Errorf("%s with %v: %d, want 403 and an explanation", r, h, res.StatusCode)
			}
			if after := f.state(); after != before || !f.ada.signedIn() {
				t.Errorf("%s with %v changed %+v to %+v", r, h, before, after)
			}
		}
		// The same request from oncelink's own pages is not refused.
		res := f.ada.send(r, l, formType, r.form.Encode(), http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {f.s.URL}})
		if res.StatusCode == http.StatusForbidden {
			t.Errorf("%s from the same origin: 403", r)
		}
		if !f.ada.signedIn() {
			f.ada = f.s.signIn("ada")
		}
	}
}

// multipartFields is a multipart form with fields and one more field of pad
// bytes, and its content type.
func multipartFields(fields url.Values, pad int) (string, string) {
	var b strings.Builder
	w := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	if pad > 0 {
		w.WriteField("pad", strings.Repeat("x", pad))
	}
	w.Close()
	return b.String(), w.FormDataContentType()
}

func TestBadBodiesChangeNothing(t *testing.T) {
	f := newFixture(t)
	type body struct {
		name, ctype, body string
		// want is the status when the route reads its body.
		want int
	}
	for _, r := range appRoutes {
		form := r.form
		if len(form) == 0 {
			form = url.Values{"q": {"x"}}
		}
		// The body sweep sends more than a form may hold.
		bigMultipart, bigMultipartType := multipartFields(form, core.MaxFormBytes)
		smallMultipart, smallMultipartType := multipartFields(form, 0)
		bodies := []body{
			{"oversized form", formType, form.Encode() + "&pad=" + strings.Repeat("x", core.MaxFormBytes), http.StatusRequestEntityTooLarge},
			{"oversized multipart", bigMultipartType, bigMultipart, http.StatusRequestEntityTooLarge},
			{"malformed form", formType, "kind=message&message=%zz", http.StatusBadRequest},
			{"malformed multipart", smallMultipartType, strings.ReplaceAll(smallMultipart, "--", "-"), http.StatusBadRequest},
			{"bad content type", "multipart/form-data; boundary=", smallMultipart, http.StatusBadRequest},
			{"json", "application/json", `{"kind":"message","message":"x","ttl":"1h"}`, http.StatusUnsupportedMediaType},
			{"no content type", "", form.Encode(), http.StatusUnsupportedMediaType},
			{"text", "text/plain", form.Encode(), http.StatusUnsupportedMediaType},
		}
		for _, b := range bodies {
			l := f.newLink(f.adaID, store.NewLink{MaxUses: 5})
			want := b.want
			switch {
			case r.method == "GET" || r.method == "HEAD":
				want = http.StatusBadRequest
			case r.answersFirst != 0:
				want = r.answersFirst
			}
			before := f.state()
			res := f.ada.send(r, l, b.ctype, b.body, nil)
			if res.StatusCode != want {
				t.Errorf("%s with %s: %d, want %d", r, b.name, res.StatusCode, want)
			}
			if after := f.state(); after != before || !f.ada.signedIn() {
				t.Errorf("%s with %s changed %+v to %+v", r, b.name, before, after)
			}
		}
	}
}

func TestSetUpRefusesBadBodies(t *testing.T) {
	s := newTestServer(t)
	c := s.client()
	form := url.Values{"username": {"ada"}, "password": {testPassword}}
	for _, res := range []response{
		c.post("/setup", url.Values{"username": {"ada"}, "password": {testPassword}, "pad": {strings.Repeat("x", core.MaxFormBytes)}}),
		c.request("POST", "/setup", strings.NewReader(form.Encode()+"&%zz"), http.Header{"Content-Type": {formType}}),
		c.request("POST", "/setup", strings.NewReader(`{"username":"ada"}`), http.Header{"Content-Type": {"application/json"}}),
	} {
		if res.StatusCode < 400 || res.StatusCode >= 500 {
			t.Errorf("set-up with a bad body: %d", res.StatusCode)
		}
	}
	if n, err := s.store.CountAccounts(context.Background()); err != nil || n != 0 {
		t.Fatalf("accounts after refused set-ups: %d, %v", n, err)
	}
	s.admin()
}

// TestHeadRecordsNothing: a HEAD of a link page, as link checkers send,
// answers like a GET and leaves no view, no event and no use behind.
func TestHeadRecordsNothing(t *testing.T) {
	f := newFixture(t)
	l := f.newLink(f.adaID, store.NewLink{})
	before := f.state()
	for range 5 {
		if res := f.s.client().request(http.MethodHead, "/l/"+l.token, nil, nil); res.StatusCode != http.StatusOK || res.body != "" {
			t.Fatalf("HEAD: %d %q", res.StatusCode, res.body)
		}
	}
	if after := f.state(); after != before {
		t.Fatalf("HEAD changed %+v to %+v", before, after)
	}
	f.s.client().get("/l/" + l.token)
	if after := f.state(); after.views != before.views+1 || after.uses != before.uses {
		t.Fatalf("a GET is recorded as one view: %+v, was %+v", after, before)
	}
}

// A route asked with a method it does not take answers 405 and names the
// methods it does; an address no route takes is 404 whatever the method.
func TestWrongMethodsAre405(t *testing.T) {
	f := newFixture(t)
	l := f.newLink(f.adaID, store.NewLink{})
	routed := map[string]bool{}
	for _, r := range appRoutes {
		routed[r.method+" "+r.path] = true
	}
	for _, r := range appRoutes {
		if r.path == "/no-such-page" {
			continue
		}
		for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH"} {
			if routed[m+" "+r.path] || m == "GET" && routed["HEAD "+r.path] {
				continue
			}
			res := f.ada.send(appRoute{method: m, path: r.path}, l, formType, "", nil)
			allow := res.Header.Get("Allow")
			if res.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(allow, r.method) {
				t.Errorf("%s %s: %d, Allow %q; want 405 naming %s", m, r.path, res.StatusCode, allow, r.method)
			}
			if res.StatusCode == http.StatusMethodNotAllowed && !strings.Contains(res.body, "take") {
				t.Errorf("%s %s: the 405 page does not say why", m, r.path)
			}
		}
	}
	for _, m := range []string{"GET", "POST", "PUT"} {
		if res := f.ada.send(appRoute{method: m, path: "/nowhere"}, l, formType, "", nil); res.StatusCode != http.StatusNotFound || res.Header.Get("Allow") != "" {
			t.Errorf("%s /nowhere: %d, Allow %q", m, res.StatusCode, res.Header.Get("Allow"))
		}
	}
	if res := f.ada.request("POST", "/", strings.NewReader(""), http.Header{"Content-Type": {formType}}); res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
}

func TestLogPath(t *testing.T) {
	long := "/" + strings.Repeat("a/", 150)
	for _, c := range []struct{ in, want string }{
		{"/links", "/links"},
		{"/l/SECRETTOKEN", "/l/…"},
		{"//l/SECRETTOKEN/file", "//l/…"},
		{long, long[:200] + "…"},
		{long + "/l/SECRETTOKEN", long[:200] + "…/l/…"},
		{"/api/v1/open/SECRETTOKEN", "/api/v1/open/…"},
		{"/r/SECRETTOKEN/sent", "/r/…"},
		{"/unsubscribe/SECRETTOKEN", "/unsubscribe/…"},
		{"/UNSUBSCRIBE/SECRETTOKEN/x", "/UNSUBSCRIBE/…"},
		{"/api/v1/requests/3/revoke", "/api/v1/requests/3/revoke"},
		{"/api//v1/open/SECRETTOKEN/x", "/api//v1/open/…"},
		{"/api/v1/links/42/revoke", "/api/v1/links/42/revoke"},
		// In any case, and a token wherever it stands.
		{"/L/SECRETTOKEN", "/L/…"},
		{"/API/V1/OPEN/SECRETTOKEN", "/API/V1/OPEN/…"},
		{"/lVtD_49McQ2xY7hK1pLm3nB8vC5zX0aS6dF4gH2jK9Y28", "/…"},
		{"/links/VtD_49McQ2xY7hK1pLm3nB8vC5zX0aS6dF4gH2jK9Y28/x", "/links/…"},
		{"/static/app.css", "/static/app.css"},
		{"/settings/sessions/3f2a/end", "/settings/sessions/3f2a/end"},
	} {
		if got := logPath(c.in); got != c.want {
			t.Errorf("logPath(%.20q…) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Every response shares the security headers' values, so what one
// handler adds to them must reach neither the next response nor the one
// before.
func TestSecurityHeadersStayApart(t *testing.T) {
	adding := func(v string) http.Header {
		rec := httptest.NewRecorder()
		(&Handler{}).securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, sh := range &securityHeaderValues {
				w.Header().Add(sh.key, v)
			}
		})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		return rec.Header()
	}
	first, second := adding("first"), adding("second")
	rec := httptest.NewRecorder()
	(&Handler{}).securityHeaders(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	for _, sh := range &securityHeaderValues {
		want := sh.value[0]
		if got := first[sh.key]; len(got) != 2 || got[0] != want || got[1] != "first" {
			t.Errorf("%s of the first response is %q", sh.key, got)
		}
		if got := second[sh.key]; len(got) != 2 || got[0] != want || got[1] != "second" {
			t.Errorf("%s of the second response is %q", sh.key, got)
		}
		if got := rec.Header()[sh.key]; len(got) != 1 || got[0] != want {
			t.Errorf("%s of a later response is %q", sh.key, got)
		}
	}
}
