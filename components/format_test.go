package components

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"oncelink/core"
	"oncelink/i18n"
)

// TestFormatSpeaksTheReadersLanguage: the helpers write English as they
// always have, and the reader's language when the context carries one.
func TestFormatSpeaksTheReadersLanguage(t *testing.T) {
	en, de, ar := context.Background(), i18n.With(context.Background(), "de"), i18n.With(context.Background(), "ar")
	fr, es := i18n.With(context.Background(), "fr"), i18n.With(context.Background(), "es")
	at := time.Date(2026, 3, 9, 14, 5, 0, 0, time.UTC)
	for _, c := range []struct{ got, want string }{
		{when(en, at), "9 Mar 2026, 14:05 UTC"},
		{left(en, 26*time.Hour), "1d 2h"},
		{wait(en, 1500*time.Millisecond), "2 seconds"},
		{wait(en, 90*time.Second), "1 minute 30 seconds"},
		{wait(ar, 60*time.Second), "دقيقة واحدة"},
		{rendered(t, de, heldBackText(HeldBack{Wait: 61 * time.Second})), "<strong>Zu viele Versuche.</strong> Versuchen Sie es in <time class=\"countdown\" data-wait data-testid=\"retry-in\">1 Minute und 1 Sekunde</time> erneut."},
		{size(de, 1536), "1,5\u00a0KiB"},
		{timesOpened(en, 2, 5), "2 of 5"},
		{plural(en, 1, "format.tries"), "1 try"},
		{plural(en, 3, "format.tries"), "3 tries"},
		{plural(ar, 2, "format.tries"), "محاولتان"},
		{kindName(en, "url"), "Web address"},
		{rendered(t, en, deliveredHeading(en, Delivered{Own: true, Answers: new("")})), "Sent to your request"},
		{rendered(t, de, deliveredHeading(de, Delivered{Own: true, Answers: new("vpn")})), "An Ihre Anfrage „<bdi>vpn</bdi>“ gesendet"},
		{rendered(t, en, deliveredHeading(en, Delivered{Own: true, Kind: "message"})), "Opened from a link of your own"},
		{thing(en, "url"), "a web address"},
		{thing(de, "file"), "eine Datei"},
		{rowName(en, LinkRow{Kind: "message"}), "Message link"},
		{rowName(de, LinkRow{Kind: "message", Label: "Mine"}), "Mine"},
		{nameInText(de, LinkRow{Kind: "message", Label: "Mine"}), "\u2068Mine\u2069"},
		{nameInText(en, LinkRow{Kind: "message"}), "Message link"},
		{expiryChoice(en, "never"), "Never"},
		{expiryChoice(en, "1y"), "1 year"},
		{expiryChoice(en, "90d"), "90 days"},
		{expiryChoice(de, "1d"), "1 Tag"},
		{whenSeconds(en, at.Add(7*time.Second)), "9 Mar 2026, 14:05:07 UTC"},
		// What went wrong with a delivery, in the reader's language where
		// oncelink can say it, a failure to connect by its kind, and as a
		// mail server said it otherwise.
		{DeliveryItem{Status: "failed", Attempts: 1, LastCode: 410, LastError: "the endpoint answered 410 Gone: it is disabled"}.Tried(de),
			"1 Versuch: der Endpunkt antwortete 410 Gone: er ist ausgeschaltet"},
		{DeliveryItem{Status: "pending", Attempts: 2, LastCode: 500, LastError: "the endpoint answered 500 Internal Server Error"}.Tried(de),
			"2 Versuche: der Endpunkt antwortete 500"},
		// A redirect, which is not followed, is said to be one; a 304 is
		// none.
		{DeliveryItem{Status: "pending", Attempts: 1, LastCode: 304, LastError: "the endpoint answered 304 Not Modified"}.Tried(en),
			"1 attempt: the endpoint answered 304"},
		{DeliveryItem{Status: "pending", Attempts: 1, LastCode: 301, LastError: `the endpoint answered 301 Moved Permanently, a redirect to "https://hooks.example/in", which is not followed`}.Tried(en),
			"1 attempt: the endpoint answered 301, a redirect, which oncelink does not follow: give the endpoint the address it leads to"},
		{DeliveryItem{Status: "failed", Attempts: 1, LastCode: 500, LastError: "endpoint disabled"}.Tried(de), "1 Versuch: der Endpunkt ist ausgeschaltet"},
		{DeliveryItem{Status: "failed", LastError: "endpoint disabled"}.Tried(de), "der Endpunkt ist ausgeschaltet"},
		// Ended unsent, its account disabled, whatever an earlier attempt
		// got.
		{DeliveryItem{Status: "failed", LastError: "account disabled"}.Tried(de), "das Konto wurde deaktiviert"},
		{DeliveryItem{Status: "failed", Attempts: 1, LastCode: 503, LastError: "account disabled", Email: true}.Tried(en), "1 attempt: the account was disabled"},
		{DeliveryItem{Status: "pending", Attempts: 1, LastError: "dial tcp: connection refused"}.Tried(de), "1 Versuch: der Endpunkt hat die Verbindung abgelehnt"},
		// A mail's is refused by its mail server, not by an endpoint.
		{DeliveryItem{Status: "pending", Attempts: 1, Email: true, LastError: "dial failed: dial tcp 192.0.2.25:587: connect: connection refused"}.Tried(en),
			"1 attempt: the mail server refused the connection"},
		{DeliveryItem{Status: "pending", Attempts: 1, LastError: `Post "https://hooks.example/in": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`}.Tried(en),
			"1 attempt: it did not answer in time"},
		{DeliveryItem{Status: "pending", Attempts: 3, LastError: `Post "https://hooks.example/in": tls: failed to verify certificate: x509: certificate signed by unknown authority`}.Tried(en),
			"3 attempts: its TLS certificate or connection was refused"},
		{DeliveryItem{Status: "pending", Attempts: 1, LastError: "dial tcp: lookup hooks.example: no such host"}.Tried(en), "1 attempt: its host name was not found"},
		{DeliveryItem{Status: "pending", Attempts: 1, LastError: "550 5.1.1 mailbox unavailable"}.Tried(en), "1 attempt: 550 5.1.1 mailbox unavailable"},
		// The kinds the worker records a failure to reach its target by.
		{DeliveryItem{Status: "pending", Attempts: 1, LastError: core.FailedNoHost}.Tried(fr), "1 tentative : son nom d’hôte est introuvable"},
		{DeliveryItem{Status: "pending", Attempts: 1, LastError: core.FailedPrivate}.Tried(de), "1 Versuch: seine Adresse ist privat, Loopback oder link-lokal, und dorthin sendet dieser Server nicht"},
		{DeliveryItem{Status: "pending", Attempts: 1, LastError: core.FailedRefused, Email: true}.Tried(en), "1 attempt: the mail server refused the connection"},
		{DeliveryItem{Status: "pending", Attempts: 2, LastError: core.FailedTimeout}.Tried(en), "2 attempts: it did not answer in time"},
		{DeliveryItem{Status: "pending", Attempts: 1, LastError: core.FailedHeaders}.Tried(en), "1 attempt: the headers of its answer were too large"},
		{DeliveryItem{Status: "pending", Attempts: 1, LastError: core.FailedInternal}.Tried(en), "1 attempt: an error on this server; it is tried again"},
		{DeliveryItem{Status: "failed", Attempts: 1, Email: true, LastError: core.FailedEmailOff}.Tried(de), "1 Versuch: dieser Server sendet keine E-Mails"},
		{DeliveryItem{Status: "failed", Attempts: 1, Email: true, LastError: core.FailedNoAddress}.Tried(es), "1 intento: no había ninguna dirección de avisos confirmada"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	var labels []string
	for _, p := range ttlPresets(en, LinkForm{MinTTL: "1m", MaxTTL: "7d"}) {
		labels = append(labels, p.label)
	}
	if got := fmt.Sprint(labels); got != "[10 minutes 1 hour 1 day 7 days]" {
		t.Errorf("presets %s", got)
	}
	c := Created{Owner: "alice", URL: "https://x/l/a", Row: LinkRow{Kind: "message", MaxUses: 1, ExpiresAt: at, ForUser: "bob", HasPassword: true}}
	want := "alice shared a message with you: https://x/l/a\nIt opens once, until 9 Mar 2026, 14:05 UTC; after that it is gone.\nOnly the account bob can open it.\nThe password comes separately."
	if got := instructions(en, c); got != want {
		t.Errorf("instructions:\n%s\nwant\n%s", got, want)
	}
	c.Row.MaxUses, c.Row.ForUser, c.Row.HasPassword = 3, "", false
	if got := instructions(de, c); got != "alice hat eine Nachricht mit Ihnen geteilt: https://x/l/a\nDer Link lässt sich 3-mal öffnen, bis zum 9. März 2026, 14:05 UTC; danach ist er weg." {
		t.Errorf("de instructions: %q", got)
	}
	// In the owner's zone, which it names.
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	c.Zone = berlin
	if got := instructions(de, c); !strings.Contains(got, "bis zum 9. März 2026, 15:05 Europe/Berlin;") {
		t.Errorf("de instructions in Berlin: %q", got)
	}
}

// TestFlagParts: a message's flags come apart from its text, whole, with
// their hyphens, and the text around them stays as it was.
func TestFlagParts(t *testing.T) {
	for _, c := range []struct {
		msg  string
		want []messagePart
	}{
		{"Nothing to mark.", []messagePart{{text: "Nothing to mark."}}},
		{"allow others with --webhook-allow-private.", []messagePart{{text: "allow others with "}, {text: "--webhook-allow-private", flag: true}, {text: "."}}},
		{"\u2066--smtp-url\u2069 و\u2066--mail-from\u2069.", []messagePart{{text: "\u2066"}, {text: "--smtp-url", flag: true}, {text: "\u2069 و\u2066"}, {text: "--mail-from", flag: true}, {text: "\u2069."}}},
	} {
		if got := flagParts(c.msg); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("flagParts(%q) = %v, want %v", c.msg, got, c.want)
		}
	}
}

// rendered is c drawn in ctx's language.
func rendered(t *testing.T, ctx context.Context, c templ.Component) string {
	t.Helper()
	var b strings.Builder
	if err := c.Render(ctx, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestPageURLs: the pages of the links and of the requests keep their
// filter, and the first page of a whole list is its path alone.
func TestPageURLs(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{listURL(LinkPage{}, ""), "/links"},
		{listURL(LinkPage{Status: "active", Query: "door code"}, "41"), "/links?before=41&q=door+code&status=active"},
		{listURL(LinkPage{Query: "a&b"}, ""), "/links?q=a%26b"},
		{requestsURL(Requests{}, ""), "/requests"},
		{requestsURL(Requests{Status: "open"}, "7"), "/requests?before=7&status=open"},
		{RequestsPath(""), "/requests"},
		{RequestsPath("7"), "/requests?before=7"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
