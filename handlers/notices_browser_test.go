package handlers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-smtp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/internal/browsertest"
	"oncelink/notify"
)

// mailbox is a real SMTP server, in process, that keeps the mails it is
// sent.
type mailbox struct {
	addr  string
	mu    sync.Mutex
	mails []string
	// raw are the mails as they were sent, headers and encoded parts.
	raw []string
}

func newMailbox(t *testing.T) *mailbox {
	t.Helper()
	m := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailboxSession{m: m}, nil }))
	srv.Domain = "mail.test"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return m
}

func (m *mailbox) all() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.mails...)
}

// last is the latest mail as it was sent, or "" before any.
func (m *mailbox) last() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.raw) == 0 {
		return ""
	}
	return m.raw[len(m.raw)-1]
}

type mailboxSession struct{ m *mailbox }

func (s *mailboxSession) Reset()                               {}
func (s *mailboxSession) Logout() error                        { return nil }
func (s *mailboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailboxSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailboxSession) Data(r io.Reader) error {
	// The parts are quoted-printable; reading them so undoes their soft
	// line breaks, and leaves the headers as they are.
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
	s.m.mu.Lock()
	s.m.mails = append(s.m.mails, string(b))
	s.m.raw = append(s.m.raw, string(raw))
	s.m.mu.Unlock()
	return err
}

// hookReceiver is a webhook endpoint that checks signatures with the
// Standard Webhooks library and counts what it accepted.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	types  []string
}

func newHookReceiver(t *testing.T, status int) *hookReceiver {
	h := &hookReceiver{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status != http.StatusOK {
			w.WriteHeader(status)
			return
		}
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		wh, err := standardwebhooks.NewWebhook(h.secret)
		if err == nil {
			err = wh.Verify(body, r.Header)
		}
		if err != nil {
			t.Errorf("webhook refused: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		typ := regexp.MustCompile(`"type":"([^"]+)"`).FindStringSubmatch(string(body))
		h.types = append(h.types, typ[1])
	}))
	t.Cleanup(h.Close)
	return h
}

// hookWorker is a notice worker of s that delivers to the tests' own
// endpoints on loopback, and logs nothing.
func (s *testServer) hookWorker() *notify.Worker {
	return notify.NewWorker(notify.Options{Store: s.store, HTTP: notify.NewHTTPClient(true),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// deliver runs s's notice worker once.
func (s *testServer) deliver(t *testing.T) {
	t.Helper()
	if _, err := s.hookWorker().RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (h *hookReceiver) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.types...)
}

func TestNoticesInBrowser(t *testing.T) {
	box := newMailbox(t)
	mailer, err := notify.NewMailer("smtp://"+box.addr, "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, func(c *core.Config) { c.Mailer, c.WebhookAllowPrivate = mailer, true })
	worker := notify.NewWorker(notify.Options{Store: s.store, Mailer: mailer, HTTP: notify.NewHTTPClient(true),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	deliver := func() {
		t.Helper()
		if _, err := worker.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()

	b.open("/settings", "[data-testid=notices]")
	b.clean("settings with notifications")
	if eval[bool](b, `!!document.querySelector("[data-testid=email-off]")`) {
		t.Fatal("email shows as off on a server with a mailer")
	}

	// A wrong address (too long, which the browser lets through when set
	// by script) shows beside its field.
	b.do(
		chromedp.SetValue(chromedp.ID("notice-address"), strings.Repeat("a", 250)+"@example.org"),
		chromedp.Click(chromedp.CSS("[data-testid=set-address]")),
		chromedp.WaitVisible(chromedp.ID("error-address")),
	)
	b.forgive("status of 400")
	b.clean("wrong address")

	// Until an address is confirmed, "notify me" has nowhere to send to,
	// and says where to set one.
	b.open("/links", "#message")
	if !eval[bool](b, `document.querySelector("[data-testid=notify]").disabled &&
		!!document.querySelector("[data-testid=notify-no-address] a[href='/settings#notices-heading']")`) {
		t.Fatal("notify me is offered before there is an address to send to")
	}
	b.clean("notify me without an address")
	// A form that asks all the same (a page loaded while there was an
	// address) is told why beside the box, and keeps what was typed.
	b.do(chromedp.SendKeys(chromedp.ID("message"), "kept"))
	eval[bool](b, `{const n = document.querySelector("[data-testid=notify]"); n.disabled = false; n.checked = true}`)
	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=create]")),
		chromedp.WaitVisible(chromedp.ID("error-notify")),
	)
	if !eval[bool](b, `document.querySelector("[data-testid=notify]").getAttribute("aria-invalid") === "true" &&
		document.getElementById("error-notify").textContent.includes("Settings") && document.getElementById("message").value === "kept"`) {
		t.Error("notify me without an address: not said beside the box, or the message was lost")
	}
	b.forgive("status of 400")
	b.clean("notify me refused")
	b.open("/settings", "[data-testid=notices]")

	// An address, confirmed through the link mailed to it.
	b.do(
		chromedp.SetValue(chromedp.ID("notice-address"), "ada@example.org"),
		chromedp.Click(chromedp.CSS("[data-testid=set-address]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=pending-address]")),
	)
	mails := box.all()
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	confirm := regexp.MustCompile(`/settings/notices/confirm/[A-Za-z0-9_-]{43}`).FindString(mails[0])
	if confirm == "" {
		t.Fatalf("no confirmation link in %s", mails[0])
	}
	b.open(confirm, "[data-testid=confirm-form]")
	// The mail's link leads to its button, wherever it is on the page.
	b.wait(`document.activeElement.dataset.testid === "confirm-address" && document.activeElement.getBoundingClientRect().bottom <= innerHeight`, time.Second)
	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=confirm-address]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=notice-address]")),
	)
	// What the page says of it takes the focus, in view, for a screen
	// reader to read it: it came with a new page.
	b.wait(`document.activeElement.dataset.testid === "notices-message" && document.activeElement.getBoundingClientRect().bottom <= innerHeight`, time.Second)
	b.clean("address confirmed")
	// The mail's link again: used, it says so and offers nothing.
	b.open(confirm, "[data-testid=notice-address]")
	if eval[bool](b, `!!document.querySelector("[data-testid=confirm-form]")`) {
		t.Error("a used confirmation link offers to confirm again")
	}
	b.forgive("410")
	b.clean("a used confirmation link")

	// Two endpoints: one that takes messages, one that is down.
	up := newHookReceiver(t, http.StatusOK)
	down := newHookReceiver(t, http.StatusServiceUnavailable)
	for i, r := range []*hookReceiver{up, down} {
		b.do(
			chromedp.SetValue(chromedp.ID("webhook-url"), r.URL+"/hooks/oncelink"),
			chromedp.Click(chromedp.CSS(`input[name=events][value="link.opened"]`)),
			chromedp.Click(chromedp.CSS(`input[name=events][value="link.expired_unopened"]`)),
			chromedp.Click(chromedp.CSS("[data-testid=add-webhook]")),
		)
		// The page before had fewer endpoints: this waits for the answer.
		b.wait(fmt.Sprintf(`document.querySelectorAll("[data-testid=webhook]").length === %d`, i+1), 5*time.Second)
		b.do(chromedp.WaitVisible(chromedp.CSS("[data-testid=new-webhook]")))
		// The secret, shown this once, takes the focus and is in view.
		b.wait(`document.activeElement.dataset.testid === "new-webhook" && document.activeElement.getBoundingClientRect().top < innerHeight`, time.Second)
		r.secret = eval[string](b, `document.querySelector("[data-testid=webhook-secret]").value`)
		if !strings.HasPrefix(r.secret, "whsec_") {
			t.Fatalf("secret %q", r.secret)
		}
	}
	// No event chosen: refused beside the events.
	b.do(
		chromedp.SetValue(chromedp.ID("webhook-url"), up.URL+"/other"),
		chromedp.Click(chromedp.CSS("[data-testid=add-webhook]")),
		chromedp.WaitVisible(chromedp.ID("error-events")),
	)
	b.forgive("status of 400")
	b.clean("no events")

	// A test message, then a link opened that asked for notices.
	b.open("/settings", "[data-testid=notices]")
	b.do(
		chromedp.Click(chromedp.CSS(`[data-testid=webhook]:first-of-type [data-testid=test-webhook]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=notices-message]")),
	)
	// What it did shows on the settings page it leads back to, in view;
	// reloading that page sends no second test (the endpoint's messages
	// are counted below).
	if !eval[bool](b, `location.pathname === "/settings" && document.querySelector("[data-testid=notices-message]").getBoundingClientRect().top < innerHeight`) {
		t.Error("after a test message: not back on the settings page with what it did in view")
	}
	b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("[data-testid=notices]")))
	if eval[bool](b, `!!document.querySelector("[data-testid=notices-message]")`) {
		t.Error("what a test message did is said again on the next page")
	}
	b.open("/links", "#message")
	if !eval[bool](b, `!document.querySelector("[data-testid=notify]").disabled &&
		document.getElementById("notify-help").textContent.includes("ada@example.org")`) {
		t.Fatal("notify me does not name the confirmed address")
	}
	b.do(chromedp.Click(chromedp.CSS("[data-testid=notify]")))
	link, _ := b.create("the garage code", "1h", "Garage code")
	tok := link[strings.LastIndex(link, "/")+1:]
	res := s.client().post("/l/"+tok, url.Values{})
	if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	deliver()
	if got := up.got(); strings.Join(got, " ") != "webhook.test link.opened" {
		t.Errorf("the endpoint got %v", got)
	}
	mails = box.all()
	if len(mails) != 2 || !strings.Contains(mails[1], "Garage code") || strings.Contains(mails[1], tok) {
		t.Errorf("notice mail: %d mails, last %q", len(mails), mails[len(mails)-1])
	}

	b.open("/settings#notices-heading", "[data-testid=webhook-deliveries]")
	statuses := eval[[]string](b, `[...document.querySelectorAll("[data-testid=webhook-deliveries] [data-testid=delivery]")].map(e => e.dataset.status)`)
	if strings.Join(statuses, " ") != "delivered delivered pending" {
		t.Errorf("deliveries shown: %v", statuses)
	}
	// A delivery names the link it was about, and leads to its page.
	if !eval[bool](b, `[...document.querySelectorAll("[data-testid=webhook-deliveries] [data-testid=delivery-about]")].some(a => /^\/links\/[0-9]+$/.test(a.getAttribute("href")) && a.textContent.startsWith("link #"))`) {
		t.Error("a delivery does not name the link it was about")
	}
	if !eval[bool](b, `document.querySelector("[data-testid=email-deliveries] [data-status=delivered]") !== null`) {
		t.Error("the email's delivery is not shown")
	}
	// Every time in the section is the browser's, as on the rest of the
	// page: none is left in the server's UTC.
	if text := eval[string](b, `document.querySelector("[data-testid=notices]").innerText`); strings.Contains(text, "UTC") {
		t.Errorf("the notifications show a time in UTC: %s", text)
	}
	b.do(chromedp.ScrollIntoView(chromedp.ID("notices-heading")))
	browsertest.Shoot(b.t, b.ctx, "settings-notices")
	b.clean("deliveries")

	// Delete: the endpoint goes.
	b.do(
		chromedp.Click(chromedp.CSS(`[data-testid=webhook]:last-of-type [data-testid=delete-webhook]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=notices]")),
	)
	b.wait(`document.querySelectorAll("[data-testid=webhook]").length === 1`, 2*time.Second)
}

func TestNoticesSayWhenEmailIsOff(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	res := c.get("/settings")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-testid="email-off"`) {
		t.Fatalf("settings without email: %d, email-off shown: %v", res.StatusCode, strings.Contains(res.body, "email-off"))
	}
	if res := c.get("/links"); res.StatusCode != http.StatusOK || strings.Contains(res.body, `data-testid="notify"`) {
		t.Errorf("the create form without email: %d, notify me offered: %v", res.StatusCode, strings.Contains(res.body, `data-testid="notify"`))
	}
	res = c.post("/settings/notices/address", url.Values{"address": {"ada@example.org"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "--smtp-url") {
		t.Errorf("setting an address without email: %d", res.StatusCode)
	}
	// A form that asks for notices all the same is told why not, at its
	// top since it has no such box, and keeps what was typed.
	res = c.post("/links", url.Values{"kind": {"message"}, "message": {"kept"}, "ttl": {"1h"}, "notify": {"true"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "--smtp-url") || !strings.Contains(res.body, ">kept</textarea>") {
		t.Errorf("notify me without email: %d", res.StatusCode)
	}
	// A webhook to a private address is refused without the flag.
	res = c.post("/settings/webhooks", url.Values{"url": {"http://169.254.169.254/latest"}, "events": {"link.opened"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "error-url") {
		t.Errorf("a private endpoint: %d", res.StatusCode)
	}
	// A confirmation token that is not one changes nothing, and its page
	// offers nothing to confirm.
	res = c.post("/settings/notices/confirm/"+strings.Repeat("A", 43), url.Values{})
	if res.StatusCode != http.StatusGone {
		t.Errorf("a made-up confirmation: %d", res.StatusCode)
	}
	res = c.get("/settings/notices/confirm/" + strings.Repeat("A", 43))
	if res.StatusCode != http.StatusGone || strings.Contains(res.body, `data-testid="confirm-form"`) {
		t.Errorf("the page of a made-up confirmation: %d, or it offers to confirm", res.StatusCode)
	}
}

// TestWebhookEventsBesideTheirBoxes: each event a webhook may choose
// starts on its checkbox's line, and wraps beside it, in every language,
// on a phone: a long name once went below its box and left the box alone
// on a line of its own.
func TestWebhookEventsBesideTheirBoxes(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	// For each event, what its box and the first line of its words say
	// when they do not share a line.
	const apart = `Array.from(document.querySelectorAll("fieldset.events label"), label => {
		const box = label.querySelector("input").getBoundingClientRect();
		const words = document.createRange();
		words.setStartAfter(label.querySelector("input"));
		words.setEndAfter(label.lastChild);
		const first = Array.from(words.getClientRects()).find(r => r.width > 0);
		const mid = (box.top + box.bottom) / 2;
		return first && first.top <= mid && mid <= first.bottom ? "" : label.textContent.trim();
	}).filter(Boolean)`
	for _, lang := range []string{"en", "de", "fr", "es", "ar"} {
		b.chooseLanguage("/settings", lang)
		for _, width := range []int64{390, 320} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
				t.Fatal(err)
			}
			if got := eval[[]string](b, apart); len(got) > 0 {
				t.Errorf("in %s at %dpx, these events start below their checkbox: %q", lang, width, got)
			}
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatal(err)
		}
	}
	b.clean("webhook events")
}

// TestWebhooksStandApartFromTheirForm: the first endpoint in the list
// stands apart from the form's button above it, at both widths, in
// English and in Arabic: its line ran along the button's bottom edge.
func TestWebhooksStandApartFromTheirForm(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.WebhookAllowPrivate = true })
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	b.open("/settings", "[data-testid=webhook-form]")
	b.do(
		chromedp.SetValue(chromedp.ID("webhook-url"), "http://127.0.0.1:9/hooks/oncelink"),
		chromedp.Click(chromedp.CSS(`input[name=events][value="link.opened"]`)),
		chromedp.Click(chromedp.CSS("[data-testid=add-webhook]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=new-webhook]")),
	)
	for _, code := range []string{"en", "ar"} {
		b.chooseLanguage("/settings", code)
		for _, width := range []int64{1280, 390} {
			b.do(chromedp.EmulateViewport(width, 900))
			gap := eval[float64](b, `document.querySelector("[data-testid=webhook]").getBoundingClientRect().top -
				document.querySelector("[data-testid=add-webhook]").getBoundingClientRect().bottom`)
			if gap < 12 {
				t.Errorf("in %s at %dpx the first endpoint stands %.1fpx below the form's button", code, width, gap)
			}
		}
		b.do(chromedp.ScrollIntoView(chromedp.CSS("[data-testid=add-webhook]")))
		browsertest.Shoot(t, ctx, "webhooks-under-form-"+code)
	}
	b.clean("the list of endpoints")
}

// TestWebhookFlagInArabic: the mistake that names the flag which lets a
// server send webhooks to a private address shows the flag whole and left
// to right, in Arabic, on a phone: as text it broke after its "--", which
// then stood at the end of the line before.
func TestWebhookFlagInArabic(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	b.chooseLanguage("/settings", "ar")
	b.open("/settings", "[data-testid=webhook-form]")
	b.do(
		chromedp.SetValue(chromedp.ID("webhook-url"), "http://10.0.0.1/hooks/oncelink"),
		chromedp.Click(chromedp.CSS(`input[name=events][value="link.opened"]`)),
		chromedp.Click(chromedp.CSS("[data-testid=add-webhook]")),
		chromedp.WaitVisible(chromedp.ID("error-url")),
	)
	b.forgive("status of 400")
	for _, width := range []int64{390, 320} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		flag := eval[string](b, `[...document.querySelectorAll("#error-url code")].
			filter(el => el.getClientRects().length === 1 && getComputedStyle(el).direction === "ltr").map(el => el.textContent).join()`)
		if flag != "--webhook-allow-private" {
			t.Errorf("at %dpx the mistake shows the flag whole as %q: %s", width, flag, eval[string](b, `document.getElementById("error-url").innerHTML`))
		}
	}
	b.do(chromedp.ScrollIntoView(chromedp.ID("error-url")))
	browsertest.Shoot(t, ctx, "webhook-flag-ar", 390, 320)
	b.clean("the flag in Arabic")
}

// refusingSession is an SMTP session whose server has no such user.
type refusingSession struct{ mailboxSession }

func (refusingSession) Rcpt(string, *smtp.RcptOptions) error {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
}

// settingsInEnglishThenArabic checks the settings page in English, then chooses
// Arabic there and checks it again, with screenshots named shot and
// shot-ar after each (see browsertest.Shoot).
func (b *tab) settingsInEnglishThenArabic(shot string, check func(lang string)) {
	b.t.Helper()
	checkIn := func(lang string) {
		b.t.Helper()
		check(lang)
		if got := eval[string](b, `document.documentElement.lang`); got != lang {
			b.t.Fatalf("the settings checked in %s are in %q", lang, got)
		}
	}
	checkIn("en")
	browsertest.Shoot(b.t, b.ctx, shot)
	b.chooseLanguage("/settings", "ar")
	checkIn("ar")
	browsertest.Shoot(b.t, b.ctx, shot+"-ar")
}

// TestARefusedAddressInBrowser: an address whose confirmation mail the
// mail server refuses for good is refused beside its field with the
// server's reply, not as something to try again, and is not left waiting
// to be confirmed; in English and in Arabic, written right to left, at a
// phone's width and a desktop's, light and dark. With ONCELINK_SCREENSHOTS
// set it keeps each as refused-address-*.png.
func TestARefusedAddressInBrowser(t *testing.T) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &refusingSession{}, nil }))
	srv.Domain = "mail.test"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	mailer, err := notify.NewMailer("smtp://"+l.Addr().String(), "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, func(c *core.Config) { c.Mailer = mailer })
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	refused := func(lang string) {
		t.Helper()
		b.open("/settings", "[data-testid=notices]")
		b.do(
			chromedp.SetValue(chromedp.ID("notice-address"), "ada@exmaple.org"),
			chromedp.Click(chromedp.CSS("[data-testid=set-address]")),
			chromedp.WaitVisible(chromedp.ID("error-address")),
		)
		said := eval[string](b, `document.getElementById("error-address").textContent.trim()`)
		if !strings.Contains(said, "550 5.1.1 no such user") || said == core.Variant(core.Unavailable, "mail_failed", "now", "", "").Message(i18n.For(lang)) {
			t.Errorf("%s: the refused address is said as %q", lang, said)
		}
		if eval[bool](b, `!!document.querySelector("[data-testid=pending-address]")`) {
			t.Errorf("%s: the refused address waits to be confirmed", lang)
		}
		b.forgive("status of 400")
	}
	b.settingsInEnglishThenArabic("refused-address", refused)
	b.clean("a refused address")
}

// TestDeliveriesEndedByADisableInBrowser: the notices that waited for an
// account when it was disabled are listed, once it is enabled again and
// signs in, as failed because the account was disabled, in English and in
// Arabic, at a phone's width and a desktop's, light and dark. With
// ONCELINK_SCREENSHOTS set it keeps each as account-disabled-deliveries-*.png.
func TestDeliveriesEndedByADisableInBrowser(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.WebhookAllowPrivate = true })
	admin := s.admin()
	const owner = "bartholomew"
	sharer := s.user(owner)
	id := admin.accountID(owner)
	account, err := core.ParseID(id)
	if err != nil {
		t.Fatal(err)
	}
	hook := newHookReceiver(t, http.StatusOK)
	if _, err := s.h.core.CreateWebhook(context.Background(), account, core.WebhookInput{URL: hook.URL + "/in", Events: []string{"link.opened"}}); err != nil {
		t.Fatal(err)
	}
	link := sharer.createLink(nil)
	if res := s.client().post(linkPath(link), nil); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	for _, path := range []string{"/accounts/" + id + "/disable", "/accounts/" + id + "/enable"} {
		if res := admin.post(path, nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
	}
	s.deliver(t)
	if got := hook.got(); len(got) != 0 {
		t.Fatalf("the endpoint received %v", got)
	}
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.signInAs(owner, "[data-testid=create-form]")
	said := func(lang string) {
		t.Helper()
		b.open("/settings", "[data-testid=webhook-deliveries]")
		got := eval[string](b, `document.querySelector("[data-testid=webhook-deliveries] [data-testid=delivery][data-status=failed] .delivery-error").textContent.trim()`)
		if want := i18n.For(lang).T("notices.delivery.account_disabled"); got != want {
			t.Errorf("%s: the delivery says %q, want %q", lang, got, want)
		}
		b.do(chromedp.ScrollIntoView(chromedp.CSS("[data-testid=webhook-deliveries]")))
	}
	b.settingsInEnglishThenArabic("account-disabled-deliveries", said)
	b.clean("deliveries ended by a disable")
}

// TestUnreachableEndpointInBrowser: a delivery whose endpoint refused the
// connection says so in the reader's language, and nowhere on the page,
// not in a title either, the address that was dialed or Go's words for
// it; in English and in Arabic, at a phone's width and a desktop's, light
// and dark. With ONCELINK_SCREENSHOTS set it keeps each as
// unreachable-endpoint-*.png.
func TestUnreachableEndpointInBrowser(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.WebhookAllowPrivate = true })
	admin := s.admin()
	const owner = "bartholomew"
	sharer := s.user(owner)
	account, err := core.ParseID(admin.accountID(owner))
	if err != nil {
		t.Fatal(err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	if _, err := s.h.core.CreateWebhook(context.Background(), account, core.WebhookInput{URL: closed.URL + "/in", Events: []string{"link.opened"}}); err != nil {
		t.Fatal(err)
	}
	link := sharer.createLink(nil)
	if res := s.client().post(linkPath(link), nil); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	s.deliver(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.signInAs(owner, "[data-testid=create-form]")
	said := func(lang string) {
		t.Helper()
		b.open("/settings", "[data-testid=webhook-deliveries]")
		got := eval[string](b, `document.querySelector("[data-testid=webhook-deliveries] [data-testid=delivery] .delivery-error").textContent.trim()`)
		if want := i18n.For(lang).T("notices.delivery.net_refused"); !strings.HasSuffix(got, want) {
			t.Errorf("%s: the delivery says %q, want it to end with %q", lang, got, want)
		}
		html := eval[string](b, `document.querySelector("[data-testid=webhook-deliveries]").outerHTML`)
		for _, leak := range []string{"127.0.0.1", "dial tcp", "Post ", "connect:"} {
			if strings.Contains(html, leak) {
				t.Errorf("%s: the deliveries show %q: %s", lang, leak, html)
			}
		}
		b.do(chromedp.ScrollIntoView(chromedp.CSS("[data-testid=webhook-deliveries]")))
	}
	b.settingsInEnglishThenArabic("unreachable-endpoint", said)
	b.clean("an unreachable endpoint")
}
