package handlers

import (
	"net/http"
	"strings"

	"oncelink/components"
	"oncelink/core"
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

func (h *Handler) accounts(w http.ResponseWriter, r *http.Request, a *core.Account) {
	h.renderAccounts(w, r, a, http.StatusOK, components.Accounts{})
}

// renderAccounts shows the accounts page with v's form and notice.
func (h *Handler) renderAccounts(w http.ResponseWriter, r *http.Request, a *core.Account, status int, v components.Accounts) {
	list, err := h.core.Accounts(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, acc := range list {
		v.List = append(v.List, accountItem(acc, a))
	}
	h.render(w, r, status, components.AccountsPage(h.page(r, "Accounts"), v))
}

func accountItem(acc core.Account, viewer *core.Account) components.AccountItem {
	return components.AccountItem{ID: acc.ID, Name: acc.Username, Admin: acc.Admin, Disabled: acc.Disabled(),
		CreatedAt: acc.CreatedAt, Self: acc.ID == viewer.ID}
}

// addAccount adds an account from the form. A mistake re-renders the form
// with what the admin typed, except the password, and adds nothing.
func (h *Handler) addAccount(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	f := components.NewAccountForm{
		Username: strings.TrimSpace(r.PostForm.Get("username")),
		Admin:    r.PostForm.Get("admin") != "",
	}
	added, err := h.core.AddAccount(r.Context(), f.Username, r.PostForm.Get("password"), f.Admin)
	if e, ok := core.AsError(err); ok {
		f.Username, f.Error, f.ErrorField = refill(f.Username), e.Msg, e.Field
		h.renderAccounts(w, r, a, Status(e.Kind), components.Accounts{Form: f})
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
// cannot sign in, its sessions end at their next request (see viewer), and
// its open dashboards are told at once.
func (h *Handler) setDisabled(w http.ResponseWriter, r *http.Request, a *core.Account, disabled bool) {
	// The body carries nothing, but a bad one changes nothing either.
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := core.ParseID(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	acc, err := h.core.SetDisabled(r.Context(), a, id, disabled)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if isHTMX(r) {
		h.render(w, r, http.StatusOK, components.AccountRow(accountItem(acc, a)))
		return
	}
	http.Redirect(w, r, "/accounts", http.StatusSeeOther)
}
