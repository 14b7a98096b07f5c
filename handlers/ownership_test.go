package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"oncelink/store"
)

// TestOwnersSeeOnlyTheirOwnLinks walks every owner route of the route table
// as ada with bob's link: a route that names a link answers 404 as if it did
// not exist, one that lists links leaves bob's out, and bob's link stays as
// it was. Bob's own requests show that the same paths work for their owner.
func TestOwnersSeeOnlyTheirOwnLinks(t *testing.T) {
	f := newFixture(t)
	const label = "bob-private-label"
	bobs := f.newLink(f.bobID, store.NewLink{Label: label, MaxUses: 3})
	before, err := f.s.store.OwnedLink(context.Background(), f.bobID, bobs.id)
	if err != nil {
		t.Fatal(err)
	}
	bad := []string{"0", "-1", "x", "1e3", "99999999999999999999", "1000000"}
	for _, r := range appRoutes {
		if !r.owner {
			continue
		}
		for _, variant := range []http.Header{nil, {"Hx-Request": {"true"}}} {
			res := f.ada.send(r, bobs, formType, r.form.Encode(), variant)
			names := strings.Contains(r.path, "{id}")
			switch {
			case names && res.StatusCode != http.StatusNotFound:
				t.Errorf("%s with bob's link, as ada (htmx %v): %d, want 404", r, variant != nil, res.StatusCode)
			case strings.Contains(res.body, label):
				t.Errorf("%s as ada (htmx %v) shows bob's link", r, variant != nil)
			}
			if !names {
				continue
			}
			for _, id := range bad {
				other := r
				other.path = strings.ReplaceAll(r.path, "{id}", id)
				if res := f.ada.send(other, bobs, formType, r.form.Encode(), variant); res.StatusCode != http.StatusNotFound {
					t.Errorf("%s with id %q: %d, want 404", r, id, res.StatusCode)
				}
			}
		}
	}
	after, err := f.s.store.OwnedLink(context.Background(), f.bobID, bobs.id)
	if err != nil {
		t.Fatal(err)
	}
	if after.Uses != before.Uses || after.Views != before.Views || !after.RevokedAt.IsZero() {
		t.Fatalf("bob's link changed: %+v, was %+v", after, before)
	}
	events, err := f.s.store.Events(context.Background(), f.bobID, bobs.id)
	if err != nil || len(events) != 0 {
		t.Fatalf("bob's link has events %+v, %v", events, err)
	}
	for _, r := range appRoutes {
		if r.owner && strings.Contains(r.path, "{id}") {
			if res := f.bob.send(r, bobs, formType, r.form.Encode(), nil); res.StatusCode >= 400 {
				t.Errorf("%s as bob, its owner: %d", r, res.StatusCode)
			}
		}
	}
}
