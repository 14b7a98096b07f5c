package handlers

import (
	"crypto/rand"
	"errors"
	"net/http"
	"strings"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/web"
)

// adminOnly runs next for a signed-in administrator; anyone else signed in
// is told that only administrators may.
func (h *Handler) adminOnly(next func(http.ResponseWriter, *http.Request, *core.Account)) http.HandlerFunc {
	return h.signedIn(func(w http.ResponseWriter, r *http.Request, a *core.Account) {
		if !a.Admin {
			h.fail(w, r, core.ErrAdminOnly)
			return
		}
		next(w, r, a)
	})
}

// accounts is the administrators' list of accounts, which says once which
// account was just deleted, or that the two-factor switch was turned.
func (h *Handler) accounts(w http.ResponseWriter, r *http.Request, a *core.Account) {
	h.renderAccounts(w, r, a, http.StatusOK, components.Accounts{Deleted: h.sessions.PopString(r.Context(), sessionDeleted),
		TwoFactorSwitched: h.sessions.PopString(r.Context(), sessionTwoFactorSwitched) != ""})
}

// sessionDeleted is the name of the account just deleted, for the accounts
// page that follows to say once.
const sessionDeleted = "account_deleted"

// renderAccounts shows the accounts page with v's form and notice.
func (h *Handler) renderAccounts(w http.ResponseWriter, r *http.Request, a *core.Account, status int, v components.Accounts) {
	list, err := h.core.Accounts(r.Context())
	var linked map[int64][]core.Linked
	if err == nil {
		linked, err = h.core.Identities(r.Context())
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	with, err := h.core.WithSecondFactor(r.Context())
	if err == nil {
		v.RequireTwoFactor, err = h.core.TwoFactorRequired(r.Context())
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.SelfWithout = !with[a.ID]
	for _, acc := range list {
		item := accountItem(acc, a, linked[acc.ID])
		v.List = append(v.List, item)
		if with[acc.ID] && acc.ID != a.ID { // an admin changes their own on Settings
			v.WithTwoFactor = append(v.WithTwoFactor, item)
		}
	}
	h.render(w, r, status, components.AccountsPage(h.page(r, i18n.T(r.Context(), "accounts.title")), v))
}

func accountItem(acc core.Account, viewer *core.Account, linked []core.Linked) components.AccountItem {
	item := components.AccountItem{ID: acc.ID, Name: acc.Username, Admin: acc.Admin, Disabled: acc.Disabled(),
		CreatedAt: acc.CreatedAt, Self: acc.ID == viewer.ID, ResetKey: rand.Text()}
	for _, l := range linked {
		item.SSO = append(item.SSO, l.Label())
	}
	return item
}

// addAccount adds an account from the form. A mistake re-renders the form
// with what the admin typed, except the password, and adds nothing.
func (h *Handler) addAccount(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	f := components.NewAccountForm{Username: strings.TrimSpace(r.PostForm.Get("username"))}
	var added core.Account
	admin, err := core.ParseSwitch("admin", r.PostForm.Get("admin"), "on")
	if err == nil {
		f.Admin = admin
		added, err = h.core.AddAccount(r.Context(), f.Username, r.PostForm.Get("password"), admin)
	}
	if e, ok := core.AsError(err); ok {
		// Every mistake at once, each beside its field.
		f.Username, f.Errors = refill(f.Username), fieldErrors(r, err)
		h.renderAccounts(w, r, a, web.Status(e.Kind), components.Accounts{Form: f})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderAccounts(w, r, a, http.StatusCreated, components.Accounts{Added: added.Username})
}

func (h *Handler) disableAccount(w http.ResponseWriter, r *http.Request, a *core.Account) {
	h.setDisabled(w, r, a, true)
}

func (h *Handler) enableAccount(w http.ResponseWriter, r *http.Request, a *core.Account) {
	h.setDisabled(w, r, a, false)
}

// setDisabled disables or enables the account {id}. A disabled account
// cannot sign in, its sessions end at their next request (see viewer), its
// open dashboards are told at once, and its links and requests rest until
// it is enabled (see core.SetDisabled).
func (h *Handler) setDisabled(w http.ResponseWriter, r *http.Request, a *core.Account, disabled bool) {
	id, err := accountOf(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	acc, changed, err := h.core.SetDisabled(r.Context(), a, id, disabled)
	already := "accounts.unchanged.enabled"
	if disabled {
		already = "accounts.unchanged.disabled"
	}
	h.answerChange(w, r, a, id, acc, changed, already, err)
}

// answerChange answers a change to the account id that core made
// (changed), found made already (the page then says already of acc), or
// refused (err).
func (h *Handler) answerChange(w http.ResponseWriter, r *http.Request, a *core.Account, id int64, acc core.Account, changed bool, already string, err error) {
	if err == nil && !changed {
		h.unchangedAccount(w, r, a, acc, components.Unchanged{Message: already, Name: acc.Username})
		return
	}
	h.changedAccount(w, r, a, id, acc, err)
}

// changedAccount answers a change to the account id in the list: an htmx
// request gets its row, a form a redirect to the list; a refusal is the
// list with the reason (see refusedOnList). To htmx, an account deleted
// since the list was shown is said in the page's alerts, and its row goes:
// when it was the last but the viewer's, the list says they are alone.
func (h *Handler) changedAccount(w http.ResponseWriter, r *http.Request, a *core.Account, id int64, acc core.Account, err error) {
	if h.refusedOnList(w, r, a, err) {
		return
	}
	if errors.Is(err, core.ErrAccountGone) {
		left, listErr := h.core.Accounts(r.Context())
		if listErr != nil {
			h.fail(w, r, listErr)
			return
		}
		h.failRemoving(w, r, err, components.AccountRowID(id), components.OnlyYou(len(left), true))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if isHTMX(r) {
		linked, err := h.core.AccountIdentities(r.Context(), acc.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, http.StatusOK, components.AccountRow(accountItem(acc, a, linked)))
		return
	}
	http.Redirect(w, r, "/accounts", http.StatusSeeOther)
}

// refusedOnList answers a form's change to an account that the rules
// refuse, such as removing the last administrator or changing an account
// deleted since the page was shown, with the accounts page, up to date,
// saying why. It reports whether it answered: an htmx request's refusal,
// and a failure, are left to fail.
func (h *Handler) refusedOnList(w http.ResponseWriter, r *http.Request, a *core.Account, err error) bool {
	e, ok := core.AsError(err)
	if !ok || isHTMX(r) || e.Kind != core.Conflict && e.Kind != core.Invalid && e.Kind != core.NotFound {
		return false
	}
	h.renderAccounts(w, r, a, web.Status(e.Kind), components.Accounts{Error: e.Message(i18n.From(r.Context()))})
	return true
}

// accountOf reads the {id} of a change to an account, after its body,
// which carries nothing, but when bad changes nothing either.
func accountOf(w http.ResponseWriter, r *http.Request) (int64, error) {
	if err := parseForm(w, r); err != nil {
		return 0, err
	}
	return core.ParseID(r.PathValue("id"))
}

func (h *Handler) promoteAccount(w http.ResponseWriter, r *http.Request, a *core.Account) {
	h.setAdmin(w, r, a, true)
}

func (h *Handler) demoteAccount(w http.ResponseWriter, r *http.Request, a *core.Account) {
	h.setAdmin(w, r, a, false)
}

// setAdmin makes the account {id} an administrator or a member.
func (h *Handler) setAdmin(w http.ResponseWriter, r *http.Request, a *core.Account, admin bool) {
	id, err := accountOf(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	acc, changed, err := h.core.SetAdmin(r.Context(), a, id, admin)
	already := "accounts.unchanged.member"
	if admin {
		already = "accounts.unchanged.admin"
	}
	h.answerChange(w, r, a, id, acc, changed, already, err)
}

// unchangedAccount answers a change that found account acc so already,
// as from a second click on a page left open in another tab: the row, up
// to date, with u said in the page's alerts to htmx; the list saying u
// to a form.
func (h *Handler) unchangedAccount(w http.ResponseWriter, r *http.Request, a *core.Account, acc core.Account, u components.Unchanged) {
	if !isHTMX(r) {
		h.renderAccounts(w, r, a, http.StatusOK, components.Accounts{Unchanged: &u})
		return
	}
	linked, err := h.core.AccountIdentities(r.Context(), acc.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, components.AccountUnchanged(accountItem(acc, a, linked), u))
}

// deleteAccount deletes the account {id} with its links.
func (h *Handler) deleteAccount(w http.ResponseWriter, r *http.Request, a *core.Account) {
	id, err := accountOf(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	gone, err := h.core.DeleteAccount(r.Context(), a, id)
	if h.refusedOnList(w, r, a, err) {
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// On to the list, which says so: a reload of it deletes nothing again.
	h.sessions.Put(r.Context(), sessionDeleted, gone.Username)
	redirect(w, r, "/accounts")
}

// resetPassword gives the account {id} a new random password, which the
// admin gets once, inside a one-time link of theirs to pass on.
func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request, a *core.Account) {
	id, err := accountOf(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	reset, err := h.core.ResetPassword(r.Context(), *a, id, r.PostForm.Get("form_key"))
	if h.refusedOnList(w, r, a, err) {
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if reset.Repeated {
		// The form sent again, as by a reload of the page that showed the
		// new password's link, or a second click: the password is not
		// reset twice, which would make the link's useless.
		h.renderAccounts(w, r, a, http.StatusConflict, components.Accounts{Error: i18n.T(r.Context(), "accounts.action.reset_twice")})
		return
	}
	v := components.Accounts{Reset: &components.Reset{Name: reset.Account.Username, Link: *h.created(reset.Link, a)}}
	h.renderAccounts(w, r, a, http.StatusCreated, v)
	web.PublishAfter(w, r, h.core, reset.Link.Event())
}
