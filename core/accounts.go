package core

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/secure/precis"

	"oncelink/i18n"
	"oncelink/live"
	"oncelink/store"
)

// SetupOpen reports whether set-up may still make the first account.
func (s *Service) SetupOpen(ctx context.Context) (bool, error) {
	n, err := s.store.CountAccounts(ctx)
	return n == 0, err
}

// Setup makes the first account, an administrator, while no account
// exists; afterwards it is ErrNotFound, as set-up no longer exists. t is
// the client's turn at SetupAction.
func (s *Service) Setup(ctx context.Context, t Turn, username, password string) (Account, error) {
	if err := t.check(SetupAction); err != nil {
		return Account{}, err
	}
	if open, err := s.SetupOpen(ctx); err != nil || !open {
		if err == nil {
			err = ErrNotFound
		}
		return Account{}, err
	}
	name, hash, err := s.credentials(username, password)
	if err != nil {
		return Account{}, err
	}
	a, err := s.store.CreateFirstAccount(ctx, name, hash)
	if errors.Is(err, store.ErrConflict) {
		return Account{}, ErrNotFound
	}
	return a, err
}

// dummyHash is a hash at cost that no password matches, made once for each
// cost: see Service.dummy.
func dummyHash(cost int) []byte {
	dummyHashes.Lock()
	defer dummyHashes.Unlock()
	hash, ok := dummyHashes.m[cost]
	if !ok {
		hash, _ = bcrypt.GenerateFromPassword([]byte("oncelink timing equaliser"), cost)
		dummyHashes.m[cost] = hash
	}
	return hash
}

var dummyHashes = struct {
	sync.Mutex
	m map[int][]byte
}{m: map[int][]byte{}}

// SignIn checks a username and password, on the client's turn t at
// SignInAction. Every attempt counts against the limits, for names that
// exist or not, for disabled accounts and for right passwords; the
// client's limit comes first, with the turn, so that trying one name after
// another does not get around it. A refusal does not tell whether the
// account exists, neither by its words nor by its time.
func (s *Service) SignIn(ctx context.Context, t Turn, username, password string) (Account, error) {
	username = strings.TrimSpace(username)
	if err := t.check(SignInAction); err != nil {
		return Account{}, err
	}
	if s.cfg.NoPasswordSignIn {
		return Account{}, ErrPasswordSignInOff
	}
	// No account has a name that is not text, and the database could not
	// look one up: saying so reveals nothing.
	if err := checkBytes("username", username); err != nil {
		return Account{}, err
	}
	key, _ := store.UsernameKey(username)
	if err := s.take(ctx, s.limits.signInAccount, key); err != nil {
		return Account{}, err
	}
	a, err := s.store.AccountByName(ctx, username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Account{}, err
	}
	// An account made by single sign-on has no password: it is compared
	// against the dummy too, so that its refusal takes as long.
	hash := s.dummy
	if err == nil && a.HasPassword() {
		hash = []byte(a.PasswordHash)
	}
	match := passwordMatches(string(hash), password)
	if err != nil || !match || !a.HasPassword() || a.Disabled() {
		return Account{}, ErrBadCredentials
	}
	return a, nil
}

// passwordMatches reports whether password is the one hash was made of.
func passwordMatches(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// SignedOut tells the account's open streams that one of its sessions
// ended, so that each checks its own.
func (s *Service) SignedOut(ctx context.Context, account int64) {
	s.Publish(ctx, live.Event{Owner: account, What: live.SessionsChanged})
}

// Accounts lists every account, for an administrator, in the order of
// their names as people read them, case and accents aside (ab, Ada, Bob,
// Émile, Zoe), by the Unicode collation's root order, whatever order the
// database's collation gives: the accounts page and the operator's list
// alike. That order puts punctuation before digits and digits before
// letters, and ranks punctuation its own way (bob_3 before bob.2). Names
// that collate the same are in the order of their bytes.
func (s *Service) Accounts(ctx context.Context) ([]Account, error) {
	accounts, err := s.store.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	c := collate.New(language.Und)
	slices.SortStableFunc(accounts, func(a, b Account) int {
		return cmp.Or(c.CompareString(a.Username, b.Username), strings.Compare(a.Username, b.Username))
	})
	return accounts, nil
}

// AccountByName finds an account, for the operator's commands.
func (s *Service) AccountByName(ctx context.Context, name string) (Account, error) {
	name = strings.TrimSpace(name)
	if err := checkBytes("username", name); err != nil {
		return Account{}, err
	}
	a, err := s.store.AccountByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return a, Refusal(NotFound, "account_unknown", "username", "no_such_account", "Name", Quoted(name))
	}
	return a, err
}

// SetPassword checks a new password for account id, as for a new account,
// sets it, and ends every session of the account but keep, the one asking
// (empty for the operator, who ends them all): whoever was signed in, maybe
// with the old password, is signed out, open dashboards too. ended is how
// many sessions ended.
func (s *Service) SetPassword(ctx context.Context, id int64, password, keep string) (a Account, ended int64, err error) {
	if err := checkPassword(password); err != nil {
		return Account{}, 0, err
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return Account{}, 0, err
	}
	a, ended, err = s.store.SetPassword(ctx, id, hash, keep)
	if err != nil {
		return Account{}, 0, accountChange(err)
	}
	if ended > 0 {
		s.SignedOut(ctx, id)
	}
	return a, ended, nil
}

// AddAccount checks a new account's name and password and adds it: what
// the accounts page and the operator's "user add" share.
func (s *Service) AddAccount(ctx context.Context, username, password string, admin bool) (Account, error) {
	name, hash, err := s.credentials(username, password)
	if err != nil {
		return Account{}, err
	}
	a, err := s.store.CreateAccount(ctx, name, hash, admin)
	if errors.Is(err, store.ErrConflict) {
		return Account{}, Refusal(Conflict, "username_taken", "username", "already_exists", "Name", name)
	}
	return a, err
}

// SetDisabled disables or enables account id, for by (nil for the
// operator). A disabled account cannot sign in, its sessions and API keys
// stop at their next request, and its open streams are told at once; what
// it shares rests (see ErrLinkResting and ErrRequestResting) until it is
// enabled, which changes nothing else of it. changed is false when the
// account was what it is to be already (a page left open in another tab, a
// second administrator's click at the same moment): nothing changed, not
// even since when it is disabled. Of two clicks at once, one is told it
// changed the account and the other that nothing changed.
func (s *Service) SetDisabled(ctx context.Context, by *Account, id int64, disabled bool) (a Account, changed bool, err error) {
	if by != nil && id == by.ID && disabled {
		return Account{}, false, invalid("cannot_disable_self", "")
	}
	a, changed, err = s.store.SetDisabled(ctx, id, disabled)
	if err != nil {
		return Account{}, false, accountChange(err)
	}
	if changed && disabled {
		s.Publish(ctx, live.Event{Owner: id, What: live.SessionsChanged})
	}
	return a, changed, nil
}

// SetAdmin makes account id an administrator or a member, for by (nil for
// the operator). An administrator does not demote themself (another
// may), and the last enabled administrator stays one. An account made an
// administrator is signed out everywhere, its open dashboards told, so
// that it signs in again as one: a session, or a copy of its cookie,
// taken while it was a member never holds an administrator's powers. A
// member made of an administrator keeps its sessions, which lose those
// powers at their next request. changed is false when the account was
// what it is to be already (a page left open in another tab, a second
// administrator's click, also at the same moment): nothing changed, and
// no one was signed out.
func (s *Service) SetAdmin(ctx context.Context, by *Account, id int64, admin bool) (a Account, changed bool, err error) {
	if by != nil && id == by.ID && !admin {
		return Account{}, false, invalid("cannot_demote_self", "")
	}
	a, changed, ended, err := s.store.SetAdmin(ctx, id, admin)
	if err != nil {
		return Account{}, false, accountChange(err)
	}
	if ended > 0 {
		s.SignedOut(ctx, id)
	}
	return a, changed, nil
}

// credentials checks a new account's name and password and hashes the
// password. Both are checked: when both are wrong, the error is Errors,
// the name's then the password's. The name comes back trimmed even when it
// is refused, to refill a form.
func (s *Service) credentials(username, password string) (name, hash string, err error) {
	name = strings.TrimSpace(username)
	shown, nameErr := checkUsername(name)
	if err := joinErrors(nameErr, checkPassword(password)); err != nil {
		return name, "", err
	}
	hash, err = s.hashPassword(password)
	return shown, hash, err
}

// CheckNewUsername refuses a new account's name as AddAccount does, for a
// caller that would say so before it asks for the password.
func CheckNewUsername(name string) error {
	_, err := checkUsername(strings.TrimSpace(name))
	return err
}

// CheckNewPassword refuses an account's new password as AddAccount and
// SetPassword do, for a caller that would say so before it opens anything.
func CheckNewPassword(password string) error {
	return checkPassword(password)
}

// maxUsernameBytes bounds a username as it is sent, before it is
// normalised, so that nobody has the server normalise megabytes: 16 bytes
// for each of MaxUsernameLen's characters. No character a username may
// hold takes more as typed, even fully decomposed (a Hangul syllable as
// three jamo takes 9 bytes; TestUsernameBytesBound finds the longest), so
// a name over it is over MaxUsernameLen too, and is told so.
const maxUsernameBytes = 16 * MaxUsernameLen

// checkUsername tells what is wrong with a new username, and returns it
// as it is kept and shown: in PRECIS's case-preserved form, so that a name
// typed in full-width letters (ｚｏｅ) or decomposed is kept as zoe would
// be, letter for letter. MaxUsernameLen counts the characters of that
// form: "é" is one character however it was typed.
func checkUsername(name string) (string, error) {
	if err := checkBytes("username", name); err != nil {
		return "", err
	}
	switch {
	case name == "":
		return "", invalid("username_missing", "username")
	case len(name) > maxUsernameBytes:
		return "", invalid("username_too_long", "username", "Count", MaxUsernameLen)
	case strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "", invalidAs("username_invalid", "spaces", "username")
	}
	shown, err := precis.UsernameCasePreserved.String(name)
	if err == nil {
		_, err = store.UsernameKey(shown)
	}
	if err != nil {
		return "", invalidAs("username_invalid", "form", "username")
	}
	if utf8.RuneCountInString(shown) > MaxUsernameLen {
		return "", invalid("username_too_long", "username", "Count", MaxUsernameLen)
	}
	if mixesLookAlikeScripts(shown) {
		return "", invalid("username_mixed_scripts", "username")
	}
	if passesForLatin(shown) {
		return "", invalid("username_looks_latin", "username")
	}
	if hidesMark(shown) {
		return "", invalid("username_hidden_mark", "username")
	}
	return shown, nil
}

// lookAlikeScripts are alphabets with letters that look the same as each
// other's: Latin a, Cyrillic а and Greek α.
var lookAlikeScripts = []*unicode.RangeTable{unicode.Latin, unicode.Greek, unicode.Cyrillic}

// mixesLookAlikeScripts reports whether name has letters of more than one
// of lookAlikeScripts, as "pаypal" with a Cyrillic а does. PRECIS lets each
// alphabet through, as it should; mixing them is what deceives.
func mixesLookAlikeScripts(name string) bool {
	seen := -1
	for _, r := range name {
		for i, script := range lookAlikeScripts {
			if unicode.Is(script, r) {
				if seen >= 0 && seen != i {
					return true
				}
				seen = i
			}
		}
	}
	return false
}

// checkPassword tells what is wrong with a new account password, in words
// for the person choosing it.
func checkPassword(password string) error {
	if err := checkBytes("password", password); err != nil {
		return err
	}
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLen:
		return invalid("password_too_short", "password", "Count", MinPasswordLen)
	case len(password) > MaxPasswordBytes:
		return ErrPasswordTooLong
	case strings.ContainsFunc(password, unicode.IsControl) || strings.TrimSpace(password) == "":
		return invalid("password_invalid", "password")
	}
	return nil
}

// SetLanguage sets the language a reads oncelink in, its mails too: a
// code of i18n.Languages, or "" to follow the browser.
func (s *Service) SetLanguage(ctx context.Context, a Account, code string) (Account, error) {
	if code != "" && !i18n.Supported(code) {
		return Account{}, invalid("language_unknown", "language")
	}
	changed, err := s.store.SetLanguage(ctx, a.ID, code)
	return changed, fromStore(err)
}

// MaxTimeZoneBytes bounds the name of a time zone: the longest IANA name,
// America/Argentina/ComodRivadavia, has 32 bytes.
const MaxTimeZoneBytes = 64

// checkTimeZone refuses zone unless it is "", for UTC, or the IANA name
// of a time zone, such as "Europe/Berlin". "Local" is refused: it is the
// server's own zone, which is no one's choice and may change with the
// machine.
func checkTimeZone(zone string) error {
	if err := checkBytes("time_zone", zone); err != nil {
		return err
	}
	switch {
	case zone == "":
		return nil
	case len(zone) > MaxTimeZoneBytes:
		return invalid("time_zone_too_long", "time_zone", "Max", MaxTimeZoneBytes)
	case zone == "Local":
		return invalid("time_zone_local", "time_zone")
	}
	if _, err := time.LoadLocation(zone); err != nil {
		return invalid("time_zone_unknown", "time_zone", "Name", Quoted(zone))
	}
	return nil
}

// SetTimeZone sets the time zone that a's texts to send with a new link,
// and its mails, write times in: an IANA name (see checkTimeZone), or ""
// for UTC.
func (s *Service) SetTimeZone(ctx context.Context, a Account, zone string) (Account, error) {
	if err := checkTimeZone(zone); err != nil {
		return Account{}, err
	}
	changed, err := s.store.SetTimeZone(ctx, a.ID, zone)
	return changed, fromStore(err)
}
