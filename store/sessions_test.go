package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// startSession adds a web session with token hash id for the account, as
// scs and the sign-in do.
func startSession(t testing.TB, s *Store, account int64, id string) {
	t.Helper()
	ctx := context.Background()
	expiry := `julianday('now') + 1`
	if s.Postgres() {
		expiry = `now() + interval '1 day'`
	}
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO sessions (token, data, expiry) VALUES (?, ?, `+expiry+`)`), id, []byte("x")); err != nil {
		t.Fatal(err)
	}
	now := s.Now()
	if err := s.ListSession(ctx, AccountSession{ID: id, AccountID: account, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(time.Hour), UserAgent: "curl/8.5.0", IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
}

func TestAccountSessions(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		ada, bob := mustAccount(t, s, "ada"), mustAccount(t, s, "bob")
		for _, id := range []string{"a1", "a2", "a3"} {
			startSession(t, s, ada.ID, id)
			c.Add(time.Second)
		}
		startSession(t, s, bob.ID, "b1")
		// A use within the minute of the last one recorded, as another
		// instance notes it, writes nothing.
		if err := s.SeeSession(ctx, AccountSession{ID: "a1", AccountID: ada.ID, CreatedAt: s.Now(), LastSeenAt: s.Now(), ExpiresAt: s.Now(), IP: "192.0.2.8"}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if list, err := s.AccountSessions(ctx, ada.ID); err != nil || list[0].ID != "a3" || slices.ContainsFunc(list, func(l AccountSession) bool { return l.IP == "192.0.2.8" }) {
			t.Fatalf("a use within the minute was written: %+v, %v", list, err)
		}
		// A later use moves last seen and the address, not the start.
		c.Add(time.Minute)
		if err := s.SeeSession(ctx, AccountSession{ID: "a1", AccountID: ada.ID, CreatedAt: s.Now(), LastSeenAt: s.Now(), ExpiresAt: s.Now(), IP: "192.0.2.9"}, time.Minute); err != nil {
			t.Fatal(err)
		}
		list, err := s.AccountSessions(ctx, ada.ID)
		if err != nil || len(list) != 3 || list[0].ID != "a1" || list[0].IP != "192.0.2.9" || list[0].UserAgent != "curl/8.5.0" || !list[0].CreatedAt.Before(list[0].LastSeenAt) {
			t.Fatalf("ada's sessions: %+v, %v", list, err)
		}
		if err := s.EndSession(ctx, ada.ID, "b1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("end another account's session: %v", err)
		}
		if err := s.EndSession(ctx, ada.ID, "a3"); err != nil {
			t.Fatal(err)
		}
		// An ended session is seen no more, and signs nobody in.
		if err := s.SeeSession(ctx, AccountSession{ID: "a3", AccountID: ada.ID, LastSeenAt: s.Now().Add(time.Hour), IP: "192.0.2.7"}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionAccount(ctx, ada.ID, "a3"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the account of an ended session: %v", err)
		}
		if _, err := s.SessionAccount(ctx, bob.ID, "a1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another account's session: %v", err)
		}
		if a, err := s.SessionAccount(ctx, ada.ID, "a1"); err != nil || a.ID != ada.ID {
			t.Fatalf("the account of a listed session: %+v, %v", a, err)
		}
		if n, err := s.EndOtherSessions(ctx, ada.ID, "a1"); err != nil || n != 1 {
			t.Fatalf("end others: %d, %v", n, err)
		}
		if list, _ := s.AccountSessions(ctx, ada.ID); len(list) != 1 || list[0].ID != "a1" {
			t.Fatalf("left: %+v", list)
		}
		var n int
		if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM sessions`); err != nil || n != 2 {
			t.Fatalf("web sessions left: %d, %v", n, err)
		}
		// A session whose web session is gone is not listed; expired rows are swept.
		if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token = 'b1'`); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.AccountSessions(ctx, bob.ID); len(list) != 0 {
			t.Fatalf("bob's gone session is listed: %+v", list)
		}
		c.Add(2 * time.Hour)
		if _, err := s.Sweep(ctx, time.Minute, time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM account_sessions`); err != nil || n != 0 {
			t.Fatalf("session rows after the sweep: %d, %v", n, err)
		}
	})
}
