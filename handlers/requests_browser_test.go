package handlers

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/components"
	"oncelink/core"
	"oncelink/internal/browsertest"
)

// TestRequestsInBrowser asks for a secret on the requests page and opens
// the request's address as its owner; neither page may scroll sideways on
// a phone, as the list of requests once did. The note to the sender is
// ordinary words, in the page's font as the label beside it is, not in a
// secret's monospace.
func TestRequestsInBrowser(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	b.do(chromedp.Navigate(s.URL+"/requests"), chromedp.WaitVisible(chromedp.CSS("[data-testid=request-form]")))
	const font = `id => getComputedStyle(document.getElementById(id)).font`
	if eval[bool](b, `(`+font+`)("note") !== (`+font+`)("request-label")`) {
		t.Errorf("the note to the sender is in %q, the label in %q", eval[string](b, `(`+font+`)("note")`), eval[string](b, `(`+font+`)("request-label")`))
	}
	b.do(chromedp.SendKeys(chromedp.ID("note"), "The staging database password, please"),
		chromedp.SendKeys(chromedp.ID("request-label"), "staging db"),
		chromedp.Click(chromedp.CSS("[data-testid=create-request]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=request-url]")))
	browsertest.Shoot(t, b.ctx, "requests")
	u := eval[string](b, `document.getElementById("request-url").value`)
	// Copy puts the address, shown this once, on the clipboard.
	b.copies("request-url", u)
	b.do(chromedp.Navigate(u), chromedp.WaitReady("body"))
	browsertest.Shoot(t, b.ctx, "request-owner")
}

// TestRequestLabelsKeepTheirWords: on a phone, in every language, no
// word of a request's label in the list breaks across lines, as one did
// where the time under it, long in German and Arabic, took the room
// beside the Withdraw button from it; where the room is too little, the
// button goes under the label.
func TestRequestLabelsKeepTheirWords(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	c := s.signIn("ada")
	c.createRequest(url.Values{"label": {"Steuerunterlagen für die Jahresabrechnung"}, "ttl": {"2d"}})
	c.createRequest(url.Values{"label": {"VPN key"}, "accepts": {"text"}, "ttl": {"1d"}})
	// The widest word of each row's label, laid out on one line, against
	// the width of the label's cell.
	const broken = `Array.from(document.querySelectorAll("[data-testid=request-row]"), row => {
		const cell = row.querySelector("td");
		const probe = document.createElement("span");
		probe.style.whiteSpace = "nowrap";
		probe.style.position = "absolute";
		probe.style.visibility = "hidden";
		cell.appendChild(probe);
		const widest = Math.max(...cell.textContent.trim().split(/\s+/).map(w => { probe.textContent = w; return probe.getBoundingClientRect().width; }));
		probe.remove();
		return cell.clientWidth + 0.5 >= widest ? "" : cell.textContent.trim();
	}).filter(Boolean)`
	for _, code := range []string{"en", "de", "ar"} {
		b.chooseLanguage("/requests", code)
		for _, width := range []int64{390, 320} {
			b.do(chromedp.EmulateViewport(width, 900))
			if got := eval[[]string](b, broken); len(got) > 0 {
				t.Errorf("in %s at %dpx, the labels %q break within a word", code, width, got)
			}
		}
		browsertest.Shoot(t, ctx, "requests-labels-"+code, 390)
		b.clean("requests in " + code)
	}
}

// TestRequestNoteInBrowser: the sender reads the owner's note as it was
// written, its line breaks kept and a long address wrapped within the
// page, and a note in a left-to-right script reads left to right on an
// Arabic page, its full stop at its end.
func TestRequestNoteInBrowser(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	note := "The VPN password, please.\nhttps://example.com/" + strings.Repeat("a", 120) + "\nThanks."
	u := c.createRequest(url.Values{"note": {note}, "accepts": {"text"}, "ttl": {"1h"}})
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.acceptLanguage("ar")
	b.do(chromedp.EmulateViewport(390, 900), chromedp.Navigate(s.URL+u), chromedp.WaitVisible(chromedp.CSS("[data-testid=note]")))
	if dir := eval[string](b, `document.documentElement.dir`); dir != "rtl" {
		t.Fatalf("the request's page, asked for in Arabic, is written %q", dir)
	}
	if got := eval[string](b, `document.querySelector("[data-testid=note]").innerText`); got != note {
		t.Errorf("the note reads %q, want %q", got, note)
	}
	if eval[bool](b, `document.documentElement.scrollWidth > document.documentElement.clientWidth`) {
		t.Error("a note with a long address scrolls the page sideways")
	}
	if eval[bool](b, `getComputedStyle(document.getElementById("message")).fontFamily === getComputedStyle(document.body).fontFamily`) {
		t.Error("the box for the secret is not in monospace")
	}
	// Where the note's last word starts and where its full stop stands.
	stop := eval[bool](b, `(() => {
		const text = document.querySelector("[data-testid=note]").firstChild, r = document.createRange();
		const at = i => { r.setStart(text, i); r.setEnd(text, i + 1); return r.getBoundingClientRect().left; };
		return at(text.data.lastIndexOf(".")) > at(text.data.lastIndexOf("T"));
	})()`)
	if !stop {
		t.Error("on an Arabic page, an English note's full stop stands before its first word")
	}
	browsertest.Shoot(t, b.ctx, "request-note", 390)
}

// TestRequestRowTargeted: the owner's requests opened at a request's row
// (/requests#request-ID, where a notice mail leads) show that row tinted,
// and no other.
func TestRequestRowTargeted(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	for _, label := range []string{"vpn", "staging db", "wifi"} {
		owner.createRequest(url.Values{"label": {label}})
	}
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	signIn(t, ctx, s.URL)
	b.open("/requests", "[data-testid=request-row]")
	row := eval[string](b, `document.querySelectorAll("[data-testid=request-row]")[1].id`)
	b.open("/requests#"+row, "#"+row)
	const tinted = `[...document.querySelectorAll("[data-testid=request-row]")].filter(r => getComputedStyle(r).backgroundColor !== "rgba(0, 0, 0, 0)").map(r => r.id).join(" ")`
	if got := eval[string](b, tinted); got != row {
		t.Errorf("at #%s the rows tinted are %q", row, got)
	}
	browsertest.Shoot(t, ctx, "requests-targeted", 390, 1280)
	b.clean("the requests at a row")
}

// TestHeldBackSendInBrowser: a send that the open limit holds back leaves
// the form as it was, with what was typed, and says in the page's alerts
// how long to wait; sent without the page's script, it comes back as the
// request's page with the notice above its form. Either notice counts the
// wait down and then says to try again, and the send then goes through. In
// English and in Arabic.
func TestHeldBackSendInBrowser(t *testing.T) {
	// Its server and browser are its own, and most of its time is spent
	// waiting, on the page's timers or a slow upload: it runs beside
	// other tests.
	t.Parallel()
	for _, lang := range []string{"en", "ar"} {
		t.Run(lang, func(t *testing.T) {
			// Each language has its own server and browser, and counts its
			// waits down beside the other.
			t.Parallel()
			s := newTestServer(t, func(c *core.Config) { c.Rates.Open = core.Rate{N: 1, Per: 3 * time.Second} })
			req := s.URL + s.admin().createRequest(url.Values{"accepts": {"text"}})
			ctx := browsertest.New(t)
			b := newTab(t, ctx, s)
			b.acceptLanguage(lang)
			b.do(chromedp.Navigate(req), chromedp.WaitVisible(chromedp.ID("message")))
			// Another send from the same address takes the only turn.
			s.client().post(req, url.Values{"message": {""}})

			const notice = `document.querySelector("[data-testid=held-back]")`
			b.do(
				chromedp.SendKeys(chromedp.ID("message"), "hunter2"),
				chromedp.Click(chromedp.CSS("[data-testid=send]")),
				chromedp.WaitVisible(chromedp.CSS("#alerts [data-testid=held-back]")),
			)
			if got := eval[string](b, `document.getElementById("message").value`); got != "hunter2" {
				t.Errorf("in %s, the message box holds %q after the send was held back", lang, got)
			}
			browsertest.Shoot(t, ctx, "request-held-back-alert-"+lang, 390)
			b.wait(notice+`.className === "notice"`, 6*time.Second)

			// The same form, sent by the browser itself.
			s.clock.Advance(3 * time.Second)
			s.client().post(req, url.Values{"message": {""}})
			b.do(
				chromedp.Evaluate[chromedp.Void](`HTMLFormElement.prototype.submit.call(document.querySelector("[data-testid=send-form]"))`),
				chromedp.WaitVisible(chromedp.CSS("section [data-testid=held-back]")),
			)
			if eval[bool](b, `!document.querySelector("[data-testid=note]") || document.getElementById("message").value !== ""`) {
				t.Errorf("in %s, the held-back page lacks the note, or its form is not empty", lang)
			}
			browsertest.Shoot(t, ctx, "request-held-back-"+lang, 390)
			b.wait(notice+`.className === "notice"`, 6*time.Second)

			s.clock.Advance(3 * time.Second)
			b.do(
				chromedp.SendKeys(chromedp.ID("message"), "hunter2"),
				chromedp.Click(chromedp.CSS("[data-testid=send]")),
				chromedp.WaitVisible(chromedp.CSS("[data-testid=sent]")),
			)
			b.forgive("status of 429")
			b.clean("a send held back in " + lang)
		})
	}
}

// TestRequestNoteStandsByItsBar: a request's note, on the sender's page
// and on its owner's, is set in its own direction, and so is the bar that
// marks it as a quote: the bar stands beside the side the note's lines
// start from, as an English note on an Arabic page once ran from the left
// while its bar stood alone at the right.
func TestRequestNoteStandsByItsBar(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	notes := map[string]string{"ar": "Please send the VPN password.", "en": "أرسل كلمة المرور من فضلك"}
	requests := map[string]string{}
	for lang, note := range notes {
		requests[lang] = owner.createRequest(url.Values{"note": {note}})
	}
	// The gap between the bar and the start of the note's first line.
	const gap = `(() => {
		const note = document.querySelector("blockquote.note"), cs = getComputedStyle(note);
		const range = document.createRange();
		range.selectNodeContents(note);
		const box = note.getBoundingClientRect(), text = range.getClientRects()[0];
		return parseFloat(cs.borderLeftWidth) > 0 ? text.left - box.left : box.right - text.right;
	})()`
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	check := func(who string) {
		t.Helper()
		for lang, path := range requests {
			b.goTo(s.URL+path+"?lang="+lang, "blockquote.note")
			if px := eval[float64](b, gap); px > 24 {
				t.Errorf("on the %s's page in %s, the note %q starts %.0fpx from its bar", who, lang, notes[lang], px)
			}
			browsertest.Shoot(t, b.ctx, "request-note-"+who+"-"+lang)
		}
	}
	check("sender")
	b.signInAs("ada", "[data-testid=create-form]")
	check("owner")
}

// TestEndedRequestPageInBrowser: the owner who comes back to a request
// they withdrew, or one that expired, is told so in their own words, in
// every language, and its way back leads to the request's row among
// their requests. At a phone's width and a wide screen, light and dark,
// in English and in Arabic.
func TestEndedRequestPageInBrowser(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	ctx := context.Background()
	owner, err := s.h.core.AccountByName(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	withdrawn, err := s.h.core.CreateRequest(ctx, owner.ID, core.RequestInput{Label: "staging db", Note: "The staging database password, please", Accepts: core.AcceptsAny, TTL: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.h.core.RevokeRequest(ctx, owner.ID, withdrawn.Request.ID); err != nil {
		t.Fatal(err)
	}
	expired, err := s.h.core.CreateRequest(ctx, owner.ID, core.RequestInput{Label: "VPN key", Accepts: core.AcceptsText, TTL: "15m"})
	if err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(time.Hour)

	bctx := browsertest.New(t)
	signInAndLeave(t, bctx, s.URL)
	b := watchedTab(t, bctx, s)
	for _, lang := range []string{"en", "de", "fr", "es", "ar"} {
		b.chooseLanguage("/requests", lang)
		for name, c := range map[string]core.CreatedRequest{"withdrawn": withdrawn, "expired": expired} {
			b.open(strings.TrimPrefix(c.URL, s.URL), "[data-testid=request-ended]")
			if lang == "en" || lang == "ar" {
				browsertest.Shoot(t, b.ctx, "request-"+name+"-owner-"+lang)
			}
			b.clean(name + " in " + lang)
			if got := eval[string](b, `document.querySelector("[data-testid=back-to-requests]").getAttribute("href")`); got != components.RequestRowPath(c.Request.ID) {
				t.Errorf("%s in %s: the way back leads to %s", name, lang, got)
			}
			b.do(chromedp.Click(chromedp.CSS("[data-testid=back-to-requests]")),
				chromedp.WaitVisible(chromedp.CSS("#"+components.RequestRowID(c.Request.ID))))
		}
	}
}

// TestRequestChoosingAFileAfterNothingSent: a request that takes a message
// or a file, sent with neither, says so beside the message box; choosing a
// file then takes that back, as typing a message does, since either one
// answers it. A mistake of the file's own, such as one too large, still
// shows. In French and in Arabic.
func TestRequestChoosingAFileAfterNothingSent(t *testing.T) {
	s := newTestServer(t)
	req := s.URL + s.admin().createRequest(url.Values{"accepts": {"any"}})
	dir := t.TempDir()
	small, big := filepath.Join(dir, "key.txt"), filepath.Join(dir, "big.bin")
	if err := os.WriteFile(small, []byte("hunter2"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, s.h.core.Config().MaxUpload+1), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	const (
		messageMistake = `(!!document.getElementById("error-message") || document.getElementById("message").getAttribute("aria-invalid") === "true")`
		fileMistake    = `!!document.getElementById("error-file")`
	)
	for _, lang := range []string{"fr", "ar"} {
		b.acceptLanguage(lang)
		for _, file := range []string{small, big} {
			b.do(chromedp.Navigate(req), chromedp.WaitVisible(chromedp.ID("message")),
				chromedp.Click(chromedp.CSS("[data-testid=send]")),
				chromedp.WaitVisible(chromedp.ID("error-message")))
			b.forgive("status of 400")
			b.do(chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}))
			b.wait(`!`+messageMistake, 2*time.Second)
			if file == big {
				if !eval[bool](b, fileMistake) {
					t.Errorf("in %s, a file too large is not said to be once chosen", lang)
				}
				browsertest.Shoot(t, ctx, "request-file-chosen-after-nothing-sent-"+lang, 390)
			}
		}
	}
	b.clean("a file chosen after nothing was sent")
}
