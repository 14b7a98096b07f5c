package store

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"oncelink/internal/pgtest"
)

// backends runs test once on a fresh SQLite file and, when
// ONCELINK_TEST_POSTGRES names a database, once on a fresh PostgreSQL schema.
func backends(t *testing.T, test func(t *testing.T, s *Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { test(t, openSQLiteTest(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, openPostgresTest(t, pgtest.DSN(t))) })
}

func openSQLiteTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPostgresTest opens a store on dsn, a schema from pgtest.DSN; several
// stores on one schema stand for several oncelink instances.
func openPostgresTest(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// clock is a settable time for tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(s *Store) *clock {
	c := &clock{now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	s.Now = c.Now
	return c
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func mustAccount(t testing.TB, s *Store, name string) Account {
	t.Helper()
	a, err := s.CreateAccount(context.Background(), name, "hash", false)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func hashOf(t testing.TB) []byte {
	t.Helper()
	h := make([]byte, 32)
	rand.Read(h)
	return h
}

func mustLink(t testing.TB, s *Store, owner int64, maxUses int, ttl time.Duration) Link {
	t.Helper()
	l, err := s.CreateLink(context.Background(), NewLink{
		OwnerID: owner, TokenHash: hashOf(t), Kind: KindMessage, MaxUses: maxUses, ExpiresAt: s.Now().Add(ttl), Size: 5,
	}, [][]byte{[]byte("chunk")})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestSQLitePathIsAFile: Open takes an SQLite database only as a file's
// path, and says which refusal a caller may put in words of its own: a
// database in memory, or a name with a query or a fragment, or a file: URI.
func TestSQLitePathIsAFile(t *testing.T) {
	for path, want := range map[string]error{
		":memory:":                             ErrInMemory,
		"file::memory:?cache=shared":           ErrInMemory,
		"file:links?mode=memory&cache=shared":  ErrInMemory,
		"oncelink.db?_foreign_keys=off":        ErrNotFilePath,
		"oncelink.db#x":                        ErrNotFilePath,
		"file:/srv/oncelink.db":                ErrNotFilePath,
		"":                                     ErrNotFilePath,
		filepath.Join(t.TempDir(), "links.db"): nil,
	} {
		if err := CheckSQLitePath(path); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("CheckSQLitePath(%q): %v, want %v", path, err, want)
		}
		if want == nil {
			continue
		}
		if s, err := Open(context.Background(), path, Options{}); !errors.Is(err, want) {
			if err == nil {
				s.Close()
			}
			t.Errorf("Open(%q): %v, want %v", path, err, want)
		}
	}
}

// TestPostgresKeywordsDSN: libpq's key=value form names a PostgreSQL
// database as a URL does; a path is still a path, even with an equals
// sign in it.
func TestPostgresKeywordsDSN(t *testing.T) {
	for dsn, want := range map[string]bool{
		"postgres://db/oncelink":                      true,
		"postgresql://db/oncelink":                    true,
		"host=db dbname=oncelink user=app password=x": true,
		" dbname = oncelink":                          true,
		"sslmode=disable host=/run/postgresql":        true,
		"oncelink.db":                                 false,
		"/srv/data/version=2.db":                      false,
		"hostile=yes.db":                              false,
		"data/host=db":                                false,
	} {
		if got := IsPostgres(dsn); got != want {
			t.Errorf("IsPostgres(%q) = %v, want %v", dsn, got, want)
		}
	}
	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	kv := fmt.Sprintf("host=%s port=%s dbname=%s user=%s search_path=%s sslmode=disable",
		u.Hostname(), cmp.Or(u.Port(), "5432"), strings.TrimPrefix(u.Path, "/"), u.User.Username(), u.Query().Get("search_path"))
	s := openPostgresTest(t, kv)
	if !s.Postgres() {
		t.Fatalf("%q opened as SQLite", kv)
	}
	if _, err := s.Secret(context.Background(), "kv", 32); err != nil {
		t.Fatal(err)
	}
}

func TestAccounts(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if n, err := s.CountAccounts(ctx); err != nil || n != 0 {
			t.Fatalf("accounts = %d", n)
		}
		admin, err := s.CreateFirstAccount(ctx, "ada", "h1")
		if err != nil || !admin.Admin {
			t.Fatalf("first account: %+v, %v", admin, err)
		}
		if _, err := s.CreateFirstAccount(ctx, "eve", "h2"); !errors.Is(err, ErrConflict) {
			t.Fatalf("second first account: %v", err)
		}
		if _, err := s.CreateAccount(ctx, "ada", "h3", false); !errors.Is(err, ErrConflict) {
			t.Fatalf("taken name: %v", err)
		}
		bob := mustAccount(t, s, "bob")
		got, err := s.AccountByName(ctx, "bob")
		if err != nil || got.ID != bob.ID || got.Admin {
			t.Fatalf("by name: %+v, %v", got, err)
		}
		if _, err := s.AccountByName(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing: %v", err)
		}
		off, _, err := s.SetDisabled(ctx, bob.ID, true)
		if err != nil || !off.Disabled() {
			t.Fatalf("disable: %+v, %v", off, err)
		}
		all, err := s.Accounts(ctx)
		if err != nil || len(all) != 2 || all[0].Username != "ada" {
			t.Fatalf("accounts: %+v, %v", all, err)
		}
	})
}

func TestSetPassword(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		bob := mustAccount(t, s, "bob")
		carol := mustAccount(t, s, "carol")
		for _, id := range []string{"b1", "b2", "b3"} {
			startSession(t, s, bob.ID, id)
		}
		startSession(t, s, carol.ID, "c1")
		got, ended, err := s.SetPassword(ctx, bob.ID, "new hash", "b2")
		if err != nil || got.ID != bob.ID || got.PasswordHash != "new hash" || got.Username != "bob" || ended != 2 {
			t.Fatalf("set password: %+v, %d ended, %v", got, ended, err)
		}
		for account, want := range map[int64]string{bob.ID: "b2", carol.ID: "c1"} {
			if list, err := s.AccountSessions(ctx, account); err != nil || len(list) != 1 || list[0].ID != want {
				t.Errorf("sessions of %d after setting bob's password: %+v, %v; want only %s", account, list, err, want)
			}
		}
		if _, ended, err := s.SetPassword(ctx, bob.ID, "newer hash", ""); err != nil || ended != 1 {
			t.Fatalf("set password, keeping no session: %d ended, %v", ended, err)
		}
		for name, want := range map[string]string{"bob": "newer hash", "carol": carol.PasswordHash} {
			if a, err := s.AccountByName(ctx, name); err != nil || a.PasswordHash != want {
				t.Errorf("%s's hash after setting bob's: %q, %v; want %q", name, a.PasswordHash, err, want)
			}
		}
		if _, _, err := s.SetPassword(ctx, carol.ID+100, "hash", ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("no such account: %v", err)
		}
	})
}

func TestSecretIsKept(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, err := s.Secret(ctx, "mac", 32)
		if err != nil || len(a) != 32 {
			t.Fatalf("secret: %x, %v", a, err)
		}
		b, _ := s.Secret(ctx, "mac", 32)
		if !bytes.Equal(a, b) {
			t.Fatal("secret changed between calls")
		}
	})
}

func TestLinkLife(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		owner := mustAccount(t, s, "ada")
		l := mustLink(t, s, owner.ID, 2, time.Hour)
		if l.Status(c.Now()) != Active {
			t.Fatalf("status = %s", l.Status(c.Now()))
		}
		got, err := s.LinkByHash(ctx, l.TokenHash)
		if err != nil || got.ID != l.ID || got.OwnerName != "ada" {
			t.Fatalf("by hash: %+v, %v", got, err)
		}
		if _, err := s.LinkByHash(ctx, hashOf(t)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown hash: %v", err)
		}
		if err := s.RecordView(ctx, l.ID, Event{At: c.Now(), IP: "192.0.2.1", UserAgent: "bot"}); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 2; i++ {
			used, err := s.Consume(ctx, l.ID, Event{At: c.Now(), IP: "192.0.2.2", UserAgent: "browser"})
			if err != nil || used.Uses != i {
				t.Fatalf("consume %d: %+v, %v", i, used, err)
			}
		}
		if _, err := s.Consume(ctx, l.ID, Event{At: c.Now()}); !errors.Is(err, ErrGone) {
			t.Fatalf("third consume: %v", err)
		}
		got, _ = s.LinkByHash(ctx, l.TokenHash)
		if got.Status(c.Now()) != Used || got.Views != 1 || !got.Ended(c.Now()).Equal(got.LastUsedAt) {
			t.Fatalf("after use: %s, views %d, ended %v", got.Status(c.Now()), got.Views, got.Ended(c.Now()))
		}
		if err := s.RecordGone(ctx, l.ID, Event{At: c.Now(), IP: "192.0.2.3", UserAgent: "late"}); err != nil {
			t.Fatal(err)
		}
		events, err := s.Events(ctx, owner.ID, l.ID)
		if err != nil || len(events) != 4 || events[0].Kind != EventView || events[2].Kind != EventUse || events[0].UserAgent != "bot" ||
			events[3].Kind != EventGone || events[3].UserAgent != "late" {
			t.Fatalf("events: %+v, %v", events, err)
		}
		other := mustAccount(t, s, "eve")
		if ev, err := s.Events(ctx, other.ID, l.ID); err != nil || len(ev) != 0 {
			t.Fatalf("another owner sees %d events", len(ev))
		}
	})
}

func TestConsumeExpiredAndRevoked(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		owner := mustAccount(t, s, "ada")
		expiring := mustLink(t, s, owner.ID, 1, time.Minute)
		c.Add(time.Minute)
		if _, err := s.Consume(ctx, expiring.ID, Event{At: c.Now()}); !errors.Is(err, ErrGone) {
			t.Fatalf("expired consume: %v", err)
		}
		revoked := mustLink(t, s, owner.ID, 1, time.Hour)
		if _, _, err := s.Revoke(ctx, mustAccount(t, s, "eve").ID, revoked.ID, 0, Event{At: c.Now()}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("revoke by another owner: %v", err)
		}
		r, did, err := s.Revoke(ctx, owner.ID, revoked.ID, 0, Event{At: c.Now()})
		if err != nil || !did || r.Status(c.Now()) != Revoked {
			t.Fatalf("revoke: %+v, %v, %v", r, did, err)
		}
		if _, err := s.Consume(ctx, revoked.ID, Event{At: c.Now()}); !errors.Is(err, ErrGone) {
			t.Fatalf("revoked consume: %v", err)
		}
		if _, err := s.Chunk(ctx, revoked.ID, 0); !errors.Is(err, ErrGone) {
			t.Fatalf("revoked content: %v", err)
		}
	})
}

// Revoking a link that died otherwise, expired or used up longer ago than
// the grant, changes nothing: its status and its trail keep saying how it
// ended. Within the grant of its last use, a used-up link is revoked, its
// content deleted, so that its opener's browser cannot show it again.
func TestRevokeLeavesTheDeadAsTheyEnded(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		owner := mustAccount(t, s, "ada")
		const grant = 10 * time.Minute
		used := mustLink(t, s, owner.ID, 1, time.Hour)
		if _, err := s.Consume(ctx, used.ID, Event{At: c.Now()}); err != nil {
			t.Fatal(err)
		}
		expired := mustLink(t, s, owner.ID, 1, time.Minute)
		c.Add(time.Minute)
		held := mustLink(t, s, owner.ID, 1, time.Hour)
		if _, err := s.Consume(ctx, held.ID, Event{At: c.Now()}); err != nil {
			t.Fatal(err)
		}
		c.Add(grant - time.Minute)
		for _, tt := range []struct {
			l      Link
			status Status
			events int
		}{{used, Used, 1}, {expired, Expired, 0}, {held, Revoked, 2}} {
			r, did, err := s.Revoke(ctx, owner.ID, tt.l.ID, grant, Event{At: c.Now()})
			if err != nil || did != (tt.status == Revoked) || r.Status(c.Now()) != tt.status {
				t.Fatalf("revoke a link that is to stay %s: %v %v %v, %v", tt.status, r.Status(c.Now()), r.RevokedAt, did, err)
			}
			if r.Revocable(c.Now(), grant) {
				t.Errorf("the link that is to stay %s is revocable after the revoke", tt.status)
			}
			if events, err := s.Events(ctx, owner.ID, tt.l.ID); err != nil || len(events) != tt.events {
				t.Fatalf("the trail of a link %s after a revoke: %+v, %v", tt.status, events, err)
			}
		}
		if _, err := s.Chunk(ctx, held.ID, 0); !errors.Is(err, ErrGone) {
			t.Fatalf("the content of a used-up link revoked within its grant: %v", err)
		}
		if _, err := s.Chunk(ctx, used.ID, 0); err != nil {
			t.Fatalf("the content of a used-up link left to the sweep: %v", err)
		}
	})
}

// However many revokes race, and even within one millisecond, the trail
// records one.
func TestRevokeRecordsOnce(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s) // stands still unless moved
		owner := mustAccount(t, s, "ada")
		l := mustLink(t, s, owner.ID, 1, time.Hour)
		var wg sync.WaitGroup
		var did atomic.Int32
		for range 10 {
			wg.Go(func() {
				r, revoked, err := s.Revoke(ctx, owner.ID, l.ID, 0, Event{At: c.Now()})
				if err != nil || r.Status(c.Now()) != Revoked {
					t.Errorf("revoke: %v, %v", r.Status(c.Now()), err)
				}
				if revoked {
					did.Add(1)
				}
			})
		}
		wg.Wait()
		if n := did.Load(); n != 1 {
			t.Errorf("%d of 10 racing revokes say they revoked", n)
		}
		c.Add(time.Second)
		if _, _, err := s.Revoke(ctx, owner.ID, l.ID, 0, Event{At: c.Now()}); err != nil {
			t.Fatal(err)
		}
		events, err := s.Events(ctx, owner.ID, l.ID)
		if err != nil || len(events) != 1 || events[0].Kind != EventRevoke {
			t.Fatalf("events after 11 revokes: %+v, %v", events, err)
		}
	})
}

// What a request says of itself is kept as valid UTF-8 and bounded, cut
// between characters: a user agent may hold any bytes.
func TestEventsKeepValidBoundedText(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		owner := mustAccount(t, s, "ada")
		l := mustLink(t, s, owner.ID, 2, time.Hour)
		agents := []string{
			"\xff" + strings.Repeat("a", 300), // invalid, and long
			strings.Repeat("é", 200),          // two bytes each: 256 falls between
		}
		for _, ua := range agents {
			if _, err := s.Consume(ctx, l.ID, Event{At: s.Now(), IP: "192.0.2.1", UserAgent: ua}); err != nil {
				t.Fatalf("use with user agent %q: %v", ua[:8], err)
			}
		}
		events, err := s.Events(ctx, owner.ID, l.ID)
		if err != nil || len(events) != 2 {
			t.Fatalf("events: %d, %v", len(events), err)
		}
		want := []string{"\uFFFD" + strings.Repeat("a", maxUserAgentLen-3), strings.Repeat("é", maxUserAgentLen/2)}
		for i, e := range events {
			if e.UserAgent != want[i] {
				t.Errorf("user agent %d kept as %q (%d bytes), want %d bytes", i, e.UserAgent, len(e.UserAgent), len(want[i]))
			}
		}
	})
}

// A use brings the one chunk of a message or URL along; a file's chunks
// are read as they are sent, so its use brings none.
func TestConsumeBringsSmallContent(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		owner := mustAccount(t, s, "ada")
		for _, kind := range []string{KindMessage, KindURL, KindFile} {
			l, err := s.CreateLink(ctx, NewLink{OwnerID: owner.ID, TokenHash: hashOf(t), Kind: kind, MaxUses: 2,
				ExpiresAt: s.Now().Add(time.Hour)}, [][]byte{[]byte("sealed " + kind), []byte("more")})
			if err != nil {
				t.Fatal(err)
			}
			used, err := s.ConsumeUnprotected(ctx, l.TokenHash, Event{At: s.Now()})
			if err != nil {
				t.Fatal(err)
			}
			want := "sealed " + kind
			if kind == KindFile {
				want = ""
			}
			if string(used.Content) != want || (kind == KindFile) != (used.Content == nil) {
				t.Errorf("%s: used with content %q, want %q", kind, used.Content, want)
			}
			if l, err := s.LinkByHash(ctx, l.TokenHash); err != nil || l.Content != nil {
				t.Errorf("%s: looking the link up read its content", kind)
			}
		}
	})
}

// TestConsumeExactlyMaxUses races many consumers, many rounds, and expects
// exactly max_uses of them to win each time.
func TestConsumeExactlyMaxUses(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		owner := mustAccount(t, s, "ada")
		for round := range 10 {
			maxUses := []int{1, 5}[round%2]
			l := mustLink(t, s, owner.ID, maxUses, time.Hour)
			var won atomic.Int32
			var wg sync.WaitGroup
			for range 100 {
				wg.Go(func() {
					_, err := s.Consume(context.Background(), l.ID, Event{At: s.Now()})
					switch {
					case err == nil:
						won.Add(1)
					case !errors.Is(err, ErrGone):
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if int(won.Load()) != maxUses {
				t.Fatalf("round %d: %d consumers won a %d-use link", round, won.Load(), maxUses)
			}
		}
	})
}

func TestLinksPagesAndFilters(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		owner := mustAccount(t, s, "ada")
		other := mustAccount(t, s, "eve")
		mustLink(t, s, other.ID, 1, time.Hour)
		var ids []int64
		for i := range 7 {
			l, err := s.CreateLink(ctx, NewLink{OwnerID: owner.ID, TokenHash: hashOf(t), Kind: KindURL,
				Label: fmt.Sprintf("Report_%d 100%%", i), MaxUses: 1, ExpiresAt: c.Now().Add(time.Duration(i+1) * time.Minute)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, l.ID)
		}
		page, err := s.Links(ctx, owner.ID, ListOptions{Limit: 3})
		if err != nil || len(page) != 3 || page[0].ID != ids[6] {
			t.Fatalf("first page: %d links, %v", len(page), err)
		}
		page, err = s.Links(ctx, owner.ID, ListOptions{Limit: 3, Before: page[2].ID})
		if err != nil || len(page) != 3 || page[0].ID != ids[3] {
			t.Fatalf("second page: %d links, %v", len(page), err)
		}
		if _, _, err := s.Revoke(ctx, owner.ID, ids[6], 0, Event{At: c.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Consume(ctx, ids[5], Event{At: c.Now()}); err != nil {
			t.Fatal(err)
		}
		c.Add(150 * time.Second) // links 0 and 1 expire
		for st, want := range map[Status]int{Active: 3, Used: 1, Expired: 2, Revoked: 1} {
			got, err := s.Links(ctx, owner.ID, ListOptions{Status: st})
			if err != nil || len(got) != want {
				t.Errorf("%s: %d links, want %d (%v)", st, len(got), want, err)
			}
			for _, l := range got {
				if l.Status(c.Now()) != st {
					t.Errorf("%s filter returned a %s link", st, l.Status(c.Now()))
				}
			}
		}
		for q, want := range map[string]int{"report_3": 1, "REPORT": 7, "100%": 7, "_3": 1, "%": 7, "x%": 0} {
			got, _ := s.Links(ctx, owner.ID, ListOptions{Query: q})
			if len(got) != want {
				t.Errorf("query %q: %d links, want %d", q, len(got), want)
			}
		}
	})
}

func TestSweep(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		owner := mustAccount(t, s, "ada")
		used := mustLink(t, s, owner.ID, 1, time.Hour)
		expired := mustLink(t, s, owner.ID, 1, time.Minute)
		live := mustLink(t, s, owner.ID, 1, time.Hour)
		if _, err := s.Consume(ctx, used.ID, Event{At: c.Now()}); err != nil {
			t.Fatal(err)
		}
		c.Add(2 * time.Minute)
		swept, err := s.Sweep(ctx, 10*time.Minute, 24*time.Hour)
		if err != nil || swept.Contents != 1 {
			t.Fatalf("sweep in grant window: %+v, %v", swept, err)
		}
		if _, err := s.Chunk(ctx, used.ID, 0); err != nil {
			t.Fatalf("used content gone inside its grant window: %v", err)
		}
		if _, err := s.Chunk(ctx, expired.ID, 0); !errors.Is(err, ErrGone) {
			t.Fatalf("expired content kept: %v", err)
		}
		c.Add(10 * time.Minute)
		if swept, _ = s.Sweep(ctx, 10*time.Minute, 24*time.Hour); swept.Contents != 1 {
			t.Fatalf("after grant window: %+v", swept)
		}
		if _, err := s.Chunk(ctx, used.ID, 0); !errors.Is(err, ErrGone) {
			t.Fatalf("used content kept after its grant window: %v", err)
		}
		if _, err := s.Chunk(ctx, live.ID, 0); err != nil {
			t.Fatalf("live content swept: %v", err)
		}
		c.Add(24 * time.Hour)
		swept, err = s.Sweep(ctx, 10*time.Minute, 24*time.Hour)
		if err != nil || swept.Links != 2 {
			t.Fatalf("purged %d links, want the used and the expired one", swept.Links)
		}
		if _, err := s.OwnedLink(ctx, owner.ID, live.ID); err != nil {
			t.Fatalf("link dead for less than the retention purged: %v", err)
		}
		if _, err := s.OwnedLink(ctx, owner.ID, used.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("purged link: %v", err)
		}
		// A purged link's trail and content go with it.
		var left int
		if err := s.ro.GetContext(ctx, &left, s.ro.Rebind(`SELECT (SELECT COUNT(*) FROM events WHERE link_id IN (?, ?))
			+ (SELECT COUNT(*) FROM link_content WHERE link_id IN (?, ?))`), used.ID, expired.ID, used.ID, expired.ID); err != nil || left != 0 {
			t.Fatalf("%d events or chunks of purged links left, %v", left, err)
		}
	})
}

// TestSweepGivesNoIDTwice: the newest link and the newest request outlive
// their retention until another is made, so that a new one never gets the
// ID of one a script may still hold.
func TestSweepGivesNoIDTwice(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		owner := mustAccount(t, s, "ada")
		first := mustLink(t, s, owner.ID, 1, time.Minute)
		asked, err := s.CreateRequest(ctx, NewRequest{OwnerID: owner.ID, TokenHash: hashOf(t), Accepts: "text", ExpiresAt: c.Now().Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		c.Add(48 * time.Hour)
		// The newest link and request go like any other.
		if swept, err := s.Sweep(ctx, 10*time.Minute, 24*time.Hour); err != nil || swept.Links != 1 {
			t.Fatalf("the newest link kept: %+v, %v", swept, err)
		}
		if _, err := s.OwnedRequest(ctx, owner.ID, asked.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the newest request kept: %v", err)
		}
		next := mustLink(t, s, owner.ID, 1, time.Hour)
		again, err := s.CreateRequest(ctx, NewRequest{OwnerID: owner.ID, TokenHash: hashOf(t), Accepts: "text", ExpiresAt: c.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if next.ID <= first.ID || again.ID <= asked.ID {
			t.Fatalf("IDs given twice: link %d then %d, request %d then %d", first.ID, next.ID, asked.ID, again.ID)
		}
	})
}

func TestWritesReturnNames(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		owner := mustAccount(t, s, "ada")
		bob := mustAccount(t, s, "bob")
		l, err := s.CreateLink(ctx, NewLink{OwnerID: owner.ID, TokenHash: hashOf(t), Kind: KindMessage, ForUserID: bob.ID,
			MaxUses: 2, ExpiresAt: s.Now().Add(time.Hour)}, nil)
		if err != nil || l.OwnerName != "ada" || l.ForUserName != "bob" {
			t.Fatalf("create: %+v, %v", l, err)
		}
		used, err := s.Consume(ctx, l.ID, Event{At: s.Now()})
		if err != nil || used.OwnerName != "ada" || used.ForUserName != "bob" {
			t.Fatalf("consume: %+v, %v", used, err)
		}
		revoked, _, err := s.Revoke(ctx, owner.ID, l.ID, 0, Event{At: s.Now()})
		if err != nil || revoked.OwnerName != "ada" || revoked.ForUserName != "bob" {
			t.Fatalf("revoke: %+v, %v", revoked, err)
		}
	})
}

// TestCreateLinkReturnsTheStoredLink checks that the link CreateLink builds
// from what it was given is the one a read finds.
func TestCreateLinkReturnsTheStoredLink(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newClock(s)
		owner := mustAccount(t, s, "ada")
		bob := mustAccount(t, s, "bob")
		for _, n := range []NewLink{
			{Kind: KindMessage, MaxUses: 1},
			{Kind: KindFile, Label: "Q3 Report", ForUserID: bob.ID, PasswordHash: "hash", MaxUses: 5, Size: 1234, Meta: []byte(`{"name":"q3.pdf"}`)},
		} {
			n.OwnerID, n.TokenHash = owner.ID, hashOf(t)
			// Times are kept to the millisecond.
			n.ExpiresAt = c.Now().Add(time.Hour + 1234567*time.Nanosecond)
			created, err := s.CreateLink(ctx, n, nil)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := s.OwnedLink(ctx, owner.ID, created.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(created, stored) {
				t.Errorf("created %+v\nstored  %+v", created, stored)
			}
		}
	})
}

func TestFindByLabelIgnoresCaseOfEveryLetter(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		owner := mustAccount(t, s, "ada")
		if _, err := s.CreateLink(ctx, NewLink{OwnerID: owner.ID, TokenHash: hashOf(t), Kind: KindMessage,
			Label: "Ärger im Büro", MaxUses: 1, ExpiresAt: s.Now().Add(time.Hour)}, nil); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"ärger", "ÄRGER", "BÜRO", "im b"} {
			if got, err := s.Links(ctx, owner.ID, ListOptions{Query: q}); err != nil || len(got) != 1 {
				t.Errorf("query %q: %d links, %v", q, len(got), err)
			}
		}
	})
}

// TestUpgradeFromTheOldIndexMigrationName opens a database on which the
// owner-expiry index was made by its migration's earlier name, 002.
func TestUpgradeFromTheOldIndexMigrationName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.db.Exec(`UPDATE schema_migrations SET name = 'migrations/002_links_owner_expiry.sql'
		WHERE name = 'migrations/003_links_owner_expiry.sql'`)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.db.Get(&n, `SELECT COUNT(*) FROM schema_migrations WHERE name = 'migrations/002_links_owner_expiry.sql'`); err != nil || n != 1 {
		t.Fatalf("renaming the migration: %d rows, %v", n, err)
	}
	s.Close()
	s, err = Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	s.Close()
}

// TestMigrationsKeepReferencesWhole: an SQLite migration, which runs with
// foreign keys off, is not recorded when a row then refers to no row, and
// the writer's connection has its foreign keys on again.
func TestMigrationsKeepReferencesWhole(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	s := openSQLiteBefore(t, path, "migrations/020")
	owner := accountBefore(t, s, "ada", false)
	_, err := s.db.Exec(`PRAGMA foreign_keys = OFF;
		INSERT INTO notice_deliveries (account_id, webhook_id, type, at, next_at, created_at) VALUES (?, 99, 'webhook.test', 0, 0, 0);
		PRAGMA foreign_keys = ON`, owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	err = s.applyMigration(ctx, "migrations/020_deliveries_leased.sql")
	if err == nil || !strings.Contains(err.Error(), "notice_deliveries to webhooks") {
		t.Fatalf("migrating with a delivery of no endpoint: %v", err)
	}
	var n, on int
	if err := s.db.Get(&n, `SELECT COUNT(*) FROM schema_migrations WHERE name LIKE 'migrations/020%'`); err != nil || n != 0 {
		t.Fatalf("the migration recorded: %d, %v", n, err)
	}
	if err := s.db.Get(&on, `PRAGMA foreign_keys`); err != nil || on != 1 {
		t.Fatalf("foreign keys after the migration failed: %d, %v", on, err)
	}
}

// openSQLiteBefore opens an SQLite store at path with the migrations that
// sort before until, as a release that knew no more left it.
func openSQLiteBefore(t testing.TB, path, until string) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := openSQLite(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.db.Exec(`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if name >= until {
			break
		}
		if err := s.applyMigration(ctx, name); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return s
}

// accountBefore adds an account to a store opened by openSQLiteBefore,
// with the columns that accounts had before any later migration added
// its own, which CreateAccount reads back.
func accountBefore(t testing.TB, s *Store, name string, admin bool) Account {
	t.Helper()
	a := Account{Username: name, PasswordHash: "hash", Admin: admin, CreatedAt: time.UnixMilli(millis(s.Now()))}
	err := s.db.Get(&a.ID, `INSERT INTO accounts (username, username_key, password_hash, is_admin, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, name, usernameKey(name), a.PasswordHash, admin, millis(a.CreatedAt))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestIdempotencyKeys: a key makes one link per owner, also when both
// inserts race, whether its content is given or streamed; another owner
// has keys of their own.
func TestIdempotencyKeys(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ada := mustAccount(t, s, "ada")
		bob := mustAccount(t, s, "bob")
		link := func(owner int64, key string) NewLink {
			return NewLink{OwnerID: owner, TokenHash: hashOf(t), Kind: KindMessage, MaxUses: 1,
				ExpiresAt: s.Now().Add(time.Hour), IdempotencyKey: key}
		}
		first, err := s.CreateLink(ctx, link(ada.ID, "k1"), [][]byte{[]byte("sealed")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateLink(ctx, link(ada.ID, "k1"), [][]byte{[]byte("sealed")}); !errors.Is(err, ErrKeyTaken) {
			t.Fatalf("a second link with the key: %v, want ErrKeyTaken", err)
		}
		if _, err := s.CreateLinkStream(ctx, link(ada.ID, "k1"), func(func([]byte) error) error { return nil }); !errors.Is(err, ErrKeyTaken) {
			t.Fatalf("a second streamed link with the key: %v, want ErrKeyTaken", err)
		}
		if got, err := s.LinkByIdempotencyKey(ctx, ada.ID, "k1"); err != nil || got.ID != first.ID {
			t.Fatalf("the link of the key: %+v, %v; want link %d", got, err, first.ID)
		}
		if _, err := s.LinkByIdempotencyKey(ctx, bob.ID, "k1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another owner's key: %v, want ErrNotFound", err)
		}
		if _, err := s.CreateLink(ctx, link(bob.ID, "k1"), nil); err != nil {
			t.Fatalf("another owner's link with the same key: %v", err)
		}
		for range 2 {
			if _, err := s.CreateLink(ctx, link(ada.ID, ""), nil); err != nil {
				t.Fatalf("links without a key: %v", err)
			}
		}
		var made, conflicts atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				_, err := s.CreateLink(ctx, link(ada.ID, "raced"), [][]byte{[]byte("sealed")})
				switch {
				case err == nil:
					made.Add(1)
				case errors.Is(err, ErrKeyTaken):
					conflicts.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if made.Load() != 1 || conflicts.Load() != 7 {
			t.Fatalf("8 racing creates with one key made %d links, %d conflicts", made.Load(), conflicts.Load())
		}
	})
}

// TestRequestAndWebhookIdempotencyKeys: a key makes one request, and one
// webhook endpoint, per owner, also when the creates race; another owner
// has keys of their own, and an endpoint's key is refused before its
// limit and its address are counted.
func TestRequestAndWebhookIdempotencyKeys(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ada := mustAccount(t, s, "ada")
		bob := mustAccount(t, s, "bob")
		request := func(owner int64, key string) (int64, error) {
			r, err := s.CreateRequest(ctx, NewRequest{OwnerID: owner, TokenHash: hashOf(t), Accepts: AcceptsAny,
				ExpiresAt: s.Now().Add(time.Hour), IdempotencyKey: key})
			return r.ID, err
		}
		var n atomic.Int32 // each endpoint's address its own, also of racing creates
		webhook := func(owner int64, key string) (int64, error) {
			w, err := s.CreateWebhook(ctx, owner, fmt.Sprintf("https://example.com/%d", n.Add(1)), []string{NoticeLinkOpened}, hashOf(t), 3, key)
			return w.ID, err
		}
		requestByKey := func(owner int64, key string) (int64, error) {
			r, err := s.RequestByIdempotencyKey(ctx, owner, key)
			return r.ID, err
		}
		webhookByKey := func(owner int64, key string) (int64, error) {
			w, err := s.WebhookByIdempotencyKey(ctx, owner, key)
			return w.ID, err
		}
		for _, kind := range []struct {
			what   string
			create func(owner int64, key string) (int64, error)
			byKey  func(owner int64, key string) (int64, error)
		}{{"request", request, requestByKey}, {"webhook", webhook, webhookByKey}} {
			first, err := kind.create(ada.ID, "k1")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := kind.create(ada.ID, "k1"); !errors.Is(err, ErrKeyTaken) {
				t.Fatalf("a second %s with the key: %v, want ErrKeyTaken", kind.what, err)
			}
			if got, err := kind.byKey(ada.ID, "k1"); err != nil || got != first {
				t.Fatalf("the %s of the key: %d, %v; want %d", kind.what, got, err, first)
			}
			if _, err := kind.byKey(bob.ID, "k1"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("another owner's key: %v, want ErrNotFound", err)
			}
			if _, err := kind.create(bob.ID, "k1"); err != nil {
				t.Fatalf("another owner's %s with the same key: %v", kind.what, err)
			}
			if _, err := kind.create(ada.ID, ""); err != nil {
				t.Fatalf("a %s without a key: %v", kind.what, err)
			}
			var made, taken atomic.Int32
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					_, err := kind.create(bob.ID, "raced")
					switch {
					case err == nil:
						made.Add(1)
					case errors.Is(err, ErrKeyTaken):
						taken.Add(1)
					default:
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if made.Load() != 1 || taken.Load() != 7 {
				t.Fatalf("8 racing creates of a %s with one key made %d, %d taken", kind.what, made.Load(), taken.Load())
			}
		}
		// With 3 endpoints, her limit, ada's first key is still known as
		// hers, not as one too many.
		if _, err := webhook(ada.ID, "k2"); err != nil {
			t.Fatal(err)
		}
		if _, err := webhook(ada.ID, "k3"); !errors.Is(err, ErrLimit) {
			t.Fatalf("a fourth endpoint: %v, want ErrLimit", err)
		}
		if _, err := webhook(ada.ID, "k1"); !errors.Is(err, ErrKeyTaken) {
			t.Fatalf("the first key at the limit: %v, want ErrKeyTaken", err)
		}
	})
}
