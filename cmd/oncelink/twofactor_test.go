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

func TestUserResetTwoFactor(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	withService(t, db, func(svc *core.Service) {
		a, err := svc.AccountByName(ctx, "ada")
		if err != nil {
			t.Fatal(err)
		}
		e, err := svc.StartTOTP(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.GenerateCode(e.Secret, svc.Now())
		if _, err := svc.ConfirmTOTP(ctx, a, code); err != nil {
			t.Fatal(err)
		}
	})
	r := runCLI(t, nil, "", "user", "2fa-reset", "ADA", "--db", db)
	if r.code != exitDone || r.stdout != "removed the second factors of ada\n" {
		t.Fatalf("2fa-reset: %d %q %q", r.code, r.stdout, r.stderr)
	}
	withService(t, db, func(svc *core.Service) {
		f, err := svc.SecondFactorsOf(ctx, account(t, db, "ada").ID)
		if err != nil || f.Any() || f.RecoveryLeft != 0 {
			t.Fatalf("after the reset: %+v, %v", f, err)
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
