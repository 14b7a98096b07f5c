package handlers

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/internal/browsertest"
)

// TestSelfServiceInBrowser: the sessions list as a person sees it, a
// password change that signs the other session's open dashboard out, and a
// reset's one-time link on the accounts page.
func TestSelfServiceInBrowser(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	// Ada signs in on a phone too, and Bob has an account.
	phone := s.onPhone("ada")
	if _, err := s.h.core.AddAccount(t.Context(), "bob", testPassword, false); err != nil {
		t.Fatal(err)
	}

	b.open("/settings", "[data-testid=sessions]")
	if n := eval[int](b, `document.querySelectorAll("[data-testid=session-row]").length`); n != 2 {
		t.Fatalf("sessions listed: %d", n)
	}
	if got := eval[string](b, `document.querySelector("[data-testid=session-row][data-current]").textContent`); !strings.Contains(got, "this session") {
		t.Errorf("this session's row: %q", got)
	}
	if got := eval[string](b, `document.querySelector("[data-testid=session-row]:not([data-current])").textContent`); !strings.Contains(got, "Safari 17 on iPhone") {
		t.Errorf("the phone's row: %q", got)
	}
	browsertest.Shoot(b.t, b.ctx, "settings-sessions")
	b.clean("settings with two sessions")

	b.do(
		chromedp.SendKeys(chromedp.ID("current-password"), testPassword),
		chromedp.SendKeys(chromedp.ID("new-password"), "another good password"),
		chromedp.Click(chromedp.CSS("[data-testid=change-password]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=password-changed]")),
	)
	if n := eval[int](b, `document.querySelectorAll("[data-testid=session-row]").length`); n != 1 {
		t.Errorf("sessions after the change: %d", n)
	}
	browsertest.Shoot(b.t, b.ctx, "settings-password-changed")
	b.clean("password changed")
	if res := phone.get("/links"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the phone after the change: %d", res.StatusCode)
	}

	b.open("/accounts", "[data-testid=account-row]")
	b.do(
		chromedp.Click(chromedp.CSS(`[data-testid=account-row][data-name=bob] [data-testid=reset-password]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=reset]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=link-url]")),
	)
	browsertest.Shoot(b.t, b.ctx, "accounts-reset")
	b.clean("password reset")
}

// adaAndBob is a tab signed in as ada, who set the server up, and bob, a
// member beside her.
func adaAndBob(t *testing.T) (*testServer, *tab, core.Account) {
	t.Helper()
	s := newTestServer(t)
	b := newTab(t, browsertest.New(t), s)
	b.setUp()
	bob, err := s.h.core.AddAccount(t.Context(), "bob", testPassword, false)
	if err != nil {
		t.Fatal(err)
	}
	return s, b, bob
}

// TestGoneAccountLeavesTheList: a button in the list of an account deleted
// since the page was shown says so in the page's alerts, and the account's
// row leaves the list.
func TestGoneAccountLeavesTheList(t *testing.T) {
	s, b, bob := adaAndBob(t)
	b.open("/accounts", "[data-testid=account-row][data-name=bob]")
	if _, err := s.h.core.DeleteAccount(t.Context(), nil, bob.ID); err != nil {
		t.Fatal(err)
	}
	b.do(
		chromedp.Click(chromedp.CSS(`[data-testid=account-row][data-name=bob] [data-testid=promote]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=alerts] [data-testid=error]")),
	)
	if got, want := eval[string](b, `document.querySelector("[data-testid=alerts]").textContent`), i18n.For("en").T("error.account_gone"); !strings.Contains(got, want) {
		t.Errorf("the alerts say %q, want %q", got, want)
	}
	if n := eval[int](b, `document.querySelectorAll("[data-testid=account-row][data-name=bob]").length`); n != 0 {
		t.Error("bob's row is still on the list")
	}
	if n := eval[int](b, `document.querySelectorAll("[data-testid=account-row]").length`); n != 1 {
		t.Errorf("%d rows left, want ada's", n)
	}
	// The button pressed went with its row: the focus goes to what the
	// answer says, not back to the page's start.
	b.wait(`document.activeElement.matches("[data-testid=alerts] [role=alert]")`, time.Second)
	browsertest.Shoot(b.t, b.ctx, "accounts-gone")
	b.forgive("status of 404") // the answer, as the browser logs it
	b.clean("a gone account's row")
}

// TestGoneAccountsLeaveOnlyYou: as the rows of accounts deleted since the
// page was shown leave the list one by one, the list says that the viewer
// is its only account once the last other row has gone, and not before.
func TestGoneAccountsLeaveOnlyYou(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	var others []int64
	for _, name := range []string{"bob", "carol"} {
		a, err := s.h.core.AddAccount(t.Context(), name, testPassword, false)
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, a.ID)
	}
	b.open("/accounts", "[data-testid=account-row][data-name=carol]")
	const hint = `document.querySelectorAll("[data-testid=only-you]").length`
	for i, name := range []string{"bob", "carol"} {
		if n := eval[int](b, hint); n != 0 {
			t.Fatalf("before %s's row goes, the list says %d times that ada is alone", name, n)
		}
		if _, err := s.h.core.DeleteAccount(t.Context(), nil, others[i]); err != nil {
			t.Fatal(err)
		}
		b.do(chromedp.Click(chromedp.CSS(`[data-testid=account-row][data-name=` + name + `] [data-testid=promote]`)))
		b.wait(`!document.querySelector("[data-testid=account-row][data-name=`+name+`]")`, 5*time.Second)
	}
	if n := eval[int](b, hint); n != 1 {
		t.Errorf("with ada's row alone on the list, it says %d times that she is alone, want once", n)
	}
	b.forgive("status of 404") // the answers, as the browser logs them
	b.clean("the last other row gone")
}

// TestAccountsListFitsAPhone: the buttons of each account in the list
// line up where they wrap, and their lines stand as far apart as the
// buttons do side by side, in every language, on a phone and on a wide
// screen. On a phone, every account's status starts at the same edge.
func TestAccountsListFitsAPhone(t *testing.T) {
	s := newTestServer(t)
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	// A member, an administrator, and a disabled member.
	for _, name := range []string{"bob", "carol", "dave"} {
		a, err := s.h.core.AddAccount(t.Context(), name, testPassword, name == "carol")
		if err == nil && name == "dave" {
			_, _, err = s.h.core.SetDisabled(t.Context(), nil, a.ID, true)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// For each row, the lines of its buttons (their top, bottom and
	// inline-start edge), the narrowest space between two buttons side
	// by side (-1 when none are), and the inline-start edge of its status.
	type line struct{ Top, Bottom, Start int }
	type row struct {
		Name   string
		Lines  []line
		Across int
		Status int
	}
	const measure = `Array.from(document.querySelectorAll("[data-testid=account-row]"), row => {
		const rtl = getComputedStyle(row).direction === "rtl";
		const start = r => Math.round(rtl ? -r.right : r.left), end = r => Math.round(rtl ? -r.left : r.right);
		const lines = [];
		let across = -1;
		row.querySelectorAll("td:last-child button").forEach(b => {
			const r = b.getBoundingClientRect(), top = Math.round(r.top);
			let l = lines.find(l => l.top === top);
			if (!l) lines.push(l = {top, bottom: Math.round(r.bottom), start: start(r), end: end(r)});
			else {
				const gap = Math.min(Math.abs(start(r) - l.end), Math.abs(l.start - end(r)));
				across = across < 0 ? gap : Math.min(across, gap);
				l.start = Math.min(l.start, start(r));
				l.end = Math.max(l.end, end(r));
			}
		});
		const status = row.querySelector("[data-testid=account-status]").getBoundingClientRect();
		return {name: row.dataset.name, lines, across, status: start(status)};
	})`
	for _, lang := range []string{"en", "de", "ar"} {
		b.chooseLanguage("/accounts", lang)
		for _, width := range []int64{390, 1280} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
				t.Fatal(err)
			}
			rows := eval[[]row](b, measure)
			for _, r := range rows {
				for i, l := range r.Lines[min(1, len(r.Lines)):] {
					if l.Start != r.Lines[0].Start {
						t.Errorf("in %s at %dpx, %s's buttons wrap to lines starting at %v", lang, width, r.Name, r.Lines)
					}
					if down := l.Top - r.Lines[i].Bottom; down < r.Across {
						t.Errorf("in %s at %dpx, %s's lines of buttons are %dpx apart, and its buttons side by side %dpx", lang, width, r.Name, down, r.Across)
					}
				}
				if width < 641 && r.Status != rows[0].Status {
					t.Errorf("in %s at %dpx, %s's status starts at %d, %s's at %d", lang, width, r.Name, r.Status, rows[0].Name, rows[0].Status)
				}
			}
		}
		browsertest.Shoot(t, ctx, "accounts-list-"+lang)
		b.clean("accounts in " + lang)
	}
}

// TestAccountActionsKeepFocus: a keyboard user who makes an account an
// administrator, a member again, or disables or enables it, finds the
// focus on the button that took the pressed one's place in the row, not
// back at the page's start.
func TestAccountActionsKeepFocus(t *testing.T) {
	_, b, _ := adaAndBob(t)
	b.open("/accounts", "[data-testid=account-row][data-name=bob]")
	const row = `[data-testid=account-row][data-name=bob]`
	for _, step := range []struct{ press, then string }{
		{"promote", "demote"},
		{"demote", "promote"},
		{"disable", "enable"},
		{"enable", "disable"},
	} {
		b.do(
			chromedp.Focus(chromedp.CSS(row+` [data-testid=`+step.press+`]`)),
			chromedp.KeyEvent("\r"),
			chromedp.WaitVisible(chromedp.CSS(row+` [data-testid=`+step.then+`]`)),
		)
		b.wait(`document.activeElement.matches("`+row+` [data-testid=`+step.then+`]")`, time.Second)
	}
	b.clean("account actions")
}

// TestUnchangedAccountInBrowser: a page left open in another tab makes an
// administrator of an account that became one meanwhile, a member of one
// that became a member, disables one that was disabled, enables one that
// was enabled, and removes the second factors of one that has
// none left: each says that nothing changed and why, for the eye beside
// the list and, for a screen reader, once from the page's live region, as
// the focus stays on the row's button; in English and in Arabic.
func TestUnchangedAccountInBrowser(t *testing.T) {
	s, b, bob := adaAndBob(t)
	const row = `[data-testid=account-row][data-name=bob]`
	admin := func(admin bool) func() error {
		return func() error { _, _, err := s.h.core.SetAdmin(t.Context(), nil, bob.ID, admin); return err }
	}
	disabled := func(disabled bool) func() error {
		return func() error { _, _, err := s.h.core.SetDisabled(t.Context(), nil, bob.ID, disabled); return err }
	}
	// press presses the row's button after another tab did what it does,
	// and waits for the row, the notice and the live region to say want.
	press := func(button, then string, meanwhile func() error, want string) {
		t.Helper()
		b.do(chromedp.Evaluate[chromedp.Void](`window.__said = []`))
		if err := meanwhile(); err != nil {
			t.Fatal(err)
		}
		b.do(
			chromedp.Focus(chromedp.CSS(row+` [data-testid=`+button+`]`)),
			chromedp.KeyEvent("\r"),
			chromedp.WaitVisible(chromedp.CSS(row+` [data-testid=`+then+`]`)),
		)
		b.wait(`document.activeElement.matches("`+row+` [data-testid=`+then+`]") &&
			document.querySelector("#alerts [data-testid=unchanged]").textContent.trim() === "`+want+`" &&
			document.getElementById("announcer").textContent === "`+want+`"`, time.Second)
		time.Sleep(500 * time.Millisecond)
		if said := eval[[]string](b, `window.__said`); len(said) != 1 || said[0] != want {
			t.Errorf("the live region said %q, want %q once", said, want)
		}
	}

	b.open("/accounts", row)
	b.do(chromedp.Evaluate[chromedp.Void](announcerWatch))
	press("promote", "demote", admin(true), "bob is already an administrator: nothing changed.")
	browsertest.Shoot(t, b.ctx, "accounts-unchanged")
	// The next action clears the notice.
	press("demote", "promote", admin(false), "bob is already a member: nothing changed.")
	press("disable", "enable", disabled(true), "bob is already disabled: nothing changed.")
	browsertest.Shoot(t, b.ctx, "accounts-unchanged-disabled")
	press("enable", "disable", disabled(false), "bob is already enabled: nothing changed.")

	s.enrolTOTP("bob")
	b.open("/accounts", "[data-testid=reset-two-factor]")
	if _, _, err := s.h.core.ResetTwoFactor(t.Context(), nil, bob.ID); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Click(chromedp.CSS("[data-testid=reset-two-factor]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=two-factor-policy] [data-testid=unchanged]")))
	if got := eval[string](b, `document.querySelector("[data-testid=unchanged]").textContent.trim()`); got != "bob has no second factor to reset: nothing changed." {
		t.Errorf("the reset that removed nothing says %q", got)
	}
	if eval[bool](b, `!!document.querySelector("[data-testid=two-factor-reset]")`) {
		t.Error("the reset that removed nothing says it removed the factors")
	}
	browsertest.Shoot(t, b.ctx, "accounts-no-factor-to-reset")

	b.acceptLanguage("ar")
	b.open("/accounts", "html[dir=rtl] "+row)
	b.do(chromedp.Evaluate[chromedp.Void](announcerWatch))
	press("promote", "demote", admin(true), "bob مسؤول من قبل: لم يتغير شيء.")
	browsertest.Shoot(t, b.ctx, "accounts-unchanged-ar")
	s.enrolTOTP("bob")
	b.open("/accounts", "[data-testid=reset-two-factor]")
	if _, _, err := s.h.core.ResetTwoFactor(t.Context(), nil, bob.ID); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Click(chromedp.CSS("[data-testid=reset-two-factor]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=two-factor-policy] [data-testid=unchanged]")))
	browsertest.Shoot(t, b.ctx, "accounts-no-factor-to-reset-ar")
	b.do(chromedp.Evaluate[chromedp.Void](announcerWatch))
	press("disable", "enable", disabled(true), "حساب bob معطَّل من قبل: لم يتغير شيء.")
	browsertest.Shoot(t, b.ctx, "accounts-unchanged-disabled-ar")
	b.clean("a change that found it so already")
}

// TestPinnedNoticeLeavesTheFormInSight: on a phone, what a row's button
// said stays pinned at the top of the screen as the page scrolls, in
// English and in Arabic. Scrolled back up to the form, it covers the
// form's first field; its own button, at its end, puts it away, giving the
// focus back to the page, which stays where it was.
func TestPinnedNoticeLeavesTheFormInSight(t *testing.T) {
	s, b, bob := adaAndBob(t)
	const row = `[data-testid=account-row][data-name=bob]`
	b.do(chromedp.EmulateViewport(390, 700))
	for i, lang := range []string{"en", "ar"} {
		b.acceptLanguage(lang)
		b.open("/accounts", "html[lang="+lang+"] "+row)
		if _, _, err := s.h.core.SetAdmin(t.Context(), nil, bob.ID, i == 0); err != nil {
			t.Fatal(err)
		}
		button := "promote"
		if i == 1 {
			button = "demote"
		}
		b.do(chromedp.Click(chromedp.CSS(row+" [data-testid="+button+"]")),
			chromedp.WaitVisible(chromedp.CSS("#alerts [data-testid=unchanged]")))
		if eval[float64](b, `scrollY`) < 100 {
			t.Fatalf("in %s the row's button is in sight without scrolling: the page is too short to tell", lang)
		}
		browsertest.Screenshot(t, b.ctx, "pinned-notice-"+lang)
		// Scrolled back up to the form, the notice covers its first field.
		const covered = `(() => {
			const f = document.getElementById("username").getBoundingClientRect();
			const a = document.getElementById("alerts").getBoundingClientRect();
			return a.height > 0 && f.top < a.bottom && f.bottom > a.top;
		})()`
		b.do(chromedp.Evaluate[chromedp.Void](`scrollTo(0, scrollY + document.getElementById("username").getBoundingClientRect().top - 40)`))
		if !eval[bool](b, covered) {
			t.Fatalf("in %s the pinned notice leaves the form in sight: nothing to put away", lang)
		}
		browsertest.Screenshot(t, b.ctx, "pinned-notice-"+lang+"-form")
		const fieldTop = `document.getElementById("username").getBoundingClientRect().top`
		y := eval[float64](b, fieldTop)
		label := eval[string](b, `(document.querySelector("#alerts [data-testid=dismiss]") || {}).ariaLabel || ""`)
		if want := i18n.For(lang).T("js.alerts.dismiss"); label != want {
			t.Fatalf("in %s the notice's button is labelled %q, want %q", lang, label, want)
		}
		// The button sits at the notice's end: the right in English, the left in Arabic.
		end := eval[bool](b, `(() => {
			const d = document.querySelector("#alerts [data-testid=dismiss]").getBoundingClientRect();
			const a = document.getElementById("alerts").getBoundingClientRect();
			return document.dir === "rtl" ? d.left - a.left < 12 : a.right - d.right < 12;
		})()`)
		if !end {
			t.Errorf("in %s the notice's button is not at its end", lang)
		}
		b.do(chromedp.Focus(chromedp.CSS("#alerts [data-testid=dismiss]")), chromedp.KeyEvent("\r"))
		b.wait(`document.getElementById("alerts").childElementCount === 0 && document.activeElement.id === "main"`, time.Second)
		if eval[bool](b, covered) {
			t.Errorf("in %s the notice put away still covers the form", lang)
		}
		if got := eval[float64](b, fieldTop); got < y-1 || got > y+1 {
			t.Errorf("in %s the form moved from %vpx to %vpx as the notice went", lang, y, got)
		}
		browsertest.Screenshot(t, b.ctx, "pinned-notice-"+lang+"-dismissed")
	}
	b.clean("a pinned notice on a phone")
}

// TestAccountButtonsBreakInPairs: an account's four buttons stand on one
// line where they fit, and otherwise break between their two pairs
// (password and powers; disable and delete), never as three and one, at
// any width, in English, German and Arabic; on a wide screen each pair
// keeps to one line, the list giving it room from a long name.
func TestAccountButtonsBreakInPairs(t *testing.T) {
	s, b, _ := adaAndBob(t)
	if _, err := s.h.core.AddAccount(t.Context(), "carol-with-a-rather-long-account-name", testPassword, true); err != nil {
		t.Fatal(err)
	}
	// The rows whose buttons share a line with one of the other pair
	// while they take more than one line: for each, its buttons' lines,
	// each as the pairs (0 or 1) of its buttons.
	const mixed = `Array.from(document.querySelectorAll(".account-actions"), actions => {
		const lines = new Map();
		Array.from(actions.querySelectorAll("button")).forEach((button, i) => {
			const top = Math.round(button.getBoundingClientRect().top);
			lines.set(top, (lines.get(top) || "") + (i < 2 ? "0" : "1"));
		});
		const all = Array.from(lines.values());
		const split = all.length > 1 && all.some(line => line.includes("0") && line.includes("1"));
		// On a wide screen a pair keeps to its line.
		const apart = innerWidth >= 1000 && all.some(line => line === "0" || line === "1");
		return split || apart ? all.join(" ") : "";
	}).filter(Boolean)`
	for _, code := range []string{"en", "de", "ar"} {
		b.chooseLanguage("/accounts", code)
		for _, width := range []int64{1280, 1024, 800, 390, 320} {
			b.do(chromedp.EmulateViewport(width, 900))
			for _, row := range eval[[]string](b, mixed) {
				t.Errorf("in %s at %dpx an account's buttons break mid-pair, by pair on each line: %s", code, width, row)
			}
		}
		browsertest.Shoot(t, b.ctx, "accounts-buttons-"+code)
	}
	b.clean("account buttons")
}

// TestAccountsAnswersInView: on a phone, what a form of the accounts page
// did comes with the page anew, which starts at its top; what it says
// takes the focus, which brings it into view and has a screen reader read
// it: an account added, second factors reset (at the page's foot), or
// found reset already, and an account deleted.
func TestAccountsAnswersInView(t *testing.T) {
	s, b, bob := adaAndBob(t)
	inView := func(sel string) {
		t.Helper()
		b.wait(`document.activeElement.matches("`+sel+`") && (r => r.top >= 0 && r.bottom <= innerHeight)(document.activeElement.getBoundingClientRect())`, time.Second)
	}
	b.do(chromedp.EmulateViewport(390, 900))
	b.open("/accounts", "[data-testid=add-account]")
	b.do(
		chromedp.SendKeys(chromedp.CSS("[data-testid=add-account] #username"), "carol"),
		chromedp.SendKeys(chromedp.CSS("[data-testid=add-account] #password"), testPassword),
		chromedp.Click(chromedp.CSS("[data-testid=add]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=added]")),
	)
	inView("[data-testid=added]")
	b.clean("account added")

	s.enrolTOTP("bob")
	b.open("/accounts", "[data-testid=reset-two-factor]")
	b.do(chromedp.Click(chromedp.CSS("[data-testid=reset-two-factor]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=two-factor-reset]")))
	inView("[data-testid=two-factor-reset]")
	b.clean("second factors reset")

	s.enrolTOTP("bob")
	b.open("/accounts", "[data-testid=reset-two-factor]")
	if _, _, err := s.h.core.ResetTwoFactor(t.Context(), nil, bob.ID); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Click(chromedp.CSS("[data-testid=reset-two-factor]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=two-factor-policy] [data-testid=unchanged]")))
	inView("[data-testid=two-factor-policy] [data-testid=unchanged]")
	b.clean("second factors reset already")

	b.do(
		chromedp.Click(chromedp.CSS(`[data-testid=account-row][data-name=bob] [data-testid=delete-account]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=deleted]")),
	)
	inView("[data-testid=deleted]")
	browsertest.Shoot(t, b.ctx, "accounts-deleted-focus", 390)
	b.clean("account deleted")
}

// TestAccountNamesStayWholeRightToLeft: a username that ends in
// punctuation, as bob_ does, reads as it is typed on the accounts page
// written right to left, in its row and in what is said of it, and in
// the questions and names its buttons give.
func TestAccountNamesStayWholeRightToLeft(t *testing.T) {
	s, b, _ := adaAndBob(t)
	if _, err := s.h.core.AddAccount(t.Context(), "bob_", testPassword, false); err != nil {
		t.Fatal(err)
	}
	b.acceptLanguage("ar")
	// whole reports whether the text node in el that holds bob_ draws
	// its underscore after, to the right of, its b.
	const whole = `(el => {
		const w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
		for (let n = w.nextNode(); n; n = w.nextNode()) {
			const i = n.data.indexOf("bob_");
			if (i < 0) continue;
			const at = k => { const r = document.createRange(); r.setStart(n, k); r.setEnd(n, k + 1); return r.getBoundingClientRect().left; };
			return at(i + 3) > at(i);
		}
		return null;
	})`
	row := `[data-testid=account-row][data-name="bob_"]`
	b.open("/accounts", "html[dir=rtl] "+row)
	if got := eval[any](b, whole+`(document.querySelector('`+row+` td'))`); got != true {
		t.Errorf("bob_'s row shows its name turned (%v)", got)
	}
	for _, attr := range []string{`[data-testid=delete-account]`, `form[data-confirm]`} {
		if got := eval[string](b, `(e => e.getAttribute("aria-label") || e.dataset.confirm)(document.querySelector('`+row+` `+attr+`'))`); !strings.Contains(got, "\u2068bob_\u2069") {
			t.Errorf("%s says %q, without bob_ set apart", attr, got)
		}
	}
	b.do(chromedp.Click(chromedp.CSS(row+` [data-testid=delete-account]`)), chromedp.WaitVisible(chromedp.CSS("[data-testid=deleted]")))
	if got := eval[any](b, whole+`(document.querySelector("[data-testid=deleted]"))`); got != true {
		t.Errorf("the notice of bob_'s deletion shows the name turned (%v)", got)
	}
	browsertest.Shoot(t, b.ctx, "accounts-name-rtl")
	b.clean("a name that ends in punctuation")
}

// TestOwnAccountMarkStaysWhole: in every language, on a wide screen, where
// the buttons take the room from the names, and on a phone, the mark that
// says which account is the viewer's ("(Sie)", "(vous)") keeps to one line,
// where it broke within its word against the name ("ada(Si" over "e)").
func TestOwnAccountMarkStaysWhole(t *testing.T) {
	_, b, _ := adaAndBob(t)
	// The lines the mark's letters take, in the viewer's own row.
	const lines = `(() => {
		const range = document.createRange();
		range.selectNodeContents(document.querySelector("[data-testid=own-mark]"));
		return new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top))).size;
	})()`
	for _, code := range []string{"en", "de", "fr", "es", "ar"} {
		b.chooseLanguage("/accounts", code)
		for _, width := range []int64{1280, 1024, 390, 320} {
			b.do(chromedp.EmulateViewport(width, 900))
			if n := eval[int](b, lines); n != 1 {
				t.Errorf("in %s at %dpx the own account's mark %q takes %d lines", code, width,
					eval[string](b, `document.querySelector("[data-testid=own-mark]").textContent`), n)
			}
		}
		browsertest.Shoot(t, b.ctx, "accounts-own-mark-"+code)
	}
	b.clean("the own account's mark")
}
