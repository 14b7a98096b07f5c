package core

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/pquerna/otp/totp"
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
