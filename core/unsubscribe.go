package core

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// An unsubscribe link stops the email notices of one account to one
// address without a sign-in (RFC 8058): a notice mail carries it as its
// List-Unsubscribe, and a mail provider posts to it from its own servers.
// Its token is no secret the database keeps but a tag, under the server
// key, of the account's id, the address the mail went to and the nonce
// drawn when that address was confirmed (NoticeAddress.UnsubscribeNonce),
// so that it stops working as soon as the account's notice address is
// another, or none, or the same one set again. It names the account, and
// holds the first UnsubscribeTagLen bytes of the tag.
const (
	// UnsubscribeTagLen is how much of the tag a token keeps: 128 bits,
	// as a link token's.
	UnsubscribeTagLen = 16
	// UnsubscribeTokenLen is the length of a token's text, the part of
	// its address after /unsubscribe/.
	UnsubscribeTokenLen = ((8+UnsubscribeTagLen)*8 + 5) / 6
	// unsubscribeNonceLen is how many random bytes a confirmed address's
	// nonce has.
	unsubscribeNonceLen = 16
)

// unsubscribeDomain is what an unsubscribe token's tag is of, before the
// account's id and the address; unsubscribeNonceDomain, before the id, the
// nonce's length and the nonce, and the address. The first tags the links
// of an address confirmed before nonces were kept, which stay as they were
// until the address is set again.
var (
	unsubscribeDomain      = []byte("oncelink unsubscribe v1\x00")
	unsubscribeNonceDomain = []byte("oncelink unsubscribe v2\x00")
)

// Refusals of an unsubscribe link: one that is not a token at all, and
// one whose account sends its notices to another address, or to none, or
// to the same one set again since (a link already used, a changed address,
// a deleted account, a forged tag: none can be told from the others, nor
// need be).
var (
	ErrUnsubscribeInvalid = Refusal(NotFound, "unsubscribe_invalid", "", "not_found")
	ErrUnsubscribeGone    = Refusal(Gone, "unsubscribe_gone", "", "link_no_longer_valid")
)

// Unsubscription is what an unsubscribe link stops: the notices of
// Account's to Address.
type Unsubscription struct {
	Account int64
	Address string
}

// UnsubscribeToken is the token of the link that stops account's email
// notices to its confirmed notice address a, as the store has it.
func (s *Service) UnsubscribeToken(account int64, a NoticeAddress) string {
	var v [8 + UnsubscribeTagLen]byte
	binary.BigEndian.PutUint64(v[:8], uint64(account))
	s.unsubscribeTag(v[8:], v[:8], a)
	return base64.RawURLEncoding.EncodeToString(v[:])
}

// unsubscribeTag writes to dst the tag of the account whose id is the
// eight bytes id and of its confirmed notice address a.
func (s *Service) unsubscribeTag(dst, id []byte, a NoticeAddress) {
	if a.UnsubscribeNonce == nil {
		s.tags.Tag(dst, unsubscribeDomain, append(id[:8:8], a.Address...))
		return
	}
	msg := append(id[:8:8], byte(len(a.UnsubscribeNonce)))
	msg = append(msg, a.UnsubscribeNonce...)
	s.tags.Tag(dst, unsubscribeNonceDomain, append(msg, a.Address...))
}

// unsubscribeEncoding is strict, as a link token's: a token has one
// spelling only.
var unsubscribeEncoding = base64.RawURLEncoding.Strict()

// parseUnsubscribe splits an unsubscribe token's text into the account's
// id and the tag, or refuses it with ErrUnsubscribeInvalid when it is not
// one's shape. It reads no more than UnsubscribeTokenLen characters.
func parseUnsubscribe(tok string) (account int64, v [8 + UnsubscribeTagLen]byte, err error) {
	if len(tok) != UnsubscribeTokenLen {
		return 0, v, ErrUnsubscribeInvalid
	}
	if n, err := unsubscribeEncoding.Decode(v[:], []byte(tok)); err != nil || n != len(v) {
		return 0, v, ErrUnsubscribeInvalid
	}
	account = int64(binary.BigEndian.Uint64(v[:8]))
	if account <= 0 {
		return 0, v, ErrUnsubscribeInvalid
	}
	return account, v, nil
}

// Unsubscription is what the unsubscribe link tok would stop, changing
// nothing: for the page that asks whether to, since mail scanners follow
// links. A token that is not one is ErrUnsubscribeInvalid; one whose
// account's notice address is no longer the one it was made for is
// ErrUnsubscribeGone.
func (s *Service) Unsubscription(ctx context.Context, tok string) (Unsubscription, error) {
	_, u, err := s.unsubscription(ctx, tok)
	return u, err
}

// unsubscription is Unsubscription, with the notice address it would stop
// as the store has it.
func (s *Service) unsubscription(ctx context.Context, tok string) (NoticeAddress, Unsubscription, error) {
	account, v, err := parseUnsubscribe(tok)
	if err != nil {
		return NoticeAddress{}, Unsubscription{}, err
	}
	a, err := s.store.NoticeAddress(ctx, account)
	if err != nil {
		return NoticeAddress{}, Unsubscription{}, fromStore(err)
	}
	var want [UnsubscribeTagLen]byte
	s.unsubscribeTag(want[:], v[:8], a)
	// The tag is compared in constant time, even when there is no
	// address to compare it for.
	if !hmac.Equal(want[:], v[8:]) || a.Address == "" {
		return NoticeAddress{}, Unsubscription{}, ErrUnsubscribeGone
	}
	return a, Unsubscription{Account: account, Address: a.Address}, nil
}

// UnsubscribeTurn takes c's turn at posting to the unsubscribe link tok.
// A text that is no token's shape is ErrUnsubscribeInvalid at once, and
// takes no turn.
func (s *Service) UnsubscribeTurn(ctx context.Context, tok string, c Client) (Turn, error) {
	if _, _, err := parseUnsubscribe(tok); err != nil {
		return Turn{}, err
	}
	return s.TakeTurn(ctx, UnsubscribeAction, c)
}

// Unsubscribe stops the email notices that the unsubscribe link tok was
// made for, on c's turn t at UnsubscribeAction: it removes the account's
// confirmed notice address, and the emails not yet sent to it, only while
// it is still the address the link was made for. Unlike
// RemoveNoticeAddress it leaves an address the owner set that is still
// waiting for its confirmation: the mailbox that unsubscribes speaks for
// itself alone. The token alone allows it, with no sign-in, since a mail
// provider posts it from its servers; it allows nothing else. A link whose
// address is no longer the account's, used already among them, is
// ErrUnsubscribeGone and changes nothing.
func (s *Service) Unsubscribe(ctx context.Context, t Turn, tok string) (Unsubscription, error) {
	if err := t.check(UnsubscribeAction); err != nil {
		return Unsubscription{}, err
	}
	a, u, err := s.unsubscription(ctx, tok)
	if err != nil {
		return Unsubscription{}, err
	}
	// The confirmed address alone, and only while it is still the one
	// the link was made for.
	err = fromStore(s.store.RemoveAddress(ctx, u.Account, &a))
	if errors.Is(err, ErrNotFound) {
		// Changed, set again or removed since it was read.
		return Unsubscription{}, ErrUnsubscribeGone
	}
	if err != nil {
		return Unsubscription{}, err
	}
	s.log.Info("notice address removed by its unsubscribe link", "account", u.Account)
	return u, nil
}
