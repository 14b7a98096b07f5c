// Package web holds what both HTTP doors over the core, the web pages
// (handlers) and the JSON API (api), answer alike: the status and headers
// of each kind of refusal, who sent a request, the methods a path takes,
// the bounds on a request's body, the name of a file sent, and a live
// event published once the answer is out.
package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"oncelink/core"
	"oncelink/live"
)

// StreamWriteTimeout ends an event stream whose client stops reading: the
// dashboard's and the API's.
const StreamWriteTimeout = 10 * time.Second

// StreamHeaders sets the headers of an event stream.
func StreamHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	// nginx buffers responses unless told not to.
	w.Header().Set("X-Accel-Buffering", "no")
}

// WriteEvent sends p on an event stream at once: written and flushed
// within StreamWriteTimeout, past which a client that stops reading
// fails the write.
func WriteEvent(w http.ResponseWriter, rc *http.ResponseController, p []byte) error {
	rc.SetWriteDeadline(time.Now().Add(StreamWriteTimeout))
	if _, err := w.Write(p); err != nil {
		return err
	}
	return rc.Flush()
}

// Status is the HTTP status of a refusal of kind k: what the web pages and
// the JSON API both answer.
func Status(k core.Kind) int {
	switch k {
	case core.Invalid:
		return http.StatusBadRequest
	case core.Unauthorized:
		return http.StatusUnauthorized
	case core.Forbidden:
		return http.StatusForbidden
	case core.NotFound:
		return http.StatusNotFound
	case core.NotAllowed:
		return http.StatusMethodNotAllowed
	case core.Conflict:
		return http.StatusConflict
	case core.Gone:
		return http.StatusGone
	case core.TooLarge:
		return http.StatusRequestEntityTooLarge
	case core.Unsupported:
		return http.StatusUnsupportedMediaType
	case core.Limited:
		return http.StatusTooManyRequests
	case core.Unavailable:
		return http.StatusServiceUnavailable
	case core.TooSlow:
		return http.StatusRequestTimeout
	case core.Misdirected:
		return http.StatusMisdirectedRequest
	case core.HeadersTooLarge:
		return http.StatusRequestHeaderFieldsTooLarge
	}
	return http.StatusInternalServerError
}

// RefusalOf is err as the core's words for the person: a *core.Error as it
// is, a body over its bound as TooLarge; nil for anything else, a failure.
func RefusalOf(err error) *core.Error {
	if e, ok := core.AsError(err); ok {
		return e
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return core.Refusal(core.TooLarge, "body_too_large", "", "too_large", "Size", core.Size(tooBig.Limit))
	}
	return nil
}

// RetryAfter tells a client held back when to try again, in whole
// seconds, rounded up; a zero wait says nothing.
func RetryAfter(w http.ResponseWriter, d time.Duration) {
	if d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(d.Seconds()+0.999)))
	}
}

// RefusalHeaders sets the headers that go with refusal e of r: when to
// try again, and, for a request refused while its body is unread or cut
// short, that the connection ends with the answer rather than wait for
// the rest.
func RefusalHeaders(w http.ResponseWriter, r *http.Request, e *core.Error) {
	RetryAfter(w, e.RetryAfter)
	if (e.Kind == core.Limited || e.Kind == core.TooSlow) && r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
}

// Client is who sent r, as svc records and limits them: behind a proxy
// svc trusts, the address the proxy names (see core.ClientOf).
func Client(svc *core.Service, r *http.Request) core.Client {
	return core.ClientOf(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), svc.Config().TrustProxy, r.UserAgent())
}

// Unrouted answers, through fail, what no route of mux takes: notAllowed
// (a 405) with an Allow header naming the methods the path does take, or
// core.ErrNotFound when it takes none. catchAll is the pattern it serves.
func Unrouted(mux *http.ServeMux, catchAll string, notAllowed error, fail func(http.ResponseWriter, *http.Request, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		allow := allowed(mux, r, catchAll)
		if len(allow) == 0 {
			fail(w, r, core.ErrNotFound)
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		fail(w, r, notAllowed)
	}
}

// allowed lists the methods that a route of mux other than its catch-all
// pattern takes for r's path: what a 405's Allow header names.
func allowed(mux *http.ServeMux, r *http.Request, catchAll string) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		probe := &http.Request{Method: m, Host: r.Host, URL: r.URL}
		if _, pattern := mux.Handler(probe); pattern != catchAll {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	return allow
}

// UncleanAPIPath reports whether r asks for a path of the JSON API that a
// ServeMux would not route but redirect, with a page of HTML, to another
// path: one with an empty, "." or ".." segment (//api/v1/links,
// /api/v1/./links) under /api/ as written or once cleaned, or /api itself,
// which a mux sends to /api/. The API answers such a path as one that
// names nothing, in its own words.
func UncleanAPIPath(r *http.Request) bool {
	p := r.URL.EscapedPath()
	clean := cleanPath(p)
	underAPI := func(p string) bool { return strings.HasPrefix(p, "/api/") }
	return p == "/api" || (clean != p && (underAPI(p) || underAPI(clean)))
}

// cleanPath is p as a ServeMux cleans it before it routes it: rooted,
// without empty, "." or ".." segments, with its trailing slash kept.
func cleanPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	return clean
}

// HeadersTooLarge reports whether r's request line and headers are larger
// than core.MaxHeaderBytes, counted as they were sent: both doors refuse
// such a request in their own words (431). net/http refuses a request four
// times as large itself, before a handler sees it, in plain text (see
// MaxHeaderBytes).
func HeadersTooLarge(r *http.Request) bool {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + len("  \r\n") + len("Host: \r\n") + len(r.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(": \r\n") + len(v)
		}
	}
	return n > core.MaxHeaderBytes
}

// MaxHeaderBytes is the server's own bound on a request's line and
// headers (http.Server.MaxHeaderBytes): four times core.MaxHeaderBytes, so
// that the doors answer a request over that in their own words, and only
// a much larger one gets net/http's plain text.
const MaxHeaderBytes = 4 * core.MaxHeaderBytes

// BodyOnRead reports whether r is a GET or HEAD that carries a body, which
// both doors refuse with 400: no route reads one, and a body that the
// server ignores while a proxy in front of it reads it (or the other way
// round) is how requests are smuggled past the proxy.
func BodyOnRead(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.ContentLength != 0
}

// ReadBeforeTooLarge makes a 413 to r, such as a file over the server's
// limit, wait until r's whole body has arrived, read and thrown away, as
// long as it is at most bound bytes in all. A browser sends its whole form
// before it reads the answer; a server that answers sooner and closes the
// connection on what is left unread resets it, and the reset can take the
// answer away before the browser reads it (RFC 9112, section 9.6, says to
// go on reading). A larger body, or one that does not arrive within the
// request's read deadline, is answered as it stands, and net/http closes
// the connection after the answer; so is a body not yet sent by a client
// that waits for "100 Continue" before it sends one, which it never gets.
func ReadBeforeTooLarge(w http.ResponseWriter, r *http.Request, bound int64) (http.ResponseWriter, *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 || r.ContentLength > bound {
		return w, r
	}
	if r.ContentLength > 0 && r.ContentLength < netHTTPDiscards {
		return w, r // the common small form, which costs nothing more
	}
	body := &countedBody{ReadCloser: r.Body}
	// A copy, so that net/http still knows the body it gave the request.
	r = r.WithContext(r.Context())
	r.Body = body
	waits := strings.EqualFold(r.Header.Get("Expect"), "100-continue")
	return &readingWriter{ResponseWriter: w, body: body, bound: bound, waits: waits}, r
}

// netHTTPDiscards is how much of a body left unread net/http reads and
// throws away itself after the answer, before the next request on the
// connection: a smaller body never needs ReadBeforeTooLarge.
const netHTTPDiscards = 256 << 10

// countedBody is a request's body that counts what was read of it and
// knows when it ended.
type countedBody struct {
	io.ReadCloser
	n   int64
	eof bool
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	b.eof = b.eof || err == io.EOF
	return n, err
}

// readingWriter reads the rest of body before it writes a 413's head (see
// ReadBeforeTooLarge).
type readingWriter struct {
	http.ResponseWriter
	body     *countedBody
	bound    int64
	waits    bool // for "100 Continue"
	answered bool
}

func (w *readingWriter) WriteHeader(status int) {
	if !w.answered && status == http.StatusRequestEntityTooLarge && !w.body.eof && !(w.waits && w.body.n == 0) {
		io.Copy(io.Discard, io.LimitReader(w.body, w.bound-w.body.n))
	}
	w.answered = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *readingWriter) Write(p []byte) (int, error) {
	if !w.answered {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *readingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ReadUpload reads r's multipart/form-data body, split by boundary, into
// d (see core.Draft.ReadMultipart) and returns its fields; on an error,
// the fields read before it. A file takes longer to arrive than a form:
// the body may take as long as its size takes at the slowest rate waited
// for (core.Service.UploadTime), and the bound is lifted once it is read.
func ReadUpload(w http.ResponseWriter, r *http.Request, svc *core.Service, d *core.Draft, boundary string) (url.Values, error) {
	BodyDeadline(w, time.Now().Add(svc.UploadTime(r.ContentLength)))
	form, err := d.ReadMultipart(r.Body, boundary, r.ContentLength, Client(svc, r))
	if err == nil {
		BodyDeadline(w, time.Time{})
	}
	return form, err
}

// BodyDeadline sets when the rest of the request's body must have arrived;
// a read after it fails. The zero time lifts the bound once the body is
// read, so that it cannot end the request that goes on: net/http watches
// the connection after the body, and a read that times out there would
// cancel the request.
func BodyDeadline(w http.ResponseWriter, t time.Time) {
	// A ResponseWriter that cannot, such as a test's recorder, leaves the
	// body unbounded.
	http.NewResponseController(w).SetReadDeadline(t)
}

// PublishAfter sends the answer written to w so far, then has svc publish
// e: a use already spent, or a new link's only showing of its URL, must
// not wait on the dashboards and streams. Without a flush, the answer's
// last bytes would stay in net/http's buffers until the handler returns.
func PublishAfter(w http.ResponseWriter, r *http.Request, svc *core.Service, e live.Event) {
	// A writer that cannot flush sends it all when the handler returns.
	_ = http.NewResponseController(w).Flush()
	svc.Publish(r.Context(), e)
}

// ContentDisposition is a Content-Disposition header for name (RFC 6266):
// a plain ASCII filename for old clients and the exact one as UTF-8 in
// filename*.
func ContentDisposition(disposition, name string) string {
	var ascii, exact strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r >= 0x7f || r == '"' || r == '\\':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	for _, b := range []byte(name) {
		if b < 0x80 && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0) {
			exact.WriteByte(b)
		} else {
			fmt.Fprintf(&exact, "%%%02X", b)
		}
	}
	return fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, disposition, ascii.String(), exact.String())
}
