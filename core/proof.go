package core

import (
	"context"
	"strings"
	"time"
)

// ProofWindow is how long a session counts as recently proven: after it
// signed in with a password (and its second step, when the account has
// one) or a passkey, or with single sign-on when the provider says it had
// the person sign in within the window (see FinishSSO), or after a proof
// it gave was accepted. Within it, a change of the account's second
// factors asks for no other proof.
const ProofWindow = 10 * time.Minute

// Proof is what a change of an account's second factors comes with, to
// show that the account's owner asks for it and not someone who holds
// their session alone: a stolen cookie, a browser left signed in. The
// adapter fills it from its server-side session and its form.
type Proof struct {
	// Given is what the form held for it: a current code of the account's
	// authenticator app, or its password; "" when it had no field for it.
	Given string
	// ProvenAt is when the session last proved who it is; zero for
	// never. A change that accepts Given, or a single sign-on again (see
	// FinishSSOProof), sets it to now, for the adapter to keep.
	ProvenAt time.Time
	// Enrolling is a session that gave the account's password but must
	// set up a second factor before it is signed in (see EnrolTime): what
	// it does there, setting one up, takes no other proof.
	Enrolling bool
	// Client is who gives it: the account's owner is told of a run of
	// wrong codes that holds further ones back (see CodesBeforeWait).
	Client Client
}

// ProofWays are the proofs an account can give outside ProofWindow.
type ProofWays struct {
	Password bool // its password
	Code     bool // a current code of its authenticator app
	// SSO is signing in again with single sign-on, for an account linked
	// to an identity at the provider (see StartSSOProof); the pages offer
	// it to an account with neither of the others.
	SSO bool
}

// Errors of proofs.
var (
	errNotYourProof = Refusal(Forbidden, "wrong_proof", "proof", "wrong_proof")
	// The session is not recently proven and gave no proof: each says
	// what the account can give.
	errProofNeeded   = Variant(Forbidden, "proof_needed", "given", "proof", "confirm_first", "Minutes", proofMinutes)
	errProofBySSO    = Variant(Forbidden, "proof_needed", "sso", "proof", "confirm_first", "Minutes", proofMinutes)
	errProofBySignIn = Variant(Forbidden, "proof_needed", "sign_in", "proof", "confirm_first", "Minutes", proofMinutes)
)

// proofMinutes is ProofWindow as the messages say it.
const proofMinutes = int(ProofWindow / time.Minute)

// ProofWaysOf tells what proof a can give, with f its second factors.
func (s *Service) ProofWaysOf(ctx context.Context, a Account, f SecondFactors) (ProofWays, error) {
	w := ProofWays{Password: a.HasPassword(), Code: f.TOTP}
	if s.cfg.SSO == nil {
		return w, nil
	}
	ids, err := s.store.AccountIdentities(ctx, a.ID)
	w.SSO = len(ids) > 0
	return w, err
}

// proofWays is ProofWaysOf a, with a's second factors, which it reads.
func (s *Service) proofWays(ctx context.Context, a Account) (ProofWays, SecondFactors, error) {
	f, err := s.store.SecondFactorsOf(ctx, a.ID)
	if err != nil {
		return ProofWays{}, f, err
	}
	w, err := s.ProofWaysOf(ctx, a, f)
	return w, f, err
}

// wanted is the refusal of a change that needs a proof and was given none
// that could be right: it says what the account can give instead.
func (w ProofWays) wanted() *Error {
	switch {
	case w.Password || w.Code:
		return errProofNeeded
	case w.SSO:
		return errProofBySSO
	}
	return errProofBySignIn
}

// Proven reports whether a session with p changes its account's second
// factors now without giving a proof: within ProofWindow of p.ProvenAt,
// or, for setting one up (setUp), while it enrols.
func (s *Service) Proven(p Proof, setUp bool) bool {
	if setUp && p.Enrolling {
		return true
	}
	return !p.ProvenAt.IsZero() && s.Now().Before(p.ProvenAt.Add(ProofWindow))
}

// checkProof lets a change of a's second factors go on with p: at once
// when the session is proven (see Proven); else when p.Given is a's
// password or a current code of a's authenticator app, checked on one
// turn of a's sign-in limit, and then the session is proven from now.
// setUp is a change that sets a second factor up.
//
// A code is checked on a try of a's wrong codes in a row, as at the
// second step of a sign-in (see codeTry): a session held without the
// password guesses no faster here than there. The password is checked
// first, and takes no such try: it may be six digits, and it works
// whatever the wrong codes in a row, which it neither counts nor forgets.
// A proof that is not the password, shaped like a code while codes are
// held back, is refused with the wait.
func (s *Service) checkProof(ctx context.Context, a Account, p *Proof, setUp bool) error {
	if s.Proven(*p, setUp) {
		return nil
	}
	w, f, err := s.proofWays(ctx, a)
	if err != nil {
		return err
	}
	given := strings.TrimSpace(p.Given)
	if given == "" || !(w.Password || w.Code) {
		return w.wanted()
	}
	if err := s.takeAccountTurn(ctx, a); err != nil {
		return err
	}
	if passwordMatches(a.PasswordHash, given) {
		p.ProvenAt = s.Now()
		return nil
	}
	code, ok := totpCode(given)
	if !ok || !f.TOTP {
		return errNotYourProof
	}
	err = s.codeTry(ctx, p.Client, a, code, func() error { return s.checkAppCode(ctx, a, code) })
	switch {
	case err == nil:
		p.ProvenAt = s.Now()
	case err == errWrongCode:
		return errNotYourProof
	}
	return err
}
