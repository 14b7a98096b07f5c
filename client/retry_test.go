package client_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"oncelink/client"
)

// How a proxy in front of oncelink loses the answer to the first create
// that passes it.
const (
	dropAfter    = "the connection drops after the create was forwarded"
	badGateway   = "502 after the create was forwarded"
	unreachable  = "502 without forwarding the create"
	gatewayTimed = "504 after the create was forwarded"
)

// lossyProxy is a proxy to the server at backend, as nginx or a load
// balancer is, that loses the answer to the first create through it as
// how says; everything else it forwards as it is. creates counts the
// creates that reached it, and keys holds their Idempotency-Key headers.
type lossyProxy struct {
	*httptest.Server
	mu      sync.Mutex
	creates int
	keys    []string
}

func newLossyProxy(t *testing.T, backend, how string) *lossyProxy {
	p := &lossyProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		p.mu.Lock()
		create := r.Method == http.MethodPost && r.URL.Path == "/api/v1/links"
		first := false
		if create {
			p.creates++
			first = p.creates == 1
			p.keys = append(p.keys, r.Header.Get("Idempotency-Key"))
		}
		p.mu.Unlock()
		if first && how == unreachable {
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
		if first {
			switch how {
			case dropAfter:
				conn, _, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Error(err)
					return
				}
				conn.Close()
				return
			case badGateway:
				http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
				return
			case gatewayTimed:
				http.Error(w, "<html>504 Gateway Time-out</html>", http.StatusGatewayTimeout)
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

// links are the server's links, as its owner lists them.
func links(t *testing.T, c *client.Client) []client.Link {
	t.Helper()
	page, err := c.Links(t.Context(), client.LinkQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return page.Links
}

// TestCreateSentAgainMakesOneLink: a create whose answer a proxy lost after
// it reached oncelink is sent once more with the same key, and makes no
// second link: the second answer names the link the first made.
func TestCreateSentAgainMakesOneLink(t *testing.T) {
	for _, how := range []string{dropAfter, badGateway, gatewayTimed} {
		t.Run(how, func(t *testing.T) {
			s := newTestServer(t)
			proxy := newLossyProxy(t, s.URL, how)
			c := newClient(t, proxy.URL, s.key)
			_, err := c.CreateLink(t.Context(), client.NewLink{Message: "the door code", IdempotencyKey: "share-1"})
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) || apiErr.Code != client.CodeAlreadyCreated || apiErr.Status != http.StatusConflict {
				t.Fatalf("create: %v, want the refusal %s", err, client.CodeAlreadyCreated)
			}
			made := links(t, newClient(t, s.URL, s.key))
			if len(made) != 1 || apiErr.ID != made[0].ID {
				t.Fatalf("links %+v; the refusal names %d", made, apiErr.ID)
			}
			if proxy.creates != 2 || proxy.keys[0] != "share-1" || proxy.keys[1] != "share-1" {
				t.Fatalf("creates through the proxy: %d with keys %q, want 2 with share-1", proxy.creates, proxy.keys)
			}
		})
	}
}

// TestCreateSentAgainWhenItNeverArrived: when the first create did not
// reach oncelink, the second makes the link, and gives its address.
func TestCreateSentAgainWhenItNeverArrived(t *testing.T) {
	s := newTestServer(t)
	proxy := newLossyProxy(t, s.URL, unreachable)
	c := newClient(t, proxy.URL, s.key)
	l, err := c.CreateLink(t.Context(), client.NewLink{Message: "the door code", IdempotencyKey: "share-1"})
	if err != nil || !strings.HasPrefix(l.URL, s.URL+"/l/") {
		t.Fatalf("create: %+v %v", l, err)
	}
	if made := links(t, c); len(made) != 1 || made[0].ID != l.ID || proxy.creates != 2 {
		t.Fatalf("links %+v after %d creates", made, proxy.creates)
	}
}

// TestFileSentAgain: a file on disk is read again from its start for the
// second create; one from a pipe cannot be, and is not sent twice.
func TestFileSentAgain(t *testing.T) {
	s := newTestServer(t)
	proxy := newLossyProxy(t, s.URL, unreachable)
	c := newClient(t, proxy.URL, s.key)
	path := filepath.Join(t.TempDir(), "report.txt")
	if err := os.WriteFile(path, []byte("the whole report"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := c.CreateLink(t.Context(), client.NewLink{File: f, FileName: "report.txt", IdempotencyKey: "file-1"})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	o, err := newClient(t, "", "").Open(t.Context(), l.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(o.Body)
	o.Body.Close()
	if string(got) != "the whole report" {
		t.Fatalf("the file sent again: %q", got)
	}

	piped := newLossyProxy(t, s.URL, unreachable)
	pc := newClient(t, piped.URL, s.key)
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte("streamed"))
		pw.Close()
	}()
	if _, err := pc.CreateLink(t.Context(), client.NewLink{File: pr, FileName: "s.txt", IdempotencyKey: "file-2"}); !client.IsStatus(err, http.StatusBadGateway) || piped.creates != 1 {
		t.Fatalf("a piped file: %v after %d creates, want the 502 after one", err, piped.creates)
	}
}

// TestCreateWithoutAKeyIsSentOnce: without an Idempotency-Key, a create
// whose answer was lost is not sent again, as it might make a second link.
func TestCreateWithoutAKeyIsSentOnce(t *testing.T) {
	s := newTestServer(t)
	proxy := newLossyProxy(t, s.URL, badGateway)
	c := newClient(t, proxy.URL, s.key)
	if _, err := c.CreateLink(t.Context(), client.NewLink{Message: "x"}); !client.IsStatus(err, http.StatusBadGateway) || proxy.creates != 1 {
		t.Fatalf("create: %v after %d creates, want the 502 after one", err, proxy.creates)
	}
}
