package core

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestWatchExpiryWatchesItsLinkAlone: a watch of one link wakes when that
// link expires, and not for the owner's other links that expire sooner;
// a watch of all the owner's links wakes for the soonest.
func TestWatchExpiryWatchesItsLinkAlone(t *testing.T) {
	s, _, owner := newServiceOn(t, filepath.Join(t.TempDir(), "oncelink.db"), func(c *Config) { c.MinTTL = time.Second })
	ctx := context.Background()
	create := func(ttl string) Link {
		t.Helper()
		d := s.NewDraft()
		defer d.Close()
		c, err := s.Create(ctx, owner.ID, d, LinkInput{Kind: KindMessage, Message: "m", TTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		return c.Link
	}
	later, soon := create("3s"), create("1s")
	one, err := s.WatchExpiry(ctx, owner.ID, later.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer one.Stop()
	all, err := s.WatchExpiries(ctx, owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer all.Stop()

	select {
	case <-one.C:
		t.Fatal("the watch of one link woke before its expiry")
	case <-all.C:
	}
	if due, err := all.Due(ctx); err != nil || len(due) != 1 || due[0].ID != soon.ID {
		t.Fatalf("the owner's links due: %v, %v; want the soon one", due, err)
	}
	select {
	case <-one.C:
		if s.Now().Before(later.ExpiresAt) {
			t.Fatal("the watch of one link woke before its expiry")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the watch of one link did not wake at its expiry")
	}
	if due, err := one.Due(ctx); err != nil || len(due) != 1 || due[0].ID != later.ID {
		t.Fatalf("the link due: %v, %v; want it", due, err)
	}
	if one.C != nil {
		t.Error("the watch of one link is set again after its expiry")
	}
}
