package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// What a request accepts from its sender.
const (
	AcceptsText = "text"
	AcceptsFile = "file"
	AcceptsAny  = "any"
)

// RequestStatus is where a request is in its life.
type RequestStatus string

const (
	RequestOpen      RequestStatus = "open"
	RequestFulfilled RequestStatus = "fulfilled"
	RequestExpired   RequestStatus = "expired"
	RequestRevoked   RequestStatus = "revoked"
)

// RequestStatuses lists every request status, in the order a filter
// offers them.
var RequestStatuses = []RequestStatus{RequestOpen, RequestFulfilled, RequestExpired, RequestRevoked}

// Request is an owner's "send me a secret" link.
type Request struct {
	ID        int64
	OwnerID   int64
	OwnerName string
	TokenHash []byte
	Label     string
	// Note is the owner's word to the sender, shown on the request's page.
	Note    string
	Accepts string
	// LinkID is the link that filling the request made, zero before, and
	// once that link is purged.
	LinkID int64
	// LinkToken is that link's token, sealed under the request's token.
	LinkToken   []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
	RevokedAt   time.Time
	FulfilledAt time.Time
	// OwnerDisabled is set while the owner's account is disabled: the
	// request rests, and takes nothing, until the account is enabled.
	OwnerDisabled bool
}

// Status tells the request's status at now. A filled request stays
// fulfilled, and a revoked one revoked, whatever the time.
func (r Request) Status(now time.Time) RequestStatus {
	switch {
	case !r.FulfilledAt.IsZero():
		return RequestFulfilled
	case !r.RevokedAt.IsZero():
		return RequestRevoked
	case !now.Before(r.ExpiresAt):
		return RequestExpired
	}
	return RequestOpen
}

type requestRow struct {
	ID            int64         `db:"id"`
	OwnerID       int64         `db:"owner_id"`
	OwnerName     string        `db:"owner_name"`
	TokenHash     []byte        `db:"token_hash"`
	Label         string        `db:"label"`
	Note          string        `db:"note"`
	Accepts       string        `db:"accepts"`
	LinkID        sql.NullInt64 `db:"link_id"`
	LinkToken     []byte        `db:"link_token"`
	CreatedAt     int64         `db:"created_at"`
	ExpiresAt     int64         `db:"expires_at"`
	RevokedAt     sql.NullInt64 `db:"revoked_at"`
	FulfilledAt   sql.NullInt64 `db:"fulfilled_at"`
	OwnerDisabled bool          `db:"owner_disabled"`
}

func (r requestRow) request() Request {
	return Request{
		ID: r.ID, OwnerID: r.OwnerID, OwnerName: r.OwnerName, TokenHash: r.TokenHash,
		Label: r.Label, Note: r.Note, Accepts: r.Accepts, LinkID: r.LinkID.Int64, LinkToken: r.LinkToken,
		CreatedAt: time.UnixMilli(r.CreatedAt), ExpiresAt: time.UnixMilli(r.ExpiresAt),
		RevokedAt: fromMillis(r.RevokedAt), FulfilledAt: fromMillis(r.FulfilledAt), OwnerDisabled: r.OwnerDisabled,
	}
}

// requestColumns are a request's columns, with its owner's name and
// whether the owner's account is disabled.
const requestColumns = `id, owner_id, (SELECT username FROM accounts WHERE id = owner_id) AS owner_name,
	token_hash, label, note, accepts, link_id, link_token, created_at, expires_at, revoked_at, fulfilled_at,
	(SELECT disabled_at IS NOT NULL FROM accounts WHERE id = owner_id) AS owner_disabled`

// NewRequest is what CreateRequest needs to make a request.
type NewRequest struct {
	OwnerID   int64
	TokenHash []byte
	Label     string
	Note      string
	Accepts   string
	ExpiresAt time.Time
	// IdempotencyKey, when not empty, is the key of the create that makes
	// the request: another request of the owner's with the same key is
	// ErrKeyTaken (see RequestByIdempotencyKey).
	IdempotencyKey string
}

// CreateRequest adds a request.
func (s *Store) CreateRequest(ctx context.Context, n NewRequest) (Request, error) {
	var row requestRow
	insert, args := keyedInsert(`INSERT INTO requests (owner_id, token_hash, label, note, accepts, created_at, expires_at`, "owner_id",
		n.IdempotencyKey, n.OwnerID, n.TokenHash, n.Label, n.Note, n.Accepts, millis(s.Now()), millis(n.ExpiresAt))
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		return keyTaken(tx.GetContext(ctx, &row, tx.Rebind(insert+` RETURNING `+requestColumns), args...), "request")
	})
	if errors.Is(err, ErrKeyTaken) {
		return Request{}, err
	}
	if err != nil {
		return Request{}, fmt.Errorf("store: create request: %w", err)
	}
	return row.request(), nil
}

// RequestByHash finds a request by its token's hash.
func (s *Store) RequestByHash(ctx context.Context, hash []byte) (Request, error) {
	return s.oneRequest(ctx, `token_hash = ?`, hash)
}

// OwnedRequest finds request id if owner owns it; any other is
// ErrNotFound.
func (s *Store) OwnedRequest(ctx context.Context, owner, id int64) (Request, error) {
	return s.oneRequest(ctx, `id = ? AND owner_id = ?`, id, owner)
}

// RequestByIdempotencyKey finds owner's request made with key (see
// NewRequest.IdempotencyKey).
func (s *Store) RequestByIdempotencyKey(ctx context.Context, owner int64, key string) (Request, error) {
	return s.oneRequest(ctx, `owner_id = ? AND idempotency_key = ?`, owner, key)
}

// RequestOfLink finds owner's request that link is the answer to; a link
// that answers none of owner's requests is ErrNotFound.
func (s *Store) RequestOfLink(ctx context.Context, owner, link int64) (Request, error) {
	return s.oneRequest(ctx, `owner_id = ? AND link_id = ?`, owner, link)
}

func (s *Store) oneRequest(ctx context.Context, where string, args ...any) (Request, error) {
	var row requestRow
	err := s.ro.GetContext(ctx, &row, s.ro.Rebind(`SELECT `+requestColumns+` FROM requests WHERE `+where), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Request{}, fmt.Errorf("request: %w", ErrNotFound)
	}
	if err != nil {
		return Request{}, fmt.Errorf("store: request: %w", err)
	}
	return row.request(), nil
}

// Requests lists up to limit of owner's requests with status st (empty
// for any), newest first, older than before when it is not zero.
func (s *Store) Requests(ctx context.Context, owner int64, st RequestStatus, before int64, limit int) ([]Request, error) {
	where := `owner_id = ?`
	args := []any{owner}
	if before > 0 {
		where += ` AND id < ?`
		args = append(args, before)
	}
	now := millis(s.Now())
	switch st {
	case "":
	case RequestOpen:
		where += ` AND fulfilled_at IS NULL AND revoked_at IS NULL AND expires_at > ?`
		args = append(args, now)
	case RequestFulfilled:
		where += ` AND fulfilled_at IS NOT NULL`
	case RequestExpired:
		where += ` AND fulfilled_at IS NULL AND revoked_at IS NULL AND expires_at <= ?`
		args = append(args, now)
	case RequestRevoked:
		where += ` AND fulfilled_at IS NULL AND revoked_at IS NOT NULL`
	default:
		return nil, fmt.Errorf("request status %q: %w", st, ErrNotFound)
	}
	var rows []requestRow
	q := `SELECT ` + requestColumns + ` FROM requests WHERE ` + where + ` ORDER BY id DESC LIMIT ` + fmt.Sprint(max(1, min(limit, 500)))
	if err := s.ro.SelectContext(ctx, &rows, s.ro.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("store: requests: %w", err)
	}
	requests := make([]Request, len(rows))
	for i, r := range rows {
		requests[i] = r.request()
	}
	return requests, nil
}

// RevokeRequest ends owner's open request id. A request that is no longer
// open is returned as it is.
func (s *Store) RevokeRequest(ctx context.Context, owner, id int64, at time.Time) (Request, error) {
	var row requestRow
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		err := tx.GetContext(ctx, &row, tx.Rebind(`UPDATE requests SET revoked_at = ?
			WHERE id = ? AND owner_id = ? AND revoked_at IS NULL AND fulfilled_at IS NULL AND expires_at > ?
			RETURNING `+requestColumns), millis(at), id, owner, millis(at))
		if errors.Is(err, sql.ErrNoRows) {
			return tx.GetContext(ctx, &row, tx.Rebind(`SELECT `+requestColumns+` FROM requests WHERE id = ? AND owner_id = ?`), id, owner)
		}
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Request{}, fmt.Errorf("request: %w", ErrNotFound)
	}
	if err != nil {
		return Request{}, fmt.Errorf("store: revoke request: %w", err)
	}
	return row.request(), nil
}

// FulfilRequest fills request id, if it is still open at by.At and its
// owner's account is not disabled, for the sender by (whose address and
// browser the owner's notices name): it makes the link n, whose content
// chunks come from fill (see CreateLinkStream), and keeps linkToken with
// the request. The claim is a conditional UPDATE in the same transaction
// as the link, so however many senders race, across processes and
// machines, exactly one fills the request and makes a link; the others,
// and every sender while the owner is disabled, get ErrGone and leave
// nothing behind.
func (s *Store) FulfilRequest(ctx context.Context, id int64, by Event, n NewLink, fill func(put func([]byte) error) error, linkToken []byte) (Request, Link, error) {
	r, l, err := s.fulfilRequest(ctx, id, by, n, fill, linkToken)
	s.noteWrite(ctx, err)
	return r, l, err
}

func (s *Store) fulfilRequest(ctx context.Context, id int64, by Event, n NewLink, fill func(put func([]byte) error) error, linkToken []byte) (Request, Link, error) {
	at := by.At
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Request{}, Link{}, err
	}
	defer tx.Rollback()
	var claimed struct {
		Owner   int64 `db:"owner_id"`
		Notices bool  `db:"notices"`
	}
	err = tx.GetContext(ctx, &claimed, tx.Rebind(`UPDATE requests SET fulfilled_at = ?
		WHERE id = ? AND fulfilled_at IS NULL AND revoked_at IS NULL AND expires_at > ? AND `+enabled("requests", "owner_id")+`
		RETURNING owner_id, `+noticesColumn),
		millis(at), id, millis(at))
	if errors.Is(err, sql.ErrNoRows) {
		return Request{}, Link{}, fmt.Errorf("request: %w", ErrGone)
	}
	if err != nil {
		return Request{}, Link{}, fmt.Errorf("store: fulfil request: %w", err)
	}
	l, err := s.insertLink(ctx, tx, n, fill)
	if err != nil {
		return Request{}, Link{}, err
	}
	var row requestRow
	err = tx.GetContext(ctx, &row, tx.Rebind(`UPDATE requests SET link_id = ?, link_token = ? WHERE id = ? RETURNING `+requestColumns),
		l.ID, linkToken, id)
	if err != nil {
		return Request{}, Link{}, fmt.Errorf("store: fulfil request: %w", err)
	}
	if claimed.Notices {
		err := s.enqueue(ctx, tx, noticeEvent{Account: claimed.Owner, Type: NoticeRequestFulfilled, RequestID: id, LinkID: l.ID,
			Event: Event{At: at, IP: by.IP, UserAgent: by.UserAgent}})
		if err != nil {
			return Request{}, Link{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Request{}, Link{}, fmt.Errorf("store: fulfil request: %w", err)
	}
	return row.request(), l, nil
}
