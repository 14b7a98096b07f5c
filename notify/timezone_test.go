package notify_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"oncelink/notify"
)

// TestEmailTimeZone: a notice writes its time in the account's time zone,
// named, with the date as that zone's calendar reads it; a zone the zone
// database no longer knows is UTC, and the mail is sent all the same.
func TestEmailTimeZone(t *testing.T) {
	e, smtpd, mailer := mailEnv(t, "notices@share.example")
	ctx := context.Background()
	if err := e.svc.SetNoticeAddress(ctx, e.owner.ID, "ada@example.org"); err != nil {
		t.Fatal(err)
	}
	_, text, _ := parts(t, smtpd.mails()[0].Data)
	confirm := regexp.MustCompile(`/confirm/([A-Za-z0-9_-]{43})`).FindStringSubmatch(text)
	if _, err := e.svc.ConfirmNoticeAddress(ctx, e.owner.ID, confirm[1]); err != nil {
		t.Fatal(err)
	}
	// 20:03 UTC, past midnight in Tokyo: the day differs too.
	now := e.clock.Now().UTC()
	at := time.Date(now.Year(), now.Month(), now.Day(), 20, 3, 0, 0, time.UTC)
	if at.Before(now) {
		at = at.Add(24 * time.Hour)
	}
	e.clock.Add(at.Sub(now))
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		zone, want string
	}{
		{"Asia/Tokyo", at.In(tokyo).Format("2 Jan 2006, 15:04") + " Asia/Tokyo"},
		{"", at.Format("2 Jan 2006, 15:04") + " UTC"},
		{"Mars/Olympus_Mons", at.Format("2 Jan 2006, 15:04") + " UTC"},
	} {
		if _, err := e.st.SetTimeZone(ctx, e.owner.ID, tt.zone); err != nil {
			t.Fatal(err)
		}
		link := e.createLink(t, "Tax papers", 1, true)
		e.open(t, link.URL)
		runOnce(t, e.worker(t, notify.Options{Mailer: mailer, BaseURL: "https://share.example"}))
		ms := smtpd.mails()
		_, text, html := parts(t, ms[len(ms)-1].Data)
		for _, part := range []string{text, html} {
			if !strings.Contains(part, tt.want) {
				t.Errorf("%q: the mail does not say %q:\n%s", tt.zone, tt.want, part)
			}
		}
	}
}
