// Package token makes and checks link tokens and seals link content with a
// key derived from the token.
//
// A token is 16 random bytes followed by a 16-byte HMAC-SHA256 tag of them
// under the server's key, written as 43 characters of unpadded base64url. The
// tag lets the server reject a forged or mangled token in constant time
// without touching the database. The database keeps only the token's SHA-256
// hash, and content is sealed with AES-256-GCM under a key derived from the
// whole token by HKDF, so neither the hash nor the server key, nor both
// together, open what was shared.
package token

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

const (
	randomLen = 16
	tagLen    = 16
	rawLen    = randomLen + tagLen
	// Len is the length of a token's text form.
	Len = (rawLen*8 + 5) / 6
	// KeyLen is the length of the server key that tags tokens.
	KeyLen = 32
)

// ErrInvalid reports a token that this server did not make.
var ErrInvalid = errors.New("token: invalid")

// encoding is strict: the last character of a token carries two unused bits,
// and a lenient decoder would accept four spellings of every token.
var encoding = base64.RawURLEncoding.Strict()

// Token is a link token. The zero value is not a valid token.
type Token struct{ raw [rawLen]byte }

// New makes a token tagged with key.
func New(key []byte) Token {
	var t Token
	rand.Read(t.raw[:randomLen])
	tag(key, t.raw[:randomLen], t.raw[randomLen:])
	return t
}

// Parse checks the text form of a token against key. It does the same work
// for every well-formed string, so its timing tells nothing about the tag.
func Parse(key []byte, s string) (Token, error) {
	var t Token
	if len(s) != Len {
		return t, ErrInvalid
	}
	if n, err := encoding.Decode(t.raw[:], []byte(s)); err != nil || n != rawLen {
		return Token{}, ErrInvalid
	}
	var want [tagLen]byte
	tag(key, t.raw[:randomLen], want[:])
	if !hmac.Equal(want[:], t.raw[randomLen:]) {
		return Token{}, ErrInvalid
	}
	return t, nil
}

func tag(key, random, dst []byte) {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("oncelink token v1\x00"))
	m.Write(random)
	copy(dst, m.Sum(nil))
}

// String returns the token's text form, the part of a link's URL after /l/.
func (t Token) String() string { return encoding.EncodeToString(t.raw[:]) }

// Hash is what the database keeps to find the token's link.
func (t Token) Hash() []byte {
	h := sha256.Sum256(t.raw[:])
	return h[:]
}

// ChunkSize is the most plaintext one sealed chunk holds. Content is sealed
// in chunks so that a large file is never held whole in memory and a range
// of it can be opened alone.
const ChunkSize = 64 << 10

// Box seals and opens one link's content.
type Box struct{ aead cipher.AEAD }

// Box returns the sealing box for the token's content.
func (t Token) Box() Box {
	key, err := hkdf.Key(sha256.New, t.raw[:], nil, "oncelink content v1", 32)
	if err != nil {
		panic(err) // only for lengths that cannot happen here
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return Box{aead}
}

// Part names what a sealed piece holds: the content's chunks, the
// metadata (a file's name and type), or, under a request's token, the token
// of the link that filling the request made. Each part has its own nonces.
type Part uint32

const (
	Content Part = iota
	Meta
	LinkToken
)

// Seal seals chunk seq of a part. last marks the part's final chunk, so that
// a cut-off sequence fails to open instead of passing for shorter content.
func (b Box) Seal(part Part, seq uint64, last bool, plain []byte) []byte {
	nonce, ad := b.nonce(part, seq, last)
	return b.aead.Seal(nil, nonce[:], plain, ad[:])
}

// Open opens what Seal sealed with the same part, seq and last.
func (b Box) Open(part Part, seq uint64, last bool, sealed []byte) ([]byte, error) {
	nonce, ad := b.nonce(part, seq, last)
	return b.aead.Open(nil, nonce[:], sealed, ad[:])
}

// Overhead is how many bytes sealing adds to a chunk.
func (b Box) Overhead() int { return b.aead.Overhead() }

// nonce is unique per key, part and chunk. Each token has its own key, so a
// counter nonce never repeats under one key.
func (b Box) nonce(part Part, seq uint64, last bool) (nonce [12]byte, ad [1]byte) {
	binary.BigEndian.PutUint32(nonce[:4], uint32(part))
	binary.BigEndian.PutUint64(nonce[4:], seq)
	if last {
		ad[0] = 1
	}
	return nonce, ad
}
