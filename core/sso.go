package core

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"oncelink/store"
)

// IdentityProvider is an OpenID provider that vouches for who someone is:
// single sign-on. The core decides what its word allows; the provider's
// adapter speaks its protocol (see package sso).
type IdentityProvider interface {
	// Begin returns the address at the provider to send a browser to, so
	// that it comes back with state and a code, and the PKCE verifier
	// that must go with that code; nonce is to come back in the ID token.
	// With fresh, the provider is asked to sign the person in again,
	// whatever session it holds for them (see StartSSOProof).
	Begin(ctx context.Context, state, nonce string, fresh bool) (url, verifier string, err error)
	// Identify exchanges code, with its verifier, for an ID token and
	// returns what the token says once its signature, issuer, audience
	// and expiry are checked. A refusal is ErrSSORefused, a provider that
	// cannot be reached ErrSSOUnavailable.
	Identify(ctx context.Context, code, verifier string) (Identity, error)
	// FormOrigins are the origins, such as https://idp.example, that Begin
	// may send a browser to: the sign-in page lets its form lead there.
	FormOrigins() []string
}

// Identity is what a verified ID token says about someone.
type Identity struct {
	Issuer, Subject   string
	Nonce             string
	Email             string
	EmailVerified     bool
	PreferredUsername string
	Name              string
	// AuthTime is when the provider last had the person sign in, when it
	// says (auth_time); zero when it does not.
	AuthTime time.Time
}

// Linked is an identity linked to an account, as the accounts page lists
// it.
type Linked = store.Identity

// SSOPending is a single sign-on under way in one browser: what the
// browser must come back with, kept in its session until it does.
type SSOPending struct {
	State, Nonce, Verifier string
	Started                time.Time
}

// SSOReturn is what the provider sent the browser back with.
type SSOReturn struct {
	State string
	Code  string
	// Error is the provider's error code when it did not sign the person
	// in, such as access_denied.
	Error string
}

// SSOPendingTTL is how long a browser has to come back from the provider.
const SSOPendingTTL = 10 * time.Minute

// SSO reports whether single sign-on is configured.
func (s *Service) SSO() bool { return s.cfg.SSO != nil }

// SSOFormOrigins are the origins that starting a single sign-on may send
// a browser to, for the sign-in page's Content-Security-Policy.
func (s *Service) SSOFormOrigins() []string {
	if s.cfg.SSO == nil {
		return nil
	}
	return s.cfg.SSO.FormOrigins()
}

// PasswordSignIn reports whether accounts may sign in with a password.
func (s *Service) PasswordSignIn() bool { return !s.cfg.NoPasswordSignIn }

// StartSSO begins a single sign-on, on the client's turn t at
// SignInAction: the address to send the browser to, and what to keep in
// its session until it comes back. The turn bounds how many sign-ons a
// client leaves pending, each in a session of its own.
func (s *Service) StartSSO(ctx context.Context, t Turn) (url string, p SSOPending, err error) {
	if err := t.check(SignInAction); err != nil {
		return "", SSOPending{}, err
	}
	if s.cfg.SSO == nil {
		return "", SSOPending{}, ErrNotFound
	}
	return s.beginSSO(ctx, false)
}

// beginSSO asks the provider where to send a browser for a new sign-on,
// a fresh sign-in there with fresh (see IdentityProvider.Begin).
func (s *Service) beginSSO(ctx context.Context, fresh bool) (url string, p SSOPending, err error) {
	p = SSOPending{State: rand.Text(), Nonce: rand.Text(), Started: s.Now()}
	url, p.Verifier, err = s.cfg.SSO.Begin(ctx, p.State, p.Nonce, fresh)
	return url, p, err
}

// FinishSSO signs in the browser that came back from the provider with
// ret, the sign-on p pending in its session, on the client's turn t at
// SignInAction. The state must be p's, and p is used once: the caller
// drops it from the session whatever the outcome. The account is found by
// the provider's issuer and subject alone, or made for them unless
// Config.SSONoSignup; when Config.SSOAllowedDomains is set, the provider
// must have verified an email address in one of them, at every sign-in.
// provenAt is when the sign-in proves its session from (see
// Proof.ProvenAt), for the adapter to keep: see ssoProvenAt.
func (s *Service) FinishSSO(ctx context.Context, t Turn, p SSOPending, ret SSOReturn) (a Account, provenAt time.Time, err error) {
	id, err := s.ssoIdentity(ctx, t, p, ret)
	if err != nil {
		return Account{}, time.Time{}, err
	}
	if err := s.ssoDomainAllowed(id); err != nil {
		return Account{}, time.Time{}, err
	}
	a, err = s.store.AccountByIdentity(ctx, id.Issuer, id.Subject, id.Email)
	if errors.Is(err, store.ErrNotFound) {
		a, err = s.ssoSignUp(ctx, id)
	}
	if err != nil {
		return Account{}, time.Time{}, err
	}
	if a.Disabled() {
		return Account{}, time.Time{}, ErrAccountDisabled
	}
	return a, s.ssoProvenAt(id), nil
}

// ssoProvenAt is when a single sign-on as id proves its session from:
// when the provider says it had the person sign in (auth_time), if that
// is within ProofWindow of now. A provider that does not say, or says it
// was longer ago, may have let them through on a session it held, in a
// browser left signed in there: that proves nothing (zero). A time ahead
// of this server's clock by no more than ssoClockSkew counts as now.
func (s *Service) ssoProvenAt(id Identity) time.Time {
	now := s.Now()
	switch {
	case id.AuthTime.IsZero() || id.AuthTime.After(now.Add(ssoClockSkew)) || !now.Before(id.AuthTime.Add(ProofWindow)):
		return time.Time{}
	case id.AuthTime.After(now):
		return now
	}
	return id.AuthTime
}

// ssoIdentity is who the provider says the browser that came back with
// ret is, for the sign-on p pending in its session, on the client's turn
// t at SignInAction: the state must be p's, in time, and the ID token
// must carry p's nonce.
func (s *Service) ssoIdentity(ctx context.Context, t Turn, p SSOPending, ret SSOReturn) (Identity, error) {
	if err := t.check(SignInAction); err != nil {
		return Identity{}, err
	}
	if s.cfg.SSO == nil {
		return Identity{}, ErrNotFound
	}
	if p.State == "" || subtle.ConstantTimeCompare([]byte(p.State), []byte(ret.State)) != 1 ||
		s.Now().Sub(p.Started) > SSOPendingTTL {
		return Identity{}, ErrSSOState
	}
	if ret.Error != "" {
		return Identity{}, ssoDenied(ret.Error)
	}
	if ret.Code == "" {
		return Identity{}, ErrSSORefused
	}
	id, err := s.cfg.SSO.Identify(ctx, ret.Code, p.Verifier)
	if err != nil {
		return Identity{}, err
	}
	if id.Issuer == "" || id.Subject == "" || subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(p.Nonce)) != 1 {
		return Identity{}, ErrSSORefused
	}
	return id, nil
}

// Refusals of a single sign-on that proves a session (see
// FinishSSOProof).
var (
	errSSONotLinked = Refusal(Invalid, "sso_not_linked", "", "confirm_first")
	errSSONotYou    = Refusal(Forbidden, "sso_not_you", "", "confirm_first")
	errSSONotFresh  = Refusal(Forbidden, "sso_not_fresh", "", "confirm_first")
)

// ssoClockSkew is how far the provider's clock may be behind this
// server's when it says when it signed someone in (see FinishSSOProof).
const ssoClockSkew = time.Minute

// StartSSOProof begins signing a, signed in, in again with single sign-on,
// on the client's turn t at SignInAction, to prove that a is at the
// keyboard (see Proof): the provider is asked to sign them in afresh,
// whatever session it holds for them. a must be linked to an identity
// there. It returns what StartSSO does.
func (s *Service) StartSSOProof(ctx context.Context, t Turn, a Account) (url string, p SSOPending, err error) {
	if err := t.check(SignInAction); err != nil {
		return "", SSOPending{}, err
	}
	if s.cfg.SSO == nil {
		return "", SSOPending{}, ErrNotFound
	}
	ids, err := s.store.AccountIdentities(ctx, a.ID)
	if err != nil {
		return "", SSOPending{}, err
	}
	if len(ids) == 0 {
		return "", SSOPending{}, errSSONotLinked
	}
	return s.beginSSO(ctx, true)
}

// FinishSSOProof checks the return from the provider of a's sign-on begun
// by StartSSOProof, as FinishSSO does a sign-in's, on the client's turn t
// at SignInAction and a turn of a's sign-in limit: the provider must have
// signed in a's own identity, under the rules of a sign-in, and say that
// it did so afresh, since the sign-on began (auth_time, which OpenID
// Connect requires of it when asked with max_age): a provider that does
// not say may have let them through on a session it held. Then proof's
// session is proven from now.
func (s *Service) FinishSSOProof(ctx context.Context, t Turn, a Account, p SSOPending, ret SSOReturn, proof *Proof) error {
	if err := s.takeAccountTurn(ctx, a); err != nil {
		return err
	}
	id, err := s.ssoIdentity(ctx, t, p, ret)
	if err != nil {
		return err
	}
	if err := s.ssoDomainAllowed(id); err != nil {
		return err
	}
	linked, err := s.store.AccountByIdentity(ctx, id.Issuer, id.Subject, id.Email)
	if errors.Is(err, store.ErrNotFound) || (err == nil && linked.ID != a.ID) {
		return errSSONotYou
	}
	if err != nil {
		return err
	}
	if linked.Disabled() {
		return ErrAccountDisabled
	}
	if id.AuthTime.IsZero() || id.AuthTime.Before(p.Started.Add(-ssoClockSkew)) {
		return errSSONotFresh
	}
	proof.ProvenAt = s.Now()
	return nil
}

// ssoDomainAllowed checks id's email against Config.SSOAllowedDomains,
// when set: the provider must have verified it, and its domain must be
// one of them exactly (a subdomain is another domain).
func (s *Service) ssoDomainAllowed(id Identity) error {
	if len(s.cfg.SSOAllowedDomains) == 0 {
		return nil
	}
	at := strings.LastIndexByte(id.Email, '@')
	if at < 0 {
		return ErrSSODomain
	}
	if !id.EmailVerified {
		return ErrSSOEmailUnverified
	}
	domain := strings.TrimSuffix(strings.ToLower(id.Email[at+1:]), ".")
	for _, d := range s.cfg.SSOAllowedDomains {
		if strings.EqualFold(d, domain) {
			return nil
		}
	}
	return ErrSSODomain
}

// ssoSignUp makes a member account for id, named after what the provider
// calls them. A first sign-in of the same person in another browser at the
// same moment links one account, which both then get.
func (s *Service) ssoSignUp(ctx context.Context, id Identity) (Account, error) {
	if s.cfg.SSONoSignup {
		return Account{}, ErrSSONoSignup
	}
	// The first account is the administrator, made by set-up; an account
	// made here would close set-up and leave no administrator.
	if open, err := s.SetupOpen(ctx); err != nil || open {
		if err == nil {
			err = ErrSSOSetupFirst
		}
		return Account{}, err
	}
	a, err := s.store.CreateIdentityAccount(ctx, usernameCandidates(id), store.Identity{
		Issuer: id.Issuer, Subject: id.Subject, Email: id.Email})
	if errors.Is(err, store.ErrConflict) {
		return s.store.AccountByIdentity(ctx, id.Issuer, id.Subject, id.Email)
	}
	return a, err
}

// usernameCandidates are names for a new account of id, best first: from
// the provider's preferred username, else the email address's local part,
// else the person's name, made to pass the username rules (see
// checkUsername); then the same with 2 to 20 after it, and last with a
// random tail, so that one of them is free.
func usernameCandidates(id Identity) []string {
	base := "user"
	local := id.Email
	if at := strings.LastIndexByte(local, '@'); at >= 0 {
		local = local[:at]
	}
	for _, from := range []string{id.PreferredUsername, local, id.Name} {
		if name := usernameFrom(from); name != "" {
			base = name
			break
		}
	}
	names := []string{base}
	for i := 2; i <= 20; i++ {
		names = append(names, base+strconv.Itoa(i))
	}
	return append(names, base+"-"+strings.ToLower(rand.Text()[:8]))
}

// usernameRoom is what usernameFrom leaves free of MaxUsernameLen for a
// candidate's tail.
const usernameRoom = 9

// usernameFrom makes s a username that checkUsername accepts with room for
// a tail, or returns "": s as it is when it passes, else its letters,
// digits, dots, dashes and underscores, with spaces as dots.
func usernameFrom(s string) string {
	s = strings.TrimSpace(s)
	if shown, err := checkUsername(s); err == nil && utf8.RuneCountInString(shown) <= MaxUsernameLen-usernameRoom {
		return shown
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == MaxUsernameLen-usernameRoom {
			break
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".-_", r):
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte('.')
		default:
			continue
		}
		n++
	}
	name, err := checkUsername(strings.Trim(b.String(), ".-_"))
	if err != nil {
		return ""
	}
	return name
}

// Identities lists the identities linked to each account, by account id,
// for an administrator.
func (s *Service) Identities(ctx context.Context) (map[int64][]Linked, error) {
	return s.store.Identities(ctx)
}

// AccountIdentities lists the identities linked to one account.
func (s *Service) AccountIdentities(ctx context.Context, account int64) ([]Linked, error) {
	return s.store.AccountIdentities(ctx, account)
}
