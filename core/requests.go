package core

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"oncelink/live"
	"oncelink/store"
	"oncelink/token"
)

// Requests ("send me a secret"). An owner asks with a request token R, whose
// address BASE/r/R is shown once and kept by the database only as R's
// SHA-256. A sender who fills the request makes, in the same transaction
// that claims it, an ordinary one-use link of the owner's with a new token
// T, its content sealed under T as any link's; T itself is kept only sealed
// under R. The database alone therefore opens neither T nor the content,
// and the server unseals T only for the owner, signed in, who comes back
// with R: the link is then opened, once, like any other.

type (
	Request       = store.Request
	RequestStatus = store.RequestStatus
)

// What a request accepts, and its statuses, as the store keeps them.
const (
	AcceptsText = store.AcceptsText
	AcceptsFile = store.AcceptsFile
	AcceptsAny  = store.AcceptsAny

	RequestOpen      = store.RequestOpen
	RequestFulfilled = store.RequestFulfilled
	RequestExpired   = store.RequestExpired
	RequestRevoked   = store.RequestRevoked
)

// RequestStatuses lists every request status, in the order a filter offers
// them.
var RequestStatuses = store.RequestStatuses

// MaxNoteLen bounds the note a request shows its sender, in characters.
const MaxNoteLen = 1000

// RequestInput is a new request as its owner describes it.
type RequestInput struct {
	Label string
	// Note is shown to whoever opens the request's address.
	Note string
	// Accepts is text, file or any (AcceptsAny, what an adapter gives
	// when its caller leaves it out).
	Accepts string
	// TTL is how long the request waits to be filled (DefaultTTL, when its
	// caller leaves it out).
	TTL string
	// IdempotencyKey, when set, makes the create idempotent, as a link's
	// (see LinkInput.IdempotencyKey).
	IdempotencyKey string
}

// CreatedRequest is a new request, with the only copy of its address.
type CreatedRequest struct {
	Request Request
	URL     string
	// Repeated is set when the request was made before, by a create with
	// the same IdempotencyKey: nothing was made now, and URL is empty, as
	// only the first answer can give it.
	Repeated bool
}

// Event is what the owner's streams are told of the new request.
func (c CreatedRequest) Event() live.Event {
	return live.Event{Owner: c.Request.OwnerID, Request: c.Request.ID, What: live.RequestCreated}
}

// RequestURL is the address of the request with token text tok, the one
// its sender opens.
func (s *Service) RequestURL(tok string) string {
	return strings.TrimSuffix(s.cfg.BaseURL, "/") + "/r/" + tok
}

// CreateRequest checks in and makes the request it describes.
func (s *Service) CreateRequest(ctx context.Context, owner int64, in RequestInput) (CreatedRequest, error) {
	return once(in.IdempotencyKey, func() (CreatedRequest, error) {
		r, err := s.store.RequestByIdempotencyKey(ctx, owner, in.IdempotencyKey)
		return CreatedRequest{Request: r, Repeated: true}, err
	}, func() (CreatedRequest, error) {
		return s.createRequest(ctx, owner, in)
	})
}

// createRequest makes the request that in describes, as CreateRequest
// does, but for its idempotency key.
func (s *Service) createRequest(ctx context.Context, owner int64, in RequestInput) (CreatedRequest, error) {
	// What the request accepts is chosen from a list, as a link's kind
	// is (see Create): no spaces are dropped around it.
	in.Label, in.TTL = strings.TrimSpace(in.Label), strings.TrimSpace(in.TTL)
	in.Note = strings.TrimSpace(in.Note)
	var acceptsErr error
	if in.Accepts != AcceptsText && in.Accepts != AcceptsFile && in.Accepts != AcceptsAny {
		acceptsErr = invalid("accepts_unknown", "accepts")
	}
	// Every field is checked, so that a form can say each of its
	// mistakes at once, in its order; a program reads the first.
	ttl, ttlErr := s.lifetime(in.TTL)
	if err := joinErrors(checkText("note", in.Note, MaxNoteLen), acceptsErr, ttlErr, checkLabel(in.Label)); err != nil {
		return CreatedRequest{}, err
	}
	tok := token.New(s.tags)
	r, err := s.store.CreateRequest(ctx, store.NewRequest{OwnerID: owner, TokenHash: tok.Hash(), Label: in.Label,
		Note: in.Note, Accepts: in.Accepts, ExpiresAt: s.Now().Add(ttl), IdempotencyKey: in.IdempotencyKey})
	if err != nil {
		return CreatedRequest{}, err
	}
	return CreatedRequest{Request: r, URL: s.RequestURL(tok.String())}, nil
}

// RequestListInput asks for a page of an owner's requests; Before is the
// cursor a previous page gave, empty for the first.
type RequestListInput struct {
	Status string
	Before string
	Limit  int // zero for DefaultPageSize
}

// RequestPage is a page of an owner's requests, newest first.
type RequestPage struct {
	Requests []Request
	// Next is the cursor of the next page, empty on the last.
	Next string
}

// Requests reads the page of owner's requests that in asks for.
func (s *Service) Requests(ctx context.Context, owner int64, in RequestListInput) (RequestPage, error) {
	limit, before, err := pageOf(in.Limit, in.Before, "requests")
	if err != nil {
		return RequestPage{}, err
	}
	st := RequestStatus(in.Status)
	if st != "" && !slices.Contains(RequestStatuses, st) {
		return RequestPage{}, invalidAs("status_unknown", "requests", "status", "Status", Quoted(in.Status))
	}
	rs, err := s.store.Requests(ctx, owner, st, before, limit+1)
	if err != nil {
		return RequestPage{}, err
	}
	var p RequestPage
	p.Requests, p.Next = cutPage(rs, limit, func(r Request) int64 { return r.ID })
	return p, nil
}

// RequestsFrom is the cursor (RequestListInput.Before) of the page of an
// owner's requests that starts with request id: where a notice of that
// request leads its owner, however many came after it.
func RequestsFrom(id int64) string { return strconv.FormatInt(id+1, 10) }

// Request returns owner's request id; another owner's is ErrNotFound.
func (s *Service) Request(ctx context.Context, owner, id int64) (Request, error) {
	r, err := s.store.OwnedRequest(ctx, owner, id)
	return r, fromStore(err)
}

// RequestOfLink returns owner's request that link answers, when it answers
// one; any other link is ErrNotFound.
func (s *Service) RequestOfLink(ctx context.Context, owner, link int64) (Request, error) {
	r, err := s.store.RequestOfLink(ctx, owner, link)
	return r, fromStore(err)
}

// RevokeRequest ends owner's open request id at once, and tells the owner's
// streams. A request no longer open is left as it is.
func (s *Service) RevokeRequest(ctx context.Context, owner, id int64) (Request, error) {
	r, err := s.store.RevokeRequest(ctx, owner, id, s.Now())
	if err != nil {
		return Request{}, fromStore(err)
	}
	s.Publish(ctx, live.Event{Owner: owner, Request: id, What: live.RequestChanged})
	return r, nil
}

// RequestSight is what a visitor of a request's address may see of it.
type RequestSight struct {
	Request Request
	// Owner is set when the visitor owns the request, live or dead: they
	// see how it stands, and, once it is filled, may open what was sent.
	Owner bool
	// Openable and SentLink tell the owner of a filled request how what
	// was sent stands: Openable while its link can still be opened; else
	// SentLink is that link, zero once it was purged.
	Openable bool
	SentLink int64
	// SentKind is what was sent, KindMessage or KindFile, while its link
	// is kept.
	SentKind string
}

// RequestVisitor is who comes to a request's address.
type RequestVisitor struct {
	// Viewer is the signed-in account, or nil.
	Viewer *Account
	// Client is where the visit comes from, whose turn it may take.
	Client Client
	// Receipts are the receipts the visitor's browser holds (see
	// Fulfilled.Receipt), if any.
	Receipts []string
}

// LookRequest is v's visit to the request with token tokText. It never
// fills the request. A request that is no longer open is a Gone *Error,
// except to its owner; a filled one is ErrRequestSent to the browser that
// filled it, and ErrRequestAnswered to anyone else. An open request whose
// owner's account is disabled is ErrRequestResting. With record set (a
// GET, not a HEAD), the look at a request no longer open, resting, or gone
// for good, takes v's turn at the open limit, as a dead link's does, and
// over the limit it is a Limited *Error; the owner's look, and the look of
// the browser that filled it, take none. A text that is no token of this
// server is ErrLinkNotFound at once, as OpenTurn says.
func (s *Service) LookRequest(ctx context.Context, tokText string, v RequestVisitor, record bool) (RequestSight, error) {
	tok, err := s.Token(tokText)
	if err != nil {
		return RequestSight{}, err
	}
	r, err := s.store.RequestByHash(ctx, tok.Hash())
	if err != nil {
		return RequestSight{}, s.lookNotFound(ctx, fromToken(err), record, v.Client)
	}
	if viewer := v.Viewer; viewer != nil && viewer.ID == r.OwnerID {
		sight := RequestSight{Request: r, Owner: true}
		if r.Status(s.Now()) != RequestFulfilled {
			return sight, nil
		}
		// What was sent is a link of the owner's, which may have died.
		l, err := s.store.OwnedLink(ctx, r.OwnerID, r.LinkID)
		switch {
		case errors.Is(err, store.ErrNotFound): // purged
		case err != nil:
			return RequestSight{}, err
		case l.Status(s.Now()) == Active:
			sight.Openable, sight.SentKind = true, l.Kind
		default:
			sight.SentLink, sight.SentKind = l.ID, l.Kind
		}
		return sight, nil
	}
	if st := r.Status(s.Now()); st != RequestOpen {
		// The sender's thanks takes no turn; any other look does, as a
		// dead link's does.
		gone := s.requestGoneTo(r, st, v.Receipts)
		if gone == ErrRequestAnswered && v.Viewer == nil {
			// Maybe its owner, come back signed out to read it.
			gone = ErrRequestAnsweredSignedOut
		}
		return RequestSight{}, s.refuseLook(ctx, gone, record && gone != ErrRequestSent, v.Client)
	}
	if r.OwnerDisabled {
		return RequestSight{}, s.refuseLook(ctx, ErrRequestResting, record, v.Client)
	}
	return RequestSight{Request: r}, nil
}

func (s *Service) requestByToken(ctx context.Context, tokText string) (token.Token, Request, error) {
	tok, err := s.Token(tokText)
	if err != nil {
		return tok, Request{}, err
	}
	r, err := s.store.RequestByHash(ctx, tok.Hash())
	return tok, r, fromToken(err)
}

// Fulfilled is a request just filled, and the link that holds what was
// sent.
type Fulfilled struct {
	Request Request
	Link    Link
	// Receipt, kept by the sender's browser until ReceiptEnds, tells it
	// from anyone else who comes to the request later (see
	// RequestVisitor.Receipts): it is told that it sent something, not
	// that someone did.
	Receipt     string
	ReceiptEnds time.Time
}

// Events are what the owner's streams are told: the new link, and the
// request filled.
func (f Fulfilled) Events() []live.Event {
	return []live.Event{
		{Owner: f.Link.OwnerID, Link: f.Link.ID, What: live.Created, Expires: f.Link.ExpiresAt},
		{Owner: f.Request.OwnerID, Request: f.Request.ID, What: live.RequestChanged},
	}
}

// Fulfil fills the request with token tokText, on the sender's turn t at
// OpenAction, with message or d's file: whichever the request accepts, one
// of them. What was sent becomes a one-use link of the request's owner,
// sealed under d's token, which is kept only sealed under the request's
// token (see the package's note on requests). Under any concurrency exactly
// one Fulfil of a request succeeds; the others, and any after, are a Gone
// *Error and keep nothing, which receipts, those the sender's browser
// holds, pick as LookRequest does. While the owner's account is disabled,
// every Fulfil is ErrRequestResting and keeps nothing, which the write that
// fills the request checks too. The caller publishes f.Events() once it
// has answered.
func (s *Service) Fulfil(ctx context.Context, t Turn, tokText string, d *Draft, message string, receipts []string) (Fulfilled, error) {
	if err := t.check(OpenAction); err != nil {
		return Fulfilled{}, err
	}
	rtok, r, err := s.requestByToken(ctx, tokText)
	if err != nil {
		return Fulfilled{}, err
	}
	now := s.Now()
	if st := r.Status(now); st != RequestOpen {
		return Fulfilled{}, s.requestGoneTo(r, st, receipts)
	}
	if r.OwnerDisabled {
		return Fulfilled{}, ErrRequestResting
	}
	hasText := strings.TrimSpace(message) != ""
	n := store.NewLink{OwnerID: r.OwnerID, TokenHash: d.tok.Hash(), Label: r.Label, MaxUses: 1, CreatedAt: now,
		StorageLimit: s.cfg.AccountStorage,
		// The owner has as long to read it as they gave the sender.
		ExpiresAt: now.Add(r.ExpiresAt.Sub(r.CreatedAt))}
	var fill func(put func([]byte) error) error
	switch {
	case d.file != nil && hasText:
		return Fulfilled{}, invalid("one_thing", "message")
	case d.file != nil:
		if r.Accepts == AcceptsText {
			return Fulfilled{}, invalid("file_not_accepted", "file")
		}
		n.Kind, n.Size = KindFile, d.file.size
		n.Meta = sealMeta(d.tok, fileMeta{Name: d.file.name, Type: d.file.contentType})
		fill = d.file.fill
	case hasText:
		if r.Accepts == AcceptsFile {
			return Fulfilled{}, invalid("text_not_accepted", "message")
		}
		if len(message) > MaxMessageBytes {
			return Fulfilled{}, ErrMessageTooLong
		}
		if err := checkBytes("message", message); err != nil {
			return Fulfilled{}, err
		}
		n.Kind, n.Size = KindMessage, int64(len(message))
		sealed := d.tok.Box().Seal(token.Content, 0, true, []byte(message))
		fill = func(put func([]byte) error) error { return put(sealed) }
	case r.Accepts == AcceptsFile:
		return Fulfilled{}, invalidAs("file_missing", "send", "file")
	case r.Accepts == AcceptsText:
		return Fulfilled{}, invalidAs("message_missing", "send", "message")
	default:
		return Fulfilled{}, invalidAs("message_missing", "send_any", "message")
	}
	linkToken := rtok.Box().Seal(token.LinkToken, 0, true, []byte(d.tok.String()))
	by := store.Event{At: now, IP: t.client.IP, UserAgent: t.client.UserAgent}
	r, l, err := s.store.FulfilRequest(ctx, r.ID, by, n, fill, linkToken)
	if errors.Is(err, store.ErrGone) {
		// Filled, revoked or expired since the lookup; or its owner was
		// disabled, and it rests.
		st := RequestFulfilled
		if again, err := s.store.RequestByHash(ctx, rtok.Hash()); err == nil {
			st = again.Status(s.Now())
			if st == RequestOpen && again.OwnerDisabled {
				return Fulfilled{}, ErrRequestResting
			}
		}
		return Fulfilled{}, requestGone(st, false)
	}
	if err != nil {
		// The sender learns that the owner's space is full, not how
		// much the owner keeps.
		return Fulfilled{}, requestStorageFull(err, contentField(n.Kind))
	}
	// The sender is known again for as long as the owner has to open it.
	return Fulfilled{Request: r, Link: l, Receipt: s.receipt(r, l.ExpiresAt), ReceiptEnds: l.ExpiresAt}, nil
}

// OpenRequest delivers what was sent to the request with token tokText, to
// its owner (r.Viewer) alone, on their turn t at OpenAction: it unseals the
// token of the link that filling the request made and opens that link,
// which takes its one use. It returns that token too, the address of the
// link's page, where its grant shows the content again for a while.
// Another account is ErrNotOwner whether anything was sent or not; someone
// not signed in is told how the request stands, as its page tells them
// (see LookRequest), or, while it is open, ErrNotOwner.
func (s *Service) OpenRequest(ctx context.Context, t Turn, tokText string, rc Recipient) (Opened, string, error) {
	if tokText == "" {
		return Opened{}, "", ErrTokenMissing
	}
	rtok, r, err := s.requestByToken(ctx, tokText)
	if err != nil {
		return Opened{}, "", err
	}
	st := r.Status(s.Now())
	switch {
	case rc.Viewer != nil && rc.Viewer.ID != r.OwnerID, rc.Viewer == nil && st == RequestOpen:
		// Another account is refused for who it is, however the request
		// stands, which its page tells anyone with its address: not in
		// the words for someone who would send it something.
		return Opened{}, "", ErrNotOwner
	case rc.Viewer == nil && st == RequestFulfilled:
		// Maybe its owner, signed out meanwhile, as its page says.
		return Opened{}, "", ErrRequestAnsweredSignedOut
	case rc.Viewer == nil:
		return Opened{}, "", requestGone(st, false)
	case st == RequestOpen:
		return Opened{}, "", ErrNothingSent
	case st != RequestFulfilled || r.LinkToken == nil:
		return Opened{}, "", requestGone(st, true)
	}
	linkTok, err := rtok.Box().Open(token.LinkToken, 0, true, r.LinkToken)
	if err != nil {
		return Opened{}, "", err
	}
	o, err := s.Open(ctx, t, string(linkTok), "", rc)
	return o, string(linkTok), err
}

// Refusals of a request's address.
var (
	ErrNotOwner    = Refusal(Forbidden, "not_owner", "", "not_yours")
	ErrNothingSent = Refusal(Conflict, "nothing_sent", "", "nothing_sent")
	// ErrTokenMissing answers an owner's open that names no request.
	ErrTokenMissing = invalid("token_missing", "token")
)

// ErrRequestResting refuses a request's page and its send while its
// owner's account is disabled: the request rests, as it was, until the
// account is enabled. It says no one's name.
var ErrRequestResting = Variant(Forbidden, "owner_disabled", "request", "", "request_on_hold")

// Refusals of a request that was filled already: ErrRequestSent to the
// browser that filled it, ErrRequestAnswered to anyone else; and to a
// visitor of its page who is not signed in, and may be its owner,
// ErrRequestAnsweredSignedOut, which says that its owner signs in to read
// what was sent.
var (
	ErrRequestSent              = Variant(Gone, "request_gone", "sent", "", "request_sent")
	ErrRequestAnswered          = Variant(Gone, "request_gone", "answered", "", "request_answered")
	ErrRequestAnsweredSignedOut = SignsIn(Variant(Gone, "request_gone", "answered_signed_out", "", "request_answered"))
)

// requestGone explains why a request can no longer be filled, to anyone
// but the browser that filled it; with owner, to its owner, why one that
// ended before anything was sent has nothing to open.
func requestGone(st RequestStatus, owner bool) *Error {
	to := ""
	if owner {
		to = "_owner"
	}
	switch st {
	case RequestExpired:
		return Variant(Gone, "request_gone", "expired"+to, "", "request_expired")
	case RequestRevoked:
		return Variant(Gone, "request_gone", "revoked"+to, "", "request_withdrawn")
	}
	return ErrRequestAnswered
}

// requestGoneTo is requestGone(st, false) of r, said to a visitor who holds
// receipts: to the browser that filled r, that it did.
func (s *Service) requestGoneTo(r Request, st RequestStatus, receipts []string) *Error {
	if st == RequestFulfilled && s.sentBy(receipts, r) {
		return ErrRequestSent
	}
	return requestGone(st, false)
}

// A receipt tells the browser that filled a request from anyone else who
// comes to it: it is a stamp of the request's id, which another browser
// does not have and cannot make.
func (s *Service) receipt(r Request, ends time.Time) string {
	return s.stamp(receiptDomain, r.ID, ends)
}

// sentBy reports whether one of receipts is an unexpired receipt for r.
func (s *Service) sentBy(receipts []string, r Request) bool {
	return s.stamped(receiptDomain, receipts, r.ID)
}

// receiptDomain is what a receipt's tag is of, before the receipt's own
// bytes.
var receiptDomain = []byte("oncelink receipt v1\x00")
