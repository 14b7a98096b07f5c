package notify_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"oncelink/core"
	"oncelink/notify"
	"oncelink/store"
)

// capture is a webhook endpoint that keeps every message as it came, for
// the test to verify with several secrets.
type capture struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []capturedMessage
}

type capturedMessage struct {
	header http.Header
	body   []byte
}

func newCapture(t *testing.T) *capture {
	c := &capture{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.msgs = append(c.msgs, capturedMessage{r.Header.Clone(), body})
		c.mu.Unlock()
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *capture) last(t *testing.T) capturedMessage {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.msgs) == 0 {
		t.Fatal("no message received")
	}
	return c.msgs[len(c.msgs)-1]
}

// verifies reports whether the Standard Webhooks library accepts m under
// secret.
func (m capturedMessage) verifies(t *testing.T, secret string) bool {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	return wh.VerifyIgnoringTimestamp(m.body, m.header) == nil
}

// TestRotatedSecretsSignTogetherForADay rotates an endpoint's secret and
// checks with the Standard Webhooks library, at a real receiver, that a
// message verifies with the new secret and with the old one for a day,
// then only with the new one; that rotating twice keeps two secrets; and
// that another account cannot rotate the endpoint.
func TestRotatedSecretsSignTogetherForADay(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		e := newEnv(t, dsn, core.Config{WebhookAllowPrivate: true})
		rc := newCapture(t)
		first, err := e.svc.CreateWebhook(ctx, e.owner.ID, core.WebhookInput{URL: rc.srv.URL + "/hook", Events: []string{store.NoticeLinkRevoked}})
		if err != nil {
			t.Fatal(err)
		}
		w := e.worker(t, notify.Options{})
		deliver := func() capturedMessage {
			t.Helper()
			c := e.createLink(t, "rotation", 1, false)
			if _, err := e.svc.Revoke(ctx, e.owner.ID, c.Link.ID, core.Client{IP: "192.0.2.9"}); err != nil {
				t.Fatal(err)
			}
			if n := runOnce(t, w); n != 1 {
				t.Fatalf("attempted %d deliveries, want 1", n)
			}
			return rc.last(t)
		}

		m := deliver()
		if !m.verifies(t, first.Secret) || strings.Contains(m.header.Get("webhook-signature"), " ") {
			t.Fatalf("before rotation: signature %q", m.header.Get("webhook-signature"))
		}

		// Another account cannot rotate it.
		bob, err := e.st.CreateAccount(ctx, "bob", "y", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.RotateWebhook(ctx, bob.ID, first.Webhook.ID, ""); err != core.ErrNotFound {
			t.Fatalf("bob rotating ada's endpoint: %v", err)
		}

		second, err := e.svc.RotateWebhook(ctx, e.owner.ID, first.Webhook.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(second.Secret, core.WebhookSecretPrefix) || second.Secret == first.Secret {
			t.Fatalf("rotated secret %q, was %q", second.Secret, first.Secret)
		}
		if got := second.Webhook.PreviousUntil; !got.Equal(e.clock.Now().Add(core.SecretOverlap)) {
			t.Errorf("previous secret signs until %v, want a day from now", got)
		}
		m = deliver()
		sigs := strings.Fields(m.header.Get("webhook-signature"))
		if len(sigs) != 2 || !strings.HasPrefix(sigs[0], "v1,") || !strings.HasPrefix(sigs[1], "v1,") {
			t.Fatalf("during the overlap: signature header %q, want two", m.header.Get("webhook-signature"))
		}
		if !m.verifies(t, second.Secret) || !m.verifies(t, first.Secret) {
			t.Fatalf("during the overlap the message verifies with new %v, old %v; want both", m.verifies(t, second.Secret), m.verifies(t, first.Secret))
		}
		// A made-up secret is still refused: the check can fail.
		other, _ := e.svc.CreateWebhook(ctx, bob.ID, core.WebhookInput{URL: rc.srv.URL + "/bob", Events: []string{store.NoticeLinkRevoked}})
		if m.verifies(t, other.Secret) {
			t.Fatal("a message verifies with an unrelated secret")
		}

		// Still within the day, a second rotation keeps the last two.
		e.clock.Add(time.Hour)
		third, err := e.svc.RotateWebhook(ctx, e.owner.ID, first.Webhook.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		m = deliver()
		if n := len(strings.Fields(m.header.Get("webhook-signature"))); n != 2 {
			t.Fatalf("after two rotations: %d signatures, want 2", n)
		}
		if !m.verifies(t, third.Secret) || !m.verifies(t, second.Secret) || m.verifies(t, first.Secret) {
			t.Fatalf("after two rotations: third %v second %v first %v; want true true false",
				m.verifies(t, third.Secret), m.verifies(t, second.Secret), m.verifies(t, first.Secret))
		}

		// A day after the last rotation only the new secret signs.
		e.clock.Add(core.SecretOverlap)
		m = deliver()
		if n := len(strings.Fields(m.header.Get("webhook-signature"))); n != 1 {
			t.Fatalf("after the overlap: %d signatures, want 1", n)
		}
		if !m.verifies(t, third.Secret) || m.verifies(t, second.Secret) {
			t.Fatalf("after the overlap: new %v old %v; want true false", m.verifies(t, third.Secret), m.verifies(t, second.Secret))
		}
		// And the sweep forgets the previous secret.
		if _, err := e.st.Sweep(ctx, time.Minute, time.Hour); err != nil {
			t.Fatal(err)
		}
		hook, err := e.st.OwnedWebhook(ctx, e.owner.ID, first.Webhook.ID)
		if err != nil || hook.PreviousSecret != nil || !hook.PreviousUntil.IsZero() {
			t.Fatalf("after the sweep: previous secret %x until %v, %v", hook.PreviousSecret, hook.PreviousUntil, err)
		}
	})
}

// TestARetryKeepsItsWebhookIDAcrossARotation: a message first tried
// before a rotation is retried after it with the same webhook-id, so that
// a receiver that drops ids it has seen still does.
func TestARetryKeepsItsWebhookIDAcrossARotation(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		e := newEnv(t, dsn, core.Config{WebhookAllowPrivate: true})
		var mu sync.Mutex
		var ids []string
		down := true
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			ids = append(ids, r.Header.Get("webhook-id"))
			if down {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}))
		t.Cleanup(srv.Close)
		h, err := e.svc.CreateWebhook(ctx, e.owner.ID, core.WebhookInput{URL: srv.URL, Events: []string{store.NoticeLinkRevoked}})
		if err != nil {
			t.Fatal(err)
		}
		c := e.createLink(t, "retry", 1, false)
		if _, err := e.svc.Revoke(ctx, e.owner.ID, c.Link.ID, core.Client{IP: "192.0.2.9"}); err != nil {
			t.Fatal(err)
		}
		w := e.worker(t, notify.Options{})
		runOnce(t, w)
		if _, err := e.svc.RotateWebhook(ctx, e.owner.ID, h.Webhook.ID, ""); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		down = false
		mu.Unlock()
		e.clock.Add(time.Minute)
		if n := runOnce(t, w); n != 1 {
			t.Fatalf("retried %d, want 1", n)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(ids) != 2 || ids[0] == "" || ids[0] != ids[1] {
			t.Fatalf("webhook-ids %q, want the same twice", ids)
		}
	})
}
