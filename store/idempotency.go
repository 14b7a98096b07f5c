package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Links, requests and webhook endpoints may each be made with an
// idempotency key, the key of the create that made them: a create sent
// again with an owner's key that made a row of the kind before makes
// nothing, and is ErrKeyTaken. Each table keeps the key in its
// idempotency_key column, unique per owner (migrations 006 and 027).

// ErrKeyTaken reports a create whose idempotency key made a row of its
// owner's before. It is ErrConflict.
var ErrKeyTaken = fmt.Errorf("idempotency key taken: %w", ErrConflict)

// nullKey is an idempotency key as its column keeps it: NULL for none,
// which the unique index leaves out.
func nullKey(key string) sql.NullString {
	return sql.NullString{String: key, Valid: key != ""}
}

// keyedInsert completes insert, "INSERT INTO table (columns" with args as
// the columns' values, into a table whose owner is in column owner, with
// key as its idempotency key: with none, the insert names no key column,
// as every insert did before migration 027 made it (and as the tests of
// the migrations before it insert); with one, it is ended by onKeyTaken.
func keyedInsert(insert, owner, key string, args ...any) (string, []any) {
	marks := strings.Repeat(", ?", len(args))[2:]
	if key == "" {
		return insert + `) VALUES (` + marks + `)`, args
	}
	return insert + `, idempotency_key) VALUES (` + marks + `, ?)` + onKeyTaken(owner), append(args, key)
}

// onKeyTaken ends an insert into a table whose owner is in column owner:
// when the owner's key is taken, the insert inserts nothing, also when the
// other insert is not yet committed (PostgreSQL waits for it rather than
// fail), and its RETURNING gives no row, which keyTaken reads.
func onKeyTaken(owner string) string {
	return ` ON CONFLICT (` + owner + `, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`
}

// keyTaken is err of an insert ended by onKeyTaken, of a row that is
// what: ErrKeyTaken when it returned no row.
func keyTaken(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrKeyTaken)
	}
	return err
}
