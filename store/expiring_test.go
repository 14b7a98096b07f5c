package store

import (
	"context"
	"testing"
	"time"
)

func TestExpiring(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		clock := newClock(s)
		ann, bob := mustAccount(t, s, "ann"), mustAccount(t, s, "bob")
		later := mustLink(t, s, ann.ID, 1, 3*time.Hour)
		soon := mustLink(t, s, ann.ID, 2, time.Hour)
		used := mustLink(t, s, ann.ID, 1, 30*time.Minute)
		revoked := mustLink(t, s, ann.ID, 1, 40*time.Minute)
		gone := mustLink(t, s, ann.ID, 1, time.Minute)
		mustLink(t, s, bob.ID, 1, 10*time.Minute)
		if _, err := s.Consume(ctx, used.ID, Event{At: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Consume(ctx, soon.ID, Event{At: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Revoke(ctx, ann.ID, revoked.ID, 0, Event{At: clock.Now()}); err != nil {
			t.Fatal(err)
		}

		ids := func(after time.Time, limit int) []int64 {
			t.Helper()
			links, err := s.Expiring(ctx, ann.ID, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, l := range links {
				ids = append(ids, l.ID)
			}
			return ids
		}
		now := clock.Now()
		tests := []struct {
			name  string
			after time.Time
			limit int
			want  []int64
		}{
			{"soonest first, without used or revoked links", now, 10, []int64{gone.ID, soon.ID, later.ID}},
			{"limit", now, 1, []int64{gone.ID}},
			{"after an expiry", gone.ExpiresAt, 10, []int64{soon.ID, later.ID}},
			{"nothing left", later.ExpiresAt, 10, nil},
		}
		for _, tt := range tests {
			got := ids(tt.after, tt.limit)
			if len(got) != len(tt.want) {
				t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
				continue
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
					break
				}
			}
		}
	})
}
