package store

import (
	"context"
	"fmt"
	"time"
)

// AccountSession is one of an account's web sessions, as it lists them.
type AccountSession struct {
	// ID is the session token's hash, as the sessions table keys it.
	ID         string    `db:"token_hash"`
	AccountID  int64     `db:"account_id"`
	CreatedAt  time.Time `db:"-"`
	LastSeenAt time.Time `db:"-"`
	ExpiresAt  time.Time `db:"-"`
	UserAgent  string    `db:"user_agent"`
	IP         string    `db:"ip"`
}

// ListSession lists session s as its account's, as at sign-in. Only a
// listed session signs in (see SessionAccount), and only this lists one.
func (s *Store) ListSession(ctx context.Context, as AccountSession) error {
	return s.write(ctx, func(ctx context.Context, tx txn) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO account_sessions
			(token_hash, account_id, created_at, last_seen_at, expires_at, user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (token_hash) DO UPDATE SET account_id = excluded.account_id, created_at = excluded.created_at,
			last_seen_at = excluded.last_seen_at, expires_at = excluded.expires_at, user_agent = excluded.user_agent, ip = excluded.ip`),
			as.ID, as.AccountID, millis(as.CreatedAt), millis(as.LastSeenAt), millis(as.ExpiresAt), as.UserAgent, as.IP)
		return err
	})
}

// SeeSession records that the listed session s was used at s.LastSeenAt,
// from s.IP, unless the use recorded is less than every old: instances
// that each note a session's use now and then write it once between them.
// A session no longer listed, ended meanwhile, stays unlisted.
func (s *Store) SeeSession(ctx context.Context, as AccountSession, every time.Duration) error {
	return s.write(ctx, func(ctx context.Context, tx txn) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE account_sessions SET last_seen_at = ?, ip = ?
			WHERE token_hash = ? AND account_id = ? AND last_seen_at <= ?`),
			millis(as.LastSeenAt), as.IP, as.ID, as.AccountID, millis(as.LastSeenAt.Add(-every)))
		return err
	})
}

// AccountSessions lists the account's sessions that still hold, the one
// last used first.
func (s *Store) AccountSessions(ctx context.Context, account int64) ([]AccountSession, error) {
	var rows []struct {
		AccountSession
		Created  int64 `db:"created_at"`
		LastSeen int64 `db:"last_seen_at"`
		Expires  int64 `db:"expires_at"`
	}
	err := s.ro.SelectContext(ctx, &rows, s.ro.Rebind(`SELECT a.token_hash, a.account_id, a.created_at, a.last_seen_at, a.expires_at, a.user_agent, a.ip
		FROM account_sessions a WHERE a.account_id = ? AND a.expires_at > ?
		AND EXISTS (SELECT 1 FROM sessions WHERE token = a.token_hash)
		ORDER BY a.last_seen_at DESC, a.created_at DESC`), account, millis(s.Now()))
	if err != nil {
		return nil, err
	}
	list := make([]AccountSession, len(rows))
	for i, r := range rows {
		list[i] = r.AccountSession
		list[i].CreatedAt, list[i].LastSeenAt, list[i].ExpiresAt = time.UnixMilli(r.Created), time.UnixMilli(r.LastSeen), time.UnixMilli(r.Expires)
	}
	return list, nil
}

// EndSession ends one of the account's sessions: it returns ErrNotFound
// when the account has no session id.
func (s *Store) EndSession(ctx context.Context, account int64, id string) error {
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		var err error
		n, err = endSessions(ctx, tx, `account_id = ? AND token_hash = ?`, account, id)
		return err
	})
	if err == nil && n == 0 {
		err = fmt.Errorf("session: %w", ErrNotFound)
	}
	return err
}

// RenameSession lists the account's session id under renewed, its id
// since its token was renewed, as it was listed: a session no longer
// listed, ended meanwhile, stays unlisted. It returns ErrNotFound then.
func (s *Store) RenameSession(ctx context.Context, account int64, id, renewed string) error {
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE account_sessions SET token_hash = ? WHERE account_id = ? AND token_hash = ?`),
			renewed, account, id)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	if err == nil && n == 0 {
		err = fmt.Errorf("session: %w", ErrNotFound)
	}
	return err
}

// EndOtherSessions ends every session of the account but keep (which may be
// empty, to end them all), and returns how many it ended.
func (s *Store) EndOtherSessions(ctx context.Context, account int64, keep string) (int64, error) {
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		var err error
		n, err = endSessions(ctx, tx, `account_id = ? AND token_hash <> ?`, account, keep)
		return err
	})
	return n, err
}

// endSessions deletes the sessions whose account_sessions rows match where,
// and those rows, and returns how many of them still held.
func endSessions(ctx context.Context, tx txn, where string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM sessions WHERE token IN (SELECT token_hash FROM account_sessions WHERE `+where+`)`), args...)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM account_sessions WHERE `+where), args...)
	return n, err
}
