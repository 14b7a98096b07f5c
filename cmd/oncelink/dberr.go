package main

import (
	"errors"

	"github.com/mattn/go-sqlite3"

	"oncelink/i18n"
)

// sayDatabase is err, met opening the SQLite database at path, said in
// l's words: that the database at path cannot be opened, and why, where
// the driver would say it in English. It is still err to errors.Is and
// errors.As. Any other error is returned as it is.
func sayDatabase(l *i18n.Localizer, path string, err error) error {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return err
	}
	return &said{err: err, msg: l.T("cli.db.cannot_open", "Path", path, "Problem", databaseProblem(l, se))}
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
