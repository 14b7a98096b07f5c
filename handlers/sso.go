package handlers

import (
	"net/http"
	"strings"
	"time"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/web"
)

// The session keys of a single sign-on under way: what the browser must
// come back from the provider with, and where it then goes.
const (
	sessionSSOState    = "sso_state"
	sessionSSONonce    = "sso_nonce"
	sessionSSOVerifier = "sso_verifier"
	sessionSSOStarted  = "sso_started"
	sessionSSONext     = "sso_next"
	// sessionSSORefused is why the last return from the provider signed
	// no one in, in the reader's language, for the sign-in page (or the
	// set-up page) that follows to say once.
	sessionSSORefused = "sso_refused"
	// sessionSSOProof is the account a signed-in browser proves itself
	// by a single sign-on under way (see startSSOProof), which is then no
	// sign-in.
	sessionSSOProof = "sso_proof"
	// sessionSSOProofRefused is why the last return from the provider
	// proved nothing, in the reader's language, for the settings page
	// that follows to say once beside its button to sign in again.
	sessionSSOProofRefused = "sso_proof_refused"
	// sessionSSOHeldBack and sessionSSOProofHeldBack are when a browser
	// whose last return from the provider the rate limits held back may
	// try again (Unix milliseconds), for the sign-in page, or the
	// settings page, that follows to count the wait down once (see
	// ssoHeldBack).
	sessionSSOHeldBack      = "sso_held_back"
	sessionSSOProofHeldBack = "sso_proof_held_back"
)

// ssoStartPath is where the sign-in page's single sign-on form posts.
const ssoStartPath = "/auth/oidc/start"

// startSSO sends the browser to the identity provider, keeping in its
// session the state, nonce and PKCE verifier it must come back with. It
// takes a turn at signing in, as the return does. It is a POST, behind the
// cross-origin check like every form, so that another site cannot start a
// sign-in in its visitor's browser, and nothing prefetches it.
func (h *Handler) startSSO(w http.ResponseWriter, r *http.Request) {
	turn, err := h.core.TakeTurn(r.Context(), core.SignInAction, h.client(r))
	// Held back, the sign-in page comes back, leading to the links: where
	// its form was going is in the body, which is not read.
	if h.heldBack(w, r, err, h.loginHeldBack(w, r, "/links")) {
		return
	}
	if err == nil {
		err = parseForm(w, r)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	if refusesCookies(r, r.PostForm) {
		// The pending sign-on lives in the session, which this browser
		// would not keep: it would come back from the provider to a
		// sign-in "expired, or started in another browser". It is told
		// why instead, before it leaves, as a password sign-in is (see
		// login), and nothing is kept for it.
		h.ssoRefused(w, r, next, errCookiesToSignIn)
		return
	}
	url, p, err := h.core.StartSSO(r.Context(), turn)
	if err != nil {
		h.ssoRefused(w, r, next, err)
		return
	}
	// A sign-in, whatever was under way before in this browser.
	h.sessions.Remove(r.Context(), sessionSSOProof)
	h.toProvider(w, r, url, p, next)
}

// toProvider keeps the single sign-on p in r's session, to come back to
// next, and sends the browser to the provider's address url.
func (h *Handler) toProvider(w http.ResponseWriter, r *http.Request, url string, p core.SSOPending, next string) {
	ctx := r.Context()
	h.sessions.Put(ctx, sessionSSOState, p.State)
	h.sessions.Put(ctx, sessionSSONonce, p.Nonce)
	h.sessions.Put(ctx, sessionSSOVerifier, p.Verifier)
	h.sessions.Put(ctx, sessionSSOStarted, p.Started.UnixMilli())
	h.sessions.Put(ctx, sessionSSONext, next)
	http.Redirect(w, r, url, http.StatusSeeOther)
}

// ssoProofPath is where the settings page's buttons that confirm by
// signing in again with single sign-on post.
const ssoProofPath = "/settings/confirm"

// startSSOProof sends a signed-in browser to the identity provider to
// sign in again, afresh, so that its session is proven (see core.Proof)
// when it comes back, to the part of the settings page the form names.
// It takes a turn at signing in, as a sign-in does.
func (h *Handler) startSSOProof(w http.ResponseWriter, r *http.Request, a *core.Account) {
	turn, err := h.core.TakeTurn(r.Context(), core.SignInAction, h.client(r))
	if err == nil {
		err = parseForm(w, r)
	}
	var url string
	var p core.SSOPending
	if err == nil {
		url, p, err = h.core.StartSSOProof(r.Context(), turn, *a)
	}
	if e, ok := core.AsError(err); ok && e.Kind == core.NotFound {
		// No single sign-on on this server.
		h.fail(w, r, err)
		return
	}
	if err != nil {
		h.settingsRefusal(w, r, a, err, "sso-proof")
		return
	}
	h.sessions.Put(r.Context(), sessionSSOProof, a.ID)
	h.toProvider(w, r, url, p, settingsNext(r.PostForm.Get("next")))
}

// settingsNext is next when it is a part of the settings page, else the
// page's two-factor section.
func settingsNext(next string) string {
	if next = safeNext(next); next == "/settings" || strings.HasPrefix(next, "/settings/") || strings.HasPrefix(next, "/settings#") {
		return next
	}
	return "/settings#two-factor"
}

// finishSSO signs in the browser the provider sent back. The sign-on
// pending in its session is taken out first, so that its state works once
// whatever comes of it. The query holds the code and the state: the
// request log writes paths only.
func (h *Handler) finishSSO(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := core.SSOPending{
		State:    h.sessions.PopString(ctx, sessionSSOState),
		Nonce:    h.sessions.PopString(ctx, sessionSSONonce),
		Verifier: h.sessions.PopString(ctx, sessionSSOVerifier),
		Started:  time.UnixMilli(h.sessions.GetInt64(ctx, sessionSSOStarted)),
	}
	h.sessions.Remove(ctx, sessionSSOStarted)
	next := safeNext(h.sessions.PopString(ctx, sessionSSONext))
	q := r.URL.Query()
	ret := core.SSOReturn{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error")}
	if proving, _ := h.sessions.Pop(ctx, sessionSSOProof).(int64); proving != 0 {
		h.finishSSOProof(w, r, proving, p, ret, next)
		return
	}
	turn, err := h.core.TakeTurn(ctx, core.SignInAction, h.client(r))
	var a core.Account
	var provenAt time.Time
	if err == nil {
		a, provenAt, err = h.core.FinishSSO(ctx, turn, p, ret)
	}
	if err != nil {
		h.ssoReturnRefused(w, r, next, err)
		return
	}
	if err := h.signIn(r, a, provenAt); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// finishSSOProof ends a single sign-on that proves the session of account
// proving, signed in (see startSSOProof): it is proven from now, and goes
// back to next, a part of the settings page. A refusal goes back there
// too, saying why (see ssoProofRefused). A browser no longer signed in as
// that account proves nothing, and is sent to sign in.
func (h *Handler) finishSSOProof(w http.ResponseWriter, r *http.Request, proving int64, p core.SSOPending, ret core.SSOReturn, next string) {
	a, err := h.lookViewer(r)
	if err != nil {
		h.fail(w, r, core.ErrUnavailable)
		return
	}
	if a == nil || a.ID != proving {
		http.Redirect(w, r, loginThen(next), http.StatusSeeOther)
		return
	}
	turn, err := h.core.TakeTurn(r.Context(), core.SignInAction, h.client(r))
	proof := h.proof(r)
	if err == nil {
		err = h.core.FinishSSOProof(r.Context(), turn, *a, p, ret, proof)
	}
	h.keepProof(r, a, proof)
	if err != nil {
		h.ssoProofRefused(w, r, a, next, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// ssoProofRefused answers a return from the provider that proved nothing.
// A refusal sends the browser on (303) to next, the part of the settings
// page it came from, which says why once (sessionSSOProofRefused): the
// return's address, with its spent code and state, is left neither in
// the address bar, where a reload would only be refused again, nor in the
// page's links. Held back, it goes there too (see ssoHeldBack). A failure
// is answered as the settings page answers one (see settingsRefusal).
func (h *Handler) ssoProofRefused(w http.ResponseWriter, r *http.Request, a *core.Account, next string, err error) {
	if h.ssoHeldBack(w, r, err, sessionSSOProofHeldBack, next) {
		return
	}
	e, ok := core.AsError(err)
	if !ok || e.Kind == core.Unavailable {
		h.settingsRefusal(w, r, a, err, "sso-proof")
		return
	}
	h.sessions.Put(r.Context(), sessionSSOProofRefused, e.Message(i18n.From(r.Context())))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// ssoRefused answers a single sign-on that did not sign anyone in with the
// sign-in page and the reason, or, held back by the rate limits, the
// notice that counts the wait down. A failure, or single sign-on that is
// not configured, is the ordinary error page.
func (h *Handler) ssoRefused(w http.ResponseWriter, r *http.Request, next string, err error) {
	if h.heldBack(w, r, err, h.loginHeldBack(w, r, next)) {
		return
	}
	e, ok := ssoRefusal(err)
	if !ok {
		h.fail(w, r, err)
		return
	}
	web.RetryAfter(w, e.RetryAfter)
	form := h.loginView(next)
	form.Errors = components.FieldErrors{{Message: e.Message(i18n.From(r.Context()))}}
	h.renderLogin(w, r, web.Status(e.Kind), form)
}

// ssoRefusal is err's *Error when it is a refusal of a single sign-on
// that the sign-in page says: not a failure, nor single sign-on that is
// not configured.
func ssoRefusal(err error) (*core.Error, bool) {
	e, ok := core.AsError(err)
	return e, ok && (e.Kind == core.Invalid || e.Kind == core.Unauthorized || e.Kind == core.Forbidden ||
		e == core.ErrSSOUnavailable)
}

// ssoReturnRefused answers a return from the provider that signed no one
// in. A refusal sends the browser on (303) to the sign-in page, which says
// why once (sessionSSORefused): the return's address, whose sign-on is
// spent, is not left in the address bar, where a reload would only be
// refused again, nor in the page's links. Held back, it goes there too
// (see ssoHeldBack). A browser that brought no session back could not be
// told there, and is answered as ssoRefused answers, as is a failure.
func (h *Handler) ssoReturnRefused(w http.ResponseWriter, r *http.Request, next string, err error) {
	login := loginThen(next)
	e, ok := ssoRefusal(err)
	switch _, noSession := r.Cookie(h.sessions.Cookie.Name); {
	case noSession != nil:
		h.ssoRefused(w, r, next, err)
	case ok:
		h.sessions.Put(r.Context(), sessionSSORefused, e.Message(i18n.From(r.Context())))
		http.Redirect(w, r, login, http.StatusSeeOther)
	case !h.ssoHeldBack(w, r, err, sessionSSOHeldBack, login):
		h.ssoRefused(w, r, next, err)
	}
}

// ssoHeldBack answers a return from the provider that the rate limits
// held back, when err is that, and reports whether it did: it keeps under
// key in the session when the browser may try again, and sends it on
// (303) to to, the page the return belongs to, which counts the wait down
// once (see ssoHeldBackSaid), as a form held back does.
func (h *Handler) ssoHeldBack(w http.ResponseWriter, r *http.Request, err error, key, to string) bool {
	e, ok := core.AsError(err)
	if !ok || e.Kind != core.Limited {
		return false
	}
	h.sessions.Put(r.Context(), key, h.core.Now().Add(e.RetryAfter).UnixMilli())
	http.Redirect(w, r, to, http.StatusSeeOther)
	return true
}

// ssoHeldBackSaid is the wait ssoHeldBack kept under key, once, while
// some of it is left (see heldBackStatus).
func (h *Handler) ssoHeldBackSaid(r *http.Request, key string) *components.HeldBack {
	ms, _ := h.sessions.Pop(r.Context(), key).(int64)
	at := time.UnixMilli(ms)
	if wait := at.Sub(h.core.Now()); ms != 0 && wait > 0 {
		return &components.HeldBack{Wait: wait, RetryAt: at}
	}
	return nil
}

// heldBackStatus is the status of a page that shows held, if any (see
// ssoHeldBackSaid): a 429 that says when to try again (Retry-After), as
// a form held back is, for the page is what the held-back return from
// the provider became.
func heldBackStatus(w http.ResponseWriter, held *components.HeldBack) int {
	if held == nil {
		return http.StatusOK
	}
	web.RetryAfter(w, held.Wait)
	return http.StatusTooManyRequests
}

// ssoRefusedSaid is the refusal of the last return from the provider, if
// any, for the page that follows it to say once.
func (h *Handler) ssoRefusedSaid(r *http.Request) components.FieldErrors {
	if said := h.sessions.PopString(r.Context(), sessionSSORefused); said != "" {
		return components.FieldErrors{{Message: said}}
	}
	return nil
}

// renderLogin shows the sign-in page. Its single sign-on form posts here
// and is redirected to the identity provider, which the page's policy must
// allow as a form's destination.
func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, form components.AccountForm) {
	// The password and passkey forms' answers tell by it whether the
	// browser keeps cookies (see refusesCookies), and so does the single
	// sign-on form's, which goes elsewhere: the check goes with it, under
	// its own path.
	h.setCookieCheck(w, "/login")
	if form.SSO {
		h.setCookieCheck(w, ssoStartPath)
		w.Header().Set("Content-Security-Policy", components.SignInPolicy(h.core.SSOFormOrigins()))
	}
	h.render(w, r, status, components.LoginPage(h.page(r, i18n.T(r.Context(), "auth.title_signin"), "passkeys.js"), form))
}

// loginHeldBack shows the sign-in page held back by the rate limits (see
// heldBack), its forms leading to next once signed in.
func (h *Handler) loginHeldBack(w http.ResponseWriter, r *http.Request, next string) func(*components.HeldBack) {
	return func(held *components.HeldBack) {
		form := h.loginView(next)
		form.HeldBack = held
		h.renderLogin(w, r, http.StatusTooManyRequests, form)
	}
}

// loginView is the sign-in form as this server offers it: with a password,
// a passkey, single sign-on, or several of them.
func (h *Handler) loginView(next string) components.AccountForm {
	return components.AccountForm{Next: next, SSO: h.core.SSO(), NoPassword: !h.core.PasswordSignIn(),
		Passkeys: h.core.PasskeySignIn()}
}
