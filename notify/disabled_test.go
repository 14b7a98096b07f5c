package notify_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"oncelink/core"
	"oncelink/notify"
	"oncelink/store"
)

// disabledEnv is an owner with a confirmed notice address, mailed through
// an SMTP server of its own, and an endpoint subscribed to every event;
// another administrator, so that the owner may be disabled; and the
// options of a worker that mails.
func disabledEnv(t *testing.T, dsn string) (*env, *smtpServer, *receiver, core.NewWebhook, notify.Options) {
	t.Helper()
	smtpd := newSMTPServer(t)
	mailer, err := notify.NewMailer("smtp://"+smtpd.addr, "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, dsn, core.Config{Mailer: mailer, WebhookAllowPrivate: true})
	ctx := context.Background()
	if err := e.st.SetPendingAddress(ctx, e.owner.ID, "ada@example.org", []byte("h"), e.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.ConfirmAddress(ctx, e.owner.ID, []byte("h"), e.clock.Now(), []byte("nonce")); err != nil {
		t.Fatal(err)
	}
	r := newReceiver(t)
	r.ignoreTime = true
	hook := e.subscribe(t, r, store.NoticeTypes...)
	if _, err := e.svc.AddAccount(ctx, "grace", "correct horse battery", true); err != nil {
		t.Fatal(err)
	}
	return e, smtpd, r, hook, notify.Options{Mailer: mailer, BaseURL: "https://share.example"}
}

func (e *env) setDisabled(t *testing.T, disabled bool) {
	t.Helper()
	if _, _, err := e.svc.SetDisabled(context.Background(), nil, e.owner.ID, disabled); err != nil {
		t.Fatal(err)
	}
}

// endedUnsent checks that every delivery of the owner, to the endpoint and
// by email, ended as failed because the account was disabled, and that
// there are want of them.
func (e *env) endedUnsent(t *testing.T, hook int64, want int) {
	t.Helper()
	ctx := context.Background()
	hooks, err := e.st.WebhookDeliveries(ctx, e.owner.ID, hook, 50)
	if err != nil {
		t.Fatal(err)
	}
	mails, err := e.st.EmailDeliveries(ctx, e.owner.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	ds := append(hooks, mails...)
	if len(ds) != want {
		t.Errorf("%d deliveries, want %d: %+v", len(ds), want, ds)
	}
	for _, d := range ds {
		if d.Status != store.DeliveryFailed || d.LastError != store.AccountDisabled {
			t.Errorf("delivery %+v, want failed with %q", d, store.AccountDisabled)
		}
	}
	if n, err := e.st.OutboxDepth(ctx); err != nil || n != 0 {
		t.Errorf("outbox %d, %v", n, err)
	}
}

// runUnsent runs a worker once, checks that nothing went out, neither to
// the endpoint r nor by email through smtpd, and that the owner's
// deliveries ended unsent (endedUnsent); it returns how many notices the
// worker attempted.
func (e *env) runUnsent(t *testing.T, smtpd *smtpServer, r *receiver, o notify.Options, hook int64, want int) int {
	t.Helper()
	n := runOnce(t, e.worker(t, o))
	if got := r.received(); len(got) != 0 || r.requests != 0 {
		t.Errorf("the endpoint received %+v", got)
	}
	if ms := smtpd.mails(); len(ms) != 0 {
		t.Errorf("%d mails went out", len(ms))
	}
	e.endedUnsent(t, hook, want)
	return n
}

// TestADisabledAccountIsSentNothingFurther: the notices waiting for an
// account when it is disabled end unsent, by email and to its endpoints,
// and say why in their lists; enabling the account again sends none of
// them, not even when it is enabled before a worker came by.
func TestADisabledAccountIsSentNothingFurther(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		e, smtpd, r, hook, o := disabledEnv(t, dsn)
		link := e.createLink(t, "payroll", 3, true)
		e.open(t, link.URL)
		if n, _ := e.st.OutboxDepth(context.Background()); n != 2 {
			t.Fatalf("outbox %d, want the webhook and the mail", n)
		}
		// Disabled and enabled again before a worker came by.
		e.setDisabled(t, true)
		e.setDisabled(t, false)
		runOnce(t, e.worker(t, o))
		// Disabled while a worker comes by, and enabled again later.
		e.open(t, link.URL)
		e.setDisabled(t, true)
		runOnce(t, e.worker(t, o))
		e.setDisabled(t, false)
		e.clock.Add(2 * time.Hour)
		e.runUnsent(t, smtpd, r, o, hook.Webhook.ID, 4)
	})
}

// TestNoticesOfADisabledAccountEndAtDelivery: a disabled account's events
// write no notice, nor does a test of its endpoint asked for as it was
// disabled: a worker finds nothing to send.
func TestNoticesOfADisabledAccountEndAtDelivery(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		e, smtpd, r, hook, o := disabledEnv(t, dsn)
		ctx := context.Background()
		link := e.createLink(t, "payroll", 3, true)
		e.setDisabled(t, true)
		// A view that its page let through just before the account was
		// disabled writes nothing.
		if err := e.st.RecordView(ctx, link.Link.ID, store.Event{At: e.clock.Now(), IP: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
		if n, _ := e.st.OutboxDepth(ctx); n != 0 {
			t.Errorf("outbox %d after a disabled account's link was viewed", n)
		}
		// A test of its endpoint, asked for as it was disabled, is
		// refused, and nothing waits to be sent.
		if err := e.st.TestWebhook(ctx, e.owner.ID, hook.Webhook.ID); !errors.Is(err, store.ErrGone) {
			t.Fatalf("a disabled account's test: %v", err)
		}
		if n := e.runUnsent(t, smtpd, r, o, hook.Webhook.ID, 0); n != 0 {
			t.Errorf("attempted %d, want none", n)
		}
	})
}

// TestANoticeSentAsItsAccountIsDisabledIsNotRetried: a notice on its way
// when its account is disabled, whose endpoint fails to take it, is not
// tried again, even once the account is enabled again.
func TestANoticeSentAsItsAccountIsDisabledIsNotRetried(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		e, _, r, hook, o := disabledEnv(t, dsn)
		r.hold = make(chan struct{})
		release := sync.OnceFunc(func() { close(r.hold) })
		defer release()
		r.status = func() int { return http.StatusServiceUnavailable }
		e.open(t, e.createLink(t, "payroll", 3, false).URL)
		finished := make(chan error, 1)
		go func() {
			_, err := e.worker(t, o).RunOnce(context.Background())
			finished <- err
		}()
		for deadline := time.Now().Add(5 * time.Second); r.held.Load() == 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the endpoint was sent nothing")
			}
		}
		e.setDisabled(t, true)
		release()
		if err := <-finished; err != nil {
			t.Fatal(err)
		}
		e.setDisabled(t, false)
		r.status = nil
		e.clock.Add(2 * time.Hour)
		runOnce(t, e.worker(t, o))
		if r.requests != 1 || len(r.received()) != 0 {
			t.Errorf("%d requests, received %+v; want the one that failed", r.requests, r.received())
		}
		e.endedUnsent(t, hook.Webhook.ID, 1)
		ds, _ := e.st.WebhookDeliveries(context.Background(), e.owner.ID, hook.Webhook.ID, 1)
		if as, err := e.st.DeliveryAttempts(context.Background(), ds[0].ID); err != nil || len(as) != 1 || as[0].Code != 503 {
			t.Errorf("attempts %+v, %v: want the one that was answered 503", as, err)
		}
	})
}

// TestSecondStepFailuresOfADisabledAccountQueueNoMail: wrong second-step
// codes told as the account is disabled, as by a try that was under way,
// put no mail in the outbox for it.
func TestSecondStepFailuresOfADisabledAccountQueueNoMail(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		e, _, _, _, _ := disabledEnv(t, dsn)
		ctx := context.Background()
		for range 3 {
			if _, err := e.st.TakeSecondStepTry(ctx, e.owner.ID, func(int) time.Duration { return 0 }, store.SecondStepCode{}); err != nil {
				t.Fatal(err)
			}
		}
		e.setDisabled(t, true)
		if n, err := e.st.NoticeSecondStepFailures(ctx, e.owner.ID, 3, store.Event{At: e.clock.Now(), IP: "192.0.2.1"}, true); err != nil || n != 3 {
			t.Fatalf("told %d failures, %v; want 3", n, err)
		}
		if n, err := e.st.OutboxDepth(ctx); err != nil || n != 0 {
			t.Errorf("outbox %d, %v after a disabled account's wrong codes, want nothing queued", n, err)
		}
	})
}
