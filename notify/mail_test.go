package notify_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/notify"
	"oncelink/store"
)

// smtpServer is a real SMTP server, in process, that keeps what it is sent.
type smtpServer struct {
	addr string
	mu   sync.Mutex
	msgs []sentMail
	// refuse, when set, is the server's reply to every recipient, and
	// refuseSender to every sender.
	refuse, refuseSender *smtp.SMTPError
	// conns counts the connections of a server that counts them.
	conns atomic.Int32
}

type sentMail struct {
	From string
	To   []string
	Data []byte
}

func newSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	s := &smtpServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: s}, nil }))
	srv.Domain = "mail.test"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *smtpServer) mails() []sentMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sentMail(nil), s.msgs...)
}

type smtpSession struct {
	srv *smtpServer
	m   sentMail
}

func (s *smtpSession) Reset()        { s.m = sentMail{} }
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if s.srv.refuseSender != nil {
		return s.srv.refuseSender
	}
	s.m.From = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if s.srv.refuse != nil {
		return s.srv.refuse
	}
	s.m.To = append(s.m.To, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.Data = b
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, s.m)
	s.srv.mu.Unlock()
	return nil
}

// parts reads a mail's subject and its text and HTML parts.
func parts(t *testing.T, raw []byte) (subject, text, html string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			text = string(b)
		case "text/html":
			html = string(b)
		}
	}
	return subject, text, html
}

// mailEnv is a new environment that mails, from from, through an SMTP
// server of its own; mailer is for its workers.
func mailEnv(t *testing.T, from string) (e *env, smtpd *smtpServer, mailer *notify.Mailer) {
	t.Helper()
	smtpd = newSMTPServer(t)
	mailer, err := notify.NewMailer("smtp://"+smtpd.addr, from)
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{Mailer: mailer}), smtpd, mailer
}

func TestEmailNotices(t *testing.T) {
	e, smtpd, mailer := mailEnv(t, "oncelink <notices@share.example>")
	ctx := context.Background()
	if err := e.svc.SetNoticeAddress(ctx, e.owner.ID, "ada@example.org"); err != nil {
		t.Fatal(err)
	}
	ms := smtpd.mails()
	if len(ms) != 1 || ms[0].To[0] != "ada@example.org" || ms[0].From != "notices@share.example" {
		t.Fatalf("confirmation mails %+v", ms)
	}
	_, text, html := parts(t, ms[0].Data)
	confirm := regexp.MustCompile(`https://share\.example/settings/notices/confirm/([A-Za-z0-9_-]{43})`).FindStringSubmatch(text)
	if confirm == nil || !strings.Contains(html, confirm[0]) {
		t.Fatalf("no confirmation link in\n%s\n%s", text, html)
	}
	// Not yet confirmed: a link cannot ask for notices, and nothing is
	// made.
	refusedNotify(t, e, "notice_address_missing")
	if _, err := e.svc.ConfirmNoticeAddress(ctx, e.owner.ID, strings.Repeat("A", 43)); err == nil {
		t.Error("a made-up confirmation token was taken")
	}
	if addr, err := e.svc.ConfirmNoticeAddress(ctx, e.owner.ID, confirm[1]); err != nil || addr != "ada@example.org" {
		t.Fatalf("confirm: %q, %v", addr, err)
	}
	if _, err := e.svc.ConfirmNoticeAddress(ctx, e.owner.ID, confirm[1]); err == nil {
		t.Error("a confirmation token worked twice")
	}

	quiet := e.createLink(t, "no notices", 1, false)
	e.open(t, quiet.URL)
	loud := e.createLink(t, "Tax papers 2026", 1, true)
	e.open(t, loud.URL)
	if n := runOnce(t, e.worker(t, notify.Options{Mailer: mailer, BaseURL: "https://share.example", Unsubscribe: e.svc.UnsubscribeToken})); n != 1 {
		t.Fatalf("attempted %d deliveries, want the one opened link that asked", n)
	}
	ms = smtpd.mails()
	if len(ms) != 2 {
		t.Fatalf("%d mails", len(ms))
	}
	subject, text, html := parts(t, ms[1].Data)
	_, tok, _ := strings.Cut(loud.URL, "/l/")
	for _, part := range []string{subject, text, html} {
		if strings.Contains(part, tok) || strings.Contains(part, "/l/") {
			t.Errorf("the mail carries the link's token or URL:\n%s", part)
		}
	}
	when := e.clock.Now().UTC().Format("15:04")
	// The mail leads to the link's page, which only its owner can see.
	page := "https://share.example/links/" + strconv.FormatInt(loud.Link.ID, 10)
	for _, want := range []string{"Tax papers 2026", "was opened", "198.51.100.7", "Firefox", when, page} {
		if !strings.Contains(text, want) || !strings.Contains(html, want) {
			t.Errorf("the mail does not say %q:\n%s\n%s", want, text, html)
		}
	}
	if !strings.Contains(subject, "Tax papers 2026") {
		t.Errorf("subject %q", subject)
	}
	// The settings, where the address is removed, stop such mails: the
	// mail leads there. Its unsubscribe link stops them without a
	// sign-in: the mail leads there too, and a mail client posts to it
	// (RFC 8058). It is for this account and this address. The settings
	// open at their notifications, which the mail names.
	settings := "https://share.example/settings#notices-heading"
	if !strings.Contains(text, settings) || !strings.Contains(html, `href="`+settings+`"`) {
		t.Errorf("the mail does not lead to %s:\n%s\n%s", settings, text, html)
	}
	unsubscribe := e.unsubscribeLink(t)
	if !strings.Contains(text, unsubscribe) || !strings.Contains(html, `href="`+unsubscribe+`"`) {
		t.Errorf("the mail does not lead to %s:\n%s\n%s", unsubscribe, text, html)
	}
	m, err := mail.ReadMessage(strings.NewReader(string(ms[1].Data)))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("List-Unsubscribe"); got != "<"+unsubscribe+">" {
		t.Errorf("List-Unsubscribe: %q, want <%s>", got, unsubscribe)
	}
	if got := m.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post: %q", got)
	}
	// The confirmation is no notice: nothing to unsubscribe from.
	if m, err := mail.ReadMessage(strings.NewReader(string(ms[0].Data))); err != nil ||
		m.Header.Get("List-Unsubscribe") != "" || m.Header.Get("List-Unsubscribe-Post") != "" {
		t.Errorf("the confirmation mail offers to unsubscribe (%v)", err)
	}
	ds, _ := e.st.EmailDeliveries(ctx, e.owner.ID, 10)
	if len(ds) != 1 || ds[0].Status != store.DeliveryDelivered {
		t.Errorf("email deliveries %+v", ds)
	}

	// A request answered: the mail calls it a request, and names the
	// sender's address and browser as an open names the recipient's. It
	// leads to the request's own address, which brings its owner to its
	// row while it is kept and says that it is gone once it is not.
	rtok, rid := e.answer(t, "VPN password", "hunter2", core.Client{IP: "203.0.113.9", UserAgent: "curl/8.11.1"})
	if n := runOnce(t, e.worker(t, notify.Options{Mailer: mailer, BaseURL: "https://share.example", Unsubscribe: e.svc.UnsubscribeToken})); n != 1 {
		t.Fatalf("attempted %d deliveries, want the answered request's", n)
	}
	ms = smtpd.mails()
	_, text, html = parts(t, ms[len(ms)-1].Data)
	if m, err := mail.ReadMessage(strings.NewReader(string(ms[len(ms)-1].Data))); err != nil ||
		m.Header.Get("List-Unsubscribe") != "<"+unsubscribe+">" || !strings.Contains(text, unsubscribe) {
		t.Errorf("the mail of an answered request does not offer %s (%v):\n%s", unsubscribe, err, text)
	}
	row := "https://share.example/requests/" + strconv.FormatInt(rid, 10)
	for _, want := range []string{"Your request", "VPN password", "203.0.113.9", "curl", row} {
		if !strings.Contains(text, want) || !strings.Contains(html, want) {
			t.Errorf("the mail of an answered request does not say %q:\n%s\n%s", want, text, html)
		}
	}
	if !strings.Contains(html, `href="`+row+`"`) {
		t.Errorf("the mail of an answered request does not lead to %s:\n%s", row, html)
	}
	// What was sent is read at the request's address, by the button
	// there, until the link it made ends: the mail says until when.
	answered, err := e.st.OwnedRequest(ctx, e.owner.ID, rid)
	if err != nil {
		t.Fatal(err)
	}
	made, err := e.st.LinkByID(ctx, answered.LinkID)
	if err != nil {
		t.Fatal(err)
	}
	until := i18n.For("en").WhenIn(made.ExpiresAt, nil)
	for _, part := range []string{text, html} {
		if part = strings.Join(strings.Fields(part), " "); !strings.Contains(part, "Open what was sent") || !strings.Contains(part, until) {
			t.Errorf("the mail of an answered request does not say where and until %s it is read:\n%s", until, part)
		}
	}
	if strings.Contains(text, "hunter2") || strings.Contains(text, rtok) {
		t.Errorf("the mail tells what was sent, or the request's token:\n%s", text)
	}
	// Sent once the link it made has expired, the mail says that what
	// was sent can no longer be opened, not that it opens once.
	_, late := e.answer(t, "Wi-Fi key", "hunter3", core.Client{IP: "203.0.113.9"})
	if answered, err = e.st.OwnedRequest(ctx, e.owner.ID, late); err != nil {
		t.Fatal(err)
	}
	if made, err = e.st.LinkByID(ctx, answered.LinkID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(made.ExpiresAt.Sub(e.clock.Now()) + time.Minute)
	if n := runOnce(t, e.worker(t, notify.Options{Mailer: mailer, BaseURL: "https://share.example"})); n != 1 {
		t.Fatalf("attempted %d deliveries, want the late request's", n)
	}
	ms = smtpd.mails()
	_, text, html = parts(t, ms[len(ms)-1].Data)
	closed := i18n.For("en").T("mail.notice.request_fulfilled.read_closed")
	for _, part := range []string{text, html} {
		if part = strings.Join(strings.Fields(part), " "); !strings.Contains(part, closed) || strings.Contains(part, "opens once") {
			t.Errorf("the mail of a request whose link expired does not say it can no longer be opened:\n%s", part)
		}
	}
	// So does it once that link is purged, as a short retention can
	// purge it while the mail is still being retried.
	_, purged := e.answer(t, "Alarm code", "hunter4", core.Client{IP: "203.0.113.9"})
	if answered, err = e.st.OwnedRequest(ctx, e.owner.ID, purged); err != nil {
		t.Fatal(err)
	}
	if made, err = e.st.LinkByID(ctx, answered.LinkID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(made.ExpiresAt.Sub(e.clock.Now()) + 2*time.Minute)
	if _, err := e.st.Sweep(ctx, time.Second, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.LinkByID(ctx, answered.LinkID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the request's link after the sweep: %v, want it purged", err)
	}
	sent := len(smtpd.mails())
	runOnce(t, e.worker(t, notify.Options{Mailer: mailer, BaseURL: "https://share.example"}))
	found := false
	for _, m := range smtpd.mails()[sent:] {
		_, text, html := parts(t, m.Data)
		// The request is purged with it: the mail names it by its number.
		if !strings.Contains(text, i18n.For("en").T("mail.notice.request_number", "ID", purged)) {
			continue
		}
		found = true
		for _, part := range []string{text, html} {
			if part = strings.Join(strings.Fields(part), " "); !strings.Contains(part, closed) || strings.Contains(part, "opens once") {
				t.Errorf("the mail of a request whose link was purged does not say it can no longer be opened:\n%s", part)
			}
		}
	}
	if !found {
		t.Errorf("no mail for the request whose link was purged")
	}
	// Removing the address stops the notices of links that asked for
	// them, and new links cannot ask.
	before := e.createLink(t, "before removing", 1, true)
	if err := e.svc.RemoveNoticeAddress(ctx, e.owner.ID); err != nil {
		t.Fatal(err)
	}
	e.open(t, before.URL)
	if n, _ := e.st.OutboxDepth(ctx); n != 0 {
		t.Errorf("outbox %d after the address was removed", n)
	}
	refusedNotify(t, e, "notice_address_missing")
}

// refusedNotify checks that a link asking for notices is refused with
// code, about notify, and that no link was made.
func refusedNotify(t *testing.T, e *env, code string) {
	t.Helper()
	ctx := context.Background()
	count := func() int {
		ls, err := e.st.Links(ctx, e.owner.ID, store.ListOptions{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(ls)
	}
	before := count()
	d := e.svc.NewDraft()
	defer d.Close()
	_, err := e.svc.Create(ctx, e.owner.ID, d, core.LinkInput{Kind: core.KindMessage, Message: "the secret", TTL: "1h", Notify: true})
	if ce, ok := core.AsError(err); !ok || ce.Code != code || ce.Field != "notify" {
		t.Errorf("a link asking for notices: %v, want %s about notify", err, code)
	}
	if made := count() - before; made != 0 {
		t.Errorf("%d links made", made)
	}
}

// A mail server's permanent refusal (5xx) fails a notice at once, with the
// server's reason; a transient one (4xx) is retried, as a server that
// cannot be reached is.
func TestRefusedMailsAreNotRetried(t *testing.T) {
	e, smtpd, mailer := mailEnv(t, "notices@share.example")
	ctx := context.Background()
	if err := e.st.SetPendingAddress(ctx, e.owner.ID, "ada@example.org", []byte("h"), e.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.ConfirmAddress(ctx, e.owner.ID, []byte("h"), e.clock.Now(), []byte("nonce")); err != nil {
		t.Fatal(err)
	}
	worker := e.worker(t, notify.Options{Mailer: mailer})
	deliveries := func() []store.Delivery {
		t.Helper()
		ds, err := e.st.EmailDeliveries(ctx, e.owner.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	link := e.createLink(t, "x", 3, true)

	smtpd.mu.Lock()
	smtpd.refuse = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	smtpd.mu.Unlock()
	e.open(t, link.URL)
	runOnce(t, worker)
	if ds := deliveries(); len(ds) != 1 || ds[0].Status != store.DeliveryPending || !strings.Contains(ds[0].LastError, "451") {
		t.Fatalf("after a 451: %+v", ds)
	}

	smtpd.mu.Lock()
	smtpd.refuse = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	smtpd.mu.Unlock()
	e.clock.Add(time.Minute)
	if n := runOnce(t, worker); n != 1 {
		t.Fatalf("attempted %d, want the retry of the 451", n)
	}
	e.open(t, link.URL)
	runOnce(t, worker)
	for _, d := range deliveries() {
		if d.Status != store.DeliveryFailed || !strings.Contains(d.LastError, "550") || !strings.Contains(d.LastError, "mailbox unavailable") {
			t.Errorf("after a 550: %+v", d)
		}
	}
	e.clock.Add(time.Hour)
	if n := runOnce(t, worker); n != 0 {
		t.Errorf("%d attempts after the server refused the mails for good", n)
	}
}

// An account sends a few confirmation mails an hour, whatever addresses
// it names, and no more: the server is no one's tool to fill another's
// mailbox. The limit holds with the rate limits off.
func TestConfirmationMailsAreFew(t *testing.T) {
	e, smtpd, _ := mailEnv(t, "oncelink <notices@share.example>")
	ctx := context.Background()
	for i := range 5 {
		if err := e.svc.SetNoticeAddress(ctx, e.owner.ID, "victim@example.org"); err != nil {
			t.Fatalf("confirmation %d: %v", i+1, err)
		}
	}
	err := e.svc.SetNoticeAddress(ctx, e.owner.ID, "someone.else@example.org")
	if ce, ok := core.AsError(err); !ok || ce.Kind != core.Limited || ce.RetryAfter <= 0 {
		t.Fatalf("a sixth confirmation within the hour: %v", err)
	}
	if n := len(smtpd.mails()); n != 5 {
		t.Fatalf("%d confirmation mails went out, want 5", n)
	}
}

func TestEmailNeedsTheFlags(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{})
	if e.svc.EmailOn() {
		t.Error("email on without a mailer")
	}
	err := e.svc.SetNoticeAddress(context.Background(), e.owner.ID, "ada@example.org")
	if ce, ok := core.AsError(err); !ok || ce.Code != "email_off" {
		t.Errorf("set address without email: %v", err)
	}
	refusedNotify(t, e, "email_off")
	for _, bad := range []string{"smtp://", "http://mail.example", "smtp://mail.example:port"} {
		if _, err := notify.NewMailer(bad, "a@b.example"); !errors.Is(err, notify.ErrSMTPURL) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	for _, bad := range []string{"", "notices", "a@b.example, c@d.example"} {
		if _, err := notify.NewMailer("smtp://mail.example", bad); !errors.Is(err, notify.ErrMailFrom) {
			t.Errorf("--mail-from %q: %v", bad, err)
		}
	}
}

// authSession is an SMTP session that offers AUTH PLAIN and notes whether
// a client tried it.
type authSession struct {
	smtpSession
	tried *atomic.Bool
}

func (s *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *authSession) Auth(string) (sasl.Server, error) {
	s.tried.Store(true)
	return sasl.NewPlainServer(func(string, string, string) error { return nil }), nil
}

// TestNoPasswordOverPlainText: a server that offers AUTH PLAIN without TLS
// is never sent the password of --smtp-url; the mail is not sent either.
func TestNoPasswordOverPlainText(t *testing.T) {
	box := &smtpServer{}
	var tried atomic.Bool
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &authSession{smtpSession: smtpSession{srv: box}, tried: &tried}, nil
	}))
	srv.Domain, srv.AllowInsecureAuth = "mail.test", true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	m, err := notify.NewMailer("smtp://oncelink:s3cret@"+l.Addr().String(), "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	err = m.SendConfirmation(context.Background(), "ada@example.org", "https://share.example/x")
	if err == nil {
		t.Error("mail sent with a password over plain text")
	}
	// The error says it is the server's settings, and which: not the
	// address, nor something to try again.
	if !errors.Is(err, core.ErrMailSetup) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("the error: %v", err)
	}
	if tried.Load() || len(box.mails()) != 0 {
		t.Errorf("AUTH tried: %v; mails: %d", tried.Load(), len(box.mails()))
	}
	// The form says so, and the log why.
	logs := &syncBuffer{}
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{Mailer: m}, slog.New(slog.NewTextHandler(logs, nil)))
	err = e.svc.SetNoticeAddress(context.Background(), e.owner.ID, "ada@example.org")
	ce, ok := core.AsError(err)
	if !ok || ce.Code != "mail_failed" || ce.Kind != core.Unavailable ||
		ce.Message(i18n.For("en")) != core.Variant(core.Unavailable, "mail_failed", "setup", "", "").Message(i18n.For("en")) {
		t.Errorf("set an address: %v", err)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "offers no STARTTLS") || strings.Contains(logs.String(), "s3cret") {
		t.Errorf("the log:\n%s", logs)
	}
}

// TestConfirmationNotSent: an address whose confirmation mail the mail
// server did not take is refused as "try again", and is not left pending,
// which the settings would show as a mail on its way. An address
// confirmed before stays.
func TestConfirmationNotSent(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close() // a mail server that is not there
	mailer, err := notify.NewMailer("smtp://"+down, "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{Mailer: mailer})
	ctx := context.Background()
	if err := e.st.SetPendingAddress(ctx, e.owner.ID, "old@example.org", []byte("h"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.ConfirmAddress(ctx, e.owner.ID, []byte("h"), time.Now(), []byte("nonce")); err != nil {
		t.Fatal(err)
	}
	err = e.svc.SetNoticeAddress(ctx, e.owner.ID, "ada@example.org")
	if ce, ok := core.AsError(err); !ok || ce.Code != "mail_failed" || ce.Kind != core.Unavailable {
		t.Fatalf("set an address with the mail server down: %v", err)
	}
	a, _, err := e.svc.NoticeAddress(ctx, e.owner.ID)
	if err != nil || a.Pending != "" || a.Address != "old@example.org" {
		t.Fatalf("after a confirmation mail that was not sent: %+v, %v", a, err)
	}
}

// TestARefusedAddressIsSaidSo: an address whose confirmation mail the
// mail server refuses for good (5xx) is refused with the server's reply,
// in the reader's language, and not as something to try again; a refusal
// for now (4xx), or of the sender rather than the address, is still one
// to try again later. None leaves the address pending.
func TestARefusedAddressIsSaidSo(t *testing.T) {
	e, smtpd, _ := mailEnv(t, "notices@share.example")
	ctx := context.Background()
	refuse := func(rcpt, sender *smtp.SMTPError) {
		smtpd.mu.Lock()
		smtpd.refuse, smtpd.refuseSender = rcpt, sender
		smtpd.mu.Unlock()
	}
	set := func(lang string) (*core.Error, string) {
		t.Helper()
		err := e.svc.SetNoticeAddress(ctx, e.owner.ID, "ada@example.org")
		ce, ok := core.AsError(err)
		if !ok {
			t.Fatalf("set an address the mail server refuses: %v", err)
		}
		if a, _, err := e.svc.NoticeAddress(ctx, e.owner.ID); err != nil || a.Pending != "" {
			t.Errorf("after a confirmation mail that was not sent: %+v, %v", a, err)
		}
		return ce, ce.Message(i18n.For(lang))
	}

	refuse(&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, nil)
	ce, msg := set("en")
	if ce.Code != "mail_refused" || ce.Kind != core.Invalid || ce.Field != "address" {
		t.Errorf("a 550: %s %v about %q, want mail_refused, invalid, about the address", ce.Code, ce.Kind, ce.Field)
	}
	if !strings.Contains(msg, "550 5.1.1 no such user") || strings.Contains(msg, "try again") {
		t.Errorf("a 550 says %q", msg)
	}
	if _, de := set("de"); !strings.Contains(de, "„\u2068550 5.1.1 no such user\u2069“") {
		t.Errorf("a 550, in German: %q", de)
	}

	for _, c := range []struct{ rcpt, sender *smtp.SMTPError }{
		{&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}, nil},
		{nil, &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "sender not allowed"}},
	} {
		refuse(c.rcpt, c.sender)
		ce, msg := set("en")
		if ce.Code != "mail_failed" || ce.Kind != core.Unavailable || !strings.Contains(msg, "try again later") {
			t.Errorf("%+v %+v: %s %v, %q", c.rcpt, c.sender, ce.Code, ce.Kind, msg)
		}
	}
	if n := len(smtpd.mails()); n != 0 {
		t.Errorf("%d mails went out", n)
	}
}

// TestMailHeaders: a mail is dated, says it comes from a program, which
// out-of-office replies leave alone, and its Message-ID is unique and under
// the sender's domain, not the name of whatever host sent it.
func TestMailHeaders(t *testing.T) {
	smtpd := newSMTPServer(t)
	m, err := notify.NewMailer("smtp://"+smtpd.addr, "oncelink <notices@share.example>")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := m.SendConfirmation(context.Background(), "ada@example.org", "https://share.example/x"); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]bool{}
	for _, sent := range smtpd.mails() {
		msg, err := mail.ReadMessage(strings.NewReader(string(sent.Data)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := msg.Header.Date(); err != nil {
			t.Errorf("Date: %v", err)
		}
		if got := msg.Header.Get("Auto-Submitted"); got != "auto-generated" {
			t.Errorf("Auto-Submitted %q", got)
		}
		for _, h := range []string{"User-Agent", "X-Mailer"} {
			if got := msg.Header.Get(h); got != "" {
				t.Errorf("%s %q", h, got)
			}
		}
		id := msg.Header.Get("Message-ID")
		if !regexp.MustCompile(`^<[0-9a-f]{32}@share\.example>$`).MatchString(id) || ids[id] {
			t.Errorf("Message-ID %q", id)
		}
		ids[id] = true
	}
}

// TestOneClickOnlyOverHTTPS: a notice mail claims one-click unsubscribe
// (List-Unsubscribe-Post) only when its unsubscribe link is https, as
// RFC 8058 requires of the List-Unsubscribe it goes with; over http the
// link is still its List-Unsubscribe, a page that asks.
func TestOneClickOnlyOverHTTPS(t *testing.T) {
	smtpd := newSMTPServer(t)
	m, err := notify.NewMailer("smtp://"+smtpd.addr, "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{"https://share.example", "http://share.example"} {
		n := notify.Notice{Type: store.NoticeLinkOpened, Label: "tax", At: time.Now(), Settings: base + "/settings",
			Unsubscribe: base + "/unsubscribe/AAAAAAAAAAFovZ5UPoduoAp07xnPEupr"}
		if err := m.SendNotice(context.Background(), "ada@example.org", n); err != nil {
			t.Fatal(err)
		}
		ms := smtpd.mails()
		msg, err := mail.ReadMessage(strings.NewReader(string(ms[len(ms)-1].Data)))
		if err != nil {
			t.Fatal(err)
		}
		post := ""
		if strings.HasPrefix(base, "https:") {
			post = "List-Unsubscribe=One-Click"
		}
		if got := msg.Header.Get("List-Unsubscribe"); got != "<"+n.Unsubscribe+">" {
			t.Errorf("%s: List-Unsubscribe %q", base, got)
		}
		if got := msg.Header.Get("List-Unsubscribe-Post"); got != post {
			t.Errorf("%s: List-Unsubscribe-Post %q, want %q", base, got, post)
		}
	}
}

// TestARefusedAddressRepliesAreBounded: a mail server's reply, as a
// refused address's message repeats it, is one line of text of at most
// 200 bytes and stays within its isolate, however long it is or whatever
// it holds.
func TestARefusedAddressRepliesAreBounded(t *testing.T) {
	e, smtpd, _ := mailEnv(t, "notices@share.example")
	ctx := context.Background()
	long := "no such user \u2069\u202eevil " + strings.Repeat("é", 300)
	smtpd.mu.Lock()
	smtpd.refuse = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: long}
	smtpd.mu.Unlock()
	err := e.svc.SetNoticeAddress(ctx, e.owner.ID, "ada@example.org")
	ce, ok := core.AsError(err)
	if !ok || ce.Code != "mail_refused" {
		t.Fatalf("set an address the mail server refuses at length: %v", err)
	}
	msg := ce.Message(i18n.For("en"))
	_, quoted, _ := strings.Cut(msg, "“\u2068")
	quoted, _, found := strings.Cut(quoted, "\u2069”")
	if !found {
		t.Fatalf("the reply is not isolated in %q", msg)
	}
	if !strings.HasPrefix(quoted, "550 5.1.1 no such user ") || !strings.HasSuffix(quoted, "…") || len(strings.TrimSuffix(quoted, "…")) > 200 {
		t.Errorf("a long reply is repeated as %q (%d bytes)", quoted, len(quoted))
	}
	if strings.ContainsAny(quoted, "\u2069\n\r") || !utf8.ValidString(quoted) {
		t.Errorf("the reply breaks out of its line or its isolate: %q", quoted)
	}

	// A short reply's bytes that are not text are not repeated either.
	smtpd.mu.Lock()
	smtpd.refuse = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such \xffuser"}
	smtpd.mu.Unlock()
	ce, ok = core.AsError(e.svc.SetNoticeAddress(ctx, e.owner.ID, "ada@example.org"))
	if !ok || ce.Code != "mail_refused" {
		t.Fatalf("set an address the mail server refuses in bytes: %v", ce)
	}
	if msg := ce.Message(i18n.For("en")); !utf8.ValidString(msg) || !strings.Contains(msg, "550 5.1.1 no such user") {
		t.Errorf("a reply with a byte that is not text is repeated as %q", msg)
	}
}
