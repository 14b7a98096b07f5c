package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// TOTP is an account's authenticator-app secret, sealed by the caller.
type TOTP struct {
	AccountID   int64
	Secret      []byte // sealed
	CreatedAt   time.Time
	ConfirmedAt time.Time // zero while the enrolment is not confirmed
	// LastStep is the last time step whose code was accepted.
	LastStep int64
}

// Confirmed reports whether the secret was confirmed with a code, and so
// is a second factor.
func (t TOTP) Confirmed() bool { return !t.ConfirmedAt.IsZero() }

type totpRow struct {
	AccountID   int64         `db:"account_id"`
	Secret      []byte        `db:"secret"`
	CreatedAt   int64         `db:"created_at"`
	ConfirmedAt sql.NullInt64 `db:"confirmed_at"`
	LastStep    int64         `db:"last_step"`
}

const totpColumns = `account_id, secret, created_at, confirmed_at, last_step`

// StartTOTP keeps a new, unconfirmed secret for the account, in place of an
// unconfirmed one. An account whose secret is confirmed keeps it: that is
// ErrConflict.
func (s *Store) StartTOTP(ctx context.Context, account int64, sealed []byte) error {
	return s.write(ctx, func(ctx context.Context, tx txn) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO totp (account_id, secret, created_at) VALUES (?, ?, ?)
			ON CONFLICT (account_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, last_step = 0
			WHERE totp.confirmed_at IS NULL`), account, sealed, millis(s.Now()))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return fmt.Errorf("totp: %w", ErrConflict)
		}
		return err
	})
}

// TOTPOf returns the account's secret, confirmed or not, or ErrNotFound.
func (s *Store) TOTPOf(ctx context.Context, account int64) (TOTP, error) {
	var r totpRow
	err := s.ro.GetContext(ctx, &r, s.ro.Rebind(`SELECT `+totpColumns+` FROM totp WHERE account_id = ?`), account)
	if errors.Is(err, sql.ErrNoRows) {
		return TOTP{}, fmt.Errorf("totp: %w", ErrNotFound)
	}
	if err != nil {
		return TOTP{}, err
	}
	return TOTP{AccountID: r.AccountID, Secret: r.Secret, CreatedAt: time.UnixMilli(r.CreatedAt),
		ConfirmedAt: fromMillis(r.ConfirmedAt), LastStep: r.LastStep}, nil
}

// UseTOTPStep takes time step step of the account's secret, once: it
// returns ErrGone when that step or a later one was already taken, and
// ErrNotFound when the account has no secret in the state confirmed asks
// for. Taking a step of an unconfirmed secret confirms it.
func (s *Store) UseTOTPStep(ctx context.Context, account, step int64, confirmed bool) error {
	return s.write(ctx, func(ctx context.Context, tx txn) error {
		state := `confirmed_at IS NOT NULL`
		if !confirmed {
			state = `confirmed_at IS NULL`
		}
		var last int64
		err := tx.GetContext(ctx, &last, tx.Rebind(`SELECT last_step FROM totp WHERE account_id = ? AND `+state+s.dialect.forUpdate), account)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("totp: %w", ErrNotFound)
		}
		if err != nil {
			return err
		}
		if step <= last {
			return fmt.Errorf("totp step: %w", ErrGone)
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE totp SET last_step = ?, confirmed_at = COALESCE(confirmed_at, ?) WHERE account_id = ?`),
			step, millis(s.Now()), account)
		return err
	})
}

// DeleteTOTP removes the account's secret; without one it is ErrNotFound.
// When the account has no passkey left either, its recovery codes go too.
// With keepOne, removing its last second factor is ErrLastFactor, and
// nothing goes.
func (s *Store) DeleteTOTP(ctx context.Context, account int64, keepOne bool) error {
	return s.write(ctx, func(ctx context.Context, tx txn) error {
		if keepOne {
			if err := s.lockAccount(ctx, tx, account); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM totp WHERE account_id = ?`), account)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = fmt.Errorf("totp: %w", ErrNotFound)
			}
			return err
		}
		if keepOne {
			if err := factorLeft(ctx, tx, account); err != nil {
				return err
			}
		}
		return dropLoneRecoveryCodes(ctx, tx, account)
	})
}

// lockAccount locks the account's row until the transaction ends. On
// PostgreSQL two removals of its second factors at once then run one after
// the other, and the second sees what the first left; on SQLite writes run
// one at a time anyway.
func (s *Store) lockAccount(ctx context.Context, tx txn, account int64) error {
	var id int64
	err := tx.GetContext(ctx, &id, tx.Rebind(`SELECT id FROM accounts WHERE id = ?`+s.dialect.forUpdate), account)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("account: %w", ErrNotFound)
	}
	return err
}

// factorLeft returns ErrLastFactor when the account has no second factor
// left: the caller's transaction then rolls its removal back.
func factorLeft(ctx context.Context, tx txn, account int64) error {
	var left bool
	err := tx.GetContext(ctx, &left, tx.Rebind(`SELECT
		EXISTS (SELECT 1 FROM totp WHERE account_id = ? AND confirmed_at IS NOT NULL)
		OR EXISTS (SELECT 1 FROM passkeys WHERE account_id = ?)`), account, account)
	if err == nil && !left {
		err = fmt.Errorf("account %d: %w", account, ErrLastFactor)
	}
	return err
}

// dropLoneRecoveryCodes deletes the account's recovery codes when it has no
// second factor left for them to stand in for.
func dropLoneRecoveryCodes(ctx context.Context, tx txn, account int64) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM recovery_codes WHERE account_id = ?
		AND NOT EXISTS (SELECT 1 FROM totp WHERE account_id = ? AND confirmed_at IS NOT NULL)
		AND NOT EXISTS (SELECT 1 FROM passkeys WHERE account_id = ?)`), account, account, account)
	return err
}

// SetRecoveryCodes replaces the account's recovery codes with new ones,
// given by their hashes.
func (s *Store) SetRecoveryCodes(ctx context.Context, account int64, hashes [][]byte) error {
	return s.write(ctx, func(ctx context.Context, tx txn) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM recovery_codes WHERE account_id = ?`), account); err != nil {
			return err
		}
		return insertRecoveryCodes(ctx, tx, account, hashes, millis(s.Now()))
	})
}

// FirstRecoveryCodes gives the account recovery codes, given by their
// hashes, when it has none, used or not; one that has some keeps them, and
// it is ErrConflict. The account's row is locked meanwhile, so that of two
// at once only one gives codes.
func (s *Store) FirstRecoveryCodes(ctx context.Context, account int64, hashes [][]byte) error {
	return s.write(ctx, func(ctx context.Context, tx txn) error {
		var id int64
		err := tx.GetContext(ctx, &id, tx.Rebind(`SELECT id FROM accounts WHERE id = ?`+s.dialect.forUpdate), account)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("account: %w", ErrNotFound)
		}
		if err != nil {
			return err
		}
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM recovery_codes WHERE account_id = ?`), account); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("recovery codes: %w", ErrConflict)
		}
		return insertRecoveryCodes(ctx, tx, account, hashes, millis(s.Now()))
	})
}

func insertRecoveryCodes(ctx context.Context, tx txn, account int64, hashes [][]byte, now int64) error {
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO recovery_codes (account_id, code_hash, created_at) VALUES (?, ?, ?)`),
			account, h, now); err != nil {
			return err
		}
	}
	return nil
}

// UseRecoveryCode marks the account's unused code with this hash used,
// and returns how many unused ones the account has left then, counted in
// the same write. A code it does not have, or has used, is ErrNotFound.
func (s *Store) UseRecoveryCode(ctx context.Context, account int64, hash []byte) (left int, err error) {
	err = s.write(ctx, func(ctx context.Context, tx txn) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE recovery_codes SET used_at = ?
			WHERE account_id = ? AND code_hash = ? AND used_at IS NULL`), millis(s.Now()), account, hash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = fmt.Errorf("recovery code: %w", ErrNotFound)
			}
			return err
		}
		return tx.GetContext(ctx, &left, tx.Rebind(`SELECT COUNT(*) FROM recovery_codes WHERE account_id = ? AND used_at IS NULL`), account)
	})
	return left, err
}

// SecondStepTry is what TakeSecondStepTry found. Failures is the
// account's wrong second-step codes in a row, the try just taken counted
// among them. Wait, when not zero, is how long the try is held back: it
// was not taken, and nothing was counted. Again is set when the code is
// one the account just took (see SecondStepCode): the code is not to be
// taken, and the try counted nothing either.
type SecondStepTry struct {
	Failures int
	Wait     time.Duration
	Again    bool
}

// SecondStepCode is a code given at the second step as the account would
// have kept it, had it taken it already: Step, when not zero, is the time
// step of the account's confirmed authenticator app it is a code of;
// Recovery, when not nil, the hash of a recovery code. It is taken again
// when the app's last step taken is Step, or when the recovery code was
// used at or after Since.
type SecondStepCode struct {
	Step     int64
	Recovery []byte
	Since    time.Time
}

// TakeSecondStepTry takes a try at the account's second step with code,
// unless its wrong codes in a row hold it back: wait(n) is how long a try
// waits after the last one, once there were n (zero for no wait). A try
// taken counts as wrong until ForgetSecondStepFailures says otherwise, in
// the same write that checks the wait, with the account's row locked on
// PostgreSQL: of two tries at once, on one instance or two, the second
// sees the first counted, and waits when that one's count says so.
//
// A code the account just took, sent again (a form sent twice, a client
// that tries again), is no guess: it is Again, and not counted. The same
// write reads what the account took, its rows shared-locked on
// PostgreSQL, so that it is counted only before the code was taken, and
// then the right code's ForgetSecondStepFailures, which comes after,
// forgets it too.
func (s *Store) TakeSecondStepTry(ctx context.Context, account int64, wait func(failures int) time.Duration, code SecondStepCode) (SecondStepTry, error) {
	var try SecondStepTry
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		if err := s.lockAccount(ctx, tx, account); err != nil {
			return err
		}
		now := s.Now()
		var last int64
		err := tx.QueryRowxContext(ctx, tx.Rebind(`SELECT failures, last_at FROM second_step_failures WHERE account_id = ?`), account).
			Scan(&try.Failures, &last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if left := time.UnixMilli(last).Add(wait(try.Failures)).Sub(now); left > 0 {
			try.Wait = left
			return nil
		}
		if try.Again, err = s.takenAgain(ctx, tx, account, code); err != nil || try.Again {
			return err
		}
		try.Failures++
		_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO second_step_failures (account_id, failures, last_at) VALUES (?, ?, ?)
			ON CONFLICT (account_id) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at`),
			account, try.Failures, millis(now))
		return err
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return SecondStepTry{}, fmt.Errorf("store: second-step try: %w", err)
	}
	return try, err
}

// takenAgain reports whether the account took code already (see
// SecondStepCode). On PostgreSQL the rows read stay shared-locked until
// tx ends: a write that takes the code meanwhile waits for tx.
func (s *Store) takenAgain(ctx context.Context, tx txn, account int64, code SecondStepCode) (bool, error) {
	var used sql.NullInt64
	var err error
	switch {
	case code.Step != 0:
		err = tx.GetContext(ctx, &used, tx.Rebind(`SELECT last_step FROM totp WHERE account_id = ? AND confirmed_at IS NOT NULL`+s.dialect.forShare), account)
		used.Valid = used.Valid && used.Int64 == code.Step
	case code.Recovery != nil:
		err = tx.GetContext(ctx, &used, tx.Rebind(`SELECT used_at FROM recovery_codes WHERE account_id = ? AND code_hash = ?`+s.dialect.forShare),
			account, code.Recovery)
		used.Valid = used.Valid && used.Int64 >= millis(code.Since)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return used.Valid, err
}

// ForgetSecondStepFailures forgets the account's wrong second-step codes
// in a row: a right code came.
func (s *Store) ForgetSecondStepFailures(ctx context.Context, account int64) error {
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM second_step_failures WHERE account_id = ?`), account)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: forget second-step failures: %w", err)
	}
	return nil
}

// NoticeSecondStepFailures marks the account's wrong second-step codes in
// a row as told to its owner, once they number at least threshold, and
// returns how many they were; zero when they are fewer, or were told
// already: a run of them is told once, whichever instance marks it first.
// The same write puts the notice, of e, the try that marked them, in the
// outbox for the account's confirmed notice address, if it has one and
// email is on.
func (s *Store) NoticeSecondStepFailures(ctx context.Context, account int64, threshold int, e Event, email bool) (int, error) {
	var failures int
	err := s.write(ctx, func(ctx context.Context, tx txn) error {
		err := tx.GetContext(ctx, &failures, tx.Rebind(`UPDATE second_step_failures SET notified = TRUE
			WHERE account_id = ? AND failures >= ? AND NOT notified RETURNING failures`), account, threshold)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil || !email {
			return err
		}
		return s.enqueueSecondStepMail(ctx, tx, account, e, failures)
	})
	if err != nil {
		return 0, fmt.Errorf("store: notice second-step failures: %w", err)
	}
	return failures, nil
}

// SecondFactors tells what an account signs in with beside its password:
// whether it has a confirmed TOTP secret, how many passkeys (and how many
// of them were found cloned, which sign in no more), and how many recovery
// codes it has unused and used.
type SecondFactors struct {
	TOTP           bool
	TOTPSince      time.Time
	Passkeys       int
	PasskeysCloned int
	RecoveryLeft   int
	RecoveryUsed   int
}

// Any reports whether the account has a second factor.
func (f SecondFactors) Any() bool { return f.TOTP || f.Passkeys > 0 }

// SecondFactorsOf reads an account's SecondFactors in one query.
func (s *Store) SecondFactorsOf(ctx context.Context, account int64) (SecondFactors, error) {
	var r struct {
		Confirmed sql.NullInt64 `db:"confirmed"`
		Passkeys  int           `db:"passkeys"`
		Cloned    int           `db:"cloned"`
		Recovery  int           `db:"recovery"`
		Used      int           `db:"used"`
	}
	err := s.ro.GetContext(ctx, &r, s.ro.Rebind(`SELECT
		(SELECT confirmed_at FROM totp WHERE account_id = ?) AS confirmed,
		(SELECT COUNT(*) FROM passkeys WHERE account_id = ?) AS passkeys,
		(SELECT COUNT(*) FROM passkeys WHERE account_id = ? AND cloned_at IS NOT NULL) AS cloned,
		(SELECT COUNT(*) FROM recovery_codes WHERE account_id = ? AND used_at IS NULL) AS recovery,
		(SELECT COUNT(*) FROM recovery_codes WHERE account_id = ? AND used_at IS NOT NULL) AS used`), account, account, account, account, account)
	if err != nil {
		return SecondFactors{}, err
	}
	return SecondFactors{TOTP: r.Confirmed.Valid, TOTPSince: fromMillis(r.Confirmed), Passkeys: r.Passkeys, PasskeysCloned: r.Cloned,
		RecoveryLeft: r.Recovery, RecoveryUsed: r.Used}, nil
}

// WithSecondFactor returns the ids of the accounts that have a second
// factor, for the accounts page.
func (s *Store) WithSecondFactor(ctx context.Context) (map[int64]bool, error) {
	var ids []int64
	err := s.ro.SelectContext(ctx, &ids, `SELECT account_id FROM totp WHERE confirmed_at IS NOT NULL
		UNION SELECT account_id FROM passkeys`)
	if err != nil {
		return nil, err
	}
	with := make(map[int64]bool, len(ids))
	for _, id := range ids {
		with[id] = true
	}
	return with, nil
}

// ResetSecondFactors removes every second factor of the account, and its
// recovery codes, for an administrator when its owner lost them; its wrong
// second-step codes in a row are forgotten with them. In the same
// transaction every session of the account ends, half-done sign-ins too:
// a lost or stolen device may still be signed in. removed is false when
// the account had no second factor and no unused recovery code: then
// nothing changes and no session ends. Its row is locked first, so that of
// two resets at once, also on two instances, the second finds what the
// first left: nothing, and says so. ended is how many sessions that still
// held ended. An account that does not exist is ErrNotFound.
func (s *Store) ResetSecondFactors(ctx context.Context, account int64) (removed bool, ended int64, err error) {
	err = s.write(ctx, func(ctx context.Context, tx txn) error {
		if err := s.lockAccount(ctx, tx, account); err != nil {
			return err
		}
		var has bool
		if err := tx.GetContext(ctx, &has, tx.Rebind(`SELECT
			EXISTS (SELECT 1 FROM totp WHERE account_id = ? AND confirmed_at IS NOT NULL)
			OR EXISTS (SELECT 1 FROM passkeys WHERE account_id = ?)
			OR EXISTS (SELECT 1 FROM recovery_codes WHERE account_id = ? AND used_at IS NULL)`), account, account, account); err != nil {
			return err
		}
		if !has {
			return nil
		}
		removed = true
		for _, q := range []string{
			`DELETE FROM totp WHERE account_id = ?`,
			`DELETE FROM passkeys WHERE account_id = ?`,
			`DELETE FROM recovery_codes WHERE account_id = ?`,
			`DELETE FROM second_step_failures WHERE account_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, tx.Rebind(q), account); err != nil {
				return err
			}
		}
		var err error
		ended, err = endSessions(ctx, tx, `account_id = ?`, account)
		return err
	})
	if err != nil {
		return false, 0, err
	}
	return removed, ended, nil
}

// Flag reads a server-wide switch kept in the settings table; one never
// set is off.
func (s *Store) Flag(ctx context.Context, name string) (bool, error) {
	var value []byte
	err := s.ro.GetContext(ctx, &value, s.ro.Rebind(`SELECT value FROM settings WHERE name = ?`), "flag:"+name)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return len(value) == 1 && value[0] == 1, err
}

// SetFlag turns a server-wide switch on or off, for every instance that
// shares the database.
func (s *Store) SetFlag(ctx context.Context, name string, on bool) error {
	value := []byte{0}
	if on {
		value[0] = 1
	}
	return s.write(ctx, func(ctx context.Context, tx txn) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO settings (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`), "flag:"+name, value)
		return err
	})
}
