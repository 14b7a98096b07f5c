package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PGNotifier carries small payloads between the oncelink instances that
// share a PostgreSQL database, over LISTEN/NOTIFY: a payload that one
// instance notifies reaches every instance's listener, its own included.
// Make one with NewPGNotifier; run Listen once per instance.
type PGNotifier struct {
	pool    *pgxpool.Pool
	channel string
	log     *slog.Logger
	// quiet is how long the listener waits for a notification before it
	// checks that its connection still answers: a connection that died
	// without closing (a network gone) would otherwise wait for ever.
	quiet time.Duration
}

// MaxPGPayload is the longest payload PostgreSQL's NOTIFY carries, in bytes.
const MaxPGPayload = 7999

// Timing of the listener's connection.
const (
	// pgQuiet is a listener's quiet time; pgPingWait bounds its check of
	// the connection, and the closing of a connection.
	pgQuiet    = 30 * time.Second
	pgPingWait = 5 * time.Second
	// The listener reconnects after pgRetryMin, doubling up to pgRetryMax
	// while the database cannot be reached.
	pgRetryMin = 100 * time.Millisecond
	pgRetryMax = 5 * time.Second
)

// NewPGNotifier returns a notifier on pool's database. Its channel is name
// in the schema the pool's connections work in, so that deployments in other
// schemas of the same database, tests among them, do not hear each other.
func NewPGNotifier(ctx context.Context, pool *pgxpool.Pool, name string, log *slog.Logger) (*PGNotifier, error) {
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("live: the database's schema: %w", err)
	}
	channel := name + "." + schema
	// PostgreSQL cuts longer identifiers in LISTEN but refuses them in
	// pg_notify, so the two would not meet.
	if len(channel) > 63 {
		return nil, fmt.Errorf("live: channel name %q is longer than PostgreSQL's 63 bytes", channel)
	}
	return &PGNotifier{pool: pool, channel: channel, log: log, quiet: pgQuiet}, nil
}

// Notify sends payload to every instance's listener. The payload is text
// (UTF-8 without NUL bytes) of at most MaxPGPayload bytes: ids that a
// listener looks up, not what it then shows. It is sent when Notify returns;
// a listener that is reconnecting at that moment misses it.
func (n *PGNotifier) Notify(ctx context.Context, payload []byte) error {
	switch {
	case len(payload) > MaxPGPayload:
		return fmt.Errorf("live: a %d-byte payload is longer than NOTIFY's %d", len(payload), MaxPGPayload)
	case !utf8.Valid(payload) || bytes.IndexByte(payload, 0) >= 0:
		return errors.New("live: a NOTIFY payload must be UTF-8 text without NUL bytes")
	}
	if _, err := n.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, n.channel, string(payload)); err != nil {
		return fmt.Errorf("live: notify: %w", err)
	}
	return nil
}

// Listen hands every payload notified on the channel to deliver, in order,
// until ctx ends. It holds a connection of its own, taken out of the pool,
// and when that connection is lost it reconnects, waiting longer after each
// failure. Notifications sent while it is not listening are lost, so it
// calls listening each time it has started to listen again (the first time
// too): a subscriber should refresh what it shows then. deliver runs on
// Listen's goroutine and should return quickly.
func (n *PGNotifier) Listen(ctx context.Context, deliver func(payload []byte), listening func()) {
	wait := pgRetryMin
	for {
		err := n.listen(ctx, deliver, func() {
			wait = pgRetryMin
			listening()
		})
		if ctx.Err() != nil {
			return
		}
		n.log.Warn("live events: lost the PostgreSQL listener; reconnecting", "err", err, "after", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, pgRetryMax)
	}
}

// listen listens on one connection until it fails or ctx ends.
func (n *PGNotifier) listen(ctx context.Context, deliver func([]byte), listening func()) error {
	pc, err := n.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A listening connection stays busy for good: it leaves the pool.
	conn := pc.Hijack()
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), pgPingWait)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{n.channel}.Sanitize()); err != nil {
		return err
	}
	listening()
	for {
		wctx, cancel := context.WithTimeout(ctx, n.quiet)
		note, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			deliver([]byte(note.Payload))
		case ctx.Err() != nil:
			return ctx.Err()
		case pgconn.Timeout(err):
			pctx, cancel := context.WithTimeout(ctx, pgPingWait)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// Postgres is the Broker of several instances on one PostgreSQL database.
// Publish sends the event's ids as a notification; every instance, this one
// included, hears it through its listener and delivers it to its own
// subscribers through a Local, which numbers it.
type Postgres struct {
	local    Local
	notifier *PGNotifier
	log      *slog.Logger
}

var _ Broker = (*Postgres)(nil)

// wireEvent is an Event as a notification carries it.
type wireEvent struct {
	Owner int64 `json:"o"`
	Link  int64 `json:"l,omitempty"`
	Req   int64 `json:"r,omitempty"`
	What  What  `json:"w"`
	// Exp is Event.Expires in Unix milliseconds.
	Exp int64 `json:"x,omitempty"`
	// Session and Renewed are a SessionRenewed event's session ids.
	Session string `json:"s,omitempty"`
	Renewed string `json:"n,omitempty"`
}

func toWire(e Event) wireEvent {
	w := wireEvent{Owner: e.Owner, Link: e.Link, Req: e.Request, What: e.What, Session: e.Session, Renewed: e.Renewed}
	if !e.Expires.IsZero() {
		w.Exp = e.Expires.UnixMilli()
	}
	return w
}

func (w wireEvent) event() Event {
	e := Event{Owner: w.Owner, Link: w.Link, Request: w.Req, What: w.What, Session: w.Session, Renewed: w.Renewed}
	if w.Exp != 0 {
		e.Expires = time.UnixMilli(w.Exp)
	}
	return e
}

// NewPostgres starts listening on pool's database for the events of every
// instance, until ctx ends, and returns once it listens, so that no event
// published after it returns is missed.
func NewPostgres(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (*Postgres, error) {
	n, err := NewPGNotifier(ctx, pool, "oncelink_events", log)
	if err != nil {
		return nil, err
	}
	// A listener that never started must not go on holding a connection;
	// one that started ends with the context NewPostgres was given.
	ctx, cancel := context.WithCancel(ctx)
	started := false
	defer func() {
		if !started {
			cancel()
		}
	}()
	p := &Postgres{notifier: n, log: log}
	ready := make(chan struct{})
	var once sync.Once
	go n.Listen(ctx, p.receive, func() {
		first := false
		once.Do(func() { first = true; close(ready) })
		if !first {
			// Events may have gone by while the listener was away.
			p.local.DropAll()
		}
	})
	select {
	case <-ready:
		started = true
		return p, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(10 * time.Second):
		return nil, errors.New("live: the PostgreSQL listener did not start within 10s")
	}
}

// Publish notifies every instance of e. When the notification cannot be
// sent, this instance's own subscribers still hear of it.
func (p *Postgres) Publish(ctx context.Context, e Event) error {
	payload, err := json.Marshal(toWire(e))
	if err != nil {
		return err
	}
	if err := p.notifier.Notify(ctx, payload); err != nil {
		p.local.Publish(ctx, e)
		return err
	}
	return nil
}

// Subscribe returns the owner's events from every instance; see Broker.
func (p *Postgres) Subscribe(owner int64) (<-chan Event, func()) { return p.local.Subscribe(owner) }

// Last returns the ID of the owner's last event this instance delivered.
func (p *Postgres) Last(owner int64) uint64 { return p.local.Last(owner) }

func (p *Postgres) receive(payload []byte) {
	var w wireEvent
	if err := json.Unmarshal(payload, &w); err != nil || w.Owner == 0 {
		p.log.Warn("live events: an unreadable notification", "err", err)
		return
	}
	p.local.Publish(context.Background(), w.event())
}
