package core

import (
	"errors"
	"strings"
	"time"

	"oncelink/i18n"
	"oncelink/store"
)

// Kind is what sort of refusal an Error is. Each adapter maps it to its
// own answer: an HTTP status, an exit code.
type Kind int

// The kinds of refusal.
const (
	Invalid         Kind = iota + 1 // the input is wrong
	Unauthorized                    // no one, or no valid key, is signed in
	Forbidden                       // signed in, or holding the link, but not allowed
	NotFound                        // no such thing, or another owner's
	NotAllowed                      // the address takes no such request
	Conflict                        // it exists already
	Gone                            // it was, and is no more
	TooLarge                        // over a size limit
	Unsupported                     // a body of a type not taken
	Limited                         // too many attempts: wait RetryAfter
	Unavailable                     // the database could not tell; try again
	TooSlow                         // a body that did not arrive in time
	Misdirected                     // a request for another host than this server's
	HeadersTooLarge                 // a request whose headers are over their bound
)

// Error is a rule's refusal, for the person or program that asked. Code is
// stable, for programs (the JSON API's "code", the tests); Field names the
// input it concerns, if any; Msg says it in English, for logs and for
// Error; Heading and Message say it in a reader's language.
type Error struct {
	Kind  Kind
	Code  string
	Field string
	Msg   string
	// RetryAfter, for Limited, is when the client may try again.
	RetryAfter time.Duration
	// SignIn is set on a refusal that signing in may lift, to someone
	// who is not signed in: an adapter that can offer to sign in, and
	// come back, does.
	SignIn bool
	// TitleID and MsgID name the heading and the message in the message
	// catalogs (i18n/locales/errors.*.toml); Data is the message's data,
	// names and values in turn. A value that is a Phrase is said in the
	// reader's language; an int named Count picks the plural form.
	TitleID string
	MsgID   string
	Data    []any
}

func (e *Error) Error() string { return e.Msg }

// Phrase is a message's data that is itself said in the reader's
// language, such as a wait of "2 minutes".
type Phrase interface {
	In(l *i18n.Localizer) string
}

// Quoted is a message's data that someone gave, such as a name or a
// status, quoted as the reader's language quotes (see
// i18n.Localizer.Quote): "bob" in English, « bob » in French.
type Quoted string

// In quotes q in l's language.
func (q Quoted) In(l *i18n.Localizer) string { return l.Quote(string(q)) }

// Message is Msg in l's language.
func (e *Error) Message(l *i18n.Localizer) string {
	pairs := make([]any, 0, len(e.Data))
	count, plural := 0, false
	for i := 0; i+1 < len(e.Data); i += 2 {
		v := e.Data[i+1]
		if p, ok := v.(Phrase); ok {
			v = p.In(l)
		}
		if n, ok := v.(int); ok && e.Data[i] == "Count" {
			count, plural = n, true
			continue
		}
		pairs = append(pairs, e.Data[i], v)
	}
	if plural {
		return l.N(e.MsgID, count, pairs...)
	}
	return l.T(e.MsgID, pairs...)
}

// Heading is the refusal's title in l's language, such as "Too many
// attempts".
func (e *Error) Heading(l *i18n.Localizer) string { return l.T(e.TitleID) }

// Refusal is a refusal of kind with code about field, titled by the
// message "title."+title and said by the message "error."+code, with data,
// names and values in turn.
func Refusal(kind Kind, code, field, title string, data ...any) *Error {
	return Variant(kind, code, "", field, title, data...)
}

// Variant is a Refusal said by the message "error."+code+"."+variant: one
// of the messages of a code that says different things in different
// places, such as "wrong_password".
func Variant(kind Kind, code, variant, field, title string, data ...any) *Error {
	id := "error." + code
	if variant != "" {
		id += "." + variant
	}
	e := &Error{Kind: kind, Code: code, Field: field, TitleID: "title." + title, MsgID: id, Data: data}
	e.Msg = e.Message(i18n.For("en"))
	return e
}

// Wait is a wait in words, rounded up: "2 minutes", "1 second"; to the
// second under a minute, else to the minute (see i18n.Localizer.Wait).
type Wait time.Duration

// In says the wait in l's language.
func (w Wait) In(l *i18n.Localizer) string {
	d := time.Duration(w)
	if d > time.Minute {
		d = (d + time.Minute - 1).Truncate(time.Minute)
	}
	return l.Wait(d)
}

// Size is a limit in bytes, in words: in the unit LimitSize writes it in,
// named and its number grouped as l's language writes them, and its bytes
// counted in l's language when no larger unit divides it: "25 MiB",
// "1,500 KiB", "26,203,885 bytes"; "25 Mio" in French.
type Size int64

// In says the size in l's language.
func (s Size) In(l *i18n.Localizer) string {
	n, unit := limitUnit(int64(s))
	if unit == "" {
		return l.N("error.size_bytes", int(n))
	}
	return l.T(unitMessages[unit], "Size", l.Number(n))
}

// unitMessages are the messages that name a number of each unit of
// limitUnit, as i18n.Localizer.Size does.
var unitMessages = map[string]string{"KiB": "format.size.kib", "MiB": "format.size.mib", "GiB": "format.size.gib"}

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

// Errors are refusals of one input, each about a field of its own, such as
// a new account's name and its password: a form says each beside its
// field. As an error it is the first of them, which errors.As and AsError
// find, for an adapter that says one.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Msg
	}
	return strings.Join(msgs, "; ")
}

// Unwrap is es, as errors.As and errors.Is walk them.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// AllErrors returns err's refusals: each of its Errors, or the one that
// AsError finds; none for a failure.
func AllErrors(err error) []*Error {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	if e, ok := AsError(err); ok {
		return []*Error{e}
	}
	return nil
}

// joinErrors is the refusals among errs, nil ones left out: nil for none,
// the *Error itself for one, Errors for more. An error that is not an
// *Error, a failure, comes back alone.
func joinErrors(errs ...error) error {
	var es Errors
	for _, err := range errs {
		if err == nil {
			continue
		}
		e, ok := err.(*Error)
		if !ok {
			return err
		}
		es = append(es, e)
	}
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	}
	return es
}

// SignsIn is e, a refusal that signing in may lift (see Error.SignIn).
func SignsIn(e *Error) *Error {
	e.SignIn = true
	return e
}

// invalid is bad input in field, said by the message "error."+code with
// data (see Refusal).
func invalid(code, field string, data ...any) *Error {
	return Refusal(Invalid, code, field, "did_not_work", data...)
}

// invalidAs is bad input in field, said by the message
// "error."+code+"."+variant with data (see Variant).
func invalidAs(code, variant, field string, data ...any) *Error {
	return Variant(Invalid, code, variant, field, "did_not_work", data...)
}

// Errors that stand alone, shared by the rules and the adapters.
var (
	ErrNotFound = Variant(NotFound, "not_found", "plain", "", "not_found")
	// ErrLinkNotFound is a link or a request that a recipient's token
	// names and that is not there: as ErrNotFound, said to whoever was
	// sent it.
	ErrLinkNotFound = Variant(NotFound, "not_found", "link", "", "not_found")
	// ErrUnavailable answers when the database could not tell; the cause is
	// logged where it happened.
	ErrUnavailable    = Refusal(Unavailable, "unavailable", "", "try_again")
	ErrSignedOut      = SignsIn(Refusal(Unauthorized, "signed_out", "", "signed_out"))
	ErrBadCredentials = Refusal(Unauthorized, "bad_credentials", "", "sign_in")
	ErrKeyRefused     = Refusal(Unauthorized, "key_refused", "", "key_refused")
	// ErrKeyAccountDisabled refuses a right key of a disabled account. Its
	// holder is told why, so that a program can say that the account's
	// links and requests rest, rather than ask for a new key.
	ErrKeyAccountDisabled = Refusal(Unauthorized, "account_disabled", "", "account_disabled")
	ErrNoKey              = Refusal(Unauthorized, "key_missing", "", "key_needed")
	ErrAdminOnly          = Refusal(Forbidden, "admin_only", "", "admin_only")
	// ErrOtherHost refuses a request addressed to a host this server is
	// not (see Service.ServesHost).
	ErrOtherHost = Refusal(Misdirected, "other_host", "", "wrong_address")
	// ErrHeadersTooLarge refuses a request whose headers are larger than
	// MaxHeaderBytes, as often as not a browser's cookies grown too
	// large for the site.
	ErrHeadersTooLarge = Refusal(HeadersTooLarge, "headers_too_large", "", "too_large", "Size", Size(MaxHeaderBytes))
	// ErrTooSlow is a body that did not arrive within its time (see
	// Service.FormTime): nothing of it is kept.
	ErrTooSlow           = Refusal(TooSlow, "body_too_slow", "", "too_slow")
	ErrAccountDisabled   = Refusal(Forbidden, "account_disabled", "", "account_disabled")
	ErrPasswordSignInOff = Refusal(Forbidden, "password_signin_off", "", "sign_in")
)

// Refusals of a single sign-on (see FinishSSO). None says more than the
// person needs: the details of a refused token go to the log.
var (
	ErrSSOState       = Refusal(Invalid, "sso_state", "", "sign_in")
	ErrSSORefused     = Refusal(Unauthorized, "sso_refused", "", "sign_in")
	ErrSSOUnavailable = func() *Error {
		e := Refusal(Unavailable, "sso_unavailable", "", "sign_in")
		e.RetryAfter = 10 * time.Second
		return e
	}()
	ErrSSODomain          = Refusal(Forbidden, "sso_domain_not_allowed", "", "sign_in")
	ErrSSOEmailUnverified = Refusal(Forbidden, "sso_email_unverified", "", "sign_in")
	ErrSSONoSignup        = Refusal(Forbidden, "sso_signup_off", "", "sign_in")
	ErrSSOSetupFirst      = Refusal(Forbidden, "sso_setup_first", "", "sign_in")
)

// ssoDenied is the provider's refusal to sign someone in, naming its
// error code when it is one of the standard sort (letters and
// underscores), never other text it was sent.
func ssoDenied(code string) *Error {
	if len(code) <= 40 && strings.Trim(code, "abcdefghijklmnopqrstuvwxyz_") == "" {
		return Variant(Unauthorized, "sso_denied", "code", "", "sign_in", "Code", code)
	}
	return Variant(Unauthorized, "sso_denied", "plain", "", "sign_in")
}

// limited refuses a request until wait has passed.
func limited(wait time.Duration) *Error {
	e := Refusal(Limited, "rate_limited", "", "too_many_attempts", "Wait", Wait(wait))
	e.RetryAfter = wait
	return e
}

// gone explains why a link can no longer be opened.
func gone(st Status) *Error {
	switch st {
	case Expired:
		return Variant(Gone, "link_gone", "expired", "", "link_expired")
	case Revoked:
		return Variant(Gone, "link_gone", "revoked", "", "link_revoked")
	}
	return Variant(Gone, "link_gone", "used", "", "link_used")
}

// fromToken is fromStore for a lookup by a recipient's token.
func fromToken(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return ErrLinkNotFound
	}
	return fromStore(err)
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
