package core

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/bcrypt"

	"oncelink/live"
	"oncelink/sniff"
	"oncelink/store"
	"oncelink/token"
)

// A recipient's request about a link: who sends it, as whom, with which
// grants.
type Recipient struct {
	Client Client
	// Viewer is the signed-in account, or nil: a link for one user opens
	// only for that account.
	Viewer *Account
	// Grants are the grant values the recipient's browser holds (see
	// Opened.Grant), if any.
	Grants []string
	// Claim is what the recipient's client derived from the key in an
	// end-to-end link's fragment (unpadded base64url, see package e2e):
	// such a link opens only with its claim.
	Claim string
	// Refused is a RefusedNote the recipient's browser brings back from a
	// refused open, if any.
	Refused string
}

// Sight is what a recipient may see of a link before opening it; or, for a
// browser that holds a grant for it, the link opened again.
type Sight struct {
	Link Link
	// WrongUser is set when the link is for another account than the
	// viewer.
	WrongUser bool
	// Owner is set when the viewer owns the link, live or dead: they see
	// how it stands rather than a recipient's page, and their look is
	// neither recorded nor told as a view.
	Owner bool
	// Lockout, when not zero, is how long until the rate limits let this
	// recipient try to open the link: a look over the limit of opens and
	// views, or a password link whose allowance is spent, for this link
	// or this client. Until then an open is refused.
	Lockout time.Duration
	// AttemptsLeft, for a password link that can be opened, is how many
	// passwords this recipient may still try before the limits hold the
	// next one back: the lower of the link's allowance and the client's.
	// It is -1 when no limit counts them.
	AttemptsLeft int
	// Opened is set when a grant lets the recipient see the content again.
	Opened *Opened
	// Refused is the refusal of the open that Recipient.Refused tells of,
	// when that is a note of this link's: the look is then not a view.
	Refused *Error
}

// HeldBack is the refusal of an open while Lockout holds the recipient
// back: Limited, with how long to wait; nil when nothing does. Told right
// after a refused open, as its page says it, it is the wait that the last
// wrong password began.
func (s Sight) HeldBack() error {
	if s.Lockout <= 0 {
		return nil
	}
	return limited(s.Lockout)
}

// Token is a link's token as the recipient's address gives it, checked:
// a token this server did not make is ErrLinkNotFound before any query.
func (s *Service) Token(text string) (token.Token, error) {
	tok, err := token.Parse(s.tags, text)
	if err != nil {
		return tok, ErrLinkNotFound
	}
	return tok, nil
}

// OpenTurn takes c's turn at opening, or filling, the link or request that
// tokText names. A text that is no token of this server is not found at
// once, in constant time and without the database, and takes no turn:
// guessing a token means forging its tag, which no number of tries helps.
func (s *Service) OpenTurn(ctx context.Context, tokText string, c Client) (Turn, error) {
	if _, err := s.Token(tokText); err != nil {
		return Turn{}, err
	}
	return s.TakeTurn(ctx, OpenAction, c)
}

// lookNotFound is err, what the look for a token of this server's found:
// when that is ErrLinkNotFound, a link or request gone for good, it is
// refused as refuseLook says.
func (s *Service) lookNotFound(ctx context.Context, err error, record bool, c Client) error {
	if errors.Is(err, ErrLinkNotFound) {
		return s.refuseLook(ctx, ErrLinkNotFound, record, c)
	}
	return err
}

// refuseLook is refusal, the answer to c's look at a link or request it
// may not see (dead, gone for good, or a file it has not opened), once the
// look, if recorded (a GET, not a HEAD), has taken c's open turn, as a
// live link's page does: otherwise a client held back from opening could
// go on asking about links without end. Over the limit it is a Limited
// *Error.
func (s *Service) refuseLook(ctx context.Context, refusal *Error, record bool, c Client) error {
	if record {
		if err := s.take(ctx, s.limits.open, c.key()); err != nil {
			return err
		}
	}
	return refusal
}

// Look is a recipient's look at a link. It never consumes: previews,
// scanners and browsers alike only look. With record set (a GET, not a
// HEAD) the look is rate limited, recorded as a view and told to the
// owner's streams. A dead link is a Gone *Error, except to its owner (see
// Sight.Owner), a link gone for good ErrLinkNotFound, a link for one
// account whose grant r's browser holds while not signed in as it a
// Forbidden *Error that says so and records no view (see
// grantedToAnother), live or dead, and a link that
// rests while its owner's account is disabled ErrLinkResting, even to a
// browser holding its grant, and recorded as no view; with record set,
// each look is limited as a live link's, and over the limit it is a
// Limited *Error. A text that is no token of this server is
// ErrLinkNotFound at once, as OpenTurn says.
func (s *Service) Look(ctx context.Context, tokText string, r Recipient, record bool) (Sight, error) {
	tok, err := s.Token(tokText)
	if err != nil {
		return Sight{}, err
	}
	l, err := s.store.LinkByHash(ctx, tok.Hash())
	if err != nil {
		return Sight{}, s.lookNotFound(ctx, fromToken(err), record, r.Client)
	}
	if s.rests(l, r) {
		return Sight{}, s.refuseLook(ctx, ErrLinkResting, record, r.Client)
	}
	if s.granted(r, l) {
		o, err := s.content(ctx, tok, l)
		return Sight{Link: l, Opened: &o}, err
	}
	if r.Viewer != nil && r.Viewer.ID == l.OwnerID {
		sight := Sight{Link: l, Owner: true}
		if s.refused(tok, r.Refused) {
			// The page after the owner's own refused open says so,
			// as a recipient's does.
			sight.Refused = ErrWrongPassword
		}
		err := s.passwordAllowance(ctx, &sight, r.Client)
		return sight, err
	}
	if refusal := s.grantedToAnother(r, l); refusal != nil {
		// Not a view: what the browser was shown is its account's.
		return Sight{}, s.refuseLook(ctx, refusal, record, r.Client)
	}
	if st := l.Status(s.Now()); st != Active {
		// Limited as a live link's page is, though not recorded.
		return Sight{}, s.refuseLook(ctx, gone(st), record, r.Client)
	}
	sight := Sight{Link: l, WrongUser: wrongUser(l, r.Viewer)}
	if s.refused(tok, r.Refused) {
		// The page after a refused open: the audit trail has the open.
		sight.Refused, record = ErrWrongPassword, false
	}
	if record {
		// Views are recorded, so they are limited with opens: a client
		// reloading the page cannot grow the audit trail without end. A
		// look over the limit is not recorded, and is told how long to
		// wait.
		err := s.take(ctx, s.limits.open, r.Client.key())
		if e, ok := AsError(err); ok && e.Kind == Limited {
			sight.Lockout = e.RetryAfter
		} else if err != nil {
			return Sight{}, err
		} else {
			if err := s.store.RecordView(ctx, l.ID, s.event(r.Client)); err != nil {
				return Sight{}, err
			}
			s.Publish(ctx, live.Event{Owner: l.OwnerID, Link: l.ID, What: live.Viewed})
		}
	}
	if err := s.passwordAllowance(ctx, &sight, r.Client); err != nil {
		return Sight{}, err
	}
	return sight, nil
}

// passwordAllowance tells sight, of a password link that can be opened,
// how many passwords c may still try (AttemptsLeft), and, when none,
// how long until one (Lockout). It takes nothing from the limits.
func (s *Service) passwordAllowance(ctx context.Context, sight *Sight, c Client) error {
	l := sight.Link
	if !l.HasPassword() || l.Status(s.Now()) != Active {
		return nil
	}
	forLink, linkWait, err := s.limits.linkPassword.left(ctx, string(l.TokenHash), s.Now())
	if err != nil {
		return err
	}
	forClient, clientWait, err := s.limits.linkPasswordClient.left(ctx, c.key(), s.Now())
	if err != nil {
		return err
	}
	sight.AttemptsLeft = forLink
	if forLink < 0 || (forClient >= 0 && forClient < forLink) {
		sight.AttemptsLeft = forClient
	}
	sight.Lockout = max(sight.Lockout, linkWait, clientWait)
	return nil
}

func wrongUser(l Link, viewer *Account) bool {
	return l.ForUserID != 0 && (viewer == nil || viewer.ID != l.ForUserID)
}

// Opened is a link's content, delivered.
type Opened struct {
	Link    Link
	Message string // of a message link
	URL     string // of a URL link
	File    *File  // of a file link
	// Used is set when this open took a use, which the owner's streams
	// are told of (Event) once the recipient has their answer; an open by
	// grant took none.
	Used bool
	// Grant, with Used, lets the recipient's browser open the link again
	// until GrantEnds without taking another use; see Recipient.Grants.
	Grant     string
	GrantEnds time.Time
}

// Event is what the owner's streams are told of a use.
func (o Opened) Event() live.Event {
	return live.Event{Owner: o.Link.OwnerID, Link: o.Link.ID, What: live.Used}
}

// File is an opened file link's file.
type File struct {
	Name string
	// Type is the type sniffed from the file's content.
	Type string
	// Media is "audio" or "video" for a file the player plays, else "".
	Media string
	Size  int64
	// link and tok are what Service.FileContent reads the file's sealed
	// chunks with, for as long as the open's ctx lasts.
	link Link
	tok  token.Token
}

// Open takes one use of the link and delivers its content, on the
// recipient's turn t at OpenAction. A password link checks password first
// (a wrong one is recorded and takes no use); a link for one user opens
// only for r.Viewer. A browser that holds a grant for the link gets it
// again without taking another use; one that holds it for a link for an
// account it is not signed in as is refused as Look refuses it, and nothing
// is taken or recorded. Under any concurrency exactly max_uses
// opens succeed. While the owner's account is disabled the link rests: an
// open is ErrLinkResting, before any password is tried, and takes nothing
// of it, which the same conditional write that takes a use checks. The
// caller publishes o.Event() once it has answered, when o.Used.
func (s *Service) Open(ctx context.Context, t Turn, tokText, password string, r Recipient) (Opened, error) {
	tok, err := s.Token(tokText)
	if err != nil {
		return Opened{}, err
	}
	if err := t.check(OpenAction); err != nil {
		return Opened{}, err
	}
	if len(password) > MaxPasswordBytes {
		// No link has such a password: refused before any use is taken.
		return Opened{}, ErrLinkPasswordTooLong
	}
	var claim []byte
	if r.Claim != "" {
		// Nor is anything guessed with what cannot be a claim: refused
		// before any use is taken or any try spent.
		if claim, err = claimBytes(r.Claim); err != nil {
			return Opened{}, err
		}
	}
	// Most links have no password and no recipient account, and most
	// opens carry no grant: one conditional write then does everything.
	if len(r.Grants) == 0 && r.Claim == "" {
		used, err := s.store.ConsumeUnprotected(ctx, tok.Hash(), s.event(r.Client))
		if err == nil {
			return s.opened(ctx, tok, used)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return Opened{}, err
		}
	}
	l, err := s.store.LinkByHash(ctx, tok.Hash())
	if err != nil {
		return Opened{}, fromToken(err)
	}
	if s.rests(l, r) {
		return Opened{}, ErrLinkResting
	}
	if s.granted(r, l) {
		return s.content(ctx, tok, l)
	}
	if refusal := s.grantedToAnother(r, l); refusal != nil {
		// Its account's again once it signs in: no use is taken, and no
		// late open recorded.
		return Opened{}, refusal
	}
	if st := l.Status(s.Now()); st != Active {
		return Opened{}, s.refuseGone(ctx, l, st, r.Client)
	}
	if wrongUser(l, r.Viewer) {
		return Opened{}, Variant(Forbidden, "wrong_user", "plain", "", "not_for_this_account", "Name", l.ForUserName)
	}
	if l.EndToEnd() && r.Claim == "" {
		return Opened{}, errClaimMissing
	}
	if !l.EndToEnd() && r.Claim != "" {
		return Opened{}, errNotEndToEnd
	}
	if l.HasPassword() && password == "" {
		// Nothing was guessed: no attempt is spent, and none recorded.
		return Opened{}, ErrPasswordMissing
	}
	if err := s.checkPasswordAndClaim(ctx, l, password, claim, r.Client); err != nil {
		return Opened{}, err
	}
	used, err := s.store.Consume(ctx, l.ID, s.event(r.Client))
	if errors.Is(err, store.ErrGone) {
		// It died since the lookup: used up, expired or revoked meanwhile;
		// or its owner was disabled, and it rests.
		st := Used
		if now, err := s.store.LinkByHash(ctx, tok.Hash()); err == nil {
			if s.rests(now, Recipient{}) {
				return Opened{}, ErrLinkResting
			}
			st = now.Status(s.Now())
		}
		return Opened{}, s.refuseGone(ctx, l, st, r.Client)
	}
	if err != nil {
		return Opened{}, err
	}
	return s.opened(ctx, tok, used)
}

// checkPasswordAndClaim checks what c brought to open l, which takes it: the claim
// of an end-to-end link, the password of a password link. A wrong claim
// counts like a wrong password: guessing either is held to the same
// limits. A wrong password is recorded in l's audit trail, and told to
// its owner's streams.
func (s *Service) checkPasswordAndClaim(ctx context.Context, l Link, password string, claim []byte, c Client) error {
	if !l.HasPassword() && !l.EndToEnd() {
		return nil
	}
	if err := s.take(ctx, s.limits.linkPassword, string(l.TokenHash)); err != nil {
		return err
	}
	if err := s.take(ctx, s.limits.linkPasswordClient, c.key()); err != nil {
		return err
	}
	if l.EndToEnd() {
		if err := checkClaim(l, claim); err != nil {
			return err
		}
	}
	if l.HasPassword() && bcrypt.CompareHashAndPassword([]byte(l.PasswordHash), []byte(password)) != nil {
		if err := s.store.RecordWrongPassword(ctx, l.ID, s.event(c)); err != nil {
			return err
		}
		s.Publish(ctx, live.Event{Owner: l.OwnerID, Link: l.ID, What: live.Refused})
		return ErrWrongPassword
	}
	return nil
}

// refuseGone refuses c's open of l, dead with status st, and records the
// attempt in l's audit trail, so that its owner sees who came too late, and
// tells the owner's streams. The attempt was taken from c's open limit like
// any open; beyond that, at most goneRecords attempts a link are recorded,
// and told.
func (s *Service) refuseGone(ctx context.Context, l Link, st Status, c Client) error {
	record, _, err := s.limits.gone.allow(ctx, string(l.TokenHash), s.Now())
	if err != nil {
		return err
	}
	if record {
		if err := s.store.RecordGone(ctx, l.ID, s.event(c)); err != nil {
			return err
		}
		s.Publish(ctx, live.Event{Owner: l.OwnerID, Link: l.ID, What: live.Refused})
	}
	return gone(st)
}

// ErrLinkResting refuses to open, or show, a link while its owner's account
// is disabled: the link rests, its uses and its expiry as they were, until
// the account is enabled. It says no one's name.
var ErrLinkResting = Variant(Forbidden, "owner_disabled", "link", "", "link_on_hold")

// rests reports whether l, which would open, or show again to r's browser
// by its grant, rests because its owner's account is disabled. A link dead
// anyway is refused as dead: enabling its owner brings it back no more than
// it would a link of an enabled account. A grant for a link for one
// account counts whoever is signed in (holdsGrant): signing in as that
// account would only show that the link rests.
func (s *Service) rests(l Link, r Recipient) bool {
	return l.OwnerDisabled && (l.Status(s.Now()) == Active || s.holdsGrant(r, l))
}

// ErrNotOpened refuses a file link's file to a browser that has not opened
// the link: its page opens it.
var ErrNotOpened = Refusal(Forbidden, "not_opened", "", "open_link_first")

// ErrWrongPassword refuses an open whose link password is wrong, and
// ErrPasswordMissing one that gave none: the same refusal to a program,
// told apart in words.
var (
	ErrWrongPassword   = Variant(Forbidden, "wrong_password", "link", "password", "wrong_password")
	ErrPasswordMissing = Variant(Forbidden, "wrong_password", "missing", "password", "wrong_password")
)

// opened delivers the use of l just taken, with its grant.
func (s *Service) opened(ctx context.Context, tok token.Token, l Link) (Opened, error) {
	o, err := s.content(ctx, tok, l)
	if err != nil {
		return o, err
	}
	o.Used = true
	o.Grant = s.grant(l, o.GrantEnds)
	return o, nil
}

// content opens l's content for a recipient who may have it.
func (s *Service) content(ctx context.Context, tok token.Token, l Link) (Opened, error) {
	o := Opened{Link: l, GrantEnds: l.GrantEnds(s.cfg.GrantTTL)}
	if l.Kind == KindFile || l.EndToEnd() {
		if !l.ContentDeletedAt.IsZero() {
			return Opened{}, gone(l.Status(s.Now()))
		}
		m, err := openMeta(tok, l)
		if err != nil {
			return Opened{}, err
		}
		o.File = &File{Name: m.Name, Type: m.Type, Media: sniff.MediaKind(m.Type), Size: l.Size, link: l, tok: tok}
		return o, nil
	}
	sealed := l.Content
	if sealed == nil { // not read along with the link, as on a grant's reload
		var err error
		sealed, err = s.store.Chunk(ctx, l.ID, 0)
		switch {
		case errors.Is(err, store.ErrGone):
			return Opened{}, gone(l.Status(s.Now()))
		case err != nil:
			return Opened{}, err
		}
	}
	content, err := tok.Box().Open(token.Content, 0, true, sealed)
	if err != nil {
		return Opened{}, err
	}
	if l.Kind == KindURL {
		o.URL = string(content)
	} else {
		o.Message = string(content)
	}
	return o, nil
}

// GrantedFile is the file of a file link for r's browser, which holds its
// grant; a browser that holds it for a link for one account that it is not
// signed in as, as the link's page is (see grantedToAnother); any other is
// refused with a Forbidden *Error while the link can still be opened and a
// Gone one once it cannot; and every browser with
// ErrLinkResting while the owner's account is disabled. With record set (a GET,
// not a HEAD), a refusal takes r's open turn as the link's page does (see
// refuseLook), but for the link's owner; the grant's downloads, range
// after range, take none. A text that is no token of this server is
// ErrLinkNotFound at once, as OpenTurn says.
func (s *Service) GrantedFile(ctx context.Context, tokText string, r Recipient, record bool) (*File, error) {
	tok, err := s.Token(tokText)
	if err != nil {
		return nil, err
	}
	l, err := s.store.LinkByHash(ctx, tok.Hash())
	if err != nil {
		return nil, s.lookNotFound(ctx, fromToken(err), record, r.Client)
	}
	if s.rests(l, r) {
		return nil, s.refuseLook(ctx, ErrLinkResting, record, r.Client)
	}
	if l.Kind == KindFile && s.granted(r, l) {
		o, err := s.content(ctx, tok, l)
		return o.File, err
	}
	refusal := s.grantedToAnother(r, l)
	switch st := l.Status(s.Now()); {
	case l.Kind != KindFile:
		refusal = ErrLinkNotFound
	case refusal != nil: // its account's, once it signs in again
	case st != Active:
		refusal = gone(st)
	default:
		refusal = ErrNotOpened
	}
	owner := r.Viewer != nil && r.Viewer.ID == l.OwnerID
	return nil, s.refuseLook(ctx, refusal, record && !owner, r.Client)
}

// FileContent reads f, for as long as ctx lasts, opening one sealed chunk
// at a time and only the chunks that a read reaches: a range costs the
// chunks it covers, and memory holds one chunk. A download that began
// within the grant window finishes after it: while it reads, it keeps
// the content from the sweep.
func (s *Service) FileContent(ctx context.Context, f *File) io.ReadSeeker {
	return &sealedFile{ctx: ctx, store: s.store, now: s.Now, id: f.link.ID, box: f.tok.Box(), size: f.Size, seq: -1,
		kept: f.link.GrantEnds(s.cfg.GrantTTL)}
}

// A download keeps its file's content keepContentFor ahead of the time it
// reads, renewed once half of that is left: one write a minute, and only
// for downloads that outlast the grant window. One that reads nothing for
// longer may find the content gone.
const keepContentFor = 2 * time.Minute

// CreatedAt is when f's link was made, as its last modification.
func (f *File) CreatedAt() time.Time { return f.link.CreatedAt }

type sealedFile struct {
	ctx   context.Context
	store Store
	now   func() time.Time
	id    int64
	box   token.Box
	size  int64
	off   int64
	seq   int // the chunk in plain, or -1
	plain []byte
	kept  time.Time // until when the content is known to stay
}

func (f *sealedFile) Read(p []byte) (int, error) {
	if f.off >= f.size {
		return 0, io.EOF
	}
	seq := int(f.off / token.ChunkSize)
	if seq != f.seq {
		if now := f.now(); f.kept.Sub(now) <= keepContentFor/2 {
			if err := f.store.KeepContent(f.ctx, f.id, now.Add(keepContentFor)); err != nil {
				return 0, err
			}
			f.kept = now.Add(keepContentFor)
		}
		sealed, err := f.store.Chunk(f.ctx, f.id, seq)
		if err != nil {
			return 0, err
		}
		start := int64(seq) * token.ChunkSize
		last := start+token.ChunkSize >= f.size
		plain, err := f.box.Open(token.Content, uint64(seq), last, sealed)
		if err != nil {
			return 0, fmt.Errorf("open chunk %d of link %d: %w", seq, f.id, err)
		}
		if int64(len(plain)) != min(token.ChunkSize, f.size-start) {
			return 0, fmt.Errorf("chunk %d of link %d has %d bytes", seq, f.id, len(plain))
		}
		f.seq, f.plain = seq, plain
	}
	n := copy(p, f.plain[f.off-int64(seq)*token.ChunkSize:])
	f.off += int64(n)
	return n, nil
}

func (f *sealedFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += f.size
	}
	if offset < 0 {
		return 0, errors.New("seek before the start of the file")
	}
	f.off = offset
	return offset, nil
}

// A grant lets the browser that consumed a link see its content again
// until the grant ends, GrantTTL after the last use. It is a stamp of the
// link's id: another browser does not have it and cannot make one.
func (s *Service) grant(l Link, ends time.Time) string {
	return s.stamp(grantDomain, l.ID, ends)
}

// granted reports whether r holds an unexpired grant for l. A link for
// one account shows again only while that account is signed in: once it
// signs out, the browser's grant no longer shows what was for it alone.
func (s *Service) granted(r Recipient, l Link) bool {
	return !wrongUser(l, r.Viewer) && s.holdsGrant(r, l)
}

// holdsGrant reports whether r's browser holds an unexpired grant for l,
// not revoked since, whoever is signed in there.
func (s *Service) holdsGrant(r Recipient, l Link) bool {
	return l.RevokedAt.IsZero() && s.stamped(grantDomain, r.Grants, l.ID)
}

// grantedToAnother is the refusal to show l again to r's browser, which
// holds an unexpired grant for it, when l is for one account and r is not
// signed in as it (see granted): what the grant would show is that
// account's, and shows again once it signs in there. It names that
// account, as the refusal of its open does, and nothing else of l; it is
// nil when r holds no such grant.
func (s *Service) grantedToAnother(r Recipient, l Link) *Error {
	if !wrongUser(l, r.Viewer) || !s.holdsGrant(r, l) {
		return nil
	}
	if r.Viewer != nil {
		return Variant(Forbidden, "wrong_user", "granted_other", "", "not_for_this_account",
			"Name", l.ForUserName, "Viewer", r.Viewer.Username)
	}
	return SignsIn(Variant(Forbidden, "wrong_user", "granted", "", "not_for_this_account", "Name", l.ForUserName))
}

// stamp is what a grant or a receipt holds: an id and the stamp's end,
// tagged with the server key under domain.
func (s *Service) stamp(domain []byte, id int64, ends time.Time) string {
	var v [16 + sha256.Size]byte
	binary.BigEndian.PutUint64(v[:8], uint64(id))
	binary.BigEndian.PutUint64(v[8:16], uint64(ends.UnixMilli()))
	s.tags.Tag(v[16:], domain, v[:16])
	return base64.RawURLEncoding.EncodeToString(v[:])
}

// stamped reports whether one of stamps is an unexpired stamp of id under
// domain.
func (s *Service) stamped(domain []byte, stamps []string, id int64) bool {
	for _, st := range stamps {
		v, err := base64.RawURLEncoding.DecodeString(st)
		if err != nil || len(v) != 16+sha256.Size {
			continue
		}
		var tag [sha256.Size]byte
		if s.tags.Tag(tag[:], domain, v[:16]); !hmac.Equal(v[16:], tag[:]) {
			continue
		}
		got, ends := int64(binary.BigEndian.Uint64(v[:8])), int64(binary.BigEndian.Uint64(v[8:16]))
		if got == id && s.Now().Before(time.UnixMilli(ends)) {
			return true
		}
	}
	return false
}

// grantDomain is what a grant's tag is of, before the grant's own bytes.
var grantDomain = []byte("oncelink grant v1\x00")

// RefusedNoteTTL is how long a RefusedNote is good for.
const RefusedNoteTTL = time.Minute

// RefusedNote is what the browser carries from an open of link tokText
// refused with ErrWrongPassword back to the link's page (as
// Recipient.Refused), which then says so and records no view: the audit
// trail has the refused open already. It holds the link's token hash and
// its end, RefusedNoteTTL away, tagged with the server key, so that no one
// can make one to look at a link unrecorded.
func (s *Service) RefusedNote(tokText string) string {
	tok, err := s.Token(tokText)
	if err != nil {
		return ""
	}
	return s.refusedNote(tok, s.Now().Add(RefusedNoteTTL).UnixMilli())
}

func (s *Service) refusedNote(tok token.Token, ends int64) string {
	var v [8 + sha256.Size]byte
	binary.BigEndian.PutUint64(v[:8], uint64(ends))
	s.tags.Tag(v[8:], refusedDomain, append(tok.Hash(), v[:8]...))
	return base64.RawURLEncoding.EncodeToString(v[:])
}

// refused reports whether note is an unexpired RefusedNote of tok.
func (s *Service) refused(tok token.Token, note string) bool {
	v, err := base64.RawURLEncoding.DecodeString(note)
	if err != nil || len(v) != 8+sha256.Size {
		return false
	}
	ends := int64(binary.BigEndian.Uint64(v[:8]))
	return s.Now().UnixMilli() < ends && hmac.Equal([]byte(note), []byte(s.refusedNote(tok, ends)))
}

// refusedDomain is what a refused note's tag is of, before the link's
// token hash and the note's end.
var refusedDomain = []byte("oncelink refused v1\x00")
