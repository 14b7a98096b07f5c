package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"oncelink/internal/pgtest"
)

func TestUsernamesCompareByKey(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		bob := mustAccount(t, s, "Bob")
		for _, name := range []string{"bob", "BOB", "Ｂｏｂ"} {
			if _, err := s.CreateAccount(ctx, name, "hash", false); !errors.Is(err, ErrConflict) {
				t.Errorf("add %q beside Bob: %v, want a conflict", name, err)
			}
			if a, err := s.AccountByName(ctx, name); err != nil || a.ID != bob.ID || a.Username != "Bob" {
				t.Errorf("find %q: %+v, %v; want Bob as typed", name, a, err)
			}
		}
	})
}

// TestUsernameKeysFilledAtOpen: accounts made before names had keys get
// theirs when the store opens, and two that would share one stop it, named.
func TestUsernameKeysFilledAtOpen(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "test.db")
			if backend == "postgres" {
				dsn = pgtest.DSN(t)
			}
			ctx := context.Background()
			s, err := Open(ctx, dsn, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"Ada", "bob", "Bob", "cy"} {
				// As an older version wrote them: no key, and any case.
				if _, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO accounts (username, password_hash, created_at) VALUES (?, 'hash', 0)`), name); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			if _, err := Open(ctx, dsn, Options{}); err == nil || !errors.Is(err, ErrConflict) ||
				!strings.Contains(err.Error(), `"bob" and "Bob"`) || strings.Contains(err.Error(), "Ada") {
				t.Fatalf("open with bob and Bob: %v, want a conflict naming them", err)
			}
			raw, err := openRaw(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.db.ExecContext(ctx, `UPDATE accounts SET username = 'bobby' WHERE username = 'Bob'`); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			s, err = Open(ctx, dsn, Options{})
			if err != nil {
				t.Fatalf("open once renamed: %v", err)
			}
			defer s.Close()
			for typed, want := range map[string]string{"ADA": "Ada", "bob": "bob", "Bobby": "bobby", "CY": "cy"} {
				if a, err := s.AccountByName(ctx, typed); err != nil || a.Username != want {
					t.Errorf("find %q: %+v, %v; want %s", typed, a, err, want)
				}
			}
		})
	}
}

// openRaw opens dsn as Open does, without migrating: as an operator's own
// database tool would.
func openRaw(ctx context.Context, dsn string) (*Store, error) {
	if IsPostgres(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(dsn, Options{})
}
