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
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"sync"
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

// Key is the server key that tags tokens, and anything else the server
// signs for itself, each under its own domain. Keying an HMAC costs two
// SHA-256 blocks and a handful of allocations, and every open checks a tag,
// so a Key keeps keyed MACs for reuse; it is safe for concurrent use.
type Key struct{ macs sync.Pool }

// mac is a keyed HMAC-SHA256 and room for its sum.
type mac struct {
	hash.Hash
	sum [sha256.Size]byte
}

// NewKey returns the Key of secret, which should be KeyLen random bytes.
func NewKey(secret []byte) *Key {
	secret = bytes.Clone(secret)
	return &Key{macs: sync.Pool{New: func() any { return &mac{Hash: hmac.New(sha256.New, secret)} }}}
}

// Tag writes to dst the first len(dst) bytes of the HMAC-SHA256, under k,
// of domain followed by msg. Each use of the key has a domain of its own,
// so that a tag made for one never passes for another.
func (k *Key) Tag(dst, domain, msg []byte) {
	m := k.macs.Get().(*mac)
	m.Reset()
	m.Write(domain)
	m.Write(msg)
	copy(dst, m.Sum(m.sum[:0]))
	k.macs.Put(m)
}

// New makes a token tagged with k.
func New(k *Key) Token {
	var t Token
	rand.Read(t.raw[:randomLen])
	k.Tag(t.raw[randomLen:], tokenDomain, t.raw[:randomLen])
	return t
}

// Shaped reports whether s has the shape of a token's text form, whatever
// server made it: Len characters of base64url, the last one's unused bits
// zero. Such a text starts with "-" once in 64 tokens.
func Shaped(s string) bool {
	var raw [rawLen]byte
	if len(s) != Len {
		return false
	}
	n, err := encoding.Decode(raw[:], []byte(s))
	return err == nil && n == rawLen
}

// Parse checks the text form of a token against k. It does the same work
// for every well-formed string, so its timing tells nothing about the tag.
func Parse(k *Key, s string) (Token, error) {
	var t Token
	if len(s) != Len {
		return t, ErrInvalid
	}
	if n, err := encoding.Decode(t.raw[:], []byte(s)); err != nil || n != rawLen {
		return Token{}, ErrInvalid
	}
	var want [tagLen]byte
	k.Tag(want[:], tokenDomain, t.raw[:randomLen])
	if !hmac.Equal(want[:], t.raw[randomLen:]) {
		return Token{}, ErrInvalid
	}
	return t, nil
}

// tokenDomain is what a token's tag is of, before its random bytes.
var tokenDomain = []byte("oncelink token v1\x00")

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
	var key [32]byte
	contentKey(&key, t.raw[:])
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return Box{aead}
}

// contentInfo is the HKDF info of a token's content key, and the counter
// of the expand step's first block (T(1)): a 32-byte key is one block.
var contentInfo = []byte("oncelink content v1\x01")

// contentKey writes to key the content key of a token's raw bytes:
// HKDF-SHA256 of them, with no salt and contentInfo as info, 32 bytes, the
// same as crypto/hkdf's Key. Every open and create derives one; the
// extract step's HMAC, whose key is fixed (the empty salt's zeros), comes
// from a pool already keyed, so that only the expand step's is new.
func contentKey(key *[32]byte, raw []byte) {
	extract := extracts.Get().(hash.Hash)
	defer extracts.Put(extract)
	extract.Reset()
	extract.Write(raw)
	var prk [sha256.Size]byte
	expand := hmac.New(sha256.New, extract.Sum(prk[:0]))
	expand.Write(contentInfo)
	expand.Sum(key[:0])
}

// extracts holds HMAC-SHA256s keyed with HKDF's empty salt.
var extracts = sync.Pool{New: func() any { return hmac.New(sha256.New, make([]byte, sha256.Size)) }}

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
