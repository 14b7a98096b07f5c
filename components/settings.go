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
