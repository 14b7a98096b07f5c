package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/text/secure/precis"
)

// UsernameKey is the name an account is looked up by, and unique by: name
// case-mapped and normalised by PRECIS's UsernameCaseMapped profile (RFC
// 8265), so that "Bob", "bob" and the full-width "Ｂｏｂ" are one name.
// err is PRECIS's refusal of name, for the rules to turn into a message;
// key is then name itself, so that an account named before names were
// checked can still be found.
func UsernameKey(name string) (key string, err error) {
	key, err = precis.UsernameCaseMapped.String(name)
	if err != nil {
		return name, err
	}
	return key, nil
}

// usernameKey is UsernameKey's key alone.
func usernameKey(name string) string {
	key, _ := UsernameKey(name)
	return key
}

// Account is someone who can sign in and own links.
type Account struct {
	ID           int64
	Username     string
	PasswordHash string
	Admin        bool
	CreatedAt    time.Time
	DisabledAt   time.Time // zero while the account is enabled
	Language     string    // the code of the language it reads in; "" to follow the browser
	TimeZone     string    // the IANA name of the zone its texts and mails write times in; "" for UTC
}

// Disabled reports whether the account may no longer sign in.
func (a Account) Disabled() bool { return !a.DisabledAt.IsZero() }

// HasPassword reports whether the account has a password: one made by
// single sign-on has none until the operator sets one.
func (a Account) HasPassword() bool { return a.PasswordHash != "" }

// Location is the time zone the account's texts and mails write times
// in: the one it chose, or UTC. A name the zone database no longer has,
// which the account could choose when it had, is UTC too, with the error
// for the caller to log: the text is still written.
func (a Account) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(a.TimeZone)
	if err != nil {
		return time.UTC, fmt.Errorf("account %d: time zone %q: %w", a.ID, a.TimeZone, err)
	}
	return loc, nil
}

type accountRow struct {
	ID           int64         `db:"id"`
	Username     string        `db:"username"`
	PasswordHash string        `db:"password_hash"`
	Admin        bool          `db:"is_admin"`
	CreatedAt    int64         `db:"created_at"`
	DisabledAt   sql.NullInt64 `db:"disabled_at"`
	Language     string        `db:"language"`
	TimeZone     string        `db:"time_zone"`
}

func (r accountRow) account() Account {
	return Account{
		ID: r.ID, Username: r.Username, PasswordHash: r.PasswordHash, Admin: r.Admin,
		CreatedAt: time.UnixMilli(r.CreatedAt), DisabledAt: fromMillis(r.DisabledAt), Language: r.Language,
		TimeZone: r.TimeZone,
	}
}

// accountColumns are accountRow's columns, in dest's order.
const accountColumns = `id, username, password_hash, is_admin, created_at, disabled_at, language, time_zone`

// dest is where a row of accountColumns scans to, in their order.
func (r *accountRow) dest() []any {
	return []any{&r.ID, &r.Username, &r.PasswordHash, &r.Admin, &r.CreatedAt, &r.DisabledAt, &r.Language, &r.TimeZone}
}

// CreateAccount adds an account. It returns ErrConflict when the name, or
// another with the same UsernameKey, is taken.
func (s *Store) CreateAccount(ctx context.Context, username, passwordHash string, admin bool) (Account, error) {
	return s.insertAccount(ctx, username, passwordHash, admin, false)
}

// CreateFirstAccount adds the first, admin, account, and returns ErrConflict
// once any account exists, so that two concurrent set-ups make one account.
func (s *Store) CreateFirstAccount(ctx context.Context, username, passwordHash string) (Account, error) {
	return s.insertAccount(ctx, username, passwordHash, true, true)
}

func (s *Store) insertAccount(ctx context.Context, username, passwordHash string, admin, onlyFirst bool) (Account, error) {
	var row accountRow
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		if s.dialect.lockMigrations != "" && onlyFirst {
			// Two set-ups on two PostgreSQL connections would each see no
			// account; the advisory lock makes the second wait and see one.
			if _, err := tx.ExecContext(ctx, s.dialect.lockMigrations); err != nil {
				return err
			}
		}
		if onlyFirst {
			// The first account is the only one while none exists.
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM accounts`); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("account %q: %w", username, ErrConflict)
			}
		}
		// A taken name inserts nothing, also when the other insert is not
		// yet committed: PostgreSQL waits for it rather than fail on the
		// index.
		err := tx.GetContext(ctx, &row, tx.Rebind(`INSERT INTO accounts (username, username_key, password_hash, is_admin, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING `+accountColumns),
			username, usernameKey(username), passwordHash, admin, millis(s.Now()))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("account %q: %w", username, ErrConflict)
		}
		return err
	})
	if err != nil {
		return Account{}, err
	}
	return row.account(), nil
}

// CountAccounts returns how many accounts exist.
func (s *Store) CountAccounts(ctx context.Context) (int, error) {
	var n int
	err := s.ro.GetContext(ctx, &n, `SELECT COUNT(*) FROM accounts`)
	return n, err
}

// AccountByName finds an account by its username, or any name with the
// same UsernameKey.
func (s *Store) AccountByName(ctx context.Context, username string) (Account, error) {
	return s.account(ctx, `username_key = ?`, usernameKey(username))
}

// AccountByID finds an account by its id.
func (s *Store) AccountByID(ctx context.Context, id int64) (Account, error) {
	return s.account(ctx, `id = ?`, id)
}

// SessionAccount finds account id while the web session with token hash
// session is listed as its (see ListSession): a session ended, whose
// listing went with it, is ErrNotFound even if scs saved it again since.
// The account the session store found the session with (see
// SessionStore) is taken rather than read again.
func (s *Store) SessionAccount(ctx context.Context, id int64, session string) (Account, error) {
	if a, ok := takeHeld(ctx, id, session); ok {
		return a, nil
	}
	return s.account(ctx, `id = ? AND EXISTS (SELECT 1 FROM account_sessions WHERE token_hash = ? AND account_id = accounts.id)`, id, session)
}

// account reads one account. It runs on every signed-in request, so it
// scans the row by hand rather than match columns to fields by name.
func (s *Store) account(ctx context.Context, where string, args ...any) (Account, error) {
	var row accountRow
	err := s.ro.QueryRowxContext(ctx, s.ro.Rebind(`SELECT `+accountColumns+` FROM accounts WHERE `+where), args...).
		Scan(row.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, fmt.Errorf("account: %w", ErrNotFound)
	}
	return row.account(), err
}

// Accounts lists every account by name.
func (s *Store) Accounts(ctx context.Context) ([]Account, error) {
	var rows []accountRow
	if err := s.ro.SelectContext(ctx, &rows, `SELECT `+accountColumns+` FROM accounts ORDER BY username`); err != nil {
		return nil, err
	}
	accounts := make([]Account, len(rows))
	for i, r := range rows {
		accounts[i] = r.account()
	}
	return accounts, nil
}

// SetDisabled disables or enables an account. Disabling the last enabled
// administrator is ErrLastAdmin. changed is false when the account was
// disabled, or enabled, already: then nothing changes, not even since when
// it is disabled. Of two calls at once, also on two instances, one changes
// it and the other is told it did not: the change is one conditional
// write.
func (s *Store) SetDisabled(ctx context.Context, id int64, disabled bool) (a Account, changed bool, err error) {
	var at sql.NullInt64
	var then func(context.Context, txn) error
	unchanged := `disabled_at IS NULL`
	if disabled {
		at = sql.NullInt64{Int64: millis(s.Now()), Valid: true}
		unchanged = `disabled_at IS NOT NULL`
		// Its sessions end with it, half-done sign-ins too: enabling it
		// again signs nobody back in. So do the notices waiting for it:
		// enabling it again sends none of them.
		then = func(ctx context.Context, tx txn) error {
			if _, err := endSessions(ctx, tx, `account_id = ?`, id); err != nil {
				return err
			}
			return endDeliveries(ctx, tx, id, s.Now())
		}
	}
	return s.changeAccount(ctx, id, disabled, `disabled_at = ?`, at, unchanged, then)
}

// SetAdmin makes an account an administrator, or a member. Making the last
// enabled administrator a member is ErrLastAdmin. Made an administrator,
// its sessions end in the same transaction, half-done sign-ins too: a
// copy of a cookie taken while it was a member does not become an
// administrator's. changed is false when the account was what it is to
// be already: then nothing changes and no session ends. ended is how many
// sessions that still held ended.
func (s *Store) SetAdmin(ctx context.Context, id int64, admin bool) (a Account, changed bool, ended int64, err error) {
	var then func(context.Context, txn) error
	if admin {
		then = func(ctx context.Context, tx txn) error {
			var err error
			ended, err = endSessions(ctx, tx, `account_id = ?`, id)
			return err
		}
	}
	unchanged := `NOT is_admin`
	if admin {
		unchanged = `is_admin`
	}
	a, changed, err = s.changeAccount(ctx, id, !admin, `is_admin = ?`, admin, unchanged, then)
	return a, changed, ended, err
}

// SetLanguage sets the language account id reads in: a code, or "" to
// follow the browser.
func (s *Store) SetLanguage(ctx context.Context, id int64, code string) (Account, error) {
	a, _, err := s.changeAccount(ctx, id, false, `language = ?`, code, "", nil)
	return a, err
}

// SetTimeZone sets the time zone that account id's texts to send with a
// new link, and its mails, write times in: an IANA name, or "" for UTC.
func (s *Store) SetTimeZone(ctx context.Context, id int64, zone string) (Account, error) {
	a, _, err := s.changeAccount(ctx, id, false, `time_zone = ?`, zone, "", nil)
	return a, err
}

// changeAccount sets one column of account id, unless unchanged (when not
// empty) holds of its row, and then runs then, when not nil, in the same
// transaction. The condition is part of the UPDATE, so that of two changes
// at once the second finds the first's row: on PostgreSQL it waits for the
// first to commit and asks again of the row as it left it. changed is
// false when unchanged held: the account is returned as it is, and then
// does not run. When demotes, the change leaves the account no enabled
// administrator: then at least one other must remain.
func (s *Store) changeAccount(ctx context.Context, id int64, demotes bool, set string, value any, unchanged string, then func(context.Context, txn) error) (Account, bool, error) {
	var row accountRow
	changed := false
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		if demotes {
			if err := s.keepAnAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		where := `id = ?`
		if unchanged != "" {
			where += ` AND NOT (` + unchanged + `)`
		}
		err := tx.GetContext(ctx, &row, tx.Rebind(`UPDATE accounts SET `+set+` WHERE `+where+` RETURNING `+accountColumns), value, id)
		if errors.Is(err, sql.ErrNoRows) && unchanged != "" {
			// Unchanged, or gone.
			return tx.GetContext(ctx, &row, tx.Rebind(`SELECT `+accountColumns+` FROM accounts WHERE id = ?`), id)
		}
		if err != nil {
			return err
		}
		changed = true
		if then == nil {
			return nil
		}
		return then(ctx, tx)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, false, fmt.Errorf("account: %w", ErrNotFound)
	}
	if err != nil {
		return Account{}, false, err
	}
	return row.account(), changed, nil
}

// keepAnAdmin returns ErrLastAdmin when account id is the only enabled
// administrator. On PostgreSQL the transactions that call it run one after
// the other, from its call until they end, and each counts the
// administrators the one before left: two administrators removing each
// other at once do not both succeed. That is a lock of its own rather than
// the administrators' rows, which other transactions hold in any order (a
// sweep's, writing what their links store), and which a disable holding
// them while it waits for its own account's row would deadlock with.
func (s *Store) keepAnAdmin(ctx context.Context, tx txn, id int64) error {
	if s.dialect.lockAdmins != "" {
		if _, err := tx.ExecContext(ctx, s.dialect.lockAdmins); err != nil {
			return err
		}
	}
	var admins []int64
	rows, err := tx.QueryContext(ctx, `SELECT id FROM accounts WHERE is_admin AND disabled_at IS NULL`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a int64
		if err := rows.Scan(&a); err != nil {
			return err
		}
		admins = append(admins, a)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(admins) == 1 && admins[0] == id {
		return fmt.Errorf("account %d: %w", id, ErrLastAdmin)
	}
	return nil
}

// DeleteAccount deletes an account with its links, their content and
// audit trail, its API keys and its sessions. Links made only for it are
// revoked, their content deleted, and no longer name it. Deleting the last
// enabled administrator is ErrLastAdmin. It returns the owners of the
// links it revoked so, for their dashboards.
func (s *Store) DeleteAccount(ctx context.Context, id int64) (Account, []Link, error) {
	var (
		row     accountRow
		revoked []Link
	)
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		if err := s.keepAnAdmin(ctx, tx, id); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT `+accountColumns+` FROM accounts WHERE id = ?`), id); err != nil {
			return err
		}
		now := millis(s.Now())
		rows, err := tx.QueryContext(ctx, tx.Rebind(`UPDATE links SET revoked_at = ?, for_user_id = NULL
			WHERE for_user_id = ? AND revoked_at IS NULL RETURNING id, owner_id`), now, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var l Link
			if err := rows.Scan(&l.ID, &l.OwnerID); err != nil {
				rows.Close()
				return err
			}
			revoked = append(revoked, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, l := range revoked {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM link_content WHERE link_id = ?`), l.ID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE links SET content_deleted_at = ? WHERE id = ?`), now, l.ID); err != nil {
				return err
			}
		}
		// Its own links' content and events go with them (ON DELETE
		// CASCADE), as do its API keys and session rows; its requests go
		// first, since they name their links.
		for _, q := range []string{
			`UPDATE links SET for_user_id = NULL WHERE for_user_id = ?`,
			`DELETE FROM requests WHERE owner_id = ?`,
			`DELETE FROM links WHERE owner_id = ?`,
			`DELETE FROM sessions WHERE token IN (SELECT token_hash FROM account_sessions WHERE account_id = ?)`,
			`DELETE FROM accounts WHERE id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, tx.Rebind(q), id); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, nil, fmt.Errorf("account: %w", ErrNotFound)
	}
	return row.account(), revoked, err
}

// SetPassword replaces an account's password hash and, in the same
// transaction, ends every session of it but keep (which may be empty, to
// end them all): a session begun with the old password does not outlive
// it, and the count of wrong second-step codes in a row is forgotten. It
// returns the account and how many sessions that still held ended.
func (s *Store) SetPassword(ctx context.Context, id int64, hash, keep string) (Account, int64, error) {
	var row accountRow
	var ended int64
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		err := tx.GetContext(ctx, &row, tx.Rebind(`UPDATE accounts SET password_hash = ? WHERE id = ? RETURNING `+accountColumns), hash, id)
		if err != nil {
			return err
		}
		ended, err = endSessions(ctx, tx, `account_id = ? AND token_hash <> ?`, id, keep)
		if err != nil {
			return err
		}
		// Whoever gave the wrong second-step codes knew the old password.
		_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM second_step_failures WHERE account_id = ?`), id)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, 0, fmt.Errorf("account: %w", ErrNotFound)
	}
	return row.account(), ended, err
}

// fillUsernameKeys sets the lookup key of the accounts that have none:
// those made before keys were kept, or by an older version sharing the
// database. It runs in tx, under the migrations' lock, and refuses, naming
// them, when two accounts would have the same key: merging them would hand
// one person's links to another, and picking one would lock the other out.
func fillUsernameKeys(ctx context.Context, tx *sqlx.Tx) error {
	var rows []struct {
		ID       int64          `db:"id"`
		Username string         `db:"username"`
		Key      sql.NullString `db:"username_key"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT id, username, username_key FROM accounts ORDER BY id`); err != nil {
		return err
	}
	owner := make(map[string]string, len(rows))
	var clashes []string
	fill := map[int64]string{}
	for _, r := range rows {
		key := r.Key.String
		if !r.Key.Valid {
			key = usernameKey(r.Username)
			fill[r.ID] = key
		}
		if other, ok := owner[key]; ok {
			clashes = append(clashes, fmt.Sprintf("%q and %q", other, r.Username))
			continue
		}
		owner[key] = r.Username
	}
	if len(clashes) > 0 {
		return fmt.Errorf("%w: the accounts %s are the same name once case and width are ignored, as oncelink now compares names; "+
			"rename or delete all but one of each (with the version of oncelink that made them, or in the database) and start again",
			ErrConflict, strings.Join(clashes, ", "))
	}
	for id, key := range fill {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE accounts SET username_key = ? WHERE id = ?`), key, id); err != nil {
			return err
		}
	}
	return nil
}

// Secret returns the named server secret, making and keeping a random one of
// size bytes the first time it is asked for. Concurrent first calls, also
// from other processes, all get the one that was kept.
func (s *Store) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	fresh := make([]byte, size)
	rand.Read(fresh)
	var value []byte
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`), name, fresh); err != nil {
			return err
		}
		return tx.GetContext(ctx, &value, tx.Rebind(`SELECT value FROM settings WHERE name = ?`), name)
	})
	if err != nil {
		return nil, fmt.Errorf("store: secret %s: %w", name, err)
	}
	return value, nil
}
