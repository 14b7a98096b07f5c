package core

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"oncelink/internal/pgtest"
	"oncelink/store"
	"oncelink/token"
)

// newRequestService is a Service over a fresh SQLite file, with one account.
func newRequestService(t *testing.T) (*Service, *store.Store, string, Account) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "oncelink.db")
	s, st, owner := newServiceOn(t, path)
	return s, st, path, owner
}

// onEachDatabase runs test on a fresh SQLite file and on a fresh
// PostgreSQL schema, which is skipped, saying why, where
// ONCELINK_TEST_POSTGRES is unset.
func onEachDatabase(t *testing.T, test func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, filepath.Join(t.TempDir(), "oncelink.db")) })
	t.Run("postgres", func(t *testing.T) { test(t, pgtest.DSN(t)) })
}

// newServiceOn is a Service over the database dsn names, with one account,
// ada; configure, when given, changes its configuration first.
func newServiceOn(t *testing.T, dsn string, configure ...func(*Config)) (*Service, *store.Store, Account) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	owner, err := st.CreateFirstAccount(ctx, "ada", "x")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{BaseURL: "https://share.example", MinTTL: time.Minute, MaxTTL: 30 * 24 * time.Hour, GrantTTL: time.Minute}
	for _, f := range configure {
		f(&cfg)
	}
	s := New(cfg, st, bytes.Repeat([]byte{7}, token.KeyLen), slog.New(slog.DiscardHandler))
	return s, st, owner
}

func requestToken(t *testing.T, url string) string {
	t.Helper()
	_, tok, ok := strings.Cut(url, "/r/")
	if !ok {
		t.Fatalf("request URL %q", url)
	}
	return tok
}

func TestFulfilOnceUnderConcurrency(t *testing.T) {
	s, st, path, owner := newRequestService(t)
	ctx := context.Background()
	c, err := s.CreateRequest(ctx, owner.ID, RequestInput{Label: "vpn", Note: "the VPN password, please", Accepts: AcceptsText, TTL: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	tok := requestToken(t, c.URL)
	if _, err := s.LookRequest(ctx, tok, RequestVisitor{}, false); err != nil {
		t.Fatalf("look: %v", err)
	}
	const senders = 50
	const secret = "correct horse battery staple 7f3a"
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, gone := 0, 0
	for i := range senders {
		wg.Go(func() {
			d := s.NewDraft()
			defer d.Close()
			turn, err := s.TakeTurn(ctx, OpenAction, Client{IP: "192.0.2.1"})
			if err != nil {
				t.Error(err)
				return
			}
			_, err = s.Fulfil(ctx, turn, tok, d, secret+strings.Repeat(" ", i%2), nil)
			mu.Lock()
			defer mu.Unlock()
			if e, isErr := AsError(err); isErr && e.Code == "request_gone" {
				gone++
			} else if err != nil {
				t.Errorf("fulfil: %v", err)
			} else {
				ok++
			}
		})
	}
	wg.Wait()
	if ok != 1 || gone != senders-1 {
		t.Fatalf("%d fulfilled, %d gone; want 1 and %d", ok, gone, senders-1)
	}
	r, err := s.Request(ctx, owner.ID, c.Request.ID)
	if err != nil || r.Status(s.Now()) != RequestFulfilled || r.LinkID == 0 {
		t.Fatalf("request after: %+v, %v", r, err)
	}
	links, err := s.Links(ctx, owner.ID, ListInput{})
	if err != nil || len(links.Links) != 1 || links.Links[0].Label != "vpn" || links.Links[0].MaxUses != 1 {
		t.Fatalf("links after: %+v, %v", links.Links, err)
	}
	if _, err := s.LookRequest(ctx, tok, RequestVisitor{}, false); !isCode(err, "request_gone") {
		t.Fatalf("a sender's look after: %v, want request_gone", err)
	}

	// The database holds no plaintext of what was sent, nor the link's
	// token, nor the request's.
	st.Close()
	var db []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		db = append(db, b...)
	}
	for _, plain := range []string{secret, tok} {
		if bytes.Contains(db, []byte(plain)) {
			t.Errorf("the database file holds %q", plain)
		}
	}
}

func isCode(err error, code string) bool {
	e, ok := AsError(err)
	return ok && e.Code == code
}

// isMessage reports whether err is a refusal said by the message id.
func isMessage(err error, id string) bool {
	e, ok := AsError(err)
	return ok && e.MsgID == id
}

func TestOwnerOpensWhatWasSentOnce(t *testing.T) {
	s, st, _, owner := newRequestService(t)
	ctx := context.Background()
	other, err := st.CreateAccount(ctx, "bob", "x", false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateRequest(ctx, owner.ID, RequestInput{Accepts: AcceptsAny, TTL: DefaultTTL})
	if err != nil {
		t.Fatal(err)
	}
	tok := requestToken(t, c.URL)
	turn := func() Turn {
		tt, err := s.TakeTurn(ctx, OpenAction, Client{IP: "192.0.2.2"})
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	if _, _, err := s.OpenRequest(ctx, turn(), tok, Recipient{Viewer: &owner}); !isCode(err, "nothing_sent") {
		t.Fatalf("open before anything was sent: %v", err)
	}
	d := s.NewDraft()
	defer d.Close()
	if _, err := s.Fulfil(ctx, turn(), tok, d, "   ", nil); !isCode(err, "message_missing") {
		t.Fatalf("empty message: %v", err)
	}
	if _, err := s.Fulfil(ctx, turn(), tok, d, "hello owner", nil); err != nil {
		t.Fatal(err)
	}
	// Someone signed out may be its owner; another account is not.
	if _, _, err := s.OpenRequest(ctx, turn(), tok, Recipient{}); err != ErrRequestAnsweredSignedOut {
		t.Fatalf("open signed out: %v, want %v", err, ErrRequestAnsweredSignedOut)
	}
	if _, _, err := s.OpenRequest(ctx, turn(), tok, Recipient{Viewer: &other}); err != ErrNotOwner {
		t.Fatalf("open by another account: %v, want %v", err, ErrNotOwner)
	}
	o, linkTok, err := s.OpenRequest(ctx, turn(), tok, Recipient{Viewer: &owner})
	if err != nil || o.Message != "hello owner" || !o.Used || linkTok == "" {
		t.Fatalf("owner's open: %+v, %q, %v", o, linkTok, err)
	}
	if _, _, err := s.OpenRequest(ctx, turn(), tok, Recipient{Viewer: &owner}); !isCode(err, "link_gone") {
		t.Fatalf("second open: %v, want link_gone", err)
	}
}

// TestOwnerOfAnEndedRequestIsToldSo: its owner's open of a request that
// ended before anything was sent says so in words for the owner, not in
// those for whoever would have sent something; anyone else's still reads
// the latter.
func TestOwnerOfAnEndedRequestIsToldSo(t *testing.T) {
	s, _, _, owner := newRequestService(t)
	ctx := context.Background()
	turn := func() Turn {
		tt, err := s.TakeTurn(ctx, OpenAction, Client{IP: "192.0.2.2"})
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	withdrawn, err := s.CreateRequest(ctx, owner.ID, RequestInput{Accepts: AcceptsAny, TTL: DefaultTTL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeRequest(ctx, owner.ID, withdrawn.Request.ID); err != nil {
		t.Fatal(err)
	}
	expired, err := s.CreateRequest(ctx, owner.ID, RequestInput{Accepts: AcceptsAny, TTL: "1m"})
	if err != nil {
		t.Fatal(err)
	}
	now := s.Now()
	s.Now = func() time.Time { return now.Add(2 * time.Minute) }
	for _, c := range []struct {
		url              string
		toOwner, toOther *Error
	}{
		{withdrawn.URL, requestGone(RequestRevoked, true), requestGone(RequestRevoked, false)},
		{expired.URL, requestGone(RequestExpired, true), requestGone(RequestExpired, false)},
	} {
		_, _, err := s.OpenRequest(ctx, turn(), requestToken(t, c.url), Recipient{Viewer: &owner})
		if !isCode(err, "request_gone") || !isMessage(err, c.toOwner.MsgID) || c.toOwner.MsgID == c.toOther.MsgID {
			t.Errorf("the owner's open: %v, want %s", err, c.toOwner.MsgID)
		}
		if _, _, err := s.OpenRequest(ctx, turn(), requestToken(t, c.url), Recipient{}); !isMessage(err, c.toOther.MsgID) {
			t.Errorf("an open signed out: %v, want %s", err, c.toOther.MsgID)
		}
	}
}

// TestReceiptTellsTheSender: a filled request is ErrRequestSent to the
// browser holding its receipt, until the receipt ends, and
// ErrRequestAnswered to anyone else, whatever they bring; a look at it by
// anyone else not signed in, who may be its owner, is
// ErrRequestAnsweredSignedOut.
func TestReceiptTellsTheSender(t *testing.T) {
	s, _, _, owner := newRequestService(t)
	ctx := context.Background()
	var toks []string
	var receipts []Fulfilled
	for range 2 {
		c, err := s.CreateRequest(ctx, owner.ID, RequestInput{Accepts: AcceptsAny, TTL: "1h"})
		if err != nil {
			t.Fatal(err)
		}
		turn, _ := s.TakeTurn(ctx, OpenAction, Client{IP: "192.0.2.4"})
		d := s.NewDraft()
		defer d.Close()
		f, err := s.Fulfil(ctx, turn, requestToken(t, c.URL), d, "hello", nil)
		if err != nil || f.Receipt == "" || !f.ReceiptEnds.Equal(f.Link.ExpiresAt) {
			t.Fatalf("fulfil: %+v, %v", f, err)
		}
		toks, receipts = append(toks, requestToken(t, c.URL)), append(receipts, f)
	}
	// The first's, with its tag changed.
	forged, _ := base64.RawURLEncoding.DecodeString(receipts[0].Receipt)
	forged[len(forged)-1] ^= 1
	for _, tt := range []struct {
		receipts []string
		want     *Error
	}{
		{nil, ErrRequestAnswered},
		{[]string{receipts[1].Receipt, base64.RawURLEncoding.EncodeToString(forged), "junk"}, ErrRequestAnswered},
		{[]string{"junk", receipts[0].Receipt}, ErrRequestSent},
	} {
		look := tt.want
		if look == ErrRequestAnswered {
			look = ErrRequestAnsweredSignedOut
		}
		if _, err := s.LookRequest(ctx, toks[0], RequestVisitor{Receipts: tt.receipts}, false); err != look {
			t.Errorf("look with %q: %v, want %v", tt.receipts, err, look)
		}
		turn, _ := s.TakeTurn(ctx, OpenAction, Client{IP: "192.0.2.4"})
		d := s.NewDraft()
		defer d.Close()
		if _, err := s.Fulfil(ctx, turn, toks[0], d, "again", tt.receipts); err != tt.want {
			t.Errorf("send again with %q: %v, want %v", tt.receipts, err, tt.want)
		}
	}
	s.Now = func() time.Time { return receipts[0].ReceiptEnds }
	if _, err := s.LookRequest(ctx, toks[0], RequestVisitor{Receipts: []string{receipts[0].Receipt}}, false); err != ErrRequestAnsweredSignedOut {
		t.Errorf("look with an ended receipt: %v, want %v", err, ErrRequestAnsweredSignedOut)
	}
}

func TestRequestRules(t *testing.T) {
	s, _, _, owner := newRequestService(t)
	ctx := context.Background()
	for _, tc := range []struct {
		in   RequestInput
		code string
	}{
		{RequestInput{Accepts: "video", TTL: DefaultTTL}, "accepts_unknown"},
		{RequestInput{Accepts: " text", TTL: DefaultTTL}, "accepts_unknown"},
		{RequestInput{TTL: DefaultTTL}, "accepts_unknown"}, // an adapter gives AcceptsAny for none
		{RequestInput{Accepts: AcceptsAny, TTL: "soon"}, "ttl_invalid"},
		{RequestInput{Accepts: AcceptsAny}, "ttl_invalid"}, // and DefaultTTL
		{RequestInput{Accepts: AcceptsAny, TTL: "1s"}, "ttl_out_of_range"},
		{RequestInput{Accepts: AcceptsAny, TTL: DefaultTTL, Note: strings.Repeat("n", MaxNoteLen+1)}, "note_too_long"},
		{RequestInput{Accepts: AcceptsAny, TTL: DefaultTTL, Label: "a\x00b"}, "label_invalid"},
	} {
		if _, err := s.CreateRequest(ctx, owner.ID, tc.in); !isCode(err, tc.code) {
			t.Errorf("%+v: %v, want %s", tc.in, err, tc.code)
		}
	}
	fileOnly, err := s.CreateRequest(ctx, owner.ID, RequestInput{Accepts: AcceptsFile, TTL: "2m"})
	if err != nil {
		t.Fatal(err)
	}
	d := s.NewDraft()
	defer d.Close()
	turn, _ := s.TakeTurn(ctx, OpenAction, Client{IP: "192.0.2.3"})
	if _, err := s.Fulfil(ctx, turn, requestToken(t, fileOnly.URL), d, "text", nil); !isCode(err, "text_not_accepted") {
		t.Errorf("text to a file request: %v", err)
	}
	revoked, err := s.CreateRequest(ctx, owner.ID, RequestInput{Accepts: AcceptsAny, TTL: DefaultTTL})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.RevokeRequest(ctx, owner.ID, revoked.Request.ID); err != nil || r.Status(s.Now()) != RequestRevoked {
		t.Fatalf("revoke: %+v, %v", r, err)
	}
	if _, err := s.Fulfil(ctx, turn, requestToken(t, revoked.URL), d, "late", nil); !isCode(err, "request_gone") {
		t.Errorf("fulfil a revoked request: %v", err)
	}
	s.Now = func() time.Time { return time.Now().Add(3 * time.Minute) }
	if _, err := s.Fulfil(ctx, turn, requestToken(t, fileOnly.URL), d, "late", nil); !isCode(err, "request_gone") {
		t.Errorf("fulfil an expired request: %v", err)
	}
	if _, err := s.Requests(ctx, owner.ID, RequestListInput{Status: "done"}); !isCode(err, "status_unknown") {
		t.Errorf("unknown status: %v", err)
	}
}
