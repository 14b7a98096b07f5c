package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func mustWebhook(t testing.TB, s *Store, account int64, url string) Webhook {
	t.Helper()
	w, err := s.CreateWebhook(context.Background(), account, url, []string{NoticeLinkOpened}, hashOf(t), 10, "")
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestWebhookIDsAreNeverGivenTwice: a script that repeats the deletion of
// an endpoint must not delete a newer one, so a deleted endpoint's ID, the
// newest one's too, is never given again.
func TestWebhookIDsAreNeverGivenTwice(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		owner := mustAccount(t, s, "ada")
		mustWebhook(t, s, owner.ID, "https://example.com/a")
		given := map[int64]bool{}
		for i := range 3 {
			w := mustWebhook(t, s, owner.ID, fmt.Sprintf("https://example.com/%d", i))
			if given[w.ID] {
				t.Fatalf("endpoint %d got the ID of a deleted one", w.ID)
			}
			given[w.ID] = true
			if err := s.DeleteWebhook(ctx, owner.ID, w.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestWebhooksKeptThroughTheRebuild opens an SQLite database made by the
// migrations before webhook IDs were kept from being given twice: its
// endpoints keep their IDs, their deliveries and those deliveries'
// attempts, deleting an endpoint still deletes its deliveries, and its
// newest endpoint's ID is not given again once deleted.
func TestWebhooksKeptThroughTheRebuild(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	s := openSQLiteBefore(t, path, "migrations/021")
	c := newClock(s)
	owner := accountBefore(t, s, "ada", false)
	hooks := []Webhook{mustWebhook(t, s, owner.ID, "https://example.com/a"), mustWebhook(t, s, owner.ID, "https://example.com/b"),
		mustWebhook(t, s, owner.ID, "https://example.com/c")}
	if _, err := s.RotateWebhook(ctx, owner.ID, hooks[1].ID, hashOf(t), time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, w := range hooks {
		if err := s.TestWebhook(ctx, owner.ID, w.ID); err != nil {
			t.Fatal(err)
		}
	}
	leased, err := s.LeaseDeliveries(ctx, c.Now(), time.Minute, 10)
	if err != nil || len(leased) != len(hooks) {
		t.Fatalf("leased %d deliveries, %v", len(leased), err)
	}
	for _, d := range leased {
		err := s.FinishAttempt(ctx, d, Attempt{At: c.Now(), Code: 500, Duration: time.Second, Body: "{}", MessageID: fmt.Sprint("msg_", d.ID),
			Outcome: DeliveryPending, NextAt: c.Now().Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
	}
	before, deliveries, attempts := webhooksOf(t, s, owner.ID)
	s.Close()

	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if after, afterDeliveries, afterAttempts := webhooksOf(t, s, owner.ID); !reflect.DeepEqual(after, before) ||
		!reflect.DeepEqual(afterDeliveries, deliveries) || !reflect.DeepEqual(afterAttempts, attempts) {
		t.Fatalf("endpoints %+v\nwith deliveries %+v\nand attempts %+v\nbecame %+v\nwith %+v\nand %+v",
			before, deliveries, attempts, after, afterDeliveries, afterAttempts)
	}
	var on int
	if err := s.db.Get(&on, `PRAGMA foreign_keys`); err != nil || on != 1 {
		t.Fatalf("foreign keys after migrating: %d, %v", on, err)
	}

	newest := hooks[len(hooks)-1]
	if err := s.DeleteWebhook(ctx, owner.ID, newest.ID); err != nil {
		t.Fatal(err)
	}
	if w := mustWebhook(t, s, owner.ID, "https://example.com/d"); w.ID == newest.ID {
		t.Fatalf("a new endpoint got the deleted one's ID, %d", w.ID)
	}
	var left int
	if err := s.db.Get(&left, `SELECT COUNT(*) FROM notice_deliveries WHERE webhook_id = ?`, newest.ID); err != nil || left != 0 {
		t.Fatalf("%d deliveries of the deleted endpoint left, %v", left, err)
	}
}

// webhooksOf returns account's endpoints, their deliveries, and those
// deliveries' attempts.
func webhooksOf(t testing.TB, s *Store, account int64) ([]Webhook, map[int64][]Delivery, map[int64][]Attempt) {
	t.Helper()
	ctx := context.Background()
	hooks, err := s.Webhooks(ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	deliveries, attempts := map[int64][]Delivery{}, map[int64][]Attempt{}
	for _, w := range hooks {
		if deliveries[w.ID], err = s.WebhookDeliveries(ctx, account, w.ID, 10); err != nil || len(deliveries[w.ID]) == 0 {
			t.Fatalf("deliveries of endpoint %d: %d, %v", w.ID, len(deliveries[w.ID]), err)
		}
		for _, d := range deliveries[w.ID] {
			if attempts[d.ID], err = s.DeliveryAttempts(ctx, d.ID); err != nil || len(attempts[d.ID]) == 0 {
				t.Fatalf("attempts of delivery %d: %d, %v", d.ID, len(attempts[d.ID]), err)
			}
		}
	}
	return hooks, deliveries, attempts
}

// TestRemovingTheConfirmedAddressKeepsThePendingOne: the removal of one
// confirmed address (an unsubscribe link's) takes that address alone; a
// new one the owner set, still waiting for its confirmation, stays and
// can be confirmed. The owner's own removal takes both.
func TestRemovingTheConfirmedAddressKeepsThePendingOne(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		owner := mustAccount(t, s, "ada")
		now := time.Now().Truncate(time.Millisecond)
		expires := now.Add(time.Hour)
		pend := func(address string) []byte {
			t.Helper()
			hash := sha256.Sum256([]byte(address))
			if err := s.SetPendingAddress(ctx, owner.ID, address, hash[:], expires); err != nil {
				t.Fatal(err)
			}
			return hash[:]
		}
		confirm := func(hash []byte, want string) NoticeAddress {
			t.Helper()
			nonce := sha256.Sum256(append(hash, want...))
			if got, err := s.ConfirmAddress(ctx, owner.ID, hash, now, nonce[:16]); err != nil || got != want {
				t.Fatalf("confirmed %q, %v; want %q", got, err, want)
			}
			a, err := s.NoticeAddress(ctx, owner.ID)
			if err != nil || !bytes.Equal(a.UnsubscribeNonce, nonce[:16]) {
				t.Fatalf("the nonce confirmed: %x, %v; want %x", a.UnsubscribeNonce, err, nonce[:16])
			}
			return a
		}
		check := func(what string, want NoticeAddress, notices bool) {
			t.Helper()
			got, err := s.NoticeAddress(ctx, owner.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Address != want.Address || got.Pending != want.Pending || !got.PendingExpiresAt.Equal(want.PendingExpiresAt) {
				t.Errorf("%s: %+v, want %+v", what, got, want)
			}
			var flag bool
			if err := s.db.GetContext(ctx, &flag, s.db.Rebind(`SELECT notices FROM accounts WHERE id = ?`), owner.ID); err != nil || flag != notices {
				t.Errorf("%s: notices %v (%v), want %v", what, flag, err, notices)
			}
		}

		first := confirm(pend("ada@example.org"), "ada@example.org")
		next := pend("ada@work.example")
		check("a change waiting", NoticeAddress{Address: "ada@example.org", Pending: "ada@work.example", PendingExpiresAt: expires}, true)

		// Only under its own nonce.
		if err := s.RemoveAddress(ctx, owner.ID, &NoticeAddress{Address: "ada@example.org", UnsubscribeNonce: []byte("another nonce")}); !errors.Is(err, ErrNotFound) {
			t.Errorf("removing the address under another nonce: %v, want %v", err, ErrNotFound)
		}
		if err := s.RemoveAddress(ctx, owner.ID, &first); err != nil {
			t.Fatal(err)
		}
		check("the confirmed address removed", NoticeAddress{Pending: "ada@work.example", PendingExpiresAt: expires}, false)
		// Neither the removed address again, nor the one waiting, which
		// is no confirmed address.
		for _, address := range []NoticeAddress{first, {Address: "ada@work.example"}} {
			if err := s.RemoveAddress(ctx, owner.ID, &address); !errors.Is(err, ErrNotFound) {
				t.Errorf("removing %s: %v, want %v", address.Address, err, ErrNotFound)
			}
		}
		check("nothing more removed", NoticeAddress{Pending: "ada@work.example", PendingExpiresAt: expires}, false)

		confirm(next, "ada@work.example")
		check("the waiting address confirmed", NoticeAddress{Address: "ada@work.example"}, true)

		// An address confirmed before nonces were kept has none, and is
		// removed as it is.
		if _, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE notice_addresses SET unsubscribe_nonce = NULL WHERE account_id = ?`), owner.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveAddress(ctx, owner.ID, &NoticeAddress{Address: "ada@work.example"}); err != nil {
			t.Fatalf("removing an address without a nonce: %v", err)
		}
		check("the address without a nonce removed", NoticeAddress{}, false)

		// The owner's removal takes the address and the one waiting.
		confirm(pend("ada@work.example"), "ada@work.example")
		pend("ada@home.example")
		if err := s.RemoveAddress(ctx, owner.ID, nil); err != nil {
			t.Fatal(err)
		}
		check("all removed", NoticeAddress{}, false)
	})
}
