package handlers

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"oncelink/core"
	"oncelink/store"
)

// slowViewers finds a request's signed-in account a while late, once its
// session is loaded: requests sent together are then all under way at
// once, each with its session as it was before any of them answered.
type slowViewers struct{ core.Store }

func (s slowViewers) SessionAccount(ctx context.Context, id int64, session string) (store.Account, error) {
	time.Sleep(200 * time.Millisecond)
	return s.Store.SessionAccount(ctx, id, session)
}

// sentAtOnce sends one form n times to s, all let go at the same moment,
// as clicks in a row would, and returns the answers with status done: each
// other one must say that the form was sent already (409), or have the
// status of one of also.
func sentAtOnce(t *testing.T, s *testServer, n, done int, send func() response, also ...int) []response {
	t.Helper()
	s.useStore(func(st core.Store) core.Store { return slowViewers{st} })
	defer s.useStore(func(core.Store) core.Store { return s.store })
	start := make(chan struct{})
	answers := make([]response, n)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			<-start
			answers[i] = send()
		})
	}
	close(start)
	wg.Wait()
	var made []response
	for _, res := range answers {
		switch res.StatusCode {
		case done:
			made = append(made, res)
		case http.StatusConflict:
			if !strings.Contains(res.body, "This form was sent already") {
				t.Errorf("a form sent at once with others: 409 without saying why")
			}
		default:
			if !slices.Contains(also, res.StatusCode) {
				t.Errorf("a form sent at once with others: %d", res.StatusCode)
			}
		}
	}
	return made
}

// TestKeyFormSentAtOnce sends one new-key form eight times at once: one
// key is made, and shown once.
func TestKeyFormSentAtOnce(t *testing.T) {
	onBoth(t, func(t *testing.T, s *testServer) {
		ada := s.admin()
		form := url.Values{"form_key": {formKeyOf(t, ada.get("/settings").body, "/settings/keys")}, "name": {"laptop"}, "expires": {"30d"}}
		made := sentAtOnce(t, s, 8, http.StatusCreated, func() response { return ada.post("/settings/keys", form) })
		if len(made) != 1 {
			t.Fatalf("one form sent eight times at once made %d keys", len(made))
		}
		if keys, err := s.h.core.Keys(context.Background(), 1); err != nil || len(keys) != 1 {
			t.Fatalf("the account has %d keys, want 1 (%v)", len(keys), err)
		}
		if !s.authenticates(attr(testIDs(t, made[0].body, "key-secret")[0], "value")) {
			t.Fatal("the key shown does not sign in")
		}
	})
}

// TestRecoveryFormSentAtOnce sends one new-recovery-codes form eight times
// at once: one set of codes is made and shown, and it is the one that
// signs in.
func TestRecoveryFormSentAtOnce(t *testing.T) {
	onBoth(t, func(t *testing.T, s *testServer) {
		ada := s.admin()
		s.enrolTOTP("ada")
		form := url.Values{"proof": {testPassword}, "form_key": {"renew-at-once"}}
		made := sentAtOnce(t, s, 8, http.StatusOK, func() response { return ada.post("/settings/recovery-codes", form) })
		if len(made) != 1 {
			t.Fatalf("one form sent eight times at once made %d sets of recovery codes", len(made))
		}
		shown := testIDs(t, made[0].body, "code")
		if len(shown) != core.RecoveryCodes {
			t.Fatalf("%d codes shown, want %d", len(shown), core.RecoveryCodes)
		}
		c := s.client()
		c.passwordStep("ada")
		if res := c.post("/login/verify", url.Values{"code": {textOf(shown[len(shown)-1])}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("a code shown: %d", res.StatusCode)
		}
	}, func(c *core.Config) { c.RateLimits = false })
}

// TestRotateFormSentAtOnce presses one Rotate secret button eight times at
// once: the secret is rotated once, so that the secret it replaced is the
// endpoint's first, which still signs beside the one shown.
func TestRotateFormSentAtOnce(t *testing.T) {
	onBoth(t, func(t *testing.T, s *testServer) {
		ada := s.admin()
		first, err := s.h.core.CreateWebhook(context.Background(), 1, core.WebhookInput{URL: "http://127.0.0.1:9/hook", Events: []string{"link.opened"}})
		if err != nil {
			t.Fatal(err)
		}
		rotate := "/settings/webhooks/" + itoa(first.Webhook.ID) + "/rotate"
		form := url.Values{"form_key": {formKeyOf(t, ada.get("/settings").body, rotate)}}
		made := sentAtOnce(t, s, 8, http.StatusOK, func() response { return ada.post(rotate, form) })
		if len(made) != 1 {
			t.Fatalf("one button pressed eight times at once rotated %d times", len(made))
		}
		hooks, err := s.h.core.Webhooks(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if core.WebhookSecret(hooks[0]) != secretOnPage(t, made[0].body) || !bytes.Equal(hooks[0].PreviousSecret, first.Webhook.Secret) {
			t.Fatal("the secret shown is not the endpoint's, or the one it replaced is not its first")
		}
	}, func(c *core.Config) { c.WebhookAllowPrivate = true })
}

// TestPasswordFormSentAtOnce sends one change-password form eight times at
// once: the password is changed once, and the session that changed it
// stays signed in. A sending that reaches the server once the change
// renewed the session's token carries the old one, which signs nobody in
// (401).
func TestPasswordFormSentAtOnce(t *testing.T) {
	onBoth(t, func(t *testing.T, s *testServer) {
		s.admin()
		bob := s.user("bob")
		form := url.Values{"current_password": {testPassword}, "password": {"a new password"},
			"form_key": {formKeyOf(t, bob.get("/settings").body, "/settings/password")}}
		base, _ := url.Parse(s.URL)
		before := bob.c.Jar.Cookies(base)
		made := sentAtOnce(t, s, 8, http.StatusOK, func() response { return bob.post("/settings/password", form) }, http.StatusUnauthorized)
		if len(made) != 1 || !hasTestID(t, made[0].body, "password-changed") {
			t.Fatalf("one form sent eight times at once changed the password %d times", len(made))
		}
		if res := bob.get("/settings"); res.StatusCode != http.StatusOK {
			t.Errorf("the session that changed it: %d", res.StatusCode)
		}
		copied := s.client()
		copied.c.Jar.SetCookies(base, before)
		if res := copied.get("/settings"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("a copy of the cookie from before the change: %d, want to sign in again", res.StatusCode)
		}
		if res := s.client().post("/login", url.Values{"username": {"bob"}, "password": {"a new password"}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("the new password: %d", res.StatusCode)
		}
	}, func(c *core.Config) { c.RateLimits = false })
}

// TestRefusedFormCanBeSentAgain sends a change-password form, and a
// new-recovery-codes form, with a wrong password: refused, each changes
// nothing, and the same form, corrected, goes through, once.
func TestRefusedFormCanBeSentAgain(t *testing.T) {
	onBoth(t, func(t *testing.T, s *testServer) {
		s.admin()
		bob := s.user("bob")
		form := url.Values{"current_password": {"not it at all"}, "password": {"a new password"},
			"form_key": {formKeyOf(t, bob.get("/settings").body, "/settings/password")}}
		if res := bob.post("/settings/password", form); res.StatusCode != http.StatusForbidden {
			t.Fatalf("a wrong current password: %d", res.StatusCode)
		}
		form.Set("current_password", testPassword)
		if res := bob.post("/settings/password", form); res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "password-changed") {
			t.Fatalf("the refused form corrected: %d", res.StatusCode)
		}
		if res := bob.post("/settings/password", form); res.StatusCode != http.StatusConflict {
			t.Fatalf("the form that changed it, sent again: %d", res.StatusCode)
		}

		s.enrolTOTP("bob")
		// The sign-in no longer proves who asks.
		s.clock.Advance(core.ProofWindow)
		renew := url.Values{"proof": {"not it at all"}, "form_key": {"renew"}}
		if res := bob.post("/settings/recovery-codes", renew); res.StatusCode != http.StatusForbidden {
			t.Fatalf("new recovery codes with a wrong password: %d", res.StatusCode)
		}
		renew.Set("proof", "a new password")
		if res := bob.post("/settings/recovery-codes", renew); res.StatusCode != http.StatusOK || !hasTestID(t, res.body, "code") {
			t.Fatalf("the refused form corrected: %d", res.StatusCode)
		}
		if res := bob.post("/settings/recovery-codes", renew); res.StatusCode != http.StatusConflict {
			t.Fatalf("the form that made them, sent again: %d", res.StatusCode)
		}
	}, func(c *core.Config) { c.RateLimits = false })
}

// slowRelease is slowViewers whose refused forms give their keys back a
// while late: the other sendings of a form arrive while its key is still
// claimed.
type slowRelease struct{ slowViewers }

func (s slowRelease) ReleaseFormKey(ctx context.Context, account int64, kind, key string) error {
	time.Sleep(200 * time.Millisecond)
	return s.slowViewers.ReleaseFormKey(ctx, account, kind, key)
}

// TestRefusedFormSentAtOnce sends one new-key form that names no key four
// times at once: each is refused as the first is, and none says that the
// form was sent already and its key shown, as no key was made.
func TestRefusedFormSentAtOnce(t *testing.T) {
	onBoth(t, func(t *testing.T, s *testServer) {
		ada := s.admin()
		form := url.Values{"form_key": {formKeyOf(t, ada.get("/settings").body, "/settings/keys")}, "name": {" "}, "expires": {"30d"}}
		s.useStore(func(st core.Store) core.Store { return slowRelease{slowViewers{st}} })
		defer s.useStore(func(core.Store) core.Store { return s.store })
		answers := make([]response, 4)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() { answers[i] = ada.post("/settings/keys", form) })
		}
		wg.Wait()
		for _, res := range answers {
			if res.StatusCode != http.StatusBadRequest || strings.Contains(res.body, "This form was sent already") {
				t.Errorf("a refused form sent four times at once: %d, want each refused (400)", res.StatusCode)
			}
		}
		if keys, err := s.h.core.Keys(context.Background(), 1); err != nil || len(keys) != 0 {
			t.Fatalf("the account has %d keys, want none (%v)", len(keys), err)
		}
	})
}
