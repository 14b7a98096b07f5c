package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"

	"oncelink/components"
	"oncelink/store"
)

// userError is a problem with what the user sent or asked for. Its message
// is written for them and shown as it is.
type userError struct {
	status int
	title  string
	msg    string
	// retryAfter, for 429s, is when the client may try again.
	retryAfter time.Duration
}

func (e *userError) Error() string { return e.msg }

// invalid reports bad input with a message for the user.
func invalid(format string, args ...any) error {
	return &userError{status: http.StatusBadRequest, title: "That did not work", msg: fmt.Sprintf(format, args...)}
}

var (
	errNotFound = &userError{status: http.StatusNotFound, title: "Not found",
		msg: "There is nothing here. Check the address, or ask whoever sent it for a new link."}
	errMethod = &userError{status: http.StatusMethodNotAllowed, title: "Not allowed",
		msg: "This address does not take that kind of request. Go back to the page and try again from there."}
	// errUnavailable answers when the database could not tell; the cause
	// is logged where it happened.
	errUnavailable = &userError{status: http.StatusServiceUnavailable, title: "Try again",
		msg: "oncelink could not reach its database. Nothing was changed; try again in a moment."}
	errUnreadableForm = invalid("The form could not be read. Reload the page and try again.")
	errCrossOrigin    = &userError{status: http.StatusForbidden, title: "Refused",
		msg: "This request came from another site, so oncelink refused it. Go back to the page and try again from there."}
)

// fail answers err as the one place that maps errors to responses: a
// userError as it says, the store's sentinels as 404, 409 and 410, and
// anything else as a 500 that is logged and not shown.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	view := components.ErrorView{Status: http.StatusInternalServerError, Title: "Something went wrong",
		Message: "oncelink could not finish this request. Nothing was changed; please try again."}
	var ue *userError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ue):
		view.Status, view.Title, view.Message = ue.status, ue.title, ue.msg
		if ue.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(ue.retryAfter.Seconds()+0.999)))
		}
	case errors.Is(err, store.ErrNotFound):
		view.Status, view.Title, view.Message = errNotFound.status, errNotFound.title, errNotFound.msg
	case errors.Is(err, store.ErrGone):
		view.Status, view.Title, view.Message = http.StatusGone, "Gone", "This is no longer available."
	case errors.Is(err, store.ErrConflict):
		view.Status, view.Title, view.Message = http.StatusConflict, "Already exists", "That already exists."
	case errors.As(err, &tooBig):
		view.Status, view.Title = http.StatusRequestEntityTooLarge, "Too large"
		view.Message = fmt.Sprintf("That request is larger than the %s this server accepts. Nothing was stored.", components.LimitSize(tooBig.Limit))
	default:
		h.log.Error("request failed", "method", r.Method, "path", logPath(r.URL.Path), "err", err)
	}
	if isHTMX(r) {
		h.render(w, r, view.Status, components.ErrorFragment(view))
		return
	}
	h.render(w, r, view.Status, components.ErrorPage(h.page(r, view.Title), view))
}

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes c with status. It renders into a buffer first so that a
// failing component never leaves half a page behind a 200.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	buf := buffers.Get().(*bytes.Buffer)
	defer func() {
		buf.Reset()
		buffers.Put(buf)
	}()
	if err := c.Render(r.Context(), buf); err != nil {
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
	p := components.Page{Title: title, Scripts: scripts, Now: h.now()}
	if a := h.viewer(r); a != nil {
		p.Viewer = &components.Viewer{Name: a.Username, Admin: a.Admin}
	}
	return p
}

// securityHeaders sets the headers every response carries. Pages are
// private and per-person, so nothing but the static files may be cached.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		for _, h := range &securityHeaderValues {
			hd[h.key] = h.value
		}
		next.ServeHTTP(w, r)
	})
}

// securityHeaderValues are securityHeaders' headers, under their canonical
// keys. Every response shares their values, which is safe because each is
// a full slice: a later Set replaces it, and an Add copies it before it
// appends.
var securityHeaderValues = [...]struct {
	key   string
	value []string
}{
	{"Content-Security-Policy", []string{components.ContentSecurityPolicy}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
	{"Cross-Origin-Resource-Policy", []string{"same-origin"}},
	{"Permissions-Policy", []string{"camera=(), microphone=(), geolocation=(), interest-cohort=()"}},
	{"X-Robots-Tag", []string{"noindex, nofollow"}},
	{"Cache-Control", []string{"no-store"}},
}

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

// logRequests logs each request with its path made safe by logPath, and
// counts it for the metrics.
func (h *Handler) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK // a handler that wrote nothing
		}
		h.metrics.request(r.Method, sw.status, time.Since(start))
		if strings.HasPrefix(r.URL.Path, "/static/") || r.URL.Path == "/healthz" {
			return
		}
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", logPath(r.URL.Path)),
			slog.Int("status", sw.status), slog.Duration("took", time.Since(start)))
	})
}

// logPath is a path as it may be logged: everything after /l/ is a token,
// which must never reach a log, so it is cut, wherever /l/ stands: an
// uncleaned path such as //l/TOKEN is logged before it is redirected.
// What is left is cut to 200 bytes.
func logPath(p string) string {
	token := false
	if i := strings.Index(p, "/l/"); i >= 0 {
		p, token = p[:i], true
	}
	if len(p) > 200 {
		p = p[:200] + "…"
	}
	if token {
		p += "/l/…"
	}
	return p
}
