package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
		if err := s.UseRecoveryCode(ctx, ada.ID, []byte("h1")); err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{"h1", "h3"} {
			if err := s.UseRecoveryCode(ctx, ada.ID, []byte(h)); !errors.Is(err, ErrNotFound) {
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
		if err := s.UseRecoveryCode(ctx, ada.ID, []byte("h")); err != nil {
			t.Fatal(err)
		}
		if err := s.FirstRecoveryCodes(ctx, ada.ID, [][]byte{[]byte("new")}); !errors.Is(err, ErrConflict) {
			t.Fatalf("first codes over used ones: %v", err)
		}
		if err := s.UseRecoveryCode(ctx, ada.ID, []byte("new")); !errors.Is(err, ErrNotFound) {
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
		if err := s.ResetSecondFactors(ctx, eve.ID); err != nil {
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
