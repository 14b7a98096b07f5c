package store

import (
	"context"
	"errors"
	"testing"
)

func TestIdentityAccounts(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mustAccount(t, s, "Jane")
		jane := Identity{Issuer: "https://idp.example", Subject: "42", Email: "jane@example.com"}
		if _, err := s.AccountByIdentity(ctx, jane.Issuer, jane.Subject, ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unlinked: %v", err)
		}
		// "Jane" is taken in another case: the next name is used.
		a, err := s.CreateIdentityAccount(ctx, []string{"jane", "jane2"}, jane)
		if err != nil || a.Username != "jane2" || a.PasswordHash != "" || a.Admin {
			t.Fatalf("created %+v, %v", a, err)
		}
		// The same identity again links nothing more.
		if _, err := s.CreateIdentityAccount(ctx, []string{"jane3"}, jane); !errors.Is(err, ErrConflict) {
			t.Errorf("linked twice: %v", err)
		}
		if _, err := s.AccountByName(ctx, "jane3"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a refused link left an account behind: %v", err)
		}
		// The same subject at another issuer is someone else.
		other := Identity{Issuer: "https://other.example", Subject: "42"}
		if _, err := s.CreateIdentityAccount(ctx, []string{"Jane", "JANE2"}, other); !errors.Is(err, ErrConflict) {
			t.Errorf("every name taken: %v", err)
		}
		found, err := s.AccountByIdentity(ctx, jane.Issuer, jane.Subject, "new@example.com")
		if err != nil || found.ID != a.ID {
			t.Fatalf("found %+v, %v", found, err)
		}
		all, err := s.Identities(ctx)
		if err != nil || len(all) != 1 || len(all[a.ID]) != 1 || all[a.ID][0].Email != "new@example.com" {
			t.Errorf("identities %+v, %v", all, err)
		}
		one, err := s.AccountIdentities(ctx, a.ID)
		if err != nil || len(one) != 1 || one[0].Subject != "42" {
			t.Errorf("account's identities %+v, %v", one, err)
		}
		// Deleting the account unlinks it.
		if _, _, err := s.DeleteAccount(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AccountByIdentity(ctx, jane.Issuer, jane.Subject, ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted account still linked: %v", err)
		}
	})
}
