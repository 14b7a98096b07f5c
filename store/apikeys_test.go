package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func mustAPIKey(t testing.TB, s *Store, account int64, name string, ttl time.Duration) (APIKey, []byte) {
	t.Helper()
	n := NewAPIKey{AccountID: account, Name: name, Prefix: "ol_" + name, Hash: hashOf(t)}
	if ttl > 0 {
		n.ExpiresAt = s.Now().Add(ttl)
	}
	k, err := s.CreateAPIKey(context.Background(), n, 20)
	if err != nil {
		t.Fatal(err)
	}
	return k, n.Hash
}

func TestAPIKeyLife(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		ada := mustAccount(t, s, "ada")
		eve := mustAccount(t, s, "eve")
		// Times are kept to the millisecond.
		never, neverHash := mustAPIKey(t, s, ada.ID, "never", 0)
		c.Add(time.Second)
		yearly, _ := mustAPIKey(t, s, ada.ID, "yearly", 365*24*time.Hour+1234567*time.Nanosecond)
		evesKey, _ := mustAPIKey(t, s, eve.ID, "eve", 0)
		if !never.ExpiresAt.IsZero() || !never.LastUsedAt.IsZero() || !never.RevokedAt.IsZero() || !never.Active(c.Now()) {
			t.Fatalf("new key without expiry: %+v", never)
		}
		if never.AccountID != ada.ID || never.Name != "never" || never.Prefix != "ol_never" || !never.CreatedAt.Equal(c.Now().Add(-time.Second)) {
			t.Fatalf("new key: %+v", never)
		}
		keys, err := s.APIKeys(ctx, ada.ID)
		if err != nil || !reflect.DeepEqual(keys, []APIKey{yearly, never}) {
			t.Fatalf("ada's keys: %+v, %v\nwant %+v", keys, err, []APIKey{yearly, never})
		}

		if _, err := s.CreateAPIKey(ctx, NewAPIKey{AccountID: eve.ID, Name: "copy", Prefix: "ol_x", Hash: neverHash}, 20); !errors.Is(err, ErrConflict) {
			t.Fatalf("a taken hash: %v", err)
		}
		if _, err := s.CreateAPIKey(ctx, NewAPIKey{AccountID: eve.ID + 100, Name: "lost", Prefix: "ol_y", Hash: hashOf(t)}, 20); !errors.Is(err, ErrNotFound) {
			t.Fatalf("an unknown account: %v", err)
		}

		a, k, err := s.AccountByAPIKey(ctx, neverHash)
		if err != nil || a.ID != ada.ID || a.Username != "ada" || !reflect.DeepEqual(k, never) {
			t.Fatalf("by hash: %+v, %+v, %v", a, k, err)
		}
		if _, _, err := s.AccountByAPIKey(ctx, hashOf(t)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown hash: %v", err)
		}

		for _, id := range []int64{evesKey.ID, evesKey.ID + 100} {
			if _, err := s.RevokeAPIKey(ctx, ada.ID, id); !errors.Is(err, ErrNotFound) {
				t.Fatalf("ada revokes key %d: %v", id, err)
			}
		}
		if keys, _ := s.APIKeys(ctx, eve.ID); len(keys) != 1 {
			t.Fatalf("eve's key revoked by ada: %+v", keys)
		}
		revokedAt := c.Now()
		revoked, err := s.RevokeAPIKey(ctx, ada.ID, never.ID)
		if err != nil || !revoked.RevokedAt.Equal(revokedAt) || revoked.Active(c.Now()) {
			t.Fatalf("revoke: %+v, %v", revoked, err)
		}
		c.Add(time.Minute)
		if again, err := s.RevokeAPIKey(ctx, ada.ID, never.ID); err != nil || !again.RevokedAt.Equal(revokedAt) {
			t.Fatalf("revoke again: %+v, %v", again, err)
		}
		if keys, err := s.APIKeys(ctx, ada.ID); err != nil || len(keys) != 1 || keys[0].ID != yearly.ID {
			t.Fatalf("ada's keys after a revoke: %+v, %v", keys, err)
		}

		// A refused key is still found, with its account as it is: the
		// caller tells the client why.
		if _, _, err := s.SetDisabled(ctx, ada.ID, true); err != nil {
			t.Fatal(err)
		}
		a, k, err = s.AccountByAPIKey(ctx, neverHash)
		if err != nil || !a.Disabled() || k.ID != never.ID || k.Active(c.Now()) {
			t.Fatalf("a revoked key of a disabled account: %+v, %+v, %v", a, k, err)
		}
	})
}

func TestAPIKeyActive(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		key  APIKey
		want bool
	}{
		{"never expires", APIKey{}, true},
		{"expires later", APIKey{ExpiresAt: now.Add(time.Millisecond)}, true},
		{"expires now", APIKey{ExpiresAt: now}, false},
		{"revoked", APIKey{ExpiresAt: now.Add(time.Hour), RevokedAt: now.Add(-time.Hour)}, false},
	} {
		if got := c.key.Active(now); got != c.want {
			t.Errorf("%s: active = %v", c.name, got)
		}
	}
}

// Only keys that can be used count towards the limit: revoking or outliving
// one makes room for another. Expired keys stay in their owner's list.
func TestAPIKeyLimit(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		ada := mustAccount(t, s, "ada")
		eve := mustAccount(t, s, "eve")
		create := func(account int64, ttl time.Duration) (APIKey, error) {
			n := NewAPIKey{AccountID: account, Name: "key", Prefix: "ol_key", Hash: hashOf(t)}
			if ttl > 0 {
				n.ExpiresAt = c.Now().Add(ttl)
			}
			return s.CreateAPIKey(ctx, n, 3)
		}
		var keys []APIKey
		for i, ttl := range []time.Duration{0, time.Minute, time.Hour} {
			k, err := create(ada.ID, ttl)
			if err != nil {
				t.Fatalf("key %d: %v", i, err)
			}
			keys = append(keys, k)
		}
		if _, err := create(ada.ID, 0); !errors.Is(err, ErrLimit) {
			t.Fatalf("a key past the limit: %v", err)
		}
		if _, err := create(eve.ID, 0); err != nil {
			t.Fatalf("another account's key: %v", err)
		}
		if _, err := s.RevokeAPIKey(ctx, ada.ID, keys[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := create(ada.ID, 0); err != nil {
			t.Fatalf("a key in a revoked one's place: %v", err)
		}
		if _, err := create(ada.ID, 0); !errors.Is(err, ErrLimit) {
			t.Fatalf("a key past the limit after a revoke: %v", err)
		}
		c.Add(time.Minute) // keys[1] expires
		if _, err := create(ada.ID, 0); err != nil {
			t.Fatalf("a key in an expired one's place: %v", err)
		}
		if _, err := create(ada.ID, 0); !errors.Is(err, ErrLimit) {
			t.Fatalf("a key past the limit after an expiry: %v", err)
		}
		listed, err := s.APIKeys(ctx, ada.ID)
		if err != nil || len(listed) != 4 {
			t.Fatalf("ada's keys: %d, %v", len(listed), err)
		}
		var expired int
		for _, k := range listed {
			if !k.Active(c.Now()) {
				expired++
				if k.ID != keys[1].ID {
					t.Errorf("key %d is listed as expired", k.ID)
				}
			}
		}
		if expired != 1 {
			t.Errorf("%d expired keys listed, want 1", expired)
		}
	})
}

// However many creates race for an account's last places, the limit holds.
func TestAPIKeyLimitRaces(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ada := mustAccount(t, s, "ada")
		for round := range 5 {
			const limit = 3
			var made atomic.Int32
			var wg sync.WaitGroup
			for range 24 {
				wg.Go(func() {
					_, err := s.CreateAPIKey(context.Background(), NewAPIKey{AccountID: ada.ID, Name: fmt.Sprint(round),
						Prefix: "ol_race", Hash: hashOf(t)}, limit*(round+1))
					switch {
					case err == nil:
						made.Add(1)
					case !errors.Is(err, ErrLimit):
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if made.Load() != limit {
				t.Fatalf("round %d: %d keys made for %d places", round, made.Load(), limit)
			}
		}
	})
}

// A key's last use is written at most once a minute, however often it is
// touched.
func TestTouchAPIKey(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		ada := mustAccount(t, s, "ada")
		k, hash := mustAPIKey(t, s, ada.ID, "cli", 0)
		lastUsed := func() time.Time {
			t.Helper()
			_, key, err := s.AccountByAPIKey(ctx, hash)
			if err != nil {
				t.Fatal(err)
			}
			return key.LastUsedAt
		}
		first := c.Now()
		for _, step := range []struct {
			after time.Duration // since the last step
			want  time.Time
		}{
			{0, first},
			{time.Second, first},
			{59 * time.Second, first}, // a minute after the first
			{time.Millisecond, first.Add(time.Minute + time.Millisecond)},
			{30 * time.Second, first.Add(time.Minute + time.Millisecond)},
		} {
			c.Add(step.after)
			if err := s.TouchAPIKey(ctx, k.ID, c.Now()); err != nil {
				t.Fatal(err)
			}
			if got := lastUsed(); !got.Equal(step.want) {
				t.Fatalf("touched at %v: last used %v, want %v", c.Now().Sub(first), got.Sub(first), step.want.Sub(first))
			}
		}
		// A touch that arrives late, with an older time, never moves the
		// last use back.
		if err := s.TouchAPIKey(ctx, k.ID, first); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); !got.Equal(first.Add(time.Minute + time.Millisecond)) {
			t.Fatalf("a late touch moved the last use to %v", got.Sub(first))
		}
		if err := s.TouchAPIKey(ctx, k.ID+100, c.Now()); err != nil {
			t.Fatalf("touching an unknown key: %v", err)
		}

		// Touches racing one another all succeed, and the one written first
		// stays: the others are less than a minute after it.
		c.Add(time.Hour)
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				if err := s.TouchAPIKey(ctx, k.ID, c.Now().Add(time.Duration(i)*time.Millisecond)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := lastUsed(); got.Sub(c.Now()) < 0 || got.Sub(c.Now()) > 15*time.Millisecond {
			t.Fatalf("after racing touches: last used %v after the first", got.Sub(c.Now()))
		}
	})
}
