package main

import (
	"database/sql"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"oncelink/store"
)

// mailbox is a real SMTP server, in process, that keeps the mails it is
// sent, their quoted-printable parts decoded.
type mailbox struct {
	addr  string
	mu    sync.Mutex
	mails []string
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

type mailboxSession struct{ m *mailbox }

func (s *mailboxSession) Reset()                               {}
func (s *mailboxSession) Logout() error                        { return nil }
func (s *mailboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailboxSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailboxSession) Data(r io.Reader) error {
	b, err := io.ReadAll(quotedprintable.NewReader(r))
	s.m.mu.Lock()
	s.m.mails = append(s.m.mails, string(b))
	s.m.mu.Unlock()
	return err
}

// eventually waits up to within for cond.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestNoticesSurviveACrash runs the binary with email and webhooks: the
// link shared with share --notify mails its owner when opened; its webhook
// finds the endpoint down, the server is killed with the delivery pending,
// and the server started again delivers it, once, signed.
func TestNoticesSurviveACrash(t *testing.T) {
	box := newMailbox(t)
	var (
		mu       sync.Mutex
		down     = true
		refused  int
		accepted []string
		secret   string
	)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if down {
			refused++
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		wh, err := standardwebhooks.NewWebhook(secret)
		if err == nil {
			err = wh.Verify(body, r.Header)
		}
		if err != nil {
			t.Errorf("signature refused: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		accepted = append(accepted, r.Header.Get("webhook-id")+" "+string(body))
	}))
	t.Cleanup(receiver.Close)

	db := filepath.Join(t.TempDir(), "oncelink.db")
	flags := []string{"--webhook-allow-private", "--smtp-url", "smtp://" + box.addr, "--mail-from", "oncelink <notices@oncelink.test>"}
	s := startServer(t, db, flags...)
	web := signUp(t, s)

	// The notice address, confirmed through the mailed link.
	if code, body := postForm(t, web, s.URL+"/settings/notices/address", url.Values{"address": {"owner@example.org"}}); code != http.StatusSeeOther {
		t.Fatalf("set address: %d %.300s", code, body)
	}
	eventually(t, 10*time.Second, "the confirmation mail", func() bool { return len(box.all()) == 1 })
	confirm := regexp.MustCompile(`/settings/notices/confirm/[A-Za-z0-9_-]{43}`).FindString(box.all()[0])
	if code, body := postForm(t, web, s.URL+confirm, url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("confirm: %d %.300s", code, body)
	}
	if code, body := getPage(t, web, s.URL+"/settings"); code != http.StatusOK || !strings.Contains(body, "Email notices now go to") {
		t.Fatalf("settings after the confirmation: %d %.300s", code, body)
	}
	// An endpoint, whose secret the page shows once.
	code, body := postForm(t, web, s.URL+"/settings/webhooks", url.Values{"url": {receiver.URL + "/in"}, "events": {"link.opened"}})
	m := regexp.MustCompile(`value="(whsec_[A-Za-z0-9+/=]+)"`).FindStringSubmatch(body)
	if code != http.StatusCreated || m == nil {
		t.Fatalf("add webhook: %d %.300s", code, body)
	}
	mu.Lock()
	secret = m[1]
	mu.Unlock()

	sh := ownerShell(t, s, db)
	link := strings.TrimSpace(sh.must(exitDone, "", "share", "--notify", "--label", "Crash test", "the secret").stdout)
	quiet := strings.TrimSpace(sh.must(exitDone, "", "share", "--label", "No mail", "another").stdout)
	for _, l := range []string{quiet, link} {
		if code := openInBrowser(t, l); code != http.StatusOK && code != http.StatusSeeOther {
			t.Fatalf("open %d", code)
		}
	}

	// The mail goes out at once; the webhook finds the endpoint down. The
	// server is killed only once it has written the mail down as
	// delivered: killed between the mail server's answer and that write,
	// it would rightly send the mail again.
	eventually(t, 15*time.Second, "the notice mail", func() bool { return len(box.all()) >= 2 })
	eventually(t, 15*time.Second, "the notice mail written down as delivered", func() bool {
		conn, err := sql.Open("sqlite3", "file:"+db+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var n int
		err = conn.QueryRow(`SELECT COUNT(*) FROM notice_deliveries WHERE webhook_id IS NULL AND status = ?`, store.DeliveryDelivered).Scan(&n)
		return err == nil && n == 1
	})
	eventually(t, 15*time.Second, "the webhook attempts", func() bool { mu.Lock(); defer mu.Unlock(); return refused >= 2 })
	mail := box.all()[1]
	tok := link[strings.LastIndex(link, "/")+1:]
	for _, want := range []string{"Crash test", "was opened", "127.0.0.1", "Firefox"} {
		if !strings.Contains(mail, want) {
			t.Errorf("the mail does not say %q:\n%s", want, mail)
		}
	}
	if strings.Contains(mail, tok) || strings.Contains(mail, "/l/") {
		t.Errorf("the mail carries the link:\n%s", mail)
	}
	// Its unsubscribe link, made with the server's own key, names the
	// address to anyone who follows it, signed in or not.
	unsubscribe := regexp.MustCompile(`List-Unsubscribe: <(` + regexp.QuoteMeta(s.URL) + `/unsubscribe/[A-Za-z0-9_-]{32})>`).FindStringSubmatch(mail)
	if unsubscribe == nil {
		t.Fatalf("no unsubscribe link in the mail's List-Unsubscribe:\n%s", mail)
	}
	if code, body := getPage(t, newClient(), unsubscribe[1]); code != http.StatusOK || !strings.Contains(body, "owner@example.org") {
		t.Errorf("the unsubscribe link: %d %.300s", code, body)
	}
	s.kill()
	first := s

	mu.Lock()
	down = false
	mu.Unlock()
	s = startServer(t, db, flags...)
	// The first retry comes within a minute of the first attempt.
	eventually(t, 90*time.Second, "the webhook after the restart", func() bool { mu.Lock(); defer mu.Unlock(); return len(accepted) >= 2 })
	time.Sleep(2 * time.Second) // nothing more arrives
	mu.Lock()
	defer mu.Unlock()
	if len(accepted) != 2 {
		t.Errorf("the endpoint accepted %d messages, want 2: %v", len(accepted), accepted)
	}
	ids := map[string]bool{}
	for _, a := range accepted {
		id, body, _ := strings.Cut(a, " ")
		ids[id] = true
		if !strings.Contains(body, `"type":"link.opened"`) || strings.Contains(body, tok) {
			t.Errorf("body %s", body)
		}
	}
	if len(ids) != 2 {
		t.Errorf("webhook-ids %v", ids)
	}
	if len(box.all()) != 2 {
		t.Errorf("%d mails, want the confirmation and one notice", len(box.all()))
	}
	if logs := first.logs.String() + s.logs.String(); strings.Contains(logs, confirm[len(confirm)-43:]) || strings.Contains(logs, tok) ||
		strings.Contains(logs, unsubscribe[1][len(unsubscribe[1])-32:]) {
		t.Error("a log holds the confirmation token, a link's or the unsubscribe link's")
	}
}
