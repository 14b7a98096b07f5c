package client_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"oncelink/client"
	"oncelink/internal/proxytest"
)

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
	for _, how := range []string{proxytest.DropAfter, proxytest.BadGateway, proxytest.GatewayTimed} {
		t.Run(how, func(t *testing.T) {
			s := newTestServer(t)
			proxy := proxytest.New(t, s.URL, how)
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
			if proxy.Creates() != 2 || proxy.Keys()[0] != "share-1" || proxy.Keys()[1] != "share-1" {
				t.Fatalf("creates through the proxy: %d with keys %q, want 2 with share-1", proxy.Creates(), proxy.Keys())
			}
		})
	}
}

// TestCreateSentAgainWhenItNeverArrived: when the first create did not
// reach oncelink, the second makes the link, and gives its address.
func TestCreateSentAgainWhenItNeverArrived(t *testing.T) {
	s := newTestServer(t)
	proxy := proxytest.New(t, s.URL, proxytest.Unreachable)
	c := newClient(t, proxy.URL, s.key)
	l, err := c.CreateLink(t.Context(), client.NewLink{Message: "the door code", IdempotencyKey: "share-1"})
	if err != nil || !strings.HasPrefix(l.URL, s.URL+"/l/") {
		t.Fatalf("create: %+v %v", l, err)
	}
	if made := links(t, c); len(made) != 1 || made[0].ID != l.ID || proxy.Creates() != 2 {
		t.Fatalf("links %+v after %d creates", made, proxy.Creates())
	}
}

// TestFileSentAgain: a file on disk is read again from its start for the
// second create; one from a pipe cannot be, and is not sent twice.
func TestFileSentAgain(t *testing.T) {
	s := newTestServer(t)
	proxy := proxytest.New(t, s.URL, proxytest.Unreachable)
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

	piped := proxytest.New(t, s.URL, proxytest.Unreachable)
	pc := newClient(t, piped.URL, s.key)
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte("streamed"))
		pw.Close()
	}()
	if _, err := pc.CreateLink(t.Context(), client.NewLink{File: pr, FileName: "s.txt", IdempotencyKey: "file-2"}); !client.IsStatus(err, http.StatusBadGateway) || !errors.Is(err, client.ErrOutcomeUnknown) || piped.Creates() != 1 {
		t.Fatalf("a piped file: %v after %d creates, want the 502 after one", err, piped.Creates())
	}
}

// TestCreateWithoutAKeyIsSentOnce: without an Idempotency-Key, a create
// whose answer was lost is not sent again, as it might make a second link.
func TestCreateWithoutAKeyIsSentOnce(t *testing.T) {
	s := newTestServer(t)
	proxy := proxytest.New(t, s.URL, proxytest.BadGateway)
	c := newClient(t, proxy.URL, s.key)
	if _, err := c.CreateLink(t.Context(), client.NewLink{Message: "x"}); !client.IsStatus(err, http.StatusBadGateway) || !errors.Is(err, client.ErrOutcomeUnknown) || proxy.Creates() != 1 {
		t.Fatalf("create: %v after %d creates, want the 502 after one", err, proxy.Creates())
	}
}

// keyedCreates are the creates of a request and of a webhook endpoint,
// each with key, and how to count what the server has of them.
var keyedCreates = []struct {
	what   string
	create func(t *testing.T, c *client.Client, key string) (int64, error)
	count  func(t *testing.T, c *client.Client) []int64
}{
	{
		"request",
		func(t *testing.T, c *client.Client, key string) (int64, error) {
			r, err := c.CreateRequest(t.Context(), client.NewRequest{Label: "vpn", IdempotencyKey: key})
			if err == nil && r.URL == "" {
				t.Errorf("a request made without its URL: %+v", r)
			}
			return r.ID, err
		},
		func(t *testing.T, c *client.Client) []int64 {
			page, err := c.Requests(t.Context(), client.RequestQuery{})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, r := range page.Requests {
				ids = append(ids, r.ID)
			}
			return ids
		},
	},
	{
		"webhook",
		func(t *testing.T, c *client.Client, key string) (int64, error) {
			w, err := c.CreateWebhook(t.Context(), client.NewWebhook{URL: "http://127.0.0.1:9/in", Events: []string{"link.opened"}, IdempotencyKey: key})
			if err == nil && w.Secret == "" {
				t.Errorf("an endpoint added without its secret: %+v", w)
			}
			return w.ID, err
		},
		func(t *testing.T, c *client.Client) []int64 {
			hooks, err := c.Webhooks(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, w := range hooks {
				ids = append(ids, w.ID)
			}
			return ids
		},
	},
}

// TestRequestAndWebhookSentAgainMakeOne: a request's or a webhook
// endpoint's create whose answer was lost is sent once more with the same
// key, as a link's is, and makes one; when the first did not arrive, the
// second makes it; without a key, it is sent once.
func TestRequestAndWebhookSentAgainMakeOne(t *testing.T) {
	for _, kc := range keyedCreates {
		t.Run(kc.what, func(t *testing.T) {
			s := newTestServer(t)
			direct := newClient(t, s.URL, s.key)
			proxy := proxytest.New(t, s.URL, proxytest.DropAfter)
			_, err := kc.create(t, newClient(t, proxy.URL, s.key), "create-1")
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) || apiErr.Code != client.CodeAlreadyCreated || apiErr.Status != http.StatusConflict {
				t.Fatalf("create: %v, want the refusal %s", err, client.CodeAlreadyCreated)
			}
			made := kc.count(t, direct)
			if len(made) != 1 || apiErr.ID != made[0] {
				t.Fatalf("made %v; the refusal names %d", made, apiErr.ID)
			}
			if keys := proxy.Keys(); len(keys) != 2 || keys[0] != "create-1" || keys[1] != "create-1" {
				t.Fatalf("creates through the proxy: %q, want 2 with create-1", keys)
			}
			if kc.what == "webhook" {
				// The next endpoint is at the same address.
				if err := direct.DeleteWebhook(t.Context(), made[0]); err != nil {
					t.Fatal(err)
				}
			}

			unreached := proxytest.New(t, s.URL, proxytest.Unreachable)
			id, err := kc.create(t, newClient(t, unreached.URL, s.key), "create-2")
			if err != nil || unreached.Creates() != 2 || !slices.Contains(kc.count(t, direct), id) {
				t.Fatalf("through a 502: %d, %v after %d creates", id, err, unreached.Creates())
			}

			once := proxytest.New(t, s.URL, proxytest.BadGateway)
			if _, err := kc.create(t, newClient(t, once.URL, s.key), ""); !client.IsStatus(err, http.StatusBadGateway) || once.Creates() != 1 {
				t.Fatalf("without a key: %v after %d creates, want the 502 after one", err, once.Creates())
			}
		})
	}
}

// TestCreateLostThenUnreachable: a create whose answer was lost after it
// reached oncelink, sent again to a server that no longer answers, may
// have made the link: its error says the outcome is unknown, not only
// that the server cannot be reached.
func TestCreateLostThenUnreachable(t *testing.T) {
	s := newTestServer(t)
	var proxy *httptest.Server
	proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequest(r.Method, s.URL+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		if res, err := http.DefaultTransport.RoundTrip(req); err == nil {
			res.Body.Close()
		}
		proxy.Listener.Close() // the create sent again finds no one
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	}))
	defer proxy.Close()
	_, err := newClient(t, proxy.URL, s.key).CreateLink(t.Context(), client.NewLink{Message: "x", IdempotencyKey: "lost-1"})
	if !errors.Is(err, client.ErrOutcomeUnknown) || len(links(t, newClient(t, s.URL, s.key))) != 1 {
		t.Fatalf("create: %v", err)
	}
}
