package handlers

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/web"
)

// The session keys of a sign-in: the signed-in account's id, and when the
// session last proved who it is (see core.Proof), in Unix milliseconds:
// its sign-in, or a proof accepted since.
const (
	sessionAccount  = "account"
	sessionProvenAt = "proven_at"
)

type viewerKey struct{}

// viewer returns the signed-in, enabled account, or nil. A request looks
// its viewer up once (see oneViewer), however often its page asks.
func (h *Handler) viewer(r *http.Request) *core.Account {
	a, _ := h.lookViewer(r)
	return a
}

// lookViewer is viewer, with the error when the database could not tell
// whether the session's account may go on: then the account is nil but
// the session holds.
func (h *Handler) lookViewer(r *http.Request) (*core.Account, error) {
	switch v := r.Context().Value(viewerKey{}).(type) {
	case *core.Account:
		return v, nil
	case *viewerOnce:
		v.once.Do(func() { v.a, v.err = h.loadViewer(r) })
		return v.a, v.err
	}
	return h.loadViewer(r)
}

// withViewer is r with its viewer known to be a. A request answered before
// its session is loaded has nil: its page is for nobody in particular.
func withViewer(r *http.Request, a *core.Account) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), viewerKey{}, a))
}

// viewerOnce holds a request's viewer once it is looked up: the page
// header, a landing page and an error page all ask for it.
type viewerOnce struct {
	once sync.Once
	a    *core.Account
	err  error
}

// oneViewer lets each request look its viewer up at most once, and take
// the account its session was found with rather than read it again (see
// core.HoldSessionAccount): it wraps the sessions' LoadAndSave.
func oneViewer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := core.HoldSessionAccount(context.WithValue(r.Context(), viewerKey{}, &viewerOnce{}))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// loadViewer reads the session's account. A session whose account was
// deleted or disabled is destroyed. When the database cannot tell, it
// returns the error and keeps the session, so that a hiccup signs nobody
// out for good: owner pages and the event stream answer 503, and a page
// that only shows who is signed in (viewer) shows nobody.
func (h *Handler) loadViewer(r *http.Request) (*core.Account, error) {
	id := h.sessions.GetInt64(r.Context(), sessionAccount)
	if id == 0 {
		return nil, nil
	}
	a, err := h.core.SessionViewer(r.Context(), id, h.sessionID(r))
	switch {
	case err != nil:
		if r.Context().Err() == nil { // else the client hung up: nothing failed
			h.log.Error("find the signed-in account", "err", err)
		}
		return nil, err
	case a == nil:
		if err := h.sessions.Destroy(r.Context()); err != nil {
			h.log.Warn("end the session of a gone account", "err", err)
		}
	default:
		h.seeSession(r, a)
	}
	return a, nil
}

// SessionAccount returns the account that r's session cookie signs in, by
// the rules of the pages, for a route served outside the session
// middleware (the JSON API). It is nil without a cookie, for a session
// that is gone or expired, for a sign-in half done (a second factor still
// to give, or one to set up first because the server requires it), and
// for an account deleted or disabled. It only reads: the session, its
// cookie and its last use stay as they were. The error says the database
// could not tell.
func (h *Handler) SessionAccount(r *http.Request) (*core.Account, error) {
	c, err := r.Cookie(h.sessions.Cookie.Name)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	ctx, err := h.sessions.Load(core.HoldSessionAccount(r.Context()), c.Value)
	if err != nil {
		return nil, err
	}
	id := h.sessions.GetInt64(ctx, sessionAccount)
	if id == 0 {
		return nil, nil
	}
	return h.core.SessionViewer(ctx, id, tokenHash(c.Value))
}

// signedIn runs next with the viewer, and sends anyone not signed in to
// the sign-in page.
func (h *Handler) signedIn(next func(http.ResponseWriter, *http.Request, *core.Account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := h.lookViewer(r)
		if err != nil {
			// The session may well hold: signing out would lose what the
			// owner was doing.
			h.fail(w, r, core.ErrUnavailable)
			return
		}
		if a == nil {
			h.signInFirst(w, r)
			return
		}
		next(w, r, a) // oneViewer keeps a for the page's later lookups
	}
}

// signInFirst answers a request for a signed-in page from a browser that
// is not signed in: a page is sent to the sign-in form, or to setting up
// two-factor sign-in when its password was right but the server requires
// that first; anything else is refused, and so is a part of a page that
// htmx asks for, which the page's alerts tell why.
func (h *Handler) signInFirst(w http.ResponseWriter, r *http.Request) {
	enrolling := h.enrolling(r)
	// A part of a page that htmx asks for is no place for a sign-in page.
	page := !isHTMX(r) && (r.Method == http.MethodGet || r.Method == http.MethodHead)
	switch {
	case page && enrolling:
		http.Redirect(w, r, "/settings", http.StatusSeeOther)
	case page:
		http.Redirect(w, r, loginThen(r.URL.RequestURI()), http.StatusSeeOther)
	case enrolling:
		h.fail(w, r, errEnrolFirst)
	default:
		h.fail(w, r, core.ErrSignedOut)
	}
}

// sentToSetup sends a visitor to /setup while no account exists, and
// reports whether it answered.
func (h *Handler) sentToSetup(w http.ResponseWriter, r *http.Request) bool {
	open, err := h.core.SetupOpen(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return true
	}
	if open {
		http.Redirect(w, r, h.keepLanguage(r, "/setup"), http.StatusSeeOther)
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
	if h.enrolling(r) {
		http.Redirect(w, r, "/settings", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, h.keepLanguage(r, "/login"), http.StatusSeeOther)
}

// setupOpen answers 404 once any account exists: set-up is for the first.
func (h *Handler) setupOpen(w http.ResponseWriter, r *http.Request) bool {
	open, err := h.core.SetupOpen(r.Context())
	if err == nil && !open {
		err = core.ErrNotFound
	}
	if err != nil {
		h.fail(w, r, err)
		return false
	}
	return true
}

func (h *Handler) setupForm(w http.ResponseWriter, r *http.Request) {
	if h.setupOpen(w, r) {
		// A return from the provider before set-up was sent here, by the
		// sign-in page, to be told so, or how long it is held back.
		form := components.AccountForm{Errors: h.ssoRefusedSaid(r), HeldBack: h.ssoHeldBackSaid(r, sessionSSOHeldBack)}
		h.renderSetup(w, r, heldBackStatus(w, form.HeldBack), form)
	}
}

// renderSetup shows the set-up page, with form.
func (h *Handler) renderSetup(w http.ResponseWriter, r *http.Request, status int, form components.AccountForm) {
	// Its answer tells by it whether the browser keeps cookies (see
	// refusesCookies).
	h.setCookieCheck(w, "/setup")
	h.render(w, r, status, components.SetupPage(h.page(r, i18n.T(r.Context(), "auth.title_setup")), form))
}

func (h *Handler) setup(w http.ResponseWriter, r *http.Request) {
	if !h.setupOpen(w, r) {
		return
	}
	turn, err := h.core.TakeTurn(r.Context(), core.SetupAction, h.client(r))
	if h.heldBack(w, r, err, func(held *components.HeldBack) {
		h.renderSetup(w, r, http.StatusTooManyRequests, components.AccountForm{HeldBack: held})
	}) {
		return
	}
	if err == nil {
		err = parseForm(w, r)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("username"))
	if refusesCookies(r, r.PostForm) {
		// The account signs in as it is made, and that session would be
		// gone at the next page: its sign-in page would refuse this
		// browser too, as sign-in does (see login). Nothing is made, so
		// that the set-up stays open for the same form, once cookies are
		// allowed.
		form := components.AccountForm{Username: refill(name), Errors: components.FieldErrors{{Message: errCookiesToSetUp.Message(i18n.From(r.Context()))}}}
		h.renderSetup(w, r, web.Status(errCookiesToSetUp.Kind), form)
		return
	}
	a, err := h.core.Setup(r.Context(), turn, name, r.PostForm.Get("password"))
	if e, ok := core.AsError(err); ok && e.Kind == core.Invalid {
		// Every mistake at once, each beside its field.
		form := components.AccountForm{Username: refill(name), Errors: fieldErrors(r, err)}
		h.renderSetup(w, r, web.Status(e.Kind), form)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.signIn(r, a, h.core.Now()); err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, "/links")
}

// signIn signs a in, in a new session proven from provenAt (see
// core.Proof): the sign-in's own time for a password (with its second
// step) or a passkey, what core.FinishSSO says for single sign-on, zero
// for not proven.
func (h *Handler) signIn(r *http.Request, a core.Account, provenAt time.Time) error {
	// Each way in reads what it needs of the session first.
	if err := h.freshSession(r); err != nil {
		return err
	}
	h.sessions.Put(r.Context(), sessionAccount, a.ID)
	if !provenAt.IsZero() {
		h.sessions.Put(r.Context(), sessionProvenAt, provenAt.UnixMilli())
	}
	// The account's sessions list shows it from now on.
	id := h.sessionID(r)
	h.seen.due(id, h.core.Now())
	return h.core.SignedIn(r.Context(), a.ID, id, h.client(r))
}

// freshSession starts r's session anew, for a sign-in or its first step.
// It starts empty: what another account, or nobody, left in this
// browser's (sent form keys, notices not yet shown, a half-done sign-in or
// ceremony) is not the new account's; the language is a cookie of its
// own. The account it was signed in as, wholly or half, ends it, so that
// no listing of it stays behind under a token that no longer exists. And
// it goes on under a new token, which stops session fixation.
func (h *Handler) freshSession(r *http.Request) error {
	ctx := r.Context()
	if id := h.sessionID(r); id != "" {
		for _, k := range []string{sessionAccount, sessionHalfAccount} {
			account := h.sessions.GetInt64(ctx, k)
			if account == 0 {
				continue
			}
			// Not listed, it was ended already, from elsewhere.
			if err := h.core.EndSession(ctx, account, id); err != nil && !errors.Is(err, core.ErrNotFound) {
				return err
			}
		}
	}
	if err := h.sessions.Clear(ctx); err != nil {
		return err
	}
	return h.sessions.RenewToken(ctx)
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	// Taken out whatever comes: a browser signed in meanwhile is not told
	// later.
	held := h.ssoHeldBackSaid(r, sessionSSOHeldBack)
	deleted := h.sessions.PopString(r.Context(), sessionOwnDeleted)
	if h.viewer(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	if h.sentToSetup(w, r) {
		return
	}
	form := h.loginView(safeNext(r.URL.Query().Get("next")))
	form.Errors = h.ssoRefusedSaid(r)
	form.HeldBack = held
	form.Deleted = deleted
	h.renderLogin(w, r, heldBackStatus(w, held), form)
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	// The client's limit comes before the body: a client held back is
	// answered at once, with nothing of its body waited for.
	turn, err := h.core.TakeTurn(r.Context(), core.SignInAction, h.client(r))
	// Held back, the form comes back empty: its body, with where it was
	// going, is not read.
	if h.heldBack(w, r, err, h.loginHeldBack(w, r, "/links")) {
		return
	}
	if err == nil {
		err = parseForm(w, r)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	form := h.loginView(safeNext(r.PostForm.Get("next")))
	form.Username = strings.TrimSpace(r.PostForm.Get("username"))
	if refusesCookies(r, r.PostForm) {
		// Signed in, it would be signed out again at the next page, and
		// shown this form without a word.
		form.Username, form.Errors = refill(form.Username), components.FieldErrors{{Message: errCookiesToSignIn.Message(i18n.From(r.Context()))}}
		h.renderLogin(w, r, web.Status(errCookiesToSignIn.Kind), form)
		return
	}
	a, err := h.core.SignIn(r.Context(), turn, form.Username, r.PostForm.Get("password"))
	if h.heldBack(w, r, err, func(held *components.HeldBack) {
		form.Username, form.HeldBack = refill(form.Username), held
		h.renderLogin(w, r, http.StatusTooManyRequests, form)
	}) {
		return
	}
	if e, ok := core.AsError(err); ok && (e == core.ErrBadCredentials || e == core.ErrPasswordSignInOff || e.Kind == core.Invalid) {
		form.Username, form.Errors = refill(form.Username), components.FieldErrors{{Message: e.Message(i18n.From(r.Context()))}}
		h.renderLogin(w, r, web.Status(e.Kind), form)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.afterPassword(w, r, a, form.Next)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	id := h.sessions.GetInt64(r.Context(), sessionAccount)
	if id != 0 {
		// The account's other tabs hold event streams on this session:
		// ending it tells them.
		if err := h.core.EndSession(r.Context(), id, h.sessionID(r)); err != nil {
			h.core.SignedOut(r.Context(), id)
		}
	}
	if err := h.sessions.Destroy(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	}
	// A page that signs out to sign in as another account says where to
	// come back to.
	to := "/login"
	if next := r.PostForm.Get("next"); next != "" {
		to = loginThen(safeNext(next))
	}
	redirect(w, r, to)
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

// fieldErrors are err's refusals (see core.AllErrors) in the reader's
// language, each with the field it is about, for a form that says them
// all at once.
func fieldErrors(r *http.Request, err error) components.FieldErrors {
	var es components.FieldErrors
	for _, e := range core.AllErrors(err) {
		es = append(es, components.FieldError{Field: e.Field, Message: e.Message(i18n.From(r.Context()))})
	}
	return es
}

// refill is text from a form as the form shows it again after a mistake:
// without the bytes that are not text (invalid UTF-8, NUL), which the core
// refuses and a page must not repeat.
func refill(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
}

// typed is a textarea's text from a form as the page held it: a browser
// sends each line break of a textarea as CRLF, whatever was typed or
// pasted, so a message written on one system, a key or a config file,
// would reach a program that opens it (the API, oncelink open) with CRs it
// never had, and would count a byte more a line against its bound. The
// JSON API keeps every byte as sent.
func typed(s string) string {
	return strings.ReplaceAll(s, "\r\n", "\n")
}

// heldBack answers err when it is the rate limits' refusal, and reports
// whether it did: 429 with Retry-After, and show's page, whose form comes
// back under a notice that counts the wait down (held, see
// components.HeldBack), to send again. A form sent by htmx gets that notice
// alone, in the page's alerts, and stays as it was, with what was typed in
// it. A page of its own would leave the reader nowhere to try again from.
// An upload held back by the client's uploads under way says so, and not
// that there were too many attempts.
func (h *Handler) heldBack(w http.ResponseWriter, r *http.Request, err error, show func(held *components.HeldBack)) bool {
	e, ok := core.AsError(err)
	if !ok || e.Kind != core.Limited {
		return false
	}
	web.RefusalHeaders(w, r, e)
	held := components.HeldBack{Wait: e.RetryAfter, RetryAt: h.core.Now().Add(e.RetryAfter), Uploads: core.UploadsHeldBack(err)}
	if isHTMX(r) {
		toAlerts(w)
		h.render(w, r, http.StatusTooManyRequests, components.HeldBackAlert(held))
		return true
	}
	show(&held)
	return true
}

// loginThen is the sign-in page's address that leads on to next, a path
// on this server, once signed in. Only what would end the query's value or
// change it is escaped: the path's slashes stay readable in the address.
func loginThen(next string) string {
	return "/login?next=" + strings.NewReplacer("%", "%25", "&", "%26", "#", "%23", "+", "%2B", "?", "%3F").Replace(next)
}

// parseForm reads a urlencoded or multipart form's fields from a body of at
// most core.MaxFormBytes. A larger body is a 413, one that does not arrive
// in time (see boundBodies) a 408 and an unreadable one a 400. A body of
// any other type is a 415: r.ParseForm would skip it, and the route would
// then act on a request that was never a form.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, core.MaxFormBytes)
	var err error
	switch ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); {
	case ct == "multipart/form-data":
		// Every part fits in memory: the whole body is at most core.MaxFormBytes.
		err = r.ParseMultipartForm(core.MaxFormBytes)
	case ct == "application/x-www-form-urlencoded" || r.ContentLength == 0:
		err = r.ParseForm()
	default:
		return errNotAForm
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return tooBig
		case errors.Is(err, os.ErrDeadlineExceeded):
			return core.ErrTooSlow
		}
		return core.ErrUnreadableForm
	}
	web.BodyDeadline(w, time.Time{})
	return nil
}
