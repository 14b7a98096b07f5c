// Package components holds oncelink's templ views. Every component takes a
// plain view struct built by the handlers, never a request or a database row.
package components

import (
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"
)

// Page is what the layout needs to know about any page.
type Page struct {
	Title string
	// Viewer is the signed-in account, or nil for a visitor.
	Viewer *Viewer
	// Scripts names extra embedded scripts the page loads, such as "player.js".
	Scripts []string
	// Path is the page's address, which the header marks as the current
	// page when it links to it.
	Path string
	// Now is the server's time as it draws the page, from which the
	// countdowns learn how far the browser's clock is off; zero leaves
	// them to the browser's clock.
	Now time.Time
	// Back is where the language menu returns to: the page's own address
	// when a GET reaches it again, else the home page.
	Back string
	// Language is the reader's choice of language: a code, or "" to
	// follow the browser.
	Language string
	// KeepLanguage is the language the page's address names (see
	// LanguageParam) when nothing else keeps it for its reader, such as a
	// browser that keeps no cookie: the page's links and forms carry it
	// on (see Href). "" when there is none to carry.
	KeepLanguage string
	// RightAddress, on the page that refuses a request addressed to
	// another host than the server's own, is the address on the server's
	// own host to go to instead. There the language menu reloads the page
	// naming the language in its address, since that host takes no form.
	RightAddress string
	// Site, on that page, is the server's own base URL, where the page's
	// links lead (see Href): its own host would refuse them again.
	Site string
	// RecoverySignIn, on the first page after a sign-in whose second
	// step took a recovery code, says how many the account has left.
	RecoverySignIn *RecoverySignIn
}

// RecoverySignIn is what the first page after a sign-in with a recovery
// code says: how many the account has Left, and, when they are Few (see
// core.FewCodesLeft), where new ones are made.
type RecoverySignIn struct {
	Left int
	Few  bool
}

// Viewer is the signed-in account as the page header shows it.
type Viewer struct {
	Name  string
	Admin bool
}

// AccountForm is the set-up and sign-in form, refilled after a mistake.
type AccountForm struct {
	Username string
	// Next is where a successful sign-in goes.
	Next string
	// Errors are the form's mistakes: set-up says each beside its field,
	// sign-in says its one above the form.
	Errors FieldErrors
	// SSO offers single sign-on on the sign-in page; NoPassword leaves
	// the password form out.
	SSO, NoPassword bool
	// Passkeys offers to sign in with a passkey.
	Passkeys bool
	// HeldBack, when the rate limits refused the form, says for how long.
	HeldBack *HeldBack
	// Deleted names the account that its owner just deleted from this
	// browser, for the sign-in page that follows to say once.
	Deleted string
}

// HeldBack is a form that the rate limits refused: the form comes back,
// sendable again once Wait is over, at RetryAt (the server's clock).
type HeldBack struct {
	Wait    time.Duration
	RetryAt time.Time
	// OrPasskey says that a passkey, offered beside the form, is not held
	// back meanwhile, as a sign-in's second step's codes are after too
	// many wrong ones in a row.
	OrPasskey bool
	// Uploads says that it is held back by the uploads under way from the
	// same client (core.MaxUploadsPerClient), one of which is to finish,
	// not by too many attempts.
	Uploads bool
}

// passwordFirst is whether the password takes the focus: once the name is
// given and right.
func (f AccountForm) passwordFirst() bool { return f.Username != "" && f.Errors.of("username") == "" }

// refusedAbove is whether the form comes back with a mistake about
// neither field, said above it: a wrong password, a refused sign-on, too
// many attempts.
func (f AccountForm) refusedAbove() bool {
	return f.HeldBack != nil || len(f.Errors.unplaced("username", "password")) > 0
}

// FieldError is a form's mistake and the field it is about, if any.
type FieldError struct {
	Field, Message string
}

// FieldErrors are a form's mistakes, all of them at once: each shows
// beside the field it is about, and one about no field of the form, above
// it.
type FieldErrors []FieldError

// of is the mistake about field, if any.
func (es FieldErrors) of(field string) string {
	for _, e := range es {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// erred is field when there is a mistake about it, for described.
func (es FieldErrors) erred(field string) string {
	if es.of(field) != "" {
		return field
	}
	return ""
}

// unplaced are the mistakes about none of fields, the fields beside which
// the form shows a mistake: the form shows them above itself.
func (es FieldErrors) unplaced(fields ...string) []string {
	var msgs []string
	for _, e := range es {
		if unplaced(e.Message, e.Field, fields...) != "" {
			msgs = append(msgs, e.Message)
		}
	}
	return msgs
}

// ErrorView explains a failed request.
type ErrorView struct {
	Status  int
	Title   string
	Message string
	// SignIn, for a session that ended, is where to sign in again and
	// come back.
	SignIn string
	// LinkPage, for a file refused to a browser that has not opened its
	// link, is the link's page, which opens it.
	LinkPage string
	// Gone, in an htmx answer, is the id of what the page shows of a
	// thing that no longer exists, such as an account's row: the answer
	// takes it off the page.
	Gone string
	// AfterGone is what else of the page changes once Gone is off it,
	// swapped in out of band: the accounts list's hint that the viewer is
	// alone on it (see OnlyYou).
	AfterGone templ.Component
}

// LinkForm is the create form with what the owner typed.
type LinkForm struct {
	// FormKey is the form's one-time key, fresh with each empty form:
	// the same form sent twice makes one link (see
	// core.LinkInput.IdempotencyKey).
	FormKey string
	Kind    string
	Message string
	URL     string
	TTL     string
	MaxUses string
	ForUser string
	Label   string
	// Password comes back with a form that has a mistake: a link password
	// silently dropped would leave the next try's link without one.
	Password string
	// Notify is the "notify me" choice. EmailOn says whether the server
	// sends email at all, and NoticeAddress where the owner's notices go,
	// empty until the owner confirms an address: the choice is offered only
	// when there is somewhere to send them.
	Notify        bool
	EmailOn       bool
	NoticeAddress string
	// Errors are the form's mistakes, all of them.
	Errors FieldErrors
	// HeldBack, when the rate limits refused the form, says for how long.
	HeldBack *HeldBack
	// MinTTL and MaxTTL are the server's bounds, as "1m" or "30d".
	MinTTL, MaxTTL string
	// MaxUpload is the largest file the server takes, in bytes.
	MaxUpload int64
	// MaxE2EUpload is the largest end-to-end ciphertext it takes.
	MaxE2EUpload int64
}

// Created is the one showing of a new link's URL.
type Created struct {
	// Owner is the name of the account that shares it.
	Owner string
	URL   string
	QR    QR
	// Row is the new link's row, for the list beside the form.
	Row LinkRow
	// Repeated is set when the form was sent again: the link was made the
	// first time, and URL is empty.
	Repeated bool
	// Zone is the time zone the text to send with the link writes its
	// expiry in: its owner's; nil for UTC.
	Zone *time.Location
}

// LinkRow is one of an owner's links in the dashboard.
type LinkRow struct {
	ID          int64
	Label       string
	Kind        string
	Status      string
	Uses        int
	MaxUses     int
	Views       int
	ForUser     string
	HasPassword bool
	// E2E marks an end-to-end link, whose content the server cannot read.
	E2E bool
	// Size is a file link's size in bytes, which tells apart files shared
	// without a label.
	Size      int64
	CreatedAt time.Time
	ExpiresAt time.Time
	// Left is the time the link had left when the row was drawn: the
	// countdown's text until the page's script ticks it.
	Left time.Duration
	// EndedAt is when a dead link stopped working: its revoke, its last
	// use, or its expiry.
	EndedAt time.Time
	// Revocable is set while revoking would still end something: the link
	// is active, or its last opener may still see what it shares.
	Revocable bool
	// RevocableUntil is when a used link's Revoke stops ending anything,
	// as its last opener's grant ends: the page takes the button away
	// then. It is zero for an active link, whose button goes at its expiry.
	RevocableUntil time.Time
}

// LinkPage is a page of an owner's links with the filter that chose them.
type LinkPage struct {
	Rows   []LinkRow
	Status string
	Query  string
	// Next is the cursor of the next page, empty on the last.
	Next string
	// Paged is set for every page after the first.
	Paged bool
}

// Dashboard is the owner's links page.
type Dashboard struct {
	Form    LinkForm
	Created *Created
	List    LinkPage
	// Stream is the URL of the list's event stream.
	Stream string
	// Gone, when not 0, is a link that the page says is no longer kept.
	Gone int64
}

// AuditEvent is one line of a link's audit trail.
type AuditEvent struct {
	// ID is the entry's in the link's audit trail; 0 for the creation
	// and the expiry, which the trail does not hold.
	ID        int64
	Kind      string
	At        time.Time
	IP        string
	UserAgent string
}

// LinkDetails is one link with its audit trail.
type LinkDetails struct {
	Row LinkRow
	// Events are the link's audit trail, oldest first.
	Events []AuditEvent
	// Stream is the URL of the page's event stream.
	Stream string
}

// Landing is the page a recipient sees before opening a link.
type Landing struct {
	OpenForm
	Owner     string
	Kind      string
	Size      int64
	ExpiresAt time.Time
	UsesLeft  int
	ForUser   string
	// WrongUser is set when the link is for ForUser and the viewer is not.
	WrongUser bool
	// SignedInAs is the account the viewer is signed in as, if any, when
	// it is the wrong one: the page offers to switch.
	SignedInAs string
	SignInURL  string
	// E2E is set for an end-to-end link: the page's script opens and
	// decrypts it (see e2eOpen).
	E2E bool
}

// OpenForm is the form that opens a link, with the mistake of the last
// try, if any, and what the rate limits allow.
type OpenForm struct {
	// Action is the link's own path, which the Open button posts to.
	Action        string
	NeedsPassword bool
	Error         string
	// ErrorField names the field the error is about, if any.
	ErrorField string
	// Lockout, when not zero, is how long the rate limits hold the
	// recipient back, until RetryAt: the form is disabled until then, and
	// app.js counts down to it and enables the form.
	Lockout time.Duration
	RetryAt time.Time
	// AttemptsLeft is how many passwords may still be tried before the
	// limits make the recipient wait, shown after a wrong one; -1 when no
	// limit counts them.
	AttemptsLeft int
}

// showTries reports whether the password field says how many tries are
// left: after a wrong password, while some are.
func (f OpenForm) showTries() bool { return f.ErrorField == "password" && f.AttemptsLeft > 0 }

// passwordHelpIDs are the ids of what the password field says beside it,
// for its aria-describedby: the tries left and help, when shown.
func (f OpenForm) passwordHelpIDs(help string) string {
	var ids []string
	if f.showTries() {
		ids = append(ids, "link-password-tries")
	}
	if help != "" {
		ids = append(ids, "link-password-help")
	}
	return strings.Join(ids, " ")
}

// OwnLink is a link's page as its owner sees it.
type OwnLink struct {
	Row LinkRow
	// Opens is set when the owner may open the link themselves here: it
	// is alive, not end-to-end, and not for another account.
	Opens bool
	// OpenForm lets them, when Opens is set.
	OpenForm
	// Stream is the URL of the page's event stream.
	Stream string
}

// Delivered is what a recipient gets after opening a link.
type Delivered struct {
	Kind  string
	Owner string
	// Own is set when the one who opened it owns the link, such as the
	// answer to a request, read by whoever asked: no one shared it with
	// them.
	Own bool
	// Answers is set, to the request's label, when what was opened is
	// the answer to its owner's request.
	Answers   *string
	Message   string
	URL       string
	UsesLeft  int
	GrantEnds time.Time
	// NoCookies is set when the browser keeps no cookies, and so no
	// grant: the page shows what was shared this once.
	NoCookies bool
	// NoGrant is set when the link was opened by a program, without its
	// page, which was sent no grant: the answer shows what was shared
	// this once.
	NoGrant bool
	// File is set for a file link.
	File *SharedFile
}

// CookieCheckField is the field that marks a form as sent from its page
// (see cookieCheck).
const CookieCheckField = "from_page"

// SharedFile is an opened file link's file.
type SharedFile struct {
	Name string
	// Type is the type sniffed from the file's content.
	Type string
	Size int64
	// URL serves the file to the browser that opened the link.
	URL string
	// Media is set for audio and video, which play in the player.
	Media *Media
}

// LanguageParam names, in a page's address, the language that a reader
// who is not signed in chose in the language menu: a browser that keeps no
// cookie keeps the choice there, and the links and forms of the page carry
// it on (see Page.KeepLanguage).
const LanguageParam = "lang"

// WithLanguage is path, one of this site's, naming code as the reader's
// language (see LanguageParam), or none when code is "".
func WithLanguage(path, code string) string {
	u, err := url.Parse(path)
	if err != nil {
		return path
	}
	q := u.Query()
	q.Del(LanguageParam)
	if code != "" {
		q.Set(LanguageParam, code)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Href is path, one of this site's, as a link or a form of p leads to it:
// with the language p carries on, if any (see KeepLanguage).
// On the page for another host than the server's own, it is at the
// server's own address (see Site).
func (p Page) Href(path string) templ.SafeURL {
	if p.KeepLanguage != "" {
		path = WithLanguage(path, p.KeepLanguage)
	}
	return templ.SafeURL(strings.TrimSuffix(p.Site, "/") + path)
}

// siteOf is address's scheme and host, as a person would type them to
// reach the site: the server's own address on the page for another host
// (see Page.RightAddress).
func siteOf(address string) string {
	u, err := url.Parse(address)
	if err != nil {
		return address
	}
	return u.Scheme + "://" + u.Host
}
