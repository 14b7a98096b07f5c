package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/a-h/templ"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/metrics"
	"oncelink/web"
)

// Errors of the web's own, beside the core's.
var (
	errMethod      = core.Variant(core.NotAllowed, "method_not_allowed", "web", "", "not_allowed")
	errCrossOrigin = core.Variant(core.Forbidden, "cross_origin", "web", "", "refused")
	errNotAForm    = core.Refusal(core.Unsupported, "not_a_form", "", "not_a_form")
	errLanguage    = core.Refusal(core.Invalid, "language_unknown", "language", "did_not_work")
	errBodyOnRead  = core.Refusal(core.Invalid, "body_on_read", "", "did_not_work")
	// errCookiesNeeded refuses to open a file link for a browser that
	// keeps no cookies, before its use is taken (see openLink),
	// errCookiesToSignIn refuses to sign in such a browser, whose session
	// would be gone at the next page, and errCookiesToSetUp refuses to
	// create the first account from it, which could never sign in there.
	errCookiesNeeded   = core.Variant(core.Forbidden, "cookies_needed", "file", "", "cookies_needed")
	errCookiesToSignIn = core.Variant(core.Forbidden, "cookies_needed", "sign_in", "", "cookies_needed")
	errCookiesToSetUp  = core.Variant(core.Forbidden, "cookies_needed", "setup", "", "cookies_needed")
)

// fail answers err as the one place that maps errors to pages: a refusal
// as it says, and anything else as a 500 that is logged and not shown. A
// database that failed is the 503 "try again" page, its cause logged. A
// client that hung up, which cancels what it asked for, gets no answer and
// no error in the log: the request log counts it as 499.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.failRemoving(w, r, err, "", nil)
}

// failRemoving is fail, whose answer to htmx also takes the element with
// the id gone off the page (when gone is not empty): the row of an account
// deleted since the list was shown, where no button can do anything more.
// What else of the page changes with it, after, is swapped in too.
func (h *Handler) failRemoving(w http.ResponseWriter, r *http.Request, err error, gone string, after templ.Component) {
	view := components.ErrorView{Status: http.StatusInternalServerError, Title: i18n.T(r.Context(), "title.internal"),
		Message: i18n.T(r.Context(), "error.internal")}
	e := web.RefusalOf(err)
	switch {
	case e == nil && r.Context().Err() != nil:
		h.log.Debug("client went away", "method", r.Method, "path", logPath(r.URL.Path), "err", err)
		return
	case e != nil && e.Kind == core.Unavailable && !errors.Is(err, core.ErrUnavailable):
		h.log.Error("database unavailable", "method", r.Method, "path", logPath(r.URL.Path), "err", err)
	}
	if e != nil && e.SignIn {
		view.SignIn = h.keepLanguage(r, loginThen(returnTo(r)))
	}
	if e != nil && e.Code == core.ErrNotOpened.Code {
		view.LinkPage = h.keepLanguage(r, "/l/"+r.PathValue("token"))
	}
	if e != nil {
		view.Status, view.Title, view.Message = web.Status(e.Kind), e.Heading(i18n.From(r.Context())), e.Message(i18n.From(r.Context()))
		web.RefusalHeaders(w, r, e)
	} else {
		h.log.Error("request failed", "method", r.Method, "path", logPath(r.URL.Path), "err", err)
	}
	if wantsJSON(r) {
		// A page's script (passkeys.js, e2e.js) shows the message itself.
		reply := scriptRefusal{Code: "internal", Title: view.Title, Message: view.Message}
		if e != nil {
			reply = refusalForScript(r, e)
		}
		writeJSON(w, view.Status, reply)
		return
	}
	if isHTMX(r) {
		// Not in place of what the request would have swapped, a form
		// with what was typed in it or a table row, which would be lost:
		// in the page's alerts.
		toAlerts(w)
		view.Gone, view.AfterGone = gone, after
		h.render(w, r, view.Status, components.ErrorFragment(view))
		return
	}
	p := h.page(r, view.Title)
	if e != nil && e.Code == core.ErrOtherHost.Code {
		p.RightAddress, p.Site = h.rightAddress(r), h.core.Config().BaseURL
	}
	h.render(w, r, view.Status, components.ErrorPage(p, view))
}

// rightAddress is where to go instead of r, which came for another host
// than the server's own: the page r asked for at the base URL, in the
// language r's address names; the base URL for a form sent there, which
// the base URL's page would have to send again.
func (h *Handler) rightAddress(r *http.Request) string {
	path := "/"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		path = r.URL.RequestURI()
	}
	if !strings.HasPrefix(path, "/") {
		path = "/"
	}
	return strings.TrimSuffix(h.core.Config().BaseURL, "/") + h.keepLanguage(r, path)
}

// toAlerts has htmx swap the answer's div.error into the page's alerts
// (see components.Layout), not in place of what the request would have
// swapped; nor does the request, which failed, change the address bar.
func toAlerts(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("HX-Retarget", "#alerts")
	hd.Set("HX-Reswap", "innerHTML")
	hd.Set("HX-Reselect", "div.error")
	hd.Set("HX-Replace-Url", "false")
	hd.Set("HX-Push-Url", "false")
}

// scriptRefusal is a refusal as a page's script reads it: the code, the
// field it concerns, and what to say, in the reader's language. Hint, when
// set, is a word more for beside the field, such as the tries left.
type scriptRefusal struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Title   string `json:"title"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// refusalForScript is e as a page's script reads it, in the language of
// r's reader.
func refusalForScript(r *http.Request, e *core.Error) scriptRefusal {
	l := i18n.From(r.Context())
	return scriptRefusal{Code: e.Code, Field: e.Field, Title: e.Heading(l), Message: e.Message(l)}
}

// returnTo is the page to come back to after signing in again: the page an
// htmx request came from, or a page asked for, but for a link's file, whose
// download would leave the sign-in page shown: its link's page, which
// offers the file; for a form of a request's page, that page, where its
// owner, signed in, opens what was sent; else the start.
func returnTo(r *http.Request) string {
	if tok := r.PathValue("token"); tok != "" && r.URL.Path == fileURL(tok) {
		return "/l/" + tok
	}
	if isHTMX(r) {
		if u, err := url.Parse(r.Header.Get("HX-Current-URL")); err == nil && u.Host == r.Host && strings.HasPrefix(u.Path, "/") {
			return u.RequestURI()
		}
		return "/"
	}
	if r.Method == http.MethodGet {
		return r.URL.RequestURI()
	}
	if tok := r.PathValue("token"); tok != "" && strings.HasPrefix(r.URL.Path, "/r/") {
		return "/r/" + tok
	}
	return "/"
}

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes c with status. It renders into a buffer first so that a
// failing component never leaves half a page behind a 200. Rendering is
// not cancelled with the request: it takes no time worth saving, and a
// body that failed to arrive in time cancels the request's context while
// its 408 is still to be written.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	buf := buffers.Get().(*bytes.Buffer)
	defer func() {
		buf.Reset()
		buffers.Put(buf)
	}()
	// The reader's language is settled once, at the top of the context:
	// a page asks for it with every message.
	ctx := i18n.With(context.WithoutCancel(r.Context()), i18n.From(r.Context()).Code)
	if err := c.Render(ctx, buf); err != nil {
		h.log.Error("render", "path", logPath(r.URL.Path), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// redirect answers a form post: htmx follows HX-Redirect; a browser a 303.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	if isHTMX(r) {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusOK)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// page builds the layout's view for r.
func (h *Handler) page(r *http.Request, title string, scripts ...string) components.Page {
	p := components.Page{Title: title, Scripts: scripts, Path: r.URL.Path, Now: h.core.Now(), Back: "/"}
	if r.Method == http.MethodGet {
		p.Back = r.URL.RequestURI()
	}
	if a := h.viewer(r); a != nil {
		p.Viewer = &components.Viewer{Name: a.Username, Admin: a.Admin}
		// Said once, wherever a sign-in with a recovery code lands.
		if left, ok := h.sessions.Pop(r.Context(), sessionRecoveryLeft).(int64); ok {
			p.RecoverySignIn = &components.RecoverySignIn{Left: int(left), Few: core.FewCodesLeft(int(left))}
		}
	}
	p.Language = h.chosenLanguage(r)
	p.KeepLanguage = h.keptLanguage(r)
	return p
}

// securityHeaders sets the headers every response carries. Pages are
// private and per-person, so nothing but the static files may be cached.
func (h *Handler) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		for _, v := range &securityHeaderValues {
			hd[v.key] = v.value
		}
		if h.originOnly {
			hd["Referrer-Policy"] = strictOrigin
			// A browser ignores the policy of a page not in a secure
			// context, and says so in the console of every page.
			delete(hd, "Cross-Origin-Opener-Policy")
		}
		if h.secure {
			hd["Strict-Transport-Security"] = strictTransport
		}
		next.ServeHTTP(w, r)
	})
}

// noReferrer is the Referrer-Policy of every response, but for the pages
// of a server not in a secure context (see strictOrigin).
var noReferrer = []string{"no-referrer"}

// strictTransport is the Strict-Transport-Security of a server whose base
// URL is https: for a year, browsers go there over https alone, so that no
// one on the network can turn a typed address into plain http. Its
// subdomains are left out: they may be other servers.
var strictTransport = []string{"max-age=31536000"}

// strictOrigin is the Referrer-Policy of a server whose pages are not in
// a secure context (see Handler.originOnly): a Referer, and the Origin of a
// form post, then carry the origin alone, never a path with a token.
var strictOrigin = []string{"strict-origin"}

// securityHeaderValues are securityHeaders' headers, under their canonical
// keys. Every response shares their values, which is safe because each is
// a full slice: a later Set replaces it, and an Add copies it before it
// appends.
var securityHeaderValues = [...]struct {
	key   string
	value []string
}{
	{"Content-Security-Policy", []string{components.ContentSecurityPolicy}},
	{"Referrer-Policy", noReferrer},
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
	{"Cross-Origin-Resource-Policy", []string{"same-origin"}},
	{"Permissions-Policy", []string{"camera=(), microphone=(), geolocation=(), interest-cohort=()"}},
	{"X-Robots-Tag", []string{"noindex, nofollow"}},
	{"Cache-Control", []string{"no-store"}},
}

// statusClientGone is the status the request log and the metrics count a
// request under whose client hung up before it had an answer, as nginx
// does; no client sees it.
const statusClientGone = 499

// statusWriter remembers the status a handler wrote, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush for event streams.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// cutBody is a request's body that notes whether its client hung up
// before it sent all of it: the connection closed or reset mid-body. A
// body over its bound, or one the server stopped waiting for, is no
// hang-up; those answers reach their client.
type cutBody struct {
	io.ReadCloser
	cut bool
}

// watchBody puts a cutBody in place of r's body, if it has one.
func watchBody(r *http.Request) *cutBody {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	b := &cutBody{ReadCloser: r.Body}
	r.Body = b
	return b
}

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.cut = b.cut || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
	}
	return n, err
}

// logRequests logs each request with its path made safe by logPath, and
// counts it for the metrics by its route pattern, never its path.
func (h *Handler) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		r, route := metrics.Track(r)
		body := watchBody(r)
		next.ServeHTTP(sw, r)
		switch {
		case body != nil && body.cut:
			// The client hung up while it sent its body: whatever the
			// handler answered to the half it got reached nobody.
			sw.status = statusClientGone
		case r.Context().Err() != nil && (sw.status == 0 || sw.status >= 500):
			// The client hung up first: what failed was cancelled with it.
			sw.status = statusClientGone
		case sw.status == 0:
			sw.status = http.StatusOK // a handler that wrote nothing
		}
		h.metrics.Request(r.Method, route.Pattern(), sw.status, time.Since(start))
		if strings.HasPrefix(r.URL.Path, "/static/") || r.URL.Path == "/healthz" {
			return
		}
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", logPath(r.URL.Path)),
			slog.Int("status", sw.status), slog.Duration("took", time.Since(start)))
	})
}

// logPath is a path as it may be logged, with no token in it. Everything
// after /l/ (a page's link), /r/ (a request), /open/ (the API's open),
// /confirm/ (a notice address's confirmation) or /unsubscribe/ (a notice
// mail's unsubscribe link) is a token, so it is cut,
// wherever it stands and in any case: an uncleaned path such as //l/TOKEN
// is logged before it is redirected, and /L/TOKEN before its 404. So is
// any segment that holds a token's worth of base64url, such as a token
// pasted after another path or glued to its /l. What is left is cut to 200
// bytes.
func logPath(p string) string {
	cut := ""
	for _, mark := range [...]string{"/l/", "/r/", "/open/", "/confirm/", "/unsubscribe/"} {
		if i := indexFold(p, mark); i >= 0 {
			p, cut = p[:i], p[i:i+len(mark)]+"…"
		}
	}
	if i := tokenLike(p); i >= 0 {
		p, cut = p[:i]+"…", ""
	}
	if len(p) > 200 {
		p = p[:200] + "…"
	}
	return p + cut
}

// indexFold is strings.Index of an ASCII lower-case mark in p, in any case.
func indexFold(p, mark string) int {
	for i := 0; i+len(mark) <= len(p); i++ {
		if strings.EqualFold(p[i:i+len(mark)], mark) {
			return i
		}
	}
	return -1
}

// tokenLength is how many base64url characters in a row logPath takes for
// a token: 32, fewer than any token's 43, more than any other segment of
// oncelink's paths has.
const tokenLength = 32

// tokenLike is where the segment of p that holds tokenLength base64url
// characters in a row begins, or -1.
func tokenLike(p string) int {
	start, run := 0, 0
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '/':
			start, run = i+1, 0
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
			if run++; run == tokenLength {
				return start
			}
		default:
			run = 0
		}
	}
	return -1
}
