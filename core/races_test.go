package core

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"oncelink/store"
	"oncelink/token"
)

// instancesOn is n Services, as n oncelink instances, on the database dsn
// names, which newServiceOn made first: on SQLite, n stores on one file.
func instancesOn(t *testing.T, dsn string, first *Service, n int) []*Service {
	t.Helper()
	services := []*Service{first}
	for len(services) < n {
		st, err := store.Open(context.Background(), dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		services = append(services, New(first.cfg, st, bytes.Repeat([]byte{7}, token.KeyLen), slog.New(slog.DiscardHandler)))
	}
	return services
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

// TestAccountChangesAnswerOnceUnderConcurrency: administrators promoting,
// demoting, disabling, enabling or resetting the second factors of one
// account at the same moment, on two instances: exactly one of them is
// told it changed the account, every other that nothing changed; a
// disabled account keeps the moment it was disabled at. On either
// database.
func TestAccountChangesAnswerOnceUnderConcurrency(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		first, st, ada := newServiceOn(t, dsn)
		ctx := context.Background()
		services := instancesOn(t, dsn, first, 2)
		bob, err := first.AddAccount(ctx, "bob", "correct horse battery", false)
		if err != nil {
			t.Fatal(err)
		}
		const clicks = 8
		type outcome struct {
			a       Account
			changed bool
			err     error
		}
		race := func(what string, round int, change func(s *Service) (Account, bool, error)) []outcome {
			t.Helper()
			outcomes := make([]outcome, clicks)
			calls := make([]func(), clicks)
			for i := range calls {
				calls[i] = func() {
					a, changed, err := change(services[i%len(services)])
					outcomes[i] = outcome{a, changed, err}
				}
			}
			atOnce(calls...)
			n := 0
			for i, o := range outcomes {
				if o.err != nil {
					t.Fatalf("%s, round %d, click %d: %v", what, round, i, o.err)
				}
				if o.a.ID != bob.ID {
					t.Fatalf("%s, round %d, click %d: account %d, want bob's", what, round, i, o.a.ID)
				}
				if o.changed {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%s, round %d: %d of %d clicks at once were told they changed the account, want 1", what, round, n, clicks)
			}
			return outcomes
		}
		for round := range 5 {
			race("promote", round, func(s *Service) (Account, bool, error) { return s.SetAdmin(ctx, &ada, bob.ID, true) })
			race("demote", round, func(s *Service) (Account, bool, error) { return s.SetAdmin(ctx, &ada, bob.ID, false) })
			outcomes := race("disable", round, func(s *Service) (Account, bool, error) { return s.SetDisabled(ctx, &ada, bob.ID, true) })
			var since time.Time
			for _, o := range outcomes {
				if o.changed {
					since = o.a.DisabledAt
				}
			}
			now, err := st.AccountByID(ctx, bob.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !now.DisabledAt.Equal(since) || since.IsZero() {
				t.Fatalf("round %d: disabled since %s, but the change that disabled it said %s", round, now.DisabledAt, since)
			}
			race("enable", round, func(s *Service) (Account, bool, error) { return s.SetDisabled(ctx, &ada, bob.ID, false) })
			if err := st.SetRecoveryCodes(ctx, bob.ID, [][]byte{[]byte(fmt.Sprint("code-", round))}); err != nil {
				t.Fatal(err)
			}
			race("reset second factors", round, func(s *Service) (Account, bool, error) { return s.ResetTwoFactor(ctx, &ada, bob.ID) })
		}
	})
}

// TestLastAdminStaysUnderConcurrency: every administrator demoting,
// disabling or deleting another at the same moment, on two instances,
// leaves at least one enabled administrator: all but one of the changes
// are made, the last is refused. On either database.
func TestLastAdminStaysUnderConcurrency(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		first, st, ada := newServiceOn(t, dsn)
		ctx := context.Background()
		services := instancesOn(t, dsn, first, 2)
		for round := range 6 {
			admins := []Account{ada}
			for i := range 3 {
				a, err := st.CreateAccount(ctx, fmt.Sprintf("admin%d-%d", round, i), "x", true)
				if err != nil {
					t.Fatal(err)
				}
				admins = append(admins, a)
			}
			errs := make([]error, len(admins))
			calls := make([]func(), len(admins))
			for i := range admins {
				by, target := admins[i], admins[(i+1)%len(admins)]
				s := services[i%len(services)]
				calls[i] = func() {
					switch (round + i) % 3 {
					case 0:
						_, _, errs[i] = s.SetAdmin(ctx, &by, target.ID, false)
					case 1:
						_, _, errs[i] = s.SetDisabled(ctx, &by, target.ID, true)
					default:
						_, errs[i] = s.DeleteAccount(ctx, &by, target.ID)
					}
				}
			}
			atOnce(calls...)
			refused := 0
			for i, err := range errs {
				switch err {
				case nil:
				case errLastAdmin:
					refused++
				default:
					t.Fatalf("round %d, change %d: %v", round, i, err)
				}
			}
			accounts, err := st.Accounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var left []Account
			for _, a := range accounts {
				if a.Admin && !a.Disabled() {
					left = append(left, a)
				}
			}
			if len(left) != 1 || refused != 1 {
				t.Fatalf("round %d: %d changes refused, %d enabled administrators left, want 1 and 1", round, refused, len(left))
			}
			ada = left[0]
		}
	})
}

// TestSetupMakesOneAdministratorUnderConcurrency: set-up sent from several
// browsers at the same moment, on two instances of a new server, makes
// one account, an administrator; every other browser is told set-up no
// longer exists. On either database.
func TestSetupMakesOneAdministratorUnderConcurrency(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		var services []*Service
		for range 2 {
			st, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			// The cheapest hashes, so that the browsers reach the database
			// together.
			cfg := Config{BaseURL: "https://share.example", MinTTL: time.Minute, MaxTTL: 30 * 24 * time.Hour, GrantTTL: time.Minute,
				PasswordCost: bcrypt.MinCost}
			services = append(services, New(cfg, st, bytes.Repeat([]byte{7}, token.KeyLen), slog.New(slog.DiscardHandler)))
		}
		const browsers = 12
		made := make([]Account, browsers)
		errs := make([]error, browsers)
		calls := make([]func(), browsers)
		for i := range calls {
			s := services[i%len(services)]
			calls[i] = func() {
				turn, err := s.TakeTurn(ctx, SetupAction, Client{IP: fmt.Sprintf("192.0.2.%d", i+1)})
				if err != nil {
					errs[i] = err
					return
				}
				made[i], errs[i] = s.Setup(ctx, turn, fmt.Sprint("admin", i), "correct horse battery")
			}
		}
		atOnce(calls...)
		n := 0
		for i, err := range errs {
			switch {
			case err == nil:
				n++
				if !made[i].Admin {
					t.Fatalf("set-up made %q, a member", made[i].Username)
				}
			case err != ErrNotFound:
				t.Fatalf("browser %d: %v", i, err)
			}
		}
		accounts, err := services[0].Accounts(ctx)
		if n != 1 || err != nil || len(accounts) != 1 {
			t.Fatalf("%d browsers told set-up made their account, %d accounts (%v); want 1 and 1", n, len(accounts), err)
		}
	})
}

// TestKeyLimitHoldsUnderConcurrency: keys made at the same moment, on two
// instances, for an account's last place make one key; the others are
// refused, saying the limit. On either database.
func TestKeyLimitHoldsUnderConcurrency(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		first, _, ada := newServiceOn(t, dsn)
		ctx := context.Background()
		services := instancesOn(t, dsn, first, 2)
		for i := range MaxAPIKeys - 1 {
			if _, err := first.CreateKey(ctx, ada.ID, fmt.Sprint("key ", i), ""); err != nil {
				t.Fatal(err)
			}
		}
		const tries = 8
		errs := make([]error, tries)
		calls := make([]func(), tries)
		for i := range calls {
			s := services[i%len(services)]
			calls[i] = func() { _, errs[i] = s.CreateKey(ctx, ada.ID, fmt.Sprint("last ", i), "") }
		}
		atOnce(calls...)
		made := 0
		for i, err := range errs {
			switch {
			case err == nil:
				made++
			case !isCode(err, "key_limit"):
				t.Fatalf("key %d: %v", i, err)
			}
		}
		if made != 1 {
			t.Fatalf("%d keys made at once for the last of %d places", made, MaxAPIKeys)
		}
	})
}

// TestRequestFilledOnceOnTwoInstances: senders filling one request at the
// same moment, on two instances, fill it once: one is told it was sent,
// every other that the request is gone, and the owner has one link. On
// either database.
func TestRequestFilledOnceOnTwoInstances(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		first, _, owner := newServiceOn(t, dsn)
		ctx := context.Background()
		services := instancesOn(t, dsn, first, 2)
		c, err := first.CreateRequest(ctx, owner.ID, RequestInput{Label: "vpn", Accepts: AcceptsText, TTL: "1h"})
		if err != nil {
			t.Fatal(err)
		}
		tok := requestToken(t, c.URL)
		const senders = 12
		errs := make([]error, senders)
		calls := make([]func(), senders)
		for i := range calls {
			s := services[i%len(services)]
			calls[i] = func() {
				d := s.NewDraft()
				defer d.Close()
				turn, err := s.TakeTurn(ctx, OpenAction, Client{IP: fmt.Sprintf("192.0.2.%d", i+1)})
				if err == nil {
					_, err = s.Fulfil(ctx, turn, tok, d, fmt.Sprint("secret ", i), nil)
				}
				errs[i] = err
			}
		}
		atOnce(calls...)
		sent := 0
		for i, err := range errs {
			switch {
			case err == nil:
				sent++
			case !isCode(err, "request_gone"):
				t.Fatalf("sender %d: %v", i, err)
			}
		}
		links, err := first.Links(ctx, owner.ID, ListInput{})
		if sent != 1 || err != nil || len(links.Links) != 1 {
			t.Fatalf("%d senders told it was sent, %d links (%v); want 1 and 1", sent, len(links.Links), err)
		}
	})
}

// TestNamesStayUniqueUnderConcurrency: accounts added at the same moment,
// on two instances, under names that are one once case and width are
// ignored make one account; the others are told the name is taken. On
// either database.
func TestNamesStayUniqueUnderConcurrency(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		first, _, _ := newServiceOn(t, dsn, func(c *Config) { c.PasswordCost = bcrypt.MinCost })
		ctx := context.Background()
		services := instancesOn(t, dsn, first, 2)
		names := []string{"bob", "Bob", "BOB", "ｂｏｂ"}
		errs := make([]error, len(names))
		calls := make([]func(), len(names))
		for i, name := range names {
			s := services[i%len(services)]
			calls[i] = func() { _, errs[i] = s.AddAccount(ctx, name, "correct horse battery", false) }
		}
		atOnce(calls...)
		made := 0
		for i, err := range errs {
			switch {
			case err == nil:
				made++
			case !isCode(err, "username_taken"):
				t.Fatalf("%q: %v", names[i], err)
			}
		}
		accounts, err := first.Accounts(ctx)
		if made != 1 || err != nil || len(accounts) != 2 {
			t.Fatalf("%d of %d adds made an account, %d accounts (%v); want 1 and 2", made, len(names), len(accounts), err)
		}
	})
}

// TestFormOnceUnderConcurrency: one form sent eight times at the same
// moment, to two instances, acts once and is repeated seven times; a form
// whose act fails can be sent again; another account's form with the same
// key is its own; a key no form issued is refused, and a form without a
// key acts each time. On either database.
func TestFormOnceUnderConcurrency(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		first, _, ada := newServiceOn(t, dsn)
		ctx := context.Background()
		services := instancesOn(t, dsn, first, 2)
		bob, err := first.AddAccount(ctx, "bob", "correct horse battery", false)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		acted := 0
		act := func() error {
			mu.Lock()
			acted++
			mu.Unlock()
			// Long enough for every other sending to arrive meanwhile.
			time.Sleep(50 * time.Millisecond)
			return nil
		}
		sendAtOnce := func(account int64, key string) (repeated int) {
			const tries = 8
			reps := make([]bool, tries)
			calls := make([]func(), tries)
			for i := range calls {
				s := services[i%len(services)]
				calls[i] = func() {
					var err error
					if reps[i], err = s.FormOnce(ctx, account, KeyForm, key, act); err != nil {
						t.Error(err)
					}
				}
			}
			atOnce(calls...)
			for _, r := range reps {
				if r {
					repeated++
				}
			}
			return repeated
		}
		if repeated := sendAtOnce(ada.ID, "form-1"); acted != 1 || repeated != 7 {
			t.Fatalf("one form sent eight times at once acted %d times, %d repeated", acted, repeated)
		}
		if repeated, err := first.FormOnce(ctx, ada.ID, PasswordForm, "form-1", act); err != nil || !repeated || acted != 1 {
			t.Fatalf("the form's key on a form of another kind: repeated %v, %v, acted %d times", repeated, err, acted)
		}
		if repeated := sendAtOnce(bob.ID, "form-1"); acted != 2 || repeated != 7 {
			t.Fatalf("another account's form with the same key acted %d times in all, %d repeated", acted, repeated)
		}

		refused := Refusal(Forbidden, "wrong_password", "", "wrong_password")
		if _, err := first.FormOnce(ctx, ada.ID, PasswordForm, "form-2", func() error { return refused }); err != refused {
			t.Fatalf("an act that fails: %v", err)
		}
		if repeated := sendAtOnce(ada.ID, "form-2"); acted != 3 || repeated != 7 {
			t.Fatalf("a form whose act failed, sent again eight times at once, acted %d times in all, %d repeated", acted, repeated)
		}

		if _, err := first.FormOnce(ctx, ada.ID, KeyForm, "not a key", act); !isCode(err, "idempotency_key_invalid") || acted != 3 {
			t.Fatalf("a key no form issued: %v, acted %d times in all", err, acted)
		}
		for range 2 {
			if repeated, err := first.FormOnce(ctx, ada.ID, KeyForm, "", act); err != nil || repeated {
				t.Fatalf("a form without a key: repeated %v, %v", repeated, err)
			}
		}
		if acted != 5 {
			t.Fatalf("two forms without a key acted %d times in all, want 5", acted)
		}
	})
}

// TestFormOnceWaitsForTheFirstSending: a form sent again, on another
// instance, while its first sending still acts waits for that one's
// outcome: after a first sending that failed and gave its key back it
// acts itself, rather than say the form was done; after one that did what
// it does, it is repeated, and only then. On either database.
func TestFormOnceWaitsForTheFirstSending(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		first, _, ada := newServiceOn(t, dsn)
		ctx := context.Background()
		second := instancesOn(t, dsn, first, 2)[1]
		refused := Refusal(Forbidden, "wrong_password", "", "wrong_password")
		for _, outcome := range []error{refused, nil} {
			key := fmt.Sprint("form-", outcome == nil)
			acting, finish := make(chan struct{}), make(chan struct{})
			var finished atomic.Bool
			done := make(chan error, 1)
			go func() {
				_, err := first.FormOnce(ctx, ada.ID, PasswordForm, key, func() error {
					close(acting)
					<-finish
					finished.Store(true)
					return outcome
				})
				done <- err
			}()
			<-acting
			time.AfterFunc(100*time.Millisecond, func() { close(finish) })
			actedAgain := false
			repeated, err := second.FormOnce(ctx, ada.ID, PasswordForm, key, func() error { actedAgain = true; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if !finished.Load() {
				t.Fatalf("outcome %v: the second sending answered (repeated %v) while the first still acted", outcome, repeated)
			}
			if outcome != nil && (repeated || !actedAgain) {
				t.Errorf("after a first sending that failed: repeated %v, acted %v; want it to act", repeated, actedAgain)
			}
			if outcome == nil && (!repeated || actedAgain) {
				t.Errorf("after a first sending that was done: repeated %v, acted %v; want it repeated", repeated, actedAgain)
			}
			if err := <-done; err != outcome {
				t.Fatalf("the first sending: %v, want %v", err, outcome)
			}
		}

		// A claim neither settled nor given back, as by an instance that
		// stopped while it acted, is taken as done once formActTime is over.
		if _, err := storeOf(first).ClaimFormKey(ctx, ada.ID, string(PasswordForm), "form-orphan"); err != nil {
			t.Fatal(err)
		}
		second.Now = func() time.Time { return time.Now().Add(formActTime) }
		if repeated, err := second.FormOnce(ctx, ada.ID, PasswordForm, "form-orphan", func() error { return nil }); err != nil || !repeated {
			t.Errorf("a claim left unsettled: repeated %v, %v; want it repeated", repeated, err)
		}
	})
}

// storeOf is s's store.
func storeOf(s *Service) *store.Store { return s.store.(*store.Store) }
