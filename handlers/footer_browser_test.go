package handlers

import (
	"testing"

	"github.com/chromedp/chromedp"

	"oncelink/i18n"
	"oncelink/internal/browsertest"
)

// TestFooterLaysOutAlike: the footer's language menu lays out the same way
// in every language. On a wide screen its label, menu and button share one
// row at the row's end. On a phone, where no language's words fit in one
// row, the label and the menu fill the first row from edge to edge and the
// button sits below at its end, rather than one language's button wrapping
// alone onto a line of its own. Ends are the language's: the left in
// Arabic. With ONCELINK_SCREENSHOTS set, each is kept as
// footer-CODE-WIDTH-SCHEME.png.
func TestFooterLaysOutAlike(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	// measure is where the footer's form and its parts are: edges across,
	// from the form's start edge, as the language reads; and down, from
	// the form's top.
	type box struct{ Start, End, Top, Mid, Bottom float64 }
	type layout struct{ Form, Label, Menu, Button box }
	measure := func() layout {
		return eval[layout](b, `(() => {
			const form = document.querySelector("footer form.language"), f = form.getBoundingClientRect();
			const style = getComputedStyle(form), rtl = style.direction === "rtl";
			const box = (el) => {
				const r = el.getBoundingClientRect();
				return {start: rtl ? f.right - r.right : r.left - f.left, end: rtl ? f.right - r.left : r.right - f.left,
					top: r.top - f.top, mid: (r.top + r.bottom) / 2 - f.top, bottom: r.bottom - f.top};
			};
			return {form: {start: parseFloat(style.paddingInlineStart), end: f.width - parseFloat(style.paddingInlineEnd)},
				label: box(form.querySelector("label")), menu: box(form.querySelector("select")), button: box(form.querySelector("button"))};
		})()`)
	}
	near := func(a, b float64) bool { return a-b < 2 && b-a < 2 }
	oneRow := func(a, b box) bool { return a.Mid-b.Mid < 4 && b.Mid-a.Mid < 4 && a.End <= b.Start }
	for _, l := range i18n.Languages {
		b.acceptLanguage(l.Code)
		b.open("/login", "#language-menu")

		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatal(err)
		}
		wide := measure()
		if !oneRow(wide.Label, wide.Menu) || !oneRow(wide.Menu, wide.Button) || !near(wide.Button.End, wide.Form.End) {
			t.Errorf("%s at 1280px: the label, menu and button are not one row at its end: %+v", l.Code, wide)
		}

		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 900)); err != nil {
			t.Fatal(err)
		}
		phone := measure()
		switch {
		case !oneRow(phone.Label, phone.Menu) || !near(phone.Label.Start, phone.Form.Start) || !near(phone.Menu.End, phone.Form.End):
			t.Errorf("%s at 390px: the label and the menu do not fill the first row: %+v", l.Code, phone)
		case phone.Button.Top < phone.Menu.Bottom || !near(phone.Button.End, phone.Form.End):
			t.Errorf("%s at 390px: the button is not below the menu, at the row's end: %+v", l.Code, phone)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatal(err)
		}
		browsertest.Shoot(t, ctx, "footer-"+l.Code)
		b.clean("the footer in " + l.Code)
	}
}
