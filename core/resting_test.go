package core

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"oncelink/store"
	"oncelink/token"
)

// TestDisabledOwnerRests: while its owner's account is disabled, a link
// neither opens nor shows, not even to the browser holding its grant, nor
// takes a password; a request neither shows nor takes a send. Nothing of
// either changes, and enabling the account brings both back as they were.
// On either database.
func TestDisabledOwnerRests(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) { testDisabledOwnerRests(t, dsn) })
}

func testDisabledOwnerRests(t *testing.T, dsn string) {
	s, st, _ := newServiceOn(t, dsn)
	ctx := context.Background()
	bob, err := st.CreateAccount(ctx, "bob", "x", false)
	if err != nil {
		t.Fatal(err)
	}
	plain := shareLink(t, s, bob, LinkInput{Kind: KindMessage, Message: "door code", TTL: "1h", MaxUses: "3"})
	locked := shareLink(t, s, bob, LinkInput{Kind: KindMessage, Message: "vault", TTL: "1h", Password: "open sesame"})
	rq, err := s.CreateRequest(ctx, bob.ID, RequestInput{Accepts: AcceptsText, TTL: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	rtok := requestToken(t, rq.URL)
	client := Client{IP: "192.0.2.1"}
	open := func(tok, password string, grants ...string) (Opened, error) {
		t.Helper()
		turn, err := s.TakeTurn(ctx, OpenAction, client)
		if err != nil {
			t.Fatal(err)
		}
		return s.Open(ctx, turn, tok, password, Recipient{Client: client, Grants: grants})
	}
	send := func(message string) (Fulfilled, error) {
		t.Helper()
		turn, err := s.TakeTurn(ctx, OpenAction, client)
		if err != nil {
			t.Fatal(err)
		}
		d := s.NewDraft()
		defer d.Close()
		return s.Fulfil(ctx, turn, rtok, d, message, nil)
	}
	first, err := open(plain.tok, "")
	if err != nil {
		t.Fatal(err)
	}

	if _, _, err := s.SetDisabled(ctx, nil, bob.ID, true); err != nil {
		t.Fatal(err)
	}
	for what, err := range map[string]error{
		"an open":                    second(open(plain.tok, "")),
		"an open by grant":           second(open(plain.tok, "", first.Grant)),
		"a look":                     second(s.Look(ctx, plain.tok, Recipient{Client: client}, true)),
		"a look by grant":            second(s.Look(ctx, plain.tok, Recipient{Client: client, Grants: []string{first.Grant}}, true)),
		"a download by grant":        second(s.GrantedFile(ctx, plain.tok, Recipient{Client: client, Grants: []string{first.Grant}}, true)),
		"a wrong password":           second(open(locked.tok, "guess")),
		"the right password":         second(open(locked.tok, "open sesame")),
		"a password link's look":     second(s.Look(ctx, locked.tok, Recipient{Client: client}, true)),
		"a request's look":           second(s.LookRequest(ctx, rtok, RequestVisitor{Client: client}, true)),
		"a send to a request":        second(send("the VPN password")),
		"an empty send to a request": second(send("")),
		"a look at a request, HEAD":  second(s.LookRequest(ctx, rtok, RequestVisitor{Client: client}, false)),
	} {
		want := ErrLinkResting
		if strings.Contains(what, "request") {
			want = ErrRequestResting
		}
		if !errors.Is(err, want) {
			t.Errorf("%s while the owner is disabled: %v, want %s", what, err, want.Code)
		}
	}
	if e, _ := AsError(ErrLinkResting); e.Kind != Forbidden || e.Code != "owner_disabled" {
		t.Errorf("the refusal is %v %q, want Forbidden owner_disabled", e.Kind, e.Code)
	}
	plain.unchanged(t, s, 1, []string{store.EventUse})
	locked.unchanged(t, s, 0, nil)
	if links, err := s.Links(ctx, bob.ID, ListInput{}); err != nil || len(links.Links) != 2 {
		t.Fatalf("bob's links while disabled: %d, %v; want the 2 he made", len(links.Links), err)
	}

	if _, _, err := s.SetDisabled(ctx, nil, bob.ID, false); err != nil {
		t.Fatal(err)
	}
	if o, err := open(plain.tok, "", first.Grant); err != nil || o.Used || o.Message != "door code" {
		t.Fatalf("an open by grant once enabled: %+v, %v", o, err)
	}
	if o, err := open(plain.tok, ""); err != nil || !o.Used || o.Link.Uses != 2 || o.Link.MaxUses != 3 {
		t.Fatalf("an open once enabled: %+v, %v; want its second use of 3", o.Link, err)
	}
	if o, err := open(locked.tok, "open sesame"); err != nil || o.Message != "vault" {
		t.Fatalf("the password link once enabled: %+v, %v", o, err)
	}
	if _, err := s.LookRequest(ctx, rtok, RequestVisitor{Client: client}, true); err != nil {
		t.Fatalf("a request's look once enabled: %v", err)
	}
	if f, err := send("the VPN password"); err != nil || f.Link.OwnerID != bob.ID {
		t.Fatalf("a send once enabled: %+v, %v", f, err)
	}
}

// TestDisabledBetweenReadAndWrite: an account disabled after an open or a
// send read its link or request, and before the write that takes it, is
// still refused: the write itself asks whether the owner is disabled, and
// the refusal says so. On either database.
func TestDisabledBetweenReadAndWrite(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		plainService, st, _ := newServiceOn(t, dsn)
		ctx := context.Background()
		bob, err := st.CreateAccount(ctx, "bob", "x", false)
		if err != nil {
			t.Fatal(err)
		}
		locked := shareLink(t, plainService, bob, LinkInput{Kind: KindMessage, Message: "vault", TTL: "1h", Password: "open sesame"})
		rq, err := plainService.CreateRequest(ctx, bob.ID, RequestInput{Accepts: AcceptsText, TTL: "1h"})
		if err != nil {
			t.Fatal(err)
		}
		s := New(plainService.Config(), &disablingStore{Store: st, owner: bob.ID}, bytes.Repeat([]byte{7}, token.KeyLen), slog.New(slog.DiscardHandler))
		client := Client{IP: "192.0.2.1"}
		turn, err := s.TakeTurn(ctx, OpenAction, client)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(ctx, turn, locked.tok, "open sesame", Recipient{Client: client}); !errors.Is(err, ErrLinkResting) {
			t.Errorf("an open whose owner was disabled after its read: %v, want owner_disabled", err)
		}
		locked.unchanged(t, s, 0, nil)

		if _, _, err := st.SetDisabled(ctx, bob.ID, false); err != nil {
			t.Fatal(err)
		}
		d := s.NewDraft()
		defer d.Close()
		if _, err := s.Fulfil(ctx, turn, requestToken(t, rq.URL), d, "the VPN password", nil); !errors.Is(err, ErrRequestResting) {
			t.Errorf("a send whose owner was disabled after its read: %v, want owner_disabled", err)
		}
		if r, err := s.Request(ctx, bob.ID, rq.Request.ID); err != nil || r.Status(s.Now()) != RequestOpen || r.LinkID != 0 {
			t.Errorf("the request after a refused send: %+v, %v", r, err)
		}
		if links, err := s.Links(ctx, bob.ID, ListInput{}); err != nil || len(links.Links) != 1 {
			t.Errorf("bob's links after a refused send: %d, %v; want his one", len(links.Links), err)
		}
	})
}

// disablingStore disables owner's account as soon as a lookup has read one
// of its links or requests while it was enabled, as an administrator might
// between an open's read and its write.
type disablingStore struct {
	*store.Store
	owner int64
}

func (d *disablingStore) LinkByHash(ctx context.Context, hash []byte) (store.Link, error) {
	l, err := d.Store.LinkByHash(ctx, hash)
	if err == nil && l.OwnerID == d.owner && !l.OwnerDisabled {
		_, _, err = d.Store.SetDisabled(ctx, d.owner, true)
	}
	return l, err
}

func (d *disablingStore) RequestByHash(ctx context.Context, hash []byte) (store.Request, error) {
	r, err := d.Store.RequestByHash(ctx, hash)
	if err == nil && r.OwnerID == d.owner && !r.OwnerDisabled {
		_, _, err = d.Store.SetDisabled(ctx, d.owner, true)
	}
	return r, err
}

// sharedLink is a link of these tests, with its token.
type sharedLink struct {
	Link
	tok string
}

func shareLink(t *testing.T, s *Service, owner Account, in LinkInput) sharedLink {
	t.Helper()
	c, err := s.Create(context.Background(), owner.ID, s.NewDraft(), in)
	if err != nil {
		t.Fatal(err)
	}
	return sharedLink{Link: c.Link, tok: c.URL[strings.LastIndex(c.URL, "/")+1:]}
}

// unchanged checks that l has uses uses, no views, and the audit trail
// events (by kind), and expires when it did.
func (l sharedLink) unchanged(t *testing.T, s *Service, uses int, events []string) {
	t.Helper()
	now, trail, err := s.Audit(context.Background(), l.OwnerID, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range trail {
		kinds = append(kinds, e.Kind)
	}
	if now.Uses != uses || now.Views != 0 || !now.ExpiresAt.Equal(l.ExpiresAt) || strings.Join(kinds, " ") != strings.Join(events, " ") {
		t.Errorf("link %d: %d uses, %d views, expires %v, events %v; want %d uses, no views, expiry %v, events %v",
			l.ID, now.Uses, now.Views, now.ExpiresAt, kinds, uses, l.ExpiresAt, events)
	}
}

// second is the error of a call's two results.
func second[T any](_ T, err error) error { return err }
