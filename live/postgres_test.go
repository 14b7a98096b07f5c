package live

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"oncelink/internal/pgtest"
)

// pgInstance is one oncelink instance's side of the live events: its own
// pool on the shared schema, and a listening notifier whose payloads and
// (re)subscriptions tests wait for.
type pgInstance struct {
	*PGNotifier
	pool      *pgxpool.Pool
	payloads  chan string
	listening chan struct{}
}

func startPGInstance(t *testing.T, dsn string) *pgInstance {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewPGNotifier(context.Background(), pool, "oncelink_test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	in := &pgInstance{PGNotifier: n, pool: pool, payloads: make(chan string, 100), listening: make(chan struct{}, 10)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Listen(ctx, func(p []byte) { in.payloads <- string(p) }, func() { in.listening <- struct{}{} })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Listen did not return when its context ended")
		}
		pool.Close()
	})
	in.waitListening(t)
	return in
}

func (in *pgInstance) waitListening(t *testing.T) {
	t.Helper()
	select {
	case <-in.listening:
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not (re)start listening within 10s")
	}
}

// expect waits a second at most for payload, the next one to arrive.
func (in *pgInstance) expect(t *testing.T, payload string) {
	t.Helper()
	select {
	case got := <-in.payloads:
		if got != payload {
			t.Fatalf("got payload %.40q, want %.40q", got, payload)
		}
	case <-time.After(time.Second):
		t.Fatalf("payload %.40q did not arrive within a second", payload)
	}
}

func (in *pgInstance) expectNone(t *testing.T) {
	t.Helper()
	select {
	case got := <-in.payloads:
		t.Fatalf("unexpected payload %.40q", got)
	case <-time.After(200 * time.Millisecond):
	}
}

func (in *pgInstance) notify(t *testing.T, payload string) {
	t.Helper()
	if err := in.Notify(context.Background(), []byte(payload)); err != nil {
		t.Fatal(err)
	}
}

func TestPGNotifierAcrossInstances(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := startPGInstance(t, dsn), startPGInstance(t, dsn)
	elsewhere := startPGInstance(t, pgtest.DSN(t))

	a.notify(t, `{"owner":1,"link":7}`)
	b.expect(t, `{"owner":1,"link":7}`)
	a.expect(t, `{"owner":1,"link":7}`)
	b.notify(t, "second")
	b.notify(t, "third")
	for _, in := range []*pgInstance{a, b} {
		in.expect(t, "second")
		in.expect(t, "third")
	}
	elsewhere.expectNone(t)

	long := strings.Repeat("é", MaxPGPayload/2) + "x"
	a.notify(t, long)
	b.expect(t, long)
	a.expect(t, long)
	for _, bad := range [][]byte{[]byte(long + "x"), {0xff, 0xfe}, []byte("a\x00b")} {
		if err := a.Notify(context.Background(), bad); err == nil {
			t.Errorf("payload %.20q sent", bad)
		}
	}
	a.expectNone(t)
}

// TestPGNotifierReconnects kills the listener's connection on the server's
// side: the notifier listens again and hears what is notified afterwards.
func TestPGNotifierReconnects(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := startPGInstance(t, dsn), startPGInstance(t, dsn)
	for round := range 2 {
		var killed int
		err := a.pool.QueryRow(context.Background(), `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE query = 'LISTEN ' || quote_ident($1)`, b.channel).Scan(&killed)
		if err != nil || killed != 2 {
			t.Fatalf("round %d: killed %d listeners (%v), want both", round, killed, err)
		}
		a.waitListening(t)
		b.waitListening(t)
		a.notify(t, "after the drop")
		b.expect(t, "after the drop")
		a.expect(t, "after the drop")
	}
}

// TestPGNotifierQuiet lets the listener check its connection many times
// between notifications: nothing is lost or repeated.
func TestPGNotifierQuiet(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := startPGInstance(t, dsn)
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	quiet, err := NewPGNotifier(context.Background(), pool, "oncelink_test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	quiet.quiet = 5 * time.Millisecond
	payloads := make(chan []byte, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listening := make(chan struct{}, 10)
	go quiet.Listen(ctx, func(p []byte) { payloads <- p }, func() { listening <- struct{}{} })
	select {
	case <-listening:
	case <-time.After(10 * time.Second):
		t.Fatal("the quiet listener did not start")
	}
	for i := range 20 {
		time.Sleep(10 * time.Millisecond)
		a.notify(t, strings.Repeat("n", i+1))
	}
	for i := range 20 {
		select {
		case p := <-payloads:
			if !bytes.Equal(p, bytes.Repeat([]byte("n"), i+1)) {
				t.Fatalf("payload %d is %q", i, p)
			}
		case <-time.After(time.Second):
			t.Fatalf("payload %d lost", i)
		}
	}
	select {
	case <-listening:
		t.Fatal("the quiet listener reconnected")
	case p := <-payloads:
		t.Fatalf("extra payload %q", p)
	case <-time.After(100 * time.Millisecond):
	}
}
