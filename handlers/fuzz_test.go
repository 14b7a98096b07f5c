package handlers

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"oncelink/core"
	"oncelink/store"
	"oncelink/token"
)

// formFuzzer sends fuzzed bodies through the whole handler stack of a
// server with a signed-in owner and a password link ("open sesame").
type formFuzzer struct {
	s       *testServer
	handler http.Handler
	session *http.Cookie
	link    string
	linkID  int64
}

func newFormFuzzer(f *testing.F) *formFuzzer {
	s := newTestServer(f, func(c *core.Config) { c.RateLimits = false })
	owner := s.admin()
	base, _ := url.Parse(s.URL)
	ff := &formFuzzer{s: s, handler: s.Config.Handler}
	for _, c := range owner.c.Jar.Cookies(base) {
		if c.Name == "oncelink_session" {
			ff.session = c
		}
	}
	a, err := s.store.AccountByName(context.Background(), "ada")
	if err != nil {
		f.Fatal(err)
	}
	// The cheapest bcrypt cost keeps the fuzzer fast; the handler reads
	// the cost from the hash.
	hash, err := bcrypt.GenerateFromPassword([]byte("open sesame"), bcrypt.MinCost)
	if err != nil {
		f.Fatal(err)
	}
	tok := token.New(token.NewKey(s.key))
	l, err := s.store.CreateLink(context.Background(), store.NewLink{OwnerID: a.ID, TokenHash: tok.Hash(), Kind: store.KindMessage,
		PasswordHash: string(hash), MaxUses: 100, ExpiresAt: s.clock.Now().Add(time.Hour)},
		[][]byte{tok.Box().Seal(token.Content, 0, true, []byte("fuzzed secret"))})
	if err != nil {
		f.Fatal(err)
	}
	ff.link, ff.linkID = "/l/"+tok.String(), l.ID
	return ff
}

// post sends body to path as a browser on oncelink's own page would, with
// the owner's session when signedIn.
func (ff *formFuzzer) post(path, ctype string, body []byte, htmx, signedIn bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, ff.s.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	if signedIn {
		req.AddCookie(ff.session)
	}
	rec := httptest.NewRecorder()
	ff.handler.ServeHTTP(rec, req)
	return rec
}

func (ff *formFuzzer) count(t *testing.T, query string) int {
	t.Helper()
	var n int
	if err := ff.s.store.SessionDB().QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// FuzzCreateLinkForm posts arbitrary bodies of arbitrary types to POST
// /links: no input may cause a 5xx, and a link exists after a 201 and only
// then.
func FuzzCreateLinkForm(f *testing.F) {
	ff := newFormFuzzer(f)
	f.Fuzz(func(t *testing.T, ctype string, body []byte, htmx bool) {
		before := ff.count(t, `SELECT COUNT(*) FROM links`)
		res := ff.post("/links", ctype, body, htmx, true)
		after := ff.count(t, `SELECT COUNT(*) FROM links`)
		if res.Code >= 500 {
			t.Fatalf("%d for %q %q: %s", res.Code, ctype, body, res.Body)
		}
		if created := res.Code == http.StatusCreated; after-before != map[bool]int{true: 1, false: 0}[created] {
			t.Fatalf("status %d for %q %q, and %d links were added", res.Code, ctype, body, after-before)
		}
	})
}

// FuzzOpenLinkForm posts arbitrary bodies of arbitrary types to a password
// link: no input may cause a 5xx, and the link is used by a 200 and only
// then.
func FuzzOpenLinkForm(f *testing.F) {
	ff := newFormFuzzer(f)
	uses := `SELECT uses FROM links WHERE id = ` + strconv.FormatInt(ff.linkID, 10)
	f.Fuzz(func(t *testing.T, ctype string, body []byte, htmx bool) {
		before := ff.count(t, uses)
		res := ff.post(ff.link, ctype, body, htmx, false)
		after := ff.count(t, uses)
		if res.Code >= 500 {
			t.Fatalf("%d for %q %q: %s", res.Code, ctype, body, res.Body)
		}
		if opened := res.Code == http.StatusOK; after-before != map[bool]int{true: 1, false: 0}[opened] {
			t.Fatalf("status %d for %q %q, and the link was used %d times", res.Code, ctype, body, after-before)
		}
	})
}
