// Package pgtest gives oncelink's tests a fresh PostgreSQL schema of their
// own, so that the store's, the live events' and the multi-instance tests can
// share one database, also when several test binaries run at once.
package pgtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the environment variable that holds the PostgreSQL DSN the
// tests may use. CI sets it; without it, the PostgreSQL tests skip.
const EnvVar = "ONCELINK_TEST_POSTGRES"

// DSN makes a new, empty schema in the database that ONCELINK_TEST_POSTGRES
// names and returns a DSN whose connections work in it (through
// search_path). The schema is dropped, with everything in it, when the test
// ends; close whatever uses it in cleanups registered after calling DSN. It
// skips the test when the variable is unset.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		t.Skip(EnvVar + " is not set; set it to a PostgreSQL DSN to run the PostgreSQL tests")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvVar, err)
	}
	var suffix [6]byte
	rand.Read(suffix[:])
	schema := fmt.Sprintf("t_%x", suffix)
	if err := exec(base, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := exec(base, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// exec runs one statement on a connection of its own.
func exec(dsn, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt)
	return err
}
