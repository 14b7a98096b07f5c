// Package proxytest gives oncelink's tests what stands between a client
// and a server: a proxy in front of a server, as nginx or a load balancer
// is, that loses the answer to the first create through it (Lossy), what
// a client that sends creates again must get right; and a bare TCP
// listener (Raw) for a server or proxy that speaks TCP its own way. A
// rotation of a webhook endpoint's secret, which makes a secret shown
// once, counts as a create.
package proxytest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// How a Lossy proxy loses the answer to the first create that passes it.
const (
	DropAfter    = "the connection drops after the create was forwarded"
	BadGateway   = "502 after the create was forwarded"
	Unreachable  = "502 without forwarding the create"
	GatewayTimed = "504 after the create was forwarded"
	// HeldBack holds the answer back after the create was forwarded,
	// until the client goes.
	HeldBack = "no answer after the create was forwarded"
	// BadGatewayEvery answers 502 to every create, the first and any
	// sent again, after forwarding each.
	BadGatewayEvery = "502 after every create was forwarded"
)

// Lossy is a proxy to a server that loses the answer to the first create
// (POST /api/v1/links, /api/v1/requests, /api/v1/webhooks or
// /api/v1/webhooks/{id}/rotate) through it as its How says
// (BadGatewayEvery: to every create), and forwards everything else as it
// is.
type Lossy struct {
	*httptest.Server
	mu   sync.Mutex
	keys []string // the creates' Idempotency-Key headers, in order
}

// creates are the paths that a POST creates something at.
var creates = map[string]bool{"/api/v1/links": true, "/api/v1/requests": true, "/api/v1/webhooks": true}

// creating reports whether a POST to path creates something: at one of
// creates, or an endpoint's new secret.
func creating(path string) bool {
	return creates[path] || strings.HasPrefix(path, "/api/v1/webhooks/") && strings.HasSuffix(path, "/rotate")
}

// New starts a Lossy proxy to the server at backend, closed when t ends.
func New(t *testing.T, backend, how string) *Lossy {
	p := &Lossy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		first := false
		if r.Method == http.MethodPost && creating(r.URL.Path) {
			p.mu.Lock()
			p.keys = append(p.keys, r.Header.Get("Idempotency-Key"))
			first = len(p.keys) == 1
			p.mu.Unlock()
		}
		if first && how == Unreachable {
			http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, backend+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		answer, _ := io.ReadAll(res.Body)
		if how == BadGatewayEvery && r.Method == http.MethodPost && creates[r.URL.Path] {
			http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
			return
		}
		if first {
			switch how {
			case DropAfter:
				conn, _, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Error(err)
					return
				}
				conn.Close()
				return
			case BadGateway:
				http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
				return
			case GatewayTimed:
				http.Error(w, "<html>504 Gateway Time-out</html>", http.StatusGatewayTimeout)
				return
			case HeldBack:
				<-r.Context().Done()
				return
			}
		}
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		w.Write(answer)
	}))
	t.Cleanup(p.Close)
	return p
}

// Keys are the Idempotency-Key headers of the creates that reached the
// proxy, one for each, in order.
func (p *Lossy) Keys() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.keys...)
}

// Creates is how many creates reached the proxy.
func (p *Lossy) Creates() int { return len(p.Keys()) }
