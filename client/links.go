package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Link is a link as the API shows it to its owner.
type Link struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"` // message, url or file
	Label       string     `json:"label"`
	Status      string     `json:"status"` // active, used, expired or revoked
	MaxUses     int        `json:"max_uses"`
	Uses        int        `json:"uses"`
	Views       int        `json:"views"`
	ExpiresAt   time.Time  `json:"expires_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UsedAt      *time.Time `json:"used_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
	ForUser     *string    `json:"for_user"`
	HasPassword bool       `json:"has_password"`
	E2E         bool       `json:"e2e"`
	// URL is the link's address, BASE/l/TOKEN: only CreateLink's answer
	// has it, the only time the server gives it.
	URL string `json:"url,omitempty"`
}

// NewLink is a link to create. Kind may be left out: a File makes a file
// link, a URL a url link, and anything else a message. Empty fields take
// the server's defaults (a TTL of 1d, one use).
type NewLink struct {
	Kind     string `json:"kind"`
	Message  string `json:"message,omitempty"`
	URL      string `json:"url,omitempty"`
	TTL      string `json:"ttl,omitempty"` // such as 90s, 15m, 2h or 7d
	MaxUses  int    `json:"max_uses,omitempty"`
	Password string `json:"password,omitempty"`
	ForUser  string `json:"for_user,omitempty"`
	Label    string `json:"label,omitempty"`
	// Notify asks for email notices of the link at the owner's notice
	// address.
	Notify bool `json:"notify,omitempty"`
	// File is the content of a file link, read as it is sent, and
	// FileName its name.
	File     io.Reader `json:"-"`
	FileName string    `json:"-"`
	// E2ECheck makes an end-to-end link, whose File is the ciphertext:
	// see CreateE2ELink, which sets it.
	E2ECheck string `json:"-"`
	// IdempotencyKey, when set, is sent as the create's Idempotency-Key
	// header: a fresh one for each link, such as crypto/rand.Text's. The
	// server makes one link of any creates with it, so that CreateLink
	// may send the create again when its answer was lost.
	IdempotencyKey string `json:"-"`
}

// CodeAlreadyCreated is the code of the refusal of a create whose
// IdempotencyKey made a link, a request or a webhook endpoint before, or
// of a rotation whose key made the endpoint's secret before: the
// *APIError's ID is its, whose address (or secret) was in the lost answer
// only.
const CodeAlreadyCreated = "already_created"

// CreateLink creates a link: POST /api/v1/links. The answer's URL is the
// only copy of the link's address. A file is streamed as multipart: memory
// holds a buffer of it, whatever its size.
//
// With an IdempotencyKey, a create whose answer was lost (the connection
// failed, or a proxy answered 502, 503 or 504) is sent once more, when
// what it sent can be sent again: a message or a web address, or a File
// that is an io.Seeker. If the first one made the link, the second is
// refused with an *APIError of code CodeAlreadyCreated and the link's ID.
func (c *Client) CreateLink(ctx context.Context, in NewLink) (Link, error) {
	if in.Kind == "" {
		switch {
		case in.File != nil:
			in.Kind = "file"
		case in.URL != "":
			in.Kind = "url"
		default:
			in.Kind = "message"
		}
	}
	// A file is read again from where it started, if it can be: a
	// regular file can, a pipe cannot.
	rewind, again := always, in.File == nil
	if s, ok := in.File.(io.Seeker); ok {
		if start, err := s.Seek(0, io.SeekCurrent); err == nil {
			again = true
			rewind = func() bool {
				_, err := s.Seek(start, io.SeekStart)
				return err == nil
			}
		}
	}
	again = again && in.IdempotencyKey != ""
	return sendAgain(ctx, again, rewind, func(settle bool) (Link, error) {
		return c.createLink(ctx, in, settle)
	})
}

// sendAgain sends a create with send, and, if again, once more when its
// answer was lost (see answerLost) and rewind makes ready to send it
// again: again only with an idempotency key, with which the server makes
// nothing twice. With settle, send returns once what it sent can be sent
// again.
//
// When a create may have been done (its answer was lost after it was
// sent) and the last one got no answer, or ctx ended while it was under
// way or in the pause before sending it again, the error is
// ErrOutcomeUnknown too.
func sendAgain[T any](ctx context.Context, again bool, rewind func() bool, send func(settle bool) (T, error)) (T, error) {
	v, err := send(again)
	if err != nil && ctx.Err() != nil {
		// Ended (Ctrl-C) while the create was under way: it may have
		// arrived, and been made.
		if sentMaybe(err) {
			err = &outcomeError{err}
		}
		return v, err
	}
	if !answerLost(err) {
		return v, err
	}
	maybe := sentMaybe(err)
	if again {
		select {
		case <-time.After(retryPause):
			if rewind() {
				v, err = send(false)
				maybe = maybe || answerLost(err) && sentMaybe(err)
			}
		case <-ctx.Done():
			// Ctrl-C in the pause.
			err = context.Cause(ctx)
		}
	}
	if maybe && err != nil && (answerLost(err) || ctx.Err() != nil) {
		return v, &outcomeError{err}
	}
	return v, err
}

// ErrOutcomeUnknown is what the error of a create is too when no answer
// to it came back (see answerLost): it may or may not have made what it
// sent, whose address or secret was in the lost answer only. The error
// still says why, as it did.
var ErrOutcomeUnknown = errors.New("the create's answer was lost: it may have been done")

// outcomeError is the error err of a create whose outcome is unknown,
// errors.Is ErrOutcomeUnknown as well.
type outcomeError struct{ err error }

func (e *outcomeError) Error() string        { return e.err.Error() }
func (e *outcomeError) Unwrap() error        { return e.err }
func (e *outcomeError) Is(target error) bool { return target == ErrOutcomeUnknown }

// sentMaybe reports whether err, an answer lost, may have come after the
// create was sent: not when the server could not be dialled, or was not
// trusted, before anything was sent, nor for oncelink's own refusal (a 503
// while its database is down), which made nothing.
func sentMaybe(err error) bool {
	var op *net.OpError
	var cert *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var ae *APIError
	return !(errors.As(err, &op) && op.Op == "dial" || errors.As(err, &cert) || errors.As(err, &unknownAuthority) ||
		errors.As(err, &hostname) || errors.As(err, &ae) && ae.HasProblem())
}

// retryPause is how long a create waits before it is sent again after its
// answer was lost: long enough for a proxy to find the server again.
var retryPause = time.Second

// idempotent is the header that carries key, none for no key.
func idempotent(key string) http.Header {
	if key == "" {
		return nil
	}
	return http.Header{"Idempotency-Key": {key}}
}

// always is a rewind for a create whose body is in memory.
func always() bool { return true }

// answerLost reports whether err leaves it unknown whether the request
// was done: the connection failed before an answer came, or a proxy
// answered that the server it forwards to did not.
func answerLost(err error) bool {
	var se *saidError
	if errors.As(err, &se) && se.transport {
		return true
	}
	var ae *APIError
	return errors.As(err, &ae) && (ae.Status == http.StatusBadGateway || ae.Status == http.StatusServiceUnavailable ||
		ae.Status == http.StatusGatewayTimeout)
}

// createLink sends in once. With settle, a create that fails returns
// once the writer of its file has stopped reading it, so that the file
// may be read again.
func (c *Client) createLink(ctx context.Context, in NewLink, settle bool) (Link, error) {
	var l Link
	header := idempotent(in.IdempotencyKey)
	if in.File == nil {
		res, err := c.sendWith(ctx, http.MethodPost, "/api/v1/links", in, header)
		if err != nil {
			return l, err
		}
		return l, c.decode(res, &l)
	}
	u, err := c.url("/api/v1/links")
	if err != nil {
		return l, err
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, pr)
	if err != nil {
		return l, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range header {
		req.Header[k] = v
	}
	written := make(chan error, 1)
	go func() {
		err := c.writeForm(mw, in)
		written <- err // before the transport can hear of it
		pw.CloseWithError(err)
	}()
	res, err := c.do(req, true)
	// Ends the writer, should the server have answered before reading
	// the whole body.
	pr.Close()
	if err != nil {
		// A file that could not be read is the error, not the upload
		// that it broke off.
		var werr error
		if settle {
			werr = <-written
		} else {
			select {
			case werr = <-written:
			default:
			}
		}
		if werr != nil && !errors.Is(werr, io.ErrClosedPipe) {
			return l, werr
		}
		return l, err
	}
	return l, c.decode(res, &l)
}

// writeForm writes in as a create form, the fields before the file so
// that the server knows the kind when the file arrives.
func (c *Client) writeForm(mw *multipart.Writer, in NewLink) error {
	fields := [][2]string{{"kind", in.Kind}, {"message", in.Message}, {"url", in.URL}, {"ttl", in.TTL},
		{"password", in.Password}, {"for_user", in.ForUser}, {"label", in.Label}}
	if in.MaxUses != 0 {
		fields = append(fields, [2]string{"max_uses", strconv.Itoa(in.MaxUses)})
	}
	if in.Notify {
		fields = append(fields, [2]string{"notify", "true"})
	}
	if in.E2ECheck != "" {
		// Before the file, which they describe.
		fields = append(fields, [2]string{"e2e", "1"}, [2]string{"e2e_check", in.E2ECheck})
	}
	for _, f := range fields {
		if f[1] == "" {
			continue
		}
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return err
		}
	}
	name := in.FileName
	if name == "" {
		name = "file"
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+formFileName(name)+`"`)
	h.Set("Content-Type", "application/octet-stream")
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, in.File); err != nil {
		return Caused(c.loc(), c.t("cli.client.read_file", "Name", name), err)
	}
	return mw.Close()
}

// formFileName is name as a form's file part carries it, in its quoted
// filename, as browsers write it: a quote as %22, which the server reads
// back, a backslash escaped, and no control characters, which would end
// the header's line (a line break) or mean nothing in a name.
func formFileName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '"':
			b.WriteString("%22")
		case r == '\\':
			b.WriteString(`\\`)
		case unicode.IsControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// LinkQuery picks links to list; the zero value is the newest page of all.
type LinkQuery struct {
	Status string // active, used, expired or revoked; empty for all
	Query  string // only links whose label has this
	Cursor string // a page's NextCursor, for the page after it
	Limit  int    // links on a page, 1 to 100; zero for the server's default
}

// LinkPage is a page of links, newest first.
type LinkPage struct {
	Links []Link `json:"links"`
	// NextCursor is the cursor of the next page; empty on the last.
	NextCursor string `json:"next_cursor"`
}

// Links lists the key owner's links, a page at a time: GET /api/v1/links.
func (c *Client) Links(ctx context.Context, q LinkQuery) (LinkPage, error) {
	path := listPath("/api/v1/links", q.Limit, "status", q.Status, "q", q.Query, "cursor", q.Cursor)
	var p struct {
		Links      []Link  `json:"links"`
		NextCursor *string `json:"next_cursor"`
	}
	if err := c.getJSON(ctx, path, &p); err != nil {
		return LinkPage{}, err
	}
	page := LinkPage{Links: p.Links}
	if p.NextCursor != nil {
		page.NextCursor = *p.NextCursor
	}
	return page, nil
}

// listPath is a list's path with its query: the pairs of names and values
// given that are not empty, and limit unless it is zero.
func listPath(path string, limit int, pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			v.Set(pairs[i], pairs[i+1])
		}
	}
	if limit != 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// Link returns one of the key owner's links: GET /api/v1/links/{id}.
func (c *Client) Link(ctx context.Context, id int64) (Link, error) {
	var l Link
	err := c.getJSON(ctx, "/api/v1/links/"+strconv.FormatInt(id, 10), &l)
	return l, err
}

// Event is an entry of a link's audit trail.
type Event struct {
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"` // view, open, wrong_password, gone or revoke
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
}

// LinkEvents returns a link's audit trail, oldest first:
// GET /api/v1/links/{id}/events.
func (c *Client) LinkEvents(ctx context.Context, id int64) ([]Event, error) {
	var out struct {
		Events []Event `json:"events"`
	}
	err := c.getJSON(ctx, "/api/v1/links/"+strconv.FormatInt(id, 10)+"/events", &out)
	return out.Events, err
}

// Revoke revokes one of the key owner's links and returns it; revoking a
// revoked link changes nothing: POST /api/v1/links/{id}/revoke.
func (c *Client) Revoke(ctx context.Context, id int64) (Link, error) {
	var l Link
	err := c.sendJSON(ctx, http.MethodPost, "/api/v1/links/"+strconv.FormatInt(id, 10)+"/revoke", nil, &l)
	return l, err
}
