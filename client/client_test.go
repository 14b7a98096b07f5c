package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"oncelink/api"
	"oncelink/client"
	"oncelink/core"
	"oncelink/e2e"
	"oncelink/i18n"
	"oncelink/metrics"
	"oncelink/store"
	"oncelink/token"
)

// testServer is oncelink's JSON API over a real SQLite file, served by
// httptest, with an account whose key is key.
type testServer struct {
	*httptest.Server
	key string
}

// newTestServer starts the API; wrap, if given, stands in front of it.
func newTestServer(t *testing.T, wrap ...func(http.Handler) http.Handler) *testServer {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "oncelink.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := st.Secret(ctx, "token-key", token.KeyLen)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg := core.Config{BaseURL: "http://" + srv.Listener.Addr().String(), MinTTL: time.Minute, MaxTTL: 30 * 24 * time.Hour,
		GrantTTL: 10 * time.Minute, MaxUpload: 4 << 20, WebhookAllowPrivate: true}
	svc := core.New(cfg, st, secret, slog.New(slog.DiscardHandler))
	v1 := api.New(svc, metrics.New(), slog.New(slog.DiscardHandler))
	var h http.Handler = v1.Handler()
	for _, w := range wrap {
		h = w(h)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(func() {
		v1.EndStreams()
		srv.Close()
		st.Close()
	})
	a, err := svc.AddAccount(ctx, "ada", "correct horse battery", false)
	if err != nil {
		t.Fatal(err)
	}
	k, err := svc.CreateKey(ctx, a.ID, "tests", "never")
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{Server: srv, key: k.Secret}
}

// newClient is the client of the server at base with key.
func newClient(t *testing.T, base, key string) *client.Client {
	t.Helper()
	c, err := client.New(base, key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestParseBase: a server's address is its root, where an oncelink server
// answers: New refuses one with a path, a query or a fragment, naming the
// root to give instead, one that is no http or https address, and one
// holding a password, which the refusal does not repeat.
func TestParseBase(t *testing.T) {
	for in, want := range map[string]string{
		"https://share.example.com":       "https://share.example.com",
		"https://share.example.com/":      "https://share.example.com",
		"https://share.example.com//":     "https://share.example.com",
		" http://127.0.0.1:8080/ ":        "http://127.0.0.1:8080",
		"https://share.example.com:8443/": "https://share.example.com:8443",
	} {
		if got, err := client.ParseBase(in); err != nil || got != want {
			t.Errorf("ParseBase(%q) = %q, %v; want %q", in, got, err, want)
		}
		if c, err := client.New(in, ""); err != nil || c.BaseURL() != want {
			t.Errorf("New(%q): %v", in, err)
		}
	}
	for in, root := range map[string]string{
		"http://host:8080/oncelink":          "http://host:8080",
		"http://host:8080/oncelink/":         "http://host:8080",
		"https://share.example.com/links":    "https://share.example.com",
		"https://share.example.com/api/v1":   "https://share.example.com",
		"https://share.example.com/l/AAAA":   "https://share.example.com",
		"https://share.example.com/?lang=de": "https://share.example.com",
		"https://share.example.com?":         "https://share.example.com",
		"https://share.example.com/#links":   "https://share.example.com",
	} {
		_, err := client.New(in, "ol_key")
		var be *client.BaseError
		if !errors.As(err, &be) || be.Root != root || !strings.Contains(err.Error(), strconv.Quote(in)) ||
			!strings.Contains(err.Error(), "root address alone, such as "+root) {
			t.Errorf("New(%q): %v; want a refusal that gives %s", in, err, root)
		}
	}
	// Without a scheme, a host and maybe a port is given back with the
	// one meant: http on this machine, https on any other.
	for in, root := range map[string]string{
		"127.0.0.1:8080":          "http://127.0.0.1:8080",
		" localhost:8080/ ":       "http://localhost:8080",
		"dev.localhost":           "http://dev.localhost",
		"[::1]:8080":              "http://[::1]:8080",
		"0.0.0.0:8080":            "http://0.0.0.0:8080",
		"[::]:8080":               "http://[::]:8080",
		"[2001:db8::7]:8080":      "https://[2001:db8::7]:8080",
		"share.example.com":       "https://share.example.com",
		"share.example.com:8443":  "https://share.example.com:8443",
		"192.0.2.7:8080":          "https://192.0.2.7:8080",
		"Share.Example.com:8443/": "https://Share.Example.com:8443",
		// A name beyond ASCII, and one that ends in the root's dot, are
		// names like any other.
		"bücher.example:8443":     "https://bücher.example:8443",
		"BÜCHER.example":          "https://BÜCHER.example",
		"share.example.com.":      "https://share.example.com.",
		"share.example.com.:8443": "https://share.example.com.:8443",
		"localhost.:8080":         "http://localhost.:8080",
		"dev.localhost.":          "http://dev.localhost.",
	} {
		_, err := client.New(in, "")
		var be *client.BaseError
		if !errors.As(err, &be) || be.Root != root || !strings.Contains(err.Error(), strconv.Quote(in)) ||
			!strings.HasSuffix(err.Error(), "does not say http:// or https://: give the server's whole address, such as "+root) {
			t.Errorf("New(%q): %v; want a refusal that gives %s", in, err, root)
		}
		// And the address given is one taken.
		if got, err := client.ParseBase(root); err != nil || got != root {
			t.Errorf("ParseBase(%q), given for %q: %q, %v", root, in, got, err)
		}
	}
	for _, in := range []string{"ftp://share.example.com", "https://", "https:share.example.com", "http://[::1",
		"share example", "share.example.com/links", "share.example.com?x", ":8080", "8080", "10.0.0.256:8080", "share..example.com", "mailto:ann",
		"share.example.com..", ".", "bücher..example", "bü cher.example", "bücher.example\u200b", "bücher。example"} {
		_, err := client.New(in, "")
		var be *client.BaseError
		if !errors.As(err, &be) || be.Root != "" || !strings.Contains(err.Error(), "is not a server's address") {
			t.Errorf("New(%q): %v", in, err)
		}
	}
	// Nor is a password repeated when the address has no scheme or does
	// not parse, nor a key given in place of the address.
	for _, in := range []string{"ann:hunter2@share.example.com", "ann:hunter2@share.example.com:8443/", "ann@share.example.com",
		"https://ann:hunter2@share.example.com/%zz", "ann:hunter2@share example"} {
		_, err := client.New(in, "")
		if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "ann") {
			t.Errorf("New(%q): %v; want a refusal that does not repeat the password", in, err)
		}
	}
	for _, in := range []string{"ann:hunter2@share.example.com", "ann@share.example.com"} {
		if _, err := client.New(in, ""); err == nil || !strings.Contains(err.Error(), "name or password") {
			t.Errorf("New(%q): %v; want a refusal of the name or password", in, err)
		}
	}
	key := "ol_" + strings.Repeat("k", 43)
	if _, err := client.New(key, ""); err == nil || strings.Contains(err.Error(), strings.Repeat("k", 5)) ||
		!strings.Contains(err.Error(), "is not a server's address") {
		t.Errorf("a key given as the address: %v", err)
	}
	if _, err := client.New("https://ann:hunter2@share.example.com", ""); err == nil ||
		strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "name or password") {
		t.Errorf("an address with a password: %v", err)
	}
	var be *client.BaseError
	if _, err := client.ParseBase("https://share.example.com/links"); !errors.As(err, &be) ||
		!strings.HasSuffix(be.In(i18n.For("de")), "etwa https://share.example.com") {
		t.Errorf("in German: %v", err)
	}
}

func TestShareAndOpen(t *testing.T) {
	s := newTestServer(t)
	c := newClient(t, s.URL+"/", s.key)
	ctx := t.Context()
	if me, err := c.Me(ctx); err != nil || me.Username != "ada" || me.StorageUsed != 0 || me.StorageLimit != core.DefaultAccountStorage {
		t.Fatalf("me: %+v %v", me, err)
	}

	l, err := c.CreateLink(ctx, client.NewLink{Message: "s3cret", TTL: "10m", Label: "msg"})
	if err != nil || !strings.HasPrefix(l.URL, s.URL+"/l/") || l.Kind != "message" || l.Status != "active" || l.MaxUses != 1 {
		t.Fatalf("create: %+v %v", l, err)
	}
	if me, err := c.Me(ctx); err != nil || me.StorageUsed != int64(len("s3cret")) {
		t.Fatalf("me with a link: %+v %v", me, err)
	}
	o, err := newClient(t, "", "").Open(ctx, l.URL, "")
	if err != nil || o.Kind != "message" || o.Message != "s3cret" {
		t.Fatalf("open: %+v %v", o, err)
	}
	_, err = c.Open(ctx, l.URL, "")
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusGone || apiErr.Code != "link_gone" {
		t.Fatalf("a second open: %v, want a 410 link_gone", err)
	}

	// A token alone opens a link of the client's server; a password link
	// refuses a wrong password without taking its use.
	u, err := c.CreateLink(ctx, client.NewLink{URL: "https://example.com/x", Password: "pw", MaxUses: 2})
	if err != nil || u.Kind != "url" || !u.HasPassword || u.MaxUses != 2 {
		t.Fatalf("create a url link: %+v %v", u, err)
	}
	tok := u.URL[strings.LastIndex(u.URL, "/")+1:]
	if _, err := c.Open(ctx, tok, "wrong"); !errors.As(err, &apiErr) || apiErr.Code != "wrong_password" || apiErr.Field != "password" {
		t.Fatalf("a wrong password: %v", err)
	}
	if o, err := c.Open(ctx, tok, "pw"); err != nil || o.Kind != "url" || o.URL != "https://example.com/x" {
		t.Fatalf("open a url link: %+v %v", o, err)
	}
	// A query that mail or chat appended is left out, as in a browser.
	if o, err := c.Open(ctx, u.URL+"?utm_source=chat&utm_medium=share", "pw"); err != nil || o.URL != "https://example.com/x" {
		t.Fatalf("open with a query appended: %+v %v", o, err)
	}

	// A file goes up as a stream, from a reader that is not a file, and
	// comes back byte for byte, with its name.
	content := make([]byte, 3<<20+17)
	for i := range content {
		content[i] = byte(rand.IntN(256))
	}
	f, err := c.CreateLink(ctx, client.NewLink{File: io.MultiReader(bytes.NewReader(content)), FileName: "blob.bin", TTL: "1h"})
	if err != nil || f.Kind != "file" {
		t.Fatalf("create a file link: %+v %v", f, err)
	}
	o, err = c.Open(ctx, f.URL, "")
	if err != nil || o.Kind != "file" || o.Name != "blob.bin" || o.Size != int64(len(content)) {
		t.Fatalf("open a file: %+v %v", o, err)
	}
	got, err := io.ReadAll(o.Body)
	o.Body.Close()
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("the file came back with %d bytes (%v), want the %d sent", len(got), err, len(content))
	}
	// A name with quotes, a line break and a terminal's escape comes back
	// with its quotes, and without the control characters, which made the
	// form's part unreadable.
	named, err := c.CreateLink(ctx, client.NewLink{File: strings.NewReader("x"), FileName: "say \"hi\"\r\nX:\x1b]0;t\a y.txt"})
	if err != nil {
		t.Fatalf("create a file with an awkward name: %v", err)
	}
	if o, err := c.Open(ctx, named.URL, ""); err != nil || o.Name != `say "hi"X:]0;t y.txt` {
		t.Fatalf("the awkward name came back as %q (%v)", o.Name, err)
	} else {
		o.Body.Close()
	}
	// Too large for the server: refused, as a problem.
	_, err = c.CreateLink(ctx, client.NewLink{File: bytes.NewReader(make([]byte, 5<<20)), FileName: "big"})
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a file over the limit: %v", err)
	}

	if _, err := c.CreateLink(ctx, client.NewLink{Message: "x", TTL: "90d"}); !errors.As(err, &apiErr) || apiErr.Code != "ttl_out_of_range" || apiErr.Field != "ttl" {
		t.Fatalf("a ttl out of range: %v", err)
	}
	for _, link := range []string{s.URL + "/l/" + strings.Repeat("A", 43)} {
		if _, err := c.Open(ctx, link, ""); !client.IsStatus(err, http.StatusNotFound) {
			t.Errorf("open %s: %v, want a 404", link, err)
		}
	}
	for _, link := range []string{s.URL + "/links", s.URL + "/l/", "ftp://host/l/x", s.URL + "/l/?y=1", s.URL + "/x/y", s.URL + "/r/x#key", ""} {
		if _, err := c.Open(ctx, link, ""); !errors.Is(err, client.ErrNotLink) {
			t.Errorf("open %q: %v, want ErrNotLink", link, err)
		}
	}
	if _, err := c.Open(ctx, l.URL+"#key", ""); !errors.Is(err, e2e.ErrSecret) {
		t.Errorf("a fragment that is no key: %v", err)
	}
}

func TestListAuditRevoke(t *testing.T) {
	s := newTestServer(t)
	c := newClient(t, s.URL, s.key)
	ctx := t.Context()
	var made []client.Link
	for _, label := range []string{"one", "two", "three"} {
		l, err := c.CreateLink(ctx, client.NewLink{Message: label, Label: label})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, l)
	}
	// Page by page, newest first.
	var labels []string
	q := client.LinkQuery{Limit: 2}
	for {
		page, err := c.Links(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page.Links {
			labels = append(labels, l.Label)
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	if strings.Join(labels, " ") != "three two one" {
		t.Fatalf("the pages list %v", labels)
	}
	if page, err := c.Links(ctx, client.LinkQuery{Query: "tw"}); err != nil || len(page.Links) != 1 || page.Links[0].Label != "two" {
		t.Fatalf("find by label: %+v %v", page, err)
	}
	if _, err := c.Links(ctx, client.LinkQuery{Status: "bogus"}); !client.IsStatus(err, http.StatusBadRequest) {
		t.Fatalf("an unknown status: %v", err)
	}

	first := made[0]
	if _, err := c.Open(ctx, first.URL, ""); err != nil {
		t.Fatal(err)
	}
	events, err := c.LinkEvents(ctx, first.ID)
	if err != nil || len(events) != 1 || events[0].Kind != "open" || events[0].UserAgent != client.UserAgent || events[0].IP == "" {
		t.Fatalf("the audit trail: %+v %v", events, err)
	}
	l, err := c.Revoke(ctx, made[1].ID)
	if err != nil || l.Status != "revoked" || l.RevokedAt == nil {
		t.Fatalf("revoke: %+v %v", l, err)
	}
	if _, err := c.Open(ctx, made[1].URL, ""); !client.IsStatus(err, http.StatusGone) {
		t.Fatalf("open a revoked link: %v", err)
	}
	if l, err := c.Link(ctx, made[1].ID); err != nil || l.Status != "revoked" {
		t.Fatalf("link: %+v %v", l, err)
	}
	if _, err := c.Revoke(ctx, 999); !client.IsStatus(err, http.StatusNotFound) {
		t.Fatalf("revoke an unknown link: %v", err)
	}
}

func TestListRequests(t *testing.T) {
	s := newTestServer(t)
	c := newClient(t, s.URL, s.key)
	ctx := t.Context()
	var made []client.Request
	for _, label := range []string{"one", "two", "three"} {
		r, err := c.CreateRequest(ctx, client.NewRequest{Label: label})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, r)
	}
	// Page by page, newest first.
	var labels []string
	q := client.RequestQuery{Limit: 2}
	for pages := 0; ; pages++ {
		page, err := c.Requests(ctx, q)
		if err != nil || pages > 1 {
			t.Fatalf("page %d: %+v %v", pages, page, err)
		}
		for _, r := range page.Requests {
			labels = append(labels, r.Label)
			if r.URL != "" {
				t.Fatalf("a listed request has its URL: %+v", r)
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	if strings.Join(labels, " ") != "three two one" {
		t.Fatalf("the pages list %v", labels)
	}
	if _, err := c.RevokeRequest(ctx, made[1].ID); err != nil {
		t.Fatal(err)
	}
	if page, err := c.Requests(ctx, client.RequestQuery{Status: "revoked"}); err != nil || len(page.Requests) != 1 || page.Requests[0].ID != made[1].ID || page.NextCursor != "" {
		t.Fatalf("the revoked requests: %+v %v", page, err)
	}
	var apiErr *client.APIError
	if _, err := c.Requests(ctx, client.RequestQuery{Status: "bogus"}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || apiErr.Field != "status" {
		t.Fatalf("an unknown status: %v", err)
	}
}

// TestKeyStaysHome checks that a refused key is an error that does not
// quote it, and that the key goes to no other server, nor along a
// redirect.
func TestKeyStaysHome(t *testing.T) {
	s := newTestServer(t)
	ctx := t.Context()
	wrong := "ol_" + strings.Repeat("x", 43)
	_, err := newClient(t, s.URL, wrong).Me(ctx)
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || strings.Contains(err.Error(), wrong) {
		t.Fatalf("a wrong key: %v", err)
	}
	if _, err := newClient(t, s.URL, "ol_bad\nkey").Me(ctx); err == nil || strings.Contains(err.Error(), "bad") {
		t.Fatalf("a key that cannot be a header: %v", err)
	}

	var heard atomic.Value
	heard.Store("")
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		heard.Store(r.Header.Get("Authorization"))
		if r.URL.Path == "/api/v1/me" {
			http.Redirect(w, r, "http://elsewhere.example/api/v1/me", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"kind":"message","message":"hi"}`)
	}))
	defer other.Close()
	c := newClient(t, s.URL, s.key)
	if o, err := c.Open(ctx, other.URL+"/l/sometoken", ""); err != nil || o.Message != "hi" {
		t.Fatalf("open on another server: %+v %v", o, err)
	}
	if h := heard.Load().(string); h != "" {
		t.Fatalf("the key went to another server: %q", h)
	}
	// A request opens for its owner only, with a key of its own server.
	if _, err := c.Open(ctx, other.URL+"/r/sometoken", ""); !errors.Is(err, client.ErrRequestOwner) {
		t.Fatalf("a request on another server: %v", err)
	}
	if _, err := newClient(t, s.URL, "").Open(ctx, s.URL+"/r/sometoken", ""); !errors.Is(err, client.ErrRequestOwner) {
		t.Fatalf("a request without a key: %v", err)
	}
	rq, err := c.CreateRequest(ctx, client.NewRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(ctx, rq.URL, "sesame"); !errors.Is(err, client.ErrRequestPassword) {
		t.Fatalf("a request with a password: %v", err)
	}
	if _, err := c.Open(ctx, rq.URL, ""); !errors.As(err, &apiErr) || apiErr.Code != "nothing_sent" {
		t.Fatalf("a request nothing was sent to: %v", err)
	}
	_, err = newClient(t, other.URL, s.key).Me(ctx)
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusFound || !strings.Contains(err.Error(), "elsewhere.example") {
		t.Fatalf("a redirect: %v", err)
	}

	// Unreachable: the error names the server, not the path with a token.
	_, err = newClient(t, "http://127.0.0.1:1", s.key).Open(ctx, "http://127.0.0.1:1/l/tokentokentoken", "")
	if err == nil || strings.Contains(err.Error(), "tokentokentoken") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("an unreachable server: %v", err)
	}
}

// nextLink is the next link stream sends before ctx ends; a stream that
// ends or stays silent fails the test.
func nextLink(t *testing.T, ctx context.Context, stream *client.Stream) client.Link {
	t.Helper()
	select {
	case l, ok := <-stream.C:
		if !ok {
			t.Fatalf("the stream ended: %v", stream.Err())
		}
		return l
	case <-ctx.Done():
		t.Fatal("no event")
	}
	return client.Link{}
}

// TestEventsMissNothing drops the event stream while a watched link is
// opened: the open is not on any stream, and arrives anyway, read again
// once the stream is back.
func TestEventsMissNothing(t *testing.T) {
	var connections atomic.Int32
	arrived := make(chan struct{}, 4)
	gate := make(chan struct{})
	s := newTestServer(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v1/events" {
				if connections.Add(1) == 2 {
					arrived <- struct{}{}
					<-gate // the second connection waits for the open
				}
			}
			next.ServeHTTP(w, r)
		})
	})
	c := newClient(t, s.URL, s.key)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	watched, err := c.CreateLink(ctx, client.NewLink{Message: "watched"})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := c.Events(ctx, client.Follow{Watch: []int64{watched.ID}})
	if err != nil {
		t.Fatal(err)
	}
	next := func() client.Link { t.Helper(); return nextLink(t, ctx, stream) }
	// Once up, the stream tells the watched link as it is.
	if l := next(); l.ID != watched.ID || l.Status != "active" {
		t.Fatalf("the first event: %+v", l)
	}
	// A link made while the stream is up arrives as an event.
	other, err := c.CreateLink(ctx, client.NewLink{Message: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if l := next(); l.ID != other.ID {
		t.Fatalf("the create: %+v", l)
	}

	s.CloseClientConnections()
	<-arrived
	if _, err := newClient(t, "", "").Open(ctx, watched.URL, ""); err != nil {
		t.Fatal(err)
	}
	close(gate)
	// The open comes from reading the link again. An event published
	// before the break may come first: a create's event goes out after
	// its answer, so under load it can trail the next request.
	for {
		l := next()
		if l.ID == watched.ID && l.Status == "used" && l.Uses == 1 {
			break
		}
		if (l.ID != watched.ID && l.ID != other.ID) || l.Status != "active" {
			t.Fatalf("after the break: %+v", l)
		}
	}
	cancel()
	for range stream.C {
	}
	if !errors.Is(stream.Err(), context.Canceled) {
		t.Fatalf("the stream ended with %v", stream.Err())
	}
}

// TestEventsTellABreak: a stream that cannot be connected again at once
// tells Lost, once however long the server stays away, and Back when it
// is up again; the watched link is then read again.
func TestEventsTellABreak(t *testing.T) {
	var down atomic.Bool
	s := newTestServer(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				// A server going away: the connection ends unanswered.
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	c := newClient(t, s.URL, s.key)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	watched, err := c.CreateLink(ctx, client.NewLink{Message: "watched"})
	if err != nil {
		t.Fatal(err)
	}
	lost, back := make(chan error, 4), make(chan struct{}, 4)
	stream, err := c.Events(ctx, client.Follow{Watch: []int64{watched.ID},
		Lost: func(err error) { lost <- err },
		Back: func() { back <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	next := func() client.Link { t.Helper(); return nextLink(t, ctx, stream) }
	if l := next(); l.ID != watched.ID {
		t.Fatalf("the first event: %+v", l)
	}
	down.Store(true)
	s.CloseClientConnections()
	select {
	case err := <-lost:
		if err == nil {
			t.Fatal("Lost was told no error")
		}
	case <-ctx.Done():
		t.Fatal("a stream that could not connect again did not tell Lost")
	}
	down.Store(false)
	select {
	case <-back:
	case <-ctx.Done():
		t.Fatal("a stream up again did not tell Back")
	}
	if l := next(); l.ID != watched.ID {
		t.Fatalf("after the break: %+v", l)
	}
	if len(lost) != 0 || len(back) != 0 {
		t.Fatalf("one break told Lost %d and Back %d more times", len(lost), len(back))
	}
}

// TestEventsTellTheWaitTheyKeep: a stream refused with a Retry-After
// past the most it waits tells Lost that wait, not the server's: a
// proxy's "come back in a week" while the stream tries again in five
// minutes would say two things at once.
func TestEventsTellTheWaitTheyKeep(t *testing.T) {
	var down atomic.Bool
	s := newTestServer(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() && r.URL.Path == "/api/v1/events" {
				w.Header().Set("Retry-After", strconv.Itoa(7*24*3600))
				http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	c := newClient(t, s.URL, s.key)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	lost := make(chan error, 1)
	stream, err := c.Events(ctx, client.Follow{Lost: func(err error) { lost <- err }})
	if err != nil {
		t.Fatal(err)
	}
	down.Store(true)
	s.CloseClientConnections()
	select {
	case err := <-lost:
		var e *client.APIError
		if !errors.As(err, &e) || e.RetryAfter != 5*time.Minute {
			t.Fatalf("Lost was told %v (%#v), want a wait of 5 minutes", err, e)
		}
		if !strings.Contains(err.Error(), "5 minutes") {
			t.Errorf("Lost was told %q, not the stream's wait", err)
		}
	case <-ctx.Done():
		t.Fatal("a refused stream did not tell Lost")
	}
	cancel()
	for range stream.C {
	}
}

// TestEventsRefused: a refused key is Events' error, before any stream.
func TestEventsRefused(t *testing.T) {
	s := newTestServer(t)
	_, err := newClient(t, s.URL, "ol_"+strings.Repeat("x", 43)).Events(t.Context(), client.Follow{})
	if !client.IsStatus(err, http.StatusUnauthorized) {
		t.Fatalf("events with a wrong key: %v", err)
	}
}

// brokenReader fails after some bytes, as a file on a failing disk would.
type brokenReader struct{ n int }

func (b *brokenReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, errors.New("the disk broke")
	}
	n := min(len(p), b.n)
	b.n -= n
	return n, nil
}

func TestUnreadableFile(t *testing.T) {
	s := newTestServer(t)
	_, err := newClient(t, s.URL, s.key).CreateLink(t.Context(), client.NewLink{File: &brokenReader{n: 100 << 10}, FileName: "a.bin"})
	if err == nil || !strings.Contains(err.Error(), "the disk broke") || strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("a file that breaks: %v", err)
	}
	// In French, what went wrong and why are joined as French joins them.
	c := newClient(t, s.URL, s.key)
	c.Language = "fr"
	_, err = c.CreateLink(t.Context(), client.NewLink{File: &brokenReader{n: 100 << 10}, FileName: "a.bin"})
	want := i18n.For("fr").T("cli.client.read_file", "Name", "a.bin") + "\u202f: the disk broke"
	if err == nil || err.Error() != want {
		t.Errorf("a file that breaks, in French: %v, want %q", err, want)
	}
}

// TestProblemsInTheClientsLanguage: a refusal is said in the client's
// language, with its punctuation, and so is an answer that is no problem
// document.
func TestProblemsInTheClientsLanguage(t *testing.T) {
	s := newTestServer(t)
	ctx := t.Context()
	c := newClient(t, s.URL, s.key)
	c.Language = "fr"
	l, err := c.CreateLink(ctx, client.NewLink{Message: "une fois"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(ctx, l.URL, ""); err != nil {
		t.Fatal(err)
	}
	fr := i18n.For("fr")
	_, err = c.Open(ctx, l.URL, "")
	if want := fr.T("http_status.gone") + "\u202f: " + fr.T("error.link_gone.used"); err == nil || err.Error() != want {
		t.Errorf("a used link, in French: %v, want %q", err, want)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream down", http.StatusBadGateway)
	}))
	defer down.Close()
	other := newClient(t, down.URL, s.key)
	other.Language = "fr"
	if _, err := other.Me(ctx); err == nil || err.Error() != fr.T("cli.client.unavailable", "URL", down.URL, "Status", 502) {
		t.Errorf("a plain 502, in French: %v", err)
	}
}

// TestAnswersThatAreNotOncelinks: a refusal without a problem document,
// as a proxy or another server sends it, names the address that answered
// and its status, and says what to do: try again later after a 5xx or a
// 429, check the address after anything else; it is no problem of
// oncelink's, whose every refusal has one. A link opened without signing
// in names its own server.
func TestAnswersThatAreNotOncelinks(t *testing.T) {
	s := newTestServer(t)
	en := i18n.For("en")
	for _, tc := range []struct {
		status int
		id     string
	}{
		{http.StatusBadGateway, "cli.client.unavailable"}, {http.StatusServiceUnavailable, "cli.client.unavailable"},
		{http.StatusTooManyRequests, "cli.client.unavailable"}, {http.StatusNotFound, "cli.client.not_oncelink"},
		{http.StatusGone, "cli.client.not_oncelink"}, {http.StatusUnauthorized, "cli.client.not_oncelink"},
	} {
		page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(tc.status)
			io.WriteString(w, "<!doctype html><h1>Oops</h1>")
		}))
		want := en.T(tc.id, "URL", page.URL, "Status", tc.status)
		_, err := newClient(t, page.URL, s.key).Links(t.Context(), client.LinkQuery{})
		var apiErr *client.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != tc.status || apiErr.HasProblem() || err.Error() != want {
			t.Errorf("links from a page of status %d: %v, want %q", tc.status, err, want)
		}
		_, err = newClient(t, "", "").Open(t.Context(), page.URL+"/l/"+strings.Repeat("A", 43), "")
		if err == nil || err.Error() != want {
			t.Errorf("open from a page of status %d: %v, want %q", tc.status, err, want)
		}
		page.Close()
	}
	_, err := newClient(t, s.URL, s.key).Link(t.Context(), 999)
	if apiErr := (*client.APIError)(nil); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || !apiErr.HasProblem() {
		t.Errorf("oncelink's own 404: %v", err)
	}
}

// TestSignInOfAnotherKind: a 401 or a 407 without a problem document that
// asks for a sign-in other than oncelink's key (a proxy's password) says
// so, in the client's language; oncelink's own challenge without its
// problem is said to be no oncelink's answer, as before.
func TestSignInOfAnotherKind(t *testing.T) {
	for _, tc := range []struct {
		status            int
		header, challenge string
		id                string
	}{
		{http.StatusUnauthorized, "WWW-Authenticate", `Basic realm="intranet"`, "cli.client.own_sign_in"},
		{http.StatusUnauthorized, "WWW-Authenticate", `Digest realm="x", nonce="y"`, "cli.client.own_sign_in"},
		{http.StatusProxyAuthRequired, "Proxy-Authenticate", `Basic realm="proxy"`, "cli.client.own_sign_in"},
		{http.StatusUnauthorized, "WWW-Authenticate", `Bearer realm="oncelink", error="invalid_token"`, "cli.client.not_oncelink"},
		{http.StatusForbidden, "WWW-Authenticate", `Basic realm="intranet"`, "cli.client.not_oncelink"},
	} {
		page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(tc.header, tc.challenge)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(tc.status)
			io.WriteString(w, "<h1>Sign in</h1>")
		}))
		for _, lang := range []string{"en", "fr", "ar"} {
			c := newClient(t, page.URL, "ol_"+strings.Repeat("A", 43))
			c.Language = lang
			_, err := c.Me(t.Context())
			if want := i18n.For(lang).T(tc.id, "URL", page.URL, "Status", tc.status); err == nil || err.Error() != want {
				t.Errorf("%d %s %s, in %s: %v, want %q", tc.status, tc.header, tc.challenge, lang, err, want)
			}
		}
		page.Close()
	}
}

// TestProblemsAreOneLine: a server's title and detail cannot add lines of
// their own to what the command prints.
func TestProblemsAreOneLine(t *testing.T) {
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusGone)
		io.WriteString(w, `{"title":"Gone\r\n","detail":"evil\r\nSaved secrets.txt\n\tdone","code":"link_gone"}`)
	}))
	defer hostile.Close()
	_, err := newClient(t, "", "").Open(t.Context(), hostile.URL+"/l/sometoken", "")
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Title != "Gone" || apiErr.Detail != "evil Saved secrets.txt done" || strings.ContainsAny(err.Error(), "\r\n") {
		t.Fatalf("a problem with line breaks: %q", err)
	}
}

// TestProblemsKeepTheirNoBreakSpaces: a problem in French keeps the
// narrow no-break spaces before its colons and inside its quotes, and the
// no-break space between a number and its unit, as the server wrote them:
// they are no break of a line, and the words would be set wrong without
// them. Spaces and line breaks around them are still one space.
func TestProblemsKeepTheirNoBreakSpaces(t *testing.T) {
	const detail = "«\u202fx\u202f» n’est pas un état\u202f: au plus 25\u00a0Mio."
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"title":"Requête incorrecte","detail":%q,"code":"status_unknown","field":"status"}`, " "+detail+"\n ")
	}))
	defer srv.Close()
	_, err := newClient(t, "", "").Open(t.Context(), srv.URL+"/l/sometoken", "")
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("a problem with no-break spaces: %v, want an *APIError", err)
	}
	if apiErr.Detail != detail {
		t.Fatalf("a problem with no-break spaces: %q, want %q", apiErr.Detail, detail)
	}
	if got, want := client.OneLine("a\u00a0b \u202f\n c"), "a\u00a0b \u202f c"; got != want {
		t.Errorf("OneLine: %q, want %q", got, want)
	}
}

// TestOpenGivesUpOnAStalledServer: a server that stops sending a file
// halfway fails the read once nothing came for BodyIdle; a reader that is
// slow to read on is not taken for one.
func TestOpenGivesUpOnAStalledServer(t *testing.T) {
	release := make(chan struct{})
	stalling := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Oncelink-Kind", "file")
		w.Header().Set("Content-Length", "20")
		io.WriteString(w, "first half")
		w.(http.Flusher).Flush()
		select { // the second half never comes
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer stalling.Close()
	defer close(release)
	c := newClient(t, "", "")
	c.BodyIdle = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	o, err := c.Open(ctx, stalling.URL+"/l/sometoken", "")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Body.Close()
	first := make([]byte, 10)
	if _, err := io.ReadFull(o.Body, first); err != nil || string(first) != "first half" {
		t.Fatalf("the first half: %q %v", first, err)
	}
	time.Sleep(500 * time.Millisecond) // a slow reader, not a stalled server
	began := time.Now()
	_, err = io.ReadAll(o.Body)
	if err == nil || !strings.Contains(err.Error(), "stopped sending") {
		t.Fatalf("the rest of a file that never comes: %v", err)
	}
	if took := time.Since(began); took < 250*time.Millisecond || took > 5*time.Second {
		t.Fatalf("given up after %v, want about 300ms", took)
	}
}

// TestRefusedAddressHidesSecrets: an address refused for its path, its
// query or its fragment is repeated with what looks like a secret in them
// hidden, as a password in it is: a link's token or its key after the #,
// a key in place of a path, a key or password in the query; what is left
// is cut short. The words of an ordinary path or query stay, to be
// recognised.
func TestRefusedAddressHidesSecrets(t *testing.T) {
	token := strings.Repeat("T", 43)
	for in, want := range map[string]string{
		"https://share.example.com/l/" + token + "#" + strings.Repeat("K", 43):  `"https://share.example.com/l/xxxxx#xxxxx"`,
		"https://share.example.com/ol_abc":                                      `"https://share.example.com/xxxxx"`,
		"https://share.example.com/links?key=ol_" + token + "&password=hunter2": `"https://share.example.com/links?key=xxxxx&password=xxxxx"`,
		"https://share.example.com/?api_key=x1&lang=de&" + token:                `"https://share.example.com/?api_key=xxxxx&lang=de&xxxxx"`,
		"https://share.example.com/?note=" + token:                              `"https://share.example.com/?note=xxxxx"`,
		"https://ann:hunter2@share.example.com/?token=abc":                      `"https://ann:xxxxx@share.example.com/?token=xxxxx"`,
		"https://share.example.com/settings#notices-heading":                    `"https://share.example.com/settings#notices-heading"`,
		"ftp://share.example.com/?password=hunter2":                             `"ftp://share.example.com/?password=xxxxx"`,
	} {
		_, err := client.New(in, "")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%q): %v; want it to say %s", in, err, want)
		}
	}
	long := "https://share.example.com/" + strings.Repeat("a/", 500)
	_, err := client.New(long, "")
	var be *client.BaseError
	if !errors.As(err, &be) || len([]rune(be.URL)) > 121 || !strings.HasSuffix(be.URL, "…") || be.Root != "https://share.example.com" {
		t.Errorf("New(a long address): %v", err)
	}
}

// TestOpenSendsTheKeyWhenTheLinkNeedsIt: an open goes without the key, so
// that a key the server refuses, or one over its account's limit, keeps
// no one from a link that needs none; it is sent again with the key only
// when the server answers that the link is meant for one account, and only
// to the key's own server.
func TestOpenSendsTheKeyWhenTheLinkNeedsIt(t *testing.T) {
	s := newTestServer(t)
	ctx := t.Context()
	c := newClient(t, s.URL, s.key)
	plain, err := c.CreateLink(ctx, client.NewLink{Message: "for anyone"})
	if err != nil {
		t.Fatal(err)
	}
	refused := newClient(t, s.URL, "ol_"+strings.Repeat("x", 43))
	if o, err := refused.Open(ctx, plain.URL, ""); err != nil || o.Message != "for anyone" {
		t.Fatalf("a link for anyone with a refused key: %+v %v", o, err)
	}
	mine, err := c.CreateLink(ctx, client.NewLink{Message: "for ada", ForUser: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	var apiErr *client.APIError
	if _, err := refused.Open(ctx, mine.URL, ""); !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		t.Fatalf("a link for ada with a refused key: %v, want the key's 401", err)
	}
	// Signed out, a link for one account is refused with CodeWrongUser,
	// and Route says the key may not go: the open went without one.
	signedOut := newClient(t, s.URL, "")
	if _, err := signedOut.Open(ctx, mine.URL, ""); !errors.As(err, &apiErr) || apiErr.Code != client.CodeWrongUser {
		t.Fatalf("a link for ada signed out: %v, want the refusal %s", err, client.CodeWrongUser)
	}
	for _, tc := range []struct {
		base, key string
		keyMayGo  bool
	}{{s.URL, s.key, true}, {s.URL, "", false}, {"https://share.example.com", s.key, false}} {
		if request, keyMayGo := newClient(t, tc.base, tc.key).Route(mine.URL); request || keyMayGo != tc.keyMayGo {
			t.Errorf("Route of a link of %s, by a client of %s with a key %t: %v, %v", s.URL, tc.base, tc.key != "", request, keyMayGo)
		}
	}
	if o, err := c.Open(ctx, mine.URL, ""); err != nil || o.Message != "for ada" {
		t.Fatalf("a link for ada with ada's key: %+v %v", o, err)
	}
	// The answer without the key comes before the password is tried: the
	// password link's trail has its open alone, no wrong password.
	locked, err := c.CreateLink(ctx, client.NewLink{Message: "for ada, locked", ForUser: "ada", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	if o, err := c.Open(ctx, locked.URL, "pw"); err != nil || o.Message != "for ada, locked" {
		t.Fatalf("a password link for ada with ada's key: %+v %v", o, err)
	}
	if events, err := c.LinkEvents(ctx, locked.ID); err != nil || len(events) != 1 || events[0].Kind != "open" {
		t.Fatalf("the password link's trail: %+v %v", events, err)
	}

	// What each open sent, on a server that holds links for one account.
	var sent []string
	var mu sync.Mutex
	forOne := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sent = append(sent, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"type":"about:blank","title":"Forbidden","status":403,"code":"wrong_user","detail":"This link is only for ada."}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"kind":"message","message":"for ada"}`)
	}))
	defer forOne.Close()
	for _, tc := range []struct {
		base string
		want []string
	}{
		{forOne.URL, []string{"", "Bearer " + s.key}},
		{s.URL, []string{""}}, // the key is another server's
	} {
		sent = nil
		_, err := newClient(t, tc.base, s.key).Open(ctx, forOne.URL+"/l/sometoken", "")
		if !slices.Equal(sent, tc.want) {
			t.Errorf("a link for one account, with a key of %s: sent %q (%v), want %q", tc.base, sent, err, tc.want)
		}
	}
}

// TestBusyAnswerSaysWhenToTryAgain: a 429 or a 503 that is not oncelink's,
// as a proxy sends it, says when to try again when its Retry-After tells,
// in seconds or as a date (reckoned from the answer's own Date), in the
// client's language; without one, or with one that has passed, it says
// later. Another status's Retry-After asks for no wait.
func TestBusyAnswerSaysWhenToTryAgain(t *testing.T) {
	date := time.Now().UTC().Truncate(time.Second).Add(-time.Hour) // a clock here that is off
	for _, tc := range []struct {
		status     int
		retryAfter string
		wait       time.Duration
	}{
		{http.StatusTooManyRequests, "120", 2 * time.Minute},
		{http.StatusServiceUnavailable, "45", 45 * time.Second},
		{http.StatusTooManyRequests, date.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{http.StatusTooManyRequests, date.Add(-time.Minute).Format(http.TimeFormat), 0},
		{http.StatusTooManyRequests, "soon", 0},
		{http.StatusTooManyRequests, "", 0},
		{http.StatusNotFound, "120", 0}, // another server's page: nothing to wait for
	} {
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Date", date.Format(http.TimeFormat))
			if tc.retryAfter != "" {
				w.Header().Set("Retry-After", tc.retryAfter)
			}
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(tc.status)
			io.WriteString(w, "<!doctype html><h1>Slow down</h1>")
		}))
		for _, lang := range []string{"en", "de", "fr", "es", "ar"} {
			l := i18n.For(lang)
			want := l.T("cli.client.unavailable", "URL", proxy.URL, "Status", tc.status)
			if tc.status == http.StatusNotFound {
				want = l.T("cli.client.not_oncelink", "URL", proxy.URL, "Status", tc.status)
			}
			if tc.wait > 0 {
				want = l.T("cli.client.unavailable_wait", "URL", proxy.URL, "Status", tc.status, "Wait", l.Wait(tc.wait))
			}
			c := newClient(t, "", "")
			c.Language = lang
			_, err := c.Open(t.Context(), proxy.URL+"/l/"+strings.Repeat("A", 43), "")
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) || apiErr.RetryAfter != tc.wait || err.Error() != want {
				t.Errorf("%d with Retry-After %q, in %s: %v, want %q", tc.status, tc.retryAfter, lang, err, want)
			}
		}
		proxy.Close()
	}
}
