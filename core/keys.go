package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"oncelink/live"
	"oncelink/store"
)

// An API key is "ol_" and 256 random bits in unpadded base64url: 43
// characters. The database keeps only its SHA-256 and the first
// characters, which tell the owner's keys apart on the settings page.
const (
	keyPrefix    = "ol_"
	keyLen       = len(keyPrefix) + 43
	keyShownLen  = len(keyPrefix) + 6
	keyTouchEach = time.Minute
)

// KeyExpiries are the lifetimes the settings page offers a new key, the
// first being the default; "never" is a key that does not expire.
var KeyExpiries = []string{"90d", "30d", "1y", "never"}

// NewKey is a key just made, with the only copy of its secret.
type NewKey struct {
	Key    APIKey
	Secret string
}

// CreateKey makes an API key for account, called name, that lasts for
// expires: a duration that ParseDuration reads, "1y", or "never" (or
// empty) for a key that does not expire. An account has at most
// MaxAPIKeys keys that are neither revoked nor expired.
func (s *Service) CreateKey(ctx context.Context, account int64, name, expires string) (NewKey, error) {
	name = strings.TrimSpace(name)
	if err := checkKeyName(name); err != nil {
		return NewKey{}, err
	}
	n := store.NewAPIKey{AccountID: account, Name: name}
	at, err := keyExpiry(s.Now(), expires)
	if err != nil {
		return NewKey{}, err
	}
	n.ExpiresAt = at
	var raw [32]byte
	rand.Read(raw[:])
	secret := keyPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	sum := sha256.Sum256([]byte(secret))
	n.Hash, n.Prefix = sum[:], secret[:keyShownLen]
	k, err := s.store.CreateAPIKey(ctx, n, MaxAPIKeys)
	if errors.Is(err, store.ErrLimit) {
		return NewKey{}, Refusal(Conflict, "key_limit", "", "too_many_keys", "Count", MaxAPIKeys)
	}
	if err != nil {
		return NewKey{}, err
	}
	return NewKey{Key: k, Secret: secret}, nil
}

// CheckNewKey refuses a key's name and lifetime as CreateKey does, for a
// caller that would say so before it opens anything.
func CheckNewKey(name, expires string) error {
	if err := checkKeyName(strings.TrimSpace(name)); err != nil {
		return err
	}
	_, err := keyExpiry(time.Now(), expires)
	return err
}

// checkKeyName refuses a key's name, its spaces trimmed, that is empty or
// too long.
func checkKeyName(name string) error {
	if name == "" {
		return invalid("key_name_missing", "name")
	}
	return checkText("name", name, MaxKeyNameLen)
}

var errKeyExpiry = invalid("key_expiry_invalid", "expires")

// maxKeyYears is the longest lifetime in years a key may be given, as
// "10y"; a key that should outlive that never expires.
const maxKeyYears = 10

// keyExpiry is when a key made at now that lasts for expires stops
// working: the zero time for "never" or empty, calendar years for "1y" to
// "10y", and otherwise a duration that ParseDuration reads, from an hour
// to ten years.
func keyExpiry(now time.Time, expires string) (time.Time, error) {
	expires = strings.TrimSpace(expires)
	if expires == "" || expires == "never" {
		return time.Time{}, nil
	}
	if years, ok := strings.CutSuffix(expires, "y"); ok {
		n, err := strconv.Atoi(years)
		if err != nil || n < 1 || n > maxKeyYears || years[0] < '0' || years[0] > '9' {
			return time.Time{}, errKeyExpiry
		}
		return now.AddDate(n, 0, 0), nil
	}
	d, err := ParseDuration(expires)
	if err != nil || d < time.Hour || now.Add(d).After(now.AddDate(maxKeyYears, 0, 0)) {
		return time.Time{}, errKeyExpiry
	}
	return now.Add(d), nil
}

// Keys lists account's API keys that are not revoked, newest first.
func (s *Service) Keys(ctx context.Context, account int64) ([]APIKey, error) {
	return s.store.APIKeys(ctx, account)
}

// KeysFull reports whether keys, an account's as Keys lists them, leave no
// room at now for another: CreateKey would refuse it (key_limit), since
// MaxAPIKeys of them are neither revoked nor expired.
func KeysFull(keys []APIKey, now time.Time) bool {
	active := 0
	for _, k := range keys {
		if k.Active(now) {
			active++
		}
	}
	return active >= MaxAPIKeys
}

// RevokeKey ends account's key id at once, and the event streams it
// holds open; another account's is ErrNotFound.
func (s *Service) RevokeKey(ctx context.Context, account, id int64) (APIKey, error) {
	k, err := s.store.RevokeAPIKey(ctx, account, id)
	if err != nil {
		return k, fromStore(err)
	}
	s.Publish(ctx, live.Event{Owner: account, What: live.SessionsChanged})
	return k, nil
}

// APITurn takes a turn of account a at the API's per-account limit
// (Rates.API), or refuses it with a Limited *Error. Authenticate takes one
// for a request with a key; the API takes one for a request that a
// signed-in browser sends with its session, so that both count alike.
func (s *Service) APITurn(ctx context.Context, a *Account) error {
	return s.take(ctx, s.limits.api, strconv.FormatInt(a.ID, 10))
}

// KeyExpires returns when the API key secret stops working of itself: the
// zero time for a key that does not expire, or that is unknown. It only
// reads, and takes no turn: an event stream asks once, to end when its
// key does.
func (s *Service) KeyExpires(ctx context.Context, secret string) (time.Time, error) {
	_, k, err := s.keyOf(ctx, secret)
	if errors.Is(err, ErrKeyRefused) {
		return time.Time{}, nil
	}
	return k.ExpiresAt, err
}

// KeyShaped reports whether secret has an API key's shape: "ol_" and 43
// characters of base64url. What has another shape is no server's key: the
// command line refuses it before sending it anywhere.
func KeyShaped(secret string) bool {
	rest, ok := strings.CutPrefix(secret, keyPrefix)
	return ok && len(secret) == keyLen && !strings.ContainsFunc(rest, func(r rune) bool {
		return !('A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_')
	})
}

// keyOf looks up the API key secret and its account, whatever their
// state; a secret that is no key of this server is ErrKeyRefused.
func (s *Service) keyOf(ctx context.Context, secret string) (Account, APIKey, error) {
	if !KeyShaped(secret) {
		return Account{}, APIKey{}, ErrKeyRefused
	}
	sum := sha256.Sum256([]byte(secret))
	a, k, err := s.store.AccountByAPIKey(ctx, sum[:])
	if errors.Is(err, store.ErrNotFound) {
		return a, k, ErrKeyRefused
	}
	return a, k, err
}

// KeyActs reports whether secret is a key that still acts for its
// account: neither expired nor revoked, and its account enabled. Unlike
// Authenticate it takes no turn of the account's requests and records no
// use, so that a long request, such as an event stream, may ask again
// before each thing it sends.
func (s *Service) KeyActs(ctx context.Context, secret string) (bool, error) {
	refusal, err := s.KeyRefusal(ctx, secret)
	return err == nil && refusal == nil, err
}

// KeyRefusal is why secret no longer acts for its account, as KeyActs
// asks: nil while it acts, ErrKeyAccountDisabled for a key that would act
// but for its account being disabled, and ErrKeyRefused for any other
// (unknown, expired or revoked). Its error is the database's, when it
// cannot tell.
func (s *Service) KeyRefusal(ctx context.Context, secret string) (*Error, error) {
	a, k, err := s.keyOf(ctx, secret)
	switch {
	case errors.Is(err, ErrKeyRefused):
		return ErrKeyRefused, nil
	case err != nil:
		return nil, err
	case !k.Active(s.Now()):
		return ErrKeyRefused, nil
	case a.Disabled():
		return ErrKeyAccountDisabled, nil
	}
	return nil, nil
}

// Authenticate returns the account whose API key secret is, while the key
// is neither expired nor revoked and the account is enabled: a key of a
// disabled account is ErrKeyAccountDisabled, anything else ErrKeyRefused.
// Each account's requests are rate limited. It records when the key was
// last used, at most once a minute, so that a busy script does not make
// every request a write.
//
// Each key refused counts against c's limit of refused keys; a client
// that has used it up is refused, with a Limited error, before its key is
// looked up, a right key too, as sign-in refuses a right password from a
// client that guessed too often. A key that acts only reads that limit.
func (s *Service) Authenticate(ctx context.Context, secret string, c Client) (*Account, error) {
	now, client := s.Now(), c.key()
	left, wait, err := s.limits.apiKeyClient.left(ctx, client, now)
	if err != nil {
		return nil, err
	}
	if left == 0 {
		return nil, limited(wait)
	}
	a, k, err := s.keyOf(ctx, secret)
	refusal := ErrKeyRefused
	switch {
	case err == nil && !k.Active(now):
		err = ErrKeyRefused
	case err == nil && a.Disabled():
		err, refusal = ErrKeyRefused, ErrKeyAccountDisabled
	}
	if errors.Is(err, ErrKeyRefused) {
		if err := s.take(ctx, s.limits.apiKeyClient, client); err != nil {
			return nil, err
		}
		return nil, refusal
	}
	if err != nil {
		return nil, err
	}
	if err := s.APITurn(ctx, &a); err != nil {
		return nil, err
	}
	if now.Sub(k.LastUsedAt) >= keyTouchEach {
		if err := s.store.TouchAPIKey(ctx, k.ID, now); err != nil {
			s.log.Warn("record an API key's use", "err", err)
		}
	}
	return &a, nil
}
