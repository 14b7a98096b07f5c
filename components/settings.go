package components

import "time"

// Settings is the signed-in account's own page.
type Settings struct {
	Keys []KeyItem
	Form KeyForm
	// Expiries are the lifetimes a new key may have, the default first.
	Expiries []string
	// AtLimit is set when the account has as many usable keys as it may.
	AtLimit bool
	// NewKey is a key just made, shown once.
	NewKey *NewKey

	Password PasswordForm
	Sessions []SessionItem
	// SessionsEnded, when not negative, is how many sessions were just
	// ended from the sessions list.
	SessionsEnded int64
	Delete        DeleteForm
	// LastAdmin is set when the account is the only enabled
	// administrator, which cannot be deleted.
	LastAdmin bool
	// Notices is the notifications section.
	Notices Notices
	// NoPassword is set for an account made by single sign-on, which has
	// no password to change or to confirm its deletion with.
	NoPassword bool
}

// KeyItem is one API key on the settings page.
type KeyItem struct {
	ID         int64
	Name       string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	ExpiresAt  time.Time // zero when it never expires
	Expired    bool
}

// KeyForm is the new-key form with what was typed.
type KeyForm struct {
	Name    string
	Expires string
	Error   string
	// ErrorField names the field the error is about, if any.
	ErrorField string
}

// NewKey is the one showing of a new key's secret.
type NewKey struct {
	Name   string
	Secret string
}

// PasswordForm is the change-password form, after a try.
type PasswordForm struct {
	Error      string
	ErrorField string
	// Changed says the password was just changed; Ended is how many other
	// sessions that ended.
	Changed bool
	Ended   int64
}

// SessionItem is one of the account's sessions.
type SessionItem struct {
	ID         string
	Device     string
	IP         string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// Current is the session showing the page.
	Current bool
}

// DeleteForm is the delete-my-account form, after a try.
type DeleteForm struct {
	Error      string
	ErrorField string
}
