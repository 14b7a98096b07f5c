package core

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"oncelink/store"
)

// SecondFactors tells what an account signs in with beside its password.
type SecondFactors = store.SecondFactors

// Two-factor sign-in's numbers.
const (
	// TOTPPeriod is how long one authenticator-app code lasts.
	TOTPPeriod = 30 * time.Second
	// RecoveryCodes is how many recovery codes an account gets at once.
	RecoveryCodes = 10
	// SecondStepTime is how long a browser that gave the right password
	// has to give its second factor before it starts again.
	SecondStepTime = 5 * time.Minute
	// EnrolTime is how long a browser that must set a second factor up
	// before it may sign in has to do so.
	EnrolTime = 30 * time.Minute
)

// Wrong second-step codes in a row, from any browser on any instance, hold
// an account's further codes back: once there were CodesBeforeWait, each
// try waits CodeFirstWait after the last, twice as long after each further
// wrong one, up to CodeMaxWait. Someone who knows the password then gets
// about 24 guesses a day rather than the sign-in limit's 14,400, each with
// three chances in a million. A right code starts the count again; the
// code just taken, sent again, counts as no wrong one (see codeTry); a
// passkey, which cannot be guessed, is never held back.
const (
	CodesBeforeWait = 5
	CodeFirstWait   = time.Minute
	CodeMaxWait     = time.Hour
)

// codeWait is how long a second-step code waits after the last try, once
// the account had failures wrong ones in a row.
func codeWait(failures int) time.Duration {
	if failures < CodesBeforeWait {
		return 0
	}
	wait := CodeFirstWait
	for n := CodesBeforeWait; n < failures && wait < CodeMaxWait; n++ {
		wait *= 2
	}
	return min(wait, CodeMaxWait)
}

// totpOpts are the codes' parameters: RFC 6238's defaults, which every
// authenticator app takes.
var totpOpts = totp.ValidateOpts{Period: uint(TOTPPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// flagRequireTwoFactor is the name of the switch that makes every account
// set up a second factor before it signs in with a password.
const flagRequireTwoFactor = "require-two-factor"

// Errors of two-factor sign-in.
var (
	errWrongCode      = Variant(Unauthorized, "wrong_code", "sign_in", "code", "wrong_code")
	errWrongEnrolCode = Variant(Unauthorized, "wrong_code", "enrol", "code", "wrong_code")
	errCodeUsed       = Refusal(Unauthorized, "code_used", "code", "code_used")
	errTOTPOn         = Refusal(Conflict, "totp_on", "", "already_on")
	errNoTOTP         = Refusal(NotFound, "totp_off", "", "not_set_up")
	errNoEnrolment    = Refusal(Invalid, "totp_not_started", "code", "start_again")
	// errEnrolmentReplaced: the secret a form showed was replaced by
	// setting the app up again since.
	errEnrolmentReplaced = Refusal(Invalid, "totp_key_replaced", "code", "start_again")
	errNoSecondFactor    = Refusal(Invalid, "no_second_factor", "", "no_second_factor")
	errFactorRequired    = Variant(Conflict, "two_factor_required", "last_factor", "", "two_factor_required")
)

// codesHeldBack refuses a second-step code for wait, after too many wrong
// ones in a row (see CodesBeforeWait).
func codesHeldBack(wait time.Duration) *Error {
	e := Refusal(Limited, "codes_held_back", "", "too_many_attempts", "Wait", Wait(wait))
	e.RetryAfter = wait
	return e
}

// CodesHeldBack reports whether err holds a second-step code back because
// of the account's wrong codes in a row: a passkey is not held back by it,
// as it is by the rate limits.
func CodesHeldBack(err error) bool {
	e, ok := AsError(err)
	return ok && e.Code == "codes_held_back"
}

// TOTPEnrolment is a new authenticator-app secret waiting to be confirmed:
// Secret is its base32 text, URL its otpauth:// address for a QR code,
// Mark a short name of it, not the secret, for the form that confirms it
// to say which secret it showed (see ConfirmTOTP).
type TOTPEnrolment struct {
	Secret string
	URL    string
	Mark   string
}

// totpMark names the secret (base32 text) without giving it away: the
// first 64 bits of its SHA-256, in hex.
func totpMark(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:8])
}

// SecondFactorsOf tells what account signs in with beside its password.
func (s *Service) SecondFactorsOf(ctx context.Context, account int64) (SecondFactors, error) {
	return s.store.SecondFactorsOf(ctx, account)
}

// StartTOTP makes a new authenticator-app secret for a, given proof (see
// checkProof): an app set up by someone who holds a's session alone
// would be theirs. It counts once a code of it is confirmed with
// ConfirmTOTP. It replaces one that was never confirmed; an account whose
// app is set up must turn it off first.
func (s *Service) StartTOTP(ctx context.Context, a Account, proof *Proof) (TOTPEnrolment, error) {
	if err := s.checkProof(ctx, a, proof, true); err != nil {
		return TOTPEnrolment{}, err
	}
	key, err := s.totpKey(a, nil)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if err := s.store.StartTOTP(ctx, a.ID, s.sealTOTP(a.ID, key.Secret())); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return TOTPEnrolment{}, errTOTPOn
		}
		return TOTPEnrolment{}, err
	}
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL(), Mark: totpMark(key.Secret())}, nil
}

// PendingTOTP returns a's secret that waits to be confirmed, to show it
// again after a wrong code, to a session that is proven (see Proven):
// another sees no secret to scan.
func (s *Service) PendingTOTP(ctx context.Context, a Account, proof Proof) (TOTPEnrolment, error) {
	if !s.Proven(proof, true) {
		w, _, err := s.proofWays(ctx, a)
		if err != nil {
			return TOTPEnrolment{}, err
		}
		return TOTPEnrolment{}, w.wanted()
	}
	t, err := s.store.TOTPOf(ctx, a.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Confirmed()) {
		return TOTPEnrolment{}, errNoEnrolment
	}
	if err != nil {
		return TOTPEnrolment{}, err
	}
	secret, err := s.openTOTP(a.ID, t.Secret)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	key, err := s.totpKey(a, raw)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL(), Mark: totpMark(key.Secret())}, nil
}

// totpKey is a's authenticator-app key with the secret given, or a new
// random one of 160 bits when it is nil. Apps list it as oncelink, under
// the account's name at the server's host.
func (s *Service) totpKey(a Account, secret []byte) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{Issuer: "oncelink", AccountName: a.Username + "@" + s.host, Secret: secret,
		Period: totpOpts.Period, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm, SecretSize: 20})
}

// ConfirmTOTP turns a's authenticator app on, given a current code of the
// secret StartTOTP made and proof, as StartTOTP takes, and returns the
// account's new recovery codes, for its owner to see once. The code takes
// a turn of a's sign-in limit, one with the proof's when it came with one.
// shown is the Mark of the secret the form showed: when setting the app
// up was started again since (in another tab, say), the secret waiting is
// another, whose code the app that scanned this one cannot give, and a
// code that is not right is refused as such rather than as wrong. A right
// code for the secret waiting confirms it on any page. An empty shown
// checks nothing.
func (s *Service) ConfirmTOTP(ctx context.Context, a Account, code, shown string, proof *Proof) ([]string, error) {
	// A session not proven is let on only by a proof given, which took
	// its turn.
	proven := s.Proven(*proof, true)
	if err := s.checkProof(ctx, a, proof, true); err != nil {
		return nil, err
	}
	if proven {
		if err := s.takeAccountTurn(ctx, a); err != nil {
			return nil, err
		}
	}
	t, err := s.store.TOTPOf(ctx, a.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errNoEnrolment
	case err != nil:
		return nil, err
	case t.Confirmed():
		return nil, errTOTPOn
	}
	code, ok := totpCode(code)
	if !ok {
		return nil, errWrongEnrolCode
	}
	if err := s.checkTOTP(ctx, a.ID, t, code, false); err != nil {
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, errNoEnrolment
		case err == errWrongCode && s.replacedSince(a.ID, t, shown):
			return nil, errEnrolmentReplaced
		case err == errWrongCode:
			return nil, errWrongEnrolCode
		}
		return nil, err
	}
	return s.newRecoveryCodes(ctx, a.ID)
}

// replacedSince reports whether t, the secret waiting for account, is not
// the one whose Mark a form showed: a code for the secret waiting is
// right whichever page it is typed on, and only a wrong one is said to
// be for a secret replaced since. An empty shown says nothing.
func (s *Service) replacedSince(account int64, t store.TOTP, shown string) bool {
	if shown == "" {
		return false
	}
	secret, err := s.openTOTP(account, t.Secret)
	return err == nil && subtle.ConstantTimeCompare([]byte(shown), []byte(totpMark(secret))) != 1
}

// DisableTOTP turns a's authenticator app off, given proof (see
// checkProof). When it was a's last second factor, its recovery codes go
// too; while two-factor is required, the last second factor stays.
func (s *Service) DisableTOTP(ctx context.Context, a Account, proof *Proof) error {
	f, err := s.store.SecondFactorsOf(ctx, a.ID)
	if err != nil {
		return err
	}
	if !f.TOTP {
		return errNoTOTP
	}
	if err := s.checkProof(ctx, a, proof, false); err != nil {
		return err
	}
	required, err := s.TwoFactorRequired(ctx)
	if err != nil {
		return err
	}
	return lastFactor(s.store.DeleteTOTP(ctx, a.ID, required))
}

// RenewRecoveryCodes replaces a's recovery codes with new ones, given
// proof (see checkProof), and returns them for its owner to see once.
func (s *Service) RenewRecoveryCodes(ctx context.Context, a Account, proof *Proof) ([]string, error) {
	f, err := s.store.SecondFactorsOf(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if !f.Any() {
		return nil, errNoSecondFactor
	}
	if err := s.checkProof(ctx, a, proof, false); err != nil {
		return nil, err
	}
	return s.newRecoveryCodes(ctx, a.ID)
}

// lastFactor is err of a removal of a second factor, with the store's
// refusal to remove the last, while two-factor is required, as the core's.
// The store checks what is left in the same write as the removal, so that
// of two removals at once, only one can take the last but one.
func lastFactor(err error) error {
	if errors.Is(err, store.ErrLastFactor) {
		return errFactorRequired
	}
	return fromStore(err)
}

// SecondStep checks the second factor of a, who gave the right password
// (or is signing in by other means that need one), on the client's turn t
// at SignInAction: a current code of a's authenticator app, which is then
// used up, or one of a's recovery codes, which is then used up, and what
// it was. Each try counts against the same limits as a password, and
// wrong codes in a row hold further ones back (see CodesBeforeWait); the
// owner is told, once for each such run, by email where they can be.
func (s *Service) SecondStep(ctx context.Context, t Turn, a Account, code string) (StepTaken, error) {
	if err := t.check(SignInAction); err != nil {
		return StepTaken{}, err
	}
	if err := s.takeAccountTurn(ctx, a); err != nil {
		return StepTaken{}, err
	}
	code = strings.TrimSpace(code)
	if err := checkBytes("code", code); err != nil {
		return StepTaken{}, err
	}
	var taken StepTaken
	err := s.codeTry(ctx, t.client, a, code, func() (err error) {
		taken, err = s.checkSecondStepCode(ctx, a, code)
		return err
	})
	return taken, err
}

// StepTaken is what the code that took a second step was: Recovery says
// one of the account's recovery codes, of which it has RecoveryLeft
// unused then; else a code of its authenticator app.
type StepTaken struct {
	Recovery     bool
	RecoveryLeft int
}

// FewRecoveryCodes is how many recovery codes left, or fewer, a sign-in
// with one says to make new ones.
const FewRecoveryCodes = 3

// FewCodesLeft reports whether left recovery codes are so few that
// their owner should make new ones before they run out.
func FewCodesLeft(left int) bool { return left <= FewRecoveryCodes }

// codeTry runs check, which checks code, of a's second factors, given by
// c, on a try of a's wrong codes in a row (see CodesBeforeWait), wherever
// the code was given: while they hold codes back, check does not run and
// the refusal says how long to wait; a right code forgets them; a wrong
// one counts among them, and the owner is told, once for each run that
// holds codes back.
//
// A code a just took, sent again (a form sent twice, a client that tries
// again), is refused as before, but counts as no wrong code: it is no
// guess, and must not hold back, or delay, the owner who gave it moments
// ago. That is the code of the app's step a took last, or a recovery code
// a used within SecondStepTime (see codeAsTaken). The store tells it in
// the write that takes the try (see store.TakeSecondStepTry), so that of
// two copies at once, the one that comes second is either counted before
// the first is taken, and then forgotten with the wrong codes in a row
// when the first is, or told.
func (s *Service) codeTry(ctx context.Context, c Client, a Account, code string, check func() error) error {
	taken, err := s.codeAsTaken(ctx, a, code)
	if err != nil {
		return err
	}
	try, err := s.store.TakeSecondStepTry(ctx, a.ID, codeWait, taken)
	if err != nil {
		return fromStore(err)
	}
	if try.Wait > 0 {
		return codesHeldBack(try.Wait)
	}
	if try.Again {
		if taken.Step != 0 {
			return errCodeUsed
		}
		// A recovery code used is refused as a wrong one.
		return errWrongCode
	}
	err = check()
	if err == nil {
		return s.store.ForgetSecondStepFailures(ctx, a.ID)
	}
	var wrong *Error
	if errors.As(err, &wrong) && try.Failures >= CodesBeforeWait {
		if err := s.tellCodesHeldBack(ctx, c, a); err != nil {
			return err
		}
	}
	return err
}

// codeAsTaken is code, given at a's second step, as a would have kept it
// had a taken it just now (see store.SecondStepCode): the step of a's app
// that it is a code of, at now or either side, or the hash of the
// recovery code it would be, taken within SecondStepTime, the time a
// browser has for its second step. A code a's app would not take is
// neither.
func (s *Service) codeAsTaken(ctx context.Context, a Account, code string) (store.SecondStepCode, error) {
	if c, ok := totpCode(code); ok {
		t, err := s.store.TOTPOf(ctx, a.ID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !t.Confirmed()) {
			return store.SecondStepCode{}, nil
		}
		if err != nil {
			return store.SecondStepCode{}, err
		}
		step, _, err := s.totpStep(a.ID, t, c)
		return store.SecondStepCode{Step: step}, err
	}
	code = normalRecoveryCode(code)
	if len(code) != recoveryCodeLen {
		return store.SecondStepCode{}, nil
	}
	return store.SecondStepCode{Recovery: recoveryHash(code), Since: s.Now().Add(-SecondStepTime)}, nil
}

// checkSecondStepCode checks code, a's authenticator-app code or one of
// a's recovery codes, uses it up, and says which it was.
func (s *Service) checkSecondStepCode(ctx context.Context, a Account, code string) (StepTaken, error) {
	if c, ok := totpCode(code); ok {
		return StepTaken{}, s.checkAppCode(ctx, a, c)
	}
	code = normalRecoveryCode(code)
	if len(code) != recoveryCodeLen {
		return StepTaken{}, errWrongCode
	}
	left, err := s.store.UseRecoveryCode(ctx, a.ID, recoveryHash(code))
	if errors.Is(err, store.ErrNotFound) {
		return StepTaken{}, errWrongCode
	}
	if err != nil {
		return StepTaken{}, err
	}
	return StepTaken{Recovery: true, RecoveryLeft: left}, nil
}

// checkAppCode checks code, six digits (see totpCode), against a's
// authenticator app, set up and confirmed, and uses it up.
func (s *Service) checkAppCode(ctx context.Context, a Account, code string) error {
	t, err := s.store.TOTPOf(ctx, a.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !t.Confirmed()) {
		return errWrongCode
	}
	if err != nil {
		return err
	}
	return s.checkTOTP(ctx, a.ID, t, code, true)
}

// tellCodesHeldBack tells a's owner, the first time in a run of wrong
// codes that holds further ones back, that someone gave them from c (who
// knows the password, or holds a session of a's): by email, when the server sends it and a has a
// confirmed notice address, and in the server's log.
func (s *Service) tellCodesHeldBack(ctx context.Context, c Client, a Account) error {
	n, err := s.store.NoticeSecondStepFailures(ctx, a.ID, CodesBeforeWait, s.event(c), s.EmailOn())
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Warn("wrong second-step codes in a row: further codes are held back", "account", a.Username, "failures", n, "ip", c.IP)
	}
	return nil
}

// takeAccountTurn takes a try from a's sign-in limit, the one passwords
// take, so that codes cannot be guessed faster than passwords.
func (s *Service) takeAccountTurn(ctx context.Context, a Account) error {
	key, _ := store.UsernameKey(a.Username)
	return s.take(ctx, s.limits.signInAccount, key)
}

// checkTOTP checks code against t's secret at now and the steps either
// side of it (a phone's clock may be a little off), and takes the step it
// matched, once: a code seen once is refused after.
func (s *Service) checkTOTP(ctx context.Context, account int64, t store.TOTP, code string, confirmed bool) error {
	step, ok, err := s.totpStep(account, t, code)
	if err != nil || !ok {
		if err == nil {
			err = errWrongCode
		}
		return err
	}
	err = s.store.UseTOTPStep(ctx, account, step, confirmed)
	if errors.Is(err, store.ErrGone) {
		return errCodeUsed
	}
	return err
}

// totpStep returns the time step, of now and those either side of it,
// whose code of t's secret is code, and whether there is one.
func (s *Service) totpStep(account int64, t store.TOTP, code string) (int64, bool, error) {
	secret, err := s.openTOTP(account, t.Secret)
	if err != nil {
		return 0, false, err
	}
	now := s.Now()
	for _, off := range []int64{0, -1, 1} {
		at := now.Add(time.Duration(off) * TOTPPeriod)
		want, err := totp.GenerateCodeCustom(secret, at, totpOpts)
		if err != nil {
			return 0, false, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return at.Unix() / int64(TOTPPeriod/time.Second), true, nil
		}
	}
	return 0, false, nil
}

// totpCode returns s as an authenticator app's code: its six digits,
// without the spaces that apps show between them ("123 456"), and whether
// s is one.
func totpCode(s string) (string, bool) {
	code := strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if len(code) != 6 {
		return "", false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return code, true
}

// Recovery codes are 16 characters of recoveryAlphabet, 80 random bits,
// shown in groups of four: too many to guess, or to find from their hash.
const (
	recoveryCodeLen  = 16
	recoveryAlphabet = "abcdefghijkmnpqrstuvwxyz23456789" // no l or o, no 0 or 1
)

// newRecoveryCodes makes and keeps RecoveryCodes new codes for the
// account, in place of its old ones, and returns them as shown.
func (s *Service) newRecoveryCodes(ctx context.Context, account int64) ([]string, error) {
	codes, hashes := makeRecoveryCodes()
	if err := s.store.SetRecoveryCodes(ctx, account, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}

// firstRecoveryCodes makes and keeps RecoveryCodes codes for an account
// that has none, used or not, and returns them as shown; an account that
// has some keeps them, and gets none (nil).
func (s *Service) firstRecoveryCodes(ctx context.Context, account int64) ([]string, error) {
	codes, hashes := makeRecoveryCodes()
	err := s.store.FirstRecoveryCodes(ctx, account, hashes)
	if errors.Is(err, store.ErrConflict) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// makeRecoveryCodes makes RecoveryCodes new codes, as shown and as kept.
func makeRecoveryCodes() (codes []string, hashes [][]byte) {
	codes = make([]string, RecoveryCodes)
	hashes = make([][]byte, RecoveryCodes)
	for i := range codes {
		raw := make([]byte, recoveryCodeLen)
		rand.Read(raw)
		var b strings.Builder
		for j, c := range raw {
			if j > 0 && j%4 == 0 {
				b.WriteByte('-')
			}
			b.WriteByte(recoveryAlphabet[c%byte(len(recoveryAlphabet))])
		}
		codes[i] = b.String()
		hashes[i] = recoveryHash(normalRecoveryCode(codes[i]))
	}
	return codes, hashes
}

// normalRecoveryCode is a recovery code as typed, without its dashes and
// spaces, in lower case.
func normalRecoveryCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, code)
}

func recoveryHash(code string) []byte {
	sum := sha256.Sum256([]byte("oncelink recovery code v1\x00" + code))
	return sum[:]
}

// totpAEAD seals the accounts' authenticator-app secrets under a key
// derived from the server's key.
func (s *Service) totpAEAD() cipher.AEAD { return derivedAEAD(s.key, "oncelink totp secret v1") }

// sealTOTP seals account's secret, bound to the account: a sealed secret
// copied to another account's row does not open.
func (s *Service) sealTOTP(account int64, secret string) []byte {
	return s.totpAEAD().Seal(nil, nil, []byte(secret), binary.BigEndian.AppendUint64(nil, uint64(account)))
}

func (s *Service) openTOTP(account int64, sealed []byte) (string, error) {
	plain, err := s.totpAEAD().Open(nil, nil, sealed, binary.BigEndian.AppendUint64(nil, uint64(account)))
	if err != nil {
		return "", errors.New("core: totp secret does not open under this server's key")
	}
	return string(plain), nil
}

// TwoFactorRequired reports whether every account must have a second
// factor to sign in with a password.
func (s *Service) TwoFactorRequired(ctx context.Context) (bool, error) {
	return s.store.Flag(ctx, flagRequireTwoFactor)
}

// SetTwoFactorRequired turns the requirement on or off, for by, an
// administrator (nil for the operator), on every instance at once.
func (s *Service) SetTwoFactorRequired(ctx context.Context, by *Account, on bool) error {
	if by != nil && !by.Admin {
		return ErrAdminOnly
	}
	return s.store.SetFlag(ctx, flagRequireTwoFactor, on)
}

// ResetTwoFactor removes every second factor of account id and its
// recovery codes, for by, an administrator (nil for the operator), when
// its owner lost them: the account then signs in with its password alone,
// or sets a factor up first if two-factor is required. A lost device may
// be in someone else's hands, still signed in: every session of the
// account ends with the factors, its open dashboards are told, and the
// log records the reset. removed is false when the account had no factor
// to remove (reset already, from a page left open or by a second
// administrator, also at the same moment): nothing changed, and no one was
// signed out.
func (s *Service) ResetTwoFactor(ctx context.Context, by *Account, id int64) (a Account, removed bool, err error) {
	if by != nil && !by.Admin {
		return Account{}, false, ErrAdminOnly
	}
	if by != nil && by.ID == id {
		// Their own go only as the settings page lets them: with a current
		// code or the password, and never the last while it is required.
		return Account{}, false, invalid("cannot_reset_own_factors", "")
	}
	a, err = s.store.AccountByID(ctx, id)
	if err != nil {
		return Account{}, false, accountChange(err)
	}
	removed, ended, err := s.store.ResetSecondFactors(ctx, id)
	if err != nil {
		return Account{}, false, accountChange(err)
	}
	if !removed {
		return a, false, nil
	}
	if ended > 0 {
		s.SignedOut(ctx, id)
	}
	who := "operator"
	if by != nil {
		who = by.Username
	}
	s.log.Info("second factors reset: the account was signed out everywhere", "account", a.Username, "by", who, "sessions_ended", ended)
	return a, true, nil
}

// WithSecondFactor returns the ids of the accounts with a second factor.
func (s *Service) WithSecondFactor(ctx context.Context) (map[int64]bool, error) {
	return s.store.WithSecondFactor(ctx)
}
