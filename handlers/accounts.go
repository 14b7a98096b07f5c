package handlers

import (
	"errors"
	"net/http"
	"strings"

	"oncelink/components"
	"oncelink/live"
	"oncelink/store"
)

// adminOnly runs next for a signed-in administrator. Anyone else signed in
// gets the 404 of a page that does not exist, as for another owner's link:
// the admin pages are not advertised.
func (h *Handler) adminOnly(next func(http.ResponseWriter, *http.Request, *store.Account)) http.HandlerFunc {
	return h.signedIn(func(w http.ResponseWriter, r *http.Request, a *store.Account) {
		if !a.Admin {
			h.fail(w, r, errNotFound)
			return
		}
		next(w, r, a)
	})
}

func (h *Handler) accounts(w http.ResponseWriter, r *http.Request, a *store.Account) {
	h.renderAccounts(w, r, a, http.StatusOK, components.Accounts{})
}

// renderAccounts shows the accounts page with v's form and notice.
func (h *Handler) renderAccounts(w http.ResponseWriter, r *http.Request, a *store.Account, status int, v components.Accounts) {
	list, err := h.store.Accounts(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, acc := range list {
		v.List = append(v.List, accountItem(acc, a))
	}
	h.render(w, r, status, components.AccountsPage(h.page(r, "Accounts"), v))
}

func accountItem(acc store.Account, viewer *store.Account) components.AccountItem {
	return components.AccountItem{ID: acc.ID, Name: acc.Username, Admin: acc.Admin, Disabled: acc.Disabled(),
		CreatedAt: acc.CreatedAt, Self: acc.ID == viewer.ID}
}

// addAccount adds an account from the form. A mistake re-renders the form
// with what the admin typed, except the password, and adds nothing.
func (h *Handler) addAccount(w http.ResponseWriter, r *http.Request, a *store.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	f := components.NewAccountForm{
		Username: strings.TrimSpace(r.PostForm.Get("username")),
		Admin:    r.PostForm.Get("admin") != "",
	}
	added, err := AddAccount(r.Context(), h.store, f.Username, r.PostForm.Get("password"), f.Admin)
	var ue *userError
	switch {
	case errors.As(err, &ue):
		f.Error = ue.msg
		h.renderAccounts(w, r, a, ue.status, components.Accounts{Form: f})
	case errors.Is(err, store.ErrConflict):
		f.Error = "There is already an account named " + f.Username + ". Choose another name."
		h.renderAccounts(w, r, a, http.StatusConflict, components.Accounts{Form: f})
	case err != nil:
		h.fail(w, r, err)
	default:
		h.renderAccounts(w, r, a, http.StatusCreated, components.Accounts{Added: added.Username})
	}
}

func (h *Handler) disableAccount(w http.ResponseWriter, r *http.Request, a *store.Account) {
	h.setDisabled(w, r, a, true)
}

func (h *Handler) enableAccount(w http.ResponseWriter, r *http.Request, a *store.Account) {
	h.setDisabled(w, r, a, false)
}

// setDisabled disables or enables the account {id}. A disabled account
// cannot sign in, its sessions end at their next request (see viewer), and
// its open dashboards are told at once.
func (h *Handler) setDisabled(w http.ResponseWriter, r *http.Request, a *store.Account, disabled bool) {
	// The body carries nothing, but a bad one changes nothing either.
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := linkID(r) // an account's {id} reads as a link's does
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if id == a.ID && disabled {
		h.fail(w, r, invalid("You cannot disable your own account; another administrator can."))
		return
	}
	acc, err := h.store.SetDisabled(r.Context(), id, disabled)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if disabled {
		h.publish(r, live.Event{Owner: id, What: live.SessionsChanged})
	}
	if isHTMX(r) {
		h.render(w, r, http.StatusOK, components.AccountRow(accountItem(acc, a)))
		return
	}
	http.Redirect(w, r, "/accounts", http.StatusSeeOther)
}
