package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

func TestLastAdminStays(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ada, err := s.CreateFirstAccount(ctx, "ada", "hash")
		if err != nil {
			t.Fatal(err)
		}
		bob := mustAccount(t, s, "bob")
		if _, _, _, err := s.SetAdmin(ctx, ada.ID, false); !errors.Is(err, ErrLastAdmin) {
			t.Fatalf("demote the only admin: %v", err)
		}
		if _, _, err := s.SetDisabled(ctx, ada.ID, true); !errors.Is(err, ErrLastAdmin) {
			t.Fatalf("disable the only admin: %v", err)
		}
		if _, _, err := s.DeleteAccount(ctx, ada.ID); !errors.Is(err, ErrLastAdmin) {
			t.Fatalf("delete the only admin: %v", err)
		}
		if _, _, _, err := s.SetAdmin(ctx, bob.ID, true); err != nil {
			t.Fatal(err)
		}
		// A disabled administrator manages nothing.
		if _, _, err := s.SetDisabled(ctx, bob.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := s.SetAdmin(ctx, ada.ID, false); !errors.Is(err, ErrLastAdmin) {
			t.Fatalf("demote the only enabled admin: %v", err)
		}
		if _, _, err := s.SetDisabled(ctx, bob.ID, false); err != nil {
			t.Fatal(err)
		}
		if a, _, _, err := s.SetAdmin(ctx, ada.ID, false); err != nil || a.Admin {
			t.Fatalf("demote one of two: %+v, %v", a, err)
		}
		if _, _, err := s.DeleteAccount(ctx, 9999); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete no one: %v", err)
		}
	})
}

func TestDeleteAccount(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ada, bob := mustAccount(t, s, "ada"), mustAccount(t, s, "bob")
		own := mustLink(t, s, bob.ID, 1, time.Hour)
		forBob := mustLink(t, s, ada.ID, 1, time.Hour)
		if _, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE links SET for_user_id = ? WHERE id = ?`), bob.ID, forBob.ID); err != nil {
			t.Fatal(err)
		}
		startSession(t, s, bob.ID, "b1")
		if _, err := s.CreateRequest(ctx, NewRequest{OwnerID: bob.ID, TokenHash: []byte("bob's request"), Accepts: "text",
			ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		got, revoked, err := s.DeleteAccount(ctx, bob.ID)
		if err != nil || got.Username != "bob" || len(revoked) != 1 || revoked[0].ID != forBob.ID || revoked[0].OwnerID != ada.ID {
			t.Fatalf("delete: %+v, %+v, %v", got, revoked, err)
		}
		if _, err := s.OwnedLink(ctx, bob.ID, own.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("bob's link: %v", err)
		}
		l, err := s.OwnedLink(ctx, ada.ID, forBob.ID)
		if err != nil || l.RevokedAt.IsZero() || l.ForUserID != 0 {
			t.Errorf("ada's link for bob: %+v, %v", l, err)
		}
		if _, err := s.Chunk(ctx, forBob.ID, 0); err == nil {
			t.Error("the revoked link's content is still there")
		}
		var n int
		if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM sessions`); err != nil || n != 0 {
			t.Errorf("bob's web sessions: %d, %v", n, err)
		}
		if _, err := s.AccountByName(ctx, "bob"); !errors.Is(err, ErrNotFound) {
			t.Errorf("bob after deleting: %v", err)
		}
	})
}

// TestTimeZoneKept: an account keeps the time zone its mails write times
// in, "" until it chooses one, and every way of reading it says it.
func TestTimeZoneKept(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := mustAccount(t, s, "ada")
		if a.TimeZone != "" {
			t.Fatalf("a new account's zone: %q", a.TimeZone)
		}
		changed, err := s.SetTimeZone(ctx, a.ID, "Asia/Tokyo")
		if err != nil || changed.TimeZone != "Asia/Tokyo" {
			t.Fatalf("SetTimeZone: %q, %v", changed.TimeZone, err)
		}
		byID, err := s.AccountByID(ctx, a.ID)
		if err != nil || byID.TimeZone != "Asia/Tokyo" {
			t.Fatalf("AccountByID: %q, %v", byID.TimeZone, err)
		}
		byName, err := s.AccountByName(ctx, "ada")
		if err != nil || byName.TimeZone != "Asia/Tokyo" {
			t.Fatalf("AccountByName: %q, %v", byName.TimeZone, err)
		}
		if _, err := s.SetTimeZone(ctx, a.ID+1000, "Asia/Tokyo"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another account's: %v", err)
		}
	})
}
