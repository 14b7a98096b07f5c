package handlers

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/net/html"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/store"
)

// accountID finds name's id on the accounts page.
func (c *testClient) accountID(name string) string {
	c.t.Helper()
	m := regexp.MustCompile(`id="account-(\d+)" data-testid="account-row" data-name="` + regexp.QuoteMeta(name) + `"`).FindStringSubmatch(c.get("/accounts").body)
	if m == nil {
		c.t.Fatalf("no row for %s on the accounts page", name)
	}
	return m[1]
}

func TestAccountsAreForAdminsOnly(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	bob := s.user("bob")
	bobID := admin.accountID("bob")
	adminID := admin.accountID("ada")
	for _, req := range []struct{ method, path string }{
		{http.MethodGet, "/accounts"},
		{http.MethodPost, "/accounts"},
		{http.MethodPost, "/accounts/" + adminID + "/disable"},
		{http.MethodPost, "/accounts/" + bobID + "/enable"},
	} {
		var body io.Reader // a GET has none
		if req.method == http.MethodPost {
			body = strings.NewReader("username=eve&password=0123456789")
		}
		if res := bob.request(req.method, req.path, body,
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}); res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "Only administrators") {
			t.Errorf("%s %s as a member: %d, want 403 saying only administrators may", req.method, req.path, res.StatusCode)
		}
	}
	if strings.Contains(bob.get("/links").body, `href="/accounts"`) {
		t.Error("a member's navigation links to the accounts page")
	}
	if res := s.client().get("/accounts"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("signed out: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if _, err := s.store.AccountByName(t.Context(), "eve"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a member added an account (%v)", err)
	}
	if a, err := s.store.AccountByName(t.Context(), "ada"); err != nil || a.Disabled() {
		t.Errorf("a member disabled the admin (%v)", err)
	}
}

// TestAccountsListedByName checks that the accounts page lists accounts by
// name as people read them, case and accents aside, as `oncelink user
// list` orders them, not capitals first and accented letters last as the
// bytes of the names would, nor as the database's collation would: the
// same on SQLite and PostgreSQL.
func TestAccountsListedByName(t *testing.T) {
	onBoth(t, func(t *testing.T, s *testServer) {
		admin := s.admin()
		for _, name := range []string{"Zoe", "Émile", "bob", "Carl", "_x", "bob.2", "Bob_3"} {
			if _, err := s.h.core.AddAccount(t.Context(), name, testPassword, false); err != nil {
				t.Fatal(err)
			}
		}
		var names []string
		for _, m := range regexp.MustCompile(`data-testid="account-row" data-name="([^"]*)"`).FindAllStringSubmatch(admin.get("/accounts").body, -1) {
			names = append(names, m[1])
		}
		if got, want := strings.Join(names, " "), "_x ada bob Bob_3 bob.2 Carl Émile Zoe"; got != want {
			t.Errorf("accounts listed as %q, want %q", got, want)
		}
	})
}

// TestSignedOutAlertReadsApart: a change sent from the accounts page by a
// browser whose session ended meanwhile is answered in the page's alerts,
// saying so with a link to sign in again, in every language; the link is
// a word apart from the sentence before it ("… what you did. Sign in"),
// not run into it.
func TestSignedOutAlertReadsApart(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	s.user("bob")
	signedOut := s.client()
	for _, l := range i18n.Languages {
		res := signedOut.request(http.MethodPost, "/accounts/2/disable", strings.NewReader(""), http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "Hx-Request": {"true"}, "Accept-Language": {l.Code}})
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s: %d, want 401", l.Code, res.StatusCode)
		}
		alert := first(t, parseHTML(t, res.body), "the alert", byTestID("error"))
		signIn := textOf(first(t, alert, "its sign-in link", byTestID("sign-in-again")))
		if text := textOf(alert); !strings.HasSuffix(text, " "+signIn) {
			t.Errorf("%s: the alert reads %q, its link %q run into the sentence before it", l.Code, text, signIn)
		}
	}
}

func TestAddAccount(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	if res := admin.get("/accounts"); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-testid="only-you"`) {
		t.Fatalf("accounts page before any other account: %d", res.StatusCode)
	}
	bad := []struct {
		name   string
		form   url.Values
		status int
		msg    string
	}{
		{"no name", url.Values{"username": {" "}, "password": {testPassword}}, 400, "Choose a username."},
		{"short password", url.Values{"username": {"cy"}, "password": {"short"}}, 400, "at least 10 characters"},
		{"blank password", url.Values{"username": {"cy"}, "password": {strings.Repeat(" ", 12)}}, 400, "not only spaces"},
		{"control characters", url.Values{"username": {"cy"}, "password": {"correct\x07horse battery"}}, 400, "no control characters"},
		{"password not UTF-8", url.Values{"username": {"cy"}, "password": {"correct \xff horse battery"}}, 400, "not UTF-8"},
		{"space in name", url.Values{"username": {"c y"}, "password": {testPassword}}, 400, "cannot contain spaces"},
		{"taken", url.Values{"username": {"ada"}, "password": {testPassword}}, 409, "An account named ada already exists"},
	}
	for _, tt := range bad {
		res := admin.post("/accounts", tt.form)
		if res.StatusCode != tt.status || !strings.Contains(res.body, tt.msg) {
			t.Errorf("%s: %d, want %d with %q", tt.name, res.StatusCode, tt.status, tt.msg)
		}
		if name := strings.TrimSpace(tt.form.Get("username")); name != "" && name != "ada" && !strings.Contains(res.body, `value="`+name+`"`) {
			t.Errorf("%s: the form lost the name", tt.name)
		}
	}
	if list, _ := s.store.Accounts(t.Context()); len(list) != 1 {
		t.Fatalf("bad input added accounts: %d", len(list))
	}

	// A name is kept as the same name typed plainly would be: full-width
	// letters narrowed, a Kelvin sign a K.
	for typed, kept := range map[string]string{"ｚｏｅ": "zoe", "\u212aen": "Ken"} {
		if res := admin.post("/accounts", url.Values{"username": {typed}, "password": {testPassword}}); res.StatusCode != http.StatusCreated {
			t.Fatalf("add %s: %d %s", typed, res.StatusCode, res.body)
		}
		if a, err := s.store.AccountByName(t.Context(), kept); err != nil || a.Username != kept {
			t.Errorf("%s is kept as %q, %v; want %q", typed, a.Username, err, kept)
		}
	}
	// A yes or no that the form never sends is refused, not read as
	// either, and adds nothing.
	for _, v := range []string{"false", "1", "yes"} {
		res := admin.post("/accounts", url.Values{"username": {"cy"}, "password": {testPassword}, "admin": {v}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "yes-or-no") {
			t.Errorf("admin=%s: %d", v, res.StatusCode)
		}
		if _, err := s.store.AccountByName(t.Context(), "cy"); err == nil {
			t.Fatalf("admin=%s added the account", v)
		}
	}
	res := admin.post("/accounts", url.Values{"username": {"cy"}, "password": {testPassword}, "admin": {"on"}})
	if res.StatusCode != http.StatusCreated || !strings.Contains(res.body, `data-testid="added"`) || !strings.Contains(res.body, `data-name="cy"`) {
		t.Fatalf("add: %d %s", res.StatusCode, res.body)
	}
	cy := s.client()
	if res := cy.post("/login", url.Values{"username": {"cy"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("new account signs in: %d", res.StatusCode)
	}
	if res := cy.get("/accounts"); res.StatusCode != http.StatusOK {
		t.Errorf("new admin sees the accounts page: %d", res.StatusCode)
	}
}

// besideField is a mistake that a form says beside its field: the
// field's name, its aria-describedby, and the message.
type besideField struct{ field, describedBy, want string }

// saysEachBeside checks that the form with data-testid form says each of
// mistakes beside its field, which is marked invalid and described by it,
// and that the page says no other mistake.
func saysEachBeside(t *testing.T, doc *html.Node, form string, mistakes ...besideField) {
	t.Helper()
	f := first(t, doc, form, byTestID(form))
	for _, m := range mistakes {
		input := first(t, f, m.field+" field", byAttr("name", m.field))
		if attr(input, "aria-invalid") != "true" || attr(input, "aria-describedby") != m.describedBy {
			t.Errorf("%s: aria-invalid %q, aria-describedby %q; want true, %q", m.field, attr(input, "aria-invalid"), attr(input, "aria-describedby"), m.describedBy)
		}
		if msg := elementByID(f, "error-"+m.field); msg == nil || textOf(msg) != m.want {
			t.Errorf("%s: no mistake %q beside it", m.field, m.want)
		}
	}
	if n := len(findAll(doc, byTestID("form-error"))); n != len(mistakes) {
		t.Errorf("%d mistakes said, want %d", n, len(mistakes))
	}
}

// TestAddAccountSaysEveryMistake sends a bad name and a short password at
// once: each is said beside its field, the name is kept, and nothing is
// added.
func TestAddAccountSaysEveryMistake(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	res := admin.post("/accounts", url.Values{"username": {"c y"}, "password": {"short"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a bad name and a short password: %d, want 400", res.StatusCode)
	}
	en := i18n.For("en")
	doc := parseHTML(t, res.body)
	saysEachBeside(t, doc, "add-account",
		besideField{"username", "error-username", en.T("error.username_invalid.spaces")},
		besideField{"password", "error-password password-help", en.N("error.password_too_short", core.MinPasswordLen)})
	keepsNameNotPassword(t, doc, "add-account", "c y")
	if list, _ := s.store.Accounts(t.Context()); len(list) != 1 {
		t.Fatalf("a refused form added accounts: %d", len(list))
	}
}

// keepsNameNotPassword checks that the form with data-testid form has the
// name typed in it again, and not the password.
func keepsNameNotPassword(t *testing.T, doc *html.Node, form, name string) {
	t.Helper()
	f := first(t, doc, form, byTestID(form))
	if v := attr(first(t, f, "username field", byAttr("name", "username")), "value"); v != name {
		t.Errorf("the name typed is %q in the form again, want %q", v, name)
	}
	if hasAttr(first(t, f, "password field", byAttr("name", "password")), "value") {
		t.Error("the password typed is in the form again")
	}
}

// TestSetupSaysEveryMistake sends the set-up form a bad name and a short
// password at once: each is said beside its field, the name is kept, and
// no account is made.
func TestSetupSaysEveryMistake(t *testing.T) {
	s := newTestServer(t)
	res := s.client().post("/setup", url.Values{"username": {"c y"}, "password": {"short"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a bad name and a short password: %d, want 400", res.StatusCode)
	}
	en := i18n.For("en")
	doc := parseHTML(t, res.body)
	saysEachBeside(t, doc, "setup-form",
		besideField{"username", "error-username", en.T("error.username_invalid.spaces")},
		besideField{"password", "error-password password-help", en.N("error.password_too_short", core.MinPasswordLen)})
	keepsNameNotPassword(t, doc, "setup-form", "c y")
	// The focus starts at the first mistake, the name, not in the password.
	form := first(t, doc, "setup-form", byTestID("setup-form"))
	if !hasAttr(first(t, form, "username field", byAttr("name", "username")), "autofocus") ||
		hasAttr(first(t, form, "password field", byAttr("name", "password")), "autofocus") {
		t.Error("the focus does not start in the name, the first mistake")
	}
	if list, _ := s.store.Accounts(t.Context()); len(list) != 0 {
		t.Fatalf("a refused set-up made accounts: %d", len(list))
	}
}

func TestDisableAndEnableAccount(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	bob := s.user("bob")
	bobID, adminID := admin.accountID("bob"), admin.accountID("ada")

	res := admin.htmx(http.MethodPost, "/accounts/"+bobID+"/disable", nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.body, `<tr id="account-`+bobID+`"`) ||
		!strings.Contains(res.body, ">disabled<") || !strings.Contains(res.body, `data-testid="enable"`) {
		t.Fatalf("htmx disable: %d %s", res.StatusCode, res.body)
	}
	if res := bob.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("disabled account's session: %d", res.StatusCode)
	}
	if res := s.client().post("/login", url.Values{"username": {"bob"}, "password": {testPassword}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("disabled account signs in: %d", res.StatusCode)
	}

	if res := admin.post("/accounts/"+bobID+"/enable", nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/accounts" {
		t.Fatalf("enable: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res := s.client().post("/login", url.Values{"username": {"bob"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("enabled account signs in: %d", res.StatusCode)
	}

	for _, tt := range []struct {
		path   string
		status int
	}{
		{"/accounts/" + adminID + "/disable", http.StatusBadRequest},
		{"/accounts/999999/disable", http.StatusNotFound},
		{"/accounts/abc/disable", http.StatusNotFound},
		{"/accounts/0/enable", http.StatusNotFound},
	} {
		if res := admin.post(tt.path, nil); res.StatusCode != tt.status {
			t.Errorf("POST %s: %d, want %d", tt.path, res.StatusCode, tt.status)
		}
	}
	if a, err := s.store.AccountByName(t.Context(), "ada"); err != nil || a.Disabled() {
		t.Errorf("the admin disabled their own account (%v)", err)
	}
}

func TestDisableRefusesBadBodies(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	s.user("bob")
	bobID := admin.accountID("bob")
	res := admin.request(http.MethodPost, "/accounts/"+bobID+"/disable", strings.NewReader(`{"disable":true}`),
		http.Header{"Content-Type": {"application/json"}})
	if res.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("disable with a JSON body: %d, want 415", res.StatusCode)
	}
	if bob, err := s.store.AccountByName(t.Context(), "bob"); err != nil || bob.Disabled() {
		t.Fatalf("bob after a refused disable: %+v, %v", bob, err)
	}
}

// flakyAccounts fails account lookups while down is set.
type flakyAccounts struct {
	core.Store
	down atomic.Bool
}

func (f *flakyAccounts) AccountByID(ctx context.Context, id int64) (store.Account, error) {
	if f.down.Load() {
		return store.Account{}, errors.New("database unreachable")
	}
	return f.Store.AccountByID(ctx, id)
}

func (f *flakyAccounts) SessionAccount(ctx context.Context, id int64, session string) (store.Account, error) {
	if f.down.Load() {
		return store.Account{}, errors.New("database unreachable")
	}
	return f.Store.SessionAccount(ctx, id, session)
}

// TestDatabaseHiccupKeepsTheSession: while the account cannot be read the
// owner is treated as signed out, and once it can, the session still holds.
func TestDatabaseHiccupKeepsTheSession(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	var flaky *flakyAccounts
	s.useStore(func(st core.Store) core.Store { flaky = &flakyAccounts{Store: st}; return flaky })
	flaky.down.Store(true)
	// Owner pages say to try again, rather than send the owner to sign in
	// or, for a post, refuse it as signed out: the session may well hold.
	if res := owner.get("/links"); res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dashboard while the database is down: %d", res.StatusCode)
	}
	if res := owner.request(http.MethodHead, "/links", nil, nil); res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("HEAD of the dashboard while the database is down: %d, want 503 like GET", res.StatusCode)
	}
	if res := owner.post("/links", url.Values{"kind": {"message"}, "message": {"kept"}, "ttl": {"1h"}}); res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("create while the database is down: %d %s", res.StatusCode, res.body)
	}
	// An open dashboard's stream is not told "signed out", which would end
	// it for good: it fails, and the browser tries again.
	if res := owner.get("/links/events"); res.StatusCode != http.StatusServiceUnavailable || strings.Contains(res.body, "signed-out") {
		t.Fatalf("event stream while the database is down: %d %q", res.StatusCode, res.body)
	}
	flaky.down.Store(false)
	if res := owner.get("/links"); res.StatusCode != http.StatusOK {
		t.Fatalf("dashboard once the database is back: %d, want the session to hold", res.StatusCode)
	}
	st := owner.stream()
	owner.createLink(nil)
	if ev := st.next(); ev.name != "created" {
		t.Fatalf("the stream once the database is back: %+v", ev)
	}
}

// TestAdminChoiceSaysWhatItGives: the add form's administrator choice is
// described by all that an administrator can do, in every language.
func TestAdminChoiceSaysWhatItGives(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	for _, l := range i18n.Languages {
		page := parseHTML(t, ada.getIn("/accounts", l.Code).body)
		box := first(t, page, "the administrator choice", byAttr("name", "admin"))
		if got, want := textOf(box.Parent), i18n.For(l.Code).T("accounts.add.admin"); box.Parent.Data != "label" || got != want {
			t.Errorf("%s: the choice is labelled %q, want %q", l.Code, got, want)
		}
		help := elementByID(page, attr(box, "aria-describedby"))
		if help == nil {
			t.Errorf("%s: the choice has no description", l.Code)
			continue
		}
		if got, want := textOf(help), i18n.For(l.Code).T("accounts.add.admin_help"); got != want {
			t.Errorf("%s: the choice is described as %q, want %q", l.Code, got, want)
		}
	}
}
