package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"oncelink/internal/pgtest"
)

// twoInstances runs test with two stores on one database, as two oncelink
// instances: on a fresh SQLite file, and on a fresh PostgreSQL schema when
// ONCELINK_TEST_POSTGRES names a database.
func twoInstances(t *testing.T, test func(t *testing.T, a, b *Store)) {
	t.Helper()
	run := func(t *testing.T, dsn string) {
		a, b := openPostgresTest(t, dsn), openPostgresTest(t, dsn)
		test(t, a, b)
	}
	t.Run("sqlite", func(t *testing.T) { run(t, filepath.Join(t.TempDir(), "test.db")) })
	t.Run("postgres", func(t *testing.T) { run(t, pgtest.DSN(t)) })
}

// atOnce runs each of calls on a goroutine of its own, all let go at the
// same moment, and waits for them.
func atOnce(calls ...func()) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, call := range calls {
		wg.Go(func() {
			<-start
			call()
		})
	}
	close(start)
	wg.Wait()
}

// pendingOf counts the deliveries of account that wait to be sent.
func pendingOf(t *testing.T, s *Store, account int64) int {
	t.Helper()
	var n int
	if err := s.db.Get(&n, s.db.Rebind(`SELECT COUNT(*) FROM notice_deliveries WHERE account_id = ? AND status = '`+DeliveryPending+`'`), account); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDisableEndsNoticesEnqueuedAtTheSameMoment: links opened, viewed and
// revoked, and endpoints sent a test, on one instance while the owner is
// disabled on another leave no notice waiting once the disable is done:
// each either comes before the disable, whose transaction ends its
// notices, or after it, and enqueues none. Enabling the account again then sends
// nothing of that moment. On either database.
func TestDisableEndsNoticesEnqueuedAtTheSameMoment(t *testing.T) {
	twoInstances(t, func(t *testing.T, a, b *Store) {
		ctx := context.Background()
		owner := mustAccount(t, a, "ada")
		hook, err := a.CreateWebhook(ctx, owner.ID, "https://example.com/hook",
			[]string{NoticeLinkOpened, NoticeLinkUsedUp, NoticeLinkViewed, NoticeLinkRevoked}, hashOf(t), 10, "")
		if err != nil {
			t.Fatal(err)
		}
		const links = 12
		for round := range 20 {
			ls := make([]Link, links)
			for i := range ls {
				ls[i] = mustLink(t, a, owner.ID, 1, time.Hour)
			}
			calls := []func(){func() {
				if _, _, err := b.SetDisabled(ctx, owner.ID, true); err != nil {
					t.Error(err)
				}
			}}
			for i, l := range ls {
				e := Event{At: a.Now(), IP: "192.0.2.1"}
				calls = append(calls, func() {
					var err error
					switch i % 4 {
					case 0:
						_, err = a.Consume(ctx, l.ID, e)
					case 1:
						err = a.RecordView(ctx, l.ID, e)
					case 2:
						_, _, err = a.Revoke(ctx, owner.ID, l.ID, time.Minute, e)
					default:
						err = a.TestWebhook(ctx, owner.ID, hook.ID)
					}
					if err != nil && !errors.Is(err, ErrGone) {
						t.Error(err)
					}
				})
			}
			atOnce(calls...)
			if t.Failed() {
				t.FailNow()
			}
			if n := pendingOf(t, a, owner.ID); n != 0 {
				t.Fatalf("round %d: %d notices wait for a disabled account, which enabling it would send", round, n)
			}
			// A test asked for by a request let in before the disable.
			if err := a.TestWebhook(ctx, owner.ID, hook.ID); !errors.Is(err, ErrGone) || pendingOf(t, a, owner.ID) != 0 {
				t.Fatalf("round %d: a test of a disabled account's endpoint: %v, %d waiting", round, err, pendingOf(t, a, owner.ID))
			}
			if _, _, err := a.SetDisabled(ctx, owner.ID, false); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestSweepAndDisableAtTheSameMoment: a sweep noticing links that expired
// unopened, on one instance, while an owner of some of them is disabled on
// another, neither deadlocks nor leaves a notice waiting for the disabled
// account; the links of an owner the sweep passed over, as another
// transaction held its account, are noticed by a later sweep, each once.
// On either database.
func TestSweepAndDisableAtTheSameMoment(t *testing.T) {
	twoInstances(t, func(t *testing.T, a, b *Store) {
		ctx := context.Background()
		c := newClock(a)
		b.Now = c.Now
		ada, err := a.CreateAccount(ctx, "ada", "hash", true)
		if err != nil {
			t.Fatal(err)
		}
		bob := mustAccount(t, a, "bob")
		for _, owner := range []Account{bob, ada} {
			if _, err := a.CreateWebhook(ctx, owner.ID, "https://example.com/hook", []string{NoticeLinkExpiredUnopened}, hashOf(t), 10, ""); err != nil {
				t.Fatal(err)
			}
		}
		const rounds, links = 20, 4
		for round := range rounds {
			for range links {
				mustLink(t, a, bob.ID, 1, time.Minute)
				mustLink(t, a, ada.ID, 1, time.Minute)
			}
			c.Add(2 * time.Minute)
			atOnce(func() {
				if _, err := a.Sweep(ctx, time.Minute, 24*time.Hour); err != nil {
					t.Error(err)
				}
			}, func() {
				if _, _, err := b.SetDisabled(ctx, bob.ID, true); err != nil {
					t.Error(err)
				}
			})
			if t.Failed() {
				t.FailNow()
			}
			if n := pendingOf(t, a, bob.ID); n != 0 {
				t.Fatalf("round %d: %d notices wait for a disabled account, which enabling it would send", round, n)
			}
			if _, _, err := a.SetDisabled(ctx, bob.ID, false); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.Sweep(ctx, time.Minute, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := a.db.Get(&n, a.db.Rebind(`SELECT COUNT(*) FROM notice_deliveries WHERE account_id = ?`), ada.ID); err != nil {
			t.Fatal(err)
		}
		if n != rounds*links {
			t.Fatalf("%d notices of %d links that expired unopened", n, rounds*links)
		}
	})
}

// TestEndpointAndPasskeyLimitsHoldUnderConcurrency: however many adds of
// webhook endpoints, or of passkeys, race for an account's last places on
// two instances, the limit holds: the count and the insert are one write,
// the account's row locked in between on PostgreSQL. On either database.
func TestEndpointAndPasskeyLimitsHoldUnderConcurrency(t *testing.T) {
	twoInstances(t, func(t *testing.T, a, b *Store) {
		ctx := context.Background()
		ada := mustAccount(t, a, "ada")
		const limit, tries = 3, 16
		adds := map[string]func(s *Store, i int) error{
			"endpoint": func(s *Store, i int) error {
				_, err := s.CreateWebhook(ctx, ada.ID, fmt.Sprintf("https://example.com/%d", i), []string{NoticeLinkOpened}, hashOf(t), limit, "")
				return err
			},
			"passkey": func(s *Store, i int) error {
				_, err := s.AddPasskey(ctx, Passkey{AccountID: ada.ID, CredentialID: []byte(fmt.Sprint("key-", i)),
					UserHandle: []byte("ada"), Name: fmt.Sprint(i), Credential: []byte(`{}`)}, limit)
				return err
			},
		}
		for what, add := range adds {
			var mu sync.Mutex
			made := 0
			calls := make([]func(), tries)
			for i := range calls {
				s := []*Store{a, b}[i%2]
				calls[i] = func() {
					err := add(s, i)
					switch {
					case err == nil:
						mu.Lock()
						made++
						mu.Unlock()
					case !errors.Is(err, ErrLimit):
						t.Errorf("%s %d: %v", what, i, err)
					}
				}
			}
			atOnce(calls...)
			if made != limit {
				t.Fatalf("%d of %d adds of an %s at once went through, for %d places", made, tries, what, limit)
			}
		}
	})
}

// TestSignUpsBySingleSignOnAtTheSameMoment: people signing in by single
// sign-on for the first time at the same moment, on two instances, each
// get an account of their own under a name of their own, however alike
// the names their provider gives; one person signing in from several
// browsers at once gets one account. On either database.
func TestSignUpsBySingleSignOnAtTheSameMoment(t *testing.T) {
	twoInstances(t, func(t *testing.T, a, b *Store) {
		ctx := context.Background()
		const people = 8
		names := []string{"amy", "Amy", "ＡＭＹ", "amy2", "amy3", "amy4", "amy5"}
		accounts := make([]Account, people)
		errs := make([]error, people)
		calls := make([]func(), people)
		for i := range calls {
			s := []*Store{a, b}[i%2]
			calls[i] = func() {
				accounts[i], errs[i] = s.CreateIdentityAccount(ctx, names,
					Identity{Issuer: "https://id.example", Subject: fmt.Sprint("sub-", i/2)})
			}
		}
		atOnce(calls...)
		byName := map[string]int64{}
		bySubject := map[string]int64{}
		for i, err := range errs {
			subject := fmt.Sprint("sub-", i/2)
			switch {
			case err == nil:
				if other, ok := byName[usernameKey(accounts[i].Username)]; ok && other != accounts[i].ID {
					t.Fatalf("two accounts named %q", accounts[i].Username)
				}
				if _, ok := bySubject[subject]; ok {
					t.Fatalf("%s got two accounts", subject)
				}
				byName[usernameKey(accounts[i].Username)] = accounts[i].ID
				bySubject[subject] = accounts[i].ID
			case errors.Is(err, ErrConflict):
			default:
				t.Fatalf("sign-up %d: %v", i, err)
			}
		}
		for i := range errs {
			subject := fmt.Sprint("sub-", i/2)
			got, err := a.AccountByIdentity(ctx, "https://id.example", subject, "")
			if err != nil || got.ID != bySubject[subject] {
				t.Fatalf("%s: account %d, %v; want the one account made, %d", subject, got.ID, err, bySubject[subject])
			}
		}
		if n, err := a.CountAccounts(ctx); err != nil || n != people/2 {
			t.Fatalf("%d accounts, %v; want %d", n, err, people/2)
		}
	})
}

// TestEndpointDeletedWhileLinksOpen: an endpoint deleted on one instance
// while its account's links are opened on another fails neither: each
// open either comes first, and its notice goes with the endpoint, or
// after, and finds no endpoint to notify. On either database.
func TestEndpointDeletedWhileLinksOpen(t *testing.T) {
	twoInstances(t, func(t *testing.T, a, b *Store) {
		ctx := context.Background()
		owner := mustAccount(t, a, "ada")
		const links = 8
		for round := range 20 {
			hook, err := a.CreateWebhook(ctx, owner.ID, "https://example.com/hook", []string{NoticeLinkOpened}, hashOf(t), 10, "")
			if err != nil {
				t.Fatal(err)
			}
			calls := []func(){func() {
				if err := b.DeleteWebhook(ctx, owner.ID, hook.ID); err != nil {
					t.Errorf("delete: %v", err)
				}
			}}
			for range links {
				l := mustLink(t, a, owner.ID, 1, time.Hour)
				calls = append(calls, func() {
					if _, err := a.Consume(ctx, l.ID, Event{At: a.Now()}); err != nil {
						t.Errorf("open: %v", err)
					}
				})
			}
			atOnce(calls...)
			if t.Failed() {
				t.FailNow()
			}
			if n := pendingOf(t, a, owner.ID); n != 0 {
				t.Fatalf("round %d: %d notices wait for a deleted endpoint", round, n)
			}
		}
	})
}

// TestAnEndpointSwitchedOffAsNoticesAreWritten: links viewed on one
// instance while, on another, an endpoint's answer 410 switches it off
// leave no notice waiting for the endpoint once both are done: each view
// either comes before, and its notice ends with the others, or after, and
// writes none. Switching the endpoint on again then sends nothing of that
// moment. On either database.
func TestAnEndpointSwitchedOffAsNoticesAreWritten(t *testing.T) {
	twoInstances(t, func(t *testing.T, a, b *Store) {
		ctx := context.Background()
		owner := mustAccount(t, a, "ada")
		hook, err := a.CreateWebhook(ctx, owner.ID, "https://example.com/hook", []string{NoticeLinkViewed}, hashOf(t), 10, "")
		if err != nil {
			t.Fatal(err)
		}
		link := mustLink(t, a, owner.ID, 1, time.Hour)
		for round := range 20 {
			// The message that the endpoint answers 410.
			if err := a.TestWebhook(ctx, owner.ID, hook.ID); err != nil {
				t.Fatal(err)
			}
			ds, err := b.LeaseDeliveries(ctx, time.Now(), time.Minute, 10)
			if err != nil || len(ds) != 1 {
				t.Fatalf("round %d: leased %+v, %v", round, ds, err)
			}
			calls := []func(){func() {
				at := time.Now()
				err := b.FinishAttempt(ctx, ds[0], Attempt{At: at, Code: 410, Error: "gone", Outcome: DeliveryFailed, NextAt: at, DisableWebhook: true})
				if err != nil {
					t.Error(err)
				}
			}}
			for range 8 {
				calls = append(calls, func() {
					if err := a.RecordView(ctx, link.ID, Event{At: a.Now(), IP: "192.0.2.1"}); err != nil {
						t.Error(err)
					}
				})
			}
			atOnce(calls...)
			if t.Failed() {
				t.FailNow()
			}
			if n := pendingOf(t, a, owner.ID); n != 0 {
				t.Fatalf("round %d: %d notices wait for an endpoint switched off, which switching it on would send", round, n)
			}
		}
	})
}
