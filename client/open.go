package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// ErrNotLink is an address that is not a link's, BASE/l/TOKEN.
var ErrNotLink = errors.New("that is not the address of an oncelink link, which ends in /l/ and a token")

// ErrEndToEnd is a link encrypted end to end, whose key is the part of its
// address after "#". Open refuses it before taking a use.
var ErrEndToEnd = errors.New("this link is encrypted end to end, which this command cannot decrypt yet: open it in a browser (it has not been used)")

// Opened is what a link delivered: a message, a web address, or a file to
// read from Body.
type Opened struct {
	Kind    string // message, url or file
	Message string // a message link's text
	URL     string // a url link's address, not followed
	// A file link's name, type and size (-1 when the server did not say),
	// and its bytes in Body, which the caller must close.
	Name string
	Type string
	Size int64
	Body io.ReadCloser
}

// Open takes one use of a link and returns what it delivers:
// POST /api/v1/open/{token}. link is the link's address, BASE/l/TOKEN, or
// its token alone for a link of c's server. No key is needed; c's key is
// sent only to its own server, where it names the recipient of a link
// meant for one account. password is the link's, or empty.
func (c *Client) Open(ctx context.Context, link, password string) (*Opened, error) {
	base, tok, err := c.splitLink(link)
	if err != nil {
		return nil, err
	}
	var body io.Reader
	if password != "" {
		b, err := json.Marshal(map[string]string{"password": password})
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/open/"+tok, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.do(req, sameServer(base, c.base))
	if err != nil {
		return nil, err
	}
	if res.Header.Get("Oncelink-Kind") == "file" {
		o := &Opened{Kind: "file", Type: res.Header.Get("Content-Type"), Size: res.ContentLength, Body: res.Body}
		if _, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition")); err == nil {
			o.Name = params["filename"]
		}
		return o, nil
	}
	o := &Opened{}
	if err := decode(res, o); err != nil {
		return nil, err
	}
	return o, nil
}

// splitLink finds the server and the token of link.
func (c *Client) splitLink(link string) (base, tok string, err error) {
	link = strings.TrimSpace(link)
	if !strings.Contains(link, "/") {
		if link == "" || c.base == "" {
			return "", "", ErrNotLink
		}
		return c.base, link, nil
	}
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", ErrNotLink
	}
	if u.Fragment != "" {
		return "", "", ErrEndToEnd
	}
	prefix, tok := path.Split(strings.TrimSuffix(u.EscapedPath(), "/"))
	if tok == "" || !strings.HasSuffix(prefix, "/l/") || u.RawQuery != "" {
		return "", "", ErrNotLink
	}
	u.Path, u.RawPath = strings.TrimSuffix(prefix, "/l/"), ""
	u.User = nil
	return u.String(), tok, nil
}

// sameServer reports whether a and b are the same server's address.
func sameServer(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && b != "" &&
		strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) &&
		strings.TrimSuffix(ua.Path, "/") == strings.TrimSuffix(ub.Path, "/")
}
