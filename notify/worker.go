// Package notify delivers oncelink's notices from the outbox in the
// database: signed webhooks (Standard Webhooks) and email. Every instance
// runs a Worker; each delivery is leased by one worker at a time, so that
// several instances on one PostgreSQL database share the work without
// sending anything twice.
package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/store"
	"oncelink/useragent"
)

// Retries: a failed delivery is tried again after each of these waits in
// turn, the last one repeating, each stretched or shrunk by up to a fifth
// at random so that endpoints that came back are not hit by every sender
// at once; it is given up once the next try would come more than
// GiveUpAfter after it was put in the outbox.
var Retries = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour}

// GiveUpAfter is how long a delivery is retried.
const GiveUpAfter = 24 * time.Hour

// DefaultLease is how long a worker holds the deliveries it takes before
// another may take them. The worker renews the lease of the one it is
// sending for as long as that takes (see deliver), so the lease bounds only
// how long the deliveries of a worker that died wait for another.
const DefaultLease = 40 * time.Second

// senders is how many deliveries a worker sends at once, each on its own:
// an endpoint that is slow to answer holds up one of them, not every
// account's notices behind it.
const senders = 8

// Options configure a Worker.
type Options struct {
	Store *store.Store
	// Mailer sends email notices; nil when email is off, and email
	// deliveries then fail at once.
	Mailer *Mailer
	// HTTP delivers webhooks; nil means NewHTTPClient(false).
	HTTP *http.Client
	// LinkObject is a link as the JSON API shows it, for a webhook's body.
	LinkObject func(l store.Link, now time.Time) any
	// BaseURL is the server's public address, such as
	// https://share.example.com, which a mail links the link's page at.
	BaseURL string
	// Unsubscribe is the token of the link, under BaseURL, that stops
	// account's email notices to its confirmed notice address a
	// (core.Service.UnsubscribeToken); nil for none, and the mails then
	// offer the settings page alone.
	Unsubscribe func(account int64, a store.NoticeAddress) string
	Log         *slog.Logger
	// Now is the worker's clock, and Jitter returns a number in [0, 1)
	// that spreads retries; tests set both.
	Now    func() time.Time
	Jitter func() float64
	// Poll is how often Run looks for due deliveries; zero means a
	// second.
	Poll time.Duration
	// Lease is how long a worker holds what it takes, renewed while it
	// sends; zero means DefaultLease.
	Lease time.Duration
	// Attempted, when set, is told of each attempt: "webhook" or "email",
	// and the delivery's status after it.
	Attempted func(target, outcome string)
	// Grace is how long the deliveries under way when Run's context ends
	// may go on, as the server gives requests in flight at shutdown; those
	// still unanswered then are cut off. Zero cuts them off at once.
	Grace time.Duration
}

// errStopped ends the attempts that the worker's Grace did not see answered.
var errStopped error = said(core.FailedStopped)

// Worker delivers the outbox.
type Worker struct {
	o Options
	// setupRefused is set while the mail server does not take oncelink's
	// mail settings (see noteSetup): the log says so when it starts, and
	// when a mail goes through again, not at every mail meanwhile.
	setupRefused atomic.Bool
}

// NewWorker returns a worker with o.
func NewWorker(o Options) *Worker {
	if o.HTTP == nil {
		o.HTTP = NewHTTPClient(false)
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.LinkObject == nil {
		o.LinkObject = func(l store.Link, _ time.Time) any { return map[string]any{"id": l.ID, "label": l.Label} }
	}
	return &Worker{o: o}
}

// Run delivers what is due, every Poll and whenever a sender is done,
// until ctx ends, and waits for the deliveries under way before it
// returns: it gives them Grace to end, so that an instance stopped (one
// after another, for a new version) neither sends their messages again
// once its lease is over nor records them as failed.
func (w *Worker) Run(ctx context.Context) {
	sends, cut := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cut(nil) // once the deliveries under way are done: see below
	go func() {
		select {
		case <-ctx.Done():
		case <-sends.Done():
			return
		}
		grace := time.NewTimer(w.o.Grace)
		defer grace.Stop()
		select {
		case <-grace.C:
			cut(errStopped)
		case <-sends.Done():
		}
	}()
	t := time.NewTicker(w.o.Poll)
	defer t.Stop()
	p := w.newPool()
	defer p.wg.Wait()
	for {
		if _, err := p.dispatch(ctx, sends); err != nil && ctx.Err() == nil {
			w.o.Log.Error("deliver notices", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.done:
		}
	}
}

// RunOnce delivers the deliveries due now until none is left, and returns
// how many it attempted, once all of them are done.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	p := w.newPool()
	n := 0
	for {
		finished, _ := p.state()
		k, err := p.dispatch(ctx, ctx)
		n += k
		if err != nil {
			p.wg.Wait()
			return n, errors.Join(err, p.firstErr())
		}
		if k > 0 {
			continue
		}
		// Nothing was due but for targets that senders are busy with: a
		// sender that finished since dispatch looked may have freed one,
		// and one still at work may yet.
		switch now, active := p.state(); {
		case now != finished:
		case active == 0:
			return n, p.firstErr()
		default:
			<-p.done // a stale signal only makes one more look
		}
	}
}

// pool is a worker's senders: each sends one delivery, and a target (an
// endpoint, an address) gets one at a time (see store.LeaseDeliveries).
type pool struct {
	w     *Worker
	slots chan struct{} // one for each sender at work
	done  chan struct{} // a sender finished: a target it held may have more
	wg    sync.WaitGroup

	mu       sync.Mutex
	active   int   // senders at work
	finished int   // senders that finished, ever
	err      error // the first failure of a sender since firstErr
}

// state returns how many senders finished so far, and how many are at work.
func (p *pool) state() (finished, active int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.finished, p.active
}

func (w *Worker) newPool() *pool {
	return &pool{w: w, slots: make(chan struct{}, senders), done: make(chan struct{}, 1)}
}

// dispatch leases the deliveries that are due as senders come free, until
// none is due or ctx ends, and hands each to a sender of its own, which
// sends it until sends ends. It returns how many it handed out.
func (p *pool) dispatch(ctx, sends context.Context) (int, error) {
	n := 0
	for {
		if err := p.firstErr(); err != nil {
			return n, err
		}
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			return n, ctx.Err()
		}
		// This sender, and every other that is free.
		free := 1 + cap(p.slots) - len(p.slots)
		ds, err := p.w.o.Store.LeaseDeliveries(ctx, p.w.o.Now(), p.w.o.Lease, free)
		if err != nil || len(ds) == 0 {
			<-p.slots
			return n, err
		}
		for i, d := range ds {
			if i > 0 {
				p.slots <- struct{}{} // free, as counted: only dispatch takes slots
			}
			p.mu.Lock()
			p.active++
			p.mu.Unlock()
			p.wg.Go(func() {
				err := p.w.deliver(sends, d)
				<-p.slots
				p.mu.Lock()
				p.err = cmp.Or(p.err, err)
				p.active--
				p.finished++
				p.mu.Unlock()
				select {
				case p.done <- struct{}{}:
				default:
				}
			})
			n++
		}
	}
}

// firstErr returns, and forgets, the first failure of a sender.
func (p *pool) firstErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	err := p.err
	p.err = nil
	return err
}

// deliver makes one attempt at d, just leased, and records it. No other
// worker may take d while it is sent, however long that takes: its lease
// is renewed while the attempt runs.
func (w *Worker) deliver(ctx context.Context, d store.Delivery) error {
	sent := d // the attempt's copy: keepLease writes d.Lease meanwhile
	stop := w.keepLease(ctx, &d)
	start := w.o.Now()
	a := store.Attempt{At: start}
	target := "email"
	if sent.WebhookID != 0 {
		target = "webhook"
	}
	account, err := w.o.Store.AccountByID(ctx, sent.AccountID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Deleted, and its deliveries with it.
		a.Outcome, err = store.DeliveryFailed, said("account deleted")
	case err != nil:
	case account.Disabled():
		// A disabled account is sent nothing further.
		a.Outcome, err = store.DeliveryFailed, said(store.AccountDisabled)
	case sent.WebhookID != 0:
		err = w.webhook(ctx, sent, account, &a)
	default:
		err = w.email(ctx, sent, account, &a)
	}
	stop()
	a.Duration = w.o.Now().Sub(start)
	switch {
	case err == nil:
		a.Outcome = store.DeliveryDelivered
	case a.Outcome == store.DeliveryFailed:
		a.Error = w.describe(err, d)
	default:
		a.Error = w.describe(err, d)
		var asked waitError
		errors.As(err, &asked)
		a.Outcome, a.NextAt = w.retry(d, start, asked.wait)
	}
	if a.NextAt.IsZero() {
		a.NextAt = start
	}
	// Recorded even when ctx ended the attempt, as at a shutdown whose
	// grace ran out: it is then tried again, by this server once it is
	// back or by another.
	ferr := w.o.Store.FinishAttempt(context.WithoutCancel(ctx), d, a)
	switch {
	case errors.Is(ferr, store.ErrNotFound):
		return nil // its endpoint or account was deleted meanwhile
	case errors.Is(ferr, store.ErrLeaseLost):
		w.o.Log.Warn("a notice's delivery outlasted its lease", "delivery", d.ID)
		return nil
	}
	if ferr == nil && w.o.Attempted != nil {
		w.o.Attempted(target, a.Outcome)
	}
	return ferr
}

// describe is what the attempt at d that failed with err records as its
// error (see describe), and logs err in full when it is the server's own
// failure, which only its operator can put right.
func (w *Worker) describe(err error, d store.Delivery) string {
	text, logged := describe(err)
	if logged {
		w.o.Log.Warn("a notice's delivery failed", "delivery", d.ID, "err", err)
	}
	return text
}

// keepLease renews d's lease every quarter of a lease until the func it
// returns is called, which waits for a renewal under way to end.
func (w *Worker) keepLease(ctx context.Context, d *store.Delivery) (stop func()) {
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(w.o.Lease / 4)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if err := w.o.Store.RenewLease(ctx, d, w.o.Now().Add(w.o.Lease)); err != nil {
					w.o.Log.Warn("renew a notice's lease", "delivery", d.ID, "err", err)
					return
				}
			}
		}
	}()
	return func() { close(done); <-ended }
}

// retry says when a delivery that failed at attempt number d.Attempts+1,
// at now, is tried again, or that it is given up. Its target asked for a
// wait of asked (zero for none): the retry comes no sooner, unless that
// is past the delivery's last day, and then it comes at the day's end.
// The day starts when the delivery was put in the outbox, which for an
// event noticed late, such as a link's expiry after the server was down,
// is well after the event.
func (w *Worker) retry(d store.Delivery, now time.Time, asked time.Duration) (string, time.Time) {
	wait := Retries[min(d.Attempts, len(Retries)-1)]
	wait = time.Duration(float64(wait) * (0.8 + 0.4*w.o.Jitter()))
	end := d.CreatedAt.Add(GiveUpAfter)
	next := now.Add(max(wait, min(asked, end.Sub(now))))
	if next.After(end) {
		return store.DeliveryFailed, now
	}
	return store.DeliveryPending, next
}

// Body is a webhook's JSON body.
type Body struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      BodyData  `json:"data"`
}

// BodyData is what a webhook's body tells: the link (as the JSON API shows
// it, without its URL), the event, and for a fulfilled request the request.
type BodyData struct {
	Link    any          `json:"link,omitempty"`
	Request *BodyRequest `json:"request,omitempty"`
	Event   *BodyEvent   `json:"event,omitempty"`
	Message string       `json:"message,omitempty"`
}

// BodyRequest is a fulfilled request in a webhook's body.
type BodyRequest struct {
	ID          int64     `json:"id"`
	Label       string    `json:"label"`
	FulfilledAt time.Time `json:"fulfilled_at"`
}

// BodyEvent is who caused a notice, and when.
type BodyEvent struct {
	At        time.Time `json:"at"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
}

// body builds d's webhook body, on its first attempt; later attempts send
// the same. What a person reads in it, a test's message, speaks the
// account's language, as its mails do; what a program reads does not
// change with it.
func (w *Worker) body(ctx context.Context, d store.Delivery, account store.Account) ([]byte, error) {
	if d.Body != "" {
		return []byte(d.Body), nil
	}
	b := Body{Type: d.Type, Timestamp: d.At.UTC()}
	if d.Type == store.NoticeTest {
		b.Data.Message = i18n.T(i18n.With(ctx, account.Language), "notices.webhooks.test_message")
		return json.Marshal(b)
	}
	b.Data.Event = &BodyEvent{At: d.At.UTC(), IP: d.IP, UserAgent: d.UserAgent}
	if d.LinkID != 0 {
		l, err := w.o.Store.LinkAsOf(ctx, d.LinkID, d.At)
		switch {
		case err == nil:
			b.Data.Link = w.o.LinkObject(l, d.At)
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	if d.RequestID != 0 {
		r, err := w.o.Store.OwnedRequest(ctx, d.AccountID, d.RequestID)
		switch {
		case err == nil:
			b.Data.Request = &BodyRequest{ID: r.ID, Label: r.Label, FulfilledAt: r.FulfilledAt.UTC()}
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	return json.Marshal(b)
}

func (w *Worker) webhook(ctx context.Context, d store.Delivery, account store.Account, a *store.Attempt) error {
	hook, err := w.o.Store.OwnedWebhook(ctx, d.AccountID, d.WebhookID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			// Gone for good; a database error is tried again.
			a.Outcome, err = store.DeliveryFailed, said("endpoint deleted")
		}
		return err
	}
	if !hook.DisabledAt.IsZero() {
		a.Outcome = store.DeliveryFailed
		return said(store.EndpointDisabled)
	}
	body, err := w.body(ctx, d, account)
	if err != nil {
		return err
	}
	a.Body = string(body)
	// The webhook-id is kept from the first attempt, so that a rotation
	// of the secret between two attempts does not change it.
	id := d.MessageID
	if id == "" {
		id = MessageID(hook.Secret, d.ID)
	}
	a.MessageID = id
	now := w.o.Now()
	ans, err := post(ctx, w.o.HTTP, hook.URL, hook.Signing(now), id, now, body)
	code := ans.Code
	a.Code = code
	switch {
	case err != nil:
		return err
	case code == http.StatusGone:
		a.Outcome, a.DisableWebhook = store.DeliveryFailed, true
		return said("the endpoint answered 410 Gone: it is disabled")
	case ans.Location != "":
		// Where it leads is most often the address the endpoint should
		// have been given, such as its https:// one.
		return said(fmt.Sprintf("the endpoint answered %d %s, a redirect to %q, which is not followed", code, http.StatusText(code), ans.Location))
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		err := "the endpoint answered " + strconv.Itoa(code) + " " + http.StatusText(code)
		wait, past := retryAfter(ans.RetryAfter, w.o.Now())
		switch {
		case past:
			// What it asked, as it asked it, and that the delivery's day
			// bounds the wait.
			asked := strings.ToValidUTF8(ans.RetryAfter, "")
			if len(asked) > 40 {
				asked = strings.ToValidUTF8(asked[:40], "") + "…"
			}
			return waitError{said(fmt.Sprintf("%s, asking with Retry-After %q to be tried again in more than a day: it is tried again within the day", err, asked)), wait}
		case wait > 0:
			return waitError{said(fmt.Sprintf("%s, asking to be tried again in %v", err, wait)), wait}
		}
		return said(err)
	case code < 200 || code > 299:
		return said("the endpoint answered " + strconv.Itoa(code) + " " + http.StatusText(code))
	}
	return nil
}

// waitError is a failure after which its target asked not to be tried
// again for wait: an endpoint's Retry-After.
type waitError struct {
	error
	wait time.Duration
}

func (e waitError) Unwrap() error { return e.error }

func (w *Worker) email(ctx context.Context, d store.Delivery, account store.Account, a *store.Attempt) error {
	if w.o.Mailer == nil {
		a.Outcome = store.DeliveryFailed
		return said(core.FailedEmailOff)
	}
	addr, err := w.o.Store.NoticeAddress(ctx, d.AccountID)
	if err != nil {
		return err
	}
	if addr.Address == "" {
		a.Outcome = store.DeliveryFailed
		return said(core.FailedNoAddress)
	}
	// The mail speaks the account's language, English when it chose none.
	ctx = i18n.With(ctx, account.Language)
	n := Notice{Type: d.Type, At: d.At, IP: d.IP, Browser: useragent.Say(i18n.From(ctx), d.UserAgent)}
	if d.UserAgent == "" {
		n.Browser = ""
	}
	switch {
	case d.Type == store.NoticeSecondStepFailed:
		if n.Failures, err = w.o.Store.DeliveryFailures(ctx, d.ID); err != nil {
			return err
		}
		n.Account = account.Username
		// Where the owner changes the password that someone else knows.
		n.URL = w.page("/settings#password-heading")
	case d.RequestID != 0:
		if r, err := w.o.Store.OwnedRequest(ctx, d.AccountID, d.RequestID); err == nil {
			n.Label = r.Label
		}
		// What was sent opens until the link it made ends; once it has,
		// or the link is purged since, the mail says so rather than how
		// to open it.
		switch l, err := w.o.Store.LinkByID(ctx, d.LinkID); {
		case errors.Is(err, store.ErrNotFound):
			n.Closed = true
		case err == nil && l.Status(w.o.Now()) == store.Active:
			n.Until = l.ExpiresAt
		case err == nil:
			n.Closed = true
		}
		n.Label = labelOr(n.Label, i18n.T(ctx, "mail.notice.request_number", "ID", d.RequestID))
		// The request's own address, which leads to its row in the
		// owner's requests while it is kept, and says that it is gone
		// once it is not: where the settings' list of deliveries leads
		// too.
		n.URL = w.page(components.RequestPath(d.RequestID))
	case d.LinkID != 0:
		if l, err := w.o.Store.LinkByID(ctx, d.LinkID); err == nil {
			n.Label = l.Label
		}
		n.Label = labelOr(n.Label, i18n.T(ctx, "mail.notice.link_number", "ID", d.LinkID))
		n.URL = w.page("/links/" + strconv.FormatInt(d.LinkID, 10))
	}
	// The section of the settings that the mail speaks of, not the top
	// of a long page.
	n.Settings = w.page("/settings#notices-heading")
	if w.o.Unsubscribe != nil {
		n.Unsubscribe = w.page("/unsubscribe/" + w.o.Unsubscribe(d.AccountID, addr))
	}
	n.Zone, err = account.Location()
	if err != nil {
		// The mail goes, with its times in UTC.
		w.o.Log.Warn("an account's time zone is not known: its mails write UTC", "err", err)
	}
	a.Body = d.Type
	err = w.o.Mailer.SendNotice(ctx, addr.Address, n)
	w.noteSetup(err)
	if refused(err) {
		a.Outcome = store.DeliveryFailed // the same mail would be refused again
	}
	return err
}

// noteSetup logs, once for as long as it lasts, that the mail server does
// not take oncelink's mail settings (core.ErrMailSetup: it refuses the
// credentials of --smtp-url, or offers no TLS to send them over), which no
// owner can put right and each delivery would only show its owner; and
// that it took them again once a mail, err nil, went through. The mails
// are still tried again, each for its day: settings put right and the
// server restarted within it, they go out.
func (w *Worker) noteSetup(err error) {
	switch {
	case errors.Is(err, core.ErrMailSetup):
		if !w.setupRefused.Swap(true) {
			w.o.Log.Error("notice mails are not sent until the mail settings are right, and each is tried again for a day", "err", err)
		}
	case err == nil:
		if w.setupRefused.Swap(false) {
			w.o.Log.Info("the mail server takes oncelink's mail settings again: notice mails are sent")
		}
	}
}

// page is the address of the owner's page at path, or "" without a base
// URL: the page a notice mail links to, which shows its owner the whole
// trail and gives nobody else anything.
func (w *Worker) page(path string) string {
	if w.o.BaseURL == "" {
		return ""
	}
	return strings.TrimSuffix(w.o.BaseURL, "/") + path
}

func labelOr(label, otherwise string) string {
	if label == "" {
		return otherwise
	}
	return label
}
