package core

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"oncelink/store"
)

// proofPassword is ada's password in the proof tests.
const proofPassword = "correct horse battery"

// fakeProvider is an identity provider that signs in whoever id says,
// and notes what it was asked.
type fakeProvider struct {
	id    Identity
	fresh bool
	nonce string
}

func (f *fakeProvider) Begin(_ context.Context, state, nonce string, fresh bool) (string, string, error) {
	f.fresh, f.nonce = fresh, nonce
	return "https://idp.example/auth?state=" + state, "verifier", nil
}

func (f *fakeProvider) Identify(context.Context, string, string) (Identity, error) {
	id := f.id
	id.Nonce = f.nonce
	return id, nil
}

func (f *fakeProvider) FormOrigins() []string { return []string{"https://idp.example"} }

// proofService is a Service on a clock that stands still until moved,
// with single sign-on through idp (none when nil) and the account sign-in
// limit at two tries a minute; ada has a password.
func proofService(t *testing.T, idp IdentityProvider) (*Service, *store.Store, Account, *time.Time) {
	t.Helper()
	s, st, owner := newServiceOn(t, filepath.Join(t.TempDir(), "oncelink.db"), func(c *Config) {
		c.MaxTTL, c.RateLimits, c.Rates = time.Hour, true, Rates{SignInAccount: Rate{N: 2, Per: time.Minute}}
		if idp != nil {
			c.SSO = idp
		}
	})
	now := time.Now()
	s.Now = func() time.Time { return now }
	st.Now = s.Now
	ada, _, err := s.SetPassword(t.Context(), owner.ID, proofPassword, "")
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
	if _, err := s.ConfirmTOTP(ctx, ada, code, "", p); err != nil {
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
	if _, err := s.ConfirmTOTP(ctx, ada, code, "", p); err != nil {
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

// TestProofWithoutPassword: an account made by single sign-on, without an
// app, has no proof to type: it is asked to sign in again at the provider
// (afresh, as itself), or, without single sign-on, to sign in again; a
// password typed all the same is no try. With an app, a code of it
// proves.
func TestProofWithoutPassword(t *testing.T) {
	idp := &fakeProvider{}
	s, st, _, now := proofService(t, idp)
	ctx := context.Background()
	jane, err := st.CreateIdentityAccount(ctx, []string{"jane"}, store.Identity{Issuer: "https://idp.example", Subject: "sub-jane"})
	if err != nil {
		t.Fatal(err)
	}
	// bob signs in with the provider too.
	bob, err := st.CreateIdentityAccount(ctx, []string{"bob"}, store.Identity{Issuer: "https://idp.example", Subject: "sub-bob"})
	if err != nil {
		t.Fatal(err)
	}
	signedIn := *now
	if _, _, err := s.BeginPasskey(ctx, jane, "laptop", &Proof{ProvenAt: signedIn}); err != nil {
		t.Fatalf("a passkey within the window: %v", err)
	}
	*now = now.Add(ProofWindow)
	f, err := s.SecondFactorsOf(ctx, jane.ID)
	if err != nil {
		t.Fatal(err)
	}
	if w, err := s.ProofWaysOf(ctx, jane, f); err != nil || w != (ProofWays{SSO: true}) {
		t.Fatalf("jane proves by %+v, %v", w, err)
	}
	for range 3 {
		if _, _, err := s.BeginPasskey(ctx, jane, "laptop", &Proof{ProvenAt: signedIn, Given: "x"}); err != errProofBySSO {
			t.Fatalf("a passkey outside the window: %v", err)
		}
	}

	// Signing in again at the provider, afresh, as jane proves her.
	turn := func() Turn {
		t.Helper()
		tu, err := s.TakeTurn(ctx, SignInAction, Client{IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		return tu
	}
	confirm := func(id Identity) (*Proof, error) {
		t.Helper()
		*now = now.Add(time.Minute) // a try of the account's limit each
		_, pending, err := s.StartSSOProof(ctx, turn(), jane)
		if err != nil || !idp.fresh {
			t.Fatalf("start: %v, fresh %v", err, idp.fresh)
		}
		idp.id = id
		p := &Proof{ProvenAt: signedIn}
		return p, s.FinishSSOProof(ctx, turn(), jane, pending, SSOReturn{State: pending.State, Code: "code"}, p)
	}
	for _, tc := range []struct {
		id   Identity
		want error
	}{
		{Identity{Issuer: "https://idp.example", Subject: "sub-bob"}, errSSONotYou},
		{Identity{Issuer: "https://idp.example", Subject: "sub-carol"}, errSSONotYou},
		{Identity{Issuer: "https://other.example", Subject: "sub-jane"}, errSSONotYou},
		{Identity{Issuer: "https://idp.example", Subject: "sub-jane", AuthTime: now.Add(-time.Hour)}, errSSONotFresh},
		// A provider that does not say when it signed jane in may not
		// have, whatever it was asked.
		{Identity{Issuer: "https://idp.example", Subject: "sub-jane"}, errSSONotFresh},
	} {
		if p, err := confirm(tc.id); err != tc.want || !p.ProvenAt.Equal(signedIn) {
			t.Fatalf("%+v: %v, proven at %v; want %v", tc.id, err, p.ProvenAt, tc.want)
		}
	}
	for _, id := range []Identity{
		{Issuer: "https://idp.example", Subject: "sub-jane", AuthTime: now.Add(time.Minute)},
		{Issuer: "https://idp.example", Subject: "sub-jane", AuthTime: now.Add(time.Minute)},
	} {
		p, err := confirm(id)
		if err != nil || !p.ProvenAt.Equal(*now) {
			t.Fatalf("%+v: %v, proven at %v", id, err, p.ProvenAt)
		}
		if _, _, err := s.BeginPasskey(ctx, jane, "laptop", p); err != nil {
			t.Fatalf("a passkey once proven again: %v", err)
		}
	}
	// An account not linked to the provider cannot prove itself there.
	ada, err := s.AccountByName(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.StartSSOProof(ctx, turn(), ada); err != errSSONotLinked {
		t.Fatalf("ada, not linked: %v", err)
	}

	// With an app, a code of it proves.
	e, err := s.StartTOTP(ctx, jane, &Proof{ProvenAt: *now})
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(e.Secret, *now)
	if _, err := s.ConfirmTOTP(ctx, jane, code, "", &Proof{ProvenAt: *now}); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(ProofWindow)
	if _, err := s.RenewRecoveryCodes(ctx, jane, &Proof{ProvenAt: signedIn}); err != errProofNeeded {
		t.Fatalf("new codes outside the window, with an app: %v", err)
	}
	code, _ = totp.GenerateCode(e.Secret, *now)
	if _, err := s.RenewRecoveryCodes(ctx, jane, &Proof{ProvenAt: signedIn, Given: code}); err != nil {
		t.Fatalf("new codes with a code of the app: %v", err)
	}

	// Without single sign-on, nothing is left but signing in again.
	s.cfg.SSO = nil
	if _, _, err := s.BeginPasskey(ctx, bob, "laptop", &Proof{ProvenAt: signedIn}); err != errProofBySignIn {
		t.Fatalf("a passkey outside the window, without single sign-on: %v", err)
	}
}

// TestSSOSignInProvesWhenFresh: a single sign-on proves its session only
// from when the provider says it had the person sign in, within
// ProofWindow: a provider that does not say, or says it was long ago, may
// have let them through on a session it held, which proves nothing.
func TestSSOSignInProvesWhenFresh(t *testing.T) {
	idp := &fakeProvider{}
	s, st, _, now := proofService(t, idp)
	ctx := context.Background()
	if _, err := st.CreateIdentityAccount(ctx, []string{"jane"}, store.Identity{Issuer: "https://idp.example", Subject: "sub-jane"}); err != nil {
		t.Fatal(err)
	}
	at := now.Truncate(time.Second)
	for _, tc := range []struct {
		authTime time.Time
		want     time.Time
	}{
		{time.Time{}, time.Time{}},
		{at.Add(-ProofWindow), time.Time{}},
		{at.Add(-2 * time.Hour), time.Time{}},
		{at.Add(time.Hour), time.Time{}},
		{at.Add(-ProofWindow + time.Second), at.Add(-ProofWindow + time.Second)},
		{at, at},
		{at.Add(30 * time.Second), *now},
	} {
		tu, err := s.TakeTurn(ctx, SignInAction, Client{IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		_, pending, err := s.StartSSO(ctx, tu)
		if err != nil {
			t.Fatal(err)
		}
		idp.id = Identity{Issuer: "https://idp.example", Subject: "sub-jane", AuthTime: tc.authTime}
		a, provenAt, err := s.FinishSSO(ctx, tu, pending, SSOReturn{State: pending.State, Code: "code"})
		if err != nil || a.Username != "jane" || !provenAt.Equal(tc.want) {
			t.Errorf("signed in at the provider at %v: %q proven at %v, %v; want %v", tc.authTime, a.Username, provenAt, err, tc.want)
		}
	}
}

// TestConfirmTOTPTakesOneTurn: confirming the app with a proof takes one
// turn of the account's sign-in limit, for the proof and the code
// together, as a proven session's code takes one alone.
func TestConfirmTOTPTakesOneTurn(t *testing.T) {
	s, _, ada, now := proofService(t, nil)
	ctx := context.Background()
	e, err := s.StartTOTP(ctx, ada, &Proof{ProvenAt: *now})
	if err != nil {
		t.Fatal(err)
	}
	*now = now.Add(ProofWindow)
	code, _ := totp.GenerateCode(e.Secret, *now)
	p := &Proof{Given: proofPassword}
	if _, err := s.ConfirmTOTP(ctx, ada, code, "", p); err != nil || !p.ProvenAt.Equal(*now) {
		t.Fatalf("confirm with the password: %v, proven at %v", err, p.ProvenAt)
	}
	// The limit's second try of the minute is left.
	if _, err := s.RenewRecoveryCodes(ctx, ada, &Proof{Given: "not it"}); err != errNotYourProof {
		t.Fatalf("a proof after confirming with one: %v", err)
	}
	if _, err := s.RenewRecoveryCodes(ctx, ada, &Proof{Given: "not it"}); !isLimited(err) {
		t.Fatalf("a third try within the minute: %v", err)
	}
}
