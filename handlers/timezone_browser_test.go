package handlers

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/internal/browsertest"
	"oncelink/notify"
)

// TestTimeZoneInBrowser: the button beside the time zone for emails fills
// in this browser's zone, which clears a refusal of what was typed before,
// and Save keeps it; in English and in Arabic, on a phone and a wide
// screen.
func TestTimeZoneInBrowser(t *testing.T) {
	box := newMailbox(t)
	mailer, err := notify.NewMailer("smtp://"+box.addr, "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, func(c *core.Config) { c.Mailer = mailer })
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	// Chromium names the zone by its older name, which the zone database
	// keeps as a link: the server takes it as well.
	const zone = "America/Buenos_Aires"
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/Argentina/Buenos_Aires"}); err != nil {
		t.Fatal(err)
	}
	b.setUp()
	b.open("/settings", "[data-testid=zone-form]")

	// What the server refuses shows beside the field.
	b.do(
		chromedp.SendKeys(chromedp.ID("time-zone"), "Local"),
		chromedp.Click(chromedp.CSS("[data-testid=save-zone]")),
		chromedp.WaitVisible(chromedp.ID("error-time_zone")),
	)
	b.forgive("status of 400")
	b.clean("a refused zone")
	browsertest.Shoot(t, ctx, "settings-zone-refused")

	b.do(chromedp.Click(chromedp.CSS("[data-testid=browser-zone]")))
	b.wait(`document.getElementById("time-zone").value === "`+zone+`"`, time.Second)
	if !eval[bool](b, `document.activeElement === document.getElementById("time-zone")`) {
		t.Error("the field does not have the focus once filled")
	}
	if got := eval[string](b, `document.getElementById("time-zone").getAttribute("aria-invalid") || ""`); got == "true" {
		t.Error("the refusal of what was typed before still marks the field")
	}
	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=save-zone]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=notices-message]")),
	)
	a, err := s.store.AccountByName(context.Background(), "ada")
	if err != nil || a.TimeZone != zone {
		t.Fatalf("the account's zone is %q, %v", a.TimeZone, err)
	}
	b.clean("the browser's zone")
	browsertest.Shoot(t, ctx, "settings-zone")

	b.chooseLanguage("/settings", "ar")
	b.do(chromedp.WaitVisible(chromedp.CSS("[data-testid=browser-zone]")))
	browsertest.Shoot(t, ctx, "settings-zone-ar")
	b.clean("the zone in Arabic")
}
