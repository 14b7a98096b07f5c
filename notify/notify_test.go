package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"oncelink/core"
	"oncelink/internal/pgtest"
	"oncelink/notify"
	"oncelink/store"
	"oncelink/token"
)

const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"

// clock is a settable time shared by the service, the store and the worker.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type env struct {
	svc   *core.Service
	st    *store.Store
	owner core.Account
	clock *clock
}

// unsubscribeLink is the unsubscribe link of the owner's mails to the
// notice address they confirmed.
func (e *env) unsubscribeLink(t *testing.T) string {
	t.Helper()
	a, err := e.st.NoticeAddress(context.Background(), e.owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	return "https://share.example/unsubscribe/" + e.svc.UnsubscribeToken(e.owner.ID, a)
}

// backends runs test on a fresh SQLite file and, when ONCELINK_TEST_POSTGRES
// is set, on a fresh PostgreSQL schema.
func backends(t *testing.T, test func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, filepath.Join(t.TempDir(), "oncelink.db")) })
	t.Run("postgres", func(t *testing.T) { test(t, pgtest.DSN(t)) })
}

// newEnv is a core over the database dsn names, with one account, ada;
// its log, when given, is log[0].
func newEnv(t *testing.T, dsn string, cfg core.Config, log ...*slog.Logger) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	owner, err := st.CreateFirstAccount(ctx, "ada", "x")
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{now: time.Now().Truncate(time.Millisecond)}
	st.Now = c.Now
	cfg.BaseURL, cfg.MinTTL, cfg.MaxTTL, cfg.GrantTTL = "https://share.example", time.Minute, 30*24*time.Hour, time.Minute
	log = append(log, slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc := core.New(cfg, st, bytes.Repeat([]byte{7}, token.KeyLen), log[0])
	svc.Now = c.Now
	return &env{svc: svc, st: st, owner: owner, clock: c}
}

func (e *env) worker(t *testing.T, o notify.Options) *notify.Worker {
	o.Store = e.st
	o.Now = e.clock.Now
	o.Jitter = func() float64 { return 0.5 }
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.HTTP == nil {
		o.HTTP = notify.NewHTTPClient(true)
	}
	return notify.NewWorker(o)
}

func (e *env) createLink(t *testing.T, label string, uses int, notify bool) core.Created {
	t.Helper()
	d := e.svc.NewDraft()
	defer d.Close()
	c, err := e.svc.Create(context.Background(), e.owner.ID, d, core.LinkInput{Kind: core.KindMessage, Message: "the secret",
		TTL: "1h", MaxUses: strconv.Itoa(uses), Label: label, Notify: notify})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// answer makes a text request labelled label and sends it message from
// client c, as a sender would; it returns the request's token and id.
func (e *env) answer(t *testing.T, label, message string, c core.Client) (string, int64) {
	t.Helper()
	ctx := context.Background()
	req, err := e.svc.CreateRequest(ctx, e.owner.ID, core.RequestInput{Label: label, Accepts: core.AcceptsText, TTL: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	d := e.svc.NewDraft()
	defer d.Close()
	turn, err := e.svc.TakeTurn(ctx, core.OpenAction, c)
	if err != nil {
		t.Fatal(err)
	}
	_, tok, _ := strings.Cut(req.URL, "/r/")
	if _, err := e.svc.Fulfil(ctx, turn, tok, d, message, nil); err != nil {
		t.Fatal(err)
	}
	return tok, req.Request.ID
}

func (e *env) open(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	client := core.Client{IP: "198.51.100.7", UserAgent: firefox}
	turn, err := e.svc.TakeTurn(ctx, core.OpenAction, client)
	if err != nil {
		t.Fatal(err)
	}
	_, tok, _ := strings.Cut(url, "/l/")
	if _, err := e.svc.Open(ctx, turn, tok, "", core.Recipient{Client: client}); err != nil {
		t.Fatal(err)
	}
}

func runOnce(t *testing.T, w *notify.Worker) int {
	t.Helper()
	n, err := w.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// receiver is a webhook endpoint that verifies each message with the
// Standard Webhooks reference library and keeps those it accepts.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	// ignoreTime verifies without the library's five-minute tolerance,
	// for tests that move the clock.
	ignoreTime bool
	// status answers each request; 200 when nil. retryAfter is the
	// Retry-After header of an answer that is not 200, none when empty.
	status     func() int
	retryAfter string
	// hold, when set, keeps each request waiting until it is closed; held
	// counts the requests that came meanwhile.
	hold     chan struct{}
	held     atomic.Int32
	got      []received
	requests int
}

type received struct {
	ID   string
	Body notify.Body
	Raw  string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	if r.hold != nil {
		r.held.Add(1)
		<-r.hold
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if r.status != nil {
		if code := r.status(); code != http.StatusOK {
			if r.retryAfter != "" {
				w.Header().Set("Retry-After", r.retryAfter)
			}
			w.WriteHeader(code)
			return
		}
	}
	body, _ := io.ReadAll(req.Body)
	wh, err := standardwebhooks.NewWebhook(r.secret)
	if err != nil {
		r.t.Errorf("secret %q: %v", r.secret, err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if r.ignoreTime {
		err = wh.VerifyIgnoringTimestamp(body, req.Header)
	} else {
		err = wh.Verify(body, req.Header)
	}
	if err != nil {
		r.t.Errorf("signature refused: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var b notify.Body
	if err := json.Unmarshal(body, &b); err != nil {
		r.t.Errorf("body %s: %v", body, err)
	}
	r.got = append(r.got, received{ID: req.Header.Get("webhook-id"), Body: b, Raw: string(body)})
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func (e *env) subscribe(t *testing.T, r *receiver, events ...string) core.NewWebhook {
	t.Helper()
	w, err := e.svc.CreateWebhook(context.Background(), e.owner.ID, core.WebhookInput{URL: r.srv.URL + "/hook", Events: events})
	if err != nil {
		t.Fatal(err)
	}
	r.secret = w.Secret
	return w
}

func TestWebhooksAreSignedPerStandardWebhooks(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, core.Config{WebhookAllowPrivate: true})
		r := newReceiver(t)
		w := e.subscribe(t, r, store.NoticeLinkOpened, store.NoticeLinkUsedUp, store.NoticeLinkRevoked)
		if !strings.HasPrefix(w.Secret, "whsec_") {
			t.Fatalf("secret %q", w.Secret)
		}
		c := e.createLink(t, "wifi password", 1, false)
		e.open(t, c.URL)
		other := e.createLink(t, "unopened", 1, false)
		if _, err := e.svc.Revoke(context.Background(), e.owner.ID, other.Link.ID, core.Client{IP: "192.0.2.9"}); err != nil {
			t.Fatal(err)
		}
		if n := runOnce(t, e.worker(t, notify.Options{})); n != 3 {
			t.Fatalf("attempted %d deliveries, want 3", n)
		}
		got := r.received()
		if len(got) != 3 {
			t.Fatalf("received %d messages, want 3", len(got))
		}
		types := []string{got[0].Body.Type, got[1].Body.Type, got[2].Body.Type}
		if strings.Join(types, " ") != "link.opened link.used_up link.revoked" {
			t.Errorf("types %v", types)
		}
		ids := map[string]bool{}
		for _, m := range got {
			ids[m.ID] = true
			if !strings.HasPrefix(m.ID, "msg_") {
				t.Errorf("webhook-id %q", m.ID)
			}
			_, tok, _ := strings.Cut(c.URL, "/l/")
			if strings.Contains(m.Raw, tok) || strings.Contains(m.Raw, "/l/") || strings.Contains(m.Raw, `"url"`) {
				t.Errorf("a body carries the link's token or URL: %s", m.Raw)
			}
		}
		if len(ids) != 3 {
			t.Errorf("webhook-ids %v are not one per message", ids)
		}
		opened := got[0].Body
		link, _ := opened.Data.Link.(map[string]any)
		if link["label"] != "wifi password" || opened.Data.Event == nil || opened.Data.Event.IP != "198.51.100.7" ||
			opened.Data.Event.UserAgent != firefox || opened.Timestamp.IsZero() {
			t.Errorf("link.opened body: %s", got[0].Raw)
		}
		ds, err := e.st.WebhookDeliveries(context.Background(), e.owner.ID, w.Webhook.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Status != store.DeliveryDelivered || d.Attempts != 1 || d.LastCode != 200 {
				t.Errorf("delivery %+v", d)
			}
			as, err := e.st.DeliveryAttempts(context.Background(), d.ID)
			if err != nil || len(as) != 1 || as[0].Code != 200 {
				t.Errorf("attempts %+v, %v", as, err)
			}
		}
		// Nothing is sent twice.
		e.clock.Add(48 * time.Hour)
		if n := runOnce(t, e.worker(t, notify.Options{})); n != 0 {
			t.Errorf("%d more attempts after all was delivered", n)
		}
	})
}

func TestOnlySubscribedEventsAndOwnersWithTargetsWriteTheOutbox(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{WebhookAllowPrivate: true})
	ctx := context.Background()
	// No target: opening writes nothing to the outbox.
	c := e.createLink(t, "a", 2, false)
	e.open(t, c.URL)
	if n, err := e.st.OutboxDepth(ctx); err != nil || n != 0 {
		t.Fatalf("outbox %d, %v without any target", n, err)
	}
	r := newReceiver(t)
	e.subscribe(t, r, store.NoticeLinkUsedUp)
	e.open(t, c.URL) // the second and last use
	if n, _ := e.st.OutboxDepth(ctx); n != 1 {
		t.Fatalf("outbox %d, want the one used_up", n)
	}
	runOnce(t, e.worker(t, notify.Options{}))
	if got := r.received(); len(got) != 1 || got[0].Body.Type != store.NoticeLinkUsedUp {
		t.Fatalf("received %+v", got)
	}
}

func TestAReceiverDownGetsItsMessagesLaterOnce(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{WebhookAllowPrivate: true})
	r := newReceiver(t)
	r.ignoreTime = true
	down := true
	r.status = func() int {
		if down {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	w := e.subscribe(t, r, store.NoticeLinkOpened)
	c := e.createLink(t, "db", 1, false)
	e.open(t, c.URL)
	worker := e.worker(t, notify.Options{})
	start := e.clock.Now()
	if n := runOnce(t, worker); n != 1 {
		t.Fatalf("attempted %d", n)
	}
	ds, _ := e.st.WebhookDeliveries(context.Background(), e.owner.ID, w.Webhook.ID, 10)
	if len(ds) != 1 || ds[0].Status != store.DeliveryPending || ds[0].LastCode != 503 {
		t.Fatalf("after a 503: %+v", ds)
	}
	if wait := ds[0].NextAt.Sub(start); wait <= 0 || wait > time.Minute {
		t.Errorf("first retry in %v, want within a minute", wait)
	}
	if n := runOnce(t, worker); n != 0 {
		t.Errorf("retried %d at once", n)
	}
	// Down for a few hours: each retry waits longer.
	var waits []time.Duration
	for range 5 {
		ds, _ = e.st.WebhookDeliveries(context.Background(), e.owner.ID, w.Webhook.ID, 10)
		waits = append(waits, ds[0].NextAt.Sub(e.clock.Now()))
		e.clock.Add(ds[0].NextAt.Sub(e.clock.Now()))
		if n := runOnce(t, worker); n != 1 {
			t.Fatalf("attempted %d when due", n)
		}
	}
	for i := 1; i < len(waits); i++ {
		if waits[i] <= waits[i-1] {
			t.Errorf("waits %v do not grow", waits)
		}
	}
	down = false
	ds, _ = e.st.WebhookDeliveries(context.Background(), e.owner.ID, w.Webhook.ID, 10)
	e.clock.Add(ds[0].NextAt.Sub(e.clock.Now()))
	runOnce(t, worker)
	e.clock.Add(30 * time.Hour)
	runOnce(t, worker)
	got := r.received()
	if len(got) != 1 {
		t.Fatalf("received %d messages, want 1", len(got))
	}
	ds, _ = e.st.WebhookDeliveries(context.Background(), e.owner.ID, w.Webhook.ID, 10)
	if ds[0].Status != store.DeliveryDelivered || ds[0].Attempts != 7 || r.requests != 7 {
		t.Errorf("delivery %+v after %d requests", ds[0], r.requests)
	}
	as, _ := e.st.DeliveryAttempts(context.Background(), ds[0].ID)
	if len(as) != 7 || as[0].Code != 503 || as[6].Code != 200 || as[0].Error == "" {
		t.Errorf("attempts %+v", as)
	}
}

// An endpoint that answers 429 or 503 with Retry-After is not tried
// again before it asks, in seconds or as a date; a wait past the
// delivery's day brings the last try at the day's end, not later.
func TestRetryAfterIsHonoured(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{WebhookAllowPrivate: true})
	ctx := context.Background()
	r := newReceiver(t)
	r.ignoreTime = true
	code := http.StatusServiceUnavailable
	r.status = func() int { return code }
	w := e.subscribe(t, r, store.NoticeLinkOpened)
	e.open(t, e.createLink(t, "x", 1, false).URL)
	event := e.clock.Now()
	worker := e.worker(t, notify.Options{})
	delivery := func() store.Delivery {
		t.Helper()
		ds, err := e.st.WebhookDeliveries(ctx, e.owner.ID, w.Webhook.ID, 10)
		if err != nil || len(ds) != 1 {
			t.Fatalf("deliveries %+v, %v", ds, err)
		}
		return ds[0]
	}
	// waitsFor checks that the delivery is tried again at next, and not
	// a second sooner, and brings the clock to then.
	waitsFor := func(next time.Time) {
		t.Helper()
		d := delivery()
		if d.Status != store.DeliveryPending || d.NextAt.Before(next) || d.NextAt.Sub(next) >= time.Second {
			t.Fatalf("delivery %+v, want pending until %v", d, next)
		}
		e.clock.Add(d.NextAt.Sub(e.clock.Now()) - time.Second)
		if n := runOnce(t, worker); n != 0 {
			t.Fatalf("tried again a second before the endpoint asked")
		}
		e.clock.Add(time.Second)
	}

	r.retryAfter = "3600" // the first retry would otherwise come in 30 s
	runOnce(t, worker)
	waitsFor(event.Add(time.Hour))
	as, _ := e.st.DeliveryAttempts(ctx, delivery().ID)
	if !strings.Contains(as[0].Error, "503") || !strings.Contains(as[0].Error, "1h0m0s") {
		t.Errorf("the attempt's error %q", as[0].Error)
	}

	code = http.StatusTooManyRequests
	asked := e.clock.Now().Add(2 * time.Hour).Truncate(time.Second)
	r.retryAfter = asked.UTC().Format(http.TimeFormat)
	runOnce(t, worker)
	waitsFor(asked)

	r.retryAfter = "99999999999999999999" // far past the delivery's day
	runOnce(t, worker)
	waitsFor(event.Add(notify.GiveUpAfter))

	code = http.StatusOK
	if n := runOnce(t, worker); n != 1 {
		t.Fatalf("attempted %d at the day's end", n)
	}
	if d := delivery(); d.Status != store.DeliveryDelivered || d.Attempts != 4 {
		t.Errorf("delivery %+v", d)
	}
}

func TestDeliveriesAreGivenUpAfterADay(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{WebhookAllowPrivate: true})
	r := newReceiver(t)
	r.status = func() int { return http.StatusInternalServerError }
	w := e.subscribe(t, r, store.NoticeLinkOpened)
	c := e.createLink(t, "x", 1, false)
	e.open(t, c.URL)
	start := e.clock.Now()
	worker := e.worker(t, notify.Options{})
	for range 30 {
		runOnce(t, worker)
		e.clock.Add(time.Hour)
	}
	ds, _ := e.st.WebhookDeliveries(context.Background(), e.owner.ID, w.Webhook.ID, 10)
	if ds[0].Status != store.DeliveryFailed {
		t.Fatalf("delivery %+v", ds[0])
	}
	as, _ := e.st.DeliveryAttempts(context.Background(), ds[0].ID)
	last := as[len(as)-1].At
	if last.Sub(start) < 16*time.Hour || last.Sub(start) > 24*time.Hour {
		t.Errorf("last attempt %v after the event, want within the day and not long before its end", last.Sub(start))
	}
}

// TestANoticeQueuedLateIsRetriedForADay: a link's expiry noticed long
// after it came, as when the server was down, still gets its day of
// retries from when it was put in the outbox, the first within a minute.
func TestANoticeQueuedLateIsRetriedForADay(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{WebhookAllowPrivate: true})
	r := newReceiver(t)
	r.status = func() int { return http.StatusServiceUnavailable }
	w := e.subscribe(t, r, store.NoticeLinkExpiredUnopened)
	e.createLink(t, "forgotten", 1, false)
	e.clock.Add(30 * time.Hour) // the link expired an hour in, 29 hours ago
	if _, err := e.st.Sweep(context.Background(), time.Minute, 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	queued := e.clock.Now()
	if n := runOnce(t, e.worker(t, notify.Options{})); n != 1 {
		t.Fatalf("attempted %d", n)
	}
	ds, _ := e.st.WebhookDeliveries(context.Background(), e.owner.ID, w.Webhook.ID, 10)
	if len(ds) != 1 || ds[0].Status != store.DeliveryPending || ds[0].NextAt.Sub(queued) > time.Minute {
		t.Errorf("after a 503: %+v, want a retry within a minute", ds)
	}
}

func TestAnEndpointAnswering410IsDisabled(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{WebhookAllowPrivate: true})
	r := newReceiver(t)
	r.status = func() int { return http.StatusGone }
	w := e.subscribe(t, r, store.NoticeLinkOpened)
	c := e.createLink(t, "x", 3, false)
	e.open(t, c.URL)
	e.open(t, c.URL)
	runOnce(t, e.worker(t, notify.Options{}))
	if r.requests != 1 {
		t.Errorf("%d requests after a 410, want 1", r.requests)
	}
	hooks, _ := e.svc.Webhooks(context.Background(), e.owner.ID)
	if hooks[0].DisabledAt.IsZero() {
		t.Fatalf("endpoint %d still enabled", w.Webhook.ID)
	}
	e.open(t, c.URL)
	if n, _ := e.st.OutboxDepth(context.Background()); n != 0 {
		t.Errorf("outbox %d for a disabled endpoint", n)
	}
	// A test switches it on again: its owner says the receiver is back.
	// Still answering 410, it is switched off again by the test.
	if err := e.svc.TestWebhook(context.Background(), e.owner.ID, w.Webhook.ID); err != nil {
		t.Fatalf("a test of a disabled endpoint: %v", err)
	}
	hooks, _ = e.svc.Webhooks(context.Background(), e.owner.ID)
	if !hooks[0].DisabledAt.IsZero() {
		t.Fatal("a test left the endpoint switched off")
	}
	runOnce(t, e.worker(t, notify.Options{}))
	if r.requests != 2 {
		t.Errorf("%d requests after the test, want 2", r.requests)
	}
	hooks, _ = e.svc.Webhooks(context.Background(), e.owner.ID)
	if hooks[0].DisabledAt.IsZero() {
		t.Error("an endpoint that answered the test with 410 stays on")
	}
	// Back, it gets what happens from then on.
	r.status = func() int { return http.StatusOK }
	if err := e.svc.TestWebhook(context.Background(), e.owner.ID, w.Webhook.ID); err != nil {
		t.Fatal(err)
	}
	e.open(t, e.createLink(t, "after", 1, false).URL)
	runOnce(t, e.worker(t, notify.Options{}))
	if r.requests != 4 {
		t.Errorf("%d requests once the endpoint is back, want 4", r.requests)
	}
}

func TestPrivateEndpointsAreRefused(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{})
	ctx := context.Background()
	for _, u := range []string{"http://127.0.0.1/hook", "http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data",
		"http://[::1]:8080/", "http://[::ffff:10.0.0.1]/", "http://[fc00::1]/", "http://[fe80::1]/", "http://0.0.0.0/",
		"http://192.168.1.1/", "http://172.16.0.1/", "http://224.0.0.1/", "http://localhost:9000/hook"} {
		_, err := e.svc.CreateWebhook(ctx, e.owner.ID, core.WebhookInput{URL: u, Events: []string{store.NoticeLinkOpened}})
		if ce, ok := core.AsError(err); !ok || ce.Code != "webhook_private_address" {
			t.Errorf("%s: %v, want webhook_private_address", u, err)
		}
	}
	// A name that resolves to a private address is refused too.
	e2 := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{Resolver: fixedResolver{"hooks.example": "10.1.2.3"}})
	_, err := e2.svc.CreateWebhook(ctx, e2.owner.ID, core.WebhookInput{URL: "https://hooks.example/in", Events: []string{store.NoticeLinkOpened}})
	if ce, ok := core.AsError(err); !ok || ce.Code != "webhook_private_address" {
		t.Errorf("a name resolving to 10.1.2.3: %v", err)
	}
	e3 := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{Resolver: fixedResolver{"hooks.example": "93.184.215.14"}})
	if _, err := e3.svc.CreateWebhook(ctx, e3.owner.ID, core.WebhookInput{URL: "https://hooks.example/in", Events: []string{store.NoticeLinkOpened}}); err != nil {
		t.Errorf("a name resolving to a public address: %v", err)
	}
}

func TestTheDialedAddressIsChecked(t *testing.T) {
	// The endpoint was let in (as if its name resolved to a public address
	// then); when delivering, it is at 127.0.0.1, and the worker refuses
	// to connect.
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{WebhookAllowPrivate: true})
	r := newReceiver(t)
	w := e.subscribe(t, r, store.NoticeLinkOpened)
	c := e.createLink(t, "x", 1, false)
	e.open(t, c.URL)
	runOnce(t, e.worker(t, notify.Options{HTTP: notify.NewHTTPClient(false)}))
	if r.requests != 0 {
		t.Fatalf("the receiver on 127.0.0.1 got %d requests", r.requests)
	}
	ds, _ := e.st.WebhookDeliveries(context.Background(), e.owner.ID, w.Webhook.ID, 10)
	if ds[0].Status != store.DeliveryPending || ds[0].LastError != core.FailedPrivate {
		t.Errorf("delivery %+v", ds[0])
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{WebhookAllowPrivate: true})
	target := newReceiver(t)
	redirect := httptest.NewServer(http.RedirectHandler(target.srv.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	w, err := e.svc.CreateWebhook(context.Background(), e.owner.ID, core.WebhookInput{URL: redirect.URL, Events: []string{store.NoticeLinkOpened}})
	if err != nil {
		t.Fatal(err)
	}
	c := e.createLink(t, "x", 1, false)
	e.open(t, c.URL)
	runOnce(t, e.worker(t, notify.Options{}))
	if target.requests != 0 {
		t.Errorf("the redirect was followed")
	}
	ds, _ := e.st.WebhookDeliveries(context.Background(), e.owner.ID, w.Webhook.ID, 10)
	if ds[0].Status != store.DeliveryPending || ds[0].LastCode != http.StatusTemporaryRedirect {
		t.Errorf("delivery %+v", ds[0])
	}
	// The owner is told where it leads, which is most often the address
	// to give instead.
	if !strings.Contains(ds[0].LastError, `a redirect to "`+target.srv.URL+`", which is not followed`) {
		t.Errorf("last error %q does not say where the redirect leads", ds[0].LastError)
	}
}

func TestAnEndpointsHeadersAreBounded(t *testing.T) {
	// An endpoint's answer is read no further than its bound, its headers
	// as its body: a megabyte of them is not taken in, eight senders at a
	// time, for a 200 that a real endpoint sends in a few hundred bytes.
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{WebhookAllowPrivate: true})
	padded := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		pad := strings.Repeat("x", 16<<10)
		for i := range 64 {
			w.Header().Set(fmt.Sprintf("X-Pad-%d", i), pad)
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(padded.Close)
	w, err := e.svc.CreateWebhook(context.Background(), e.owner.ID, core.WebhookInput{URL: padded.URL, Events: []string{store.NoticeLinkOpened}})
	if err != nil {
		t.Fatal(err)
	}
	c := e.createLink(t, "x", 1, false)
	e.open(t, c.URL)
	runOnce(t, e.worker(t, notify.Options{}))
	ds, _ := e.st.WebhookDeliveries(context.Background(), e.owner.ID, w.Webhook.ID, 10)
	if ds[0].Status != store.DeliveryPending || ds[0].LastError != core.FailedHeaders {
		t.Errorf("delivery %+v, want it pending, its answer's headers too large", ds[0])
	}
}

func TestWebhookLimits(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{WebhookAllowPrivate: true})
	ctx := context.Background()
	for _, tc := range []struct {
		url    string
		events []string
		code   string
	}{
		{"ftp://example.com/", []string{store.NoticeLinkOpened}, "webhook_url_invalid"},
		{"https://user:pw@example.com/", []string{store.NoticeLinkOpened}, "webhook_url_invalid"},
		{"http://127.0.0.1:99999/hook", []string{store.NoticeLinkOpened}, "webhook_url_invalid"},
		{"https://93.184.216.34:0/hook", []string{store.NoticeLinkOpened}, "webhook_url_invalid"},
		{"https://example.com/" + strings.Repeat("a", core.MaxWebhookURLLen), []string{store.NoticeLinkOpened}, "webhook_url_too_long"},
		{"https://example.com/", nil, "events_missing"},
		{"https://example.com/", []string{"link.eaten"}, "unknown_event"},
		// What was sent is not trimmed nor merged without a word.
		{"https://example.com/", []string{" link.opened ", "link.opened"}, "unknown_event"},
		{"https://example.com/", []string{"link.opened", "link.viewed", "link.opened"}, "duplicate_event"},
	} {
		_, err := e.svc.CreateWebhook(ctx, e.owner.ID, core.WebhookInput{URL: tc.url, Events: tc.events})
		if ce, ok := core.AsError(err); !ok || ce.Code != tc.code {
			t.Errorf("%.40s %v: %v, want %s", tc.url, tc.events, err, tc.code)
		}
	}
	// The limit counts the address as it is kept, its characters beyond
	// ASCII written out as percent-escapes: as long as that and no longer,
	// whatever script its path is in.
	base := "https://example.com/"
	for _, c := range []string{"a", "é", "日"} {
		escaped := len(url.PathEscape(c))
		n := (core.MaxWebhookURLLen - len(base)) / escaped
		long := base + strings.Repeat(c, n)
		w, err := e.svc.CreateWebhook(ctx, e.owner.ID, core.WebhookInput{URL: long, Events: []string{store.NoticeLinkOpened}})
		if err != nil {
			t.Fatalf("an address of %d characters of %q: %v", n, c, err)
		}
		if len(w.Webhook.URL) > core.MaxWebhookURLLen {
			t.Errorf("%q: kept as %d characters", c, len(w.Webhook.URL))
		}
		if err := e.svc.DeleteWebhook(ctx, e.owner.ID, w.Webhook.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.CreateWebhook(ctx, e.owner.ID, core.WebhookInput{URL: long + c, Events: []string{store.NoticeLinkOpened}})
		if ce, ok := core.AsError(err); !ok || ce.Code != "webhook_url_too_long" {
			t.Errorf("%d characters of %q, %d once kept: %v, want webhook_url_too_long", n+1, c, len(base)+(n+1)*escaped, err)
		}
	}
	for i := range core.MaxWebhooks {
		url := "https://example.com/" + string(rune('a'+i))
		if _, err := e.svc.CreateWebhook(ctx, e.owner.ID, core.WebhookInput{URL: url, Events: []string{store.NoticeLinkOpened}}); err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			continue
		}
		// The same address again would get every message twice.
		_, err := e.svc.CreateWebhook(ctx, e.owner.ID, core.WebhookInput{URL: url, Events: []string{store.NoticeLinkExpiredUnopened}})
		if ce, ok := core.AsError(err); !ok || ce.Code != "webhook_exists" || ce.Field != "url" {
			t.Errorf("the same endpoint twice: %v", err)
		}
	}
	_, err := e.svc.CreateWebhook(ctx, e.owner.ID, core.WebhookInput{URL: "https://example.com/z", Events: []string{store.NoticeLinkOpened}})
	if ce, ok := core.AsError(err); !ok || ce.Code != "too_many_webhooks" {
		t.Errorf("endpoint %d: %v", core.MaxWebhooks+1, err)
	}
}

// TestOneEndpointWrittenTwoWays: an endpoint's address is kept and
// compared in the normal form of RFC 3986, on either database, so that
// the same endpoint written otherwise (the host's case, a default port, an
// empty path) is refused as one the account has: it would get every
// message twice. The path is kept as written.
func TestOneEndpointWrittenTwoWays(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, core.Config{WebhookAllowPrivate: true})
		ctx := context.Background()
		for first, again := range map[string][]string{
			"http://EXAMPLE.com/":              {"http://example.com:80/", "HTTP://Example.COM", "http://example.com:/#top"},
			"https://Hooks.Example:443/In?a=B": {"https://hooks.example/In?a=B"},
			"https://[2001:DB8::1]:8443":       {"https://[2001:db8::1]:8443/"},
		} {
			w, err := e.svc.CreateWebhook(ctx, e.owner.ID, core.WebhookInput{URL: first, Events: []string{store.NoticeLinkOpened}})
			if err != nil {
				t.Fatalf("%s: %v", first, err)
			}
			for _, u := range again {
				_, err := e.svc.CreateWebhook(ctx, e.owner.ID, core.WebhookInput{URL: u, Events: []string{store.NoticeLinkOpened}})
				if ce, ok := core.AsError(err); !ok || ce.Code != "webhook_exists" {
					t.Errorf("%s after %s (kept as %s): %v, want webhook_exists", u, first, w.Webhook.URL, err)
				}
			}
		}
		hooks, err := e.svc.Webhooks(ctx, e.owner.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kept []string
		for _, h := range hooks {
			kept = append(kept, h.URL)
		}
		slices.Sort(kept)
		if want := []string{"http://example.com/", "https://[2001:db8::1]:8443/", "https://hooks.example/In?a=B"}; !slices.Equal(kept, want) {
			t.Errorf("kept %q, want %q", kept, want)
		}
		// Another path, or a path in another case, is another endpoint.
		for _, u := range []string{"http://example.com/in", "http://example.com/IN", "http://example.com:8080/"} {
			if _, err := e.svc.CreateWebhook(ctx, e.owner.ID, core.WebhookInput{URL: u, Events: []string{store.NoticeLinkOpened}}); err != nil {
				t.Errorf("%s: %v", u, err)
			}
		}
	})
}

// TestWebhookInputIsCheckedBeforeTheLookup: an endpoint's event names and
// the shape of its address are checked before its host is looked up, so
// that a mistake in them is said as what it is, rather than as a host
// that cannot be found, and costs no lookup.
func TestWebhookInputIsCheckedBeforeTheLookup(t *testing.T) {
	lookups := &countingResolver{}
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{Resolver: lookups})
	ctx := context.Background()
	for _, tc := range []struct {
		events []string
		code   string
	}{
		{[]string{"link.eaten"}, "unknown_event"},
		{nil, "events_missing"},
		{[]string{store.NoticeLinkOpened}, "webhook_host_unknown"},
	} {
		_, err := e.svc.CreateWebhook(ctx, e.owner.ID, core.WebhookInput{URL: "https://hooks.example/in", Events: tc.events})
		if ce, ok := core.AsError(err); !ok || ce.Code != tc.code {
			t.Errorf("%v: %v, want %s", tc.events, err, tc.code)
		}
	}
	if lookups.n != 1 {
		t.Errorf("%d lookups, want 1 (of the endpoint with known events)", lookups.n)
	}
}

// countingResolver counts its lookups and finds no name.
type countingResolver struct{ n int }

func (c *countingResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	c.n++
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// TestWebhookAddressIsText: an endpoint's address with bytes that are no
// UTF-8 text, as a form may send, is refused as no address, on either
// database, and nothing is kept.
func TestWebhookAddressIsText(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, core.Config{WebhookAllowPrivate: true})
		ctx := context.Background()
		for _, url := range []string{"https://hooks\xff.example/in", "https://hooks.example/in\xc3"} {
			_, err := e.svc.CreateWebhook(ctx, e.owner.ID, core.WebhookInput{URL: url, Events: []string{store.NoticeLinkOpened}})
			if ce, ok := core.AsError(err); !ok || ce.Code != "webhook_url_invalid" || ce.Field != "url" {
				t.Errorf("%q: %v, want webhook_url_invalid", url, err)
			}
		}
		if hooks, err := e.svc.Webhooks(ctx, e.owner.ID); err != nil || len(hooks) != 0 {
			t.Errorf("endpoints kept: %v %v", hooks, err)
		}
	})
}

func TestExpiredUnopenedAndFulfilledRequestsAreNoticed(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, core.Config{WebhookAllowPrivate: true})
		ctx := context.Background()
		e.createLink(t, "forgotten before", 1, false)
		r := newReceiver(t)
		r.ignoreTime = true
		e.subscribe(t, r, store.NoticeLinkExpiredUnopened, store.NoticeRequestFulfilled)
		e.createLink(t, "forgotten", 1, false)
		opened := e.createLink(t, "read", 1, false)
		e.open(t, opened.URL)
		e.clock.Add(2 * time.Hour)
		for range 2 { // a second sweep notices nothing more
			if _, err := e.st.Sweep(ctx, time.Minute, 30*24*time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		tok, _ := e.answer(t, "vpn", "hunter2", core.Client{IP: "192.0.2.1", UserAgent: "curl/8.11.1"})
		runOnce(t, e.worker(t, notify.Options{}))
		got := r.received()
		if len(got) != 3 {
			t.Fatalf("received %d: %+v", len(got), got)
		}
		// "forgotten before" expired too: the endpoint subscribed after it
		// was made, and it is noticed all the same.
		labels := map[string]bool{}
		for _, m := range got[:2] {
			link, _ := m.Body.Data.Link.(map[string]any)
			labels[link["label"].(string)] = m.Body.Type == store.NoticeLinkExpiredUnopened
		}
		if !labels["forgotten"] || !labels["forgotten before"] || len(labels) != 2 {
			t.Errorf("expired unopened: %v", labels)
		}
		if got[2].Body.Type != store.NoticeRequestFulfilled || got[2].Body.Data.Request == nil || got[2].Body.Data.Request.Label != "vpn" {
			t.Errorf("request.fulfilled: %s", got[2].Raw)
		}
		// It names the sender as an open names the recipient.
		if ev := got[2].Body.Data.Event; ev == nil || ev.IP != "192.0.2.1" || ev.UserAgent != "curl/8.11.1" {
			t.Errorf("request.fulfilled without its sender: %s", got[2].Raw)
		}
		if strings.Contains(got[2].Raw, "hunter2") || strings.Contains(got[2].Raw, tok) {
			t.Errorf("the request's body tells what was sent, or its token: %s", got[2].Raw)
		}
	})
}

// TestADisabledAccountsLinksExpireUnnoticed: a link that expires while its
// owner's account is disabled, and so rests, is noticed neither then nor
// once the account is enabled again.
func TestADisabledAccountsLinksExpireUnnoticed(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, core.Config{WebhookAllowPrivate: true})
		ctx := context.Background()
		r := newReceiver(t)
		r.ignoreTime = true
		e.subscribe(t, r, store.NoticeLinkExpiredUnopened)
		e.createLink(t, "resting", 1, false)
		// Another administrator, so that the owner may be disabled.
		if _, err := e.svc.AddAccount(ctx, "grace", "correct horse battery", true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.SetDisabled(ctx, nil, e.owner.ID, true); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(2 * time.Hour)
		if _, err := e.st.Sweep(ctx, time.Minute, 30*24*time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.SetDisabled(ctx, nil, e.owner.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.Sweep(ctx, time.Minute, 30*24*time.Hour); err != nil {
			t.Fatal(err)
		}
		runOnce(t, e.worker(t, notify.Options{}))
		if got := r.received(); len(got) != 0 {
			t.Errorf("a disabled account's link that expired was noticed: %+v", got)
		}
	})
}

// TestASlowEndpointHoldsUpOnlyItself: while an endpoint is slow to
// answer, another gets its messages; each gets one at a time, in the order
// of the events.
func TestASlowEndpointHoldsUpOnlyItself(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, core.Config{WebhookAllowPrivate: true})
		slow, fast := newReceiver(t), newReceiver(t)
		slow.ignoreTime, fast.ignoreTime = true, true
		slow.hold = make(chan struct{})
		release := sync.OnceFunc(func() { close(slow.hold) })
		defer release()
		e.subscribe(t, slow, store.NoticeLinkViewed)
		e.subscribe(t, fast, store.NoticeLinkViewed)
		c := e.createLink(t, "watched", 1, false)
		const views = 3
		for range views {
			if err := e.st.RecordView(t.Context(), c.Link.ID, store.Event{At: e.clock.Now(), IP: "192.0.2.1"}); err != nil {
				t.Fatal(err)
			}
			e.clock.Add(time.Second)
		}
		attempted := make(chan int, 1)
		w := e.worker(t, notify.Options{})
		go func() {
			n, err := w.RunOnce(context.Background())
			if err != nil {
				t.Error(err)
			}
			attempted <- n
		}()
		for deadline := time.Now().Add(5 * time.Second); len(fast.received()) < views || slow.held.Load() == 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the fast endpoint got %d of %d while the slow one held", len(fast.received()), views)
			}
		}
		time.Sleep(100 * time.Millisecond) // time for a second message to the slow one, were it sent
		if n := slow.held.Load(); n != 1 {
			t.Errorf("the slow endpoint was sent %d messages at once, want 1", n)
		}
		release()
		if n := <-attempted; n != 2*views {
			t.Errorf("attempted %d, want %d", n, 2*views)
		}
		for name, r := range map[string]*receiver{"slow": slow, "fast": fast} {
			got := r.received()
			if len(got) != views {
				t.Fatalf("%s received %d, want %d", name, len(got), views)
			}
			for i := 1; i < len(got); i++ {
				if !got[i-1].Body.Data.Event.At.Before(got[i].Body.Data.Event.At) {
					t.Errorf("%s received the views out of order: %s before %s", name, got[i-1].Raw, got[i].Raw)
				}
			}
		}
	})
}

// TestMessagesDescribeTheLinkAsTheEventFoundIt: a message sent after the
// link changed again tells the uses and status the event left it with.
func TestMessagesDescribeTheLinkAsTheEventFoundIt(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, core.Config{WebhookAllowPrivate: true})
		r := newReceiver(t)
		r.ignoreTime = true
		e.subscribe(t, r, store.NoticeLinkOpened, store.NoticeLinkRevoked)
		c := e.createLink(t, "shared", 5, false)
		for range 3 {
			e.open(t, c.URL)
			e.clock.Add(time.Second)
		}
		if _, err := e.svc.Revoke(t.Context(), e.owner.ID, c.Link.ID, core.Client{IP: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
		runOnce(t, e.worker(t, notify.Options{LinkObject: func(l store.Link, at time.Time) any {
			return map[string]any{"uses": l.Uses, "revoked": !l.RevokedAt.IsZero(), "last_used": l.LastUsedAt.UnixMilli()}
		}}))
		got := r.received()
		if len(got) != 4 {
			t.Fatalf("received %d, want 4", len(got))
		}
		for i, m := range got {
			link, _ := m.Body.Data.Link.(map[string]any)
			uses, revoked := min(i+1, 3), i == 3
			if link["uses"] != float64(uses) || link["revoked"] != revoked ||
				link["last_used"] != float64(m.Body.Data.Event.At.Add(-time.Duration(i/3)*time.Second).UnixMilli()) {
				t.Errorf("message %d (%s): %s, want %d uses, revoked %v", i, m.Body.Type, m.Raw, uses, revoked)
			}
		}
	})
}

// TestAnEndpointDeletedWhileSent: a delivery whose endpoint is deleted
// while it is sent is let go quietly: no lease was lost.
func TestAnEndpointDeletedWhileSent(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, core.Config{WebhookAllowPrivate: true})
		r := newReceiver(t)
		r.hold = make(chan struct{})
		release := sync.OnceFunc(func() { close(r.hold) })
		defer release()
		hook := e.subscribe(t, r, store.NoticeLinkOpened)
		e.open(t, e.createLink(t, "watched", 1, false).URL)
		var logs bytes.Buffer
		w := e.worker(t, notify.Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
		finished := make(chan error, 1)
		go func() {
			_, err := w.RunOnce(context.Background())
			finished <- err
		}()
		for deadline := time.Now().Add(5 * time.Second); r.held.Load() == 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the endpoint was sent nothing")
			}
		}
		if err := e.svc.DeleteWebhook(t.Context(), e.owner.ID, hook.Webhook.ID); err != nil {
			t.Fatal(err)
		}
		release()
		if err := <-finished; err != nil {
			t.Fatal(err)
		}
		if logs.Len() > 0 {
			t.Errorf("the worker logged: %s", logs.String())
		}
	})
}

func TestSeveralWorkersDeliverEachEventOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	e := newEnv(t, dsn, core.Config{WebhookAllowPrivate: true})
	r := newReceiver(t)
	r.ignoreTime = true
	// Every fourth request fails once, so that retries are in the mix.
	n := 0
	r.status = func() int {
		n++
		if n%4 == 0 {
			return http.StatusBadGateway
		}
		return http.StatusOK
	}
	e.subscribe(t, r, store.NoticeLinkViewed)
	c := e.createLink(t, "busy", 1, false)
	ctx := context.Background()
	const events = 60
	for range events {
		if err := e.st.RecordView(ctx, c.Link.ID, store.Event{At: e.clock.Now(), IP: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
	}
	// Three instances, each with its own store on the one database.
	var workers []*notify.Worker
	for range 3 {
		st, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		workers = append(workers, notify.NewWorker(notify.Options{Store: st, Now: e.clock.Now, HTTP: notify.NewHTTPClient(true),
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	}
	for round := 0; round < 4; round++ {
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Go(func() {
				if _, err := w.RunOnce(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		e.clock.Add(time.Hour)
	}
	got := r.received()
	eachOnce(t, got, events)
	if depth, _ := e.st.OutboxDepth(ctx); depth != 0 {
		t.Errorf("outbox %d", depth)
	}
}

// fixedResolver resolves the names it holds, and no other.
type fixedResolver map[string]string

func (f fixedResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// TestSlowDeliveriesAreSentOnce: an endpoint that answers slower than a
// worker's lease still gets each message once, with another worker polling
// beside it: the lease of the one being sent is renewed, and the ones
// whose lease ran out while they waited go to the other worker alone.
func TestSlowDeliveriesAreSentOnce(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, core.Config{WebhookAllowPrivate: true})
		r := newReceiver(t)
		r.ignoreTime = true
		// Each send outlasts the lease, which only its renewals keep; the
		// lease is long enough that a loaded machine's pauses (the race
		// detector, other packages' tests) do not let it lapse.
		const lease = time.Second
		r.status = func() int {
			time.Sleep(lease + lease/4)
			return http.StatusOK
		}
		e.subscribe(t, r, store.NoticeLinkViewed)
		c := e.createLink(t, "slow", 1, false)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		const events = 3
		for range events {
			if err := e.st.RecordView(ctx, c.Link.ID, store.Event{At: e.clock.Now(), IP: "192.0.2.1"}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for range 2 {
			w := notify.NewWorker(notify.Options{Store: e.st, HTTP: notify.NewHTTPClient(true), Lease: lease,
				Poll: 20 * time.Millisecond, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			wg.Go(func() { w.Run(ctx) })
		}
		for ctx.Err() == nil {
			if depth, err := e.st.OutboxDepth(ctx); err == nil && depth == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		// Anything sent twice would arrive while the other attempt ends.
		time.Sleep(lease + lease/2)
		cancel()
		wg.Wait()
		eachOnce(t, r.received(), events)
	})
}

// eachOnce checks that got holds n messages, each once.
func eachOnce(t *testing.T, got []received, n int) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range got {
		seen[m.ID]++
	}
	if len(seen) != n {
		t.Errorf("%d distinct messages arrived, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("%s arrived %d times", id, k)
		}
	}
}

// An account sends its endpoints a few test messages an hour, and no
// more: the server is no one's tool to send requests to another's address.
// The limit holds with the rate limits off.
func TestWebhookTestsAreFew(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{WebhookAllowPrivate: true})
	ctx := context.Background()
	r := newReceiver(t)
	w := e.subscribe(t, r, store.NoticeLinkOpened)
	for i := range 20 {
		if err := e.svc.TestWebhook(ctx, e.owner.ID, w.Webhook.ID); err != nil {
			t.Fatalf("test %d: %v", i+1, err)
		}
	}
	err := e.svc.TestWebhook(ctx, e.owner.ID, w.Webhook.ID)
	if ce, ok := core.AsError(err); !ok || ce.Kind != core.Limited || ce.RetryAfter <= 0 {
		t.Fatalf("a 21st test within the hour: %v", err)
	}
	if n, _ := e.st.OutboxDepth(ctx); n != 20 {
		t.Errorf("%d test messages queued, want 20", n)
	}
}

// TestARetryEndsWithItsEndpoint: a notice that an endpoint failed to take
// and that waits to be tried again ends unsent when the endpoint is
// switched off by a 410, and stays ended once a test switches the
// endpoint on again, within the notice's day and after it: the endpoint
// gets what happens from then on, nothing from before. Its list of
// deliveries says why it ended.
func TestARetryEndsWithItsEndpoint(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, core.Config{WebhookAllowPrivate: true})
		ctx := context.Background()
		r := newReceiver(t)
		r.ignoreTime = true
		code := http.StatusServiceUnavailable
		r.status = func() int { return code }
		w := e.subscribe(t, r, store.NoticeLinkOpened)
		link := e.createLink(t, "before", 3, false)
		e.open(t, link.URL)
		worker := e.worker(t, notify.Options{})
		runOnce(t, worker)
		deliveries := func() []store.Delivery {
			t.Helper()
			ds, err := e.st.WebhookDeliveries(ctx, e.owner.ID, w.Webhook.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			return ds
		}
		retried := deliveries()[0]
		if retried.Status != store.DeliveryPending || retried.LastCode != http.StatusServiceUnavailable {
			t.Fatalf("after a 503: %+v", retried)
		}
		// Another notice, due before the retry, is answered 410.
		e.open(t, link.URL)
		code = http.StatusGone
		if n := runOnce(t, worker); n != 1 {
			t.Fatalf("attempted %d, want the new notice alone", n)
		}
		if hooks, _ := e.svc.Webhooks(ctx, e.owner.ID); hooks[0].DisabledAt.IsZero() {
			t.Fatal("the endpoint stays on after a 410")
		}
		// Back, and switched on again by a test, within the retry's day.
		code = http.StatusOK
		e.clock.Add(time.Hour)
		if err := e.svc.TestWebhook(ctx, e.owner.ID, w.Webhook.ID); err != nil {
			t.Fatal(err)
		}
		e.open(t, e.createLink(t, "after", 1, false).URL)
		for range 3 {
			runOnce(t, worker)
			e.clock.Add(8 * time.Hour)
		}
		var types []string
		for _, m := range r.received() {
			types = append(types, m.Body.Type)
		}
		if !slices.Equal(types, []string{store.NoticeTest, store.NoticeLinkOpened}) {
			t.Errorf("received %v, want the test and the open after it", types)
		}
		if n, _ := e.st.OutboxDepth(ctx); n != 0 {
			t.Errorf("outbox %d", n)
		}
		for _, d := range deliveries() {
			if d.ID == retried.ID && (d.Status != store.DeliveryFailed || d.LastError != store.EndpointDisabled || d.Attempts != 1) {
				t.Errorf("the retry %+v, want failed after its one attempt with %q", d, store.EndpointDisabled)
			}
		}
	})
}

// A worker stopped while an endpoint has not answered yet, as an instance
// is when it is stopped for a new version, waits its Grace for the answer:
// the message is delivered once, not recorded as failed and sent again.
// Past the grace the attempt is cut off and recorded, to be tried again.
func TestAStoppedWorkerWaitsForItsSendsWithinItsGrace(t *testing.T) {
	for _, tc := range []struct {
		name       string
		grace      time.Duration
		answerLate bool // the endpoint answers only after the grace
		status     string
		lastError  string
	}{
		{"answered within the grace", 10 * time.Second, false, store.DeliveryDelivered, ""},
		{"answered after the grace", 200 * time.Millisecond, true, store.DeliveryPending, "the server stopped before the attempt ended"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backends(t, func(t *testing.T, dsn string) {
				e := newEnv(t, dsn, core.Config{WebhookAllowPrivate: true})
				r := newReceiver(t)
				r.hold = make(chan struct{})
				hook := e.subscribe(t, r, store.NoticeLinkViewed)
				c := e.createLink(t, "stopped", 1, false)
				if err := e.st.RecordView(context.Background(), c.Link.ID, store.Event{At: e.clock.Now(), IP: "192.0.2.1"}); err != nil {
					t.Fatal(err)
				}
				w := notify.NewWorker(notify.Options{Store: e.st, HTTP: notify.NewHTTPClient(true), Grace: tc.grace,
					Poll: 20 * time.Millisecond, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
				ctx, stop := context.WithCancel(context.Background())
				ran := make(chan struct{})
				go func() { defer close(ran); w.Run(ctx) }()
				for deadline := time.Now().Add(10 * time.Second); r.held.Load() == 0; time.Sleep(10 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatal("the message never reached the endpoint")
					}
				}
				stop()
				stopped := func() {
					select {
					case <-ran:
					case <-time.After(10 * time.Second):
						t.Fatal("the worker did not stop")
					}
				}
				if tc.answerLate {
					stopped()
					close(r.hold)
				} else {
					time.Sleep(100 * time.Millisecond)
					close(r.hold)
					stopped()
				}
				ds, err := e.st.WebhookDeliveries(context.Background(), e.owner.ID, hook.Webhook.ID, 10)
				if err != nil {
					t.Fatal(err)
				}
				if len(ds) != 1 || ds[0].Status != tc.status || ds[0].Attempts != 1 || !strings.Contains(ds[0].LastError, tc.lastError) {
					t.Fatalf("after the stop: %+v, want one delivery %s after one attempt, its error %q", ds, tc.status, tc.lastError)
				}
			})
		})
	}
}
