package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
)

// A database that cannot grow fails every write while every read still
// answers: Health reports the failed write for writeFailureHold, and
// Unavailable calls it the database's failure.
func TestHealthReportsFailingWrites(t *testing.T) {
	s := openSQLiteTest(t)
	clock := newClock(s)
	ctx := context.Background()
	owner := mustAccount(t, s, "ada")
	if err := s.Health(ctx); err != nil {
		t.Fatalf("health of a new database: %v", err)
	}
	// The writer's one connection may not grow the file: a full disk.
	var pages int
	if err := s.db.GetContext(ctx, &pages, `PRAGMA page_count`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 256<<10)
	_, err := s.CreateLink(ctx, NewLink{OwnerID: owner.ID, TokenHash: hashOf(t), Kind: KindMessage, MaxUses: 1,
		ExpiresAt: clock.Now().Add(time.Hour), Size: int64(len(big))}, [][]byte{big})
	var lite sqlite3.Error
	if !errors.As(err, &lite) || lite.Code != sqlite3.ErrFull || !Unavailable(err) {
		t.Fatalf("a write to a full database: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("reads fail too: %v", err)
	}
	if err := s.Health(ctx); !errors.As(err, &lite) || lite.Code != sqlite3.ErrFull {
		t.Fatalf("health after a failed write: %v", err)
	}
	clock.Add(writeFailureHold)
	if err := s.Health(ctx); err != nil {
		t.Fatalf("health %s after the failed write: %v", writeFailureHold, err)
	}
}

// A write that succeeds after the connection was lost ends the failure at
// once; one after a full disk does not, as others may still fail.
func TestHealthAfterALostConnection(t *testing.T) {
	s := openSQLiteTest(t)
	ctx := context.Background()
	lost := fmt.Errorf("store: %w", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET})
	s.noteWrite(ctx, lost)
	if err := s.Health(ctx); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("health after a lost connection: %v", err)
	}
	s.noteWrite(ctx, nil)
	if err := s.Health(ctx); err != nil {
		t.Fatalf("health after a write succeeded again: %v", err)
	}
	s.noteWrite(ctx, sqlite3.Error{Code: sqlite3.ErrFull})
	s.noteWrite(ctx, nil)
	if err := s.Health(ctx); err == nil {
		t.Fatal("a full disk forgotten after one write succeeded")
	}
}

func TestUnavailable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{ErrNotFound, false},
		{ErrConflict, false},
		{context.Canceled, false},
		{sqlite3.Error{Code: sqlite3.ErrConstraint}, false},
		{sqlite3.Error{Code: sqlite3.ErrFull}, true},
		{sqlite3.Error{Code: sqlite3.ErrIoErr}, true},
		{errClosed, true},
		{&fs.PathError{Op: "open", Path: "/tmp/x", Err: syscall.ENOENT}, false},
		{fmt.Errorf("store: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), true},
	} {
		if got := Unavailable(tc.err); got != tc.want {
			t.Errorf("Unavailable(%v) = %v", tc.err, got)
		}
	}
}
