package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
)

// SessionStore keeps the web sessions, for scs, in the sessions table;
// scs's own store for the database writes them and sweeps the expired.
// Finding a session reads, in the same query, the account it is listed
// for (see ListSession), which SessionAccount then takes rather than read
// it again: a signed-in request reads the database once, not twice.
// scs hashes a session's token before it reaches the store
// (HashTokenInStore), so the key it finds a session by is the token hash
// that account_sessions lists it under.
type SessionStore struct {
	scs.Store
	db    *sql.DB
	query string
	stop  func()
}

// SessionStore returns the store of the web sessions. It deletes expired
// sessions every cleanup, or never when cleanup is 0; StopCleanup stops it.
func (s *Store) SessionStore(cleanup time.Duration) *SessionStore {
	ss := &SessionStore{db: s.sessions.DB}
	if s.Postgres() {
		pg := pgxstore.NewWithCleanupInterval(s.pool, cleanup)
		ss.Store, ss.stop = pg, pg.StopCleanup
		ss.query = `SELECT s.data, ` + heldAccountColumns + ` FROM sessions s
			JOIN account_sessions l ON l.token_hash = s.token JOIN accounts a ON a.id = l.account_id
			WHERE s.token = $1 AND current_timestamp < s.expiry`
	} else {
		lite := sqlite3store.NewWithCleanupInterval(s.sessions.DB, cleanup)
		ss.Store, ss.stop = lite, lite.StopCleanup
		ss.query = `SELECT s.data, ` + heldAccountColumns + ` FROM sessions s
			JOIN account_sessions l ON l.token_hash = s.token JOIN accounts a ON a.id = l.account_id
			WHERE s.token = ? AND julianday('now') < s.expiry`
	}
	return ss
}

// heldAccountColumns are accountColumns of the account a, in their order.
var heldAccountColumns = "a." + strings.ReplaceAll(accountColumns, ", ", ", a.")

// StopCleanup stops deleting expired sessions.
func (ss *SessionStore) StopCleanup() { ss.stop() }

// FindCtx finds the session with token hash; when ctx holds a place for it
// (HoldSessionAccount), the account the session is listed for goes there.
// A session listed for no account is found as scs's store finds it.
func (ss *SessionStore) FindCtx(ctx context.Context, hash string) ([]byte, bool, error) {
	held, _ := ctx.Value(heldKey{}).(*heldAccount)
	if held == nil {
		return ss.Find(hash)
	}
	var data []byte
	var row accountRow
	err := ss.db.QueryRowContext(ctx, ss.query, hash).Scan(append([]any{&data}, row.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return ss.Find(hash)
	}
	if err != nil {
		return nil, false, err
	}
	*held = heldAccount{hash: hash, account: row.account()}
	return data, true, nil
}

// CommitCtx is scs's store's Commit.
func (ss *SessionStore) CommitCtx(_ context.Context, hash string, b []byte, expiry time.Time) error {
	return ss.Commit(hash, b, expiry)
}

// DeleteCtx is scs's store's Delete.
func (ss *SessionStore) DeleteCtx(_ context.Context, hash string) error {
	return ss.Delete(hash)
}

type heldKey struct{}

// heldAccount is the account a request's session was found with.
type heldAccount struct {
	hash    string
	account Account
}

// HoldSessionAccount returns ctx with a place for the account that the
// session store finds a session with, for SessionAccount to take.
func HoldSessionAccount(ctx context.Context) context.Context {
	return context.WithValue(ctx, heldKey{}, &heldAccount{})
}

// takeHeld returns the account the session with token hash session was
// found with, if it is account id, and empties the place: a later lookup
// in the same request reads the database afresh.
func takeHeld(ctx context.Context, id int64, session string) (Account, bool) {
	held, _ := ctx.Value(heldKey{}).(*heldAccount)
	if held == nil || held.hash == "" || held.hash != session || held.account.ID != id {
		return Account{}, false
	}
	a := held.account
	*held = heldAccount{}
	return a, true
}
