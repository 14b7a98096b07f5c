package core

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"oncelink/store"
)

// Kind is what sort of refusal an Error is. Each adapter maps it to its
// own answer: an HTTP status, an exit code.
type Kind int

// The kinds of refusal.
const (
	Invalid      Kind = iota + 1 // the input is wrong
	Unauthorized                 // no one, or no valid key, is signed in
	Forbidden                    // signed in, or holding the link, but not allowed
	NotFound                     // no such thing, or another owner's
	NotAllowed                   // the address takes no such request
	Conflict                     // it exists already
	Gone                         // it was, and is no more
	TooLarge                     // over a size limit
	Unsupported                  // a body of a type not taken
	Limited                      // too many attempts: wait RetryAfter
	Unavailable                  // the database could not tell; try again
	TooSlow                      // a body that did not arrive in time
	Misdirected                  // a request for another host than this server's
)

// Error is a rule's refusal, for the person or program that asked. Code is
// stable, for programs (the JSON API's "code", the tests); Field names the
// input it concerns, if any; Title and Msg say it in words.
type Error struct {
	Kind  Kind
	Code  string
	Field string
	Title string
	Msg   string
	// RetryAfter, for Limited, is when the client may try again.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Msg }

// AsError returns err's *Error, if it is one. A failure of the database
// itself (store.Unavailable: unreachable, a full disk) is ErrUnavailable:
// the person may try again, and the adapter logs the cause.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	if store.Unavailable(err) {
		return ErrUnavailable, true
	}
	return nil, false
}

// invalid is bad input in field, with a message for the user.
func invalid(code, field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Code: code, Field: field, Title: "That did not work", Msg: fmt.Sprintf(format, args...)}
}

// Errors that stand alone, shared by the rules and the adapters.
var (
	ErrNotFound = &Error{Kind: NotFound, Code: "not_found", Title: "Not found",
		Msg: "There is nothing here. Check the address, or ask whoever sent it for a new link."}
	// ErrUnavailable answers when the database could not tell; the cause is
	// logged where it happened.
	ErrUnavailable = &Error{Kind: Unavailable, Code: "unavailable", Title: "Try again",
		Msg: "oncelink could not reach its database. Nothing was changed; try again in a moment."}
	ErrSignedOut = &Error{Kind: Unauthorized, Code: "signed_out", Title: "Signed out",
		Msg: "Your session has ended. Sign in again, then repeat what you did."}
	ErrBadCredentials = &Error{Kind: Unauthorized, Code: "bad_credentials", Title: "Sign in",
		Msg: "That username and password do not match an account that can sign in."}
	ErrKeyRefused = &Error{Kind: Unauthorized, Code: "key_refused", Title: "Key refused",
		Msg: "Send a valid API key as Authorization: Bearer ol_…; this one is unknown, expired or revoked, or its account is disabled."}
	ErrNoKey = &Error{Kind: Unauthorized, Code: "key_missing", Title: "Key needed",
		Msg: "Send an API key as Authorization: Bearer ol_…, or call from a browser signed in to oncelink. Make a key on the Settings page, or with oncelink user key."}
	ErrAdminOnly = &Error{Kind: Forbidden, Code: "admin_only", Title: "Administrators only",
		Msg: "Only administrators may do that."}
	// ErrOtherHost refuses a request addressed to a host this server is
	// not (see Service.ServesHost).
	ErrOtherHost = &Error{Kind: Misdirected, Code: "other_host", Title: "Wrong address",
		Msg: "oncelink does not answer to the name this request was sent to. Use the address you were given."}
	// ErrTooSlow is a body that did not arrive within its time (see
	// Service.FormTime): nothing of it is kept.
	ErrTooSlow = &Error{Kind: TooSlow, Code: "body_too_slow", Title: "Too slow",
		Msg: "What was sent arrived too slowly, so oncelink stopped waiting for it. Nothing was stored; try again on a faster connection."}
	ErrAccountDisabled = &Error{Kind: Forbidden, Code: "account_disabled", Title: "Account disabled",
		Msg: "Your oncelink account is disabled. Ask an administrator to enable it."}
	ErrPasswordSignInOff = &Error{Kind: Forbidden, Code: "password_signin_off", Title: "Sign in",
		Msg: "Signing in with a password is turned off on this server. Sign in with single sign-on."}
)

// Refusals of a single sign-on (see FinishSSO). None says more than the
// person needs: the details of a refused token go to the log.
var (
	ErrSSOState = &Error{Kind: Invalid, Code: "sso_state", Title: "Sign in",
		Msg: "This sign-in has expired, was already used, or was started in another browser. Start again with the single sign-on button."}
	ErrSSORefused = &Error{Kind: Unauthorized, Code: "sso_refused", Title: "Sign in",
		Msg: "oncelink could not verify the identity provider's answer, so it did not sign you in. Start again; if it keeps happening, tell your administrator."}
	ErrSSOUnavailable = &Error{Kind: Unavailable, Code: "sso_unavailable", Title: "Sign in",
		Msg: "Single sign-on is unavailable: oncelink cannot reach the identity provider. Try again in a moment.", RetryAfter: 10 * time.Second}
	ErrSSODomain = &Error{Kind: Forbidden, Code: "sso_domain_not_allowed", Title: "Sign in",
		Msg: "Your email address at the identity provider is not in a domain that may sign in here. Ask an administrator."}
	ErrSSOEmailUnverified = &Error{Kind: Forbidden, Code: "sso_email_unverified", Title: "Sign in",
		Msg: "The identity provider has not verified your email address, so oncelink cannot tell whether you may sign in here. Verify it there, then try again."}
	ErrSSONoSignup = &Error{Kind: Forbidden, Code: "sso_signup_off", Title: "Sign in",
		Msg: "You have no oncelink account yet, and this server does not create accounts on sign-in. Ask an administrator."}
	ErrSSOSetupFirst = &Error{Kind: Forbidden, Code: "sso_setup_first", Title: "Sign in",
		Msg: "oncelink has no administrator yet. Set it up first; then sign in with single sign-on."}
)

// ssoDenied is the provider's refusal to sign someone in, naming its
// error code when it is one of the standard sort (letters and
// underscores), never other text it was sent.
func ssoDenied(code string) *Error {
	e := &Error{Kind: Unauthorized, Code: "sso_denied", Title: "Sign in",
		Msg: "The identity provider did not sign you in. Try again, or ask your administrator."}
	if len(code) <= 40 && strings.Trim(code, "abcdefghijklmnopqrstuvwxyz_") == "" {
		e.Msg = "The identity provider did not sign you in (it answered " + code + "). Try again, or ask your administrator."
	}
	return e
}

// limited refuses a request until wait has passed.
func limited(wait time.Duration) *Error {
	return &Error{Kind: Limited, Code: "rate_limited", Title: "Too many attempts",
		Msg:        "There were too many attempts in a short time, so oncelink is holding this one back. Nothing was changed. Try again in " + aboutHowLong(wait) + ".",
		RetryAfter: wait}
}

// gone explains why a link can no longer be opened.
func gone(st Status) *Error {
	e := &Error{Kind: Gone, Code: "link_gone", Title: "This link has been used",
		Msg: "Everything this link shared has been delivered, and it cannot be opened again. If you did not open it yourself, tell the person who sent it."}
	switch st {
	case Expired:
		e.Title, e.Msg = "This link has expired", "Its time ran out before it was opened. Ask the person who sent it for a new one."
	case Revoked:
		e.Title, e.Msg = "This link was revoked", "The person who shared it took it back. Ask them if you still need it."
	}
	return e
}

// fromStore turns the store's sentinels into the core's errors, and leaves
// any other error, a failure, as it is.
func fromStore(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, store.ErrGone):
		return gone(Used)
	}
	return err
}
