package handlers

import (
	"context"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"golang.org/x/net/html"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/internal/oidctest"
	"oncelink/store"
)

// passkeyOptions asks for the options that start adding a passkey named
// laptop, with proof, as the settings page's script does.
func (c *testClient) passkeyOptions(proof string) response {
	c.t.Helper()
	form := url.Values{"name": {"laptop"}, "proof": {proof}}
	return c.request(http.MethodPost, "/settings/passkeys/options", strings.NewReader(form.Encode()),
		http.Header{"Accept": {"application/json"}, "Content-Type": {"application/x-www-form-urlencoded"}})
}

// onLocalhost serves passkeys: the server is reached by a name.
func onLocalhost(c *core.Config) {
	c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1)
}

// newPasskeySSOServer is newSSOServer at http://localhost:PORT, where a
// browser takes passkeys and the provider sends it back.
func newPasskeySSOServer(t *testing.T) *ssoServer {
	t.Helper()
	s := newSSOServer(t, startProvider(t), onLocalhost)
	s.URL = strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
	return s
}

// TestSettingUpTheAppTakesProof: a session that proved who it is longer
// ago than the window, as a stolen cookie may be, sets up no
// authenticator app of its own without a proof: it gets no secret to
// scan, and confirms none it did not see.
func TestSettingUpTheAppTakesProof(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	ada := s.admin()
	s.clock.Advance(core.ProofWindow)
	for _, proof := range []string{"", "not the password"} {
		res := ada.post("/settings/totp", url.Values{"proof": {proof}})
		if res.StatusCode != http.StatusForbidden || secretPattern.MatchString(res.body) ||
			!strings.Contains(res.body, `id="error-proof"`) || !strings.Contains(res.body, `aria-describedby="error-proof"`) {
			t.Fatalf("setting up the app with the proof %q: %d", proof, res.StatusCode)
		}
	}
	res := ada.post("/settings/totp", url.Values{"proof": {testPassword}})
	m := secretPattern.FindStringSubmatch(res.body)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("setting up the app with the password: %d", res.StatusCode)
	}
	// The window closed while the app was scanned: the code alone turns
	// nothing on, and the secret is not shown again, not even beside a
	// wrong code.
	s.clock.Advance(core.ProofWindow)
	code := s.code(m[1])
	wrong := code[:5] + string('0'+(code[5]-'0'+1)%10)
	for _, c := range []string{code, wrong} {
		res = ada.post("/settings/totp/confirm", url.Values{"code": {c}})
		if res.StatusCode != http.StatusForbidden || secretPattern.MatchString(res.body) || !strings.Contains(res.body, `id="error-proof"`) {
			t.Fatalf("confirming the app with the code %s alone: %d", c, res.StatusCode)
		}
	}
	if f, err := s.h.core.SecondFactorsOf(context.Background(), 1); err != nil || f.TOTP {
		t.Fatalf("the app is on without a proof: %+v, %v", f, err)
	}
	res = ada.post("/settings/totp/confirm", url.Values{"code": {code}, "proof": {testPassword}})
	if res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "new-codes") {
		t.Fatalf("confirming the app with the password: %d %s", res.StatusCode, res.body)
	}
}

// TestSSOAccountProvesBySigningInAgain: an account that signs in only by
// single sign-on, and has no app, has no password to give: right after
// signing in at the provider it adds a passkey with nothing more, and
// later it signs in again there, afresh, which brings it back proven.
func TestSSOAccountProvesBySigningInAgain(t *testing.T) {
	s := newPasskeySSOServer(t)
	s.admin()
	c := s.client()
	// The provider says it had jane sign in just now.
	if res := s.ssoSignIn(c, oidctest.SignedInAt(ssoUser("sub-jane", "jane@example.com", "jane"), s.clock.Now())); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", res.StatusCode, res.body)
	}
	if res := c.passkeyOptions(""); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `"challenge"`) {
		t.Fatalf("a passkey right after signing in: %d %s", res.StatusCode, res.body)
	}
	s.clock.Advance(core.ProofWindow)
	if res := c.passkeyOptions(""); res.StatusCode != http.StatusForbidden || strings.Contains(res.body, "challenge") {
		t.Fatalf("a passkey once the window closed: %d %s", res.StatusCode, res.body)
	}
	page := c.get("/settings").body
	if !hasTestID(t, page, "sso-proof") || strings.Contains(page, "Your password") {
		t.Fatal("the settings page asks for a password the account does not have, and offers no other way")
	}
	res := c.post("/settings/confirm", url.Values{"next": {"/settings#two-factor"}})
	to, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(to.String(), s.idp.AuthorizationEndpoint()+"?") {
		t.Fatalf("confirm: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if q := to.Query(); q.Get("prompt") != "login" || q.Get("max_age") != "0" {
		t.Fatalf("the provider was not asked for a fresh sign-in: %v", q)
	}
	s.idp.QueueUser(oidctest.SignedInAt(ssoUser("sub-jane", "jane@example.com", "jane"), s.clock.Now()))
	res = c.get(c.atProvider(to).String())
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings#two-factor" {
		t.Fatalf("back from the provider: %d to %q: %s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	if res := c.passkeyOptions(""); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `"challenge"`) {
		t.Fatalf("a passkey once proven again: %d %s", res.StatusCode, res.body)
	}
}

// TestSSOProofAskedOnce: the two-factor section of an account that
// confirms it is its owner by signing in again with single sign-on asks
// for that once, above its forms, with one button that comes back to the
// section, while the session is not proven; a form sent meanwhile is
// refused beside it, and the refusal describes that button.
func TestSSOProofAskedOnce(t *testing.T) {
	s := newPasskeySSOServer(t)
	s.admin()
	c := s.client()
	if res := s.ssoSignIn(c, ssoUser("sub-jane", "jane@example.com", "jane")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", res.StatusCode, res.body)
	}
	en := i18n.For("en")
	one := func(what string, page response) *html.Node {
		t.Helper()
		doc := parseHTML(t, page.body)
		buttons := findAll(doc, byTestID("sso-proof"))
		prompt := findAll(doc, byTestID("sso-proof-prompt"))
		if len(buttons) != 1 || len(prompt) != 1 || hasAttr(prompt[0], "hidden") || len(findAll(prompt[0], byTestID("sso-proof"))) != 1 {
			t.Fatalf("%s: %d buttons to sign in again, %d prompts", what, len(buttons), len(prompt))
		}
		if got := textOf(prompt[0]); !strings.HasPrefix(got, en.T("twofactor.proof.sso_prompt")) {
			t.Errorf("%s: the prompt says %q", what, got)
		}
		if next := attr(buttons[0], "value"); next != "/settings#two-factor" {
			t.Errorf("%s: signing in again comes back to %q", what, next)
		}
		return buttons[0]
	}
	settings := c.get("/settings")
	one("the settings", settings)
	// The section says what a second factor does for an account that
	// signs in with single sign-on, which has no password to follow.
	if got := textOf(first(t, parseHTML(t, settings.body), "the intro", byTestID("two-factor-intro"))); got != en.T("twofactor.intro_sso") {
		t.Errorf("the section's intro says %q", got)
	}
	// The passkey form's part for the proof holds only its refusal: shown
	// before there is one, it would be an empty gap above the button.
	form := first(t, parseHTML(t, settings.body), "the passkey form", byTestID("passkey-form"))
	for _, part := range findAll(form, func(n *html.Node) bool { return hasAttr(n, "data-proof") }) {
		if hasAttr(part, "hidden") {
			continue
		}
		if shown := findAll(part, func(n *html.Node) bool { return n != part && !hasAttr(n, "hidden") }); len(shown) == 0 {
			t.Errorf("the passkey form shows an empty part for the proof: %s", attr(part, "class"))
		}
	}
	res := c.post("/settings/totp", nil)
	button := one("a form refused", res)
	want := core.Variant(core.Forbidden, "proof_needed", "sso", "proof", "confirm_first", "Minutes", int(core.ProofWindow/time.Minute)).Msg
	refusal := findAll(first(t, parseHTML(t, res.body), "the app's form", byTestID("totp-start-form")), byTestID("form-error"))
	if res.StatusCode != http.StatusForbidden || len(refusal) != 1 || textOf(refusal[0]) != want {
		t.Fatalf("setting up an app unproven: %d, refused beside its form with %d messages", res.StatusCode, len(refusal))
	}
	if got := attr(button, "aria-describedby"); got == "" || got != attr(refusal[0], "id") {
		t.Errorf("the button is described by %q, the refusal is %q", got, attr(refusal[0], "id"))
	}
}

// TestSSOSignInProvesOnlyWhenFresh: someone at a browser left signed in
// at the provider, whose oncelink session is past its proof window, signs
// out and in again with single sign-on: the provider lets them through on
// its own session, saying no sign-in time, or an old one, and the new
// session is no more proven than the old. A sign-in the provider says it
// just had the person make proves the session, from then.
func TestSSOSignInProvesOnlyWhenFresh(t *testing.T) {
	s := newPasskeySSOServer(t)
	s.admin()
	c := s.client()
	jane := ssoUser("sub-jane", "jane@example.com", "jane")
	signIn := func(u mockoidc.User) {
		t.Helper()
		c.post("/logout", nil)
		if res := s.ssoSignIn(c, u); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/links" {
			t.Fatalf("sign-in: %d to %q %s", res.StatusCode, res.Header.Get("Location"), res.body)
		}
	}
	for _, u := range []mockoidc.User{jane, oidctest.SignedInAt(jane, s.clock.Now().Add(-core.ProofWindow-time.Minute))} {
		signIn(u)
		if res := c.passkeyOptions(""); res.StatusCode != http.StatusForbidden || strings.Contains(res.body, "challenge") {
			t.Fatalf("a passkey after a sign-in on the provider's session (%T): %d %s", u, res.StatusCode, res.body)
		}
		s.clock.Advance(core.ProofWindow)
	}
	signIn(oidctest.SignedInAt(jane, s.clock.Now().Add(-time.Minute)))
	if res := c.passkeyOptions(""); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `"challenge"`) {
		t.Fatalf("a passkey after a fresh sign-in at the provider: %d %s", res.StatusCode, res.body)
	}
	// The window runs from the sign-in at the provider.
	s.clock.Advance(core.ProofWindow - time.Minute)
	if res := c.passkeyOptions(""); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a passkey a window after the sign-in at the provider: %d %s", res.StatusCode, res.body)
	}
}

// TestEnrolmentAddsPasskeyWithoutProof: a browser that must set up a
// second factor before it signs in gave the password moments ago: adding
// a passkey there asks for nothing more, for as long as the enrolment
// lasts.
func TestEnrolmentAddsPasskeyWithoutProof(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false }, onLocalhost)
	ada := s.admin()
	if res := ada.post("/accounts/two-factor", url.Values{"required": {"on"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("require two-factor: %d", res.StatusCode)
	}
	if _, err := s.h.core.AddAccount(context.Background(), "bob", testPassword, false); err != nil {
		t.Fatal(err)
	}
	c := s.client()
	if res := c.post("/login", url.Values{"username": {"bob"}, "password": {testPassword}}); res.Header.Get("Location") != "/settings" {
		t.Fatalf("bob's sign-in goes to %q, want the enrolment", res.Header.Get("Location"))
	}
	if page := c.get("/settings").body; !hasTestID(t, page, "passkey-form") || strings.Contains(page, `name="proof"`) {
		t.Fatal("the enrolment page asks for a proof, or offers no passkey")
	}
	for range 2 {
		if res := c.passkeyOptions(""); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `"challenge"`) {
			t.Fatalf("a passkey while enrolling: %d %s", res.StatusCode, res.body)
		}
		s.clock.Advance(core.ProofWindow)
	}
}

// TestProofFormsFollowTheWindow: while the session is proven the forms
// ask for no proof; a form shown then and sent once the window closed is
// refused with the field shown, the reason beside it, and nothing
// changed. The field's label names what the account can give.
func TestProofFormsFollowTheWindow(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	ada := s.admin()
	en := i18n.For("en")
	label := func(body, id string) string {
		t.Helper()
		for _, n := range findAll(parseHTML(t, body), func(n *html.Node) bool { return n.Data == "label" && attr(n, "for") == id }) {
			return strings.TrimSpace(textOf(n))
		}
		return ""
	}
	page := ada.get("/settings").body
	if strings.Contains(page, `name="proof"`) || !hasTestID(t, page, "totp-start") {
		t.Fatal("right after signing in the settings ask for a proof")
	}
	s.clock.Advance(core.ProofWindow)
	if got := label(ada.get("/settings").body, "totp-start-proof"); got != en.T("twofactor.proof.password") {
		t.Errorf("without an app the proof is %q", got)
	}
	secret, _ := s.enrolTOTP("ada")
	if got := label(ada.get("/settings").body, "disable-totp-proof"); got != en.T("twofactor.proof.code_or_password") {
		t.Errorf("with an app the proof is %q", got)
	}
	res := ada.post("/settings/recovery-codes", url.Values{"proof": {s.code(secret)}})
	if res.StatusCode != http.StatusOK || strings.Contains(res.body, `name="proof"`) {
		t.Fatalf("new codes with a code: %d, or the page after asks for a proof", res.StatusCode)
	}
	// The window closes between the page and the form.
	s.clock.Advance(core.ProofWindow)
	for _, form := range []string{"/settings/totp/disable", "/settings/recovery-codes"} {
		res := ada.post(form, url.Values{"form_key": {"key-" + path.Base(form)}})
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, `id="error-proof"`) ||
			!strings.Contains(res.body, `aria-describedby="error-proof"`) || hasTestID(t, res.body, "new-codes") ||
			!strings.Contains(res.body, en.T("error.proof_needed.given", "Minutes", int(core.ProofWindow/time.Minute))) {
			t.Fatalf("%s once the window closed: %d", form, res.StatusCode)
		}
	}
	if f, err := s.h.core.SecondFactorsOf(context.Background(), 1); err != nil || !f.TOTP {
		t.Fatalf("the app went without a proof: %+v, %v", f, err)
	}
}

// TestProofBelongsToItsSession: a proof proves the session that gave it,
// kept in that session on the server, not the account's other sessions.
func TestProofBelongsToItsSession(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	ada := s.admin()
	other := s.signIn("ada")
	s.clock.Advance(core.ProofWindow)
	if res := ada.post("/settings/totp", url.Values{"proof": {testPassword}}); res.StatusCode != http.StatusOK {
		t.Fatalf("the app with the password: %d", res.StatusCode)
	}
	if res := ada.post("/settings/totp", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the app again, proven: %d", res.StatusCode)
	}
	if res := other.post("/settings/totp", nil); res.StatusCode != http.StatusForbidden || secretPattern.MatchString(res.body) {
		t.Fatalf("another session of the account, not proven: %d", res.StatusCode)
	}
}

// TestSSOProofRefusals: signing in again proves the session only as its
// own account, afresh: another person at the provider, or a sign-in the
// provider says is old, or does not say when it was, proves nothing,
// and the settings page it goes back to says why, once. An account not
// linked to the provider has nothing to sign in again with.
func TestSSOProofRefusals(t *testing.T) {
	s := newPasskeySSOServer(t)
	ada := s.admin()
	c := s.client()
	jane := ssoUser("sub-jane", "jane@example.com", "jane")
	if res := s.ssoSignIn(c, jane); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", res.StatusCode, res.body)
	}
	bob := ssoUser("sub-bob", "bob@example.com", "bob")
	if res := s.ssoSignIn(s.client(), bob); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob's sign-in: %d %s", res.StatusCode, res.body)
	}
	s.clock.Advance(core.ProofWindow)
	confirm := func(u mockoidc.User) response {
		t.Helper()
		res := c.post("/settings/confirm", url.Values{"next": {"https://elsewhere.example/"}})
		to, err := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != http.StatusSeeOther || err != nil {
			t.Fatalf("confirm: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		s.idp.QueueUser(u)
		return c.get(c.atProvider(to).String())
	}
	en := i18n.For("en")
	for _, tc := range []struct {
		user mockoidc.User
		want string
	}{
		{bob, "error.sso_not_you"},
		{ssoUser("sub-carol", "jane@example.com", "jane"), "error.sso_not_you"},
		{oidctest.SignedInAt(jane, s.clock.Now().Add(-time.Hour)), "error.sso_not_fresh"},
		// A provider that does not say when it signed jane in.
		{jane, "error.sso_not_fresh"},
	} {
		// The refusal goes on to the settings, which say why once: the
		// provider's return, with its spent code, is not left to show
		// or reload.
		res := confirm(tc.user)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings#two-factor" {
			t.Fatalf("%s: %d to %q %s", tc.want, res.StatusCode, res.Header.Get("Location"), res.body)
		}
		page := c.get("/settings")
		if page.StatusCode != http.StatusOK || testIDText(t, page.body, "form-error") != en.T(tc.want) || !hasTestID(t, page.body, "sso-proof") {
			t.Fatalf("%s: the settings after: %d %q", tc.want, page.StatusCode, testIDText(t, page.body, "form-error"))
		}
		if again := c.get("/settings"); hasTestID(t, again.body, "form-error") {
			t.Fatalf("%s: said again on a reload: %q", tc.want, testIDText(t, again.body, "form-error"))
		}
		if res := c.passkeyOptions(""); res.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: a passkey after: %d", tc.want, res.StatusCode)
		}
	}
	// Asked for from the removal of a passkey, it goes back there, which
	// says why, beside the one button, which comes back there again.
	ctx := context.Background()
	jane1, err := s.store.AccountByName(ctx, "jane")
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.store.AddPasskey(ctx, store.Passkey{AccountID: jane1.ID, CredentialID: []byte("laptop"), UserHandle: []byte("jane"),
		Name: "laptop", Credential: []byte("{}"), CreatedAt: s.clock.Now()}, core.MaxPasskeys)
	if err != nil {
		t.Fatal(err)
	}
	removal := "/settings/passkeys/" + strconv.FormatInt(k.ID, 10) + "/delete"
	res := c.post("/settings/confirm", url.Values{"next": {removal}})
	to, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("confirm from the removal: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	s.idp.QueueUser(bob)
	if res := c.get(c.atProvider(to).String()); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != removal {
		t.Fatalf("refused from the removal: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	page := c.get(removal)
	prompt := first(t, parseHTML(t, page.body), "the prompt", byTestID("sso-proof-prompt"))
	if got := findAll(prompt, byTestID("form-error")); len(got) != 1 || textOf(got[0]) != en.T("error.sso_not_you") {
		t.Errorf("the removal after a refusal says %d things beside the prompt", len(got))
	}
	if next := attr(first(t, prompt, "the button", byTestID("sso-proof")), "value"); next != removal {
		t.Errorf("from the removal, signing in again comes back to %q", next)
	}
	// Afresh, as jane: back to the settings, not where the form said.
	res = confirm(oidctest.SignedInAt(jane, s.clock.Now()))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings#two-factor" {
		t.Fatalf("afresh: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := c.passkeyOptions(""); res.StatusCode != http.StatusOK {
		t.Fatalf("a passkey once proven: %d %s", res.StatusCode, res.body)
	}
	res = ada.post("/settings/confirm", url.Values{"next": {"/settings"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, en.T("error.sso_not_linked")) {
		t.Fatalf("ada, not linked: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestProofCodesHeldBackOnSettings: wrong codes of the app given as a
// proof on the settings page, by a session that may be held without the
// password, hold further codes back as at the second step of a sign-in:
// the sixth, the right one, is answered 429 with the wait, beside the
// form, and changes nothing; the password still proves.
func TestProofCodesHeldBackOnSettings(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.RateLimits = false })
	ada := s.admin()
	secret, _ := s.enrolTOTP("ada")
	s.clock.Advance(core.ProofWindow)
	code := s.code(secret)
	wrong := code[:5] + string('0'+(code[5]-'0'+1)%10)
	for i := range core.CodesBeforeWait {
		if res := ada.post("/settings/recovery-codes", url.Values{"proof": {wrong}, "form_key": {"k" + string(rune('a'+i))}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("wrong code %d as a proof: %d", i+1, res.StatusCode)
		}
	}
	res := ada.post("/settings/recovery-codes", url.Values{"proof": {code}, "form_key": {"right"}})
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "60" ||
		!hasTestID(t, res.body, "held-back") || hasTestID(t, res.body, "new-codes") {
		t.Fatalf("the right code after five wrong ones: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	res = ada.post("/settings/totp/confirm", url.Values{"code": {code}, "proof": {code}})
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !hasTestID(t, res.body, "held-back") {
		t.Fatalf("confirming an app with a code held back as the proof: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	res = ada.post("/settings/recovery-codes", url.Values{"proof": {testPassword}, "form_key": {"password"}})
	if res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "new-codes") {
		t.Fatalf("the password while codes are held back: %d", res.StatusCode)
	}
}
