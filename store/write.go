package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/jmoiron/sqlx"
)

// maxBatch bounds how many writes share one SQLite transaction.
const maxBatch = 64

// txn is what a write runs its statements on: its own transaction on
// PostgreSQL; on SQLite the writer's connection, inside the transaction of
// the write's batch.
type txn interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
	Rebind(query string) string
	GetContext(ctx context.Context, dest any, query string, args ...any) error
}

// writeOp is one write waiting for the SQLite writer.
type writeOp struct {
	ctx  context.Context
	fn   func(context.Context, txn) error
	done chan error
}

// write runs fn in a transaction and returns once it is committed. fn must
// run its statements with the context it is given.
//
// On SQLite, writes from all goroutines go to one writer goroutine, which
// runs every write that is waiting in one transaction, each inside its own
// savepoint, and commits them together (group commit). A commit writes
// pages to the WAL and is most of a small write's cost, so under load this
// shares it; alone, a write still runs at once. Each write sees the ones
// before it, so conditional writes stay exactly as strict as when they run
// alone. On PostgreSQL every write is its own transaction: the server
// handles concurrency, and a shared transaction would only hold row locks
// longer. On both, a write that has started finishes even if its caller
// gives up meanwhile, so that its outcome is never half known. A write the
// database fails is remembered for Health.
func (s *Store) write(ctx context.Context, fn func(context.Context, txn) error) error {
	err := s.runWrite(ctx, fn)
	s.noteWrite(ctx, err)
	return err
}

func (s *Store) runWrite(ctx context.Context, fn func(context.Context, txn) error) error {
	if s.writes == nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		// database/sql rolls a transaction back when its context ends.
		run := context.WithoutCancel(ctx)
		tx, err := s.db.BeginTxx(run, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := fn(run, tx); err != nil {
			return err
		}
		return tx.Commit()
	}
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.writes <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closed:
		return errClosed
	}
	// Once queued, the write may already be running: wait for its outcome
	// rather than report a cancellation that did not happen.
	return <-op.done
}

var errClosed = errors.New("store: closed")

// writer is the SQLite writer goroutine; it ends when the store closes.
func (s *Store) writer() {
	defer close(s.writerDone)
	for {
		var batch []*writeOp
		select {
		case op := <-s.writes:
			batch = append(batch, op)
		case <-s.restartWAL:
			s.restartLog()
			continue
		case <-s.closed:
			return
		}
		// Before committing, yield the processor to the goroutines that
		// are runnable, so that those about to write join this batch, and
		// go on doing so while that brings more. Alone, a write waits for
		// nothing: with no one else to run, Gosched returns at once.
		seen := 0
	fill:
		for len(batch) < maxBatch {
			select {
			case op := <-s.writes:
				batch = append(batch, op)
			default:
				if seen == len(batch) {
					break fill
				}
				seen = len(batch)
				runtime.Gosched()
			}
		}
		s.commitBatch(batch)
	}
}

func (s *Store) commitBatch(batch []*writeOp) {
	s.writeBatch(len(batch))
	results := make([]error, len(batch))
	err := func() error {
		// The batch's transaction is begun and ended by hand on a
		// connection of its own: database/sql would watch a transaction,
		// and every query in it, with a goroutine each, and this one is
		// never cancelled.
		ctx := context.Background()
		conn, err := s.db.Connx(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if err := control(conn, `BEGIN IMMEDIATE`); err != nil {
			return err
		}
		done := false
		defer func() {
			if done {
				return
			}
			if err := control(conn, `ROLLBACK`); err != nil {
				// Not known to be out of the transaction: the pool must
				// not hand this connection out again.
				conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}()
		for i, op := range batch {
			if results[i] = op.ctx.Err(); results[i] != nil {
				continue
			}
			if len(batch) == 1 {
				results[i] = op.fn(op.run(), conn)
				if results[i] != nil {
					return nil // nothing else to keep: roll back
				}
				continue
			}
			var txErr error
			if results[i], txErr = s.inSavepoint(conn, op); txErr != nil {
				// The batch's transaction itself failed: SQLite rolls all
				// of it back on some errors, such as a full disk. What ran
				// before is undone, and nothing more may run in it. The
				// other writes are told the cause, not only the symptom
				// (a savepoint gone with the transaction).
				if results[i] != nil {
					txErr = fmt.Errorf("%w, after a write failed: %w", txErr, results[i])
				}
				return txErr
			}
		}
		err = control(conn, `COMMIT`)
		done = err == nil
		return err
	}()
	for i, op := range batch {
		if err != nil && results[i] == nil {
			results[i] = fmt.Errorf("store: commit: %w", err)
		}
		op.done <- results[i]
	}
}

// run is the context op's statements run with in a shared transaction. It
// keeps ctx's values but not its cancellation: cancelling a statement
// interrupts SQLite, which rolls back the whole transaction, and with it the
// other writes of the batch. A write whose caller gave up before it started
// is skipped instead.
func (op *writeOp) run() context.Context { return context.WithoutCancel(op.ctx) }

// inSavepoint runs op so that its failure undoes only its own changes. It
// returns op's error and, apart from it, a failure of the savepoint itself,
// which leaves the batch's transaction in doubt.
func (s *Store) inSavepoint(tx txn, op *writeOp) (opErr, txErr error) {
	if err := control(tx, `SAVEPOINT op`); err != nil {
		return nil, err
	}
	opErr = op.fn(op.run(), tx)
	if opErr != nil {
		if err := control(tx, `ROLLBACK TO op`); err != nil {
			return opErr, err
		}
	}
	if err := control(tx, `RELEASE op`); err != nil {
		return opErr, err
	}
	return opErr, nil
}

// control runs one of the writer's own statements: BEGIN, COMMIT, ROLLBACK,
// SAVEPOINT or RELEASE. Run through Exec without arguments, go-sqlite3
// parses a statement afresh each time, and these run several times a
// batch; run as a query, which go-sqlite3 steps at once, the statement
// comes from the connection's cache of prepared statements.
func control(tx txn, stmt string) error {
	rows, err := tx.QueryContext(context.Background(), stmt)
	if err != nil {
		return err
	}
	return rows.Close()
}

// checkpointInterval is how often the checkpointer copies the WAL back
// into the database file.
const checkpointInterval = 250 * time.Millisecond

const (
	// walRestartFrames is how many frames (pages) the WAL may hold before
	// the writer starts it over: 64 MiB with SQLite's 4 KiB pages. Each
	// restart holds the writes up while a checkpoint syncs the files, 5 to
	// 40 ms on the disks measured, so it should come seldom: at the most
	// creates a second that two cores manage, about once a second.
	walRestartFrames = 16384
	// walLimitBytes is the size a WAL that grew larger in a burst is cut
	// back to when it starts over. It is above the restart size, so that
	// in steady use the WAL is written over in place rather than grown,
	// which costs the filesystem new blocks.
	walLimitBytes = 128 << 20
)

// checkpointer runs SQLite's WAL checkpoints on the sessions pool, beside
// the writer, which goes on appending to the WAL meanwhile. A PASSIVE
// checkpoint never waits for readers or the writer.
//
// Under a steady stream of writes, such a checkpoint seldom catches up:
// frames keep arriving while it copies. SQLite starts the WAL over only
// at a write that finds every frame copied, so the WAL would grow for as
// long as the writes go on, and each append to a growing file costs the
// filesystem a new block. Once the WAL holds s.restartFrames, the
// checkpointer therefore asks the writer to restart it between two batches
// (restartLog).
//
// Automatic checkpoints are off, so a checkpoint that keeps failing would
// let the WAL grow: it is logged when it starts failing and when it
// recovers, and the last one's failure is Close's error.
func (s *Store) checkpointer() {
	defer close(s.checkpointerDone)
	t := time.NewTicker(s.checkpointEvery)
	defer t.Stop()
	failing := false
	asked := 0 // the WAL's frames when a restart was last asked for
	for {
		select {
		case <-s.closed:
			// A last full checkpoint, once the writer has made its last
			// commit, leaves the database file complete.
			<-s.writerDone
			var busy, frames, copied int
			err := s.sessions.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied)
			if err == nil && busy != 0 {
				err = errors.New("the WAL is still in use")
			}
			if err != nil {
				s.checkpointErr = fmt.Errorf("store: last checkpoint: %w", err)
			}
			return
		case <-t.C:
			var busy, frames, copied int
			err := s.sessions.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
			switch {
			case err != nil && !failing:
				s.log.Error("SQLite checkpoint failed; the WAL grows until one succeeds", "err", err)
			case err == nil && failing:
				s.log.Info("SQLite checkpoints succeed again")
			}
			failing = err != nil
			// After a restart, the WAL reports its old frames until the
			// next write: ask again only once it has changed.
			if err == nil && frames >= s.restartFrames && frames != asked {
				asked = frames
				select {
				case s.restartWAL <- struct{}{}:
				default: // already asked
				}
			}
		}
	}
}

// restartLog copies what is left of the WAL into the database and starts
// the WAL over, on the writer goroutine, so that the writes of the writer
// wait meanwhile; the few others (sessions, uploads) wait for the write
// lock RESTART takes. The checkpointer has copied most frames already;
// what is left is the last ones, and waiting for the readers that started
// on them, whose queries are short. If another process keeps writing and
// it cannot finish, the checkpointer asks again later.
func (s *Store) restartLog() {
	var busy, frames, copied int
	err := s.db.QueryRow(`PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &frames, &copied)
	switch {
	case err != nil:
		s.log.Error("SQLite WAL restart failed", "err", err)
	case busy != 0:
		s.log.Info("SQLite WAL restart gave way to other connections; it is asked again once the WAL grows", "frames", frames, "copied", copied)
	}
}
