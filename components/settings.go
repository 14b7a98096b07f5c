package components

import (
	"strconv"
	"time"

	"github.com/a-h/templ"

	"oncelink/core"
)

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
	// Revoked names the key just revoked.
	Revoked string

	Password PasswordForm
	Sessions []SessionItem
	// SessionsEnded, when not negative, is how many sessions were just
	// ended from the sessions list.
	SessionsEnded int64
	// SessionGone says that the session asked to be signed out was
	// signed out already (from another tab, say).
	SessionGone bool
	Delete      DeleteForm
	// LastAdmin is set when the account is the only enabled
	// administrator, which cannot be deleted.
	LastAdmin bool
	// Notices is the notifications section.
	Notices Notices
	// NoPassword is set for an account made by single sign-on, which has
	// no password to change or to confirm its deletion with.
	NoPassword bool
	// TwoFactor is the two-factor section, or the enrolment that the
	// administrators require.
	TwoFactor TwoFactor
	// Zone is the time zone section.
	Zone ZoneSettings
	// Storage is what the account's links keep against its bound.
	Storage Storage
}

// Storage is the content an account's links keep, and the most they may,
// in bytes (see core.Service.StorageUsage).
type Storage struct {
	Used, Limit int64
}

// ZoneSettings is the time zone section of the settings page: the zone
// that the text to send with a new link writes its times in, and so do
// the account's mails.
type ZoneSettings struct {
	// Zone is the account's, an IANA name; "" for UTC.
	Zone string
	// Form is the form that changes it, after a try.
	Form ZoneForm
	// EmailOn is set when the server sends email, whose mails write times
	// in the zone too.
	EmailOn bool
	// Message is a word about the zone just set.
	Message string
}

// ZoneForm is the form of the account's time zone, after a try.
type ZoneForm struct {
	Zone       string
	Error      string
	ErrorField string
}

// suggest is whether the form offers this browser's zone (app.js): when
// the account has none, and the form does not come back with what was
// typed in it.
func (v ZoneSettings) suggest() bool { return v.Zone == "" && v.Form.Error == "" }

// help is the message that says what the zone is for: the text to send
// with a new link, and the mails where the server sends any.
func (v ZoneSettings) help() string {
	if v.EmailOn {
		return "settings.zone.help_email"
	}
	return "settings.zone.help"
}

// zoneName is how the settings page names zone: "UTC" for none.
func zoneName(zone string) string {
	if zone == "" {
		return "UTC"
	}
	return zone
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
	// FormKey is the form's one-time key: the same form sent twice (a
	// reload of the page that answered it, a second click) makes one API
	// key (see core.FormOnce).
	FormKey string
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
	// FormKey tells this showing of the form from others (see
	// core.FormOnce): sent again, it changes nothing.
	FormKey string
	// Errors are the try's mistakes, each beside its field.
	Errors FieldErrors
	// Changed says the password was just changed; Ended is how many other
	// sessions that ended.
	Changed bool
	Ended   int64
	// HeldBack, when the rate limits refused the try, says for how long.
	HeldBack *HeldBack
	// SSOOnly is set where password sign-in is off: the password signs
	// nobody in, and the form says what it is still for.
	SSOOnly bool
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
	// Half is a browser that gave the password and has not taken the
	// second step: not signed in, though it may be soon.
	Half bool
}

// DeleteForm is the delete-my-account form, after a try.
type DeleteForm struct {
	Error      string
	ErrorField string
	// HeldBack, when the rate limits refused the try, says for how long.
	HeldBack *HeldBack
}

// TwoFactor is the settings page's two-factor section.
type TwoFactor struct {
	// Required is set when the server requires a second factor of
	// everyone; Enrolling when this account must set one up before it is
	// signed in, so the page offers nothing else.
	Required  bool
	Enrolling bool
	TOTP      bool
	TOTPSince time.Time
	// Enrolment is an authenticator app being set up.
	Enrolment    *Enrolment
	RecoveryLeft int
	// RecoveryUsed is how many of its recovery codes the account used:
	// with none left, it tells codes used up from codes never made.
	RecoveryUsed int
	// NewCodes are recovery codes just made, shown once.
	NewCodes []string
	// FormKey tells this showing of the forms that ask for a proof from
	// others (see core.FormOnce): making new recovery codes, sent again by
	// a reload or a second click, makes none.
	FormKey  string
	Passkeys []PasskeyItem
	// PasskeysAvailable is false when the server's address is not a name.
	PasskeysAvailable bool
	// SSOOnly is set where password sign-in is off: no passkey signs
	// in, and the page offers to add none (see core.PasskeySignIn).
	SSOOnly bool
	// Notice is what just happened: "totp-on" or "totp-off".
	Notice string
	// Added names the passkey just added, Removed the one just removed.
	Added, Removed string
	// Removing is the id of the passkey whose removal asks for a proof.
	Removing int64
	// Proven is set while the session changes second factors without a
	// proof (see core.Proven), and the forms ask for none; ProofBy is
	// what the account gives otherwise.
	Proven  bool
	ProofBy core.ProofWays
	// Error is a refusal, beside the form ErrorFor names: "totp",
	// "totp-confirm", "recovery", "passkey-remove", or "sso-proof" for
	// signing in again to confirm.
	Error      string
	ErrorFor   string
	ErrorField string
	// HeldBack, when the rate limits refused the form ErrorFor names,
	// says for how long, above it.
	HeldBack *HeldBack
}

func errorFor(t TwoFactor, form string) string {
	if t.ErrorFor == form {
		return t.Error
	}
	return ""
}

// twoFactorPath is the settings page's two-factor section, and
// recoveryPath its recovery codes, which it makes anew there.
const (
	twoFactorPath = "/settings#two-factor"
	recoveryPath  = "/settings#recovery-heading"
)

// removePasskeyPath is where passkey id's removal asks for a proof (GET)
// and takes it (POST).
func removePasskeyPath(id int64) string {
	return "/settings/passkeys/" + strconv.FormatInt(id, 10) + "/delete"
}

func heldBackFor(t TwoFactor, form string) *HeldBack {
	if t.ErrorFor == form {
		return t.HeldBack
	}
	return nil
}

func proofField(t TwoFactor, form string) string {
	if t.ErrorFor == form {
		return t.ErrorField
	}
	return ""
}

// fieldOf is the code field when there is an error about it.
func fieldOf(msg string) string {
	if msg != "" {
		return "code"
	}
	return ""
}

// Verify is a sign-in's second step: what the account can answer it with.
type Verify struct {
	Username string
	TOTP     bool
	Passkeys bool
	Recovery bool
	// PasskeysOff is set when the account's only second factors are
	// passkeys, which this server cannot use, or which were all found
	// cloned (PasskeysCloned): the page says why it offers none, and what
	// to do instead.
	PasskeysOff    bool
	PasskeysCloned bool
	Error          string
	// HeldBack, when the rate limits refused a code, says for how long.
	HeldBack *HeldBack
}

// SSOProof reports whether the account, without a password or an app,
// confirms it is its owner by signing in again with single sign-on.
func (t TwoFactor) SSOProof() bool { return t.ProofBy.SSO && !t.ProofField() }

// ProofField reports whether the account's proof is typed in a field:
// its password or a code of its app.
func (t TwoFactor) ProofField() bool { return t.ProofBy.Password || t.ProofBy.Code }

// proofMinutes is core.ProofWindow in minutes, as the page says it.
const proofMinutes = int(core.ProofWindow / time.Minute)

// describedBy is the attributes of a control that is no field, such as a
// button, with an error about field beside it: it is described by the
// error.
func describedBy(errField, field string) templ.Attributes {
	if errField != field {
		return templ.Attributes{}
	}
	return templ.Attributes{"aria-describedby": errorID(field)}
}

// Any reports whether the account has a second factor.
func (t TwoFactor) Any() bool { return t.TOTP || len(t.Passkeys) > 0 }

// Enrolment is an authenticator-app secret waiting for its first code.
type Enrolment struct {
	Secret string
	// Mark names the secret shown, for the form to send back (see
	// core.ConfirmTOTP).
	Mark  string
	QR    QR
	Error string
	// HeldBack, when the rate limits refused a code, says for how long.
	HeldBack *HeldBack
}

// SecretGroups is the secret in groups of four, easier to type.
func (e Enrolment) SecretGroups() string {
	var b []byte
	for i := 0; i < len(e.Secret); i++ {
		if i > 0 && i%4 == 0 {
			b = append(b, ' ')
		}
		b = append(b, e.Secret[i])
	}
	return string(b)
}

// PasskeyItem is one of the account's passkeys.
type PasskeyItem struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	// Cloned is set once an answer of it showed it copied: it signs in
	// no more, and the page asks its owner to remove it.
	Cloned bool
}

// ssoProofNext is where signing in again from the section's prompt comes
// back to: the removal of a passkey that asks for the proof, or the
// section.
func ssoProofNext(t TwoFactor) string {
	if t.Removing != 0 {
		return removePasskeyPath(t.Removing)
	}
	return twoFactorPath
}
