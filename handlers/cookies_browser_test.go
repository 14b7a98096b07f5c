package handlers

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/internal/browsertest"
)

// TestRecipientWithoutCookies: a recipient whose browser keeps no cookies
// opens a message once and is told that the page is the only place it
// shows; is asked for cookies before a file's one use is spent on a
// download that would fail; and, answering a request, is thanked, where
// the thank-you page without its receipt said the request was answered
// already. In English and in Arabic, asked for by the browser's
// Accept-Language (TestLanguageChosenWithoutCookies chooses it in the
// language menu).
func TestRecipientWithoutCookies(t *testing.T) {
	for _, lang := range []string{"en", "ar"} {
		s := newTestServer(t)
		owner := s.admin()
		message := owner.createLink(url.Values{"message": {"the door code is 4711"}})
		file := owner.shareFile("report.pdf", []byte("%PDF-1.4 a report"))
		request := s.URL + owner.createRequest(nil)
		ctx := browsertest.New(t, browsertest.WithoutCookies(t))
		b := newTab(t, ctx, s)
		b.acceptLanguage(lang)
		said := func(id string) string {
			t.Helper()
			return eval[string](b, `document.querySelector("[data-testid=`+id+`]").textContent`)
		}

		// The message opens, once, and says it shows only here.
		b.do(chromedp.Navigate(message), chromedp.WaitVisible(chromedp.CSS("[data-testid=open]")))
		if eval[bool](b, `document.cookie !== "" || document.documentElement.lang !== "`+lang+`"`) {
			t.Fatalf("the browser keeps cookies, or the page is not in %s: the test tests nothing", lang)
		}
		b.do(chromedp.Click(chromedp.CSS("[data-testid=open]")), chromedp.WaitVisible(chromedp.ID("secret")))
		if got := said("message"); got != "the door code is 4711" {
			t.Errorf("in %s, the opened message is %q", lang, got)
		}
		if eval[bool](b, `!document.querySelector("[data-testid=no-cookies]") || document.querySelector("[data-grant-ends]") !== null`) {
			t.Errorf("in %s, the opened message says it shows again: %q", lang, said("grant-note"))
		}
		browsertest.Shoot(t, ctx, "no-cookies-message-"+lang)
		if l := linkOf(t, s, message); l.Uses != 1 {
			t.Errorf("in %s, the message link was used %d times", lang, l.Uses)
		}

		// The file is not opened: the page asks for cookies, and the
		// link keeps its use.
		b.do(chromedp.Navigate(file), chromedp.WaitVisible(chromedp.CSS("[data-testid=open]")))
		b.do(chromedp.Click(chromedp.CSS("[data-testid=open]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=form-error]")))
		if got := said("form-error"); !strings.Contains(got, map[string]string{"en": "cookies", "ar": "ملفات تعريف الارتباط"}[lang]) {
			t.Errorf("in %s, opening the file says %q", lang, got)
		}
		if eval[bool](b, `!document.querySelector("[data-testid=open]")`) {
			t.Errorf("in %s, the file's page offers no Open button to try again", lang)
		}
		browsertest.Shoot(t, ctx, "no-cookies-file-"+lang)
		if l := linkOf(t, s, file); l.Uses != 0 {
			t.Errorf("in %s, the file link was used %d times for a download that cannot work", lang, l.Uses)
		}
		b.forgive("status of 403")

		// A request's answer ends on its thanks.
		b.do(
			chromedp.Navigate(request),
			chromedp.SendKeys(chromedp.ID("message"), "hunter2"),
			chromedp.Click(chromedp.CSS("[data-testid=send]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=sent]")),
		)
		if eval[bool](b, `!!document.querySelector("[data-testid=send-form]") || !!document.querySelector("[data-testid=error]")`) {
			t.Errorf("in %s, the answered request shows its form or an error", lang)
		}
		browsertest.Shoot(t, ctx, "no-cookies-sent-"+lang)
		if res := owner.get("/requests"); !strings.Contains(res.body, `data-status="fulfilled"`) {
			t.Errorf("in %s, the request was not answered", lang)
		}
		b.clean("a recipient without cookies")
	}
}

// TestLanguageChosenWithoutCookies: a reader whose browser keeps no
// cookies, and asks for English, chooses Arabic in the language menu of a
// link's page: the page comes back in Arabic, and so does the message it
// opens; on a request's page, the page and its thanks.
func TestLanguageChosenWithoutCookies(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	message := owner.createLink(url.Values{"message": {"the door code is 4711"}})
	request := s.URL + owner.createRequest(nil)
	ctx := browsertest.New(t, browsertest.WithoutCookies(t))
	b := newTab(t, ctx, s)
	b.acceptLanguage("en")
	lang := func(where string, want string) {
		t.Helper()
		if got := eval[string](b, `document.documentElement.lang + " " + (document.cookie === "")`); got != want+" true" {
			t.Fatalf("%s: the page's language and no cookie: %q, want %q", where, got, want+" true")
		}
	}
	choose := func(wait string) {
		t.Helper()
		b.do(
			chromedp.SetValue(chromedp.ID("language-menu"), "ar"),
			chromedp.Click(chromedp.CSS("form.language button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS(`html[lang=ar] `+wait)),
		)
	}
	b.do(chromedp.Navigate(message), chromedp.WaitVisible(chromedp.CSS("[data-testid=open]")))
	lang("the link's page", "en")
	choose("[data-testid=open]")
	lang("the link's page, Arabic chosen", "ar")
	browsertest.Screenshot(t, ctx, "no-cookies-language-link-ar")
	b.do(chromedp.Click(chromedp.CSS("[data-testid=open]")), chromedp.WaitVisible(chromedp.ID("secret")))
	lang("the opened message", "ar")
	if got := eval[string](b, `document.querySelector("[data-testid=message]").textContent`); got != "the door code is 4711" {
		t.Errorf("the opened message is %q", got)
	}
	browsertest.Screenshot(t, ctx, "no-cookies-language-message-ar")

	b.do(chromedp.Navigate(request), chromedp.WaitVisible(chromedp.ID("message")))
	lang("the request's page", "en")
	choose("#message")
	lang("the request's page, Arabic chosen", "ar")
	b.do(
		chromedp.SendKeys(chromedp.ID("message"), "hunter2"),
		chromedp.Click(chromedp.CSS("[data-testid=send]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=sent]")),
	)
	lang("the thanks", "ar")
	browsertest.Shoot(t, ctx, "no-cookies-language-sent-ar")
	b.clean("a language chosen without cookies")
}

// TestLanguageFollowsLinksWithoutCookies: a recipient whose browser keeps
// no cookies, and asks for English, chooses Arabic on the page of a link
// for an account; its link to sign in, the header's link home and the
// sign-in form that answers lead to pages in Arabic, where they fell back
// to English.
func TestLanguageFollowsLinksWithoutCookies(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	s.user("bob")
	link := owner.createLink(url.Values{"message": {"for bob"}, "for_user": {"bob"}})
	ctx := browsertest.New(t, browsertest.WithoutCookies(t))
	b := newTab(t, ctx, s)
	b.acceptLanguage("en")
	b.do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("[data-testid=sign-in]")),
		chromedp.SetValue(chromedp.ID("language-menu"), "ar"),
		chromedp.Click(chromedp.CSS("form.language button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("html[lang=ar] [data-testid=sign-in]")))
	if eval[bool](b, `document.cookie !== ""`) {
		t.Fatal("the browser keeps cookies: the test tests nothing")
	}
	b.do(chromedp.Click(chromedp.CSS("[data-testid=sign-in]")), chromedp.WaitVisible(chromedp.CSS("#username")))
	if got := eval[string](b, `document.documentElement.lang`); got != "ar" {
		t.Errorf("the link's sign-in link leads to a page in %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS("header .brand")), chromedp.WaitVisible(chromedp.CSS("#username")))
	if got := eval[string](b, `document.documentElement.lang + " " + location.pathname`); got != "ar /login" {
		t.Errorf("the header's link home leads to %q", got)
	}
	b.do(
		chromedp.SendKeys(chromedp.ID("username"), "bob"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=form-error]")),
	)
	if got := eval[string](b, `document.documentElement.lang`); got != "ar" {
		t.Errorf("signing in without cookies answers in %q", got)
	}
	browsertest.Shoot(t, ctx, "no-cookies-language-sign-in-ar")
	b.forgive("status of 403")
	b.clean("links without cookies")
}

// TestRequestAnsweredWithoutCookiesOrScript: the send form, sent by the
// browser itself (no script), from a browser that keeps no cookies, ends
// on the thanks too.
func TestRequestAnsweredWithoutCookiesOrScript(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	request := s.URL + owner.createRequest(nil)
	ctx := browsertest.New(t, browsertest.WithoutCookies(t))
	b := newTab(t, ctx, s)
	b.do(
		chromedp.Navigate(request),
		chromedp.SendKeys(chromedp.ID("message"), "hunter2"),
		// HTMLFormElement.submit sends the form without a submit event,
		// which htmx would take.
		chromedp.Submit(chromedp.ID("message")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=sent]")),
	)
	b.wait(`location.pathname === `+jsString(strings.TrimPrefix(request, s.URL)), time.Second)
	b.clean("a request answered without cookies or script")
}

// TestEndToEndLinkWithoutCookies: an end-to-end link opens in a browser
// that keeps no cookies, and so no session storage, whose use throws: the
// key still leaves the address at once, and the message decrypts, where
// the page stopped at its first use of the storage and said JavaScript was
// needed, with the key left in the address bar.
func TestEndToEndLinkWithoutCookies(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	owner := browsertest.New(t)
	signIn(t, owner, s.URL)
	link := e2eCreate(t, owner, s, s.URL, chromedp.SendKeys(chromedp.ID("message"), "sealed in the browser"))
	ctx := browsertest.New(t, browsertest.WithoutCookies(t))
	b := newTab(t, ctx, s)
	e2eOpenPage(t, ctx, link)
	openDecrypts(t, ctx, "sealed in the browser")
	browsertest.Shoot(t, ctx, "no-cookies-e2e")
	b.clean("an end-to-end link without cookies")
}

// TestSignInWithoutCookies: signing in from a browser that keeps no
// cookies says that it needs them, where the session made was gone at the
// next page, which showed the sign-in form again without a word.
func TestSignInWithoutCookies(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	ctx := browsertest.New(t, browsertest.WithoutCookies(t))
	b := newTab(t, ctx, s)
	b.do(
		chromedp.Navigate(s.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), "ada"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=form-error]")),
	)
	if got := eval[string](b, `document.querySelector("[data-testid=form-error]").textContent`); !strings.Contains(got, "cookies") {
		t.Errorf("signing in without cookies says %q", got)
	}
	browsertest.Shoot(t, ctx, "no-cookies-sign-in")
	b.forgive("status of 403")
	b.clean("signing in without cookies")
}

// TestSetUpWithoutCookies: setting up the first account from a browser
// that keeps no cookies says that signing in needs them, and creates
// nothing, where the account was made and the browser, signed out again
// at the next page, was left on the sign-in form without a word.
func TestSetUpWithoutCookies(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t, browsertest.WithoutCookies(t))
	b := newTab(t, ctx, s)
	b.open("/setup", "#username")
	b.do(
		chromedp.SendKeys(chromedp.ID("username"), "ada"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("form[action='/setup'] button[type=submit]")),
	)
	b.wait(`!!document.querySelector("[data-testid=form-error], form[action='/login']")`, 5*time.Second)
	if got := eval[string](b, `location.pathname + " " + ((document.querySelector("[data-testid=form-error]") || {}).textContent || "no word")`); !strings.HasPrefix(got, "/setup ") || !strings.Contains(got, "cookies") {
		t.Errorf("setting up without cookies ends on %q", got)
	}
	if got := eval[string](b, `document.getElementById("username").value`); got != "ada" {
		t.Errorf("the name typed is not kept: %q", got)
	}
	if open, err := s.h.core.SetupOpen(context.Background()); err != nil || !open {
		t.Errorf("an account was created for a browser that cannot sign in (set-up open %v, %v)", open, err)
	}
	browsertest.Shoot(t, ctx, "no-cookies-setup", 390, 1280)
	b.forgive("status of 403")
	b.clean("setting up without cookies")
}

// sessionRows counts the sessions the server keeps.
func sessionRows(t *testing.T, s *testServer) int {
	t.Helper()
	var n int
	if err := s.store.SessionDB().QueryRow(`SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPasskeySignInWithoutCookies: signing in with a passkey from a
// browser that keeps no cookies, whose authenticator holds the account's
// passkey, says that it needs them, with the focus on it, before the
// passkey is asked for, and leaves no session behind: where the ceremony,
// its state kept in a session the browser could not keep, was refused at
// its end as one that took too long or was started in another tab. In
// English and in Arabic.
func TestPasskeySignInWithoutCookies(t *testing.T) {
	s := newPasskeyServer(t)
	// The passkey is added in a browser that keeps cookies, and copied
	// to the authenticator of one that keeps none, as a passkey synced
	// between a person's devices.
	owner := newTab(t, browsertest.New(t), s)
	from := addVirtualAuthenticator(t, owner)
	owner.setUp()
	owner.addPasskey("laptop")
	held, err := chromedp.Call(owner.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: from})
	if err != nil || len(held.Credentials) != 1 {
		t.Fatalf("the authenticator holds %d passkeys (%v)", len(held.Credentials), err)
	}
	passkey := held.Credentials[0]
	// webauthn.Credential always sends a field of a kind of key that the
	// virtual authenticator refuses: the passkey goes with its own fields.
	type credential struct {
		CredentialID []byte  `json:"credentialId"`
		Resident     bool    `json:"isResidentCredential"`
		RpID         string  `json:"rpId"`
		PrivateKey   []byte  `json:"privateKey"`
		UserHandle   []byte  `json:"userHandle"`
		SignCount    float64 `json:"signCount"`
	}
	type addCredential struct {
		AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
		Credential      credential               `json:"credential"`
	}
	add := cdp.Command[addCredential, struct{}]{Method: webauthn.CommandAddCredential}

	for _, lang := range []string{"en", "ar"} {
		ctx := browsertest.New(t, browsertest.WithoutCookies(t))
		b := newTab(t, ctx, s)
		to := addVirtualAuthenticator(t, b)
		if _, err := chromedp.Call(ctx, add, addCredential{to, credential{passkey.CredentialID, true, passkey.RpID,
			passkey.PrivateKey, passkey.UserHandle, passkey.SignCount}}); err != nil {
			t.Fatal(err)
		}
		b.acceptLanguage(lang)
		sessions := sessionRows(t, s)

		b.open("/login", "[data-testid=passkey-signin]")
		if eval[bool](b, `document.cookie !== "" || document.documentElement.lang !== "`+lang+`"`) {
			t.Fatalf("the browser keeps cookies, or the page is not in %s: the test tests nothing", lang)
		}
		b.do(
			chromedp.Click(chromedp.CSS("[data-testid=passkey-signin]")),
			chromedp.WaitVisible(chromedp.ID("signin-passkey-status")),
		)
		want := errCookiesToSignIn.Message(i18n.For(lang))
		if got := eval[string](b, `location.pathname + " " + document.getElementById("signin-passkey-status").textContent`); got != "/login "+want {
			t.Errorf("in %s, signing in with a passkey without cookies ends on %q, want /login %q", lang, got, want)
		}
		if got := eval[string](b, `document.activeElement.id || document.activeElement.outerHTML`); got != "signin-passkey-status" {
			t.Errorf("in %s, the focus is on %q, not the message", lang, got)
		}
		// The passkey was not asked for, and nothing was kept of the
		// ceremony.
		now, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: to})
		if err != nil || len(now.Credentials) != 1 || now.Credentials[0].SignCount != passkey.SignCount {
			t.Errorf("in %s, the passkey was used for a sign-in that could not work (%v)", lang, err)
		}
		if n := sessionRows(t, s); n != sessions {
			t.Errorf("in %s, %d sessions after the refusal, %d before", lang, n, sessions)
		}
		browsertest.Shoot(t, ctx, "no-cookies-passkey-"+lang, 390)
		b.forgive("status of 403")
		b.clean("a passkey sign-in without cookies in " + lang)
	}
}

// TestSSOWithoutCookies: single sign-on from a browser that keeps no
// cookies says that it needs them, on the sign-in page, with the focus on
// it, before the browser leaves for the provider, and keeps nothing for
// it: where the pending sign-on, kept in a session the browser could not
// keep, came back from the provider to a sign-in "expired, or started in
// another browser". In English and in Arabic, with a password form beside
// the button and without one.
func TestSSOWithoutCookies(t *testing.T) {
	idp := startProvider(t)
	s := newSSOServer(t, idp)
	s.admin()
	ssoOnly := newSSOServer(t, idp, func(c *core.Config) { c.NoPasswordSignIn = true })
	ssoOnly.admin()
	for _, srv := range []*ssoServer{s, ssoOnly} {
		for _, lang := range []string{"en", "ar"} {
			where := lang
			if srv == ssoOnly {
				where += ", without passwords"
			}
			ctx := browsertest.New(t, browsertest.WithoutCookies(t))
			b := newTab(t, ctx, srv.testServer)
			b.acceptLanguage(lang)
			sessions := sessionRows(t, srv.testServer)
			idp.QueueUser(ssoUser("sub-amy", "amy@example.com", "amy"))
			b.open("/login", "[data-testid=sso]")
			if eval[bool](b, `document.cookie !== "" || document.documentElement.lang !== "`+lang+`"`) {
				t.Fatalf("the browser keeps cookies, or the page is not in %s: the test tests nothing", lang)
			}
			b.do(chromedp.Click(chromedp.CSS("[data-testid=sso]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=form-error]")))
			want := errCookiesToSignIn.Message(i18n.For(lang))
			if got := eval[string](b, `document.querySelector("[data-testid=form-error]").textContent`); got != want {
				t.Errorf("in %s, single sign-on without cookies says %q, want %q", where, got, want)
			}
			if got := eval[string](b, `location.host + location.pathname`); got != strings.TrimPrefix(srv.URL, "http://")+"/auth/oidc/start" {
				t.Errorf("in %s, single sign-on without cookies ends at %s, not at the start's answer", where, got)
			}
			if !eval[bool](b, `!!document.querySelector("[data-testid=sso]")`) {
				t.Errorf("in %s, the refusal is not on the sign-in page with its button", where)
			}
			// The page's script gives the message the focus once it has
			// run, which may come a moment after the message shows.
			b.wait(`document.activeElement.dataset.testid === "form-error"`, 5*time.Second)
			if n := sessionRows(t, srv.testServer); n != sessions {
				t.Errorf("in %s, %d sessions after the refusal, %d before", where, n, sessions)
			}
			if _, err := srv.store.AccountByName(context.Background(), "amy"); err == nil {
				t.Errorf("in %s, an account was made for a browser that cannot sign in", where)
			}
			name := "no-cookies-sso-" + lang
			if srv == ssoOnly {
				name = "no-cookies-sso-only-" + lang
			}
			browsertest.Shoot(t, ctx, name, 390)
			b.forgive("status of 403")
			b.clean("single sign-on without cookies in " + where)
		}
	}
}
