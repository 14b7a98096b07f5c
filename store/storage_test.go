package store

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newSized is a message link of owner holding size bytes, bounded by limit.
func newSized(t testing.TB, s *Store, owner, size, limit int64) NewLink {
	return NewLink{OwnerID: owner, TokenHash: hashOf(t), Kind: KindMessage, MaxUses: 1,
		ExpiresAt: s.Now().Add(time.Hour), Size: size, StorageLimit: limit}
}

// storageFull reports whether err is a StorageFullError that says used
// and limit.
func storageFull(err error, used, limit int64) bool {
	var full *StorageFullError
	return errors.As(err, &full) && errors.Is(err, ErrLimit) && full.Used == used && full.Limit == limit
}

func mustUsed(t *testing.T, s *Store, owner, want int64) {
	t.Helper()
	if used, err := s.StorageUsed(context.Background(), owner); err != nil || used != want {
		t.Fatalf("storage used: %d, %v; want %d", used, err, want)
	}
}

// TestStorageLimit: an owner's links keep at most NewLink.StorageLimit,
// however they are made; a link that does not fit is refused, stores
// nothing, and leaves a request it was sent to open; content that is
// deleted, by a revoke or the sweep, counts no more.
func TestStorageLimit(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		ada, bob := mustAccount(t, s, "ada"), mustAccount(t, s, "bob")
		const limit = 1000
		first, err := s.CreateLink(ctx, newSized(t, s, ada.ID, 600, limit), [][]byte{[]byte("chunk")})
		if err != nil {
			t.Fatal(err)
		}
		// Another account's links are its own.
		bobs := newSized(t, s, bob.ID, 900, limit)
		bobs.ExpiresAt = c.Now().Add(24 * time.Hour)
		if _, err := s.CreateLink(ctx, bobs, [][]byte{[]byte("chunk")}); err != nil {
			t.Fatal(err)
		}
		_, err = s.CreateLink(ctx, newSized(t, s, ada.ID, 401, limit), [][]byte{[]byte("chunk")})
		if !storageFull(err, 600, limit) {
			t.Fatalf("401 bytes past 600 of 1000: %v", err)
		}
		filled := false
		_, err = s.CreateLinkStream(ctx, newSized(t, s, ada.ID, 401, limit), func(put func([]byte) error) error {
			filled = true
			return put([]byte("chunk"))
		})
		if !storageFull(err, 600, limit) || filled {
			t.Fatalf("a streamed file past the bound: %v, filled %v", err, filled)
		}
		r, err := s.CreateRequest(ctx, NewRequest{OwnerID: ada.ID, TokenHash: hashOf(t), Accepts: "any", ExpiresAt: c.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		fill := func(put func([]byte) error) error { return put([]byte("chunk")) }
		_, _, err = s.FulfilRequest(ctx, r.ID, Event{At: c.Now()}, newSized(t, s, ada.ID, 401, limit), fill, []byte("token"))
		if !storageFull(err, 600, limit) {
			t.Fatalf("a send to a request past the bound: %v", err)
		}
		if again, err := s.RequestByHash(ctx, r.TokenHash); err != nil || again.Status(c.Now()) != RequestOpen {
			t.Fatalf("the request after a refused send: %v, %v", again.Status(c.Now()), err)
		}
		if links, err := s.Links(ctx, ada.ID, ListOptions{}); err != nil || len(links) != 1 {
			t.Fatalf("refused links were stored: %d links, %v", len(links), err)
		}
		mustUsed(t, s, ada.ID, 600)
		// What is sent to a request counts, and exactly up to the bound.
		if _, _, err = s.FulfilRequest(ctx, r.ID, Event{At: c.Now()}, newSized(t, s, ada.ID, 400, limit), fill, []byte("token")); err != nil {
			t.Fatal(err)
		}
		mustUsed(t, s, ada.ID, 1000)
		if _, err := s.CreateLink(ctx, newSized(t, s, ada.ID, 1, limit), [][]byte{[]byte("c")}); !storageFull(err, 1000, limit) {
			t.Fatalf("one byte past a full account: %v", err)
		}
		// Revoking frees a link's space at once.
		if _, _, err := s.Revoke(ctx, ada.ID, first.ID, 10*time.Minute, Event{At: c.Now()}); err != nil {
			t.Fatal(err)
		}
		mustUsed(t, s, ada.ID, 400)
		second, err := s.CreateLink(ctx, newSized(t, s, ada.ID, 600, limit), [][]byte{[]byte("chunk")})
		if err != nil {
			t.Fatal(err)
		}
		// A used-up link keeps its content through its grant window, and
		// an expired one until the sweep: then their space is free.
		if _, err := s.Consume(ctx, second.ID, Event{At: c.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Sweep(ctx, 10*time.Minute, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		mustUsed(t, s, ada.ID, 1000)
		c.Add(2 * time.Hour)
		if _, err := s.Sweep(ctx, 10*time.Minute, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		mustUsed(t, s, ada.ID, 0)
		mustUsed(t, s, bob.ID, 900)
		// No bound: anything fits.
		if _, err := s.CreateLink(ctx, newSized(t, s, ada.ID, 5000, 0), [][]byte{[]byte("chunk")}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestStorageLimitRaces: creates that together would pass the bound,
// racing, on the same store and, on PostgreSQL, from two instances: exactly
// those that fit are made.
func TestStorageLimitRaces(t *testing.T) {
	race := func(t *testing.T, stores ...*Store) {
		ctx := context.Background()
		ada := mustAccount(t, stores[0], "ada")
		const size, fit = 100, 7
		for round := range 3 {
			limit := int64(size * fit * (round + 1))
			var made atomic.Int32
			var wg sync.WaitGroup
			for i := range 24 {
				wg.Go(func() {
					s := stores[i%len(stores)]
					n := newSized(t, s, ada.ID, size, limit)
					var err error
					if i%2 == 0 {
						_, err = s.CreateLink(ctx, n, [][]byte{[]byte("chunk")})
					} else {
						_, err = s.CreateLinkStream(ctx, n, func(put func([]byte) error) error { return put([]byte("chunk")) })
					}
					switch {
					case err == nil:
						made.Add(1)
					case !errors.Is(err, ErrLimit):
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if made.Load() != fit {
				t.Fatalf("round %d: %d links made where %d fit", round, made.Load(), fit)
			}
			mustUsed(t, stores[0], ada.ID, limit)
		}
	}
	backends(t, func(t *testing.T, s *Store) { race(t, s) })
	t.Run("postgres instances", func(t *testing.T) { race(t, instances(t, 2)...) })
}

// TestStorageUsedKeptByEveryWrite: the count follows every write that ends
// a link's content, not only revokes and the sweep's: deleting an account
// revokes the links made for it, and the sweep's purge deletes a link whose
// content is still kept. A database from before the count has it made from
// the links it holds.
func TestStorageUsedKeptByEveryWrite(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		ada, bob := mustAccount(t, s, "ada"), mustAccount(t, s, "bob")
		forBob := newSized(t, s, ada.ID, 300, 0)
		forBob.ForUserID = bob.ID
		if _, err := s.CreateLink(ctx, forBob, [][]byte{[]byte("chunk")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateLink(ctx, newSized(t, s, bob.ID, 50, 0), [][]byte{[]byte("chunk")}); err != nil {
			t.Fatal(err)
		}
		mustUsed(t, s, ada.ID, 300)
		if _, _, err := s.DeleteAccount(ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		mustUsed(t, s, ada.ID, 0)
		// Used up and kept for a download, it is purged with its content
		// (and so is the link revoked for bob).
		l, err := s.CreateLink(ctx, newSized(t, s, ada.ID, 70, 0), [][]byte{[]byte("chunk")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Consume(ctx, l.ID, Event{At: c.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := s.KeepContent(ctx, l.ID, c.Now().Add(72*time.Hour)); err != nil {
			t.Fatal(err)
		}
		c.Add(48 * time.Hour)
		if swept, err := s.Sweep(ctx, 10*time.Minute, 24*time.Hour); err != nil || swept.Links != 2 || swept.Contents != 0 {
			t.Fatalf("sweep: %+v, %v", swept, err)
		}
		mustUsed(t, s, ada.ID, 0)
	})
	t.Run("upgrade", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "test.db")
		old := openSQLiteBefore(t, path, "migrations/026")
		ada := accountBefore(t, old, "ada", false)
		for i, deleted := range []any{nil, int64(1), nil} {
			_, err := old.db.Exec(`INSERT INTO links (owner_id, token_hash, kind, max_uses, size, created_at, expires_at, content_deleted_at)
				VALUES (?, ?, 'message', 1, ?, 0, 1, ?)`, ada.ID, hashOf(t), 100*(i+1), deleted)
			if err != nil {
				t.Fatal(err)
			}
		}
		old.Close()
		s, err := Open(context.Background(), path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		mustUsed(t, s, ada.ID, 100+300)
	})
}

// TestMigrationStatements: a migration splits at the semicolons that end
// its statements, not at those of a trigger's body or a dollar-quoted one.
func TestMigrationStatements(t *testing.T) {
	got := statements("CREATE TABLE a (x INT);\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n\tUPDATE b SET y = 1;\n\tUPDATE b SET z = 2;\nEND;\n" +
		"CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n\tRETURN NULL;\nEND\n$$;\nCREATE INDEX i ON a (x)")
	want := []string{"CREATE TABLE a (x INT)", "\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n\tUPDATE b SET y = 1;\n\tUPDATE b SET z = 2;\nEND",
		"\nCREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n\tRETURN NULL;\nEND\n$$", "\nCREATE INDEX i ON a (x)"}
	if !slices.Equal(got, want) {
		t.Errorf("statements: %q, want %q", got, want)
	}
}
