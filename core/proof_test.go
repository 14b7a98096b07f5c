package core

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"oncelink/store"
	"oncelink/token"
)

// proofPassword is ada's password in the proof tests.
const proofPassword = "correct horse battery"

// proofService is a Service on a clock that stands still until moved,
// with single sign-on through idp (none when nil) and the account sign-in
// limit at two tries a minute; ada has a password.
func proofService(t *testing.T, idp IdentityProvider) (*Service, *store.Store, Account, *time.Time) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "oncelink.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	owner, err := st.CreateFirstAccount(ctx, "ada", "x")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{BaseURL: "https://share.example", MinTTL: time.Minute, MaxTTL: time.Hour, GrantTTL: time.Minute,
		RateLimits: true, Rates: Rates{SignInAccount: Rate{N: 2, Per: time.Minute}}}
	if idp != nil {
		cfg.SSO = idp
	}
	s := New(cfg, st, bytes.Repeat([]byte{7}, token.KeyLen), slog.New(slog.NewTextHandler(io.Discard, nil)))
	now := time.Now()
	s.Now = func() time.Time { return now }
	st.Now = s.Now
	ada, _, err := s.SetPassword(ctx, owner.ID, proofPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	return s, st, ada, &now
}

// TestProofWindow: within ProofWindow of its sign-in or last proof, a
// session changes second factors with nothing more, and takes no turn of
// the sign-in limit; after it, each change takes a proof, and each proof
// tried takes a turn. A proof accepted opens the window again.
func TestProofWindow(t *testing.T) {
	s, _, ada, now := proofService(t, nil)
	ctx := context.Background()
	signedIn := *now
	for range 3 { // more than the limit's two tries
		p := &Proof{ProvenAt: signedIn}
		if _, err := s.RenewRecoveryCodes(ctx, ada, p); err != errNoSecondFactor {
			t.Fatalf("within the window: %v", err)
		}
		if _, err := s.StartTOTP(ctx, ada, p); err != nil {
			t.Fatalf("an app within the window: %v", err)
		}
		if !p.ProvenAt.Equal(signedIn) {
			t.Fatal("a change within the window moved it")
		}
	}
	*now = now.Add(ProofWindow - time.Millisecond)
	if !s.Proven(Proof{ProvenAt: signedIn}, false) {
		t.Fatal("the window closed early")
	}
	*now = now.Add(time.Millisecond)
	if s.Proven(Proof{ProvenAt: signedIn}, false) || s.Proven(Proof{}, false) {
		t.Fatal("the window stays open, or a session never proven is")
	}
	// Nothing given is no try.
	for range 3 {
		if _, err := s.StartTOTP(ctx, ada, &Proof{ProvenAt: signedIn, Given: "  "}); err != errProofNeeded {
			t.Fatalf("no proof once the window closed: %v", err)
		}
	}
	// The app waiting for its code is not shown again to a session that
	// is not proven.
	if _, err := s.PendingTOTP(ctx, ada, Proof{ProvenAt: signedIn}); err != errProofNeeded {
		t.Fatalf("the secret to a session not proven: %v", err)
	}
	if _, err := s.StartTOTP(ctx, ada, &Proof{ProvenAt: signedIn, Given: "not it"}); err != errNotYourProof {
		t.Fatalf("a wrong proof: %v", err)
	}
	p := &Proof{ProvenAt: signedIn, Given: proofPassword}
	e, err := s.StartTOTP(ctx, ada, p)
	if err != nil || !p.ProvenAt.Equal(*now) {
		t.Fatalf("the password: %v, proven at %v", err, p.ProvenAt)
	}
	// The limit's two tries are taken: the next proof tried waits, right
	// or not; a proven session does not.
	if _, err := s.StartTOTP(ctx, ada, &Proof{Given: proofPassword}); !isLimited(err) {
		t.Fatalf("a third proof within the minute: %v", err)
	}
	if _, err := s.PendingTOTP(ctx, ada, *p); err != nil {
		t.Fatalf("the secret to a session just proven: %v", err)
	}
	*now = now.Add(time.Minute)
	code, _ := totp.GenerateCode(e.Secret, *now)
	// Confirming the app takes the code's own turn.
	if _, err := s.ConfirmTOTP(ctx, ada, code, p); err != nil {
		t.Fatalf("confirm within the window: %v", err)
	}
	// An app's current code proves as the password does.
	*now = now.Add(ProofWindow)
	code, _ = totp.GenerateCode(e.Secret, *now)
	p = &Proof{ProvenAt: signedIn, Given: code}
	if _, err := s.RenewRecoveryCodes(ctx, ada, p); err != nil || !p.ProvenAt.Equal(*now) {
		t.Fatalf("a code of the app: %v, proven at %v", err, p.ProvenAt)
	}
}

func isLimited(err error) bool {
	e, ok := AsError(err)
	return ok && e.Kind == Limited
}

// TestProofWhileEnrolling: a session that must set up a second factor
// before it signs in sets one up without a proof, however long ago its
// password was typed (its enrolment has its own time), and changes
// nothing else.
func TestProofWhileEnrolling(t *testing.T) {
	s, st, ada, now := proofService(t, nil)
	ctx := context.Background()
	*now = now.Add(2 * ProofWindow)
	p := &Proof{Enrolling: true}
	if _, _, err := s.BeginPasskey(ctx, ada, "laptop", p); err != nil {
		t.Fatalf("a passkey while enrolling: %v", err)
	}
	e, err := s.StartTOTP(ctx, ada, p)
	if err != nil {
		t.Fatalf("an app while enrolling: %v", err)
	}
	if _, err := s.PendingTOTP(ctx, ada, *p); err != nil {
		t.Fatalf("the app's secret again while enrolling: %v", err)
	}
	code, _ := totp.GenerateCode(e.Secret, *now)
	if _, err := s.ConfirmTOTP(ctx, ada, code, p); err != nil {
		t.Fatalf("confirm while enrolling: %v", err)
	}
	if !p.ProvenAt.IsZero() {
		t.Fatal("enrolling proved the session for what else it does")
	}
	key, err := st.AddPasskey(ctx, store.Passkey{AccountID: ada.ID, CredentialID: []byte("c"), UserHandle: []byte("h"),
		Name: "laptop", Credential: []byte(`{}`)}, MaxPasskeys)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DisableTOTP(ctx, ada, p); err != errProofNeeded {
		t.Fatalf("turning the app off while enrolling: %v", err)
	}
	if _, err := s.RenewRecoveryCodes(ctx, ada, p); err != errProofNeeded {
		t.Fatalf("new codes while enrolling: %v", err)
	}
	if _, err := s.DeletePasskey(ctx, ada, key.ID, p); err != errProofNeeded {
		t.Fatalf("removing a passkey while enrolling: %v", err)
	}
}
