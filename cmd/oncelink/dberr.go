package main

import (
	"errors"
	"os"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"

	"oncelink/i18n"
	"oncelink/store"
)

// dbPathRefusal says in l's words why dsn, the value of --db, names no
// SQLite file, or no PostgreSQL DSN, the store can open, before anything
// is opened or started; nil when it does. A database in memory
// cannot serve: links must outlive the process, and each of the store's
// connections would get an empty database of its own.
func dbPathRefusal(l *i18n.Localizer, dsn string) error {
	if store.IsPostgres(dsn) {
		if err := store.CheckPostgresDSN(dsn); err != nil {
			return errors.New(l.T("cli.db.pg_unreadable", "Path", dbName(dsn), "Reason", pgConfigReason(err)))
		}
		return nil
	}
	err := store.CheckSQLitePath(dsn)
	switch {
	case errors.Is(err, store.ErrInMemory):
		return errors.New(l.T("cli.db.in_memory", "Path", l.Quote(dsn)))
	case err != nil:
		return errors.New(l.T("cli.db.not_path", "Path", l.Quote(dsn)))
	}
	return nil
}

// pgConfigReason is why pgx could not read a DSN, without the DSN, which
// its error quotes between backquotes with only the passwords it
// recognises hidden (not "password = x", with spaces, which libpq takes).
func pgConfigReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		return msg[i+len("`: "):]
	}
	return msg
}

// sayDatabase is err, met opening the database at name (an SQLite file's
// path, or a PostgreSQL DSN without its password), said in l's words: that
// the database cannot be opened, and why, where the driver would say it in
// English. It is still err to errors.Is and errors.As. Any other error is
// returned as it is.
func sayDatabase(l *i18n.Localizer, name string, err error) error {
	var se sqlite3.Error
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	var problem string
	switch {
	case errors.As(err, &se):
		problem = databaseProblem(l, se)
		if se.Code == sqlite3.ErrCantOpen && errors.Is(se.SystemErrno, syscall.ENOENT) {
			if _, serr := os.Stat(name); serr == nil {
				// The file is there, but its -wal and -shm files could not
				// be made beside it (a read-only disk or folder), and
				// SQLite's last try, to open them only to read, found none.
				problem = l.T("cli.db.read_only")
			}
		}
	case errors.As(err, &pe):
		problem = postgresProblem(l, pe)
	case errors.As(err, &ce):
		// The server was not reached: refused, no such host, timed out.
		problem = systemProblem(l, ce.Unwrap())
	default:
		return err
	}
	return &said{err: err, msg: l.T("cli.db.cannot_open", "Path", name, "Problem", problem)}
}

// databaseProblem is why SQLite could not open a database, in l's words.
func databaseProblem(l *i18n.Localizer, se sqlite3.Error) string {
	switch se.Code {
	case sqlite3.ErrNotADB:
		return l.T("cli.db.not_database")
	case sqlite3.ErrCorrupt:
		return l.T("cli.db.corrupt")
	case sqlite3.ErrReadonly:
		return l.T("cli.db.read_only")
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		return l.T("cli.db.locked")
	case sqlite3.ErrFull:
		return l.T("cli.sys.no_space")
	case sqlite3.ErrPerm, sqlite3.ErrAuth:
		return l.T("cli.sys.permission")
	}
	if se.SystemErrno != 0 {
		// The system's own reason: no such folder, a directory, denied.
		return systemProblem(l, se.SystemErrno)
	}
	return l.T("cli.sys.unknown", "Err", se.Error())
}

// postgresProblem is why a PostgreSQL server would not let oncelink in,
// in l's words. A refusal without words of its own here is said as the
// server worded it, in the server's language.
func postgresProblem(l *i18n.Localizer, pe *pgconn.PgError) string {
	switch pe.Code {
	case "3D000": // invalid_catalog_name
		return l.T("cli.db.pg_no_database")
	case "3F000": // invalid_schema_name: search_path names none that exists
		return l.T("cli.db.pg_no_schema")
	case "28000": // invalid_authorization_specification
		return l.T("cli.db.pg_not_allowed")
	case "28P01": // invalid_password
		return l.T("cli.db.pg_password")
	case "53300": // too_many_connections
		return l.T("cli.db.pg_full")
	case "57P03": // cannot_connect_now
		return l.T("cli.db.pg_starting")
	case "42501": // insufficient_privilege
		return l.T("cli.db.pg_privilege")
	}
	return l.T("cli.db.pg_said", "Message", pe.Message, "Code", pe.Code)
}
