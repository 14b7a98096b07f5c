// Package client speaks oncelink's JSON API v1 for the command line and
// tests.
//
// A Client holds a server's address and an API key. The key travels only
// in the Authorization header of requests to that server: it is in no
// error, and a link on another server is opened without it.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"oncelink/i18n"
)

// UserAgent is what a Client tells servers it is; an owner sees it in the
// audit trail of a link that the command line opened.
const UserAgent = "oncelink-cli/1"

// Client calls one oncelink server's API. Make one with New.
type Client struct {
	base string // the server's address, without a trailing slash
	key  string
	http *http.Client
	// Language is the code of the language the server's refusals are
	// asked in, as Accept-Language, and the client's own errors said in;
	// "" asks for none, and the client speaks English.
	Language string
	// BodyIdle is how long what an open delivers may send nothing before
	// the open fails; zero is a minute. Nothing bounds the whole of it: a
	// large file takes as long as it takes.
	BodyIdle time.Duration
}

// t is the message id in c's language.
func (c *Client) t(id string, pairs ...any) string { return c.loc().T(id, pairs...) }

// loc is the localizer of c's language.
func (c *Client) loc() *i18n.Localizer { return i18n.For(c.Language) }

// New returns a client of the server at baseURL (such as
// https://share.example.com), as ParseBase reads it, with the API key key.
// Either may be empty: without a base URL only Open with a link's full URL
// works, and without a key only Open does. A base URL that ParseBase
// refuses is a *BaseError.
func New(baseURL, key string) (*Client, error) {
	if baseURL != "" {
		base, err := ParseBase(baseURL)
		if err != nil {
			return nil, err
		}
		baseURL = base
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	return &Client{
		base: baseURL,
		key:  key,
		http: &http.Client{
			Transport: t,
			// A redirect could carry the key to another scheme or host,
			// and would turn a POST into a GET: none is followed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// ParseBase reads a server's address, and returns it without a trailing
// slash: http or https, a host, and after it nothing but slashes. An
// oncelink server answers only at the root of its address, where a client
// puts the API's paths: under an address with a path (copied with a page's
// address, or meant as a prefix), a query or a fragment, every call would
// be answered "not found", or not by oncelink. A name or password in the
// address is refused too: the key is what signs in, and a password would
// be repeated in errors. Its error is a *BaseError.
func ParseBase(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	switch {
	case err == nil && u.User != nil:
		return "", &BaseError{URL: shown(s), id: "cli.client.base_user"}
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		if v, err := url.Parse("https://" + strings.TrimSpace(s)); err == nil && v.User != nil && !strings.Contains(s, "://") {
			// ann:secret@share.example.com, a name and password without
			// a scheme, which url.Parse takes for a scheme "ann".
			return "", &BaseError{URL: shown(s), id: "cli.client.base_user"}
		}
		if root := withScheme(s); root != "" {
			return "", &BaseError{URL: s, Root: root, id: "cli.client.base_scheme"}
		}
		return "", &BaseError{URL: shown(s), id: "cli.client.base_invalid"}
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", &BaseError{URL: shown(s), Root: u.Scheme + "://" + u.Host, id: "cli.client.base_path"}
	}
	return u.Scheme + "://" + u.Host, nil
}

// shown is s, an address refused, as an error repeats it: a password in
// it hidden as url.URL.Redacted hides it, even where s does not parse, and
// an API key given in its place (ol_...) hidden whole. What follows the
// host is hidden where it looks like a secret, as a link's token, a key
// in the query or a link's key after its # do: a path's part, a query's
// value or a fragment that looks like one (see secretLooking), and a
// query's value whose name says it is one (key=, password=, ...). What is
// left is cut at maxShown characters.
func shown(s string) string {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "ol_") {
		return "ol_xxxxx"
	}
	start := 0
	if i := strings.Index(t, "://"); i >= 0 {
		start = i + len("://")
	}
	end := len(t)
	if i := strings.IndexAny(t[start:], "/?#"); i >= 0 {
		end = start + i
	}
	host := t[start:end]
	if at := strings.LastIndex(host, "@"); at >= 0 {
		if name, _, ok := strings.Cut(host[:at], ":"); ok {
			host = name + ":xxxxx" + host[at:]
		}
	}
	rest, fragment, hasFragment := strings.Cut(t[end:], "#")
	path, query, hasQuery := strings.Cut(rest, "?")
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if secretLooking(p) {
			parts[i] = "xxxxx"
		}
	}
	out := t[:start] + host + strings.Join(parts, "/")
	if hasQuery {
		params := strings.Split(query, "&")
		for i, p := range params {
			name, value, ok := strings.Cut(p, "=")
			switch {
			case secretLooking(name):
				params[i] = "xxxxx"
			case ok && (secretLooking(value) || secretName(name)):
				params[i] = name + "=xxxxx"
			}
		}
		out += "?" + strings.Join(params, "&")
	}
	if hasFragment {
		if secretLooking(fragment) {
			fragment = "xxxxx"
		}
		out += "#" + fragment
	}
	if r := []rune(out); len(r) > maxShown {
		out = string(r[:maxShown]) + "…"
	}
	return out
}

// maxShown is as much of a refused address as an error repeats: enough
// for any address typed by hand; a longer one is most often pasted text,
// and the error gives the root to use whole (BaseError.Root).
const maxShown = 120

// secretLooking reports whether s, a part of an address, looks like a
// secret rather than a word: an oncelink key or webhook secret, or 20
// characters or more in a row, as a link's token (43) or its key are.
func secretLooking(s string) bool {
	return len(s) >= 20 || strings.HasPrefix(s, "ol_") || strings.HasPrefix(s, "whsec_")
}

// secretName reports whether name, a query's parameter, names a secret.
func secretName(name string) bool {
	name = strings.ToLower(name)
	for _, w := range []string{"key", "token", "pass", "pwd", "secret", "auth", "sig", "session", "credential"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// withScheme is s, a host and maybe a port without a scheme
// (127.0.0.1:8080, share.example.com), with the scheme meant by it: http
// for this machine, where a server is often tried without TLS, and https
// for any other, which a key should reach encrypted. It is "" when s is
// not such an address.
func withScheme(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.Contains(s, "://") {
		return ""
	}
	u, err := url.Parse("https://" + s)
	if err != nil || u.User != nil || !hostShaped(u.Hostname()) || strings.Trim(u.Path, "/") != "" ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return ""
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	// 0.0.0.0 and [::], as serve logs the address it listens on for
	// every one, reach this machine too.
	if ip := net.ParseIP(host); host == "localhost" || strings.HasSuffix(host, ".localhost") || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified())) {
		return "http://" + u.Host
	}
	return "https://" + u.Host
}

// hostShaped reports whether host is an IP address or a name of letters,
// digits and hyphens between dots, whose last part is no number: 8080
// alone is a port, not a host. A name is read as DNS reads it: one beyond
// ASCII (bücher.example) as its IDNA form (xn--bcher-kva.example), and a
// final dot (share.example.com.) as the root that every name ends in.
func hostShaped(host string) bool {
	if net.ParseIP(host) != nil {
		return true
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" || len(host) > 253 {
		return false
	}
	if !isASCII(host) {
		// A character that the lookup would drop or change into another
		// (a zero-width space, a full stop of another script) is no part
		// of a name typed as it is meant: the root given back would
		// carry it.
		ascii, err := idna.Lookup.ToASCII(host)
		if err != nil || !isASCII(ascii) {
			return false
		}
		if back, err := idna.Lookup.ToUnicode(ascii); err != nil || back != strings.ToLower(host) {
			return false
		}
		host = ascii
	}
	labels := strings.Split(host, ".")
	if _, err := strconv.ParseUint(labels[len(labels)-1], 10, 64); err == nil {
		return false
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

// isASCII reports whether s is ASCII alone.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// BaseError is a server's address that ParseBase refuses. URL is the
// address as given, a password in it hidden; Root, for an address with
// more than the server's root (a path, a query or a fragment), or with no
// scheme (127.0.0.1:8080), is the address to give instead.
type BaseError struct {
	URL  string
	Root string
	id   string // the message that says why
}

// Error says why in English.
func (e *BaseError) Error() string { return e.In(i18n.For("en")) }

// In says why in l's language.
func (e *BaseError) In(l *i18n.Localizer) string {
	return l.T(e.id, "URL", l.Quote(e.URL), "Root", e.Root)
}

// BaseURL is the server's address that c calls.
func (c *Client) BaseURL() string { return c.base }

// APIError is a request the server refused, from its problem document
// (RFC 9457), or from the status alone when the answer was not one.
type APIError struct {
	Status int    // the HTTP status
	Code   string // stable, for programs: link_gone, key_refused, ttl_out_of_range, ...
	Field  string // the input it concerns, such as ttl; empty for none
	Title  string
	Detail string // what went wrong, for a person
	// ID is what a problem names: with CodeAlreadyCreated, the link,
	// request or webhook endpoint that an earlier create with the same
	// IdempotencyKey made, or whose secret an earlier rotation with it
	// made.
	ID int64
	// RetryAfter is how long the Retry-After of a 429 or a 5xx answer
	// asks to wait (see retryAfter), as it asks: a caller that waits caps
	// it. It is zero without one, and for any other status.
	RetryAfter time.Duration
	// language is the client's, in which Error joins title and detail.
	language string
	// server is the address that answered, scheme and host.
	server string
	// problem says that the answer was a problem document (see
	// HasProblem).
	problem bool
	// ownSignIn says that the answer, a 401 or a 407 that is no problem
	// document, asks for a sign-in other than oncelink's key: a proxy's
	// or another server's password.
	ownSignIn bool
}

// Error is the problem's title and detail; only the detail when the
// problem concerns a field, which the caller knows better by its own name.
// An answer that is no problem document is said to be none of
// oncelink's: a 5xx or a 429, as a proxy in front of a server that is
// down or busy sends it, is to be tried again later, after the wait its
// Retry-After asks for, when it has one; any other, a web
// page's "not found" or "sign in", as another server or a path in front
// of oncelink's sends it, says to check the address, unless it asks for
// a sign-in of its own, which the command line cannot give.
func (e *APIError) Error() string {
	l := i18n.For(e.language)
	switch {
	case e.Detail != "" && e.Title != "" && e.Field == "":
		return l.T("cli.client.problem", "Title", e.Title, "Detail", e.Detail)
	case e.Detail != "":
		return e.Detail
	case e.server == "" || e.problem:
		return l.T("cli.client.status", "Status", e.Status)
	case e.ownSignIn:
		return l.T("cli.client.own_sign_in", "URL", e.server, "Status", e.Status)
	case (e.Status >= 500 || e.Status == http.StatusTooManyRequests) && e.RetryAfter > 0:
		return l.T("cli.client.unavailable_wait", "URL", e.server, "Status", e.Status, "Wait", l.Wait(e.RetryAfter))
	case e.Status >= 500 || e.Status == http.StatusTooManyRequests:
		return l.T("cli.client.unavailable", "URL", e.server, "Status", e.Status)
	}
	return l.T("cli.client.not_oncelink", "URL", e.server, "Status", e.Status)
}

// HasProblem reports whether the refusal came with a problem document,
// as oncelink's API sends every one with its code: without one, its
// status is a proxy's or another server's, not oncelink's word on a link
// or a key.
func (e *APIError) HasProblem() bool { return e.problem }

// OneLine is s with every run of white space, line breaks included, made
// one space, but for the no-break spaces, which break no line: French sets
// a narrow one before a colon and inside « », and a number keeps its unit
// with one.
func OneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) && r != '\u00a0' && r != '\u202f' && r != '\u2007'
	}), " ")
}

// IsStatus reports whether err is an *APIError with the HTTP status.
func IsStatus(err error, status int) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == status
}

// url is the API's address for path, which starts with /api/; a call
// that needs a server's address without one is an error.
func (c *Client) url(path string) (string, error) {
	if c.base == "" {
		return "", errors.New(c.t("cli.client.no_server"))
	}
	return c.base + path, nil
}

// do sends req, with the key when withKey, and returns the answer of a
// 2xx status; any other status is an *APIError.
func (c *Client) do(req *http.Request, withKey bool) (*http.Response, error) {
	req.Header.Set("User-Agent", UserAgent)
	if c.Language != "" {
		req.Header.Set("Accept-Language", c.Language)
	}
	if withKey && c.key != "" {
		if !validKey(c.key) {
			return nil, errors.New(c.t("cli.client.bad_key"))
		}
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(req, err)
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return res, nil
	}
	defer res.Body.Close()
	return nil, c.readProblem(res)
}

// validKey reports whether key can go in a header: a key pasted with a
// control character in it must not end up in an error about the header.
func validKey(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] <= ' ' || key[i] >= 0x7f {
			return false
		}
	}
	return true
}

// transportError says which server could not be reached, without the
// request's path, which may hold a link's token.
func (c *Client) transportError(req *http.Request, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		// Its words say the timeout already: the timeout's own, after
		// them, would say it twice.
		return &saidError{msg: c.t("cli.client.timeout", "Host", req.URL.Host), err: err, transport: true}
	}
	e := Caused(c.loc(), c.t("cli.client.unreachable", "Host", req.URL.Host), err).(*saidError)
	e.transport = true
	return e
}

// saidError is an error in the reader's words, and the error it stands
// for to errors.Is and errors.As.
type saidError struct {
	msg string
	err error
	// transport says that the request got no answer: the connection
	// failed, or timed out.
	transport bool
}

func (e *saidError) Error() string { return e.msg }
func (e *saidError) Unwrap() error { return e.err }

// Caused returns the error err, which caused what went wrong, said after
// what as l's language joins the two (French sets a no-break space before
// the colon). err keeps its own words, which are the system's.
func Caused(l *i18n.Localizer, what string, err error) error {
	return &saidError{msg: l.T("cli.error.caused", "What", what, "Cause", err.Error()), err: err}
}

// readProblem makes the *APIError of a refused request, or the
// *AnswerError of a redirect within the server, which is not oncelink's.
func (c *Client) readProblem(res *http.Response) error {
	e := &APIError{Status: res.StatusCode, language: c.Language, server: c.answering(res)}
	if res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter = retryAfter(res)
	}
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt == "application/problem+json" || mt == "application/json" {
		var p struct {
			Title, Detail, Code, Field string
			ID                         int64
		}
		if json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&p) == nil {
			// A person reads the title and detail as one line each, whatever
			// the server put in them.
			e.Title, e.Detail, e.Code, e.Field, e.ID = OneLine(p.Title), OneLine(p.Detail), p.Code, p.Field, p.ID
			e.problem = p.Code != ""
		}
	}
	if !e.problem && (res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusProxyAuthRequired) {
		e.ownSignIn = othersChallenge(res.Header.Values("WWW-Authenticate")) || othersChallenge(res.Header.Values("Proxy-Authenticate"))
	}
	if res.StatusCode >= 300 && res.StatusCode < 400 {
		e.Title = c.t("cli.client.redirected_title")
		e.Detail = c.t("cli.client.redirected")
		if loc, err := res.Location(); err == nil {
			here := res.Request.URL.Scheme + "://" + res.Request.URL.Host
			to := loc.Scheme + "://" + loc.Host
			if sameServer(to, here) {
				// oncelink's API redirects nothing: a redirect that stays
				// on the server, to a sign-in page of its own say, is
				// another program's answer, and the server's address is
				// no better an address to give.
				return &AnswerError{Status: res.StatusCode, err: errors.New(c.t("cli.client.not_oncelink", "URL", here, "Status", res.StatusCode))}
			}
			e.Detail = c.t("cli.client.redirected_to", "URL", to)
		}
	}
	return e
}

// retryAfter is how long res's Retry-After asks to wait (RFC 9110,
// section 10.2.3): its seconds, or the time until its HTTP date, reckoned
// from the answer's own Date when it has one, so that a clock here that is
// off does not count. It is zero without one, for one that cannot be read,
// and for a date that has passed.
func retryAfter(res *http.Response) time.Duration {
	v := strings.TrimSpace(res.Header.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Duration(min(max(s, 0), math.MaxInt64/int64(time.Second))) * time.Second
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	now := time.Now()
	if date, err := http.ParseTime(res.Header.Get("Date")); err == nil {
		now = date
	}
	return max(at.Sub(now), 0)
}

// othersChallenge reports whether challenges, a WWW-Authenticate's or a
// Proxy-Authenticate's values, ask for another sign-in than oncelink's
// API key, whose challenge is Bearer realm="oncelink": a proxy's or a
// server's in front of oncelink, asking for a password (Basic, Digest,
// Negotiate, ...).
func othersChallenge(challenges []string) bool {
	for _, c := range challenges {
		c = strings.TrimSpace(c)
		scheme, params, _ := strings.Cut(c, " ")
		if c != "" && (!strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(strings.TrimSpace(params), `realm="oncelink"`)) {
			return true
		}
	}
	return false
}

// getJSON GETs path with the key and decodes the answer into v.
func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	return c.sendJSON(ctx, http.MethodGet, path, nil, v)
}

// sendJSON sends body, as JSON unless nil, to path with the key and
// decodes the answer into v.
func (c *Client) sendJSON(ctx context.Context, method, path string, body, v any) error {
	res, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	return c.decode(res, v)
}

// send sends body, as JSON unless nil, to path with the key, and returns
// the answer of a 2xx status.
func (c *Client) send(ctx context.Context, method, path string, body any) (*http.Response, error) {
	return c.sendWith(ctx, method, path, body, nil)
}

// sendWith is send, with header's fields added to the request's.
func (c *Client) sendWith(ctx context.Context, method, path string, body any, header http.Header) (*http.Response, error) {
	u, err := c.url(path)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return c.do(req, true)
}

// AnswerError is an answer that oncelink's API does not give: one of a
// 2xx status that is not its JSON (a web page, or JSON of another shape),
// or a redirect to another page of the same server, as a server that is
// not oncelink's, or not at the root of its address, sends. It says so
// with the address, whatever the command.
type AnswerError struct {
	Status int // the HTTP status
	err    error
}

func (e *AnswerError) Error() string { return e.err.Error() }
func (e *AnswerError) Unwrap() error { return e.err }

// decode reads res's JSON body into v and closes it. A body that is not
// JSON is an *AnswerError.
func (c *Client) decode(res *http.Response, v any) error {
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		return c.notOncelink(res)
	}
	return nil
}

// notOncelink is the *AnswerError of res, an answer that is not
// oncelink's.
func (c *Client) notOncelink(res *http.Response) *AnswerError {
	return &AnswerError{Status: res.StatusCode, err: errors.New(c.t("cli.client.not_oncelink", "URL", c.answering(res), "Status", res.StatusCode))}
}

// answering is the address of the server that sent res: c's own, or, for
// a link of another server's opened without signing in, that server's.
func (c *Client) answering(res *http.Response) string {
	if res.Request == nil || res.Request.URL == nil {
		return c.base
	}
	return res.Request.URL.Scheme + "://" + res.Request.URL.Host
}

// Account is the account a key belongs to.
type Account struct {
	Username string `json:"username"`
	Admin    bool   `json:"admin"`
	// StorageUsed is what the account's links keep, in bytes, and
	// StorageLimit the most they may keep: the server's --account-storage.
	StorageUsed  int64 `json:"storage_used"`
	StorageLimit int64 `json:"storage_limit"`
	// MaxUpload is the largest file a link may share, in bytes: the
	// server's --max-upload; MaxE2EUpload the largest ciphertext of an
	// end-to-end file: its --max-e2e-upload. Zero from a server that does
	// not say.
	MaxUpload    int64 `json:"max_upload"`
	MaxE2EUpload int64 `json:"max_e2e_upload"`
}

// Me returns the key's account: GET /api/v1/me. An answer that is not an
// account, JSON without a username among others, is an *AnswerError.
func (c *Client) Me(ctx context.Context) (Account, error) {
	var a Account
	res, err := c.send(ctx, http.MethodGet, "/api/v1/me", nil)
	if err != nil {
		return a, err
	}
	if err := c.decode(res, &a); err != nil {
		return a, err
	}
	if a.Username == "" {
		return a, c.notOncelink(res)
	}
	return a, nil
}
