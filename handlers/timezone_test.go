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

// TestTimeZoneForm: the settings page takes the time zone that the text
// to send with a new link, and the mails, write times in, in a plain form
// or through htmx, an empty one being UTC; a zone that is refused shows
// its reason beside the field, with what was typed, and changes nothing.
// An account without one gets an empty field, which the page's script
// fills with the browser's zone (TestTimeZoneInBrowser): without a
// script, it stays UTC.
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
	en := i18n.For("en")
	said, input := zoneForm(t, ada.get("/settings").body, en.T("settings.zone.help_email"))
	if said != "Your time zone is UTC." || attr(input, "value") != "" || attr(input, "data-suggest-zone") != "time-zone-suggested" {
		t.Errorf("before any choice: %q, the field holds %q, suggests %q", said, attr(input, "value"), attr(input, "data-suggest-zone"))
	}

	res := ada.post("/settings/time-zone", url.Values{"time_zone": {" Asia/Tokyo "}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings#zone-heading" {
		t.Fatalf("set a zone: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if got := kept(); got != "Asia/Tokyo" {
		t.Fatalf("the account's zone is %q", got)
	}
	res = ada.get("/settings")
	said, input = zoneForm(t, res.body, en.T("settings.zone.help_email"))
	if said != "Your time zone is Asia/Tokyo." || attr(input, "value") != "Asia/Tokyo" || hasAttr(input, "data-suggest-zone") {
		t.Errorf("after choosing Tokyo: %q, the field holds %q, suggests %q", said, attr(input, "value"), attr(input, "data-suggest-zone"))
	}
	if msg := findAll(parseHTML(t, res.body), byTestID("zone-message")); len(msg) != 1 || textOf(msg[0]) != "Your time zone is now Asia/Tokyo." {
		t.Errorf("no word of the change on the page that follows")
	}

	for _, tt := range []struct{ name, zone string }{
		{"the server's own", "Local"},
		{"no such zone", "Mars/Olympus_Mons"},
		{"too long", "Europe/" + strings.Repeat("x", 60)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := ada.post("/settings/time-zone", url.Values{"time_zone": {tt.zone}})
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
			_, input := zoneForm(t, res.body, en.T("settings.zone.help_email"))
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
	res = ada.htmx(http.MethodPost, "/settings/time-zone", url.Values{"time_zone": {"Europe/Berlin"}})
	if res.StatusCode != http.StatusOK || res.Header.Get("HX-Redirect") != "/settings#zone-heading" || kept() != "Europe/Berlin" {
		t.Fatalf("through htmx: %d, HX-Redirect %q, zone %q", res.StatusCode, res.Header.Get("HX-Redirect"), kept())
	}

	// None is UTC, and the browser's is suggested again.
	if res := ada.post("/settings/time-zone", url.Values{"time_zone": {""}}); res.StatusCode != http.StatusSeeOther || kept() != "" {
		t.Fatalf("no zone: %d, %q", res.StatusCode, kept())
	}
	said, input = zoneForm(t, ada.get("/settings").body, en.T("settings.zone.help_email"))
	if said != "Your time zone is UTC." || !hasAttr(input, "data-suggest-zone") {
		t.Errorf("after clearing it: %q, suggests %q", said, attr(input, "data-suggest-zone"))
	}
}

// TestTimeZoneWithoutEmail: on a server that sends no email, the settings
// page has the time zone all the same, for the text to send with a new
// link, and says it is for that alone; it sets it as with email.
func TestTimeZoneWithoutEmail(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	for _, lang := range i18n.Languages {
		l := i18n.For(lang.Code)
		body := ada.getIn("/settings", lang.Code).body
		_, input := zoneForm(t, body, l.T("settings.zone.help"))
		label := first(t, parseHTML(t, body), "the label", func(n *html.Node) bool { return n.Data == "label" && attr(n, "for") == "time-zone" })
		if got := textOf(label); got != l.T("settings.zone.label") || attr(input, "value") != "" {
			t.Errorf("in %s the field is labelled %q and holds %q", lang.Code, got, attr(input, "value"))
		}
		if !hasTestID(t, body, "email-off") {
			t.Errorf("in %s the page does not say that email is off", lang.Code)
		}
	}
	res := ada.post("/settings/time-zone", url.Values{"time_zone": {"Asia/Tokyo"}})
	a, err := s.store.AccountByName(context.Background(), "ada")
	if err != nil || res.StatusCode != http.StatusSeeOther || a.TimeZone != "Asia/Tokyo" {
		t.Fatalf("set a zone: %d, the account's zone %q, %v", res.StatusCode, a.TimeZone, err)
	}
}

// zoneForm is the settings page's time zone form in body, which help
// describes: what it says is the zone, and its field.
func zoneForm(t *testing.T, body, help string) (said string, input *html.Node) {
	t.Helper()
	page := parseHTML(t, body)
	section := first(t, page, "time zone section", byTestID("zone"))
	current := findAll(section, byTestID("time-zone"))
	input = elementByID(page, "time-zone")
	if len(current) != 1 || input == nil || attr(input, "name") != "time_zone" {
		t.Fatalf("no time zone form on the page:\n%s", body)
	}
	if h := elementByID(page, "time-zone-help"); h == nil || textOf(h) != strings.Join(strings.Fields(help), " ") {
		t.Errorf("the field's help is not %q", help)
	}
	return strings.Join(strings.Fields(textOf(current[0])), " "), input
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
