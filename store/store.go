// Package store keeps oncelink's data in SQLite or PostgreSQL: accounts
// with their API keys, second factors, passkeys and sign-in identities;
// links, their sealed content and audit events; requests; the notices
// waiting to be sent and the webhooks they go to; the shared rate limits;
// and the web sessions.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
)

// sqliteDriver is go-sqlite3 with per-connection settings that its DSN
// cannot carry:
//   - no automatic WAL checkpoints. An automatic checkpoint runs inside
//     whichever commit crosses the threshold and stalls every write queued
//     behind it; the store's checkpointer does that work beside the writer
//     instead.
//   - a WAL that grew past walLimitBytes in a burst is cut back to that size
//     when it next starts over, so it gives the disk back.
const sqliteDriver = "sqlite3_oncelink"

func init() {
	sql.Register(sqliteDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = %d", walLimitBytes), nil)
		return err
	}})
}

// Errors the store returns, wrapped with %w; callers match them with
// errors.Is.
var (
	ErrNotFound = errors.New("not found")
	// ErrGone reports a link that existed but can no longer be opened.
	ErrGone     = errors.New("gone")
	ErrConflict = errors.New("already exists")
	// ErrLimit reports a write that would take an account past one of its
	// limits, such as its number of API keys: the caller can say which,
	// and what to give up first.
	ErrLimit = errors.New("limit reached")
	// ErrLastAdmin refuses a change that would leave no enabled
	// administrator.
	ErrLastAdmin = errors.New("last administrator")
	// ErrLastFactor refuses to remove an account's last second factor
	// where one must stay.
	ErrLastFactor = errors.New("last second factor")
)

// Store is oncelink's database. Writes go through db; reads go through ro,
// which on SQLite is a separate pool so that readers run beside the single
// writer connection, and on PostgreSQL is the same pool.
type Store struct {
	db *sqlx.DB
	ro *sqlx.DB
	// sessions is the web session store's handle on SQLite: a pool of its
	// own, so that looking a session up never waits for the writer.
	sessions *sqlx.DB
	// pool is what db runs on with PostgreSQL, and the sessions' store;
	// nil with SQLite.
	pool    *pgxpool.Pool
	dialect dialect
	// Now is the store's clock; tests replace it to move time.
	Now func() time.Time

	// writes feeds the SQLite writer goroutine; nil on PostgreSQL.
	writes chan *writeOp
	// restartWAL asks the writer to start the WAL over once the WAL
	// holds restartFrames; see checkpointer.
	restartWAL       chan struct{}
	restartFrames    int
	checkpointEvery  time.Duration
	closed           chan struct{}
	writerDone       chan struct{}
	checkpointerDone chan struct{}
	closeOnce        sync.Once
	closeErr         error
	// checkpointErr is the last checkpoint's failure, set before
	// checkpointerDone closes.
	checkpointErr error
	log           *slog.Logger
	// writeBatch is Options.WriteBatch, or a func that does nothing.
	writeBatch func(n int)
	// failedWrite is the last write that failed for the database's own
	// reasons, for Health.
	failedWrite atomic.Pointer[writeFailure]
}

// Options tune how a database is opened.
type Options struct {
	// SQLiteSync is SQLite's synchronous setting: "normal" (the default)
	// or "full". See the README's durability notes.
	SQLiteSync string
	// Log receives what the store's background work cannot return, such
	// as failed checkpoints; nil means slog's default logger.
	Log *slog.Logger
	// WriteBatch, when set, is told how many writes each transaction of
	// the SQLite writer commits together, for metrics. PostgreSQL commits
	// every write on its own and tells it nothing.
	WriteBatch func(n int)

	// For tests: what replaces walRestartFrames and checkpointInterval.
	walRestartFrames   int
	checkpointInterval time.Duration
}

// IsPostgres reports whether Open takes dsn for PostgreSQL: a URL that
// starts with postgres:// or postgresql://, or libpq's keywords
// ("host=db dbname=oncelink user=app"), which start with one of them and
// an equals sign. Anything else is an SQLite file path.
func IsPostgres(dsn string) bool {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return true
	}
	key, _, ok := strings.Cut(strings.TrimLeft(dsn, " \t\n"), "=")
	return ok && libpqKeywords[strings.TrimRight(key, " \t\n")]
}

// libpqKeywords are the connection keywords that pgx reads, by which a
// key=value DSN is told from a file path.
var libpqKeywords = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true, "password": true,
	"passfile": true, "service": true, "servicefile": true, "connect_timeout": true, "sslmode": true,
	"sslrootcert": true, "sslcert": true, "sslkey": true, "sslpassword": true, "sslnegotiation": true,
	"sslsni": true, "application_name": true, "target_session_attrs": true, "options": true,
	"search_path": true, "pool_max_conns": true, "statement_timeout": true,
}

// Open opens the database named by dsn (see IsPostgres) and applies any
// missing migrations.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	var (
		s   *Store
		err error
	)
	if IsPostgres(dsn) {
		s, err = openPostgres(ctx, dsn)
	} else {
		s, err = openSQLite(dsn, opts)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// ErrInMemory refuses an SQLite database in memory (":memory:",
// "file::memory:", mode=memory): the store's pools open connections of
// their own, each of which would get a database of its own, empty, and
// the links would not outlive the process.
var ErrInMemory = errors.New("an SQLite database in memory is not a file")

// ErrNotFilePath refuses an SQLite database named with a query or a
// fragment, or as a file: URI, which SQLite would read as one: the store
// sets the connections' options itself.
var ErrNotFilePath = errors.New("not an SQLite file path")

// CheckSQLitePath refuses what Open cannot take as an SQLite file's path,
// with an error that is ErrInMemory or ErrNotFilePath to errors.Is.
func CheckSQLitePath(path string) error {
	switch {
	case strings.Contains(path, ":memory:") || strings.Contains(strings.ToLower(path), "mode=memory"):
		return fmt.Errorf("store: %q: %w", path, ErrInMemory)
	case path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:"):
		return fmt.Errorf("store: %q: %w", path, ErrNotFilePath)
	}
	return nil
}

func openSQLite(path string, opts Options) (*Store, error) {
	if err := CheckSQLitePath(path); err != nil {
		return nil, err
	}
	sync := strings.ToUpper(opts.SQLiteSync)
	switch sync {
	case "":
		sync = "NORMAL"
	case "NORMAL", "FULL":
	default:
		return nil, fmt.Errorf("store: SQLite sync must be normal or full, not %q", opts.SQLiteSync)
	}
	// Settings go in the DSN so that every pooled connection gets them.
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", sync)
	q.Set("_txlock", "immediate")
	q.Set("_stmt_cache_size", "32")
	base := "file:" + (&url.URL{Path: path}).EscapedPath()
	db, err := sqlx.Open(sqliteDriver, base+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	// One writer: SQLite serialises writes anyway, and queueing them in
	// the pool is far cheaper than in SQLite's busy timeout.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	// Sessions are read on every signed-in request and written only on
	// sign-in and sign-out, so they get a small pool that may write.
	sessions, err := sqlx.Open(sqliteDriver, base+"?"+q.Encode())
	if err != nil {
		db.Close()
		return nil, err
	}
	sessions.SetMaxOpenConns(4)
	sessions.SetMaxIdleConns(4)
	q.Set("_txlock", "deferred")
	q.Set("_query_only", "true")
	ro, err := sqlx.Open(sqliteDriver, base+"?"+q.Encode())
	if err != nil {
		db.Close()
		sessions.Close()
		return nil, err
	}
	ro.SetMaxOpenConns(max(4, runtime.NumCPU()))
	ro.SetMaxIdleConns(max(4, runtime.NumCPU()))
	s := &Store{db: db, ro: ro, sessions: sessions, dialect: sqlite, Now: time.Now, log: cmp.Or(opts.Log, slog.Default()),
		writes: make(chan *writeOp), restartWAL: make(chan struct{}, 1), restartFrames: cmp.Or(opts.walRestartFrames, walRestartFrames),
		checkpointEvery: cmp.Or(opts.checkpointInterval, checkpointInterval), writeBatch: opts.WriteBatch,
		closed: make(chan struct{}), writerDone: make(chan struct{}),
		checkpointerDone: make(chan struct{})}
	if s.writeBatch == nil {
		s.writeBatch = func(int) {}
	}
	go s.writer()
	go s.checkpointer()
	return s, nil
}

// CheckPostgresDSN refuses a PostgreSQL DSN that Open could not read (a
// malformed URL, a pool_max_conns that is not a number), without
// connecting. The error is pgx's, which hides the passwords it recognises.
func CheckPostgresDSN(dsn string) error {
	_, err := pgxpool.ParseConfig(dsn)
	return err
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// One pool serves the store, the sessions and the live events, so an
	// instance holds at most MaxConns connections, and one more while it
	// listens for live events: PostgreSQL's default max_connections of 100
	// leaves room for several instances.
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = int32(max(8, 4*runtime.NumCPU()))
	}
	// A statement stuck behind a lock fails rather than hold a request
	// and a connection for ever; a DSN may set its own.
	if _, ok := cfg.ConnConfig.RuntimeParams["statement_timeout"]; !ok {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = "30s"
	}
	// pg_stat_activity names oncelink's connections; a DSN may name each
	// instance's own.
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "oncelink"
	}
	// A database cut off by the network, rather than down, refuses
	// nothing: a query would wait for its answer until TCP gave up, a
	// quarter of an hour later. Probes of a connection waiting for an
	// answer, and a bound on how long what it sent may go unacknowledged,
	// find the cut within half a minute, and the request gets its 503.
	dial := &net.Dialer{Timeout: cmp.Or(cfg.ConnConfig.ConnectTimeout, 10*time.Second),
		KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 10 * time.Second, Interval: 5 * time.Second, Count: 3},
		Control:         giveUpUnacknowledged(25 * time.Second)}
	cfg.ConnConfig.DialFunc = dial.DialContext
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db := sqlx.NewDb(stdlib.OpenDBFromPool(pool), "pgx")
	return &Store{db: db, ro: db, sessions: db, pool: pool, dialect: postgres, Now: time.Now}, nil
}

// Close stops the writer, once it has finished what it was given, and
// closes the database.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.writes != nil {
			close(s.closed)
			<-s.writerDone
			<-s.checkpointerDone
		}
		s.closeErr = errors.Join(s.checkpointErr, s.db.Close())
		if s.ro != s.db {
			s.closeErr = errors.Join(s.closeErr, s.ro.Close(), s.sessions.Close())
		}
		if s.pool != nil {
			s.pool.Close()
		}
	})
	return s.closeErr
}

// SessionDB is the handle for the web session store's sessions table.
func (s *Store) SessionDB() *sql.DB { return s.sessions.DB }

// PoolStats reports the store's connection pools, by name: on SQLite the
// writer's (one connection), the readers' and the sessions'; on PostgreSQL
// the one pool that serves them all. That is pgx's pool, under a
// database/sql handle that keeps no connections of its own, so its figures
// come from pgx.
func (s *Store) PoolStats() map[string]sql.DBStats {
	if s.Postgres() {
		st := s.pool.Stat()
		return map[string]sql.DBStats{"shared": {MaxOpenConnections: int(st.MaxConns()), OpenConnections: int(st.TotalConns()),
			InUse: int(st.AcquiredConns()), Idle: int(st.IdleConns()),
			WaitCount: st.EmptyAcquireCount(), WaitDuration: st.EmptyAcquireWaitTime()}}
	}
	return map[string]sql.DBStats{"writer": s.db.Stats(), "reader": s.ro.Stats(), "sessions": s.sessions.Stats()}
}

// Postgres reports whether the store runs on PostgreSQL.
func (s *Store) Postgres() bool { return s.dialect.name == "postgres" }

// Pool is the PostgreSQL connection pool the store runs on, for the session
// store and the live events to share; nil on SQLite.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.ro.GetContext(ctx, &one, "SELECT 1")
}

// dialect holds everything that differs between SQLite and PostgreSQL.
type dialect struct {
	name string
	// Types fill the migration templates.
	Types templateTypes
	// lockMigrations serialises migrations of several processes.
	lockMigrations string
	// foreignKeysOff, foreignKeyCheck and foreignKeysOn surround each
	// migration on SQLite; see applyMigration.
	foreignKeysOff, foreignKeyCheck, foreignKeysOn string
	// trySweepLock returns whether this transaction may sweep: on
	// PostgreSQL, only one instance sweeps a schema at a time.
	trySweepLock string
	// lockAdmins serialises, on PostgreSQL, the transactions that may
	// leave fewer enabled administrators; see keepAnAdmin.
	lockAdmins string
	// forUpdate ends a SELECT whose rows stay locked until the transaction
	// ends, so that no other transaction slips in between a check and the
	// write it allows. SQLite's one writer keeps them apart anyway.
	forUpdate string
	// forShare ends a SELECT that waits for a write under way to the rows
	// it reads, and then reads them as that write left them, while
	// keeping other readers, and the foreign keys of new rows, free.
	forShare string
	// skipLocked ends a SELECT that locks its rows and passes over rows
	// another transaction has locked, as workers taking jobs do.
	skipLocked string
}

// templateTypes fill the migration templates. Unlogged makes a PostgreSQL
// table whose writes skip the write-ahead log: fast, and emptied after a
// crash. SQLite keeps, with {{if .SQLite}}, what only SQLite must run,
// such as rebuilding a table to change what it cannot alter in place.
type templateTypes struct {
	ID, Bytes, SessionExpiry, Unlogged string
	SQLite                             bool
}

var sqlite = dialect{
	name: "sqlite",
	Types: templateTypes{
		ID: "INTEGER PRIMARY KEY", Bytes: "BLOB", SessionExpiry: "REAL", SQLite: true,
	},
	foreignKeysOff:  "PRAGMA foreign_keys = OFF",
	foreignKeyCheck: "PRAGMA foreign_key_check",
	foreignKeysOn:   "PRAGMA foreign_keys = ON",
}

var postgres = dialect{
	name: "postgres",
	Types: templateTypes{
		ID: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", Bytes: "BYTEA", SessionExpiry: "TIMESTAMPTZ",
		Unlogged: "UNLOGGED",
	},
	lockMigrations: "SELECT pg_advisory_xact_lock(7034198)",
	trySweepLock:   "SELECT pg_try_advisory_xact_lock(7034199, hashtext(current_schema()))",
	lockAdmins:     "SELECT pg_advisory_xact_lock(7034200, hashtext(current_schema()))",
	forUpdate:      " FOR UPDATE",
	forShare:       " FOR SHARE",
	skipLocked:     " FOR UPDATE SKIP LOCKED",
}

//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies, in name order and each in its own transaction, the
// migrations not yet recorded in schema_migrations.
func (s *Store) migrate(ctx context.Context) error {
	// PostgreSQL's CREATE TABLE IF NOT EXISTS fails when a twin runs at the
	// same moment, as when several instances start on a new database: the
	// table is made under the migrations' lock too.
	tx, err := s.migrationTx(ctx, s.db)
	if err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := s.applyMigration(ctx, name); err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
	}
	tx, err = s.migrationTx(ctx, s.db)
	if err != nil {
		return fmt.Errorf("store: username keys: %w", err)
	}
	defer tx.Rollback()
	if err := fillUsernameKeys(ctx, tx); err != nil {
		return fmt.Errorf("store: username keys: %w", err)
	}
	return tx.Commit()
}

// applyMigration applies migration name unless schema_migrations records
// it. On SQLite it runs with foreign keys off, as SQLite's guide to
// altering a table asks: a migration that rebuilds a table drops the old
// one, and with foreign keys on, that would delete, or refuse to drop, the
// rows that refer to it. They cannot be switched inside a transaction, so
// they are switched on the migration's own connection around it, and
// PRAGMA foreign_key_check must find no broken reference before it
// commits. PostgreSQL keeps its foreign keys on: its DDL never deletes
// rows elsewhere.
func (s *Store) applyMigration(ctx context.Context, name string) (err error) {
	src, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	tmpl, err := template.New(name).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return err
	}
	var body strings.Builder
	if err := tmpl.Execute(&body, s.dialect.Types); err != nil {
		return err
	}
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if s.dialect.foreignKeysOff != "" {
		if _, err := conn.ExecContext(ctx, s.dialect.foreignKeysOff); err != nil {
			return err
		}
		defer func() {
			if _, onErr := conn.ExecContext(context.WithoutCancel(ctx), s.dialect.foreignKeysOn); onErr != nil {
				// The pool must not hand out a connection without them.
				conn.Raw(func(any) error { return driver.ErrBadConn })
				err = errors.Join(err, onErr)
			}
		}()
	}
	tx, err := s.migrationTx(ctx, conn)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var done int
	if err := tx.GetContext(ctx, &done, tx.Rebind(`SELECT COUNT(*) FROM schema_migrations WHERE name = ?`), name); err != nil {
		return err
	}
	if done > 0 {
		return nil
	}
	// Statements end at semicolons; comments may not hold one.
	for _, stmt := range statements(stripComments(body.String())) {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if s.dialect.foreignKeyCheck != "" {
		var broken []struct {
			Table  string        `db:"table"`
			RowID  sql.NullInt64 `db:"rowid"`
			Parent string        `db:"parent"`
			FKID   int           `db:"fkid"`
		}
		if err := tx.SelectContext(ctx, &broken, s.dialect.foreignKeyCheck); err != nil {
			return err
		}
		if len(broken) > 0 {
			b := broken[0]
			return fmt.Errorf("%d references to no row, the first from row %d of %s to %s", len(broken), b.RowID.Int64, b.Table, b.Parent)
		}
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO schema_migrations (name) VALUES (?)`), name); err != nil {
		return err
	}
	return tx.Commit()
}

// migrationTx begins, on db, a transaction that holds, on PostgreSQL, the
// lock that serialises the migrations of several processes until it ends.
func (s *Store) migrationTx(ctx context.Context, db interface {
	BeginTxx(context.Context, *sql.TxOptions) (*sqlx.Tx, error)
}) (*sqlx.Tx, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if s.dialect.lockMigrations != "" {
		if _, err := tx.ExecContext(ctx, s.dialect.lockMigrations); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	return tx, nil
}

// statements splits a migration at the semicolons that end its
// statements: not those inside a dollar-quoted body ($$ … $$, such as a
// PostgreSQL function's), nor those between an SQLite trigger's BEGIN and
// its END.
func statements(body string) []string {
	var stmts []string
	var stmt strings.Builder
	for _, part := range strings.SplitAfter(body, ";") {
		stmt.WriteString(part)
		s := stmt.String()
		if strings.Count(s, "$$")%2 == 1 || (triggerBody.MatchString(s) && !triggerEnd.MatchString(strings.TrimSuffix(s, ";"))) {
			continue // the semicolon is inside the statement
		}
		stmts = append(stmts, strings.TrimSuffix(s, ";"))
		stmt.Reset()
	}
	return stmts
}

// triggerBody finds an SQLite trigger with a body of statements, and
// triggerEnd the END that closes it.
var (
	triggerBody = regexp.MustCompile(`(?is)^\s*CREATE\s+TRIGGER\b.*\bBEGIN\b`)
	triggerEnd  = regexp.MustCompile(`(?i)\bEND\s*$`)
)

func stripComments(stmt string) string {
	var b strings.Builder
	for _, line := range strings.Split(stmt, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// millis is how the store writes a time.
func millis(t time.Time) int64 { return t.UnixMilli() }

// fromMillis reads a nullable time column; NULL is the zero time.
func fromMillis(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64)
}
