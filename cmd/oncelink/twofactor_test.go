package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/pquerna/otp/totp"

	"oncelink/core"
	"oncelink/store"
	"oncelink/token"
)

// withService runs fn with a service over the database db, as the server
// would have it.
func withService(t *testing.T, db string, fn func(svc *core.Service)) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := st.Secret(ctx, "token-key", token.KeyLen)
	if err != nil {
		t.Fatal(err)
	}
	fn(core.New(core.Config{BaseURL: "http://localhost:8080"}, st, key, slog.New(slog.NewTextHandler(io.Discard, nil))))
}

// secondStep gives code as a's second step, from a client of its own.
func secondStep(t *testing.T, svc *core.Service, a core.Account, code string) error {
	t.Helper()
	turn, err := svc.TakeTurn(context.Background(), core.SignInAction, core.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.SecondStep(context.Background(), turn, a, code)
	return err
}

func TestUserResetTwoFactor(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	withService(t, db, func(svc *core.Service) {
		a, err := svc.AccountByName(ctx, "ada")
		if err != nil {
			t.Fatal(err)
		}
		e, err := svc.StartTOTP(ctx, a, &core.Proof{ProvenAt: svc.Now()})
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.GenerateCode(e.Secret, svc.Now())
		if _, err := svc.ConfirmTOTP(ctx, a, code, "", &core.Proof{ProvenAt: svc.Now()}); err != nil {
			t.Fatal(err)
		}
		// Wrong codes enough to hold the next one back.
		for range core.CodesBeforeWait + 1 {
			err = secondStep(t, svc, a, "abcd-efgh-ijkm-npqr")
		}
		if !core.CodesHeldBack(err) {
			t.Fatalf("a code after wrong ones: %v", err)
		}
		// Signed in on the device that was lost.
		if err := svc.SignedIn(ctx, a.ID, "lost-phone", core.Client{}); err != nil {
			t.Fatal(err)
		}
	})
	r := runCLI(t, nil, "", "user", "2fa-reset", "ADA", "--db", db)
	if r.code != exitDone || r.stdout != "removed the second factors of ada and signed it out everywhere\n" {
		t.Fatalf("2fa-reset: %d %q %q", r.code, r.stdout, r.stderr)
	}
	withService(t, db, func(svc *core.Service) {
		a := account(t, db, "ada")
		f, err := svc.SecondFactorsOf(ctx, a.ID)
		if err != nil || f.Any() || f.RecoveryLeft != 0 {
			t.Fatalf("after the reset: %+v, %v", f, err)
		}
		if v, err := svc.SessionViewer(ctx, a.ID, "lost-phone"); v != nil || err != nil {
			t.Fatalf("the lost phone's session after the reset: %v, %v", v, err)
		}
		// The wrong codes went with the factors: a new app's codes are
		// not held back.
		e, err := svc.StartTOTP(ctx, a, &core.Proof{ProvenAt: svc.Now()})
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.GenerateCode(e.Secret, svc.Now())
		if _, err := svc.ConfirmTOTP(ctx, a, code, "", &core.Proof{ProvenAt: svc.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := secondStep(t, svc, a, "abcd-efgh-ijkm-npqr"); err == nil || core.CodesHeldBack(err) {
			t.Fatalf("a wrong code after the reset: %v", err)
		}
		if _, _, err := svc.ResetTwoFactor(ctx, nil, a.ID); err != nil {
			t.Fatal(err)
		}
	})
	// Again: nothing is left to remove, and the command says so.
	r = runCLI(t, nil, "", "user", "2fa-reset", "ada", "--db", db)
	if r.code != exitDone || r.stdout != "" || !strings.HasSuffix(r.stderr, "\nada has no second factor: nothing changed\n") {
		t.Fatalf("2fa-reset again: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, nil, "", "user", "2fa-reset", "nobody", "--db", db); r.code != exitNotFound {
		t.Fatalf("2fa-reset of no account: %d", r.code)
	}
}
