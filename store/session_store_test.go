package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSessionStoreFindsTheAccountWithTheSession(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ada, bob := mustAccount(t, s, "ada"), mustAccount(t, s, "bob")
		startSession(t, s, ada.ID, "a1")
		startSession(t, s, bob.ID, "b1")
		ss := s.SessionStore(0)
		defer ss.StopCleanup()
		// A session no account lists, as before a sign-in.
		if err := ss.Commit("anon", []byte("y"), s.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		rename := func(name string) {
			t.Helper()
			if _, err := s.db.Exec(s.db.Rebind(`UPDATE accounts SET username = ? WHERE id = ?`), name, ada.ID); err != nil {
				t.Fatal(err)
			}
		}

		ctx := HoldSessionAccount(context.Background())
		if b, found, err := ss.FindCtx(ctx, "a1"); err != nil || !found || string(b) != "x" {
			t.Fatalf("find a1: %q, %v, %v", b, found, err)
		}
		// The account found with the session is taken, not read again; once.
		rename("ada2")
		if a, err := s.SessionAccount(ctx, ada.ID, "a1"); err != nil || a.Username != "ada" {
			t.Fatalf("the account found with the session: %+v, %v", a, err)
		}
		if a, err := s.SessionAccount(ctx, ada.ID, "a1"); err != nil || a.Username != "ada2" {
			t.Fatalf("a second lookup reads the account afresh: %+v, %v", a, err)
		}
		// Only for the session and the account it was found with: not for
		// another session of the same account, such as the one a token
		// renewal gives it, which is not listed yet, or no longer.
		if _, _, err := ss.FindCtx(ctx, "a1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionAccount(ctx, ada.ID, "a2"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("ada with a2, a session no one lists: %v", err)
		}
		if _, err := s.SessionAccount(ctx, bob.ID, "a1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another account with a1: %v", err)
		}
		if a, err := s.SessionAccount(ctx, bob.ID, "b1"); err != nil || a.ID != bob.ID {
			t.Fatalf("bob's own session: %+v, %v", a, err)
		}

		// A session listed for no account is found all the same, with none.
		ctx = HoldSessionAccount(context.Background())
		if b, found, err := ss.FindCtx(ctx, "anon"); err != nil || !found || string(b) != "y" {
			t.Fatalf("find anon: %q, %v, %v", b, found, err)
		}
		if _, ok := takeHeld(ctx, ada.ID, "anon"); ok {
			t.Fatal("an account was held for a session no account lists")
		}
		// An expired session is not found, listed or not.
		if err := ss.Commit("a1", []byte("x"), s.Now().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, found, err := ss.FindCtx(ctx, "a1"); err != nil || found {
			t.Fatalf("an expired session was found: %v, %v", found, err)
		}
		// Without a place to hold it, a session is found as scs finds it.
		if b, found, err := ss.FindCtx(context.Background(), "b1"); err != nil || !found || string(b) != "x" {
			t.Fatalf("find b1 without a place: %q, %v, %v", b, found, err)
		}
	})
}
