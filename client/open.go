package client

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"oncelink/e2e"
)

// Errors of Open's address.
var (
	// ErrNotLink is an address that is neither a link's, BASE/l/TOKEN,
	// nor a request's, BASE/r/TOKEN.
	ErrNotLink = errors.New("that is not the address of an oncelink link or request, which ends in /l/ or /r/ and a token")
	// ErrRequestOwner is a request's address opened without a key of its
	// server: only the request's owner may open what was sent to it.
	ErrRequestOwner = errors.New("only the request's owner can open what was sent to it: sign in to its server first, with oncelink login")
	// ErrRequestPassword is a password given with a request's address.
	ErrRequestPassword = errors.New("what was sent to a request takes no password")
)

// Opened is what a link delivered: a message, a web address, or a file to
// read from Body.
type Opened struct {
	Kind    string // message, url or file, also of an end-to-end link
	Message string // a message link's text
	URL     string // a url link's address, not followed
	// EndToEnd is set for an end-to-end link's content, decrypted here:
	// the server never read it, so never checked it.
	EndToEnd bool
	// A file link's name, type and size (-1 when the server did not say),
	// and its bytes in Body, which the caller must close.
	Name string
	Type string
	Size int64
	Body io.ReadCloser
}

// Open takes one use of a link and returns what it delivers:
// POST /api/v1/open/{token}. link is the link's address, BASE/l/TOKEN, or
// its token alone for a link of c's server. No key is needed, and none is
// sent at first (see postOpen): c's key goes only to its own server, once
// that says the link is meant for one account, where the key names the
// recipient. password is the link's, or empty. An end-to-end
// link's address carries its key after "#": the content is decrypted here,
// a file as it is read (see ErrDecrypt); the key never goes to the server.
//
// A request's address, BASE/r/TOKEN, opens what was sent to it, for its
// owner: c must hold a key of the request's server and account.
func (c *Client) Open(ctx context.Context, link, password string) (*Opened, error) {
	base, kind, tok, fragment, err := c.splitLink(link)
	switch {
	case err != nil:
		return nil, err
	case kind == "r":
		return c.openRequest(ctx, base, tok, password)
	case fragment != "":
		secret, err := e2e.ParseSecret(fragment)
		if err != nil {
			return nil, err
		}
		return c.openE2E(ctx, base, tok, secret, password)
	}
	body := map[string]string{}
	if password != "" {
		body["password"] = password
	}
	res, err := c.postOpen(ctx, base, tok, body)
	if err != nil {
		return nil, err
	}
	return c.opened(res)
}

// openRequest opens what was sent to the request with token tok on server
// base, for its owner: POST /api/v1/requests/open. It takes the one use of
// the link that filling the request made.
func (c *Client) openRequest(ctx context.Context, base, tok, password string) (*Opened, error) {
	switch {
	case password != "":
		return nil, ErrRequestPassword
	case !c.keyGoesTo(base):
		// The key goes to its own server only.
		return nil, ErrRequestOwner
	}
	b, err := json.Marshal(map[string]string{"token": tok})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/requests/open", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.doOpen(req, true)
	if err != nil {
		return nil, err
	}
	return c.opened(res)
}

// doOpen sends an open. What it delivers may be a file that takes long to
// arrive, so its body is given up only once the server sends nothing for
// BodyIdle while it is read.
func (c *Client) doOpen(req *http.Request, withKey bool) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	res, err := c.do(req.WithContext(ctx), withKey)
	if err != nil {
		cancel()
		return nil, err
	}
	idle := cmp.Or(c.BodyIdle, time.Minute)
	res.Body = &idleBody{ReadCloser: res.Body, idle: idle, cancel: cancel,
		stalled: errors.New(c.t("cli.client.stalled", "Host", req.URL.Host))}
	return res, nil
}

// idleBody is a body whose every read fails with stalled, its request
// cancelled, once it has waited idle for a byte. Only the waiting in Read
// counts: a reader that is slow to read again is not the server's fault.
type idleBody struct {
	io.ReadCloser
	idle    time.Duration
	cancel  context.CancelFunc
	stalled error
	gaveUp  atomic.Bool
}

func (b *idleBody) Read(p []byte) (int, error) {
	t := time.AfterFunc(b.idle, func() {
		b.gaveUp.Store(true)
		b.cancel()
	})
	n, err := b.ReadCloser.Read(p)
	t.Stop()
	if b.gaveUp.Load() {
		return n, b.stalled
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.cancel()
	return b.ReadCloser.Close()
}

// opened reads the answer of an open: a file to read from its body, or a
// message or web address.
func (c *Client) opened(res *http.Response) (*Opened, error) {
	if res.Header.Get("Oncelink-Kind") == "file" {
		o := &Opened{Kind: "file", Type: res.Header.Get("Content-Type"), Size: res.ContentLength, Body: res.Body}
		if _, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition")); err == nil {
			o.Name = params["filename"]
		}
		return o, nil
	}
	o := &Opened{}
	if err := c.decode(res, o); err != nil {
		return nil, err
	}
	return o, nil
}

// postOpen posts an open of link tok on server base, with body as JSON
// unless it is empty. It is sent without c's key: most links need no
// account, and a key would make the open wait on the key's own standing,
// refused or over its account's limit of requests, where the link needs
// none of it. Only when the server answers that the link is meant for one
// account (403, code wrong_user, which took no use and spent no password
// try) is the open sent again with the key, to c's own server alone.
func (c *Client) postOpen(ctx context.Context, base, tok string, body map[string]string) (*http.Response, error) {
	res, err := c.postOpenOnce(ctx, base, tok, body, false)
	var e *APIError
	if errors.As(err, &e) && e.problem && e.Code == CodeWrongUser && c.keyGoesTo(base) {
		return c.postOpenOnce(ctx, base, tok, body, true)
	}
	return res, err
}

// CodeWrongUser is the code of the API's refusal of a link meant for
// another account than the open's key names, or for one when no key was
// sent. Open sends the key again after it only where Route says the key
// may go: there, the refusal is the key's account's; elsewhere, the open
// went signed out.
const CodeWrongUser = "wrong_user"

// keyGoesTo reports whether c's key may be sent to server base: c holds
// one, and base is c's own server.
func (c *Client) keyGoesTo(base string) bool {
	return c.key != "" && sameServer(base, c.base)
}

// Route says how Open goes about link: request, for a request's address,
// and keyMayGo when c's key may be sent to its server, c's own, the only
// one the key goes to. Whether it is sent is Open's to find: always for a
// request, and for a link only once the server says it is meant for one
// account (CodeWrongUser). So a link refused with CodeWrongUser was opened
// with the key when keyMayGo, and signed out when not. An address that
// Open refuses is neither.
func (c *Client) Route(link string) (request, keyMayGo bool) {
	base, kind, _, _, err := c.splitLink(link)
	if err != nil {
		return false, false
	}
	return kind == "r", c.keyGoesTo(base)
}

// postOpenOnce posts an open of link tok on server base, with body as JSON
// unless it is empty, and c's key when withKey.
func (c *Client) postOpenOnce(ctx context.Context, base, tok string, body map[string]string, withKey bool) (*http.Response, error) {
	var r io.Reader
	if len(body) > 0 {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/open/"+tok, r)
	if err != nil {
		return nil, err
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.doOpen(req, withKey)
}

// splitLink finds the server, the kind ("l" for a link, "r" for a
// request), the token and the fragment (an end-to-end link's key) of link.
func (c *Client) splitLink(link string) (base, kind, tok, fragment string, err error) {
	link = strings.TrimSpace(link)
	if !strings.Contains(link, "/") {
		// A link's token alone, with an end-to-end link's key after "#"
		// or without.
		tok, fragment, _ := strings.Cut(link, "#")
		if tok == "" || c.base == "" {
			return "", "", "", "", ErrNotLink
		}
		return c.base, "l", tok, fragment, nil
	}
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", "", "", ErrNotLink
	}
	prefix, tok := path.Split(strings.TrimSuffix(u.EscapedPath(), "/"))
	dir, kind := path.Split(strings.TrimSuffix(prefix, "/"))
	// A query is left out, as the server does on the web: mail and chat
	// append theirs (?utm_source=...) to the addresses they carry.
	if tok == "" || (kind != "l" && kind != "r") || (kind == "r" && u.Fragment != "") {
		return "", "", "", "", ErrNotLink
	}
	fragment = u.Fragment
	u.Path, u.RawPath, u.RawQuery, u.Fragment, u.RawFragment = strings.TrimSuffix(dir, "/"), "", "", "", ""
	u.User = nil
	return u.String(), kind, tok, fragment, nil
}

// sameServer reports whether a and b are the same server's address.
func sameServer(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && b != "" &&
		strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) &&
		strings.TrimSuffix(ua.Path, "/") == strings.TrimSuffix(ub.Path, "/")
}
