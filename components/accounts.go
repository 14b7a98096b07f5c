package components

import (
	"context"
	"fmt"
	"html"
	"io"
	"time"

	"github.com/a-h/templ"

	"oncelink/i18n"
)

// AccountItem is one account on the accounts page.
type AccountItem struct {
	ID        int64
	Name      string
	Admin     bool
	Disabled  bool
	CreatedAt time.Time
	// Self marks the viewer's own account, which cannot be disabled.
	Self bool
	// ResetKey is the form key of its reset-password form (see
	// core.ResetPassword).
	ResetKey string
	// SSO lists the identity providers' accounts linked to it, each as
	// its email address or else its issuer: it signs in with single
	// sign-on as them.
	SSO []string
}

// NewAccountForm is the add-account form with what the admin typed.
type NewAccountForm struct {
	Username string
	Admin    bool
	// Errors are the form's mistakes, all of them.
	Errors FieldErrors
}

// Accounts is the admin's accounts page.
type Accounts struct {
	List []AccountItem
	Form NewAccountForm
	// Added names the account just added.
	Added string
	// Deleted names the account just deleted.
	Deleted string
	// Error is a refused change to an account in the list.
	Error string
	// Reset is a password just reset, in its one-time link.
	Reset *Reset
	// RequireTwoFactor is the server's switch: every account must have a
	// second factor to sign in with a password.
	RequireTwoFactor bool
	// TwoFactorSwitched is set when the switch was just turned: what it
	// now says takes the focus, which brings the foot of the page, where
	// it stands, into view.
	TwoFactorSwitched bool
	// TwoFactorReset names the account whose second factors were just
	// removed.
	TwoFactorReset string
	// NoFactorToReset names the account whose second factors were to be
	// removed, and which had none: reset already, from a page left open
	// in another tab or by another administrator.
	NoFactorToReset string
	// Unchanged is a change to an account in the list that found it done
	// already.
	Unchanged *Unchanged
	// WithTwoFactor are the accounts that have a second factor.
	WithTwoFactor []AccountItem
	// SelfWithout is set when the viewer has no second factor.
	SelfWithout bool
}

// Unchanged is a change to an account that changed nothing, as the
// account was so already (a second click, from a page left open in
// another tab): Message is the id of what to say of it, Name the account.
type Unchanged struct {
	Message string
	Name    string
}

// Reset is an account's new password, handed to the admin as a one-time
// link.
type Reset struct {
	Name string
	Link Created
}

// markup is the message id in the reader's language as HTML: its text
// escaped, with the data among pairs that are components (a name in
// <strong>, a link, a <time>) drawn in their places, so that a
// translation can put them where its grammar wants them.
func markup(id string, pairs ...any) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		text := func(s string) error {
			_, err := io.WriteString(w, html.EscapeString(s))
			return err
		}
		return i18n.From(ctx).Parts(id, pairs, text, func(v any) error {
			if c, ok := v.(templ.Component); ok {
				return c.Render(ctx, w)
			}
			return text(fmt.Sprint(v))
		})
	})
}
