package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Link kinds.
const (
	KindMessage = "message"
	KindURL     = "url"
	KindFile    = "file"
)

// Status is where a link is in its life.
type Status string

const (
	Active  Status = "active"
	Used    Status = "used"
	Expired Status = "expired"
	Revoked Status = "revoked"
)

// Statuses lists every status, in the order a filter offers them.
var Statuses = []Status{Active, Used, Expired, Revoked}

// Link is one shared thing. Its content lives apart, sealed, in chunks.
type Link struct {
	ID        int64
	OwnerID   int64
	OwnerName string
	TokenHash []byte
	Kind      string
	Label     string
	// ForUserID, when not zero, is the only account that may open the link.
	ForUserID    int64
	ForUserName  string
	PasswordHash string // empty when the link has no password
	MaxUses      int
	Uses         int
	Views        int
	// Size is the content's length in bytes before sealing.
	Size int64
	// Meta is the sealed metadata of a file: its name and type.
	Meta             []byte
	CreatedAt        time.Time
	ExpiresAt        time.Time
	RevokedAt        time.Time
	LastUsedAt       time.Time
	ContentDeletedAt time.Time
	// E2ECheck, for an end-to-end link, is the SHA-256 of the claim an
	// open must present; nil for a link the server seals.
	E2ECheck []byte
	// Content is the sealed content of a message or URL link when it was
	// read along with the link, as consuming does; nil otherwise, and once
	// the content is deleted.
	Content []byte
	// Notify is the owner's "notify me" choice: email notices of this
	// link go to the owner's notice address.
	Notify bool
	// OwnerDisabled is set while the owner's account is disabled: the
	// link rests, and no one may open it, until the account is enabled.
	OwnerDisabled bool
}

// HasPassword reports whether opening the link takes a password.
func (l Link) HasPassword() bool { return l.PasswordHash != "" }

// EndToEnd reports whether the link is encrypted end to end: its content
// is ciphertext that only the key in its address opens.
func (l Link) EndToEnd() bool { return l.E2ECheck != nil }

// Status tells the link's status at now. A revoked link is revoked whatever
// else holds; a used-up link stays used after its expiry passes.
func (l Link) Status(now time.Time) Status {
	switch {
	case !l.RevokedAt.IsZero():
		return Revoked
	case l.Uses >= l.MaxUses:
		return Used
	case !now.Before(l.ExpiresAt):
		return Expired
	}
	return Active
}

// Ended is when the link stopped working, as of now: when it was revoked,
// when its last use was taken, or when it expired; zero while it is active.
func (l Link) Ended(now time.Time) time.Time {
	switch l.Status(now) {
	case Revoked:
		return l.RevokedAt
	case Used:
		return l.LastUsedAt
	case Expired:
		return l.ExpiresAt
	}
	return time.Time{}
}

// Revocable reports whether revoking the link at now would end it (see
// Store.Revoke): while it is active, and once used up while its opener
// may still see its content again, until GrantEnds.
func (l Link) Revocable(now time.Time, grant time.Duration) bool {
	switch l.Status(now) {
	case Active:
		return true
	case Used:
		return l.ContentDeletedAt.IsZero() && now.Before(l.GrantEnds(grant))
	}
	return false
}

// GrantEnds is when the last opener's grant to see the content again ends:
// grant after the link's last use.
func (l Link) GrantEnds(grant time.Duration) time.Time { return l.LastUsedAt.Add(grant) }

type linkRow struct {
	ID               int64          `db:"id"`
	OwnerID          int64          `db:"owner_id"`
	OwnerName        string         `db:"owner_name"`
	TokenHash        []byte         `db:"token_hash"`
	Kind             string         `db:"kind"`
	Label            string         `db:"label"`
	ForUserID        sql.NullInt64  `db:"for_user_id"`
	ForUserName      sql.NullString `db:"for_user_name"`
	PasswordHash     string         `db:"password_hash"`
	MaxUses          int            `db:"max_uses"`
	Uses             int            `db:"uses"`
	Views            int            `db:"views"`
	Size             int64          `db:"size"`
	Meta             []byte         `db:"meta"`
	CreatedAt        int64          `db:"created_at"`
	ExpiresAt        int64          `db:"expires_at"`
	RevokedAt        sql.NullInt64  `db:"revoked_at"`
	LastUsedAt       sql.NullInt64  `db:"last_used_at"`
	ContentDeletedAt sql.NullInt64  `db:"content_deleted_at"`
	E2ECheck         []byte         `db:"e2e_check"`
	Content          []byte         `db:"content"`
	Notify           bool           `db:"notify"`
	OwnerDisabled    bool           `db:"owner_disabled"`
	// Notices is the owner's accounts.notices, which the writes that may
	// cause a notice return.
	Notices bool `db:"notices"`
}

func (r linkRow) link() Link {
	return Link{
		ID: r.ID, OwnerID: r.OwnerID, OwnerName: r.OwnerName, TokenHash: r.TokenHash,
		Kind: r.Kind, Label: r.Label, ForUserID: r.ForUserID.Int64, ForUserName: r.ForUserName.String,
		PasswordHash: r.PasswordHash, MaxUses: r.MaxUses, Uses: r.Uses, Views: r.Views,
		Size: r.Size, Meta: r.Meta,
		CreatedAt: time.UnixMilli(r.CreatedAt), ExpiresAt: time.UnixMilli(r.ExpiresAt),
		RevokedAt: fromMillis(r.RevokedAt), LastUsedAt: fromMillis(r.LastUsedAt),
		ContentDeletedAt: fromMillis(r.ContentDeletedAt), E2ECheck: r.E2ECheck, Content: r.Content, Notify: r.Notify,
		OwnerDisabled: r.OwnerDisabled,
	}
}

// linkSelect reads links with their owner's and recipient's names.
const linkSelect = `SELECT l.id, l.owner_id, o.username AS owner_name, l.token_hash, l.kind, l.label,
	l.for_user_id, f.username AS for_user_name, l.password_hash, l.max_uses, l.uses, l.views,
	l.size, l.meta, l.created_at, l.expires_at, l.revoked_at, l.last_used_at, l.content_deleted_at, l.notify, l.e2e_check,
	o.disabled_at IS NOT NULL AS owner_disabled
	FROM links l JOIN accounts o ON o.id = l.owner_id LEFT JOIN accounts f ON f.id = l.for_user_id`

// The names of a link's accounts, as a write to links returns them.
const (
	ownerNameColumn   = `(SELECT username FROM accounts WHERE id = owner_id)`
	forUserNameColumn = `(SELECT username FROM accounts WHERE id = for_user_id)`
)

// enabled is the condition, of a statement over table, that the account
// its column names (owner_id of links and requests, account_id of an
// account's webhooks and notice address) is not disabled: one lookup of
// the account's row by its primary key, inside the statement, so that no
// disable slips in between a check and a write. While an account is
// disabled, what it shares rests, and nothing is queued for it.
func enabled(table, column string) string {
	return `NOT EXISTS (SELECT 1 FROM accounts WHERE accounts.id = ` + table + `.` + column + ` AND accounts.disabled_at IS NOT NULL)`
}

// linkColumns are what a write to links returns: the same as linkSelect,
// but for owner_disabled, which is false in every such write: a use is
// taken only while the owner is enabled, and a revoke is the owner's own.
// So an open asks for the owner's row once, in its condition.
const linkColumns = `id, owner_id, ` + ownerNameColumn + ` AS owner_name,
	token_hash, kind, label, for_user_id, ` + forUserNameColumn + ` AS for_user_name,
	password_hash, max_uses, uses, views, size, meta, created_at, expires_at, revoked_at, last_used_at, content_deleted_at, notify, e2e_check`

// noticesColumn is the owner's accounts.notices, as the writes that may
// cause a notice return it.
const noticesColumn = `(SELECT notices FROM accounts WHERE id = owner_id) AS notices`

// NewLink is what CreateLink needs to make a link.
type NewLink struct {
	OwnerID      int64
	TokenHash    []byte
	Kind         string
	Label        string
	ForUserID    int64 // zero for anyone
	PasswordHash string
	MaxUses      int
	// CreatedAt is when the link's time to live began, and ExpiresAt when
	// it ends; a zero CreatedAt is the time of the insert.
	CreatedAt, ExpiresAt time.Time
	Size                 int64
	Meta                 []byte
	// E2ECheck makes an end-to-end link: see Link.E2ECheck.
	E2ECheck []byte
	// IdempotencyKey, when not empty, is the key of the request that makes
	// the link: another link of the owner's with the same key is
	// ErrKeyTaken (see LinkByIdempotencyKey).
	IdempotencyKey string
	// Notify is Link.Notify.
	Notify bool
	// StorageLimit, when not zero, bounds the content the owner's links
	// keep, this one's Size included (see StorageUsed): a link past it is
	// a *StorageFullError, and nothing is kept.
	StorageLimit int64
}

// StorageFullError refuses a link whose content would take its owner's
// stored content past NewLink.StorageLimit. It is ErrLimit.
type StorageFullError struct {
	// Used is what the owner's links keep without the refused one, and
	// Limit the bound.
	Used, Limit int64
}

func (e *StorageFullError) Error() string {
	return fmt.Sprintf("stored content: %d of %d bytes used: %v", e.Used, e.Limit, ErrLimit)
}

func (e *StorageFullError) Unwrap() error { return ErrLimit }

// StorageUsed is the content the links of owner keep, in bytes before
// sealing: that of every link whose content is not yet deleted, whether
// it was shared or sent to one of the owner's requests. A link's content
// goes when it is revoked, or when the sweep finds it used up or expired.
// Triggers on links keep the count (migration 026).
func (s *Store) StorageUsed(ctx context.Context, owner int64) (int64, error) {
	var used int64
	err := s.ro.GetContext(ctx, &used, s.ro.Rebind(`SELECT storage_used FROM accounts WHERE id = ?`), owner)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("account: %w", ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store: storage used: %w", err)
	}
	return used, nil
}

// CreateLink adds a link and its sealed content chunks in one transaction.
func (s *Store) CreateLink(ctx context.Context, n NewLink, chunks [][]byte) (Link, error) {
	var l Link
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		var err error
		l, err = s.insertLink(ctx, tx, n, func(put func([]byte) error) error {
			for _, c := range chunks {
				if err := put(c); err != nil {
					return err
				}
			}
			return nil
		})
		return err
	})
	return l, err
}

// CreateLinkStream adds a link whose content chunks come from fill, which
// calls put once per sealed chunk in order; if fill fails, nothing is kept.
// It holds the writer connection until fill returns, so fill should read
// from something local and fast, never from a client's request body.
func (s *Store) CreateLinkStream(ctx context.Context, n NewLink, fill func(put func([]byte) error) error) (Link, error) {
	l, err := s.createLinkStream(ctx, n, fill)
	s.noteWrite(ctx, err)
	return l, err
}

func (s *Store) createLinkStream(ctx context.Context, n NewLink, fill func(put func([]byte) error) error) (Link, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Link{}, err
	}
	defer tx.Rollback()
	l, err := s.insertLink(ctx, tx, n, fill)
	if err != nil {
		return Link{}, err
	}
	if err := tx.Commit(); err != nil {
		return Link{}, fmt.Errorf("store: create link: %w", err)
	}
	return l, nil
}

func (s *Store) insertLink(ctx context.Context, tx txn, n NewLink, fill func(put func([]byte) error) error) (Link, error) {
	var forUser sql.NullInt64
	if n.ForUserID != 0 {
		forUser = sql.NullInt64{Int64: n.ForUserID, Valid: true}
	}
	// The link is what was given, but for its id and the names of its
	// accounts: returning only those keeps the insert, which runs in the
	// shared writer, short.
	l := Link{OwnerID: n.OwnerID, TokenHash: n.TokenHash, Kind: n.Kind, Label: n.Label, ForUserID: n.ForUserID,
		PasswordHash: n.PasswordHash, MaxUses: n.MaxUses, Size: n.Size, Meta: n.Meta, Notify: n.Notify, E2ECheck: n.E2ECheck,
		CreatedAt: time.UnixMilli(millis(cmp.Or(n.CreatedAt, s.Now()))), ExpiresAt: time.UnixMilli(millis(n.ExpiresAt))}
	var forUserName sql.NullString
	err := tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO links
		(owner_id, token_hash, kind, label, label_fold, for_user_id, password_hash, max_uses, size, meta, created_at, expires_at, idempotency_key, notify, e2e_check)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`+onKeyTaken("owner_id")+`
		RETURNING id, `+ownerNameColumn+`, `+forUserNameColumn),
		n.OwnerID, n.TokenHash, n.Kind, n.Label, strings.ToLower(n.Label), forUser, n.PasswordHash, n.MaxUses, n.Size, n.Meta,
		millis(l.CreatedAt), millis(l.ExpiresAt), nullKey(n.IdempotencyKey), n.Notify, n.E2ECheck).Scan(&l.ID, &l.OwnerName, &forUserName)
	if err := keyTaken(err, "link"); errors.Is(err, ErrKeyTaken) {
		return Link{}, err
	}
	if err != nil {
		return Link{}, fmt.Errorf("store: create link: %w", err)
	}
	l.ForUserName = forUserName.String
	if n.StorageLimit > 0 {
		// The insert's trigger has counted the link in its owner's row
		// (migration 026), which stays locked until the commit: creates
		// racing for the owner's last space are counted one after the
		// other, on PostgreSQL too. Counted after the insert, so that a
		// repeated idempotency key is ErrKeyTaken whatever the owner
		// keeps; the caller's rollback undoes the insert.
		var used int64
		if err := tx.GetContext(ctx, &used, tx.Rebind(`SELECT storage_used FROM accounts WHERE id = ?`), n.OwnerID); err != nil {
			return Link{}, fmt.Errorf("store: create link: %w", err)
		}
		if used > n.StorageLimit {
			return Link{}, &StorageFullError{Used: used - n.Size, Limit: n.StorageLimit}
		}
	}
	insert := tx.Rebind(`INSERT INTO link_content (link_id, seq, data) VALUES (?, ?, ?)`)
	seq := 0
	err = fill(func(chunk []byte) error {
		_, err := tx.ExecContext(ctx, insert, l.ID, seq, chunk)
		seq++
		return err
	})
	if err != nil {
		return Link{}, err
	}
	return l, nil
}

// KeepContent keeps link id's content until at least until, past its grant
// window: a download that began within the window is still reading it.
func (s *Store) KeepContent(ctx context.Context, id int64, until time.Time) error {
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE links SET content_kept_until = ?
			WHERE id = ? AND (content_kept_until IS NULL OR content_kept_until < ?)`), millis(until), id, millis(until))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: keep content: %w", err)
	}
	return nil
}

// LinkByHash finds a link by its token's hash.
func (s *Store) LinkByHash(ctx context.Context, hash []byte) (Link, error) {
	return s.oneLink(ctx, `l.token_hash = ?`, hash)
}

// OwnedLink finds the link id if owner owns it; any other link is
// ErrNotFound, so an owner cannot tell another owner's link from none.
func (s *Store) OwnedLink(ctx context.Context, owner, id int64) (Link, error) {
	return s.oneLink(ctx, `l.id = ? AND l.owner_id = ?`, id, owner)
}

// LinkByIdempotencyKey finds owner's link made with key (see
// NewLink.IdempotencyKey).
func (s *Store) LinkByIdempotencyKey(ctx context.Context, owner int64, key string) (Link, error) {
	return s.oneLink(ctx, `l.owner_id = ? AND l.idempotency_key = ?`, owner, key)
}

func (s *Store) oneLink(ctx context.Context, where string, args ...any) (Link, error) {
	var row linkRow
	err := s.ro.GetContext(ctx, &row, s.ro.Rebind(linkSelect+` WHERE `+where), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, fmt.Errorf("link: %w", ErrNotFound)
	}
	if err != nil {
		return Link{}, fmt.Errorf("store: link: %w", err)
	}
	return row.link(), nil
}

// ListOptions select and page an owner's links.
type ListOptions struct {
	Status Status // empty for every status
	// Query finds links whose label contains it, ignoring case.
	Query string
	// Before pages: only links with a smaller id, that is, older ones.
	Before int64
	Limit  int
}

// Links lists an owner's links, newest first. It reads one page through the
// (owner_id, id) index, so its cost does not grow with the owner's links.
func (s *Store) Links(ctx context.Context, owner int64, o ListOptions) ([]Link, error) {
	where := []string{`l.owner_id = ?`}
	args := []any{owner}
	if o.Before > 0 {
		where = append(where, `l.id < ?`)
		args = append(args, o.Before)
	}
	if o.Status != "" {
		cond, err := statusCondition(o.Status)
		if err != nil {
			return nil, err
		}
		where = append(where, cond)
		if o.Status == Active || o.Status == Expired {
			args = append(args, millis(s.Now()))
		}
	}
	if o.Query != "" {
		where = append(where, `l.label_fold LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscaper.Replace(strings.ToLower(o.Query))+"%")
	}
	limit := o.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	q := linkSelect + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY l.id DESC LIMIT ` + fmt.Sprint(limit)
	var rows []linkRow
	if err := s.ro.SelectContext(ctx, &rows, s.ro.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("store: links: %w", err)
	}
	links := make([]Link, len(rows))
	for i, r := range rows {
		links[i] = r.link()
	}
	return links, nil
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// statusCondition is the SQL form of Link.Status; Active and Expired take
// the current time as their one argument.
func statusCondition(st Status) (string, error) {
	switch st {
	case Active:
		return `(l.revoked_at IS NULL AND l.uses < l.max_uses AND l.expires_at > ?)`, nil
	case Used:
		return `(l.revoked_at IS NULL AND l.uses >= l.max_uses)`, nil
	case Expired:
		return `(l.revoked_at IS NULL AND l.uses < l.max_uses AND l.expires_at <= ?)`, nil
	case Revoked:
		return `(l.revoked_at IS NOT NULL)`, nil
	}
	return "", fmt.Errorf("status %q: %w", st, ErrNotFound)
}

// Event is one entry of a link's audit trail.
type Event struct {
	ID        int64
	LinkID    int64
	Kind      string
	At        time.Time
	IP        string
	UserAgent string
}

// Event kinds.
const (
	EventView          = "view"
	EventUse           = "use"
	EventRevoke        = "revoke"
	EventWrongPassword = "wrong-password"
	// EventGone is an open refused because the link was dead.
	EventGone = "gone"
)

// Limits on what an event keeps of the request.
const (
	maxIPLen        = 64
	maxUserAgentLen = 256
)

func (s *Store) insertEvent(ctx context.Context, tx txn, e Event) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO events (link_id, kind, at, ip, user_agent) VALUES (?, ?, ?, ?, ?)`),
		e.LinkID, e.Kind, millis(e.At), clip(e.IP, maxIPLen), clip(e.UserAgent, maxUserAgentLen))
	return err
}

// clip keeps at most n bytes of s, as valid UTF-8: a header may carry any
// bytes, and PostgreSQL refuses text that is not UTF-8. Invalid bytes
// become U+FFFD, and the cut never splits a character.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Consume takes one use of link id, recording e, if the link has a use left,
// is not revoked, has not expired and its owner's account is not disabled.
// The check and the taking are one conditional UPDATE, so however many
// consumers race, across processes and machines, exactly MaxUses succeed;
// the others get ErrGone, and so does every consumer while the owner is
// disabled, which changes nothing of the link.
func (s *Store) Consume(ctx context.Context, id int64, e Event) (Link, error) {
	l, err := s.consume(ctx, `id = ?`, id, e)
	if errors.Is(err, ErrNotFound) {
		return Link{}, fmt.Errorf("link: %w", ErrGone)
	}
	return l, err
}

// ConsumeUnprotected is Consume for a link found by its token's hash that
// has neither a password nor a recipient account, and is not end to end
// (whose open presents a claim), which the caller would
// otherwise have to check first. It saves the lookup on the common path.
// ErrNotFound means no such link can be used now; the caller looks the link
// up to tell why.
func (s *Store) ConsumeUnprotected(ctx context.Context, hash []byte, e Event) (Link, error) {
	return s.consume(ctx, `token_hash = ? AND password_hash = '' AND for_user_id IS NULL AND e2e_check IS NULL`, hash, e)
}

func (s *Store) consume(ctx context.Context, where string, arg any, e Event) (Link, error) {
	now := millis(e.At)
	var row linkRow
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		// The content of a message or URL is one chunk, which the
		// recipient gets at once: it comes back with the use.
		err := tx.GetContext(ctx, &row, tx.Rebind(`UPDATE links SET uses = uses + 1, last_used_at = ?
			WHERE `+where+` AND uses < max_uses AND revoked_at IS NULL AND expires_at > ? AND `+enabled("links", "owner_id")+`
			RETURNING `+linkColumns+`, `+noticesColumn+`, (SELECT data FROM link_content
				WHERE link_id = links.id AND seq = 0 AND links.kind <> '`+KindFile+`') AS content`), now, arg, now)
		if err != nil {
			return err
		}
		e.LinkID, e.Kind = row.ID, EventUse
		if err := s.insertEvent(ctx, tx, e); err != nil {
			return err
		}
		if !row.Notices {
			return nil
		}
		n := noticeEvent{Account: row.OwnerID, Type: NoticeLinkOpened, LinkID: row.ID, Notify: row.Notify, Event: e}
		if err := s.enqueue(ctx, tx, n); err != nil {
			return err
		}
		if row.Uses >= row.MaxUses {
			n.Type = NoticeLinkUsedUp
			return s.enqueue(ctx, tx, n)
		}
		return nil
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, fmt.Errorf("link: %w", ErrNotFound)
	}
	if err != nil {
		return Link{}, fmt.Errorf("store: consume: %w", err)
	}
	return row.link(), nil
}

// RecordView counts a view of link id's page and records e.
func (s *Store) RecordView(ctx context.Context, id int64, e Event) error {
	return s.record(ctx, id, e, EventView, `UPDATE links SET views = views + 1 WHERE id = ?
		RETURNING owner_id, notify, `+noticesColumn)
}

// RecordWrongPassword records a failed password for link id.
func (s *Store) RecordWrongPassword(ctx context.Context, id int64, e Event) error {
	return s.record(ctx, id, e, EventWrongPassword, "")
}

// RecordGone records an attempt to open link id after it died.
func (s *Store) RecordGone(ctx context.Context, id int64, e Event) error {
	return s.record(ctx, id, e, EventGone, "")
}

func (s *Store) record(ctx context.Context, id int64, e Event, kind, update string) error {
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		var owner struct {
			ID      int64 `db:"owner_id"`
			Notify  bool  `db:"notify"`
			Notices bool  `db:"notices"`
		}
		if update != "" {
			if err := tx.GetContext(ctx, &owner, tx.Rebind(update), id); err != nil {
				return err
			}
		}
		e.LinkID, e.Kind = id, kind
		if err := s.insertEvent(ctx, tx, e); err != nil {
			return err
		}
		if !owner.Notices {
			return nil
		}
		return s.enqueue(ctx, tx, noticeEvent{Account: owner.ID, Type: NoticeLinkViewed, LinkID: id, Notify: owner.Notify, Event: e})
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", kind, err)
	}
	return nil
}

// Revoke ends owner's link id at once and deletes its content, and
// reports that it did. That is an active link, or a used-up one within
// grant of its last use, whose content its opener's browser may still
// show again. Revoking a link that is dead otherwise (revoked, expired, or
// used up longer ago) changes nothing and records nothing: it returns the
// link as it is, and false.
func (s *Store) Revoke(ctx context.Context, owner, id int64, grant time.Duration, e Event) (Link, bool, error) {
	now := millis(e.At)
	var (
		row     linkRow
		revoked bool
	)
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		err := tx.GetContext(ctx, &row, tx.Rebind(`UPDATE links SET revoked_at = ?, content_deleted_at = COALESCE(content_deleted_at, ?)
			WHERE id = ? AND owner_id = ? AND revoked_at IS NULL AND (
				(uses < max_uses AND expires_at > ?)
				OR (uses >= max_uses AND content_deleted_at IS NULL AND last_used_at > ?))
			RETURNING `+linkColumns+`, `+noticesColumn), now, now, id, owner, now, millis(e.At.Add(-grant)))
		if errors.Is(err, sql.ErrNoRows) {
			// Dead already (revoked, used up or expired), which its trail
			// and status keep saying; or not the owner's link at all.
			return tx.GetContext(ctx, &row, tx.Rebind(linkSelect+` WHERE l.id = ? AND l.owner_id = ?`), id, owner)
		}
		if err != nil {
			return err
		}
		revoked = true
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM link_content WHERE link_id = ?`), id); err != nil {
			return err
		}
		e.LinkID, e.Kind = id, EventRevoke
		if err := s.insertEvent(ctx, tx, e); err != nil || !row.Notices {
			return err
		}
		return s.enqueue(ctx, tx, noticeEvent{Account: owner, Type: NoticeLinkRevoked, LinkID: id, Notify: row.Notify, Event: e})
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, false, fmt.Errorf("link: %w", ErrNotFound)
	}
	if err != nil {
		return Link{}, false, fmt.Errorf("store: revoke: %w", err)
	}
	return row.link(), revoked, nil
}

// Chunk returns sealed content chunk seq of link id, or ErrGone once the
// content has been deleted.
func (s *Store) Chunk(ctx context.Context, id int64, seq int) ([]byte, error) {
	var data []byte
	err := s.ro.GetContext(ctx, &data, s.ro.Rebind(`SELECT data FROM link_content WHERE link_id = ? AND seq = ?`), id, seq)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("content: %w", ErrGone)
	}
	if err != nil {
		return nil, fmt.Errorf("store: content: %w", err)
	}
	return data, nil
}

// Events returns link id's audit trail, oldest first, if owner owns the link.
func (s *Store) Events(ctx context.Context, owner, id int64) ([]Event, error) {
	var rows []struct {
		ID        int64  `db:"id"`
		LinkID    int64  `db:"link_id"`
		Kind      string `db:"kind"`
		At        int64  `db:"at"`
		IP        string `db:"ip"`
		UserAgent string `db:"user_agent"`
	}
	err := s.ro.SelectContext(ctx, &rows, s.ro.Rebind(`SELECT e.id, e.link_id, e.kind, e.at, e.ip, e.user_agent
		FROM events e JOIN links l ON l.id = e.link_id WHERE e.link_id = ? AND l.owner_id = ? ORDER BY e.id`), id, owner)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	events := make([]Event, len(rows))
	for i, r := range rows {
		events[i] = Event{ID: r.ID, LinkID: r.LinkID, Kind: r.Kind, At: time.UnixMilli(r.At), IP: r.IP, UserAgent: r.UserAgent}
	}
	return events, nil
}
