package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// Unavailable reports whether err is the database failing, rather than an
// answer about the data: it cannot be reached or its connection broke, or
// it cannot write (a full disk, a read-only or damaged file, a lock held
// too long, a server shutting down). What met it may well work later. A
// cancelled context is not one: whoever asked has gone.
func Unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var lite sqlite3.Error
	if errors.As(err, &lite) {
		switch lite.Code {
		case sqlite3.ErrBusy, sqlite3.ErrLocked, sqlite3.ErrNomem, sqlite3.ErrReadonly, sqlite3.ErrIoErr,
			sqlite3.ErrCorrupt, sqlite3.ErrFull, sqlite3.ErrCantOpen, sqlite3.ErrProtocol, sqlite3.ErrNotADB:
			return true
		}
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		// Classes 08 (connection), 53 (insufficient resources, such as a
		// full disk), 57 (operator intervention: a shutdown, a statement
		// timeout) and 58 (system error, such as I/O); and a read-only
		// transaction, as on a standby.
		switch {
		case len(pg.Code) != 5:
			return false
		case pg.Code[:2] == "08", pg.Code[:2] == "53", pg.Code[:2] == "57", pg.Code[:2] == "58", pg.Code == "25006":
			return true
		}
		return false
	}
	var connect *pgconn.ConnectError
	var network *net.OpError // not net.Error: every syscall.Errno is one
	return errors.As(err, &connect) || errors.As(err, &network) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errClosed)
}

// writeFailureHold is how long Health reports a write that failed for the
// database's own reasons, unless a lost connection is found again sooner.
const writeFailureHold = 30 * time.Second

// writeFailure is a write that failed for the database's own reasons.
type writeFailure struct {
	at  time.Time
	err error
	// lost says the connection failed it (refused, broken, closed), not
	// the database's storage: the next write that succeeds ends it.
	lost bool
}

// noteWrite remembers err, the outcome of a write run with ctx, for Health
// when the database failed it (Unavailable). A write that succeeds ends a
// lost connection's failure at once, so that a database restarted in a
// second is not reported down for writeFailureHold; a failure of storage
// (a full disk) stands, since small writes may still succeed while others
// fail.
func (s *Store) noteWrite(ctx context.Context, err error) {
	switch {
	case err == nil:
		if f := s.failedWrite.Load(); f != nil && f.lost {
			s.failedWrite.CompareAndSwap(f, nil)
		}
	case ctx.Err() == nil && Unavailable(err):
		s.failedWrite.Store(&writeFailure{at: s.Now(), err: err, lost: connectionLost(err)})
	}
}

// connectionLost reports whether err, Unavailable, is the connection to the
// database failing rather than the database.
func connectionLost(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03" // shutting down, starting
	}
	var connect *pgconn.ConnectError
	var network *net.OpError
	return errors.As(err, &connect) || errors.As(err, &network) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.ErrUnexpectedEOF)
}

// Health reports whether the database can do its work: it answers a read,
// and no write has failed for the database's own reasons in the last
// writeFailureHold. A full disk fails every write while every read still
// answers; remembering what the writes met tells it without a write of
// its own on every check.
func (s *Store) Health(ctx context.Context) error {
	if err := s.Ping(ctx); err != nil {
		return err
	}
	if f := s.failedWrite.Load(); f != nil {
		if ago := s.Now().Sub(f.at); ago < writeFailureHold {
			return fmt.Errorf("store: a write failed %s ago: %w", ago.Round(time.Second), f.err)
		}
	}
	return nil
}
