package handlers

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/internal/browsertest"
)

// lengthCase is a text field with a limit, and what is pasted into it: at
// the limit exactly, and one character past it.
type lengthCase struct {
	path, id string
	at, over string
	refusal  *core.Error
}

// lengthCases are the limits of the create form, the request form, a
// request's send form and the forms of a new account password, in the
// scripts whose count in UTF-8 bytes, in
// characters and in UTF-16 code units differ: Chinese (3 bytes, 1 code
// unit), Arabic (2 bytes), emoji (4 bytes, 2 code units), and accents
// written as marks of their own (a character each).
func lengthCases(send string) []lengthCase {
	chinese := strings.Repeat("中", core.MaxMessageBytes/3) + "a" // 65,536 bytes
	emoji := strings.Repeat("🔑", core.MaxLabelLen)
	accents := strings.Repeat("e\u0301", core.MaxLabelLen/2)
	return []lengthCase{
		{"/links", "message", chinese, chinese + "a", core.ErrMessageTooLong},
		{"/links", "password", strings.Repeat("س", core.MaxPasswordBytes/2), strings.Repeat("س", core.MaxPasswordBytes/2) + "1", core.ErrLinkPasswordTooLong},
		{"/links", "label", emoji, emoji + "🔑", core.TextTooLong("label", core.MaxLabelLen)},
		{"/links", "label", accents, accents + "\u0301", core.TextTooLong("label", core.MaxLabelLen)},
		{"/links", "q", emoji, emoji + "🔑", core.TextTooLong("q", core.MaxLabelLen)},
		{"/links", "url", "https://example.com/" + strings.Repeat("ش", (core.MaxURLLen-20)/2), "https://example.com/" + strings.Repeat("ش", (core.MaxURLLen-20)/2) + "x", core.ErrURLTooLong},
		{"/requests", "note", strings.Repeat("😀", core.MaxNoteLen), strings.Repeat("😀", core.MaxNoteLen+1), core.TextTooLong("note", core.MaxNoteLen)},
		{"/requests", "request-label", emoji, emoji + "中", core.TextTooLong("label", core.MaxLabelLen)},
		{send, "message", strings.Repeat("ع", core.MaxMessageBytes/2), strings.Repeat("ع", core.MaxMessageBytes/2) + "!", core.ErrMessageTooLong},
		{"/settings", "new-password", strings.Repeat("س", core.MaxPasswordBytes/2), strings.Repeat("س", core.MaxPasswordBytes/2) + "1", core.ErrPasswordTooLong},
		{"/accounts", "password", strings.Repeat("中", core.MaxPasswordBytes/3), strings.Repeat("中", core.MaxPasswordBytes/3) + "1", core.ErrPasswordTooLong},
	}
}

// TestLimitsCountedAsTheServerCounts: a text field with a limit takes,
// pasted whole, what the server takes, and says, in the server's words and
// before anything is sent, when what was pasted is a character over: a
// message is counted in UTF-8 bytes, a label or a note in characters, as
// the server counts them, and not in UTF-16 code units as a maxlength
// would, in every language.
func TestLimitsCountedAsTheServerCounts(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	send := ada.createRequest(url.Values{"accepts": {"text"}})
	ada.createLink(url.Values{"message": {"a link, for the list to be searched"}})
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	signIn(t, ctx, s.URL)
	paste := func(id, text string) {
		b.focus("#" + id)
		b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById(` + strconv.Quote(id) + `).value = ""`))
		insert(b, text)
	}
	const state = `(el => [el.value, String(el.validity.valid), el.validationMessage,
		(document.getElementById("error-" + el.name) || {textContent: ""}).textContent])(document.getElementById(%s))`
	for _, l := range i18n.Languages {
		b.acceptLanguage(l.Code)
		for _, c := range lengthCases(send) {
			if l.Code != "en" && l.Code != "ar" && c.id != "label" {
				continue // the other fields' words are said as the label's are
			}
			if c.path == send {
				signOut(b) // its owner would be shown what was sent
			}
			b.do(chromedp.Navigate(s.URL+c.path), chromedp.WaitReady(chromedp.ID(c.id)))
			if c.id == "url" {
				b.do(chromedp.Click(chromedp.CSS("input[name=kind][value=url]")), chromedp.WaitVisible(chromedp.ID("url")))
			}
			said := c.refusal.Message(i18n.For(l.Code))
			paste(c.id, c.at)
			got := eval[[]string](b, strings.Replace(state, "%s", strconv.Quote(c.id), 1))
			if got[0] != c.at || got[1] != "true" || got[3] != "" {
				t.Errorf("%s %s#%s at its limit: %d characters of %d kept, valid %s, saying %q", l.Code, c.path, c.id, len([]rune(got[0])), len([]rune(c.at)), got[1], got[3])
			}
			paste(c.id, c.over)
			got = eval[[]string](b, strings.Replace(state, "%s", strconv.Quote(c.id), 1))
			if got[0] != c.over || got[1] != "false" || got[2] != said || got[3] != said {
				t.Errorf("%s %s#%s a character over: %d characters of %d kept, valid %s, the browser says %q and the page %q, not %q",
					l.Code, c.path, c.id, len([]rune(got[0])), len([]rune(c.over)), got[1], got[2], got[3], said)
			}
			if l.Code == "ar" && (c.id == "label" && c.path == "/links" || c.path == send) {
				browsertest.Shoot(t, ctx, c.id+"-over-"+l.Code)
			}
			if c.path == send {
				signIn(t, ctx, s.URL)
			}
		}
	}
	b.clean("the limits")
}

// TestMessageTooLongStaysSaidWhenAFileIsChosen: on a request's page that
// takes a message or a file, choosing a file takes back what was said
// about the two together, but not that the message is too long.
func TestMessageTooLongStaysSaidWhenAFileIsChosen(t *testing.T) {
	s := newTestServer(t)
	req := s.URL + s.admin().createRequest(url.Values{"accepts": {"any"}})
	file := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(file, []byte("hunter2"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.do(chromedp.Navigate(req), chromedp.WaitVisible(chromedp.ID("message")))
	b.focus("#message")
	insert(b, strings.Repeat("中", core.MaxMessageBytes/3+1))
	b.do(chromedp.WaitVisible(chromedp.ID("error-message")), chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}))
	time.Sleep(200 * time.Millisecond)
	said := core.ErrMessageTooLong.Message(i18n.For("en"))
	if got := eval[string](b, `(document.getElementById("error-message") || {textContent: ""}).textContent`); got != said {
		t.Errorf("with a file chosen, the message box says %q, not %q", got, said)
	}
	b.clean("a file chosen beside a message too long")
}

// TestLimitsAtTheirEdgeAreSent: what the page takes at a limit, the server
// takes too: a link with a message, a password and a label each at its
// limit, a request with its note and label at theirs, and a message at its
// limit sent to that request.
func TestLimitsAtTheirEdgeAreSent(t *testing.T) {
	s := newTestServer(t)
	send := s.admin().createRequest(url.Values{"accepts": {"text"}})
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	signIn(t, ctx, s.URL)
	fill := func(id, text string) {
		b.focus("#" + id)
		insert(b, text)
	}
	at := map[string]string{}
	for _, c := range lengthCases(send) {
		if c.id != "url" && (c.id != "label" || strings.Contains(c.at, "🔑")) {
			at[c.path+"#"+c.id] = c.at
		}
	}
	b.open("/links", "#message")
	for _, id := range []string{"message", "password", "label"} {
		fill(id, at["/links#"+id])
	}
	b.do(chromedp.Click(chromedp.CSS("[data-testid=create]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=link-url]")))
	b.open("/requests", "#note")
	b.retype("note", "")
	fill("note", at["/requests#note"])
	fill("request-label", at["/requests#request-label"])
	b.do(chromedp.Click(chromedp.CSS("[data-testid=request-form] button[type=submit]")))
	b.wait(`!!document.getElementById("request-url")`, 5*time.Second)
	signOut(b)
	b.open(send, "#message")
	fill("message", at[send+"#message"])
	b.do(chromedp.Click(chromedp.CSS("[data-testid=send]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=sent]")))
	b.clean("the limits' edges")
}

// signOut forgets the tab's session, away from any page that would ask
// the server for more with it.
func signOut(b *tab) {
	b.t.Helper()
	b.do(chromedp.Navigate("about:blank"))
	if _, err := chromedp.Call(b.ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		b.t.Fatal(err)
	}
}

// insert puts text where the keyboard is, as a paste or an input method
// does: at once, and cut at a maxlength. It waits up to a minute, not the
// ten seconds of tab.do: laying out 64 KiB of Chinese in a text box has
// taken over ten on a busy machine.
func insert(b *tab, text string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if _, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: text}); err != nil {
		b.t.Fatal(err)
	}
}

// TestLimitsWithoutScripts: without scripts, a form over its limits is
// sent as it is, and comes back saying each mistake beside its field, in
// the page's language, with what was typed kept.
func TestLimitsWithoutScripts(t *testing.T) {
	s := newTestServer(t)
	send := s.admin().createRequest(url.Values{"accepts": {"text"}})
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	forms := []struct {
		path, submit string
	}{{"/links", "[data-testid=create]"}, {"/requests", "[data-testid=request-form] button[type=submit]"}, {send, "[data-testid=send]"}}
	for _, lang := range []string{"en", "ar"} {
		b.acceptLanguage(lang)
		signIn(t, ctx, s.URL)
		for _, f := range forms {
			if f.path == send {
				signOut(b) // its owner would be shown what was sent
			}
			b.do(chromedp.Navigate(s.URL+f.path), chromedp.WaitReady(chromedp.CSS(f.submit)))
			var cases []lengthCase
			for _, c := range lengthCases(send) {
				if c.path == f.path && c.id != "url" && c.id != "q" && (c.id != "label" || strings.Contains(c.at, "🔑")) {
					cases = append(cases, c)
					b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById(` + strconv.Quote(c.id) + `).value = ` + jsString(c.over)))
				}
			}
			b.do(chromedp.Click(chromedp.CSS(f.submit)))
			b.wait(`!!document.querySelector("[aria-invalid=true]")`, 10*time.Second)
			for _, c := range cases {
				said := c.refusal.Message(i18n.For(lang))
				got := eval[[]string](b, `(el => [el.value, (document.getElementById("error-" + el.name) || {textContent: ""}).textContent])(document.getElementById(`+strconv.Quote(c.id)+`))`)
				if got[0] != c.over || !strings.Contains(got[1], said) {
					t.Errorf("%s %s#%s without scripts: %d characters of %d kept, saying %q, not %q", lang, f.path, c.id, len([]rune(got[0])), len([]rune(c.over)), got[1], said)
				}
			}
			if lang == "ar" && f.path == "/links" {
				browsertest.Shoot(t, ctx, "limits-without-scripts-"+lang, 390)
			}
			b.forgive("status of 4")
		}
	}
	b.clean("the limits without scripts")
}
