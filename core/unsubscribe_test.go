package core

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"oncelink/store"
	"oncelink/token"
)

// confirmAddress makes address account's confirmed notice address
// straight in the store, with a fresh unsubscribe nonce, and returns it as
// the store has it.
func confirmAddress(t *testing.T, st *store.Store, account int64, address string) NoticeAddress {
	t.Helper()
	ctx := context.Background()
	hash := sha256.Sum256([]byte(address))
	if err := st.SetPendingAddress(ctx, account, address, hash[:], time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ConfirmAddress(ctx, account, hash[:], time.Now(), []byte(rand.Text())); err != nil {
		t.Fatal(err)
	}
	a, err := st.NoticeAddress(ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestUnsubscribeToken(t *testing.T) {
	s, st, _, ada := newRequestService(t)
	ctx := context.Background()
	bob, err := st.CreateAccount(ctx, "bob", "x", false)
	if err != nil {
		t.Fatal(err)
	}
	// Both send their notices to one address.
	adas := confirmAddress(t, st, ada.ID, "ada@example.org")
	bobs := confirmAddress(t, st, bob.ID, "ada@example.org")
	tok := s.UnsubscribeToken(ada.ID, adas)
	if len(tok) != UnsubscribeTokenLen || UnsubscribeTokenLen != 32 {
		t.Fatalf("token %q of %d characters", tok, len(tok))
	}
	if u, err := s.Unsubscription(ctx, tok); err != nil || u != (Unsubscription{ada.ID, "ada@example.org"}) {
		t.Fatalf("unsubscription: %+v, %v", u, err)
	}

	// The tag is of the account, the address and its nonce: ada's tag
	// under bob's id, another address's, another nonce's (bob's), none's,
	// another server's key, are all refused.
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	binary.BigEndian.PutUint64(raw[:8], uint64(bob.ID))
	other := New(Config{BaseURL: "https://share.example"}, st, bytes.Repeat([]byte{8}, token.KeyLen), slog.New(slog.NewTextHandler(io.Discard, nil)))
	for what, bad := range map[string]string{
		"ada's tag under bob's id": base64.RawURLEncoding.EncodeToString(raw),
		"another address's":        s.UnsubscribeToken(ada.ID, NoticeAddress{Address: "eve@example.org", UnsubscribeNonce: adas.UnsubscribeNonce}),
		"another nonce's":          s.UnsubscribeToken(ada.ID, bobs),
		"no nonce's":               s.UnsubscribeToken(ada.ID, NoticeAddress{Address: "ada@example.org"}),
		"another key's":            other.UnsubscribeToken(ada.ID, adas),
		"no account's":             s.UnsubscribeToken(ada.ID+100, adas),
	} {
		if _, err := s.Unsubscription(ctx, bad); err != ErrUnsubscribeGone {
			t.Errorf("%s: %v, want %v", what, err, ErrUnsubscribeGone)
		}
	}
	// A text of no token's shape is refused before any look-up.
	var zero [8 + UnsubscribeTagLen]byte
	for _, bad := range []string{"", tok[:31], tok + "A", strings.Repeat("!", 32), tok[:31] + "=",
		base64.RawURLEncoding.EncodeToString(zero[:]), strings.Repeat("A", 10_000)} {
		if _, err := s.Unsubscription(ctx, bad); err != ErrUnsubscribeInvalid {
			t.Errorf("Unsubscription(%.40q): %v, want %v", bad, err, ErrUnsubscribeInvalid)
		}
		if _, err := s.UnsubscribeTurn(ctx, bad, Client{IP: "198.51.100.7"}); err != ErrUnsubscribeInvalid {
			t.Errorf("UnsubscribeTurn(%.40q): %v, want %v", bad, err, ErrUnsubscribeInvalid)
		}
	}

	// Unsubscribing takes a turn at it, and removes ada's address alone.
	if _, err := s.Unsubscribe(ctx, Turn{}, tok); err == nil {
		t.Fatal("unsubscribed without a turn")
	}
	turn, err := s.UnsubscribeTurn(ctx, tok, Client{IP: "198.51.100.7"})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := s.Unsubscribe(ctx, turn, tok); err != nil || u.Address != "ada@example.org" {
		t.Fatalf("unsubscribe: %+v, %v", u, err)
	}
	address := func(account int64) string {
		a, err := st.NoticeAddress(ctx, account)
		if err != nil {
			t.Fatal(err)
		}
		return a.Address
	}
	if address(ada.ID) != "" || address(bob.ID) != "ada@example.org" {
		t.Fatalf("after ada unsubscribed: ada's %q, bob's %q", address(ada.ID), address(bob.ID))
	}
	if _, err := s.Unsubscribe(ctx, turn, tok); err != ErrUnsubscribeGone {
		t.Errorf("unsubscribing twice: %v", err)
	}

	// An address changed: its old link stops nothing, and the removal
	// of one address never takes another, even one that replaced it
	// after the link was checked.
	work := confirmAddress(t, st, ada.ID, "ada@work.example")
	if _, err := s.Unsubscribe(ctx, turn, tok); err != ErrUnsubscribeGone || address(ada.ID) != "ada@work.example" {
		t.Errorf("the old address's link: %v, address %q", err, address(ada.ID))
	}
	if err := fromStore(st.RemoveAddress(ctx, ada.ID, &adas)); !errors.Is(err, ErrNotFound) || address(ada.ID) != "ada@work.example" {
		t.Errorf("removing the old address: %v, address %q", err, address(ada.ID))
	}

	// The same address set again: the links made before stop nothing.
	before := s.UnsubscribeToken(ada.ID, work)
	again := confirmAddress(t, st, ada.ID, "ada@work.example")
	if _, err := s.Unsubscription(ctx, before); err != ErrUnsubscribeGone {
		t.Errorf("a link made before the address was set again: %v, want %v", err, ErrUnsubscribeGone)
	}
	if u, err := s.Unsubscription(ctx, s.UnsubscribeToken(ada.ID, again)); err != nil || u.Address != "ada@work.example" {
		t.Errorf("a link made since: %+v, %v", u, err)
	}

	// An address confirmed before nonces were kept has none: the links of
	// the mails sent to it, tagged without one, work until it is set
	// again.
	if _, err := st.SessionDB().ExecContext(ctx, `UPDATE notice_addresses SET unsubscribe_nonce = NULL WHERE account_id = ?`, ada.ID); err != nil {
		t.Fatal(err)
	}
	old := s.UnsubscribeToken(ada.ID, NoticeAddress{Address: "ada@work.example"})
	turn, err = s.UnsubscribeTurn(ctx, old, Client{IP: "198.51.100.7"})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := s.Unsubscribe(ctx, turn, old); err != nil || u.Address != "ada@work.example" || address(ada.ID) != "" {
		t.Errorf("the link of an address without a nonce: %+v, %v, address %q", u, err, address(ada.ID))
	}
}
