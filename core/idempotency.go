package core

import (
	"errors"
	"strings"

	"oncelink/store"
)

// A create of a link, a request or a webhook endpoint may carry an
// idempotency key: the owner's first create with the key makes the thing,
// and any other of the same kind with it makes nothing and answers with
// that thing, marked repeated. A form issues a fresh key with each showing,
// and a program one with each create, so that sending it again (a reload
// of the page that answered it, a second click, a retry after a lost
// answer) never makes it twice. Each owner's keys are their own.

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
