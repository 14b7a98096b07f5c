package store

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// TestPostgresConnectionSettings checks the defaults an instance's pool gets,
// and that a DSN's own settings win.
func TestPostgresConnectionSettings(t *testing.T) {
	dsn := pgtest.DSN(t)
	for _, c := range []struct {
		params  string
		timeout string
		conns   int32
		name    string
	}{
		{"", "30s", int32(max(8, 4*runtime.NumCPU())), "oncelink"},
		{"&statement_timeout=5000&pool_max_conns=3&application_name=oncelink-b", "5s", 3, "oncelink-b"},
	} {
		s := openPostgresTest(t, dsn+c.params)
		var timeout, name string
		if err := s.db.Get(&timeout, `SHOW statement_timeout`); err != nil {
			t.Fatal(err)
		}
		if err := s.db.Get(&name, `SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()`); err != nil {
			t.Fatal(err)
		}
		if timeout != c.timeout || s.Pool().Config().MaxConns != c.conns || name != c.name {
			t.Errorf("DSN params %q: statement_timeout %s, %d connections, application %q; want %s, %d, %q",
				c.params, timeout, s.Pool().Config().MaxConns, name, c.timeout, c.conns, c.name)
		}
	}
	s := openPostgresTest(t, dsn+"&statement_timeout=100")
	if _, err := s.db.Exec(`SELECT pg_sleep(1)`); err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Fatalf("a statement longer than the timeout: %v", err)
	}
}

// TestInstancesSweepOneAtATime sweeps from two instances: while one holds the
// sweep, the other sweeps nothing; sweeping together, they delete each dead
// link's content once, without errors.
func TestInstancesSweepOneAtATime(t *testing.T) {
	stores := instances(t, 2)
	ctx := context.Background()
	c := newClock(stores[0])
	stores[1].Now = c.Now
	owner := mustAccount(t, stores[0], "ada")
	dead := func(n int) {
		for range n {
			mustLink(t, stores[0], owner.ID, 1, time.Minute)
		}
		c.Add(2 * time.Minute)
	}
	dead(3)
	held, err := stores[1].db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback()
	var mine bool
	if err := held.Get(&mine, stores[1].dialect.trySweepLock); err != nil || !mine {
		t.Fatalf("take the sweep: %v, %v", mine, err)
	}
	if swept, err := stores[0].Sweep(ctx, time.Minute, time.Hour); err != nil || swept.Contents != 0 {
		t.Fatalf("sweep while another instance sweeps: %+v, %v", swept, err)
	}
	held.Rollback()
	if swept, err := stores[0].Sweep(ctx, time.Minute, time.Hour); err != nil || swept.Contents != 3 {
		t.Fatalf("sweep after the other instance: %+v, %v", swept, err)
	}
	for round := range 5 {
		dead(20)
		var total atomic.Int64
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				swept, err := stores[i%2].Sweep(ctx, time.Minute, time.Hour)
				if err != nil {
					t.Error(err)
				}
				total.Add(swept.Contents)
			})
		}
		wg.Wait()
		if total.Load() != 20 {
			t.Fatalf("round %d: %d contents deleted, want 20", round, total.Load())
		}
	}
}
