package handlers

import (
	"encoding/base64"
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"oncelink/internal/browsertest"
)

// columnWidths are the widths of the dashboard table's columns.
const columnWidths = `Array.from(document.querySelectorAll("table.links thead th"), th => th.getBoundingClientRect().width)`

// contrasts are the contrast ratios (WCAG 2) of each status badge's text
// with the background it is drawn on, by status; and, by the name of each
// colour of text and of the focus ring, the lower of its ratios with the
// page's background and a panel's, wherever a later page may draw it.
const contrasts = `(() => {
	const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
	const lum = ([r, g, b]) => {
		const f = (c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
		return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
	};
	const ratio = (a, c) => (Math.max(a, c) + 0.05) / (Math.min(a, c) + 0.05);
	const background = (el) => {
		for (; el; el = el.parentElement) {
			const c = rgb(getComputedStyle(el).backgroundColor);
			if (c.length === 3 || c[3] > 0) return c;
		}
		return [255, 255, 255];
	};
	const out = {};
	document.querySelectorAll("[data-testid=link-row] .badge").forEach((b) => {
		out[b.textContent.trim()] = ratio(lum(rgb(getComputedStyle(b).color)), lum(background(b)));
	});
	for (const name of ["--focus", "--text", "--muted", "--accent", "--ok", "--warn", "--bad"]) {
		const probe = document.createElement("span");
		probe.style.color = "var(" + name + ")";
		document.querySelector(".panel").appendChild(probe);
		const c = lum(rgb(getComputedStyle(probe).color));
		out[name] = Math.min(ratio(c, lum(background(probe))), ratio(c, lum(background(document.body))));
		probe.remove();
	}
	return out;
})()`

// TestDashboardLayoutHolds: the list's columns keep their widths while its
// rows change under them, times never break across lines, and every status
// badge can be read (4.5:1) and the focus ring seen (3:1) in light and dark.
func TestDashboardLayoutHolds(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	first, row := b.create("first", "10m", "First")
	b.create("second", "1h", "Second")

	widths := eval[[]float64](b, columnWidths)
	same := func(when string) {
		t.Helper()
		got := eval[[]float64](b, columnWidths)
		for i := range widths {
			if math.Abs(got[i]-widths[i]) > 0.5 {
				t.Errorf("%s, the columns are %v wide, were %v", when, got, widths)
				return
			}
		}
	}
	countdown := `document.querySelector("#` + row + ` time.countdown").textContent`
	b.wait(countdown+` !== `+strconv.Quote(eval[string](b, countdown)), 2*time.Second)
	same("after a tick")
	if res := s.client().post(first, nil); res.StatusCode != 200 {
		t.Fatalf("open: %d", res.StatusCode)
	}
	b.wait(`document.getElementById("`+row+`").dataset.status === "used"`, 2*time.Second)
	same("after a row turned used")
	b.do(chromedp.Click(chromedp.CSS("[data-testid=link-row][data-name=Second] [data-testid=revoke]")))
	b.wait(`document.querySelector("[data-name=Second]").dataset.status === "revoked"`, 2*time.Second)
	same("after the last active row was revoked")
	b.create("third", "30d", "The third link, with a label long enough to need two lines in its column")

	for _, width := range []int64{1280, 390} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		if n := eval[int](b, `Array.from(document.querySelectorAll("#link-rows time")).filter(t => getComputedStyle(t).whiteSpace !== "nowrap").length`); n > 0 {
			t.Errorf("at %dpx, %d times may break across lines", width, n)
		}
		for _, scheme := range []string{"light", "dark"} {
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
			}); err != nil {
				t.Fatal(err)
			}
			got := eval[map[string]float64](b, contrasts)
			if len(got) != 3+7 {
				t.Errorf("badges and colours: %v", got)
			}
			// A focus ring is no text: 3:1 (WCAG 1.4.11).
			if got["--focus"] < 3 {
				t.Errorf("at %dpx in %s, the focus ring's contrast is %.2f:1", width, scheme, got["--focus"])
			}
			delete(got, "--focus")
			for name, ratio := range got {
				if ratio < 4.5 {
					t.Errorf("at %dpx in %s, %s's contrast is %.2f:1", width, scheme, name, ratio)
				}
			}
		}
	}
	browsertest.Shoot(t, ctx, "dashboard-columns")
	b.clean("dashboard")
}

// TestCountdownBesideRevokeOnAPhone: on a phone, in German and in Arabic,
// whose countdowns run longest, a row's countdown stays in its cell and
// never runs under the Revoke button beside it.
func TestCountdownBesideRevokeOnAPhone(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	c := s.signIn("ada")
	c.createLink(url.Values{"label": {"Minutes"}, "ttl": {"1h"}})
	c.createLink(url.Values{"label": {"Days"}, "ttl": {"7d"}})
	for _, code := range []string{"de", "ar"} {
		b.chooseLanguage("/links", code)
		for _, width := range []int64{390, 320} {
			b.do(chromedp.EmulateViewport(width, 900))
			got := eval[[]string](b, `Array.from(document.querySelectorAll("#link-rows > tr"), row => {
				const cell = row.querySelector("[data-testid=life]").closest("td").getBoundingClientRect();
				const time = row.querySelector("time.countdown").getBoundingClientRect();
				const button = row.querySelector("[data-testid=revoke]").getBoundingClientRect();
				const apart = time.right <= button.left || time.left >= button.right || time.bottom <= button.top || time.top >= button.bottom;
				return time.left >= cell.left - 0.5 && time.right <= cell.right + 0.5 && apart ? "" : row.dataset.name;
			}).filter(Boolean)`)
			if len(got) > 0 {
				t.Errorf("in %s at %dpx, the countdowns of %v run out of their cells", code, width, got)
			}
		}
		browsertest.Shoot(t, ctx, "dashboard-countdowns-"+code, 390, 320)
		b.clean("dashboard in " + code)
	}
}

// TestLinkRowMarksAndDots: in English and in Arabic, on a wide screen a
// link's marks (password, end-to-end) stand under its kind at the same
// edge, as its file size does, not a few pixels in; on a phone the dot
// between its kind and its uses stands a space from each, as the one
// before a file's size does.
func TestLinkRowMarksAndDots(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	c := s.signIn("ada")
	c.createLink(url.Values{"label": {"Door code"}, "password": {"open sesame"}})
	c.shareFile("notes.txt", []byte("the notes"))
	// How far each mark stands in from its cell's starting edge.
	const marks = `Array.from(document.querySelectorAll("#link-rows td .badge"), mark => {
		const cell = mark.closest("td"), style = getComputedStyle(cell), box = cell.getBoundingClientRect(), r = mark.getBoundingClientRect();
		return document.dir === "rtl" ? box.right - parseFloat(style.paddingRight) - r.right : r.left - box.left - parseFloat(style.paddingLeft);
	})`
	// The room between a row's kind and its uses, which holds their dot,
	// and between a file's kind and its size, which holds theirs: each
	// from the end of the words before it to the start of those after.
	const dots = `(() => {
		const rtl = document.dir === "rtl";
		const rects = node => {
			const range = document.createRange();
			range.selectNodeContents(node);
			return Array.from(range.getClientRects()).filter(r => r.width > 0);
		};
		// Words on one line: where they end and start, whatever the
		// order of their runs (a number in Arabic).
		const line = (rs, l) => rs.filter(r => r.top < l.bottom && r.bottom > l.top);
		const end = node => { const rs = rects(node); return (rtl ? Math.min : Math.max)(...line(rs, rs[rs.length - 1]).map(r => rtl ? r.left : r.right)); };
		const start = node => { const rs = rects(node); return (rtl ? Math.max : Math.min)(...line(rs, rs[0]).map(r => rtl ? r.right : r.left)); };
		const words = cell => Array.from(cell.childNodes).filter(n => n.nodeType === 3 && n.textContent.trim());
		const apart = (a, b) => rtl ? a - b : b - a;
		const rows = Array.from(document.querySelectorAll("#link-rows > tr"), row => {
			const kind = row.children[1], uses = row.children[3];
			return apart(end(kind), start(words(uses)[0]));
		});
		const size = document.querySelector("#link-rows .size");
		return {rows, size: apart(end(words(size.closest("td"))[0]), start(words(size)[0]))};
	})()`
	for _, code := range []string{"en", "ar"} {
		b.chooseLanguage("/links", code)
		b.do(chromedp.EmulateViewport(1280, 900))
		got := eval[[]float64](b, marks)
		if len(got) == 0 {
			t.Fatalf("in %s no mark to measure", code)
		}
		for _, in := range got {
			if math.Abs(in) > 0.5 {
				t.Errorf("in %s at 1280px a mark stands %.1fpx in from its cell's edge", code, in)
			}
		}
		b.do(chromedp.EmulateViewport(390, 900))
		room := eval[struct {
			Rows []float64
			Size float64
		}](b, dots)
		for _, r := range room.Rows {
			if math.Abs(r-room.Size) > 1.5 {
				t.Errorf("in %s at 390px a row's kind and uses stand %.1fpx apart around their dot, a file's kind and size %.1fpx", code, r, room.Size)
			}
		}
		browsertest.Shoot(t, ctx, "dashboard-marks-"+code)
		b.clean("dashboard in " + code)
	}
}

// shareMarked shares, as ada, a link whose kind carries both marks: an
// end-to-end message with a password, from the format's test vectors. It
// returns the link's address.
func shareMarked(t *testing.T, s *testServer) string {
	t.Helper()
	for _, v := range readVectors(t) {
		if v.Header.Kind == "message" && v.Password != "" {
			ct, err := base64.RawURLEncoding.DecodeString(v.Ciphertext)
			if err != nil {
				t.Fatal(err)
			}
			return s.shareE2E("message", v.Password, v.Check, ct)
		}
	}
	t.Fatal("no test vector of a message with a password")
	return ""
}

// TestLinkRowUsesKeepTheirRoom: on a phone, in every language, a link
// whose kind carries both marks (end-to-end and password) leaves the uses
// beside it room for their words: they take two lines at most, where they
// ran down four in Arabic, a word or two a line, beside marks that kept
// one line to themselves.
func TestLinkRowUsesKeepTheirRoom(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	link := shareMarked(t, s)
	s.client().get(link) // a page view, which the uses count too
	// The lines the uses' words take.
	const lines = `(() => {
		const range = document.createRange();
		range.selectNodeContents(document.querySelector("#link-rows [data-testid=uses]"));
		return new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top))).size;
	})()`
	for _, code := range []string{"en", "de", "fr", "es", "ar"} {
		b.chooseLanguage("/links", code)
		b.do(chromedp.EmulateViewport(390, 900))
		if n := eval[int](b, lines); n > 2 {
			t.Errorf("in %s at 390px a marked link's uses (%q) take %d lines", code,
				eval[string](b, `document.querySelector("#link-rows [data-testid=uses]").textContent.trim()`), n)
		}
		browsertest.Shoot(t, ctx, "dashboard-both-marks-"+code, 390)
		b.clean("dashboard in " + code)
	}
}

// TestLinkMarksStayInTheirCell: in every language, on a phone and on a
// wide screen, a link's marks (end-to-end, password) stay within its
// kind's cell, where the Spanish "de extremo a extremo", kept to one line,
// ran out of the column into the status beside it.
func TestLinkMarksStayInTheirCell(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	shareMarked(t, s)
	// The marks that reach past their cell's content box.
	const outside = `Array.from(document.querySelectorAll("#link-rows td .badge:is(.e2e, .mark)"), mark => {
		const cell = mark.closest("td"), style = getComputedStyle(cell), box = cell.getBoundingClientRect(), r = mark.getBoundingClientRect();
		const start = box.left + parseFloat(style.paddingLeft), end = box.right - parseFloat(style.paddingRight);
		return r.left >= start - 0.5 && r.right <= end + 0.5 ? "" : mark.textContent.trim();
	}).filter(Boolean)`
	for _, code := range []string{"en", "de", "fr", "es", "ar"} {
		b.chooseLanguage("/links", code)
		if n := eval[int](b, `document.querySelectorAll("#link-rows td .badge:is(.e2e, .mark)").length`); n != 2 {
			t.Fatalf("in %s, %d marks, want the end-to-end and the password marks", code, n)
		}
		for _, width := range []int64{1280, 390} {
			b.do(chromedp.EmulateViewport(width, 900))
			if got := eval[[]string](b, outside); len(got) > 0 {
				t.Errorf("in %s at %dpx, the marks %q run out of their cell", code, width, got)
			}
		}
		browsertest.Shoot(t, ctx, "dashboard-marks-in-cell-"+code)
		b.clean("dashboard in " + code)
	}
}

// TestCreateFormFitsAPhone: on a phone the create form's fields come one
// under another, each as wide as the form; on a wide screen its rows keep
// them side by side.
func TestCreateFormFitsAPhone(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	// As on a phone, whose scrollbars take no room from the page.
	if _, err := chromedp.Call(ctx, emulation.SetScrollbarsHidden, emulation.SetScrollbarsHiddenParams{Hidden: true}); err != nil {
		t.Fatal(err)
	}
	// For each of the form's rows, how many columns its fields take, and
	// whether each is as wide as the form.
	const layout = `Array.from(document.querySelectorAll("#create .row"), row => {
		const form = document.getElementById("create").getBoundingClientRect().width;
		const fields = Array.from(row.children, f => f.getBoundingClientRect());
		return {columns: new Set(fields.map(f => Math.round(f.left))).size,
			full: fields.every(f => Math.abs(f.width - form) < 1)};
	})`
	type row struct {
		Columns int  `json:"columns"`
		Full    bool `json:"full"`
	}
	for _, width := range []int64{400, 1280} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		rows := eval[[]row](b, layout)
		if len(rows) == 0 {
			t.Fatal("no rows in the create form")
		}
		for i, r := range rows {
			if phone := width < 640; phone && (r.Columns != 1 || !r.Full) {
				t.Errorf("at %dpx, the form's row %d takes %d columns (full width: %v), want one", width, i+1, r.Columns, r.Full)
			} else if !phone && r.Columns < 2 {
				t.Errorf("at %dpx, the form's row %d takes one column", width, i+1)
			}
		}
	}
	browsertest.Shoot(t, ctx, "create-form-columns", 1280, 400)
	b.clean("create form")
}

// TestCreateFormHelpsInBrowser: the lifetime buttons fill the free field,
// the generator fills the password with a fresh random one that can be
// read and copied, and a new link's instructions copy to the clipboard.
func TestCreateFormHelpsInBrowser(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()

	b.do(chromedp.Click(chromedp.CSS(`[data-ttl="7d"]`)))
	if got := eval[string](b, `document.getElementById("ttl").value`); got != "7d" {
		t.Errorf("the 7 days button left the field at %q", got)
	}
	if got := eval[[]string](b, `Array.from(document.querySelectorAll("[data-ttl][aria-pressed=true]"), b => b.dataset.ttl)`); len(got) != 1 || got[0] != "7d" {
		t.Errorf("pressed: %v", got)
	}
	if got := eval[string](b, `document.querySelector("[data-testid=expiry-preview]").textContent`); !strings.HasPrefix(got, "Expires ") {
		t.Errorf("the preview says %q", got)
	}
	b.retype("ttl", "2h")
	if n := eval[int](b, `document.querySelectorAll("[data-ttl][aria-pressed=true]").length`); n != 0 {
		t.Errorf("%d lifetime buttons pressed for 2h", n)
	}
	// The preview reads a lifetime as the server does, fractions too.
	for _, c := range []struct{ ttl, says string }{{"1.5h", "Expires "}, {"30.5d", "Out of range"}, {"1.h", "Not a duration"},
		{"1d1d", "Not a duration"}, {"1H", "Not a duration"}} {
		b.retype("ttl", c.ttl)
		if got := eval[string](b, `document.querySelector("[data-testid=expiry-preview]").textContent`); !strings.HasPrefix(got, c.says) {
			t.Errorf("for %s the preview says %q, want %q…", c.ttl, got, c.says)
		}
	}
	b.retype("ttl", "2h")

	b.do(chromedp.Click(chromedp.CSS(`[data-generate=password]`)))
	password := eval[string](b, `document.getElementById("password").value`)
	alphabet := eval[string](b, `document.querySelector("[data-generate]").dataset.alphabet`)
	if len(password) != 20 || strings.Trim(password, alphabet) != "" {
		t.Errorf("generated %q", password)
	}
	if eval[string](b, `document.getElementById("password").type`) != "text" || !eval[bool](b, `!document.querySelector("[data-copy=password]").hidden`) {
		t.Error("the generated password cannot be read or copied")
	}
	b.do(chromedp.Click(chromedp.CSS(`[data-generate=password]`)))
	if got := eval[string](b, `document.getElementById("announcer").textContent`); got == "" ||
		got != eval[string](b, `document.querySelector("#password").closest(".field").querySelector("[data-generated]").textContent`) {
		t.Errorf("after Generate the live region says %q", got)
	}
	again := eval[string](b, `document.getElementById("password").value`)
	if again == password {
		t.Error("the generator gave the same password twice")
	}
	browsertest.Shoot(t, ctx, "create-form")

	b.create("the code is 4711", "1d", "With a password")
	text := eval[string](b, `document.querySelector("[data-testid=instructions]").value`)
	if !strings.Contains(text, "The password comes separately.") {
		t.Errorf("the instructions: %q", text)
	}
	if _, err := chromedp.Call(ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "clipboard-read"}, Setting: browser.PermissionSettingGranted, Origin: s.URL,
	}); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Click(chromedp.CSS(`[data-copy=created-instructions]`)))
	b.wait(`document.querySelector("[data-copy=created-instructions]").textContent === "Copied"`, 2*time.Second)
	// The button's name stays what it copies; a screen reader hears the
	// copy done from the page's live region.
	if got := eval[string](b, `document.getElementById("announcer").textContent`); got != "Copied" {
		t.Errorf("the live region says %q after a copy", got)
	}
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)); err != nil || got != text {
		t.Errorf("the clipboard holds %q (%v), want the instructions", got, err)
	}
	browsertest.Shoot(t, ctx, "created")
	b.clean("create form")

	// The recipient's side, in a browser without the owner's session.
	link := eval[string](b, `document.querySelector("[data-testid=link-url]").value`)
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	b.open(link[len(s.URL):], "[data-testid=open]")
	if eval[bool](b, `!!document.querySelector("nav a[href='/player']")`) {
		t.Error("the recipient's page links to the player demo")
	}
	browsertest.Shoot(t, ctx, "landing")
	b.do(chromedp.SendKeys(chromedp.ID("link-password"), again), chromedp.Click(chromedp.CSS("[data-testid=open]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=message]")))
	browsertest.Shoot(t, ctx, "delivered-message")
	b.clean("recipient")
}

// TestPanelsEndAtTheirPadding: a link's facts and its timeline, and the
// settings' list of sessions, end their panels with the panel's padding
// below them, as much as above the heading: no margin of their own widens
// the panel's bottom edge.
func TestPanelsEndAtTheirPadding(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	s.signIn("ada").createLink(url.Values{"label": {"Facts"}})
	// For each panel, the space below its last shown part, and its padding.
	const gaps = `Array.from(document.querySelectorAll(SEL), panel => {
		const shown = Array.from(panel.children).filter(el => el.getClientRects().length > 0);
		const last = shown[shown.length - 1].getBoundingClientRect();
		const inner = panel.getBoundingClientRect().bottom - parseFloat(getComputedStyle(panel).borderBottomWidth);
		return [inner - last.bottom, parseFloat(getComputedStyle(panel).paddingBottom)];
	})`
	for _, page := range []struct{ path, sel string }{
		{"/links/1", "main .panel"},
		{"/settings", "[data-testid=sessions]"},
	} {
		b.open(page.path, "main .panel")
		for _, width := range []int64{1280, 390} {
			b.do(chromedp.EmulateViewport(width, 900))
			for i, g := range eval[[][]float64](b, strings.Replace(gaps, "SEL", strconv.Quote(page.sel), 1)) {
				if math.Abs(g[0]-g[1]) > 0.5 {
					t.Errorf("%s at %dpx: panel %d has %.1fpx below its last part, its padding is %.1fpx", page.path, width, i, g[0], g[1])
				}
			}
		}
		browsertest.Shoot(t, ctx, "panels-end"+strings.ReplaceAll(page.path, "/", "-"))
	}
}
