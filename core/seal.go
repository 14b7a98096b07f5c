package core

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
)

// What a web session keeps is written to the database as it is. A secret
// that the session holds for a moment, such as the recovery codes a new
// passkey came with until the page that shows them once is loaded, is
// sealed under a key drawn from the session's token: the browser's cookie
// holds the token, and the database only its SHA-256, so whoever reads the
// database cannot open it.

// SealForSession seals plain for the session whose token is sessionToken.
func SealForSession(sessionToken string, plain []byte) []byte {
	return sessionAEAD(sessionToken).Seal(nil, nil, plain, nil)
}

// OpenForSession opens what SealForSession sealed for the same token; a
// session whose token changed since cannot.
func OpenForSession(sessionToken string, sealed []byte) ([]byte, error) {
	plain, err := sessionAEAD(sessionToken).Open(nil, nil, sealed, nil)
	if err != nil {
		return nil, errSealedForAnother
	}
	return plain, nil
}

var errSealedForAnother = errors.New("sealed for another session")

func sessionAEAD(sessionToken string) cipher.AEAD {
	return derivedAEAD([]byte(sessionToken), "oncelink session seal v1")
}

// derivedAEAD seals under a key derived from secret for one use, named by
// info, so that no two uses share a key. Each seal takes a random nonce,
// which goes in front of what it seals.
func derivedAEAD(secret []byte, info string) cipher.AEAD {
	key, err := hkdf.Key(sha256.New, secret, nil, info, 32)
	if err != nil {
		panic(err) // only for lengths that cannot happen here
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		panic(err)
	}
	return aead
}
