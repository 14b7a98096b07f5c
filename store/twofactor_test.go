package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"oncelink/internal/pgtest"
)

func TestTOTPLife(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		ada := mustAccount(t, s, "ada")
		if _, err := s.TOTPOf(ctx, ada.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("no secret yet: %v", err)
		}
		if err := s.StartTOTP(ctx, ada.ID, []byte("first")); err != nil {
			t.Fatal(err)
		}
		// An unconfirmed secret is replaced, and is no second factor.
		if err := s.StartTOTP(ctx, ada.ID, []byte("second")); err != nil {
			t.Fatal(err)
		}
		tt, err := s.TOTPOf(ctx, ada.ID)
		if err != nil || string(tt.Secret) != "second" || tt.Confirmed() || tt.LastStep != 0 {
			t.Fatalf("unconfirmed: %+v, %v", tt, err)
		}
		if f, err := s.SecondFactorsOf(ctx, ada.ID); err != nil || f.Any() {
			t.Fatalf("factors while unconfirmed: %+v, %v", f, err)
		}
		if err := s.UseTOTPStep(ctx, ada.ID, 100, true); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a sign-in step of an unconfirmed secret: %v", err)
		}
		// Confirming takes a step; the same or an earlier one is gone.
		c.Add(time.Second)
		if err := s.UseTOTPStep(ctx, ada.ID, 100, false); err != nil {
			t.Fatal(err)
		}
		for _, step := range []int64{100, 99} {
			if err := s.UseTOTPStep(ctx, ada.ID, step, true); !errors.Is(err, ErrGone) {
				t.Fatalf("step %d again: %v", step, err)
			}
		}
		if err := s.UseTOTPStep(ctx, ada.ID, 101, true); err != nil {
			t.Fatal(err)
		}
		if err := s.StartTOTP(ctx, ada.ID, []byte("third")); !errors.Is(err, ErrConflict) {
			t.Fatalf("a new secret over a confirmed one: %v", err)
		}
		f, err := s.SecondFactorsOf(ctx, ada.ID)
		if err != nil || !f.TOTP || !f.TOTPSince.Equal(c.Now()) || f.Passkeys != 0 {
			t.Fatalf("factors: %+v, %v", f, err)
		}
		with, err := s.WithSecondFactor(ctx)
		if err != nil || len(with) != 1 || !with[ada.ID] {
			t.Fatalf("accounts with a factor: %v, %v", with, err)
		}

		// Recovery codes: each once; turning the app off drops them.
		if err := s.SetRecoveryCodes(ctx, ada.ID, [][]byte{[]byte("h1"), []byte("h2")}); err != nil {
			t.Fatal(err)
		}
		if left, err := s.UseRecoveryCode(ctx, ada.ID, []byte("h1")); err != nil || left != 1 {
			t.Fatalf("a code used: %d left, %v", left, err)
		}
		for _, h := range []string{"h1", "h3"} {
			if _, err := s.UseRecoveryCode(ctx, ada.ID, []byte(h)); !errors.Is(err, ErrNotFound) {
				t.Fatalf("code %s: %v", h, err)
			}
		}
		if f, _ := s.SecondFactorsOf(ctx, ada.ID); f.RecoveryLeft != 1 || f.RecoveryUsed != 1 {
			t.Fatalf("codes left: %d, used: %d", f.RecoveryLeft, f.RecoveryUsed)
		}
		if err := s.DeleteTOTP(ctx, ada.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteTOTP(ctx, ada.ID, false); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleting twice: %v", err)
		}
		if f, _ := s.SecondFactorsOf(ctx, ada.ID); f.Any() || f.RecoveryLeft != 0 || f.RecoveryUsed != 0 {
			t.Fatalf("after turning off: %+v", f)
		}
	})
}

// TestTOTPStepOnce: of concurrent uses of one step, exactly one succeeds,
// as two instances checking one code at once must agree.
func TestTOTPStepOnce(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ada := mustAccount(t, s, "ada")
		if err := s.StartTOTP(ctx, ada.ID, []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := s.UseTOTPStep(ctx, ada.ID, 1, false); err != nil {
			t.Fatal(err)
		}
		ok := succeeded(t, 8, ErrGone, func(int) error { return s.UseTOTPStep(ctx, ada.ID, 2, true) })
		if ok != 1 {
			t.Fatalf("%d uses of one step succeeded", ok)
		}
	})
}

// TestFirstRecoveryCodes: an account's first codes are given once, by
// one of several at once; codes it has, even used up, stay.
func TestFirstRecoveryCodes(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ada := mustAccount(t, s, "ada")
		ok := succeeded(t, 8, ErrConflict, func(i int) error {
			return s.FirstRecoveryCodes(ctx, ada.ID, [][]byte{{byte(i), 1}, {byte(i), 2}})
		})
		if f, _ := s.SecondFactorsOf(ctx, ada.ID); ok != 1 || f.RecoveryLeft != 2 {
			t.Fatalf("%d gave first codes, %d left", ok, f.RecoveryLeft)
		}
		if err := s.SetRecoveryCodes(ctx, ada.ID, [][]byte{[]byte("h")}); err != nil {
			t.Fatal(err)
		}
		if left, err := s.UseRecoveryCode(ctx, ada.ID, []byte("h")); err != nil || left != 0 {
			t.Fatalf("the last code used: %d left, %v", left, err)
		}
		if err := s.FirstRecoveryCodes(ctx, ada.ID, [][]byte{[]byte("new")}); !errors.Is(err, ErrConflict) {
			t.Fatalf("first codes over used ones: %v", err)
		}
		if _, err := s.UseRecoveryCode(ctx, ada.ID, []byte("new")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a code given over used ones: %v", err)
		}
		if err := s.FirstRecoveryCodes(ctx, 1<<40, [][]byte{[]byte("x")}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("no such account: %v", err)
		}
	})
}

func TestPasskeyLife(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		ada, eve := mustAccount(t, s, "ada"), mustAccount(t, s, "eve")
		p, err := s.AddPasskey(ctx, Passkey{AccountID: ada.ID, CredentialID: []byte("cred-1"), UserHandle: []byte("handle"),
			Name: "laptop", Credential: []byte(`{"id":"x"}`)}, 2)
		if err != nil || p.ID == 0 || p.Name != "laptop" || !p.CreatedAt.Equal(c.Now()) || !p.LastUsedAt.IsZero() {
			t.Fatalf("add: %+v, %v", p, err)
		}
		if _, err := s.AddPasskey(ctx, Passkey{AccountID: eve.ID, CredentialID: []byte("cred-1"), UserHandle: []byte("h2"),
			Name: "copy", Credential: []byte(`{}`)}, 2); !errors.Is(err, ErrConflict) {
			t.Fatalf("a known credential: %v", err)
		}
		if _, err := s.AddPasskey(ctx, Passkey{AccountID: ada.ID, CredentialID: []byte("cred-2"), UserHandle: []byte("handle"),
			Name: "phone", Credential: []byte(`{}`)}, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddPasskey(ctx, Passkey{AccountID: ada.ID, CredentialID: []byte("cred-3"), UserHandle: []byte("handle"),
			Name: "third", Credential: []byte(`{}`)}, 2); !errors.Is(err, ErrLimit) {
			t.Fatalf("over the limit: %v", err)
		}
		got, err := s.PasskeyByCredential(ctx, []byte("cred-1"))
		if err != nil || got.ID != p.ID || string(got.UserHandle) != "handle" {
			t.Fatalf("by credential: %+v, %v", got, err)
		}
		c.Add(time.Minute)
		if err := s.UsedPasskey(ctx, p.ID, []byte(`{"id":"y"}`)); err != nil {
			t.Fatal(err)
		}
		keys, err := s.Passkeys(ctx, ada.ID)
		if err != nil || len(keys) != 2 || keys[0].Name != "laptop" || !keys[0].LastUsedAt.Equal(c.Now()) || string(keys[0].Credential) != `{"id":"y"}` {
			t.Fatalf("list: %+v, %v", keys, err)
		}
		if f, err := s.SecondFactorsOf(ctx, ada.ID); err != nil || f.Passkeys != 2 || !f.Any() || f.TOTP {
			t.Fatalf("factors: %+v, %v", f, err)
		}
		if err := s.SetRecoveryCodes(ctx, ada.ID, [][]byte{[]byte("h")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeletePasskey(ctx, eve.ID, p.ID, false); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another account's passkey: %v", err)
		}
		if _, err := s.DeletePasskey(ctx, ada.ID, p.ID, false); err != nil {
			t.Fatal(err)
		}
		if f, _ := s.SecondFactorsOf(ctx, ada.ID); f.RecoveryLeft != 1 {
			t.Fatalf("codes went with a passkey that was not the last: %+v", f)
		}
		if _, err := s.DeletePasskey(ctx, ada.ID, keys[1].ID, false); err != nil {
			t.Fatal(err)
		}
		if f, _ := s.SecondFactorsOf(ctx, ada.ID); f.Any() || f.RecoveryLeft != 0 {
			t.Fatalf("after the last passkey: %+v", f)
		}
		// Everything goes with its account, and with a reset.
		if _, err := s.AddPasskey(ctx, Passkey{AccountID: eve.ID, CredentialID: []byte("cred-4"), UserHandle: []byte("e"),
			Name: "key", Credential: []byte(`{}`)}, 2); err != nil {
			t.Fatal(err)
		}
		if err := s.StartTOTP(ctx, eve.ID, []byte("s")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ResetSecondFactors(ctx, eve.ID); err != nil {
			t.Fatal(err)
		}
		if f, _ := s.SecondFactorsOf(ctx, eve.ID); f.Any() {
			t.Fatalf("after a reset: %+v", f)
		}
		if _, err := s.AddPasskey(ctx, Passkey{AccountID: eve.ID, CredentialID: []byte("cred-5"), UserHandle: []byte("e"),
			Name: "key", Credential: []byte(`{}`)}, 2); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.DeleteAccount(ctx, eve.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PasskeyByCredential(ctx, []byte("cred-5")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a deleted account's passkey: %v", err)
		}
	})
}

// TestPasskeyCloned: a passkey found cloned is marked once, and kept so,
// when it was, for the list; its use is no longer kept, ErrGone. The
// account's other passkey is used as before.
func TestPasskeyCloned(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		ada := mustAccount(t, s, "ada")
		var keys []Passkey
		for _, name := range []string{"laptop", "phone"} {
			p, err := s.AddPasskey(ctx, Passkey{AccountID: ada.ID, CredentialID: []byte(name), UserHandle: []byte("handle"),
				Name: name, Credential: []byte(`{}`)}, 2)
			if err != nil || !p.ClonedAt.IsZero() {
				t.Fatalf("add: %+v, %v", p, err)
			}
			keys = append(keys, p)
		}
		found := c.Now()
		for i, want := range []bool{true, false} {
			if marked, err := s.PasskeyCloned(ctx, keys[1].ID); err != nil || marked != want {
				t.Fatalf("marked cloned, %d: %v, %v", i+1, marked, err)
			}
			c.Add(time.Minute)
		}
		if marked, err := s.PasskeyCloned(ctx, 1<<40); err != nil || marked {
			t.Fatalf("a passkey that is not: %v, %v", marked, err)
		}
		if err := s.UsedPasskey(ctx, keys[1].ID, []byte(`{"n":1}`)); !errors.Is(err, ErrGone) {
			t.Fatalf("the use of one found cloned: %v", err)
		}
		if err := s.UsedPasskey(ctx, keys[0].ID, []byte(`{"n":1}`)); err != nil {
			t.Fatalf("the other's use: %v", err)
		}
		got, err := s.Passkeys(ctx, ada.ID)
		if err != nil || len(got) != 2 || !got[0].ClonedAt.IsZero() || !got[1].ClonedAt.Equal(found) ||
			!got[1].LastUsedAt.IsZero() || string(got[1].Credential) != `{}` {
			t.Fatalf("list: %+v, %v", got, err)
		}
		if p, err := s.PasskeyByCredential(ctx, []byte("phone")); err != nil || !p.ClonedAt.Equal(found) {
			t.Fatalf("by credential: %+v, %v", p, err)
		}
	})
}

// TestSecondStepCodeTakenAgain: a try with the code the account took last,
// its app's last step or a recovery code used since the time given, is
// Again, and counts nothing; any other, an earlier step or a code used
// before that time, counts as before.
func TestSecondStepCodeTakenAgain(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		ada := mustAccount(t, s, "ada")
		noWait := func(int) time.Duration { return 0 }
		take := func(what string, code SecondStepCode, again bool, failures int) {
			t.Helper()
			try, err := s.TakeSecondStepTry(ctx, ada.ID, noWait, code)
			if err != nil || try.Again != again || try.Failures != failures {
				t.Fatalf("%s: %+v, %v; want again %v, %d failures", what, try, err, again, failures)
			}
		}
		take("no app yet", SecondStepCode{Step: 10}, false, 1)
		if err := s.StartTOTP(ctx, ada.ID, []byte("sealed")); err != nil {
			t.Fatal(err)
		}
		if err := s.UseTOTPStep(ctx, ada.ID, 10, false); err != nil {
			t.Fatal(err)
		}
		if err := s.SetRecoveryCodes(ctx, ada.ID, [][]byte{[]byte("one"), []byte("two")}); err != nil {
			t.Fatal(err)
		}
		used := c.Now()
		if _, err := s.UseRecoveryCode(ctx, ada.ID, []byte("one")); err != nil {
			t.Fatal(err)
		}
		c.Add(time.Minute)
		take("the last step", SecondStepCode{Step: 10}, true, 1)
		take("an earlier step", SecondStepCode{Step: 9}, false, 2)
		take("a later step", SecondStepCode{Step: 11}, false, 3)
		take("a recovery code used since", SecondStepCode{Recovery: []byte("one"), Since: used}, true, 3)
		take("a recovery code used before", SecondStepCode{Recovery: []byte("one"), Since: used.Add(time.Millisecond)}, false, 4)
		take("a recovery code unused", SecondStepCode{Recovery: []byte("two"), Since: used}, false, 5)
		take("no code", SecondStepCode{}, false, 6)
		// Held back, a code taken again is held back too.
		try, err := s.TakeSecondStepTry(ctx, ada.ID, heldAfterThree, SecondStepCode{Step: 10})
		if err != nil || try.Wait == 0 || try.Again {
			t.Fatalf("held back: %+v, %v", try, err)
		}
	})
}

// heldAfterThree is a second-step wait for the store's tests: none for
// the first three wrong codes in a row, then a minute for each.
func heldAfterThree(failures int) time.Duration {
	if failures < 3 {
		return 0
	}
	return time.Duration(failures) * time.Minute
}

// confirmAddress makes address account's confirmed notice address.
func confirmAddress(t *testing.T, s *Store, account int64, address string) {
	t.Helper()
	ctx := context.Background()
	hash := sha256.Sum256([]byte(address))
	if err := s.SetPendingAddress(ctx, account, address, hash[:], s.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	nonce := sha256.Sum256(append(hash[:], "unsubscribe"...))
	if _, err := s.ConfirmAddress(ctx, account, hash[:], s.Now(), nonce[:16]); err != nil {
		t.Fatal(err)
	}
}

// TestSecondStepFailures: each try counts, until the count holds the next
// one back for as long as the wait says after the last; a try held back
// counts nothing. A run of wrong codes is told once, with a mail to a
// confirmed notice address that says how many; a right code, or a reset
// of the second factors, starts the count again, and a new run is told
// again.
func TestSecondStepFailures(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		ada, eve := mustAccount(t, s, "ada"), mustAccount(t, s, "eve")
		confirmAddress(t, s, ada.ID, "ada@example.org")
		take := func(a Account, failures int, wait time.Duration) {
			t.Helper()
			try, err := s.TakeSecondStepTry(ctx, a.ID, heldAfterThree, SecondStepCode{})
			if err != nil || try.Failures != failures || try.Wait != wait {
				t.Fatalf("%s's try: %+v, %v; want %d failures, held back %s", a.Username, try, err, failures, wait)
			}
		}
		told := func(a Account, want int) {
			t.Helper()
			at := Event{At: c.Now(), IP: "192.0.2.7", UserAgent: "guesser"}
			if n, err := s.NoticeSecondStepFailures(ctx, a.ID, 3, at, true); err != nil || n != want {
				t.Fatalf("%s told of %d wrong codes, %v; want %d", a.Username, n, err, want)
			}
		}
		mails := func(want int) []Delivery {
			t.Helper()
			ds, err := s.EmailDeliveries(ctx, ada.ID, 10)
			if err != nil || len(ds) != want {
				t.Fatalf("%d mails, %v; want %d", len(ds), err, want)
			}
			return ds
		}

		take(ada, 1, 0)
		take(ada, 2, 0)
		told(ada, 0) // fewer than three
		take(ada, 3, 0)
		take(eve, 1, 0) // each account counts its own
		c.Add(time.Second)
		take(ada, 3, 3*time.Minute-time.Second)
		toldAt := c.Now()
		told(ada, 3)
		told(ada, 0) // once
		c.Add(3*time.Minute - time.Second - time.Millisecond)
		take(ada, 3, time.Millisecond)
		c.Add(time.Millisecond)
		take(ada, 4, 0)
		told(ada, 0) // still once
		take(ada, 4, 4*time.Minute)
		d := mails(1)[0]
		if d.Type != NoticeSecondStepFailed || d.WebhookID != 0 || d.IP != "192.0.2.7" || d.UserAgent != "guesser" ||
			!d.At.Equal(toldAt) || d.Status != DeliveryPending {
			t.Fatalf("the mail: %+v", d)
		}
		if n, err := s.DeliveryFailures(ctx, d.ID); err != nil || n != 3 {
			t.Fatalf("the mail tells of %d wrong codes, %v; want 3", n, err)
		}

		// A right code starts again, and a new run is told again.
		if err := s.ForgetSecondStepFailures(ctx, ada.ID); err != nil {
			t.Fatal(err)
		}
		for n := range 3 {
			take(ada, n+1, 0)
		}
		told(ada, 3)
		mails(2)
		// So does a reset of the second factors.
		if err := s.SetRecoveryCodes(ctx, ada.ID, [][]byte{hashOf(t)}); err != nil {
			t.Fatal(err)
		}
		if removed, _, err := s.ResetSecondFactors(ctx, ada.ID); err != nil || !removed {
			t.Fatalf("reset: removed %v, %v", removed, err)
		}
		take(ada, 1, 0)
		// Without email, or without a confirmed address, a run is told
		// once all the same, and nothing waits in the outbox.
		for range 2 {
			take(ada, 2, 0)
			take(ada, 3, 0)
			if n, err := s.NoticeSecondStepFailures(ctx, ada.ID, 3, Event{At: c.Now()}, false); err != nil || n != 3 {
				t.Fatalf("told without email of %d, %v", n, err)
			}
			if err := s.ForgetSecondStepFailures(ctx, ada.ID); err != nil {
				t.Fatal(err)
			}
			take(ada, 1, 0)
		}
		mails(2)
		take(eve, 2, 0)
		take(eve, 3, 0)
		told(eve, 3)
		if ds, err := s.EmailDeliveries(ctx, eve.ID, 10); err != nil || len(ds) != 0 {
			t.Fatalf("mails to an account without an address: %d, %v", len(ds), err)
		}
		if _, err := s.TakeSecondStepTry(ctx, 1<<40, heldAfterThree, SecondStepCode{}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("no such account: %v", err)
		}
		// It goes with its account.
		if _, _, err := s.DeleteAccount(ctx, eve.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSecondStepTriesAtOnce: of tries at once, on one store or two (two
// instances on one database), only as many are taken as the count allows
// before it holds them back, each with a count of its own; and of the
// notices of one run asked for at once, one is told, with one mail.
func TestSecondStepTriesAtOnce(t *testing.T) {
	for _, db := range []struct {
		name string
		open func(t *testing.T) (*Store, *Store)
	}{
		{"sqlite", func(t *testing.T) (*Store, *Store) {
			path := filepath.Join(t.TempDir(), "test.db")
			open := func() *Store {
				s, err := Open(context.Background(), path, Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
			return open(), open()
		}},
		{"postgres", func(t *testing.T) (*Store, *Store) {
			dsn := pgtest.DSN(t)
			return openPostgresTest(t, dsn), openPostgresTest(t, dsn)
		}},
	} {
		t.Run(db.name, func(t *testing.T) {
			ctx := context.Background()
			one, two := db.open(t)
			newClock(one)
			two.Now = one.Now
			ada := mustAccount(t, one, "ada")
			confirmAddress(t, one, ada.ID, "ada@example.org")
			for round := range 5 {
				var (
					mu    sync.Mutex
					taken []int
				)
				errTaken := errors.New("taken")
				held := succeeded(t, 16, errTaken, func(i int) error {
					try, err := []*Store{one, two}[i%2].TakeSecondStepTry(ctx, ada.ID, heldAfterThree, SecondStepCode{})
					if err != nil {
						return err
					}
					if try.Wait == 0 {
						mu.Lock()
						taken = append(taken, try.Failures)
						mu.Unlock()
						return errTaken
					}
					return nil
				})
				slices.Sort(taken)
				if held != 13 || !slices.Equal(taken, []int{1, 2, 3}) {
					t.Fatalf("round %d: %d of 16 held back, counts %v taken; want 13, and 1, 2, 3", round, held, taken)
				}
				told := succeeded(t, 8, ErrNotFound, func(i int) error {
					n, err := []*Store{one, two}[i%2].NoticeSecondStepFailures(ctx, ada.ID, 3, Event{At: one.Now()}, true)
					if err == nil && n == 0 {
						return ErrNotFound
					}
					return err
				})
				if ds, err := one.EmailDeliveries(ctx, ada.ID, 10); told != 1 || err != nil || len(ds) != round+1 {
					t.Fatalf("round %d: told %d times, %d mails, %v", round, told, len(ds), err)
				}
				if err := two.ForgetSecondStepFailures(ctx, ada.ID); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestFlags(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if on, err := s.Flag(ctx, "require-two-factor"); err != nil || on {
			t.Fatalf("a flag never set: %v, %v", on, err)
		}
		for _, want := range []bool{true, true, false} {
			if err := s.SetFlag(ctx, "require-two-factor", want); err != nil {
				t.Fatal(err)
			}
			if on, err := s.Flag(ctx, "require-two-factor"); err != nil || on != want {
				t.Fatalf("flag: %v, %v; want %v", on, err, want)
			}
		}
	})
}

// succeeded runs do n times at once and returns how many succeeded; each
// other must have been refused with refused.
func succeeded(t *testing.T, n int, refused error, do func(i int) error) int {
	t.Helper()
	var (
		wg sync.WaitGroup
		ok atomic.Int32
	)
	for i := range n {
		wg.Go(func() {
			switch err := do(i); {
			case err == nil:
				ok.Add(1)
			case !errors.Is(err, refused):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	return int(ok.Load())
}
