package handlers

import (
	"net/url"
	"testing"
	"time"

	"oncelink/components"
	"oncelink/core"
	"oncelink/internal/browsertest"
)

// TestLinkExpiresInItsRow: a link's row whose countdown reaches zero says
// that it expired, and when, in the words of the row drawn again after the
// expiry, in each language (French and Spanish put "le" or "el" before
// the date, which the words beside a countdown do not have). A keyboard on
// its Revoke, which goes, is left on the link's name.
func TestLinkExpiresInItsRow(t *testing.T) {
	// Its server and browser are its own, and most of its time is spent
	// waiting for links to expire: it runs beside other tests.
	t.Parallel()
	s := newTestServer(t, func(c *core.Config) { c.MinTTL = time.Second })
	owner := s.admin()
	bctx := browsertest.New(t)
	signInAndLeave(t, bctx, s.URL)
	b := watchedTab(t, bctx, s)
	const life = `(id => document.querySelector("#" + id + " .life").innerText.replace(/\s+/g, " ").trim())`
	for _, lang := range []string{"en", "de", "fr", "es", "ar"} {
		b.chooseLanguage("/links", lang)
		row := components.RowID(linkOf(t, s, owner.createLink(url.Values{"ttl": {"3s"}})).ID)
		b.open("/links", "#"+row)
		if lang == "en" {
			b.focus("#" + row + " [data-testid=revoke]")
		}
		b.wait(`document.getElementById("`+row+`").dataset.status === "expired"`, 6*time.Second)
		if got := eval[string](b, `document.activeElement.id`); lang == "en" && got != row+"-details" {
			t.Errorf("the Revoke of a row that expired went with the focus on it; the focus is then on %q, want the row's name", got)
		}
		ticked := eval[string](b, life+`("`+row+`")`)

		s.clock.Advance(5 * time.Second)
		b.open("/links", "#"+row)
		if drawn := eval[string](b, life+`("`+row+`")`); drawn != ticked {
			t.Errorf("%s: the row that turned expired says %q, drawn again %q", lang, ticked, drawn)
		}
	}
	b.clean("links' countdowns")
}
