package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/pquerna/otp/totp"

	"oncelink/core"
)

// TestKeysIgnoreTwoFactor: an API key acts for its account whether the
// account has a second factor or not, and whether or not the server
// requires one: the second factor guards signing in, which a key does not.
func TestKeysIgnoreTwoFactor(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ctx := context.Background()
	enrolled, bare := s.account("ada"), s.account("bob")
	ada, err := s.svc.AccountByName(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.svc.StartTOTP(ctx, ada, &core.Proof{ProvenAt: s.svc.Now()})
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(e.Secret, s.svc.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.ConfirmTOTP(ctx, ada, code, "", &core.Proof{ProvenAt: s.svc.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.svc.SetTwoFactorRequired(ctx, nil, true); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*client{"with a second factor": enrolled, "without one, though required": bare} {
		if res := c.get("/api/v1/me"); res.StatusCode != http.StatusOK {
			t.Errorf("%s: /api/v1/me answers %d", name, res.StatusCode)
		}
		if res := c.postJSON("/api/v1/links", map[string]any{"kind": "message", "message": "hi", "ttl": "1h"}); res.StatusCode != http.StatusCreated {
			t.Errorf("%s: creating a link answers %d %s", name, res.StatusCode, res.body)
		}
	}
}
