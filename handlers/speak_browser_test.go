package handlers

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/i18n"
	"oncelink/internal/browsertest"
)

// TestLanguagesInBrowser chooses each language in the footer's menu and
// shows the dashboard, a link's page, settings, the player and a
// recipient's page in it, at 1280 and 390 pixels, light and dark: none
// scrolls sideways or breaks its policy, each is marked with its language
// and direction, and Arabic mirrors the header (the brand on the right).
// With ONCELINK_SCREENSHOTS set, each is kept as lang-PAGE-CODE-WIDTH-SCHEME.png.
func TestLanguagesInBrowser(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	link, _ := b.create("The door code is 4711.", "1h", "Door code")
	b.create("ssh-ed25519 AAAAC3Nz", "30d", "A server key for the new colleague in the support team")
	b.create("gone soon", "10m", "Short")
	s.clock.Advance(11 * time.Minute) // its status is the longest word in some languages

	// Moving through the menu sends nothing: its visible button does.
	b.open("/links", "#language-menu")
	b.do(chromedp.Evaluate[chromedp.Void](`(() => {
		const menu = document.getElementById("language-menu");
		window.__before = true;
		menu.value = "de";
		menu.dispatchEvent(new Event("input", {bubbles: true}));
		menu.dispatchEvent(new Event("change", {bubbles: true}));
	})()`))
	time.Sleep(300 * time.Millisecond)
	if !eval[bool](b, `window.__before === true && document.documentElement.lang === "en"`) ||
		!eval[bool](b, `document.querySelector("form.language button[type=submit]").checkVisibility()`) {
		t.Error("choosing in the language menu sent it, or its button is hidden")
	}

	for _, l := range i18n.Languages {
		// English is chosen on an English page: the wait is for the new one.
		b.chooseLanguage("/links", l.Code)
		for _, p := range []struct{ name, path, sel string }{
			{"links", "/links", "#link-rows"},
			{"link", "/links/1", "main h1"},
			{"settings", "/settings", "#settings-language"},
			{"player", "/player", "main h1"},
			{"recipient", strings.TrimPrefix(link, s.URL), "main form"},
		} {
			b.open(p.path, p.sel)
			if got := eval[string](b, `document.documentElement.lang + " " + document.documentElement.dir`); got != l.Code+" "+l.Dir() {
				t.Errorf("%s in %s is marked %q", p.name, l.Code, got)
			}
			// The brand starts the header: on the left, or on the right
			// in a language written right to left.
			brandFirst := eval[bool](b, `(() => {
				const brand = document.querySelector("header .brand").getBoundingClientRect();
				const nav = document.querySelector("header nav").getBoundingClientRect();
				return document.documentElement.dir === "rtl" ? brand.right >= nav.right : brand.left <= nav.left;
			})()`)
			if !brandFirst {
				t.Errorf("%s in %s: the header is not laid out for its direction", p.name, l.Code)
			}
			if p.name == "links" {
				// Kinds and statuses fit their columns, whole.
				spill := eval[string](b, `[...document.querySelectorAll("#link-rows [data-testid=status], #link-rows td:nth-child(2)")].
					filter(el => { const r = el.getBoundingClientRect(), c = el.closest("td").getBoundingClientRect();
						return r.left < c.left - 1 || r.right > c.right + 1 || el.scrollWidth > el.clientWidth + 1 }).
					map(el => el.textContent).join(", ")`)
				if spill != "" {
					t.Errorf("the list in %s: %s spill out of their cells", l.Code, spill)
				}
				// A web address reads left to right in every language.
				if dir := eval[string](b, `getComputedStyle(document.getElementById("url")).direction`); dir != "ltr" {
					t.Errorf("the web address field in %s is %s", l.Code, dir)
				}
			}
			// Nothing runs off the side of a narrow phone.
			for _, width := range []int64{390, 320} {
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
					t.Fatal(err)
				}
				out := eval[string](b, `[...document.querySelectorAll("main *")].filter(el => {
					const r = el.getBoundingClientRect();
					return r.width > 0 && (r.left < -1 || r.right > document.documentElement.clientWidth + 1);
				}).slice(0, 3).map(el => el.tagName + "." + el.className + ": " + el.textContent.trim().slice(0, 40)).join("; ")`)
				if out != "" {
					t.Errorf("%s in %s at %dpx: %s run off the page", p.name, l.Code, width, out)
				}
			}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
				t.Fatal(err)
			}
			browsertest.Shoot(t, ctx, "lang-"+p.name+"-"+l.Code)
			b.clean(p.name + " in " + l.Code)
		}
	}
}

// chooseLanguage chooses code in the footer's language menu of the page at
// path, as a person does, and waits for the page that answers in it.
func (b *tab) chooseLanguage(path, code string) {
	b.t.Helper()
	b.open(path, "#language-menu")
	b.do(chromedp.Evaluate[chromedp.Void](`(() => {
		const menu = document.getElementById("language-menu");
		window.__before = true; // gone once the chosen page has loaded
		menu.value = "` + code + `";
		menu.form.querySelector("button[type=submit]").click();
	})()`))
	b.wait(`!window.__before && document.readyState === "complete" && document.documentElement.lang === "`+code+`"`, 5*time.Second)
}
