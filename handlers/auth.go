package handlers

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"oncelink/components"
	"oncelink/live"
	"oncelink/store"
)

// sessionAccount is the session key that holds the signed-in account's id.
const sessionAccount = "account"

type viewerKey struct{}

// viewer returns the signed-in, enabled account, or nil. A request looks
// its viewer up once (see oneViewer), however often its page asks.
func (h *Handler) viewer(r *http.Request) *store.Account {
	a, _ := h.lookViewer(r)
	return a
}

// lookViewer is viewer, with the error when the database could not tell
// whether the session's account may go on: then the account is nil but
// the session holds.
func (h *Handler) lookViewer(r *http.Request) (*store.Account, error) {
	switch v := r.Context().Value(viewerKey{}).(type) {
	case *store.Account:
		return v, nil
	case *viewerOnce:
		v.once.Do(func() { v.a, v.err = h.loadViewer(r) })
		return v.a, v.err
	}
	return h.loadViewer(r)
}

// viewerOnce holds a request's viewer once it is looked up: the page
// header, a landing page and an error page all ask for it.
type viewerOnce struct {
	once sync.Once
	a    *store.Account
	err  error
}

// oneViewer lets each request look its viewer up at most once.
func oneViewer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), viewerKey{}, &viewerOnce{})))
	})
}

// loadViewer reads the session's account. A session whose account was
// deleted or disabled is destroyed. When the database cannot tell, it
// returns the error and keeps the session, so that a hiccup signs nobody
// out for good: owner pages and the event stream answer 503, and a page
// that only shows who is signed in (viewer) shows nobody.
func (h *Handler) loadViewer(r *http.Request) (*store.Account, error) {
	id := h.sessions.GetInt64(r.Context(), sessionAccount)
	if id == 0 {
		return nil, nil
	}
	a, err := h.store.AccountByID(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && a.Disabled()):
		if err := h.sessions.Destroy(r.Context()); err != nil {
			h.log.Warn("end the session of a gone account", "err", err)
		}
		return nil, nil
	case err != nil:
		h.log.Error("find the signed-in account", "err", err)
		return nil, err
	}
	return &a, nil
}

// signedIn runs next with the viewer, and sends anyone not signed in to
// the sign-in page.
func (h *Handler) signedIn(next func(http.ResponseWriter, *http.Request, *store.Account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := h.lookViewer(r)
		if err != nil {
			// The session may well hold: signing out would lose what the
			// owner was doing.
			h.fail(w, r, errUnavailable)
			return
		}
		if a == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login?next="+pathEscapeNext(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			h.fail(w, r, &userError{status: http.StatusUnauthorized, title: "Signed out",
				msg: "Your session has ended. Sign in again, then repeat what you did."})
			return
		}
		next(w, r, a) // oneViewer keeps a for the page's later lookups
	}
}

// sentToSetup sends a visitor to /setup while no account exists, and
// reports whether it answered.
func (h *Handler) sentToSetup(w http.ResponseWriter, r *http.Request) bool {
	n, err := h.store.CountAccounts(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return true
	}
	if n == 0 {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return true
	}
	return false
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	if h.viewer(r) != nil {
		http.Redirect(w, r, "/links", http.StatusSeeOther)
		return
	}
	if h.sentToSetup(w, r) {
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// setupOpen answers 404 once any account exists: set-up is for the first.
func (h *Handler) setupOpen(w http.ResponseWriter, r *http.Request) bool {
	n, err := h.store.CountAccounts(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return false
	}
	if n > 0 {
		h.fail(w, r, errNotFound)
		return false
	}
	return true
}

func (h *Handler) setupForm(w http.ResponseWriter, r *http.Request) {
	if h.setupOpen(w, r) {
		h.render(w, r, http.StatusOK, components.SetupPage(h.page(r, "Set up"), components.AccountForm{}))
	}
}

func (h *Handler) setup(w http.ResponseWriter, r *http.Request) {
	if !h.allow(w, r, h.limits.setup, h.client(r)) || !h.setupOpen(w, r) {
		return
	}
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	name, hash, err := credentials(r.PostForm.Get("username"), r.PostForm.Get("password"))
	var ue *userError
	if errors.As(err, &ue) {
		form := components.AccountForm{Username: name, Error: ue.msg}
		h.render(w, r, ue.status, components.SetupPage(h.page(r, "Set up"), form))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.store.CreateFirstAccount(r.Context(), name, hash)
	if errors.Is(err, store.ErrConflict) {
		h.fail(w, r, errNotFound)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.signIn(r, a); err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, "/links")
}

// checkUsername tells what is wrong with a new account's name, in words
// for the person choosing it.
func checkUsername(username string) error {
	switch {
	case username == "":
		return invalid("Choose a username.")
	case utf8.RuneCountInString(username) > components.MaxUsernameLen:
		return invalid("A username has at most %d characters.", components.MaxUsernameLen)
	case strings.ContainsFunc(username, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return invalid("A username cannot contain spaces or control characters.")
	}
	return nil
}

// NewPasswordHash checks an account's new password and hashes it: what
// set-up, the accounts page, "user add" and "user passwd" share.
func NewPasswordHash(password string) (string, error) {
	switch {
	case utf8.RuneCountInString(password) < components.MinPasswordLen:
		return "", invalid("A password needs at least %d characters.", components.MinPasswordLen)
	case len(password) > components.MaxPasswordBytes:
		return "", invalid("A password has at most %d bytes.", components.MaxPasswordBytes)
	}
	return hashPassword(password)
}

// hashPassword hashes an account's or a link's password with bcrypt.
func hashPassword(password string) (string, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(hash), err
}

// dummyHash is compared against when no account has the name given, so a
// sign-in takes as long whether or not the account exists.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("oncelink timing equaliser"), bcrypt.DefaultCost)

func (h *Handler) signIn(r *http.Request, a store.Account) error {
	// A new session token on sign-in stops session fixation.
	if err := h.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	h.sessions.Put(r.Context(), sessionAccount, a.ID)
	return nil
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	if h.viewer(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	if h.sentToSetup(w, r) {
		return
	}
	form := components.AccountForm{Next: safeNext(r.URL.Query().Get("next"))}
	h.render(w, r, http.StatusOK, components.LoginPage(h.page(r, "Sign in"), form))
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	form := components.AccountForm{
		Username: strings.TrimSpace(r.PostForm.Get("username")),
		Next:     safeNext(r.PostForm.Get("next")),
	}
	password := r.PostForm.Get("password")
	// Every attempt counts, for names that exist or not, for disabled
	// accounts and for right passwords; the client's limit comes first, so
	// that trying one name after another does not get around it.
	if !h.allow(w, r, h.limits.signIn, h.client(r)) || !h.allow(w, r, h.limits.signInAccount, strings.ToLower(form.Username)) {
		return
	}
	a, err := h.store.AccountByName(r.Context(), form.Username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, err)
		return
	}
	hash := dummyHash
	if err == nil {
		hash = []byte(a.PasswordHash)
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	if err != nil || !match || a.Disabled() {
		form.Error = "That username and password do not match an account that can sign in."
		h.render(w, r, http.StatusUnauthorized, components.LoginPage(h.page(r, "Sign in"), form))
		return
	}
	if err := h.signIn(r, a); err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, form.Next)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	id := h.sessions.GetInt64(r.Context(), sessionAccount)
	if err := h.sessions.Destroy(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	}
	if id != 0 {
		// The account's other tabs hold event streams on this session.
		h.publish(r, live.Event{Owner: id, What: live.SessionsChanged})
	}
	redirect(w, r, "/login")
}

// safeNext keeps a post-sign-in destination only when it is a path on this
// site, so the sign-in form cannot send anyone elsewhere. Browsers read a
// backslash as a slash and drop tabs and newlines from a URL, so /\evil,
// /a/../\evil (which http.Redirect cleans to /\evil) and "/<tab>/evil"
// all lead to //evil: a destination with any of them is refused.
func safeNext(next string) string {
	if len(next) > 512 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\\' }) {
		return "/links"
	}
	return next
}

func pathEscapeNext(uri string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "#", "%23", "+", "%2B", "?", "%3F").Replace(uri)
}

// parseForm reads a urlencoded or multipart form's fields from a body of at
// most maxFormBytes. A larger body is a 413 and an unreadable one a 400.
// A body of any other type is a 415: r.ParseForm would skip it, and the
// route would then act on a request that was never a form.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	var err error
	switch ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); {
	case ct == "multipart/form-data":
		// Every part fits in memory: the whole body is at most maxFormBytes.
		err = r.ParseMultipartForm(maxFormBytes)
	case ct == "application/x-www-form-urlencoded" || r.ContentLength == 0:
		err = r.ParseForm()
	default:
		return errNotAForm
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return tooBig
		}
		return errUnreadableForm
	}
	return nil
}

var errNotAForm = &userError{status: http.StatusUnsupportedMediaType, title: "Not a form",
	msg: "oncelink reads forms as a web browser sends them, and this request was not one. Nothing was changed."}

// maxFormBytes bounds every form body: the largest field is a message,
// which percent-encoding can triple, and the other fields are short.
const maxFormBytes = 4 * components.MaxMessageBytes

// AccountAdder is what AddAccount needs of the store.
type AccountAdder interface {
	CreateAccount(ctx context.Context, username, passwordHash string, admin bool) (store.Account, error)
}

// AddAccount checks a new account's name and password as the web forms do,
// and adds it. The command line's "user add" and the accounts page use it.
func AddAccount(ctx context.Context, st AccountAdder, username, password string, admin bool) (store.Account, error) {
	name, hash, err := credentials(username, password)
	if err != nil {
		return store.Account{}, err
	}
	return st.CreateAccount(ctx, name, hash, admin)
}

// credentials checks a new account's name and password and hashes the
// password: what set-up, the accounts page and "user add" share. The name
// comes back trimmed even when it is refused, to refill a form.
func credentials(username, password string) (name, hash string, err error) {
	name = strings.TrimSpace(username)
	if err := checkUsername(name); err != nil {
		return name, "", err
	}
	hash, err = NewPasswordHash(password)
	return name, hash, err
}
