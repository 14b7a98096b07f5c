package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"

	"oncelink/i18n"
	"oncelink/internal/pgtest"
)

// TestDatabaseErrorsSaid: an SQLite database that cannot be opened (in a
// folder that is not there, a file that is no database, a directory) is
// said, by the operator commands and by the server, in each language, to
// be a database that cannot be opened, with its path and why, rather than
// in the driver's English.
func TestDatabaseErrorsSaid(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nonexistent", "x.db")
	notDB := filepath.Join(dir, "bad.db")
	if err := os.WriteFile(notDB, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for lang, locale := range locales {
		l := i18n.For(lang)
		env := map[string]string{"LANG": locale}
		cannot := func(path, problem string) string {
			return l.T("cli.db.cannot_open", "Path", path, "Problem", problem)
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"user", "list", "--create", "--db", missing}, cannot(missing, l.T("cli.sys.not_exist"))},
			{[]string{"user", "list", "--db", notDB}, cannot(notDB, l.T("cli.db.not_database"))},
			{[]string{"user", "list", "--db", dir}, cannot(dir, l.T("cli.sys.is_dir"))},
			{[]string{"serve", "--addr", "127.0.0.1:0", "--db", missing}, cannot(missing, l.T("cli.sys.not_exist"))},
			{[]string{"serve", "--addr", "127.0.0.1:0", "--db", notDB}, cannot(notDB, l.T("cli.db.not_database"))},
		} {
			r := runCLI(t, env, "", tc.args...)
			var se sqlite3.Error
			if r.code != exitFailed || r.err == nil || r.err.Error() != tc.want || !errors.As(r.err, &se) {
				t.Errorf("%s: %v: %d, %v; want %q", lang, tc.args, r.code, r.err, tc.want)
			}
		}
		// A database on a read-only disk, or in a folder that may not be
		// written (as one that is not root meets it): SQLite could make
		// neither its -wal nor its -shm file and says "no such file".
		cantOpen := fmt.Errorf("store: migrations table: %w", sqlite3.Error{Code: sqlite3.ErrCantOpen, SystemErrno: syscall.ENOENT})
		if got, want := sayDatabase(l, notDB, cantOpen).Error(), cannot(notDB, l.T("cli.db.read_only")); got != want {
			t.Errorf("%s: a read-only database is said %q, want %q", lang, got, want)
		}
		if got, want := sayDatabase(l, missing, cantOpen).Error(), cannot(missing, l.T("cli.sys.not_exist")); got != want {
			t.Errorf("%s: a missing database is said %q, want %q", lang, got, want)
		}
		// What cannot be met here, said all the same.
		for _, tc := range []struct {
			code sqlite3.ErrNo
			id   string
		}{{sqlite3.ErrReadonly, "cli.db.read_only"}, {sqlite3.ErrCorrupt, "cli.db.corrupt"}, {sqlite3.ErrBusy, "cli.db.locked"}} {
			err := fmt.Errorf("store: migrations table: %w", sqlite3.Error{Code: tc.code})
			if got, want := sayDatabase(l, "/srv/x.db", err).Error(), cannot("/srv/x.db", l.T(tc.id)); got != want {
				t.Errorf("%s: %v is said %q, want %q", lang, err, got, want)
			}
		}
	}
}

// TestPostgresErrorsSaid: a PostgreSQL database that cannot be opened (no
// server listening, no such database, no such role) is said, by the
// operator commands and by the server, in each language, with the DSN it
// was given less its password (a URL, or libpq's keywords), and why (a
// search_path whose schema was never made too),
// rather than in pgx's English.
func TestPostgresErrorsSaid(t *testing.T) {
	base, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	with := func(edit func(u *url.URL)) string {
		u := *base
		edit(&u)
		q := u.Query()
		q.Set("password", "hunter2")
		q.Set("connect_timeout", "5")
		u.RawQuery = q.Encode()
		return u.String()
	}
	refused := with(func(u *url.URL) { u.Host = "127.0.0.1:1" })
	noDB := with(func(u *url.URL) { u.Path = "/oncelink_no_such_database" })
	noRole := with(func(u *url.URL) { u.User = url.User("oncelink_no_such_role") })
	noSchema := with(func(u *url.URL) {
		q := u.Query()
		q.Set("search_path", "oncelink_no_such_schema")
		u.RawQuery = q.Encode()
	})
	for lang, locale := range locales {
		l := i18n.For(lang)
		env := map[string]string{"LANG": locale}
		for _, tc := range []struct {
			dsn, problem string
		}{
			{refused, l.T("cli.sys.refused")},
			{"host=127.0.0.1 port=1 user=postgres password=hunter2 dbname=test connect_timeout=5", l.T("cli.sys.refused")},
			{noDB, l.T("cli.db.pg_no_database")},
			{noRole, l.T("cli.db.pg_not_allowed")},
			{noSchema, l.T("cli.db.pg_no_schema")},
		} {
			want := l.T("cli.db.cannot_open", "Path", dbName(tc.dsn), "Problem", tc.problem)
			for _, args := range [][]string{
				{"user", "list", "--db", tc.dsn},
				{"serve", "--addr", "127.0.0.1:0", "--db", tc.dsn},
			} {
				r := runCLI(t, env, "", args...)
				if r.code != exitFailed || r.err == nil || r.err.Error() != want {
					t.Errorf("%s: %s %s: %d, %v; want %q", lang, args[0], dbName(tc.dsn), r.code, r.err, want)
				}
				if out := r.stdout + r.stderr + fmt.Sprint(r.err); strings.Contains(out, "hunter2") {
					t.Errorf("%s: %s: the password is said: %s", lang, args[0], out)
				}
			}
		}
		// What cannot be met here, said all the same, and a refusal
		// without words of its own in the server's words.
		for _, tc := range []struct {
			code, want string
		}{
			{"28P01", l.T("cli.db.pg_password")},
			{"53300", l.T("cli.db.pg_full")},
			{"57P03", l.T("cli.db.pg_starting")},
			{"42501", l.T("cli.db.pg_privilege")},
			{"XX000", l.T("cli.db.pg_said", "Message", "it broke", "Code", "XX000")},
		} {
			err := fmt.Errorf("store: migrations table: %w", &pgconn.PgError{Code: tc.code, Message: "it broke"})
			if got, want := sayDatabase(l, "postgres://db/x", err).Error(), l.T("cli.db.cannot_open", "Path", "postgres://db/x", "Problem", tc.want); got != want {
				t.Errorf("%s: %v is said %q, want %q", lang, err, got, want)
			}
		}
	}
}

// TestUnreadablePostgresDSNIsAUsageError: a PostgreSQL DSN that cannot be
// read (a pool_max_conns that is no number, a broken URL) is a usage error
// of the server and of the operator commands, said before anything starts
// and without the password, however it was written.
func TestUnreadablePostgresDSNIsAUsageError(t *testing.T) {
	for _, dsn := range []string{
		"host=db.example password = hunter2 pool_max_conns=abc",
		"postgres://ada:hunter2@db.example/oncelink?pool_max_conns=abc",
		"postgres://ada@db.example/oncelink?password=hunter2&statement_timeout=1s&pool_max_conns=-",
		"postgres://ada:hun%zzter2@db.example/oncelink",
	} {
		for _, args := range [][]string{
			{"user", "list", "--db", dsn},
			{"serve", "--addr", "127.0.0.1:0", "--db", dsn},
		} {
			r := runCLI(t, nil, "", args...)
			want := "--db " + dbName(dsn) + " cannot be read as a PostgreSQL address: "
			if r.code != exitUsage || r.err == nil || !strings.HasPrefix(r.err.Error(), want) {
				t.Errorf("%s %s: %d, %v; want a usage error that starts %q", args[0], dbName(dsn), r.code, r.err, want)
			}
			if out := r.stdout + r.stderr + fmt.Sprint(r.err); strings.Contains(out, "hunter2") || strings.Contains(out, "hun%zzter2") ||
				strings.Contains(out, "oncelink is listening") {
				t.Errorf("%s %s: %s", args[0], dbName(dsn), out)
			}
		}
	}
}
