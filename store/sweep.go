package store

import (
	"context"
	"fmt"
	"time"
)

// Swept counts what one Sweep deleted.
type Swept struct {
	// Contents is how many dead links had their content deleted.
	Contents int64
	// Links is how many links were purged with their audit trail.
	Links int64
}

// Sweep deletes the content of links that died, once no recipient's grant
// window can still need it, purges links, with their audit trail, that have
// been dead for longer than retention, and drops full rate-limit buckets
// and form keys claimed longer ago than FormKeyKept.
// On PostgreSQL, when another instance is sweeping at that moment, it
// sweeps nothing: sweeps of several instances would only wait for each
// other's locks, or deadlock.
func (s *Store) Sweep(ctx context.Context, grant, retention time.Duration) (Swept, error) {
	now := s.Now()
	var swept Swept
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		if s.dialect.trySweepLock != "" {
			var mine bool
			if err := tx.GetContext(ctx, &mine, s.dialect.trySweepLock); err != nil || !mine {
				return err
			}
		}
		// Links that expired unopened are noticed before they can be
		// purged.
		if err := s.enqueueExpired(ctx, tx, millis(now)); err != nil {
			return err
		}
		// A rotated webhook's previous secret, once it no longer signs, is
		// not kept.
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE webhooks SET previous_secret = NULL, previous_until = NULL
			WHERE previous_until <= ?`), millis(now)); err != nil {
			return err
		}
		// A link's content is needed until it is dead, its last use's
		// grant window is over and no download keeps it (KeepContent);
		// revoking deletes it at once.
		dead := `content_deleted_at IS NULL AND (revoked_at IS NOT NULL OR uses >= max_uses OR expires_at <= ?)
			AND (last_used_at IS NULL OR last_used_at <= ?) AND (content_kept_until IS NULL OR content_kept_until <= ?)`
		deadArgs := []any{millis(now), millis(now.Add(-grant)), millis(now)}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM link_content WHERE link_id IN (SELECT id FROM links WHERE `+dead+`)`), deadArgs...); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE links SET content_deleted_at = ? WHERE `+dead), append([]any{millis(now)}, deadArgs...)...)
		if err != nil {
			return err
		}
		swept.Contents, _ = res.RowsAffected()
		// A link died when it was revoked, used up, or expired, whichever
		// came first; it is purged once that lies further back than
		// retention.
		cutoff := millis(now.Add(-retention))
		purge := `(revoked_at IS NOT NULL AND revoked_at <= ?) OR (uses >= max_uses AND last_used_at <= ?) OR expires_at <= ?`
		purgeArgs := []any{cutoff, cutoff, cutoff}
		// Their events and any content go with them (ON DELETE CASCADE).
		// No purged ID is given again (migration 022).
		res, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM links WHERE `+purge), purgeArgs...)
		if err != nil {
			return err
		}
		swept.Links, _ = res.RowsAffected()
		// A request is purged once it was filled, revoked or expired
		// longer ago than retention; the link it made has its own life.
		_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM requests WHERE fulfilled_at <= ?
			OR (fulfilled_at IS NULL AND (revoked_at <= ? OR expires_at <= ?))`), cutoff, cutoff, cutoff)
		if err != nil {
			return err
		}
		// Notices delivered or given up are kept, with their attempts,
		// for retention too.
		_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM notice_deliveries WHERE status <> '`+DeliveryPending+`' AND created_at <= ?`), cutoff)
		if err != nil {
			return err
		}
		// A full bucket is the same as none.
		if _, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM rate_limits WHERE full_at <= ?`), millis(now)); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM account_sessions WHERE expires_at <= ?`), millis(now)); err != nil {
			return err
		}
		// A form's key is kept claimed for FormKeyKept.
		_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM form_claims WHERE claimed_at <= ?`), millis(now.Add(-FormKeyKept)))
		return err
	})
	if err != nil {
		return Swept{}, fmt.Errorf("store: sweep: %w", err)
	}
	return swept, nil
}
