package components

import "time"

// AccountItem is one account on the accounts page.
type AccountItem struct {
	ID        int64
	Name      string
	Admin     bool
	Disabled  bool
	CreatedAt time.Time
	// Self marks the viewer's own account, which cannot be disabled.
	Self bool
}

// NewAccountForm is the add-account form with what the admin typed.
type NewAccountForm struct {
	Username string
	Admin    bool
	Error    string
	// ErrorField names the field the error is about, if any.
	ErrorField string
}

// Accounts is the admin's accounts page.
type Accounts struct {
	List []AccountItem
	Form NewAccountForm
	// Added names the account just added.
	Added string
}
