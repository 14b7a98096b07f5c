package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestSQLiteSyncSetting checks that Options.SQLiteSync reaches SQLite, on
// the writer and on the readers.
func TestSQLiteSyncSetting(t *testing.T) {
	for mode, want := range map[string]int{"": 1, "normal": 1, "NORMAL": 1, "full": 2} {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "sync.db"), Options{SQLiteSync: mode})
		if err != nil {
			t.Fatal(err)
		}
		var w, r int
		if err := s.db.QueryRow(`PRAGMA synchronous`).Scan(&w); err != nil {
			t.Fatal(err)
		}
		if err := s.ro.QueryRow(`PRAGMA synchronous`).Scan(&r); err != nil {
			t.Fatal(err)
		}
		if w != want || r != want {
			t.Errorf("sync %q: writer %d, reader %d, want %d", mode, w, r, want)
		}
		s.Close()
	}
	if _, err := Open(context.Background(), filepath.Join(t.TempDir(), "sync.db"), Options{SQLiteSync: "off"}); err == nil {
		t.Error("sync off was accepted")
	}
}

// BenchmarkSync measures what each SQLite sync setting costs the writes
// that matter most: creating a link and consuming one.
func BenchmarkSync(b *testing.B) {
	for _, mode := range []string{"normal", "full"} {
		b.Run(mode+"/create", func(b *testing.B) {
			s := openSyncBench(b, mode)
			owner := mustAccount(b, s, "ada")
			for b.Loop() {
				mustLink(b, s, owner.ID, 1, time.Hour)
			}
		})
		b.Run(mode+"/consume", func(b *testing.B) {
			s := openSyncBench(b, mode)
			owner := mustAccount(b, s, "ada")
			var l Link
			for i := 0; b.Loop(); i++ {
				if i%100 == 0 {
					l = mustLink(b, s, owner.ID, 100, time.Hour)
				}
				if _, err := s.Consume(context.Background(), l.ID, Event{At: s.Now(), IP: "192.0.2.1", UserAgent: "bench"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func openSyncBench(b *testing.B, mode string) *Store {
	b.Helper()
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), Options{SQLiteSync: mode})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}
