package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The forms that show something once, or could not be done twice alike,
// but make no row that could keep their key as an idempotency key (a new
// API key, new recovery codes, a webhook endpoint's new secret, a password
// change), and an administrator's password reset, which must give its key
// back when it fails after its link was made (see core.FormOnce), claim
// their key instead, in form_claims (migration 028): the
// first sending of a form claims it, and every other sending of the same
// form, at the same moment or later, on any instance, finds it claimed:
// unsettled while the first acts, settled once it is done. A passkey
// sign-in's answer claims its ceremony's challenge there too, so that it
// signs in once (see core.FinishPasskeySignIn).

// FormKeyKept is how long a claimed form key stays claimed before Sweep
// drops it: far longer than a sign-in lasts (a week), so that a page that
// answered a form, reloaded after signing in again, still finds the
// form's key claimed.
const FormKeyKept = 30 * 24 * time.Hour

// ClaimFormKey claims key, the key of a form of kind sent by account, and
// reports whether this call claimed it: false when it was claimed before,
// by a form of any kind. Two claims at the same moment claim it once: the
// second waits for the first to commit (PostgreSQL) or follows it in the
// writer's order (SQLite), and finds it claimed.
func (s *Store) ClaimFormKey(ctx context.Context, account int64, kind, key string) (bool, error) {
	var claimed bool
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO form_claims (account_id, kind, form_key, claimed_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (account_id, form_key) DO NOTHING`), account, kind, key, millis(s.Now()))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: claim form key: %w", err)
	}
	return claimed, nil
}

// FormClaim is how a form's claimed key stands (see FormKeyClaim).
type FormClaim struct {
	// Claimed is false when no form holds the key: never claimed, given
	// back or swept.
	Claimed bool
	// Settled is true once the form that claimed it did what it does
	// (see SettleFormKey); until then it may still fail and give it back.
	Settled bool
	// ClaimedAt is when it was claimed.
	ClaimedAt time.Time
}

// FormKeyClaim tells how account's claim of key, by a form of any kind,
// stands.
func (s *Store) FormKeyClaim(ctx context.Context, account int64, key string) (FormClaim, error) {
	var row struct {
		ClaimedAt int64         `db:"claimed_at"`
		SettledAt sql.NullInt64 `db:"settled_at"`
	}
	err := s.ro.GetContext(ctx, &row, s.ro.Rebind(`SELECT claimed_at, settled_at FROM form_claims WHERE account_id = ? AND form_key = ?`), account, key)
	if errors.Is(err, sql.ErrNoRows) {
		return FormClaim{}, nil
	}
	if err != nil {
		return FormClaim{}, fmt.Errorf("store: form key claim: %w", err)
	}
	return FormClaim{Claimed: true, Settled: row.SettledAt.Valid, ClaimedAt: time.UnixMilli(row.ClaimedAt)}, nil
}

// SettleFormKey notes that the form of kind that claimed account's key
// did what it does: the key stays claimed, and no longer may be given
// back.
func (s *Store) SettleFormKey(ctx context.Context, account int64, kind, key string) error {
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE form_claims SET settled_at = ? WHERE account_id = ? AND kind = ? AND form_key = ?`),
			millis(s.Now()), account, kind, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: settle form key: %w", err)
	}
	return nil
}

// ReleaseFormKey gives back account's claim of key, made by a form of
// kind whose sending failed, so that the same form may be sent again.
func (s *Store) ReleaseFormKey(ctx context.Context, account int64, kind, key string) error {
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM form_claims WHERE account_id = ? AND kind = ? AND form_key = ?`), account, kind, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: release form key: %w", err)
	}
	return nil
}
