package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTakeRate(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		take := func(bucket string) time.Duration {
			t.Helper()
			wait, err := s.TakeRate(ctx, []byte(bucket), 10*time.Second, 3, c.Now())
			if err != nil {
				t.Fatal(err)
			}
			return wait
		}
		holds := func(bucket string, wantLeft int, wantWait time.Duration) {
			t.Helper()
			n, wait, err := s.RateLeft(ctx, []byte(bucket), 10*time.Second, 3, c.Now())
			if err != nil || n != wantLeft || wait != wantWait {
				t.Fatalf("%s has %d left, wait %s (%v); want %d, %s", bucket, n, wait, err, wantLeft, wantWait)
			}
		}
		holds("a", 3, 0)
		for i := range 3 {
			if wait := take("a"); wait != 0 {
				t.Fatalf("request %d of a burst of 3 waits %s", i+1, wait)
			}
			holds("a", 2-i, map[bool]time.Duration{true: 10 * time.Second}[i == 2])
		}
		c.Add(4 * time.Second)
		holds("a", 0, 6*time.Second)
		c.Add(-4 * time.Second)
		if wait := take("a"); wait != 10*time.Second {
			t.Fatalf("4th request: wait %s, want 10s", wait)
		}
		if wait := take("b"); wait != 0 {
			t.Fatalf("another bucket waits %s", wait)
		}
		c.Add(4 * time.Second)
		if wait := take("a"); wait != 6*time.Second {
			t.Fatalf("4s later: wait %s, want 6s", wait)
		}
		c.Add(6 * time.Second)
		if wait := take("a"); wait != 0 {
			t.Fatalf("an interval later: wait %s", wait)
		}
		if wait := take("a"); wait == 0 {
			t.Fatal("two requests allowed after one interval")
		}
		c.Add(30 * time.Second)
		for i := range 3 {
			if wait := take("a"); wait != 0 {
				t.Fatalf("refilled bucket: request %d waits %s", i+1, wait)
			}
		}
		c.Add(time.Minute)
		if _, err := s.Sweep(ctx, time.Minute, time.Hour); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := s.db.Get(&left, `SELECT COUNT(*) FROM rate_limits`); err != nil || left != 0 {
			t.Fatalf("%d full buckets kept after a sweep (%v)", left, err)
		}
	})
}

// TestTakeRateConcurrently takes from one bucket from many goroutines on two
// instances at one instant: exactly a burst goes ahead.
func TestTakeRateConcurrently(t *testing.T) {
	stores := instances(t, 2)
	var persistence string
	if err := stores[0].db.Get(&persistence, `SELECT relpersistence FROM pg_class WHERE oid = 'rate_limits'::regclass`); err != nil || persistence != "u" {
		t.Fatalf("rate_limits persistence %q, want u, unlogged (%v)", persistence, err)
	}
	now := time.Now()
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			wait, err := stores[i%2].TakeRate(context.Background(), []byte("client"), time.Minute, 10, now)
			if err != nil {
				t.Error(err)
			}
			if wait == 0 {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 10 {
		t.Fatalf("%d of 60 requests allowed, want a burst of 10", allowed.Load())
	}
}
