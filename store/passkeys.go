package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Passkey is one of an account's WebAuthn credentials. Credential is the
// credential record, as the caller encodes it.
type Passkey struct {
	ID           int64
	AccountID    int64
	CredentialID []byte
	UserHandle   []byte
	Name         string
	Credential   []byte
	CreatedAt    time.Time
	LastUsedAt   time.Time // zero until first used
	// ClonedAt is when an answer of it showed it copied (see
	// PasskeyCloned); zero while none has.
	ClonedAt time.Time
}

type passkeyRow struct {
	ID           int64         `db:"id"`
	AccountID    int64         `db:"account_id"`
	CredentialID []byte        `db:"credential_id"`
	UserHandle   []byte        `db:"user_handle"`
	Name         string        `db:"name"`
	Credential   []byte        `db:"credential"`
	CreatedAt    int64         `db:"created_at"`
	LastUsedAt   sql.NullInt64 `db:"last_used_at"`
	ClonedAt     sql.NullInt64 `db:"cloned_at"`
}

func (r passkeyRow) passkey() Passkey {
	return Passkey{ID: r.ID, AccountID: r.AccountID, CredentialID: r.CredentialID, UserHandle: r.UserHandle, Name: r.Name,
		Credential: r.Credential, CreatedAt: time.UnixMilli(r.CreatedAt), LastUsedAt: fromMillis(r.LastUsedAt),
		ClonedAt: fromMillis(r.ClonedAt)}
}

const passkeyColumns = `id, account_id, credential_id, user_handle, name, credential, created_at, last_used_at, cloned_at`

// AddPasskey keeps a new passkey, unless the account already has limit of
// them (ErrLimit) or the credential is known (ErrConflict).
func (s *Store) AddPasskey(ctx context.Context, p Passkey, limit int) (Passkey, error) {
	var row passkeyRow
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		var id int64
		err := tx.GetContext(ctx, &id, tx.Rebind(`SELECT id FROM accounts WHERE id = ?`+s.dialect.forUpdate), p.AccountID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("account: %w", ErrNotFound)
		}
		if err != nil {
			return err
		}
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM passkeys WHERE account_id = ?`), p.AccountID); err != nil {
			return err
		}
		if n >= limit {
			return fmt.Errorf("passkeys: at most %d: %w", limit, ErrLimit)
		}
		err = tx.GetContext(ctx, &row, tx.Rebind(`INSERT INTO passkeys (account_id, credential_id, user_handle, name, credential, created_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (credential_id) DO NOTHING RETURNING `+passkeyColumns),
			p.AccountID, p.CredentialID, p.UserHandle, p.Name, p.Credential, millis(s.Now()))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("passkey: %w", ErrConflict)
		}
		return err
	})
	if err != nil {
		return Passkey{}, fmt.Errorf("store: add passkey: %w", err)
	}
	return row.passkey(), nil
}

// Passkeys lists the account's passkeys, oldest first.
func (s *Store) Passkeys(ctx context.Context, account int64) ([]Passkey, error) {
	var rows []passkeyRow
	if err := s.ro.SelectContext(ctx, &rows, s.ro.Rebind(`SELECT `+passkeyColumns+` FROM passkeys WHERE account_id = ? ORDER BY id`), account); err != nil {
		return nil, err
	}
	keys := make([]Passkey, len(rows))
	for i, r := range rows {
		keys[i] = r.passkey()
	}
	return keys, nil
}

// PasskeyByCredential finds a passkey by its credential id, or ErrNotFound.
func (s *Store) PasskeyByCredential(ctx context.Context, credentialID []byte) (Passkey, error) {
	var row passkeyRow
	err := s.ro.GetContext(ctx, &row, s.ro.Rebind(`SELECT `+passkeyColumns+` FROM passkeys WHERE credential_id = ?`), credentialID)
	if errors.Is(err, sql.ErrNoRows) {
		return Passkey{}, fmt.Errorf("passkey: %w", ErrNotFound)
	}
	return row.passkey(), err
}

// UsedPasskey keeps a passkey's record as its last use left it (its sign
// count and flags) and when that was. A passkey removed, or found cloned
// (see PasskeyCloned) meanwhile, is ErrGone, and keeps what it had.
func (s *Store) UsedPasskey(ctx context.Context, id int64, credential []byte) error {
	return s.write(ctx, func(ctx context.Context, tx txn) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE passkeys SET credential = ?, last_used_at = ? WHERE id = ? AND cloned_at IS NULL`),
			credential, millis(s.Now()), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = fmt.Errorf("passkey: %w", ErrGone)
			}
			return err
		}
		return nil
	})
}

// PasskeyCloned marks a passkey found cloned: an answer of it came with a
// signature counter no higher than one it gave before. It reports whether
// this marked it: false when it was marked already, or is gone.
func (s *Store) PasskeyCloned(ctx context.Context, id int64) (bool, error) {
	var marked bool
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE passkeys SET cloned_at = ? WHERE id = ? AND cloned_at IS NULL`), millis(s.Now()), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		marked = n > 0
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: passkey cloned: %w", err)
	}
	return marked, nil
}

// DeletePasskey removes one of the account's passkeys; another account's,
// or none, is ErrNotFound. When the account has no second factor left, its
// recovery codes go too. With keepOne, removing its last second factor is
// ErrLastFactor, and nothing goes.
func (s *Store) DeletePasskey(ctx context.Context, account, id int64, keepOne bool) (Passkey, error) {
	var row passkeyRow
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		if keepOne {
			if err := s.lockAccount(ctx, tx, account); err != nil {
				return err
			}
		}
		err := tx.GetContext(ctx, &row, tx.Rebind(`DELETE FROM passkeys WHERE id = ? AND account_id = ? RETURNING `+passkeyColumns), id, account)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("passkey: %w", ErrNotFound)
		}
		if err != nil {
			return err
		}
		if keepOne {
			if err := factorLeft(ctx, tx, account); err != nil {
				return err
			}
		}
		return dropLoneRecoveryCodes(ctx, tx, account)
	})
	if err != nil {
		return Passkey{}, err
	}
	return row.passkey(), nil
}
