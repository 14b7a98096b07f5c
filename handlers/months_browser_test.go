package handlers

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"oncelink/i18n"
	"oncelink/internal/browsertest"
	"oncelink/store"
)

// TestMonthsAsTheBrowserWritesThem: in every language, the server writes
// each month as the page script's Intl.DateTimeFormat writes it, so that a
// time the script rewrites in the reader's zone and one it leaves as the
// server wrote it (a countdown's title, a text to send, a mail) name the
// month alike: "dic", not "dic." beside "dic"; and a reader in UTC reads
// the same words either way, but for the zone the server names: "7 Dec
// 2026, 14:05", not "Dec 7, 2026, 02:05 PM". The settings page lists a key
// expiring in each month of next year, read as the server wrote it
// (scripts off), then as the script rewrote it.
func TestMonthsAsTheBrowserWritesThem(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "UTC"}); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, ctx, s)
	b.setUp()
	ada, err := s.store.AccountByName(context.Background(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	// At noon in the middle of the month: the same month in every zone.
	year := s.clock.Now().Year() + 1
	var expiries []string
	for m := time.January; m <= time.December; m++ {
		at := time.Date(year, m, 15, 12, 0, 0, 0, time.UTC)
		hash := sha256.Sum256([]byte(m.String()))
		if _, err := s.store.CreateAPIKey(context.Background(), store.NewAPIKey{AccountID: ada.ID, Name: m.String(),
			Prefix: "ol_" + strings.ToLower(m.String()[:3]), Hash: hash[:], ExpiresAt: at}, 12); err != nil {
			t.Fatal(err)
		}
		expiries = append(expiries, at.Format(time.RFC3339))
	}
	// times reads the keys' expiries as the page shows them, by their
	// datetime.
	times := func() map[string]string {
		t.Helper()
		return eval[map[string]string](b, `Object.fromEntries([...document.querySelectorAll("time[datetime]")].map(t => [t.getAttribute("datetime"), t.textContent]))`)
	}
	scripts := func(on bool) {
		t.Helper()
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range i18n.Languages {
		b.chooseLanguage("/settings", l.Code)
		scripts(false)
		b.open("/settings", "#settings-language")
		server := times()
		scripts(true)
		b.open("/settings", "#settings-language")
		// The server names the zone, UTC; the script writes the reader's
		// own, unnamed.
		b.wait(fmt.Sprintf(`!document.querySelector('time[datetime=%q]').textContent.includes("UTC")`, expiries[0]), 2*time.Second)
		browser := times()
		for i, at := range expiries {
			month := strings.Fields(server[at])
			if len(month) < 2 {
				t.Fatalf("%s: the server writes %s as %q", l.Code, at, server[at])
			}
			// Day, month, year, time, zone: the month is the second.
			if !hasWord(browser[at], month[1]) {
				t.Errorf("%s, month %d: the server writes %q, the browser %q", l.Code, i+1, server[at], browser[at])
			}
			if want := strings.TrimSuffix(server[at], " UTC"); browser[at] != want {
				t.Errorf("%s, month %d: the server writes %q, the browser in UTC %q", l.Code, i+1, server[at], browser[at])
			}
		}
		if l.Code == "es" {
			b.do(chromedp.ScrollIntoView(chromedp.CSS("[data-testid=key-last-used]")))
			browsertest.Shoot(t, ctx, "settings-keys-months-es")
		}
		b.clean("settings in " + l.Code)
	}
}

// hasWord reports whether text holds word whole, between spaces,
// whatever punctuation ends a word there (a comma, an Arabic comma).
func hasWord(text, word string) bool {
	for _, w := range strings.Fields(text) {
		if strings.TrimRight(w, ",،") == word {
			return true
		}
	}
	return false
}
