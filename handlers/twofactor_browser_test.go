package handlers

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/internal/browsertest"
	"oncelink/store"
)

// totpCode is the code an authenticator app shows for secret at the
// server's now, as computed by the library apps follow.
func totpCode(t *testing.T, s *testServer, secret string) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// startTOTP starts setting up an authenticator app from the page open in
// the tab, and returns the key the set-up shows.
func (b *tab) startTOTP() string {
	b.t.Helper()
	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=totp-start]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=totp-enrolment]")),
	)
	return eval[string](b, `document.querySelector("[data-testid=totp-secret]").dataset.secret`)
}

// confirmTOTP types the app's code for secret into the set-up, and waits
// for the recovery codes that show it was taken.
func (b *tab) confirmTOTP(s *testServer, secret string) {
	b.t.Helper()
	b.do(
		chromedp.SendKeys(chromedp.ID("totp-code"), totpCode(b.t, s, secret)),
		chromedp.Click(chromedp.CSS("[data-testid=totp-confirm]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=new-codes]")),
	)
}

// signOut signs the tab out and waits for the sign-in page: its form,
// since the accounts page it may leave has a username field too.
func (b *tab) signOut() {
	b.t.Helper()
	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=logout]")),
		chromedp.WaitVisible(chromedp.CSS("form[action='/login'] #username")),
	)
	// The click's navigation, unlike Navigate's, is not waited for: until
	// the sign-in page has loaded, DevTools may yet replace the nodes that
	// the next step finds, which then fails with "Could not find node".
	b.wait(`document.readyState === "complete"`, 5*time.Second)
}

// passwordStep signs in as ada with her password, and waits for the page
// that shows sel.
func (b *tab) passwordStep(sel string) {
	b.t.Helper()
	b.open("/login", "#username")
	b.do(
		chromedp.SendKeys(chromedp.ID("username"), "ada"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(sel)),
	)
}

// verifyWith types code on the second step's page and sends it, and
// waits for the page that shows sel.
func (b *tab) verifyWith(code, sel string) {
	b.t.Helper()
	b.do(
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.CSS("[data-testid=verify]")),
		chromedp.WaitVisible(chromedp.CSS(sel)),
	)
}

// saidAgain sends the passkey form sel, whose ceremony fails, twice in a
// row, and checks that its live region says why the second time too, in
// a way a screen reader announces again: it announces what changes, and
// a region that showed the same words in every frame never changed. A
// frame shows it empty in between. The tab is hidden while the form is
// sent, and draws no frame until it shows again: as if the server and the
// authenticator had failed the ceremony within a frame. It returns what
// the region says.
func (b *tab) saidAgain(sel string) string {
	b.t.Helper()
	form := `document.querySelector(` + strconv.Quote(sel) + `)`
	// The words of each frame the page draws, as a screen reader is told
	// of them, from just before it draws it.
	eval[bool](b, `(() => {
		const el = window.saidIn = document.getElementById(`+form+`.dataset.status);
		window.saidInFrames = [];
		window.framesDrawn = 0;
		(function frame() {
			const now = el.hidden ? "" : el.textContent;
			if (saidInFrames[saidInFrames.length - 1] !== now) saidInFrames.push(now);
			framesDrawn++;
			requestAnimationFrame(frame);
		})();
		return true;
	})()`)
	for range 2 {
		browsertest.SetHidden(b.t, b.ctx, true)
		eval[bool](b, form+`.requestSubmit() || true`)
		b.wait(`!`+form+`.dataset.busy`, 5*time.Second)
		browsertest.SetHidden(b.t, b.ctx, false)
		// Once it says something, a frame is drawn of it.
		b.wait(`!saidIn.hidden && saidIn.textContent !== ""`, 5*time.Second)
		b.wait(fmt.Sprintf("framesDrawn > %d", eval[int](b, "framesDrawn")), 5*time.Second)
	}
	said := eval[[]string](b, `saidInFrames`)
	if n := len(said); n < 3 || said[n-1] == "" || !slices.Equal(said[n-3:], []string{said[n-1], "", said[n-1]}) {
		b.t.Errorf("%s failed twice in a row; its status, frame by frame: %q, which does not end with the same words twice, nothing between them", sel, said)
	}
	return said[len(said)-1]
}

func TestTOTPInBrowser(t *testing.T) {
	s := newTestServer(t)
	b := newTab(t, browsertest.New(t), s)
	b.setUp()

	b.open("/settings", "[data-testid=totp-start]")
	b.do(chromedp.ScrollIntoView(chromedp.ID("two-factor")))
	browsertest.Shoot(t, b.ctx, "settings-two-factor")
	b.clean("settings")

	// Setting the app up shows its key as a QR code and as text.
	secret := b.startTOTP()
	if len(secret) != 32 || eval[int](b, `document.querySelectorAll("[data-testid=totp-qr] path").length`) != 1 {
		t.Fatalf("enrolment shows the key %q and no QR code", secret)
	}
	browsertest.Shoot(t, b.ctx, "totp-enrolment")
	b.clean("enrolment")

	// A wrong code turns nothing on; the right one does, and shows ten
	// recovery codes once.
	code := totpCode(t, s, secret)
	wrong := string(rune('0'+(code[0]-'0'+1)%10)) + code[1:]
	b.do(
		chromedp.SendKeys(chromedp.ID("totp-code"), wrong),
		chromedp.Click(chromedp.CSS("[data-testid=totp-confirm]")),
		chromedp.WaitVisible(chromedp.ID("error-code")),
	)
	b.forgive("status of 401")
	b.clean("wrong code")
	if got := eval[string](b, `document.querySelector("[data-testid=totp-secret]").dataset.secret`); got != secret {
		t.Fatalf("after a wrong code the key changed from %s to %s", secret, got)
	}
	b.do(
		chromedp.SendKeys(chromedp.ID("totp-code"), code),
		chromedp.Click(chromedp.CSS("[data-testid=totp-confirm]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=new-codes]")),
	)
	codes := eval[[]string](b, `[...document.querySelectorAll("[data-testid=code]")].map(e => e.textContent)`)
	if len(codes) != core.RecoveryCodes {
		t.Fatalf("%d recovery codes: %q", len(codes), codes)
	}
	browsertest.Shoot(t, b.ctx, "recovery-codes")
	b.clean("recovery codes")
	b.open("/settings", "[data-testid=recovery-left]")
	if eval[int](b, `document.querySelectorAll("[data-testid=new-codes]").length`) != 0 {
		t.Fatal("the recovery codes show again")
	}

	// Signing in now takes a second step; the code that turned the app on
	// is refused, as any code seen once.
	b.signOut()
	b.passwordStep("[data-testid=verify-form]")
	if got := eval[string](b, `location.pathname`); got != "/login/verify" {
		t.Fatalf("after the password: %s", got)
	}
	browsertest.Shoot(t, b.ctx, "verify")
	b.clean("verify")
	b.open("/links", "#username") // not signed in yet
	b.open("/login/verify", "[data-testid=verify-form]")
	b.verifyWith(code, "[data-testid=form-error]")
	if msg := eval[string](b, `document.querySelector("[data-testid=form-error]").textContent`); !strings.Contains(msg, "used already") {
		t.Fatalf("a used code: %q", msg)
	}
	b.forgive("status of 401")
	s.clock.Advance(core.TOTPPeriod)
	b.verifyWith(totpCode(t, s, secret), "[data-testid=empty]")
	b.clean("signed in with a code")

	// A recovery code signs in once.
	b.signOut()
	b.passwordStep("[data-testid=verify-form]")
	b.verifyWith(strings.ToUpper(codes[0]), "[data-testid=empty]")
	b.signOut()
	b.passwordStep("[data-testid=verify-form]")
	b.verifyWith(codes[0], "[data-testid=form-error]")
	b.forgive("status of 401")
	b.verifyWith(codes[1], "[data-testid=empty]")
	b.open("/settings", "[data-testid=recovery-left]")
	if got := eval[string](b, `document.querySelector("[data-testid=recovery-left]").textContent`); !strings.Contains(got, "8 of 10") {
		t.Errorf("recovery codes left: %q", got)
	}
	b.clean("recovery codes used")
}

// TestTOTPKeyShowsWhole: the key to type into an authenticator app shows
// whole, every group of it, on a phone and on a laptop, in English, in
// German and in Arabic: a field of one line cut it off after half of it.
func TestTOTPKeyShowsWhole(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	// The key's box shows all it holds, within the page; its text is the
	// key in its groups.
	const cut = `(el => {
		const r = el.getBoundingClientRect(), out = [];
		if (el.scrollWidth > el.clientWidth + 1) out.push("holds " + el.scrollWidth + "px in " + el.clientWidth + "px");
		if (r.left < -1 || r.right > document.documentElement.clientWidth + 1) out.push("runs off the page");
		return out.join(", ");
	})(document.querySelector("[data-testid=totp-secret]"))`
	const shown = `(el => (el.value ?? el.textContent).trim())(document.querySelector("[data-testid=totp-secret]"))`
	for _, lang := range []string{"en", "de", "ar"} {
		b.chooseLanguage("/settings", lang)
		b.open("/settings", "[data-testid=totp-start]")
		secret := b.startTOTP()
		if got := strings.ReplaceAll(eval[string](b, shown), " ", ""); got != secret {
			t.Errorf("in %s the key shows as %q, want %q", lang, got, secret)
		}
		for _, width := range []int64{1280, 390, 320} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
				t.Fatal(err)
			}
			if out := eval[string](b, cut); out != "" {
				t.Errorf("the key in %s at %dpx: %s", lang, width, out)
			}
		}
		b.do(chromedp.ScrollIntoView(chromedp.CSS("[data-testid=totp-secret]")))
		browsertest.Shoot(t, ctx, "totp-key-"+lang, 1280, 390, 320)
		b.clean("the key in " + lang)
	}
}

// addVirtualAuthenticator gives the tab's browser a platform authenticator
// that holds discoverable credentials and verifies its user, and returns
// its id.
func addVirtualAuthenticator(t *testing.T, b *tab) webauthn.AuthenticatorID {
	t.Helper()
	if _, err := chromedp.Call(b.ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	added, err := chromedp.Call(b.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
			IsUserVerified: true, AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return added.AuthenticatorID
}

// addPasskey adds a passkey named name on the settings page, in a session
// proven recently enough that it takes no proof, and waits for its row.
func (b *tab) addPasskey(name string) {
	b.t.Helper()
	b.open("/settings", "[data-testid=passkey-form]")
	b.do(
		chromedp.SendKeys(chromedp.ID("passkey-name"), name),
		chromedp.Click(chromedp.CSS("[data-testid=add-passkey]")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("[data-testid=passkey-row][data-name=%q]", name))),
	)
}

// newPasskeyServer is a test server at http://localhost:PORT: a browser
// takes passkeys only for a name, never for an address.
func newPasskeyServer(t *testing.T) *testServer {
	s := newTestServer(t, func(c *core.Config) { c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1) })
	s.URL = strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
	return s
}

func TestPasskeysInBrowser(t *testing.T) {
	s := newPasskeyServer(t)
	b := newTab(t, browsertest.New(t), s)
	addVirtualAuthenticator(t, b)
	b.setUp()

	// Add a passkey on the settings page: right after signing in, with
	// nothing more.
	b.open("/settings", "[data-testid=passkey-form]")
	b.do(
		chromedp.SendKeys(chromedp.ID("passkey-name"), "laptop"),
		chromedp.Click(chromedp.CSS("[data-testid=add-passkey]")),
	)
	// The page the script loads once it is added, or what it says:
	// whichever comes first in the page that shows.
	b.do(chromedp.WaitVisible(chromedp.CSS("[data-testid=passkey-row][data-name=laptop], #passkey-status")))
	if msg := eval[string](b, `document.getElementById("passkey-status").textContent`); msg != "" {
		t.Fatalf("adding a passkey: %s", msg)
	}
	b.clean("passkey added")
	if got := eval[string](b, `document.querySelector("[data-testid=passkey-last-used]").textContent`); !strings.Contains(got, "never") {
		t.Errorf("a new passkey's last use: %q", got)
	}
	// The account's first second factor comes with ten recovery codes,
	// shown once, as an authenticator app's do.
	b.do(chromedp.WaitVisible(chromedp.CSS("[data-testid=new-codes]")))
	codes := eval[[]string](b, `[...document.querySelectorAll("[data-testid=code]")].map(e => e.textContent)`)
	if len(codes) != core.RecoveryCodes {
		t.Fatalf("%d recovery codes with the first passkey: %q", len(codes), codes)
	}
	b.do(chromedp.ScrollIntoView(chromedp.CSS("[data-testid=new-codes]")))
	browsertest.Shoot(t, b.ctx, "settings-passkey")
	b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("[data-testid=recovery-left]")))
	if n := eval[int](b, `document.querySelectorAll("[data-testid=new-codes]").length`); n != 0 {
		t.Fatal("the recovery codes show again")
	}
	if got := eval[string](b, `document.querySelector("[data-testid=recovery-left]").textContent`); !strings.Contains(got, "10 of 10") {
		t.Errorf("recovery codes left after a reload: %q", got)
	}
	// The device holds a passkey of the account already, and says so.
	b.do(
		chromedp.SendKeys(chromedp.ID("passkey-name"), "again"),
		chromedp.Click(chromedp.CSS("[data-testid=add-passkey]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=passkey-status]")),
	)
	if got, want := eval[string](b, `document.querySelector("[data-testid=passkey-status]").textContent`), i18n.For("en").T("js.passkey.here_already"); got != want {
		t.Errorf("a second passkey on the same device: %q, want %q", got, want)
	}
	b.clean("passkey on the device already")
	if n := eval[int](b, `document.querySelectorAll("[data-testid=passkey-row]").length`); n != 1 {
		t.Fatalf("%d passkeys listed", n)
	}

	// It signs in without a username or password.
	b.signOut()
	b.do(chromedp.WaitVisible(chromedp.CSS("[data-testid=passkey-signin]")))
	browsertest.Shoot(t, b.ctx, "login-passkey")
	b.do(
		chromedp.WaitVisible(chromedp.CSS("[data-testid=passkey-signin]")),
		chromedp.Click(chromedp.CSS("[data-testid=passkey-signin]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=empty]")),
	)
	b.clean("signed in with a passkey")

	// And it is the second factor after the password.
	b.signOut()
	b.passwordStep("[data-testid=verify-passkey]")
	if n := eval[int](b, `document.querySelectorAll("label[for=code]").length`); n != 1 {
		t.Errorf("a passkey-only account is offered %d recovery-code fields", n)
	}
	// The passkey button stands clear of the recovery code's label below
	// it, as the page's fields stand from each other.
	if gap := eval[float64](b, `document.querySelector("label[for=code]").getBoundingClientRect().top -
		document.querySelector("[data-testid=verify-passkey]").getBoundingClientRect().bottom`); gap < 12 {
		t.Errorf("the passkey button stands %.0fpx above the recovery code's label", gap)
	}
	browsertest.Shoot(t, b.ctx, "verify-passkey")
	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=verify-passkey]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=empty]")),
	)
	b.clean("second step with a passkey")
	// Without the passkey, a recovery code signs in.
	b.signOut()
	b.passwordStep("[data-testid=verify-form]")
	b.verifyWith(codes[0], "[data-testid=empty]")
	b.clean("second step with a recovery code")
	// Once the sign-in proves no more, the settings ask for the password.
	s.clock.Advance(core.ProofWindow)
	b.open("/settings", "[data-testid=passkey-row]")
	if got := eval[string](b, `document.querySelector("[data-testid=passkey-last-used]").textContent`); strings.Contains(got, "never") {
		t.Errorf("a used passkey's last use: %q", got)
	}
	// Recovery codes can be made for it, with the password.
	b.do(
		chromedp.SendKeys(chromedp.ID("renew-codes-proof"), testPassword),
		chromedp.Click(chromedp.CSS("[data-testid=renew-codes]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=new-codes]")),
	)
	b.clean("recovery codes for a passkey")

	// When two-factor is required, a passkey is enough to enrol with.
	if err := s.h.core.SetTwoFactorRequired(context.Background(), nil, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.h.core.AddAccount(context.Background(), "bob", testPassword, false); err != nil {
		t.Fatal(err)
	}
	b.open("/links", "[data-testid=logout]")
	b.signOut()
	b.do(
		chromedp.SendKeys(chromedp.ID("username"), "bob"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=enrol-required]")),
		chromedp.SendKeys(chromedp.ID("passkey-name"), "phone"),
		chromedp.Click(chromedp.CSS("[data-testid=add-passkey]")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=passkey-row][data-name=phone]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=new-codes]")),
		chromedp.WaitVisible(chromedp.CSS(`nav a[href="/links"]`)),
	)
	b.clean("enrolled with a passkey")
	b.open("/links", "[data-testid=empty]")
}

// TestPasskeyFailureSaidAgainInBrowser: a passkey ceremony that fails
// twice in a row with the same words says them the second time too, where
// a screen reader announces them again: adding a passkey on the settings
// page, cancelled twice, and signing in with one whose signature the
// server refuses twice.
func TestPasskeyFailureSaidAgainInBrowser(t *testing.T) {
	s := newPasskeyServer(t)
	b := newTab(t, browsertest.New(t), s)
	authenticator := addVirtualAuthenticator(t, b)
	b.setUp()
	// Just signed in, the session is proven: the passkey takes no proof.
	b.addPasskey("laptop")
	b.clean("passkey added")
	b.do(chromedp.SendKeys(chromedp.ID("passkey-name"), "again"))
	// A hidden tab's ceremony is not allowed: said as one cancelled.
	if got, want := b.saidAgain("[data-testid=passkey-form]"), i18n.For("en").T("twofactor.passkeys.not_added"); got != want {
		t.Errorf("adding a passkey: %q, want %q", got, want)
	}
	b.clean("a passkey not added twice")

	b.signOut()
	b.do(chromedp.WaitVisible(chromedp.CSS("[data-testid=passkey-signin]")))
	if _, err := chromedp.Call(b.ctx, webauthn.SetResponseOverrideBits, webauthn.SetResponseOverrideBitsParams{
		AuthenticatorID: authenticator, IsBogusSignature: new(true)}); err != nil {
		t.Fatal(err)
	}
	if got, want := b.saidAgain("form.passkey-signin"), i18n.For("en").T("error.passkey_refused"); got != want {
		t.Errorf("signing in: %q, want %q", got, want)
	}
	b.forgive("status of 4")
	b.clean("a passkey refused twice")
}

// TestPasskeyProofInBrowser: right after signing in, adding a passkey
// asks for nothing more; once that is over, it takes the password, even
// when the form was shown before: the refusal shows the field. A wrong
// one is refused beside its field, marked and described as the pages
// mark theirs, with the focus, before the authenticator is asked: it
// holds no passkey after. Removing one asks for it on a page of its own,
// which says a wrong one beside the field too. In English and Arabic.
// With ONCELINK_SCREENSHOTS set it keeps the two-factor section without
// the proof's field and with it, in English on a phone and in Arabic on a
// laptop.
func TestPasskeyProofInBrowser(t *testing.T) {
	s := newPasskeyServer(t)
	b := newTab(t, browsertest.New(t), s)
	authenticator := addVirtualAuthenticator(t, b)
	b.setUp()
	held := func() int {
		t.Helper()
		creds, err := chromedp.Call(b.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: authenticator})
		if err != nil {
			t.Fatal(err)
		}
		return len(creds.Credentials)
	}
	const marked = `(f => [f.getAttribute("aria-invalid"), f.getAttribute("aria-describedby"), document.activeElement === f ? "focused" : "not focused"].join(" "))(document.getElementById(%q))`
	const proofShown = `!document.querySelector("[data-testid=passkey-form] [data-proof]").hidden`
	shoot := func(name string) {
		t.Helper()
		b.do(chromedp.ScrollIntoView(chromedp.ID("two-factor")))
		browsertest.Shoot(t, b.ctx, name+"-en", 390)
		b.chooseLanguage("/settings", "ar")
		b.do(chromedp.WaitVisible(chromedp.ID("two-factor")), chromedp.ScrollIntoView(chromedp.ID("two-factor")))
		browsertest.Shoot(t, b.ctx, name+"-ar", 1280)
		b.chooseLanguage("/settings", "en")
	}
	b.open("/settings", "[data-testid=passkey-form]")
	if eval[bool](b, proofShown) || eval[int](b, `document.querySelectorAll("#two-factor input[name=proof]:not([type=hidden])").length`) != 1 {
		t.Fatal("right after signing in, the passkey form shows a proof's field, or the section has others")
	}
	shoot("settings-proof-none")
	b.clean("the section without a proof")
	// The form was shown before the window closed: sent after, it shows
	// the field, and why, beside it.
	b.open("/settings", "[data-testid=passkey-form]")
	s.clock.Advance(core.ProofWindow)
	b.do(
		chromedp.SendKeys(chromedp.ID("passkey-name"), "laptop"),
		chromedp.Click(chromedp.CSS("[data-testid=add-passkey]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=passkey-proof-error]")),
	)
	b.forgive("status of 403")
	needed := core.Variant(core.Forbidden, "proof_needed", "given", "proof", "confirm_first", "Minutes", int(core.ProofWindow/time.Minute))
	if got := eval[string](b, `document.querySelector("[data-testid=passkey-proof-error]").textContent`); got != needed.Msg {
		t.Errorf("the window closed: the refusal says %q, want %q", got, needed.Msg)
	}
	if got := eval[string](b, fmt.Sprintf(marked, "add-passkey-proof")); !eval[bool](b, proofShown) || got != "true add-passkey-proof-error focused" {
		t.Errorf("the window closed: the proof's field is %q", got)
	}
	if n := held(); n != 0 {
		t.Fatal("the authenticator made a passkey without a proof")
	}
	b.clean("the window closed")
	b.open("/settings", "[data-testid=passkey-form]")
	shoot("settings-proof-field")
	b.clean("the section with a proof")
	for _, lang := range []string{"en", "ar"} {
		b.chooseLanguage("/settings", lang)
		b.open("/settings", "[data-testid=passkey-form]")
		b.do(
			chromedp.SendKeys(chromedp.ID("passkey-name"), "laptop"),
			chromedp.SendKeys(chromedp.ID("add-passkey-proof"), "not the password"),
			chromedp.Click(chromedp.CSS("[data-testid=add-passkey]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=passkey-proof-error]")),
		)
		b.forgive("status of 403")
		want := core.Refusal(core.Forbidden, "wrong_proof", "proof", "wrong_proof").Message(i18n.For(lang))
		if got := eval[string](b, `document.querySelector("[data-testid=passkey-proof-error]").textContent`); got != want {
			t.Errorf("in %s the refusal says %q, want %q", lang, got, want)
		}
		if got := eval[string](b, fmt.Sprintf(marked, "add-passkey-proof")); got != "true add-passkey-proof-error focused" {
			t.Errorf("in %s the refused field is %q", lang, got)
		}
		if n := eval[int](b, `document.querySelectorAll("#passkey-status:not([hidden])").length`); n != 0 {
			t.Errorf("in %s the refusal shows below the form too", lang)
		}
		if n := held(); n != 0 {
			t.Fatalf("in %s the authenticator made a passkey for a wrong proof", lang)
		}
		b.do(chromedp.ScrollIntoView(chromedp.CSS("[data-testid=passkey-form]")))
		browsertest.Shoot(t, b.ctx, "settings-passkey-proof-"+lang, 390)
		b.clean("a wrong proof in " + lang)
	}
	// The right one adds it, and the refusal goes.
	b.do(
		chromedp.SetValue(chromedp.ID("add-passkey-proof"), testPassword),
		chromedp.Click(chromedp.CSS("[data-testid=add-passkey]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=passkey-row][data-name=laptop]")),
	)
	b.clean("passkey added with the password")
	if n := held(); n != 1 {
		t.Fatalf("the authenticator holds %d passkeys", n)
	}
	// The password proved the session a while; once that is over, the
	// removal asks for it.
	s.clock.Advance(core.ProofWindow)

	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=remove-passkey]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=passkey-remove]")),
		chromedp.SendKeys(chromedp.ID("remove-passkey-confirm-proof"), "not the password"),
		chromedp.Click(chromedp.CSS("[data-testid=remove-passkey-confirm]")),
		chromedp.WaitVisible(chromedp.CSS("#error-proof")),
	)
	b.forgive("status of 403")
	b.wait(`document.activeElement.id === "remove-passkey-confirm-proof"`, 5*time.Second)
	if got := eval[string](b, fmt.Sprintf(marked, "remove-passkey-confirm-proof")); got != "true error-proof focused" {
		t.Errorf("the refused removal's field is %q", got)
	}
	browsertest.Shoot(t, b.ctx, "settings-passkey-remove-refused", 390)
	b.clean("a removal with a wrong proof")
	b.do(
		chromedp.SendKeys(chromedp.ID("remove-passkey-confirm-proof"), testPassword),
		chromedp.Click(chromedp.CSS("[data-testid=remove-passkey-confirm]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=passkey-removed]")),
	)
	// The page comes back at its top; what was removed is said in the
	// two-factor section, which takes the focus into view.
	b.wait(`document.activeElement.matches("[data-testid=passkey-removed]") && (r => r.top >= 0 && r.bottom <= innerHeight)(document.activeElement.getBoundingClientRect())`, time.Second)
	if n := eval[int](b, `document.querySelectorAll("[data-testid=passkey-row], [data-testid=passkey-remove]").length`); n != 0 {
		t.Errorf("after the removal the page lists %d passkeys or removals", n)
	}
	b.clean("passkey removed")
}

// TestRequiredTwoFactorInBrowser: an administrator requires two-factor on
// the accounts page; a member without a second factor who signs in is
// kept on the enrolment page until an authenticator app works.
func TestRequiredTwoFactorInBrowser(t *testing.T) {
	s := newTestServer(t)
	b := newTab(t, browsertest.New(t), s)
	b.setUp()
	b.open("/accounts", "[data-testid=require-two-factor]")
	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=require-two-factor]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=two-factor-required]")),
	)
	browsertest.Shoot(t, b.ctx, "accounts-two-factor")
	b.clean("required")
	if _, err := s.h.core.AddAccount(context.Background(), "bob", testPassword, false); err != nil {
		t.Fatal(err)
	}
	b.signOut()
	b.do(
		chromedp.SendKeys(chromedp.ID("username"), "bob"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=enrol-required]")),
	)
	if n := eval[int](b, `document.querySelectorAll("nav a, [data-testid=api-keys]").length`); n != 0 {
		t.Errorf("the enrolment page offers %d other things", n)
	}
	browsertest.Shoot(t, b.ctx, "enrol-required")
	b.clean("enrolment page")
	// The dashboard sends back to the enrolment.
	b.open("/links", "[data-testid=enrol-required]")
	b.confirmTOTP(s, b.startTOTP())
	b.do(chromedp.WaitVisible(chromedp.CSS(`nav a[href="/links"]`)))
	b.clean("enrolled")
	b.open("/links", "[data-testid=empty]")
}

// TestTwoFactorSwitchAnswersInView: the switch stands at the foot of the
// accounts page; the page that comes back once it is turned, on a phone,
// brings what it now says into view and gives it the focus, for a screen
// reader to read, either way.
func TestTwoFactorSwitchAnswersInView(t *testing.T) {
	s := newTestServer(t)
	b := newTab(t, browsertest.New(t), s)
	b.setUp()
	b.do(chromedp.EmulateViewport(390, 900))
	b.open("/accounts", "[data-testid=require-two-factor]")
	for _, now := range []string{"two-factor-required", "two-factor-optional"} {
		b.do(chromedp.Click(chromedp.CSS("[data-testid=require-two-factor]")), chromedp.WaitVisible(chromedp.CSS("[data-testid="+now+"]")))
		b.wait(`document.activeElement.matches("[data-testid=`+now+`]") && (r => r.top >= 0 && r.bottom <= innerHeight)(document.activeElement.getBoundingClientRect())`, time.Second)
		browsertest.Shoot(t, b.ctx, "accounts-switched-"+now)
		b.clean(now)
	}
	// The list shown again later says nothing of it.
	b.open("/accounts", "[data-testid=two-factor-optional]")
	if eval[bool](b, `document.querySelector("[data-testid=two-factor-optional]").hasAttribute("data-focus")`) {
		t.Error("the switch's state takes the focus on a page that did not turn it")
	}
}

// TestHeldBackCodesInBrowser: after five wrong codes in a row the second
// step comes back held back, its notice counting the wait down and
// pointing to the passkey, in English and in Arabic, and the passkey signs
// in meanwhile.
func TestHeldBackCodesInBrowser(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) {
		c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1)
		// Room for every code this test types: the limits are not what
		// holds them back.
		c.Rates.SignIn = core.Rate{N: 30, Per: time.Minute}
		c.Rates.SignInAccount = core.Rate{N: 30, Per: time.Minute}
	})
	s.URL = strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	addVirtualAuthenticator(t, b)
	b.setUp()
	secret, _ := s.enrolTOTP("ada")
	// Just signed in, the session is proven: the passkey takes no proof.
	b.addPasskey("laptop")
	b.clean("passkey added")
	b.signOut()
	b.passwordStep("[data-testid=verify-form]")
	// send types code and sends it, and waits for the page that answers.
	send := func(code string) {
		t.Helper()
		b.do(
			chromedp.Evaluate[chromedp.Void](`window.__before = true`),
			chromedp.SetValue(chromedp.ID("code"), code),
			chromedp.Click(chromedp.CSS("[data-testid=verify]")),
		)
		b.wait(`!window.__before && document.readyState === "complete"`, 5*time.Second)
	}
	for range core.CodesBeforeWait {
		send(s.wrongCode(secret))
	}
	b.forgive("status of 401")
	// notice is what the held-back notice says, and what it should: the
	// sign-in's heading and wait, and the passkey, in lang.
	notice := func(lang string) (got, want string) {
		t.Helper()
		said := eval[[]string](b, `[document.querySelector("[data-testid=held-back]").textContent,
			document.querySelector("[data-testid=retry-in]").textContent]`)
		l := i18n.For(lang)
		return strings.Join(strings.Fields(said[0]), " "),
			l.T("recipient.lockout.heading") + " " + l.T("twofactor.verify.wait_or_passkey", "Wait", said[1])
	}
	for _, lang := range []string{"en", "ar"} {
		if lang != "en" {
			b.chooseLanguage("/login/verify", lang)
		}
		send(s.code(secret))
		b.do(chromedp.WaitVisible(chromedp.CSS("[data-testid=held-back]")))
		b.forgive("status of 429")
		if got, want := notice(lang); got != want {
			t.Errorf("in %s the notice says %q, want %q", lang, got, want)
		}
		if !eval[bool](b, `!!document.querySelector("[data-testid=verify-passkey]:not([hidden])") && document.querySelector("form[action='/login/verify'] #code") !== null`) {
			t.Errorf("in %s the held-back page offers no passkey, or no form to send the code again", lang)
		}
		browsertest.Shoot(t, ctx, "verify-held-back-"+lang, map[string]int64{"en": 390, "ar": 1280}[lang])
		b.clean("held back in " + lang)
	}
	// The passkey is not held back.
	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=verify-passkey]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=empty]")),
	)
	b.clean("signed in with the passkey while codes are held back")
}

// TestWrongCodeBesideItsField: a wrong code on a sign-in's second step is
// said beside the field, which takes the focus marked as wrong and
// described by it, for a screen reader to read with it, in English and in
// Arabic.
func TestWrongCodeBesideItsField(t *testing.T) {
	s := newTestServer(t)
	b := newTab(t, browsertest.New(t), s)
	b.setUp()
	secret, _ := s.enrolTOTP("ada")
	for _, lang := range []string{"en", "ar"} {
		b.acceptLanguage(lang)
		b.signOut()
		b.passwordStep("#code")
		b.do(
			chromedp.SendKeys(chromedp.ID("code"), "000000"),
			chromedp.Click(chromedp.CSS("[data-testid=verify]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=form-error]")),
		)
		b.forgive("status of 401")
		got := eval[string](b, `(f => [f.getAttribute("aria-invalid"), f.getAttribute("aria-describedby"), document.activeElement === f ? "focused" : "not focused",
			f.closest(".field").contains(document.querySelector("[data-testid=form-error]")) ? "beside" : "apart"].join(" "))(document.getElementById("code"))`)
		if got != "true error-code focused beside" {
			t.Errorf("in %s the wrong code's field is %q", lang, got)
		}
		if said := eval[string](b, `document.getElementById("error-code").textContent.trim()`); said == "" {
			t.Errorf("in %s the mistake beside the field says nothing", lang)
		}
		browsertest.Shoot(t, b.ctx, "verify-wrong-"+lang)
		b.clean("a wrong code in " + lang)
		// Each code signs in once: the next comes with the app's next step.
		s.clock.Advance(30 * time.Second)
		b.retype("code", totpCode(t, s, secret))
		b.do(chromedp.Click(chromedp.CSS("[data-testid=verify]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=logout]")))
	}
}

// TestRecoveryCodeSignInSaidInView: the page a sign-in with a recovery
// code lands on gives the focus to what it says of the codes left, in
// view, on a laptop as on a phone, and in Arabic; with few left, its link
// leads to the recovery codes on the settings page.
func TestRecoveryCodeSignInSaidInView(t *testing.T) {
	s := newTestServer(t)
	b := newTab(t, browsertest.New(t), s)
	b.setUp()
	_, codes := s.enrolTOTP("ada")
	a, err := s.h.core.AccountByName(t.Context(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	// useUp takes codes as the second steps of sign-ins elsewhere.
	useUp := func(codes []string) {
		t.Helper()
		for _, c := range codes {
			turn, err := s.h.core.TakeTurn(t.Context(), core.SignInAction, core.Client{IP: "192.0.2.1"})
			if err == nil {
				_, err = s.h.core.SecondStep(t.Context(), turn, a, c)
			}
			if err != nil {
				t.Fatal(err)
			}
			s.clock.Advance(time.Minute)
		}
	}
	const said = "[data-testid=recovery-sign-in]"
	signInWith := func(code string) {
		t.Helper()
		s.clock.Advance(time.Minute)
		b.open("/links", "[data-testid=logout]")
		b.signOut()
		b.passwordStep("[data-testid=verify-form]")
		b.verifyWith(code, said)
		b.wait(`document.activeElement.matches("`+said+`") && (r => r.top >= 0 && r.bottom <= innerHeight)(document.activeElement.getBoundingClientRect())`, time.Second)
	}

	b.do(chromedp.EmulateViewport(1280, 900))
	signInWith(codes[0])
	if eval[bool](b, `!!document.querySelector("`+said+` a")`) {
		t.Error("nine codes left, and the page says to make new ones")
	}
	browsertest.Shoot(t, b.ctx, "recovery-sign-in")
	b.clean("signed in with a recovery code")

	b.do(chromedp.EmulateViewport(390, 900))
	useUp(codes[1:7])
	signInWith(codes[7])
	browsertest.Shoot(t, b.ctx, "recovery-sign-in-few", 390, 1280)
	b.do(
		chromedp.Click(chromedp.CSS(said+" a")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=renew-codes-form]")),
	)
	b.wait(`location.hash === "#recovery-heading" && (r => r.top >= 0 && r.bottom <= innerHeight)(document.getElementById("recovery-heading").getBoundingClientRect())`, time.Second)
	b.clean("few recovery codes left")

	b.acceptLanguage("ar")
	useUp(codes[8:9])
	signInWith(codes[9])
	browsertest.Shoot(t, b.ctx, "recovery-sign-in-none-ar", 390, 1280)
	b.clean("the last recovery code, in Arabic")
}

// TestRecoveryCodeSignInSaidBesideTheFocus: when the page a sign-in with a
// recovery code lands on gives the focus to a field of its own (the
// password of a link for the account, reached through the sign-in link
// of its page), the field keeps it, and what the page says of the codes
// left is said from its live region, in English as in Arabic: a screen
// reader says a notice that comes with a new page only when it takes the
// focus, or when a live region changes.
func TestRecoveryCodeSignInSaidBesideTheFocus(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	link := s.user("bob").createLink(url.Values{"for_user": {"ada"}, "password": {"open sesame"}})
	_, codes := s.enrolTOTP("ada")
	b := newTab(t, browsertest.New(t), s)
	const said = "[data-testid=recovery-sign-in]"
	for i, lang := range []string{"en", "ar"} {
		b.acceptLanguage(lang)
		b.open(strings.TrimPrefix(link, s.URL), "[data-testid=wrong-user]")
		b.do(chromedp.Click(chromedp.CSS("[data-testid=sign-in]")), chromedp.WaitVisible(chromedp.CSS("form[action^='/login'] #username")))
		b.wait(`document.readyState === "complete"`, 5*time.Second)
		b.do(
			chromedp.SendKeys(chromedp.ID("username"), "ada"),
			chromedp.SendKeys(chromedp.ID("password"), testPassword),
			chromedp.Click(chromedp.CSS("form[action^='/login'] button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=verify-form]")),
		)
		b.verifyWith(codes[i], said)
		b.wait(`document.readyState === "complete"`, 5*time.Second)
		words := `document.querySelector("` + said + `").innerText.replace(/\s+/g, " ").trim()`
		b.wait(`document.getElementById("announcer").textContent === `+words, 3*time.Second)
		if got := eval[string](b, `document.activeElement.id`); got != "link-password" {
			t.Errorf("%s: the focus is on %q, not on the link's password", lang, got)
		}
		browsertest.Shoot(t, b.ctx, "recovery-sign-in-link-"+lang, 390, 1280)
		b.clean("a recovery sign-in that lands on a link's password, in " + lang)
		b.signOut()
	}
}

// TestPasskeyAddedSaidInView: the settings page that adding a passkey
// loads says that it was added, and those words take the focus, in view,
// on a laptop as on a phone, with the passkey's name set apart in Arabic;
// a first passkey's recovery codes, which are what to act on, take the
// focus in their place.
func TestPasskeyAddedSaidInView(t *testing.T) {
	s := newPasskeyServer(t)
	b := newTab(t, browsertest.New(t), s)
	device := addVirtualAuthenticator(t, b)
	b.setUp()
	focused := func(sel string) {
		t.Helper()
		b.wait(`document.activeElement.matches("`+sel+`") && (r => r.top >= 0 && r.bottom <= innerHeight)(document.activeElement.getBoundingClientRect())`, time.Second)
	}
	// anotherDevice gives the browser another authenticator in place of
	// the one that holds the passkeys added so far.
	anotherDevice := func() {
		t.Helper()
		if _, err := chromedp.Call(b.ctx, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: device}); err != nil {
			t.Fatal(err)
		}
		device = addVirtualAuthenticator(t, b)
	}
	const added = "[data-testid=passkey-added]"

	b.do(chromedp.EmulateViewport(1280, 900))
	b.addPasskey("laptop")
	b.do(chromedp.WaitVisible(chromedp.CSS(added)))
	focused("[data-testid=new-codes]")
	b.clean("the first passkey")

	anotherDevice()
	b.do(chromedp.EmulateViewport(390, 900))
	b.addPasskey("phone")
	focused(added)
	if got, want := eval[string](b, `document.querySelector("`+added+`").textContent`), i18n.For("en").T("twofactor.notice.passkey_added", "Name", i18n.Isolate("phone")); got != want {
		t.Errorf("the passkey added: %q, want %q", got, want)
	}
	browsertest.Shoot(t, b.ctx, "settings-passkey-added", 390, 1280)
	b.clean("another passkey")
	// Said once.
	b.open("/settings", "[data-testid=passkey-form]")
	if eval[bool](b, `!!document.querySelector("`+added+`")`) {
		t.Error("the settings page says again that the passkey was added")
	}

	anotherDevice()
	b.acceptLanguage("ar")
	b.addPasskey("key!")
	focused(added)
	if got := eval[string](b, `document.querySelector("`+added+`").textContent`); !strings.Contains(got, "\u2068key!\u2069") {
		t.Errorf("the passkey added, in Arabic: %q, without its name set apart", got)
	}
	browsertest.Shoot(t, b.ctx, "settings-passkey-added-ar", 390, 1280)
	b.clean("a passkey added, in Arabic")
}

// TestPasskeyNoticesInBrowser: the settings page's passkeys, on a phone
// and a wide screen, light and dark, in English and Arabic: a passkey
// found cloned says so beside its name, and where password sign-in is
// off the section says why it offers to add none, its passkeys still
// listed to remove. With ONCELINK_SCREENSHOTS set it keeps them.
func TestPasskeyNoticesInBrowser(t *testing.T) {
	for _, ssoOnly := range []bool{false, true} {
		name, sel := "settings-passkey-cloned", "[data-testid=passkey-cloned]"
		var s *testServer
		if ssoOnly {
			name, sel = "settings-passkeys-sso-only", "[data-testid=passkeys-sso-only]"
			s = newSSOServer(t, startProvider(t), func(c *core.Config) {
				c.NoPasswordSignIn = true
				c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1)
			}).testServer
			s.URL = strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
		} else {
			s = newPasskeyServer(t)
		}
		ctx := browsertest.New(t)
		b := newTab(t, ctx, s)
		b.setUp()
		for _, key := range []string{"laptop", "phone"} {
			p, err := s.store.AddPasskey(context.Background(), store.Passkey{AccountID: 1, CredentialID: []byte(key), UserHandle: []byte("ada"),
				Name: key, Credential: []byte(`{}`)}, core.MaxPasskeys)
			if err != nil {
				t.Fatal(err)
			}
			if key == "phone" && !ssoOnly {
				if _, err := s.store.PasskeyCloned(context.Background(), p.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, lang := range []string{"en", "ar"} {
			b.acceptLanguage(lang)
			b.open("/settings", "html[lang="+lang+"] "+sel)
			if n := eval[int](b, `document.querySelectorAll("[data-testid=passkey-row] [data-testid=remove-passkey]").length`); n != 2 {
				t.Errorf("%s in %s: %d passkeys to remove, want 2", name, lang, n)
			}
			if form := eval[bool](b, `!!document.querySelector("[data-testid=passkey-form]")`); form == ssoOnly {
				t.Errorf("%s in %s: a form to add a passkey %v", name, lang, form)
			}
			browsertest.Shoot(t, ctx, name+"-"+lang)
			b.clean(name + " in " + lang)
		}
	}
}

// TestTOTPKeyReplacedInBrowser: setting the app up in a second tab
// replaces the first tab's key; the first tab's code, typed there, is
// said to be of a key since replaced, beside the field, which keeps the
// focus, and the page shows the new key, on a phone and in Arabic too.
func TestTOTPKeyReplacedInBrowser(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	b.acceptLanguage("ar")
	b.open("/settings", "[data-testid=totp-start]")
	first := b.startTOTP()
	tctx, cancel := chromedp.NewContext(ctx)
	defer cancel()
	other := newTab(t, tctx, s)
	other.open("/settings", "[data-testid=totp-start]")
	second := other.startTOTP()
	b.do(
		chromedp.SendKeys(chromedp.ID("totp-code"), totpCode(t, s, first)),
		chromedp.Click(chromedp.CSS("[data-testid=totp-confirm]")),
		chromedp.WaitVisible(chromedp.ID("error-code")),
	)
	b.forgive("status of 400")
	got := eval[string](b, `(f => [f.getAttribute("aria-invalid"), f.getAttribute("aria-describedby"), document.activeElement === f ? "focused" : "not focused",
		document.querySelector("[data-testid=totp-secret]").dataset.secret].join(" "))(document.getElementById("totp-code"))`)
	if got != "true error-code focused "+second {
		t.Errorf("the field after a code of the key replaced: %q, want the new key %s", got, second)
	}
	if said := eval[string](b, `document.getElementById("error-code").textContent`); !strings.Contains(said, "استُبدل المفتاح") {
		t.Errorf("beside the field: %q", said)
	}
	browsertest.Shoot(t, b.ctx, "totp-key-replaced-ar")
	b.clean("a code of the key replaced")
	b.confirmTOTP(s, second)
}
