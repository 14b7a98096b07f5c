package core

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"oncelink/store"
)

// Passkey is one of an account's WebAuthn credentials, as it lists them.
type Passkey = store.Passkey

// Passkey limits.
const (
	MaxPasskeys       = 20  // per account
	MaxPasskeyNameLen = 100 // characters
	// PasskeyTime is how long a browser has to answer a passkey ceremony.
	PasskeyTime = 5 * time.Minute
	// MaxCeremonyBytes bounds the answer to a ceremony that the adapters
	// read: an attestation with its certificates fits many times over.
	MaxCeremonyBytes = 64 << 10
)

// Errors of passkeys.
var (
	ErrNoPasskeys           = Refusal(NotFound, "passkeys_unavailable", "", "passkeys_unavailable")
	errPasskeyRefused       = Refusal(Unauthorized, "passkey_refused", "", "passkey_refused")
	errPasskeyStale         = Refusal(Invalid, "passkey_expired", "", "try_again")
	errPasskeyNotRegistered = Refusal(Invalid, "passkey_not_registered", "", "passkey_not_added")
	errPasskeyKnown         = Refusal(Conflict, "passkey_known", "", "already_added")
)

// webauthnOf returns the WebAuthn relying party for baseURL, or nil when
// its host is an address: a browser takes passkeys only for a name. The
// relying party's ID is the host name, its one origin the base URL's.
func webauthnOf(baseURL string) *webauthn.WebAuthn {
	u, err := url.Parse(baseURL)
	if err != nil || u.Hostname() == "" || net.ParseIP(u.Hostname()) != nil {
		return nil
	}
	w, err := webauthn.New(&webauthn.Config{
		RPID:          strings.ToLower(u.Hostname()),
		RPDisplayName: "oncelink",
		RPOrigins:     []string{strings.ToLower(u.Scheme + "://" + u.Host)},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: PasskeyTime, TimeoutUVD: PasskeyTime},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: PasskeyTime, TimeoutUVD: PasskeyTime},
		},
	})
	if err != nil {
		return nil
	}
	return w
}

// PasskeysAvailable reports whether passkeys work on this server: see
// webauthnOf.
func (s *Service) PasskeysAvailable() bool { return s.webauthn != nil }

// PasskeySignIn reports whether a passkey alone signs in. Not where
// password sign-in is off: the identity provider is then the one way in,
// and whoever it no longer lets in (gone from it, or from the allowed
// domains) must not keep a way in of oncelink's own.
func (s *Service) PasskeySignIn() bool { return s.webauthn != nil && !s.cfg.NoPasswordSignIn }

// passkeyUser is an account as WebAuthn sees it.
type passkeyUser struct {
	a      Account
	handle []byte
	keys   []Passkey
	creds  []webauthn.Credential
}

func (u *passkeyUser) WebAuthnID() []byte                         { return u.handle }
func (u *passkeyUser) WebAuthnName() string                       { return u.a.Username }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.a.Username }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// passkeyUserOf loads a's passkeys. Its handle is theirs, or a new random
// one when it has none. For signing in, its credentials leave out the
// passkeys found cloned, which sign nobody in: a browser is not asked for
// them.
func (s *Service) passkeyUserOf(ctx context.Context, a Account, signIn bool) (*passkeyUser, error) {
	keys, err := s.store.Passkeys(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	u := &passkeyUser{a: a, keys: keys}
	for _, k := range keys {
		u.handle = k.UserHandle
		if signIn && !k.ClonedAt.IsZero() {
			continue
		}
		var c webauthn.Credential
		if err := json.Unmarshal(k.Credential, &c); err != nil {
			return nil, err
		}
		u.creds = append(u.creds, c)
	}
	if u.handle == nil {
		u.handle = make([]byte, 32)
		rand.Read(u.handle)
	}
	return u, nil
}

// ceremony is what a passkey ceremony carries from its start to its end,
// kept by the adapter where the browser cannot change it (the session).
type ceremony struct {
	Purpose string               `json:"purpose"`
	Account int64                `json:"account,omitempty"`
	Name    string               `json:"name,omitempty"`
	Handle  []byte               `json:"handle,omitempty"`
	Data    webauthn.SessionData `json:"data"`
}

// passkeyAnswerClaim is the kind of the claims (see store.ClaimFormKey)
// by which each answer to a sign-in's passkey ceremony is taken once: its
// key is the ceremony's challenge.
const passkeyAnswerClaim = "passkey_answer"

// The purposes of a ceremony.
const (
	purposeRegister   = "register"
	purposeSignIn     = "sign-in"
	purposeSecondStep = "second-step"
)

func (c ceremony) encode() (string, error) {
	b, err := json.Marshal(c)
	return string(b), err
}

func decodeCeremony(state, purpose string) (ceremony, error) {
	var c ceremony
	if state == "" || json.Unmarshal([]byte(state), &c) != nil || c.Purpose != purpose {
		return ceremony{}, errPasskeyStale
	}
	return c, nil
}

// checkPasskeyName tells what is wrong with a new passkey's name.
func checkPasskeyName(name string) error {
	if err := checkBytes("name", name); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(name) == "":
		return invalid("passkey_name_missing", "name")
	case utf8.RuneCountInString(name) > MaxPasskeyNameLen:
		return invalid("passkey_name_too_long", "name", "Count", MaxPasskeyNameLen)
	}
	return nil
}

// BeginPasskey starts adding a passkey named name to a, given proof (see
// checkProof), as turning the app off takes: a passkey signs in without
// the password, so a session alone, perhaps stolen, does not add one. It
// returns the options for the browser's navigator.credentials.create, as
// JSON, and the state to keep for FinishPasskey. Where password sign-in
// is off, no passkey signs in (see PasskeySignIn), and none is added.
func (s *Service) BeginPasskey(ctx context.Context, a Account, name string, proof *Proof) (options []byte, state string, err error) {
	if s.webauthn == nil {
		return nil, "", ErrNoPasskeys
	}
	if s.cfg.NoPasswordSignIn {
		return nil, "", ErrPasswordSignInOff
	}
	name = strings.TrimSpace(name)
	if err := checkPasskeyName(name); err != nil {
		return nil, "", err
	}
	if err := s.checkProof(ctx, a, proof, true); err != nil {
		return nil, "", err
	}
	u, err := s.passkeyUserOf(ctx, a, false)
	if err != nil {
		return nil, "", err
	}
	if len(u.keys) >= MaxPasskeys {
		return nil, "", Refusal(Conflict, "passkey_limit", "", "too_many_passkeys")
	}
	creation, data, err := s.webauthn.BeginRegistration(u,
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred),
		webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationPreferred,
		}))
	if err != nil {
		return nil, "", err
	}
	return s.ceremonyOut(creation, ceremony{Purpose: purposeRegister, Account: a.ID, Name: name, Handle: u.handle, Data: *data})
}

func (s *Service) ceremonyOut(options any, c ceremony) ([]byte, string, error) {
	out, err := json.Marshal(options)
	if err != nil {
		return nil, "", err
	}
	state, err := c.encode()
	return out, state, err
}

// FinishPasskey checks the browser's answer to BeginPasskey's options and
// keeps the new passkey. An account without recovery codes, as one whose
// first second factor this is, gets them now, as with an authenticator
// app: they are returned for its owner to see once, else nil.
func (s *Service) FinishPasskey(ctx context.Context, a Account, state string, answer []byte) (Passkey, []string, error) {
	if s.webauthn == nil {
		return Passkey{}, nil, ErrNoPasskeys
	}
	if s.cfg.NoPasswordSignIn {
		// A ceremony begun before password sign-in was turned off.
		return Passkey{}, nil, ErrPasswordSignInOff
	}
	c, err := decodeCeremony(state, purposeRegister)
	if err != nil || c.Account != a.ID {
		return Passkey{}, nil, errPasskeyStale
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
	if err != nil {
		return Passkey{}, nil, errPasskeyNotRegistered
	}
	u, err := s.passkeyUserOf(ctx, a, false)
	if err != nil {
		return Passkey{}, nil, err
	}
	u.handle = c.Handle
	cred, err := s.webauthn.CreateCredential(u, c.Data, parsed)
	if err != nil {
		s.log.Info("passkey not registered", "account", a.ID, "err", err)
		return Passkey{}, nil, errPasskeyNotRegistered
	}
	record, err := json.Marshal(cred)
	if err != nil {
		return Passkey{}, nil, err
	}
	p, err := s.store.AddPasskey(ctx, store.Passkey{AccountID: a.ID, CredentialID: cred.ID, UserHandle: c.Handle,
		Name: c.Name, Credential: record}, MaxPasskeys)
	switch {
	case errors.Is(err, store.ErrConflict):
		return Passkey{}, nil, errPasskeyKnown
	case errors.Is(err, store.ErrLimit):
		return Passkey{}, nil, Refusal(Conflict, "passkey_limit", "", "too_many_passkeys")
	case err != nil:
		return Passkey{}, nil, fromStore(err)
	}
	codes, err := s.firstRecoveryCodes(ctx, a.ID)
	if err != nil {
		// The passkey is kept: its owner can make codes on Settings,
		// which says there are none yet.
		s.log.Warn("no recovery codes for a new passkey", "account", a.ID, "err", err)
		return p, nil, nil
	}
	return p, codes, nil
}

// Passkeys lists account's passkeys, oldest first.
func (s *Service) Passkeys(ctx context.Context, account int64) ([]Passkey, error) {
	return s.store.Passkeys(ctx, account)
}

// DeletePasskey removes one of a's passkeys, given proof (see
// checkProof); while two-factor is required, the last second factor
// stays.
func (s *Service) DeletePasskey(ctx context.Context, a Account, id int64, proof *Proof) (Passkey, error) {
	keys, err := s.store.Passkeys(ctx, a.ID)
	if err != nil {
		return Passkey{}, err
	}
	if !slices.ContainsFunc(keys, func(k Passkey) bool { return k.ID == id }) {
		return Passkey{}, ErrNotFound
	}
	if err := s.checkProof(ctx, a, proof, false); err != nil {
		return Passkey{}, err
	}
	required, err := s.TwoFactorRequired(ctx)
	if err != nil {
		return Passkey{}, err
	}
	p, err := s.store.DeletePasskey(ctx, a.ID, id, required)
	return p, lastFactor(err)
}

// BeginPasskeySignIn starts a sign-in with a passkey: a's second step
// when a is given, else a sign-in without a username or password, with
// any passkey of this server's that the browser's authenticator holds
// (a discoverable one), which must verify its user (a PIN, a fingerprint).
// The latter is refused where password sign-in is off (see PasskeySignIn).
func (s *Service) BeginPasskeySignIn(ctx context.Context, a *Account) (options []byte, state string, err error) {
	if s.webauthn == nil {
		return nil, "", ErrNoPasskeys
	}
	if a == nil {
		if s.cfg.NoPasswordSignIn {
			return nil, "", ErrPasswordSignInOff
		}
		assertion, data, err := s.webauthn.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
		if err != nil {
			return nil, "", err
		}
		return s.ceremonyOut(assertion, ceremony{Purpose: purposeSignIn, Data: *data})
	}
	u, err := s.passkeyUserOf(ctx, *a, true)
	if err != nil {
		return nil, "", err
	}
	if len(u.creds) == 0 {
		return nil, "", Refusal(NotFound, "no_passkeys", "", "no_passkeys")
	}
	assertion, data, err := s.webauthn.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, "", err
	}
	return s.ceremonyOut(assertion, ceremony{Purpose: purposeSecondStep, Account: a.ID, Data: *data})
}

// FinishPasskeySignIn checks the browser's answer to BeginPasskeySignIn's
// options, on the client's turn t at SignInAction, and returns the
// account it signs in: a itself for a second step, or the passkey's
// enabled account. Every try counts against the sign-in limits.
func (s *Service) FinishPasskeySignIn(ctx context.Context, t Turn, a *Account, state string, answer []byte) (Account, error) {
	if err := t.check(SignInAction); err != nil {
		return Account{}, err
	}
	if s.webauthn == nil {
		return Account{}, ErrNoPasskeys
	}
	purpose := purposeSignIn
	if a != nil {
		purpose = purposeSecondStep
	} else if s.cfg.NoPasswordSignIn {
		// A ceremony begun before password sign-in was turned off.
		return Account{}, ErrPasswordSignInOff
	}
	c, err := decodeCeremony(state, purpose)
	if err != nil || (a != nil && c.Account != a.ID) {
		return Account{}, errPasskeyStale
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return Account{}, errPasskeyRefused
	}
	// Whose passkey it claims to be decides whose limit it takes.
	var u *passkeyUser
	if a != nil {
		if u, err = s.passkeyUserOf(ctx, *a, true); err != nil {
			return Account{}, err
		}
	} else {
		key, err := s.store.PasskeyByCredential(ctx, parsed.RawID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !bytes.Equal(key.UserHandle, parsed.Response.UserHandle)) {
			return Account{}, errPasskeyRefused
		}
		if err != nil {
			return Account{}, err
		}
		owner, err := s.store.AccountByID(ctx, key.AccountID)
		if err != nil {
			return Account{}, fromStore(err)
		}
		if u, err = s.passkeyUserOf(ctx, owner, true); err != nil {
			return Account{}, err
		}
	}
	if err := s.takeAccountTurn(ctx, u.a); err != nil {
		return Account{}, err
	}
	key, known := u.key(parsed.RawID)
	if known && !key.ClonedAt.IsZero() {
		s.log.Info("passkey refused: it was found cloned", "account", u.a.ID, "passkey", key.ID)
		return Account{}, errPasskeyRefused
	}
	var cred *webauthn.Credential
	if a != nil {
		cred, err = s.webauthn.ValidateLogin(u, c.Data, parsed)
	} else {
		cred, err = s.webauthn.ValidateDiscoverableLogin(func(_, _ []byte) (webauthn.User, error) { return u, nil }, c.Data, parsed)
	}
	if err != nil || !known {
		s.log.Info("passkey refused", "account", u.a.ID, "err", err)
		return Account{}, errPasskeyRefused
	}
	if cred.Authenticator.CloneWarning {
		return Account{}, s.passkeyCloned(ctx, t.client, u.a, key, c)
	}
	if u.a.Disabled() {
		return Account{}, errPasskeyRefused
	}
	// The answer signs in once. The ceremony's state leaves the session
	// at its answer, but two requests of one browser at the same moment
	// both read it before either saves the session; and an authenticator
	// whose counter stays 0, as synced passkeys' does, tells nothing of an
	// answer sent twice. So the challenge is claimed in the database, as a
	// form's key is (see FormOnce): once, on any instance.
	claimed, err := s.store.ClaimFormKey(ctx, u.a.ID, passkeyAnswerClaim, c.Data.Challenge)
	if err != nil {
		return Account{}, err
	}
	if !claimed {
		return Account{}, errPasskeyStale
	}
	record, err := json.Marshal(cred)
	if err != nil {
		return Account{}, err
	}
	// One found cloned meanwhile, by another answer, signs in no more.
	err = s.store.UsedPasskey(ctx, key.ID, record)
	if errors.Is(err, store.ErrGone) {
		return Account{}, errPasskeyRefused
	}
	if err != nil {
		return Account{}, err
	}
	return u.a, nil
}

// key is u's passkey of credential id, and whether u has it.
func (u *passkeyUser) key(id []byte) (Passkey, bool) {
	i := slices.IndexFunc(u.keys, func(k Passkey) bool { return bytes.Equal(k.CredentialID, id) })
	if i < 0 {
		return Passkey{}, false
	}
	return u.keys[i], true
}

// passkeyCloned refuses an answer of a's passkey key, to ceremony c, from
// client, that checked out but for its signature counter, which was no
// higher than the one key gave before: WebAuthn's sign that the passkey
// was copied, and that someone else may sign in with it. From then on,
// the passkey signs nobody in, whatever its counter says; the settings
// page tells its owner to remove it and add a new one, and the server
// logs it. An authenticator whose counter stays 0, as synced passkeys'
// does, gives no such sign. The same answer sent twice is no sign either:
// its first copy raised the counter, and the second finds its challenge
// taken (see FinishPasskeySignIn), and is refused as spent.
func (s *Service) passkeyCloned(ctx context.Context, client Client, a Account, key Passkey, c ceremony) error {
	claimed, err := s.store.ClaimFormKey(ctx, a.ID, passkeyAnswerClaim, c.Data.Challenge)
	if err != nil {
		return err
	}
	if !claimed {
		return errPasskeyStale
	}
	marked, err := s.store.PasskeyCloned(ctx, key.ID)
	if err != nil {
		return err
	}
	if marked {
		s.log.Warn("passkey found cloned: it no longer signs in", "account", a.Username, "passkey", key.Name, "ip", client.IP)
	}
	return errPasskeyRefused
}
