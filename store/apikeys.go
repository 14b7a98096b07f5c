package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// APIKey is a bearer key of the JSON API, which acts as its account. The
// store never holds the key itself, only its SHA-256, which callers compute.
type APIKey struct {
	ID        int64
	AccountID int64
	Name      string
	// Prefix is the key's first characters, shown to its owner to tell
	// keys apart.
	Prefix     string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero when the key never expires
	LastUsedAt time.Time // zero until the key is first used
	RevokedAt  time.Time // zero while the key is not revoked
}

// Active reports whether the key may be used at now. It says nothing of its
// account, which may be disabled.
func (k APIKey) Active(now time.Time) bool {
	return k.RevokedAt.IsZero() && (k.ExpiresAt.IsZero() || now.Before(k.ExpiresAt))
}

type apiKeyRow struct {
	ID         int64         `db:"id"`
	AccountID  int64         `db:"account_id"`
	Name       string        `db:"name"`
	Prefix     string        `db:"prefix"`
	CreatedAt  int64         `db:"created_at"`
	ExpiresAt  sql.NullInt64 `db:"expires_at"`
	LastUsedAt sql.NullInt64 `db:"last_used_at"`
	RevokedAt  sql.NullInt64 `db:"revoked_at"`
}

func (r apiKeyRow) apiKey() APIKey {
	return APIKey{
		ID: r.ID, AccountID: r.AccountID, Name: r.Name, Prefix: r.Prefix, CreatedAt: time.UnixMilli(r.CreatedAt),
		ExpiresAt: fromMillis(r.ExpiresAt), LastUsedAt: fromMillis(r.LastUsedAt), RevokedAt: fromMillis(r.RevokedAt),
	}
}

// apiKeyColumns are apiKeyRow's columns, in dest's order.
const apiKeyColumns = `id, account_id, name, prefix, created_at, expires_at, last_used_at, revoked_at`

// dest is where a row of apiKeyColumns scans to, in their order.
func (r *apiKeyRow) dest() []any {
	return []any{&r.ID, &r.AccountID, &r.Name, &r.Prefix, &r.CreatedAt, &r.ExpiresAt, &r.LastUsedAt, &r.RevokedAt}
}

// apiKeyActive is the SQL form of APIKey.Active; it takes the current time
// as its one argument.
const apiKeyActive = `revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`

// NewAPIKey is what CreateAPIKey needs to make a key.
type NewAPIKey struct {
	AccountID int64
	Name      string
	Prefix    string
	// Hash is the SHA-256 of the whole key.
	Hash      []byte
	ExpiresAt time.Time // zero for never
}

// CreateAPIKey adds a key, unless its account already has limit keys that
// can be used (neither revoked nor expired), when it returns ErrLimit. The
// count and the insert are one write, and on PostgreSQL the account's row
// stays locked in between, so that creates racing for the last place make
// one key. A hash that is taken is ErrConflict; an account that does not
// exist is ErrNotFound.
func (s *Store) CreateAPIKey(ctx context.Context, n NewAPIKey, limit int) (APIKey, error) {
	now := millis(s.Now())
	var expires sql.NullInt64
	if !n.ExpiresAt.IsZero() {
		expires = sql.NullInt64{Int64: millis(n.ExpiresAt), Valid: true}
	}
	var row apiKeyRow
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		var id int64
		err := tx.GetContext(ctx, &id, tx.Rebind(`SELECT id FROM accounts WHERE id = ?`+s.dialect.forUpdate), n.AccountID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("account: %w", ErrNotFound)
		}
		if err != nil {
			return err
		}
		var keys int
		if err := tx.GetContext(ctx, &keys, tx.Rebind(`SELECT COUNT(*) FROM api_keys WHERE account_id = ? AND `+apiKeyActive),
			n.AccountID, now); err != nil {
			return err
		}
		if keys >= limit {
			return fmt.Errorf("api keys: at most %d: %w", limit, ErrLimit)
		}
		err = tx.GetContext(ctx, &row, tx.Rebind(`INSERT INTO api_keys (account_id, name, prefix, key_hash, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key_hash) DO NOTHING RETURNING `+apiKeyColumns),
			n.AccountID, n.Name, n.Prefix, n.Hash, now, expires)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("api key: %w", ErrConflict)
		}
		return err
	})
	if err != nil {
		return APIKey{}, fmt.Errorf("store: create api key: %w", err)
	}
	return row.apiKey(), nil
}

// APIKeys lists account's keys that are not revoked, newest first. Expired
// ones stay in the list, so that their owner sees them as expired rather
// than find them gone.
func (s *Store) APIKeys(ctx context.Context, account int64) ([]APIKey, error) {
	var rows []apiKeyRow
	err := s.ro.SelectContext(ctx, &rows, s.ro.Rebind(`SELECT `+apiKeyColumns+` FROM api_keys
		WHERE account_id = ? AND revoked_at IS NULL ORDER BY id DESC`), account)
	if err != nil {
		return nil, fmt.Errorf("store: api keys: %w", err)
	}
	keys := make([]APIKey, len(rows))
	for i, r := range rows {
		keys[i] = r.apiKey()
	}
	return keys, nil
}

// RevokeAPIKey ends account's key id at once. Any other key is ErrNotFound,
// so that an account cannot tell another's key from none. Revoking a key
// again keeps the time it was first revoked.
func (s *Store) RevokeAPIKey(ctx context.Context, account, id int64) (APIKey, error) {
	var row apiKeyRow
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		return tx.GetContext(ctx, &row, tx.Rebind(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?)
			WHERE id = ? AND account_id = ? RETURNING `+apiKeyColumns), millis(s.Now()), id, account)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, fmt.Errorf("api key: %w", ErrNotFound)
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("store: revoke api key: %w", err)
	}
	return row.apiKey(), nil
}

// The columns of an account and of a key, as the join of AccountByAPIKey,
// which names the tables a and k, selects them.
var (
	joinedAccountColumns = "a." + strings.ReplaceAll(accountColumns, ", ", ", a.")
	joinedAPIKeyColumns  = "k." + strings.ReplaceAll(apiKeyColumns, ", ", ", k.")
)

// AccountByAPIKey finds a key by its hash, and its account with it, in one
// read, as every request of the JSON API needs both. It returns the key
// whether or not it is active, and the account whether or not it is
// disabled: the caller decides, and can tell why it refuses. No such key is
// ErrNotFound.
func (s *Store) AccountByAPIKey(ctx context.Context, hash []byte) (Account, APIKey, error) {
	var (
		a accountRow
		k apiKeyRow
	)
	err := s.ro.QueryRowxContext(ctx, s.ro.Rebind(`SELECT `+joinedAccountColumns+`, `+joinedAPIKeyColumns+`
		FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.key_hash = ?`), hash).
		Scan(append(a.dest(), k.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, APIKey{}, fmt.Errorf("api key: %w", ErrNotFound)
	}
	if err != nil {
		return Account{}, APIKey{}, fmt.Errorf("store: api key: %w", err)
	}
	return a.account(), k.apiKey(), nil
}

// apiKeyTouchEvery is how stale a key's last use may be before a use
// records a newer one: the owner's list shows no finer.
const apiKeyTouchEvery = time.Minute

// TouchAPIKey records that key id was used at at, unless a use less than a
// minute before at is recorded already, so that the API may call it on
// every request and the key's row is written at most once a minute. An
// unknown key is not an error: there is nothing to record.
//
// Whether the key is due is read first, on the readers, and most calls stop
// there: a write would wait for the writer, behind whatever batch of links
// is being created and opened, only to change nothing. A due touch is
// written through the writer, as RecordView's count is, rather than beside
// it: on SQLite, another connection would wait for the write lock in
// SQLite's busy handler, while in the writer it shares a batch's commit.
// The update checks again, so that touches racing one another, also from
// several instances, write once.
func (s *Store) TouchAPIKey(ctx context.Context, id int64, at time.Time) error {
	stale := `id = ? AND (last_used_at IS NULL OR last_used_at < ?)`
	args := []any{id, millis(at.Add(-apiKeyTouchEvery))}
	var due bool
	err := s.ro.GetContext(ctx, &due, s.ro.Rebind(`SELECT EXISTS (SELECT 1 FROM api_keys WHERE `+stale+`)`), args...)
	if err == nil && due {
		err = s.write(ctx, func(ctx context.Context, tx txn) error {
			_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE api_keys SET last_used_at = ? WHERE `+stale), append([]any{millis(at)}, args...)...)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("store: touch api key: %w", err)
	}
	return nil
}
