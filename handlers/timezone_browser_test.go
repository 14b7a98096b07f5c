package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/internal/browsertest"
	"oncelink/notify"
)

// TestTimeZoneInBrowser: an account without a time zone finds this
// browser's filled in, said to be only filled in, and kept only once it
// is saved; without a script the field stays empty, for UTC. The button
// under the field's help fills in this browser's zone, which clears a refusal
// of what was typed before, and Save keeps it; in English and in Arabic,
// on a phone and a wide screen.
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
	kept := func() string {
		t.Helper()
		a, err := s.store.AccountByName(context.Background(), "ada")
		if err != nil {
			t.Fatal(err)
		}
		return a.TimeZone
	}
	const (
		field     = `document.getElementById("time-zone")`
		suggested = `(n => n !== null && !n.hidden)(document.getElementById("time-zone-suggested"))`
	)

	// Suggested, not kept: the page says the zone is still UTC.
	b.open("/settings", "[data-testid=zone-form]")
	b.wait(field+`.value === "`+zone+`"`, time.Second)
	if !eval[bool](b, suggested) || eval[string](b, field+`.getAttribute("aria-describedby")`) != "time-zone-help time-zone-suggested" {
		t.Errorf("the zone filled in is not said to be only filled in: described by %q", eval[string](b, field+`.getAttribute("aria-describedby")`))
	}
	if got := eval[string](b, `document.querySelector("[data-testid=time-zone]").textContent`); got != "Your time zone is UTC." || kept() != "" {
		t.Errorf("before Save: the page says %q, the account's zone is %q", got, kept())
	}
	b.do(chromedp.ScrollIntoView(chromedp.ID("zone-heading")))
	browsertest.Shoot(t, ctx, "settings-zone-suggested")
	b.clean("the browser's zone suggested")

	// Without a script, nothing is filled in: the field is UTC's.
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	b.open("/settings", "[data-testid=zone-form]")
	if got := eval[string](b, field+`.value`); got != "" || eval[bool](b, suggested) {
		t.Errorf("without a script the field holds %q", got)
	}
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err != nil {
		t.Fatal(err)
	}

	// What the server refuses shows beside the field, which keeps it and
	// suggests nothing; typing over the suggestion takes its note away.
	b.open("/settings", "[data-testid=zone-form]")
	b.wait(field+`.value === "`+zone+`"`, time.Second)
	eval[string](b, field+`.value = ""`)
	b.do(chromedp.SendKeys(chromedp.ID("time-zone"), "Local"))
	if eval[bool](b, suggested) || eval[string](b, field+`.getAttribute("aria-describedby")`) != "time-zone-help" {
		t.Error("the note of the zone filled in stays once another is typed")
	}
	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=save-zone]")),
		chromedp.WaitVisible(chromedp.ID("error-time_zone")),
	)
	b.forgive("status of 400")
	if got := eval[string](b, field+`.value`); got != "Local" || eval[bool](b, suggested) {
		t.Errorf("the refused field holds %q", got)
	}
	b.clean("a refused zone")
	browsertest.Shoot(t, ctx, "settings-zone-refused")

	b.do(chromedp.Click(chromedp.CSS("[data-testid=browser-zone]")))
	b.wait(field+`.value === "`+zone+`"`, time.Second)
	if !eval[bool](b, `document.activeElement === `+field) {
		t.Error("the field does not have the focus once filled")
	}
	if got := eval[string](b, field+`.getAttribute("aria-invalid") || ""`); got == "true" {
		t.Error("the refusal of what was typed before still marks the field")
	}
	b.do(
		chromedp.Click(chromedp.CSS("[data-testid=save-zone]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=zone-message]")),
	)
	if got := kept(); got != zone {
		t.Fatalf("the account's zone is %q", got)
	}
	if eval[bool](b, suggested) {
		t.Error("a zone kept is still said to be only filled in")
	}
	b.clean("the browser's zone")
	browsertest.Shoot(t, ctx, "settings-zone")

	// In Arabic, suggested again once the account has none.
	if _, err := s.store.SetTimeZone(context.Background(), 1, ""); err != nil {
		t.Fatal(err)
	}
	b.chooseLanguage("/settings", "ar")
	b.open("/settings", "[data-testid=zone-form]")
	b.wait(field+`.value === "`+zone+`"`, time.Second)
	b.do(chromedp.ScrollIntoView(chromedp.ID("zone-heading")))
	browsertest.Shoot(t, ctx, "settings-zone-ar")
	b.clean("the zone in Arabic")
}

// TestTimeZoneHelpStaysWithItsField: the time zone field's help stands
// right under the field, with nothing between them, and the button that
// fills in this browser's zone comes after it, so the help never reads as
// if it were about the button; the field is still described by its help.
// In English, German and Arabic, on a phone and a wide screen, light and
// dark.
func TestTimeZoneHelpStaysWithItsField(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Berlin"}); err != nil {
		t.Fatal(err)
	}
	b.setUp()
	for _, code := range []string{"en", "de", "ar"} {
		b.chooseLanguage("/settings", code)
		b.wait(`!document.querySelector("[data-testid=browser-zone]").hidden`, time.Second)
		for _, width := range []int64{390, 1280} {
			b.do(chromedp.EmulateViewport(width, 900))
			got := eval[string](b, `(() => {
				const field = document.getElementById("time-zone").getBoundingClientRect();
				const help = document.getElementById("time-zone-help").getBoundingClientRect();
				const button = document.querySelector("[data-testid=browser-zone]").getBoundingClientRect();
				if (help.top < field.bottom - 0.5 || help.top - field.bottom > 8) return "the help is not right under the field";
				if (button.top < help.bottom - 0.5) return "the button stands before the help";
				return "";
			})()`)
			if got != "" {
				t.Errorf("in %s at %dpx: %s", code, width, got)
			}
			if d := eval[string](b, `document.getElementById("time-zone").getAttribute("aria-describedby")`); !strings.Contains(" "+d+" ", " time-zone-help ") {
				t.Errorf("in %s the field is described by %q", code, d)
			}
		}
		b.do(chromedp.ScrollIntoView(chromedp.ID("zone-heading")))
		browsertest.Shoot(t, ctx, "settings-zone-help-"+code)
		b.clean("the zone's help in " + code)
	}
}
