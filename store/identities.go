package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Identity is an OpenID provider's user, linked to an account: the
// provider's issuer URL and its subject for that user, which together
// never change and are never given to anyone else.
type Identity struct {
	Issuer    string
	Subject   string
	AccountID int64
	// Email is the address the provider last gave, verified or not.
	Email      string
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// Label is how the identity is shown: the email address the provider
// last gave, else its issuer.
func (i Identity) Label() string {
	if i.Email != "" {
		return i.Email
	}
	return i.Issuer
}

type identityRow struct {
	Issuer     string `db:"issuer"`
	Subject    string `db:"subject"`
	AccountID  int64  `db:"account_id"`
	Email      string `db:"email"`
	CreatedAt  int64  `db:"created_at"`
	LastUsedAt int64  `db:"last_used_at"`
}

func (r identityRow) identity() Identity {
	return Identity{Issuer: r.Issuer, Subject: r.Subject, AccountID: r.AccountID, Email: r.Email,
		CreatedAt: time.UnixMilli(r.CreatedAt), LastUsedAt: time.UnixMilli(r.LastUsedAt)}
}

// AccountByIdentity finds the account linked to the provider's (issuer,
// subject), notes that it was used now and keeps email as the one the
// provider last gave. It is ErrNotFound when none is linked.
func (s *Store) AccountByIdentity(ctx context.Context, issuer, subject, email string) (Account, error) {
	var row accountRow
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		var id int64
		err := tx.GetContext(ctx, &id, tx.Rebind(`UPDATE identities SET last_used_at = ?, email = ?
			WHERE issuer = ? AND subject = ? RETURNING account_id`), millis(s.Now()), email, issuer, subject)
		if err != nil {
			return err
		}
		return tx.QueryRowxContext(ctx, tx.Rebind(`SELECT `+accountColumns+` FROM accounts WHERE id = ?`), id).Scan(row.dest()...)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, fmt.Errorf("identity: %w", ErrNotFound)
	}
	return row.account(), err
}

// CreateIdentityAccount adds a member account without a password, linked
// to the identity id, under the first of names that no account has (by
// UsernameKey). It is ErrConflict when every name is taken or when the
// identity is already linked, by a sign-in that came first: then nothing
// is added.
func (s *Store) CreateIdentityAccount(ctx context.Context, names []string, id Identity) (Account, error) {
	var row accountRow
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		now := millis(s.Now())
		created := false
		for _, name := range names {
			err := tx.GetContext(ctx, &row, tx.Rebind(`INSERT INTO accounts (username, username_key, password_hash, is_admin, created_at)
				VALUES (?, ?, '', FALSE, ?) ON CONFLICT DO NOTHING RETURNING `+accountColumns),
				name, usernameKey(name), now)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			created = true
			break
		}
		if !created {
			return fmt.Errorf("account for identity: every name taken: %w", ErrConflict)
		}
		var linked string
		err := tx.GetContext(ctx, &linked, tx.Rebind(`INSERT INTO identities (issuer, subject, account_id, email, created_at, last_used_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING subject`),
			id.Issuer, id.Subject, row.ID, id.Email, now, now)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("identity: already linked: %w", ErrConflict)
		}
		return err
	})
	if err != nil {
		return Account{}, err
	}
	return row.account(), nil
}

// Identities lists the identities linked to accounts, by account id.
func (s *Store) Identities(ctx context.Context) (map[int64][]Identity, error) {
	var rows []identityRow
	if err := s.ro.SelectContext(ctx, &rows, `SELECT issuer, subject, account_id, email, created_at, last_used_at
		FROM identities ORDER BY account_id, created_at`); err != nil {
		return nil, err
	}
	m := make(map[int64][]Identity, len(rows))
	for _, r := range rows {
		m[r.AccountID] = append(m[r.AccountID], r.identity())
	}
	return m, nil
}

// AccountIdentities lists the identities linked to one account.
func (s *Store) AccountIdentities(ctx context.Context, account int64) ([]Identity, error) {
	var rows []identityRow
	if err := s.ro.SelectContext(ctx, &rows, s.ro.Rebind(`SELECT issuer, subject, account_id, email, created_at, last_used_at
		FROM identities WHERE account_id = ? ORDER BY created_at`), account); err != nil {
		return nil, err
	}
	ids := make([]Identity, len(rows))
	for i, r := range rows {
		ids[i] = r.identity()
	}
	return ids, nil
}
