package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// TestClaimFormKeyOnce claims one form's key eight times at once, from two
// instances: one claim takes it. Another account's form with the same key
// is its own; a key given back can be claimed again, and the sweep drops a
// claim once FormKeyKept is over.
func TestClaimFormKeyOnce(t *testing.T) {
	twoInstances(t, func(t *testing.T, a, b *Store) {
		ctx := context.Background()
		c := newClock(a)
		b.Now = c.Now
		ada, bob := mustAccount(t, a, "ada"), mustAccount(t, a, "bob")
		claimAtOnce := func(kind, key string) int {
			t.Helper()
			var claimed atomic.Int32
			calls := make([]func(), 8)
			for i := range calls {
				calls[i] = func() {
					ok, err := []*Store{a, b}[i%2].ClaimFormKey(ctx, ada.ID, kind, key)
					if err != nil {
						t.Error(err)
					}
					if ok {
						claimed.Add(1)
					}
				}
			}
			atOnce(calls...)
			return int(claimed.Load())
		}
		for i := range 5 {
			key := fmt.Sprint("form-", i)
			if n := claimAtOnce("api_key", key); n != 1 {
				t.Fatalf("%s claimed %d times at once, want once", key, n)
			}
		}
		claim := func(s *Store, account int64, kind, key string) bool {
			t.Helper()
			ok, err := s.ClaimFormKey(ctx, account, kind, key)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if claim(b, ada.ID, "password", "form-0") {
			t.Error("a key claimed by one kind of form is claimed again by another")
		}
		if !claim(b, bob.ID, "api_key", "form-0") {
			t.Error("another account's form with the same key is not claimed")
		}

		// Given back, by the kind that claimed it only.
		if err := b.ReleaseFormKey(ctx, ada.ID, "password", "form-1"); err != nil {
			t.Fatal(err)
		}
		if claim(a, ada.ID, "api_key", "form-1") {
			t.Error("a key given back by another kind of form is free")
		}
		if err := b.ReleaseFormKey(ctx, ada.ID, "api_key", "form-1"); err != nil {
			t.Fatal(err)
		}
		if n := claimAtOnce("api_key", "form-1"); n != 1 {
			t.Fatalf("a key given back is claimed %d times at once, want once", n)
		}

		c.Add(FormKeyKept - 1)
		if _, err := a.Sweep(ctx, 0, FormKeyKept); err != nil {
			t.Fatal(err)
		}
		if claim(b, ada.ID, "api_key", "form-2") {
			t.Fatal("a claim is dropped before FormKeyKept")
		}
		c.Add(1)
		if _, err := a.Sweep(ctx, 0, FormKeyKept); err != nil {
			t.Fatal(err)
		}
		if !claim(b, ada.ID, "api_key", "form-2") {
			t.Fatal("a claim outlives FormKeyKept")
		}
	})
}

// TestFormKeyClaimSettles: a claim stands unsettled while its form acts,
// settled once it is done, and is gone once given back; only the kind of
// form that claimed it settles it.
func TestFormKeyClaimSettles(t *testing.T) {
	twoInstances(t, func(t *testing.T, a, b *Store) {
		ctx := context.Background()
		ada := mustAccount(t, a, "ada")
		state := func(key string) FormClaim {
			t.Helper()
			c, err := b.FormKeyClaim(ctx, ada.ID, key)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if c := state("form-1"); c.Claimed {
			t.Fatalf("a key never claimed: %+v", c)
		}
		if ok, err := a.ClaimFormKey(ctx, ada.ID, "api_key", "form-1"); err != nil || !ok {
			t.Fatalf("claim: %v, %v", ok, err)
		}
		if c := state("form-1"); !c.Claimed || c.Settled || c.ClaimedAt.IsZero() {
			t.Fatalf("a key just claimed: %+v, want claimed, unsettled", c)
		}
		if err := a.SettleFormKey(ctx, ada.ID, "password", "form-1"); err != nil {
			t.Fatal(err)
		}
		if c := state("form-1"); c.Settled {
			t.Fatal("another kind of form settled the claim")
		}
		if err := a.SettleFormKey(ctx, ada.ID, "api_key", "form-1"); err != nil {
			t.Fatal(err)
		}
		if c := state("form-1"); !c.Claimed || !c.Settled {
			t.Fatalf("a key settled: %+v", c)
		}
		if err := a.ReleaseFormKey(ctx, ada.ID, "api_key", "form-1"); err != nil {
			t.Fatal(err)
		}
		if c := state("form-1"); c.Claimed {
			t.Fatalf("a key given back: %+v", c)
		}
	})
}
