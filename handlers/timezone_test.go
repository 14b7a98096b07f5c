package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/notify"
)

// TestTimeZoneForm: the email notices take the time zone their mails write
// times in from the settings page, in a plain form or through htmx, an
// empty one being UTC; a zone that is refused shows its reason beside the
// field, with what was typed, and changes nothing.
func TestTimeZoneForm(t *testing.T) {
	box := newMailbox(t)
	mailer, err := notify.NewMailer("smtp://"+box.addr, "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, func(c *core.Config) { c.Mailer = mailer })
	ada := s.admin()
	kept := func() string {
		t.Helper()
		a, err := s.store.AccountByName(context.Background(), "ada")
		if err != nil {
			t.Fatal(err)
		}
		return a.TimeZone
	}
	// form is the settings page's zone form: what it says is the zone, and
	// its field.
	form := func(body string) (said string, input *html.Node) {
		t.Helper()
		page := parseHTML(t, body)
		current := findAll(page, byTestID("time-zone"))
		input = elementByID(page, "time-zone")
		if len(current) != 1 || input == nil || attr(input, "name") != "time_zone" {
			t.Fatalf("no time zone form on the page:\n%s", body)
		}
		return strings.Join(strings.Fields(textOf(current[0])), " "), input
	}

	said, input := form(ada.get("/settings").body)
	if said != "Mails write times in UTC." || attr(input, "value") != "" {
		t.Errorf("before any choice: %q, the field holds %q", said, attr(input, "value"))
	}

	res := ada.post("/settings/notices/time-zone", url.Values{"time_zone": {" Asia/Tokyo "}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings#notices-heading" {
		t.Fatalf("set a zone: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if got := kept(); got != "Asia/Tokyo" {
		t.Fatalf("the account's zone is %q", got)
	}
	res = ada.get("/settings")
	said, input = form(res.body)
	if said != "Mails write times in Asia/Tokyo." || attr(input, "value") != "Asia/Tokyo" {
		t.Errorf("after choosing Tokyo: %q, the field holds %q", said, attr(input, "value"))
	}
	if msg := findAll(parseHTML(t, res.body), byTestID("notices-message")); len(msg) != 1 || textOf(msg[0]) != "Mails now write times in Asia/Tokyo." {
		t.Errorf("no word of the change on the page that follows")
	}

	for _, tt := range []struct{ name, zone string }{
		{"the server's own", "Local"},
		{"no such zone", "Mars/Olympus_Mons"},
		{"too long", "Europe/" + strings.Repeat("x", 60)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := ada.post("/settings/notices/time-zone", url.Values{"time_zone": {tt.zone}})
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("%d, want 400", res.StatusCode)
			}
			page := parseHTML(t, res.body)
			msg := elementByID(page, "error-time_zone")
			if msg == nil || textOf(msg) == "" {
				t.Fatalf("no message beside the field:\n%s", res.body)
			}
			if n := len(findAll(page, byTestID("form-error"))); n != 1 {
				t.Errorf("%d messages, want only the one beside the field", n)
			}
			_, input := form(res.body)
			if attr(input, "aria-invalid") != "true" || attr(input, "aria-describedby") != "error-time_zone time-zone-help" {
				t.Errorf("the field is not marked invalid and described by its message: %q, %q",
					attr(input, "aria-invalid"), attr(input, "aria-describedby"))
			}
			if attr(input, "value") != tt.zone {
				t.Errorf("the field holds %q, not what was typed", attr(input, "value"))
			}
			if got := kept(); got != "Asia/Tokyo" {
				t.Errorf("the account's zone became %q", got)
			}
		})
	}

	// Through htmx, the page that follows is the settings page, whole.
	res = ada.htmx(http.MethodPost, "/settings/notices/time-zone", url.Values{"time_zone": {"Europe/Berlin"}})
	if res.StatusCode != http.StatusOK || res.Header.Get("HX-Redirect") != "/settings#notices-heading" || kept() != "Europe/Berlin" {
		t.Fatalf("through htmx: %d, HX-Redirect %q, zone %q", res.StatusCode, res.Header.Get("HX-Redirect"), kept())
	}

	// None is UTC.
	if res := ada.post("/settings/notices/time-zone", url.Values{"time_zone": {""}}); res.StatusCode != http.StatusSeeOther || kept() != "" {
		t.Fatalf("no zone: %d, %q", res.StatusCode, kept())
	}
	said, _ = form(ada.get("/settings").body)
	if said != "Mails write times in UTC." {
		t.Errorf("after clearing it: %q", said)
	}
}

// TestShareTextInOwnersZone: the text to send with a new link writes its
// expiry in the zone its owner chose, which it names, and in UTC for an
// owner who chose none.
func TestShareTextInOwnersZone(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	say := func() (text string, expires time.Time) {
		t.Helper()
		res := ada.post("/links", url.Values{"kind": {"message"}, "message": {"hi"}, "ttl": {"1h"}})
		page := parseHTML(t, res.body)
		link := attr(first(t, page, "link", byTestID("link-url")), "value")
		return textOf(first(t, page, "instructions", byTestID("instructions"))), linkOf(t, s, link).ExpiresAt
	}
	en := i18n.For("en")
	if text, expires := say(); !strings.Contains(text, en.WhenIn(expires, time.UTC)) {
		t.Errorf("with no zone chosen: %q, want %s", text, en.WhenIn(expires, time.UTC))
	}

	a, err := s.store.AccountByName(context.Background(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.SetTimeZone(context.Background(), a.ID, "Asia/Tokyo"); err != nil {
		t.Fatal(err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	if text, expires := say(); !strings.Contains(text, en.WhenIn(expires, tokyo)) || !strings.Contains(text, "Asia/Tokyo") {
		t.Errorf("in Asia/Tokyo: %q, want %s", text, en.WhenIn(expires, tokyo))
	}
}
