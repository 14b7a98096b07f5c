// Package e2e is oncelink's end-to-end format, "oncelink-e2e v1": what the
// sender's client (a browser with WebCrypto, or the CLI) makes of a message,
// a web address or a file before it leaves, so that the server holds only
// ciphertext, and what the recipient's client makes of it again.
//
// The sender draws a 32-byte secret, which travels only in the link's
// fragment (BASE/l/TOKEN#SECRET, unpadded base64url). HKDF-SHA256 derives
// two values from it:
//
//   - the claim: HKDF(ikm=secret, salt="", info="oncelink-e2e v1 claim"), 32
//     bytes. The server keeps only SHA-256(claim), the check; an open must
//     present the claim, so a server's copy of the ciphertext goes only to
//     someone holding the fragment.
//   - the content key: HKDF(ikm=secret, salt=P, info="oncelink-e2e v1
//     content"), 32 bytes for AES-256-GCM, where P is empty without a link
//     password and PBKDF2-HMAC-SHA256(password, salt=secret, 600000
//     iterations, 32 bytes) with one.
//
// The ciphertext is the version byte 1, a two-byte big-endian length L, the
// sealed header (L bytes: JSON {"kind","name","type"}, chunk 0), then the
// content in chunks 1..n of ChunkSize bytes of plaintext (the last may be
// shorter, or empty), each sealed with AES-256-GCM. Chunk i's nonce is i as
// 8 big-endian bytes, three zero bytes and a final flag (1 on the last
// chunk, else 0); its associated data is the version byte, i (8 bytes) and
// the flag. Reordered, dropped, truncated or appended chunks therefore fail
// to open, as does any changed byte. The link's identity needs no place in
// the associated data: every link has a secret, and so a key, of its own.
package e2e

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

const (
	// Version is the format's version byte, the ciphertext's first.
	Version = 1
	// SecretLen is the length of a link's secret, in bytes.
	SecretLen = 32
	// ChunkSize is the plaintext of every content chunk but the last.
	ChunkSize = 64 << 10
	// Overhead is what sealing adds to each chunk: the GCM tag.
	Overhead = 16
	// MaxHeader bounds the header's JSON.
	MaxHeader = 4 << 10
	// PasswordIterations is PBKDF2's iteration count for a link password.
	PasswordIterations = 600000

	claimInfo   = "oncelink-e2e v1 claim"
	contentInfo = "oncelink-e2e v1 content"
)

// Errors of opening a ciphertext. ErrCorrupt covers a wrong key (or
// password) as much as changed bytes: GCM cannot tell them apart.
var (
	ErrVersion   = errors.New("e2e: not an oncelink-e2e v1 ciphertext")
	ErrCorrupt   = errors.New("e2e: the content does not decrypt: the key or password is wrong, or the ciphertext was changed")
	ErrTruncated = errors.New("e2e: the ciphertext is cut short")
	ErrSecret    = errors.New("the key after # in the link's address is not a valid key: copy the whole address")
	// ErrSecretLength is ErrSecret for a key of the wrong length, as a
	// cut address gives; errors.Is finds ErrSecret in it.
	ErrSecretLength error = secretError("the key after # in the link's address is not 43 characters long: copy the whole address")
)

// secretError is a malformed key that says more than ErrSecret, and is it.
type secretError string

func (e secretError) Error() string        { return string(e) }
func (e secretError) Is(target error) bool { return target == ErrSecret }

var encoding = base64.RawURLEncoding.Strict()

// Header is what the ciphertext says of its content, sealed: the kind of
// link ("message", "url" or "file") and, for a file, its name and type.
type Header struct {
	Kind string `json:"kind"`
	Name string `json:"name,omitempty"`
	Type string `json:"type,omitempty"`
}

// NewSecret draws a link's secret.
func NewSecret() []byte {
	b := make([]byte, SecretLen)
	rand.Read(b)
	return b
}

// EncodeSecret writes a secret as a link's fragment carries it.
func EncodeSecret(secret []byte) string { return encoding.EncodeToString(secret) }

// ParseSecret reads a link's fragment. Only the one encoding of a secret
// parses: the decoder would skip line breaks, so the length is checked first.
func ParseSecret(fragment string) ([]byte, error) {
	if len(fragment) != encoding.EncodedLen(SecretLen) {
		return nil, ErrSecretLength
	}
	b, err := encoding.DecodeString(fragment)
	if err != nil || len(b) != SecretLen {
		return nil, ErrSecret
	}
	return b, nil
}

// Claim is what an open presents to the server for the link of secret.
func Claim(secret []byte) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, claimInfo, 32)
	if err != nil {
		panic(err) // only for a length HKDF cannot give
	}
	return k
}

// Check is what the server keeps of a claim.
func Check(claim []byte) []byte {
	h := sha256.Sum256(claim)
	return h[:]
}

// Key derives the content key of the link of secret, with its password,
// if any ("" for none).
func Key(secret []byte, password string) []byte {
	var salt []byte
	if password != "" {
		var err error
		if salt, err = pbkdf2.Key(sha256.New, password, secret, PasswordIterations, 32); err != nil {
			panic(err)
		}
	}
	k, err := hkdf.Key(sha256.New, secret, salt, contentInfo, 32)
	if err != nil {
		panic(err)
	}
	return k
}

func newAEAD(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // a key of Key's is always 32 bytes
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// nonceAndData are chunk i's nonce and associated data.
func nonceAndData(i uint64, final bool) ([]byte, []byte) {
	nonce := make([]byte, 12)
	binary.BigEndian.PutUint64(nonce, i)
	ad := make([]byte, 10)
	ad[0] = Version
	binary.BigEndian.PutUint64(ad[1:], i)
	if final {
		nonce[11], ad[9] = 1, 1
	}
	return nonce, ad
}

// SealedSize is the length of the ciphertext of size bytes of content
// under a header of headerLen bytes of JSON.
func SealedSize(size int64, headerLen int) int64 {
	chunks := size/ChunkSize + 1
	if size > 0 && size%ChunkSize == 0 {
		chunks--
	}
	return 3 + int64(headerLen) + Overhead + size + chunks*Overhead
}

// Writer seals content into a ciphertext, one chunk at a time.
type Writer struct {
	w    io.Writer
	aead cipher.AEAD
	buf  []byte
	n    uint64
	err  error
}

// NewWriter writes the ciphertext's start, with h, to w under key, and
// returns the writer of its content; Close seals the last chunk.
func NewWriter(w io.Writer, key []byte, h Header) (*Writer, error) {
	hj, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	if len(hj) > MaxHeader {
		return nil, fmt.Errorf("e2e: the header has %d bytes, more than %d", len(hj), MaxHeader)
	}
	ew := &Writer{w: w, aead: newAEAD(key), buf: make([]byte, 0, ChunkSize), n: 1}
	nonce, ad := nonceAndData(0, false)
	sealed := ew.aead.Seal(nil, nonce, hj, ad)
	start := []byte{Version, 0, 0}
	binary.BigEndian.PutUint16(start[1:], uint16(len(sealed)))
	if _, err := w.Write(append(start, sealed...)); err != nil {
		return nil, err
	}
	return ew, nil
}

// Write seals p's bytes as chunks fill up.
func (w *Writer) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 && w.err == nil {
		if len(w.buf) == ChunkSize {
			w.flush(false) // more follows: not the last chunk
			continue
		}
		n := copy(w.buf[len(w.buf):ChunkSize], p)
		w.buf = w.buf[:len(w.buf)+n]
		p, written = p[n:], written+n
	}
	return written, w.err
}

func (w *Writer) flush(final bool) {
	nonce, ad := nonceAndData(w.n, final)
	if _, err := w.w.Write(w.aead.Seal(nil, nonce, w.buf, ad)); err != nil {
		w.err = err
	}
	w.n++
	w.buf = w.buf[:0]
}

// Close seals the last chunk, which may be empty. It does not close the
// underlying writer.
func (w *Writer) Close() error {
	if w.err == nil {
		w.flush(true)
	}
	return w.err
}

// Reader opens a ciphertext's content, one chunk at a time: memory holds
// one chunk whatever the size, and no byte is given before its chunk is
// authenticated.
type Reader struct {
	Header Header
	r      *bufio.Reader
	aead   cipher.AEAD
	sealed []byte
	buf    []byte // plain holds into it
	plain  []byte
	n      uint64
	done   bool
}

// NewReader reads the ciphertext's start from r and opens its header
// under key.
func NewReader(r io.Reader, key []byte) (*Reader, error) {
	er := &Reader{r: bufio.NewReaderSize(r, ChunkSize+Overhead+1), aead: newAEAD(key), n: 1}
	var start [3]byte
	if _, err := io.ReadFull(er.r, start[:]); err != nil {
		return nil, ErrTruncated
	}
	if start[0] != Version {
		return nil, ErrVersion
	}
	l := int(binary.BigEndian.Uint16(start[1:]))
	if l < Overhead || l > MaxHeader+Overhead {
		return nil, ErrCorrupt
	}
	sealed := make([]byte, l)
	if _, err := io.ReadFull(er.r, sealed); err != nil {
		return nil, ErrTruncated
	}
	nonce, ad := nonceAndData(0, false)
	hj, err := er.aead.Open(nil, nonce, sealed, ad)
	if err != nil {
		return nil, ErrCorrupt
	}
	if err := json.Unmarshal(hj, &er.Header); err != nil {
		return nil, ErrCorrupt
	}
	er.sealed = make([]byte, ChunkSize+Overhead)
	er.buf = make([]byte, ChunkSize)
	return er, nil
}

// Read gives the content's bytes, chunk by authenticated chunk; a
// ciphertext that stops before its final chunk is ErrTruncated, one
// changed is ErrCorrupt.
func (r *Reader) Read(p []byte) (int, error) {
	for len(r.plain) == 0 {
		if r.done {
			return 0, io.EOF
		}
		n, err := io.ReadFull(r.r, r.sealed)
		switch {
		case errors.Is(err, io.EOF):
			return 0, ErrTruncated
		case errors.Is(err, io.ErrUnexpectedEOF):
			r.done = true
		case err != nil:
			return 0, err
		default:
			if _, err := r.r.Peek(1); errors.Is(err, io.EOF) {
				r.done = true
			} else if err != nil {
				return 0, err
			}
		}
		if n < Overhead {
			return 0, ErrTruncated
		}
		nonce, ad := nonceAndData(r.n, r.done)
		plain, err := r.aead.Open(r.buf[:0], nonce, r.sealed[:n], ad)
		if err != nil {
			if r.done && n == len(r.sealed) {
				// A whole chunk sealed as not the last: the rest was cut.
				nonce, ad := nonceAndData(r.n, false)
				if _, err := r.aead.Open(nil, nonce, r.sealed[:n], ad); err == nil {
					return 0, ErrTruncated
				}
			}
			return 0, ErrCorrupt
		}
		r.plain = plain
		r.n++
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	return n, nil
}

// Seal is the ciphertext of content under key, at once: for a message or a
// web address.
func Seal(key []byte, h Header, content []byte) []byte {
	var b bytes.Buffer
	w, err := NewWriter(&b, key, h)
	if err == nil {
		w.Write(content)
		err = w.Close()
	}
	if err != nil {
		panic(err) // writing to memory does not fail; the header is ours
	}
	return b.Bytes()
}

// Open is the content of a whole ciphertext under key, with its header.
func Open(key, ciphertext []byte) (Header, []byte, error) {
	r, err := NewReader(bytes.NewReader(ciphertext), key)
	if err != nil {
		return Header{}, nil, err
	}
	content, err := io.ReadAll(r)
	return r.Header, content, err
}
