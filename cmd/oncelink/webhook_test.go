package main

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"oncelink/client"
	"oncelink/core"
	"oncelink/i18n"
)

// TestWebhookCommands manages an endpoint with the real binary's webhook
// commands against a real server, and checks what they print against what
// the endpoint receives: add prints the secret that signs the deliveries,
// deliveries shows them, rotate's secret signs the next ones, and delete
// ends them. Mistakes are usage errors that change nothing.
func TestWebhookCommands(t *testing.T) {
	var (
		mu       sync.Mutex
		secret   string
		verified int
	)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		wh, err := standardwebhooks.NewWebhook(secret)
		if err == nil {
			err = wh.Verify(body, r.Header)
		}
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		verified++
	}))
	t.Cleanup(receiver.Close)
	received := func() int {
		mu.Lock()
		defer mu.Unlock()
		return verified
	}

	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db, "--webhook-allow-private")
	signUp(t, s)
	sh := ownerShell(t, s, db)

	// Mistakes.
	sh.must(exitUsage, "", "webhook", "add", "--events", "link.opened")
	sh.must(exitUsage, "", "webhook", "add", receiver.URL+"/in")
	if r := sh.must(exitUsage, "", "webhook", "add", receiver.URL+"/in", "--events", "link.lost"); !strings.Contains(r.stderr, `--events: "link.lost" is not`) {
		t.Errorf("an unknown event: %q", r.stderr)
	}
	// A list of no event at all, however typed, is refused as such.
	for _, events := range []string{",", " , ,"} {
		if r := sh.must(exitUsage, "", "webhook", "add", receiver.URL+"/in", "--events", events); !strings.Contains(r.stderr, "--events names no event") {
			t.Errorf("--events %q: %q", events, r.stderr)
		}
	}
	// The server's refusal of the endpoint's address is a usage error too,
	// with no flag to name: the address is the argument.
	if r := sh.must(exitUsage, "", "webhook", "add", "ftp://x", "--events", "link.opened"); !strings.Contains(r.stderr, "https://") || strings.HasPrefix(r.stderr, "oncelink: --") {
		t.Errorf("an ftp endpoint: %q", r.stderr)
	}
	sh.must(exitUsage, "", "webhook", "rotate", "abc")
	sh.must(exitUsage, "", "webhook", "delete")
	sh.must(exitNotFound, "", "webhook", "deliveries", "999")
	if r := sh.must(exitDone, "", "webhook", "list"); strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("the mistakes made endpoints:\n%s", r.stdout)
	}

	// Add: the secret alone on standard output. The events are read as
	// people type them: spaces around the commas, a comma at the end.
	r := sh.must(exitDone, "", "webhook", "add", receiver.URL+"/in", "--events", " link.opened , link.used_up,")
	whsec := regexp.MustCompile(`^whsec_[A-Za-z0-9+/=]+\n$`)
	if !whsec.MatchString(r.stdout) || !strings.Contains(r.stderr, "shown this once") {
		t.Fatalf("add: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	mu.Lock()
	secret = strings.TrimSpace(r.stdout)
	mu.Unlock()
	list := sh.must(exitDone, "", "webhook", "list").stdout
	row := regexp.MustCompile(`(?m)^(\d+)\s+` + regexp.QuoteMeta(receiver.URL) + `/in\s+link\.opened,link\.used_up\s+active$`).FindStringSubmatch(list)
	if row == nil || strings.Contains(list, secret) {
		t.Fatalf("list:\n%s", list)
	}
	id := row[1]

	// A link opened once: opened and used up, both delivered and signed.
	link := strings.TrimSpace(sh.must(exitDone, "for the hook\n", "share").stdout)
	sh.must(exitDone, "", "open", link)
	eventually(t, 15*time.Second, "two signed deliveries", func() bool { return received() == 2 })
	deliveries := sh.must(exitDone, "", "webhook", "deliveries", id).stdout
	if strings.Count(deliveries, "delivered") != 2 || !strings.Contains(deliveries, "link.opened") || !strings.Contains(deliveries, "link.used_up") {
		t.Fatalf("deliveries:\n%s", deliveries)
	}
	// The table speaks the reader's language, but for the event names.
	sh.env = append(sh.env, "LANG=de_DE.UTF-8")
	if de := sh.must(exitDone, "", "webhook", "deliveries", id).stdout; strings.Count(de, "zugestellt") != 2 || !strings.Contains(de, "link.opened") {
		t.Fatalf("deliveries in German:\n%s", de)
	}
	sh.env = sh.env[:len(sh.env)-1]

	// Rotate: a new secret, which signs what follows.
	r = sh.must(exitDone, "", "webhook", "rotate", id)
	if !whsec.MatchString(r.stdout) || strings.TrimSpace(r.stdout) == secret {
		t.Fatalf("rotate: stdout %q", r.stdout)
	}
	mu.Lock()
	secret = strings.TrimSpace(r.stdout)
	mu.Unlock()
	link = strings.TrimSpace(sh.must(exitDone, "after the rotation\n", "share").stdout)
	sh.must(exitDone, "", "open", link)
	eventually(t, 15*time.Second, "deliveries signed with the new secret", func() bool { return received() == 4 })

	// Test: a test message, signed as the others; as JSON, the endpoint,
	// whose previous secret still signs beside the new one.
	sh.must(exitUsage, "", "webhook", "test", "abc")
	sh.must(exitNotFound, "", "webhook", "test", "999")
	if r := sh.must(exitDone, "", "webhook", "test", id); r.stdout != i18n.For("en").T("cli.webhook.tested", "ID", id)+"\n" {
		t.Fatalf("test: %q", r.stdout)
	}
	eventually(t, 15*time.Second, "the test message", func() bool { return received() == 5 })
	var tested client.Webhook
	if r := sh.must(exitDone, "", "webhook", "test", id, "--json"); json.Unmarshal([]byte(r.stdout), &tested) != nil ||
		tested.DisabledAt != nil || tested.PreviousSecretUntil == nil {
		t.Fatalf("test --json: %s", r.stdout)
	}
	eventually(t, 15*time.Second, "the second test message", func() bool { return received() == 6 })

	// Delete: gone from the list, sent nothing more.
	if r := sh.must(exitDone, "", "webhook", "delete", id); r.stdout != "deleted endpoint "+id+"\n" {
		t.Fatalf("delete: %q", r.stdout)
	}
	sh.must(exitNotFound, "", "webhook", "delete", id)
	if list := sh.must(exitDone, "", "webhook", "list").stdout; strings.Contains(list, receiver.URL) {
		t.Fatalf("list after delete:\n%s", list)
	}
	// A notice is queued in the transaction of the open that causes it, so
	// once open has returned, the outbox holds all it ever will for it.
	db2, err := sql.Open("sqlite3", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	queued := func() int {
		t.Helper()
		var n int
		if err := db2.QueryRow(`SELECT COUNT(*) FROM notice_deliveries`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := queued()
	link = strings.TrimSpace(sh.must(exitDone, "no one hears\n", "share").stdout)
	sh.must(exitDone, "", "open", link)
	if after := queued(); after != before {
		t.Fatalf("an open after the delete queued %d deliveries", after-before)
	}
	if n := received(); n != 6 {
		t.Fatalf("the deleted endpoint received %d deliveries, want 6", n)
	}
	if r := sh.must(exitDone, "", "webhook", "list", "--json"); !strings.Contains(r.stdout, `"webhooks": []`) {
		t.Fatalf("list --json: %s", r.stdout)
	}
}

// TestLastAnswerSaysWhyADeliveryEnded: a delivery that ended unsent, its
// endpoint or its account disabled, says so in the reader's language,
// whatever an earlier attempt got.
func TestLastAnswerSaysWhyADeliveryEnded(t *testing.T) {
	p := &proc{loc: i18n.For("de")}
	code := http.StatusServiceUnavailable
	for _, c := range []struct {
		d    client.Delivery
		want string
	}{
		{client.Delivery{LastError: core.AccountDisabled, LastCode: &code}, "das Konto wurde deaktiviert"},
		{client.Delivery{LastError: core.EndpointDisabled}, "der Endpunkt ist ausgeschaltet"},
		{client.Delivery{LastCode: &code, LastError: "the endpoint answered 503 Service Unavailable"}, "503"},
	} {
		if got := lastAnswer(p, c.d); got != c.want {
			t.Errorf("%+v: %q, want %q", c.d, got, c.want)
		}
	}
}
