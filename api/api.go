// Package api is oncelink's JSON API, version 1: an adapter over the core
// beside the web pages. Owners' routes take an API key as a bearer token,
// or the session of a browser signed in to the pages; refusals are RFC
// 9457 problems; openapi.json describes it all.
package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/metrics"
	"oncelink/web"
)

// Document is the OpenAPI 3.1 description of the API, written by hand and
// kept true by the tests, which check real answers against it.
//
//go:embed openapi.json
var Document []byte

// API serves /api/v1/. Make one with New.
type API struct {
	core    *core.Service
	metrics *metrics.Metrics
	log     *slog.Logger
	// streamsEnd is closed by EndStreams.
	streamsEnd chan struct{}
	endOnce    sync.Once
	// heartbeat is how often an event stream is kept alive and its key
	// or session checked again.
	heartbeat time.Duration

	// Session, when set, returns the account that a request's session
	// cookie signs in, or nil (handlers.Handler.SessionAccount): the
	// owners' routes then take a signed-in browser's session as well as a
	// key.
	Session func(*http.Request) (*core.Account, error)
}

// New returns the API over svc. m counts its event streams; its requests
// are counted by the server it is mounted in.
func New(svc *core.Service, m *metrics.Metrics, log *slog.Logger) *API {
	return &API{core: svc, metrics: m, log: log, streamsEnd: make(chan struct{}), heartbeat: 25 * time.Second}
}

// Handler returns the API's route table. It answers only paths under
// /api/; mount it there, behind the server's security headers and log.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	// Each route notes its own pattern for the server's metrics, which
	// sees only "/api/"; the catch-all counts as unrouted. Each says what
	// it reads besides its path (see takes): whatever else is sent is
	// refused, not ignored.
	route := func(pattern string, serve http.HandlerFunc, t takes) {
		mux.HandleFunc(pattern, metrics.Routed(a.only(t, serve)))
	}
	none := takes{}
	body := takes{body: true}
	list := func(params ...string) takes { return takes{params: params} }
	route("POST /api/v1/links", a.owned(a.createLink), body)
	route("GET /api/v1/links", a.owned(a.listLinks), list("status", "q", "limit", "cursor"))
	route("GET /api/v1/links/{id}", a.owned(a.getLink), none)
	route("GET /api/v1/links/{id}/events", a.owned(a.linkEvents), none)
	route("POST /api/v1/links/{id}/revoke", a.owned(a.revoke), none)
	route("GET /api/v1/events", a.owned(a.events), none)
	route("POST /api/v1/requests", a.owned(a.createRequest), body)
	route("GET /api/v1/requests", a.owned(a.listRequests), list("status", "limit", "cursor"))
	route("GET /api/v1/requests/{id}", a.owned(a.getRequest), none)
	route("POST /api/v1/requests/{id}/revoke", a.owned(a.revokeRequest), none)
	route("POST /api/v1/requests/open", a.owned(a.openRequest), body)
	route("POST /api/v1/webhooks", a.owned(a.createWebhook), body)
	route("GET /api/v1/webhooks", a.owned(a.listWebhooks), none)
	route("DELETE /api/v1/webhooks/{id}", a.owned(a.deleteWebhook), none)
	route("POST /api/v1/webhooks/{id}/rotate", a.owned(a.rotateWebhook), none)
	route("POST /api/v1/webhooks/{id}/test", a.owned(a.testWebhook), none)
	route("GET /api/v1/webhooks/{id}/deliveries", a.owned(a.webhookDeliveries), none)
	route("POST /api/v1/open/{token}", a.open, body)
	route("GET /api/v1/me", a.owned(a.me), none)
	route("GET /api/v1/openapi.json", a.document, none)
	mux.HandleFunc("/api/", web.Unrouted(mux, "/api/", errMethod, a.fail))
	return a.ownHost(a.refuseBodiesOnReads(a.crossOrigin(a.cleanPaths(mux))))
}

// cleanPaths answers a path that next, a ServeMux, would redirect to its
// clean form with a page of HTML (see web.UncleanAPIPath) as one that
// names nothing, with a problem, as the catch-all does: a client that
// built it is told, and sends nothing on to another path.
func (a *API) cleanPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if web.UncleanAPIPath(r) {
			a.fail(w, r, core.ErrNotFound)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ownHost answers a request whose headers are too large (see
// web.HeadersTooLarge) with 431, and one addressed to another host than
// the server's own (see core.ServesHost) with 421.
func (a *API) ownHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if web.HeadersTooLarge(r) {
			a.fail(w, r, core.ErrHeadersTooLarge)
			return
		}
		if !a.core.ServesHost(r.Host) {
			a.fail(w, r, core.ErrOtherHost)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuseBodiesOnReads answers a GET or HEAD that carries a body with 400
// (see web.BodyOnRead).
func (a *API) refuseBodiesOnReads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if web.BodyOnRead(r) {
			a.fail(w, r, errBodyOnRead)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// EndStreams ends every open event stream, and any opened later, so that
// http.Server.Shutdown need not wait for them.
func (a *API) EndStreams() { a.endOnce.Do(func() { close(a.streamsEnd) }) }

// crossOrigin refuses state changes that a browser sends from another
// site, whether they carry a cookie or not: an open sent by a page
// elsewhere, which could not read the answer, would still spend a use. A
// request that carries a key and no cookie is a program's: no browser
// sends one cross-site without the preflight this API never grants, so it
// needs no Origin check.
func (a *API) crossOrigin(next http.Handler) http.Handler {
	protect := http.NewCrossOriginProtection()
	protect.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, errCrossOrigin)
	}))
	checked := protect.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" && r.Header.Get("Cookie") == "" {
			next.ServeHTTP(w, r)
			return
		}
		checked.ServeHTTP(w, r)
	})
}

// Errors of the API's own, beside the core's.
var (
	errCrossOrigin = core.Variant(core.Forbidden, "cross_origin", "api", "", "refused")
	errMethod      = core.Variant(core.NotAllowed, "method_not_allowed", "api", "", "not_allowed")
	errBodyOnRead  = core.Refusal(core.Invalid, "body_on_read", "", "body_on_read")
	// errTwoAuthorizations refuses a request with more than one
	// Authorization header (see bearerKey).
	errTwoAuthorizations = core.Refusal(core.Unauthorized, "duplicate_authorization", "", "duplicate_authorization")
	errNotJSON           = core.Variant(core.Unsupported, "not_json", "body", "", "not_json")
	// errNotJSONOrForm and errBadMultipart refuse a new link's body.
	errNotJSONOrForm = core.Variant(core.Unsupported, "not_json", "link", "", "not_json")
	errBadMultipart  = core.Variant(core.Invalid, "unreadable_form", "multipart", "", "did_not_work")
	// errFileAsJSON refuses a file link whose body is JSON, which has no
	// place for its file.
	errFileAsJSON = core.Refusal(core.Invalid, "file_not_json", "kind", "did_not_work")
)

// owned runs next for the account the request acts for (see owner).
func (a *API) owned(next func(http.ResponseWriter, *http.Request, *core.Account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		acc, err := a.owner(r)
		if err == nil && acc == nil {
			err = core.ErrNoKey
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
		next(w, r, acc)
	}
}

// owner is the account r acts for: that of the key it carries as
// "Authorization: Bearer ol_…", or else that of its browser session; nil
// with neither. A request with a key is judged by the key alone, whatever
// cookie it carries. A session's request counts against its account's API
// limit as a key's does.
func (a *API) owner(r *http.Request) (*core.Account, error) {
	h, err := authorization(r)
	if err != nil {
		return nil, err
	}
	if h != "" || a.Session == nil {
		return a.bearer(r)
	}
	acc, err := a.Session(r)
	if err == nil && acc != nil {
		err = a.core.APITurn(r.Context(), acc)
	}
	if err != nil {
		return nil, err
	}
	return acc, nil
}

// bearer is the account of r's key; nil without one.
func (a *API) bearer(r *http.Request) (*core.Account, error) {
	secret, err := bearerKey(r)
	if err != nil || secret == "" {
		return nil, err
	}
	return a.core.Authenticate(r.Context(), secret, a.client(r))
}

// bearerKey is the key r carries as "Authorization: Bearer ol_…": empty
// without an Authorization header, ErrKeyRefused for one of another
// scheme, or without a key, and errTwoAuthorizations for more than one
// header (see authorization), for which no key is looked up.
func bearerKey(r *http.Request) (string, error) {
	h, err := authorization(r)
	if h == "" || err != nil {
		return "", err
	}
	scheme, secret, _ := strings.Cut(h, " ")
	if secret = strings.TrimSpace(secret); !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return "", core.ErrKeyRefused
	}
	return secret, nil
}

// authorization is r's Authorization header, "" without one, and
// errTwoAuthorizations for more than one: which of them the request meant
// to act as, it does not say.
func authorization(r *http.Request) (string, error) {
	switch v := r.Header.Values("Authorization"); len(v) {
	case 0:
		return "", nil
	case 1:
		return v[0], nil
	}
	return "", errTwoAuthorizations
}

// client is who sent r, as the core records and limits them.
func (a *API) client(r *http.Request) core.Client {
	return web.Client(a.core, r)
}

// problem is an RFC 9457 problem document. Its type is about:blank, and
// its title therefore the status phrase (RFC 9457, section 4.2.1): what
// sort of problem it is, the code says, for programs to branch on, and the
// detail, for people.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Field  string `json:"field,omitempty"`
	// ID, with already_created, is the link, request or webhook endpoint
	// that an earlier create with the same Idempotency-Key made, or whose
	// secret an earlier rotation with it made.
	ID int64 `json:"id,omitempty"`
}

// fail answers err as a problem, the one place that maps errors to the
// API's answers: a refusal as it says, anything else as a 500 that is
// logged and not shown.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	// The words are English, unless the client asks for another language.
	l := i18n.For(i18n.Match(r.Header.Get("Accept-Language")))
	p := problem{Type: "about:blank", Status: http.StatusInternalServerError, Code: "internal", Detail: l.T("error.internal")}
	e := web.RefusalOf(err)
	switch {
	case e == nil && r.Context().Err() != nil:
		// The client hung up: no one to answer, and nothing went wrong.
		a.log.Debug("api client went away", "method", r.Method, "route", r.Pattern, "err", err)
		return
	case e != nil && e.Kind == core.Unavailable && !errors.Is(err, core.ErrUnavailable):
		a.log.Error("api: database unavailable", "method", r.Method, "route", r.Pattern, "err", err)
	}
	if e != nil {
		p.Status, p.Detail, p.Code, p.Field = web.Status(e.Kind), e.Message(l), e.Code, e.Field
		var repeated alreadyCreated
		if errors.As(err, &repeated) {
			p.ID = repeated.id
		}
		web.RefusalHeaders(w, r, e)
		if e.Kind == core.Unauthorized {
			// RFC 6750: a key that was sent and refused is an
			// invalid_token; without one, the challenge says no more.
			challenge := `Bearer realm="oncelink"`
			if e.Code == core.ErrKeyRefused.Code || e.Code == core.ErrKeyAccountDisabled.Code {
				challenge += `, error="invalid_token"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
		}
	} else {
		a.log.Error("api request failed", "method", r.Method, "route", r.Pattern, "err", err)
	}
	p.Title = statusPhrase(l, p.Status)
	b, _ := json.Marshal(p)
	// The title and detail are said in the language Accept-Language chose.
	w.Header().Set("Content-Language", l.Code)
	w.Header().Add("Vary", "Accept-Language")
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(p.Status)
	w.Write(append(b, '\n'))
}

// statusPhrases are the messages of the status phrases (RFC 9110) of the
// statuses a problem is sent with.
var statusPhrases = map[int]string{
	http.StatusBadRequest:                  "http_status.bad_request",
	http.StatusUnauthorized:                "http_status.unauthorized",
	http.StatusForbidden:                   "http_status.forbidden",
	http.StatusNotFound:                    "http_status.not_found",
	http.StatusMethodNotAllowed:            "http_status.method_not_allowed",
	http.StatusRequestTimeout:              "http_status.request_timeout",
	http.StatusConflict:                    "http_status.conflict",
	http.StatusGone:                        "http_status.gone",
	http.StatusRequestEntityTooLarge:       "http_status.content_too_large",
	http.StatusUnsupportedMediaType:        "http_status.unsupported_media_type",
	http.StatusMisdirectedRequest:          "http_status.misdirected_request",
	http.StatusRequestHeaderFieldsTooLarge: "http_status.request_header_fields_too_large",
	http.StatusTooManyRequests:             "http_status.too_many_requests",
	http.StatusInternalServerError:         "http_status.internal_server_error",
	http.StatusServiceUnavailable:          "http_status.service_unavailable",
}

// statusPhrase is status's phrase in l's language, which RFC 9457 lets a
// problem of type about:blank say in the language the client asked for.
func statusPhrase(l *i18n.Localizer, status int) string {
	if id, ok := statusPhrases[status]; ok {
		return l.T(id)
	}
	return http.StatusText(status)
}

// reply answers v as JSON with status.
func (a *API) reply(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// readJSON decodes r's body, of at most limit bytes, into v. An empty body,
// of whatever type, decodes nothing when empty is allowed. A key that is
// not exactly one of v's fields, text that is not UTF-8 (see
// checkFields), a value of the wrong type and trailing data are each a
// 400 that names the field.
func readJSON(w http.ResponseWriter, r *http.Request, v any, limit int64, empty bool) error {
	if empty && r.ContentLength == 0 {
		return nil
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return errNotJSON
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err == nil && empty && len(bytes.Trim(body, " \t\r\n")) == 0 {
		return nil
	}
	if err == nil {
		if err := checkFields(body, v); err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields() // in a nested object, should a body have one
		if err = dec.Decode(v); err == nil {
			err = trailing(dec, body)
		}
	}
	if err == nil {
		web.BodyDeadline(w, time.Time{})
		return nil
	}
	var tooBig *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return tooBig
	case errors.Is(err, os.ErrDeadlineExceeded):
		return core.ErrTooSlow
	case errors.As(err, &typeErr):
		want, got := kindType(typeErr.Type.Kind()), valueType(typeErr.Value)
		variant := "field"
		switch {
		case typeErr.Field == "":
			variant = "body"
		case want == "integer" && got == "number":
			// A fraction, or a number too large: the type is right, the
			// number is not.
			variant = "whole"
		case fieldKind(v, typeErr.Field) == reflect.Slice && want != "array":
			// The field is an array, and one of its items is wrong.
			variant = "items"
		}
		return wrongType(variant, typeErr.Field, want, got)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return unknownField(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
	}
	return badJSON(err)
}

// wholeNumber is an integer field of a JSON body. Like JSON Schema's
// integer, it is any number of no fractional part, however it is written:
// 2, 2.0 and 2e0 are all 2, as clients that keep numbers as floats send
// them. A fraction, a number of more than 15 digits and any other type are
// a json.UnmarshalTypeError, which readJSON says as the wrong type.
type wholeNumber int

func (n *wholeNumber) UnmarshalJSON(b []byte) error {
	v, ok := wholeLiteral(string(b))
	if !ok {
		got := "number"
		switch b[0] {
		case '"':
			got = "string"
		case 't', 'f':
			got = "bool"
		case '[':
			got = "array"
		case '{':
			got = "object"
		case 'n':
			got = "null"
		}
		return &json.UnmarshalTypeError{Value: got, Type: reflect.TypeFor[int]()}
	}
	*n = wholeNumber(v)
	return nil
}

// wholeLiteral is the value of the JSON number literal s when it is a
// whole number of at most 15 digits. It reads the digits and the exponent
// as written, so that no exponent, however large, costs more than its
// length.
func wholeLiteral(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mantissa, exponent, hasExp := strings.Cut(strings.ToLower(s), "e")
	whole, fraction, _ := strings.Cut(mantissa, ".")
	digits := strings.TrimLeft(whole+fraction, "0")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, digits == "" && mantissa != ""
	}
	exp := -len(fraction)
	if hasExp {
		e, err := strconv.Atoi(strings.TrimPrefix(exponent, "+"))
		if err != nil {
			return 0, false // an exponent past int: too large or a fraction
		}
		exp += e
	}
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	if exp < 0 || len(trimmed)+exp > 15 {
		return 0, false
	}
	v, err := strconv.ParseInt(trimmed+strings.Repeat("0", exp), 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// trailing refuses what follows the JSON value that dec has read from
// body: another value, or anything else but white space.
func trailing(dec *json.Decoder, body []byte) error {
	rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n")
	if len(rest) == 0 {
		return nil
	}
	if dec.Decode(new(json.RawMessage)) == nil {
		return errTwoValues
	}
	return afterValue{offset: int64(len(body)-len(rest)) + 1}
}

// errTwoValues is a body of one JSON value after another.
var errTwoValues = errors.New("more than one JSON value")

// afterValue is a body that goes on after its JSON value with what is not
// another, from the byte at offset, counted from 1.
type afterValue struct{ offset int64 }

func (e afterValue) Error() string {
	return "data after the JSON value at byte " + strconv.FormatInt(e.offset, 10)
}

// badJSON refuses a body that is not one JSON value, err saying why, with
// the reason in the reader's words: never encoding/json's English.
func badJSON(err error) error {
	var syntax *json.SyntaxError
	var after afterValue
	reason := jsonReason{id: "error.json_reason.unreadable"}
	switch {
	case errors.As(err, &after):
		reason = jsonReason{id: "error.json_reason.after_value", offset: after.offset}
	case errors.As(err, &syntax) && strings.HasSuffix(syntax.Error(), "exceeded max depth"):
		reason.id = "error.json_reason.too_deep"
	case errors.As(err, &syntax):
		reason = jsonReason{id: "error.json_reason.syntax", offset: syntax.Offset}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		reason.id = "error.json_reason.ends_early"
	case errors.Is(err, errTwoValues):
		reason.id = "error.json_reason.two_values"
	}
	return core.Refusal(core.Invalid, "bad_json", "", "not_valid_json", "Reason", reason)
}

// jsonReason is why a body is not one JSON value, said in the reader's
// language: the message id, and where the body stops being what it
// should, the offset of that byte, counted from 1.
type jsonReason struct {
	id     string
	offset int64
}

func (r jsonReason) In(l *i18n.Localizer) string { return l.T(r.id, "Offset", r.offset) }

// unknownField refuses a key that names no field of the body.
func unknownField(name string) error {
	return core.Refusal(core.Invalid, "unknown_field", name, "unknown_field", "Name", core.Quoted(name))
}

// duplicateField refuses a field given twice: which of its values was
// meant, a decoder would pick without a word.
func duplicateField(name string) error {
	return core.Refusal(core.Invalid, "duplicate_field", name, "duplicate_field", "Name", core.Quoted(name))
}

// checkFields refuses a key of the JSON object body that is not exactly
// the name of one of the fields of *v, a struct, and a value with text
// that is not UTF-8 (see isText), or a key given twice. encoding/json
// matches names regardless of case, and would take {"MESSAGE": …} for
// "message", the last of them winning, as it would of a key given twice;
// and it puts U+FFFD in place of what is not UTF-8, which would pass on
// text other than what was sent. The request bodies are flat
// objects, so their keys are all there is to check, with the items of a
// list, where a null would decode as an empty item. A body that is not a
// valid JSON object is left to the decoder to refuse.
func checkFields(body []byte, v any) error {
	names := fieldNames(reflect.TypeOf(v))
	if names == nil || !json.Valid(body) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	t, _ := dec.Token()
	if t == nil {
		// null, which decoding would take for an empty body.
		return wrongType("body", "", "object", "null")
	}
	if t != json.Delim('{') {
		return nil
	}
	seen := make(map[string]bool, len(names))
	for dec.More() {
		t, _ := dec.Token()
		name, _ := t.(string)
		switch {
		case !names[name]:
			return unknownField(name)
		case seen[name]:
			return duplicateField(name)
		}
		seen[name] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil
		}
		if string(value) == "null" {
			// Not the same as leaving the field out, which decoding
			// would take it for.
			return wrongType("field", name, kindType(fieldKind(v, name)), "null")
		}
		if nullItem(value) && fieldKind(v, name) == reflect.Slice {
			// Decoding would take it for an empty item: "" in a list
			// of strings, which would be refused as a value, not as
			// the wrong type that [5] is.
			return wrongType("items", name, kindType(fieldType(v, name).Elem().Kind()), "null")
		}
		if !isText(value) {
			return core.NotText(name)
		}
	}
	return nil
}

// wrongType refuses a value of type got where want belongs: in field, or,
// for variant "body", as the whole body.
func wrongType(variant, field string, want, got jsonType) error {
	return core.Variant(core.Invalid, "wrong_type", variant, field, "wrong_type", "Field", field, "Type", want, "Value", got)
}

// isText reports whether the strings of the valid JSON value raw decode
// as they were sent: its bytes are UTF-8, and every \u escape of a
// surrogate is half of a pair.
func isText(raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	// In valid JSON a backslash is an escape within a string, and \u is
	// followed by four hex digits.
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++
		if raw[i] != 'u' {
			continue
		}
		r := hexRune(raw[i+1 : i+5])
		i += 4
		if !utf16.IsSurrogate(r) {
			continue
		}
		if i+6 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' ||
			utf16.DecodeRune(r, hexRune(raw[i+3:i+7])) == utf8.RuneError {
			return false
		}
		i += 6
	}
	return true
}

// hexRune is the rune that four hex digits write.
func hexRune(hex []byte) rune {
	n, _ := strconv.ParseUint(string(hex), 16, 16)
	return rune(n)
}

// structFields caches fieldNames by type.
var structFields sync.Map // reflect.Type -> map[string]bool

// fieldNames is the set of the JSON names of the fields of the struct that
// t points to, or nil when t points to no struct.
func fieldNames(t reflect.Type) map[string]bool {
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	if names, ok := structFields.Load(t); ok {
		return names.(map[string]bool)
	}
	names := map[string]bool{}
	for f := range t.Elem().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case !f.IsExported() || name == "-":
			continue
		case name == "":
			name = f.Name
		}
		names[name] = true
	}
	structFields.Store(t, names)
	return names
}

// jsonType is a JSON type, such as "string" or "array", said in words
// for the reader.
type jsonType string

// kindType is the JSON type that decodes into a Go value of kind k.
func kindType(k reflect.Kind) jsonType {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return jsonType(k.String())
}

// nullItem reports whether the valid JSON value raw is an array with a
// null among its items.
func nullItem(raw []byte) bool {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return false
	}
	return slices.ContainsFunc(items, func(item json.RawMessage) bool { return string(item) == "null" })
}

// fieldType is the type of the field of struct *v that JSON names name, or
// of what it points to, for a field that may be left out; nil for none.
func fieldType(v any, name string) reflect.Type {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	for f := range t.Elem().Fields() {
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name {
			if f.Type.Kind() == reflect.Pointer {
				return f.Type.Elem() // a field that may be left out
			}
			return f.Type
		}
	}
	return nil
}

// fieldKind is the kind of fieldType(v, name), reflect.Invalid for none.
func fieldKind(v any, name string) reflect.Kind {
	if t := fieldType(v, name); t != nil {
		return t.Kind()
	}
	return reflect.Invalid
}

// valueType is the type of a json.UnmarshalTypeError's Value, which is a
// type ("string"), or "number" with the number ("number -1").
func valueType(v string) jsonType {
	t, _, _ := strings.Cut(v, " ")
	return jsonType(t)
}

// jsonTypes are the messages of the types.
var jsonTypes = map[jsonType]string{"integer": "error.wrong_type.integer", "number": "error.wrong_type.number", "string": "error.wrong_type.string",
	"bool": "error.wrong_type.bool", "object": "error.wrong_type.object", "array": "error.wrong_type.array", "null": "error.wrong_type.null"}

// In says the type in l's language.
func (t jsonType) In(l *i18n.Localizer) string {
	if id, ok := jsonTypes[t]; ok {
		return l.T(id)
	}
	return string(t)
}

// me is the account the request acts for, with what its links keep and
// the bound on it, as its Settings page shows them, and the largest file
// a link may share, as the create form says: a client checks a file
// against it before it sends the file.
func (a *API) me(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	used, limit, err := a.core.StorageUsage(r.Context(), acc.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	cfg := a.core.Config()
	a.reply(w, r, http.StatusOK, struct {
		Username     string `json:"username"`
		Admin        bool   `json:"admin"`
		StorageUsed  int64  `json:"storage_used"`
		StorageLimit int64  `json:"storage_limit"`
		MaxUpload    int64  `json:"max_upload"`
		MaxE2EUpload int64  `json:"max_e2e_upload"`
	}{acc.Username, acc.Admin, used, limit, cfg.MaxUpload, cfg.MaxE2EUpload})
}

func (a *API) document(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(Document)))
	w.Write(Document)
}
