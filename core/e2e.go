package core

import (
	"crypto/subtle"
	"encoding/base64"
	"sort"

	"oncelink/e2e"
)

// End-to-end links: the sender's client encrypts (see package e2e) and the
// server keeps what it is given, ciphertext and the SHA-256 of the claim
// that opening needs; it never has the key, which travels in the link's
// fragment. The server bounds such content, keeps it sealed under the token
// like any other, and neither sniffs nor shows it: the plaintext's kind,
// name and type travel inside the ciphertext.

// What an end-to-end link's ciphertext is kept and sent as.
const (
	e2eFileName = "oncelink-e2e.bin"
	e2eType     = "application/octet-stream"
)

// MaxE2EText bounds the ciphertext of an end-to-end message or web
// address: the largest message, sealed, with room for its header.
var MaxE2EText = e2e.SealedSize(MaxMessageBytes, e2e.MaxHeader)

// SetE2E marks d's file, when value turns it on ("1", "true" or "on"), as
// an end-to-end link's ciphertext: it is bounded by MaxE2EUpload, and kept
// whatever the link's kind, without a name and unsniffed. A form sends the
// field before its file. Any value but those and the ones that turn it off
// ("", "0", "false" or "off") makes Create refuse the link.
func (d *Draft) SetE2E(value string) {
	switch value {
	case "1", "true", "on":
		d.e2e = true
	case "", "0", "false", "off":
	default:
		d.e2eInvalid = true
	}
}

// largestUpload is the largest file a form may carry, of either mode.
func (s *Service) largestUpload() int64 { return max(s.cfg.MaxUpload, s.cfg.MaxE2EUpload) }

// LargestForm is the largest create form the server takes: its largest
// file and the form's other fields.
func (s *Service) LargestForm() int64 { return s.largestUpload() + MaxFormBytes }

// e2eTooLarge refuses an end-to-end file past MaxE2EUpload.
func (s *Service) e2eTooLarge() *Error { return FileTooLarge(s.cfg.MaxE2EUpload, true) }

// FileTooLarge refuses a file past limit: a server's MaxUpload, or its
// MaxE2EUpload for an end-to-end file, whose limit is the ciphertext's,
// which the sender never sees: that refusal names the largest file that
// fits too. A client that knows the limit says it before sending the file.
func FileTooLarge(limit int64, e2e bool) *Error {
	if e2e {
		return Variant(TooLarge, "file_too_large", "e2e", "file", "too_large", "Size", Size(limit),
			"Largest", Size(LargestE2EFile(limit)))
	}
	return Variant(TooLarge, "file_too_large", "plain", "file", "too_large", "Size", Size(limit))
}

// MinE2EUpload is the smallest MaxE2EUpload that a file fits under, one
// of a byte, whatever its name: under a smaller limit every end-to-end
// file would be refused, and the refusal would name a largest file of 0
// bytes.
var MinE2EUpload = e2e.SealedSize(1, e2e.MaxHeader)

// LargestE2EFile is the largest file whose end-to-end ciphertext fits in
// limit bytes, whatever its name and type: sealing adds the header, of at
// most e2e.MaxHeader bytes, and a tag to every chunk, as e2e.SealedSize
// counts them. It is zero when not even an empty file fits.
func LargestE2EFile(limit int64) int64 {
	// SealedSize grows with the size: the first size that does not fit,
	// less one.
	tooLarge := sort.Search(int(limit)+1, func(n int) bool { return e2e.SealedSize(int64(n), e2e.MaxHeader) > limit })
	return max(int64(tooLarge)-1, 0)
}

// ErrWrongKey refuses an open of an end-to-end link whose claim is not the
// link's: the address was not copied whole. Like a wrong password it takes
// no use, and it counts against the same limits.
var ErrWrongKey = Refusal(Forbidden, "wrong_key", "claim", "wrong_key")

var errClaimMissing = invalid("e2e_claim_missing", "claim")

// errClaimInvalid refuses, before any use is taken or any try spent, a
// claim that cannot be one: not 32 bytes in unpadded base64url. It is
// bad input, not a guess at the key.
var errClaimInvalid = invalid("e2e_claim_invalid", "claim")

// errNotEndToEnd refuses, before any use is taken, a claim sent to a link
// the server sealed: its opener expects content that the key in the
// address seals, which this link's is not.
var errNotEndToEnd = invalid("not_e2e", "claim")

// e2eCheck reads the check a create sends for an end-to-end link: the
// SHA-256 of the claim, in unpadded base64url.
func e2eCheck(text string) ([]byte, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(text)
	if err != nil || len(b) != 32 {
		return nil, invalid("e2e_check_invalid", "e2e_check")
	}
	return b, nil
}

// checkE2E checks the create of an end-to-end link, in and d's
// ciphertext, as CheckContent checks a server-sealed one's content, and
// returns the check the link keeps.
func checkE2E(in LinkInput, d *Draft) ([]byte, error) {
	switch {
	case d.e2eInvalid:
		return nil, invalid("e2e_invalid", "e2e")
	case in.E2ECheck == "":
		return nil, invalid("e2e_check_missing", "e2e_check")
	}
	check, err := e2eCheck(in.E2ECheck)
	if err != nil {
		return nil, err
	}
	switch {
	case in.Kind != KindMessage && in.Kind != KindURL && in.Kind != KindFile:
		return nil, invalid("kind_unknown", "kind")
	case d.file == nil || !d.file.e2e:
		// No file, or one that came before the field that made it
		// ciphertext, and was received as a plain file.
		return nil, invalid("e2e_content_missing", "file")
	case d.file.size < e2e.SealedSize(0, 2):
		return nil, invalid("e2e_content_invalid", "file")
	case in.Kind != KindFile && d.file.size > MaxE2EText:
		return nil, ErrMessageTooLong
	}
	return check, nil
}

// claimBytes reads an open's claim: 32 bytes in unpadded base64url, or
// errClaimInvalid.
func claimBytes(claim string) ([]byte, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(claim)
	if err != nil || len(b) != 32 {
		return nil, errClaimInvalid
	}
	return b, nil
}

// checkClaim compares an open's claim, read by claimBytes, with l's
// check, in constant time.
func checkClaim(l Link, claim []byte) error {
	if subtle.ConstantTimeCompare(e2e.Check(claim), l.E2ECheck) != 1 {
		return ErrWrongKey
	}
	return nil
}
