package notify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"oncelink/core"
	"oncelink/notify"
	"oncelink/store"
)

// tlsSMTPServer is the in-process mail server of the notify tests, with
// STARTTLS, whose AUTH PLAIN takes oncelink's credentials while ok is set
// and answers 535 otherwise; the mailer it returns trusts it.
func tlsSMTPServer(t *testing.T, ok *atomic.Bool) (*smtpServer, *notify.Mailer) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mail.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	box := &smtpServer{}
	var tried atomic.Bool
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &checkedAuth{authSession: authSession{smtpSession: smtpSession{srv: box}, tried: &tried}, ok: ok}, nil
	}))
	srv.Domain = "mail.test"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(countedListener{l, &box.conns})
	t.Cleanup(func() { srv.Close() })
	box.addr = l.Addr().String()
	m, err := notify.NewMailer("smtp://oncelink:s3cret-pass@"+box.addr, "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	notify.TrustForTest(m, roots, "127.0.0.1")
	return box, m
}

// countedListener counts the connections it accepts in n.
type countedListener struct {
	net.Listener
	n *atomic.Int32
}

func (l countedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// checkedAuth is a session whose AUTH PLAIN answers 535 unless ok.
type checkedAuth struct {
	authSession
	ok *atomic.Bool
}

func (s *checkedAuth) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if s.ok.Load() && user == "oncelink" && pass == "s3cret-pass" {
			return nil
		}
		return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
	}), nil
}

// TestWrongSMTPCredentialsAreLogged: a mail server that refuses oncelink's
// own credentials (535) is no passing trouble of one mail: the log says
// so plainly, once for as long as it goes on, however many notices meet
// it, and once again when it comes back after mails went through. The
// notices are still tried again, and go out once the credentials are
// right, within their day; the password is in no log line.
func TestWrongSMTPCredentialsAreLogged(t *testing.T) {
	var ok atomic.Bool
	smtpd, mailer := tlsSMTPServer(t, &ok)
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{Mailer: mailer})
	ctx := context.Background()
	if err := e.st.SetPendingAddress(ctx, e.owner.ID, "ada@example.org", []byte("h"), e.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.ConfirmAddress(ctx, e.owner.ID, []byte("h"), e.clock.Now(), []byte("nonce")); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	worker := e.worker(t, notify.Options{Mailer: mailer, Log: slog.New(slog.NewTextHandler(logs, nil))})
	credentials := func() int { return strings.Count(logs.String(), "refused oncelink's SMTP credentials") }
	link := e.createLink(t, "x", 5, true)

	// Two notices, each tried three times: one line.
	e.open(t, link.URL)
	e.open(t, link.URL)
	for _, wait := range []time.Duration{time.Minute, 3 * time.Minute, 0} {
		if n := runOnce(t, worker); n != 2 {
			t.Fatalf("attempted %d deliveries, want 2", n)
		}
		e.clock.Add(wait)
	}
	ds, err := e.st.EmailDeliveries(ctx, e.owner.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Status != store.DeliveryPending || !strings.Contains(d.LastError, "535") {
			t.Errorf("a delivery after the mail server refused the credentials: %+v", d)
		}
	}
	if n := credentials(); n != 1 {
		t.Fatalf("%d log lines say the credentials are refused, want 1:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "--smtp-url") ||
		!strings.Contains(logs.String(), "535") || strings.Contains(logs.String(), "s3cret-pass") {
		t.Errorf("the log line:\n%s", logs)
	}

	// Put right: the notices go out, and the log says so.
	ok.Store(true)
	e.clock.Add(11 * time.Minute)
	runOnce(t, worker)
	if n := len(smtpd.mails()); n != 2 {
		t.Fatalf("%d mails once the credentials are right, want 2", n)
	}
	if !strings.Contains(logs.String(), "takes oncelink's mail settings again") {
		t.Errorf("the log does not say the mails go out again:\n%s", logs)
	}

	// Wrong again: a new line.
	ok.Store(false)
	e.open(t, link.URL)
	runOnce(t, worker)
	if n := credentials(); n != 2 {
		t.Errorf("%d log lines say the credentials are refused, want 2:\n%s", n, logs)
	}
}

// syncBuffer is a log's text, written by the worker's senders at once.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

// TestMailSetupOnlyWhenItIs: a mail server that answers, refusing an
// address (550), is asked nothing more, and its refusal is the address's,
// not oncelink's settings'; one whose TLS certificate this machine does
// not trust is the settings', as every mail meets it.
func TestMailSetupOnlyWhenItIs(t *testing.T) {
	var ok atomic.Bool
	ok.Store(true)
	smtpd, mailer := tlsSMTPServer(t, &ok)
	smtpd.mu.Lock()
	smtpd.refuse = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	smtpd.mu.Unlock()
	err := mailer.SendConfirmation(t.Context(), "nobody@example.org", "https://share.example/x")
	var refused *core.MailRefused
	if !errors.As(err, &refused) || errors.Is(err, core.ErrMailSetup) {
		t.Errorf("a refused address: %v", err)
	}
	if n := smtpd.conns.Load(); n != 1 {
		t.Errorf("%d connections to the mail server for one refused mail, want 1", n)
	}

	untrusting, err := notify.NewMailer("smtp://oncelink:s3cret-pass@"+smtpd.addr, "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	err = untrusting.SendConfirmation(t.Context(), "ada@example.org", "https://share.example/x")
	if !errors.Is(err, core.ErrMailSetup) || !strings.Contains(err.Error(), "certificate") || strings.Contains(err.Error(), "s3cret-pass") {
		t.Errorf("an untrusted certificate: %v", err)
	}
}
