package core

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pquerna/otp/totp"

	"oncelink/internal/pgtest"
	"oncelink/store"
)

// TestTOTPSecretSealed: the database holds an app's key sealed, not as
// text, and a sealed key copied to another account does not open there.
func TestTOTPSecretSealed(t *testing.T) {
	s, st, _, ada := newRequestService(t)
	ctx := context.Background()
	e, err := s.StartTOTP(ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(e.URL)
	if err != nil || u.Scheme != "otpauth" || u.Query().Get("secret") != e.Secret || u.Query().Get("issuer") != "oncelink" ||
		!strings.Contains(u.Path, "ada@share.example") {
		t.Fatalf("key URL %q", e.URL)
	}
	row, err := st.TOTPOf(ctx, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(row.Secret, []byte(e.Secret)) {
		t.Fatal("the key is kept as text")
	}
	if got, err := s.openTOTP(ada.ID, row.Secret); err != nil || got != e.Secret {
		t.Fatalf("opened %q, %v", got, err)
	}
	if _, err := s.openTOTP(ada.ID+1, row.Secret); err == nil {
		t.Fatal("a sealed key opened for another account")
	}
	// Shown again after a wrong code, it is the same key.
	again, err := s.PendingTOTP(ctx, ada)
	if err != nil || again.Secret != e.Secret {
		t.Fatalf("pending: %+v, %v", again, err)
	}
	code, _ := totp.GenerateCode(e.Secret, s.Now())
	codes, err := s.ConfirmTOTP(ctx, ada, code)
	if err != nil || len(codes) != RecoveryCodes {
		t.Fatalf("confirm: %d codes, %v", len(codes), err)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != recoveryCodeLen+3 || seen[c] || strings.Trim(c, recoveryAlphabet+"-") != "" {
			t.Fatalf("recovery code %q", c)
		}
		seen[c] = true
	}
	if _, err := s.PendingTOTP(ctx, ada); err != errNoEnrolment {
		t.Fatalf("pending once confirmed: %v", err)
	}
	if _, err := s.StartTOTP(ctx, ada); err != errTOTPOn {
		t.Fatalf("a second app: %v", err)
	}
}

// TestProofShapedLikeACode: a password that is six digits with spaces is
// still the password where an app is on.
func TestProofShapedLikeACode(t *testing.T) {
	s, _, _, ada := newRequestService(t)
	ctx := context.Background()
	e, err := s.StartTOTP(ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(e.Secret, s.Now())
	if _, err := s.ConfirmTOTP(ctx, ada, code); err != nil {
		t.Fatal(err)
	}
	const password = "1 2 3 4 5 6"
	if ada, _, err = s.SetPassword(ctx, ada.ID, password, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RenewRecoveryCodes(ctx, ada, password); err != nil {
		t.Fatalf("the password, shaped like a code: %v", err)
	}
	if _, err := s.RenewRecoveryCodes(ctx, ada, "6 5 4 3 2 1"); err != errNotYourProof {
		t.Fatalf("neither code nor password: %v", err)
	}
}

// TestLastFactorStaysUnderConcurrency: while two-factor is required, two
// removals at once of an account's last two second factors, two passkeys
// or an app and a passkey, leave one: exactly one of them goes, on either
// database.
func TestLastFactorStaysUnderConcurrency(t *testing.T) {
	for _, db := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "oncelink.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.DSN(t) }},
	} {
		t.Run(db.name, func(t *testing.T) {
			s, st, ada := newServiceOn(t, db.dsn(t))
			ctx := context.Background()
			const password = "correct horse battery"
			ada, _, err := s.SetPassword(ctx, ada.ID, password, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SetTwoFactorRequired(ctx, nil, true); err != nil {
				t.Fatal(err)
			}
			addPasskey := func(round int, name string) Passkey {
				t.Helper()
				p, err := st.AddPasskey(ctx, store.Passkey{AccountID: ada.ID, CredentialID: []byte(fmt.Sprint(round, name)),
					UserHandle: []byte("ada"), Name: name, Credential: []byte(`{}`)}, MaxPasskeys)
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			for round := range 20 {
				first := addPasskey(round, "laptop")
				second := addPasskey(round, "phone")
				removals := []func() error{
					func() error { _, err := s.DeletePasskey(ctx, ada, first.ID, password); return err },
					func() error { _, err := s.DeletePasskey(ctx, ada, second.ID, password); return err },
				}
				if round%2 == 1 {
					// An app in place of the first passkey.
					if _, err := s.DeletePasskey(ctx, ada, first.ID, password); err != nil {
						t.Fatal(err)
					}
					if err := st.StartTOTP(ctx, ada.ID, []byte("sealed")); err != nil {
						t.Fatal(err)
					}
					if err := st.UseTOTPStep(ctx, ada.ID, int64(round), false); err != nil {
						t.Fatal(err)
					}
					removals[0] = func() error { return s.DisableTOTP(ctx, ada, password) }
				}
				var wg sync.WaitGroup
				errs := make([]error, len(removals))
				for i, remove := range removals {
					wg.Go(func() { errs[i] = remove() })
				}
				wg.Wait()
				gone := 0
				for _, err := range errs {
					switch err {
					case nil:
						gone++
					case errFactorRequired:
					default:
						t.Fatalf("round %d: %v", round, err)
					}
				}
				f, err := st.SecondFactorsOf(ctx, ada.ID)
				if err != nil {
					t.Fatal(err)
				}
				if gone != 1 || !f.Any() {
					t.Fatalf("round %d: %d of 2 removals went, leaving %+v", round, gone, f)
				}
				if err := st.ResetSecondFactors(ctx, ada.ID); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
