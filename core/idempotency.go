package core

import (
	"context"
	"errors"
	"strings"
	"time"

	"oncelink/store"
)

// A create of a link, a request or a webhook endpoint may carry an
// idempotency key: the owner's first create with the key makes the thing,
// and any other of the same kind with it makes nothing and answers with
// that thing, marked repeated. A form issues a fresh key with each showing,
// and a program one with each create, so that sending it again (a reload
// of the page that answered it, a second click, a retry after a lost
// answer) never makes it twice. Each owner's keys are their own.

// A form that shows something once, or that could not be done twice
// alike, but makes no row that could keep its key (a new API key, new
// recovery codes, an endpoint's new secret, a password change), has its
// key claimed instead, for its account (see FormOnce): one mechanism for
// them all, as recovery codes and a password have no row of their own. So
// has an administrator's reset of another's password, whose link could
// keep the key but, should the reset fail after the link was made, would
// keep it from the form sent again.

// FormKind is what a form whose key is claimed does.
type FormKind string

// The forms whose keys are claimed.
const (
	KeyForm      FormKind = "api_key"
	RecoveryForm FormKind = "recovery_codes"
	RotateForm   FormKind = "webhook_rotate"
	PasswordForm FormKind = "password"
	ResetForm    FormKind = "password_reset"
)

// FormOnce does act, asked by account with a form of kind whose key is
// key, once: the first sending of the form claims its key and acts, and
// every other, at the same moment or later, on any instance, does nothing
// and is repeated. When act fails, the key is given back, so that the
// form, corrected or as it was, can be sent again; and a sending that
// comes while the first one acts waits for its outcome, so that it says
// the form was sent already only of one that did what it does, and acts
// itself after one that failed, as the form sent again after it would.
// The key is claimed before act checks anything: the same form sent again
// after it was done is repeated whatever it says, and a password it
// carries is not tried again as a wrong one. Without a key, act alone
// answers, as a create without an idempotency key does.
func (s *Service) FormOnce(ctx context.Context, account int64, kind FormKind, key string, act func() error) (repeated bool, err error) {
	if key == "" {
		return false, act()
	}
	if err := checkIdempotencyKey(key); err != nil {
		return false, err
	}
	for {
		claimed, err := s.store.ClaimFormKey(ctx, account, string(kind), key)
		if err != nil {
			return false, fromStore(err)
		}
		if claimed {
			break
		}
		settled, err := s.formSettled(ctx, account, key)
		if err != nil || settled {
			return settled, err
		}
		// Given back: this sending claims it again.
	}
	if err := act(); err != nil {
		// Given back also when the asker has gone: the form it sent may
		// be sent again.
		if rerr := s.store.ReleaseFormKey(context.WithoutCancel(ctx), account, string(kind), key); rerr != nil {
			s.log.Warn("give back a form's key", "kind", kind, "err", rerr)
		}
		return false, err
	}
	if err := s.store.SettleFormKey(context.WithoutCancel(ctx), account, string(kind), key); err != nil {
		// Done all the same: a sending that waits for this one says so
		// once formActTime is over.
		s.log.Warn("settle a form's key", "kind", kind, "err", err)
	}
	return false, nil
}

// formActTime bounds how long a sending of a form waits for another that
// acts (see FormOnce), and formPoll how often it looks: a claim never
// settled nor given back, as by an instance that stopped while it acted,
// is taken as done once formActTime has passed since it was made.
const (
	formActTime = 30 * time.Second
	formPoll    = 25 * time.Millisecond
)

// formSettled waits while another sending of account's form with key
// acts, and reports whether it did what the form does (true), or gave the
// key back (false).
func (s *Service) formSettled(ctx context.Context, account int64, key string) (bool, error) {
	for {
		c, err := s.store.FormKeyClaim(ctx, account, key)
		switch {
		case err != nil:
			return false, fromStore(err)
		case !c.Claimed:
			return false, nil
		case c.Settled, s.Now().Sub(c.ClaimedAt) >= formActTime:
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(formPoll):
		}
	}
}

// MaxIdempotencyKeyLen bounds an idempotency key, in bytes.
const MaxIdempotencyKeyLen = 64

// once makes with create what a create with key asks for, once: when key
// made something before, earlier finds it, and is the answer, made now or
// not. Without a key, create alone answers. The key is checked before
// anything else, as the first create with the key checked it all: the
// same create sent again answers as it did, whatever it says now.
func once[C any](key string, earlier, create func() (C, error)) (C, error) {
	var none C
	if key == "" {
		return create()
	}
	if err := checkIdempotencyKey(key); err != nil {
		return none, err
	}
	if c, err := earlier(); !errors.Is(err, store.ErrNotFound) {
		if err != nil {
			return none, fromStore(err)
		}
		return c, nil
	}
	c, err := create()
	if errors.Is(err, store.ErrKeyTaken) {
		// Made meanwhile, by a create with the same key.
		if c, err = earlier(); err != nil {
			return none, fromStore(err)
		}
	}
	return c, err
}

// checkIdempotencyKey refuses a key that no form of ours issued: a form's
// key is short, and letters, digits, - and _ only.
func checkIdempotencyKey(key string) error {
	if !ValidIdempotencyKey(key) {
		return invalidAs("idempotency_key_invalid", "form", "")
	}
	return nil
}

// ValidIdempotencyKey reports whether key may be an idempotency key, such
// as the one-time key of a form: at most MaxIdempotencyKeyLen letters,
// digits, '-' and '_'.
func ValidIdempotencyKey(key string) bool {
	return len(key) <= MaxIdempotencyKeyLen && !strings.ContainsFunc(key, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	})
}
