package handlers

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/web"
)

// The session keys of a sign-in half done: the account that gave its
// password, what it must do next (secondStep: give its second factor;
// enrolStep: set one up, as the server requires), until when, and where
// it goes after. signIn removes them.
const (
	sessionHalfAccount = "half_account"
	sessionHalfStep    = "half_step"
	sessionHalfUntil   = "half_until"
	sessionHalfNext    = "half_next"
	// sessionPasskey holds a passkey ceremony's state between its start
	// and its end.
	sessionPasskey = "passkey"
	// sessionNewCodes holds the recovery codes a new passkey came with,
	// space-separated and sealed under the session's token (see
	// core.SealForSession), until the settings page shows them, once: its
	// script finishes the ceremony, then loads the page.
	sessionNewCodes = "new_codes"
	// sessionPasskeyAdded names the passkey just added, until the
	// settings page its script loads then says so.
	sessionPasskeyAdded = "passkey_added"
	// sessionRecoveryLeft holds, after a sign-in whose second step took a
	// recovery code, how many the account has left, until the first page
	// it lands on says so (see page).
	sessionRecoveryLeft = "recovery_left"

	secondStep = "second"
	enrolStep  = "enrol"
)

// errEnrolFirst refuses what an account that must set up a second factor
// tries before it has.
var errEnrolFirst = core.Variant(core.Forbidden, "two_factor_required", "enrol_first", "", "enrol_first")

// errHalfGone answers a second step whose first is gone: never made, or
// made too long ago, or in another browser. Its page leads to signing in
// again, as it says to.
var errHalfGone = core.SignsIn(core.Refusal(core.Unauthorized, "sign_in_again", "", "sign_in_again"))

// afterPassword goes on with the sign-in of a, who gave the right
// password: to the second step when a has a second factor, to setting one
// up when the server requires it and a has none, else a is signed in.
func (h *Handler) afterPassword(w http.ResponseWriter, r *http.Request, a core.Account, next string) {
	f, err := h.core.SecondFactorsOf(r.Context(), a.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	step, to, within := secondStep, "/login/verify", core.SecondStepTime
	if !f.Any() {
		required, err := h.core.TwoFactorRequired(r.Context())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !required {
			if err := h.signIn(r, a, h.core.Now()); err != nil {
				h.fail(w, r, err)
				return
			}
			redirect(w, r, next)
			return
		}
		step, to, within = enrolStep, "/settings", core.EnrolTime
	}
	// The half-signed-in session starts anew, as a signed-in one does:
	// an account this browser was signed in as, from a sign-in page left
	// open, would otherwise stay its viewer, and a token planted before
	// the password was typed must not carry it.
	if err := h.freshSession(r); err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	if err := h.core.HalfSignedIn(ctx, a.ID, h.sessionID(r), h.client(r), within); err != nil {
		h.fail(w, r, err)
		return
	}
	h.sessions.Put(ctx, sessionHalfAccount, a.ID)
	h.sessions.Put(ctx, sessionHalfStep, step)
	h.sessions.Put(ctx, sessionHalfUntil, h.core.Now().Add(within).UnixMilli())
	h.sessions.Put(ctx, sessionHalfNext, next)
	redirect(w, r, to)
}

// halfSignedIn returns the account whose sign-in this session holds half
// done at step, while it may go on; nil when there is none, it expired,
// or the account can no longer sign in. Setting a first factor up
// (enrolStep) is over once the account has one, set up meanwhile from a
// session signed in before: this browser gave the password alone, and
// its half-done sign-in goes, so that it signs in again, to the second
// step.
func (h *Handler) halfSignedIn(r *http.Request, step string) (*core.Account, error) {
	ctx := r.Context()
	id := h.sessions.GetInt64(ctx, sessionHalfAccount)
	if id == 0 || h.sessions.GetString(ctx, sessionHalfStep) != step ||
		h.core.Now().UnixMilli() >= h.sessions.GetInt64(ctx, sessionHalfUntil) {
		return nil, nil
	}
	a, err := h.core.SessionViewer(ctx, id, h.sessionID(r))
	if err != nil || a == nil || step != enrolStep {
		return a, err
	}
	f, err := h.core.SecondFactorsOf(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if f.Any() {
		for _, k := range []string{sessionHalfAccount, sessionHalfStep, sessionHalfUntil, sessionHalfNext} {
			h.sessions.Remove(ctx, k)
		}
		return nil, nil
	}
	return a, nil
}

// enrolling reports whether r's browser gave a right password but must
// set up a second factor before it is signed in, and still may.
func (h *Handler) enrolling(r *http.Request) bool {
	ctx := r.Context()
	return h.sessions.GetString(ctx, sessionHalfStep) == enrolStep &&
		h.core.Now().UnixMilli() < h.sessions.GetInt64(ctx, sessionHalfUntil)
}

// mayEnrol runs next for the signed-in account, or for one that must set
// up a second factor before it may sign in: the routes that do that take
// either. Anyone else is sent to sign in.
func (h *Handler) mayEnrol(next func(http.ResponseWriter, *http.Request, *core.Account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := h.lookViewer(r)
		if err == nil && a == nil {
			a, err = h.halfSignedIn(r, enrolStep)
		}
		if err != nil {
			h.fail(w, r, core.ErrUnavailable)
			return
		}
		if a == nil {
			h.signInFirst(w, r)
			return
		}
		next(w, r, a)
	}
}

func (h *Handler) verifyForm(w http.ResponseWriter, r *http.Request) {
	a, err := h.halfSignedIn(r, secondStep)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if a == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if h.factorsGone(w, r, a) {
		return
	}
	h.renderVerify(w, r, a, http.StatusOK, "", nil)
}

// factorsGone goes on with the sign-in of a, half done at the second
// step, as its password alone would (see afterPassword), when a has no
// second factor left to give, its owner having removed the last one
// meanwhile from a session signed in before, and reports whether it did:
// the second step would otherwise ask for what a no longer has. (An
// administrator's reset ends the half-done sign-in instead: see
// core.ResetTwoFactor.)
func (h *Handler) factorsGone(w http.ResponseWriter, r *http.Request, a *core.Account) bool {
	f, err := h.core.SecondFactorsOf(r.Context(), a.ID)
	if err != nil {
		h.fail(w, r, err)
		return true
	}
	if f.Any() {
		return false
	}
	h.afterPassword(w, r, *a, safeNext(h.sessions.GetString(r.Context(), sessionHalfNext)))
	return true
}

func (h *Handler) renderVerify(w http.ResponseWriter, r *http.Request, a *core.Account, status int, msg string, held *components.HeldBack) {
	f, err := h.core.SecondFactorsOf(r.Context(), a.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// A passkey found cloned signs in no more, but stays a second factor:
	// the second step is still asked for, with a recovery code.
	usable := f.Passkeys - f.PasskeysCloned
	v := components.Verify{Username: a.Username, TOTP: f.TOTP, Passkeys: usable > 0 && h.core.PasskeysAvailable(),
		Recovery: f.RecoveryLeft > 0, Error: msg, HeldBack: held}
	v.PasskeysOff = f.Passkeys > 0 && !v.Passkeys && !f.TOTP
	v.PasskeysCloned = f.Passkeys > 0 && usable == 0
	if held != nil && !v.Passkeys {
		// No passkey on the page to use meanwhile.
		held.OrPasskey = false
	}
	h.render(w, r, status, components.VerifyPage(h.page(r, i18n.T(r.Context(), "twofactor.title_verify"), "passkeys.js"), v))
}

// verify takes the second step of a sign-in: a code of the account's
// authenticator app or a recovery code. Each try counts against the
// sign-in limits, as a password does.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	turn, err := h.core.TakeTurn(r.Context(), core.SignInAction, h.client(r))
	if err == nil {
		err = parseForm(w, r)
	}
	// Held back, the form comes back to send again, when there is still
	// a sign-in for it to finish.
	a, halfErr := h.halfSignedIn(r, secondStep)
	if a != nil && halfErr == nil {
		if h.heldBack(w, r, err, func(held *components.HeldBack) {
			h.renderVerify(w, r, a, http.StatusTooManyRequests, "", held)
		}) {
			return
		}
	}
	if err == nil {
		err = halfErr
	}
	if err == nil && a == nil && h.viewer(r) != nil {
		// Signed in already: the form sent again (a second click, a
		// reload, another tab) after the first went through. It goes on
		// as the sign-in page does, rather than say to sign in again.
		redirect(w, r, safeNext(""))
		return
	}
	if err == nil && a == nil {
		err = errHalfGone
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.factorsGone(w, r, a) {
		return
	}
	taken, err := h.core.SecondStep(r.Context(), turn, *a, r.PostForm.Get("code"))
	if h.heldBack(w, r, err, func(held *components.HeldBack) {
		// Wrong codes in a row hold back codes alone, not a passkey.
		held.OrPasskey = core.CodesHeldBack(err)
		h.renderVerify(w, r, a, http.StatusTooManyRequests, "", held)
	}) {
		return
	}
	if e, ok := core.AsError(err); ok && (e.Kind == core.Unauthorized || e.Kind == core.Invalid) {
		h.renderVerify(w, r, a, web.Status(e.Kind), e.Message(i18n.From(r.Context())), nil)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.finishSignIn(w, r, *a, taken)
}

// finishSignIn signs a in and sends the browser where the sign-in was
// going, whose page says how many recovery codes are left when one took
// the second step (taken).
func (h *Handler) finishSignIn(w http.ResponseWriter, r *http.Request, a core.Account, taken core.StepTaken) {
	next := safeNext(h.sessions.GetString(r.Context(), sessionHalfNext))
	if err := h.signIn(r, a, h.core.Now()); err != nil {
		h.fail(w, r, err)
		return
	}
	if taken.Recovery {
		h.sessions.Put(r.Context(), sessionRecoveryLeft, int64(taken.RecoveryLeft))
	}
	redirect(w, r, next)
}

// passkeyOptions starts a sign-in with a passkey and no password; the
// browser's script takes the options to navigator.credentials.get. Its
// state makes a session for anyone who asks, so asking takes a turn at
// the client's sign-in limit, as the answer does.
//
// A browser known to keep no cookies (see refusesCookies: the sign-in
// page's check is sent back here, under /login) is refused before the
// ceremony, as a password is (see login): its state would be gone at the
// answer, which was then refused as a ceremony that took too long, after
// the person had used their passkey for nothing.
func (h *Handler) passkeyOptions(w http.ResponseWriter, r *http.Request) {
	_, err := h.core.TakeTurn(r.Context(), core.SignInAction, h.client(r))
	if err == nil {
		err = parseForm(w, r)
	}
	if err == nil && refusesCookies(r, r.PostForm) {
		err = errCookiesToSignIn
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.ceremonyStart(w, r, func() ([]byte, string, error) { return h.core.BeginPasskeySignIn(r.Context(), nil) })
}

// passkeySignIn ends a sign-in with a passkey and no password.
func (h *Handler) passkeySignIn(w http.ResponseWriter, r *http.Request) {
	turn, err := h.core.TakeTurn(r.Context(), core.SignInAction, h.client(r))
	var answer []byte
	if err == nil {
		answer, err = readCeremony(w, r)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	state := h.sessions.PopString(r.Context(), sessionPasskey)
	a, err := h.core.FinishPasskeySignIn(r.Context(), turn, nil, state, answer)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	next := safeNext(r.URL.Query().Get("next"))
	if err := h.signIn(r, a, h.core.Now()); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"redirect": next})
}

// verifyPasskeyOptions starts a second step with a passkey.
func (h *Handler) verifyPasskeyOptions(w http.ResponseWriter, r *http.Request) {
	a, err := h.halfSignedIn(r, secondStep)
	if err == nil && a == nil {
		err = errHalfGone
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.ceremonyStart(w, r, func() ([]byte, string, error) { return h.core.BeginPasskeySignIn(r.Context(), a) })
}

// verifyPasskey ends a second step with a passkey.
func (h *Handler) verifyPasskey(w http.ResponseWriter, r *http.Request) {
	turn, err := h.core.TakeTurn(r.Context(), core.SignInAction, h.client(r))
	var answer []byte
	if err == nil {
		answer, err = readCeremony(w, r)
	}
	var a *core.Account
	if err == nil {
		if a, err = h.halfSignedIn(r, secondStep); err == nil && a == nil {
			err = errHalfGone
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	state := h.sessions.PopString(r.Context(), sessionPasskey)
	if _, err := h.core.FinishPasskeySignIn(r.Context(), turn, a, state, answer); err != nil {
		h.fail(w, r, err)
		return
	}
	next := safeNext(h.sessions.GetString(r.Context(), sessionHalfNext))
	if err := h.signIn(r, *a, h.core.Now()); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"redirect": next})
}

// ceremonyStart answers a passkey ceremony's start with begin's options,
// and keeps its state in the session for the ceremony's end.
func (h *Handler) ceremonyStart(w http.ResponseWriter, r *http.Request, begin func() ([]byte, string, error)) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	options, state, err := begin()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.sessions.Put(r.Context(), sessionPasskey, state)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(options)))
	w.WriteHeader(http.StatusOK)
	w.Write(options)
}

// errNotJSON refuses a ceremony's answer that is not JSON.
var errNotJSON = core.Variant(core.Unsupported, "not_json", "passkey", "", "not_json")

// readCeremony reads the browser's JSON answer to a passkey ceremony, of
// at most core.MaxCeremonyBytes.
func readCeremony(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		return nil, errNotJSON
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, core.MaxCeremonyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, tooBig
		}
		return nil, core.ErrUnreadableForm
	}
	web.BodyDeadline(w, time.Time{})
	return b, nil
}

// wantsJSON reports whether r is a script's that reads JSON answers.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// twoFactorView is the settings page's two-factor section for a.
func (h *Handler) twoFactorView(r *http.Request, a *core.Account, v *components.TwoFactor) error {
	ctx := r.Context()
	f, err := h.core.SecondFactorsOf(ctx, a.ID)
	if err != nil {
		return err
	}
	if v.Required, err = h.core.TwoFactorRequired(ctx); err != nil {
		return err
	}
	keys, err := h.core.Passkeys(ctx, a.ID)
	if err != nil {
		return err
	}
	if v.ProofBy, err = h.core.ProofWaysOf(ctx, *a, f); err != nil {
		return err
	}
	v.Proven = h.core.Proven(*h.proof(r), true)
	v.TOTP, v.TOTPSince, v.RecoveryLeft, v.RecoveryUsed = f.TOTP, f.TOTPSince, f.RecoveryLeft, f.RecoveryUsed
	v.PasskeysAvailable = h.core.PasskeysAvailable()
	v.SSOOnly = !h.core.PasswordSignIn()
	for _, k := range keys {
		v.Passkeys = append(v.Passkeys, components.PasskeyItem{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt,
			Cloned: !k.ClonedAt.IsZero()})
	}
	return nil
}

// proof is the proof that r gives for a change of a second factor (see
// core.Proof): its form's proof field, if any, and when its session last
// proved who it is, or that it enrols. Its form must be parsed.
func (h *Handler) proof(r *http.Request) *core.Proof {
	p := &core.Proof{Given: r.PostForm.Get("proof"), Enrolling: h.viewer(r) == nil && h.enrolling(r), Client: h.client(r)}
	if ms := h.sessions.GetInt64(r.Context(), sessionProvenAt); ms != 0 {
		p.ProvenAt = time.UnixMilli(ms)
	}
	return p
}

// keepProof keeps in r's session, signed in as a, when p last proved who
// it is, once the core accepted a proof, before the answer is written:
// the pages that follow ask for none until core.ProofWindow is over. The
// session goes on under a new token first, so that the proof is its
// own, and not that of a copy of its cookie taken before, which would
// otherwise change the second factors without one. When it cannot be
// renewed, the proof is not kept: the next change asks for one again.
func (h *Handler) keepProof(r *http.Request, a *core.Account, p *core.Proof) {
	ms := p.ProvenAt.UnixMilli()
	if p.ProvenAt.IsZero() || ms <= h.sessions.GetInt64(r.Context(), sessionProvenAt) {
		return
	}
	if err := h.renewSession(r, a); err != nil {
		if r.Context().Err() == nil {
			h.log.Warn("renew a session that gave a proof", "err", err)
		}
		return
	}
	h.sessions.Put(r.Context(), sessionProvenAt, ms)
}

// enrolment is a TOTP enrolment as the page shows it, with its QR code.
func enrolment(e core.TOTPEnrolment, msg string) *components.Enrolment {
	v := &components.Enrolment{Secret: e.Secret, Mark: e.Mark, Error: msg}
	if qr, err := components.QRCode(e.URL); err == nil {
		v.QR = qr
	}
	return v
}

// startTOTP makes a new authenticator-app secret, given a proof, and
// shows it, with its QR code, beside a field for the code that confirms
// it.
func (h *Handler) startTOTP(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	p := h.proof(r)
	e, err := h.core.StartTOTP(r.Context(), *a, p)
	h.keepProof(r, a, p)
	if err != nil {
		h.settingsRefusal(w, r, a, err, "totp")
		return
	}
	h.renderSettings(w, r, a, http.StatusOK, components.Settings{TwoFactor: components.TwoFactor{Enrolment: enrolment(e, "")}})
}

// confirmTOTP turns the authenticator app on with a current code, given
// a proof, and shows the new recovery codes once. An account that had to
// set up a second factor before signing in is signed in now.
func (h *Handler) confirmTOTP(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	p := h.proof(r)
	codes, err := h.core.ConfirmTOTP(r.Context(), *a, strings.TrimSpace(r.PostForm.Get("code")), r.PostForm.Get("shown_key"), p)
	h.keepProof(r, a, p)
	// A code refused, or held back, brings the same secret back to try
	// again; a proof refused, the form alone, without the secret, which
	// an unproven session does not see.
	again := func(status int, msg string, held *components.HeldBack) {
		pending, perr := h.core.PendingTOTP(r.Context(), *a, *p)
		if perr != nil && held != nil {
			// A proof held back: the wait, beside the form that starts
			// the app again, without the secret.
			h.renderSettings(w, r, a, status, components.Settings{TwoFactor: components.TwoFactor{HeldBack: held, ErrorFor: "totp"}})
			return
		}
		if perr != nil {
			h.settingsRefusal(w, r, a, perr, "totp")
			return
		}
		e := enrolment(pending, msg)
		e.HeldBack = held
		h.renderSettings(w, r, a, status, components.Settings{TwoFactor: components.TwoFactor{Enrolment: e}})
	}
	if h.heldBack(w, r, err, func(held *components.HeldBack) { again(http.StatusTooManyRequests, "", held) }) {
		return
	}
	if e, ok := core.AsError(err); ok && e.Field == "proof" {
		h.renderSettings(w, r, a, web.Status(e.Kind), components.Settings{TwoFactor: components.TwoFactor{Enrolment: &components.Enrolment{},
			Error: e.Message(i18n.From(r.Context())), ErrorFor: "totp-confirm", ErrorField: e.Field}})
		return
	}
	if e, ok := core.AsError(err); ok && (e.Kind == core.Unauthorized || e.Kind == core.Invalid) {
		again(web.Status(e.Kind), e.Message(i18n.From(r.Context())), nil)
		return
	}
	if err != nil {
		h.settingsRefusal(w, r, a, err, "totp")
		return
	}
	r, err = h.enrolled(r, *a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderSettings(w, r, a, http.StatusOK, components.Settings{TwoFactor: components.TwoFactor{NewCodes: codes, Notice: "totp-on"}})
}

// enrolled signs in an account that had to set up a second factor first,
// now that it has, and returns r as its signed-in request.
func (h *Handler) enrolled(r *http.Request, a core.Account) (*http.Request, error) {
	if h.sessions.GetInt64(r.Context(), sessionAccount) == a.ID {
		return r, nil
	}
	if err := h.signIn(r, a, h.core.Now()); err != nil {
		return r, err
	}
	return withViewer(r, &a), nil
}

// disableTOTP turns the authenticator app off, given a proof.
func (h *Handler) disableTOTP(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	p := h.proof(r)
	err := h.core.DisableTOTP(r.Context(), *a, p)
	h.keepProof(r, a, p)
	if err != nil {
		h.settingsRefusal(w, r, a, err, "totp")
		return
	}
	h.renderSettings(w, r, a, http.StatusOK, components.Settings{TwoFactor: components.TwoFactor{Notice: "totp-off"}})
}

// renewRecoveryCodes replaces the recovery codes and shows the new ones
// once, given a proof.
func (h *Handler) renewRecoveryCodes(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	var codes []string
	repeated, err := h.core.FormOnce(r.Context(), a.ID, core.RecoveryForm, r.PostForm.Get("form_key"), func() (err error) {
		p := h.proof(r)
		codes, err = h.core.RenewRecoveryCodes(r.Context(), *a, p)
		h.keepProof(r, a, p)
		return err
	})
	if err == nil && repeated {
		// A reload of the page that showed the codes, or a second click:
		// new ones would void those just written down.
		h.renderSettings(w, r, a, http.StatusConflict, components.Settings{TwoFactor: components.TwoFactor{
			Error: i18n.T(r.Context(), "twofactor.recovery.renewed_twice"), ErrorFor: "recovery"}})
		return
	}
	if err != nil {
		h.settingsRefusal(w, r, a, err, "recovery")
		return
	}
	h.renderSettings(w, r, a, http.StatusOK, components.Settings{TwoFactor: components.TwoFactor{NewCodes: codes}})
}

// settingsRefusal shows the settings page with a refusal beside the
// two-factor form it concerns (form), or the error page for a failure.
func (h *Handler) settingsRefusal(w http.ResponseWriter, r *http.Request, a *core.Account, err error, form string) {
	if h.heldBack(w, r, err, func(held *components.HeldBack) {
		h.renderSettings(w, r, a, http.StatusTooManyRequests, components.Settings{TwoFactor: components.TwoFactor{HeldBack: held, ErrorFor: form}})
	}) {
		return
	}
	e, ok := core.AsError(err)
	if !ok || e.Kind == core.Unavailable {
		h.fail(w, r, err)
		return
	}
	h.renderSettings(w, r, a, web.Status(e.Kind), components.Settings{TwoFactor: components.TwoFactor{Error: e.Message(i18n.From(r.Context())), ErrorFor: form, ErrorField: e.Field}})
}

// passkeyRegisterOptions starts adding a passkey named by the form, given
// a proof: a refusal goes to the script, which shows it beside the
// form's field, before anything is asked of the authenticator.
func (h *Handler) passkeyRegisterOptions(w http.ResponseWriter, r *http.Request, a *core.Account) {
	h.ceremonyStart(w, r, func() ([]byte, string, error) {
		p := h.proof(r)
		options, state, err := h.core.BeginPasskey(r.Context(), *a, r.PostForm.Get("name"), p)
		h.keepProof(r, a, p)
		return options, state, err
	})
}

// addPasskey ends adding a passkey; the script then shows the settings
// page, which says it was added and lists it, with the recovery codes it
// came with, if any.
func (h *Handler) addPasskey(w http.ResponseWriter, r *http.Request, a *core.Account) {
	answer, err := readCeremony(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	state := h.sessions.PopString(r.Context(), sessionPasskey)
	p, codes, err := h.core.FinishPasskey(r.Context(), *a, state, answer)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.enrolled(r, *a); err != nil {
		h.fail(w, r, err)
		return
	}
	if len(codes) > 0 {
		// Under the session's token as it is now, after enrolled renewed
		// it: the database, which holds the session, cannot read them.
		sealed := core.SealForSession(h.sessions.Token(r.Context()), []byte(strings.Join(codes, " ")))
		h.sessions.Put(r.Context(), sessionNewCodes, string(sealed))
	}
	h.sessions.Put(r.Context(), sessionPasskeyAdded, p.Name)
	writeJSON(w, http.StatusCreated, map[string]string{"redirect": "/settings#two-factor"})
}

// removePasskeyForm asks to confirm the removal of one of the account's
// passkeys, with a proof unless the session is proven, on the settings
// page.
func (h *Handler) removePasskeyForm(w http.ResponseWriter, r *http.Request, a *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	var keys []core.Passkey
	if err == nil {
		keys, err = h.core.Passkeys(r.Context(), a.ID)
	}
	if err == nil && !slices.ContainsFunc(keys, func(k core.Passkey) bool { return k.ID == id }) {
		err = core.ErrNotFound
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Signing in again from here comes back here.
	t := components.TwoFactor{Removing: id}
	h.ssoProofSaid(r, &t)
	h.renderSettings(w, r, a, heldBackStatus(w, t.HeldBack), components.Settings{TwoFactor: t})
}

// deletePasskey removes one of the account's passkeys, given a proof. A
// refusal shows the form again, beside its field.
func (h *Handler) deletePasskey(w http.ResponseWriter, r *http.Request, a *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	if err == nil {
		err = parseForm(w, r)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	proof := h.proof(r)
	p, err := h.core.DeletePasskey(r.Context(), *a, id, proof)
	h.keepProof(r, a, proof)
	if e, ok := core.AsError(err); ok && e.Kind != core.NotFound && e.Kind != core.Unavailable && e.Kind != core.Limited {
		h.renderSettings(w, r, a, web.Status(e.Kind), components.Settings{TwoFactor: components.TwoFactor{Removing: id,
			Error: e.Message(i18n.From(r.Context())), ErrorFor: "passkey-remove", ErrorField: e.Field}})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderSettings(w, r, a, http.StatusOK, components.Settings{TwoFactor: components.TwoFactor{Removed: p.Name}})
}

// requireTwoFactor turns the server's two-factor requirement on or off.
func (h *Handler) requireTwoFactor(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	required, err := core.ParseSwitch("required", r.PostForm.Get("required"), "on")
	if err == nil {
		err = h.core.SetTwoFactorRequired(r.Context(), a, required)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.sessions.Put(r.Context(), sessionTwoFactorSwitched, "on")
	http.Redirect(w, r, "/accounts", http.StatusSeeOther)
}

// sessionTwoFactorSwitched is set once the two-factor switch was turned,
// for the accounts page that follows to bring its new state into view.
const sessionTwoFactorSwitched = "two_factor_switched"

// resetTwoFactor removes the second factors of the account the form
// names, whose owner lost them.
func (h *Handler) resetTwoFactor(w http.ResponseWriter, r *http.Request, a *core.Account) {
	err := parseForm(w, r)
	var id int64
	if err == nil {
		id, err = core.ParseID(r.PostForm.Get("account"))
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	acc, removed, err := h.core.ResetTwoFactor(r.Context(), a, id)
	if h.refusedOnList(w, r, a, err) {
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !removed {
		// Reset already, from a page left open in another tab or by
		// another administrator.
		h.renderAccounts(w, r, a, http.StatusOK, components.Accounts{NoFactorToReset: acc.Username})
		return
	}
	h.renderAccounts(w, r, a, http.StatusOK, components.Accounts{TwoFactorReset: acc.Username})
}
