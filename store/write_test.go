package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"oncelink/internal/pgtest"
)

// TestWriteBatchIsolatesFailures runs many writes at once, so that they
// share transactions, and fails every other one after it changed a row:
// only the failed writes' changes are undone.
func TestWriteBatchIsolatesFailures(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		errBoom := errors.New("boom")
		var wg sync.WaitGroup
		for i := range 200 {
			wg.Go(func() {
				err := s.write(ctx, func(ctx context.Context, tx txn) error {
					if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO settings (name, value) VALUES (?, ?)`),
						fmt.Sprintf("k%03d", i), []byte{1}); err != nil {
						return err
					}
					if i%2 == 1 {
						return errBoom
					}
					return nil
				})
				if want := map[bool]error{true: errBoom, false: nil}[i%2 == 1]; !errors.Is(err, want) {
					t.Errorf("write %d: %v, want %v", i, err, want)
				}
			})
		}
		wg.Wait()
		var n int
		if err := s.ro.GetContext(ctx, &n, `SELECT COUNT(*) FROM settings WHERE name LIKE 'k%'`); err != nil {
			t.Fatal(err)
		}
		if n != 100 {
			t.Fatalf("%d rows kept, want the 100 of the writes that succeeded", n)
		}
	})
}

func TestWriteAfterClose(t *testing.T) {
	s := openSQLiteTest(t)
	s.Close()
	if _, err := s.Secret(context.Background(), "x", 8); err == nil {
		t.Fatal("write on a closed store succeeded")
	}
}

// TestWriteSurvivesCancelledCallers cancels callers' contexts while their
// writes run in shared transactions: a write that has started finishes, and
// no cancellation undoes the other writes of its batch.
func TestWriteSurvivesCancelledCallers(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				err := s.write(ctx, func(ctx context.Context, tx txn) error {
					if i%2 == 0 {
						cancel() // the client goes away mid-write
					}
					_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO settings (name, value) VALUES (?, ?)`),
						fmt.Sprintf("c%03d", i), []byte{1})
					return err
				})
				if err != nil {
					t.Errorf("write %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		var n int
		if err := s.ro.GetContext(context.Background(), &n, `SELECT COUNT(*) FROM settings WHERE name LIKE 'c%'`); err != nil {
			t.Fatal(err)
		}
		if n != 100 {
			t.Fatalf("%d of 100 started writes were kept", n)
		}
	})
}

// TestWALStartsOverUnderSteadyWrites writes without pause while readers
// read: a checkpoint beside the writer alone rarely catches up, and the WAL
// keeps most frames written. With the writer restarting it, the WAL stays
// near its restart size.
func TestWALStartsOverUnderSteadyWrites(t *testing.T) {
	const restartFrames = 256
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(context.Background(), path, Options{walRestartFrames: restartFrames, checkpointInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	owner := mustAccount(t, s, "ada")
	const creates = 6000 // each writes at least two pages: 48 MB of frames
	var (
		writers, wg sync.WaitGroup
		next        atomic.Int64
		done        = make(chan struct{})
		largest     atomic.Int64
	)
	for range 4 {
		writers.Go(func() {
			for next.Add(1) <= creates {
				_, err := s.CreateLink(context.Background(), NewLink{OwnerID: owner.ID, TokenHash: hashOf(t),
					Kind: KindMessage, MaxUses: 1, ExpiresAt: s.Now().Add(time.Hour)}, nil)
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := s.AccountByID(context.Background(), owner.ID); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for {
			if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > largest.Load() {
				largest.Store(fi.Size())
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	})
	writers.Wait()
	close(done)
	wg.Wait()
	// Between two checkpoints the WAL grows by what the writes of that
	// time add; left to grow, it reaches two to five times this.
	if limit := int64(14 << 20); largest.Load() > limit {
		t.Fatalf("the WAL grew to %d bytes; it starts over at %d frames and should stay below %d", largest.Load(), restartFrames, limit)
	}
}

// TestWriteBatchSurvivesATransactionRollback has one write of a batch make
// SQLite roll back the whole transaction, as a full disk does: every write
// must then report what the database holds, none reported failed although
// kept, none reported kept although undone.
func TestWriteBatchSurvivesATransactionRollback(t *testing.T) {
	s := openSQLiteTest(t)
	ctx := context.Background()
	if _, err := s.db.ExecContext(ctx, `CREATE TRIGGER doom BEFORE INSERT ON settings WHEN NEW.name = 'doom'
		BEGIN SELECT RAISE(ROLLBACK, 'doomed'); END`); err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		errs := make([]error, 40)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				name := fmt.Sprintf("r%d-%02d", round, i)
				if i == 10 {
					name = "doom"
				}
				errs[i] = s.write(ctx, func(ctx context.Context, tx txn) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)`, name, []byte{1})
					return err
				})
			})
		}
		wg.Wait()
		if errs[10] == nil {
			t.Fatal("the doomed write succeeded")
		}
		for i, err := range errs {
			if i == 10 {
				continue
			}
			var n int
			if err := s.ro.GetContext(ctx, &n, `SELECT COUNT(*) FROM settings WHERE name = ?`, fmt.Sprintf("r%d-%02d", round, i)); err != nil {
				t.Fatal(err)
			}
			if (err == nil) != (n == 1) {
				t.Fatalf("round %d, write %d: reported %v, and the database holds %d rows of it", round, i, err, n)
			}
			if err != nil && !strings.Contains(err.Error(), "doomed") {
				t.Errorf("round %d, write %d was undone with %q, which does not say why", round, i, err)
			}
		}
	}
}

// TestWriteBatchesAreReported tells Options.WriteBatch of every batch the
// writer commits, and PoolStats names the three SQLite pools.
func TestWriteBatchesAreReported(t *testing.T) {
	var batches, writes atomic.Int64
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "oncelink.db"), Options{WriteBatch: func(n int) {
		batches.Add(1)
		writes.Add(int64(n))
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := writes.Load() // the migrations' secrets, if any
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if _, err := s.Secret(context.Background(), fmt.Sprintf("k%d", i), 8); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := writes.Load() - before; got != 50 || batches.Load() < 1 {
		t.Fatalf("%d writes reported in %d batches, want 50", got, batches.Load())
	}
	stats := s.PoolStats()
	if len(stats) != 3 || stats["writer"].MaxOpenConnections != 1 || stats["reader"].MaxOpenConnections < 4 {
		t.Fatalf("pool stats: %+v", stats)
	}
}

// On PostgreSQL the pool is pgx's, and its figures are reported, not those
// of the database/sql handle over it, which keeps no connection.
func TestPostgresPoolStats(t *testing.T) {
	s := openPostgresTest(t, pgtest.DSN(t))
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	stats := s.PoolStats()
	shared, ok := stats["shared"]
	if len(stats) != 1 || !ok || shared.MaxOpenConnections < 1 || shared.OpenConnections < 1 || shared.Idle < 1 ||
		shared.InUse+shared.Idle > shared.OpenConnections {
		t.Fatalf("pool stats: %+v", stats)
	}
}
