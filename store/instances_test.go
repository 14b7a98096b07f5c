package store

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"oncelink/internal/pgtest"
)

// instances opens n stores on one fresh PostgreSQL schema at the same time,
// as n oncelink instances starting together on a new database would.
func instances(t *testing.T, n int) []*Store {
	t.Helper()
	dsn := pgtest.DSN(t)
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = Open(context.Background(), dsn, Options{}) })
	}
	wg.Wait()
	for i, s := range stores {
		if s != nil {
			t.Cleanup(func() { s.Close() })
		}
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
	}
	return stores
}

func TestInstancesMigrateTogether(t *testing.T) {
	stores := instances(t, 6)
	var applied int
	if err := stores[0].db.Get(&applied, `SELECT COUNT(*) FROM schema_migrations`); err != nil {
		t.Fatal(err)
	}
	names, _ := migrations.ReadDir("migrations")
	if applied != len(names) {
		t.Fatalf("%d migrations recorded, want %d", applied, len(names))
	}
}

func TestInstancesShareOneSecret(t *testing.T) {
	stores := instances(t, 4)
	secrets := make([][]byte, 4*len(stores))
	var wg sync.WaitGroup
	for i := range secrets {
		wg.Go(func() {
			var err error
			if secrets[i], err = stores[i%len(stores)].Secret(context.Background(), "token-key", 32); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, s := range secrets {
		if len(s) != 32 || !bytes.Equal(s, secrets[0]) {
			t.Fatalf("call %d got another secret: %x, not %x", i, s, secrets[0])
		}
	}
}

// TestInstancesRaceForOneName adds one username from many goroutines on
// several instances: one account is made, every other call is ErrConflict.
func TestInstancesRaceForOneName(t *testing.T) {
	stores := instances(t, 3)
	for round, first := range []bool{true, false, false} {
		name := []string{"ada", "bob", "eve"}[round]
		var made atomic.Int32
		var wg sync.WaitGroup
		for i := range 24 {
			wg.Go(func() {
				s := stores[i%len(stores)]
				var err error
				if first {
					_, err = s.CreateFirstAccount(context.Background(), name, "hash")
				} else {
					_, err = s.CreateAccount(context.Background(), name, "hash", false)
				}
				switch {
				case err == nil:
					made.Add(1)
				case !errors.Is(err, ErrConflict):
					t.Errorf("round %d: %v", round, err)
				}
			})
		}
		wg.Wait()
		if made.Load() != 1 {
			t.Fatalf("round %d: %d accounts made for %q", round, made.Load(), name)
		}
	}
	if n, _ := stores[0].CountAccounts(context.Background()); n != 3 {
		t.Fatalf("%d accounts", n)
	}
}
