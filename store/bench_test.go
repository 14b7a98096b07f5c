package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"oncelink/internal/pgtest"
)

// benchStores runs bench on SQLite and, when ONCELINK_TEST_POSTGRES is set,
// on PostgreSQL, once with one store and once with two stores on one schema
// (two oncelink instances), which bench spreads its work over.
func benchStores(b *testing.B, bench func(b *testing.B, stores []*Store)) {
	b.Run("sqlite", func(b *testing.B) { bench(b, []*Store{openSQLiteTest(b)}) })
	for _, n := range []int{1, 2} {
		b.Run("postgres-"+[]string{"", "one", "two"}[n], func(b *testing.B) {
			dsn := pgtest.DSN(b)
			stores := make([]*Store, n)
			for i := range stores {
				stores[i] = openPostgresTest(b, dsn)
			}
			bench(b, stores)
		})
	}
}

var benchChunk = bytes.Repeat([]byte{1}, 200)

// benchCreate makes a link of owner's as the server makes every link: its
// size counted against the default bound on what the owner's links keep.
func benchCreate(b testing.TB, s *Store, owner int64, maxUses int) Link {
	l, err := s.CreateLink(context.Background(), NewLink{OwnerID: owner, TokenHash: hashOf(b), Kind: KindMessage,
		MaxUses: maxUses, ExpiresAt: s.Now().Add(time.Hour), Size: int64(len(benchChunk)), StorageLimit: 1 << 30},
		[][]byte{benchChunk})
	if err != nil {
		b.Fatal(err)
	}
	return l
}

func BenchmarkCreateLink(b *testing.B) {
	benchStores(b, func(b *testing.B, stores []*Store) {
		owner := mustAccount(b, stores[0], "ada")
		for i := 0; b.Loop(); i++ {
			benchCreate(b, stores[i%len(stores)], owner.ID, 1)
		}
	})
}

func BenchmarkCreateLinkParallel(b *testing.B) {
	benchStores(b, func(b *testing.B, stores []*Store) {
		owner := mustAccount(b, stores[0], "ada")
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			s := stores[int(next.Add(1))%len(stores)]
			for pb.Next() {
				benchCreate(b, s, owner.ID, 1)
			}
		})
	})
}

// BenchmarkConsume takes uses of 100-use links, a new link every 100.
func BenchmarkConsume(b *testing.B) {
	benchStores(b, func(b *testing.B, stores []*Store) {
		owner := mustAccount(b, stores[0], "ada")
		var l Link
		for i := 0; b.Loop(); i++ {
			if i%100 == 0 {
				l = benchCreate(b, stores[0], owner.ID, 100)
			}
			consume(b, stores[i%len(stores)], l.ID)
		}
	})
}

func BenchmarkConsumeParallel(b *testing.B) {
	benchStores(b, func(b *testing.B, stores []*Store) {
		owner := mustAccount(b, stores[0], "ada")
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			s := stores[int(next.Add(1))%len(stores)]
			var l Link
			for i := 0; pb.Next(); i++ {
				if i%100 == 0 {
					l = benchCreate(b, s, owner.ID, 100)
				}
				consume(b, s, l.ID)
			}
		})
	})
}

func consume(b *testing.B, s *Store, id int64) {
	if _, err := s.Consume(context.Background(), id, Event{At: s.Now(), IP: "192.0.2.1", UserAgent: "bench"}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAPIKeyLookup reads an API key and its account, as every API
// request does: on a quiet database, and while another goroutine creates
// links, whose commits leave every reader's page cache to be read afresh.
func BenchmarkAPIKeyLookup(b *testing.B) {
	for _, writing := range []bool{false, true} {
		b.Run(map[bool]string{false: "quiet", true: "writing"}[writing], func(b *testing.B) {
			s := openSQLiteTest(b)
			owner := mustAccount(b, s, "ada")
			hash := sha256.Sum256([]byte("ol_bench"))
			if _, err := s.CreateAPIKey(context.Background(), NewAPIKey{AccountID: owner.ID, Name: "bench", Prefix: "ol_bench", Hash: hash[:]}, 20); err != nil {
				b.Fatal(err)
			}
			var stop atomic.Bool
			var wg sync.WaitGroup
			if writing {
				wg.Go(func() {
					for !stop.Load() {
						benchCreate(b, s, owner.ID, 1)
					}
				})
			}
			for b.Loop() {
				if _, _, err := s.AccountByAPIKey(context.Background(), hash[:]); err != nil {
					b.Fatal(err)
				}
			}
			stop.Store(true)
			wg.Wait()
		})
	}
}

// BenchmarkSessionLookup finds a signed-in request's web session and its
// account, as scs's store and SessionAccount did apart (two queries) and
// as SessionStore does together (one), while another goroutine creates
// links, as under load.
func BenchmarkSessionLookup(b *testing.B) {
	for _, held := range []bool{false, true} {
		b.Run(map[bool]string{false: "two-queries", true: "one-query"}[held], func(b *testing.B) {
			s := openSQLiteTest(b)
			owner := mustAccount(b, s, "ada")
			startSession(b, s, owner.ID, "session")
			ss := s.SessionStore(0)
			defer ss.StopCleanup()
			var stop atomic.Bool
			var wg sync.WaitGroup
			wg.Go(func() {
				for !stop.Load() {
					benchCreate(b, s, owner.ID, 1)
				}
			})
			for b.Loop() {
				ctx := context.Background()
				if held {
					ctx = HoldSessionAccount(ctx)
				}
				if _, found, err := ss.FindCtx(ctx, "session"); err != nil || !found {
					b.Fatal(found, err)
				}
				if _, err := s.SessionAccount(ctx, owner.ID, "session"); err != nil {
					b.Fatal(err)
				}
			}
			stop.Store(true)
			wg.Wait()
		})
	}
}
