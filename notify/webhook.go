package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"oncelink/core"
)

// Limits of a webhook's request.
const (
	webhookTimeout = 15 * time.Second
	// maxResponse is how much of an endpoint's answer is read: its status
	// is what counts, and reading a little lets the connection be reused.
	maxResponse = 64 << 10
	// maxResponseHeaders bounds an answer's headers as maxResponse does
	// its body: net/http would otherwise read 10 MiB of them, for each of
	// the senders at work, from any endpoint an account names.
	maxResponseHeaders = 64 << 10
)

// Sign returns the webhook-signature header of a message: "v1," and the
// base64 HMAC-SHA256, under secret, of id.timestamp.body (Standard
// Webhooks).
func Sign(secret []byte, id string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Signatures returns the webhook-signature header of a message signed
// with each of secrets, the signatures separated by spaces: while a
// rotated endpoint's previous secret still signs, a receiver holding
// either secret finds one that matches.
func Signatures(secrets [][]byte, id string, timestamp int64, body []byte) string {
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		sigs[i] = Sign(s, id, timestamp, body)
	}
	return strings.Join(sigs, " ")
}

// MessageID is the webhook-id of delivery id to the endpoint with secret:
// the same at every attempt, and not guessable from the delivery's number.
func MessageID(secret []byte, delivery int64) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("oncelink webhook-id\x00"))
	binary.Write(m, binary.BigEndian, delivery)
	return "msg_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(m.Sum(nil)[:16]))
}

// ErrPrivateDial is a connection refused because the address it was about
// to reach is not public.
var ErrPrivateDial = errors.New("refused to connect to a private, loopback or link-local address")

// NewHTTPClient returns the client that delivers webhooks: it follows no
// redirect, uses no proxy, reads at most maxResponseHeaders of an answer's
// headers, gives up after webhookTimeout and, unless allowPrivate, checks
// the address each connection actually dials, after name resolution, so
// that a name that resolves elsewhere than when it was registered reaches
// no private address either.
func NewHTTPClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrPrivateDial, address)
			}
			if !core.PublicAddress(ap.Addr()) {
				return fmt.Errorf("%w: %s", ErrPrivateDial, ap.Addr())
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: webhookTimeout,
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            d.DialContext,
			TLSHandshakeTimeout:    5 * time.Second,
			MaxResponseHeaderBytes: maxResponseHeaders,
			MaxIdleConnsPerHost:    2,
			IdleConnTimeout:        30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// maxLocation is how much of a redirect's Location an attempt keeps.
const maxLocation = 300

// answer is how an endpoint answered a message: its status, where a
// redirect, which is not followed, leads, and its Retry-After.
type answer struct {
	Code       int
	Location   string
	RetryAfter string
}

// post sends body to url, signed with each of secrets, and returns the
// endpoint's answer.
func post(ctx context.Context, c *http.Client, url string, secrets [][]byte, id string, at time.Time, body []byte) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		return answer{}, err
	}
	ts := at.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "oncelink-webhooks")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", Signatures(secrets, id, ts, body))
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	a := answer{Code: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After")}
	if redirect(resp.StatusCode) {
		a.Location = strings.ToValidUTF8(resp.Header.Get("Location"), "")
		if len(a.Location) > maxLocation {
			a.Location = strings.ToValidUTF8(a.Location[:maxLocation], "") + "…"
		}
	}
	return a, nil
}

// retryAfter is the wait a Retry-After header of value asks for, read at
// now: a number of seconds or an HTTP date, at most GiveUpAfter (a longer
// one is read as GiveUpAfter, and past reports it), and zero when value is
// neither.
func retryAfter(value string, now time.Time) (wait time.Duration, past bool) {
	value = strings.TrimSpace(value)
	if value != "" && strings.Trim(value, "0123456789") == "" {
		if len(value) > 9 { // more than 31 years, which would overflow
			return GiveUpAfter, true
		}
		n, _ := strconv.Atoi(value)
		wait = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(value); err == nil {
		wait = max(t.Sub(now), 0)
	}
	return min(wait, GiveUpAfter), wait > GiveUpAfter
}

// redirect reports whether code sends a client to its Location: a 304 Not
// Modified, or a 300 without one, leads nowhere.
func redirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}
