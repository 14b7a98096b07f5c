package handlers

import (
	"crypto/rand"
	"net/http"
	"strings"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/web"
)

// settings is the signed-in account's own page: its password, sessions
// and API keys, and deleting it. That a passkey was added, and the
// recovery codes it came with, show here, this once, as do what a change
// of the notifications or of the time zone did (noticesDone,
// setTimeZone), how many sessions were just signed out (sessionsEnded),
// which API key was just revoked (revokeKey), and why signing in again
// at the provider proved nothing (ssoProofRefused), or how long it is
// held back.
func (h *Handler) settings(w http.ResponseWriter, r *http.Request, a *core.Account) {
	var codes []string
	if sealed := h.sessions.PopString(r.Context(), sessionNewCodes); sealed != "" {
		plain, err := core.OpenForSession(h.sessions.Token(r.Context()), []byte(sealed))
		if err != nil {
			// Not shown; the account can make others on this page.
			h.log.Warn("recovery codes of a new passkey", "err", err)
		}
		codes = strings.Fields(string(plain))
	}
	ended, _ := h.sessions.Pop(r.Context(), sessionSessionsEnded).(int64)
	twoFactor := components.TwoFactor{NewCodes: codes, Added: h.sessions.PopString(r.Context(), sessionPasskeyAdded)}
	h.ssoProofSaid(r, &twoFactor)
	h.renderSettings(w, r, a, heldBackStatus(w, twoFactor.HeldBack), components.Settings{TwoFactor: twoFactor,
		Notices: components.Notices{Message: h.sessions.PopString(r.Context(), sessionNoticesSaid)}, SessionsEnded: ended,
		Revoked: h.sessions.PopString(r.Context(), sessionKeyRevoked),
		Zone:    components.ZoneSettings{Message: h.sessions.PopString(r.Context(), sessionZoneSaid)}})
}

// ssoProofSaid puts in t, to say once beside its prompt to sign in again,
// why the last return from the provider proved nothing
// (ssoProofRefused), or how long it is held back (ssoHeldBack).
func (h *Handler) ssoProofSaid(r *http.Request, t *components.TwoFactor) {
	if said := h.sessions.PopString(r.Context(), sessionSSOProofRefused); said != "" {
		t.Error, t.ErrorFor = said, "sso-proof"
	}
	if held := h.ssoHeldBackSaid(r, sessionSSOProofHeldBack); held != nil {
		t.HeldBack, t.ErrorFor = held, "sso-proof"
	}
}

// renderSettings shows the settings page with v's form, notice and new key.
func (h *Handler) renderSettings(w http.ResponseWriter, r *http.Request, a *core.Account, status int, v components.Settings) {
	if err := h.twoFactorView(r, a, &v.TwoFactor); err != nil {
		h.fail(w, r, err)
		return
	}
	if v.TwoFactor.SSOProof() {
		// Its buttons that confirm by signing in again lead on to the
		// identity provider.
		w.Header().Set("Content-Security-Policy", components.SignInPolicy(h.core.SSOFormOrigins()))
	}
	if h.viewer(r) == nil {
		// Signed in but for a second factor, which the server requires:
		// the page offers only to set one up.
		v.TwoFactor.Enrolling = true
		h.render(w, r, status, components.SettingsPage(h.page(r, i18n.T(r.Context(), "settings.enrol.title"), "passkeys.js"), v))
		return
	}
	keys, err := h.core.Keys(r.Context(), a.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.core.Now()
	for _, k := range keys {
		v.Keys = append(v.Keys, components.KeyItem{ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt,
			LastUsedAt: k.LastUsedAt, ExpiresAt: k.ExpiresAt, Expired: !k.Active(now)})
	}
	v.AtLimit = core.KeysFull(keys, now)
	v.Expiries = core.KeyExpiries
	if v.Form.FormKey == "" {
		v.Form.FormKey = rand.Text()
	}
	if v.Password.FormKey == "" {
		v.Password.FormKey = rand.Text()
	}
	if v.TwoFactor.FormKey == "" {
		v.TwoFactor.FormKey = rand.Text()
	}
	if v.Form.Expires == "" {
		v.Form.Expires = core.KeyExpiries[0]
	}
	if v.Sessions, err = h.sessionItems(r, a); err != nil {
		h.fail(w, r, err)
		return
	}
	if a.Admin {
		if v.LastAdmin, err = h.core.LastAdmin(r.Context(), a.ID); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if err := h.fillNotices(r, a, &v.Notices); err != nil {
		h.fail(w, r, err)
		return
	}
	h.fillZone(a, &v.Zone)
	if v.Storage.Used, v.Storage.Limit, err = h.core.StorageUsage(r.Context(), a.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	v.NoPassword = !a.HasPassword()
	v.Password.SSOOnly = !h.core.PasswordSignIn()
	h.render(w, r, status, components.SettingsPage(h.page(r, i18n.T(r.Context(), "settings.title"), "passkeys.js"), v))
}

// createKey makes an API key and shows its secret once. A mistake shows
// the form again with what was typed and the mistake beside its field.
func (h *Handler) createKey(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	f := components.KeyForm{FormKey: r.PostForm.Get("form_key"), Name: strings.TrimSpace(r.PostForm.Get("name")), Expires: r.PostForm.Get("expires")}
	var k core.NewKey
	repeated, err := h.core.FormOnce(r.Context(), a.ID, core.KeyForm, f.FormKey, func() (err error) {
		k, err = h.core.CreateKey(r.Context(), a.ID, f.Name, f.Expires)
		return err
	})
	if err == nil && repeated {
		// A reload of the page that showed the key, or a second click: its
		// secret is not kept anywhere to show again, and another key would
		// be one the owner never asked for.
		f = components.KeyForm{Error: i18n.T(r.Context(), "settings.keys.sent_twice")}
		h.renderSettings(w, r, a, http.StatusConflict, components.Settings{Form: f})
		return
	}
	if e, ok := core.AsError(err); ok {
		f.Error, f.ErrorField = e.Message(i18n.From(r.Context())), e.Field
		h.renderSettings(w, r, a, web.Status(e.Kind), components.Settings{Form: f})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderSettings(w, r, a, http.StatusCreated, components.Settings{NewKey: &components.NewKey{Name: k.Key.Name, Secret: k.Secret}})
}

// revokeKey ends one of the account's API keys at once.
func (h *Handler) revokeKey(w http.ResponseWriter, r *http.Request, a *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	if err == nil {
		err = parseForm(w, r)
	}
	var k core.APIKey
	if err == nil {
		k, err = h.core.RevokeKey(r.Context(), a.ID, id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Back at the keys, whose list now goes without it, and which say so.
	h.sessions.Put(r.Context(), sessionKeyRevoked, k.Name)
	redirect(w, r, "/settings#keys-heading")
}

// sessionKeyRevoked names the API key just revoked, for the settings page
// that follows to say once.
const sessionKeyRevoked = "key_revoked"

// changePassword sets the account's password, given the current one, and
// signs out its other sessions. Mistakes show the form again with each
// beside its field, all at once, and change nothing.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	var (
		changed core.Account
		ended   int64
		renewed error
	)
	repeated, err := h.core.FormOnce(r.Context(), a.ID, core.PasswordForm, r.PostForm.Get("form_key"), func() (err error) {
		// The session that asks goes on under a new token, so that a copy
		// of its cookie taken before signs nobody in after. It is renewed
		// once the passwords check out, and before the change, so that its
		// own open dashboards follow it to its new id before the change
		// tells them to check their sessions; a refused change leaves it
		// as it was.
		changed, ended, err = h.core.ChangePassword(r.Context(), *a, r.PostForm.Get("current_password"), r.PostForm.Get("password"), func() (string, error) {
			if renewed = h.renewSession(r, a); renewed != nil {
				return "", renewed
			}
			return h.sessionID(r), nil
		})
		return err
	})
	if err == nil && repeated {
		// A reload of the page that said the password changed, or a second
		// click: the old password, sent again, would be refused as a wrong
		// one, and counted against the account's sign-in limit.
		h.renderSettings(w, r, a, http.StatusConflict, components.Settings{Password: components.PasswordForm{
			Errors: components.FieldErrors{{Message: i18n.T(r.Context(), "settings.password.changed_twice")}}}})
		return
	}
	if renewed != nil {
		h.fail(w, r, renewed)
		return
	}
	if h.heldBack(w, r, err, func(held *components.HeldBack) {
		// The passwords are never shown again.
		h.renderSettings(w, r, a, http.StatusTooManyRequests, components.Settings{Password: components.PasswordForm{HeldBack: held}})
	}) {
		return
	}
	if e, ok := core.AsError(err); ok && e.Kind != core.Unavailable {
		h.renderSettings(w, r, a, web.Status(e.Kind), components.Settings{Password: components.PasswordForm{Errors: fieldErrors(r, err)}})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderSettings(w, r, &changed, http.StatusOK, components.Settings{Password: components.PasswordForm{Changed: true, Ended: ended}})
}

// renewSession gives the session of r, signed in as a, a new token, saved
// at once, and lists it under its new id as it was listed: its open
// dashboards, told, follow it there (see events).
func (h *Handler) renewSession(r *http.Request, a *core.Account) error {
	ctx := r.Context()
	id := h.sessionID(r)
	// It ends when its sign-in would have, as its listing does: scs
	// would give a new token a week of its own.
	end := h.sessions.Deadline(ctx)
	if err := h.sessions.RenewToken(ctx); err != nil {
		return err
	}
	h.sessions.SetDeadline(ctx, end)
	// Saved now rather than as the answer goes out: a dashboard that
	// follows the renewal must find the session under its new id.
	if _, _, err := h.sessions.Commit(ctx); err != nil {
		return err
	}
	return h.core.RenewedSession(ctx, a.ID, id, h.sessionID(r))
}

// deleteOwnAccount deletes the signed-in account, given its password, and
// signs it out.
func (h *Handler) deleteOwnAccount(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	err := h.core.DeleteOwnAccount(r.Context(), *a, r.PostForm.Get("password"))
	if h.heldBack(w, r, err, func(held *components.HeldBack) {
		h.renderSettings(w, r, a, http.StatusTooManyRequests, components.Settings{Delete: components.DeleteForm{HeldBack: held}})
	}) {
		return
	}
	if e, ok := core.AsError(err); ok && e.Kind != core.Unavailable {
		h.renderSettings(w, r, a, web.Status(e.Kind), components.Settings{Delete: components.DeleteForm{Error: e.Message(i18n.From(r.Context())), ErrorField: e.Field}})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.sessions.Destroy(r.Context()); err != nil {
		h.log.Warn("end the session of a deleted account", "err", err)
	} else {
		// A session of nobody's, for the sign-in page to say so once:
		// without a word, the page would leave its reader to wonder
		// whether the account went.
		h.sessions.Put(r.Context(), sessionOwnDeleted, a.Username)
	}
	redirect(w, r, "/login")
}

// sessionOwnDeleted is the name of the account that its owner just
// deleted, for the sign-in page that follows to say once.
const sessionOwnDeleted = "own_account_deleted"
