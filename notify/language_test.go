package notify_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/notify"
	"oncelink/store"
)

// TestEmailLanguage: a notice speaks its account's language, with the date
// as that language writes it, and an Arabic mail's HTML part runs right to
// left; the confirmation speaks the language of whoever asked for it.
func TestEmailLanguage(t *testing.T) {
	e, smtpd, mailer := mailEnv(t, "notices@share.example")
	ctx := context.Background()
	de := i18n.For("de")
	if err := e.svc.SetNoticeAddress(i18n.With(ctx, "de"), e.owner.ID, "ada@example.org"); err != nil {
		t.Fatal(err)
	}
	subject, text, html := parts(t, smtpd.mails()[0].Data)
	if subject != de.T("mail.confirm.subject") || !strings.Contains(text, de.T("mail.confirm.ignore")) ||
		!strings.Contains(html, `<html lang="de" dir="ltr">`) {
		t.Errorf("the confirmation is not German:\n%s\n%s\n%s", subject, text, html)
	}
	confirm := regexp.MustCompile(`/confirm/([A-Za-z0-9_-]{43})`).FindStringSubmatch(text)
	if _, err := e.svc.ConfirmNoticeAddress(ctx, e.owner.ID, confirm[1]); err != nil {
		t.Fatal(err)
	}

	for i, code := range []string{"ar", "de", ""} {
		if _, err := e.st.SetLanguage(ctx, e.owner.ID, code); err != nil {
			t.Fatal(err)
		}
		l := i18n.For(code)
		label := "Tax papers " + strconv.Itoa(i)
		link := e.createLink(t, label, 1, true)
		// The label stands isolated from the words around it.
		label = "\u2068" + label + "\u2069"
		e.open(t, link.URL)
		runOnce(t, e.worker(t, notify.Options{Mailer: mailer, BaseURL: "https://share.example", Unsubscribe: e.svc.UnsubscribeToken}))
		ms := smtpd.mails()
		subject, text, html := parts(t, ms[len(ms)-1].Data)
		when := l.When(e.clock.Now())
		unsubscribe := e.unsubscribeLink(t)
		if want := l.T("mail.notice.opened.subject", "Label", l.T("format.quoted", "Text", label)); subject != want {
			t.Errorf("%q: subject %q, want %q", code, subject, want)
		}
		for _, want := range []string{l.T("mail.notice.opened.line", "Label", l.T("format.quoted", "Text", label)),
			l.T("mail.notice.text.when", "When", when), l.T("mail.notice.text.unsubscribe", "URL", unsubscribe)} {
			if !strings.Contains(text, want) {
				t.Errorf("%q: the text part does not say %q:\n%s", code, want, text)
			}
		}
		for _, want := range []string{"<strong>" + label + "</strong>", l.T("mail.notice.html.when"), when,
			`<a href="` + unsubscribe + `">` + l.T("mail.notice.html.unsubscribe") + `</a>`} {
			if !strings.Contains(html, want) {
				t.Errorf("%q: the HTML part does not say %q:\n%s", code, want, html)
			}
		}
		rtl := strings.Contains(html, `<html lang="ar" dir="rtl">`)
		if rtl != (code == "ar") || (code == "" && !strings.Contains(html, `<html lang="en" dir="ltr">`)) {
			t.Errorf("%q: the HTML part's <html>:\n%s", code, html)
		}
	}

	// A subject shows the label as typed, its quotes and backslashes as
	// they are, and a tab or a line break as a space: labels are one line
	// now, but one kept from before may not be.
	label := "the \"wifi\" password\tC:\\temp\r\nBcc: x"
	if err := mailer.SendNotice(i18n.With(ctx, "en"), "ada@example.org", notify.Notice{Type: store.NoticeLinkOpened, Label: label, At: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	ms := smtpd.mails()
	subject, _, _ = parts(t, ms[len(ms)-1].Data)
	en := i18n.For("en")
	if want := en.T("mail.notice.opened.subject", "Label", en.T("format.quoted", "Text", "\u2068"+`the "wifi" password C:\temp  Bcc: x`+"\u2069")); subject != want {
		t.Errorf("subject %q, want %q", subject, want)
	}
}

// TestEmailAddressIsolated: the address a notice names reads as written in
// a right-to-left mail, in both parts, an IPv6 address's digits kept before
// its letters.
func TestEmailAddressIsolated(t *testing.T) {
	smtpd := newSMTPServer(t)
	mailer, err := notify.NewMailer("smtp://"+smtpd.addr, "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	const ip = "2001:db8::7"
	n := notify.Notice{Type: store.NoticeLinkOpened, Label: "Tax papers", At: time.Now(), IP: ip}
	if err := mailer.SendNotice(i18n.With(context.Background(), "ar"), "ada@example.org", n); err != nil {
		t.Fatal(err)
	}
	_, text, html := parts(t, smtpd.mails()[0].Data)
	for _, part := range []string{text, html} {
		if !strings.Contains(part, i18n.Isolate(ip)) {
			t.Errorf("%s is not isolated in\n%s", ip, part)
		}
	}
}

// TestRequestMailWords: the mail of an answered request leads to the
// owner's requests and says how to stop such mails, in every language,
// without the words of a link's mail: "notify me" does not choose it, and
// a request has no trail.
func TestRequestMailWords(t *testing.T) {
	smtpd := newSMTPServer(t)
	mailer, err := notify.NewMailer("smtp://"+smtpd.addr, "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://share.example/requests"
	oneLine := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	until := time.Date(2026, 3, 9, 14, 5, 0, 0, time.UTC)
	for _, code := range []string{"en", "de", "fr", "es", "ar"} {
		l := i18n.For(code)
		// What was sent is read at the request's address, which the mail
		// cannot give: it says so, names the button there that opens it,
		// and until when it does, or that it opens once when that is not
		// known; or that it can no longer be opened.
		button := l.T("requests.own.open")
		for _, n := range []notify.Notice{
			{Type: store.NoticeRequestFulfilled, Label: "VPN password", At: time.Now(), URL: url, Until: until},
			{Type: store.NoticeRequestFulfilled, Label: "VPN password", At: time.Now(), URL: url},
			{Type: store.NoticeRequestFulfilled, Label: "VPN password", At: time.Now(), URL: url, Closed: true},
		} {
			if err := mailer.SendNotice(i18n.With(context.Background(), code), "ada@example.org", n); err != nil {
				t.Fatal(err)
			}
			ms := smtpd.mails()
			_, text, html := parts(t, ms[len(ms)-1].Data)
			text = oneLine(text)
			read, readHTML := l.T("mail.notice.request_fulfilled.read", "Button", l.T("format.quoted", "Text", button)),
				l.T("mail.notice.request_fulfilled.read", "Button", "<strong>"+button+"</strong>")
			if n.Closed {
				read, readHTML = l.T("mail.notice.request_fulfilled.read_closed"), l.T("mail.notice.request_fulfilled.read_closed")
			}
			if !n.Until.IsZero() {
				when := l.WhenIn(until, nil)
				read, readHTML = l.T("mail.notice.request_fulfilled.read_until", "Button", l.T("format.quoted", "Text", button), "When", when),
					l.T("mail.notice.request_fulfilled.read_until", "Button", "<strong>"+button+"</strong>", "When", when)
			}
			for _, want := range []string{read, l.T("mail.notice.request_fulfilled.text_page", "URL", url), l.T("mail.notice.request_fulfilled.stop")} {
				if !strings.Contains(text, oneLine(want)) {
					t.Errorf("%s: the text part does not say %q:\n%s", code, want, text)
				}
			}
			for _, want := range []string{readHTML, l.T("mail.notice.request_fulfilled.html_page"), l.T("mail.notice.request_fulfilled.stop")} {
				if !strings.Contains(html, want) {
					t.Errorf("%s: the HTML part does not say %q:\n%s", code, want, html)
				}
			}
		}
		ms := smtpd.mails()
		_, text, html := parts(t, ms[len(ms)-1].Data)
		text = oneLine(text)
		for _, link := range []string{"mail.notice.stop", "mail.notice.html.page"} {
			if words := oneLine(l.T(link)); strings.Contains(text, words) || strings.Contains(oneLine(html), words) {
				t.Errorf("%s: the mail of a request says %s", code, link)
			}
		}
	}
}

// TestSecondStepMailWords: the mail of wrong second-step codes names the
// account and how many codes came, the account's name isolated and in
// bold, leads to where the password is changed, and says how to stop such
// mails, in every language, without the words of a link's mail.
func TestSecondStepMailWords(t *testing.T) {
	smtpd := newSMTPServer(t)
	mailer, err := notify.NewMailer("smtp://"+smtpd.addr, "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://share.example/settings#password-heading"
	oneLine := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	for _, code := range []string{"en", "de", "fr", "es", "ar"} {
		l := i18n.For(code)
		n := notify.Notice{Type: store.NoticeSecondStepFailed, Account: "ada", Failures: 5, At: time.Now(), IP: "192.0.2.7", URL: url}
		if err := mailer.SendNotice(i18n.With(context.Background(), code), "ada@example.org", n); err != nil {
			t.Fatal(err)
		}
		ms := smtpd.mails()
		subject, text, html := parts(t, ms[len(ms)-1].Data)
		name := i18n.Isolate("ada")
		if want := l.T("mail.second_step.subject", "Name", l.T("format.quoted", "Text", name)); subject != want {
			t.Errorf("%s: subject %q, want %q", code, subject, want)
		}
		text = oneLine(text)
		for _, want := range []string{l.N("mail.second_step.line", 5, "Name", l.T("format.quoted", "Text", name)),
			l.T("mail.second_step.held"), l.T("mail.second_step.advice"), l.T("mail.second_step.text.password", "URL", url),
			l.T("mail.notice.text.from", "IP", i18n.Isolate("192.0.2.7")), l.T("mail.second_step.stop")} {
			if !strings.Contains(text, oneLine(want)) {
				t.Errorf("%s: the text part does not say %q:\n%s", code, want, text)
			}
		}
		for _, want := range []string{"<strong>" + name + "</strong>", `<a href="` + url + `">` + l.T("mail.second_step.html.password") + `</a>`,
			l.T("mail.second_step.held"), `<html lang="` + code + `" dir="` + map[bool]string{true: "rtl", false: "ltr"}[code == "ar"] + `">`} {
			if !strings.Contains(html, want) {
				t.Errorf("%s: the HTML part does not say %q:\n%s", code, want, html)
			}
		}
		if words := oneLine(l.T("mail.notice.stop")); strings.Contains(text, words) || strings.Contains(oneLine(html), words) {
			t.Errorf("%s: the mail of wrong codes speaks of links", code)
		}
	}
}

// TestMailTextKeepsNoBreakSpaces: a paragraph the plain text part wraps
// keeps the no-break spaces of its words, such as French sets inside « »,
// and breaks no line at one.
func TestMailTextKeepsNoBreakSpaces(t *testing.T) {
	smtpd := newSMTPServer(t)
	mailer, err := notify.NewMailer("smtp://"+smtpd.addr, "notices@share.example")
	if err != nil {
		t.Fatal(err)
	}
	fr := i18n.For("fr")
	n := notify.Notice{Type: store.NoticeLinkOpened, Label: "x", At: time.Now(), URL: "https://share.example/links/1"}
	if err := mailer.SendNotice(i18n.With(context.Background(), "fr"), "ada@example.org", n); err != nil {
		t.Fatal(err)
	}
	_, text, _ := parts(t, smtpd.mails()[0].Data)
	stop := fr.T("mail.notice.stop")
	if !strings.ContainsAny(stop, "\u00a0\u202f") {
		t.Fatalf("the French words %q have no no-break space to keep", stop)
	}
	kept := strings.Join(strings.FieldsFunc(stop, func(r rune) bool { return r == ' ' || r == '\n' || r == '\r' }), " ")
	got := strings.Join(strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\n' || r == '\r' }), " ")
	if !strings.Contains(got, kept) {
		t.Errorf("the text part does not keep the no-break spaces of %q:\n%q", kept, got)
	}
}

// TestLinkMailNamesTheBox: a link's mail names the box that asks for
// such mails as the form that makes a link labels it, in every language.
func TestLinkMailNamesTheBox(t *testing.T) {
	for _, code := range []string{"en", "de", "fr", "es", "ar"} {
		l := i18n.For(code)
		if box, stop := l.T("create.notify.label"), l.T("mail.notice.stop"); !strings.Contains(stop, box) {
			t.Errorf("%s: %q does not name the box %q", code, stop, box)
		}
	}
}

// TestWebhookTestLanguage: an endpoint's test message says what it is in
// its account's language, English when it chose none; its type and the
// rest of its body, which programs read, are the same in every language.
func TestWebhookTestLanguage(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{WebhookAllowPrivate: true})
	ctx := context.Background()
	r := newReceiver(t)
	hook := e.subscribe(t, r, store.NoticeLinkOpened)
	w := e.worker(t, notify.Options{})
	for _, code := range []string{"de", "fr", "es", "ar", ""} {
		if _, err := e.st.SetLanguage(ctx, e.owner.ID, code); err != nil {
			t.Fatal(err)
		}
		if err := e.st.TestWebhook(ctx, e.owner.ID, hook.Webhook.ID); err != nil {
			t.Fatal(err)
		}
		runOnce(t, w)
		got := r.received()
		m := got[len(got)-1]
		if want := i18n.For(code).T("notices.webhooks.test_message"); m.Body.Type != store.NoticeTest || m.Body.Data.Message != want {
			t.Errorf("%q: test message %s, want the message %q", code, m.Raw, want)
		}
		if code != "" && m.Body.Data.Message == i18n.For("en").T("notices.webhooks.test_message") {
			t.Errorf("%q: the test message is in English: %s", code, m.Raw)
		}
		if m.Body.Data.Event != nil || m.Body.Data.Link != nil || m.Body.Data.Request != nil {
			t.Errorf("%q: test message %s", code, m.Raw)
		}
	}
}
